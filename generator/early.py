"""The preview's early page: an edited paper's page shown before the rebuild that brings the rest up to date.

After a save, ``serve`` rebuilds the whole site through ``build.build`` (with its cache), and
at 10,000 papers planning every page alone takes about a second. Most saves change one paper
in ways no other page's layout depends on (its abstract, notes, links, authors after the
first...). For those, ``EarlyPage.attempt`` renders that paper's page alone, from the last good
build's plan, writes it (and its .bib) in place and lets the preview announce it; the full
build then follows as always and brings lists, feeds, exports and the search index up to date.

An edit qualifies when the watcher saw one entry file change and nothing else, the entry
parses without errors, and every field the plan reads of a paper to lay out the site is
unchanged (``LAYOUT_FIELDS``: what ``pages.Placed`` holds, the site order's date and title,
the draft state, the duplicate checks' arXiv id and title) as well as its citation key. The
page is then made from the last plan's page of the paper (its neighbours, tag names, citation
key) with the new paper in it, its related papers ranked again for the new words
(``related.EditedRanking``: the ranking of every paper would give the same), and the same
renderer: the bytes the full build writes for it. Anything else (a retitle, retag, redate,
rename, draft toggle, deletion, a config or theme change, an error in the entry) takes the
full build alone, as before.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, ContextManager

from .bibtex import base_key, bibtex_fields, with_key
from .cache import BuildCache
from .citations import Citations
from .config import Config
from .content import Stamp, parse_entry_file
from .model import Paper
from .pages import Page, attachment_text, paper_page
from .related import EditedRanking, paper_terms
from .render import Renderer
from .writer import save_file

# The fields of a paper that decide pages other than its own: which pages exist, where the paper is listed and
# in which order (pages.Placed, Paper.sort_key), whether it is shown at all, and the checks between entries.
LAYOUT_FIELDS = ("slug", "path", "title", "date", "known_year", "tags", "status", "read_on", "draft", "arxiv_id")


@dataclass(frozen=True)
class Basis:
    """What the last good build laid out, enough to render one paper's page again."""

    stamps: dict[str, Stamp]            # entry path (as scanned) -> its stamp when that build read it
    pages: dict[str, Page]              # slug -> the paper's page in that build's plan
    citation_keys: dict[str, str]       # slug -> its citation key
    renderer: Renderer
    ranking: EditedRanking


class EarlyPage:
    """The preview's shortcut for an edit that moves nothing but the edited paper's own page.

    ``remember(cache)`` after every good build, ``forget()`` after a failed one (no early page
    until the next good build); ``attempt(...)`` before each rebuild.
    """

    def __init__(self, *, private: bool) -> None:
        self.private = private              # as the preview's builds: paper pages show the private notes
        self._basis: Basis | None = None
        self._inputs: tuple | None = None   # the related ranking's inputs ``_basis.ranking`` was made from

    def remember(self, cache: BuildCache) -> None:
        """Take the build's plan, citation keys, renderer and related ranking (after a good build)."""
        if cache.renderer is None or not cache.paper_pages:
            self.forget()
            return
        inputs = cache.related.inputs
        ranking = self._basis.ranking if self._basis is not None and inputs is self._inputs else \
            EditedRanking(inputs, cache.related.vectors)
        self._basis = Basis(stamps={stamp[0]: stamp for stamp in cache.stamps}, pages=cache.paper_pages,
                            citation_keys={slug: key for slug, (_, key, _) in cache.bibtex.items()},
                            renderer=cache.renderer, ranking=ranking)
        self._inputs = inputs

    def forget(self) -> None:
        self._basis, self._inputs = None, None

    def attempt(self, config: Config, changed: frozenset[str] | None, out: Path, cache: BuildCache,
                gate: ContextManager, publish: Callable[[], None]) -> str | None:
        """Render the page of the one entry in ``changed`` (watched paths) into ``out`` and ``publish`` it, inside
        ``gate``, if the edit moves no other page; returns the page's path, or None (the full build decides)."""
        made = self._page(config, changed)
        if made is None:
            return None
        page, renderer = made
        renderer.use_citations(Citations())   # its records made from the edited paper (the next build sets its own)
        files = [(page.path, renderer.render(page))] + [(path, attachment_text(text)) for path, text in page.attachments]
        cache.overwritten([path for path, _ in files])   # whatever happens next, the next build makes them again
        with gate:
            for path, text in files:
                save_file(out / path, text.encode("utf-8"))
            publish()
        return page.path

    def _page(self, config: Config, changed: frozenset[str] | None) -> tuple[Page, Renderer] | None:
        basis = self._basis
        if basis is None or changed is None or len(changed) != 1:
            return None
        entry = _scanned_path(config, next(iter(changed)))
        before = basis.stamps.get(entry) if entry is not None else None
        if before is None:
            return None   # not an entry the last build read (a new file, a theme file, site.toml...)
        try:
            stat = os.stat(entry)
        except OSError:
            return None   # deleted or renamed: the full build
        if (stat.st_size, stat.st_mtime_ns) == before[2:]:
            return None
        paper, problems = parse_entry_file(Path(entry), before[1])
        if paper is None or any(p.is_error for p in problems):
            return None   # the full build reports it (file:line: message) and keeps the last good site
        old = basis.pages.get(paper.slug)
        if old is None or not _moves_nothing_else(old.context["paper"], paper):
            return None
        related = basis.ranking.related(paper.slug, paper_terms(paper))
        if related is None:
            return None
        renderer = basis.renderer
        context = old.context
        page = paper_page(paper, newer=context["newer"], older=context["older"],
                          related=tuple(basis.pages[slug].context["paper"] for slug in related),
                          tag_names=context["tag_names"], private=self.private,
                          bibtex=with_key(basis.citation_keys[paper.slug],
                                          bibtex_fields(paper, plain=renderer.md.source_text)),
                          shelves_in_nav=context["shelves_in_nav"])
        return page, renderer


def _moves_nothing_else(old: Paper, new: Paper) -> bool:
    """Whether ``new`` lays the site out as ``old`` did: every layout field and the citation key unchanged."""
    return all(getattr(old, name) == getattr(new, name) for name in LAYOUT_FIELDS) and base_key(old) == base_key(new)


def _scanned_path(config: Config, changed: str) -> str | None:
    """A watched path (resolved) as ``content.scan_entries`` names the same file, or None outside the content folder."""
    try:
        rel = Path(changed).relative_to(config.content_path.resolve())
    except ValueError:
        return None
    return os.path.join(str(config.content_path), *rel.parts)
