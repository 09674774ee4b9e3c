"""What lets a rebuild skip work, and rendering across processes. No rendering or writing of its own.

- ``input_fingerprint``: one string for everything a build reads (every entry's
  name, size and modification time from the content scan, the config, the theme
  files' names, sizes and times, the build options). Equal fingerprints mean an identical site, so the
  build can return at once; it costs a directory listing and a few hundred
  ``stat`` calls, not a read of every file.
- ``page_key``: what a page is made of, as a string. A paper inside a page's data
  stands for its digest (a hash of its fields, computed once per paper), so the
  key of a tag page listing twenty papers is a short string, not twenty abstracts.
  ``PageKeys`` keeps the keys between builds and, after an edit that leaves the
  plan's shape alone, makes again only the keys of pages showing an edited paper.
- ``ParallelRender``: renders pages in forked worker processes; each worker gets
  a contiguous chunk of pages and hands the HTML to a callback (the writer's
  staging folder), so the pages never travel back through a pipe or pile up in
  the parent's memory.
"""

from __future__ import annotations

import ctypes
import dataclasses
import functools
import hashlib
import multiprocessing
import os
import signal
import threading
import traceback
from pathlib import Path
from typing import Any, Callable, Iterable, Sequence

from .errors import SiteError
from .model import Listed, Paper

# Below this many pages to render, forking workers costs more than it saves.
PARALLEL_MIN_PAGES = 400
CHUNKS_PER_WORKER = 8
# How often the parent, waiting for rendered chunks, looks for other work done (``ParallelRender.finish_chunks``).
IDLE_SECONDS = 0.1


def input_fingerprint(entries: Iterable[tuple], config_repr: str, theme_dirs: Iterable[Path], options: str) -> str:
    """Names, sizes and mtimes of every entry (``content.scan_entries``) and theme file, plus the config and options."""
    digest = hashlib.sha1(f"{config_repr}\0{options}\0".encode())
    digest.update(repr(list(entries)).encode())
    for folder in theme_dirs:
        digest.update(f"\0{folder}\0".encode())
        for path, stat in sorted(_walk(folder)):
            digest.update(f"{path}:{stat.st_size}:{stat.st_mtime_ns}\n".encode())
    return digest.hexdigest()


def _walk(folder: Path):
    try:
        entries = list(os.scandir(folder))
    except OSError:
        return
    for entry in entries:
        if entry.is_dir(follow_symlinks=False):
            yield from _walk(Path(entry.path))
        else:
            try:
                yield entry.path, entry.stat()
            except OSError:
                continue


class PaperDigests:
    """Paper -> a hash of every field, reused across builds while the same Paper object comes back."""

    def __init__(self) -> None:
        self._known: dict[str, tuple[Paper, str]] = {}

    def update(self, papers: Sequence[Paper]) -> dict[str, str]:
        known, fresh = self._known, {}
        for paper in papers:
            hit = known.get(paper.slug)
            if hit is not None and (hit[0] is paper or hit[0] == paper):
                fresh[paper.slug] = hit
            else:
                fresh[paper.slug] = (paper, hashlib.sha1(repr(paper).encode()).hexdigest())
        self._known = fresh
        return {slug: digest for slug, (_, digest) in fresh.items()}


def page_key(template: str, url: str, context: dict, digests: dict[str, str],
             refs: list[str] | None = None) -> str:
    """Everything a page is rendered from, with papers replaced by their digests.

    ``refs``, if given, receives the slug of every paper the page's data refers to. The key is
    returned as a digest of that string: the archive's is 400 KB at 10,000 papers, and the build
    cache keeps every page's key on disk.
    """
    key = f"{template}|{url}|{_sig(context, digests, refs if refs is not None else [])}"
    return hashlib.sha1(key.encode("utf-8", "surrogatepass")).hexdigest()


def _sig(value: Any, digests: dict[str, str], refs: list[str]) -> str:
    # Exact type checks first: every page's key is made on every preview rebuild (11,000 at 10,000 papers).
    kind = type(value)
    if kind is str or kind is int or value is None:
        return repr(value)
    if kind is Paper:
        refs.append(value.slug)
        return digests[value.slug]
    if kind is Listed:   # what a list shows of a paper: the page's key holds that, not the paper's digest
        refs.append(value.slug)
        return repr(value)
    if kind is tuple or kind is list:
        if value and type(value[0]) is Paper and all([type(v) is Paper for v in value]):
            # A list of papers (a pager, a year of the archive, a tag): thousands on the archive page.
            slugs = [v.slug for v in value]
            refs.extend(slugs)
            return "(" + ",".join([digests[s] for s in slugs]) + ")"
        return "(" + ",".join([_sig(v, digests, refs) for v in value]) + ")"
    if kind is dict:
        return "{" + ",".join([f"{k!r}:{_sig(v, digests, refs)}" for k, v in value.items()]) + "}"
    if isinstance(value, Paper):
        refs.append(value.slug)
        return digests[value.slug]
    if isinstance(value, (tuple, list)):
        return "(" + ",".join([_sig(v, digests, refs) for v in value]) + ")"
    if isinstance(value, dict):
        return "{" + ",".join([f"{k!r}:{_sig(v, digests, refs)}" for k, v in value.items()]) + "}"
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return kind.__name__ + _sig({name: getattr(value, name) for name in _field_names(kind)}, digests, refs)
    return repr(value)


class PageKeys:
    """Every page's key, made again only for the pages an edit can have changed.

    When the plan's *shape* (``pages.SitePlan.shape``: everything the plan is made of but
    the papers' contents, declared by the plan itself) is the one of the last call, the
    plan has the same pages with the same papers in the same places; a page's key can
    then change only through the digest of a paper it refers to (the caller folds each
    paper's ``SitePlan.per_paper`` share into its digest). Only those pages' keys are made
    again: at 10,000 papers, a few pages instead of 21,000.
    """

    def __init__(self) -> None:
        self.shape: Any = None
        self.keys: dict[str, str] = {}
        self.digests: dict[str, str] = {}
        self.referring: dict[str, list[str]] = {}   # paper slug -> paths of the pages that refer to it

    def update(self, pages: Sequence, digests: dict[str, str], shape: Any) -> dict[str, str]:
        """Page path -> key for ``pages`` (``Page`` records); remembers them for the next call."""
        if shape != self.shape or not self.keys:
            keys: dict[str, str] = {}
            referring: dict[str, list[str]] = {}
            for page in pages:
                refs: list[str] = []
                keys[page.path] = page_key(page.template, page.url, page.context, digests, refs)
                for slug in set(refs):
                    referring.setdefault(slug, []).append(page.path)
            self.referring = referring
        else:
            keys = dict(self.keys)
            changed = {slug for slug, digest in digests.items() if self.digests.get(slug) != digest}
            stale = {path for slug in changed for path in self.referring.get(slug, ())}
            if stale:
                for page in pages:
                    if page.path in stale:
                        keys[page.path] = page_key(page.template, page.url, page.context, digests)
        self.shape, self.keys, self.digests = shape, keys, digests
        return keys


@functools.lru_cache(maxsize=256)
def _field_names(kind: type) -> tuple[str, ...]:
    return tuple(f.name for f in dataclasses.fields(kind))   # dataclasses.fields is slow: once per class


class WorkerError(Exception):
    """A worker failed on something that is not the curator's mistake; carries the worker's traceback."""


class ParallelRender:
    """Renders ``range(count)`` in chunks across forked worker processes, in the background.

    ``render_chunk(start, stop)`` is inherited by the workers through fork
    (nothing is pickled but chunk bounds and results). ``side_job``, if given,
    runs in a worker alongside (the search index: its work overlaps the pages'
    instead of following it). The parent is free until ``finish``. A SiteError in
    a worker is raised by ``finish`` as the same SiteError; any other exception
    as WorkerError with the worker's traceback.

        with ParallelRender(n, chunk, 2, side_job=index) as running:
            ...                      # the parent's own work
            side = running.finish(progress)
    """

    def __init__(self, count: int, render_chunk: Callable[[int, int], Any], workers: int,
                 side_job: Callable[[], Any] | None = None):
        size = max(1, -(-count // (workers * CHUNKS_PER_WORKER)))
        self.count = count
        self.bounds = [(start, min(start + size, count)) for start in range(0, count, size)]
        self._pool = multiprocessing.get_context("fork").Pool(
            workers, initializer=_set_job, initargs=(render_chunk, side_job))
        self._side = self._pool.apply_async(_run_side) if side_job is not None else None
        self._chunks = self._pool.imap_unordered(_run_chunk, list(enumerate(self.bounds)))

    def finish(self, progress: Callable[[int, int], None] | None = None) -> Any:
        self.finish_chunks(progress)
        return self.side_result()

    def finish_chunks(self, progress: Callable[[int, int], None] | None = None,
                      idle: Callable[[], None] | None = None) -> None:
        """Wait for every chunk (the side job may still run); ``idle()`` is called every ``IDLE_SECONDS`` meanwhile."""
        done = 0
        while True:
            try:
                index, outcome = self._chunks.next(IDLE_SECONDS if idle is not None else None)
            except multiprocessing.TimeoutError:
                idle()
                continue
            except StopIteration:
                break
            _raise_failed(outcome)
            done += self.bounds[index][1] - self.bounds[index][0]
            if progress:
                progress(done, self.count)

    def side_result(self) -> Any:
        """Wait for the side job; its result (None without one)."""
        if self._side is None:
            return None
        outcome = self._side.get()
        _raise_failed(outcome)
        return outcome[1]

    def __enter__(self) -> "ParallelRender":
        return self

    def __exit__(self, *exc) -> bool:
        self._pool.terminate()  # after finish() the workers are idle; after an error, stop them
        self._pool.join()
        return False


class Forked:
    """``job()`` in one forked child process, started now; ``result()`` waits for it. ``with`` ends the child.

    A bare fork and a pipe, not a ``multiprocessing`` pool: a pool runs threads in this process,
    and while any other thread runs no further worker may be forked (``can_fork``). The result
    comes back pickled; a SiteError in the child is raised here as the same SiteError, anything
    else as WorkerError.
    """

    def __init__(self, job: Callable[[], Any]):
        receiving, sending = multiprocessing.Pipe(duplex=False)
        self._pid = os.fork()
        if self._pid == 0:   # the child: run the job, send its outcome, exit without this process's clean-up
            receiving.close()
            code = 1
            try:
                signal.signal(signal.SIGINT, signal.SIG_IGN)
                signal.signal(signal.SIGTERM, signal.SIG_DFL)
                _die_with_parent()
                sending.send(_guarded(job))
                code = 0
            finally:
                os._exit(code)
        sending.close()
        self._pipe = receiving

    def ready(self) -> bool:
        """Whether the child's outcome is there to receive (``result`` would not wait for the job)."""
        return self._pipe.poll()

    def result(self) -> Any:
        try:
            outcome = self._pipe.recv()
        except EOFError:
            raise WorkerError("a worker process ended without a result") from None
        _raise_failed(outcome)
        return outcome[1]

    def __enter__(self) -> "Forked":
        return self

    def __exit__(self, *exc) -> bool:
        self._pipe.close()
        if self._pid:
            try:
                os.kill(self._pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
            os.waitpid(self._pid, 0)
            self._pid = 0
        return False


def parallel_map(job: Callable[[Sequence], list], items: Sequence, workers: int) -> list:
    """``job`` over contiguous chunks of ``items`` in forked workers; the chunks' results joined, in order.

    ``job`` is inherited through fork (only the items and the results are pickled). A
    SiteError in a worker is raised here as the same SiteError, anything else as WorkerError.
    """
    size = max(1, -(-len(items) // (workers * CHUNKS_PER_WORKER)))
    chunks = [items[start:start + size] for start in range(0, len(items), size)]
    pool = multiprocessing.get_context("fork").Pool(workers, initializer=_set_job, initargs=(job, None))
    try:
        done = []
        for outcome in pool.imap(_run_whole, chunks):
            _raise_failed(outcome)
            done.extend(outcome[1])
        return done
    finally:
        pool.terminate()
        pool.join()


def _run_whole(chunk: Sequence):
    return _guarded(_job, chunk)


def _raise_failed(outcome: tuple[str, Any]) -> None:
    status, value = outcome
    if status == "site-error":
        raise SiteError(*value)
    if status == "error":
        raise WorkerError(value)


# The jobs of this worker process: set once per forked worker by the pool's initializer.
_job: Callable[[int, int], Any] | None = None
_side_job: Callable[[], Any] | None = None


def _set_job(job: Callable[[int, int], Any], side_job: Callable[[], Any] | None) -> None:
    global _job, _side_job
    _job, _side_job = job, side_job
    # A worker inherits its parent's signal handlers (``serve`` turns SIGINT and SIGTERM into
    # KeyboardInterrupt). Ctrl-C reaches the whole process group: the parent alone decides
    # and stops the pool, whose SIGTERM must end a worker at once, wherever it is.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    _die_with_parent()


def _die_with_parent() -> None:
    """Linux: SIGTERM this worker when its parent dies (even by SIGKILL), instead of leaving it orphaned."""
    try:
        libc = ctypes.CDLL("libc.so.6", use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)
    except (OSError, AttributeError):
        pass   # not Linux/glibc: workers still end when their task pipe closes
    parent = multiprocessing.parent_process()
    if parent is not None and os.getppid() != parent.pid:
        os._exit(1)   # the parent died before the line above took effect


_PR_SET_PDEATHSIG = 1


def _run_chunk(item: tuple[int, tuple[int, int]]):
    index, (start, stop) = item
    return index, _guarded(_job, start, stop)


def _run_side():
    return _guarded(_side_job)


def _guarded(job, *args) -> tuple[str, Any]:
    try:
        return "ok", job(*args)
    except SiteError as exc:
        return "site-error", (exc.path, exc.line, exc.message)
    except BaseException:
        return "error", traceback.format_exc()


def can_fork() -> bool:
    """Whether workers may inherit the build by fork; where not, pages render in this process.

    The workers' jobs are closures over the build (renderer, staging folder), which only fork
    hands over. Fork is used only where it is the platform's own default start method (Linux
    up to Python 3.13; not macOS, where forking after system frameworks load is unsafe, nor
    Windows, which has none) and while no other thread runs: a forked child inherits the
    locks other threads hold (the preview's watcher and server), a deadlock waiting to happen.
    """
    if "fork" not in multiprocessing.get_all_start_methods() or _default_start_method() != "fork":
        return False
    return threading.active_count() == 1


def _default_start_method() -> str:
    return multiprocessing.get_start_method(allow_none=True) or multiprocessing.get_context().get_start_method()


def worker_count(requested: int | None = None) -> int:
    """Processes to work with: ``requested`` (default: the CPUs this process may use); 1 without fork."""
    if not can_fork():
        return 1
    if requested is not None:
        return max(1, requested)
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:
        return max(1, os.cpu_count() or 1)
