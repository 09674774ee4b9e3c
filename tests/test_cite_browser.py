"""Citing a tag, a shelf, a browse or search result and a paper in real headless Chromium: static/cite.js joins
the build's records into BibTeX, RIS and CSL-JSON, downloaded or copied, and what the browser makes is byte for
byte what the build (the one Python implementation of each format) writes for the same papers in the same order
(the whole list's papers.bib/.ris/.csl.json, a list's papers joined in Python), and reads back without loss in
the real parsers (tests/test_site_citations.read_back). A paper's RIS and CSL-JSON are downloaded from its page.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import needs

pytestmark = [pytest.mark.browser, pytest.mark.slow]

needs.chromium("a browse or search result is cited in a real browser", module=True)

from papershelf.build import build  # noqa: E402
from papershelf.citations import Citations  # noqa: E402
from papershelf.config import load_config  # noqa: E402
from papershelf.content import load_content  # noqa: E402
from papershelf.model import tag_slug  # noqa: E402
from papershelf.pages import shelf_papers  # noqa: E402
from site_helpers import serve, shipped_site  # noqa: E402
from test_shelves import EXTRA as SHELVED, SECRET, SECRET_AFTER  # noqa: E402
from test_site_citations import read_back  # noqa: E402

UNPROVEN = "a browse or search result is cited in a real browser"
PRIVATE = "Quillfeather-zanzibar-8812"
# Beyond the 48 shipped entries: two papers whose source gave the same CSL id (the second gets its slug),
# non-ASCII and TeX, a hostile title, and private notes that must never reach an export.
EXTRA = {
    "zz-same-id-one.md": "---\ntitle: 'Ünïcode and $\\alpha$-math: a study'\ndate: 2020-01-02\nauthors: [Zoë Müller]\n"
                         "tags: [citing]\nextra: {csl: {id: shared-id}}\nstatus: read\n---\nAbstract with \"quotes\" "
                         "& <b>tags</b>.\n\n## Private\n\n" + PRIVATE + "\n",
    "zz-same-id-two.md": "---\ntitle: '</script><script>alert(1)</script> second'\ndate: 2019-05-06\n"
                         "tags: [citing]\nextra: {csl: {id: shared-id}}\n---\nSecond abstract.\n",
    **SHELVED,   # the Read shelf in the order of read_on, private notes in several spellings
}
SECRETS = (PRIVATE, SECRET, SECRET_AFTER)
FORMATS = (("bibtex", "papers.bib"), ("ris", "papers.ris"), ("csl-json", "papers.csl.json"))


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    root = shipped_site(tmp_path_factory.mktemp("cite-site"), 'title = "Cite shelf"\n'
                        'base_url = "https://example.org/reading-list/"\nper_page = 10\n', EXTRA)
    out = root / "public"
    config = load_config(root / "site.toml")
    build(config, out=out)
    papers, problems = load_content(config.content_path, config.root)
    assert not [p for p in problems if p.is_error], problems
    with serve(out, "/reading-list/") as url:
        yield url, papers, out


@pytest.fixture(scope="module")
def browser():
    with needs.launched_chromium(UNPROVEN) as instance:
        yield instance


@pytest.fixture
def page(browser, built):
    context = browser.new_context(accept_downloads=True, permissions=["clipboard-read", "clipboard-write"])
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.on("request", lambda request: request.url.startswith(built[0]) or request.url.startswith("blob:")
            or errors.append(f"request to another place: {request.url}"))
    yield page
    context.close()
    assert errors == []


def downloads(page, box: str, name: str | None = None) -> dict[str, str]:
    """Each format's file as the box's download buttons save it (the first three buttons), named ``name``."""
    got = {}
    for i, (fmt, file) in enumerate(FORMATS):
        with page.expect_download() as info:
            page.locator(f"{box} button").nth(i).click()
        got[fmt] = Path(info.value.path()).read_text(encoding="utf-8")
        expected = (name or box.split("-")[0].lstrip("#")) + file[len("papers"):]
        assert info.value.suggested_filename == expected
    return got


def joined(out: Path, papers) -> dict[str, str]:
    """The three texts of a list of papers as the build's Python joins them."""
    expected = Citations(site_bibtex(out, papers))
    return {"bibtex": expected.bibtex_text(papers), "ris": expected.ris_text(papers),
            "csl-json": expected.csl_text(papers)}


def site_bibtex(out: Path, papers) -> dict[str, str]:
    """Each paper's BibTeX entry as the build wrote it (papers/<slug>/<slug>.bib)."""
    return {p.slug: (out / "papers" / p.slug / f"{p.slug}.bib").read_text(encoding="utf-8") for p in papers}


def test_browse_exports_the_whole_filtered_result_as_the_build_writes_the_same_list(page, built):
    url, papers, out = built
    page.goto(url + "browse/")
    page.wait_for_selector("#browse[data-shown]")
    page.wait_for_selector("#browse-export:not([hidden]) button")
    assert f"Cite the {48 + len(EXTRA)} papers found" in page.inner_text("#browse-export")   # every page of it, not the shown 10
    got = downloads(page, "#browse-export")
    for fmt, name in FORMATS:   # no filter, newest first: the whole list, as papers.bib/.ris/.csl.json
        assert got[fmt] == (out / name).read_text(encoding="utf-8"), fmt
    csl = json.loads(got["csl-json"])
    assert [i["id"] for i in csl].count("shared-id") == 1 and "zz-same-id-two" in [i["id"] for i in csl]
    for text in got.values():
        assert PRIVATE not in text

    page.goto(url + "browse/?tag=citing")
    page.wait_for_selector("#browse[data-shown*='citing']", state="attached")
    page.wait_for_selector("#browse-export:not([hidden]) button")
    got = downloads(page, "#browse-export")
    order = sorted(papers, key=lambda p: p.sort_key())
    assert got == joined(out, [p for p in order if "citing" in p.tags])   # a tag's result: what its page offers


def test_search_exports_its_results_in_their_order_as_python_joins_them(page, built):
    url, papers, out = built
    page.goto(url + "search/?q=diffusion")
    page.wait_for_selector("#search-export:not([hidden]) button")
    refs = page.evaluate("window.papershelfSearch.find('diffusion').then(f => f.results.map(r => Number(r.ref)))")
    assert len(refs) >= 10   # as many as the first page of results or more, refs past the first chunk of records
    assert max(refs) >= 32
    order = sorted(papers, key=lambda p: p.sort_key())
    chosen = [order[ref] for ref in refs]
    expected = Citations(site_bibtex(out, chosen))
    got = downloads(page, "#search-export")
    assert got["bibtex"] == expected.bibtex_text(chosen)
    assert got["ris"] == expected.ris_text(chosen)
    assert got["csl-json"] == expected.csl_text(chosen)
    page.locator("#search-export button").nth(4).click()   # copy RIS
    page.wait_for_function("document.querySelector('#search-export .copy-status').textContent.includes('Copied')")
    assert page.evaluate("navigator.clipboard.readText()") == got["ris"]


def test_every_tag_and_shelf_page_exports_its_papers_read_back_by_real_parsers(page, built):
    """A tag's papers (found in browse/facets.json) and a shelf's (listed in its page, the Read shelf most
    recently read first) in their page's order, as Python joins them, without private notes."""
    url, papers, out = built
    order = sorted(papers, key=lambda p: p.sort_key())
    lists = [(f"tags/{slug}/", f"tag-{slug}", [p for p in order if slug in {tag_slug(t) for t in p.tags}])
             for slug in sorted({tag_slug(t) for p in papers for t in p.tags})]
    lists += [(f"shelves/{status}/", f"shelf-{status}", list(shelf_papers(order, status)))
              for status in ("to-read", "reading", "read")]
    assert len(lists) > 25 and [p.slug for p in lists[-1][2][:2]] == ["read-late", "read-early"]
    for path, name, members in lists:
        page.goto(url + path)
        page.wait_for_selector(".list-cite:not([hidden]) button")
        count = len(members)
        assert f"Cite the {count} paper{'' if count == 1 else 's'} of this" in page.inner_text(".list-cite")
        got = downloads(page, ".list-cite", name)
        assert got == joined(out, members), path
        read_back(got, members, SECRETS)


def test_a_list_pages_copy_button_copies_what_its_download_saves(page, built):
    url, papers, out = built
    page.goto(url + "tags/citing/")
    page.wait_for_selector(".list-cite:not([hidden]) button")
    page.locator(".list-cite button").nth(5).click()   # copy CSL-JSON
    page.wait_for_function("document.querySelector('.list-cite .copy-status').textContent.includes('Copied')")
    order = sorted(papers, key=lambda p: p.sort_key())
    assert page.evaluate("navigator.clipboard.readText()") == \
        joined(out, [p for p in order if "citing" in p.tags])["csl-json"]


def test_a_papers_ris_and_csl_json_are_downloaded_from_its_page(page, built):
    url, papers, out = built
    paper = next(p for p in papers if p.slug == "zz-same-id-one")
    page.goto(url + f"papers/{paper.slug}/")
    got = {}
    for i, (fmt, ext) in enumerate((("ris", ".ris"), ("csl-json", ".csl.json"))):
        page.locator("details.cite-format summary").nth(i).click()
        with page.expect_download() as info:
            page.get_by_role("button", name=f"Download {ext}").click()
        assert info.value.suggested_filename == paper.slug + ext
        got[fmt] = Path(info.value.path()).read_text(encoding="utf-8")
    got["bibtex"] = (out / "papers" / paper.slug / f"{paper.slug}.bib").read_text(encoding="utf-8")
    assert got == joined(out, [paper])
    read_back(got, [paper], SECRETS)
