"""``papershelf serve``: build, serve the site at its production path, rebuild on every change.

The preview builds with the same ``build.build`` as ``papershelf build`` (keeping a
``BuildCache`` so unchanged pages are not rendered again) into a temporary folder,
never into site/, switching the server to each build only once it is complete
(``Preview``). A watchdog observer on content/, the theme folders and site.toml
feeds a debounced worker: a burst of saves is one rebuild, and saves during a
rebuild make exactly one more. A failed build keeps the last good site served and
shows its problems in the terminal and in an overlay on every page (livereload.py).
A save that moves no page but the edited paper's own shows that page first (early.py).
The server answers only requests naming it (localhost, 127.0.0.1, [::1] or ``--host``:
DNS rebinding) and holds no thread for an idle connection (livereload.py, "Load").
"""

from __future__ import annotations

import errno
import ipaddress
import logging
import signal
import sys
import tempfile
import threading
import time
import traceback
import webbrowser
from pathlib import Path
from typing import Callable

from watchdog.events import FileSystemEvent, FileSystemEventHandler
from watchdog.observers import Observer

from .build import BuildCache, build
from .config import Config, load_config
from .early import EarlyPage
from .errors import SiteError, SiteErrors
from .livereload import PreviewState, make_server
from .render import theme_chain

log = logging.getLogger("papershelf")

DEBOUNCE_SECONDS = 0.03     # quiet time after the last change before rebuilding (an editor's save is a few ms of events)
MAX_DELAY_SECONDS = 1.0     # a file that keeps changing still gets a rebuild this often
WATCHED_EVENTS = {"created", "deleted", "modified", "moved"}   # not "opened"/"closed": the build reads files
IGNORED_SUFFIXES = (".swp", ".swx", ".swo", "~", ".tmp", ".part", ".crdownload")
IGNORED_NAMES = {"4913"}    # vim's probe file


def run_serve(config: Config, *, host: str = "127.0.0.1", port: int = 8000, drafts: bool = True,
              search: bool | None = None, open_browser: bool = False) -> int:
    """Serve until Ctrl-C or SIGTERM; returns 0 then. A port that cannot be bound is a SiteError."""
    # Both handlers explicitly, first thing: a shell may start us with SIGINT ignored, and SIGTERM must
    # clean up too (the temporary folder, the watcher) from the moment anything exists.
    previous = {sig: signal.signal(sig, _raise_interrupt) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        state = PreviewState(config.base_path)
        try:
            server = make_server(host, port, state)
        except OSError as exc:
            raise SiteError("--port", None, _bind_problem(host, port, exc)) from None
        if not _is_loopback(host):
            log.warning("warning: serving on %s: anyone who can reach this machine on port %d can read the "
                        "preview (drafts included). Use --host 127.0.0.1 to keep it private.",
                        host, server.server_address[1])
        url_host = f"[{host}]" if ":" in host else host
        with tempfile.TemporaryDirectory(prefix="papershelf-serve-") as tmp:
            preview = Preview(config, out=Path(tmp), state=state, drafts=drafts, search=search,
                              origin=f"http://{url_host}:{server.server_address[1]}")
            _serve_until_stopped(server, preview, state, open_browser)
    except KeyboardInterrupt:   # only before serving starts; _serve_until_stopped handles its own
        pass
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    print("Stopped.", flush=True)
    return 0


def _serve_until_stopped(server, preview: "Preview", state: PreviewState, open_browser: bool) -> None:
    rebuilder = Rebuilder(preview.rebuild)
    watcher = Watcher(preview.watch_specs, rebuilder.poke)
    preview.before_build = watcher.reschedule
    try:
        watcher.start()        # before the first build, so a save during it is not missed
        preview.rebuild()
        rebuilder.start()
        url = preview.origin + state.snapshot().base_path
        print(f"Serving on {url}  (Ctrl-C to stop)", flush=True)
        if open_browser:
            webbrowser.open(url)
        server.serve_forever(poll_interval=0.2)
    except KeyboardInterrupt:
        pass
    finally:
        state.stop()          # wakes every event stream so its thread ends
        watcher.stop()
        rebuilder.stop()
        server.server_close()


def _raise_interrupt(signum, frame):
    raise KeyboardInterrupt


def _bind_problem(host: str, port: int, exc: OSError) -> str:
    if exc.errno == errno.EADDRINUSE:
        return (f"port {port} on {host} is already in use (another `papershelf serve`?); "
                "choose another with --port, or --port 0 for a free one")
    if exc.errno == errno.EACCES:
        return f"not allowed to use port {port} on {host}; ports below 1024 need privileges: use e.g. --port 8000"
    return f"cannot serve on {host}:{port}: {exc.strerror or exc}"


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


class Preview:
    """One site being previewed: rebuilds it through the builder and publishes each outcome.

    Every build goes into one folder under ``out``, so an edit takes the builder's
    in-place path (only the changed pages are written). The build makes its pages
    visible and publishes its number in one step, inside the state's ``gate``,
    which every request holds while it reads a file: a page is never served with the
    previous build's number (its reload script and the status would name the wrong
    build). The search index and feeds catch up after that, each file atomically.
    """

    def __init__(self, config: Config, *, out: Path, state: PreviewState, drafts: bool, origin: str,
                 search: bool | None = None):
        self.config = config
        self.search = search
        self.config_file = config.root / Path(config.path).name
        self.out = out
        self.state = state
        self.drafts = drafts
        self.origin = origin
        self.cache = BuildCache()
        self.private = True   # the curator's private notes on paper pages: in this temporary folder only
        self.early = EarlyPage(private=self.private)
        self.before_build: Callable[[], None] | None = None   # set by the watcher
        self._warnings: list[str] = []

    def rebuild(self, changed: frozenset[str] | None = None) -> None:
        """Build once and publish the result; never raises (the preview must outlive any mistake).

        ``changed``: the watched paths changed since the last build (None: not known). When that is one
        entry whose edit moves no other page, its page is shown first (``EarlyPage``), then the build runs.
        """
        started = time.perf_counter()
        errors: list[str] = []
        result = None
        out = self.out / "site"
        published, shown = [], []

        def publish_good() -> None:   # called inside the gate, as new pages become visible
            published.append(self.state.publish(ok=True, root=out, base_path=self.config.base_path))
            shown.append(time.perf_counter() - started)

        try:
            config = load_config(self.config_file)   # site.toml may have changed: read it every time
            self.config = config
            self._early(config, changed, out, publish_good)
            if self.before_build:
                self.before_build()   # the watcher follows a new content_dir/theme, or a folder just made
            result = build(config, out=out, base_url=self.origin + config.base_path, drafts=self.drafts,
                           search=self.search, cache=self.cache, on_visible=publish_good, gate=self.state.gate,
                           edit_locally=True, private=self.private)
        except SiteErrors as exc:
            errors = [str(e) for e in exc.errors if e.is_error]
        except SiteError as exc:
            errors = [str(exc)]
        except Exception as exc:   # a bug, not the curator's mistake: report it, keep serving
            traceback.print_exc()
            errors = [f"internal error: {type(exc).__name__}: {exc} (traceback in the terminal)"]
        ok = result is not None
        if ok and published:
            snap = published[-1]
        else:
            snap = self.state.publish(ok=ok, errors=errors, root=out if ok else None,
                                      base_path=self.config.base_path)
        if ok:   # the build has returned: its search index is complete (in place, it follows the pages)
            self.state.search_caught_up(snap.build)
        stamp = time.strftime("%H:%M:%S")
        took = time.perf_counter() - started
        if ok:
            warnings = [str(w) for w in result.warnings]
            if warnings != self._warnings:   # once, not again on every save
                for warning in warnings:
                    print(warning, file=sys.stderr, flush=True)
                self._warnings = warnings
            # An edit is on screen before the search index and feeds have caught up: say when.
            first = f", shown after {shown[0] * 1000:.0f} ms" if shown and took - shown[0] > 0.05 else ""
            print(f"[{stamp}] build {snap.build}: {result.pages} pages ({result.rendered} rendered) "
                  f"in {took * 1000:.0f} ms{first}", flush=True)
        else:
            for line in errors:
                print(line, file=sys.stderr, flush=True)
            kept = "still serving the last good build" if snap.root else "no good build to serve yet"
            print(f"[{stamp}] build {snap.build} failed ({len(errors)} problem{'s' if len(errors) != 1 else ''}); "
                  f"{kept}. Fix the file and save.", flush=True)
        self._remember(ok)

    def _remember(self, ok: bool) -> None:
        """After the build is announced: what the next edit's early page needs (ranking it costs ~0.3 s at 10,000
        papers), or nothing after a failed build (no early page until a good one)."""
        try:
            if ok:
                self.early.remember(self.cache)
            else:
                self.early.forget()
        except Exception:   # a bug in the shortcut must not stop the preview: edits take the full build
            traceback.print_exc()
            self.early.forget()

    def _early(self, config: Config, changed: frozenset[str] | None, out: Path,
               publish: Callable[[], None]) -> str | None:
        """The edited paper's page shown before the build, when the edit allows it (``EarlyPage``); its path."""
        try:
            page = self.early.attempt(config, changed, out, self.cache, self.state.gate, publish)
        except Exception:   # a bug in the shortcut must not cost the edit: the full build follows anyway
            traceback.print_exc()
            return None
        if page is not None:
            print(f"[{time.strftime('%H:%M:%S')}] {page} shown; the rest follows", flush=True)
        return page

    def watch_specs(self) -> list[tuple[Path, bool, frozenset[str] | None]]:
        """(folder, recursive, names or None for all) for everything a build reads."""
        config = self.config
        folders = [config.content_path, config.resolve(config.themes_dir)]
        # In the project folder only site.toml counts, and the appearance of content/ or themes/ (not yet there).
        names = {self.config_file.name} | {f.name for f in folders if f.parent == config.root}
        specs = [(config.root, False, frozenset(names))]
        try:
            folders += theme_chain(config)   # includes the bundled theme when the site has none of its own
        except SiteError:
            pass
        for folder in folders:
            folder = folder.resolve()
            if folder.is_dir() and not any(folder.is_relative_to(s[0]) for s in specs if s[1]):
                specs.append((folder, True, None))
        return specs


def is_relevant(path: str, folder: Path, names: frozenset[str] | None) -> bool:
    """Whether a change at ``path`` (inside the watched ``folder``) can change the site."""
    try:
        rel = Path(path).resolve().relative_to(folder)
    except ValueError:
        return False
    if not rel.parts:
        return False
    name = rel.parts[-1]
    if names is not None:
        return len(rel.parts) == 1 and name in names
    if any(part.startswith(".") for part in rel.parts):   # .git, .#emacs locks, hidden temp files
        return False
    return not (name.endswith(IGNORED_SUFFIXES) or name in IGNORED_NAMES)


class _Handler(FileSystemEventHandler):
    def __init__(self, folder: Path, names: frozenset[str] | None, poke: Callable[[list[str]], None]):
        self.folder, self.names, self.poke = folder, names, poke

    def on_any_event(self, event: FileSystemEvent) -> None:
        if event.event_type not in WATCHED_EVENTS:
            return
        if event.is_directory and event.event_type == "modified":
            return   # a folder's mtime changes with every file saved in it; the file's own event counts
        paths = [event.src_path, getattr(event, "dest_path", "") or ""]
        relevant = [str(p) for p in paths if p and is_relevant(str(p), self.folder, self.names)]
        if relevant:
            self.poke(relevant)


class Watcher:
    """A watchdog observer over the folders ``specs()`` names; ``reschedule`` after a config change."""

    def __init__(self, specs: Callable[[], list], poke: Callable[[list[str]], None]):
        self.specs, self.poke = specs, poke
        self.observer = Observer()
        self._lock = threading.Lock()
        self._scheduled: list = []

    def start(self) -> None:
        self._schedule()
        self.observer.start()

    def reschedule(self) -> None:
        """Watch what ``specs()`` names now, if that changed (a new content_dir, a folder just created)."""
        with self._lock:
            if self.specs() != self._scheduled:
                self.observer.unschedule_all()
                self._schedule()

    def _schedule(self) -> None:
        self._scheduled = self.specs()
        for folder, recursive, names in self._scheduled:
            self.observer.schedule(_Handler(folder, names, self.poke), str(folder), recursive=recursive)

    def stop(self) -> None:
        self.observer.stop()   # also stops any folder watch already started
        # Ctrl-C can land while start() is still scheduling folders: there is no thread to join then.
        if self.observer.is_alive():
            self.observer.join(timeout=5)


class Rebuilder:
    """Runs ``rebuild(changed)`` on a worker thread once changes settle.

    A burst of pokes is one rebuild; pokes while a rebuild runs leave exactly one
    more pending, so the last save is always built and never more than once extra.
    ``changed`` is every path poked since the last rebuild began (None if a poke named none).
    """

    def __init__(self, rebuild: Callable[[frozenset[str] | None], None], *, quiet: float = DEBOUNCE_SECONDS,
                 max_delay: float = MAX_DELAY_SECONDS):
        self._rebuild, self._quiet, self._max_delay = rebuild, quiet, max_delay
        self._cond = threading.Condition()
        self._first: float | None = None   # time of the first change not built yet
        self._last = 0.0                   # time of the latest change
        self._changed: set[str] | None = set()   # paths poked since the last rebuild began; None: unknown
        self._stopped = False
        self._thread = threading.Thread(target=self._run, name="papershelf-rebuild", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def poke(self, paths: list[str] | None = None) -> None:
        with self._cond:
            now = time.monotonic()
            if self._first is None:
                self._first = now
            self._last = now
            if paths is None:
                self._changed = None
            elif self._changed is not None:
                self._changed.update(paths)
            self._cond.notify_all()

    def stop(self) -> None:
        with self._cond:
            self._stopped = True
            self._cond.notify_all()
        if self._thread.is_alive():
            self._thread.join(timeout=10)

    def _run(self) -> None:
        while (changed := self._wait_until_due()) is not False:
            self._rebuild(changed)

    def _wait_until_due(self) -> frozenset[str] | None | bool:
        """The paths changed (None: not known) once a rebuild is due; False once stopped."""
        with self._cond:
            while not self._stopped:
                if self._first is None:
                    self._cond.wait()
                    continue
                due = min(self._last + self._quiet, self._first + self._max_delay)
                now = time.monotonic()
                if now >= due:
                    self._first = None
                    changed, self._changed = self._changed, set()
                    return frozenset(changed) if changed is not None else None
                self._cond.wait(due - now)
            return False

