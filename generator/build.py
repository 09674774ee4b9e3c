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
import itertools
import logging
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, ContextManager
from urllib.parse import urlsplit

from .bibtex import base_key, citation_keys
from .cache import CACHE_DIR, BuildCache, RenderPlan, cache_identity, discard_cache, load_cache, save_cache
from .config import Config
from .content import Stamp, content_folder_problem, load_content, parse_entry_file, scan_entries
from .errors import SiteError, SiteErrors
from .exports import paper_line
from .extras import (PaperParts, add_extras, add_search_files, bibtex_entries, find_lunr, paper_parts,
                     search_index, tag_feed)
from .incremental import PARALLEL_MIN_PAGES, ParallelRender, can_fork, parallel_map, site_shape, worker_count
from .markdown import MarkdownRenderer
from .model import Paper
from .feeds import Feeds
from .pages import attachment_text, plan_pages
from .related import Terms, related_all
from .resources import PACKAGE, own_folders
from .render import Renderer, chain_fingerprint, theme_chain
from .search import MANIFEST_PATH as SEARCH_MANIFEST
from .writer import MANIFEST, OutputTree, Staging, check_output_dir, remove_leftovers, update_site, write_site

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
          remove_old_in_background: bool = False, edit_locally: bool = False) -> BuildResult:
    """Build the site into ``out`` (default: the config's output_dir). Raises SiteError/SiteErrors.

    ``workers``: processes rendering pages (default: the usable CPUs; 1 renders in this process).
    ``on_visible`` is called as soon as the new pages are in ``out`` (an in-place update calls it
    before feeds and the search index catch up), inside ``gate`` (held while pages are made
    visible): a reader holding the same gate never sees a page without the callback's effect.
    ``remove_old_in_background``: a new folder swapped in, the previous site is removed by a
    detached process (the command line's build returns without waiting for it).
    ``edit_locally`` (the preview only): paper pages link to their file in the config's editor_url pattern.
    """
    with _collector_paused():
        return _build(config, out=out, base_url=base_url, drafts=drafts, search=search, force=force, cache=cache,
                      progress=progress, workers=workers, on_visible=on_visible, gate=gate,
                      remove_old_in_background=remove_old_in_background, edit_locally=edit_locally)


def _build(config: Config, *, out, base_url, drafts, search, force, cache: BuildCache | None, progress, workers,
           on_visible, gate, remove_old_in_background, edit_locally) -> BuildResult:
    gate = gate if gate is not None else contextlib.nullcontext()
    started = time.perf_counter()
    phases: dict[str, float] = {}
    clock = _Clock(phases)
    if base_url is not None:
        config = _with_base_url(config, base_url)
    search = config.search.enabled if search is None else (search and config.search.enabled)
    missing = content_folder_problem(config)
    if missing is not None:
        raise SiteErrors([missing])
    out_path = Path(out).resolve() if out is not None else config.output_path
    if cache is not None:
        cache.check_output(out_path)
    # A folder this cache's last build wrote is ours; scanning its files again would cost a second at 10,000 pages.
    ours = cache is not None and cache.out == out_path and (out_path / MANIFEST).is_file()
    read_folders = [config.content_path, config.resolve(config.themes_dir), PACKAGE]
    check_output_dir(out_path, force=force or ours, protected=[config.root, *read_folders, *own_folders()],
                     # A content_dir of "." holds the project, and site/ with it: only its own rule applies.
                     sealed=[folder for folder in read_folders if folder not in (config.root, *config.root.parents)])

    with clock("load"):
        chain = theme_chain(config)
        inputs = ""
        entries = scan_entries(config.content_path, config.root)
        if cache is not None:
            inputs = cache.inputs_of(entries, f"{config!r}|{config.root}", chain, f"{drafts}|{search}|{out_path}|{edit_locally}")
            if (inputs == cache.inputs and cache.out == out_path and cache.result is not None
                    and (out_path / MANIFEST).is_file()):
                # Nothing a build reads has changed and the site is still there: it is up to date.
                took = time.perf_counter() - started
                if on_visible is not None:
                    with gate:
                        on_visible()
                return dataclasses.replace(cache.result, rendered=0, written=0, mode="unchanged", phases=phases,
                                           seconds=took, visible_seconds=took)
            cache.complete()   # a cache from disk: its memos now
            cache.stamped(entries)
        md = cache.markdown if cache is not None and cache.markdown is not None else None
        if md is None or md.allow_raw_html != config.allow_raw_html:
            md = MarkdownRenderer(config.allow_raw_html)
            if cache is not None:
                cache.forget_conversions()
        memo = cache.parsed if cache is not None else {}
        parts = _parse_ahead(entries, memo, md, workers, config)
        papers, problems = load_content(config.content_path, config.root, memo=memo, entries=entries)
        errors = [p for p in problems if p.is_error]
        if errors:
            raise SiteErrors(problems)
        if not drafts:
            papers = [p for p in papers if not p.draft]
        lunr = find_lunr() if search else None

    fingerprint = _fingerprint(config, chain, search, edit_locally)
    if cache is not None and cache.renderer is not None and cache.renderer_key == fingerprint \
            and cache.renderer.md is md:
        renderer = cache.renderer   # compiling the templates again would cost ~0.1 s per preview rebuild
    else:
        renderer = Renderer(config, search=search, chain=chain, markdown=md, edit_locally=edit_locally)
    with clock("plan"):
        digests = cache.digests.update(papers) if cache is not None else None
        # The same citation key on a paper's page, in its .bib file and in papers.bib.
        def made_base_key(paper: Paper) -> str:
            return parts[paper.slug].base_key if paper.slug in parts else base_key(paper)

        keys = citation_keys(papers, base=cache.base_key_of(digests, made_base_key) if cache else made_base_key)
        bibtex = bibtex_entries(papers, keys, renderer.md.source_text, digests, cache.bibtex if cache else None, parts)
        feeds = Feeds(config, renderer.md)
        for slug, made in parts.items():
            feeds.remember(slug, made.feed_entry)
        def made_terms(paper: Paper) -> Terms | None:
            return parts[paper.slug].terms if paper.slug in parts else None

        related = cache.related_of(papers, made_terms) if cache is not None else related_all(papers, made_terms)
        pages = plan_pages(papers, per_page=config.per_page, search=search, bibtex=bibtex, related=related,
                           tag_feed=tag_feed(feeds, config), feed_limit=config.feed_limit)

    search_key = cache.search_key(papers, config, digests) if search and cache is not None else ""
    cached_search = cache.cached_search(search_key) if search_key else None
    tree = OutputTree()
    for page in pages:   # claims every page path first: two pages on one path is an error
        tree.add_written(page.path, page.source)
        for path, _ in page.attachments:
            tree.add_written(path, page.source)
    running = None
    with clock("render"):
        shape = site_shape(papers, config.per_page, search, tuple(keys.items())) if cache is not None else ()
        plan = RenderPlan.make(pages, cache, fingerprint, digests, out_path, shape)
        if plan.in_place:
            staging = None
            if search and cached_search is None and _may_fork(workers):
                # The index is rebuilt in a forked worker from here on, while the edited pages, feeds and
                # exports are made in this process; its peak memory stays out of this process.
                running = ParallelRender(0, lambda start, stop: 0, 1, lambda: search_index(papers, config, md))
                cache.search = None   # stale: not kept alive beside the new index when it arrives
            try:
                for page in plan.misses:
                    tree.replace(page.path, renderer.render(page).encode("utf-8"), page.source)
                    for path, text in page.attachments:
                        tree.replace(path, attachment_text(text).encode("utf-8"), page.source)
            except BaseException:
                _stop(running)   # nothing written yet: the site and the cache stay as they are
                raise
        else:
            staging = Staging(out_path)
            tree.stream_into_staging(staging)
    try:
        if staging is None:
            with clock("write"):
                # The preview shows an edit first; feeds, exports and the search index follow, each file atomically.
                shown = {path for p in plan.misses for path in (p.path, *(a for a, _ in p.attachments))}
                with gate:
                    update_site(tree, out_path, shown, final=False)
                    if on_visible is not None:
                        on_visible()
                visible = time.perf_counter() - started
                # Feeds, exports and search shards go to disk as they are made, not held until the end;
                # the search manifest waits in the tree (written last, after its shards).
                streamed = tree.stream_into(out_path, cache.written, keep={SEARCH_MANIFEST})
        if staging is not None:
            with clock("render"):
                # With workers, the search index is built in one of them while pages render.
                side = (lambda: search_index(papers, config, md)) if search and cached_search is None else None
                running = _render_full(plan, renderer, staging, workers, progress, side)

        with clock("extras"):
            def made_line(paper: Paper) -> str:
                return parts[paper.slug].json_line if paper.slug in parts else paper_line(paper, config)

            add_extras(tree, papers, pages, config, chain, search, bibtex, keys, feeds,
                       cache.line_of(digests, made_line) if cache else made_line)
        if running is not None:
            with clock("render"):
                made = running.finish(progress)
                if made is not None:
                    cached_search = made
                    if cache is not None:
                        cache.search = (search_key, made)
        if staging is None:
            with clock("write"):
                hashes = tree.hashes()
                changed = {path for path, h in hashes.items() if cache.written.get(path) != h} - shown
                update_site(tree, out_path, changed - streamed, final=False)
                changed |= shown

        search_documents = 0
        with clock("search"):
            if search:
                if cached_search is None:
                    cached_search = search_index(papers, config, md)
                    if cache is not None:
                        cache.search = (search_key, cached_search)
                add_search_files(tree, cached_search, lunr, chain)
                search_documents = len(papers)

        with clock("write"):
            if staging is None:
                searched = tree.hashes([path for path in tree.paths() if path not in hashes])
                late = {path for path, h in searched.items() if cache.written.get(path) != h}
                # The search manifest last: a reader who gets the new manifest finds the new shards.
                update_site(tree, out_path, late - {SEARCH_MANIFEST} - streamed, final=False)
                update_site(tree, out_path, late & {SEARCH_MANIFEST})
                hashes.update(searched)
                written = len(changed) + len(late)
            else:
                hashes = tree.hashes() if cache is not None else {}
                write_site(tree, out_path, staging, gate=gate, on_swapped=on_visible,
                           remove_old_in_background=remove_old_in_background)
                written = len(tree)
    except BaseException:
        if running is not None:
            running.__exit__(None, None, None)   # workers stopped first: none may write into a removed folder
            running = None
        if staging is not None:
            staging.abort()
        elif cache is not None:
            cache.forget_output()   # files of ``out`` were being replaced: none of them is known any more
        raise
    finally:
        if running is not None:
            running.__exit__(None, None, None)

    seconds = time.perf_counter() - started
    result = BuildResult(out=out_path, papers=len(papers), pages=len(pages), files=len(tree),
                         search_documents=search_documents, rendered=len(plan.misses),
                         seconds=seconds, phases=phases, visible_seconds=seconds if staging else visible,
                         warnings=[p for p in problems if not p.is_error],
                         mode="in-place" if staging is None else "full", written=written)
    if cache is not None:
        cache.pages, cache.written, cache.out, cache.inputs, cache.result = plan.keys, hashes, out_path, inputs, result
        cache.markdown = renderer.md
        cache.renderer, cache.renderer_key = renderer, fingerprint
        _release_freed_memory()
    return result


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
        if cache is not None and cache.memo_file is None and not cache.pages:
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


def _render_full(plan: RenderPlan, renderer: Renderer, staging: Staging, workers: int | None,
                 progress: Progress | None, side_job: Callable[[], dict] | None) -> ParallelRender | None:
    """Every page into the staging folder: unchanged ones linked from the last build, the rest rendered.

    Returns the running workers (the caller finishes them) when rendering in parallel, else None.
    """
    missing = {p.path for p in plan.misses}
    misses = list(plan.misses)
    if plan.reuse is not None:
        for page in plan.pages:
            if page.path not in missing:
                files = [page.path, *(path for path, _ in page.attachments)]
                linked = list(itertools.takewhile(lambda path: staging.link(path, plan.reuse / path), files))
                if len(linked) < len(files):   # gone from the last build's folder (deleted by hand?)
                    for path in linked:
                        staging.discard(path)   # a hard link: rendering over it would change the old file
                    misses.append(page)
    workers = worker_count(workers)

    def render_chunk(start: int, stop: int) -> int:
        for page in misses[start:stop]:
            staging.write(page.path, renderer.render(page).encode("utf-8"))
            for path, text in page.attachments:
                staging.write(path, attachment_text(text).encode("utf-8"))
        return stop - start

    if workers > 1 and len(misses) >= PARALLEL_MIN_PAGES:
        return ParallelRender(len(misses), render_chunk, workers, side_job)
    for done in range(0, len(misses), 50):
        render_chunk(done, min(done + 50, len(misses)))
        if progress:
            progress(min(done + 50, len(misses)), len(misses))
    return None


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
        if enabled:
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


def _stop(running: ParallelRender | None) -> None:
    if running is not None:
        running.__exit__(None, None, None)


def _may_fork(workers: int | None) -> bool:
    return can_fork() and (workers is None or workers > 1)


def _parse_ahead(entries: list[Stamp], memo: dict, md: MarkdownRenderer, workers: int | None,
                 config: Config) -> dict[str, PaperParts]:
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

    feeds = Feeds(config, md)

    def prepare(chunk: list) -> list:
        out = []
        for stamp in chunk:
            paper, found = parse_entry_file(Path(stamp[0]), stamp[1])
            texts = [] if paper is None else [(t, *md.converted(t)) for t in (paper.abstract, paper.notes) if t]
            made = None if paper is None else paper_parts(paper, config, feeds)
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
