"""The fast index builder gives the very index lunr's own Builder (the ``lunr`` package) gives, in less time."""

from __future__ import annotations

from pathlib import Path

import pytest

from generator.config import SearchConfig
from generator.content import load_content
from generator.search import build_index, field_boosts, search_documents
from lunr_package_index import lunr_package_index
from test_search_differential import EDGE_WORDS, HF_DATA, corpus_papers, paper

REPO = Path(__file__).resolve().parents[1]


def assert_same_index(ours: dict, theirs: dict) -> None:
    assert ours["version"] == theirs["version"] and ours["pipeline"] == theirs["pipeline"]
    assert ours["fields"] == theirs["fields"]
    assert ours["invertedIndex"] == theirs["invertedIndex"]  # terms, their order, _index, postings
    assert [ref for ref, _ in ours["fieldVectors"]] == [ref for ref, _ in theirs["fieldVectors"]]
    for (ref, mine), (_, lunrs) in zip(ours["fieldVectors"], theirs["fieldVectors"]):
        assert mine[0::2] == lunrs[0::2], ref
        assert mine[1::2] == pytest.approx(lunrs[1::2], abs=1e-12), ref  # same formula, same rounding


def seed_and_real_papers():
    papers, problems = load_content(REPO / "content")
    assert len(papers) >= 48 and not problems
    if HF_DATA.is_dir():
        papers += corpus_papers()[:300]
    papers.append(paper("Edge words", " ".join(EDGE_WORDS), tags=("state-of-the-art", "C++"), authors=("Ǆemal Ø",)))
    return papers


@pytest.mark.parametrize("config", [SearchConfig(), SearchConfig(boost_title=1, boost_tags=7, boost_authors=3,
                                                                  boost_abstract=2)])
def test_fast_builder_index_equals_lunr_builder_index_on_seed_and_real_papers(config):
    texts = search_documents(seed_and_real_papers())[0]
    assert_same_index(build_index(texts, config), lunr_package_index(texts, field_boosts(config)))


def test_fields_empty_in_every_paper_and_an_empty_list_build_like_lunr():
    texts = search_documents([paper("No tags here", "Nor authors."), paper("Second", "")])[0]
    assert_same_index(build_index(texts, SearchConfig()), lunr_package_index(texts, field_boosts(SearchConfig())))
    assert_same_index(build_index([], SearchConfig()), lunr_package_index([], field_boosts(SearchConfig())))


def test_repeated_words_and_stop_words_count_like_lunr():
    # Term frequency and field length (stop words left out) both enter the BM25 weight.
    texts = search_documents([paper("Model model model of the model", "the the the a model"),
                              paper("One model", "Another one with a longer abstract about models and more models")])[0]
    assert_same_index(build_index(texts, SearchConfig()), lunr_package_index(texts, field_boosts(SearchConfig())))
