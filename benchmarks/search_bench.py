"""Search at scale: index build time, index size, and time and bytes to the first result in headless Chromium.

    python benchmarks/search_bench.py --corpus /tmp/bench-10000 [--runs 5] [--latency-ms 50] [--compare-lunr]

The corpus is a site folder made by benchmarks/corpus.py. The benchmark builds the
split search index (papershelf.search.build_search_index), writes it with lunr.js,
the default theme's static files (search.js, style.css, site.js) and the search page
rendered by the real theme (templates/search.html through papershelf's Renderer),
serves it on loopback with gzip (as GitHub Pages does), and for each query opens
search/?q=<query> in a fresh browser context (empty cache) and measures:

- time from navigation start to the first result element in the DOM (performance.now()),
  or, for a query that finds nothing, to the status line's final message;
- bytes fetched by then: the compressed (transfer) size of every response that
  finished before that moment, the page itself included, and the raw size of the
  search files among them;
- requests in sequence: the longest chain among those responses in which each request
  started only after the previous one's response had begun to arrive (the page is the
  first): the round trips the first result waited for one after another.

``--latency-ms N`` adds N ms to every request with Chromium's network emulation
(CDP ``Network.emulateNetworkConditions``), as a host that is not loopback would.

``run(corpus, ...)`` returns the figures as a dict for benchmarks/run.py.
"""

from __future__ import annotations

import argparse
import contextlib
import gzip
import json
import statistics
import sys
import tempfile
import threading
import time
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import quote, urlsplit

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from papershelf.config import load_config  # noqa: E402
from papershelf.content import load_content  # noqa: E402
from papershelf.search import build_search_index, field_boosts, search_documents  # noqa: E402

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking"]
# Plain words (one, several: all required), one field, prefixes, +/-, and the queries that expand over the
# whole vocabulary: fuzzy (within the limits and beyond: searched as ~2) and leading wildcards.
# Then the most common search on a reading list: a real title pasted, as shown and with one typo.
QUERIES = ["diffusion", "language model", "reinforcement learning", "title:video", "token*", "a*", "+music -noise",
           "transfomer~1", "difusion~2", "representations~12", "*ing", "title:*",
           "VLMEvalKit: An Open-Source Toolkit for Evaluating Large Multi-Modality Models",
           "Simplified and Generalized Masked Difusion for Discrete Data"]
# Marks the first result's arrival (or the final "No results" / failure message); performance.now()
# counts from navigation start. It then says so on the console (DONE_MESSAGE), which the benchmark waits
# for: Playwright's own page script, which wait_for_function would evaluate in the page while it loads
# (a 30 ms task on the main thread in one trace), must not run before the moment measured.
DONE_MESSAGE = "papershelf-bench: done"
FIRST_RESULT = """
performance.setResourceTimingBufferSize(100000);  // the default 250 entries undercount whole-index queries
new MutationObserver(function (_, observer) {
  var status = document.querySelector('#search-status');
  if (document.querySelector('#search-results li')) {
    window.__firstResult = performance.now();
  } else if (status && /No results|could not/i.test(status.textContent)) {
    window.__noResult = performance.now();
  } else {
    return;
  }
  observer.disconnect();
  console.info('%s');
}).observe(document, {childList: true, subtree: true, characterData: true});
""" % DONE_MESSAGE
BYTES_BY = """(t) => {
  const nav = performance.getEntriesByType('navigation')[0];
  let bytes = nav.encodedBodySize, files = 1, searchRaw = 0, searchFiles = 0;
  for (const e of performance.getEntriesByType('resource')) {
    if (e.responseEnd <= t) {
      bytes += e.encodedBodySize; files += 1;
      if (e.name.includes('/search/')) { searchRaw += e.decodedBodySize; searchFiles += 1; }
    }
  }
  return [bytes, files, searchRaw, searchFiles];
}"""
# The longest chain of requests, each started after the previous one's response began, among the
# responses finished by t (the navigation is the chain's first link).
SEQUENCE_BY = """(t) => {
  const nav = performance.getEntriesByType('navigation')[0];
  const done = [{start: 0, first: nav.responseStart, depth: 1}];
  const entries = performance.getEntriesByType('resource').filter((e) => e.responseEnd <= t)
    .sort((a, b) => a.startTime - b.startTime);
  let deepest = 1;
  for (const e of entries) {
    let depth = 1;
    for (const d of done) if (d.first <= e.startTime) depth = Math.max(depth, d.depth + 1);
    done.push({start: e.startTime, first: e.responseStart, depth: depth});
    deepest = Math.max(deepest, depth);
  }
  return deepest;
}"""


def search_page() -> str:
    """The search page as the default theme renders it for a site at the server's root."""
    from papershelf.config import Config
    from papershelf.pages import Page
    from papershelf.render import Renderer

    config = Config(title="Search benchmark", base_url="http://127.0.0.1/")
    return Renderer(config, search=True).render(Page("search/index.html", "search/", "search.html", "search page",
                                                       {"shelves_in_nav": True}))


def write_search_site(files: dict[str, str], out: Path) -> None:
    for rel, text in {**files, "search/index.html": search_page()}.items():
        target = out / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8", errors="surrogatepass")
    (out / "assets").mkdir(exist_ok=True)
    (out / "assets" / "lunr.min.js").write_bytes((ROOT / "node_modules/lunr/lunr.min.js").read_bytes())
    for static in sorted((ROOT / "themes/default/static").iterdir()):
        (out / "assets" / static.name).write_bytes(static.read_bytes())


class GzipHandler(SimpleHTTPRequestHandler):
    """Static files, gzipped (level 6) when the browser accepts it, like GitHub Pages (compressed once, kept)."""

    compressed: dict[Path, bytes] = {}

    def do_GET(self):
        path = Path(self.translate_path(urlsplit(self.path).path))
        if path.is_dir():
            path = path / "index.html"
        if not path.is_file():
            self.send_error(404)
            return
        body = path.read_bytes()
        self.send_response(200)
        self.send_header("Content-Type", self.guess_type(str(path)))
        if "gzip" in self.headers.get("Accept-Encoding", ""):
            if path not in self.compressed:
                self.compressed[path] = gzip.compress(body, 6, mtime=0)
            body = self.compressed[path]
            self.send_header("Content-Encoding", "gzip")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


@contextlib.contextmanager
def served(folder: Path):
    """``folder`` on a free loopback port with gzip (GzipHandler); yields the root URL."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), partial(GzipHandler, directory=str(folder)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()


def sizes(files: dict[str, str]) -> dict[str, int]:
    raw = gz = 0
    for text in files.values():
        data = text.encode("utf-8", "surrogatepass")
        raw += len(data)
        gz += len(gzip.compress(data, 6, mtime=0))
    return {"files": len(files), "raw_bytes": raw, "gzip_bytes": gz}


def measure(url: str, queries: list[str], runs: int, latency_ms: float = 0) -> dict[str, dict]:
    from playwright.sync_api import sync_playwright

    out = {}
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=ARGS)
        try:
            for query in queries:
                times, fetched, counts, raw, chains, status = [], [], [], [], [], ""
                found = True
                for _ in range(runs):
                    context = browser.new_context()  # an empty cache every time
                    page = context.new_page()
                    page.add_init_script(FIRST_RESULT)
                    if latency_ms:
                        cdp = context.new_cdp_session(page)
                        cdp.send("Network.enable")
                        cdp.send("Network.emulateNetworkConditions", {
                            "offline": False, "latency": latency_ms, "downloadThroughput": -1, "uploadThroughput": -1})
                    with page.expect_console_message(lambda m: m.text == DONE_MESSAGE, timeout=120_000):
                        page.goto(f"{url}search/?q={quote(query)}", wait_until="commit")
                    first = page.evaluate("window.__firstResult")
                    if first is None:
                        found = False
                        first = page.evaluate("window.__noResult")
                    page.wait_for_timeout(50)  # let resource timing entries land
                    nbytes, nfiles, search_raw, _ = page.evaluate(BYTES_BY, first)
                    chains.append(page.evaluate(SEQUENCE_BY, first))
                    status = page.text_content("#search-status")
                    times.append(first)
                    fetched.append(nbytes)
                    counts.append(nfiles)
                    raw.append(search_raw)
                    context.close()
                out[query] = {"first_result_ms" if found else "no_result_ms": statistics.median(times),
                              "kb_fetched": statistics.median(fetched) / 1024,
                              "search_kb_raw": statistics.median(raw) / 1024,
                              "files_fetched": statistics.median(counts),
                              "requests_in_sequence": statistics.median(chains), "status": status}
        finally:
            browser.close()
    return out


def run(corpus: Path, runs: int = 5, queries: list[str] | None = None, compare_lunr: bool = False,
        build_runs: int = 3, latency_ms: float = 0) -> dict:
    config = load_config(corpus / "site.toml")
    papers, _ = load_content(config.content_path)
    result: dict = {"papers": len(papers)}
    texts, _ = search_documents(papers)
    timings = []
    for _ in range(build_runs):
        start = time.perf_counter()
        files = build_search_index(papers, config.search)
        timings.append(time.perf_counter() - start)
    result["build_s"] = statistics.median(timings)
    if compare_lunr:
        sys.path.insert(0, str(ROOT / "tests"))
        from papershelf.search import build_index
        from lunr_package_index import lunr_package_index

        for name, fn in [("fast_builder_s", lambda: build_index(texts, config.search)),
                         ("lunr_package_builder_s", lambda: lunr_package_index(texts, field_boosts(config.search)))]:
            runs_ = []
            for _ in range(build_runs):
                start = time.perf_counter()
                fn()
                runs_.append(time.perf_counter() - start)
            result[name] = statistics.median(runs_)
    result["index"] = sizes(files)
    result["terms_shards"] = sizes({k: v for k, v in files.items() if k.startswith("search/terms/")})
    result["doc_chunks"] = sizes({k: v for k, v in files.items() if k.startswith("search/docs/")})
    with tempfile.TemporaryDirectory() as tmp:
        write_search_site(files, Path(tmp))
        with served(Path(tmp)) as url:
            result["latency_ms"] = latency_ms
            result["queries"] = measure(url, queries or QUERIES, runs, latency_ms)
    found = [q["first_result_ms"] for q in result["queries"].values() if "first_result_ms" in q]
    if found:
        result["median_first_result_ms"] = statistics.median(found)
        result["median_kb_fetched"] = statistics.median(q["kb_fetched"] for q in result["queries"].values())
        result["median_requests_in_sequence"] = statistics.median(
            q["requests_in_sequence"] for q in result["queries"].values())
    return result


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path, required=True, help="a site folder made by benchmarks/corpus.py")
    parser.add_argument("--runs", type=int, default=5, help="page loads per query (median reported)")
    parser.add_argument("--build-runs", type=int, default=3)
    parser.add_argument("--compare-lunr", action="store_true", help="also time the lunr package's Builder")
    parser.add_argument("--query", action="append", help="a query to measure (repeatable)")
    parser.add_argument("--latency-ms", type=float, default=0,
                        help="add this latency to every request (Chromium's network emulation)")
    args = parser.parse_args(argv)
    print(json.dumps(run(args.corpus, args.runs, args.query, args.compare_lunr, args.build_runs, args.latency_ms),
                     indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
