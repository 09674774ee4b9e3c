"""The search index split into small files, so that a query fetches only the part of the index it needs. Pure.

A lunr query scores a document with the dot product of the query vector and the
document's field vectors, divided by the query vector's length. Only the query
terms' entries of a field vector ever meet a non-zero query entry, so a term's
inverted-index entry plus each matching document's weight for that term is all
a query needs from the index. The browser (themes/default/static/search.js)
reads the shards holding the query's terms and scores them as lunr.js's
``Index#query`` does, so it answers exactly as the whole index would.

Files (paths under the site root):

- ``search/manifest.json``: lunr version, fields, search pipeline, document
  count, ``shards`` (the first term of each term shard, in JS string order, so
  a term's shard is found by binary search and a prefix's shards form a run),
  ``docsPerChunk`` and ``id`` (a hash of the whole index; the client adds it to
  shard URLs so a browser never mixes shards of two builds).
- ``search/terms/<n>.json``: ``[[term, lunr _index, field 0 postings, field 1 postings, ...], ...]``
  with a field's postings as a flat list ``[ref delta, weight * 1000, ...]``:
  refs ascending and delta-coded, weights exact (lunr stores them rounded to 3 places).
- ``search/vocabulary.json``: every term and its number of postings ((document, field)
  pairs), in the shards' order: ``{"id": the manifest's id, "terms": text, "postings": [n, ...]}``. ``terms`` is
  front-coded, one line per term: a character ``chr(48 + k)`` saying how many UTF-16 code
  units (k, at most ``MAX_SHARED``) the term shares with the one before, then the rest of
  the term (terms never hold a newline: lunr splits words on whitespace). A wildcard or
  fuzzy word is expanded over it, so only the shards of the words kept are fetched.
- ``search/docs/<n>.json``: what results show for refs ``n * docsPerChunk`` onwards.

Term shards are consecutive runs of the sorted vocabulary of about
``SHARD_BYTES`` each (a very common term gets a shard to itself).
"""

from __future__ import annotations

import hashlib
import json
import re
from typing import Sequence

import numpy as np

from .index import SEARCH_PIPELINE, FieldEntries, FlatPostings, term_order
from .lunrjs import LUNR_JS_VERSION

MANIFEST_PATH = "search/manifest.json"
TERMS_DIR = "search/terms/"
DOCS_DIR = "search/docs/"
VOCABULARY_PATH = "search/vocabulary.json"
# Front coding: the shared length is one character, chr(48) .. chr(48 + MAX_SHARED) ("0" .. "z").
MAX_SHARED = 74
# A shard per ~24 KB of postings (about 8 KB gzipped): a one-word query fetches one or two,
# and the vocabulary of 10,000 papers stays at a few hundred files.
SHARD_BYTES = 24_000
# Result pages show 20 documents from anywhere in the list; small chunks keep the bytes
# fetched for a page near the bytes shown, at the price of more (small) files.
DOCS_PER_CHUNK = 8

_LONE_SURROGATE = re.compile("[\ud800-\udfff]")


def split_index(postings: FlatPostings, docs: Sequence[dict]) -> dict[str, str]:
    """{path under the site root: JSON text} of the manifest, term shards and document chunks."""
    shards, bounds, vocabulary = _term_shards(postings)
    chunks = [_dump(list(docs[i:i + DOCS_PER_CHUNK])) for i in range(0, len(docs), DOCS_PER_CHUNK)]
    digest = hashlib.sha256()
    for text in shards + chunks:
        digest.update(text.encode("utf-8", "surrogatepass"))
    manifest = {
        "version": LUNR_JS_VERSION, "fields": list(postings.fields), "pipeline": list(SEARCH_PIPELINE),
        "documents": postings.documents, "docsPerChunk": DOCS_PER_CHUNK, "shards": bounds,
        "terms": len(vocabulary[1]), "id": digest.hexdigest()[:16],
    }
    files = {MANIFEST_PATH: _dump(manifest)}
    files.update((f"{TERMS_DIR}{n}.json", text) for n, text in enumerate(shards))
    # (derived from the shards, so the manifest's id covers it; the file carries that id because the page
    # may ask for it before the manifest is in, at an address without the id: see search.js)
    files[VOCABULARY_PATH] = ('{"id":' + _dump_text(manifest["id"]) + ',"terms":' + _dump_text("\n".join(vocabulary[0])) +
                              ',"postings":[' + ",".join(map(str, vocabulary[1])) + "]}")
    files.update((f"{DOCS_DIR}{n}.json", text) for n, text in enumerate(chunks))
    return files


def _term_shards(postings: FlatPostings) -> tuple[list[str], list[str], tuple[list[str], list[int]]]:
    """(JSON text of each term shard, first term of each, (front-coded terms, postings of each))
    written term by term.

    Each term's entry goes straight to text (what ``_dump`` of the nested lists gives), from the text of
    every entry's numbers made at once (``_field_texts``).
    """
    shards: list[str] = []
    bounds: list[str] = []
    current: list[str] = []
    coded: list[str] = []
    counts: list[int] = []
    previous = ""
    size = 0
    fields = [(_field_texts(entries), entries.ptr.tolist()) for entries in postings.stored()]
    for index in term_order(postings):
        term = postings.terms[index]
        parts = [_dump_text(term), str(index)]
        entries = 0
        for (text, at), entry_ptr in fields:
            start, stop = at[index], at[index + 1]
            parts.append("[" + text[start:stop - 1] + "]" if stop > start else "[]")
            entries += entry_ptr[index + 1] - entry_ptr[index]
        coded.append(front_coded(previous, term))
        counts.append(entries)
        previous = term
        cost = 8 + len(term) + 8 * entries  # ~bytes of JSON
        if current and size + cost > SHARD_BYTES:
            shards.append("[" + ",".join(current) + "]")
            current, size = [], 0
        if not current:
            bounds.append(term)
        current.append("[" + ",".join(parts) + "]")
        size += cost
    if current:
        shards.append("[" + ",".join(current) + "]")
    return shards, bounds, (coded, counts)


def _field_texts(entries: FieldEntries) -> tuple[str, list[int]]:
    """(the text of every entry's two numbers, comma-separated; where each term's run starts in it): term t's
    postings are ``text[start[t]:start[t + 1] - 1]`` (none if the two are equal), made for every term at once.

    Refs are delta-coded within each term's run; a weight is lunr's round(score, 3) as the integer weight * 1000
    (k / 1000 in JS is again the double nearest the 3-decimal value).
    """
    deltas = entries.docs.copy()
    deltas[1:] -= entries.docs[:-1]
    starts = entries.ptr[:-1][entries.ptr[:-1] < entries.ptr[1:]]
    deltas[starts] = entries.docs[starts]
    numbers = np.empty(2 * len(deltas), dtype=np.int64)
    numbers[0::2], numbers[1::2] = deltas, entries.milli
    del deltas
    digits = np.searchsorted(_POWERS_OF_TEN, numbers, side="right")   # numbers are never negative
    digits += 1
    # A slice at a time: its arrays stay small.
    text = ",".join(_decimal(numbers[at:at + _SLICE], digits[at:at + _SLICE]) for at in range(0, len(numbers), _SLICE))
    del numbers
    ends = digits   # where each number's text ends (its digits and a comma, summed in place)
    ends += 1
    np.cumsum(ends, out=ends)
    at = 2 * entries.ptr
    run_starts = np.zeros(len(at), dtype=np.int64)   # a term's run starts where the numbers before it end
    after = at > 0
    run_starts[after] = ends[at[after] - 1]
    return text, run_starts.tolist()


def _decimal(numbers: np.ndarray, digits: np.ndarray) -> str:
    """The numbers (of ``digits`` digits each) in decimal, comma-separated, made by numpy: no Python int or str per
    number. Each width's numbers a digit at a time, from the last."""
    if not len(numbers):
        return ""
    ends = np.cumsum(digits + 1)   # past each number's comma
    text = np.full(int(ends[-1]), ord(","), dtype=np.uint8)
    for width in range(1, int(digits.max()) + 1):
        of_width = np.flatnonzero(digits == width)
        rest, at = numbers[of_width], ends[of_width] - 1
        for _ in range(width):
            rest, digit = np.divmod(rest, 10)
            at -= 1
            text[at] = digit + ord("0")
    return text[:-1].tobytes().decode("ascii")


_SLICE = 1 << 16
_POWERS_OF_TEN = np.array([10 ** k for k in range(1, 19)], dtype=np.int64)


def front_coded(previous: str, term: str) -> str:
    """``term`` as a line of the vocabulary: chr(48 + k) and the term past the k UTF-16 code units
    it shares with ``previous`` (k counted as JavaScript's ``slice`` counts; never inside a pair)."""
    k = 0
    for a, b in zip(previous, term):
        if a != b:
            break
        k += 1
    units = k + sum(1 for c in term[:k] if c > "\uffff")
    while units > MAX_SHARED:
        k -= 1
        units -= 2 if term[k] > "\uffff" else 1
    return chr(48 + units) + term[k:]


def read_vocabulary(text: str) -> list[tuple[str, int]]:
    """The (term, postings) pairs of a vocabulary file, decoded as search.js decodes it (for tests)."""
    data = json.loads(text)
    out: list[tuple[str, int]] = []
    previous = b""  # UTF-16-BE code units, two bytes each
    for line, count in zip(data["terms"].split("\n"), data["postings"]):
        units = previous[:2 * (ord(line[0]) - 48)] + line[1:].encode("utf-16-be", "surrogatepass")
        out.append((units.decode("utf-16-be", "surrogatepass"), count))
        previous = units
    return out


def _dump_text(text: str) -> str:
    """``_dump`` of one string, without building an encoder per call."""
    return _LONE_SURROGATE.sub(_escape_surrogate, _TEXT_ENCODER.encode(text))


_TEXT_ENCODER = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"))


def _escape_surrogate(m: re.Match) -> str:
    return f"\\u{ord(m.group()):04x}"


def _dump(data) -> str:
    # Compact JSON; ensure_ascii=False keeps names readable and small. json escapes
    # quotes and control characters, and "</script>" is harmless in a .json file.
    text = json.dumps(data, ensure_ascii=False, separators=(",", ":"))
    # A lone UTF-16 surrogate cannot be written as UTF-8: keep it as a JSON escape.
    return _LONE_SURROGATE.sub(_escape_surrogate, text)
