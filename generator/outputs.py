"""The site as one ordered stream of outputs: what each file is made of, how to make it, and when. Pure.

A build plans every file of the site as an ``Output``: its path, its *key* (what it
is made of, declared where it is planned: a page's key covers its template, URL and
data; ``None`` means "the file's own bytes", for files cheap to make again and compare),
how to make its bytes, and its *stage*. A sink (``writer.StagingSink`` or
``writer.InPlaceSink``) receives the outputs stage by stage: pages first, then feeds
and exports, then the search files, the search manifest last. ``Stream`` holds them
and refuses two outputs on one path (the error names both sources).

A ``Group`` is one making that yields several outputs whose paths are known only once
made (the search index's shards): its key covers all of them. It also yields what the next
making may start from (the search index's postings), which the build keeps.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any, Callable, Iterable, Iterator

from .errors import SiteError

# Stages, in the order a sink receives them.
PAGES, EXPORTS, SEARCH, LAST = 0, 1, 2, 3

MANIFEST = ".papershelf-build.json"   # the list of the site's files, written by the sink (never an output)


@dataclass(frozen=True, slots=True)   # tens of thousands per build: no dict each
class Output:
    path: str                                   # relative to the site root
    source: str                                 # what it comes from, for error messages
    stage: int
    key: str | None = None                      # what it is made of; None: compared by its bytes
    make: Callable[[], str | bytes] | None = None           # its text or bytes
    parts: Callable[[], Iterable[str]] | None = None        # or its text in pieces (a large export)
    copy: Path | None = None                    # or a file copied as it is
    page: bool = False                          # an HTML page (rendered in workers on a large build)
    joined: Callable[[], "Joined"] | None = None  # or its pieces, each named by what it is made of


@dataclass(frozen=True)
class Joined:
    """A file made of pieces one after the other (a whole list's export: a piece a paper), so that a sink can
    patch the last build's file instead of making every piece again.

    ``keys[i]`` says what piece i is made of, within ``context`` (what every piece depends on: the config,
    the theme, the options): equal keys in one context mean equal bytes. ``piece(i)`` makes piece i's text.
    """

    context: str
    keys: tuple[str, ...]
    piece: Callable[[int], str]

    def entry(self) -> str:
        """The file's manifest entry: equal entries, equal bytes."""
        made_of = hashlib.sha1(self.context.encode("utf-8", "surrogatepass"))
        for key in self.keys:
            made_of.update(key.encode("utf-8", "surrogatepass") + b"\0")
        return "joined:" + made_of.hexdigest()


@dataclass(frozen=True)
class Layout:
    """What a joined file the last build wrote is made of: its pieces' keys (in ``context``) and byte lengths."""

    context: str
    keys: tuple[str, ...]
    lengths: tuple[int, ...]


@dataclass(frozen=True)
class Group:
    """Outputs made together (``make`` returns them), all covered by ``key``."""

    name: str                                   # for error messages and the manifest: e.g. "search index"
    stage: int
    key: str
    # (path -> text, what the next making may start from), run in a worker: plain data only
    make: Callable[[], tuple[dict[str, str], Any]]
    keep: Callable[[Any], None]                 # given the second of them, in the build's process
    last: str = ""                              # the one path of them written at stage LAST


@dataclass(frozen=True)
class LastSite:
    """What the last build left in ``out``: each file's manifest entry (its key, or ``"#"`` and the hex digest
    of its bytes), each group's key and paths, and each joined file's layout. A sink compares a new stream with it."""

    out: Path | None = None
    entries: dict[str, str] = field(default_factory=dict)
    groups: dict[str, tuple[str, tuple[str, ...]]] = field(default_factory=dict)
    layouts: dict[str, Layout] = field(default_factory=dict)   # the joined files' (``Output.joined``)


def bytes_entry(digest: bytes) -> str:
    """The manifest entry of an output compared by its bytes (``writer.digest_of``)."""
    return "#" + digest.hex()


def output_bytes(output: Output) -> bytes:
    """An output's bytes (not for ``parts`` or ``copy`` outputs, which the sink streams or copies)."""
    data = output.make()
    return data.encode("utf-8") if isinstance(data, str) else data


class Stream:
    """The site's outputs in planning order, each path claimed once."""

    def __init__(self) -> None:
        self._by_path: dict[str, Output] = {}
        self.groups: list[Group] = []

    def add(self, output: Output, *, replace: bool = False) -> None:
        """Claim ``output.path``; a path already claimed is a SiteError naming both sources.

        ``replace=True`` is the one sanctioned overwrite: a user theme's static file over
        the default theme's file of the same name.
        """
        path = check_path(output.path, output.source)
        known = self._by_path.get(path)
        if known is not None and not replace:
            raise SiteError(output.source, None, f"output path '{path}' is also written by {known.source}")
        self._by_path[path] = output

    def add_all(self, outputs: Iterable[Output]) -> None:
        for output in outputs:
            self.add(output)

    def add_group(self, group: Group) -> None:
        self.groups.append(group)

    def __contains__(self, path: str) -> bool:
        return path in self._by_path

    def __len__(self) -> int:
        return len(self._by_path)

    def stage(self, stage: int) -> Iterator[Output]:
        return (o for o in self._by_path.values() if o.stage == stage)

    def paths(self) -> list[str]:
        return sorted(self._by_path)


_PLAIN_PATH = re.compile(r"[^/.][^/]*(/[^/]+)*")


def check_path(path: str, source: str) -> str:
    """``path`` in normal form, or a SiteError: absolute, escaping the site, empty, a folder, the manifest."""
    if _PLAIN_PATH.fullmatch(path) and ".." not in path and "/./" not in path and not path.endswith(("/.", MANIFEST)):
        return path  # already normal (the common case, checked without building a PurePosixPath)
    pure = PurePosixPath(path)
    if pure.is_absolute() or ".." in pure.parts or not pure.parts or path.endswith("/") or pure.name == MANIFEST:
        raise SiteError(source, None, f"invalid output path '{path}'")
    return str(pure)
