"""Every file of the site that is not an HTML page: feeds, BibTeX, papers.json, sitemaps, static files, search.

Each function adds files to an ``OutputTree`` (or returns their text); nothing
here writes to disk, which stays the writer's job.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Mapping

from .bibtex import base_key, bibtex_all_parts, bibtex_fields, with_key
from .config import Config
from .errors import SiteError
from .exports import browse_files, paper_lastmod, paper_line, papers_json_parts, robots_txt, sitemap_files
from .feeds import Feeds
from .markdown import MarkdownRenderer
from .model import Paper
from .pages import Page, tag_url
from .related import Terms, paper_terms
from .resources import LUNR_NAME, lunr_js, lunr_missing_hint
from .search import build_search_index
from .taxonomy import Tag
from .writer import OutputTree

ASSETS = "assets/"
SEARCH_JS = "search.js"


@dataclass(frozen=True)
class PaperParts:
    """A paper's share of the site-wide files, made from the paper alone.

    A cold build makes these in the worker processes that parse the entries, so the
    serial part of the build only joins them (about 1.5 s less at 10,000 papers).
    """

    base_key: str                   # citation key before de-duplication
    bibtex_fields: str              # its BibTeX entry after the key line
    json_line: str                  # its line of papers.json
    feed_entry: tuple[str, str]     # its entry in the site's and its tags' feeds (``Feeds.entry``)
    terms: Terms                    # the words related papers are ranked by (``related.paper_terms``)


def paper_parts(paper: Paper, config: Config, feeds: Feeds) -> PaperParts:
    plain = feeds.markdown.source_text  # BibTeX keeps math as its TeX
    return PaperParts(base_key(paper), bibtex_fields(paper, plain=plain), paper_line(paper, config), feeds.entry(paper),
                      paper_terms(paper))


def add_extras(tree: OutputTree, papers: list[Paper], pages: list[Page], config: Config,
               chain: list[Path], search: bool, bibtex: dict[str, str], keys: dict[str, str], feeds: Feeds,
               line_of: Callable[[Paper], str] | None = None) -> None:
    """The site's feed, machine-readable files, papers.bib and the theme's static files.

    Each paper's .bib goes with its page, each tag's feed with the tag's first page (``tag_feed``).
    """
    tree.add("feed.xml", feeds.feed(papers, feed_path="feed.xml"), "site feed")
    tree.add_parts("papers.bib", bibtex_all_parts(papers, keys=keys, entries=bibtex), "BibTeX of all papers")
    tree.add_parts("papers.json", papers_json_parts(papers, config, line_of=line_of), "papers.json")
    for path, text in browse_files(papers, feeds.markdown).items():   # the browse page's data
        tree.add(path, text, "browse data")
    urls = [p.url for p in pages if p.template != "404.html"]
    for path, text in sitemap_files(urls, config, lastmod=paper_lastmod(papers)).items():
        tree.add(path, text, "sitemap")
    tree.add("robots.txt", robots_txt(config), "robots.txt")
    tree.add(".nojekyll", "", "GitHub Pages marker")
    if config.cname:
        tree.add("CNAME", config.cname + "\n", f"{config.path}: cname")
    # The default theme's files first, then the user theme's over them (the one allowed overwrite).
    for theme in reversed(chain):
        static = theme / "static"
        if not static.is_dir():
            continue
        for file in sorted(p for p in static.rglob("*") if p.is_file()):
            rel = file.relative_to(static).as_posix()
            if rel == SEARCH_JS and not search:
                continue
            tree.add_copy(ASSETS + rel, file, str(file), replace=True)


def tag_feed(feeds: Feeds, config: Config) -> Callable[[Tag], Callable[[], str]]:
    """For ``pages.plan_pages``: a tag -> the making of its feed, done where its first page is rendered
    (in the render workers: 11,000 tags make 11,000 feeds, each a file in the tag's folder)."""
    def feed_of(tag: Tag) -> Callable[[], str]:
        url = tag_url(tag)
        return functools.partial(feeds.feed, tag.papers, feed_path=url + "feed.xml", page_path=url,
                                 title=f"{config.title}: {tag.name}")
    return feed_of


def add_search_files(tree: OutputTree, index: dict[str, str], lunr: Path, chain: list[Path]) -> None:
    """The search index files and lunr.js; the theme's search script must be there already."""
    for path, text in index.items():
        tree.add(path, text, "search index")
    tree.add_copy(ASSETS + "lunr.min.js", lunr, str(lunr))
    if ASSETS + SEARCH_JS not in tree:
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
