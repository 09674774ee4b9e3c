"""Helpers for the build tests: fixture sites, a real HTTP server for a built site, a link crawler."""

from __future__ import annotations

import contextlib
import hashlib
import shutil
import threading
from functools import partial
from html.parser import HTMLParser
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.error import HTTPError
from urllib.parse import urldefrag, urljoin, urlsplit
from urllib.request import urlopen

from papershelf.config import load_config
from papershelf.content import load_content

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "sites"
SMALL = FIXTURES / "small"
REPO = Path(__file__).resolve().parents[1]


def shipped_papers():
    """The 48 papers shipped in the repository's content/, in site order: real data every clone has."""
    papers, problems = load_content(REPO / "content", REPO)
    assert not [p for p in problems if p.is_error], problems
    return papers


def shipped_site(root: Path, site_toml: str, extra: dict[str, str] | None = None) -> Path:
    """A site in ``root`` with the 48 shipped entries (plus ``extra``: file name -> text) and ``site_toml``."""
    shutil.copytree(REPO / "content", root / "content", dirs_exist_ok=True)
    for name, text in (extra or {}).items():
        (root / "content" / name).write_text(text, encoding="utf-8")
    (root / "site.toml").write_text(site_toml, encoding="utf-8")
    return root


def copy_site(name: str, dest: Path) -> Path:
    """A writable copy of a fixture site; returns its folder."""
    target = dest / name
    shutil.copytree(FIXTURES / name, target, ignore=shutil.ignore_patterns(".papershelf-cache"))
    return target


def small_config(root: Path = SMALL, **overrides):
    return load_config(root / "site.toml", overrides=overrides or None)


def tree_hash(folder: Path) -> dict[str, str]:
    """Every file under ``folder`` -> sha256 of its bytes."""
    return {p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


class _Handler(SimpleHTTPRequestHandler):
    """Serves ``directory`` under URL ``prefix`` (like GitHub Pages for a project site), 404.html for misses."""

    def __init__(self, *args, prefix: str, **kwargs):
        self.prefix = prefix
        super().__init__(*args, **kwargs)

    def translate_path(self, path):
        clean = urlsplit(path).path
        if not clean.startswith(self.prefix):
            return str(Path(self.directory) / "no-such-file-outside-the-base-path")
        return super().translate_path("/" + clean[len(self.prefix):])

    def send_error(self, code, message=None, explain=None):
        page = Path(self.directory) / "404.html"
        if code == 404 and page.is_file():
            body = page.read_bytes()
            self.send_response(404)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(body)
            return
        super().send_error(code, message, explain)

    def log_message(self, *args):
        pass


@contextlib.contextmanager
def serve(directory: Path, prefix: str = "/"):
    """A threaded HTTP server on a free loopback port; yields the site's root URL."""
    handler = partial(_Handler, directory=str(directory), prefix=prefix)
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}{prefix}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)


class _Links(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.links: list[str] = []
        self.ids: set[str] = set()

    def handle_starttag(self, tag, attrs):
        for name, value in attrs:
            if name in ("href", "src", "action") and value is not None:
                self.links.append(value)
            if name == "id" and value:
                self.ids.add(value)


def fetch(url: str) -> tuple[int, bytes, str]:
    try:
        with urlopen(url, timeout=10) as response:
            return response.status, response.read(), response.headers.get("Content-Type", "")
    except HTTPError as exc:
        return exc.code, exc.read(), exc.headers.get("Content-Type", "")


def crawl(start: str) -> tuple[list[str], list[str], list[str]]:
    """Follow every internal href/src/action from ``start``.

    Returns (pages visited, broken links as 'page -> link (status)', external links).
    """
    origin = "{0.scheme}://{0.netloc}".format(urlsplit(start))
    seen, queue, broken, external, visited = {start}, [(start, "(start)")], [], [], []
    ids: dict[str, set[str]] = {}
    fragments: list[tuple[str, str, str]] = []
    while queue:
        url, referrer = queue.pop()
        status, body, ctype = fetch(url)
        if status != 200:
            broken.append(f"{referrer} -> {url} ({status})")
            continue
        if "html" not in ctype:
            continue
        visited.append(url)
        parser = _Links()
        parser.feed(body.decode("utf-8"))
        ids[url] = parser.ids
        for link in parser.links:
            absolute = urljoin(url, link)
            if not absolute.startswith(origin + "/"):
                external.append(link)
                continue
            target, fragment = urldefrag(absolute)
            if fragment:
                fragments.append((url, target, fragment))
            target = target.split("?")[0]
            if target not in seen:
                seen.add(target)
                queue.append((target, url))
    for page, target, fragment in fragments:
        if target in ids and fragment not in ids[target]:
            broken.append(f"{page} -> {target}#{fragment} (no such id)")
    return visited, broken, external
