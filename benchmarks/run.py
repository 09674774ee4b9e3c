"""papershelf's build benchmark: cold, warm and one-edit builds, memory, sizes, search in Chromium, and Hugo.

    python benchmarks/run.py --papers 1000,10000 [--tags rules,keywords] [--runs 3] [--no-hugo] [--no-browser]

For each size it generates (or reuses) a corpus with benchmarks/corpus.py under
--corpus-root, then reports medians over --runs:

- cold build: each run a fresh subprocess building into a fresh folder (no cache):
  the wall time of that process (interpreter start and imports included, as for
  the `papershelf build` command), the per-phase seconds the build reports, and
  the peak RSS of the build process and of its largest render worker;
- the command line's cache on disk: `papershelf build` run again in a new process
  with nothing changed, and after editing one entry (wall time of the command);
- warm rebuild with nothing changed, and a rebuild after editing one paper (both
  in one process holding a BuildCache, as the preview does): total seconds and
  the seconds until the edited page was on disk;
- output size and file count; search index size (raw and gzip) per paper;
- time to the first search result and bytes fetched for it in headless Chromium
  (benchmarks/search_bench.py, median over its queries);
- seconds from saving an edit to seeing it in the live preview, in headless Chromium
  (benchmarks/preview_bench.py: the real `papershelf serve`, median of 5 edits);
- Hugo's cold build of a minimal site over the same entries (benchmarks/hugo.py),
  timed in the same run, and our cold time as a multiple of Hugo's.

Prints a markdown table and writes every figure to benchmarks/out/bench-<time>.json.
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BENCH = ROOT / "benchmarks"
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(BENCH))
PYTHON = sys.executable


# ---- children: each runs in its own process so memory and caches start cold ----

def child_cold(corpus: Path, out: Path) -> dict:
    from papershelf.build import build
    from papershelf.config import load_config

    result = build(load_config(corpus / "site.toml"), out=out, force=True)
    return {"seconds": result.seconds, "phases": result.phases, "pages": result.pages, "files": result.files,
            "rss_mb": _maxrss_mb(resource.RUSAGE_SELF), "worker_rss_mb": _maxrss_mb(resource.RUSAGE_CHILDREN)}


def child_warm(corpus: Path, out: Path, runs: int) -> dict:
    """Cached rebuilds in one process: nothing changed, then one paper edited (restored afterwards)."""
    from papershelf.build import BuildCache, build
    from papershelf.config import load_config

    config = load_config(corpus / "site.toml")
    cache = BuildCache()
    build(config, out=out, force=True, cache=cache)
    warm, edits = [], []
    entries = sorted((corpus / "content").glob("*.md"))
    for run in range(runs):
        warm.append(build(config, out=out, cache=cache).seconds)
        entry = entries[(run * 7919) % len(entries)]
        original = entry.read_bytes()
        try:
            text = original.decode("utf-8")
            marker = f"Benchmark edit {run}."
            entry.write_text(text.rstrip("\n") + f" {marker}\n", encoding="utf-8")
            result = build(config, out=out, cache=cache)
            page = out / "papers" / entry.stem.lower() / "index.html"
            assert marker in page.read_text(encoding="utf-8"), "the edit is not on the page"
            edits.append({"seconds": result.seconds, "visible_seconds": result.visible_seconds,
                          "rendered": result.rendered, "written": result.written, "mode": result.mode,
                          "phases": result.phases})
        finally:
            entry.write_bytes(original)
            build(config, out=out, cache=cache)  # back to the corpus as it was
    return {"warm_seconds": warm, "edits": edits, "rss_mb": _maxrss_mb(resource.RUSAGE_SELF)}


def cli_builds(corpus: Path, out: Path, runs: int) -> dict:
    """`papershelf build` (the command, each run a new process, with its cache on disk): wall seconds of a
    second build with nothing changed, and of a build after one entry's abstract was edited."""
    cache = corpus / ".papershelf-cache"
    shutil.rmtree(cache, ignore_errors=True)

    def command() -> float:
        started = time.perf_counter()
        subprocess.run([PYTHON, "-m", "papershelf", "--config", str(corpus / "site.toml"), "-q", "build",
                        "--out", str(out)], check=True)
        return time.perf_counter() - started

    first = command()
    unchanged, edited = [], []
    entries = sorted((corpus / "content").glob("*.md"))
    try:
        for run in range(runs):
            unchanged.append(command())
            entry = entries[(run * 7919 + 13) % len(entries)]
            original = entry.read_bytes()
            try:
                marker = f"Command-line benchmark edit {run}."
                entry.write_text(original.decode("utf-8").rstrip("\n") + f" {marker}\n", encoding="utf-8")
                edited.append(command())
                page = out / "papers" / entry.stem.lower() / "index.html"
                assert marker in page.read_text(encoding="utf-8"), "the edit is not on the page"
            finally:
                entry.write_bytes(original)
                command()   # back to the corpus as it was
    finally:
        shutil.rmtree(cache, ignore_errors=True)
        shutil.rmtree(out, ignore_errors=True)
    return {"first_s": first, "unchanged_s": unchanged, "edit_s": edited}


def _maxrss_mb(who: int) -> float:
    return resource.getrusage(who).ru_maxrss / 1024  # Linux reports KiB


# ---- the parent ----

def ensure_corpus(papers: int, root: Path, tags: str = "rules") -> Path:
    corpus = root / (f"corpus-{papers}" if tags == "rules" else f"corpus-{papers}-{tags}")
    if not (corpus / "content").is_dir():
        subprocess.run([PYTHON, str(BENCH / "corpus.py"), "--papers", str(papers), "--tags", tags,
                        "--out", str(corpus)], check=True)
    return corpus


def run_child(*args: str) -> dict:
    started = time.perf_counter()
    done = subprocess.run([PYTHON, __file__, "--child", *args], capture_output=True, text=True)
    wall = time.perf_counter() - started
    if done.returncode:
        sys.stderr.write(done.stderr)
        raise SystemExit(f"benchmark step {args[0]} failed (exit {done.returncode})")
    figures = json.loads(done.stdout.strip().splitlines()[-1])
    figures["wall_s"] = wall   # the whole process: interpreter start and imports included
    return figures


def folder_size(folder: Path, *, compress: bool = False) -> tuple[int, int, int]:
    """(files, bytes, gzip bytes or 0) of a folder's files."""
    files = size = gz = 0
    for path in folder.rglob("*"):
        if path.is_file():
            files += 1
            size += path.stat().st_size
            if compress:
                gz += len(gzip.compress(path.read_bytes(), 6, mtime=0))
    return files, size, gz


def measure_size(papers: int, out: Path) -> dict:
    """Sizes of a built site (the first cold build's)."""
    files, size, _ = folder_size(out)
    search_files, search_raw, search_gz = folder_size(out / "search", compress=True)
    return {"files": files, "bytes": size, "search_files": search_files,
            "search_raw_bytes_per_paper": search_raw / papers, "search_gzip_bytes_per_paper": search_gz / papers}


def hugo_site(corpus: Path, work: Path) -> Path | None:
    """The minimal Hugo site over ``corpus``, or None when hugo is not installed."""
    if shutil.which("hugo") is None:
        return None
    from hugo import make_hugo_site

    return make_hugo_site(corpus, work / "hugo-site")


def hugo_time(site: Path, out: Path) -> float:
    """One Hugo build into a fresh folder: wall time of the process."""
    from hugo import hugo_command

    started = time.perf_counter()
    subprocess.run(hugo_command(site, out), check=True, capture_output=True)
    took = time.perf_counter() - started
    shutil.rmtree(out, ignore_errors=True)
    return took


def browser_figures(corpus: Path, runs: int) -> dict:
    try:
        import search_bench
    except ImportError:
        return {"note": "n/a (search_bench missing)"}
    figures = search_bench.run(corpus, runs=runs, build_runs=1)
    timed = [q for q in figures.get("queries", {}).values() if "first_result_ms" in q]
    if not timed:
        return {"note": "n/a (no query found results)", "raw": figures}
    return {"first_result_ms": statistics.median(q["first_result_ms"] for q in timed),
            "kb_fetched": statistics.median(q["kb_fetched"] for q in timed), "queries": figures["queries"]}


def preview_figures(corpus: Path, edits: int = 5) -> dict:
    import preview_bench

    figures = preview_bench.run(corpus, edits)
    return {"edit_seen_s": figures["median_s"], "edits": figures["edits"]}


def bench_size(papers: int, tags: str, args) -> dict:
    corpus = ensure_corpus(papers, args.corpus_root, tags)
    work = Path(tempfile.mkdtemp(prefix=f"bench-{papers}-", dir=args.corpus_root))
    try:
        cold, hugo = [], []
        site = None if args.no_hugo else hugo_site(corpus, work)
        # Ours and Hugo's runs alternate: this machine's file system slows down as builds create and
        # delete tens of thousands of files, and both must meet the same conditions.
        for run in range(args.runs):
            cold.append(run_child("cold", str(corpus), str(work / f"cold-{run}")))
            if run == 0:
                sizes = measure_size(papers, work / "cold-0")
            shutil.rmtree(work / f"cold-{run}", ignore_errors=True)
            if site is not None:
                hugo.append(hugo_time(site, work / f"hugo-out-{run}"))
        warm = ({"warm_seconds": [float("nan")], "edits": [{"seconds": float("nan"), "visible_seconds": float("nan"),
                  "rendered": float("nan"), "mode": "n/a"}], "rss_mb": float("nan")} if args.no_warm
                else run_child("warm", str(corpus), str(work / "warm"), str(args.runs)))
        cli = {"unchanged_s": [float("nan")], "edit_s": [float("nan")]} if args.no_warm else \
            cli_builds(corpus, work / "cli", args.runs)
        row = {
            "papers": papers,
            "tags": tags,
            "cold_s": statistics.median(c["seconds"] for c in cold),
            "cold_wall_s": statistics.median(c["wall_s"] for c in cold),
            "cli_unchanged_s": statistics.median(cli["unchanged_s"]),
            "cli_edit_s": statistics.median(cli["edit_s"]),
            "cli_runs": cli,
            "phases": {name: statistics.median(c["phases"].get(name, 0.0) for c in cold) for name in cold[0]["phases"]},
            "rss_mb": max(c["rss_mb"] for c in cold),
            "worker_rss_mb": max(c["worker_rss_mb"] for c in cold),
            "warm_s": statistics.median(warm["warm_seconds"]),
            "edit_s": statistics.median(e["seconds"] for e in warm["edits"]),
            "edit_visible_s": statistics.median(e["visible_seconds"] for e in warm["edits"]),
            "edit_rendered": statistics.median(e["rendered"] for e in warm["edits"]),
            "edit_mode": warm["edits"][0]["mode"],
            "preview_rss_mb": warm["rss_mb"],
            "cold_runs": cold, "edit_runs": warm["edits"],
        }
        row.update(sizes)
        row["hugo_s"] = statistics.median(hugo) if hugo else None
        row["ratio_to_hugo"] = row["cold_wall_s"] / row["hugo_s"] if hugo else None
        row["hugo_runs"] = hugo
        row["ratio_per_run"] = [c["wall_s"] / h for c, h in zip(cold, hugo)]
        row["browser"] = {"note": "n/a (--no-browser)"} if args.no_browser else browser_figures(corpus, args.runs)
        row["preview"] = {"edit_seen_s": None} if args.no_browser else preview_figures(corpus)
        return row
    finally:
        shutil.rmtree(work, ignore_errors=True)


def table(rows: list[dict]) -> str:
    def f(value, fmt="{:.2f}"):
        return "n/a" if value is None else fmt.format(value)

    lines = ["| papers, tags | cold build: command s (build's clock: load / plan / render / extras / search / write) "
             "| Hugo s | ratio to Hugo | `papershelf build` again: unchanged s / one edit s "
             "| preview: unchanged s | preview one edit: on disk s / total s (pages rendered) | edit seen in browser s "
             "| peak RSS MB (build / worker / preview) "
             "| output files / MB | search index per paper raw / gzip B | first result ms / KB fetched |",
             "|" + "---|" * 12]
    for r in rows:
        p = r["phases"]
        phases = " / ".join(f(p.get(k)) for k in ("load", "plan", "render", "extras", "search", "write"))
        browser = r["browser"]
        shown = (f"{browser['first_result_ms']:.0f} / {browser['kb_fetched']:.0f}" if "first_result_ms" in browser
                 else browser.get("note", "n/a"))
        lines.append(
            f"| {r['papers']:,}, {r.get('tags', 'rules')} | {f(r['cold_wall_s'])} ({f(r['cold_s'])}: {phases}) "
            f"| {f(r['hugo_s'])} | {f(r['ratio_to_hugo'], '{:.2f}x')} "
            f"| {f(r['cli_unchanged_s'])} / {f(r['cli_edit_s'])} "
            f"| {f(r['warm_s'], '{:.3f}')} | {f(r['edit_visible_s'])} / {f(r['edit_s'])} ({f(r['edit_rendered'], '{:.0f}')}) "
            f"| {f(r['preview']['edit_seen_s'])} "
            f"| {r['rss_mb']:.0f} / {r['worker_rss_mb']:.0f} / {r['preview_rss_mb']:.0f} "
            f"| {r['files']:,} / {r['bytes'] / 2**20:.0f} "
            f"| {r['search_raw_bytes_per_paper']:.0f} / {r['search_gzip_bytes_per_paper']:.0f} | {shown} |")
    return "\n".join(lines)


def main(argv=None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv and argv[0] == "--child":
        kind, corpus, out, *rest = argv[1:]
        figures = child_cold(Path(corpus), Path(out)) if kind == "cold" else child_warm(Path(corpus), Path(out),
                                                                                           int(rest[0]))
        print(json.dumps(figures))
        return 0
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--papers", default="1000,10000", help="comma-separated corpus sizes")
    parser.add_argument("--tags", default="rules",
                        help="comma-separated tag sets: rules (the shipped rules, ~30 tags), keywords (a long tail: "
                             "about as many distinct tags as papers, most used once)")
    parser.add_argument("--runs", type=int, default=3, help="runs per figure (medians are reported)")
    parser.add_argument("--no-hugo", action="store_true", help="skip the Hugo baseline")
    parser.add_argument("--no-browser", action="store_true", help="skip the Chromium figures (search, preview)")
    parser.add_argument("--no-warm", action="store_true", help="skip the cached rebuilds (warm, one edit)")
    parser.add_argument("--corpus-root", type=Path, default=Path(tempfile.gettempdir()) / "papershelf-bench",
                        help="where corpora and scratch builds go (default: %(default)s)")
    parser.add_argument("--json", type=Path, help="where to write the figures (default: benchmarks/out/)")
    args = parser.parse_args(argv)
    args.corpus_root.mkdir(parents=True, exist_ok=True)
    rows = []
    for tags in args.tags.split(","):
        for papers in (int(n.replace("_", "")) for n in args.papers.split(",")):
            print(f"benchmarking {papers:,} papers, {tags} tags ...", file=sys.stderr, flush=True)
            rows.append(bench_size(papers, tags, args))
    print(table(rows))
    target = args.json or BENCH / "out" / f"bench-{time.strftime('%Y%m%d-%H%M%S')}.json"
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(json.dumps({"cpus": os.cpu_count(), "runs": args.runs, "rows": rows}, indent=1) + "\n")
    print(f"\nfigures: {target}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
