"""The preview's early page (``early.EarlyPage``): an edited paper's page shown before the full rebuild.

Over the 48 shipped entries, through ``serve.Preview`` (the preview's own rebuild, no HTTP): the page
written early must be the bytes the full build then writes for it, and after that build the site
must equal a clean build of the same entries. Edits that move another page's layout (a new title,
tags, date, status, first author, arXiv id, draft state, a renamed or deleted entry) and a broken
entry take the full build alone. Over the real 1,984 papers of ../shared, ``related.EditedRanking``
must rank an edited paper's related papers as a ranking of every paper does.
"""

from __future__ import annotations

import dataclasses
import os
import random
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import needs
from papershelf.build import build
from papershelf.config import load_config
from papershelf.content import load_content
from papershelf.livereload import PreviewState
from papershelf.related import EditedRanking, RelatedIndex, paper_terms, related_all
from papershelf.serve import Preview
from site_helpers import REPO, tree_hash

ORIGIN = "http://127.0.0.1:8000"
WATCHED = "adding-gradient-noise-improves-learning-for-very-deep-networks"
RELATED = re.compile(r'<aside class="related".*?</aside>', re.S)


class RecordingState(PreviewState):
    """A PreviewState that keeps, at each publish, the bytes of one page as the server would read them then."""

    def __init__(self, base_path: str, page: Path):
        super().__init__(base_path)
        self.page, self.seen = page, []

    def publish(self, **kwargs):
        snap = super().publish(**kwargs)
        self.seen.append(self.page.read_bytes() if kwargs.get("ok") and self.page.is_file() else None)
        return snap


@pytest.fixture
def site(tmp_path):
    root = tmp_path / "src"
    shutil.copytree(REPO / "content", root / "content")
    shutil.copy(REPO / "site.toml", root / "site.toml")
    return root


@pytest.fixture
def preview(site, tmp_path):
    config = load_config(site / "site.toml")
    out = tmp_path / "serve"
    state = RecordingState(config.base_path, out / "site" / "papers" / WATCHED / "index.html")
    made = Preview(config, out=out, state=state, drafts=True, origin=ORIGIN)
    made.rebuild()
    assert state.snapshot().ok
    state.seen.clear()
    return made


def entry(site: Path, slug: str = WATCHED) -> Path:
    return site / "content" / f"{slug}.md"


def edit(path: Path, change) -> frozenset[str]:
    """Rewrite an entry through ``change(text)``; the watched paths the preview's watcher would report."""
    text = path.read_text(encoding="utf-8")
    changed = change(text)
    assert changed != text
    path.write_text(changed, encoding="utf-8")
    return frozenset({str(path.resolve())})


def clean_build(site: Path, out: Path) -> dict[str, str]:
    config = load_config(site / "site.toml")
    build(config, out=out, base_url=ORIGIN + config.base_path, drafts=True, edit_locally=True, private=True)
    return tree_hash(out)


def page_of(preview: Preview, slug: str = WATCHED) -> str:
    return (preview.out / "site" / "papers" / slug / "index.html").read_text(encoding="utf-8")


def append_to_abstract(sentence: str):
    return lambda text: text.rstrip("\n") + f" {sentence}\n"


PAGE_ONLY_EDITS = {
    "a sentence added to the abstract": append_to_abstract("A sentence added while the preview is open."),
    "private notes": lambda text: text.rstrip("\n") + "\n\n## Private\n\nOnly for me: check the appendix.\n",
    "notes": lambda text: text.rstrip("\n") + "\n\n## Notes\n\nThe *noise* schedule matters.\n",
    "a code link": lambda text: text.replace("tags:", "links:\n  code: https://github.com/example/noise\ntags:", 1),
    "authors after the first": lambda text: text.replace("authors_count: 7", "authors_count: 8", 1),
}


@pytest.mark.parametrize("name", sorted(PAGE_ONLY_EDITS))
def test_a_page_only_edit_is_shown_first_with_the_bytes_the_full_build_writes(preview, site, tmp_path, name):
    before = page_of(preview)
    changed = edit(entry(site), PAGE_ONLY_EDITS[name])
    preview.rebuild(changed)
    early, full = preview.state.seen
    assert early is not None and early != before.encode("utf-8")   # the new page, published before the build ran
    assert early == full                                          # the full build wrote the same bytes
    assert tree_hash(preview.out / "site") == clean_build(site, tmp_path / "clean")


def test_an_abstract_taking_another_papers_words_moves_its_related_papers_on_the_early_page(preview, site, tmp_path):
    papers, _ = load_content(site / "content", site)
    related_before = RELATED.search(page_of(preview)).group(0)
    far = [p for p in papers if p.slug != WATCHED and p.slug not in related_before]
    words = " ".join(far[0].abstract.split()[:80]) + " " + " ".join(far[0].title.split())
    preview.rebuild(edit(entry(site), append_to_abstract(words)))
    early, full = preview.state.seen
    assert early == full
    related_after = RELATED.search(early.decode("utf-8")).group(0)
    assert related_after != related_before and f"papers/{far[0].slug}/" in related_after
    assert tree_hash(preview.out / "site") == clean_build(site, tmp_path / "clean")


LAYOUT_EDITS = {
    "title": lambda text: re.sub(r"(?m)^title: .*$", "title: A Retitled Paper About Gradient Noise", text, count=1),
    "tags": lambda text: re.sub(r"(?m)^tags:\n(- .*\n)+", "tags:\n- optimization\n- brand-new-tag\n", text, count=1),
    "date": lambda text: re.sub(r"(?m)^date: .*$", "date: 2016-01-02", text, count=1),
    "status": lambda text: text.replace("tags:", "status: reading\ntags:", 1),
    "draft": lambda text: text.replace("tags:", "draft: true\ntags:", 1),
    "first author": lambda text: text.replace("tags:", "authors:\n- Ada Lovelace\ntags:", 1),
    "arXiv id": lambda text: text.replace("tags:", "arxiv_id: '2401.00001'\ntags:", 1),
}


@pytest.mark.parametrize("name", sorted(LAYOUT_EDITS))
def test_an_edit_that_moves_other_pages_takes_the_full_build_alone(preview, site, tmp_path, name):
    preview.rebuild(edit(entry(site), LAYOUT_EDITS[name]))
    assert len(preview.state.seen) == 1   # one publish: the full build's
    assert preview.state.snapshot().ok
    assert tree_hash(preview.out / "site") == clean_build(site, tmp_path / "clean")


def test_a_renamed_or_deleted_entry_takes_the_full_build_alone(preview, site, tmp_path):
    old = entry(site)
    renamed = old.with_name("gradient-noise-renamed.md")
    old.rename(renamed)
    preview.rebuild(frozenset({str(old.resolve()), str(renamed.resolve())}))
    assert len(preview.state.seen) == 1   # one publish: the full build's
    assert tree_hash(preview.out / "site") == clean_build(site, tmp_path / "clean")
    renamed.unlink()
    preview.rebuild(frozenset({str(renamed.resolve())}))
    assert tree_hash(preview.out / "site") == clean_build(site, tmp_path / "clean-2")


def test_two_entries_changed_at_once_take_the_full_build_alone(preview, site, tmp_path):
    papers, _ = load_content(site / "content", site)
    other = entry(site, next(p.slug for p in papers if p.slug != WATCHED))
    changed = edit(entry(site), append_to_abstract("One.")) | edit(other, append_to_abstract("Two."))
    preview.rebuild(changed)
    assert len(preview.state.seen) == 1
    assert tree_hash(preview.out / "site") == clean_build(site, tmp_path / "clean")


def test_a_broken_entry_shows_its_line_and_keeps_the_page_then_a_fix_is_shown_early(preview, site, tmp_path):
    before = page_of(preview)
    path = entry(site)
    good = path.read_text(encoding="utf-8")
    preview.rebuild(edit(path, lambda text: re.sub(r"(?m)^date: .*$", "date: 2024-13-45", text, count=1)))
    snap = preview.state.snapshot()
    assert not snap.ok and any(f"content/{WATCHED}.md:3:" in line for line in snap.errors), snap.errors
    assert page_of(preview) == before   # the last good page is still the one served
    path.write_text(good.rstrip("\n") + " Fixed and extended.\n", encoding="utf-8")
    preview.rebuild(frozenset({str(path.resolve())}))
    assert len(preview.state.seen) == 2   # the failed build's publish, then the full build's: no early page
    assert preview.state.snapshot().ok   # after a failed build, no early page until a good one
    preview.rebuild(edit(path, append_to_abstract("And once more.")))
    early, full = preview.state.seen[-2:]
    assert early == full and b"And once more." in early
    assert tree_hash(preview.out / "site") == clean_build(site, tmp_path / "clean")


def test_an_edit_and_its_undo_leave_the_site_as_a_clean_build(preview, site, tmp_path):
    """The early page replaced a file the last build's manifest knew: an undo must not keep the edited bytes."""
    path = entry(site)
    original = path.read_bytes()
    stat = path.stat()
    preview.rebuild(edit(path, append_to_abstract("To be undone.")))
    preview.early.forget()   # as if the full build had failed after the early page: the undo takes the full build
    path.write_bytes(original)
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    preview.rebuild(frozenset({str(path.resolve())}))
    assert b"To be undone." not in (preview.out / "site" / "papers" / WATCHED / "index.html").read_bytes()
    assert tree_hash(preview.out / "site") == clean_build(site, tmp_path / "clean")


# --- related.EditedRanking against a ranking of every paper, over the real papers ---------------------------


@pytest.fixture(scope="module")
def real_papers(tmp_path_factory):
    needs.shared(needs.HF_DATA, "an edited paper's related papers ranked alone as a ranking of all ranks them")
    site = tmp_path_factory.mktemp("early-related") / "site"
    subprocess.run([sys.executable, str(REPO / "benchmarks" / "corpus.py"), "--papers", "1984", "--out", str(site)],
                   check=True, capture_output=True)
    papers, problems = load_content(site / "content", site)
    assert papers and not [p for p in problems if p.is_error]
    return papers


def test_an_edited_papers_related_papers_are_those_of_a_ranking_of_every_paper(real_papers):
    index = RelatedIndex()
    index.update(real_papers)
    ranking = EditedRanking(index.inputs)
    draw = random.Random(11)
    vocabulary = [word for paper in real_papers[:400] for word in paper.abstract.split()]
    moved = 0
    for step in range(24):
        paper = draw.choice(real_papers)
        words = paper.abstract.split()
        abstract = {0: paper.abstract + " " + " ".join(draw.sample(vocabulary, 12)),   # rare words gain a paper
                    1: " ".join(words[: len(words) // 2]),                               # words lose one
                    2: paper.abstract + " " + draw.choice(real_papers).abstract}[step % 3]
        edited = dataclasses.replace(paper, abstract=abstract)
        expected = tuple(p.slug for p in related_all([edited if p is paper else p for p in real_papers])[paper.slug])
        assert ranking.related(paper.slug, paper_terms(edited)) == expected, paper.slug
        moved += expected != tuple(slug for slug, _ in index.ranked[paper.slug])
    assert moved >= 6   # the edits did move related lists: the ranking was tested, not its last result
