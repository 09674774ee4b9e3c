"""The preview's HTTP side: safe static serving, a reload event stream and the error overlay.

Nothing here renders or writes the site: ``serve.py`` builds it through the one
builder and tells a ``PreviewState`` about each result; this module serves the
last good output and, at serve time only (never in built files), adds a tiny
script that reloads the page after each rebuild and, while the last build has
failed, an overlay listing its ``file:line: message`` problems.

Path safety: a request path is decoded once, may not contain NUL, backslashes or
a ``..`` segment, and the file it names is resolved (following symlinks) and must
lie inside the served folder; anything else is a plain 404. Only GET and HEAD.

Host safety: a web page elsewhere can point a name it controls at 127.0.0.1 (DNS
rebinding) and read the preview through it; such requests carry that name in their
Host header, so only the names the server listens on are answered (403 otherwise).

Load: a connection holds no thread until its request starts to arrive (``Doorman``);
idle ones are closed after ``IDLE_SECONDS`` and the oldest beyond ``MAX_WAITING``; at
most ``MAX_WORKERS`` threads run requests and ``MAX_STREAMS`` event streams are open.
"""

from __future__ import annotations

import dataclasses
import html
import ipaddress
import json
import mimetypes
import selectors
import socket
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path
from urllib.parse import quote, unquote

INTERNAL = "__papershelf/"   # reserved folder name for the preview's own endpoints
KEEPALIVE_SECONDS = 10.0
IDLE_SECONDS = 10.0     # a connection silent this long (before or within its request) is closed
MAX_WAITING = 256       # connections waiting for their first byte; the oldest are closed beyond it
MAX_WORKERS = 32        # threads serving requests (event streams included); more requests queue
MAX_STREAMS = 16        # open live-reload event streams (a tab each); more get 503
LOOPBACK_NAMES = frozenset({"localhost", "127.0.0.1", "::1"})

# Types browsers need right that mimetypes gets wrong or does not know on every system.
TYPES = {
    ".html": "text/html", ".htm": "text/html", ".css": "text/css", ".js": "text/javascript",
    ".mjs": "text/javascript", ".json": "application/json", ".xml": "application/xml",
    ".atom": "application/atom+xml", ".bib": "text/plain", ".txt": "text/plain", ".md": "text/plain",
    ".svg": "image/svg+xml", ".png": "image/png", ".jpg": "image/jpeg", ".jpeg": "image/jpeg",
    ".gif": "image/gif", ".webp": "image/webp", ".ico": "image/x-icon", ".woff": "font/woff",
    ".woff2": "font/woff2", ".webmanifest": "application/manifest+json", ".map": "application/json",
    ".xsl": "application/xslt+xml",
}
TEXTUAL = ("text/", "application/json", "application/xml", "application/atom+xml", "application/rss+xml",
           "image/svg+xml", "application/manifest+json", "application/xslt+xml")


def content_type(path: Path) -> str:
    """The Content-Type header for a file: known types first, then mimetypes, then binary."""
    kind = TYPES.get(path.suffix.lower()) or mimetypes.guess_type(path.name)[0] or "application/octet-stream"
    return f"{kind}; charset=utf-8" if kind.startswith(TEXTUAL) else kind


@dataclass(frozen=True)
class Snapshot:
    build: int                    # how many builds have finished (0: none yet)
    ok: bool                      # whether the last one succeeded
    errors: tuple[str, ...]       # its problems, as "file:line: message"
    root: Path | None             # folder of the last good build, None until there is one
    base_path: str
    search: int = 0               # the last build whose search index is complete (it may follow its pages)


class PreviewState:
    """What the server shows, updated by the build loop; thread-safe.

    Each finished build (good or bad) bumps ``build`` and wakes every event stream,
    so a page knows to reload when the number differs from the one it was served with.
    """

    def __init__(self, base_path: str = "/") -> None:
        self._cond = threading.Condition()
        # Held by the builder while it makes new files visible and publishes their build, and by a
        # request while it looks at the files: a page is always served with the build that made it.
        self.gate = threading.Lock()
        self._snap = Snapshot(0, True, (), None, base_path)
        self._stopped = False

    def snapshot(self) -> Snapshot:
        with self._cond:
            return self._snap

    def publish(self, *, ok: bool, errors: list[str] | tuple[str, ...] = (), root: Path | None = None,
                base_path: str | None = None) -> Snapshot:
        """Record a finished build. ``root`` is the folder to serve from now on (kept when the build failed)."""
        with self._cond:
            old = self._snap
            self._snap = Snapshot(old.build + 1, ok, tuple(errors), root if root is not None else old.root,
                                  base_path or old.base_path, old.search)
            self._cond.notify_all()
            return self._snap

    def search_caught_up(self, build: int) -> None:
        """Record that the search index of ``build`` is complete on disk (after its pages, on an in-place update)."""
        with self._cond:
            if build > self._snap.search:
                self._snap = dataclasses.replace(self._snap, search=build)
                self._cond.notify_all()

    def wait_for_change(self, seen: tuple[int, int], timeout: float) -> Snapshot:
        """The snapshot once its (build, search) differs from ``seen``, or after ``timeout``."""
        with self._cond:
            self._cond.wait_for(lambda: self._stopped or (self._snap.build, self._snap.search) != seen, timeout)
            return self._snap

    def stop(self) -> None:
        with self._cond:
            self._stopped = True
            self._cond.notify_all()

    @property
    def stopped(self) -> bool:
        with self._cond:
            return self._stopped


def allowed_hosts(host: str) -> frozenset[str]:
    """The Host names the preview answers to: the loopback names and the ``--host`` it listens on."""
    return LOOPBACK_NAMES | {host.strip("[]").lower()}


def host_allowed(header: str | None, hosts: frozenset[str]) -> bool:
    """Whether a request's Host header names the preview (with or without a port).

    No header at all is an HTTP/1.0 tool, not a browser, and cannot be a rebinding attack. Listening
    on every interface (0.0.0.0 or ::) the machine's own addresses are legitimate too: any IP address
    is then accepted, as a rebinding attack needs a name it controls, never a bare address.
    """
    if header is None:
        return True
    name, port = _split_host(header.strip().lower())
    if name is None or (port and not port.isdigit()):
        return False
    if name in hosts:
        return True
    if not hosts & {"0.0.0.0", "::", ""}:
        return False
    try:
        ipaddress.ip_address(name)
    except ValueError:
        return False
    return True


def _split_host(value: str) -> tuple[str | None, str]:
    """("name", "port") of a Host header value ("[::1]:8000" -> "::1", "8000"); None for a malformed one."""
    if value.startswith("["):
        name, bracket, rest = value[1:].partition("]")
        if not bracket or (rest and not rest.startswith(":")):
            return None, ""
        return name, rest[1:]
    name, _, port = value.partition(":")
    return name, port


@dataclass(frozen=True)
class Target:
    """What a request path names: a file, a redirect, one of the preview's endpoints, or nothing."""

    kind: str                  # "file", "redirect", "missing", "nosite", "events", "status", "script"
    path: Path | None = None
    location: str = ""


MISSING = Target("missing")


def locate(root: Path | None, base_path: str, raw: str) -> Target:
    """Map a raw request target to what to serve. Pure apart from looking at the file system."""
    path, _, query = raw.partition("?")
    path = path.partition("#")[0]
    if not path.startswith("/"):          # absolute-form ("http://...") or garbage
        return MISSING
    decoded = unquote(path)               # once: "%252e" stays the literal name "%2e"
    if "\x00" in decoded or "\\" in decoded:
        return MISSING
    if decoded == "/" and base_path != "/":
        return Target("redirect", location=base_path)
    for name in ("events", "status", "reload.js"):
        if decoded in ("/" + INTERNAL + name, base_path + INTERNAL + name):
            return Target("script" if name == "reload.js" else name)
    if decoded + "/" == base_path:
        return Target("redirect", location=_location(base_path, [], query))
    if not decoded.startswith(base_path):
        return MISSING
    segments = decoded[len(base_path):].split("/")
    if ".." in segments:
        return MISSING
    if root is None:
        return Target("nosite")
    parts = [s for s in segments if s]
    try:
        real_root = root.resolve(strict=True)
        real = root.joinpath(*parts).resolve(strict=True)
    except (OSError, RuntimeError):       # missing, a symlink loop, a name too long
        return MISSING
    if not real.is_relative_to(real_root):
        return MISSING
    if real.is_dir():
        if not path.endswith("/"):
            return Target("redirect", location=_location(base_path, parts, query))
        try:
            real = (real / "index.html").resolve(strict=True)
        except (OSError, RuntimeError):
            return MISSING
        if not real.is_relative_to(real_root):
            return MISSING
    return Target("file", real) if real.is_file() else MISSING


def _location(base_path: str, parts: list[str], query: str) -> str:
    # Built from the checked segments, never from the raw path, so "//host" cannot become an open redirect.
    location = quote(base_path + "".join(p + "/" for p in parts))
    return location + ("?" + query if query else "")


def looks_like_page(raw: str) -> bool:
    """Whether a path that has no file would be an HTML page (a folder or .html), not an asset."""
    last = raw.partition("?")[0].rstrip("/").rpartition("/")[2]
    return raw.partition("?")[0].endswith("/") or last.endswith((".html", ".htm")) or "." not in last


RELOAD_JS = """\
// papershelf preview: reload this page after every rebuild (added by `papershelf serve`, not in built files).
// A rebuilt search index can land after the pages: the page hears of it as a "papershelf:search-index"
// event on window (the search page then starts again from the new index), not as a reload.
(function () {
  var me = document.currentScript;
  var served = Number(me.getAttribute("data-build"));
  var index = Number(me.getAttribute("data-search"));
  var source = new EventSource(me.getAttribute("data-events"));
  source.addEventListener("build", function (event) {
    var data = JSON.parse(event.data);
    if (data.build !== served) { source.close(); window.location.reload(); }
  });
  source.addEventListener("search", function (event) {
    var data = JSON.parse(event.data);
    if (data.search !== index) {
      index = data.search;
      window.dispatchEvent(new CustomEvent("papershelf:search-index", { detail: { build: index } }));
    }
  });
})();
"""

OVERLAY_STYLE = ("position:fixed;z-index:2147483647;left:1rem;right:1rem;bottom:1rem;max-height:60vh;overflow:auto;"
                 "margin:0;padding:1rem 1.25rem;background:#2b0b0e;color:#ffe5e5;border:2px solid #ff6b6b;"
                 "border-radius:8px;font:14px/1.5 ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;"
                 "box-shadow:0 8px 24px rgba(0,0,0,.4);text-align:left")


def snippet(snap: Snapshot) -> str:
    """The HTML added before </body>: the reload script and, after a failed build, the overlay."""
    base = html.escape(snap.base_path, quote=True)
    parts = [f'<script src="{base}{INTERNAL}reload.js" data-build="{snap.build}" data-search="{snap.search}" '
             f'data-events="{base}{INTERNAL}events"></script>']
    if not snap.ok:
        lines = "\n".join(html.escape(line) for line in snap.errors) or "the build failed (see the terminal)"
        kept = "Showing the last good build." if snap.root is not None else "There is no good build yet."
        parts.append(f'<div id="papershelf-overlay" role="alert" style="{OVERLAY_STYLE}">'
                     f'<strong>papershelf: the build failed.</strong> {kept} Fix the file and save; '
                     f'this page reloads by itself.<pre style="margin:.5rem 0 0;white-space:pre-wrap">'
                     f'{lines}</pre></div>')
    return "".join(parts)


def inject(page: bytes, snap: Snapshot) -> bytes:
    """Insert the snippet before the last </body> (or at the end when there is none)."""
    extra = snippet(snap).encode("utf-8")
    at = page.lower().rfind(b"</body>")
    return page + extra if at < 0 else page[:at] + extra + page[at:]


def placeholder(title: str, snap: Snapshot) -> bytes:
    """A minimal page for paths with nothing to show (no build yet, or not found)."""
    return (f'<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>{html.escape(title)}</title>'
            f'</head><body><h1>{html.escape(title)}</h1><p><a href="{html.escape(snap.base_path, quote=True)}">'
            f'Home</a></p></body></html>').encode("utf-8")


class PreviewHandler(BaseHTTPRequestHandler):
    server_version = "papershelf-preview"
    protocol_version = "HTTP/1.0"   # one response per connection: simple, and fine for a local preview
    state: PreviewState             # set on the subclass made by make_server
    hosts: frozenset[str]           # likewise: the Host names answered (allowed_hosts)
    timeout = IDLE_SECONDS          # a client silent this long within its request is dropped

    def parse_request(self) -> bool:
        """The base parsing, then the Host check: a request for another name gets 403 and nothing else."""
        if not super().parse_request():
            return False
        if host_allowed(self.headers.get("Host"), self.hosts):
            return True
        self.close_connection = True
        self._send(HTTPStatus.FORBIDDEN, b"403 forbidden: the preview answers only to the names it listens on "
                   b"(localhost, 127.0.0.1, [::1] or --host)\n", "text/plain; charset=utf-8", send_body=True)
        return False

    def do_GET(self) -> None:
        self._respond(send_body=True)

    def do_HEAD(self) -> None:
        self._respond(send_body=False)

    def __getattr__(self, name: str):
        # BaseHTTPRequestHandler looks up do_<METHOD>; every method but GET and HEAD is refused the same way.
        if name.startswith("do_"):
            return self._not_allowed
        raise AttributeError(name)

    def _not_allowed(self) -> None:
        self._send(HTTPStatus.METHOD_NOT_ALLOWED, b"405 method not allowed: the preview serves GET and HEAD only\n",
                   "text/plain; charset=utf-8", send_body=True, extra={"Allow": "GET, HEAD"})

    def _respond(self, send_body: bool) -> None:
        with self.state.gate:
            snap = self.state.snapshot()
            target = locate(snap.root, snap.base_path, self.path)
            data = self._read(target.path) if target.kind == "file" else None
            if target.kind == "file" and data is None:   # vanished between locate and read
                target = MISSING
            missing = self._read_404(snap) if target.kind in ("missing", "nosite") else None
        if target.kind == "redirect":
            # 302, never 301: browsers cache a 301 for good, and a preview's paths change with base_url.
            self._send(HTTPStatus.FOUND, b"", "text/plain; charset=utf-8", send_body, extra={"Location": target.location})
        elif target.kind == "events":
            self._events(send_body)
        elif target.kind == "status":
            body = json.dumps({"build": snap.build, "ok": snap.ok, "errors": list(snap.errors),
                               "ready": snap.root is not None, "search": snap.search}).encode("utf-8")
            self._send(HTTPStatus.OK, body, "application/json; charset=utf-8", send_body)
        elif target.kind == "script":
            self._send(HTTPStatus.OK, RELOAD_JS.encode("utf-8"), "text/javascript; charset=utf-8", send_body)
        elif target.kind == "file":
            kind = content_type(target.path)
            if kind.startswith("text/html"):
                data = inject(data, snap)
            self._send(HTTPStatus.OK, data, kind, send_body)
        elif target.kind == "nosite" and looks_like_page(self.path):
            page = inject(placeholder("The site has not been built yet", snap), snap)
            self._send(HTTPStatus.SERVICE_UNAVAILABLE, page, "text/html; charset=utf-8", send_body)
        else:
            # The site's own 404.html when it has one (as GitHub Pages serves it), else a minimal page.
            page = inject(missing if missing is not None else placeholder("Not found", snap), snap)
            self._send(HTTPStatus.NOT_FOUND, page, "text/html; charset=utf-8", send_body)

    @staticmethod
    def _read(path: Path) -> bytes | None:
        try:
            return path.read_bytes()
        except OSError:
            return None

    def _read_404(self, snap: Snapshot) -> bytes | None:
        if snap.root is None:
            return None
        target = locate(snap.root, "/", "/404.html")
        return self._read(target.path) if target.kind == "file" else None

    def _send(self, status: HTTPStatus, body: bytes, kind: str, send_body: bool, extra: dict | None = None) -> None:
        self.send_response(status)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "no-store")   # a preview must never show a stale page
        self.send_header("X-Content-Type-Options", "nosniff")
        for key, value in (extra or {}).items():
            self.send_header(key, value)
        self.end_headers()
        if send_body and body:
            self.wfile.write(body)

    def _events(self, send_body: bool) -> None:
        """An event stream, if fewer than MAX_STREAMS are open (each holds a worker thread while open)."""
        if not self.server.streams.acquire(blocking=False):
            self._send(HTTPStatus.SERVICE_UNAVAILABLE, b"503: too many live-reload streams open; close some "
                       b"preview tabs\n", "text/plain; charset=utf-8", send_body)
            return
        try:
            self._stream(send_body)
        finally:
            self.server.streams.release()

    def _stream(self, send_body: bool) -> None:
        """Server-Sent Events: the current build and search index at once, then an event for each change."""
        self.send_response(HTTPStatus.OK)
        self.send_header("Content-Type", "text/event-stream; charset=utf-8")
        self.send_header("Cache-Control", "no-store")
        self.end_headers()
        if not send_body:
            return
        self.wfile.write(b"retry: 500\n\n")
        seen = None
        while not self.state.stopped:
            snap = self.state.snapshot() if seen is None else self.state.wait_for_change(seen, KEEPALIVE_SECONDS)
            if self.state.stopped:
                break
            changed = False
            if seen is None or snap.build != seen[0]:
                data = json.dumps({"build": snap.build, "ok": snap.ok})
                self.wfile.write(f"event: build\ndata: {data}\n\n".encode("utf-8"))
                changed = True
            if seen is None or snap.search != seen[1]:
                self.wfile.write(f"event: search\ndata: {json.dumps({'search': snap.search})}\n\n".encode("utf-8"))
                changed = True
            if not changed:
                self.wfile.write(b": keep-alive\n\n")   # also notices a closed tab (the write fails)
            seen = (snap.build, snap.search)

    def log_message(self, format: str, *args) -> None:   # noqa: A002 - the base class's name
        pass   # a request log would bury the rebuild lines and problems the curator watches for


class Doorman:
    """Holds accepted connections, without a thread each, until their request starts to arrive.

    A thread per connection let 2,000 idle sockets hold 2,000 threads. Here one thread
    watches every waiting socket (a selector); a socket with bytes to read goes to
    ``dispatch``; one silent for ``idle`` seconds is closed, and beyond ``limit``
    waiting sockets the oldest is closed.
    """

    def __init__(self, dispatch, *, idle: float, limit: int) -> None:
        self._dispatch, self._idle, self._limit = dispatch, idle, limit
        self._selector = selectors.DefaultSelector()
        self._waiting: dict[socket.socket, tuple[object, float]] = {}   # admission (= deadline) order
        self._lock = threading.Lock()
        self._stopped = False
        self._wake_r, self._wake_w = socket.socketpair()
        self._wake_w.setblocking(False)
        self._selector.register(self._wake_r, selectors.EVENT_READ)
        self._thread = threading.Thread(target=self._run, name="papershelf-doorman", daemon=True)
        self._thread.start()

    def admit(self, sock: socket.socket, address) -> None:
        with self._lock:
            if self._stopped:
                sock.close()
                return
            self._waiting[sock] = (address, time.monotonic() + self._idle)
            self._selector.register(sock, selectors.EVENT_READ)
            while len(self._waiting) > self._limit:
                self._drop(next(iter(self._waiting)))
        self._wake()

    def stop(self) -> None:
        with self._lock:
            self._stopped = True
            for sock in list(self._waiting):
                self._drop(sock)
        self._wake()
        self._thread.join(timeout=5)

    def _wake(self) -> None:
        try:
            self._wake_w.send(b"x")
        except (BlockingIOError, OSError):
            pass   # already awake (the pipe is full) or stopped

    def _drop(self, sock: socket.socket) -> None:
        del self._waiting[sock]
        self._selector.unregister(sock)
        sock.close()

    def _run(self) -> None:
        while True:
            with self._lock:
                if self._stopped:
                    break
                first = next(iter(self._waiting.values()), None)
            timeout = None if first is None else max(0.0, first[1] - time.monotonic())
            events = self._selector.select(timeout)
            for sock, address in self._take(events):
                self._dispatch(sock, address)
        self._selector.close()
        self._wake_r.close()
        self._wake_w.close()

    def _take(self, events) -> list:
        """The sockets with bytes to read, no longer waiting; closes those past their deadline."""
        ready = []
        with self._lock:
            for key, _ in events:
                if key.fileobj is self._wake_r:
                    self._wake_r.recv(4096)
                elif key.fileobj in self._waiting:
                    address = self._waiting.pop(key.fileobj)[0]
                    self._selector.unregister(key.fileobj)
                    ready.append((key.fileobj, address))
            now = time.monotonic()
            for sock, (_, deadline) in list(self._waiting.items()):
                if deadline > now:
                    break
                self._drop(sock)
        return ready


class PreviewServer(HTTPServer):
    """The preview's HTTP server: bounded threads (``Doorman``, MAX_WORKERS) instead of one per connection."""

    # The kernel's queue of connections not yet accepted: socketserver's 5 made a burst of connects
    # (a page's assets, or many tabs) wait for TCP's one-second retransmission.
    request_queue_size = 128

    def __init__(self, address, handler, *, idle: float = IDLE_SECONDS, waiting: int = MAX_WAITING,
                 workers: int = MAX_WORKERS, streams: int = MAX_STREAMS) -> None:
        self._doorman: Doorman | None = None   # (a failed bind calls server_close before the rest exists)
        self._workers: ThreadPoolExecutor | None = None
        super().__init__(address, handler)   # binds first: nothing below is started when that fails
        self.streams = threading.BoundedSemaphore(streams)
        self._workers = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="papershelf-request")
        self._doorman = Doorman(self._submit, idle=idle, limit=waiting)

    def process_request(self, request, client_address) -> None:
        self._doorman.admit(request, client_address)

    def _submit(self, request, client_address) -> None:
        try:
            self._workers.submit(self._serve, request, client_address)
        except RuntimeError:   # shut down meanwhile
            request.close()

    def _serve(self, request, client_address) -> None:
        try:
            self.finish_request(request, client_address)
        except Exception:
            self.handle_error(request, client_address)
        finally:
            self.shutdown_request(request)

    def server_close(self) -> None:
        super().server_close()
        if self._doorman is not None:
            self._doorman.stop()
        if self._workers is not None:
            self._workers.shutdown(wait=False, cancel_futures=True)

    def handle_error(self, request, client_address) -> None:
        import sys
        if isinstance(sys.exc_info()[1], (ConnectionError, TimeoutError)):
            return   # a tab closed mid-response: normal for a preview
        super().handle_error(request, client_address)


def make_server(host: str, port: int, state: PreviewState, *, idle: float = IDLE_SECONDS,
                **limits) -> PreviewServer:
    """Bind the preview server. Raises OSError (e.g. EADDRINUSE) when the address cannot be used.

    ``idle`` and ``limits`` (waiting, workers, streams) override the module's defaults, for tests.
    """
    handler = type("BoundPreviewHandler", (PreviewHandler,),
                   {"state": state, "hosts": allowed_hosts(host), "timeout": idle})
    server_class = PreviewServer
    if ":" in host:
        server_class = type("PreviewServer6", (PreviewServer,), {"address_family": socket.AF_INET6})
    return server_class((host, port), handler, idle=idle, **limits)
