"""build_search_index: what the search page gets for a reading list."""

from __future__ import annotations

import json
import os
from datetime import date

import pytest

from papershelf.config import SearchConfig
from papershelf.model import Links, Paper, slugify
from papershelf.pages import paper_url
from papershelf.search import (DOCS_DIR, MANIFEST_PATH, SNIPPET_SOURCE_CHARS, TERMS_DIR, VOCABULARY_PATH,
                              build_index, build_search_index, search_documents)
from test_search_differential import run_lunrjs

needs_node = pytest.mark.usefixtures("node_js")


def paper(title: str, abstract: str = "", **fields) -> Paper:
    return Paper(slug=slugify(title), path=f"content/{slugify(title)}.md", title=title, abstract=abstract, **fields)


def shipped_docs(files: dict[str, str]) -> list[dict]:
    """The result documents as the browser finds them: chunk by chunk, in ref order."""
    manifest = json.loads(files[MANIFEST_PATH])
    chunks = -(-manifest["documents"] // manifest["docsPerChunk"])
    return [doc for n in range(chunks) for doc in json.loads(files[f"{DOCS_DIR}{n}.json"])]


def build(papers, config=SearchConfig()):
    """(the whole index as one lunr index, the shipped result documents)."""
    files = build_search_index(papers, config)
    return build_index(search_documents(papers)[0], config), shipped_docs(files)


def postings(index: dict, term: str) -> dict[str, list[str]]:
    """field -> refs of the documents where ``term`` occurs in that field."""
    entry = dict(index["invertedIndex"]).get(term, {})
    return {field: sorted(refs) for field, refs in entry.items() if field != "_index" and refs}


PAPERS = [
    paper("Sparse Mixtures of Experts", "We **route** tokens to [experts](https://x.org).",
          date=date(2024, 5, 27), authors=("Ada Lovelace", "Alan Turing"), tags=("moe", "efficiency"),
          notes="Worth a *reread*."),
    paper("Undated Paper", "Plain abstract."),
]


def test_gives_a_manifest_term_shards_and_document_chunks_under_search():
    files = build_search_index(PAPERS, SearchConfig())
    assert set(files) == {"search/manifest.json", "search/terms/0.json", "search/docs/0.json",
                          "search/vocabulary.json"}
    manifest = json.loads(files[MANIFEST_PATH])
    assert manifest["documents"] == 2 and manifest["fields"] == ["title", "tags", "authors", "abstract"]
    assert all(path.startswith((TERMS_DIR, DOCS_DIR)) for path in set(files) - {MANIFEST_PATH, VOCABULARY_PATH})


def test_each_result_document_holds_what_a_result_shows():
    _, docs = build(PAPERS)
    assert docs[0] == {
        "url": paper_url(PAPERS[0]),
        "title": "Sparse Mixtures of Experts",
        "date": "2024-05-27",
        "authors": "Ada Lovelace, Alan Turing",
        "tags": [["moe", "moe"], ["efficiency", "efficiency"]],  # [name, slug]: links to the tag pages
        "text": "We route tokens to experts.",  # markdown reduced to its text, notes left out
    }
    assert docs[1] == {"url": paper_url(PAPERS[1]), "title": "Undated Paper", "date": "", "authors": "", "tags": [],
                       "text": "Plain abstract."}


def test_result_documents_carry_the_card_badges_and_the_site_wide_tag_names():
    marked = paper("Read and rated", "Text.", tags=("LLM", "Graph Nets"), status="read", rating=4, upvotes=12,
                   links=Links(code="https://github.com/a/b"))
    other = paper("Other", "Text.", tags=("llm",))
    third = paper("Third", "Text.", tags=("LLM",))
    _, docs = build([marked, other, third])
    # the tag's name is the one its tag page shows (the most used spelling), its slug the page's address
    assert docs[1]["tags"] == [["LLM", "llm"]]
    assert docs[0]["tags"] == [["LLM", "llm"], ["Graph Nets", "graph-nets"]]
    assert (docs[0]["status"], docs[0]["rating"], docs[0]["upvotes"], docs[0]["code"]) == (
        "read", 4, 12, "https://github.com/a/b")
    assert not {"status", "rating", "upvotes", "code"} & set(docs[1])


def test_refs_are_positions_so_results_map_to_documents():
    index, docs = build(PAPERS)
    refs = {ref.split("/")[1] for ref, _ in index["fieldVectors"]}
    assert refs == {"0", "1"} and len(docs) == 2


def test_title_tags_authors_abstract_and_notes_are_searchable():
    index, _ = build(PAPERS)
    assert postings(index, "spars") == {"title": ["0"]}
    assert postings(index, "moe") == {"tags": ["0"]}
    assert postings(index, "lovelac") == {"authors": ["0"]}
    assert postings(index, "rout") == {"abstract": ["0"]}
    assert postings(index, "reread") == {"abstract": ["0"]}  # curator notes count as body text
    assert postings(index, "https") == {}  # a link's address is not its text


def test_index_keeps_no_positions_or_other_metadata():
    index, _ = build(PAPERS)
    for _, entry in index["invertedIndex"]:
        for field, refs in entry.items():
            if field != "_index":
                assert all(meta == {} for meta in refs.values())


@needs_node
def test_field_boosts_decide_which_paper_ranks_first():
    papers = [paper("Quantum annealing", "A study of optimisation."),
              paper("A study of optimisation", "Quantum annealing on real hardware, quantum everywhere.")]
    texts = search_documents(papers)[0]
    title_first = build_index(texts, SearchConfig(boost_title=10, boost_abstract=1))
    abstract_first = build_index(texts, SearchConfig(boost_title=1, boost_abstract=30))

    def ranking(index):
        result = run_lunrjs({"load": {"index": index, "queries": ["quantum"]}})
        return result["loaded"][0]["refs"]

    assert ranking(title_first) == ["0", "1"]
    assert ranking(abstract_first) == ["1", "0"]


HOSTILE = '</script><script>alert(1)</script> "quoted" \\ back\u2028slash <img src=x onerror=alert(1)>'


def test_markup_in_titles_and_abstracts_survives_as_text():
    docs = shipped_docs(build_search_index([paper(HOSTILE, HOSTILE, tags=("<b>",))], SearchConfig()))
    assert docs[0]["title"] == HOSTILE
    assert docs[0]["tags"] == [["<b>", "b"]]
    # Raw HTML in an abstract is shown as text on the paper page, so the snippet keeps it as text too.
    assert "<img src=x onerror=alert(1)>" in docs[0]["text"]
    assert "</script><script>alert(1)</script>" in docs[0]["text"]


@needs_node
def test_the_browser_reads_the_files_back_to_the_same_text():
    files = build_search_index([paper(HOSTILE, HOSTILE)], SearchConfig())
    parsed = run_lunrjs({"parse": [files["search/docs/0.json"], files["search/terms/0.json"]]})["parsed"]
    assert parsed[0][0]["title"] == HOSTILE
    assert "quot" in [entry[0] for entry in parsed[1]]  # "quoted", stemmed


def test_long_abstracts_are_clipped_at_a_word_for_the_snippet():
    abstract = " ".join(["word"] * 400)
    _, docs = build([paper("Long", abstract)])
    text = docs[0]["text"]
    assert len(text) <= SNIPPET_SOURCE_CHARS + 1 and text.endswith("word…")


def test_is_pure_same_output_and_no_files_written(tmp_path):
    before = os.getcwd()
    os.chdir(tmp_path)
    try:
        first = build_search_index(PAPERS, SearchConfig())
        second = build_search_index(PAPERS, SearchConfig())
    finally:
        os.chdir(before)
    assert first == second
    assert list(tmp_path.iterdir()) == []


def test_a_title_with_math_is_indexed_as_the_page_shows_it_not_as_tex():
    index, _ = build([paper(r"Sorting in $\mathcal{O}(n \log n)$ with $\alpha$-trees")])
    assert postings(index, "log") == {"title": ["0"]} and postings(index, "tree") == {"title": ["0"]}
    assert postings(index, "mathcal") == {} and postings(index, "alpha") == {}   # TeX markup is not a word
    prices = build([paper("Models that cost $5 and $10 to train")])[0]
    assert postings(prices, "5") == {"title": ["0"]}   # dollars that are not math stay words as written
