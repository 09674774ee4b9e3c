"""The benchmarks' browser figures come from working pages.

benchmarks/search_bench.py and benchmarks/browse_bench.py render the theme's search and browse pages
themselves, write them beside the index and browse files, serve the folder and measure it in Chromium.
When the base template gained a variable, the search benchmark's page setup broke and the figures went
missing without a failing test. Here both benchmarks run, page setup and measurement as they are, on a
small real corpus (../shared), and their figures must show the pages working: results found, the browse
list filled, every facet click answered.
"""

from __future__ import annotations

import sys

import pytest

import needs
from needs import REPO

sys.path.insert(0, str(REPO / "benchmarks"))

import browse_bench  # noqa: E402
import corpus  # noqa: E402
import search_bench  # noqa: E402


@pytest.fixture(scope="module")
def small_corpus(tmp_path_factory):
    needs.shared(corpus.DATA, "the benchmarks' pages working in Chromium")
    needs.chromium("the benchmarks' pages working in Chromium")
    root = tmp_path_factory.mktemp("bench-corpus")
    corpus.write_site(corpus.real_papers()[:200], root)
    return root


def test_the_search_benchmark_page_finds_results_and_says_when_there_are_none(small_corpus):
    figures = search_bench.run(small_corpus, runs=1, queries=["diffusion", "zzzqqqx"], build_runs=1)
    assert figures["papers"] == 200
    found, none = figures["queries"]["diffusion"], figures["queries"]["zzzqqqx"]
    assert "first_result_ms" in found and "results for “diffusion”" in found["status"], found
    # the page, then its scripts and the manifest, the shard, the first result's documents at least
    assert found["requests_in_sequence"] >= 3 and found["kb_fetched"] > 0
    assert "no_result_ms" in none and none["status"].startswith("No results for"), none


def test_the_browse_benchmark_page_lists_papers_and_answers_every_click(small_corpus):
    figures = browse_bench.run(small_corpus, runs=1)
    assert figures["papers"] == 200
    opened = figures["open"]
    assert len(opened) == len(browse_bench.ADDRESSES)
    for address, open_ in opened.items():
        assert open_["first_list_ms"] > 0 and open_["files_fetched"] >= 3, address
        assert "paper" in open_["status"], (address, open_["status"])
    assert opened["browse/"]["status"].startswith("All 200 papers"), opened["browse/"]["status"]
    with_query = [open_["status"] for address, open_ in opened.items() if "q=diffusion" in address]
    assert with_query and "matching “diffusion”" in with_query[0]   # search.js and the index loaded too
    unanswered = [name for name, click in figures["clicks"].items() if click["runs"] != 1]
    assert unanswered == [], "clicks whose list never changed: %s" % unanswered
