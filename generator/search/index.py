"""A fast builder of lunr 2.x indexes: the same numbers lunr's own Builder computes, in a fraction of the time. Pure.

lunr's Builder (the ``lunr`` package) needs about 17 s for 10,000 abstracts,
mostly in per-token objects and pipeline calls. Here each distinct word is
processed once (tokenizer, trimmer, stop word filter, stemmer of ``lunrjs``),
documents become term-frequency counts, and the scores are lunr's BM25:

    idf(t)    = ln(1 + |(N - df + 0.5) / (df + 0.5)|)   df counts (document, field) pairs, as lunr does
    score     = idf * (k1 + 1) * tf / (k1 * (1 - b + b * len / avg_len) + tf) * field_boost
    stored as round(score, 3)                             k1 = 1.2, b = 0.75

with the operations in lunr's order so that the floats come out bit for bit the
same (tests/test_search_builder.py compares with the ``lunr`` package's Builder).

``build_postings`` gives the index as postings (term -> field -> [(doc, weight)]),
from which ``lunr_json`` writes lunr's own serialisation and ``shards`` (in
generator/search/shards.py) the split form the browser loads piece by piece.
"""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass
from typing import Sequence

from .lunrjs import LUNR_JS_VERSION, STOP_WORDS, stem, tokenize, trim, utf16_key

K1 = 1.2
B = 0.75
# Serialised search pipeline: lunr.js runs these on every query term (see lunrjs.py for why the trimmer too).
SEARCH_PIPELINE = ["trimmer", "stemmer"]


@dataclass(frozen=True)
class Postings:
    """An index as postings. ``terms[i]`` has lunr's ``_index`` i (order of first occurrence).

    ``entries[i][f]`` lists (document position, stored weight) for term i in field f, by position;
    ``vectors[d][f]`` lists (term index, weight) of document d's field f, by term index.
    """

    fields: tuple[str, ...]
    documents: int
    terms: tuple[str, ...]
    entries: list[list[list[tuple[int, float]]]]   # built once, never changed
    vectors: list[list[list[tuple[int, float]]]]


def build_postings(texts: Sequence[dict[str, str]], fields: Sequence[tuple[str, int]]) -> Postings:
    """Index documents given as {field: text}; document i is lunr ref str(i)."""
    names = [name for name, _ in fields]
    terms: dict[str, int] = {}
    word_ids = _WordIds(terms)
    counts: list[list[Counter]] = []  # per document, per field: term index -> frequency
    lengths: list[list[int]] = []
    for doc in texts:
        doc_counts, doc_lengths = [], []
        for name in names:
            words = tokenize(doc[name])
            # map() in C order: a term's index is its first occurrence, as in lunr's Builder.
            tf = Counter(map(word_ids.__getitem__, words))
            stop = tf.pop(_STOP, 0)
            doc_counts.append(tf)
            doc_lengths.append(len(words) - stop)
        counts.append(doc_counts)
        lengths.append(doc_lengths)
    return _score(names, [boost for _, boost in fields], list(terms), counts, lengths)


_STOP = -1


class _WordIds(dict):
    """word -> term index (``_STOP`` for a stop word), each distinct word processed once: stemming is the hot spot."""

    def __init__(self, terms: dict[str, int]):
        super().__init__()
        self.terms = terms

    def __missing__(self, word: str) -> int:
        # The lunr Builder lowercases each pre-split word once more; so do we.
        trimmed = trim(word.lower())
        if trimmed in STOP_WORDS:
            index = _STOP
        else:
            index = self.terms.setdefault(stem(trimmed), len(self.terms))
        self[word] = index
        return index


def _score(names, boosts, terms, counts, lengths) -> Postings:
    n_docs, n_fields = len(counts), len(names)
    df = [0] * len(terms)
    for doc_counts in counts:
        for tf in doc_counts:
            for index in tf:
                df[index] += 1
    idf = [math.log(1 + abs((n_docs - d + 0.5) / (d + 0.5))) for d in df]
    average = [sum(doc[f] for doc in lengths) / n_docs if n_docs else 0 for f in range(n_fields)]
    k1_plus = K1 + 1
    entries: list[list[list[tuple[int, float]]]] = [[[] for _ in names] for _ in terms]
    vectors = []
    for position, doc_counts in enumerate(counts):
        doc_vectors = []
        for f, tf in enumerate(doc_counts):
            if not tf:  # (a field empty everywhere has average length 0; lunr never divides by it)
                doc_vectors.append([])
                continue
            # lunr's operation order, so the floats agree to the last bit before rounding.
            norm = K1 * (1 - B + B * (lengths[position][f] / average[f]))
            boost = boosts[f]
            vector = [(index, round(idf[index] * (k1_plus * freq) / (norm + freq) * boost, 3))
                      for index, freq in sorted(tf.items())]
            for index, weight in vector:
                entries[index][f].append((position, weight))
            doc_vectors.append(vector)
        vectors.append(doc_vectors)
    return Postings(fields=tuple(names), documents=n_docs, terms=tuple(terms), entries=entries, vectors=vectors)


def lunr_json(postings: Postings) -> dict:
    """The index exactly as lunr.js's ``Index.toJSON`` lays it out (terms in JS string order)."""
    fields = postings.fields
    field_vectors = []
    for position, doc_vectors in enumerate(postings.vectors):
        for name, vector in zip(fields, doc_vectors):
            flat: list = []
            for index, weight in vector:
                flat += (index, weight)
            field_vectors.append([f"{name}/{position}", flat])
    inverted = []
    for index in sorted(range(len(postings.terms)), key=lambda i: utf16_key(postings.terms[i])):
        posting: dict = {name: {str(doc): {} for doc, _ in postings.entries[index][f]}
                         for f, name in enumerate(fields)}
        posting["_index"] = index
        inverted.append([postings.terms[index], posting])
    return {"version": LUNR_JS_VERSION, "fields": list(fields), "fieldVectors": field_vectors,
            "invertedIndex": inverted, "pipeline": list(SEARCH_PIPELINE)}
