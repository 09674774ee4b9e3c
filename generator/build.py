"""``papershelf build``: load -> plan -> render -> extras (feeds, exports, search) -> write.

Each phase is timed (``BuildResult.phases``). Entries are parsed, and pages
rendered, in forked workers (``incremental``). Everything goes into a staging
folder beside the output, swapped in only when the whole site is there, so a
content or template error leaves the previous site untouched. The preview server
calls ``build`` again and again with a ``BuildCache`` (``cache``): a page whose
inputs did not change is not rendered again, a few changed pages are replaced in
place (pages first, then feeds and the search index), and a change of config or
theme invalidates every page.
"""

from __future__ import annotations

import contextlib
import ctypes
import dataclasses
import gc
import hashlib
import logging
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, ContextManager
from urllib.parse import urlsplit

from .bibtex import base_key, citation_keys
from .cache import CACHE_DIR, BuildCache, cache_identity, discard_cache, load_cache, save_cache
from .config import Config
from .content import Stamp, content_folder_problem, load_content, parse_entry_file, scan_entries
from .errors import SiteError, SiteErrors
from .exports import paper_line
from .deliver import Ahead, deliver, open_sink
from .citations import Citations
from .extras import (PaperParts, add_search, add_static, bibtex_entries, export_outputs, find_lunr, page_outputs,
                     paper_parts, search_group, shelf_feed, tag_feed)
from .incremental import PARALLEL_MIN_PAGES, can_fork, parallel_map, worker_count
from .markdown import MarkdownRenderer
from .model import Paper
from .feeds import Feeds
from .outputs import Group, Stream
from .pages import site_plan
from .related import Terms
from .search import DocTerms, paper_terms as paper_search_terms
from .resources import PACKAGE, own_folders
from .render import Renderer, chain_fingerprint, theme_chain
from .writer import check_output_dir, remove_leftovers

log = logging.getLogger("papershelf")



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
    mode: str = "full"          # "full" (new folder swapped in), "in-place" (changed files only), "unchanged"
    written: int = 0            # files whose bytes were written or linked in this build
    visible_seconds: float = 0.0  # when the pages were on disk (in place: before the search index caught up)


Progress = Callable[[int, int], None]


def build(config: Config, *, out: str | Path | None = None, base_url: str | None = None, drafts: bool = False,
          search: bool | None = None, force: bool = False, cache: BuildCache | None = None,
          progress: Progress | None = None, workers: int | None = None,
          on_visible: Callable[[], None] | None = None, gate: ContextManager | None = None,
          remove_old_in_background: bool = False, edit_locally: bool = False,
          private: bool = False) -> BuildResult:
    """Build the site into ``out`` (default: the config's output_dir). Raises SiteError/SiteErrors.

    ``workers``: processes rendering pages (default: the usable CPUs; 1 renders in this process).
    ``on_visible`` is called as soon as the new pages are in ``out`` (an in-place update calls it
    before feeds and the search index catch up), inside ``gate`` (held while pages are made
    visible): a reader holding the same gate never sees a page without the callback's effect.
    ``remove_old_in_background``: a new folder swapped in, the previous site is removed by a
    detached process (the command line's build returns without waiting for it).
    ``edit_locally`` (the preview only): paper pages link to their file in the config's editor_url pattern.
    ``private`` (the preview only, never site/): paper pages show the entries' private notes.
    """
    with _collector_paused():
        return _build(config, out=out, base_url=base_url, drafts=drafts, search=search, force=force,
                      cache=cache if cache is not None else BuildCache(),
                      progress=progress, workers=workers, on_visible=on_visible,
                      gate=gate if gate is not None else contextlib.nullcontext(),
                      remove_old_in_background=remove_old_in_background, edit_locally=edit_locally,
                      private=private)


def _build(config: Config, *, out, base_url, drafts, search, force, cache: BuildCache, progress, workers,
           on_visible, gate, remove_old_in_background, edit_locally, private) -> BuildResult:
    started = time.perf_counter()
    phases: dict[str, float] = {}
    clock = _Clock(phases)
    config, search, out_path = _settings(config, out, base_url, search)
    cache.check_output(out_path)
    _check_target(config, out_path, force=force or cache.owns(out_path))
    with clock("load"):
        chain = theme_chain(config)
        entries = scan_entries(config.content_path, config.root)
        inputs = cache.inputs_of(entries, f"{config!r}|{config.root}", chain,
                                 f"{drafts}|{search}|{out_path}|{edit_locally}|{private}")
        if cache.up_to_date(inputs, out_path):
            return _unchanged(cache.result, started, phases, gate, on_visible)
        cache.complete()   # a cache from disk: its memos now
        cache.stamped(entries)
        md = cache.markdown_for(config.allow_raw_html)
        parts = _parse_ahead(entries, cache.parsed, md, workers, config, search)
        papers, problems = load_content(config.content_path, config.root, memo=cache.parsed, entries=entries)
        if any(p.is_error for p in problems):
            raise SiteErrors(problems)
        papers = [p for p in papers if drafts or not p.draft]
        cold = bool(parts)   # parsed by workers: a first build, whose workers are forked from this process next
        if cold:
            _release_freed_memory()   # what the parse workers' results came in: not copied into the search worker
    digests = cache.digests.update(papers)
    groups = [search_group(papers, digests, config, md, _search_terms(cache, digests, parts, md), cache.search_index,
                           cache.keep_search_index)] if search else []
    with Ahead(groups, cache.site, workers) as ahead:   # the search index made meanwhile, in a worker
        with clock("plan"):
            fingerprint = _fingerprint(config, chain, search, edit_locally)
            renderer = cache.renderer_for(fingerprint, lambda: Renderer(config, search=search, chain=chain, markdown=md,
                                                                        edit_locally=edit_locally))
            stream, pages = _plan(config, chain, search, papers, parts, cache, renderer, fingerprint, digests, groups,
                                  private)
            parts.clear()   # taken by the plan; what is left of them (each BibTeX entry's fields) not copied into the workers
            sink = open_sink(stream, cache.site, out_path)
        if cold:
            _release_freed_memory()   # what the plan made and dropped: not copied into the render workers
        _collect_new_objects_only()
        try:
            done = deliver(stream, sink, cache.site, workers=workers, progress=progress, gate=gate,
                           on_visible=on_visible, remove_old_in_background=remove_old_in_background, clock=clock,
                           ahead=ahead)
        except BaseException:
            if not sink.intact:
                cache.forget_output()   # files of ``out`` were being replaced: none of them is known any more
            raise
    seconds = time.perf_counter() - started
    result = BuildResult(out=out_path, papers=len(papers), pages=len(pages), files=len(stream),
                         search_documents=len(papers) if search else 0, rendered=done.rendered, seconds=seconds,
                         phases=phases, visible_seconds=done.visible - started,
                         warnings=[p for p in problems if not p.is_error], mode=sink.mode, written=done.written)
    cache.site, cache.inputs, cache.result = done.site, inputs, result
    _release_freed_memory()
    return result


def _settings(config: Config, out, base_url: str | None, search: bool | None) -> tuple[Config, bool, Path]:
    """The config with the build's options applied, whether to build the search, and the output folder."""
    if base_url is not None:
        config = _with_base_url(config, base_url)
    search = config.search.enabled if search is None else (search and config.search.enabled)
    missing = content_folder_problem(config)
    if missing is not None:
        raise SiteErrors([missing])
    return config, search, Path(out).resolve() if out is not None else config.output_path


def _check_target(config: Config, out: Path, *, force: bool) -> None:
    read_folders = [config.content_path, config.resolve(config.themes_dir), PACKAGE]
    check_output_dir(out, force=force, protected=[config.root, *read_folders, *own_folders()],
                     # A content_dir of "." holds the project, and site/ with it: only its own rule applies.
                     sealed=[folder for folder in read_folders if folder not in (config.root, *config.root.parents)])


def _unchanged(last: BuildResult, started: float, phases: dict[str, float], gate: ContextManager,
               on_visible: Callable[[], None] | None) -> BuildResult:
    """Nothing a build reads has changed and the site is still there: it is up to date."""
    took = time.perf_counter() - started
    if on_visible is not None:
        with gate:
            on_visible()
    return dataclasses.replace(last, rendered=0, written=0, mode="unchanged", phases=phases, seconds=took,
                               visible_seconds=took)


def _plan(config: Config, chain: list[Path], search: bool, papers: list[Paper], parts: dict[str, PaperParts],
          cache: BuildCache, renderer: Renderer, fingerprint: str, digests: dict[str, str],
          groups: list[Group], private: bool) -> tuple[Stream, list]:
    """Every output of the site, in one stream: pages, the files beside them, exports, static files, search."""
    md = renderer.md

    # The same citation key on a paper's page, in its .bib file and in papers.bib.
    def made_base_key(paper: Paper) -> str:
        return parts[paper.slug].base_key if paper.slug in parts else base_key(paper)

    lines = {slug: made.json_line for slug, made in parts.items()}   # wanted by the exports, after ``parts`` is gone

    def made_line(paper: Paper) -> str:
        return lines[paper.slug] if paper.slug in lines else paper_line(paper, config)

    keys = citation_keys(papers, base=cache.base_key_of(digests, made_base_key))
    bibtex = bibtex_entries(papers, keys, md.source_text, digests, cache.bibtex, parts)
    feeds = Feeds(config, md)
    def made_terms(paper: Paper) -> Terms | None:
        return parts[paper.slug].terms if paper.slug in parts else None

    citations = Citations(bibtex, cache.citations, digests)   # the whole list's citation files, the cite records
    for paper in papers:
        if paper.slug in parts:
            citations.remember(paper, parts[paper.slug].citation)
    renderer.use_citations(citations)   # paper pages show the same records
    plan = site_plan(papers, per_page=config.per_page, search=search, bibtex=bibtex,
                     related=cache.related_of(papers, made_terms), tag_feed=tag_feed(feeds, config),
                     feed_limit=config.feed_limit, shelf_feed=shelf_feed(feeds, config), private=private)
    pages = plan.pages
    cache.paper_pages = plan.paper_pages   # the preview renders an edited paper's page from it first (serve.py)
    # A paper stands in page keys for its digest with its share of the plan (its citation, its related papers).
    shown = cache.shown_of(digests, plan.per_paper)
    page_keys = {path: f"{fingerprint[:16]}:{key}"
                 for path, key in cache.keys.update(pages, shown, (fingerprint, plan.shape)).items()}
    stream = Stream()
    stream.add_all(page_outputs(pages, page_keys, renderer.render))   # every page path claimed first
    stream.add_all(export_outputs(papers, pages, config, bibtex, keys, feeds, md, cache.line_of(digests, made_line),
                                  citations=citations, digests=digests))
    add_static(stream, chain, search)
    for group in groups:
        add_search(stream, group, find_lunr(), chain)
    return stream, pages


def run_build(config: Config, *, out: str | None = None, base_url: str | None = None, drafts: bool = False,
              search: bool = True, force: bool = False, quiet: bool = False, use_cache: bool = True,
              clean: bool = False) -> int:
    """The CLI's entry: build (with the cache on disk unless ``use_cache`` is false; ``clean``: a full
    build that replaces the cache), show progress on a terminal, log one closing line."""
    progress = _terminal_progress if (sys.stderr.isatty() and not quiet) else None
    cache, folder, identity = None, config.root / CACHE_DIR, ""
    if use_cache:
        out_path = Path(out).resolve() if out is not None else config.output_path
        identity = cache_identity(config, theme_chain(config), f"{out_path}|{base_url}|{drafts}|{search}")
        cache = BuildCache(on_disk=True) if clean else load_cache(folder, identity)
        if cache.memo_file is None:
            log.debug("build cache: none usable in %s; a full build", folder)
    try:
        result = build(config, out=out, base_url=base_url, drafts=drafts, search=search, force=force,
                       progress=progress, cache=cache, remove_old_in_background=True)
    except BaseException:
        if cache is not None and cache.memo_file is None and not cache.site.entries:
            # Loaded and then forgotten (files of the site were being replaced when the build failed): the
            # saved cache describes a site that is not there any more.
            discard_cache(folder)
        raise
    finally:
        if progress:
            sys.stderr.write("\r\033[K")
    if result.mode != "full":
        remove_leftovers(result.out)   # what a killed build left (a full build's staging folder sweeps them)
    if cache is not None and result.mode != "unchanged":
        try:
            save_cache(folder, identity, cache, scan_entries(config.content_path, config.root), cache.stamps)
        except OSError as exc:
            log.warning("warning: could not save the build cache in %s: %s", folder, exc.strerror or exc)
    for warning in result.warnings:
        log.warning("%s", warning)
    _log_details(result)
    log.info("Built %d pages, %d search documents in %.2f s -> %s", result.pages, result.search_documents,
             result.seconds, _shown_dir(result.out))
    return 0


def _log_details(result: BuildResult) -> None:
    """What -v adds: where the time went, what was written, and whether workers could fork."""
    log.debug("phases: %s", ", ".join(f"{name} {seconds:.2f} s" for name, seconds in result.phases.items()))
    log.debug("papers: %d; files: %d (%d written); pages rendered: %d; build: %s (%s)", result.papers,
              result.files, result.written, result.rendered, result.mode,
              "forked workers" if can_fork() else "one process")


@contextlib.contextmanager
def _collector_paused():
    """No cyclic garbage collection while a build runs.

    A build allocates hundreds of thousands of objects that live until its end (papers,
    pages, converted markdown) or much longer (the preview's cache), and almost none of
    them are garbage cycles; the collector would traverse them again and again (about
    330 collections and 0.3-0.5 s in one preview rebuild at 10,000 papers). Reference
    counting still frees everything that is not a cycle; the collector is back on after.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        gc.unfreeze()
        if not enabled:
            gc.disable()
        elif not gc.isenabled():
            gc.enable()


def _collect_new_objects_only() -> None:
    """From here on (the site planned, the outputs about to be made) the collector runs again, over new objects only.

    What exists now (papers, pages, the plan) is frozen: no collection traverses it, here or in the
    workers forked next, whose copies of it stay shared with this process instead of being copied by the
    collector's bookkeeping. Making the outputs leaves garbage cycles (the json module's encoder makes
    some for every indented dump: CSL-JSON on each paper page and in the exports, about 45 MB per process
    at 10,000 papers), which are collected now instead of kept until the build ends.
    """
    gc.freeze()
    gc.enable()


def _release_freed_memory() -> None:
    """Give the memory a rebuild freed back to the system (glibc keeps it otherwise).

    Each preview rebuild makes and drops tens of MB (feeds, exports, the search index);
    without this the freed pages stay in the process, fragmented, and every rebuild's
    peak starts higher (measured at 10,000 papers: 287 MB resident after the first build, about 450 MB after six more).
    """
    try:
        ctypes.CDLL("libc.so.6").malloc_trim(0)
    except (OSError, AttributeError):
        pass   # not glibc (macOS, Windows, musl): nothing to do


def _parse_ahead(entries: list[Stamp], memo: dict, md: MarkdownRenderer, workers: int | None,
                 config: Config, search: bool) -> dict[str, PaperParts]:
    """Parse the entries not in ``memo`` and convert their markdown, in worker processes, filling the memos.

    YAML parsing and markdown conversion are most of a cold build's serial work
    (about 7 s at 10,000 papers); split over the CPUs they take a fraction of it.
    ``load_content`` then finds every entry in the memo. The workers also make each
    paper's ``PaperParts`` (returned: slug -> parts). Few entries (an edit): nothing to do here.
    """
    workers = worker_count(workers)
    if workers < 2 or memo:   # a memo from an earlier build: only edited entries are left to parse
        return {}
    todo = [stamp for stamp in entries if stamp not in memo]
    if len(todo) < PARALLEL_MIN_PAGES:
        return {}

    def prepare(chunk: list) -> list:
        out = []
        terms = DocTerms() if search else None
        for stamp in chunk:
            paper, found = parse_entry_file(Path(stamp[0]), stamp[1])
            texts = [] if paper is None else [(t, *md.converted(t)) for t in (paper.abstract, paper.notes) if t]
            made = None if paper is None else paper_parts(paper, config, md, terms)
            out.append((stamp, paper, found, texts, made))
        return out

    parts = {}
    for stamp, paper, found, texts, made in parallel_map(prepare, todo, workers):
        memo[stamp] = (paper, found)
        for text, html, plain in texts:
            md.remember(text, html, plain)
        if made is not None:
            parts[paper.slug] = made
    return parts


def _search_terms(cache: BuildCache, digests: dict[str, str], parts: dict[str, PaperParts],
                  md: MarkdownRenderer) -> Callable[[Paper], tuple]:
    """A paper's terms in the search index: made by the parse workers, kept by the cache, or made now."""
    terms = DocTerms()

    def made(paper: Paper) -> tuple:
        found = parts.get(paper.slug)
        if found is not None and found.search_terms is not None:
            return found.search_terms
        return paper_search_terms(paper, md.text, terms)
    return cache.search_terms_of(digests, made)


def _with_base_url(config: Config, base_url: str) -> Config:
    split = urlsplit(base_url)
    if split.scheme not in ("http", "https") or not split.netloc or split.query or split.fragment:
        raise SiteError("--base-url", None, f"must be an absolute http(s) URL such as "
                                            f"https://user.github.io/repo/, not {base_url!r}")
    return dataclasses.replace(config, base_url=base_url if base_url.endswith("/") else base_url + "/")


def _fingerprint(config: Config, chain: list[Path], search: bool, edit_locally: bool) -> str:
    return hashlib.sha256(f"{config!r}|{config.root}|{search}|{edit_locally}|{chain_fingerprint(chain)}".encode()).hexdigest()


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
