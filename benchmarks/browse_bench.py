"""The browse view at scale: bytes fetched and time to the first filtered list, and time per facet click,
in headless Chromium.

    python benchmarks/browse_bench.py --corpus /tmp/bench-10000 [--runs 5] [--no-query] [--hover MS]

The corpus is a site folder made by benchmarks/corpus.py. Its entries have no reading status, rating or
code link, so the benchmark gives them some, deterministically and sparsely, as a curated list would
have them (a third with a status, a quarter rated, a quarter with code), before making the browse files
with the build's own function (papershelf.exports.browse_files; the time of a second call, its Markdown
already converted, is the build's cost). It writes them with the browse page rendered by the real theme
(templates/browse.html through papershelf's Renderer), the theme's static files, lunr.js and (unless
--no-query) the search index, serves the folder on loopback with gzip (as GitHub Pages does) and, for
each address of ADDRESSES, opens it in a fresh browser context (empty cache) and measures:

- time from navigation start to the first filtered list: the list's first card on screen (not a
  placeholder), with the counts and status line of that state (#browse[data-counted]), and to the
  whole page of cards (browse.js marks it on #browse[data-shown]);
- bytes fetched by the whole page: the compressed (transfer) size of every response finished by that moment,
  the page itself, its scripts and style included;
- then, on the same page, the time of each facet click of CLICKS, from the click to the new counts and
  list state (#browse[data-counted]), to the list's new first card and to the whole new page of cards
  on screen (#browse[data-shown]: the cards' chunks fetched and the cards made). With ``--hover MS`` the
  pointer rests on the control (a select gets focus) MS ms before each click, as a mouse's does; the
  view fetches the cards that control would show meanwhile.

``run(corpus, ...)`` returns the figures as a dict.
"""

from __future__ import annotations

import argparse
import dataclasses
import gzip
import json
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from papershelf.config import Config, load_config  # noqa: E402
from papershelf.content import load_content  # noqa: E402
from papershelf.exports import BROWSE_FACETS, browse_files  # noqa: E402
from papershelf.incremental import PaperDigests  # noqa: E402
from papershelf.markdown import MarkdownRenderer  # noqa: E402
from papershelf.model import STATUSES  # noqa: E402
from papershelf.pages import Page  # noqa: E402
from papershelf.render import Renderer  # noqa: E402
from papershelf.search import build_search_index  # noqa: E402
from search_bench import ARGS, CHROMIUM, DONE_MESSAGE, served  # noqa: E402

# Addresses opened cold ({tag0}, {tag1}: the two most used tags): no filter at all, one tag and a year,
# an "all of" pair with rating and code sorted by upvotes, a status sorted by title (fetches the title
# order too), a query with a tag (fetches search.js, lunr.js and the index's shards too).
ADDRESSES = [
    "browse/",
    "browse/?tag={tag0}&from=2023",
    "browse/?tag={tag0}&tag={tag1}&match=all&rating=3&code=1&sort=upvotes",
    "browse/?status=read&sort=title",
    "browse/?q=diffusion&tag={tag1}",
]
# Clicks made one after another on the page opened at "browse/": (what, selector, value for a select).
CLICKS = [
    ("tag", "#browse-tags li:nth-child(1) input", None),
    ("second tag", "#browse-tags li:nth-child(2) input", None),
    ("all of", "#facet-tags input[value=all]", None),
    ("any of", "#facet-tags input[value=any]", None),
    ("year from", "#browse-from", "{year}"),
    ("status", "#browse-statuses input[value=read]", None),
    ("rating", "#browse-ratings input[value='2']", None),
    ("code", "#browse-code", None),
    ("sort by title", "#browse-sort", "title"),
    ("clear filters", "#browse-clear", None),
    ("sort by upvotes", "#browse-sort", "upvotes"),
    ("next page", "#browse-next", None),
]

FIRST_LIST = """
performance.setResourceTimingBufferSize(100000);
new MutationObserver(function (_, observer) {
  var root = document.getElementById('browse'), first = document.querySelector('#browse-results li');
  var none = root && /No paper/.test(document.getElementById('browse-status').textContent);
  if (window.__firstCards === undefined && root && root.hasAttribute('data-counted') &&
      ((first && !first.hasAttribute('data-pending')) || none)) {
    window.__firstCards = performance.now();
  }
  if (root && root.hasAttribute('data-shown') && (first || none)) {
    window.__firstList = performance.now();
    observer.disconnect();
    console.info('%s');
  }
}).observe(document, {childList: true, subtree: true, attributes: true});
""" % DONE_MESSAGE
BYTES_BY = """(t) => {
  const nav = performance.getEntriesByType('navigation')[0];
  let bytes = nav.encodedBodySize, files = 1, data = 0;
  for (const e of performance.getEntriesByType('resource')) {
    if (e.responseEnd <= t) {
      bytes += e.encodedBodySize; files += 1;
      if (e.name.includes('/browse/')) data += e.encodedBodySize;
    }
  }
  return [bytes, files, data];
}"""
CLICK = """async ([selector, value]) => {
  const root = document.getElementById('browse'), before = root.getAttribute('data-shown');
  const list = document.getElementById('browse-results');
  let counted = null, listed = null, replaced = false;
  const done = new Promise((resolve) => new MutationObserver((records, observer) => {
    if (counted === null && root.getAttribute('data-counted') !== before) counted = performance.now();
    replaced = replaced || records.some((r) => r.target === list && r.type === 'childList');
    if (listed === null && counted !== null && replaced) {
      const first = document.querySelector('#browse-results li');
      if (!first || !first.hasAttribute('data-pending')) listed = performance.now();
    }
    if (root.getAttribute('data-shown') !== before) { observer.disconnect(); resolve(performance.now()); }
  }).observe(root, {attributes: true, childList: true, subtree: true}));
  const target = document.querySelector(selector);
  const start = performance.now();
  if (value === null) target.click();
  else { target.value = value; target.dispatchEvent(new Event('change', {bubbles: true})); }
  const end = await Promise.race([done, new Promise((r) => setTimeout(() => r(null), 10000))]);
  return end === null ? null : [counted - start, end - start, (listed === null ? end : listed) - start];
}"""


def curated(papers: list, seed: int = 3) -> list:
    """The corpus's papers with a status, rating and code link on some, as a curated list has them."""
    rng = random.Random(seed)
    out = []
    for paper in papers:
        status = rng.choice(STATUSES) if rng.random() < 0.33 else ""
        rating = rng.randint(1, 5) if rng.random() < 0.25 else None
        code = f"https://github.com/example/{paper.slug[:40]}" if rng.random() < 0.25 else ""
        out.append(dataclasses.replace(paper, status=status, rating=rating,
                                       links=dataclasses.replace(paper.links, code=code)))
    return out


PAGE_CONFIG = Config(title="Browse benchmark", base_url="http://127.0.0.1/")   # per_page: the default


def browse_page(search: bool) -> str:
    page = Page("browse/index.html", "browse/", "browse.html", "browse page", {"shelves_in_nav": True})
    return Renderer(PAGE_CONFIG, search=search).render(page)


def write_site(files: dict[str, str], out: Path, search: bool) -> None:
    for rel, text in {**files, "browse/index.html": browse_page(search)}.items():
        target = out / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8", errors="surrogatepass")
    (out / "assets").mkdir(exist_ok=True)
    (out / "assets" / "lunr.min.js").write_bytes((ROOT / "node_modules/lunr/lunr.min.js").read_bytes())
    for static in sorted((ROOT / "themes/default/static").iterdir()):
        (out / "assets" / static.name).write_bytes(static.read_bytes())


def sizes(files: dict[str, str]) -> dict[str, int]:
    raw = gz = 0
    for text in files.values():
        data = text.encode("utf-8", "surrogatepass")
        raw += len(data)
        gz += len(gzip.compress(data, 6, mtime=0))
    return {"files": len(files), "raw_bytes": raw, "gzip_bytes": gz}


def measure(url: str, addresses: list[str], runs: int, year: int, hover_ms: int = 0) -> dict:
    from playwright.sync_api import sync_playwright

    out: dict = {"open": {}, "clicks": {}}
    clicks: dict[str, list[float]] = {name: [] for name, _, _ in CLICKS}
    counted: dict[str, list[float]] = {name: [] for name, _, _ in CLICKS}
    listed: dict[str, list[float]] = {name: [] for name, _, _ in CLICKS}
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=ARGS)
        try:
            for address in addresses:
                times, cards, fetched, counts, data, status = [], [], [], [], [], ""
                for _ in range(runs):
                    context = browser.new_context()   # an empty cache every time
                    page = context.new_page()
                    page.add_init_script(FIRST_LIST)
                    with page.expect_console_message(lambda m: m.text == DONE_MESSAGE, timeout=120_000):
                        page.goto(url + address, wait_until="commit")   # (no page script of Playwright's before)
                    first = page.evaluate("window.__firstList")
                    cards.append(page.evaluate("window.__firstCards"))
                    page.wait_for_timeout(50)   # let resource timing entries land
                    nbytes, nfiles, browse_bytes = page.evaluate(BYTES_BY, first)
                    status = page.text_content("#browse-status")
                    times.append(first)
                    fetched.append(nbytes)
                    counts.append(nfiles)
                    data.append(browse_bytes)
                    if address == "browse/":
                        for name, selector, value in CLICKS:
                            if hover_ms:   # the pointer on the control (a select: focus) before the click
                                (page.focus if value else page.hover)(selector)
                                page.wait_for_timeout(hover_ms)
                            took = page.evaluate(CLICK, [selector, value.format(year=year) if value else None])
                            if took is not None:
                                counted[name].append(took[0])
                                clicks[name].append(took[1])
                                listed[name].append(took[2])
                    context.close()
                out["open"][address] = {"first_cards_ms": statistics.median(cards),
                                        "first_list_ms": statistics.median(times),
                                        "kb_fetched": statistics.median(fetched) / 1024,
                                        "browse_data_kb": statistics.median(data) / 1024,
                                        "files_fetched": statistics.median(counts), "status": status,
                                        "runs_ms": times}
        finally:
            browser.close()
    for name, values in clicks.items():
        out["clicks"][name] = {"median_ms": statistics.median(values) if values else None,
                               "counts_median_ms": statistics.median(counted[name]) if values else None,
                               "first_card_median_ms": statistics.median(listed[name]) if values else None,
                               "max_ms": max(values) if values else None, "runs": len(values)}
    every = [v for values in clicks.values() for v in values]
    out["counts_all"] = {"median_ms": statistics.median([v for vs in counted.values() for v in vs]),
                         "max_ms": max(v for vs in counted.values() for v in vs)}
    first = sorted(v for vs in listed.values() for v in vs)
    out["first_card_all"] = {"median_ms": statistics.median(first), "max_ms": first[-1],
                             "p90_ms": first[int(0.9 * (len(first) - 1))]}
    out["clicks_all"] = {"median_ms": statistics.median(every), "max_ms": max(every),
                         "p90_ms": sorted(every)[int(0.9 * (len(every) - 1))], "clicks": len(every)}
    return out


def run(corpus: Path, runs: int = 5, query: bool = True, hover_ms: int = 0) -> dict:
    config = load_config(corpus / "site.toml")
    papers, _ = load_content(config.content_path)
    papers = curated(sorted((p for p in papers if not p.draft), key=lambda p: p.sort_key()))
    md = MarkdownRenderer(config.allow_raw_html)
    digests = PaperDigests().update(papers)
    browse_files(papers, md, digests, first=PAGE_CONFIG.per_page)   # converts the abstracts, as the build's workers have by then
    start = time.perf_counter()
    files = browse_files(papers, md, digests, first=PAGE_CONFIG.per_page)
    result: dict = {"papers": len(papers), "browse_files_s": time.perf_counter() - start,
                    "facets": sizes({BROWSE_FACETS: files[BROWSE_FACETS]}),
                    "items": sizes({k: v for k, v in files.items() if k != BROWSE_FACETS})}
    facets = json.loads(files[BROWSE_FACETS])
    tag0, tag1 = facets["tags"][0][1], facets["tags"][1][1]
    years = sorted({p.year for p in papers if p.year})
    year = years[len(years) // 2]
    addresses = [a.format(tag0=tag0, tag1=tag1) for a in ADDRESSES if query or "q=" not in a]
    if query:
        files.update(build_search_index(papers, config.search, text=md.text))
    with tempfile.TemporaryDirectory() as tmp:
        write_site(files, Path(tmp), search=query)
        with served(Path(tmp)) as url:
            result.update(measure(url, addresses, runs, year, hover_ms))
    return result


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path, required=True, help="a site folder made by benchmarks/corpus.py")
    parser.add_argument("--runs", type=int, default=5, help="page loads per address (median reported)")
    parser.add_argument("--no-query", action="store_true", help="skip the address with a query (no search index)")
    parser.add_argument("--hover", type=int, default=0, metavar="MS",
                        help="rest the pointer on each control (focus a select) MS ms before its click")
    args = parser.parse_args(argv)
    print(json.dumps(run(args.corpus, args.runs, not args.no_query, args.hover), indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
