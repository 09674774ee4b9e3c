"""Related papers: the papers most similar to each paper by the words of their titles and abstracts and by their tags.

Each paper is a TF-IDF vector: the stemmed words of its title (counted twice) and abstract, and its tags
(each a feature of its own, weighted ``TAG_WEIGHT`` times a word). A feature's weight is
``(1 + ln count) * idf`` with ``idf = log2(papers / papers having it)`` rounded down to a quarter; features
found in a single paper, or in more than ``MAX_SHARE`` of the papers, are left out, and a paper keeps its
``KEPT`` heaviest features. Two papers' similarity is the cosine of their vectors; a paper's related papers
are the ``LIMIT`` most similar others with a similarity above 0, ties by slug. Drafts are never related.

The cosine products are a sparse matrix product done with numpy, a block of papers at a time. A pure-Python
loop over the postings (about 6 million multiply-adds at 10,000 papers) took 5-12 s; numpy takes a fraction
of a second, and it is a single, widely used package with no dependencies of its own.

``RelatedIndex`` keeps the last ranking for the next build (the preview's and the build cache's): after an
edit it ranks again only the papers whose list may change. Rounding the idf makes an edit change the weights
of few features, so few vectors change; a paper whose vector is unchanged keeps its list unless a changed
paper was on it or now scores above its last. Each similarity is summed in the order of the feature ids from
either side, so it is the same float whichever paper's row it is computed in, and an update equals a ranking
from scratch. Pure: no I/O.
"""

from __future__ import annotations

import functools
import hashlib
import math
import re
from array import array
from collections import Counter
from dataclasses import dataclass, field
from typing import Callable, Iterable, Sequence

import numpy as np
from lunr.stemmer import PorterStemmer
from lunr.stop_word_filter import WORDS

from .model import Paper, tag_slug

LIMIT = 5             # related papers shown on a paper's page
KEPT = 24             # features a paper keeps (its heaviest)
MAX_SHARE = 0.05      # a feature in more than this share of the papers says little about any of them...
MAX_SHARE_FLOOR = 20  # ...but small sites keep features found in up to this many papers
TAG_WEIGHT = 2.0      # a tag weighs as much as a word said twice... and a bit
TITLE_REPEAT = 2      # title words count twice
BLOCK = 64            # papers whose similarities are computed at once (their products: ~40 MB at 10,000 papers)

_WORD = re.compile(r"[^\W\d_]{3,}")
_STOP = frozenset(WORDS)
_STEMMER = PorterStemmer()
_ID = np.dtype(np.uint64)     # as array("Q")
_COUNT = np.dtype(np.uint32)  # as array("I")


@functools.lru_cache(maxsize=1 << 18)
def _word_id(word: str) -> int:
    """A word's feature id: 64 bits of the digest of its stem, the same in every process; 0 for a stop word.

    Memoised, and called through ``map``, so counting a paper's words runs no Python code per word."""
    if word in _STOP:
        return 0
    return int.from_bytes(hashlib.blake2b(_STEMMER.stem(word).encode(), digest_size=8).digest(), "little") or 1


@functools.lru_cache(maxsize=1 << 17)
def _tag_id(slug: str) -> int:
    return int.from_bytes(hashlib.blake2b(slug.encode(), digest_size=8, person=b"tag").digest(), "little")


@dataclass(frozen=True)
class Terms:
    """A paper's words: feature ids (ascending, uint64) and how often each occurs (uint32)."""

    ids: bytes
    counts: bytes


def paper_terms(paper: Paper) -> Terms:
    """The words of a paper's title (counted ``TITLE_REPEAT`` times) and abstract, stop words left out."""
    counts = Counter(map(_word_id, _WORD.findall(paper.abstract.lower())))
    title = _WORD.findall(paper.title.lower())
    for _ in range(TITLE_REPEAT):
        counts.update(map(_word_id, title))
    counts.pop(0, None)
    ids = sorted(counts)
    return Terms(array("Q", ids).tobytes(), array("I", [counts[i] for i in ids]).tobytes())


@dataclass
class _Vectors:
    """Every paper's weighted features, by row (papers in the given order)."""

    indptr: np.ndarray      # row r's features are entries indptr[r]:indptr[r + 1], by ascending feature
    features: np.ndarray    # feature index of each entry (into the sorted feature ids)
    weights: np.ndarray     # normalised weight of each entry
    post_ptr: np.ndarray    # feature f's papers are post_rows[post_ptr[f]:post_ptr[f + 1]], by ascending row
    post_rows: np.ndarray
    post_weights: np.ndarray
    feature_ids: np.ndarray
    df: np.ndarray          # how many papers have each feature (of all their words and tags, kept or not)

    def signature(self, row: int) -> bytes:
        """What row ``row``'s similarities depend on: its features and their weights."""
        start, stop = self.indptr[row], self.indptr[row + 1]
        return self.feature_ids[self.features[start:stop]].tobytes() + self.weights[start:stop].tobytes()


def _entries(tags: Sequence[Iterable[str]], terms: Sequence[Terms]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Every paper's words, then every paper's tags, as (row, feature id, count) entries; a count of 0 marks a tag.
    ``tags`` and ``terms``: each paper's, by row."""
    n = len(terms)
    tag_ids = [sorted({_tag_id(tag_slug(t)) for t in paper_tags}) for paper_tags in tags]
    lengths = np.array([len(words.ids) // _ID.itemsize for words in terms] + [len(t) for t in tag_ids], dtype=np.int64)
    ids = np.concatenate([np.frombuffer(b"".join([words.ids for words in terms]), dtype=_ID),
                          np.array([i for t in tag_ids for i in t], dtype=_ID)])
    counts = np.concatenate([np.frombuffer(b"".join([words.counts for words in terms]), dtype=_COUNT),
                             np.zeros(int(lengths[n:].sum()), dtype=_COUNT)])
    return np.repeat(np.concatenate([np.arange(n), np.arange(n)]), lengths), ids, counts


def _vectors(tags: Sequence[Iterable[str]], terms: Sequence[Terms]) -> _Vectors:
    """Every paper's weighted features, from its tags and its words (``terms``), by row."""
    n = len(terms)
    all_rows, all_ids, all_counts = _entries(tags, terms)
    # np.unique's own inverse argsorts the ids (most of the ranking's time after one edit); a sort and a search are half
    feature_ids = np.unique(all_ids)
    feature = np.searchsorted(feature_ids, all_ids)
    df = np.bincount(feature, minlength=len(feature_ids))
    idf = _rounded_idf(n, df)
    rows, feature, weight = _kept(all_rows, feature, _tf_weight(all_counts) * idf[feature], n)
    return _csr_csc(rows, feature, weight, n, feature_ids, df)


def _kept(rows: np.ndarray, keys: np.ndarray, weight: np.ndarray, n: int) -> tuple[np.ndarray, ...]:
    """Each row's heaviest ``KEPT`` entries of positive weight (ties: the lower key), normalised, by row then
    ascending key (the summing order). ``keys``: feature indexes or ids (both ascend alike). Rows below ``n``."""
    keep = weight > 0
    rows, keys, weight = rows[keep], keys[keep], weight[keep]
    order = np.lexsort((keys, -weight, rows))
    rows, keys, weight = rows[order], keys[order], weight[order]
    starts = np.searchsorted(rows, np.arange(n))
    keep = np.arange(len(rows)) - starts[rows] < KEPT
    rows, keys, weight = rows[keep], keys[keep], weight[keep]
    norms = np.sqrt(np.bincount(rows, weights=weight * weight, minlength=n))
    weight = weight / norms[rows]
    order = np.lexsort((keys, rows))
    return rows[order], keys[order], weight[order]


def _csr_csc(rows: np.ndarray, feature: np.ndarray, weight: np.ndarray, n: int, feature_ids: np.ndarray,
             df: np.ndarray) -> _Vectors:
    """The vectors of entries given by row then ascending feature, with their postings by feature."""
    indptr = np.searchsorted(rows, np.arange(n + 1))
    by_feature = np.lexsort((rows, feature))
    post_ptr = np.searchsorted(feature[by_feature], np.arange(len(feature_ids) + 1))
    return _Vectors(indptr, feature, weight, post_ptr, rows[by_feature], weight[by_feature], feature_ids, df)


def _raw(row: tuple) -> tuple[np.ndarray, np.ndarray]:
    """One paper's features as the ranking read them (``RelatedIndex.inputs`` row): word ids then tag ids, and
    their counts (0 marks a tag)."""
    tags = sorted({_tag_id(tag_slug(t)) for t in row[2]})
    return (np.concatenate([np.frombuffer(row[3], dtype=_ID), np.array(tags, dtype=_ID)]),
            np.concatenate([np.frombuffer(row[4], dtype=_COUNT), np.zeros(len(tags), dtype=_COUNT)]))


def _patched(vectors: _Vectors, before: tuple, after: tuple, rows: list[int]) -> tuple[_Vectors, list[int]] | None:
    """The vectors of ``after`` made from those of ``before`` (the same papers in the same rows), where only
    ``rows`` changed what the ranking reads: equal to ``_vectors`` of ``after``; and the rows weighted again.
    Those rows' features change the document frequencies; where that moves a feature's rounded idf, every paper
    having it is weighted again. None when more than ``MAX_MOVED`` papers would be."""
    n = len(after)
    old = [_raw(before[r]) for r in rows]
    new = [_raw(after[r]) for r in rows]
    removed = np.concatenate([ids for ids, _ in old])
    added = np.concatenate([ids for ids, _ in new])
    ids = np.union1d(vectors.feature_ids, added)
    df_before = np.zeros(len(ids), dtype=np.int64)
    df_before[np.searchsorted(ids, vectors.feature_ids)] = vectors.df
    df = df_before.copy()
    np.subtract.at(df, np.searchsorted(ids, removed), 1)
    np.add.at(df, np.searchsorted(ids, added), 1)
    idf = _rounded_idf(n, df)
    moved = ids[idf != _rounded_idf(n, df_before)]
    again = set(rows)
    if len(moved):
        words = np.frombuffer(b"".join([entry[3] for entry in after]), dtype=_ID)
        owners = np.repeat(np.arange(n), [len(entry[3]) // _ID.itemsize for entry in after])
        again.update(np.unique(owners[np.isin(words, moved)]).tolist())
        again |= _tagged_rows(after, moved)
    if len(again) > MAX_MOVED:
        return None
    present = df > 0
    ids, df, idf = ids[present], df[present], idf[present]
    redone = sorted(again)
    raw = [_raw(after[r]) for r in redone]
    local = np.repeat(np.arange(len(redone)), [len(r_ids) for r_ids, _ in raw])
    raw_ids = np.concatenate([r_ids for r_ids, _ in raw])
    raw_counts = np.concatenate([counts for _, counts in raw])
    feature = np.searchsorted(ids, raw_ids)
    local, feature, weight = _kept(local, feature, _tf_weight(raw_counts) * idf[feature], len(redone))
    entry_rows = np.repeat(np.arange(n), np.diff(vectors.indptr))
    stay = ~np.isin(entry_rows, np.array(redone, dtype=np.int64))
    rows_all = np.concatenate([entry_rows[stay], np.array(redone, dtype=np.int64)[local]])
    features_all = np.concatenate([np.searchsorted(ids, vectors.feature_ids[vectors.features[stay]]), feature])
    weights_all = np.concatenate([vectors.weights[stay], weight])
    order = np.lexsort((features_all, rows_all))
    return _csr_csc(rows_all[order], features_all[order], weights_all[order], n, ids, df), redone


def _tagged_rows(inputs: tuple, moved: np.ndarray) -> set[int]:
    """The rows of papers having one of the ``moved`` features among their tags."""
    wanted = set(moved.tolist())
    return {row for row, entry in enumerate(inputs) if any(_tag_id(tag_slug(t)) in wanted for t in entry[2])}


def _rounded_idf(papers: int, df: np.ndarray) -> np.ndarray:
    """log2(papers / df) rounded down to a quarter; 0 for features of one paper or of too many."""
    cap = max(MAX_SHARE_FLOOR, int(papers * MAX_SHARE))
    table = {d: math.floor(4 * math.log2(papers / d)) / 4 for d in np.unique(df).tolist() if 2 <= d <= cap}
    return np.array([table.get(d, 0.0) for d in df.tolist()], dtype=np.float64)


def _tf_weight(counts: np.ndarray) -> np.ndarray:
    """1 + ln(count) for a word, TAG_WEIGHT for a tag (count 0); from a table, so every process agrees."""
    top = int(counts.max()) if len(counts) else 0
    table = np.array([TAG_WEIGHT] + [1 + math.log(c) for c in range(1, top + 1)], dtype=np.float64)
    return table[counts]


def _similarities(vectors: _Vectors, rows: np.ndarray, n: int) -> np.ndarray:
    """The cosine of each of ``rows`` with every paper (len(rows) x n).

    Each cell sums its products in ascending feature order, whichever of its two papers is the row.
    """
    starts, stops = vectors.indptr[rows], vectors.indptr[rows + 1]
    lengths = stops - starts
    entries = np.repeat(starts - np.cumsum(lengths) + lengths, lengths) + np.arange(int(lengths.sum()))
    local = np.repeat(np.arange(len(rows)), lengths)
    feature = vectors.features[entries]
    post_len = vectors.post_ptr[feature + 1] - vectors.post_ptr[feature]
    total = int(post_len.sum())
    gather = np.repeat(vectors.post_ptr[feature] - np.cumsum(post_len) + post_len, post_len) + np.arange(total)
    cells = np.repeat(local, post_len) * n + vectors.post_rows[gather]
    values = np.repeat(vectors.weights[entries], post_len) * vectors.post_weights[gather]
    return np.bincount(cells, weights=values, minlength=len(rows) * n).reshape(len(rows), n)


Ranked = tuple[tuple[str, float], ...]   # (slug, similarity), best first


def _tops(scores: np.ndarray, rows: np.ndarray, slugs: Sequence[str], eligible: np.ndarray) -> list[Ranked]:
    """The LIMIT best others of each row of a block of similarities: above 0, eligible, ties by slug
    (columns are in slug order and ``argmax`` takes the first of equal values)."""
    scores[:, ~eligible] = 0.0
    every = np.arange(len(rows))
    scores[every, rows] = 0.0
    lists: list[list[tuple[str, float]]] = [[] for _ in rows]
    for _ in range(LIMIT):
        best = scores.argmax(axis=1)
        values = scores[every, best]
        scores[every, best] = 0.0
        for i in np.flatnonzero(values > 0).tolist():
            lists[i].append((slugs[best[i]], float(values[i])))
    return [tuple(found) for found in lists]


def _best(found: list[tuple[str, float]]) -> Ranked:
    return tuple(sorted(found, key=lambda item: (-item[1], item[0]))[:LIMIT])


@dataclass
class RelatedIndex:
    """The last ranking, kept for the next build: each paper's vector signature and related list."""

    signatures: dict[str, bytes] = field(default_factory=dict)
    eligible: dict[str, bool] = field(default_factory=dict)
    ranked: dict[str, Ranked] = field(default_factory=dict)
    terms: dict[tuple[str, str], Terms] = field(default_factory=dict)   # (title, abstract) -> its terms
    reranked: int = 0    # papers ranked again by the last update
    inputs: tuple = ()   # what the last ranking read of each paper: slug, draft, tags and words
    vectors: "_Vectors | None" = field(default=None, compare=False, repr=False)   # of ``inputs``

    def __getstate__(self) -> dict:
        """The vectors saved as each array's dtype and bytes (the build cache on disk reads back no numpy object)."""
        state = dict(self.__dict__)
        if self.vectors is not None:
            state["vectors"] = {name: (value.dtype.str, value.tobytes()) for name, value in vars(self.vectors).items()}
        return state

    def __setstate__(self, state: dict) -> None:
        saved = state.get("vectors")
        if saved is not None:
            state["vectors"] = _Vectors(**{name: np.frombuffer(data, dtype=np.dtype(kind))
                                           for name, (kind, data) in saved.items()})
        self.__dict__.update(state)

    def update(self, papers: Sequence[Paper], made: Callable[[Paper], Terms | None] = lambda paper: None
               ) -> dict[str, tuple[Paper, ...]]:
        """Each paper's related papers. ``made`` gives a paper's terms when they were made elsewhere already."""
        papers = sorted(papers, key=lambda paper: paper.slug)   # rows and columns in slug order: ties by slug
        terms = self._terms_of(papers, made)
        n = len(papers)
        slugs = [p.slug for p in papers]
        by_slug = dict(zip(slugs, papers))
        inputs = tuple([(p.slug, p.draft, p.tags, t.ids, t.counts) for p, t in zip(papers, terms)])
        if inputs == self.inputs:   # an edit of notes, status, dates...: nothing the ranking reads
            self.reranked = 0
            return {s: tuple([by_slug[o] for o, _ in self.ranked[s]]) for s in slugs}
        vectors, redone = self._vectors_of(papers, terms, inputs)
        self.vectors = vectors
        eligible = np.array([not p.draft for p in papers], dtype=bool)
        if redone is None:
            signatures = {slug: vectors.signature(row) for row, slug in enumerate(slugs)}
        else:   # the other rows' vectors are the last ones, to the bit
            signatures = dict(self.signatures)
            signatures.update((slugs[row], vectors.signature(row)) for row in redone)
        flags = dict(zip(slugs, eligible.tolist()))
        changed = {s for s in slugs if self.signatures.get(s) != signatures[s] or self.eligible.get(s) != flags[s]}
        gone = set(self.ranked) - set(slugs)
        if not self.ranked or len(changed) + len(gone) > n // 8:
            again = set(slugs)
        else:
            again = changed | self._merged(vectors, slugs, eligible, changed, gone)
        row_of = {slug: row for row, slug in enumerate(slugs)}
        ranked = {s: self.ranked[s] for s in slugs if s not in again}
        rows = np.array(sorted(row_of[s] for s in again), dtype=np.int64)
        for start in range(0, len(rows), BLOCK):
            block = rows[start:start + BLOCK]
            for row, found in zip(block.tolist(), _tops(_similarities(vectors, block, n), block, slugs, eligible)):
                ranked[slugs[row]] = found
        self.signatures, self.eligible, self.reranked, self.inputs = signatures, flags, len(again), inputs
        self.ranked = {s: ranked[s] for s in slugs}
        return {s: tuple([by_slug[o] for o, _ in self.ranked[s]]) for s in slugs}

    def _vectors_of(self, papers: Sequence[Paper], terms: list[Terms], inputs: tuple
                    ) -> tuple[_Vectors, list[int] | None]:
        """The vectors of ``inputs``: the last ranking's patched where a few papers (the same, in the same rows)
        changed, else made from scratch (``_vectors``); the same arrays either way. With them, the rows whose
        vectors were made again (None: all of them)."""
        before = self.inputs
        if self.vectors is not None and len(before) == len(inputs):
            rows = [row for row, (then, now) in enumerate(zip(before, inputs)) if then != now]
            if rows and len(rows) <= len(inputs) // 8 and all(before[row][0] == inputs[row][0] for row in rows):
                patched = _patched(self.vectors, before, inputs, rows)
                if patched is not None:
                    return patched
        return _vectors([p.tags for p in papers], terms), None

    def _terms_of(self, papers: Sequence[Paper], made: Callable[[Paper], Terms | None]) -> list[Terms]:
        kept: dict[tuple[str, str], Terms] = {}
        for paper in papers:
            key = (paper.title, paper.abstract)
            found = self.terms.get(key) or made(paper) or paper_terms(paper)
            kept[key] = found
        self.terms = kept
        return [kept[(p.title, p.abstract)] for p in papers]

    def _merged(self, vectors: _Vectors, slugs: list[str], eligible: np.ndarray, changed: set[str],
                gone: set[str]) -> set[str]:
        """Update in ``self.ranked`` the lists of unchanged papers that a changed one may enter; return
        the unchanged papers that must be ranked again (a changed or removed paper was on their list)."""
        moved = changed | gone
        again = {s for s, ranked in self.ranked.items() if s not in moved and any(o in moved for o, _ in ranked)}
        changed_rows = np.array(sorted(i for i, s in enumerate(slugs) if s in changed), dtype=np.int64)
        if not len(changed_rows):
            return again
        scores = _similarities(vectors, changed_rows, len(slugs))   # changed x all: the column of each paper
        offers: dict[int, list[tuple[str, float]]] = {}
        for i, row in enumerate(changed_rows.tolist()):
            if not eligible[row]:
                continue   # a draft is never on anyone's list
            for other in np.flatnonzero(scores[i] > 0).tolist():
                offers.setdefault(other, []).append((slugs[row], float(scores[i, other])))
        for other, offered in offers.items():
            slug = slugs[other]
            if slug in changed or slug in again:
                continue
            self.ranked[slug] = _best(list(self.ranked[slug]) + offered)
        return again


def related_all(papers: Sequence[Paper], terms: Callable[[Paper], Terms | None] = lambda paper: None
                ) -> dict[str, tuple[Paper, ...]]:
    """Every paper's related papers, ranked from scratch."""
    return RelatedIndex().update(papers, terms)


MAX_MOVED = 2000   # papers whose vectors an edit may move before ``EditedRanking`` leaves the ranking to a full update


class EditedRanking:
    """The related papers of one paper whose words were edited, exactly as ranking every paper again gives them.

    Made from what the last ranking read (``RelatedIndex.inputs``). An edit changes the document frequency of
    the features the paper gained or lost; where that moves a feature's rounded idf, the vectors of the papers
    having it change too, and are made again here (at most ``MAX_MOVED`` of them; beyond, ``related`` says
    None). Every other paper keeps the last ranking's vector. The similarities are the same floats as
    ``_similarities`` sums (ascending feature order) and the list is ``_tops``', so the result is the one a
    ranking from scratch gives: an edited page rendered ahead of the full build is the page that build makes.
    """

    def __init__(self, inputs: tuple, vectors: _Vectors | None = None):
        """``inputs``: ``RelatedIndex.inputs``; ``vectors``: the vectors made of them, if the caller has them."""
        self.inputs = inputs
        self.slugs = [slug for slug, *_ in inputs]
        self.row_of = {slug: row for row, slug in enumerate(self.slugs)}
        self.n = n = len(inputs)
        self.eligible = np.array([not draft for _, draft, *_ in inputs], dtype=bool)
        tags, terms = [row[2] for row in inputs], [Terms(row[3], row[4]) for row in inputs]
        rows, ids, counts = _entries(tags, terms)
        by_row = np.argsort(rows, kind="stable")   # each row's words, then its tags
        rows, self.raw_ids, self.raw_counts = rows[by_row], ids[by_row], counts[by_row]
        self.raw_ptr = np.searchsorted(rows, np.arange(n + 1))
        self.feature_ids = np.unique(self.raw_ids)
        feature = np.searchsorted(self.feature_ids, self.raw_ids)
        self.df = np.bincount(feature, minlength=len(self.feature_ids))
        self.idf = _rounded_idf(n, self.df)
        by_feature = np.argsort(feature, kind="stable")
        self.raw_post_ptr = np.searchsorted(feature[by_feature], np.arange(len(self.feature_ids) + 1))
        self.raw_post_rows = rows[by_feature]
        self.vectors = vectors if vectors is not None else _vectors(tags, terms)

    def related(self, slug: str, terms: Terms) -> tuple[str, ...] | None:
        """The slugs of ``slug``'s related papers once its words are ``terms`` (its slug, tags and draft state as
        the last ranking read them); None when the edit moves more than ``MAX_MOVED`` vectors."""
        row = self.row_of[slug]
        start, stop = self.raw_ptr[row], self.raw_ptr[row + 1]
        old_ids, old_counts = self.raw_ids[start:stop], self.raw_counts[start:stop]
        new_ids = np.concatenate([np.frombuffer(terms.ids, dtype=_ID), old_ids[old_counts == 0]])
        new_counts = np.concatenate([np.frombuffer(terms.counts, dtype=_COUNT), old_counts[old_counts == 0]])
        touched = np.unique(np.concatenate([old_ids, new_ids]))
        known = self._index(touched)
        df_old = np.where(known >= 0, self.df[np.maximum(known, 0)], 0)
        df_new = (df_old - _occurrences(touched, old_ids) + _occurrences(touched, new_ids)).astype(np.int64)
        idf_old = np.where(known >= 0, self.idf[np.maximum(known, 0)], 0.0)
        idf_new = _rounded_idf(self.n, df_new)
        moved = known[(idf_new != idf_old) & (known >= 0)]
        others = np.unique(np.concatenate([self.raw_post_rows[self.raw_post_ptr[f]:self.raw_post_ptr[f + 1]]
                                           for f in moved.tolist()] or [np.zeros(0, dtype=np.int64)]))
        others = others[others != row]
        if len(others) > MAX_MOVED:
            return None
        again = [(row, new_ids, new_counts)] + [(int(r), *self._raw(int(r))) for r in others.tolist()]
        rows, ids, weights = self._weighted(again, touched, idf_new)
        mine = rows == row
        own_ids, own_weights = ids[mine], weights[mine]
        made = ~mine
        position = np.searchsorted(own_ids, ids[made])
        shared = position < len(own_ids)
        shared[shared] = own_ids[position[shared]] == ids[made][shared]
        cells = [rows[made][shared]]
        order = [position[shared]]
        values = [own_weights[position[shared]] * weights[made][shared]]
        for position, (feature_id, weight) in enumerate(zip(own_ids.tolist(), own_weights.tolist())):
            index = int(self._index(np.array([feature_id], dtype=_ID))[0])
            if index < 0:
                continue
            span = slice(self.vectors.post_ptr[index], self.vectors.post_ptr[index + 1])
            theirs, their_weights = self.vectors.post_rows[span], self.vectors.post_weights[span]
            keep = ~np.isin(theirs, others) & (theirs != row)
            cells.append(theirs[keep])
            values.append(weight * their_weights[keep])
            order.append(np.full(int(keep.sum()), position))
        cell, rank, value = np.concatenate(cells), np.concatenate(order), np.concatenate(values)
        by_cell = np.lexsort((rank, cell))
        scores = np.bincount(cell[by_cell], weights=value[by_cell], minlength=self.n).reshape(1, self.n)
        found = _tops(scores, np.array([row]), self.slugs, self.eligible)[0]
        return tuple(other for other, _ in found)

    def _index(self, ids: np.ndarray) -> np.ndarray:
        """Each id's index in the last ranking's features, -1 for an id it did not have."""
        at = np.searchsorted(self.feature_ids, ids)
        inside = at < len(self.feature_ids)
        hit = np.zeros(len(ids), dtype=bool)
        hit[inside] = self.feature_ids[at[inside]] == ids[inside]
        return np.where(hit, at, -1)

    def _raw(self, row: int) -> tuple[np.ndarray, np.ndarray]:
        start, stop = self.raw_ptr[row], self.raw_ptr[row + 1]
        return self.raw_ids[start:stop], self.raw_counts[start:stop]

    def _weighted(self, rows: list[tuple[int, np.ndarray, np.ndarray]], touched: np.ndarray,
                  idf_touched: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """The rows' kept features and normalised weights as ``_vectors`` makes them, with the idf of ``touched``
        features replaced: (row, feature id, weight) entries, by row, then ascending feature id."""
        lengths = np.array([len(ids) for _, ids, _ in rows], dtype=np.int64)
        local = np.repeat(np.arange(len(rows)), lengths)
        ids = np.concatenate([ids for _, ids, _ in rows])
        counts = np.concatenate([counts for _, _, counts in rows])
        index = self._index(ids)
        idf = np.where(index >= 0, self.idf[np.maximum(index, 0)], 0.0)
        at = np.searchsorted(touched, ids)
        hit = at < len(touched)
        hit[hit] = touched[at[hit]] == ids[hit]
        idf[hit] = idf_touched[at[hit]]
        local, ids, weight = _kept(local, ids, _tf_weight(counts) * idf, len(rows))
        row_ids = np.array([row for row, _, _ in rows], dtype=np.int64)
        return row_ids[local], ids, weight


def _occurrences(ids: np.ndarray, among: np.ndarray) -> np.ndarray:
    """How often each of ``ids`` (sorted, unique) occurs in ``among``."""
    at = np.searchsorted(ids, among)
    return np.bincount(at, minlength=len(ids))
