"""How soon an edit shows in the live preview: `papershelf serve` and headless Chromium, end to end.

    python benchmarks/preview_bench.py --corpus /tmp/papershelf-bench/corpus-10000 [--edits 5] [--json FILE]

The corpus is a site folder made by benchmarks/corpus.py. The benchmark starts the
real preview server (`papershelf serve --port 0`) on the corpus, waits for its first
build, and opens a paper's page in headless Chromium. For each edit it opens another
paper's page, appends a unique sentence to that entry's abstract (rewriting the whole
file, as an editor saves), and waits, without navigating, until the sentence is in
the page's DOM: the file watcher's debounce, the rebuild, the live-reload event and
the browser's reload are all inside the figure. The moment the sentence appears is
taken in the browser (a MutationObserver installed in every document notes
``performance.timeOrigin + performance.now()``) and compared with the wall clock
just before the write; both clocks are the same machine's. The entry is then
restored byte for byte (modification time included) and the next edit waits until
the page has lost the sentence and the server has finished rebuilding.

The server's own line for each build ("build N: P pages (R rendered) in T ms") gives
its build time; it counts until the search index and feeds have caught up, so it can
exceed the time the edit took to appear.

``run(corpus, edits)`` returns the figures as a dict for benchmarks/run.py.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import signal
import statistics
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking"]
SERVING = re.compile(r"Serving on (\S+)")
BUILD = re.compile(r"build (\d+): (\d+) pages \((\d+) rendered\) in (\d+) ms")
FAILED = re.compile(r"build (\d+) failed")
NOTES = re.compile(r"^#{1,6}\s*notes\s*#*\s*$", re.IGNORECASE | re.MULTILINE)  # where the abstract ends
FIRST_BUILD_TIMEOUT = 1800.0   # a cold build of 100,000 papers takes minutes
EDIT_TIMEOUT = 120.0
QUIET = 1.0                    # no new build line for this long: the server has settled
# In every document: the moment (epoch ms) the parser put the awaited text (kept in sessionStorage, which
# survives the reload) into the page, without waiting for Playwright's polling to reattach after the reload.
WATCH = """(() => {
  const text = sessionStorage.getItem('previewBenchMarker');
  if (!text) return;
  const observer = new MutationObserver(() => {
    if (document.body && document.body.textContent.includes(text)) {
      window.__markerSeenAt = performance.timeOrigin + performance.now();
      observer.disconnect();
    }
  });
  observer.observe(document, {childList: true, subtree: true, characterData: true});
})();"""
# Once the page holds the text: that moment (or now when the observer missed it), and the document's navigation
# (when it began, epoch ms; its kind; ms from then to the first byte...), read in the same call: the preview may
# reload the page again when the rebuild that follows an early page is done, and a second call could meet that
# reload (or another document).
SEEN = """(text) => {
  const seen = window.__markerSeenAt || (document.body && document.body.textContent.includes(text)
                                         && performance.timeOrigin + performance.now());
  if (!seen) return false;
  const nav = performance.getEntriesByType('navigation')[0] || {};
  return {seen: seen, origin: performance.timeOrigin, type: nav.type || '', first_byte: nav.responseStart || 0,
          response_end: nav.responseEnd || 0, interactive: nav.domInteractive || 0};
}"""
GONE = "(text) => document.body && !document.body.textContent.includes(text)"


class Server:
    """`papershelf serve` as a subprocess; a thread reads its output and keeps the build lines."""

    def __init__(self, corpus: Path, port: int):
        exe = Path(sys.executable).parent / "papershelf"
        command = [str(exe)] if exe.exists() else [sys.executable, "-m", "papershelf"]
        command += ["serve", "--config", str(corpus / "site.toml"), "--port", str(port)]
        # Its own session: Ctrl-C reaches only us, and stop() can clear the server's render workers too.
        self.proc = subprocess.Popen(command, cwd=corpus, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                     text=True, bufsize=1, env={**os.environ, "PYTHONUNBUFFERED": "1"},
                                     start_new_session=True)
        self.log: list[str] = []
        self.url: str | None = None
        self.builds: list[dict] = []   # {"build", "pages", "rendered", "ms", "at"} in the order printed
        self._cond = threading.Condition()
        self._done = False
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        for line in self.proc.stdout:
            with self._cond:
                self.log.append(line.rstrip("\n"))
                if m := BUILD.search(line):
                    self.builds.append({"build": int(m[1]), "pages": int(m[2]), "rendered": int(m[3]),
                                        "ms": int(m[4]), "at": time.time()})
                elif m := FAILED.search(line):
                    self.builds.append({"build": int(m[1]), "failed": True, "at": time.time()})
                elif (m := SERVING.search(line)) and self.url is None:
                    self.url = m[1]
                self._cond.notify_all()
        with self._cond:
            self._done = True
            self._cond.notify_all()

    def _wait(self, ready, timeout: float, what: str):
        with self._cond:
            if not self._cond.wait_for(lambda: ready() or self._done, timeout):
                raise TimeoutError(f"no {what} after {timeout:.0f} s; server output:\n" + self.tail())
            if not ready():
                raise RuntimeError(f"the server exited before {what}:\n" + self.tail())
            return ready()

    def wait_url(self, timeout: float = FIRST_BUILD_TIMEOUT) -> str:
        return self._wait(lambda: self.url, timeout, "'Serving on' line")

    def build_count(self) -> int:
        with self._cond:
            return len(self.builds)

    def wait_build(self, after: int, timeout: float = EDIT_TIMEOUT) -> dict:
        """The first build line printed after ``after`` lines had been; a failed build is an error."""
        build = self._wait(lambda: len(self.builds) > after and self.builds[after], timeout, "build line")
        if build.get("failed"):
            raise RuntimeError(f"build {build['build']} failed:\n" + self.tail())
        return build

    def wait_quiet(self, quiet: float = QUIET, timeout: float = EDIT_TIMEOUT) -> None:
        """Until no build line has come for ``quiet`` seconds (a rebuild queued during the last one has run)."""
        deadline = time.time() + timeout
        while time.time() < deadline:
            seen = self.build_count()
            time.sleep(quiet)
            if self.build_count() == seen:
                return

    def tail(self, lines: int = 20) -> str:
        return "\n".join(self.log[-lines:])

    def stop(self) -> None:
        """SIGINT (as Ctrl-C), then SIGKILL; then any worker the server forked and left behind."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        try:   # the group is the server's own (start_new_session): nothing else is in it
            os.killpg(self.proc.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass


def with_marker(text: str, marker: str) -> str:
    """The entry with ``marker`` as the last sentence of its abstract (before a Notes heading if there is one)."""
    after_fm = text.partition("\n---\n")[2] if text.startswith("---") else text
    head = text[: len(text) - len(after_fm)]
    m = NOTES.search(after_fm)
    if m is None:
        return head + after_fm.rstrip() + f" {marker}\n"
    return head + after_fm[: m.start()].rstrip() + f" {marker}\n\n" + after_fm[m.start():]


def pick_entries(content: Path, count: int) -> list[Path]:
    """``count`` different entries spread over the corpus (the same ones every run)."""
    entries = sorted(content.glob("*.md"))
    if count > len(entries):
        raise SystemExit(f"--edits {count}: the corpus has only {len(entries)} entries")
    picked: list[Path] = []
    step = 7919   # a prime: successive picks land far apart in the sorted list
    i = 1
    while len(picked) < count:
        entry = entries[(i * step) % len(entries)]
        if entry not in picked:
            picked.append(entry)
        i += 1
    return picked


def edit_once(page, server: Server, url: str, entry: Path, number: int) -> dict:
    """One edit, measured; the entry is restored (bytes and mtime) and the server settled before returning."""
    slug = entry.stem.lower()   # content.load_content's slug
    page.goto(f"{url}papers/{slug}/", wait_until="load")
    page.wait_for_timeout(300)   # the reload script's event stream is open and the page idle
    original = entry.read_bytes()
    stat = entry.stat()
    marker = f"Preview benchmark sentence {uuid.uuid4().hex[:12]} for edit {number}."
    edited = with_marker(original.decode("utf-8"), marker).encode("utf-8")
    page.evaluate("(text) => sessionStorage.setItem('previewBenchMarker', text)", marker)
    before = server.build_count()
    try:
        written_at = time.time()
        entry.write_bytes(edited)
        handle = page.wait_for_function(SEEN, arg=marker, polling=10, timeout=EDIT_TIMEOUT * 1000)
        nav = handle.json_value()   # the moment and the reload that brought the edit
        seen_ms = nav["seen"]
        caller_s = time.time() - written_at
        build = server.wait_build(before)
    finally:
        entry.write_bytes(original)
        os.utime(entry, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    page.wait_for_function(GONE, arg=marker, polling=50, timeout=EDIT_TIMEOUT * 1000)
    server.wait_build(before + 1)
    server.wait_quiet()
    return {"slug": slug, "seen_s": seen_ms / 1000 - written_at, "seen_by_caller_s": caller_s,
            "reload_started_s": nav["origin"] / 1000 - written_at, "first_byte_s": nav["first_byte"] / 1000,
            "response_end_s": nav["response_end"] / 1000, "dom_interactive_s": nav["interactive"] / 1000,
            "navigation": nav["type"],
            "server_build_ms": build["ms"], "server_rendered": build["rendered"], "server_build": build["build"]}


def run(corpus: Path, edits: int = 5, port: int = 0, progress=None) -> dict:
    """Start the preview, make ``edits`` edits one after another; figures in seconds from each write."""
    from playwright.sync_api import sync_playwright

    corpus = corpus.resolve()
    entries = pick_entries(corpus / "content", edits)
    server = Server(corpus, port)
    results: list[dict] = []
    try:
        started = time.time()
        url = server.wait_url()
        first = server.wait_build(0, timeout=5)
        startup_s = time.time() - started
        server.wait_quiet()
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=ARGS)
            try:
                page = browser.new_page()
                page.add_init_script(WATCH)
                for number, entry in enumerate(entries):
                    results.append(edit_once(page, server, url, entry, number))
                    if progress:
                        progress(results[-1])
            finally:
                try:
                    browser.close()
                except Exception:   # the driver may already be gone after Ctrl-C
                    pass
    finally:
        server.stop()
    seen = [r["seen_s"] for r in results]
    return {"corpus": str(corpus), "papers": sum(1 for _ in (corpus / "content").glob("*.md")),
            "url": url, "first_build_ms": first["ms"], "startup_s": startup_s, "edits": results,
            "edit_seen_s": seen, "median_s": statistics.median(seen)}


def report(figures: dict) -> str:
    lines = [f"{figures['papers']:,} papers; first build {figures['first_build_ms'] / 1000:.1f} s "
             f"(serving after {figures['startup_s']:.1f} s)",
             "edit  seen in browser s  reload began s  first byte s  server build ms (rendered)  paper"]
    for i, e in enumerate(figures["edits"], 1):
        lines.append(f"{i:>4}  {e['seen_s']:>17.3f}  {e['reload_started_s']:>14.3f}  {e['first_byte_s']:>12.3f}  "
                     f"{e['server_build_ms']:>10} ({e['server_rendered']})  {e['slug']}")
    lines.append(f"median seen in browser: {figures['median_s']:.3f} s")
    return "\n".join(lines)


def _raise_interrupt(signum, frame):
    raise KeyboardInterrupt


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path, required=True, help="a site folder made by benchmarks/corpus.py")
    parser.add_argument("--edits", type=int, default=5, help="edits to time, each to a different paper")
    parser.add_argument("--port", type=int, default=0, help="port for the preview (default: a free one)")
    parser.add_argument("--json", type=Path, help="also write the figures to this file")
    args = parser.parse_args(argv)
    if not (args.corpus / "site.toml").is_file():
        parser.error(f"{args.corpus} has no site.toml (make one with benchmarks/corpus.py)")
    # Both explicitly: a shell may start us with SIGINT ignored, and SIGTERM must restore the entry too.
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, _raise_interrupt)
    try:
        figures = run(args.corpus, args.edits, args.port,
                      progress=lambda e: print(f"  {e['slug']}: {e['seen_s']:.3f} s", file=sys.stderr, flush=True))
    except KeyboardInterrupt:
        print("interrupted; the server is stopped and the edited entry restored", file=sys.stderr)
        return 130
    print(report(figures))
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(figures, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
