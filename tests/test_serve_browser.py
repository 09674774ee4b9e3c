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
