"""The search page in real headless Chromium, on a built site served under a subpath."""

from __future__ import annotations

import json
import textwrap
import time
import urllib.request
from pathlib import Path

import pytest

import needs

pytestmark = [pytest.mark.browser, pytest.mark.slow]

needs.chromium("the search page works in a real browser under a subpath", module=True)

from papershelf.build import build  # noqa: E402
from papershelf.config import load_config  # noqa: E402
from site_helpers import serve  # noqa: E402

HOSTILE_TITLE = "<img src=x onerror=alert(1)> exploits"
HOSTILE_ABSTRACT = "</script><script>alert(1)</script> injection attempts against keyword lookups."

ENTRIES = {
    "key-value-caches": ("Key-Value Caches for Long Context", "2024-06-01", ["inference"],
                         "We compress the key and value caches (e.g. by 5.8%) with a survey of methods."),
    "music-diffusion": ("Latent Diffusion for Music", "2024-05-28", ["diffusion", "music"],
                        "A diffusion model that plays piano; noise schedules for audio."),
    "noisy-music": ("Noisy Music Labels", "2024-05-20", ["music"],
                    "Learning from noisy labels of music recordings."),
    "hostile": (HOSTILE_TITLE, "2024-05-01", ["security"], HOSTILE_ABSTRACT),
}


def write_site(root: Path) -> Path:
    (root / "content").mkdir(parents=True)
    (root / "site.toml").write_text(textwrap.dedent("""\
        title = "Search shelf"
        base_url = "https://example.org/reading-list/"
        [search]
        enabled = true
        """), encoding="utf-8")
    for slug, (title, day, tags, abstract) in ENTRIES.items():
        quoted = title.replace("\\", "\\\\").replace('"', '\\"')
        tag_list = ", ".join(tags)
        (root / "content" / f"{slug}.md").write_text(
            f'---\ntitle: "{quoted}"\ndate: {day}\nauthors: [Grace Hopper]\ntags: [{tag_list}]\n---\n{abstract}\n',
            encoding="utf-8")
    return root


@pytest.fixture(scope="module")
def site_url(tmp_path_factory):
    root = write_site(tmp_path_factory.mktemp("search-site"))
    out = root / "public"
    build(load_config(root / "site.toml"), out=out)
    with serve(out, "/reading-list/") as url:
        yield url


@pytest.fixture(scope="module")
def browser():
    with needs.launched_chromium("the search page works in a real browser under a subpath") as instance:
        yield instance


@pytest.fixture
def page(browser):
    context = browser.new_context()
    page = context.new_page()
    problems: list[str] = []
    page.on("dialog", lambda dialog: (problems.append(f"dialog opened: {dialog.message}"), dialog.dismiss()))
    page.on("pageerror", lambda error: problems.append(f"page error: {error}"))
    yield page
    context.close()
    assert problems == []


def result_titles(page) -> list[str]:
    return page.locator("#search-results li h2 a").all_text_contents()


def test_query_from_url_types_follow_and_back_keep_the_search(page, site_url):
    page.goto(site_url + "search/?q=survey")
    page.wait_for_function("document.querySelectorAll('#search-results li').length > 0")
    assert page.input_value("#search-input") == "survey"
    assert result_titles(page)[0] == "Key-Value Caches for Long Context"

    page.fill("#search-input", "")
    page.type("#search-input", "piano diffusion")
    page.wait_for_function("location.search.includes('piano')")
    page.wait_for_function(
        "document.querySelector('#search-results li h2 a')?.textContent === 'Latent Diffusion for Music'")
    assert "1 result" in page.text_content("#search-status")
    assert page.locator("#search-results mark").first.text_content().lower() in ("piano", "diffusion")

    page.click("#search-results li h2 a")
    page.wait_for_url("**/reading-list/papers/music-diffusion/")
    page.go_back()
    page.wait_for_function("document.querySelectorAll('#search-results li').length > 0")
    assert page.input_value("#search-input") == "piano diffusion"
    assert result_titles(page)[0] == "Latent Diffusion for Music"


@pytest.mark.parametrize("query, first", [
    ("key", "Key-Value Caches for Long Context"),      # lunr's Python stemmer would index "kei"
    ("5.8%", "Key-Value Caches for Long Context"),     # lunr.js trims "5.8%" to "5.8" on both sides
    ("e.g.", "Key-Value Caches for Long Context"),
    ("plays", "Latent Diffusion for Music"),
    ("+music -noise", "Noisy Music Labels"),           # "noise" stems apart from "noisy": not excluded
    ("title:diffusion", "Latent Diffusion for Music"),
    ("sched*", "Latent Diffusion for Music"),       # prefix of "schedul", the stem of "schedules"
])
def test_lunr_query_syntax_and_trap_words_find_the_paper(page, site_url, query, first):
    page.goto(site_url + "search/")
    page.fill("#search-input", query)
    page.press("#search-input", "Enter")
    page.wait_for_function("document.querySelectorAll('#search-results li').length > 0")
    assert result_titles(page)[0] == first


def test_no_query_no_results_and_what_is_not_syntax_are_explained(page, site_url):
    page.goto(site_url + "search/")
    assert "title:" in page.text_content("#search-status")

    page.fill("#search-input", "zzzqqq")
    page.press("#search-input", "Enter")
    page.wait_for_function("document.querySelector('#search-status').textContent.includes('No results')")
    assert page.text_content("#search-status") == "No results for “zzzqqq”."

    # Not lunr syntax, so words: a field with nothing after it, an unknown field (lunr's parser failed on both).
    page.fill("#search-input", "Latent:")
    page.press("#search-input", "Enter")
    page.wait_for_function("document.querySelector('#search-status').textContent.includes('1 result')")
    assert result_titles(page) == ["Latent Diffusion for Music"]
    page.fill("#search-input", "Music: Noisy Labels")
    page.press("#search-input", "Enter")
    page.wait_for_function("document.querySelector('#search-status').textContent.includes('result')")
    assert result_titles(page)[0] == "Noisy Music Labels"
    page.fill("#search-input", "— : \"")
    page.press("#search-input", "Enter")
    page.wait_for_function("document.querySelector('#search-status').textContent.includes('No words to search')")
    assert page.locator("#search-results li").count() == 0


def test_markup_in_titles_and_abstracts_shows_as_text(page, site_url):
    page.goto(site_url + "search/?q=injection")
    page.wait_for_function("document.querySelectorAll('#search-results li').length > 0")
    item = page.locator("#search-results li").first
    assert item.locator("h2 a").text_content() == HOSTILE_TITLE
    assert "</script><script>alert(1)</script>" in item.locator(".abstract-start").text_content()
    assert page.locator("#search-results img, #search-results script").count() == 0
    # the page fixture fails the test if any dialog opened


def test_a_missing_index_says_so(page, site_url):
    page.route("**/search/manifest.json", lambda route: route.fulfill(status=404, body="missing"))
    page.goto(site_url + "search/?q=music")
    page.wait_for_function("document.querySelector('#search-status').textContent.includes('could not be loaded')")
    assert page.locator("#search-results li").count() == 0


@pytest.fixture(scope="module")
def large_site(tmp_path_factory):
    """A real built site of every paper of the shared corpus (about 2,000)."""
    import sys

    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))
    import corpus

    needs.shared(corpus.DATA, "search in Chromium over a real 2,000-paper site")
    root = tmp_path_factory.mktemp("large-site")
    papers = corpus.real_papers()
    corpus.write_site(papers, root)
    out = root / "public"
    build(load_config(root / "site.toml"), out=out)
    with serve(out, "/shelf/") as url:
        yield url, out, len(papers)


def test_a_one_word_query_fetches_a_small_part_of_the_index(page, large_site):
    url, out, count = large_site
    assert count > 1500
    page.goto(url + "search/?q=diffusion")
    page.wait_for_function("document.querySelectorAll('#search-results li').length > 0")
    fetched = page.evaluate("""() => performance.getEntriesByType('resource')
        .filter((e) => e.name.includes('/search/'))
        .map((e) => [new URL(e.name).pathname, e.encodedBodySize])""")
    whole = sum(p.stat().st_size for p in (out / "search").rglob("*.json"))
    index_files = [path for path, _ in fetched if "/search/terms/" in path]
    assert len(index_files) == 1  # the shard holding "diffus", nothing else of the vocabulary
    assert not [path for path, _ in fetched if "vocabulary" in path]  # (a plain word does not preload it)
    assert "/shelf/search/manifest.json" in [path for path, _ in fetched]
    assert sum(size for _, size in fetched) * 10 < whole
    first_page = page.locator("#search-results li").count()
    assert 0 < first_page < 50  # a page of results; the rest on demand
    page.click("#search-more")
    page.wait_for_function(f"document.querySelectorAll('#search-results li').length > {first_page}")


@pytest.mark.parametrize("query", ["transfomer~1", "*ing", "representations~12"])
def test_a_fuzzy_or_leading_wildcard_query_fetches_the_vocabulary_and_few_shards(page, large_site, query):
    """Before the vocabulary file, such a query fetched every term shard (11.5 MB at 10,000 papers)."""
    url, out, _ = large_site
    page.goto(url + "search/?q=" + query.replace("~", "%7E"))
    page.wait_for_function("document.querySelectorAll('#search-results li').length > 0")
    fetched = page.evaluate("""() => performance.getEntriesByType('resource')
        .filter((e) => e.name.includes('/search/'))
        .map((e) => [new URL(e.name).pathname, e.decodedBodySize])""")
    paths = [path for path, _ in fetched]
    assert "/shelf/search/vocabulary.json" in paths
    # asked for once, by the page's preload (templates/search-preload.js), not after search.js has read the manifest
    asked = page.evaluate("""() => performance.getEntriesByType('resource')
        .filter((e) => e.name.includes('/search/vocabulary.json')).map((e) => e.initiatorType)""")
    assert asked == ["link"]
    shards = [path for path in paths if "/search/terms/" in path]
    every = len(list((out / "search" / "terms").glob("*.json")))
    assert 0 < len(shards) <= every // 3, (len(shards), every)
    whole = sum(p.stat().st_size for p in (out / "search").rglob("*.json"))
    assert sum(size for _, size in fetched) * 4 < whole


def wait_until(page, condition):
    for _ in range(400):
        if condition():
            return
        page.wait_for_timeout(25)
    raise AssertionError("timed out")


def manifest_requests(fetched: list[str]) -> int:
    return sum(1 for url in fetched if url.endswith("/search/manifest.json"))


def test_with_the_manifest_in_before_search_js_runs_the_shards_are_asked_for_while_it_runs(page, site_url):
    """The page's head (templates/search-preload.js) asks for the manifest; when it is in before search.js runs, as it
    usually is, search.js asks for the query's term shard while it runs, before the page's DOMContentLoaded,
    rather than a task later (after the page's first layout). The manifest is still asked for once."""
    fetched, finished, held = [], [], []
    page.on("request", lambda request: fetched.append(request.url))
    page.on("requestfinished", lambda request: finished.append(request.url))
    page.route("**/assets/search.js", lambda route: held.append(route))
    page.goto(site_url + "search/?q=diffusion", wait_until="commit")
    wait_until(page, lambda: held and any(url.endswith("/search/manifest.json") for url in finished))
    page.wait_for_function("window.papershelfSearchStart && window.papershelfSearchStart.manifest !== null")
    held[0].continue_()
    page.wait_for_function("document.querySelectorAll('#search-results li').length > 0")
    shard, loaded = page.evaluate("""() => [
        performance.getEntriesByType('resource').find((e) => e.name.includes('/search/terms/')).startTime,
        performance.getEntriesByType('navigation')[0].domContentLoadedEventStart]""")
    assert 0 < shard < loaded
    assert manifest_requests(fetched) == 1
    assert result_titles(page) == ["Latent Diffusion for Music"]


def test_the_manifest_is_read_before_any_script_file_arrives(page, site_url):
    """The search page's own first script is in its head, not a file: the manifest is asked for and parsed
    while every script file is still on its way (as an async file of its own, it came after the page's
    other files, and the shards were asked for that much later)."""
    fetched, held, released = [], [], []
    page.on("request", lambda request: fetched.append(request.url))
    page.route("**/assets/*.js", lambda route: route.continue_() if released else held.append(route))
    page.goto(site_url + "search/?q=diffusion", wait_until="commit")
    page.wait_for_function("window.papershelfSearchStart && window.papershelfSearchStart.manifest !== null")
    with urllib.request.urlopen(site_url + "search/manifest.json") as response:
        assert page.evaluate("window.papershelfSearchStart.manifest") == json.load(response)
    assert page.evaluate("typeof lunr") == "undefined" and held  # no script file has run
    assert not [url for url in fetched if "search-preload" in url]
    released.append(True)
    for route in held:
        route.continue_()
    page.wait_for_function("document.querySelectorAll('#search-results li').length > 0")
    assert manifest_requests(fetched) == 1
    assert result_titles(page) == ["Latent Diffusion for Music"]


@pytest.mark.parametrize("stale", ["at its own address", "at both addresses"])
def test_a_vocabulary_of_another_build_is_never_combined_with_the_manifest(page, site_url, stale):
    """The page asks for search/vocabulary.json before the manifest is in, at an address without the build's id
    (a cache or a site published meanwhile may give another build's): one naming another build is asked for
    again at the manifest's id; if that one is another build's too, the page says the index could not be
    loaded rather than mixing two builds."""
    import re

    def another_build(route):
        response = route.fetch()
        data = response.json()
        data["id"] = "0" * 16
        route.fulfill(response=response, body=json.dumps(data))

    page.route(re.compile(r"/search/vocabulary\.json$" if stale == "at its own address"
                          else r"/search/vocabulary\.json"), another_build)
    page.goto(site_url + "search/?q=difusion~1")
    page.wait_for_function("document.querySelector('#search-status').textContent.includes('result') || "
                           "document.querySelector('#search-status').textContent.includes('could not')")
    asked = page.evaluate("""() => performance.getEntriesByType('resource')
        .filter((e) => e.name.includes('/search/vocabulary.json')).map((e) => new URL(e.name).search)""")
    assert asked[0] == "" and len(asked) == 2 and asked[1].startswith("?v=")
    if stale == "at its own address":
        assert page.text_content("#search-results li:first-child h2") == "Latent Diffusion for Music"
    else:
        assert "could not be loaded" in page.text_content("#search-status")
        assert page.locator("#search-results li").count() == 0


def test_an_open_search_page_takes_a_rebuilt_index_when_the_preview_announces_it(page, tmp_path):
    """`papershelf serve` writes an edit's search index after its pages and then tells open pages
    (a "papershelf:search-index" event on window): the search page drops the old index and runs the
    query on screen again, without a reload."""
    from papershelf.build import BuildCache

    root = write_site(tmp_path / "site")
    config, out, cache = load_config(root / "site.toml"), root / "public", BuildCache()
    build(config, out=out, cache=cache)
    with serve(out, "/reading-list/") as url:
        page.goto(url + "search/?q=zebrafish")
        page.wait_for_function("document.querySelector('#search-status').textContent.includes('No results')")
        page.evaluate("window.__sameDocument = true")
        time.sleep(1.1)   # this test server revalidates by Last-Modified, whose resolution is one second
        (root / "content" / "zebrafish.md").write_text(
            "---\ntitle: Zebrafish Larvae Tracking\ndate: 2024-06-02\ntags: [biology]\n---\nPose tracking.\n",
            encoding="utf-8")
        result = build(config, out=out, cache=cache)
        assert result.mode == "in-place"   # the preview's path: the index files replaced in the same folder
        page.evaluate("window.dispatchEvent(new CustomEvent('papershelf:search-index'))")
        page.wait_for_function("document.querySelectorAll('#search-results li').length > 0")
        assert result_titles(page) == ["Zebrafish Larvae Tracking"]
        assert page.evaluate("window.__sameDocument") is True   # no reload happened


def test_pasted_titles_as_shown_on_their_pages_find_their_papers_first(page, large_site):
    """A sample of the real titles, copied from each paper page's heading (innerText, as a reader
    copies it) and pasted into the search box: each paper comes first (all ~2,000 are checked under
    Node in tests/test_search_known_item.py). One typo still finds the paper, and the page says why."""
    import random
    import re
    from urllib.parse import quote

    url, out, _ = large_site
    slugs = sorted(p.name for p in (out / "papers").iterdir() if p.is_dir())
    sample = random.Random(5).sample(slugs, 24)
    with_colon = 0
    for slug in sample:
        page.goto(url + f"papers/{slug}/")
        title = page.evaluate("document.querySelector('h1').innerText").strip()
        with_colon += bool(re.search(r"\w:", title))
        page.goto(url + "search/?q=" + quote(title))
        page.wait_for_function("document.querySelectorAll('#search-results li').length > 0", timeout=20_000)
        first = page.locator("#search-results li h2 a").first.get_attribute("href")
        assert first == f"/shelf/papers/{slug}/", (title, first)
        assert "Could not read" not in page.text_content("#search-status")
    assert with_colon >= 10   # lunr's own parser failed on every one of these

    words = re.findall(r"[A-Za-z]{6,}", title)   # the last sample's title
    wrong = title.replace(words[0], words[0][0] + words[0][2:], 1)    # one letter left out
    page.fill("#search-input", wrong)
    page.press("#search-input", "Enter")
    page.wait_for_function("document.querySelector('#search-status').textContent.includes('No paper has every word')")
    page.wait_for_function("document.querySelectorAll('#search-results li').length > 0")
    assert page.locator("#search-results li h2 a").first.get_attribute("href") == f"/shelf/papers/{sample[-1]}/"
