"""What a build keeps for the next one in the same process (the preview), and which pages it renders again.

``BuildCache`` holds the memos; ``RenderPlan`` compares this build's page keys
with the cache's and decides between an in-place update (few pages changed in
the folder the last build wrote) and a new folder. Nothing here renders or writes.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

from .config import Config
from .incremental import PageKeys, PaperDigests
from .markdown import MarkdownRenderer
from .model import Paper
from .pages import Page, related_all
from .render import Renderer
from .writer import MANIFEST

# An edit re-rendering up to this many pages (or a tenth of the site) updates the last build in place.
IN_PLACE_MIN = 200


@dataclass
class BuildCache:
    """What a build leaves for the next one in the same process (the preview keeps one).

    Page keys say what each page on disk was made from (see ``incremental.page_key``);
    a page whose key is unchanged is not rendered again. ``inputs`` fingerprints
    every file the last build read: when nothing changed and the output is still
    there, a build returns at once.
    """

    fingerprint: str = ""                                            # config + theme: a change re-renders all
    pages: dict[str, str] = field(default_factory=dict)             # page path -> key of the page in ``out``
    keys: PageKeys = field(default_factory=PageKeys)                # this build's page keys, made incrementally
    search: tuple[str, dict[str, str]] | None = None                 # (input hash, index files)
    inputs: str = ""                                                 # input fingerprint of the last build
    out: Path | None = None                                          # where the last build went
    written: dict[str, int] = field(default_factory=dict)           # non-page file -> hash of its bytes in ``out``
    parsed: dict = field(default_factory=dict)                      # load_content's memo
    digests: PaperDigests = field(default_factory=PaperDigests)
    bibtex: dict[str, tuple[str, str, str]] = field(default_factory=dict)  # slug -> (digest, key, entry)
    markdown: MarkdownRenderer | None = None                        # keeps converted abstracts
    records: dict[str, str] = field(default_factory=dict)           # paper digest -> its papers.json line
    base_keys: dict[str, str] = field(default_factory=dict)         # paper digest -> its citation base key
    related: tuple[tuple, dict[str, tuple[str, ...]]] | None = None  # (slugs and tags in order, related slugs)
    renderer: Renderer | None = None                                 # kept while config and theme are unchanged:
    renderer_key: str = ""                                           # its templates stay compiled
    result: Any = None                                               # the last build.BuildResult

    def forget_conversions(self) -> None:
        """The markdown renderer changed (``allow_raw_html``): drop what holds its converted text."""
        self.bibtex, self.search = {}, None

    def forget_output(self) -> None:
        """A build failed while replacing files of ``out`` in place: trust none of them any more.

        The next build then renders every page and writes every file again (into a new folder).
        """
        self.pages, self.written, self.keys, self.inputs, self.search = {}, {}, PageKeys(), "", None

    def base_key_of(self, digests: dict[str, str], make: Callable[[Paper], str]) -> Callable[[Paper], str]:
        """``make`` (a paper's base citation key) remembered per paper digest across the preview's builds."""
        self.base_keys, base = _by_digest(self.base_keys, digests, make)
        return base

    def line_of(self, digests: dict[str, str], make: Callable[[Paper], str]) -> Callable[[Paper], str]:
        """``make`` (a paper's papers.json line) remembered per paper digest across the preview's builds."""
        self.records, line = _by_digest(self.records, digests, make)
        return line

    def related_of(self, papers: list[Paper]) -> dict[str, tuple[Paper, ...]]:
        """``pages.related_all``, ranked again only when a paper's tags or the site order changed."""
        shape = tuple([(p.slug, p.tags) for p in papers])
        if self.related is None or self.related[0] != shape:
            ranked = {slug: tuple([o.slug for o in others]) for slug, others in related_all(papers).items()}
            self.related = (shape, ranked)
        by_slug = {p.slug: p for p in papers}   # the papers of this build: an edited one is a new object
        return {slug: tuple([by_slug[s] for s in others]) for slug, others in self.related[1].items()}

    def search_key(self, papers: list[Paper], config: Config, digests: dict[str, str]) -> str:
        """What the search index is made of: the papers (by digest, in order) and the search settings."""
        return hashlib.sha256(repr((config.search, [digests[p.slug] for p in papers])).encode()).hexdigest()

    def cached_search(self, key: str) -> dict[str, str] | None:
        return self.search[1] if self.search and self.search[0] == key else None


@dataclass
class RenderPlan:
    """Which pages to render, and whether the output can be updated in place."""

    pages: list[Page]
    misses: list[Page]          # pages to render
    keys: dict[str, str]        # page path -> key (empty without a cache)
    reuse: Path | None          # an earlier build's folder holding the pages not to render
    in_place: bool

    @classmethod
    def make(cls, pages: list[Page], cache: BuildCache | None, fingerprint: str, digests: dict[str, str] | None,
             out: Path, shape: tuple = ()) -> "RenderPlan":
        """``shape``: ``incremental.site_shape`` of this build's plan."""
        if cache is None:
            return cls(pages, list(pages), {}, None, False)
        if cache.fingerprint != fingerprint:
            cache.fingerprint, cache.pages, cache.records, cache.keys = fingerprint, {}, {}, PageKeys()
        keys = cache.keys.update(pages, digests, shape)
        misses = [p for p in pages if cache.pages.get(p.path) != keys[p.path]]
        previous = cache.out if cache.out is not None and (cache.out / MANIFEST).is_file() else None
        if previous is None:
            return cls(pages, list(pages), keys, None, False)
        # A few pages changed in the folder the last build wrote: rewrite just those. Many
        # (a theme edit): build a new folder, so an error halfway leaves the old site whole.
        in_place = previous == out and len(misses) <= max(IN_PLACE_MIN, len(pages) // 10)
        return cls(pages, misses, keys, previous, in_place)


def _by_digest(known: dict[str, str], digests: dict[str, str],
               make: Callable[[Paper], str]) -> tuple[dict[str, str], Callable[[Paper], str]]:
    """A memo for this build over ``known`` (the last build's, by paper digest), and the function reading it.

    The new memo holds only the papers asked for, so papers edited or gone drop out.
    """
    fresh: dict[str, str] = {}

    def remembered(paper: Paper) -> str:
        digest = digests[paper.slug]
        value = fresh[digest] = known.get(digest) or make(paper)
        return value
    return fresh, remembered
