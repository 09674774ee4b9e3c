"""The Python-built search index speaks lunr.js's language: proven against the real lunr.js in Node.

The index is built in Python and queried by lunr.js 2.3.9 in the browser. The
``lunr`` PyPI package processes words differently from lunr.js (key -> kei,
"(e.g." kept whole, "μLO" kept), which would make the browser silently miss
papers. These tests run node_modules/lunr through tests/js/lunr_oracle.js and
compare, word for word and result for result, on the real corpus.
"""

from __future__ import annotations

import json
import subprocess
import tempfile
from datetime import date
from pathlib import Path

import pytest

from papershelf.config import SearchConfig
from papershelf.model import Paper, slugify
from papershelf.search import build_index, field_boosts, field_texts, search_documents
from papershelf.search.lunrjs import process

import needs
from needs import HF_DATA, REPO
from needs import SHARED_SEED as SEED
ORACLE = REPO / "tests" / "js" / "lunr_oracle.js"

pytestmark = pytest.mark.usefixtures("node_js")

# Words chosen to hit every known difference, and the corners of JS string handling:
# UTF-16 lengths (astral characters), JS whitespace vs Python's, case mappings, and
# keys that are special on JS objects.
EDGE_WORDS = [
    "key", "keys", "survey", "surveys", "play", "played", "(e.g.", "e.g.,", "5.8%", "μLO", "τ-bench",
    "state-of-the-art", "naïve", "café's", "don't", "U.S.A.", "C++", ".NET", "_under_", "—", "a--b", "-",
    "constructor", "__proto__", "hasOwnProperty", "toString", "y", "ye", "yyy", "sky", "say", "cry", "YELLING",
    "eed", "agreed", "caresses", "ponies", "hopping", "filing", "falling", "fizzed", "relational",
    "triplicate", "adjustable", "irritant", "replacement", "adoption", "controll", "roll",
    "x\U0001d4b3ing", "\U0001d4b3\U0001d4b3ed", "a\U00010400s", "\U0001F600running\U0001F600", "ab\U0001d4b3",
    "ﬁne", "ﬁling", "İstanbul", "ΟΔΟΣ ΣΑΣ", "Straße", "ǅemal", "\u212aelvin", "ＡＢＣ", "x\uff01",
    "a\u2028b", "a\ufeffb", "a\x85b", "a\x1cb", "a\u200bb", "a\u3000b", "a\u00a0b", "a\u180eb", "a\tb\nc",
]

QUERIES = [
    "diffusion", "title:diffusion", "+music -noise", "lot*", "key", "survey", "play", "e.g.", "5.8%",
    "μLO", "state-space", "video generation", "agent^10 reasoning", "transfomer~1", "authors:wang",
    "+language +model -vision", "benchmark*", "(e.g.,",
]


def run_lunrjs(request: dict) -> dict:
    """One Node process running the real lunr.js over ``request`` (see tests/js/lunr_oracle.js)."""
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "request.json"
        path.write_text(json.dumps(request), encoding="utf-8")
        done = subprocess.run(["node", str(ORACLE), str(path)], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def corpus_papers() -> list[Paper]:
    needs.shared(HF_DATA, "lunr.js and papershelf agree on the vocabulary and index of 1,984 real papers")
    papers = []
    for file in sorted(HF_DATA.glob("*.json")):
        for entry in json.loads(file.read_text(encoding="utf-8")):
            paper = entry["paper"]
            papers.append(Paper(
                slug=f"{slugify(entry['title'], 60)}-{paper['id']}", path=f"content/{paper['id']}.md",
                title=entry["title"], abstract=paper["summary"],
                date=date.fromisoformat(entry["publishedAt"][:10]),
                authors=tuple(a["name"] for a in paper["authors"]),
                tags=tuple(paper.get("ai_keywords") or ()),
            ))
    return papers


def corpus_texts() -> list[str]:
    """Every title, abstract, author name and tag of the 1,984 papers, and the seed listing."""
    texts = []
    for paper in corpus_papers():
        texts += [paper.title, paper.abstract, *paper.authors, *paper.tags]
    for file in HF_DATA.glob("*.json"):  # the API's own hard-wrapped titles too
        texts += [entry["paper"]["title"] for entry in json.loads(file.read_text(encoding="utf-8"))]
    if SEED.exists():
        texts.append(SEED.read_text(encoding="utf-8"))
    return texts


def paper(title: str, abstract: str = "", **fields) -> Paper:
    return Paper(slug=slugify(title), path=f"content/{slugify(title)}.md", title=title, abstract=abstract, **fields)


def test_index_words_are_processed_exactly_as_lunrjs_processes_them():
    texts = corpus_texts()
    words = sorted({word for text in texts for word in text.split()})
    inputs = words + EDGE_WORDS + texts
    assert len(words) > 40_000  # the whole vocabulary, not a sample

    expected = run_lunrjs({"texts": inputs})["tokens"]

    mismatches = [(text[:80], js, py) for text, js, py in zip(inputs, expected, map(process, inputs)) if js != py]
    assert mismatches[:20] == [], f"{len(mismatches)} inputs differ from lunr.js (text, lunr.js, ours)"


def test_harness_notices_the_lunr_package_defaults_miss_words_in_lunrjs():
    # The check above is only worth something if a mismatch shows: the lunr package's own
    # pipeline stems "survey" to "survei", which lunr.js then never finds.
    from lunr import lunr as python_lunr

    index = python_lunr(ref="id", fields=["body"], documents=[{"id": "a", "body": "a survey of keys"}])
    found = run_lunrjs({"load": {"index": index.serialize(), "queries": ["survey", "key"]}})["loaded"]
    assert found == [{"refs": [], "scores": []}, {"refs": [], "scores": []}]


def test_lunrjs_finds_every_trap_word_in_the_python_built_index():
    traps = {
        "key": "A key idea for retrieval.",
        "survey": "We survey the field.",
        "play": "Agents that play games.",
        "e.g.": "Many tasks (e.g. translation) benefit.",
        "5.8%": "Accuracy rises by 5.8% on the benchmark.",
        "μLO": "The μLO optimizer learns to optimize.",
        "state-space": "Selective state-space layers.",
    }
    papers = [paper(f"Paper number {i}", text) for i, text in enumerate(traps.values())]
    index = build_index(search_documents(papers)[0], SearchConfig())

    found = run_lunrjs({"load": {"index": index, "queries": list(traps)}})

    assert found["warnings"] == []
    for position, (query, result) in enumerate(zip(traps, found["loaded"])):
        assert result.get("refs", [None])[:1] == [str(position)], f"{query!r}: {result}"


@pytest.mark.slow
def test_python_index_is_lunrjs_own_index_and_answers_queries_identically():
    papers = corpus_papers()
    config = SearchConfig()
    texts = [field_texts(p, p.abstract, "") for p in papers]
    ours = build_index(texts, config)
    docs = [{"ref": str(i), **t} for i, t in enumerate(texts)]

    answer = run_lunrjs({"build": {"fields": field_boosts(config), "docs": docs, "queries": QUERIES},
                         "load": {"index": ours, "queries": QUERIES}})
    theirs = answer["built"]["index"]

    assert answer["warnings"] == []
    assert {k: v for k, v in ours.items() if k != "fieldVectors"} == \
           {k: v for k, v in theirs.items() if k != "fieldVectors"}
    assert [ref for ref, _ in ours["fieldVectors"]] == [ref for ref, _ in theirs["fieldVectors"]]
    for (ref, mine), (_, js) in zip(ours["fieldVectors"], theirs["fieldVectors"]):
        assert mine[0::2] == js[0::2], ref
        assert mine[1::2] == pytest.approx(js[1::2], abs=0.0011), ref  # both round scores to 3 places
    for query, loaded, built in zip(QUERIES, answer["loaded"], answer["built"]["results"]):
        assert loaded.get("error") is None, query
        assert loaded["refs"], f"{query!r} finds nothing: a weak comparison"
        assert loaded["refs"] == built["refs"], query


def test_terms_are_stored_in_javascript_string_order():
    # Python sorts by code point, JS by UTF-16 unit: "a\uff01b" < "a𝒳b" in Python, the
    # reverse in JS, and lunr.Index.load refuses out-of-order terms.
    papers = [paper("Alpha", "a\uff01b"), paper("Beta", "a\U0001d4b3b"), paper("Gamma", "plain words")]
    index = build_index(search_documents(papers)[0], SearchConfig())

    found = run_lunrjs({"load": {"index": index, "queries": ["a\U0001d4b3b", "a\uff01b", "plain"]}})

    assert [r.get("refs") for r in found["loaded"]] == [["1"], ["0"], ["2"]]


def test_an_empty_reading_list_gives_an_index_lunrjs_loads():
    index = build_index([], SearchConfig())
    found = run_lunrjs({"load": {"index": index, "queries": ["anything"]}})
    assert found["loaded"] == [{"refs": [], "scores": []}]
    assert found["warnings"] == []
