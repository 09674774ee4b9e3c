"""The search page's query limits and query failures in real headless Chromium (issue 10, section 4)."""

from __future__ import annotations

import pytest

from test_search_browser import browser, page, site_url  # noqa: F401 - fixtures (Chromium, built site)

pytestmark = [pytest.mark.browser, pytest.mark.slow]

STATUS = "document.querySelector('#search-status').textContent"


def test_a_huge_edit_distance_answers_at_once_and_says_it_was_limited(page, site_url):  # noqa: F811
    page.goto(site_url + "search/?q=" + "representations~12")   # froze a tab for 150 s before
    page.wait_for_function(f"{STATUS}.includes('results for')", timeout=10_000)
    status = page.text_content("#search-status")
    assert "The query was limited: “representations~12” was searched as ~2." in status
    page.fill("#search-input", "*e*e*")
    page.press("#search-input", "Enter")
    page.wait_for_function(f"{STATUS}.includes('No results')", timeout=10_000)
    assert "“*e*e*” was left out (at most 2 * in a word)" in page.text_content("#search-status")


def test_a_query_lunr_fails_on_is_not_reported_as_a_missing_index(page, site_url):  # noqa: F811
    """lunr.js 2.3.9 can throw while a query is answered (its TokenSet intersection making up a word): that
    query could not be run, but the index is loaded and other queries work; no "reload the page"."""
    def flawed_lunr(route):
        body = route.fetch().text() + (
            "\nlunr.TokenSet.prototype.intersect = (function (intersect) { return function (other) {"
            " if (window.__failQuery) throw new TypeError(\"Cannot read properties of undefined (reading '_index')\");"
            " return intersect.call(this, other); }; })(lunr.TokenSet.prototype.intersect);\n")
        route.fulfill(body=body, headers={"content-type": "text/javascript"})

    page.route("**/assets/lunr.min.js", flawed_lunr)
    page.goto(site_url + "search/")
    page.evaluate("window.__failQuery = true")
    page.fill("#search-input", "nosie~4")
    page.press("#search-input", "Enter")
    page.wait_for_function(f"{STATUS}.includes('could not be run')")
    status = page.text_content("#search-status")
    assert "could not be loaded" not in status and "Reload" not in status and "“nosie~4”" in status
    page.evaluate("window.__failQuery = false")
    page.fill("#search-input", "diffusion")
    page.press("#search-input", "Enter")
    page.wait_for_function("document.querySelectorAll('#search-results li').length > 0")
