"""The split search index answers every query exactly as one lunr index over the same papers would.

The browser (themes/default/static/search.js) fetches only the term shards a query
needs and rebuilds a lunr.Index from them. tests/js/split_oracle.js runs that very
code under Node with the real lunr.js, next to lunr.Index.load of the whole index.
"""

from __future__ import annotations

import json
import math
import subprocess
from itertools import accumulate

import pytest

from papershelf.config import SearchConfig
from papershelf.search import (DOCS_DIR, MANIFEST_PATH, TERMS_DIR, VOCABULARY_PATH, build_index,
                              build_search_index, search_documents)
from papershelf.search import shards as shards_module
from papershelf.search.lunrjs import utf16_key
from papershelf.search.shards import read_vocabulary
from site_helpers import shipped_papers
from test_search_differential import EDGE_WORDS, REPO, corpus_papers, paper

SPLIT_ORACLE = REPO / "tests" / "js" / "split_oracle.js"
needs_node = pytest.mark.usefixtures("node_js")

QUERIES = [
    # single words, including the words lunr's Python port would spell differently
    "diffusion", "model", "learning", "transformer", "survey", "key", "play", "e.g.", "5.8%", "μLO",
    "state-space", "zzzqqq", "the",
    # one field
    "title:diffusion", "authors:wang", "tags:reasoning", "abstract:reinforcement", "title:lott*",
    # several words (the page first requires them all)
    "video generation", "large language model", "diffusion models for medical image",
    # required and prohibited
    "+music -noise", "+language +model -vision", "-noise", "-noise -diffusion", "+key",
    # required words with a field, a wildcard, a fuzzy word (the index made for such a query holds only the
    # papers with every required word)
    "+title:diffusion +video", "+lott* +ticket", "+transfomer~1 +vision", "+agent +zzzqqq", "+the +diffusion",
    # wildcards: trailing, inner, short prefix, leading; around characters a regular expression would read
    "lott*", "sched*", "benchmark*", "a*", "t*ing", "*ing", "*former", "5.8*", "e.g*", "*.g", "*a*e",
    # fuzzy, and fuzzy mixed with plain terms; prefixes and fuzzy words together
    "transfomer~1", "difusion~2", "diffusion~1 +video", "representations~2", "lott* transfomer~1",
    "title:benchmark~1 -video", "*tion +model",
    # expansions to hundreds of words with many equal scores: lunr orders those by the order in which its
    # token set lists the words, which the assembled token set must share
    "model~1", "learn~2", "diffusion~2",
    # boosts
    "agent^10 reasoning", "title:video^5 generation",
    # not lunr syntax, read as words (lunr's own parser fails on each): a trailing colon, an unknown field,
    # a colon inside a word, quotes, a lone "-"
    "title:", "VLS: Steering Pretrained Robot Policies", "Sim2Real:Robot grasping", '"lottery tickets"',
    "diffusion - music",
]
# Queries the page reads otherwise than lunr's QueryParser: lunr fails on the first four; it reads the last
# as "diffusion" and "-music" (no paper with "music"), the page as the words "diffusion" and "music".
NOT_LUNR = {"title:", "VLS: Steering Pretrained Robot Policies", "Sim2Real:Robot grasping", "diffusion - music"}
TRAPS = ["A key idea for retrieval.", "We survey the field.", "Agents that play games.",
         "Many tasks (e.g. translation) benefit.", "Accuracy rises by 5.8% on the benchmark.",
         "The μLO optimizer learns to optimize.", "Selective state-space layers.", "Lottery tickets, lotteries."]


def write(files: dict[str, str], folder) -> None:
    for rel, text in files.items():
        target = folder / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8")


def ask(tmp_path, papers, queries):
    files = build_search_index(papers, SearchConfig())
    write(files, tmp_path)
    whole = build_index(search_documents(papers)[0], SearchConfig())
    request = tmp_path / "request.json"
    request.write_text(json.dumps({"site": str(tmp_path), "index": whole, "queries": queries}), encoding="utf-8")
    answer = run_split(request)
    return files, answer


def run_split(request):
    done = subprocess.run(["node", str(SPLIT_ORACLE), str(request)], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def assert_same(query, split, whole):
    assert ("error" in split) == ("error" in whole), (query, split.get("error"), whole.get("error"))
    if "error" in whole:
        assert split["error"] == whole["error"], query
        return
    assert split["refs"] == whole["refs"], query  # the same papers in the same order
    assert split["scores"] == pytest.approx(whole["scores"], abs=1e-9, rel=0), query
    assert split["words"] == whole["words"], query  # the words the page marks in each result


# The shipped entries (in every clone) split as finely as 10,000 papers would with small shards;
# the shared corpus (1,984 real papers, ../shared) with the real shard size.
CORPORA = {"shipped": (shipped_papers, 1_200, 25), "shared": (corpus_papers, shards_module.SHARD_BYTES, 34)}
# Queries whose wildcard stands for more words than search.js searches (LIMITS: the most frequent, within
# a budget of postings; docs/search.md "Limits"): their answers are lunr's over the words kept.
LIMITED = {"shipped": set(), "shared": {"a*"}}


@needs_node
@pytest.mark.parametrize("corpus", ["shipped", pytest.param("shared", marks=pytest.mark.slow)])
def test_split_index_answers_like_one_lunr_index_on_real_papers(tmp_path, monkeypatch, corpus):
    load, shard_bytes, enough = CORPORA[corpus]
    monkeypatch.setattr(shards_module, "SHARD_BYTES", shard_bytes)
    papers = load() + [paper(f"Trap paper {i}", text) for i, text in enumerate(TRAPS)]
    files, answer = ask(tmp_path, papers, QUERIES)
    manifest = json.loads(files[MANIFEST_PATH])
    assert len(manifest["shards"]) > 20  # really split

    assert answer["warnings"] == []
    # Where lunr's syntax means something, the page reads a query as lunr's QueryParser does.
    for query, clauses, own, lunrs in zip(QUERIES, answer["clauses"], answer["whole"], answer["lunr"]):
        if query in NOT_LUNR:
            assert clauses["read"] != clauses.get("lunr"), query
            continue
        assert clauses["read"] == clauses["lunr"], query
        assert_same("lunr's " + query, own, lunrs)
    limited = {q for q, split in zip(QUERIES, answer["split"]) if split.get("notes")}
    assert limited == LIMITED[corpus]  # the rest must be exactly lunr's answers
    for query, split, whole in zip(QUERIES, answer["split"], answer["whole"]):
        if query in limited:
            assert set(split["refs"]) <= set(whole["refs"]), query  # fewer words, never other papers
        else:
            assert_same(query, split, whole)
    for query, split, whole in zip(QUERIES, answer["typedSplit"], answer["typedWhole"]):
        if query not in limited:
            assert_same("typed " + query, split, whole)
    found = [q for q, whole in zip(QUERIES, answer["whole"]) if whole.get("refs")]
    assert len(found) >= enough, "too few queries find anything for the comparison to mean much"

    shards = {q: split.get("shards") for q, split in zip(QUERIES, answer["split"])}
    vocabulary = {q: split.get("vocabulary") for q, split in zip(QUERIES, answer["split"])}
    for one_word in ["diffusion", "survey", "5.8%", "title:diffusion", "-noise"]:
        assert len(shards[one_word]) == 1 and not vocabulary[one_word], one_word  # its own shard only
    assert shards["zzzqqq"] == [] or len(shards["zzzqqq"]) == 1
    assert not vocabulary["lott*"] and len(shards["lott*"]) <= 2   # a prefix reaching few shards: those
    # A fuzzy word or a leading wildcard is expanded over the vocabulary file, and only the shards of the
    # words kept are fetched (every shard before): a few of them.
    for whole_vocabulary in ["*ing", "transfomer~1", "difusion~2", "diffusion~1 +video"]:
        assert vocabulary[whole_vocabulary], whole_vocabulary
        assert 0 < len(shards[whole_vocabulary]) <= len(manifest["shards"]) // 2, whole_vocabulary
    assert len(shards["transfomer~1"]) <= 2
    # Over the vocabulary or over the words of every shard, an expansion keeps the same words; before the
    # limits, a wildcard or fuzzy word stands for the words one lunr index's token set yields.
    for query, expansion in zip(QUERIES, answer["expansions"]):
        assert expansion.get("same", True), (query, expansion)
        assert expansion.get("asLunr", True), (query, expansion)
    assert sum(1 for e in answer["expansions"] if e.get("words", 0) > 1) >= 10

    # The documents shown are those of the results' papers.
    for query, split, docs in zip(QUERIES, answer["typedSplit"], answer["docs"]):
        assert [d["title"] for d in docs] == [papers[int(ref)].title for ref in split.get("refs", [])[:3]], query


@needs_node
def test_a_small_and_an_empty_list_search_alike_split_and_whole(tmp_path):
    papers = [paper(f"Trap paper {i}", text) for i, text in enumerate(TRAPS)]
    queries = ["key", "lott*", "-survey", "*ing", "plays~1", "title:trap", ""]
    _, answer = ask(tmp_path / "small", papers, queries)
    for query, split, whole in zip(queries, answer["split"], answer["whole"]):
        assert_same(query, split, whole)
    assert answer["whole"][0]["refs"] == ["0"]

    _, empty = ask(tmp_path / "empty", [], ["anything", "-anything", "*"])
    assert [r["refs"] for r in empty["split"]] == [[], [], []]


def test_shards_hold_every_term_once_in_order_with_its_weights(monkeypatch):
    monkeypatch.setattr(shards_module, "SHARD_BYTES", 1_200)
    papers = shipped_papers()
    files = build_search_index(papers, SearchConfig())
    whole = build_index(search_documents(papers)[0], SearchConfig())
    manifest = json.loads(files[MANIFEST_PATH])
    shards = [json.loads(files[f"{TERMS_DIR}{n}.json"]) for n in range(len(manifest["shards"]))]

    terms = [entry[0] for shard in shards for entry in shard]
    assert terms == [term for term, _ in whole["invertedIndex"]]  # each once, in JS string order
    assert manifest["shards"] == [shard[0][0] for shard in shards]
    assert sorted(manifest["shards"], key=utf16_key) == manifest["shards"]

    vectors = {ref: dict(zip(v[0::2], v[1::2])) for ref, v in whole["fieldVectors"]}
    postings = dict(whole["invertedIndex"])
    for entry in (e for shard in shards for e in shard):
        term, index = entry[0], entry[1]
        assert index == postings[term]["_index"]
        for field, flat in zip(manifest["fields"], entry[2:]):
            refs = list(accumulate(flat[0::2]))
            assert [str(r) for r in refs] == list(postings[term][field]), term
            weights = [vectors[f"{field}/{r}"][index] for r in refs]
            assert [w / 1000 for w in flat[1::2]] == weights, term  # exact, not approximately


def test_the_vocabulary_lists_every_term_with_its_postings_in_order(monkeypatch):
    monkeypatch.setattr(shards_module, "SHARD_BYTES", 1_200)
    papers = shipped_papers() + [paper(f"Trap paper {i}", text) for i, text in enumerate(TRAPS)] + [
        paper("Edge words", " ".join(EDGE_WORDS))]
    files = build_search_index(papers, SearchConfig())
    manifest = json.loads(files[MANIFEST_PATH])
    entries = [e for n in range(len(manifest["shards"])) for e in json.loads(files[f"{TERMS_DIR}{n}.json"])]
    vocabulary = read_vocabulary(files[VOCABULARY_PATH])
    assert vocabulary == [(e[0], sum(len(f) // 2 for f in e[2:])) for e in entries]
    assert manifest["terms"] == len(vocabulary)
    assert any(c > "\uffff" for term, _ in vocabulary for c in term)   # astral characters: UTF-16 code units
    assert json.loads(files[VOCABULARY_PATH])["terms"].count("\n") == len(vocabulary) - 1


def test_front_coding_counts_utf16_code_units_and_never_splits_a_pair():
    terms = ["", "a", "ab", "abc", "b", "x\U0001d4b3ing", "x\U0001d4b3ix", "\U0001d4b3\U0001d4b3", "\ud800x",
             "y" * 80, "y" * 81 + "z", "y" * 73 + "\U0001d4b3a", "y" * 73 + "\U0001d4b3b"]
    coded, previous = [], ""
    for term in sorted(terms, key=utf16_key):
        coded.append(shards_module.front_coded(previous, term))
        previous = term
    assert coded[1:4] == ["0a", "1b", "2c"]
    assert "4x" in coded                          # "x𝒳i" is 4 code units in JavaScript
    assert "zyyyyyyyz" in coded                   # at most 74 shared
    assert chr(48 + 73) + "\U0001d4b3b" in coded   # 75 shared would end inside the pair: 73
    text = json.dumps({"terms": "\n".join(coded), "postings": list(range(len(terms)))})
    assert [t for t, _ in read_vocabulary(text)] == sorted(terms, key=utf16_key)


@needs_node
def test_the_page_decodes_the_vocabulary_as_written(tmp_path):
    papers = shipped_papers() + [paper("Edge words", " ".join(EDGE_WORDS))]
    files, answer = ask(tmp_path, papers, ["key"])
    assert [tuple(pair) for pair in answer["vocabulary"]] == read_vocabulary(files[VOCABULARY_PATH])


def test_documents_come_in_chunks_by_ref():
    papers = shipped_papers()
    files = build_search_index(papers, SearchConfig())
    manifest = json.loads(files[MANIFEST_PATH])
    per = manifest["docsPerChunk"]
    chunks = [p for p in files if p.startswith(DOCS_DIR)]
    assert len(chunks) == math.ceil(len(papers) / per) > 2
    for ref in (0, per - 1, per, len(papers) - 1):
        assert json.loads(files[f"{DOCS_DIR}{ref // per}.json"])[ref % per]["title"] == papers[ref].title
