"""A build's stream of outputs into a sink, stage by stage. Renders nothing of its own: outputs say how they are made.

``open_sink`` chooses the sink once: a few pages changed in the folder the last build
wrote -> ``writer.InPlaceSink``; otherwise (a first build, many changed pages, another
folder) -> ``writer.StagingSink``, a new folder swapped in whole. ``deliver`` then runs
the same steps into either:

1. pages (and the files beside them): an unchanged key is kept (linked from the last
   site, or left where it is), the rest made, in forked workers when there are many;
   a group (the search index) is made meanwhile in a worker;
2. ``sink.shown``: the pages are visible (in place: before feeds and search catch up);
3. feeds and exports, then the groups' files, the search manifest last, each written only
   where its key or its bytes differ from the last site's (into a sink that shows nothing
   before ``publish``, the staging one, the exports are made by this process while the
   workers render the pages, instead of after them: 1.4 s at 10,000 papers, quiet machine);
4. ``sink.publish``: the manifest (and, staging, the swap).

A failure stops the workers and aborts the sink (staging: the folder removed; in place:
pages not shown yet removed), then propagates.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, ContextManager, Iterable

from .incremental import PARALLEL_MIN_PAGES, Forked, ParallelRender, can_fork, worker_count
from .outputs import (EXPORTS, LAST, MANIFEST, PAGES, SEARCH, Group, LastSite, Layout, Output, Stream, bytes_entry,
                      output_bytes)
from .writer import InPlaceSink, StagingSink, digest_of

# An edit re-making up to this many pages (or a tenth of the site) updates the last build in place.
IN_PLACE_MIN = 200

Sink = StagingSink | InPlaceSink
Progress = Callable[[int, int], None]
Clock = Callable[[str], ContextManager]


@dataclass
class Delivered:
    site: LastSite          # what is in ``out`` now, for the next build
    rendered: int           # pages made in this build (the rest kept from the last site)
    written: int            # files whose bytes were written or linked
    visible: float          # ``time.perf_counter()`` when the new pages became visible


def open_sink(stream: Stream, last: LastSite, out: Path) -> Sink:
    """In place when the last build's site is ``out`` (its manifest there) and few pages changed, else staging."""
    previous = last.out if last.out is not None and (last.out / MANIFEST).is_file() else None
    pages = [o for o in stream.stage(PAGES) if o.page]
    changed = sum(1 for o in pages if last.entries.get(o.path) != o.key)
    if previous == out and changed <= max(IN_PLACE_MIN, len(pages) // 10):
        return InPlaceSink(out)
    return StagingSink(out, previous)


class Ahead:
    """Groups made in a forked worker from before the plan on (the search index: its work overlaps the plan's).

    Started only for groups whose key differs from the last site's, where workers may fork;
    ``deliver`` takes their files from here. ``with`` stops the worker, whatever happened.
    """

    def __init__(self, groups: list[Group], last: LastSite, workers: int | None):
        todo = [g for g in groups if last.groups.get(g.name, ("",))[0] != g.key]
        may = bool(todo) and _may_fork(worker_count(workers))
        self._names = [g.name for g in todo] if may else []
        self._running = Forked(lambda: [g.make() for g in todo]) if may else None
        self._made: dict[str, tuple[dict[str, str], Any]] | None = None

    def __contains__(self, group: Group) -> bool:
        return group.name in self._names

    def made(self, group: Group) -> tuple[dict[str, str], Any]:
        if self._made is None:
            self._made = dict(zip(self._names, self._running.result()))
        return self._made[group.name]

    def receive_if_done(self) -> None:
        """Take the groups' files if the worker has made them, so it ends now.

        The worker waits, holding its copy of the build (about 290 MB at 10,000 papers), until
        its files are taken: taken while the pages render, it is gone before the exports are made.
        """
        if self._made is None and self._running is not None and self._running.ready():
            self._made = dict(zip(self._names, self._running.result()))

    def __enter__(self) -> "Ahead":
        return self

    def __exit__(self, *exc) -> bool:
        if self._running is not None:
            self._running.__exit__(None, None, None)
        return False


def deliver(stream: Stream, sink: Sink, last: LastSite, *, workers: int | None, progress: Progress | None,
            gate: ContextManager, on_visible: Callable[[], None] | None, clock: Clock, ahead: Ahead,
            remove_old_in_background: bool = False) -> Delivered:
    """Every output of ``stream`` into ``sink``; ``clock(phase)`` times the steps (render, extras, search, write).

    Groups already being made in ``ahead`` are taken from there; the others are made in a worker beside the pages.
    """
    run = _Delivery(stream, sink, last)
    todo = run.pages_to_make()
    groups = run.groups_to_make()
    later = [group for group in groups if group not in ahead]
    workers = worker_count(workers)
    parallel = workers > 1 and len(todo) >= PARALLEL_MIN_PAGES
    side = (lambda: [group.make() for group in later]) if later and (parallel or _may_fork(workers)) else None
    made = [o.path for o in todo]
    running = None

    def make_chunk(start: int, stop: int) -> int:
        for output in todo[start:stop]:
            sink.write(output.path, output_bytes(output))
        return stop - start

    try:
        with clock("render"):
            if parallel or side is not None:
                running = ParallelRender(len(todo) if parallel else 0, make_chunk, workers, side)
            if not parallel:
                for done in range(0, len(todo), 50):
                    make_chunk(done, min(done + 50, len(todo)))
                    if progress:
                        progress(min(done + 50, len(todo)), len(todo))
            if running is not None and not sink.ordered:
                with clock("extras"):   # this process's share while the workers render: the exports
                    run.put_all(stream.stage(EXPORTS), idle=ahead.receive_if_done)
            if running is not None:
                running.finish_chunks(progress, idle=ahead.receive_if_done)
        with clock("write"):
            sink.shown(made, gate, on_visible)
        visible = time.perf_counter()
        if running is None or sink.ordered:
            with clock("extras"):
                run.put_all(stream.stage(EXPORTS))
        with clock("search"):
            made_later = iter(running.side_result() if side is not None else [group.make() for group in later])
            for group in groups:
                run.add_group(group, ahead.made(group) if group in ahead else next(made_later))
            for stage in (SEARCH, LAST):
                for output in stream.stage(stage):
                    run.put(output)
        with clock("write"):
            sink.publish(stream.paths(), gate, on_visible, remove_old_in_background=remove_old_in_background)
    except BaseException:
        if running is not None:
            running.__exit__(None, None, None)   # workers stopped first: none may write into a removed folder
            running = None
        sink.abort(made)
        raise
    finally:
        if running is not None:
            running.__exit__(None, None, None)
    rendered = sum(1 for o in todo if o.page)
    return Delivered(LastSite(sink.out, run.entries, run.groups, run.layouts), rendered, len(todo) + run.written,
                     visible)


class _Delivery:
    """The bookkeeping of one delivery: the new manifest entries, the groups, what was written."""

    def __init__(self, stream: Stream, sink: Sink, last: LastSite):
        self.stream, self.sink, self.last = stream, sink, last
        self.entries: dict[str, str] = {}
        self.groups: dict[str, tuple[str, tuple[str, ...]]] = {}
        self.layouts: dict[str, Layout] = {}
        self.written = 0
        self._links = sink.keeps_by_link

    def pages_to_make(self) -> list[Output]:
        """The page-stage outputs whose key changed (or whose file is gone); the others kept."""
        todo = []
        for output in self.stream.stage(PAGES):
            self.entries[output.path] = output.key
            if self.last.entries.get(output.path) == output.key and self._keep(output.path):
                continue
            todo.append(output)
        return todo

    def groups_to_make(self) -> list[Group]:
        todo = []
        for group in self.stream.groups:
            known = self.last.groups.get(group.name)
            if known is not None and known[0] == group.key and all(self._keep(path) for path in known[1]):
                for path in known[1]:
                    self.stream.add(Output(path, group.name, SEARCH))
                    self.entries[path] = self.last.entries[path]
                self.groups[group.name] = known
                continue
            todo.append(group)
        return todo

    def add_group(self, group: Group, made: tuple[dict[str, str], Any]) -> None:
        files, memo = made
        for path, text in files.items():
            self.stream.add(Output(path, group.name, LAST if path == group.last else group.stage,
                                   make=text.encode))
        self.groups[group.name] = (group.key, tuple(files))
        group.keep(memo)

    def put_all(self, outputs: Iterable[Output], idle: Callable[[], None] | None = None) -> None:
        """``put`` each; ``idle()`` between them (the workers' results taken meanwhile)."""
        for output in outputs:
            self.put(output)
            if idle is not None:
                idle()

    def put(self, output: Output) -> None:
        """One output of a later stage: kept when its key (or its bytes) are the last site's, else written."""
        path = output.path
        before = self.last.entries.get(path)
        if output.make is None and output.parts is None and output.copy is None and output.joined is None:
            return   # a group's file kept from the last site (``groups_to_make``)
        if output.joined is not None:
            self._put_joined(output)
            return
        if output.key is not None:
            self.entries[path] = output.key
            if before != output.key or not self._keep(path):
                self.sink.write(path, _bytes(output))
                self.written += 1
            return
        if output.parts is not None:
            unless = bytes.fromhex(before[1:]) if before and before.startswith("#") else None
            digest = self.sink.write_parts(path, (part.encode("utf-8") for part in output.parts()), unless)
            self.entries[path] = entry = bytes_entry(digest)
            self.written += entry != before or self._links
            return
        data = _bytes(output)
        self.entries[path] = entry = bytes_entry(digest_of(data))
        if entry != before or not self._keep(path):
            self.sink.write(path, data)
            self.written += 1

    def _put_joined(self, output: Output) -> None:
        """A joined file: kept when what it is made of is unchanged, else written (patched where the sink can)."""
        path, joined = output.path, output.joined()
        self.entries[path] = entry = joined.entry()
        last = self.last.layouts.get(output.path)
        if last is not None and self.last.entries.get(path) == entry and self._keep(path):
            self.layouts[path] = last
            return
        self.layouts[path] = Layout(joined.context, joined.keys, self.sink.write_joined(path, joined, last))
        self.written += 1

    def _keep(self, path: str) -> bool:
        kept = self.sink.keep(path)
        self.written += kept and self._links
        return kept


def _bytes(output: Output) -> bytes:
    return output.copy.read_bytes() if output.copy is not None else output_bytes(output)


def _may_fork(workers: int) -> bool:
    return can_fork() and workers > 1
