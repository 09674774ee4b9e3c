"""The site's search: a lunr index prebuilt at build time, queried by lunr.js in the browser. Pure.

``build_search_index(papers, config)`` returns the files the browser client
(themes/default/static/search.js) fetches, as ``{path under the site root: text}``:

- ``search/index.json``: the serialised lunr index. Fields title, tags, authors
  and abstract (abstract + notes as plain text), boosted per ``[search]`` in
  site.toml. A document's ref is its position in ``papers`` as a string, the
  shortest stable key, and the index keeps no term positions or other metadata.
- ``search/docs.json``: a list where item ``int(ref)`` holds what a result shows:
  url (relative to the site root), title, date (ISO or ""), tags, and the
  start of the abstract as plain text for the snippet.

Text goes through lunr.js's own processing (see ``lunrjs``), so every word the
browser looks up is spelled the way the index spelled it.
"""

from __future__ import annotations

import json
import re
from typing import Sequence

from ..config import SearchConfig
from ..markdown import MarkdownRenderer
from ..model import Paper
from .lunrjs import LUNR_JS_VERSION, make_builder, tokenize, utf16_key

INDEX_PATH = "search/index.json"
DOCS_PATH = "search/docs.json"
# Enough of an abstract for a two- or three-line snippet around a match; the
# whole abstract would double docs.json for text nobody reads in a result list.
SNIPPET_SOURCE_CHARS = 600

_LONE_SURROGATE = re.compile("[\ud800-\udfff]")


def build_search_index(papers: Sequence[Paper], config: SearchConfig) -> dict[str, str]:
    """Return {output path relative to the site root: file text} for the search index and its documents."""
    markdown = MarkdownRenderer()
    texts, docs = [], []
    for paper in papers:
        abstract = markdown.text(paper.abstract)
        texts.append(field_texts(paper, abstract, markdown.text(paper.notes)))
        docs.append({
            "url": f"papers/{paper.slug}/",
            "title": paper.title,
            "date": paper.date.isoformat() if paper.date else "",
            "tags": list(paper.tags),
            "text": _clip(abstract, SNIPPET_SOURCE_CHARS),
        })
    return {INDEX_PATH: _dump(build_index(texts, config)), DOCS_PATH: _dump(docs)}


def field_texts(paper: Paper, abstract_text: str, notes_text: str) -> dict[str, str]:
    """The text of each indexed field of one paper (abstract and notes already plain text)."""
    return {
        "title": paper.title,
        "tags": " ".join(paper.tags),
        "authors": " ".join(paper.authors),
        "abstract": " ".join(part for part in (abstract_text, notes_text) if part),
    }


def field_boosts(config: SearchConfig) -> list[tuple[str, int]]:
    return [
        ("title", config.boost_title),
        ("tags", config.boost_tags),
        ("authors", config.boost_authors),
        ("abstract", config.boost_abstract),
    ]


def build_index(texts: Sequence[dict[str, str]], config: SearchConfig) -> dict:
    """The serialised lunr index of documents given as field texts; document i gets ref str(i)."""
    fields = field_boosts(config)
    builder = make_builder(fields)
    for position, doc in enumerate(texts):
        builder.add({"ref": str(position), **{name: tokenize(doc[name]) for name, _ in fields}})
    if not texts:
        # lunr's Builder divides by the document count; an empty site still gets a loadable index.
        return {"version": LUNR_JS_VERSION, "fields": [name for name, _ in fields], "fieldVectors": [],
                "invertedIndex": [], "pipeline": builder.search_pipeline.serialize()}
    return serialize(builder.build())


def serialize(index) -> dict:
    """The index as lunr.js's ``Index.toJSON`` lays it out, terms in JS string order."""
    data = index.serialize()
    data["invertedIndex"].sort(key=lambda entry: utf16_key(entry[0]))
    return data


def _dump(data) -> str:
    # Compact JSON; ensure_ascii=False keeps names readable and small. json escapes
    # quotes and control characters, and "</script>" is harmless in a .json file.
    text = json.dumps(data, ensure_ascii=False, separators=(",", ":"))
    # A lone UTF-16 surrogate cannot be written as UTF-8: keep it as a JSON escape.
    return _LONE_SURROGATE.sub(lambda m: f"\\u{ord(m.group()):04x}", text)


def _clip(text: str, limit: int) -> str:
    if len(text) <= limit:
        return text
    cut = text[:limit].rsplit(" ", 1)[0]
    return cut + "…"
