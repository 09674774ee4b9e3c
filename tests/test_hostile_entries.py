"""Hostile or careless entries and config (issue 10 §2): each costs milliseconds and ends in a `file:line: message`.

Every test runs the real command (``main`` or a ``papershelf`` process) on a site it writes itself.
"""

import resource
import subprocess
import sys
import time
from pathlib import Path

import pytest

from papershelf.build import build
from papershelf.cli import main
from papershelf.config import load_config
from papershelf.content import MAX_TAGS
from papershelf.errors import MESSAGE_MAX, SiteError

SITE_TOML = 'title = "Hostile"\nbase_url = "https://example.github.io/shelf/"\n\n[search]\nenabled = false\n'


def make_site(root: Path, entries: dict[str, str], toml: str = SITE_TOML) -> Path:
    (root / "content").mkdir(parents=True)
    (root / "site.toml").write_text(toml, encoding="utf-8")
    for name, text in entries.items():
        (root / "content" / name).write_text(text, encoding="utf-8")
    return root


def entry(title: str = "A Paper", extra: str = "") -> str:
    return f"---\ntitle: {title}\ndate: 2024-05-01\n{extra}---\nAn abstract.\n"


def alias_bomb(key: str) -> str:
    """About 340 bytes that expand to 9**8 (43 million) strings when aliases are followed."""
    lines = ["---", "title: Bomb", 'x: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    previous = "a"
    for name in "bcdefgh":
        lines.append(f"{name}: &{name} [" + ",".join([f"*{previous}"] * 9) + "]")
        previous = name
    lines.append(f"{key}: *{previous}" if "." not in key else f"{key.split('.')[0]}:\n  {key.split('.')[1]}: *{previous}")
    return "\n".join(lines + ["---", "Body."]) + "\n"


def run_cli(site: Path, *args: str, memory_mb: int = 400, timeout: float = 30) -> tuple[int, str, str, float]:
    """``python -m papershelf ARGS`` in ``site`` with its address space capped: (exit, stdout, stderr, seconds)."""
    def cap_memory():
        resource.setrlimit(resource.RLIMIT_AS, (memory_mb << 20, memory_mb << 20))

    started = time.perf_counter()
    proc = subprocess.run([sys.executable, "-m", "papershelf", *args], cwd=site, capture_output=True, text=True,
                          timeout=timeout, preexec_fn=cap_memory)
    return proc.returncode, proc.stdout, proc.stderr, time.perf_counter() - started


@pytest.mark.parametrize("key", ["date", "source.name"])
def test_an_alias_bomb_is_refused_at_its_line_in_milliseconds_with_little_memory(tmp_path, key):
    site = make_site(tmp_path / "site", {"bomb.md": alias_bomb(key)})
    assert len((site / "content" / "bomb.md").read_bytes()) < 400
    code, out, err, seconds = run_cli(site, "check")
    assert "Traceback" not in err and "MemoryError" not in err
    assert code == 1
    assert out.splitlines() == [
        "content/bomb.md:3: YAML anchors and aliases (&name, *name) are not allowed in front matter: "
        "write each value out in full",
        "1 entry, 1 error, 0 warnings"]
    assert seconds < 5   # the Python start-up, mostly; before: 10 s and 932 MB, or a MemoryError at 3 GB
    code, _, err, _ = run_cli(site, "build")
    assert code == 1 and "content/bomb.md:3: YAML anchors and aliases" in err and "Traceback" not in err


def test_an_anchor_without_an_alias_is_refused_too(tmp_path, capsys):
    site = make_site(tmp_path / "site", {"a.md": entry(extra="tags: &t [llm]\n")})
    assert main(["--config", str(site / "site.toml"), "check"]) == 1
    assert capsys.readouterr().out.startswith("content/a.md:4: YAML anchors and aliases")


def test_ampersands_and_asterisks_in_plain_values_are_fine(tmp_path, capsys):
    text = entry(title='"Q&A * Attention: R&D"', extra="tags: [r&d, '*starred*']\n")
    site = make_site(tmp_path / "site", {"q-and-a.md": text})
    assert main(["--config", str(site / "site.toml"), "check"]) == 0
    assert capsys.readouterr().out.splitlines() == ["1 entry, 0 errors, 0 warnings"]


def test_a_long_value_quoted_in_a_message_is_cut_with_an_ellipsis(tmp_path, capsys):
    huge = "z" * 1_000_000
    site = make_site(tmp_path / "site", {"long.md": f"---\ntitle: Long\ndate: '{huge}'\nstatus: [{huge}]\n---\nx\n"})
    assert main(["--config", str(site / "site.toml"), "check"]) == 1
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].startswith("content/long.md:3: 'date' must be a date written YYYY-MM-DD, not 'zzz")
    assert lines[1].startswith("content/long.md:4: 'status' must be one of to-read, reading, read, not [")
    for line in lines[:2]:
        assert len(line) < 200 and ("..." in line or "\u2026" in line)


def test_every_message_is_capped():
    assert len(str(SiteError("content/x.md", 3, "x" * 10_000_000))) < MESSAGE_MAX + 20


@pytest.mark.parametrize("count", [1_200, 10_000])
def test_more_tags_than_the_limit_is_a_clear_error_at_once(tmp_path, count):
    tags = ", ".join(f"tag-{i}" for i in range(count))
    site = make_site(tmp_path / "site", {"many.md": entry(extra=f"tags: [{tags}]\n")})
    started = time.perf_counter()
    code, out, err, _ = run_cli(site, "check")
    assert code == 1 and out.splitlines()[0] == (
        f"content/many.md:4: {count} tags: a paper may have at most {MAX_TAGS} (each tag's page and feed list "
        "the paper with all its tags); keep the ones a reader would browse by")
    code, _, err, _ = run_cli(site, "build")
    assert code == 1 and f"content/many.md:4: {count} tags" in err
    assert not (site / "site").exists()
    assert time.perf_counter() - started < 10   # before: 15 s and 266 MB for 1,200 tags; 10,000 never finished


def test_a_paper_with_as_many_tags_as_allowed_builds_quickly(tmp_path):
    tags = ", ".join(f"tag-{i}" for i in range(MAX_TAGS))
    site = make_site(tmp_path / "site", {"many.md": entry(extra=f"tags: [{tags}]\n")})
    result = build(load_config(site / "site.toml"), workers=1)
    assert result.pages == 3 + MAX_TAGS + 3   # index, paper, tags index, one per tag, archive, browse, 404
    assert result.seconds < 10


def test_a_content_dir_typo_fails_build_naming_the_key_and_its_line(tmp_path, capsys):
    site = make_site(tmp_path / "site", {"a.md": entry()}, SITE_TOML.replace("\n\n[search]", '\ncontent_dir = "contnet"\n\n[search]'))
    for command in (["build"], ["check"]):
        assert main(["--config", str(site / "site.toml"), *command]) == 1
        err = capsys.readouterr().err
        assert f"site.toml:3: content_dir = 'contnet': no such folder ({site / 'contnet'}); " \
               "fix the name or create the folder" in err
    assert not (site / "site").exists()


def test_a_missing_default_content_folder_fails_build(tmp_path, capsys):
    site = tmp_path / "site"
    site.mkdir()
    (site / "site.toml").write_text(SITE_TOML, encoding="utf-8")
    assert main(["--config", str(site / "site.toml"), "build"]) == 1
    assert f"the content folder {site / 'content'} does not exist" in capsys.readouterr().err
    assert not (site / "site").exists()


def test_a_content_dir_typo_is_an_error_in_the_preview(tmp_path):
    from papershelf.livereload import PreviewState
    from papershelf.serve import Preview

    site = make_site(tmp_path / "site", {"a.md": entry()}, SITE_TOML.replace("\n\n[search]", '\ncontent_dir = "contnet"\n\n[search]'))
    config = load_config(site / "site.toml")
    state = PreviewState(config.base_path)
    Preview(config, out=tmp_path / "preview", state=state, drafts=True, origin="http://127.0.0.1:1").rebuild()
    snap = state.snapshot()
    assert not snap.ok
    assert [e for e in snap.errors if "content_dir = 'contnet': no such folder" in e and ":3:" in e]


@pytest.mark.parametrize("workers", [1, 2])
def test_an_entry_removed_while_building_is_reported_cleanly(tmp_path, capsys, monkeypatch, workers):
    """The entry vanishes between the folder's listing and its parsing (a deterministic hook, not a race)."""
    import papershelf.build as build_module

    count = 450 if workers > 1 else 3    # enough for the parse to run in worker processes
    site = make_site(tmp_path / "site", {f"paper-{i}.md": entry(f"Paper {i}") for i in range(count)})
    assert main(["--config", str(site / "site.toml"), "build", "-q"]) == 0
    before = sorted(p.relative_to(site) for p in (site / "site").rglob("*"))
    real_scan = build_module.scan_entries

    def scan_then_delete(*args, **kwargs):
        found = real_scan(*args, **kwargs)
        (site / "content" / "paper-1.md").unlink()
        return found

    monkeypatch.setattr(build_module, "scan_entries", scan_then_delete)
    monkeypatch.setattr(build_module, "worker_count", lambda requested=None: workers)
    assert main(["--config", str(site / "site.toml"), "build"]) == 1
    err = capsys.readouterr().err
    assert "Traceback" not in err and "FileNotFoundError" not in err
    assert "content/paper-1.md: removed while building: run the command again" in err.splitlines()
    assert sorted(p.relative_to(site) for p in (site / "site").rglob("*")) == before   # the last site stays
    monkeypatch.setattr(build_module, "scan_entries", real_scan)
    assert main(["--config", str(site / "site.toml"), "build", "-q"]) == 0   # the next build sees the folder as it is
    assert not (site / "site" / "papers" / "paper-1").exists()


@pytest.mark.parametrize("out", ["content/sub", "themes/mytheme", "themes/default/static/x", "content"])
def test_output_inside_content_or_themes_is_refused(tmp_path, capsys, out):
    site = make_site(tmp_path / "site", {"a.md": entry()})
    (site / "themes" / "mytheme").mkdir(parents=True)
    before = sorted(p.relative_to(site) for p in site.rglob("*"))
    assert main(["--config", str(site / "site.toml"), "build", "--out", str(site / out)]) == 1
    err = capsys.readouterr().err
    assert f"refusing to build into {site / out}" in err and "Traceback" not in err
    assert sorted(p.relative_to(site) for p in site.rglob("*")) == before
