"""Every file of the site that is not an HTML page: feeds, BibTeX, papers.json, sitemaps, static files, search.

Each function plans files as ``outputs.Output`` records (how each is made, what it
is made of); nothing here writes to disk, which stays the writer's job.
"""

from __future__ import annotations

import functools
import hashlib
from dataclasses import dataclass
from json.encoder import encode_basestring as _json_string   # a str as json.dumps(..., ensure_ascii=False)
from pathlib import Path
from typing import Callable, Iterator, Mapping, Sequence

from .bibtex import base_key, bibtex_all_parts, bibtex_fields, with_key
from .citations import Citations, PaperCitation, csl_end
from .config import Config
from .errors import SiteError
from .exports import (BrowseFiles, inert, paper_lastmod, paper_line, papers_json_parts, robots_txt,
                      sitemap_files, sitemap_paths)
from .feeds import Feeds
from .incremental import PaperDigests
from .markdown import MarkdownRenderer
from .model import Paper
from .pages import Page, Shelf, attachment_text, shelf_url, tag_url
from .related import Terms, paper_terms
from .resources import LUNR_NAME, lunr_js, lunr_missing_hint
from .search import (MANIFEST_PATH as SEARCH_MANIFEST, DocTerms, IndexMemo, build_search_index,
                     paper_terms as search_terms, search_index_since)
from .taxonomy import Tag
from .outputs import EXPORTS, PAGES, SEARCH, Group, Joined, Output, Stream

ASSETS = "assets/"
SEARCH_JS = "search.js"
# The records the browser joins into a browse or search result's export (static/cite.js), by ref (a paper's
# position in site order, as in the search index and browse/facets.json): CITE_CHUNK papers a file.
CITE_FOLDER = "cite/"
CITE_CHUNK = 32


@dataclass(frozen=True)
class PaperParts:
    """A paper's share of the site-wide files, made from the paper alone.

    A cold build makes these in the worker processes that parse the entries, so the
    serial part of the build only joins them (about 1.5 s less at 10,000 papers).
    """

    base_key: str                   # citation key before de-duplication
    bibtex_fields: str              # its BibTeX entry after the key line
    json_line: str                  # its line of papers.json
    terms: Terms                    # the words related papers are ranked by (``related.paper_terms``)
    citation: PaperCitation         # its RIS record and CSL item (``Citations.remember``)
    search_terms: tuple | None      # its terms in the search index (``search.paper_terms``), None without search


def paper_parts(paper: Paper, config: Config, md: MarkdownRenderer, search: DocTerms | None = None) -> PaperParts:
    """``search``: made for the search index too (a ``DocTerms`` kept across the papers of one process).

    A paper's feed entry is not among them: most papers are in no feed (a feed lists its newest
    ``feed_limit``), and those that are get theirs where the feed is made (``Feeds``)."""
    return PaperParts(base_key(paper), bibtex_fields(paper, plain=md.source_text),  # BibTeX keeps math as its TeX
                      paper_line(paper, config), paper_terms(paper), PaperCitation.of(paper),
                      None if search is None else search_terms(paper, md.text, search))


def page_outputs(pages: list[Page], keys: dict[str, str], render: Callable[[Page], str]) -> Iterator[Output]:
    """Each page and the files beside it (its .bib, a tag's feed), keyed by the page's key: made of the same data."""
    for page in pages:
        key = keys[page.path]
        yield Output(page.path, page.source, PAGES, key, functools.partial(render, page), page=True)
        for path, text in page.attachments:
            yield Output(path, page.source, PAGES, key, functools.partial(attachment_text, text))


def export_outputs(papers: list[Paper], pages: list[Page], config: Config, bibtex: dict[str, str],
                   keys: dict[str, str], feeds: Feeds, md: MarkdownRenderer,
                   line_of: Callable[[Paper], str] | None = None, citations: Citations | None = None,
                   digests: Mapping[str, str] | None = None) -> Iterator[Output]:
    """The site's feed, machine-readable files and papers.bib; compared by their bytes.

    Each paper's .bib goes with its page, each tag's feed with the tag's first page (``tag_feed``).
    """
    yield Output("feed.xml", "site feed", EXPORTS, make=lambda: feeds.feed(papers, feed_path="feed.xml"))
    citations = citations if citations is not None else Citations(bibtex)
    if digests is not None:   # a piece a paper, keyed by its digest: an edit patches the last build's files
        yield from joined_exports(papers, config, bibtex, keys, citations, md, digests,
                                  line_of or functools.partial(paper_line, config=config))
    else:
        yield Output("papers.bib", "BibTeX of all papers", EXPORTS,
                     parts=lambda: bibtex_all_parts(papers, keys=keys, entries=bibtex))
        yield Output("papers.ris", "RIS of all papers", EXPORTS, parts=lambda: citations.ris_parts(papers))
        yield Output("papers.csl.json", "CSL-JSON of all papers", EXPORTS,
                     parts=lambda: citations.csl_parts(papers))
        yield Output("papers.json", "papers.json", EXPORTS,
                     parts=lambda: papers_json_parts(papers, config, line_of=line_of))
    yield from cite_chunks(citations, papers, digests)   # what a browse or search result's export joins
    yield from browse_outputs(BrowseFiles(papers, md, digests or PaperDigests().update(papers), config.per_page))
    yield from sitemap_outputs([p.url for p in pages if p.template != "404.html"], papers, config)
    yield Output("robots.txt", "robots.txt", EXPORTS, make=lambda: robots_txt(config))
    yield Output(".nojekyll", "GitHub Pages marker", EXPORTS, make=str)
    if config.cname:
        yield Output("CNAME", f"{config.path}: cname", EXPORTS, make=lambda: config.cname + "\n")


def joined_exports(papers: Sequence[Paper], config: Config, bibtex: Mapping[str, str], keys: Mapping[str, str],
                   citations: Citations, md: MarkdownRenderer, digests: Mapping[str, str],
                   line_of: Callable[[Paper], str]) -> Iterator[Output]:
    """papers.bib, papers.ris, papers.csl.json and papers.json as ``outputs.Joined`` files, a piece a paper keyed
    by its digest (and what else its piece shows: its citation key, its CSL id, whether it comes first or last),
    the same bytes as ``bibtex_all_parts``, ``Citations.ris_parts``/``csl_parts`` and ``papers_json_parts``."""
    context = f"{config!r}|{md.allow_raw_html}"
    count = len(papers)
    own = [digests[p.slug] for p in papers]

    def bib() -> Joined:
        return Joined(context, tuple(f"{d}|{keys[p.slug]}|{i + 1 < count}" for i, (p, d) in enumerate(zip(papers, own))),
                      lambda i: bibtex[papers[i].slug] + ("\n" if i + 1 < count else ""))

    def ris() -> Joined:
        return Joined(context, tuple(f"{d}|{i > 0}" for i, d in enumerate(own)),
                      lambda i: ("\n" if i else "") + citations.ris(papers[i]))

    def csl() -> Joined:
        ids = citations.csl_ids(papers)
        keyed = tuple(f"{d}|{item_id}|{i > 0}" for i, (d, item_id) in enumerate(zip(own, ids))) + (f"end|{count}",)
        return Joined(context, keyed, lambda i: citations.csl_piece(papers[i], ids[i], i) if i < count else csl_end(count))

    def json_lines() -> Joined:
        first = next(papers_json_parts(papers, config, line_of=line_of))   # the head: title, base_url, count
        keyed = ("head:" + first,) + tuple(f"{d}|{i + 1 < count}" for i, d in enumerate(own)) + ("end",)
        return Joined(context, keyed, lambda i: first if i == 0 else "]}\n" if i > count else
                      line_of(papers[i - 1]) + (",\n" if i < count else "\n"))

    yield Output("papers.bib", "BibTeX of all papers", EXPORTS, joined=bib)
    yield Output("papers.ris", "RIS of all papers", EXPORTS, joined=ris)
    yield Output("papers.csl.json", "CSL-JSON of all papers", EXPORTS, joined=csl)
    yield Output("papers.json", "papers.json", EXPORTS, joined=json_lines)


def browse_outputs(browse: BrowseFiles) -> Iterator[Output]:
    """The browse page's data, made when written (after the pages are visible): each chunk keyed by what it is
    made of (one edit makes one chunk again), the index files compared by their bytes."""
    for n, key in enumerate(browse.keys):
        yield Output(browse.chunk_path(n), "browse data", EXPORTS, key="browse:" + key,
                     make=functools.partial(browse.chunk, n))
    index = functools.cache(browse.index_files)
    for path in browse.index_paths():
        yield Output(path, "browse data", EXPORTS, make=functools.partial(_made_file, index, path))


def sitemap_outputs(urls: list[str], papers: Sequence[Paper], config: Config) -> Iterator[Output]:
    """The sitemap (``exports.sitemap_files``), keyed by what it is made of: the site's URLs, the papers' dates
    and the config (base_url). Unchanged by most edits: then not made again."""
    made_of = hashlib.sha1(f"{config!r}\0".encode("utf-8", "surrogatepass"))
    made_of.update("\n".join(urls).encode("utf-8", "surrogatepass"))
    made_of.update(repr([(p.slug, p.date.toordinal() if p.date else None) for p in papers]).encode())
    key = "sitemap:" + made_of.hexdigest()
    files = functools.cache(lambda: sitemap_files(urls, config, lastmod=paper_lastmod(papers)))
    for path in sitemap_paths(urls):
        yield Output(path, "sitemap", EXPORTS, key=key, make=functools.partial(_made_file, files, path))


def _made_file(files: Callable[[], dict[str, str]], path: str) -> str:
    return files()[path]


def add_static(stream: Stream, chain: list[Path], search: bool) -> None:
    """The themes' static files: the default theme's first, then the user theme's over them (the one allowed overwrite)."""
    for theme in reversed(chain):
        static = theme / "static"
        if not static.is_dir():
            continue
        for file in sorted(p for p in static.rglob("*") if p.is_file()):
            rel = file.relative_to(static).as_posix()
            if rel == SEARCH_JS and not search:
                continue
            stream.add(Output(ASSETS + rel, str(file), EXPORTS, copy=file), replace=True)


def tag_feed(feeds: Feeds, config: Config) -> Callable[[Tag], Callable[[], str]]:
    """For ``pages.plan_pages``: a tag -> the making of its feed, done where its first page is rendered
    (in the render workers: 11,000 tags make 11,000 feeds, each a file in the tag's folder)."""
    def feed_of(tag: Tag) -> Callable[[], str]:
        url = tag_url(tag)
        return functools.partial(feeds.feed, tag.papers, feed_path=url + "feed.xml", page_path=url,
                                 title=f"{config.title}: {tag.name}")
    return feed_of


def shelf_feed(feeds: Feeds, config: Config) -> Callable[[Shelf], Callable[[], str]]:
    """For ``pages.plan_pages``: the Read shelf -> the making of its feed (recently read, by ``read_on``)."""
    def feed_of(shelf: Shelf) -> Callable[[], str]:
        url = shelf_url(shelf.status)
        return functools.partial(feeds.reading_feed, shelf.papers, feed_path=url + "feed.xml", page_path=url,
                                 title=f"{config.title}: recently read")
    return feed_of


def cite_chunks(citations: Citations, papers: Sequence[Paper],
                digests: Mapping[str, str] | None = None) -> Iterator[Output]:
    """``cite/<n>.json``: refs ``n * CITE_CHUNK`` onwards, each ``[BibTeX entry, RIS record, CSL item, slug]``;
    static/cite.js joins a result's records exactly as ``Citations`` joins a list's. With the papers'
    ``digests``, a chunk is keyed by its papers' digests and BibTeX entries: one edit makes one chunk again."""
    for start in range(0, len(papers), CITE_CHUNK):
        chunk = papers[start:start + CITE_CHUNK]
        key = None
        if digests is not None:
            made_of = hashlib.sha1()
            for paper in chunk:
                made_of.update(f"{paper.slug}\0{digests[paper.slug]}\0{citations.bibtex[paper.slug]}\0".encode(
                    "utf-8", "surrogatepass"))
            key = "cite:" + made_of.hexdigest()
        yield Output(f"{CITE_FOLDER}{start // CITE_CHUNK}.json", "citation records", EXPORTS, key=key,
                     make=functools.partial(_cite_chunk, citations, tuple(chunk)))


def _cite_chunk(citations: Citations, papers: tuple[Paper, ...]) -> str:
    """``inert_json`` of the papers' ``[BibTeX entry, RIS record, CSL item, slug]``, joined from each item's JSON."""
    records = [f"[{_json_string(citations.bibtex[p.slug])},{_json_string(citations.ris(p))},{citations.csl_json(p)},"
               f"{_json_string(p.slug)}]" for p in papers]
    return inert("[" + ",".join(records) + "]") + "\n"


def search_group(papers: list[Paper], digests: dict[str, str], config: Config, md: MarkdownRenderer,
                 terms_of: Callable[[Paper], tuple] | None = None, last: IndexMemo | None = None,
                 keep: Callable[[IndexMemo | None], None] = lambda memo: None) -> Group:
    """The search index: one group of files, keyed by the papers' digests in order and the settings.

    ``terms_of``: a paper's ``search.paper_terms`` as the build kept or made them (taken now, before the
    index is made in a worker), so that the index is made without tokenizing every paper again; then the
    postings of the ``last`` index are patched where few papers changed, and ``keep`` is given the new ones.
    """
    key = hashlib.sha256(repr((config.search, md.allow_raw_html, [digests[p.slug] for p in papers])).encode())
    if terms_of is None:
        return Group("search index", SEARCH, key.hexdigest(), lambda: (search_index(papers, config, md), None),
                     keep=keep, last=SEARCH_MANIFEST)
    terms = [terms_of(p) for p in papers]
    return Group("search index", SEARCH, key.hexdigest(),
                 lambda: search_index_since(last, papers, config.search, text=md.text, terms=terms,
                                            digests=[digests[p.slug] for p in papers], made_of=repr(md.allow_raw_html)),
                 keep=keep, last=SEARCH_MANIFEST)


def add_search(stream: Stream, group: Group, lunr: Path, chain: list[Path]) -> None:
    """The search index and lunr.js; the theme's search script must be there already."""
    stream.add_group(group)
    stream.add(Output(ASSETS + "lunr.min.js", str(lunr), SEARCH, copy=lunr))
    if ASSETS + SEARCH_JS not in stream:
        raise SiteError(str(chain[-1] / "static"), None,
                        f"no theme has static/{SEARCH_JS}, which the search page needs; build with --no-search")


def search_index(papers: list[Paper], config: Config, md: MarkdownRenderer) -> dict[str, str]:
    """The search index files, made from the build's already converted abstracts."""
    return build_search_index(papers, config.search, text=md.text)


def bibtex_entries(papers: list[Paper], keys: dict[str, str], plain: Callable[[str], str],
                   digests: dict[str, str] | None = None,
                   known: dict[str, tuple[str, str, str]] | None = None,
                   parts: Mapping[str, PaperParts] | None = None) -> dict[str, str]:
    """Each paper's BibTeX entry, from its ``parts`` where the caller has them.

    With ``digests`` and ``known`` (slug -> (digest, key, entry), kept by the preview),
    an entry is reused while its paper and key are unchanged; ``known`` is updated in place.
    """
    parts = parts or {}

    def entry(paper: Paper) -> str:
        made = parts.get(paper.slug)
        return with_key(keys[paper.slug], made.bibtex_fields if made else bibtex_fields(paper, plain=plain))

    if known is None or digests is None:
        return {p.slug: entry(p) for p in papers}
    entries, fresh = {}, {}
    for paper in papers:
        hit = known.get(paper.slug)
        digest, key = digests[paper.slug], keys[paper.slug]
        if hit is None or hit[0] != digest or hit[1] != key:
            hit = (digest, key, entry(paper))
        fresh[paper.slug] = hit
        entries[paper.slug] = hit[2]
    known.clear()
    known.update(fresh)
    return entries


def find_lunr() -> Path:
    """lunr.js as papershelf ships it (inside the package, or the checkout's node_modules)."""
    found = lunr_js()
    if found is None:
        raise SiteError(LUNR_NAME, None, lunr_missing_hint())
    return found
