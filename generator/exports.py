"""Machine-readable files of the site: papers.json, the browse view's data, sitemap.xml, robots.txt. Pure: returns text.

papers.json is a standalone file, but it is written so that it stays inert even
if a theme ever inlines it in a page: '<', '>' and '&' (and the JavaScript line
separators U+2028/U+2029) appear only as \\u escapes, so no '</script>' can end
up in the text. Sitemaps use absolute URLs under base_url, as the protocol requires.
"""

from __future__ import annotations

import hashlib
import heapq
from collections import Counter
import json
import xml.etree.ElementTree as ET
from datetime import date
from typing import Callable, Iterable, Iterator, Mapping, Sequence
from urllib.parse import quote

from .config import Config
from .markdown import MarkdownRenderer, html_text, snippet
from .model import STATUSES, Paper, authors_short, tag_slug
from .taxonomy import group_tags
from .texmath import has_math

SITEMAP_NS = "http://www.sitemaps.org/schemas/sitemap/0.9"
# The sitemap protocol's limit for one file.
SITEMAP_MAX_URLS = 50_000
JSON_FORMAT = 1

_HTML_UNSAFE = {"<": "\\u003c", ">": "\\u003e", "&": "\\u0026", "\u2028": "\\u2028", "\u2029": "\\u2029"}


def inert_json(value) -> str:
    return inert(json.dumps(value, ensure_ascii=False, separators=(",", ":")))


def inert(text: str) -> str:
    """JSON text with <, >, &, U+2028 and U+2029 escaped (``inert_json``), so no string in it can end an
    HTML element. Safe to replace textually: these characters can only occur inside JSON strings."""
    for char, escaped in _HTML_UNSAFE.items():
        text = text.replace(char, escaped)
    return text


def paper_record(paper: Paper, config: Config) -> dict:
    """One paper's metadata as plain JSON data (abstract and notes as their markdown source)."""
    links = paper.links
    return {
        "slug": paper.slug,
        "title": paper.title,
        "url": config.absolute_url(f"papers/{paper.slug}/"),
        "bibtex": config.absolute_url(f"papers/{paper.slug}/{paper.slug}.bib"),
        "date": paper.date.isoformat() if paper.date else None,
        "authors": list(paper.authors),
        "author_count": paper.author_count,
        "upvotes": paper.upvotes,
        "tags": list(paper.tags),
        "tag_slugs": sorted({tag_slug(t) for t in paper.tags}),
        "links": {"arxiv": links.arxiv, "pdf": links.pdf, "code": links.code, "project": links.project,
                  "other": list(links.other)},
        "arxiv_id": paper.arxiv_id,
        "status": paper.status,
        "rating": paper.rating,
        "abstract": paper.abstract,
        "notes": paper.notes,
    }


def paper_line(paper: Paper, config: Config) -> str:
    """One paper's line of papers.json."""
    return inert_json(paper_record(paper, config))


def papers_json(papers: Sequence[Paper], config: Config, *, line_of: Callable[[Paper], str] | None = None) -> str:
    """Every paper's metadata, in the order given (site order), one paper per line.

    Shape: {"format": 1, "title", "base_url", "count", "papers": [...]}. ``line_of``
    gives a paper's line when the caller has it already (``paper_line`` otherwise).
    """
    return "".join(papers_json_parts(papers, config, line_of=line_of))


def papers_json_parts(papers: Sequence[Paper], config: Config, *,
                      line_of: Callable[[Paper], str] | None = None) -> Iterator[str]:
    """``papers_json`` in pieces, to be written as they come (the whole is 240 MB at 100,000 papers)."""
    line_of = line_of or (lambda paper: paper_line(paper, config))
    head = {"format": JSON_FORMAT, "title": config.title, "base_url": config.site_url, "count": len(papers)}
    yield inert_json(head)[:-1] + ',"papers":[\n'
    # One record per line: a rebuild after editing one entry changes one line.
    for i, paper in enumerate(papers):
        yield line_of(paper) + (",\n" if i + 1 < len(papers) else "\n")
    yield "]}\n"


def sitemap(urls: Iterable[str], config: Config, *, lastmod: Mapping[str, date] | None = None) -> str:
    """A sitemap of site-relative paths ('', 'papers/x/', 'tags/'), each made absolute under base_url.

    ``lastmod`` maps a path to the date its page last changed, where known.
    Paths are listed once each, in the order given.
    """
    lastmod = lastmod or {}
    entries: list[str] = []
    seen: set[str] = set()
    for path in urls:
        path = path.lstrip("/")
        if path in seen:
            continue
        seen.add(path)
        # The protocol wants URLs percent-encoded; '%' stays so already-encoded paths are not encoded twice.
        loc = _xml_escape(config.absolute_url(quote(path, safe="/%:@!$&'()*+,;=-._~")))
        when = lastmod.get(path)
        # Assembled as text (ElementTree took a second at 20,000 URLs), byte for byte as ET.indent laid it out.
        entries.append(f"<url>\n    <loc>{loc}</loc>\n    <lastmod>{when.isoformat()}</lastmod>\n  </url>" if when
                       else f"<url>\n    <loc>{loc}</loc>\n  </url>")
    if len(seen) > SITEMAP_MAX_URLS:
        raise ValueError(f"a sitemap holds at most {SITEMAP_MAX_URLS} URLs, got {len(seen)}")
    body = f'<urlset xmlns="{SITEMAP_NS}">\n  ' + "\n  ".join(entries) + "\n</urlset>" if entries \
        else f'<urlset xmlns="{SITEMAP_NS}" />'
    return '<?xml version="1.0" encoding="utf-8"?>\n' + body + "\n"


def _xml_escape(text: str) -> str:
    """Element text escaped as ElementTree escapes it."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def sitemap_files(urls: Sequence[str], config: Config, *,
                  lastmod: Mapping[str, date] | None = None) -> dict[str, str]:
    """{site path: XML}: ``sitemap.xml`` alone, or past the protocol's 50,000 URLs a sitemap index there
    pointing to ``sitemap-1.xml``, ``sitemap-2.xml``... (at the root, so each may list any URL of the site)."""
    unique = list(dict.fromkeys(u.lstrip("/") for u in urls))
    if len(unique) <= SITEMAP_MAX_URLS:
        return {"sitemap.xml": sitemap(unique, config, lastmod=lastmod)}
    files = {}
    index = ET.Element("sitemapindex", {"xmlns": SITEMAP_NS})
    for number, start in enumerate(range(0, len(unique), SITEMAP_MAX_URLS), start=1):
        name = f"sitemap-{number}.xml"
        files[name] = sitemap(unique[start:start + SITEMAP_MAX_URLS], config, lastmod=lastmod)
        ET.SubElement(ET.SubElement(index, "sitemap"), "loc").text = config.absolute_url(name)
    ET.indent(index, space="  ")
    files["sitemap.xml"] = '<?xml version="1.0" encoding="utf-8"?>\n' + ET.tostring(index, encoding="unicode") + "\n"
    return files


def sitemap_paths(urls: Sequence[str]) -> list[str]:
    """The paths ``sitemap_files`` makes for ``urls``, in its order: known before the files are made."""
    count = len(dict.fromkeys(u.lstrip("/") for u in urls))
    if count <= SITEMAP_MAX_URLS:
        return ["sitemap.xml"]
    return [f"sitemap-{n}.xml" for n in range(1, -(-count // SITEMAP_MAX_URLS) + 1)] + ["sitemap.xml"]


def paper_lastmod(papers: Iterable[Paper]) -> dict[str, date]:
    """Paper page path -> the paper's date: the best 'last changed' papershelf knows for a paper page."""
    return {f"papers/{p.slug}/": p.date for p in papers if p.date}


def robots_txt(config: Config) -> str:
    """robots.txt allowing everything and naming the sitemap.

    Crawlers read robots.txt only at the host's root, so for a project site
    (https://user.github.io/repo/) this file is informative only; the sitemap
    line still points to the right place.
    """
    return f"User-agent: *\nAllow: /\n\nSitemap: {config.absolute_url('sitemap.xml')}\n"


# The browse view's data (themes/default/templates/browse.html, static/browse.js): one compact facet file,
# fetched whole, what a result card shows in small chunks by position, fetched for the shown page only, the
# first page of each facet value in each sort (for a narrowed list whose first page is scattered), and
# two files fetched only when needed: the tags past the facet file's (a long tail of keywords) and the
# title order.
BROWSE_FACETS = "browse/facets.json"
BROWSE_ITEMS = "browse/items/"
BROWSE_TAGS = "browse/tags.json"
BROWSE_TITLES = "browse/title-order.json"
BROWSE_FORMAT = 2
BROWSE_FIRST = "browse/first/"
# The sorts a first page file is made for (browse.js: core.order), and the facet values: each tag of the
# facet file (t<index>), each reading status (s<digit>, 0: none), each "rating at least" (r<n>), code (c).
FIRST_SORTS = ("date", "rating", "upvotes", "title")
FIRST_MIN = 3   # a file may spare two chunk files only when its first page spans three
# Cards per chunk: a page of 20 in site order takes 5 chunks; a page scattered over the list at most 20,
# each bringing 3 cards the page does not show (8 per chunk: 7, and a query with a tag fetched 155 KB at
# 10,000 papers, over the view's 150 KB; 4: 137 KB; 2: 127 KB, but twice the files to write).
ITEMS_PER_CHUNK = 4
# Tags in the facet file, the most used first; the rest are in BROWSE_TAGS. 10,000 papers with imported
# keywords have 10,841 tags, 5,867 of them used once: all of them made the facet file 210 KB gzipped (the
# names 111 KB, each paper's tags 52 KB), the 256 most used take 10 KB, and the view lists 16 until the
# reader asks for all of them or looks for one.
TAGS_IN_FACETS = 256
_EPOCH = date(1970, 1, 1).toordinal()


def browse_paths(papers: Sequence[Paper], first: int = 0) -> list[str]:
    """The paths ``browse_files(papers, md, digests, first)`` makes, in its order: known before the files are made."""
    chunks = [BrowseFiles.chunk_path(n) for n in range(-(-len(papers) // ITEMS_PER_CHUNK))]
    return chunks + index_paths(papers, first)


def index_paths(papers: Sequence[Paper], first: int = 0) -> list[str]:
    """The paths of ``BrowseFiles.index_files``, in its order: the tags, the first page files, the title
    order, the facet file (made together, after the chunks)."""
    return _index_paths(_first_keys(papers, sorted((t.count for t in group_tags(papers)), reverse=True), first))


def _index_paths(first_keys: Sequence[str]) -> list[str]:
    firsts = [f"{BROWSE_FIRST}{key}-{sort}.json" for key in first_keys for sort in FIRST_SORTS]
    return [BROWSE_TAGS, *firsts, BROWSE_TITLES, BROWSE_FACETS]


def _first_keys(papers: Sequence[Paper], tag_counts: Sequence[int], first: int) -> list[str]:
    """The facet values first page files are made for (none when ``first`` is 0: no first page)."""
    return _value_keys(papers, tag_counts) if first > 0 else []


def _status_digit(paper: Paper) -> int:
    return STATUSES.index(paper.status) + 1 if paper.status in STATUSES else 0


def _rating_digit(paper: Paper) -> int:
    return min(max(paper.rating or 0, 0), 5)


def _value_keys(papers: Sequence[Paper], tag_counts: Sequence[int]) -> list[str]:
    """The facet values a first page file is made for, in a fixed order: the tags of the facet file
    (t<index>; ``tag_counts``: each tag's papers, in the facet file's order), the reading statuses (s<digit>,
    0: none), the ratings (r<n>: at least n) and code (c). Only values of FIRST_MIN papers or more: the
    cards of fewer come in as few chunks as the file would take."""
    if -(-len(papers) // ITEMS_PER_CHUNK) < FIRST_MIN:
        return []
    statuses = Counter(_status_digit(p) for p in papers)
    ratings = Counter(_rating_digit(p) for p in papers)
    at_least = {n: sum(c for r, c in ratings.items() if r >= n) for n in range(1, 6)}
    return ([f"t{k}" for k, count in enumerate(tag_counts[:TAGS_IN_FACETS]) if count >= FIRST_MIN]
            + [f"s{d}" for d in sorted(statuses) if statuses[d] >= FIRST_MIN]
            + [f"r{n}" for n in range(1, 6) if at_least[n] >= FIRST_MIN]
            + (["c"] if sum(1 for p in papers if p.links.code) >= FIRST_MIN else []))


def _facet_values(papers: Sequence[Paper], paper_tags: Sequence[Sequence[int]],
                  keys: Sequence[str]) -> dict[str, list[int]]:
    """Each facet value of ``keys`` (``_value_keys``) -> its papers' refs, in site order."""
    values: dict[str, list[int]] = {key: [] for key in keys}
    for ref, (paper, held) in enumerate(zip(papers, paper_tags)):
        keys = [f"t{k}" for k in held] + [f"s{_status_digit(paper)}"]
        keys += [f"r{n}" for n in range(1, _rating_digit(paper) + 1)] + (["c"] if paper.links.code else [])
        for key in keys:
            if key in values:
                values[key].append(ref)
    return values


def _first_pages(papers: Sequence[Paper], paper_tags: Sequence[Sequence[int]], keys: Sequence[str],
                 title_rank: Sequence[int], item: Callable[[int], list], first: int) -> dict[str, str]:
    """``browse/first/<value>-<sort>.json`` for each facet value (``_facet_values``) and sort of
    ``FIRST_SORTS``: the first ``first`` papers having that value in that order, ``{"refs", "items"}``
    (each item as in a chunk), so that a list narrowed by that value, or by it and more, finds its first
    page's cards in one file rather than in a chunk per card."""
    orders = {
        "date": lambda ref: ref,
        "rating": lambda ref: (-_rating_digit(papers[ref]), ref),
        "upvotes": lambda ref: (-(papers[ref].upvotes or 0), ref),
        "title": lambda ref: title_rank[ref],
    }
    files = {}
    for key, refs in _facet_values(papers, paper_tags, keys).items():
        for sort in FIRST_SORTS:
            top = refs[:first] if sort == "date" else heapq.nsmallest(first, refs, key=orders[sort])
            files[f"{BROWSE_FIRST}{key}-{sort}.json"] = inert_json({"refs": top, "items": [item(r) for r in top]}) + "\n"
    return files


def _read_on(paper: Paper) -> list[str]:
    """The reading date a read paper's card shows (macros.html, paper_meta), as a browse item's last field."""
    return [paper.read_on.isoformat()] if paper.status == "read" and paper.read_on else []


def _card_tags(paper: Paper, index: Mapping[str, int], names: Mapping[str, str]) -> list:
    """A paper's tags as its card lists them (macros.html, tag_list: the entry's order, each tag's name):
    a tag of the facet file as its index there, any other as ``[name, slug]``."""
    slugs = dict.fromkeys(map(tag_slug, paper.tags))
    return [index[s] if index.get(s, TAGS_IN_FACETS) < TAGS_IN_FACETS else [names[s], s] for s in slugs]


def _deltas(refs: Sequence[int]) -> list[int]:
    return [b - a for a, b in zip([0, *refs], refs)]


def browse_files(papers: Sequence[Paper], md: MarkdownRenderer, digests: Mapping[str, str],
                 first: int = 0) -> dict[str, str]:
    """{site path: JSON}: ``browse/items/<n>.json``, ``browse/tags.json``, ``browse/first/*.json``,
    ``browse/title-order.json`` and ``browse/facets.json``. ``papers`` in site order; ``md`` the build's converter (its converted abstracts
    are reused); ``first``: how many papers the browse view's first page shows (``per_page``), whose chunks
    the facet file carries too; ``digests``: each paper's digest by slug (``incremental.PaperDigests``), of
    which the chunks' keys are made.

    A paper's ref is its position in ``papers``, as in the search index (a search result's ref is the
    same paper). The facet file is columnar, one value per paper in each column, so that 10,000 papers
    stay within a few dozen KB gzipped:

    - ``tags``: the ``TAGS_IN_FACETS`` most used tags, ``[[name, slug], ...]``, most used first;
      ``tagCount``: how many tags there are; ``paperTags``: each paper's tags among them, as indexes;
    - ``day``: days since 1970-01-01, delta-coded (each value minus the previous dated paper's), null for
      an undated paper; ``year``: {ref: year} for undated papers whose year is known;
    - ``status``: a string, one character per paper: "0" none, "1" to-read, "2" reading, "3" read;
      ``rating``: one digit per paper (0: none); ``code``: "1" when the paper links to its code;
    - ``upvotes``: per paper;
    - ``head``: the chunks that hold the first ``first`` papers, the unfiltered list's first page (newest
      first), so that opening the view needs no request after the facet file's;
    - ``first``: ``{"count": first, "sorts": FIRST_SORTS}`` when first page files are made (below);
    - ``id``: a hash of what the browse files are made of (the facet file, the tag file and each chunk's key,
      ``BrowseFiles``; the title order follows from the chunks' titles), which the page adds to the other
      files' URLs so no two builds are mixed.

    ``browse/tags.json`` holds the other tags: ``tags`` (``[[name, slug], ...]``, indexes following the
    facet file's) and ``papers``, each tag's refs delta-coded (the first ref, then each minus the previous).
    ``browse/title-order.json`` holds ``order``, the refs in the order of their titles (case-insensitive),
    and the facet file's ``id`` (it may be fetched before the facet file is in, when the address asks
    for a sort by title).

    ``browse/first/<value>-<sort>.json`` (``_first_pages``): for each facet value of three papers or more
    (a tag of the facet file, a reading status, a rating at least n, code) and each sort, the first
    ``first`` papers having it, so sorted, with their cards: a list narrowed by that value whose first
    page is scattered over many chunks takes it from one file (browse.js, core.firstFile).

    A chunk ``browse/items/<n>.json`` holds refs ``n * perChunk`` onwards, each
    ``[slug, title, authors, snippet, code URL, tags]``, then the reading date (ISO) of a read paper that
    has one: the title as text (math as text, as search shows it), the short author list, the start of the
    abstract and the tags (``_card_tags``) as the paper cards show them.
    """
    browse = BrowseFiles(papers, md, digests, first)
    return {**{browse.chunk_path(n): browse.chunk(n) for n in range(len(browse.keys))}, **browse.index_files()}


class BrowseFiles:
    """The browse files (``browse_files``) of one build, each made on its own: a chunk from its own papers alone,
    keyed (``keys``) by what it is made of, so that an edit makes only its chunk again; the index files (tags,
    title order, facets) together, their ``id`` hashed from the chunks' keys instead of their texts."""

    def __init__(self, papers: Sequence[Paper], md: MarkdownRenderer, digests: Mapping[str, str], first: int = 0):
        self.papers, self.md, self.first = list(papers), md, first
        self.tags = sorted(group_tags(self.papers), key=lambda t: (-t.count, t.name.casefold(), t.slug))
        self.index = {t.slug: i for i, t in enumerate(self.tags)}
        self.names = {t.slug: t.name for t in self.tags}
        self.first_keys = _first_keys(self.papers, [t.count for t in self.tags], first)   # in the facet file's order
        # A chunk shows its papers (each paper's digest covers all of it) and its tags by their index and name.
        shared = hashlib.sha1(repr((BROWSE_FORMAT, md.allow_raw_html, [(t.name, t.slug) for t in self.tags])).encode(
            "utf-8", "surrogatepass"))   # hashed once (10,000 tags: 300 KB), copied for each chunk
        self.keys = []
        for start in range(0, len(self.papers), ITEMS_PER_CHUNK):
            made_of = shared.copy()
            for paper in self.papers[start:start + ITEMS_PER_CHUNK]:
                made_of.update(f"\0{paper.slug}\0{digests[paper.slug]}".encode("utf-8", "surrogatepass"))
            self.keys.append(made_of.hexdigest())

    @staticmethod
    def chunk_path(n: int) -> str:
        return f"{BROWSE_ITEMS}{n}.json"

    def chunk(self, n: int) -> str:
        """``browse/items/<n>.json``."""
        return inert_json(self._items(n)) + "\n"

    def _items(self, n: int) -> list:
        start = n * ITEMS_PER_CHUNK
        return [[p.slug, self._title(p), authors_short(p), snippet(self.md.text(p.abstract)), p.links.code,
                 _card_tags(p, self.index, self.names)] + _read_on(p)
                for p in self.papers[start:start + ITEMS_PER_CHUNK]]

    def _title(self, paper: Paper) -> str:
        """A title as the cards show it, as text (math as text, as search shows it)."""
        return html_text(self.md.inline_html(paper.title)) if has_math(paper.title) else paper.title

    def index_paths(self) -> list[str]:
        return _index_paths(self.first_keys)

    def index_files(self) -> dict[str, str]:
        """``browse/tags.json``, the first page files, ``browse/title-order.json`` and ``browse/facets.json``,
        in that order (``index_paths``)."""
        papers, tags = self.papers, self.tags
        days, years, previous = [], {}, 0
        for ref, paper in enumerate(papers):
            if paper.date is None:
                days.append(None)
                if paper.year is not None:
                    years[str(ref)] = paper.year
            else:
                day = paper.date.toordinal() - _EPOCH
                days.append(day - previous)
                previous = day
        paper_tags = [sorted({self.index[tag_slug(t)] for t in p.tags}) for p in papers]
        tail: list[list[int]] = [[] for _ in tags[TAGS_IN_FACETS:]]
        for ref, held in enumerate(paper_tags):
            for k in held:
                if k >= TAGS_IN_FACETS:
                    tail[k - TAGS_IN_FACETS].append(ref)
        facets = {
            "format": BROWSE_FORMAT,
            "count": len(papers),
            "perChunk": ITEMS_PER_CHUNK,
            "tags": [[t.name, t.slug] for t in tags[:TAGS_IN_FACETS]],
            "tagCount": len(tags),
            "paperTags": [[k for k in held if k < TAGS_IN_FACETS] for held in paper_tags],
            "day": days,
            "year": years,
            "status": "".join(str(_status_digit(p)) for p in papers),
            "rating": "".join(str(_rating_digit(p)) for p in papers),
            "code": "".join("1" if p.links.code else "0" for p in papers),
            "upvotes": [p.upvotes for p in papers],
            "head": [self._items(n) for n in range(min(-(-self.first // ITEMS_PER_CHUNK), len(self.keys)))],
        }
        files = {BROWSE_TAGS: inert_json({"tags": [[t.name, t.slug] for t in tags[TAGS_IN_FACETS:]],
                                          "papers": [_deltas(refs) for refs in tail]}) + "\n"}
        titles = [self._title(p) for p in papers]
        order = sorted(range(len(papers)), key=lambda ref: (titles[ref].casefold(), titles[ref], ref))
        if self.first > 0:
            rank = [0] * len(papers)
            for position, ref in enumerate(order):
                rank[ref] = position
            items: dict[int, list] = {}

            def item(ref: int) -> list:
                n = ref // ITEMS_PER_CHUNK
                if n not in items:
                    items[n] = self._items(n)
                return items[n][ref % ITEMS_PER_CHUNK]

            firsts = _first_pages(papers, paper_tags, self.first_keys, rank, item, self.first)
            if firsts:
                facets["first"] = {"count": self.first, "sorts": list(FIRST_SORTS)}
            files.update(firsts)
        body = inert_json(facets)
        digest = hashlib.sha256(body.encode("utf-8", "surrogatepass") + files[BROWSE_TAGS].encode("utf-8", "surrogatepass"))
        for key in self.keys:
            digest.update(key.encode())
        key = digest.hexdigest()[:16]   # (the title order and first pages follow from the facets and chunks)
        files[BROWSE_TITLES] = inert_json({"id": key, "order": order}) + "\n"
        files[BROWSE_FACETS] = body[:-1] + f',"id":"{key}"}}\n'
        return files
