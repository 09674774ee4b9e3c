"""Citing a browse or search result in real headless Chromium: static/cite.js joins the build's records into
BibTeX, RIS and CSL-JSON, downloaded or copied, and what the browser makes is byte for byte what the build
(the one Python implementation of each format) writes for the same papers in the same order: the whole
list's papers.bib/.ris/.csl.json, a tag's files, and a search result's papers joined in Python.
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
from site_helpers import serve, shipped_site  # noqa: E402

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
}
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


def downloads(page, box: str) -> dict[str, str]:
    """Each format's file as the box's download buttons save it (the first three buttons)."""
    got = {}
    for i, (fmt, _) in enumerate(FORMATS):
        with page.expect_download() as info:
            page.locator(f"{box} button").nth(i).click()
        got[fmt] = Path(info.value.path()).read_text(encoding="utf-8")
        assert info.value.suggested_filename.startswith(box.split("-")[0].lstrip("#"))
    return got


def site_bibtex(out: Path, papers) -> dict[str, str]:
    """Each paper's BibTeX entry as the build wrote it (papers/<slug>/<slug>.bib)."""
    return {p.slug: (out / "papers" / p.slug / f"{p.slug}.bib").read_text(encoding="utf-8") for p in papers}


def test_browse_exports_the_whole_filtered_result_as_the_build_writes_the_same_list(page, built):
    url, papers, out = built
    page.goto(url + "browse/")
    page.wait_for_selector("#browse[data-shown]")
    page.wait_for_selector("#browse-export:not([hidden]) button")
    assert "Cite the 50 papers found" in page.inner_text("#browse-export")   # every page of it, not the shown 10
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
    for fmt, name in FORMATS:   # a tag's result: the tag page's own files
        assert got[fmt] == (out / "tags" / "citing" / name).read_text(encoding="utf-8"), fmt


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


def test_a_list_pages_copy_button_copies_its_file(page, built):
    url, papers, out = built
    page.goto(url + "tags/citing/")
    assert page.is_visible(".list-exports .copy-buttons")   # shown once site.js runs
    page.get_by_role("button", name="Copy CSL-JSON").click()
    page.wait_for_function("document.querySelector('.list-exports .copy-status').textContent.includes('Copied')")
    assert page.evaluate("navigator.clipboard.readText()") == \
        (out / "tags" / "citing" / "papers.csl.json").read_text(encoding="utf-8")
