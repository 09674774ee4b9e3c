"""The site's citations read back by real parsers: each paper's .bib file and the RIS and CSL-JSON its page
shows, and the whole list's papers.bib/.ris/.csl.json. BibTeX by pybtex and bibtexparser, RIS by rispy,
CSL-JSON validated against the CSL data schema (tests/test_export.py) and rendered by citeproc-py; RIS and
CSL-JSON are exactly what `papershelf export` writes for the same papers (one implementation of each format).
A tag's and a shelf's citations are made in the browser: tests/test_cite_browser.py reads those back.
"""

from __future__ import annotations

import html
import json

import bibtexparser
import pytest
import rispy
from pybtex.database import parse_string

from papershelf.citations import to_csl_json, to_ris
from papershelf.content import load_content

from test_export import validate_csl
from test_export_citeproc import assert_rendered
from test_shelves import EXTRA, SECRET, SECRET_AFTER, built_site

@pytest.fixture(scope="module")
def site(tmp_path_factory):
    root = tmp_path_factory.mktemp("cite")
    out = built_site(root)
    papers = sorted(load_content(root / "content", root)[0], key=lambda p: p.sort_key())
    return out, papers


def read_back(texts: dict[str, str], papers, secrets=(SECRET, SECRET_AFTER)) -> list[dict]:
    """A list's (or a paper's) BibTeX, RIS and CSL-JSON (``texts`` by format) parsed by the real parsers,
    checked against ``papers``; returns the CSL items."""
    bib, ris, csl = texts["bibtex"], texts["ris"], texts["csl-json"]
    for text in (bib, ris, csl):
        assert not [s for s in secrets if s in text]
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


def shown(page: str, ident: str) -> str:
    """The text of the page's ``<pre id=ident>`` block, as the browser reads (and site.js downloads) it."""
    return html.unescape(page.split(f'<pre id="{ident}"', 1)[1].split("<code>", 1)[1].split("</code>", 1)[0])


def test_each_papers_bib_file_and_the_ris_and_csl_json_its_page_shows_read_back(site):
    out, papers = site
    items = []
    for paper in papers:
        folder = out / "papers" / paper.slug
        page = (folder / "index.html").read_text(encoding="utf-8")
        texts = {"bibtex": (folder / f"{paper.slug}.bib").read_text(encoding="utf-8"),
                 "ris": shown(page, "cite-ris"), "csl-json": shown(page, "cite-csl-json")}
        assert shown(page, "bibtex") == texts["bibtex"]
        items += read_back(texts, [paper])
    assert len(items) == len(papers) == 48 + len(EXTRA)
    assert_rendered(items, {})


def test_the_whole_lists_files_read_back_and_no_other_list_or_paper_has_ris_or_csl_json_files(site):
    out, papers = site
    read_back({fmt: (out / name).read_text(encoding="utf-8") for fmt, name in
               (("bibtex", "papers.bib"), ("ris", "papers.ris"), ("csl-json", "papers.csl.json"))}, papers)
    # A tag's, a shelf's and a paper's RIS and CSL-JSON are made in the browser from cite/<n>.json.
    made = sorted(p.relative_to(out).as_posix() for p in out.rglob("*") if p.name.endswith((".ris", ".csl.json")))
    assert made == ["papers.csl.json", "papers.ris"]
    assert sorted(p.relative_to(out).as_posix() for p in out.rglob("papers.bib")) == ["papers.bib"]
    page = (out / "papers" / "read-late" / "index.html").read_text(encoding="utf-8")
    assert 'data-download-target="cite-ris" data-download-name="read-late.ris"' in page
    assert 'href="/reading-list/papers/read-late/read-late.bib" download' in page


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
