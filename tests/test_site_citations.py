"""Every view's citation files, read back by real parsers: each paper's .bib/.ris/.csl.json and each list's
(the whole list, every tag, every shelf) papers.bib/.ris/.csl.json. BibTeX by pybtex and bibtexparser, RIS by
rispy, CSL-JSON validated against the CSL data schema (tests/test_export.py) and rendered by citeproc-py; RIS and
CSL-JSON are exactly what `papershelf export` writes for the same papers (one implementation of each format).
"""

from __future__ import annotations

import json

import bibtexparser
import pytest
import rispy
from pybtex.database import parse_string

from papershelf.citations import to_csl_json, to_ris
from papershelf.content import load_content
from papershelf.model import tag_slug
from papershelf.pages import shelf_papers

from test_export import validate_csl
from test_export_citeproc import assert_rendered
from test_shelves import EXTRA, SECRET, SECRET_AFTER, built_site


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    root = tmp_path_factory.mktemp("cite")
    out = built_site(root)
    papers = sorted(load_content(root / "content", root)[0], key=lambda p: p.sort_key())
    return out, papers


def read_back(folder, name, papers):
    """The three files of a list (or a paper: ``name`` its slug) parsed by the real parsers; returns the RIS and CSL."""
    bib = (folder / f"{name}.bib").read_text(encoding="utf-8")
    ris = (folder / f"{name}.ris").read_text(encoding="utf-8")
    csl = (folder / f"{name}.csl.json").read_text(encoding="utf-8")
    for text in (bib, ris, csl):
        assert SECRET not in text and SECRET_AFTER not in text
    assert len(parse_string(bib, "bibtex").entries) == len(papers)
    library = bibtexparser.parse_string(bib)
    assert library.failed_blocks == [] and len(library.entries) == len(papers)
    records = rispy.loads(ris)
    assert [r["title"] for r in records] == [" ".join(p.title.split()) for p in papers]
    items = json.loads(csl)
    validate_csl(items)
    assert [i["title"] for i in items] == [p.title for p in papers]
    assert ris == to_ris(papers) and csl == to_csl_json(papers)   # what `papershelf export` writes
    return items


def test_each_papers_files_read_back(site):
    out, papers = site
    items = []
    for paper in papers:
        items += read_back(out / "papers" / paper.slug, paper.slug, [paper])
    assert len(items) == len(papers) == 48 + len(EXTRA)
    assert_rendered(items, {})


def test_the_whole_list_every_tag_and_every_shelf_read_back(site):
    out, papers = site
    read_back(out, "papers", papers)
    tags = {tag_slug(t) for p in papers for t in p.tags}
    for slug in sorted(tags):
        members = [p for p in papers if slug in {tag_slug(t) for t in p.tags}]
        read_back(out / "tags" / slug, "papers", members)
    for status in ("to-read", "reading", "read"):
        read_back(out / "shelves" / status, "papers", list(shelf_papers(papers, status)))


def test_the_paper_page_shows_its_ris_and_csl_json_as_its_files_hold_them(site):
    import html
    out, papers = site
    page = (out / "papers" / "read-late" / "index.html").read_text(encoding="utf-8")
    for ident, ext in (("cite-ris", ".ris"), ("cite-csl-json", ".csl.json")):
        shown = page.split(f'<pre id="{ident}"', 1)[1].split("<code>", 1)[1].split("</code>", 1)[0]
        assert html.unescape(shown) == (out / "papers" / "read-late" / f"read-late{ext}").read_text(encoding="utf-8")
        assert f'href="/reading-list/papers/read-late/read-late{ext}" download' in page


def test_a_lists_csl_json_and_ris_are_exports_also_from_records_kept_between_builds():
    """The site's CSL-JSON (joined from each paper's kept block) is the export's bytes: ids another paper took
    fall back to the slug, non-ASCII stays as it is; records kept by digest from a build before give the same."""
    from datetime import date
    from papershelf.citations import Citations
    from papershelf.model import Paper
    papers = [Paper(slug=f"p{i}", path=f"content/p{i}.md", title=title, date=date(2020, 1, i + 1),
                    authors=("Zoë Müller", "Jean-Luc Picard, Jr."), abstract="Über $\\alpha$ \"q\"\n\nTwo.",
                    extra={"csl": {"id": "shared"}} if i < 2 else {})
              for i, title in enumerate(["Ünïcode", "Second </script>", "Third"])]
    digests = {p.slug: f"d{p.slug}" for p in papers}
    known: dict = {}
    first = Citations({}, known, digests)
    assert first.csl_text(papers) == to_csl_json(papers) and first.ris_text(papers) == to_ris(papers)
    assert set(known) == set(digests.values())
    again = Citations({}, known, {**digests, "p2": "changed"})   # p2 edited: its old records are dropped
    assert again.csl_text(papers[::-1]) == to_csl_json(papers[::-1]) and "dp2" not in known
    assert Citations().csl_text([]) == to_csl_json([]) == "[]\n"
