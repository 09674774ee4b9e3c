"""``papershelf build``: load -> plan -> render -> extras (feeds, exports, search) -> write.

Each phase is timed (``BuildResult.phases``). Nothing is written until every
page and file has been produced in memory, so a content or template error
leaves the previous site untouched. The preview server calls ``build`` again
and again with a ``BuildCache``: a page whose inputs did not change is not
rendered again, and a change of config or theme invalidates every page.
"""

from __future__ import annotations

import dataclasses
import hashlib
import logging
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable
from urllib.parse import urlsplit

from .bibtex import bibtex_all, bibtex_entry, citation_keys
from .config import Config
from .content import load_content
from .errors import SiteError, SiteErrors
from .markdown import MarkdownRenderer
from .exports import paper_lastmod, papers_json, robots_txt, sitemap
from .feeds import atom_feed
from .model import Paper
from .pages import Page, paper_url, plan_pages, tag_url
from .render import Renderer, chain_fingerprint, theme_chain
from .search import build_search_index
from .taxonomy import group_tags
from .writer import OutputTree, check_output_dir, write_site

log = logging.getLogger("papershelf")

REPO_ROOT = Path(__file__).resolve().parents[1]
LUNR = Path("node_modules") / "lunr" / "lunr.min.js"
ASSETS = "assets/"
SEARCH_JS = "search.js"


@dataclass
class BuildCache:
    """Rendered pages of earlier builds, keyed by a hash of everything a page is made from."""

    fingerprint: str = ""
    pages: dict[str, tuple[str, str]] = field(default_factory=dict)   # path -> (input hash, html)
    search: tuple[str, dict[str, str]] | None = None                 # (input hash, index files)


@dataclass
class BuildResult:
    out: Path
    papers: int                 # papers on the site (drafts included only when asked)
    pages: int                  # HTML pages
    files: int                  # every file written, pages included (the manifest not counted)
    search_documents: int       # papers in the search index (0 without search)
    rendered: int               # pages rendered in this build (the rest came from the cache)
    seconds: float
    phases: dict[str, float]    # load, plan, render, extras, search, write: seconds each
    warnings: list[SiteError] = field(default_factory=list)


Progress = Callable[[int, int], None]


def build(config: Config, *, out: str | Path | None = None, base_url: str | None = None, drafts: bool = False,
          search: bool | None = None, force: bool = False, cache: BuildCache | None = None,
          progress: Progress | None = None) -> BuildResult:
    """Build the site into ``out`` (default: the config's output_dir). Raises SiteError/SiteErrors."""
    started = time.perf_counter()
    phases: dict[str, float] = {}
    clock = _Clock(phases)
    if base_url is not None:
        config = _with_base_url(config, base_url)
    search = config.search.enabled if search is None else (search and config.search.enabled)
    out_path = Path(out).resolve() if out is not None else config.output_path
    check_output_dir(out_path, force=force, protected=[
        config.root, config.content_path, config.resolve(config.themes_dir), REPO_ROOT])

    with clock("load"):
        papers, problems = load_content(config.content_path, config.root)
        errors = [p for p in problems if p.is_error]
        if errors:
            raise SiteErrors(problems)
        if not drafts:
            papers = [p for p in papers if not p.draft]
        chain = theme_chain(config)
        lunr = _find_lunr(config) if search else None

    renderer = Renderer(config, search=search, chain=chain)
    with clock("plan"):
        # The same citation key on a paper's page, in its .bib file and in papers.bib.
        keys = citation_keys(papers)
        bibtex = {p.slug: bibtex_entry(p, key=keys[p.slug], plain=renderer.md.text) for p in papers}
        pages = plan_pages(papers, per_page=config.per_page, search=search, bibtex=bibtex)

    tree = OutputTree()
    with clock("render"):
        rendered = _render_pages(pages, renderer, tree, cache, _fingerprint(config, chain, search), progress)

    with clock("extras"):
        _add_extras(tree, papers, pages, config, chain, search, bibtex, keys, renderer.md)

    search_documents = 0
    with clock("search"):
        if search:
            for path, text in _search_files(papers, config, cache).items():
                tree.add(path, text, "search index")
            tree.add_copy(ASSETS + "lunr.min.js", lunr, str(lunr))
            if ASSETS + SEARCH_JS not in tree:
                raise SiteError(str(chain[-1] / "static"), None,
                                f"no theme has static/{SEARCH_JS}, which the search page needs; build with --no-search")
            search_documents = len(papers)

    with clock("write"):
        write_site(tree, out_path)

    return BuildResult(out=out_path, papers=len(papers), pages=len(pages), files=len(tree),
                       search_documents=search_documents, rendered=rendered,
                       seconds=time.perf_counter() - started, phases=phases,
                       warnings=[p for p in problems if not p.is_error])


def run_build(config: Config, *, out: str | None = None, base_url: str | None = None, drafts: bool = False,
              search: bool = True, force: bool = False, quiet: bool = False) -> int:
    """The CLI's entry: build, show progress on a terminal, log one closing line."""
    progress = _terminal_progress if (sys.stderr.isatty() and not quiet) else None
    try:
        result = build(config, out=out, base_url=base_url, drafts=drafts, search=search, force=force,
                       progress=progress)
    finally:
        if progress:
            sys.stderr.write("\r\033[K")
    for warning in result.warnings:
        log.warning("%s", warning)
    log.info("Built %d pages, %d search documents in %.2f s -> %s", result.pages, result.search_documents,
             result.seconds, _shown_dir(result.out))
    return 0


def _render_pages(pages: list[Page], renderer: Renderer, tree: OutputTree, cache: BuildCache | None,
                  fingerprint: str, progress: Progress | None) -> int:
    if cache is not None and cache.fingerprint != fingerprint:
        cache.fingerprint, cache.pages = fingerprint, {}
    fresh: dict[str, tuple[str, str]] = {}
    rendered = 0
    for done, page in enumerate(pages, start=1):
        html = None
        if cache is not None:
            key = hashlib.sha256(repr((page.template, page.url, page.context)).encode()).hexdigest()
            hit = cache.pages.get(page.path)
            if hit and hit[0] == key:
                html = hit[1]
        if html is None:
            html = renderer.render(page)
            rendered += 1
            if cache is not None:
                fresh[page.path] = (key, html)
        elif cache is not None:
            fresh[page.path] = hit
        tree.add(page.path, html, page.source)
        if progress and (done % 50 == 0 or done == len(pages)):
            progress(done, len(pages))
    if cache is not None:
        cache.pages = fresh  # pages that no longer exist drop out of the cache
    return rendered


def _search_files(papers: list[Paper], config: Config, cache: BuildCache | None) -> dict[str, str]:
    """The search index files; reused from the cache while the papers and search settings are unchanged."""
    if cache is None:
        return build_search_index(papers, config.search)
    key = hashlib.sha256(repr((papers, config.search)).encode()).hexdigest()
    if cache.search is None or cache.search[0] != key:
        cache.search = (key, build_search_index(papers, config.search))
    return cache.search[1]


def _add_extras(tree: OutputTree, papers: list[Paper], pages: list[Page], config: Config,
                chain: list[Path], search: bool, bibtex: dict[str, str], keys: dict[str, str], md: MarkdownRenderer) -> None:
    """Feeds, machine-readable files, BibTeX and the theme's static files."""
    tree.add("feed.xml", atom_feed(papers, config, feed_path="feed.xml", markdown=md), "site feed")
    for tag in group_tags(papers):
        url = tag_url(tag)
        tree.add(url + "feed.xml", atom_feed(list(tag.papers), config, feed_path=url + "feed.xml", page_path=url,
                                             title=f"{config.title}: {tag.name}", markdown=md),
                 f"feed of tag '{tag.name}'")
    for paper in papers:
        tree.add(f"{paper_url(paper)}{paper.slug}.bib", bibtex[paper.slug], paper.path)
    tree.add("papers.bib", bibtex_all(papers, keys=keys), "BibTeX of all papers")
    tree.add("papers.json", papers_json(papers, config), "papers.json")
    urls = [p.url for p in pages if p.template != "404.html"]
    tree.add("sitemap.xml", sitemap(urls, config, lastmod=paper_lastmod(papers)), "sitemap")
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


def _find_lunr(config: Config) -> Path:
    for root in (config.root, REPO_ROOT):
        if (root / LUNR).is_file():
            return root / LUNR
    where = REPO_ROOT if (REPO_ROOT / "package.json").is_file() else config.root
    raise SiteError(str(LUNR), None, f"lunr.js is missing: run `npm ci` (or `npm install`) in {where} "
                                     "to install lunr.js, or build with --no-search")


def _with_base_url(config: Config, base_url: str) -> Config:
    split = urlsplit(base_url)
    if split.scheme not in ("http", "https") or not split.netloc or split.query or split.fragment:
        raise SiteError("--base-url", None, f"must be an absolute http(s) URL such as "
                                            f"https://user.github.io/repo/, not {base_url!r}")
    return dataclasses.replace(config, base_url=base_url if base_url.endswith("/") else base_url + "/")


def _fingerprint(config: Config, chain: list[Path], search: bool) -> str:
    return hashlib.sha256(f"{config!r}|{config.root}|{search}|{chain_fingerprint(chain)}".encode()).hexdigest()


class _Clock:
    """``with clock("render"):`` adds the block's seconds to ``phases["render"]``.

    A plain context manager, not contextlib's: contextlib re-raises by assigning
    ``__traceback__``, which a frozen-dataclass SiteError refuses.
    """

    def __init__(self, phases: dict[str, float]):
        self.phases = phases
        self._running: list[tuple[str, float]] = []

    def __call__(self, name: str) -> "_Clock":
        self._running.append((name, 0.0))
        return self

    def __enter__(self) -> None:
        name, _ = self._running.pop()
        self._running.append((name, time.perf_counter()))

    def __exit__(self, *exc) -> bool:
        name, start = self._running.pop()
        self.phases[name] = self.phases.get(name, 0.0) + time.perf_counter() - start
        return False


def _terminal_progress(done: int, total: int) -> None:
    sys.stderr.write(f"\rRendering pages: {done}/{total}")
    sys.stderr.flush()


def _shown_dir(path: Path) -> str:
    try:
        return str(path.relative_to(Path.cwd())) + "/"
    except ValueError:
        return str(path) + "/"
