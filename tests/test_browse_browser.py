"""The browse view (browse/) in real headless Chromium, on a built site served under a subpath.

Every facet count on the page is compared with a count made here in Python over the entries, for a set
of filter combinations (the query included); the state lives in the address (reload, back, forward);
the controls work from the keyboard; without JavaScript the page points to the tag and archive pages;
hostile titles and tags stay text; nothing is fetched from another host.
"""

from __future__ import annotations

import json
import re
import textwrap
from pathlib import Path
from urllib.parse import urlencode

import pytest

import needs

pytestmark = [pytest.mark.browser, pytest.mark.slow]

needs.chromium("the browse view works in a real browser under a subpath", module=True)

from papershelf.build import build  # noqa: E402
from papershelf.config import load_config  # noqa: E402
from papershelf.exports import ITEMS_PER_CHUNK as PER_CHUNK  # noqa: E402
from papershelf.content import load_content  # noqa: E402
from papershelf.model import tag_slug  # noqa: E402
from site_helpers import fetch, serve  # noqa: E402

HOSTILE_TITLE = "<img src=x onerror=alert(1)> Zebrafish & \"quotes\" </li></ol><script>alert(2)</script>"
HOSTILE_TAG = "<b onmouseover=alert(3)>bold</b>"
# slug: (title, date or year, tags, status, rating, code, upvotes, abstract)
ENTRIES = {
    "a-diffusion-music": ("Diffusion for Music", "2024-06-01", ["diffusion", "music"], "read", 5, True, 40,
                          "A zebrafish-free diffusion model for piano."),
    "b-music-labels": ("Noisy Music Labels", "2024-03-10", ["music", "noise"], "reading", 3, False, 8,
                       "Learning from noisy labels of music recordings."),
    "c-llm-survey": ("A Survey of Large Language Models", "2023-11-02", ["llm", "surveys"], "to-read", 0, True, 120,
                     "We survey language models."),
    "d-llm-reasoning": ("Reasoning in LLMs", "2023-05-05", ["llm", "reasoning"], "read", 4, True, 13,
                        "Chains of thought, zebrafish examples."),
    "e-sparse": ("Sparse Attention", "2022-08-08", ["transformers", "sparsity"], "", 2, False, 0,
                 "Sparsity for long context."),
    "f-diffusion-video": ("Video Diffusion", "2022-02-02", ["diffusion", "video"], "to-read", 0, True, 3,
                          "Diffusion for video generation."),
    "g-old-theory": ("A Theory of Noise", "2019-01-01", ["theory", "noise"], "read", 1, False, 0,
                     "Old but gold: zebrafish noise."),
    "h-year-only": ("Known Only By Year", 2021, ["theory"], "", 0, False, 5, "A paper whose day is unknown."),
    "i-undated": ("Undated Music Notes", None, ["music"], "reading", 0, False, 0, "No date at all."),
    "j-hostile": (HOSTILE_TITLE, "2024-01-15", ["security", HOSTILE_TAG], "", 0, True, 2,
                  "</script><script>alert(4)</script> hostile abstract."),
    "k-llm-music": ("Language Models Compose Music", "2024-09-09", ["llm", "music", "diffusion"], "to-read", 5,
                    False, 77, "Music from language models."),
}
PER_PAGE = 3


def write_site(root: Path) -> Path:
    (root / "content").mkdir(parents=True)
    (root / "site.toml").write_text(textwrap.dedent(f"""\
        title = "Browse shelf"
        base_url = "https://example.org/reading-list/"
        per_page = {PER_PAGE}
        """), encoding="utf-8")
    for slug, (title, when, tags, status, rating, code, upvotes, abstract) in ENTRIES.items():
        meta = {"title": title, "authors": ["Grace Hopper", "Alan Turing"], "tags": tags, "upvotes": upvotes}
        if isinstance(when, str):
            meta["date"] = when
        elif when:
            meta["year"] = when
        if status:
            meta["status"] = status
        if rating:
            meta["rating"] = rating
        if code:
            meta["links"] = {"code": f"https://github.com/example/{slug}"}
        front = "\n".join(f"{key}: {json.dumps(value)}" for key, value in meta.items())
        (root / "content" / f"{slug}.md").write_text(f"---\n{front}\n---\n{abstract}\n", encoding="utf-8")
    return root


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    root = write_site(tmp_path_factory.mktemp("browse-site"))
    out = root / "public"
    config = load_config(root / "site.toml")
    build(config, out=out)
    papers, problems = load_content(config.content_path, config.root)
    assert not [p for p in problems if p.is_error], problems
    papers.sort(key=lambda p: p.sort_key())
    with serve(out, "/reading-list/") as url:
        yield url, papers, out


@pytest.fixture(scope="module")
def browser():
    with needs.launched_chromium("the browse view works in a real browser under a subpath") as instance:
        yield instance


@pytest.fixture
def page(browser, built):
    yield from _page(browser, built[0])


def _page(browser, url):
    """A page of a fresh context, failing the test on a dialog, a page error or a request to another place."""
    context = browser.new_context()
    page = context.new_page()
    problems: list[str] = []
    page.on("dialog", lambda dialog: (problems.append(f"dialog opened: {dialog.message}"), dialog.dismiss()))
    page.on("pageerror", lambda error: problems.append(f"page error: {error}"))
    page.on("request", lambda request: request.url.startswith(url) or request.url.startswith("data:")
            or problems.append(f"request to another place: {request.url}"))
    yield page
    context.close()
    assert problems == []


# -- the count, made in Python over the entries ---------------------------------------------------------

def _slugs(paper) -> set[str]:
    return {tag_slug(t) for t in paper.tags}


def _passes(paper, state: dict, hits: set[str] | None, skip: str = "") -> bool:
    tags = state.get("tag", [])
    if skip != "tag" and tags:
        have = _slugs(paper) & set(tags)
        if (len(have) < len(set(tags))) if state.get("match") == "all" else not have:
            return False
    low, high = state.get("from"), state.get("to")
    if skip != "year" and (low or high):
        if paper.year is None or (low and paper.year < low) or (high and paper.year > high):
            return False
    if skip != "status" and state.get("status") and (paper.status or "none") not in state["status"]:
        return False
    if skip != "rating" and state.get("rating") and (paper.rating or 0) < state["rating"]:
        return False
    if skip != "code" and state.get("code") and not paper.links.code:
        return False
    return hits is None or paper.slug in hits


def expected(papers, state: dict, hits: set[str] | None = None) -> dict:
    """What the page must show for ``state``: the results' slugs in date order and every count."""
    results = [p.slug for p in papers if _passes(p, state, hits)]
    tag_counts = {}
    for slug in {s for p in papers for s in _slugs(p)}:
        if state.get("match") == "all":
            n = sum(1 for p in papers if _passes(p, state, hits) and slug in _slugs(p))
        else:
            n = sum(1 for p in papers if _passes(p, state, hits, "tag") and slug in _slugs(p))
        tag_counts[slug] = n
    others = {facet: [p for p in papers if _passes(p, state, hits, facet)]
              for facet in ("year", "status", "rating", "code")}
    # (a year asked for by the address is an option even when no paper has it)
    years = sorted({p.year for p in papers if p.year} | {state[k] for k in ("from", "to") if state.get(k)},
                   reverse=True)

    def in_range(p, low, high):
        return p.year is not None and (not low or p.year >= low) and (not high or p.year <= high)

    low, high = state.get("from"), state.get("to")
    return {
        "results": results,
        "tags": tag_counts,
        "statuses": {s: sum(1 for p in others["status"] if (p.status or "none") == s)
                     for s in ("to-read", "reading", "read", "none")},
        "ratings": {str(r): (sum(1 for p in others["rating"] if (p.rating or 0) >= r) if r else len(others["rating"]))
                    for r in range(6)},
        "code": sum(1 for p in others["code"] if p.links.code),
        "from": {str(y or ""): (sum(1 for p in others["year"] if in_range(p, y, high)) if y or high
                                else len(others["year"])) for y in [0, *years]},
        "to": {str(y or ""): (sum(1 for p in others["year"] if in_range(p, low, y)) if y or low
                              else len(others["year"])) for y in [0, *years]},
    }


SHOWN = """() => {
  const counts = (sel) => Object.fromEntries([...document.querySelectorAll(sel + ' input')].map(
      (box) => [box.value, Number(box.parentNode.querySelector('.n').textContent.replace(/[()]/g, ''))]));
  const options = (id) => Object.fromEntries([...document.getElementById(id).options].map(
      (o) => [o.value, Number(/\\((\\d+)\\)$/.exec(o.textContent)[1])]));
  return {
    status: document.getElementById('browse-status').textContent,
    tags: counts('#browse-tags'), statuses: counts('#browse-statuses'), ratings: counts('#browse-ratings'),
    code: Number(document.querySelector('#browse-code').parentNode.querySelector('.n').textContent.replace(/[()]/g, '')),
    from: options('browse-from'), to: options('browse-to'),
    links: [...document.querySelectorAll('#browse-results .paper-title a')].map((a) => a.getAttribute('href')),
  };
}"""


def query_string(state: dict) -> str:
    pairs = []
    for key in ("q", "tag", "match", "from", "to", "status", "rating", "code", "sort", "page"):
        value = state.get(key)
        if value in (None, "", [], False, 0):
            continue
        for v in value if isinstance(value, list) else [value]:
            pairs.append((key, "1" if v is True else str(v)))
    return "?" + urlencode(pairs) if pairs else ""


def settled(page, state: dict) -> None:
    page.wait_for_function("(want) => document.getElementById('browse').getAttribute('data-shown') === want",
                           arg=query_string(state))


def shown(page) -> dict:
    return page.evaluate(SHOWN)


def result_slugs(page) -> list[str]:
    return [re.search(r"/papers/([^/]+)/$", h).group(1) for h in shown(page)["links"]]


def all_result_slugs(page) -> list[str]:
    """Every listed paper, page by page (the Next button)."""
    slugs = result_slugs(page)
    while page.is_visible("#browse-pages") and page.is_enabled("#browse-next"):
        before = page.text_content("#browse-page-count")
        page.click("#browse-next")
        page.wait_for_function("(b) => document.getElementById('browse-page-count').textContent !== b", arg=before)
        page.wait_for_function("document.getElementById('browse').getAttribute('data-shown') === location.search")
        slugs += result_slugs(page)
    return slugs


COMBINATIONS = [
    {},
    {"tag": ["music"]},
    {"tag": ["music", "llm"]},
    {"tag": ["music", "llm"], "match": "all"},
    {"tag": ["diffusion", "music"], "match": "all", "from": 2024},
    {"from": 2022, "to": 2023},
    {"to": 2021},
    {"status": ["read", "none"]},
    {"status": ["to-read"], "code": True},
    {"rating": 3},
    {"rating": 4, "tag": ["music", "theory"]},
    {"code": True, "from": 2023, "tag": ["llm"], "match": "all"},
    {"q": "zebrafish"},
    {"q": "zebrafish", "status": ["read"], "from": 2020},
    {"q": "music", "tag": ["diffusion"], "rating": 1},
    {"tag": [tag_slug(HOSTILE_TAG)]},
]
QUERY_HITS = {  # what the index holds for these words (title, tags, authors, abstract), by hand
    "zebrafish": {"a-diffusion-music", "d-llm-reasoning", "g-old-theory", "j-hostile"},
    "music": {"a-diffusion-music", "b-music-labels", "i-undated", "k-llm-music"},
}


@pytest.mark.parametrize("state", COMBINATIONS, ids=lambda s: query_string(s) or "nothing")
def test_every_count_equals_a_count_over_the_entries(page, built, state):
    url, papers, _ = built
    page.goto(url + "browse/" + query_string(state))
    settled(page, state)
    hits = QUERY_HITS[state["q"]] if state.get("q") else None
    want = expected(papers, state, hits)
    got = shown(page)
    assert got["tags"] == {s: n for s, n in want["tags"].items() if s in got["tags"]}
    assert set(got["tags"]) == set(want["tags"])   # fewer tags than the list shows before "Show all"
    assert got["statuses"] == want["statuses"]
    assert got["ratings"] == want["ratings"]
    assert got["code"] == want["code"]
    assert got["from"] == want["from"] and got["to"] == want["to"]
    n = len(want["results"])
    assert (f"{n} of {len(papers)} papers" in got["status"] if n and n < len(papers)
            else "No paper matches" in got["status"] if not n else f"All {n} papers" in got["status"])
    listed = all_result_slugs(page)
    if state.get("q"):
        assert sorted(listed) == sorted(want["results"])     # relevance order: lunr's
    else:
        assert listed == want["results"]                       # date order, newest first, undated last


@pytest.mark.parametrize("sort, key", [
    ("rating", lambda p: (-(p.rating or 0),)),
    ("upvotes", lambda p: (-p.upvotes,)),
    ("title", None),
])
def test_sorts(page, built, sort, key):
    url, papers, _ = built
    state = {"sort": sort}
    page.goto(url + "browse/" + query_string(state))
    settled(page, state)
    listed = all_result_slugs(page)
    if key is None:   # titles as the page shows them, case-insensitively
        titles = {p.slug: p.title for p in papers}
        assert listed == sorted(listed, key=lambda s: (titles[s].casefold(), titles[s]))
    else:
        order = {p.slug: i for i, p in enumerate(papers)}
        by = {p.slug: p for p in papers}
        assert listed == sorted(listed, key=lambda s: (*key(by[s]), order[s]))


def test_clicks_update_counts_and_address_and_survive_reload_back_and_forward(page, built):
    url, papers, _ = built
    page.goto(url + "browse/")
    settled(page, {})
    page.check("#browse-tags input[value=music]")
    settled(page, {"tag": ["music"]})
    assert shown(page)["tags"]["llm"] == expected(papers, {"tag": ["music"]})["tags"]["llm"]
    page.check("#facet-tags input[value=all]")
    settled(page, {"tag": ["music"], "match": "all"})
    page.check("#browse-tags input[value=llm]")
    state = {"tag": ["music", "llm"], "match": "all"}
    settled(page, state)
    page.select_option("#browse-from", "2024")
    state["from"] = 2024
    settled(page, state)
    page.check("#browse-statuses input[value=to-read]")
    state["status"] = ["to-read"]
    settled(page, state)
    assert result_slugs(page) == expected(papers, state)["results"] == ["k-llm-music"]
    assert page.get_attribute("#browse-status", "aria-live") == "polite"
    assert "1 of 11 papers" in page.text_content("#browse-status")

    page.reload()
    settled(page, state)
    assert page.is_checked("#browse-tags input[value=llm]") and page.is_checked("#facet-tags input[value=all]")
    assert page.input_value("#browse-from") == "2024"
    assert result_slugs(page) == ["k-llm-music"]

    page.go_back()   # before the status
    state.pop("status")
    settled(page, state)
    assert not page.is_checked("#browse-statuses input[value=to-read]")
    assert sorted(result_slugs(page)) == sorted(expected(papers, state)["results"])
    page.go_back()   # before the year
    state.pop("from")
    settled(page, state)
    assert page.input_value("#browse-from") == ""
    page.go_forward()
    state["from"] = 2024
    settled(page, state)
    assert page.input_value("#browse-from") == "2024"

    page.click("#browse-results .paper-title a")
    page.wait_for_url("**/reading-list/papers/k-llm-music/")
    page.go_back()
    settled(page, state)
    assert result_slugs(page) == expected(papers, state)["results"]


def test_a_query_typed_narrows_the_list_with_the_facets(page, built):
    url, papers, _ = built
    page.goto(url + "browse/?status=read")
    settled(page, {"status": ["read"]})
    page.fill("#browse-q", "zebrafish")
    state = {"q": "zebrafish", "status": ["read"]}
    settled(page, state)
    assert sorted(result_slugs(page)) == sorted(expected(papers, state, QUERY_HITS["zebrafish"])["results"])
    assert page.input_value("#browse-sort") == "relevance"
    page.reload()
    settled(page, state)
    assert page.input_value("#browse-q") == "zebrafish"
    page.fill("#browse-q", "")
    settled(page, {"status": ["read"]})
    assert page.input_value("#browse-sort") == "date"


def test_keyboard_alone_filters_sorts_and_turns_pages(page, built):
    url, papers, _ = built
    page.goto(url + "browse/")
    settled(page, {})
    page.focus("#browse-tags input[value=music]")
    page.keyboard.press("Space")
    settled(page, {"tag": ["music"]})
    assert page.evaluate("document.activeElement.value") == "music"   # focus stays on the box
    page.keyboard.press("Tab")                                          # the next tag
    page.keyboard.press("Space")
    second = page.evaluate("document.activeElement.value")
    settled(page, {"tag": ["music", second]})
    page.focus("#browse-sort")
    page.keyboard.press("ArrowDown")   # date -> rating
    settled(page, {"tag": ["music", second], "sort": "rating"})
    state = {"tag": ["music", second], "sort": "rating"}
    total = len(expected(papers, state)["results"])
    assert total > PER_PAGE
    page.focus("#browse-next")
    page.keyboard.press("Enter")
    state["page"] = 2
    settled(page, state)
    assert page.evaluate("document.activeElement.id") == "browse-results-h"   # focus moves to the new results
    assert "Page 2 of" in page.text_content("#browse-status")
    page.keyboard.press("Tab")   # into the list: the first card's title
    assert page.evaluate("document.activeElement.closest('#browse-results') !== null")


def test_without_javascript_the_page_points_to_tags_and_archive(browser, built):
    url, _, _ = built
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    page.goto(url + "browse/")
    note = page.locator("noscript, .noscript-note").first
    assert page.is_hidden("#browse")
    links = page.eval_on_selector_all(".noscript-note a", "els => els.map(a => a.getAttribute('href'))")
    assert "/reading-list/tags/" in links and "/reading-list/archive/" in links
    for link in links:
        status, _, _ = fetch(url.split("/reading-list/")[0] + link)
        assert status == 200, link
    assert note is not None
    context.close()


def test_hostile_titles_and_tags_are_text(page, built):
    url, _, _ = built
    state = {"tag": ["security"]}
    page.goto(url + "browse/" + query_string(state))
    settled(page, state)
    assert page.locator("#browse-results img, #browse-results script, #browse-results b").count() == 0
    assert page.text_content("#browse-results .paper-title a") == HOSTILE_TITLE
    assert HOSTILE_TAG in page.locator("#browse-results .tag").all_text_contents()
    assert HOSTILE_TAG in page.locator("#browse-tags label").all_text_contents()[-1] or \
        any(HOSTILE_TAG in t for t in page.locator("#browse-tags label").all_text_contents())
    assert page.locator("#browse-tags b").count() == 0
    assert page.evaluate("window.__hacked === undefined")


def test_the_facet_file_follows_the_search_index_order(built):
    _, papers, out = built
    facets = json.loads((out / "browse" / "facets.json").read_text(encoding="utf-8"))
    assert facets["count"] == len(papers)
    manifest = json.loads((out / "search" / "manifest.json").read_text(encoding="utf-8"))
    per = manifest["docsPerChunk"]
    for ref, paper in enumerate(papers):
        doc = json.loads((out / "search" / "docs" / f"{ref // per}.json").read_text(encoding="utf-8"))[ref % per]
        item = json.loads((out / "browse" / "items" / f"{ref // facets['perChunk']}.json").read_text(
            encoding="utf-8"))[ref % facets["perChunk"]]
        assert doc["url"] == f"papers/{item[0]}/" == f"papers/{paper.slug}/"


def test_the_first_cards_show_while_a_chunk_is_held_back_and_the_rest_take_their_place(page, built):
    """Page 3 of 3 per page, newest first, holds refs 6 and 7 (one chunk) and ref 8 (the next): with ref 8's
    chunk held back by the network, the two cards of the first are on screen, in order, with a placeholder
    of a card's size where the third goes; once the held chunk arrives it takes the placeholder's place."""
    url, papers, _ = built
    assert 6 // PER_CHUNK == 7 // PER_CHUNK < 8 // PER_CHUNK
    held = []
    page.route(f"**/browse/items/{8 // PER_CHUNK}.json*", lambda route: held.append(route))
    state = {"page": 3}
    page.goto(url + "browse/" + query_string(state))
    page.wait_for_function("(want) => document.getElementById('browse').getAttribute('data-listed') === want",
                           arg=query_string(state))
    for _ in range(100):   # (the route's handler runs as Playwright's events are read)
        if held:
            break
        page.wait_for_timeout(50)
    assert held, "ref 8's chunk was not asked for"
    items = page.eval_on_selector_all("#browse-results > li", """(lis) => lis.map((li) => ({
        pending: li.hasAttribute('data-pending'), hidden: li.getAttribute('aria-hidden'),
        title: (li.querySelector('.paper-title') || {}).textContent || null,
        height: li.getBoundingClientRect().height}))""")
    assert [i["title"] for i in items[:2]] == [papers[6].title, papers[7].title]
    assert items[2]["pending"] and items[2]["hidden"] == "true" and items[2]["title"] is None
    assert items[2]["height"] > 100   # keeps about a card's place
    assert page.get_attribute("#browse-results", "aria-busy") == "true"
    assert page.get_attribute("#browse", "data-shown") is None
    assert "Page 3 of 4." in page.text_content("#browse-status")   # the status line does not wait for cards
    for route in held:
        route.continue_()
    settled(page, state)
    assert result_slugs(page) == [p.slug for p in papers[6:9]]
    assert page.query_selector("#browse-results > li[data-pending]") is None
    assert page.get_attribute("#browse-results", "aria-busy") is None


def test_the_next_pages_chunk_is_fetched_before_next_is_clicked(page, built):
    """Page 2 (refs 3-5) shown, the browser idle: the chunks of pages 2 and 3 (refs 3-8) not in the facet
    file are each asked for once, page 3's among them, and "Next" then shows page 3 without asking again."""
    url, papers, _ = built
    want = [f"{n}.json" for n in sorted({ref // PER_CHUNK for ref in range(3, 9)} - {0})]   # (0: in the facet file)
    assert f"{8 // PER_CHUNK}.json" in want
    asked = []
    page.on("request", lambda request: "/browse/items/" in request.url and asked.append(request.url.split("/")[-1]))
    state = {"page": 2}
    page.goto(url + "browse/" + query_string(state))
    settled(page, state)
    page.wait_for_function("(n) => performance.getEntriesByType('resource').some((e) => e.name.includes('/items/' + n))",
                           arg=want[-1])
    assert sorted(name.split("?")[0] for name in asked) == want
    page.click("#browse-next")
    settled(page, {"page": 3})
    assert result_slugs(page) == [p.slug for p in papers[6:9]]
    assert sorted(name.split("?")[0] for name in asked) == want


def test_a_facet_the_pointer_rests_on_has_its_cards_fetched_before_the_click(page, built):
    """The papers tagged "theory" are refs 8 and 9 (one chunk), which neither the first page nor the next
    (refs 0-5, fetched when idle) needs: the pointer on that tag's label asks for their chunk; the click then
    shows them without asking again."""
    url, papers, _ = built
    theory = f"{8 // PER_CHUNK}.json"
    ahead = [f"{n}.json" for n in sorted({ref // PER_CHUNK for ref in range(3, 6)} - {0})]   # the next page's
    assert theory not in ahead and 8 // PER_CHUNK == 9 // PER_CHUNK
    asked = []
    page.on("request", lambda request: "/browse/items/" in request.url and asked.append(request.url.split("/")[-1]))
    page.goto(url + "browse/")
    settled(page, {})
    for name in ahead:   # (the next page's cards, fetched when idle)
        page.wait_for_function("(n) => performance.getEntriesByType('resource').some((e) => e.name.includes('/items/' + n))",
                               arg=name)
    page.wait_for_timeout(300)   # (and nothing else)
    assert sorted(name.split("?")[0] for name in asked) == ahead
    page.hover("#browse-tags label:has(input[value=theory])")
    page.wait_for_function("(n) => performance.getEntriesByType('resource').some((e) => e.name.includes('/items/' + n))",
                           arg=theory)
    page.check("#browse-tags input[value=theory]")
    settled(page, {"tag": ["theory"]})
    want = [p.slug for p in papers if "theory" in _slugs(p)]
    assert result_slugs(page) == want and {papers.index(p) // PER_CHUNK for p in papers if p.slug in want} == {8 // PER_CHUNK}
    assert sorted(name.split("?")[0] for name in asked) == sorted(ahead + [theory])


def test_the_unfiltered_first_page_needs_no_request_after_the_facet_file(page, built):
    """The facet file carries the chunks of the first page (newest first): with every chunk file
    refused by the network, browse/ still shows its first page whole, and a page beyond them still
    asks for its chunk."""
    url, papers, _ = built
    asked = []

    def refuse(route):
        asked.append(route.request.url.split("/")[-1].split("?")[0])
        route.abort()

    page.route("**/browse/items/*", refuse)
    page.goto(url + "browse/")
    settled(page, {})
    assert result_slugs(page) == [p.slug for p in papers[:PER_PAGE]]
    assert asked == [] or set(asked) == {"1.json"}   # (only what is fetched ahead when idle)
    page.goto(url + "browse/?page=4")
    page.wait_for_function("/could not be loaded/.test(document.getElementById('browse-status').textContent)")
    assert "1.json" in asked


# -- a long tail of tags: the facet file holds the most used, browse/tags.json the rest ---------------------

TAIL_PAPERS = 140   # each with a common tag and two of its own: 281 tags, more than the facet file holds


@pytest.fixture(scope="module")
def long_tail(tmp_path_factory):
    root = tmp_path_factory.mktemp("tail-site")
    (root / "content").mkdir()
    (root / "site.toml").write_text('title = "Tail shelf"\nbase_url = "https://example.org/reading-list/"\n',
                                    encoding="utf-8")
    for i in range(TAIL_PAPERS):
        tags = [f"Keyword {i:03d} B", "common", f"keyword {i:03d} a"]   # (the card keeps the entry's order)
        (root / "content" / f"p{i:03d}.md").write_text(
            f"---\ntitle: Paper {i:03d}\ndate: 2024-01-{1 + i % 28:02d}\nupvotes: {TAIL_PAPERS - i}\n"
            f"tags: {json.dumps(tags)}\n---\n"
            f"Abstract {i}.\n", encoding="utf-8")
    out = root / "public"
    config = load_config(root / "site.toml")
    build(config, out=out)
    papers, _ = load_content(config.content_path, config.root)
    papers.sort(key=lambda p: p.sort_key())
    with serve(out, "/reading-list/") as url:
        yield url, papers, out


@pytest.fixture
def tail_page(browser, long_tail):
    yield from _page(browser, long_tail[0])


def _tail(out: Path) -> tuple[dict, dict]:
    return (json.loads((out / "browse" / "facets.json").read_text(encoding="utf-8")),
            json.loads((out / "browse" / "tags.json").read_text(encoding="utf-8")))


def test_a_tag_past_the_facet_files_is_chosen_from_the_address_and_counted(tail_page, long_tail):
    page = tail_page
    from papershelf.exports import TAGS_IN_FACETS
    url, papers, out = long_tail
    facets, rest = _tail(out)
    every = {s for p in papers for s in _slugs(p)}
    assert len(facets["tags"]) == TAGS_IN_FACETS < facets["tagCount"] == len(every) == TAGS_IN_FACETS + len(rest["tags"])
    slug = rest["tags"][-1][1]
    assert slug not in {s for _, s in facets["tags"]}
    state = {"tag": [slug]}
    page.goto(url + "browse/" + query_string(state))
    settled(page, state)
    want = expected(papers, state)
    got = shown(page)
    assert result_slugs(page) == want["results"] and len(want["results"]) == 1
    assert got["tags"] == {s: n for s, n in want["tags"].items() if s in got["tags"]} and slug in got["tags"]
    assert page.is_checked(f"#browse-tags input[value='{slug}']")
    paper = next(p for p in papers if p.slug == want["results"][0])
    tags = page.eval_on_selector_all("#browse-results .tag", "els => els.map((a) => [a.textContent, a.getAttribute('href')])")
    assert tags == [[t, f"/reading-list/tags/{tag_slug(t)}/"] for t in paper.tags]   # the entry's order, as its page


def test_every_tag_is_listed_and_found_once_the_reader_asks(tail_page, long_tail):
    page = tail_page
    url, papers, out = long_tail
    facets, rest = _tail(out)
    asked = []
    page.on("request", lambda request: "/browse/tags.json" in request.url and asked.append(request.url))
    page.goto(url + "browse/")
    settled(page, {})
    assert asked == [] and len(shown(page)["tags"]) == 16
    page.click("#browse-tags-more")
    page.wait_for_function("(n) => document.querySelectorAll('#browse-tags input').length === n", arg=facets["tagCount"])
    assert len(asked) == 1
    want = expected(papers, {})
    assert shown(page)["tags"] == want["tags"]
    page.click("#browse-tags-more")   # fewer again
    page.fill("#browse-tag-find", rest["tags"][0][0])
    page.wait_for_function("(s) => document.querySelectorAll('#browse-tags input').length === 1"
                           " && document.querySelector('#browse-tags input').value === s", arg=rest["tags"][0][1])
    page.check("#browse-tags input")
    state = {"tag": [rest["tags"][0][1]]}
    settled(page, state)
    assert result_slugs(page) == expected(papers, state)["results"] and len(asked) == 1


def test_the_page_of_a_tag_past_the_facet_files_cites_its_papers(browser, long_tail):
    from test_cite_browser import joined
    url, papers, out = long_tail
    _, rest = _tail(out)
    slug = rest["tags"][0][1]
    members = [p for p in papers if slug in _slugs(p)]
    context = browser.new_context(accept_downloads=True)
    page = context.new_page()
    page.goto(url + f"tags/{slug}/")
    page.wait_for_selector(".list-cite:not([hidden]) button")
    with page.expect_download() as info:
        page.locator(".list-cite button").nth(0).click()
    assert Path(info.value.path()).read_text(encoding="utf-8") == joined(out, members)["bibtex"]
    context.close()


def test_a_title_order_of_another_build_is_not_used(page, built):
    """Sorted by title, the address asks for browse/title-order.json with the facet file; an answer from
    another build (a deploy between the two) is dropped and the order of the facet file's build is used."""
    url, papers, out = built
    order = json.loads((out / "browse" / "title-order.json").read_text(encoding="utf-8"))
    stale = json.dumps({"id": "0" * 16, "order": list(reversed(order["order"]))})
    asked = []

    def answer(route):
        asked.append(route.request.url.split("/")[-1])
        if "?v=" in route.request.url:
            route.continue_()
        else:
            route.fulfill(status=200, content_type="application/json", body=stale)

    page.route("**/browse/title-order.json*", answer)
    state = {"sort": "title"}
    page.goto(url + "browse/" + query_string(state))
    settled(page, state)
    titles = {p.slug: p.title for p in papers}
    assert result_slugs(page) == sorted(result_slugs(page), key=lambda s: (titles[s].casefold(), titles[s]))
    assert asked[0] == "title-order.json" and asked[1].startswith("title-order.json?v=")


def test_the_view_waits_for_the_deferred_card_script_when_it_runs_first(page, built):
    """browse.js is async: with card.js held back by the network, the page is parsed and browse.js has run
    (it asked for its first cards) while the deferred scripts wait; the view is made once they have run."""
    url, papers, _ = built
    held = []
    page.route("**/assets/card.js", lambda route: held.append(route))
    page.goto(url + "browse/?page=2", wait_until="commit")
    page.wait_for_function("document.readyState === 'interactive' && performance.getEntriesByType('resource')"
                           ".some((e) => e.name.includes('/browse/items/'))")
    assert held and page.get_attribute("#browse", "data-ready") is None
    held[0].continue_()
    settled(page, {"page": 2})
    assert result_slugs(page) == [p.slug for p in papers[PER_PAGE:2 * PER_PAGE]]


def test_the_first_card_of_each_other_sort_is_asked_for_once_the_list_is_shown(tail_page, long_tail):
    """Shown newest first, the list asks for the chunk of its first paper by upvotes (p000, among the oldest:
    neither the first page's nor the next's); choosing that sort then needs no request for it."""
    page = tail_page
    url, papers, _ = long_tail
    top = max(range(len(papers)), key=lambda ref: (papers[ref].upvotes, -ref))
    assert papers[top].slug == "p000" and top >= 40
    name = f"/browse/items/{top // PER_CHUNK}.json"
    asked = []
    page.on("request", lambda request: "/browse/items/" in request.url and asked.append(request.url))
    page.goto(url + "browse/")
    settled(page, {})
    page.wait_for_function("(n) => performance.getEntriesByType('resource').some((e) => e.name.includes(n))", arg=name)
    before = len([u for u in asked if name in u])
    page.select_option("#browse-sort", "upvotes")
    settled(page, {"sort": "upvotes"})
    assert result_slugs(page)[0] == "p000"
    assert before == 1 and len([u for u in asked if name in u]) == 1


# -- the first page files: a list narrowed by a facet value takes its first page from one file -------------

def test_a_scattered_first_page_comes_from_its_facet_values_file_not_a_chunk_per_card(tail_page, long_tail):
    """Sorted by upvotes, the papers tagged "common" (all 140) come oldest-ish first, one or two per chunk:
    with every chunk file refused by the network, the address still shows its whole first page, in order,
    from the one first page file of that tag and sort; the chunks are not asked for before it is shown."""
    page = tail_page
    url, papers, out = long_tail
    facets, _ = _tail(out)
    common = [t[1] for t in facets["tags"]].index("common")
    want = sorted(range(len(papers)), key=lambda ref: (-papers[ref].upvotes, ref))[:20]
    assert len({ref // PER_CHUNK for ref in want}) > 10   # (scattered)
    chunks, firsts = [], []
    page.route("**/browse/items/*", lambda route: (chunks.append(route.request.url), route.abort()))
    page.on("request", lambda request: "/browse/first/" in request.url and firsts.append(request.url))
    state = {"tag": ["common"], "sort": "upvotes"}
    page.goto(url + "browse/" + query_string(state))
    settled(page, state)
    assert result_slugs(page) == [papers[ref].slug for ref in want]
    assert [u.split("/")[-1].split("?")[0] for u in firsts] == [f"t{common}-upvotes.json"]
    assert page.query_selector("#browse-results > li[data-pending]") is None


def test_without_its_first_page_file_a_page_comes_from_its_chunks(tail_page, long_tail):
    """A first page file refused by the network (a site of an older build, say): the cards come from
    their chunks, and the page is whole and in order."""
    page = tail_page
    url, papers, _ = long_tail
    refused = []
    page.route("**/browse/first/*", lambda route: (refused.append(route.request.url), route.abort()))
    state = {"tag": ["common"], "sort": "title"}
    page.goto(url + "browse/" + query_string(state))
    settled(page, state)
    assert refused
    assert result_slugs(page) == [p.slug for p in sorted(papers, key=lambda p: p.title.casefold())[:20]]


def test_the_view_predicts_what_each_first_page_file_holds(node_js, built, long_tail):
    """browse.js picks a first page file by the papers it computes it holds (core.firstPage): for every file
    of both sites (statuses, ratings, code, undated papers, every sort), that is the file's own list."""
    script = textwrap.dedent("""\
        const core = require(process.argv[1]), fs = require("fs"), path = require("path");
        const out = process.argv[2], dir = path.join(out, "browse", "first");
        const f = core.decode(JSON.parse(fs.readFileSync(path.join(out, "browse", "facets.json"))));
        core.addTitles(f, JSON.parse(fs.readFileSync(path.join(out, "browse", "title-order.json"))).order);
        const seen = {}, wrong = [];
        for (const name of fs.readdirSync(dir)) {
          const [key, sort] = name.replace(/\\.json$/, "").split("-");
          const refs = JSON.parse(fs.readFileSync(path.join(dir, name))).refs;
          seen[key] = true;
          if (JSON.stringify(core.firstPage(f, key, sort)) !== JSON.stringify(refs)) wrong.push(name);
        }
        console.log(JSON.stringify({keys: Object.keys(seen).sort(), wrong: wrong}));
        """)
    import subprocess
    browse_js = str(Path(__file__).resolve().parents[1] / "themes" / "default" / "static" / "browse.js")
    keys = {}
    for name, (_, _, out) in (("built", built), ("tail", long_tail)):
        result = subprocess.run([node_js, "-e", script, browse_js, str(out)], capture_output=True, text=True, check=True)
        got = json.loads(result.stdout)
        assert got["wrong"] == [], name
        keys[name] = got["keys"]
    assert {"s0", "s1", "s3", "r1", "r4", "c", "t0"} <= set(keys["built"])   # (3 papers or more each)
    assert not {"s2", "r5"} & set(keys["built"])   # (2 papers each: as few chunks as a file)
    assert [k for k in keys["tail"] if k.startswith("t")] == ["t0"]   # ("common"; each other tag has one paper)


def test_with_a_query_in_the_address_the_search_files_are_asked_for_before_browse_js_runs(page, built):
    """The page's first script asks for lunr.js, search.js and the index's manifest when the address has a
    query, while browse.js (held back by the network here) is still on its way; browse.js then takes them
    (each asked for once) and lists the query's papers. Without a query, none of them is asked for."""
    url, papers, _ = built
    held, asked = [], []
    page.route("**/assets/browse.js", lambda route: held.append(route))
    page.on("request", lambda request: asked.append(request.url.split("/")[-1].split("?")[0]))
    search_files = ["lunr.min.js", "search.js", "manifest.json"]
    page.goto(url + "browse/", wait_until="domcontentloaded")
    for _ in range(100):
        if held:
            break
        page.wait_for_timeout(50)
    page.wait_for_timeout(300)
    assert held and not set(search_files) & set(asked)
    held.pop().continue_()
    settled(page, {})
    state = {"q": "zebrafish"}
    asked.clear()
    page.goto(url + "browse/" + query_string(state), wait_until="commit")
    for _ in range(100):
        if held and set(search_files) <= set(asked):
            break
        page.wait_for_timeout(50)
    assert held and set(search_files) <= set(asked), asked
    assert page.get_attribute("#browse", "data-counted") is None   # (browse.js has not run)
    held.pop().continue_()
    settled(page, state)
    assert sorted(all_result_slugs(page)) == sorted(expected(papers, state, QUERY_HITS["zebrafish"])["results"])
    assert [asked.count(name) for name in search_files] == [1, 1, 1]
