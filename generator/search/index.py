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
term frequencies) in flat arrays (``FlatPostings``), everything a score depends on;
the scores of every entry are computed at once with numpy when the index is written
(``FlatPostings.stored``). ``shards`` (in generator/search/shards.py) writes the split
form the browser loads piece by piece; ``lunr_json`` writes lunr's own serialisation
of the same postings as lists (``Postings``, the reference the tests compare with).
"""

from __future__ import annotations

import math
import re
from collections import Counter
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
        return _norms(self.lengths, self.documents)

    def weights(self, term: int, field: int, idf: float, norms: list[float]) -> list[float]:
        """lunr's stored weights, round(score, 3), of term in field, by document as in ``docs``."""
        docs, counts = self.docs[field][term], self.counts[field][term]
        if docs is None:
            return []
        k1_plus, boost = K1 + 1, self.boosts[field]
        # lunr's operation order, so the floats agree to the last bit before rounding.
        return [round(idf * (k1_plus * tf) / (norms[doc] + tf) * boost, 3) for doc, tf in zip(docs, counts)]


def _norms(field_lengths: list[list[int]], n: int) -> list[list[float]]:
    result = []
    for lengths in field_lengths:
        average = sum(lengths) / n if n else 0
        if not average:  # a field empty everywhere: no term, so no score ever divides by this
            result.append([0.0] * n)
            continue
        # One float object per distinct length, shared: lengths repeat a lot.
        by_length = {length: K1 * (1 - B + B * (length / average)) for length in set(lengths)}
        result.append([by_length[length] for length in lengths])
    return result


@dataclass(frozen=True)
class FlatPostings:
    """``Postings`` as flat arrays, per field: term t's entries are ``ptr[f][t]:ptr[f][t + 1]`` of ``docs[f]``
    (ascending) and ``counts[f]``. What the split index is written from (``stored``)."""

    fields: tuple[str, ...]
    boosts: tuple[int, ...]
    documents: int
    terms: list[str]
    lengths: list[list[int]]
    ptr: list[np.ndarray]       # int64, one more than there are terms
    docs: list[np.ndarray]      # int32
    counts: list[np.ndarray]    # int32

    def postings(self) -> Postings:
        """The same postings as lists (``lunr_json`` reads them)."""
        docs, counts = [], []
        for ptr, field_docs, field_counts in zip(self.ptr, self.docs, self.counts):
            bounds = ptr.tolist()
            all_docs, all_counts = field_docs.tolist(), field_counts.tolist()
            docs.append([all_docs[a:b] if b > a else None for a, b in zip(bounds, bounds[1:])])
            counts.append([all_counts[a:b] if b > a else None for a, b in zip(bounds, bounds[1:])])
        return Postings(self.fields, self.boosts, self.documents, self.terms, docs, counts, self.lengths)

    def stored(self) -> list["FieldEntries"]:
        """Every field's entries with their stored weights: ``Postings.weights`` of every term at once.

        The same floats (numpy evaluates the expression in the same order, one IEEE operation at a time),
        rounded as ``milli`` rounds them: about 1 million entries at 10,000 papers, where a Python loop over
        them was half of the search index's time.
        """
        df = np.zeros(len(self.terms), dtype=np.int64)
        for ptr in self.ptr:
            df += np.diff(ptr)
        n = self.documents
        idf = np.array([math.log(1 + abs((n - d + 0.5) / (d + 0.5))) for d in df.tolist()], dtype=np.float64)
        return [_field_entries(ptr, docs, counts, idf, np.array(norms, dtype=np.float64), boost)
                for ptr, docs, counts, norms, boost in zip(self.ptr, self.docs, self.counts,
                                                           _norms(self.lengths, n), self.boosts)]


@dataclass(frozen=True)
class FieldEntries:
    """One field's postings as flat arrays: term t's entries are ``ptr[t]:ptr[t + 1]``, documents ascending."""

    ptr: np.ndarray      # int64, one more than there are terms
    docs: np.ndarray     # int32
    milli: np.ndarray    # int64: the stored weight * 1000 (lunr's round(score, 3), exactly)


def _field_entries(ptr: np.ndarray, docs: np.ndarray, counts: np.ndarray, idf: np.ndarray, norms: np.ndarray,
                   boost: int) -> FieldEntries:
    tf = counts.astype(np.float64)
    term_idf = np.repeat(idf, np.diff(ptr))
    # ``weights``' expression: idf * (k1_plus * tf) / (norms[doc] + tf) * boost
    score = term_idf * ((K1 + 1) * tf) / (norms[docs] + tf) * float(boost)
    value = score * 1000.0
    rounded = np.rint(value)   # ties to even, as round()
    milli_of = rounded.astype(np.int64)
    near_half = np.flatnonzero(~((-0.4999 < value - rounded) & (value - rounded < 0.4999)))
    for at in near_half.tolist():
        milli_of[at] = milli(float(score[at]))
    return FieldEntries(ptr, docs, milli_of)


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


def build_postings(texts: Iterable[dict[str, str]], fields: Sequence[tuple[str, int]]) -> FlatPostings:
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


def postings_of(documents: Iterable[tuple[FieldTerms, ...]], fields: Sequence[tuple[str, int]], *,
                batch: int = 4096) -> FlatPostings:
    """The postings of documents reduced to their terms (``DocTerms``), flat; a term's index is its first occurrence.

    The items are read ``batch`` field texts at a time (``_numbered``), and the entries grouped by term with a
    stable sort (documents stay ascending).
    """
    names = [name for name, _ in fields]
    width = len(names)
    lengths: list[list[int]] = [[] for _ in names]
    texts: list[str] = []    # each field text holding terms, document by document, field by field
    where: list[int] = []    # its document * width + field
    position = -1
    for position, document in enumerate(documents):
        for field, ((length, text), field_lengths) in enumerate(zip(document, lengths)):
            field_lengths.append(length)
            if text or length:   # "" with a length is one term, the empty one
                texts.append(text)
                where.append(position * width + field)
    number: dict[str, int] = {}   # term -> its index, in order of first occurrence
    id_parts, count_parts = [], []
    for start in range(0, len(texts), batch):   # a batch's items at a time: millions of small strings otherwise
        ids, counts = _numbered(texts[start:start + batch], number)
        id_parts.append(ids)
        count_parts.append(counts)
    terms = list(number)
    ids = np.concatenate(id_parts) if id_parts else np.zeros(0, dtype=np.int32)
    counts = np.concatenate(count_parts) if count_parts else np.zeros(0, dtype=np.int32)
    del id_parts, count_parts
    # 32-bit entries (a 10,000-paper index has about 1.5 million): half the memory of the search worker's peak
    place = np.repeat(np.array(where, dtype=np.int32), [text.count("\n") + 1 for text in texts])
    docs_of, field_of = np.divmod(place, width) if width else (place, place)
    del place
    ptr, docs, field_counts = [], [], []
    narrow = ids.astype(np.uint16) if len(terms) <= 1 << 16 else ids   # numpy sorts 16-bit keys by radix: faster
    for field in range(width):
        mine = np.flatnonzero(field_of == field)
        by_term = mine[np.argsort(narrow[mine], kind="stable")]
        field_ptr = np.zeros(len(terms) + 1, dtype=np.int64)
        np.cumsum(np.bincount(ids[mine], minlength=len(terms)), out=field_ptr[1:])
        ptr.append(field_ptr)
        docs.append(docs_of[by_term])
        field_counts.append(counts[by_term])
    return FlatPostings(fields=tuple(names), boosts=tuple(boost for _, boost in fields), documents=position + 1,
                        terms=terms, lengths=lengths, ptr=ptr, docs=docs, counts=field_counts)


_COUNT = re.compile("\t[0-9]+")   # a term's count after it in ``FieldTerms`` (terms hold no whitespace)


def _numbered(texts: list[str], number: dict[str, int]) -> tuple[np.ndarray, np.ndarray]:
    """The items of ``texts`` (field texts of ``FieldTerms``) as term indexes and counts; a term not in ``number``
    yet gets the next index. The texts are split at once: the counts cut off by one regular expression, each
    new term numbered by its first occurrence (``dict.fromkeys`` keeps it)."""
    joined = "\n".join(texts)
    items = joined.split("\n")
    bare = _COUNT.sub("", joined).split("\n")
    for term in dict.fromkeys(bare):
        number.setdefault(term, len(number))
    ids = np.fromiter(map(number.__getitem__, bare), dtype=np.int32, count=len(bare))
    counts = np.ones(len(items), dtype=np.int32)
    counted = np.flatnonzero(np.fromiter(map(len, items), dtype=np.int64, count=len(items)) !=
                             np.fromiter(map(len, bare), dtype=np.int64, count=len(bare)))
    for at in counted.tolist():
        counts[at] = int(items[at].rpartition("\t")[2])
    return ids, counts


def term_order(postings: "Postings | FlatPostings") -> list[int]:
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


def patched_postings(postings: FlatPostings, terms: Sequence[tuple[FieldTerms, ...]],
                     edited: Iterable[int]) -> FlatPostings:
    """``postings`` of documents whose terms were ``terms`` but for the ``edited`` ones: ``postings_of(terms)``, made
    by replacing the edited documents' entries and numbering the terms again where that moved a first occurrence.

    Terms are numbered by first occurrence. A term's first document can change only through an edited document
    (the term new, gone, added before its first document or no longer in it); the terms first held by a document
    are read in its order only for the edited documents and those that now hold a term first; the other terms keep
    the order of their last numbers.
    """
    edited = sorted(edited)
    number = {term: index for index, term in enumerate(postings.terms)}
    items = {doc: [_items(text, length, number) for length, text in terms[doc]] for doc in edited}  # new terms numbered
    extended = list(number)   # the terms, then the new ones
    ptr, docs, counts = [], [], []
    for field in range(len(postings.fields)):
        added = sorted((term, doc, count) for doc, fields in items.items() for term, count in fields[field])
        field_ptr = np.concatenate([postings.ptr[field], np.full(len(extended) - len(postings.terms),
                                                                 postings.ptr[field][-1])])
        field_ptr, field_docs, field_counts = _field_patched(field_ptr, postings.docs[field], postings.counts[field],
                                                             np.array(edited, dtype=np.int32), added)
        ptr.append(field_ptr)
        docs.append(field_docs)
        counts.append(field_counts)
    lengths = [list(field_lengths) for field_lengths in postings.lengths]
    for doc in edited:
        for field_lengths, (length, _) in zip(lengths, terms[doc]):
            field_lengths[doc] = length
    patched = FlatPostings(postings.fields, postings.boosts, postings.documents, extended, lengths, ptr, docs, counts)
    return _renumbered(patched, _first_documents(postings), edited, terms)


def _first_documents(postings: FlatPostings) -> np.ndarray:
    """Each term's first document (the document count for a term no document holds)."""
    first = np.full(len(postings.terms), postings.documents, dtype=np.int64)
    for ptr, docs in zip(postings.ptr, postings.docs):
        held = np.flatnonzero(ptr[1:] > ptr[:-1])
        np.minimum.at(first, held, docs[ptr[held]])
    return first


def _items(text: str, length: int, number: dict[str, int]) -> list[tuple[int, int]]:
    """A field's ``FieldTerms`` as (term index, count) pairs; a term not in ``number`` gets the next index."""
    if not text and not length:
        return []
    pairs = []
    for item in text.split("\n"):
        term, _, count = item.partition("\t")
        pairs.append((number.setdefault(term, len(number)), int(count) if count else 1))
    return pairs


def _field_patched(ptr: np.ndarray, docs: np.ndarray, counts: np.ndarray, edited: np.ndarray,
                   added: list[tuple[int, int, int]]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """One field's (ptr, docs, counts) with the entries of the ``edited`` documents replaced by ``added``
    ((term, document, count), sorted)."""
    terms = len(ptr) - 1
    gone = np.flatnonzero(np.isin(docs, edited))
    less = np.zeros(terms + 1, dtype=np.int64)
    np.cumsum(np.bincount(np.searchsorted(ptr, gone, side="right") - 1, minlength=terms), out=less[1:])
    kept_ptr = ptr - less
    kept_docs, kept_counts = np.delete(docs, gone), np.delete(counts, gone)
    at = [int(kept_ptr[term]) + int(np.searchsorted(kept_docs[kept_ptr[term]:kept_ptr[term + 1]], doc))
          for term, doc, _ in added]
    more = np.zeros(terms + 1, dtype=np.int64)
    np.cumsum(np.bincount(np.array([term for term, _, _ in added], dtype=np.int64), minlength=terms), out=more[1:])
    return (kept_ptr + more, np.insert(kept_docs, at, [doc for _, doc, _ in added]).astype(np.int32, copy=False),
            np.insert(kept_counts, at, [count for _, _, count in added]).astype(np.int32, copy=False))


def _renumbered(postings: FlatPostings, before: np.ndarray, edited: list[int],
                terms: Sequence[tuple[FieldTerms, ...]]) -> FlatPostings:
    """``postings`` (its terms numbered as last time, new ones after them) numbered by first occurrence again, terms
    no document holds left out. ``before``: each term's first document last time."""
    first = _first_documents(postings)
    was = np.full(len(first), postings.documents, dtype=np.int64)
    was[:len(before)] = before
    # A term's place among the terms its first document holds first: its last number's, or, where that document
    # is read again (edited, or now the first to hold a term), its first occurrence's there.
    place = np.arange(len(first), dtype=np.int64)
    number = {term: index for index, term in enumerate(postings.terms)}
    for doc in sorted(set(first[first != was].tolist()) - {postings.documents} | set(edited)):
        held = dict.fromkeys(term for length, text in terms[doc] for term, _ in _items(text, length, number))
        firsts = [term for term in held if first[term] == doc]
        place[firsts] = np.arange(len(firsts))
    present = np.flatnonzero(first < postings.documents)
    order = present[np.lexsort((place[present], first[present]))]
    if len(order) == len(first) and bool((order == np.arange(len(first))).all()):
        return postings
    return _reordered(postings, order)


def _reordered(postings: FlatPostings, order: np.ndarray) -> FlatPostings:
    """``postings`` with term ``order[i]`` as term i (terms not in ``order`` left out)."""
    ptr, docs, counts = [], [], []
    for field_ptr, field_docs, field_counts in zip(postings.ptr, postings.docs, postings.counts):
        sizes = np.diff(field_ptr)[order]
        new_ptr = np.zeros(len(order) + 1, dtype=np.int64)
        np.cumsum(sizes, out=new_ptr[1:])
        taken = np.repeat(field_ptr[order] - new_ptr[:-1], sizes) + np.arange(new_ptr[-1], dtype=np.int64)
        ptr.append(new_ptr)
        docs.append(field_docs[taken])
        counts.append(field_counts[taken])
    return FlatPostings(postings.fields, postings.boosts, postings.documents, [postings.terms[t] for t in order.tolist()],
                        postings.lengths, ptr, docs, counts)


# ``FlatPostings`` as plain data, for the build cache on disk (which reads back no numpy object): the terms,
# each field's lengths, entries per term, documents and counts as (dtype, bytes) in the narrowest integer type.
PackedPostings = tuple[tuple[str, ...], list[str], int, list[tuple[tuple[str, bytes], ...]]]


def packed(postings: FlatPostings) -> PackedPostings:
    fields = [tuple(_narrow(np.asarray(values)) for values in (lengths, np.diff(ptr), docs, counts))
              for lengths, ptr, docs, counts in zip(postings.lengths, postings.ptr, postings.docs, postings.counts)]
    return postings.fields, postings.terms, postings.documents, fields


def unpacked(packed_postings: PackedPostings, boosts: Sequence[int]) -> FlatPostings:
    """The postings ``packed`` saved, weighted by ``boosts``."""
    fields, terms, documents, saved = packed_postings
    lengths, ptr, docs, counts = [], [], [], []
    for field_lengths, per_term, field_docs, field_counts in saved:
        lengths.append(_wide(field_lengths, np.int64).tolist())
        field_ptr = np.zeros(len(terms) + 1, dtype=np.int64)
        np.cumsum(_wide(per_term, np.int64), out=field_ptr[1:])
        ptr.append(field_ptr)
        docs.append(_wide(field_docs, np.int32))
        counts.append(_wide(field_counts, np.int32))
    return FlatPostings(fields, tuple(boosts), documents, terms, lengths, ptr, docs, counts)


def _narrow(values: np.ndarray) -> tuple[str, bytes]:
    kind = np.min_scalar_type(int(values.max())) if len(values) else np.dtype(np.uint8)
    return kind.str, values.astype(kind).tobytes()


def _wide(saved: tuple[str, bytes], kind) -> np.ndarray:
    return np.frombuffer(saved[1], dtype=np.dtype(saved[0])).astype(kind)
