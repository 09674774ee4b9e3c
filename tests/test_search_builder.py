"""The fast index builder gives the very index lunr's own Builder (the ``lunr`` package) gives, in less time."""

from __future__ import annotations

import dataclasses
import json
import math
import pickle
import random
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from papershelf.config import SearchConfig
from papershelf.content import load_content
from papershelf.markdown import MarkdownRenderer
from papershelf.search import (DOCS_DIR, TERMS_DIR, DocTerms, build_index, build_search_index, field_boosts, paper_terms,
                               search_documents, search_index_since)
from papershelf.search.index import lunr_json, milli, packed, patched_postings, postings_of, unpacked
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


@given(st.floats(min_value=0, max_value=1e5, allow_nan=False))
def test_weights_as_integers_are_lunrs_three_place_weights_times_1000(score):
    assert milli(score) == round(round(score, 3) * 1000)


@pytest.mark.parametrize("k", [0, 1, 62, 999, 4321, 99_999])
def test_weights_next_to_a_half_thousandth_round_like_lunr(k):
    # 0.0625 is exactly 62.5 thousandths (a true tie); the others straddle k + 0.5 by an ulp.
    for score in (0.0625, (k + 0.5) / 1000, math.nextafter((k + 0.5) / 1000, 0), math.nextafter((k + 0.5) / 1000, 1e9)):
        assert milli(score) == round(round(score, 3) * 1000), score


@pytest.mark.parametrize("config", [SearchConfig(), SearchConfig(boost_title=1, boost_tags=7, boost_authors=3,
                                                                  boost_abstract=2)])
def test_the_shards_weights_made_all_at_once_are_each_terms_weights(config):
    # ``Postings.stored`` computes every entry's weight with numpy: the same floats and rounding as term by term.
    flat = postings_of([paper_terms(p, MarkdownRenderer().text) for p in seed_and_real_papers()],
                        field_boosts(config))
    postings = flat.postings()
    norms = postings.norms()
    for f, entries in enumerate(flat.stored()):
        for term in range(len(postings.terms)):
            start, stop = entries.ptr[term], entries.ptr[term + 1]
            weights = postings.weights(term, f, postings.idf(term), norms[f])
            assert entries.docs[start:stop].tolist() == (postings.docs[f][term] or [])
            assert entries.milli[start:stop].tolist() == [round(w * 1000) for w in weights], postings.terms[term]
    assert entries.ptr[-1] > 1000


def test_a_given_markdown_to_text_converter_supplies_abstracts_and_notes():
    # The build hands over its own (memoised) converter so no abstract is converted twice.
    papers = [paper("Plain title", "An *emphasised* abstract", notes="Some **notes**")]
    seen = []

    def text(markdown: str) -> str:
        seen.append(markdown)
        return "zebra crossing" if markdown else ""

    files = build_search_index(papers, SearchConfig(), text=text)
    assert sorted(seen) == ["An *emphasised* abstract", "Some **notes**"]
    assert '"zebra"' in "".join(v for k, v in files.items() if k.startswith(TERMS_DIR))
    assert json.loads(files[f"{DOCS_DIR}0.json"])[0]["text"] == "zebra crossing"
    assert "emphasis" not in "".join(files.values())


def test_the_builds_converter_gives_the_same_files_as_the_default():
    papers = seed_and_real_papers()
    markdown = MarkdownRenderer()
    for p in papers:  # as the build does while rendering pages
        markdown.text(p.abstract)
    assert build_search_index(papers, SearchConfig(), text=markdown.text) == build_search_index(papers, SearchConfig())


# A rebuild indexes each paper from the terms kept since the last build (``paper_terms``), not its text.
KEPT_TERMS_PAPERS = [paper("Model model model of the model", "the the the a model ... -- ¡ ¿"),
                     paper("Stop words only", "the a of and"), paper("", ""),
                     paper("Tabs\tand\x1cseparators\x85here", "word\u2028next\ufeffword - -- x-y")]


@pytest.mark.parametrize("config", [SearchConfig(), SearchConfig(boost_title=1, boost_tags=7, boost_authors=3,
                                                                  boost_abstract=2)])
def test_an_index_from_kept_terms_equals_lunr_builders_on_seed_and_real_papers(config):
    papers = seed_and_real_papers() + KEPT_TERMS_PAPERS
    md = MarkdownRenderer()
    kept = DocTerms()
    terms = [paper_terms(p, md.text, kept) for p in papers]
    texts = search_documents(papers, md.text)[0]
    assert_same_index(lunr_json(postings_of(terms, field_boosts(config)).postings()),
                      lunr_package_index(texts, field_boosts(config)))
    assert build_search_index(papers, config, text=md.text, terms=terms) == build_search_index(papers, config, text=md.text)


def test_the_postings_read_in_batches_are_the_postings_read_at_once():
    """Kept terms are read a batch of field texts at a time (bounding the search worker's memory): a term first
    met in a later batch still gets the index of its first occurrence, and no entry moves."""
    papers = seed_and_real_papers() + KEPT_TERMS_PAPERS
    md = MarkdownRenderer()
    kept = DocTerms()
    terms = [paper_terms(p, md.text, kept) for p in papers]
    whole = lunr_json(postings_of(terms, field_boosts(SearchConfig()), batch=len(terms) * 4).postings())
    for batch in (1, 3, 1000):
        assert lunr_json(postings_of(terms, field_boosts(SearchConfig()), batch=batch).postings()) == whole


@given(st.lists(st.tuples(st.text(alphabet="ab \t\x1c-.é", max_size=30), st.text(alphabet="ab c\n-the", max_size=40)),
                max_size=6))
def test_an_index_from_kept_terms_equals_one_from_the_texts(docs):
    papers = [paper(title or "t", abstract) for title, abstract in docs]
    terms = [paper_terms(p, MarkdownRenderer().text) for p in papers]   # each paper's own, as a later build keeps them
    assert (build_search_index(papers, SearchConfig(), terms=terms) == build_search_index(papers, SearchConfig()))


def _same_postings(a, b) -> bool:
    arrays = [(x, y) for xs, ys in ((a.ptr, b.ptr), (a.docs, b.docs), (a.counts, b.counts)) for x, y in zip(xs, ys)]
    return (a.fields == b.fields and a.boosts == b.boosts and a.documents == b.documents and a.terms == b.terms and
            a.lengths == b.lengths and all(x.dtype == y.dtype and x.tolist() == y.tolist() for x, y in arrays))


def _edit(papers, at: int, kind: str, rng: random.Random):
    """Paper ``at`` edited as a curator might: its own words again, words of another paper, words dropped, a word
    no paper has, another title; or two papers trading places."""
    paper, other = papers[at], papers[rng.randrange(len(papers))]
    if kind == "again":
        return dataclasses.replace(paper, abstract=paper.abstract + " " + " ".join(paper.abstract.split()[:12]))
    if kind == "borrowed":
        return dataclasses.replace(paper, abstract=paper.abstract + " " + other.abstract[:120])
    if kind == "dropped":
        return dataclasses.replace(paper, abstract=paper.abstract[:len(paper.abstract) // 3])
    if kind == "new word":
        return dataclasses.replace(paper, abstract=paper.abstract + f" zqxwords{at}")
    return dataclasses.replace(paper, title=other.title)


def test_postings_patched_after_edits_are_the_postings_made_from_scratch():
    """After each edit the last postings are patched for the edited papers only, the terms numbered again where
    a first occurrence moved (a new word, a word's last use gone, words reordered): every array is the same."""
    papers = seed_and_real_papers()
    md = MarkdownRenderer()
    kept = DocTerms()
    boosts = field_boosts(SearchConfig())
    rng = random.Random(7)
    before = postings_of([paper_terms(p, md.text, kept) for p in papers], boosts)
    renumbered = set()
    for trial in range(40):
        kind = ["again", "borrowed", "dropped", "new word", "title"][trial % 5]
        now = papers[:]
        edited = rng.sample(range(len(papers)), rng.choice([1, 1, 2, 3]))
        for at in edited:
            now[at] = _edit(papers, at, kind, rng)
        terms = [paper_terms(p, md.text, kept) for p in now]
        fresh = postings_of(terms, boosts)
        assert _same_postings(patched_postings(before, terms, edited), fresh), (kind, edited)
        renumbered.add(fresh.terms != before.terms)
    assert renumbered == {True, False}


def test_the_search_index_patched_through_saved_postings_equals_one_made_from_scratch():
    """Each build starts from what the last one kept, saved and read back as the build cache does: the same files
    as a build from scratch after each edit, a paper added and one removed among them."""
    papers = seed_and_real_papers()[:120]
    md = MarkdownRenderer()
    kept = DocTerms()
    rng = random.Random(3)
    memo = None
    for step, kind in enumerate(["again", "again", "borrowed", "dropped", "new word", "title", "add", "remove", "again"]):
        if kind == "add":
            papers = papers + [dataclasses.replace(papers[5], slug="added-again")]
        elif kind == "remove":
            papers = papers[:10] + papers[11:]
        elif step:
            at = rng.randrange(len(papers))
            papers = papers[:at] + [_edit(papers, at, kind, rng)] + papers[at + 1:]
        files, memo = search_index_since(memo, papers, SearchConfig(), text=md.text,
                                         terms=[paper_terms(p, md.text, kept) for p in papers],
                                         digests=[repr(p) for p in papers], made_of="")
        memo = pickle.loads(pickle.dumps(memo))
        assert files == build_search_index(papers, SearchConfig(), text=md.text), kind


def test_postings_saved_as_plain_data_read_back_the_same():
    papers = seed_and_real_papers()
    md = MarkdownRenderer()
    postings = postings_of([paper_terms(p, md.text) for p in papers], field_boosts(SearchConfig()))
    saved = pickle.dumps(packed(postings))
    assert b"numpy" not in saved   # the build cache on disk reads back no numpy object
    assert _same_postings(unpacked(pickle.loads(saved), postings.boosts), postings)
