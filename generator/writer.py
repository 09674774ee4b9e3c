"""The only writer of the built site: two sinks for the build's stream of outputs, and their safety rules.

- The output folder must not be (or contain) the project itself, and it must be
  empty, missing, or a folder papershelf built (its manifest lists every file in
  it); ``force`` is needed to replace anything else (``check_output_dir``).
- ``StagingSink``: files go into a temporary folder next to the output (same file
  system), swapped in only when every file was written: a failed build leaves the
  previous site byte-identical. On Linux the swap is one atomic exchange
  (``renameat2`` with ``RENAME_EXCHANGE``), so ``out`` is never missing, not even
  for a moment; elsewhere (macOS, Windows, a file system without the exchange) it
  is two renames, with ``out`` missing between them.
- ``InPlaceSink``: a few files of the site the last build wrote are replaced, each
  atomically; pages wait invisible until all are made, so a failed page leaves the
  site as it was.
- A build killed midway (``kill -9``) leaves its temporary folder behind
  (``.site.new-*``, or ``.site.old-*`` on the two-rename path): the next full build
  removes the ones papershelf made (they hold its manifest) that no running build
  holds (each build holds a lock on its folder while it works).
"""

from __future__ import annotations

import contextlib
import ctypes
import errno
import hashlib
import json
import logging
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path, PurePosixPath
from typing import Callable, ContextManager, Iterable, Sequence

from .errors import SiteError
from .outputs import MANIFEST, Joined, Layout

try:
    import resource
except ImportError:   # Windows
    resource = None
try:
    import fcntl
except ImportError:   # Windows: leftovers are recognised by age instead of by lock (see ``_abandoned``)
    fcntl = None

log = logging.getLogger("papershelf")

# A leftover that no lock can vouch for (empty, or on a platform without flock) is removed only when
# untouched for this long: a build that has just made its folder is never mistaken for a dead one.
LEFTOVER_AGE = 3600.0
# Files an operating system drops into folders by itself; not a sign of a user's folder.
_IGNORED = {".DS_Store", "Thumbs.db", "desktop.ini"}


def digest_of(data: bytes) -> bytes:
    """A digest of a file's bytes that means the same in every process (a build's cache outlives it)."""
    return hashlib.blake2b(data, digest_size=16).digest()


def check_output_dir(out: Path, *, protected: list[Path], force: bool, sealed: list[Path] = ()) -> None:
    """Refuse an output folder that would destroy something that papershelf did not build.

    ``protected`` are folders the output must neither be nor contain (the project
    root, content/, themes/); ``sealed`` are folders it must not be inside either
    (content/, themes/: a site in ``content/sub`` would be read back as entries, one in
    ``themes/x`` as a theme). ``force`` only lifts the "not built by papershelf" rule.
    """
    out = out.resolve()
    for folder in protected:
        folder = folder.resolve()
        if out == folder or out in folder.parents:
            raise SiteError(str(out), None, f"refusing to build into {out}: it would replace {folder}")
    for folder in sealed:
        folder = folder.resolve()
        if folder in out.parents:
            raise SiteError(str(out), None, f"refusing to build into {out}: it is inside {folder}, "
                                            "which papershelf reads; choose an --out outside it")
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


class StagingSink:
    """A new site in a temporary sibling folder of ``out``, swapped in whole by ``publish``.

    Files can be written here while the rest of the site is still being made (by forked
    render workers too: each call touches only its own file), so a large site never has to
    sit in memory whole. ``keep`` hard-links a file of the previous site (``previous``, the
    folder the last build wrote) instead of writing it again. ``abort`` removes the folder:
    the previous site is left byte-identical.
    """

    mode = "full"
    keeps_by_link = True   # ``keep`` writes something (a link): counted as a file written
    ordered = False        # nothing is seen before ``publish``: outputs of any stage may be written in any order

    def __init__(self, out: Path, previous: Path | None = None) -> None:
        self.out = out.resolve()
        self.previous = previous
        self.out.parent.mkdir(parents=True, exist_ok=True)
        remove_leftovers(self.out)
        self.root = Path(tempfile.mkdtemp(prefix=f".{self.out.name}.new-", dir=self.out.parent))
        # Held until the folder is swapped in or removed: a build starting meanwhile leaves it alone.
        self._lock = _lock_folder(self.root)
        _write_manifest(self.root, [])   # marks the folder as papershelf's from the start (see remove_leftovers)
        self._made: set[str] = set()
        self._linked: set[str] = set()   # files linked to the previous site's: never written through

    def _target(self, rel: str) -> str:
        folder, _, _ = rel.rpartition("/")
        if folder and folder not in self._made:
            os.makedirs(os.path.join(self.root, folder), exist_ok=True)
            self._made.add(folder)
        target = os.path.join(self.root, rel)
        if rel in self._linked:   # writing through the link would change the previous site's file
            os.unlink(target)
            self._linked.discard(rel)
        return target

    def write(self, rel: str, data: bytes) -> None:
        with open(self._target(rel), "wb") as file:
            file.write(data)

    def write_parts(self, rel: str, parts: Iterable[bytes], unless: bytes | None = None) -> bytes:
        """Write the pieces one after the other (never whole in memory); returns the bytes' ``digest_of``."""
        digest = hashlib.blake2b(digest_size=16)
        with open(self._target(rel), "wb") as file:
            for part in parts:
                digest.update(part)
                file.write(part)
        return digest.digest()

    def write_joined(self, rel: str, joined: Joined, last: Layout | None) -> tuple[int, ...]:
        """Write a joined file, copying from the previous site's (laid out as ``last``) the pieces it holds."""
        source = str(self.previous / rel) if self.previous is not None else None
        fd = os.open(self._target(rel), os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
        try:
            return _write_joined(fd, joined, source, last)
        finally:
            os.close(fd)

    def keep(self, rel: str) -> bool:
        """The previous site's file, unchanged: a hard link (else a copy). False when it is gone: make it again."""
        if self.previous is None:
            return False
        source, target = self.previous / rel, self._target(rel)
        try:
            os.link(source, target)
        except FileNotFoundError:
            return False
        except OSError:
            try:
                shutil.copyfile(source, target)
            except FileNotFoundError:
                return False
        self._linked.add(rel)
        return True

    def shown(self, pages: list[str], gate: ContextManager, on_visible: Callable[[], None] | None) -> None:
        """The pages are written: nothing is visible before ``publish`` swaps the folder in."""

    def publish(self, paths: list[str], gate: ContextManager, on_visible: Callable[[], None] | None, *,
                remove_old_in_background: bool = False) -> None:
        """The manifest, then the folder swapped in as ``out`` (inside ``gate``, ``on_visible`` with it).

        ``gate`` is the preview's: no request is answered during the swap (two renames where
        there is no atomic exchange), nor before ``on_visible`` ran. ``remove_old_in_background``:
        the previous site, renamed aside, is removed by a detached process, so the command need
        not wait for it (seconds at 10,000 papers); if that process dies, the next full build
        removes what is left (``remove_leftovers``).
        """
        _write_manifest(self.root, paths)
        os.chmod(self.root, 0o755)  # mkdtemp makes it private; a served site must be readable
        with gate:
            old = _swap(self.root, self.out)
            if on_visible is not None:
                on_visible()
        if old is not None and remove_old_in_background and _remove_detached(old):
            old = None
        if old is not None:
            try:
                _remove_site_folder(old)
            except OSError as exc:   # the new site is in place; the next build removes what is left
                log.warning("warning: could not remove the previous site %s: %s", old, exc.strerror or exc)
        _unlock(self._lock)

    def abort(self, pages: list[str]) -> None:
        shutil.rmtree(self.root, ignore_errors=True)
        _unlock(self._lock)

    @property
    def intact(self) -> bool:
        """Whether ``out`` is still the previous site, byte for byte (after ``abort``): always, before the swap."""
        return True


class InPlaceSink:
    """The site in ``out`` (built by this cache's last build) updated file by file.

    Pages written before ``shown`` wait beside their targets, invisible (a failed build
    removes them: the site is as it was); ``shown`` renames them in, then calls ``on_visible``.
    Every later file replaces its target at once, atomically (a reader sees the old or the
    new bytes, never half). ``publish`` removes what the new site lacks and writes the manifest.
    ``keep`` has nothing to do: the file is there (the cache checked the folder's signature).
    """

    mode = "in-place"
    keeps_by_link = False
    ordered = True         # readers see each file as it lands: pages first, then exports, search, the manifest

    def __init__(self, out: Path) -> None:
        self.out = out.resolve()
        self._live = False

    def _pending(self, rel: str) -> Path:
        target = self.out / rel
        return target.with_name(f".{target.name}.papershelf-new")

    def write(self, rel: str, data: bytes) -> None:
        target = self.out / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        if self._live:
            _replace_file(target, data)
            return
        pending = self._pending(rel)
        with open(pending, "wb") as file:
            file.write(data)
        os.chmod(pending, 0o644)

    def write_parts(self, rel: str, parts: Iterable[bytes], unless: bytes | None = None) -> bytes:
        """Write the pieces into a temporary file, put in place unless its digest is ``unless`` (unchanged)."""
        target = self.out / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        digest = hashlib.blake2b(digest_size=16)
        fd, temp = tempfile.mkstemp(prefix=f".{target.name}.", dir=target.parent)
        try:
            with os.fdopen(fd, "wb") as file:
                for part in parts:
                    digest.update(part)
                    file.write(part)
            if digest.digest() == unless:
                os.unlink(temp)
            else:
                os.chmod(temp, 0o644)
                os.replace(temp, target)
        except BaseException:
            _unlink_if_there(temp)
            raise
        return digest.digest()

    def write_joined(self, rel: str, joined: Joined, last: Layout | None) -> tuple[int, ...]:
        """Replace a joined file at once, its unchanged pieces copied from the file there (laid out as ``last``)."""
        target = self.out / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, temp = tempfile.mkstemp(prefix=f".{target.name}.", dir=target.parent)
        try:
            try:
                lengths = _write_joined(fd, joined, str(target), last)
            finally:
                os.close(fd)
            os.chmod(temp, 0o644)
            os.replace(temp, target)
        except BaseException:
            _unlink_if_there(temp)
            raise
        return lengths

    def keep(self, rel: str) -> bool:
        return True

    def shown(self, pages: list[str], gate: ContextManager, on_visible: Callable[[], None] | None) -> None:
        with gate:
            for rel in pages:
                os.replace(self._pending(rel), self.out / rel)
            self._live = True
            if on_visible is not None:
                on_visible()

    def publish(self, paths: list[str], gate: ContextManager, on_visible: Callable[[], None] | None, *,
                remove_old_in_background: bool = False) -> None:
        """Remove the files the last build listed and this one does not (and folders left empty), then the manifest."""
        listed = set(json.loads((self.out / MANIFEST).read_text(encoding="utf-8"))["files"])
        emptied = set()
        for rel in sorted(listed - set(paths)):
            _unlink_if_there(str(self.out / rel))
            emptied.update(PurePosixPath(rel).parents)
        # Folders left empty (a deleted paper's), deepest first, as a clean build would not have them.
        for folder in sorted(emptied - {PurePosixPath(".")}, key=lambda f: len(f.parts), reverse=True):
            try:
                (self.out / folder).rmdir()
            except OSError:
                pass   # not empty (or gone): it stays
        manifest = {"generator": "papershelf", "files": sorted(paths)}
        _replace_file(self.out / MANIFEST, (json.dumps(manifest, indent=1) + "\n").encode("utf-8"))

    def abort(self, pages: list[str]) -> None:
        """Remove the pages not shown yet; files replaced after ``shown`` stay (the caller forgets the site)."""
        if not self._live:
            for rel in pages:
                _unlink_if_there(str(self._pending(rel)))

    @property
    def intact(self) -> bool:
        """Whether ``out`` is still the previous site (nothing shown yet)."""
        return not self._live


# The detached remover: the folder's contents, then its manifest, then the folder (as ``_remove_site_folder``).
# It inherits the folder's lock (argv[3]: the descriptor holding it), so no other build's sweep races it.
_REMOVER = """import os, shutil, sys
folder = sys.argv[1]
for entry in os.scandir(folder):
    if entry.name != sys.argv[2]:
        shutil.rmtree(entry.path, ignore_errors=True) if entry.is_dir(follow_symlinks=False) else os.unlink(entry.path)
try:
    os.unlink(os.path.join(folder, sys.argv[2]))
finally:
    os.rmdir(folder)
"""


def _remove_detached(folder: Path) -> bool:
    """Start a process of its own session that removes ``folder`` and outlives this one; False if it cannot start.

    The folder is locked first and the lock handed to that process, so a build starting meanwhile
    (``remove_leftovers``) leaves the folder to it.
    """
    lock = _try_lock_folder(folder)
    if lock is False:
        return False   # another build holds it: it is not ours to hand over
    try:
        subprocess.Popen([sys.executable, "-c", _REMOVER, str(folder), MANIFEST], stdin=subprocess.DEVNULL,
                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, close_fds=True,
                         pass_fds=(lock,) if isinstance(lock, int) else (), start_new_session=True,
                         cwd=str(folder.parent))
    except (OSError, ValueError):
        return False
    finally:
        _unlock(lock)   # this process's copy only: the remover's inherited descriptor keeps the lock
    return True


def save_file(path: Path, *parts: bytes) -> None:
    """Replace ``path`` atomically with ``parts`` one after the other, making its folder if needed (the build cache's files)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    _replace_file(path, *parts)


LOCK_FILE = ".lock"


@contextlib.contextmanager
def reading_saved(folder: Path):
    """Hold a shared lock on ``folder``'s lock file: a save still running in the background (``save_in_background``)
    finishes first. Where there is no flock (or no folder yet), nothing to wait for."""
    fd = None
    if fcntl is not None and folder.is_dir():
        try:
            fd = os.open(folder / LOCK_FILE, os.O_RDONLY | os.O_CREAT, 0o644)
            fcntl.flock(fd, fcntl.LOCK_SH)
        except OSError:
            if fd is not None:
                os.close(fd)
            fd = None
    try:
        yield
    finally:
        if fd is not None:
            os.close(fd)


def save_in_background(folder: Path, files: Callable[[], list[tuple[str, list[bytes]]]],
                       first: Sequence[tuple[str, list[bytes]]] = ()) -> bool:
    """Write ``first`` (name, pieces) into ``folder`` now, then ``files()`` in a forked child of its own session
    that holds the folder's lock, so this process need not wait (``reading_saved`` waits for it); each file
    atomically and in order. ``first`` waits for an earlier save still running, never for this one.

    False where that cannot be done (no fork or flock), having written at most ``first``: the caller saves
    in place. The child's errors are reported on stderr, and a save cut short leaves files that do not pair
    (their tokens differ): the next build is a clean one.
    """
    if fcntl is None or not hasattr(os, "fork"):
        return False
    folder.mkdir(parents=True, exist_ok=True)
    fd = os.open(folder / LOCK_FILE, os.O_RDONLY | os.O_CREAT, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)   # the lock belongs to the open file, which the child shares
    except OSError:
        os.close(fd)
        return False
    try:
        for name, parts in first:
            save_file(folder / name, *parts)
    except BaseException:
        os.close(fd)
        raise
    try:
        pid = os.fork()
    except OSError:   # no process to spare (EAGAIN, ENOMEM): the caller saves in place
        os.close(fd)
        return False
    if pid:
        os.close(fd)   # the child's descriptor keeps the lock until it exits
        return True
    code = 1
    try:
        os.setsid()   # a Ctrl-C meant for the next command does not cut the save short
        for name, parts in files():
            save_file(folder / name, *parts)
        code = 0
        if log.isEnabledFor(logging.DEBUG) and resource is not None:
            log.debug("build cache saved in the background (peak RSS of that process %d MB)",
                      resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024)
    except BaseException as exc:
        sys.stderr.write(f"warning: could not save the build cache in {folder}: {exc}\n")
    finally:
        os._exit(code)


def remove_file(path: Path) -> None:
    try:
        path.unlink()
    except FileNotFoundError:
        pass


def _write_manifest(folder: Path, files: list[str]) -> None:
    manifest = {"generator": "papershelf", "files": files}
    (folder / MANIFEST).write_text(json.dumps(manifest, indent=1) + "\n", encoding="utf-8")


def remove_leftovers(out: Path) -> list[Path]:
    """Remove the temporary folders an interrupted build of ``out`` left beside it; returns them.

    Only folders named as a build names them (``.<out>.new-*``, ``.<out>.old-*``)
    that papershelf recognisably made (its manifest inside, or empty) and that no
    running build holds are removed. A folder that cannot be removed is reported as
    a warning; the build goes on.
    """
    prefixes = (f".{out.name}.new-", f".{out.name}.old-")
    try:
        candidates = [Path(e.path) for e in os.scandir(out.parent)
                      if e.name.startswith(prefixes) and e.is_dir(follow_symlinks=False)]
    except OSError:
        return []
    removed = []
    for folder in sorted(candidates):
        try:
            if _remove_if_abandoned(folder):
                removed.append(folder)
        except OSError as exc:
            log.warning("warning: could not remove %s, left by an interrupted build: %s", folder, exc.strerror or exc)
    return removed


def _remove_if_abandoned(folder: Path) -> bool:
    made_by_us = _is_site_folder(folder)
    with os.scandir(folder) as entries:
        empty = not made_by_us and not any(entries)
    if not (made_by_us or empty):
        return False
    lock = _try_lock_folder(folder)
    if lock is False:
        return False   # a running build holds it
    try:
        if (lock is None or empty) and time.time() - folder.stat().st_mtime < LEFTOVER_AGE:
            return False   # no lock to vouch for it (or just made, not yet marked): only an old one is dead
        _remove_site_folder(folder)
    finally:
        _unlock(lock)
    return True


def _is_site_folder(folder: Path) -> bool:
    try:
        return json.loads((folder / MANIFEST).read_text(encoding="utf-8")).get("generator") == "papershelf"
    except (OSError, ValueError, AttributeError):
        return False


def _remove_site_folder(folder: Path) -> None:
    """Remove a site folder, its manifest last: a removal cut short still leaves it recognisable."""
    with os.scandir(folder) as entries:
        for entry in entries:
            if entry.name == MANIFEST:
                continue
            if entry.is_dir(follow_symlinks=False):
                _remove_tree(entry.path)
            else:
                _unlink_if_there(entry.path)
    _unlink_if_there(os.path.join(folder, MANIFEST))
    try:
        os.rmdir(folder)
    except FileNotFoundError:
        pass   # removed meanwhile by another build's cleanup: the same outcome


def _unlink_if_there(path: str) -> None:
    try:
        os.unlink(path)
    except FileNotFoundError:
        pass


def _remove_tree(path: str) -> None:
    """``shutil.rmtree`` where a file already gone is fine (two cleanups at once) and any other error is raised."""
    if sys.version_info >= (3, 12):
        shutil.rmtree(path, onexc=_raise_unless_missing)
    else:
        shutil.rmtree(path, onerror=lambda function, where, info: _raise_unless_missing(function, where, info[1]))


def _raise_unless_missing(function, path, exc: BaseException) -> None:
    if not isinstance(exc, FileNotFoundError):
        raise exc


def _lock_folder(folder: Path) -> int | None:
    """An exclusive lock on ``folder`` (an open descriptor holding it), or None where there is no flock.

    The lock ends with the process, however it ends: a folder whose lock can be
    taken belongs to no running build.
    """
    if fcntl is None:
        return None
    fd = os.open(folder, os.O_RDONLY)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
    except OSError:
        os.close(fd)
        return None   # a file system without locks: treated as a platform without flock
    return fd


def _try_lock_folder(folder: Path) -> int | None | bool:
    """``_lock_folder`` without waiting: the descriptor, None (no flock here), or False (held by a running build)."""
    if fcntl is None:
        return None
    fd = os.open(folder, os.O_RDONLY)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        os.close(fd)
        return False
    except OSError:
        os.close(fd)
        return None
    return fd


def _unlock(lock: int | None | bool) -> None:
    if isinstance(lock, int) and not isinstance(lock, bool):
        os.close(lock)   # closing the descriptor releases the lock


def _replace_file(target: Path, *parts: bytes) -> None:
    fd, temp = tempfile.mkstemp(prefix=f".{target.name}.", dir=target.parent)
    try:
        with os.fdopen(fd, "wb") as file:
            for data in parts:
                file.write(data)
        os.chmod(temp, 0o644)
        os.replace(temp, target)
    except BaseException:
        try:
            os.unlink(temp)
        except FileNotFoundError:
            pass
        raise


def _swap(staging: Path, out: Path) -> Path | None:
    """Put ``staging`` in place as ``out``; returns the previous site's folder, for the caller to remove.

    One atomic exchange where the platform has it (``out`` is never missing), else two
    renames (``out`` is missing between them).
    """
    if not out.exists():
        os.replace(staging, out)
        return None
    if _exchange(staging, out):
        return staging   # the name of the staging folder now holds the previous site
    old = Path(tempfile.mkdtemp(prefix=f".{out.name}.old-", dir=out.parent))
    old.rmdir()  # only its unique name is wanted: rename needs the target not to exist
    # Travels with the folder: no other build's cleanup takes it while it is "old". Not waited for: a
    # build that just swapped this folder in may still hold it, and that is as good.
    lock = _try_lock_folder(out)
    try:
        os.replace(out, old)
        try:
            os.replace(staging, out)
        except BaseException:
            os.replace(old, out)  # put the previous site back
            raise
    finally:
        _unlock(lock)
    return old


_AT_FDCWD = -100
_RENAME_EXCHANGE = 2
# errno values meaning "no exchange here" (an old kernel or C library, a file system without it): fall back.
_NO_EXCHANGE = {errno.EINVAL, errno.ENOSYS, getattr(errno, "EOPNOTSUPP", errno.EINVAL)}


def _exchange(a: Path, b: Path) -> bool:
    """Swap two paths atomically with Linux's ``renameat2(RENAME_EXCHANGE)``; False where that is not available.

    Through ctypes on the C library (Python has no binding). glibc 2.28 and later
    has the function; Linux 3.15 and later and the common file systems (ext4, xfs,
    btrfs, tmpfs) support the exchange.
    """
    if not sys.platform.startswith("linux"):
        return False
    try:
        renameat2 = ctypes.CDLL(None, use_errno=True).renameat2
    except (OSError, AttributeError):
        return False
    done = renameat2(ctypes.c_int(_AT_FDCWD), os.fsencode(a), ctypes.c_int(_AT_FDCWD), os.fsencode(b),
                     ctypes.c_uint(_RENAME_EXCHANGE))
    if done == 0:
        return True
    code = ctypes.get_errno()
    if code in _NO_EXCHANGE:
        return False
    raise OSError(code, os.strerror(code), str(b))


# New pieces of a joined file are written in batches of about this many bytes.
_JOINED_BATCH = 1 << 20


def _write_joined(fd: int, joined: Joined, source: str | None, last: Layout | None) -> tuple[int, ...]:
    """Write ``joined``'s pieces to ``fd``; returns their byte lengths.

    A piece whose key the last build's file ``source`` holds (``last``: its layout, in the same context, and the
    file of exactly its length) is copied from there, consecutive pieces in one run (by the kernel where it can);
    the others are made. An edit of one paper thus writes one piece and copies the rest.
    """
    src = _open_laid_out(source, last) if last is not None and last.context == joined.context else None
    where: dict[str, tuple[int, int]] = {}
    if src is not None:
        offset = 0
        for key, length in zip(last.keys, last.lengths):
            where.setdefault(key, (offset, length))
            offset += length
    lengths: list[int] = []
    pending: list[bytes] = []
    pending_size = 0
    run_start = run_stop = -1   # the run of the old file to copy next
    try:
        for i, key in enumerate(joined.keys):
            found = where.get(key)
            if found is not None:
                if run_stop != found[0]:
                    pending_size = _flush(fd, pending, pending_size)
                    _copy_run(src, fd, run_start, run_stop)
                    run_start = found[0]
                run_stop = found[0] + found[1]
                lengths.append(found[1])
                continue
            _copy_run(src, fd, run_start, run_stop)
            run_start = run_stop = -1
            data = joined.piece(i).encode("utf-8")
            lengths.append(len(data))
            pending.append(data)
            pending_size += len(data)
            if pending_size >= _JOINED_BATCH:
                pending_size = _flush(fd, pending, pending_size)
        _flush(fd, pending, pending_size)
        _copy_run(src, fd, run_start, run_stop)
    finally:
        if src is not None:
            os.close(src)
    return tuple(lengths)


def _open_laid_out(source: str | None, last: Layout) -> int | None:
    """``source`` opened for reading if it has the length ``last`` says, else None (made again whole)."""
    if source is None:
        return None
    try:
        src = os.open(source, os.O_RDONLY)
    except OSError:
        return None
    if os.fstat(src).st_size != sum(last.lengths):
        os.close(src)
        return None
    return src


def _flush(fd: int, pending: list[bytes], size: int) -> int:
    """Write the pending pieces; returns the pending size now (0)."""
    if size:
        data = memoryview(b"".join(pending))
        while data:
            data = data[os.write(fd, data):]
    pending.clear()
    return 0


def _copy_run(src: int | None, fd: int, start: int, stop: int) -> None:
    """Append bytes ``start:stop`` of ``src`` to ``fd`` (nothing if the run is empty)."""
    while 0 <= start < stop:
        copied = 0
        try:
            copied = os.copy_file_range(src, fd, stop - start, start)
        except (AttributeError, OSError):   # not on this system or file system: through this process
            data = os.pread(src, min(stop - start, _JOINED_BATCH), start)
            if not data:
                raise OSError(errno.EIO, "the last build's file ended early")
            view = memoryview(data)
            while view:
                view = view[os.write(fd, view):]
            copied = len(data)
        if copied == 0:
            raise OSError(errno.EIO, "the last build's file ended early")
        start += copied
