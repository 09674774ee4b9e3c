"""The test oracle for the fast index builder: the same index built with the ``lunr`` package's own Builder.

The site builds its index with generator/search/index.py (about ten times faster);
tests/test_search_builder.py checks that both give the same serialised index.
lunr's Builder is fed lunr.js's processing (generator/search/lunrjs.py), through
pipeline functions carrying lunr.js's labels so the serialised pipeline loads in
lunr.js; they are labelled, not registered, because registering would replace
the ``lunr`` package's own functions process-wide.
"""

from __future__ import annotations

from typing import Sequence

from lunr.builder import Builder

from papershelf.search.index import SEARCH_PIPELINE
from papershelf.search.lunrjs import LUNR_JS_VERSION, STOP_WORDS, stem, tokenize, trim, utf16_key


def _trimmer(token, i=None, tokens=None):
    return token.update(lambda s, metadata=None: trim(s))


def _stop_word_filter(token, i=None, tokens=None):
    if str(token) not in STOP_WORDS:
        return token
    return None


def _stemmer(token, i=None, tokens=None):
    return token.update(lambda s, metadata=None: stem(s))


_trimmer.label = "trimmer"
_stop_word_filter.label = "stopWordFilter"
_stemmer.label = "stemmer"


def make_builder(fields: Sequence[tuple[str, int]]) -> Builder:
    """A lunr Builder whose pipelines are lunr.js's; documents must be given as ``tokenize``d lists.

    lunr's Builder always runs its own tokenizer; handed a list, that tokenizer only
    lowercases each item, so pre-split documents keep lunr.js's word boundaries.
    """
    builder = Builder()
    builder.ref("ref")
    for name, boost in fields:
        builder.field(name, boost=boost)
    builder.pipeline.add(_trimmer, _stop_word_filter, _stemmer)
    builder.search_pipeline.add(_trimmer, _stemmer)
    assert builder.search_pipeline.serialize() == SEARCH_PIPELINE
    return builder


def lunr_package_index(texts: Sequence[dict[str, str]], fields: Sequence[tuple[str, int]]) -> dict:
    """The serialised index of documents given as field texts (document i gets ref str(i)), by lunr's Builder."""
    builder = make_builder(fields)
    for position, doc in enumerate(texts):
        builder.add({"ref": str(position), **{name: tokenize(doc[name]) for name, _ in fields}})
    if not texts:
        return {"version": LUNR_JS_VERSION, "fields": [name for name, _ in fields], "fieldVectors": [],
                "invertedIndex": [], "pipeline": builder.search_pipeline.serialize()}
    data = builder.build().serialize()
    data["invertedIndex"].sort(key=lambda entry: utf16_key(entry[0]))  # JS string order
    return data
