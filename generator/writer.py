"""The only writer of the built site.

Safety rules, in the order ``write_site`` applies them:
- Everything to write is gathered first in an ``OutputTree``; two sources claiming
  the same output path is an error naming both, never a silent overwrite.
- The output folder must not be (or contain) the project itself, and it must be
  empty, missing, or a folder papershelf built (its manifest lists every file in
  it); ``force`` is needed to replace anything else.
- Files go into a temporary folder next to the output (same file system), and the
  output is swapped in by renames only when every file was written: a failed build
  leaves the previous site byte-identical.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from .errors import SiteError

MANIFEST = ".papershelf-build.json"
# Files an operating system drops into folders by itself; not a sign of a user's folder.
_IGNORED = {".DS_Store", "Thumbs.db", "desktop.ini"}


@dataclass(frozen=True)
class _Entry:
    data: bytes | None       # the bytes to write, or None to copy ``copy_from``
    copy_from: Path | None
    source: str


class OutputTree:
    """Files of a site to write, keyed by their path relative to the site root."""

    def __init__(self) -> None:
        self._files: dict[str, _Entry] = {}

    def add(self, path: str, data: str | bytes, source: str) -> None:
        """Add a file; a path already added is a SiteError naming both sources."""
        raw = data.encode("utf-8") if isinstance(data, str) else data
        self._put(path, _Entry(raw, None, source), replace=False)

    def add_copy(self, path: str, file: Path, source: str, *, replace: bool = False) -> None:
        """Add a file copied from disk at write time.

        ``replace=True`` is the one sanctioned overwrite: a user theme's static file
        replacing the default theme's file of the same name.
        """
        self._put(path, _Entry(None, file, source), replace=replace)

    def _put(self, path: str, entry: _Entry, *, replace: bool) -> None:
        path = _check_path(path, entry.source)
        if path in self._files and not replace:
            first = self._files[path].source
            raise SiteError(entry.source, None, f"output path '{path}' is also written by {first}")
        self._files[path] = entry

    def __contains__(self, path: str) -> bool:
        return path in self._files

    def __len__(self) -> int:
        return len(self._files)

    def paths(self) -> list[str]:
        return sorted(self._files)

    def read(self, path: str) -> bytes:
        entry = self._files[path]
        return entry.data if entry.data is not None else entry.copy_from.read_bytes()


def _check_path(path: str, source: str) -> str:
    pure = PurePosixPath(path)
    if pure.is_absolute() or ".." in pure.parts or not pure.parts or path.endswith("/") or pure.name == MANIFEST:
        raise SiteError(source, None, f"invalid output path '{path}'")
    return str(pure)


def check_output_dir(out: Path, *, protected: list[Path], force: bool) -> None:
    """Refuse an output folder that would destroy something that papershelf did not build.

    ``protected`` are folders the output must neither be nor contain (the project
    root, content/, themes/); ``force`` only lifts the "not built by papershelf" rule.
    """
    out = out.resolve()
    for folder in protected:
        folder = folder.resolve()
        if out == folder or out in folder.parents:
            raise SiteError(str(out), None, f"refusing to build into {out}: it would replace {folder}")
    if out.exists() and not out.is_dir():
        raise SiteError(str(out), None, "the output path exists and is not a folder")
    if force or not out.exists():
        return
    foreign = foreign_files(out)
    if foreign:
        shown = ", ".join(foreign[:3]) + (f" and {len(foreign) - 3} more" if len(foreign) > 3 else "")
        raise SiteError(str(out), None,
                        f"the output folder holds files papershelf did not build ({shown}); "
                        "choose another --out, empty it, or pass --force to replace it")


def foreign_files(out: Path) -> list[str]:
    """Files in ``out`` that its manifest does not list (every file, when there is no manifest)."""
    try:
        listed = set(json.loads((out / MANIFEST).read_text(encoding="utf-8"))["files"])
    except (OSError, ValueError, KeyError, TypeError):
        listed = set()
    found = []
    for file in sorted(out.rglob("*")):
        if file.is_dir() and not file.is_symlink():
            continue
        rel = file.relative_to(out).as_posix()
        if rel != MANIFEST and rel not in listed and file.name not in _IGNORED:
            found.append(rel)
    return found


def write_site(tree: OutputTree, out: Path) -> None:
    """Write every file into a temporary sibling of ``out``, then swap it in atomically."""
    out = out.resolve()
    out.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{out.name}.new-", dir=out.parent))
    try:
        for rel in tree.paths():
            target = staging / rel
            target.parent.mkdir(parents=True, exist_ok=True)
            entry = tree._files[rel]
            if entry.data is not None:
                target.write_bytes(entry.data)
            else:
                shutil.copyfile(entry.copy_from, target)
        manifest = {"generator": "papershelf", "files": tree.paths()}
        (staging / MANIFEST).write_text(json.dumps(manifest, indent=1) + "\n", encoding="utf-8")
        os.chmod(staging, 0o755)  # mkdtemp makes it private; a served site must be readable
        _swap(staging, out)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise


def _swap(staging: Path, out: Path) -> None:
    if not out.exists():
        os.replace(staging, out)
        return
    old = Path(tempfile.mkdtemp(prefix=f".{out.name}.old-", dir=out.parent))
    old.rmdir()  # only its unique name is wanted: rename needs the target not to exist
    os.replace(out, old)
    try:
        os.replace(staging, out)
    except BaseException:
        os.replace(old, out)  # put the previous site back
        raise
    shutil.rmtree(old, ignore_errors=True)
