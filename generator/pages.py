"""The site plan: which pages exist, at which paths, with which data. Pure.

``plan_pages(papers, per_page=..., search=...)`` turns the papers (in site
order) into ``Page`` records; nothing here renders or writes. Output paths are
relative to the site root; ``url`` is the same location as a link relative to
the base path (``papers/x/``), which templates turn into root-relative links.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any, Callable, Mapping, Sequence

from .model import STATUSES, Listed, Paper, tag_slug
from .related import related_all
from .taxonomy import Tag, group_tags


@dataclass(frozen=True, slots=True)
class Page:
    path: str               # output file, e.g. "papers/x/index.html"
    url: str                # link target relative to the base path, e.g. "papers/x/"
    template: str           # theme template name
    source: str             # what the page comes from, for error messages
    context: dict[str, Any] = field(default_factory=dict, hash=False)
    # Files written beside the page, made from its data: (path, text or a function making it), e.g. a paper's
    # .bib, a tag's feed. What they are made of must be in ``context`` (the page's key covers only that).
    attachments: tuple[tuple[str, str | Callable[[], str]], ...] = field(default=(), compare=False)


def attachment_text(text: str | Callable[[], str]) -> str:
    """An attachment's text, made now if it is made on demand."""
    return text if isinstance(text, str) else text()


@dataclass(frozen=True, slots=True)
class Pager:
    """One page of a paginated list."""

    number: int
    count: int              # how many pages the list has
    items: tuple
    base_url: str           # url of page 1, e.g. "" or "tags/llm/"
    total: int              # items over all pages

    def url_of(self, number: int) -> str:
        return self.base_url if number == 1 else f"{self.base_url}page/{number}/"

    @property
    def prev_url(self) -> str | None:
        return self.url_of(self.number - 1) if self.number > 1 else None

    @property
    def next_url(self) -> str | None:
        return self.url_of(self.number + 1) if self.number < self.count else None


@dataclass(frozen=True, slots=True)
class YearGroup:
    year: int | None        # None: undated
    papers: tuple[Paper | Listed, ...]


def paginate(items: Sequence, per_page: int, base_url: str) -> list[Pager]:
    """Split ``items`` into pages; an empty list still has one (empty) page."""
    chunks = [tuple(items[i:i + per_page]) for i in range(0, len(items), per_page)] or [()]
    return [Pager(n, len(chunks), chunk, base_url, len(items)) for n, chunk in enumerate(chunks, start=1)]


def _pager_path(pager: Pager) -> str:
    return pager.url_of(pager.number) + "index.html"


def group_by_year(papers: Sequence[Paper]) -> list[YearGroup]:
    """Papers by year, newest year first, undated papers last (papers keep their order)."""
    groups: dict[int | None, list[Paper]] = {}
    for paper in papers:
        groups.setdefault(paper.year, []).append(paper)
    years = sorted((y for y in groups if y is not None), reverse=True)
    if None in groups:
        years.append(None)
    return [YearGroup(y, tuple(groups[y])) for y in years]


@dataclass(frozen=True, slots=True)
class Placed:
    """All the plan reads of a paper to lay the site out: which pages exist and which papers each shows where.

    The layout is made from these alone (``site_plan``); the rest of a paper reaches a page only
    as the paper itself, which the page's key holds by digest. To lay pages out by another field,
    add it here: it then belongs to ``SitePlan.shape`` by construction.
    """

    slug: str
    tags: tuple[str, ...]
    year: int | None
    status: str                 # which shelf lists it
    read_on: date | None        # where the Read shelf lists it


@dataclass(frozen=True)
class SitePlan:
    """The pages, and what decides their layout besides the papers' contents.

    ``shape``: every input of the plan but the papers' contents (each paper's ``Placed``, the
    settings). ``per_paper``: the plan's other inputs that belong to one paper (its citation, its
    related papers), shown only on pages that show that paper. Two plans of equal shape have the
    same pages, differing only in the papers (with their ``per_paper`` data) that they show.
    ``paper_pages``: each paper's page by slug (the preview renders an edited paper's page again from it).
    """

    pages: list[Page]
    shape: tuple
    per_paper: dict[str, tuple]
    paper_pages: dict[str, Page] = field(default_factory=dict)   # slug -> the paper's page (one of ``pages``)


@dataclass(frozen=True)
class Shelf:
    status: str                   # to-read, reading, read
    papers: tuple[Paper, ...]

    @property
    def count(self) -> int:
        return len(self.papers)


def shelf_papers(papers: Sequence, status: str) -> tuple:
    """The papers (or ``Placed``) with ``status``: the Read shelf most recently read first (``read_on``; papers
    without one after those with one), the others in site order."""
    shelf = [p for p in papers if p.status == status]
    if status == "read":
        order = {p.slug: i for i, p in enumerate(shelf)}
        shelf.sort(key=lambda p: (p.read_on is None, -(p.read_on.toordinal() if p.read_on else 0), order[p.slug]))
    return tuple(shelf)


def plan_pages(papers: Sequence[Paper], **options) -> list[Page]:
    """Every HTML page of the site, in a stable order (``site_plan``'s pages; the same options)."""
    return site_plan(papers, **options).pages


def site_plan(papers: Sequence[Paper], *, per_page: int, search: bool,
              bibtex: Mapping[str, str] | None = None,
              related: Mapping[str, tuple[Paper, ...]] | None = None,
              tag_feed: Callable[[Tag], Callable[[], str]] | None = None, feed_limit: int = 20,
              shelf_feed: Callable[[Shelf], Callable[[], str]] | None = None,
              private: bool = False) -> SitePlan:
    """Every HTML page of the site, in a stable order. ``papers`` must be in site order.

    ``bibtex`` maps a paper's slug to its citation, shown on the paper's page and
    written beside it as ``<slug>.bib``;
    ``related`` is ``related.related_all(papers)`` (a paper's slug -> its related papers) when the caller has it;
    ``tag_feed`` makes a tag's feed (its newest ``feed_limit`` papers), written beside the tag's first
    page (what it is made of besides the feed's papers, the config, is not the plan's to declare);
    ``shelf_feed`` the Read shelf's feed (recently read), beside its first page;
    a shelf's first page lists its papers' refs (positions in site order, ``cite_refs``), from which the
    browser makes its citations (a tag's first page needs none: the browser finds its papers in the browse data);
    ``private``: paper pages show the entry's private notes (the preview only, never a built site).
    """
    bibtex = bibtex or {}
    papers = list(papers)
    placed = [Placed(p.slug, p.tags, p.year, p.status, p.read_on) for p in papers]
    by_slug = {p.slug: p for p in papers}

    def shown(items: Sequence[Placed]) -> tuple[Paper, ...]:
        return tuple([by_slug[p.slug] for p in items])

    tags = group_tags(placed)
    related = related if related is not None else related_all(papers)   # ranked by the papers' words: per paper
    tag_names = {t.slug: t.name for t in tags}
    names_for = _TagNames(tag_names)
    pages: list[Page] = []

    for pager in paginate(placed, per_page, ""):
        pages.append(Page(_pager_path(pager), pager.url_of(pager.number), "index.html", f"index page {pager.number}",
                          {"pager": _showing(pager, shown), "tag_names": names_for(pager.items)}))

    paper_pages = {}
    for i, paper in enumerate(papers):
        paper_pages[paper.slug] = page = paper_page(
            paper, newer=papers[i - 1] if i > 0 else None, older=papers[i + 1] if i + 1 < len(papers) else None,
            related=related[paper.slug], tag_names=names_for((placed[i],)), bibtex=bibtex.get(paper.slug, ""),
            private=private)
        pages.append(page)

    pages.append(Page("tags/index.html", "tags/", "tags.html", "tags index",
                      {"tags": tuple([_showing_tag(t, shown) for t in tags])}))
    for tag in tags:
        url = tag_url(tag)
        for pager in paginate(tag.papers, per_page, url):
            context = {"tag": _tag_summary(tag), "pager": _showing(pager, shown), "tag_names": names_for(pager.items)}
            attachments = ()
            if pager.number == 1 and tag_feed is not None:
                # The feed's entries (site order is newest first).
                context["feed_papers"] = shown(tag.papers[:feed_limit])
                attachments = ((url + "feed.xml", tag_feed(_showing_tag(tag, shown))),)
            pages.append(Page(_pager_path(pager), pager.url_of(pager.number), "tag.html",
                              f"tag '{tag.name}' page {pager.number}", context, attachments))

    found = [Shelf(status, shown(shelf_papers(placed, status))) for status in STATUSES]
    found = [shelf for shelf in found if shelf.papers]
    if found:
        pages.append(Page("shelves/index.html", "shelves/", "shelves.html", "shelves index",
                          {"shelves": tuple(_shelf_summary(s) for s in found)}))
    refs = {p.slug: ref for ref, p in enumerate(papers)}
    for shelf in found:
        pages.extend(_shelf_pages(shelf, found, per_page, names_for, shelf_feed, refs, feed_limit))

    # The archive shows each paper's date, title and draft mark alone: keyed on these, an abstract's edit leaves it.
    years = tuple([YearGroup(group.year, tuple([Listed.of(p) for p in shown(group.papers)]))
                   for group in group_by_year(placed)])
    pages.append(Page("archive/index.html", "archive/", "archive.html", "archive", {"years": years, "total": len(papers)}))
    # Filters over browse/facets.json (exports.browse_files), made in the browser: the page itself holds no paper.
    pages.append(Page("browse/index.html", "browse/", "browse.html", "browse page", {}))
    if search:
        pages.append(Page("search/index.html", "search/", "search.html", "search page", {}))
    pages.append(Page("404.html", "404.html", "404.html", "404 page", {}))
    for page in pages:   # the navigation links to the shelves while one has papers
        page.context["shelves_in_nav"] = bool(found)
    per_paper = {p.slug: (bibtex.get(p.slug, ""), tuple([o.slug for o in related[p.slug]])) for p in papers}
    return SitePlan(pages, (tuple(placed), per_page, search, feed_limit, private), per_paper, paper_pages)


def paper_page(paper: Paper, *, newer: Paper | None, older: Paper | None, related: tuple[Paper, ...],
               tag_names: dict[str, str], bibtex: str, private: bool, shelves_in_nav: bool | None = None) -> Page:
    """A paper's page (and its .bib beside it). The paper's neighbours in site order, its related papers, the names
    of its tags and its citation are the plan's to give; ``shelves_in_nav`` is set by ``site_plan`` for every page."""
    url = paper_url(paper)
    context = {
        "paper": paper,
        "newer": newer,
        "older": older,
        "related": related,
        "tag_names": tag_names,
        "bibtex": bibtex,
        "private": paper.private if private else "",
    }
    if shelves_in_nav is not None:
        context["shelves_in_nav"] = shelves_in_nav
    return Page(url + "index.html", url, "paper.html", paper.path, context,
                ((f"{url}{paper.slug}.bib", bibtex),) if bibtex else ())


def _shelf_pages(shelf: Shelf, found: list[Shelf], per_page: int, names_for: "_TagNames",
                 shelf_feed: Callable[[Shelf], Callable[[], str]] | None, refs: Mapping[str, int],
                 feed_limit: int) -> list[Page]:
    """A shelf's pages; its first lists its papers' refs (for its citations) and, for the Read shelf, carries
    the recently-read feed."""
    url = shelf_url(shelf.status)
    others = tuple(_shelf_summary(s) for s in found)
    pages = []
    for pager in paginate(shelf.papers, per_page, url):
        context = {"shelf": _shelf_summary(shelf), "shelves": others, "pager": pager,
                   "tag_names": names_for(pager.items), "has_feed": shelf.status == "read" and shelf_feed is not None}
        attachments: tuple = ()
        if pager.number == 1:
            if context["has_feed"]:
                context["feed_papers"] = shelf.papers[:feed_limit]   # with their read_on: in the papers' digests
                attachments = ((url + "feed.xml", shelf_feed(shelf)),)
            context["cite_refs"] = tuple([refs[p.slug] for p in shelf.papers])
        pages.append(Page(_pager_path(pager), pager.url_of(pager.number), "shelf.html",
                          f"shelf '{shelf.status}' page {pager.number}", context, attachments))
    return pages


def _shelf_summary(shelf: Shelf) -> dict:
    return {"status": shelf.status, "count": shelf.count, "url": shelf_url(shelf.status)}


def shelf_url(status: str) -> str:
    return f"shelves/{status}/"


def _showing(pager: Pager, shown: Callable[[Sequence[Placed]], tuple[Paper, ...]]) -> Pager:
    return Pager(pager.number, pager.count, shown(pager.items), pager.base_url, pager.total)


def _showing_tag(tag: Tag, shown: Callable[[Sequence[Placed]], tuple[Paper, ...]]) -> Tag:
    return Tag(tag.name, tag.slug, shown(tag.papers), tag.spellings)


class _TagNames:
    """Tag slug -> shown name, for the tags of the given papers only.

    Each page gets only what it shows, so the preview's page cache is not
    invalidated by a change to an unrelated tag. Papers with the same tags share
    one mapping (a site has far fewer tag combinations than papers).
    """

    def __init__(self, tag_names: dict[str, str]):
        self.tag_names = tag_names
        self._by_tags: dict[tuple[str, ...], dict[str, str]] = {}

    def __call__(self, papers: Sequence[Paper]) -> dict[str, str]:
        if len(papers) == 1:
            return self._of(papers[0].tags)
        names: dict[str, str] = {}
        for paper in papers:
            names.update(self._of(paper.tags))
        return names

    def _of(self, tags: tuple[str, ...]) -> dict[str, str]:
        names = self._by_tags.get(tags)
        if names is None:
            names = self._by_tags[tags] = {s: self.tag_names[s] for s in map(tag_slug, tags)}
        return names


def _tag_summary(tag: Tag) -> dict:
    # The tag page's own heading data; its papers come through the pager.
    return {"name": tag.name, "slug": tag.slug, "count": tag.count, "spellings": tag.spellings}


def paper_url(paper: Paper) -> str:
    return f"papers/{paper.slug}/"


def tag_url(tag: Tag | str) -> str:
    slug = tag.slug if isinstance(tag, Tag) else tag_slug(tag)
    return f"tags/{slug}/"
