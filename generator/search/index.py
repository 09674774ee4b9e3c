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

``build_postings`` gives the index as postings (term -> field -> documents and
term frequencies), everything a score depends on; scores are computed term by
term when the index is written (``Postings.weights``, ``Postings.stored``),
so no structure per (document, term) pair outlives its term. ``lunr_json``
writes lunr's own serialisation from them and ``shards`` (in
generator/search/shards.py) the split form the browser loads piece by piece.
"""

from __future__ import annotations

import math
from collections import Counter
from itertools import chain
from dataclasses import dataclass
from typing import Iterable, Sequence

import numpy as np

from .lunrjs import LUNR_JS_VERSION, STOP_WORDS, stem, trim, tokenize, utf16_key

K1 = 1.2
B = 0.75
# Serialised search pipeline: lunr.js runs these on every query term (see lunrjs.py for why the trimmer too).
SEARCH_PIPELINE = ["trimmer", "stemmer"]


@dataclass(frozen=True)
class Postings:
    """An index as postings. ``terms[i]`` has lunr's ``_index`` i (order of first occurrence).

    ``docs[f][i]`` lists, ascending, the documents whose field f holds term i (None if none do),
    ``counts[f][i]`` how often, in the same order; ``lengths[f][d]`` is document d's field f
    length in terms (stop words left out). Plain lists of shared small ints: about 16 bytes
    per (document, field, term) entry, where tuples of (document, weight) took over 100.
    """

    fields: tuple[str, ...]
    boosts: tuple[int, ...]
    documents: int
    terms: list[str]
    docs: list[list[list[int] | None]]      # built once, never changed
    counts: list[list[list[int] | None]]
    lengths: list[list[int]]

    def idf(self, term: int) -> float:
        df = 0
        for field in self.docs:
            found = field[term]
            if found is not None:
                df += len(found)
        n = self.documents
        return math.log(1 + abs((n - df + 0.5) / (df + 0.5)))

    def norms(self) -> list[list[float]]:
        """Per field, per document: lunr's length normalisation ``k1 * (1 - b + b * len / avg_len)``."""
        n = self.documents
        result = []
        for lengths in self.lengths:
            average = sum(lengths) / n if n else 0
            if not average:  # a field empty everywhere: no term, so no score ever divides by this
                result.append([0.0] * n)
                continue
            # One float object per distinct length, shared: lengths repeat a lot.
            by_length = {length: K1 * (1 - B + B * (length / average)) for length in set(lengths)}
            result.append([by_length[length] for length in lengths])
        return result

    def weights(self, term: int, field: int, idf: float, norms: list[float]) -> list[float]:
        """lunr's stored weights, round(score, 3), of term in field, by document as in ``docs``."""
        docs, counts = self.docs[field][term], self.counts[field][term]
        if docs is None:
            return []
        k1_plus, boost = K1 + 1, self.boosts[field]
        # lunr's operation order, so the floats agree to the last bit before rounding.
        return [round(idf * (k1_plus * tf) / (norms[doc] + tf) * boost, 3) for doc, tf in zip(docs, counts)]

    def stored(self) -> list["FieldEntries"]:
        """Every field's postings flattened, with each entry's stored weight: ``milli_weights`` of every term at once.

        The same floats as ``weights`` (numpy evaluates the expression in the same order, one IEEE operation at a
        time), rounded as ``milli`` rounds them: about 1 million entries at 10,000 papers, where a Python loop over
        them was half of the search index's time.
        """
        dfs = [0] * len(self.terms)
        for field in self.docs:
            for term, found in enumerate(field):
                if found is not None:
                    dfs[term] += len(found)
        n = self.documents
        idf = np.array([math.log(1 + abs((n - df + 0.5) / (df + 0.5))) for df in dfs], dtype=np.float64)
        return [_field_entries(docs, counts, idf, np.array(norms, dtype=np.float64), boost)
                for docs, counts, norms, boost in zip(self.docs, self.counts, self.norms(), self.boosts)]


@dataclass(frozen=True)
class FieldEntries:
    """One field's postings as flat arrays: term t's entries are ``ptr[t]:ptr[t + 1]``, documents ascending."""

    ptr: np.ndarray      # int64, one more than there are terms
    docs: np.ndarray     # int64
    milli: np.ndarray    # int64: the stored weight * 1000 (lunr's round(score, 3), exactly)


def _field_entries(docs: list, counts: list, idf: np.ndarray, norms: np.ndarray, boost: int) -> FieldEntries:
    lengths = np.fromiter((0 if found is None else len(found) for found in docs), dtype=np.int64, count=len(docs))
    ptr = np.zeros(len(docs) + 1, dtype=np.int64)
    np.cumsum(lengths, out=ptr[1:])
    total = int(ptr[-1])
    flat_docs = np.fromiter(chain.from_iterable(found for found in docs if found is not None), dtype=np.int64,
                            count=total)
    tf = np.fromiter(chain.from_iterable(found for found in counts if found is not None), dtype=np.float64,
                     count=total)
    term_idf = np.repeat(idf, lengths)
    # ``weights``' expression: idf * (k1_plus * tf) / (norms[doc] + tf) * boost
    score = term_idf * ((K1 + 1) * tf) / (norms[flat_docs] + tf) * float(boost)
    value = score * 1000.0
    rounded = np.rint(value)   # ties to even, as round()
    milli_of = rounded.astype(np.int64)
    near_half = np.flatnonzero(~((-0.4999 < value - rounded) & (value - rounded < 0.4999)))
    for at in near_half.tolist():
        milli_of[at] = milli(float(score[at]))
    return FieldEntries(ptr, flat_docs, milli_of)


def milli(score: float) -> int:
    """round(round(score, 3) * 1000), mostly without round(score, 3), which is several times slower.

    round(score, 3) is the double nearest to k / 1000, with k the integer nearest to the
    exact score * 1000 (ties to even); multiplied back by 1000 it is within an ulp of k,
    so the result is k. The product score * 1000.0 is itself within half an ulp (< 1e-10
    for any weight here) of the exact value, so unless it lies next to a half-integer its
    own rounding is k too. Next to one (about 2 scores in 10,000) the exact route decides.
    """
    value = score * 1000.0
    k = round(value)
    if not -0.4999 < value - k < 0.4999:
        k = round(round(score, 3) * 1000)
    return k


def build_postings(texts: Iterable[dict[str, str]], fields: Sequence[tuple[str, int]]) -> Postings:
    """Index documents given as {field: text}; document i is lunr ref str(i)."""
    names = [name for name, _ in fields]
    reduce = DocTerms()
    return postings_of((reduce(doc, names) for doc in texts), fields)


# One document's terms, per field: (its length in terms, its distinct terms in order of first occurrence,
# each as the term or "term\tcount" when it occurs more than once, joined by "\n"; "" for none). Terms never
# hold whitespace (lunr splits words on it). Made once per paper (``DocTerms``) and kept between builds, so a
# rebuild indexes the documents without tokenizing and stemming them again (``postings_of``).
FieldTerms = tuple[int, str]


class DocTerms:
    """A document's ``FieldTerms`` per field, each distinct word processed once across the documents it is given."""

    def __init__(self) -> None:
        self._terms = _Terms()

    def __call__(self, doc: dict[str, str], names: Sequence[str]) -> tuple[FieldTerms, ...]:
        return tuple(self._field(doc[name]) for name in names)

    def _field(self, text: str) -> FieldTerms:
        words = tokenize(text)
        # map() in C order, insertion order: a term's first occurrence, as in lunr's Builder.
        tf = Counter(map(self._terms.__getitem__, words))
        stops = tf.pop(None, 0)
        items = [term if count == 1 else f"{term}\t{count}" for term, count in tf.items()]
        return len(words) - stops, "\n".join(items) if items else ""


class _Terms(dict):
    """word -> its term (None for a stop word), made on first use: stemming is the hot spot, and a word
    seen before is looked up without running any Python code."""

    def __missing__(self, word: str) -> str | None:
        trimmed = trim(word.lower())   # the lunr Builder lowercases each pre-split word once more
        term = self[word] = None if trimmed in STOP_WORDS else stem(trimmed)
        return term


def postings_of(documents: Iterable[tuple[FieldTerms, ...]], fields: Sequence[tuple[str, int]]) -> Postings:
    """The Postings of documents reduced to their terms (``DocTerms``); a term's index is its first occurrence."""
    names = [name for name, _ in fields]
    terms: list[str] = []
    index: dict[str, int] = {}
    docs: list[list] = [[] for _ in names]
    counts: list[list] = [[] for _ in names]
    slots = docs + counts
    lengths: list[list[int]] = [[] for _ in names]
    per_field = list(zip(docs, counts, lengths))
    position = -1
    for position, document in enumerate(documents):
        for (length, text), (field_docs, field_counts, field_lengths) in zip(document, per_field):
            field_lengths.append(length)
            if not text and length == 0:
                continue
            for item in text.split("\n"):
                count = 1
                if "\t" in item:
                    item, count = item.split("\t")
                    count = int(count)
                i = index.get(item)
                if i is None:   # a new term: its index in order of first occurrence, a slot in every field
                    i = index[item] = len(terms)
                    terms.append(item)
                    for slot in slots:
                        slot.append(None)
                found = field_docs[i]
                if found is None:
                    field_docs[i] = [position]
                    field_counts[i] = [count]
                else:
                    found.append(position)
                    field_counts[i].append(count)
    return Postings(fields=tuple(names), boosts=tuple(boost for _, boost in fields), documents=position + 1,
                    terms=terms, docs=docs, counts=counts, lengths=lengths)


def term_order(postings: Postings) -> list[int]:
    """Term indexes in JS string order of their terms (lunr.Index.load rejects any other order)."""
    terms = postings.terms
    return sorted(range(len(terms)), key=lambda i: utf16_key(terms[i]))


def lunr_json(postings: Postings) -> dict:
    """The index exactly as lunr.js's ``Index.toJSON`` lays it out (terms in JS string order)."""
    fields = postings.fields
    norms = postings.norms()
    vectors: list[list[list]] = [[[] for _ in fields] for _ in range(postings.documents)]
    inverted = []
    for index in term_order(postings):
        idf = postings.idf(index)
        posting: dict = {}
        for f, name in enumerate(fields):
            docs = postings.docs[f][index] or []
            posting[name] = {str(doc): {} for doc in docs}
            for doc, weight in zip(docs, postings.weights(index, f, idf, norms[f])):
                vectors[doc][f].append((index, weight))
        posting["_index"] = index
        inverted.append([postings.terms[index], posting])
    field_vectors = []
    for position, doc_vectors in enumerate(vectors):
        for name, vector in zip(fields, doc_vectors):
            flat: list = []
            for index, weight in sorted(vector):
                flat += (index, weight)
            field_vectors.append([f"{name}/{position}", flat])
    return {"version": LUNR_JS_VERSION, "fields": list(fields), "fieldVectors": field_vectors,
            "invertedIndex": inverted, "pipeline": list(SEARCH_PIPELINE)}
