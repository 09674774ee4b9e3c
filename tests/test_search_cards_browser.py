"""Search results as the rest of the site shows papers (issue 13, sections 7 and 9), in real headless Chromium
on a built site served under a subpath: the list pages' card, the site's date format, tag links, badges; "Show
more" keeps keyboard focus in the list and says what it added; the "/" shortcut can be turned off."""

from __future__ import annotations

import re
import textwrap
from pathlib import Path

import pytest

import needs

pytestmark = [pytest.mark.browser, pytest.mark.slow]

needs.chromium("search results look like the site's cards and are keyboard operable", module=True)

from papershelf.build import build  # noqa: E402
from papershelf.config import load_config  # noqa: E402
from site_helpers import serve  # noqa: E402
from test_search_browser import browser  # noqa: E402,F401  (the module's Chromium, launched once)

PREFIX = "/reading-list/"
# (title, date, tags, extra front matter, abstract): badges, upvotes, a code link, an undated paper, a tag
# spelled two ways (its tag page's name is the most used spelling), many authors (the short list).
MARKED = {
    "rated-and-read": ("Sparse Shelf Routing", "2024-06-01", ["LLM", "Mixture of Experts"],
                       "status: read\nread_on: 2024-06-10\nrating: 4\nupvotes: 12\nlinks:\n  code: https://github.com/example/shelf\n"
                       "authors: [Ada Lovelace, Alan Turing, Grace Hopper, Edsger Dijkstra, Barbara Liskov]\n",
                       "We route shelf tokens to experts."),
    "to-read": ("Shelf Attention Is Enough", "2024-04-05", ["llm"], "status: to-read\nauthors: [Grace Hopper]\n",
                "Attention over a shelf of papers."),
    "undated": ("Undated Shelf Notes", None, [], "authors: [Alan Turing]\n", "Notes on a shelf without a date."),
    "plain": ("Plain Shelf Paper", "2023-12-31", ["LLM"], "rating: 2\nauthors: [Ada Lovelace]\n",
              "A plain paper on shelves."),
}
# Enough papers with the same word for several pages of results.
MANY = {f"stack-{n:02d}": (f"Stacked Volume {n}", f"2024-03-{n:02d}", ["stacks"], "authors: [Ada Lovelace]\n",
                           f"Volume {n} of the stacked series.") for n in range(1, 26)}


def write_site(root: Path) -> Path:
    (root / "content").mkdir(parents=True)
    (root / "site.toml").write_text(textwrap.dedent(f"""\
        title = "Card shelf"
        base_url = "https://example.org{PREFIX}"
        [search]
        enabled = true
        """), encoding="utf-8")
    for slug, (title, day, tags, extra, abstract) in {**MARKED, **MANY}.items():
        dated = f"date: {day}\n" if day else ""
        (root / "content" / f"{slug}.md").write_text(
            f'---\ntitle: "{title}"\n{dated}tags: [{", ".join(tags)}]\n{extra}---\n{abstract}\n', encoding="utf-8")
    return root


@pytest.fixture(scope="module")
def site_url(tmp_path_factory):
    root = write_site(tmp_path_factory.mktemp("cards-site"))
    out = root / "public"
    build(load_config(root / "site.toml"), out=out)
    with serve(out, PREFIX) as url:
        yield url


@pytest.fixture
def page(browser):
    context = browser.new_context()
    page = context.new_page()
    problems: list[str] = []
    page.on("pageerror", lambda error: problems.append(f"page error: {error}"))
    page.on("console", lambda m: problems.append(f"console: {m.text}") if m.type in ("error", "warning") else None)
    yield page
    context.close()
    assert problems == []


# A card as a comparable tree: [tag, attributes, children], text with its whitespace collapsed, whitespace
# between elements dropped, <mark> (the matched words) unwrapped, the COinS span (list pages only) left out.
SHAPE = """(article) => {
  function shape(node) {
    if (node.nodeType === Node.TEXT_NODE) return node.textContent;
    if (node.classList.contains('Z3988')) return null;
    const children = [];
    for (const child of node.childNodes) {
      const s = shape(child);
      if (s === null) continue;
      if (child.nodeName === 'MARK' || typeof s === 'string') {
        const text = typeof s === 'string' ? s : s[2].join('');
        if (typeof children[children.length - 1] === 'string') children[children.length - 1] += text;
        else children.push(text);
      } else children.push(s);
    }
    const kept = children.map((c) => typeof c === 'string' ? c.replace(/\\s+/g, ' ') : c)
      .filter((c) => typeof c !== 'string' || c.trim() !== '');
    const attrs = [...node.attributes].map((a) => [a.name, a.value]).sort();
    return [node.nodeName.toLowerCase(), attrs, kept.map((c) => typeof c === 'string' ? c.trim() : c)];
  }
  return shape(article);
}"""


def search(page, url, query):
    page.goto(url + "search/?q=" + query)
    page.wait_for_function("document.querySelectorAll('#search-results li').length > 0")


def list_cards(page, url) -> dict[str, list]:
    """Every card of the list pages (the index and its further pages), by the paper's link."""
    cards, address = {}, url
    while address:
        page.goto(address)
        for article in page.locator("article.paper-item").element_handles():
            cards[article.eval_on_selector(".paper-title a", "a => a.getAttribute('href')")] = article.evaluate(SHAPE)
        older = page.locator("a[rel=next]")
        address = older.count() and url.split(PREFIX)[0] + older.get_attribute("href")
    return cards


def test_a_result_is_the_card_the_list_pages_show(page, site_url):
    cards = list_cards(page, site_url)
    for slug, (title, *_rest) in MARKED.items():
        search(page, site_url, title.replace(" ", "+"))
        first = page.locator("#search-results > li > article.paper-item").first
        assert first.locator(".paper-title a").text_content() == title
        href = first.locator(".paper-title a").get_attribute("href")
        assert href == f"{PREFIX}papers/{slug}/"
        assert first.evaluate(SHAPE) == cards[href], slug  # the same elements, classes, links and text


def test_results_show_the_sites_date_badges_and_tag_pages(page, site_url):
    search(page, site_url, "Sparse+Shelf+Routing")
    card = page.locator("#search-results > li").first
    assert card.locator(".meta > time").text_content() == "1 Jun 2024"  # the site's date format, not ISO
    assert card.locator(".meta > time").get_attribute("datetime") == "2024-06-01"
    assert card.locator(".badge.status-read").text_content() == "Read 10 Jun 2024"  # with its reading date
    assert card.locator(".badge time").get_attribute("datetime") == "2024-06-10"
    assert card.locator(".rating .visually-hidden").text_content() == "rated 4 of 5"
    assert card.locator(".upvotes").text_content() == "▲ 12 upvotes"
    assert card.locator(".authors").text_content() == "Ada Lovelace, Alan Turing, Grace Hopper et al. (5 authors)"
    assert card.locator("a.code-link").get_attribute("href") == "https://github.com/example/shelf"
    tags = card.locator("ul.tags a.tag")
    assert tags.all_text_contents() == ["LLM", "Mixture of Experts"]
    hrefs = [tags.nth(i).get_attribute("href") for i in range(tags.count())]
    assert hrefs == [f"{PREFIX}tags/llm/", f"{PREFIX}tags/mixture-of-experts/"]
    tags.first.click()
    page.wait_for_load_state()
    assert page.url.endswith(f"{PREFIX}tags/llm/") and page.locator("h1").text_content().strip().endswith("LLM")

    search(page, site_url, "Undated+Shelf+Notes")
    card = page.locator("#search-results > li").first
    assert card.locator(".undated").text_content() == "Undated" and card.locator("time").count() == 0
    search(page, site_url, "shelf")
    dates = page.locator("#search-results time").all_text_contents()
    assert dates and all(re.fullmatch(r"\d{1,2} [A-Z][a-z]{2} \d{4}", d) for d in dates), dates


def test_show_more_moves_focus_to_the_first_new_result_and_says_what_it_added(page, site_url):
    search(page, site_url, "stacked")
    status = page.locator("#search-status")
    assert status.get_attribute("aria-live") == "polite"
    assert status.text_content() == "25 results for “stacked”."
    first_page = page.locator("#search-results > li").count()
    assert first_page == 10
    page.focus("#search-more")
    page.keyboard.press("Enter")
    page.wait_for_function("document.querySelectorAll('#search-results > li').length > 10")
    page.wait_for_function("document.activeElement && document.activeElement.closest('#search-results')")
    focused = page.evaluate("""() => [document.activeElement.getAttribute('href'),
        document.querySelectorAll('#search-results > li')[10].querySelector('.paper-title a').getAttribute('href')]""")
    assert focused[0] == focused[1]  # the first of the new results, not <body>
    assert status.text_content() == "Results 11 to 20 of 25 for “stacked” added."
    page.keyboard.press("Shift+Tab")  # back to the last result of the first page: the list reads in order
    assert page.evaluate("document.activeElement.closest('#search-results > li') === "
                         "document.querySelectorAll('#search-results > li')[9]")
    page.click("#search-more")
    page.wait_for_function("document.querySelectorAll('#search-results > li').length === 25")
    page.wait_for_function("document.activeElement.closest('#search-results > li') === "
                           "document.querySelectorAll('#search-results > li')[20]")
    assert status.text_content() == "Results 21 to 25 of 25 for “stacked” added."
    assert page.locator("#search-more").count() == 0


def slash_focuses_search(page, url) -> bool:
    page.goto(url)
    page.locator("body").focus()
    page.keyboard.press("/")
    return page.evaluate("document.activeElement && document.activeElement.id === 'site-search-q'")


def test_the_slash_shortcut_can_be_turned_off_and_on_from_the_search_page(page, site_url):
    assert slash_focuses_search(page, site_url)
    page.goto(site_url + "search/")
    toggle = page.get_by_label("Press / on any page to jump to search")
    assert toggle.is_visible() and toggle.is_checked()
    toggle.uncheck()
    assert not slash_focuses_search(page, site_url)
    assert not slash_focuses_search(page, site_url + "tags/")  # on every page, after a reload too
    page.goto(site_url + "search/")
    toggle = page.get_by_label("Press / on any page to jump to search")
    assert not toggle.is_checked()
    page.locator("body").focus()
    page.keyboard.press("/")
    assert page.evaluate("document.activeElement.id") != "search-input"  # the search page honours it too
    toggle.check()
    assert slash_focuses_search(page, site_url)


def test_the_first_result_is_asked_for_alone_and_shows_before_the_other_results_documents_arrive(page, site_url):
    """Each result's document comes in its own chunk. The first result's chunk is asked for alone (the others
    would compete with it for the browser's connections to the host) and the first result does not wait for
    the others' chunks, which are asked for once it is on the page (not before it, on the main thread)."""
    first, held, requested = [], [], []
    page.add_init_script("""window.docsAskedAt = [];
    var fetchFirst = window.fetch;
    window.fetch = function (url, options) {
      if (String(url).includes('/search/docs/')) window.docsAskedAt.push(performance.now());
      return fetchFirst.call(this, url, options);
    };
    new MutationObserver(function (_, observer) {
      if (!document.querySelector('#search-results > li')) return;
      window.firstShownAt = performance.now();
      observer.disconnect();
    }).observe(document, {childList: true, subtree: true});""")

    def hold(route):
        requested.append(route.request.url)
        (held if first else first).append(route)

    def wait_until(condition):
        for _ in range(200):
            if condition():
                return
            page.wait_for_timeout(25)
        raise AssertionError("timed out")

    page.route("**/search/docs/*", hold)
    page.goto(site_url + "search/?q=stacked")
    wait_until(lambda: first)
    page.wait_for_timeout(500)
    assert len(requested) == 1 and page.locator("#search-results > li").count() == 0  # only the first chunk
    first[0].continue_()
    page.wait_for_function("document.querySelectorAll('#search-results > li').length > 0")
    wait_until(lambda: held)  # the other results' chunks are asked for now, and are not in yet
    asked, shown_at = page.evaluate("[window.docsAskedAt, window.firstShownAt]")
    assert len(asked) == 1 + len(held) and all(at >= shown_at for at in asked[1:])
    shown = page.locator("#search-results > li").count()
    assert 0 < shown < 10
    assert page.locator("#search-status").text_content() == "25 results for “stacked”."
    for route in held:
        route.continue_()
    page.wait_for_function("document.querySelectorAll('#search-results > li').length === 10")
    titles = page.locator("#search-results .paper-title a").all_text_contents()
    page.unroute("**/search/docs/*")
    search(page, site_url, "stacked")
    page.wait_for_function("document.querySelectorAll('#search-results > li').length === 10")
    assert titles == page.locator("#search-results .paper-title a").all_text_contents()  # the same, in order


def test_the_manifest_is_preloaded_and_fetched_once(page, site_url):
    fetched: list[str] = []
    page.on("request", lambda request: fetched.append(request.url))
    search(page, site_url, "stacked")
    page.wait_for_timeout(3500)  # Chromium warns on the console when a preload goes unused for 3 s
    assert sum(1 for url in fetched if url.endswith("/search/manifest.json")) == 1
    assert page.locator("link[rel=preload][as=fetch]").get_attribute("href") == f"{PREFIX}search/manifest.json"


def test_a_browse_card_is_the_card_the_list_pages_show(page, site_url):
    """browse.js and search.js make their cards with the theme's one card builder (static/card.js): every
    card of the browse view, page after page, equals the list pages' card for the same paper (its heading
    one level lower, under the view's "Results" heading)."""
    cards = list_cards(page, site_url)
    page.goto(site_url + "browse/")
    seen = {}
    while True:
        page.wait_for_function("document.getElementById('browse').hasAttribute('data-shown')"
                               " && !document.querySelector('#browse-results li[data-pending]')")
        for article in page.locator("#browse-results > li > article.paper-item").element_handles():
            assert article.eval_on_selector(".paper-title", "h => h.nodeName") == "H3"
            shape = article.evaluate(SHAPE)
            shape[2][0][0] = "h2"
            seen[article.eval_on_selector(".paper-title a", "a => a.getAttribute('href')")] = shape
        following = page.locator("#browse-next")
        if following.is_disabled() or not following.is_visible():
            break
        shown = page.get_attribute("#browse", "data-shown")
        following.click()
        page.wait_for_function(f"document.getElementById('browse').getAttribute('data-shown') !== {shown!r}")
    assert set(seen) == set(cards)
    for href, shape in seen.items():
        assert shape == cards[href], href  # the same elements, classes, links and text
