"""Incremental builds against clean builds over random series of edits (seeded, so a failure repeats).

Each series makes every kind of edit once, in an order drawn from its seed, then a few more at random.
Edit space (15 kinds): an abstract, a title, tags (add, remove, retag to a new or an existing tag, case
variant), a date (same year, another year, removed), authors, authors and date copied from another entry
(their citation keys collide: the other paper's BibTeX changes while the paper does not), an abstract
gaining another entry's words (related papers move), a draft toggle, a new entry, a deleted entry, a
renamed entry, a config edit (title, per_page, feed_limit, search off or on), a template edit, a theme
static file edit, and a failing build (a broken entry, or a page that fails to render after a one-entry
edit, halfway through an in-place update: the site must stay byte-identical, then the fix is built).
After every edit the site built incrementally must equal a clean build, file for file and folder for
folder, both through the command line's cache on disk (each build loads it anew, as a new process does)
and through the preview's cache in memory: 4 seeds x 2 caches = 8 series of 18 edits.
"""

import random
import re
import shutil

import pytest
import yaml

from papershelf.build import BuildCache, build
from papershelf.cli import main
from papershelf.errors import SiteError, SiteErrors
from site_helpers import REPO, small_config, tree_hash

EXTRA_STEPS = 3   # after one edit of every kind, in a random order
SEEDS = [1, 2, 3, 4]


def _site(tmp_path):
    site = tmp_path / "site-src"
    site.mkdir()
    shutil.copy(REPO / "site.toml", site / "site.toml")
    entries = sorted((REPO / "content").glob("*.md"))[:24]   # enough for pagination, tags shared and not
    (site / "content").mkdir()
    for entry in entries:
        shutil.copy(entry, site / "content" / entry.name)
    text = (site / "site.toml").read_text(encoding="utf-8")
    text = re.sub(r"(?m)^per_page = .*$", "", text)
    (site / "site.toml").write_text("per_page = 4\n" + text, encoding="utf-8")
    return site


def _front(entry):
    text = entry.read_text(encoding="utf-8")
    _, front, body = text.split("---\n", 2)
    return front, body


def _write(entry, front, body):
    entry.write_text(f"---\n{front}---\n{body}", encoding="utf-8")


def _meta(entry):
    front, body = _front(entry)
    return yaml.safe_load(front) or {}, body


def _set_key(entry, key, value):
    """Set (or, with None, remove) a front matter key; the entry is written again through YAML."""
    meta, body = _meta(entry)
    if value is None:
        meta.pop(key, None)
    else:
        meta[key] = value
    _write(entry, yaml.safe_dump(meta, allow_unicode=True, sort_keys=False), body)


def _tags_of(entry):
    return list(_meta(entry)[0].get("tags") or [])


def _edits(site, rng, incremental):
    content = site / "content"

    def pick():
        return rng.choice(sorted(content.glob("*.md")))

    def abstract():
        entry = pick()
        front, body = _front(entry)
        _write(entry, front, f"\nAn added sentence {rng.randrange(10**6)}.\n" + body)

    def title():
        _set_key(pick(), "title", f"Retitled {rng.randrange(10**6)}")

    def retag():
        entry = pick()
        existing = sorted({t for e in content.glob("*.md") for t in _tags_of(e)})
        tags = _tags_of(entry)
        choice = rng.randrange(4)
        if choice == 0 and tags:
            tags = tags[1:]                                     # a tag removed
        elif choice == 1:
            tags = tags + [f"fresh-{rng.randrange(1000)}"]       # a new tag
        elif choice == 2 and existing:
            tags = tags + [rng.choice(existing)]                 # a tag shared with others
        elif tags:
            tags = [tags[0].upper()] + tags[1:]                  # a case variant of its own tag
        _set_key(entry, "tags", list(dict.fromkeys(tags)))

    def redate():
        choice = rng.randrange(3)
        value = None if choice == 0 else \
            f"{rng.choice([1999, 2021, 2024, 2025])}-0{rng.randrange(1, 10)}-1{rng.randrange(10)}"
        _set_key(pick(), "date", value)

    def authors():
        _set_key(pick(), "authors", ["Ada Lovelace", f"Person {rng.randrange(100)}"])

    def same_key():
        entry, other = rng.sample(sorted(content.glob("*.md")), 2)
        meta = _meta(other)[0]
        for key in ("authors", "date"):
            _set_key(entry, key, meta.get(key))
        _set_key(entry, "title", meta.get("title", "Untitled") + " (a second look)")

    def borrowed_words():
        entry, other = rng.sample(sorted(content.glob("*.md")), 2)
        front, body = _front(entry)
        _write(entry, front, body + "\n" + _front(other)[1])

    def draft():
        entry = pick()
        _set_key(entry, "draft", None if _meta(entry)[0].get("draft") else True)

    def add():
        name = f"added-{rng.randrange(10**6)}"
        tag = rng.choice(["music", "llm", f"new-{rng.randrange(100)}"])
        (content / f"{name}.md").write_text(f"---\ntitle: Added {name}\ndate: 2024-0{rng.randrange(1, 10)}-11\n"
                                            f"tags: [{tag}]\n---\n\nIts abstract.\n", encoding="utf-8")

    def delete():
        if len(list(content.glob("*.md"))) > 8:
            pick().unlink()

    def rename():
        entry = pick()
        entry.rename(entry.with_name(f"renamed-{rng.randrange(10**6)}.md"))

    def config():
        text = (site / "site.toml").read_text(encoding="utf-8")
        choice = rng.randrange(4)
        if choice == 0:
            text = re.sub(r'(?m)^title = "(.*)"$', lambda m: f'title = "{m.group(1)} again"', text, count=1)
        elif choice == 1:
            text = re.sub(r"(?m)^per_page = \d+$", f"per_page = {rng.choice([3, 4, 5])}", text)
        elif choice == 2:
            text = re.sub(r"(?m)^feed_limit = .*$", "", text)
            text = f"feed_limit = {rng.choice([2, 5, 20])}\n" + text
        else:
            text = re.sub(r"(?m)^enabled = (true|false)$", lambda m: "enabled = " + ("false" if m[1] == "true" else "true"),
                          text)
        (site / "site.toml").write_text(text, encoding="utf-8")

    def template():
        templates = site / "themes" / "fuzz" / "templates"
        templates.mkdir(parents=True, exist_ok=True)
        (templates / "paper.html").write_text(
            '{% extends "base.html" %}\n{% block main %}<h1>{{ paper.title }}</h1> v'
            + str(rng.randrange(1000)) + "{% endblock %}\n", encoding="utf-8")
        text = (site / "site.toml").read_text(encoding="utf-8")
        if 'theme = "fuzz"' not in text:
            (site / "site.toml").write_text('theme = "fuzz"\n' + re.sub(r"(?m)^theme = .*$", "", text),
                                            encoding="utf-8")

    def static():
        folder = site / "themes" / "fuzz" / "static"
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "style.css").write_text(f"body {{ margin: {rng.randrange(40)}px; }}\n", encoding="utf-8")
        text = (site / "site.toml").read_text(encoding="utf-8")
        if 'theme = "fuzz"' not in text:
            (site / "site.toml").write_text('theme = "fuzz"\n' + re.sub(r"(?m)^theme = .*$", "", text),
                                            encoding="utf-8")

    def broken():
        """A build that fails: a broken entry (it fails while loading), or a page that fails to render after a
        one-entry edit (the in-place update fails halfway). Returns the fix."""
        if rng.randrange(2) == 0:
            (content / "broken.md").write_text("---\ntitle: [unclosed\n---\n\nText.\n", encoding="utf-8")
            return (content / "broken.md").unlink
        templates = site / "themes" / "fuzz" / "templates"
        templates.mkdir(parents=True, exist_ok=True)
        trap = templates / "paper.html"
        trap.write_text('{% extends "base.html" %}\n{% block main %}<h1>{{ paper.title }}</h1>'
                        '{% if "BOOM" in paper.title %}{{ paper.no_such_field() }}{% endif %}{% endblock %}\n',
                        encoding="utf-8")
        text = (site / "site.toml").read_text(encoding="utf-8")
        if 'theme = "fuzz"' not in text:
            (site / "site.toml").write_text('theme = "fuzz"\n' + re.sub(r"(?m)^theme = .*$", "", text),
                                            encoding="utf-8")
        assert incremental(), "the trap itself renders"
        entry = pick()
        original = entry.read_text(encoding="utf-8")
        _set_key(entry, "title", "BOOM")
        return lambda: entry.write_text(original, encoding="utf-8")

    return [abstract, title, retag, redate, authors, same_key, borrowed_words, draft, add, delete, rename, config,
            template, static, broken]


def _folders(folder):
    return sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_dir())


def _same_as_clean(site, out, tmp_path, what):
    clean = tmp_path / "clean"
    shutil.rmtree(clean, ignore_errors=True)
    build(small_config(site), out=clean)
    assert tree_hash(out) == tree_hash(clean), f"after: {what}"
    assert _folders(out) == _folders(clean), f"after: {what}"


@pytest.mark.slow
@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("through", ["disk cache", "preview cache"])
def test_incremental_builds_equal_clean_builds_after_random_edits(tmp_path, seed, through):
    site = _site(tmp_path)
    rng = random.Random(seed)
    out, cache = site / "site", BuildCache()

    def incremental():
        if through == "disk cache":
            return main(["--config", str(site / "site.toml"), "build", "-q"]) == 0
        try:
            build(small_config(site), out=out, cache=cache)
        except (SiteError, SiteErrors):
            return False
        return True

    edits = _edits(site, rng, incremental)
    assert incremental()
    done = []
    series = rng.sample(edits, len(edits)) + [rng.choice(edits) for _ in range(EXTRA_STEPS)]   # every kind
    for edit in series:
        fix = edit()
        done.append(edit.__name__)
        if fix is not None:
            before = tree_hash(out)
            assert not incremental(), " -> ".join(done)
            assert tree_hash(out) == before, f"a failed build changed the site, after: {' -> '.join(done)}"
            fix()
            done.append("fixed")
        assert incremental(), " -> ".join(done)
        _same_as_clean(site, out, tmp_path, " -> ".join(done))
