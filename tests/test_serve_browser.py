"""End to end: a page open in headless Chromium follows the files on disk while `papershelf serve` runs."""

from __future__ import annotations

import pytest

import needs
from test_serve import ServeProcess, make_site, write_entry

HEADLESS_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking"]
TIMEOUT_MS = 10_000

pytestmark = pytest.mark.browser


@pytest.fixture
def page():
    with needs.launched_chromium("an open page follows edits in the preview") as browser:
        yield browser.new_page()


def test_an_open_page_follows_edits_shows_the_overlay_for_a_broken_entry_and_recovers(page, tmp_path):
    from playwright.sync_api import expect

    site = make_site(tmp_path / "site")
    entry = site / "content" / "watched-paper.md"
    serve = ServeProcess(site)
    pid = serve.proc.pid
    try:
        paper_url = serve.url + "papers/watched-paper/"
        page.goto(paper_url)
        heading = page.locator("main h1")
        expect(heading).to_contain_text("Original Watched Title", timeout=TIMEOUT_MS)

        # A save on disk: the same tab shows the new title by itself (the test never navigates again).
        write_entry(entry, "A Title Changed While Watching", day=3)
        expect(heading).to_contain_text("A Title Changed While Watching", timeout=TIMEOUT_MS)
        assert page.url == paper_url

        # A broken entry (an impossible date on line 3): the overlay names the file and the line.
        entry.write_text("---\ntitle: A Title Changed While Watching\ndate: 2024-13-45\ntags: [llm]\n---\n"
                         "An abstract.\n", encoding="utf-8")
        overlay = page.locator("#papershelf-overlay")
        expect(overlay).to_be_visible(timeout=TIMEOUT_MS)
        expect(overlay).to_contain_text("content/watched-paper.md:3:", timeout=TIMEOUT_MS)
        assert page.get_attribute("#papershelf-overlay", "role") == "alert"

        # Fixed: the overlay goes and the page is back, still in the same tab.
        write_entry(entry, "Fixed And Back Again", day=3)
        expect(heading).to_contain_text("Fixed And Back Again", timeout=TIMEOUT_MS)
        expect(overlay).to_have_count(0, timeout=TIMEOUT_MS)
        assert page.url == paper_url

        assert serve.proc.pid == pid and serve.proc.poll() is None   # one server process throughout
    finally:
        assert serve.stop() == 0


def test_an_abstract_edit_shows_its_page_first_and_a_retitle_takes_the_full_rebuild(page, tmp_path):
    from playwright.sync_api import expect

    site = make_site(tmp_path / "site")
    entry = site / "content" / "watched-paper.md"
    serve = ServeProcess(site)
    try:
        page.goto(serve.url + "papers/watched-paper/")
        abstract = page.locator("section.abstract")
        expect(abstract).to_contain_text("An abstract about Original Watched Title.", timeout=TIMEOUT_MS)
        builds = len(serve.builds())

        # Only the page's own text changed: the page is shown alone first, then the whole site rebuilds.
        entry.write_text(entry.read_text(encoding="utf-8").rstrip("\n") + " A sentence saved while watching.\n",
                         encoding="utf-8")
        expect(abstract).to_contain_text("A sentence saved while watching.", timeout=TIMEOUT_MS)
        serve.wait_for(lambda: len(serve.builds()) > builds, what="the rebuild after the early page")
        log = serve.out.read_text()
        early = log.index("papers/watched-paper/index.html shown; the rest follows")
        assert early < log.index(f"build {max(serve.builds())}:")   # shown before the rebuild's line
        expect(abstract).to_contain_text("A sentence saved while watching.", timeout=TIMEOUT_MS)

        # A new title moves other pages (lists, neighbours, order): the full rebuild alone, and the page follows.
        shown_lines = log.count("shown; the rest follows")
        write_entry(entry, "A Retitled Paper Seen Through The Rebuild", day=3)
        expect(page.locator("main h1")).to_contain_text("A Retitled Paper Seen Through The Rebuild", timeout=TIMEOUT_MS)
        serve.wait_for(lambda: "Retitled" in serve.get("")[1], what="the index listing the new title")
        assert serve.out.read_text().count("shown; the rest follows") == shown_lines
    finally:
        assert serve.stop() == 0
