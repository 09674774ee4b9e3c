"""Time and peak memory of building the search index alone, as the build's search worker does.

    python benchmarks/search_index_bench.py /tmp/bench-10000 [--runs 3] [--text cached|own]

Each run is a fresh subprocess that loads the corpus's papers, optionally converts
every abstract and note to plain text first (``--text cached``: as the build does
before its search worker forks, handing the worker that converter through
``build_search_index(..., text=...)``), then builds the index. Reports the median
seconds of ``build_search_index`` and the median peak RSS of the process
(``ru_maxrss``), plus the RSS the papers alone took, so the index's own share shows.
"""

from __future__ import annotations

import argparse
import json
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux: KiB


def one_run(site: Path, text_mode: str) -> dict:
    from papershelf.config import load_config
    from papershelf.content import load_content
    from papershelf.markdown import MarkdownRenderer
    from papershelf.search import build_search_index

    config = load_config(site / "site.toml")
    papers, _ = load_content(site / "content")
    kwargs = {}
    if text_mode == "cached":
        markdown = MarkdownRenderer()
        for paper in papers:
            markdown.text(paper.abstract)
            markdown.text(paper.notes)
        kwargs["text"] = markdown.text
    loaded = _peak_mb()
    started = time.perf_counter()
    files = build_search_index(papers, config.search, **kwargs)
    seconds = time.perf_counter() - started
    return {"papers": len(papers), "seconds": seconds, "loaded_mb": loaded, "peak_mb": _peak_mb(),
            "files": len(files), "bytes": sum(len(t) for t in files.values())}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("site", type=Path)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--text", choices=["own", "cached"], default="own")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(one_run(args.site, args.text)))
        return
    runs = []
    for _ in range(args.runs):
        out = subprocess.run([sys.executable, __file__, str(args.site), "--text", args.text, "--child"],
                             check=True, capture_output=True, text=True).stdout
        runs.append(json.loads(out))
    median = {key: statistics.median(r[key] for r in runs) for key in ("seconds", "loaded_mb", "peak_mb")}
    print(f"{runs[0]['papers']} papers, text={args.text}: index {median['seconds']:.2f} s (runs "
          f"{', '.join(format(r['seconds'], '.2f') for r in runs)}), peak RSS {median['peak_mb']:.0f} MB "
          f"(papers loaded: {median['loaded_mb']:.0f} MB), {runs[0]['files']} files, {runs[0]['bytes'] / 1e6:.1f} MB")


if __name__ == "__main__":
    main()
