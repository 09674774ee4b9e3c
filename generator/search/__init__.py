"""The site's search: a lunr index prebuilt at build time, queried by lunr.js in the browser. Pure.

``build_search_index(papers, config)`` returns the files the browser client
(themes/default/static/search.js) fetches, as ``{path under the site root: text}``:
the index split into a manifest, term shards, a vocabulary and document chunks
(layout in ``shards``), so that a query on a site of 10,000 papers fetches a few shards
instead of megabytes. The browser answers from the shards a query needs with
lunr.js's own query code and scoring; results are those of one lunr index over all papers.

Indexed fields: title, tags, authors and abstract (abstract + notes as plain
text), boosted per ``[search]`` in site.toml. A document's ref is its position
in ``papers`` as a string, the shortest stable key; the index keeps no term
positions or other metadata. A document (what a result shows, as the theme's paper
cards show a paper) holds url (relative to the site root), title, date (ISO or ""),
authors (the short list the cards show), tags as ``[name, slug]`` pairs (the name the
site's tag pages use), the start of the abstract as plain text for the snippet, and,
when set, upvotes, status, rating and the code link.

A build keeps each paper's terms and the last index's postings (``IndexMemo``): after an edit of a few
papers, ``search_index_since`` patches those postings for the edited papers alone (``index.patched_postings``:
the postings a build from scratch gives), and makes them again when papers were added or removed.

Text goes through lunr.js's own processing (see ``lunrjs``), so every word the
browser looks up is spelled the way the index spelled it; the scores are lunr's
(see ``index``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Iterator, Sequence

from ..config import SearchConfig
from ..markdown import MarkdownRenderer
from ..model import Paper, authors_short, tag_slug
from ..taxonomy import group_tags
from ..texmath import math_as_text
from .index import (DocTerms, FieldTerms, FlatPostings, PackedPostings, build_postings, lunr_json, packed,
                    patched_postings, postings_of, unpacked)
from .shards import DOCS_DIR, DOCS_PER_CHUNK, MANIFEST_PATH, TERMS_DIR, VOCABULARY_PATH, split_index

__all__ = ["build_search_index", "search_index_since", "IndexMemo", "paper_terms", "DocTerms", "build_index", "search_documents", "field_texts", "field_boosts", "MANIFEST_PATH", "TERMS_DIR",
           "VOCABULARY_PATH", "DOCS_DIR", "DOCS_PER_CHUNK", "SNIPPET_SOURCE_CHARS"]

# Enough of an abstract for a two- or three-line snippet around a match; the
# whole abstract would double docs.json for text nobody reads in a result list.
SNIPPET_SOURCE_CHARS = 600
# More papers edited since the last index than this: its postings made from every paper's terms (as fast by then).
PATCH_MAX = 64


def build_search_index(papers: Sequence[Paper], config: SearchConfig, *,
                       text: Callable[[str], str] | None = None,
                       terms: Sequence[tuple[FieldTerms, ...]] | None = None) -> dict[str, str]:
    """Return {output path relative to the site root: file text} for the search index and its documents.

    ``text`` turns markdown (an abstract, notes) into plain text; by default a
    MarkdownRenderer of its own. A build that has already converted every abstract
    passes its renderer's memoised ``text`` so that nothing is converted twice.
    ``terms``: each paper's ``paper_terms`` (with the same ``text``) when the build kept them.
    """
    text = text or MarkdownRenderer().text
    if terms is not None:
        return split_index(postings_of(terms, field_boosts(config)), _documents(papers, text))
    docs: list[dict] = []
    # Papers are indexed as they are converted: their field texts never exist all at once.
    postings = build_postings(_indexed(papers, text, docs), field_boosts(config))
    return split_index(postings, docs)


@dataclass(frozen=True)
class IndexMemo:
    """What the next build's search index may start from (``search_index_since``): the postings of the last one
    (``index.packed``), with what they were made of: each paper's digest, in order, and the settings."""

    made_of: str
    digests: tuple[str, ...]
    postings: PackedPostings


def search_index_since(last: IndexMemo | None, papers: Sequence[Paper], config: SearchConfig, *,
                       text: Callable[[str], str], terms: Sequence[tuple[FieldTerms, ...]], digests: Sequence[str],
                       made_of: str) -> tuple[dict[str, str], IndexMemo]:
    """``build_search_index`` of papers whose terms the build kept, with the postings of the last index patched
    where few papers changed since (``last``), and what the next build may start from.

    ``digests``: each paper's digest, equal only for papers of equal terms under equal settings (``made_of``).
    """
    boosts = field_boosts(config)
    postings = _postings_since(last, terms, digests, made_of, boosts)
    return split_index(postings, _documents(papers, text)), IndexMemo(made_of, tuple(digests), packed(postings))


def _postings_since(last: IndexMemo | None, terms: Sequence[tuple[FieldTerms, ...]], digests: Sequence[str],
                    made_of: str, boosts: list[tuple[str, int]]) -> FlatPostings:
    """The last index's postings with the edited papers' terms patched in (``patched_postings``) where as many
    papers are in the same places, with the same settings, and few changed; else made from every paper's terms."""
    if last is not None and last.made_of == made_of and len(last.digests) == len(digests) and \
            last.postings[0] == FIELDS:
        edited = [at for at, (before, now) in enumerate(zip(last.digests, digests)) if before != now]
        if len(edited) <= PATCH_MAX:
            return patched_postings(unpacked(last.postings, [boost for _, boost in boosts]), terms, edited)
    return postings_of(terms, boosts)


def paper_terms(paper: Paper, text: Callable[[str], str], made: DocTerms | None = None) -> tuple[FieldTerms, ...]:
    """The paper's terms per indexed field, as the index holds them (``made``: a ``DocTerms`` kept across papers)."""
    fields = field_texts(paper, text(paper.abstract), text(paper.notes))
    return (made or DocTerms())(fields, FIELDS)


def _documents(papers: Sequence[Paper], text: Callable[[str], str]) -> list[dict]:
    """What each paper's search result shows."""
    names = {tag.slug: tag.name for tag in group_tags(papers)}
    return [_document(paper, text(paper.abstract), names) for paper in papers]


def search_documents(papers: Sequence[Paper], text: Callable[[str], str] | None = None
                     ) -> tuple[list[dict[str, str]], list[dict]]:
    """(the indexed text of each paper by field, what each paper's search result shows), in paper order."""
    docs: list[dict] = []
    texts = list(_indexed(papers, text or MarkdownRenderer().text, docs))
    return texts, docs


def _indexed(papers: Sequence[Paper], text: Callable[[str], str], docs: list[dict]) -> Iterator[dict[str, str]]:
    """Yield each paper's field texts, appending what its search result shows to ``docs``."""
    names = {tag.slug: tag.name for tag in group_tags(papers)}
    for paper in papers:
        abstract = text(paper.abstract)
        docs.append(_document(paper, abstract, names))
        yield field_texts(paper, abstract, text(paper.notes))


def _document(paper: Paper, abstract_text: str, tag_names: dict[str, str]) -> dict:
    """What a paper's search result shows: what its card on the list pages shows (the theme's paper_item)."""
    slugs = list(dict.fromkeys(map(tag_slug, paper.tags)))  # one per tag slug, in the entry's order
    doc = {
        "url": f"papers/{paper.slug}/",
        "title": paper.title,
        "date": paper.date.isoformat() if paper.date else "",
        "authors": authors_short(paper),
        "tags": [[tag_names[slug], slug] for slug in slugs],
        "text": _clip(abstract_text, SNIPPET_SOURCE_CHARS),
    }
    optional = {"upvotes": paper.upvotes, "status": paper.status, "rating": paper.rating, "code": paper.links.code}
    doc.update((key, value) for key, value in optional.items() if value)
    if paper.status == "read" and paper.read_on:   # the card's status badge shows it (macros.html, paper_meta)
        doc["read_on"] = paper.read_on.isoformat()
    return doc


def field_texts(paper: Paper, abstract_text: str, notes_text: str) -> dict[str, str]:
    """The text of each indexed field of one paper (abstract and notes already plain text)."""
    return {
        "title": math_as_text(paper.title),   # as the page shows it: TeX markup is not a word to search
        "tags": " ".join(paper.tags),
        "authors": " ".join(paper.authors),
        "abstract": " ".join(part for part in (abstract_text, notes_text) if part),
    }


# The indexed fields, in the index's order (``field_texts``, ``field_boosts``).
FIELDS = ("title", "tags", "authors", "abstract")


def field_boosts(config: SearchConfig) -> list[tuple[str, int]]:
    boosts = (config.boost_title, config.boost_tags, config.boost_authors, config.boost_abstract)
    return list(zip(FIELDS, boosts))


def build_index(texts: Sequence[dict[str, str]], config: SearchConfig) -> dict:
    """The whole index as one serialised lunr index (``lunr.Index.load`` input); document i gets ref str(i).

    The site ships the split form; this is the reference the split form is tested against.
    """
    return lunr_json(build_postings(texts, field_boosts(config)).postings())


def _clip(text: str, limit: int) -> str:
    if len(text) <= limit:
        return text
    cut = text[:limit].rsplit(" ", 1)[0]
    return cut + "…"
