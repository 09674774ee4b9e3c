"""Lighthouse scores of the shipped list's pages, as a visitor on GitHub Pages would meet them.

    python benchmarks/lighthouse.py [--pages index,paper,browse,search] [--runs 3] [--json FILE]

Builds the repository's own list (content/ and site.toml) into a scratch folder under a subpath
(``/papershelf/``, the path of the shipped base_url), serves it on a free loopback port with gzip (as GitHub
Pages does; benchmarks/search_bench.served), and runs Lighthouse (npm ``lighthouse``, pinned in
package.json) on each page with the machine's Chromium (``CHROME_PATH``, default /usr/bin/chromium;
``--headless --no-sandbox --disable-gpu``), Lighthouse's default mobile profile and simulated throttling.
Prints a markdown table of the accessibility, best-practices, SEO and performance scores (0-100), each the
median of ``--runs`` runs (the performance range beside it), and the audits that kept a category below 100
in any run. Performance depends on the machine's load (Lighthouse scales the main-thread time it observes):
run it on a quiet machine, or read it as a lower bound.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from papershelf.build import build  # noqa: E402
from papershelf.config import load_config  # noqa: E402
from search_bench import served  # noqa: E402

LIGHTHOUSE = ROOT / "node_modules" / ".bin" / "lighthouse"
CATEGORIES = ["accessibility", "best-practices", "seo", "performance"]
CHROME_FLAGS = "--headless --no-sandbox --disable-gpu"


def pages(site: Path) -> dict[str, str]:
    """Page type -> path under the base: the index, the first paper, the browse view, a search with results."""
    paper = sorted(p.name for p in (site / "papers").iterdir() if (p / "index.html").is_file())[0]
    return {"index": "", "paper": f"papers/{paper}/", "browse": "browse/", "search": "search/?q=diffusion"}


def build_shipped(scratch: Path) -> tuple[Path, str]:
    """The shipped list built into ``scratch/<subpath>``; returns (folder served, subpath)."""
    config = load_config(ROOT / "site.toml")
    subpath = urlsplit(config.base_url).path.strip("/")
    build(config, out=scratch / subpath, force=True)
    return scratch, subpath + "/"


def lighthouse(url: str, report: Path) -> dict:
    env = {**os.environ, "CHROME_PATH": os.environ.get("CHROME_PATH", "/usr/bin/chromium")}
    subprocess.run([str(LIGHTHOUSE), url, "--quiet", "--output=json", f"--output-path={report}",
                    f"--only-categories={','.join(CATEGORIES)}", f"--chrome-flags={CHROME_FLAGS}"],
                   check=True, env=env)
    return json.loads(report.read_text(encoding="utf-8"))


def summary(result: dict) -> dict:
    """Scores (0-100) per category and, for each category below 100, the audits that cost it points."""
    scores, failing = {}, {}
    for name in CATEGORIES:
        category = result["categories"][name]
        scores[name] = round(category["score"] * 100)
        audits = [result["audits"][ref["id"]] for ref in category["auditRefs"] if ref["weight"] > 0]
        failing[name] = [audit["id"] + (f" ({audit['displayValue']})" if audit.get("displayValue") else "")
                         for audit in audits if audit.get("score") is not None and audit["score"] < 1]
    return {"scores": scores, "below_full": {k: v for k, v in failing.items() if v}}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pages", default="index,paper,browse,search", help="which page types")
    parser.add_argument("--runs", type=int, default=3, help="runs per page (medians are reported)")
    parser.add_argument("--json", type=Path, help="write every figure here too")
    args = parser.parse_args(argv)
    wanted = args.pages.split(",")
    results = {}
    with tempfile.TemporaryDirectory(prefix="papershelf-lighthouse-") as tmp:
        folder, subpath = build_shipped(Path(tmp) / "www")
        with served(folder) as root:
            for kind, path in pages(folder / subpath).items():
                if kind in wanted:
                    runs = [summary(lighthouse(root + subpath + path, Path(tmp) / f"{kind}.json"))
                            for _ in range(args.runs)]
                    results[kind] = {"url_path": "/" + subpath + path, "runs": runs,
                                     "median": {c: statistics.median(r["scores"][c] for r in runs) for c in CATEGORIES}}
    print("| page | path | accessibility | best practices | SEO | performance (range) | below 100 in a run |")
    print("| --- | --- | --- | --- | --- | --- | --- |")
    for kind, figures in results.items():
        m, perf = figures["median"], [r["scores"]["performance"] for r in figures["runs"]]
        below = "; ".join(f"{k}: {', '.join(v)}" for r in figures["runs"] for k, v in r["below_full"].items()) or "none"
        print(f"| {kind} | `{figures['url_path']}` | {m['accessibility']:g} | {m['best-practices']:g} | {m['seo']:g} "
              f"| {m['performance']:g} ({min(perf)}-{max(perf)}) | {below} |")
    if args.json:
        args.json.write_text(json.dumps(results, indent=2), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
