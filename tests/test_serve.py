"""The preview server: path safety, content types, reload events, the error overlay, debounced rebuilds.

The HTTP tests run the real server on a free port over a folder made here and
send exact request lines through raw sockets, so nothing normalizes the paths
on the way. The subprocess tests run `papershelf serve` itself on a copy of a small site.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from papershelf.livereload import PreviewState, make_server
from papershelf.serve import Rebuilder, is_relevant

SECRET = "TOP-SECRET-OUTSIDE-THE-SITE"


def request(port: int, target: str, method: str = "GET", timeout: float = 5) -> tuple[int, dict, bytes]:
    """Send one raw request line exactly as given; return (status, headers, body)."""
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as sock:
        sock.sendall(f"{method} {target} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n".encode("latin-1"))
        chunks = []
        while True:
            data = sock.recv(65536)
            if not data:
                break
            chunks.append(data)
    raw = b"".join(chunks)
    head, _, body = raw.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split()[1])
    headers = {k.strip().lower(): v.strip() for k, _, v in (line.partition(":") for line in lines[1:])}
    return status, headers, body


@pytest.fixture
def site_tree(tmp_path):
    """A built-looking site next to a secret file it must never serve, with symlinks pointing out."""
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret.txt").write_text(SECRET)
    root = tmp_path / "served"
    (root / "papers" / "a-paper").mkdir(parents=True)
    (root / "empty").mkdir()
    (root / "index.html").write_text("<!DOCTYPE html><html><body><h1>Home page</h1></body></html>")
    (root / "papers" / "a-paper" / "index.html").write_text("<html><body><h1>A paper</h1></body></html>")
    (root / "papers" / "a-paper" / "a-paper.bib").write_text("@article{a, title={A}}")
    (root / "style.css").write_text("body{}")
    (root / "404.html").write_text("<html><body><h1>The site's own not-found page</h1></body></html>")
    (root / "feed.xml").write_text("<feed/>")
    (root / "papers.json").write_text("[]")
    (root / "logo.png").write_bytes(b"\x89PNG\r\n")
    (root / "leak.txt").symlink_to(outside / "secret.txt")
    (root / "leakdir").symlink_to(outside)
    (root / "inside-link.css").symlink_to(root / "style.css")
    return root, outside


@pytest.fixture(params=["/reading-list/", "/"])
def server(request, site_tree):
    root, outside = site_tree
    state = PreviewState(request.param)
    state.publish(ok=True, root=root)
    httpd = make_server("127.0.0.1", 0, state)
    thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    yield httpd.server_address[1], state, request.param, root, outside
    state.stop()
    httpd.shutdown()
    httpd.server_close()
    thread.join(5)
    assert not thread.is_alive()


def _traversals(base: str, outside: Path) -> list[str]:
    secret = str(outside / "secret.txt")
    return [
        f"{base}../outside/secret.txt",
        f"{base}../../../../../../etc/passwd",
        f"{base}%2e%2e/outside/secret.txt",
        f"{base}%2E%2E%2Foutside%2Fsecret.txt",
        f"{base}..%2f..%2f..%2f..%2f..%2fetc%2fpasswd",
        f"{base}%252e%252e/outside/secret.txt",
        f"{base}%252e%252e%252foutside%252fsecret.txt",
        f"{base}papers/../../outside/secret.txt",
        f"{base}papers/%2e%2e/%2e%2e/outside/secret.txt",
        f"{base}..\\outside\\secret.txt",
        f"{base}%5c..%5coutside%5csecret.txt",
        "//etc/passwd",
        f"/{secret}",
        f"/{secret}".replace("/", "//"),
        f"{base}/{secret}",
        f"{base}%2f{secret.lstrip('/').replace('/', '%2f')}",
        f"http://127.0.0.1{base}../outside/secret.txt",
        secret,
        f"{base}leak.txt",
        f"{base}leakdir/secret.txt",
        f"{base}leakdir/",
        f"{base}leak.txt%00.html",
        f"{base}index.html%00",
    ]


def test_traversal_requests_get_404_and_never_the_file_outside(server):
    port, _, base, _, outside = server
    for target in _traversals(base, outside):
        status, _, body = request(port, target)
        assert status == 404, target
        assert SECRET.encode() not in body, target
        assert b"root:" not in body, target


def test_files_inside_the_site_are_served_with_their_content_types(server):
    port, _, base, root, _ = server
    expected = {
        "style.css": "text/css; charset=utf-8",
        "feed.xml": "application/xml; charset=utf-8",
        "papers.json": "application/json; charset=utf-8",
        "papers/a-paper/a-paper.bib": "text/plain; charset=utf-8",
        "logo.png": "image/png",
        "inside-link.css": "text/css; charset=utf-8",   # a symlink that stays inside is fine
    }
    for rel, kind in expected.items():
        status, headers, body = request(port, base + rel)
        assert status == 200, rel
        assert headers["content-type"] == kind, rel
        assert body == (root / rel).read_bytes(), rel
        assert headers["x-content-type-options"] == "nosniff"


def test_folders_serve_their_index_and_are_never_listed(server):
    port, _, base, _, _ = server
    status, headers, body = request(port, base + "papers/a-paper/")
    assert status == 200 and b"<h1>A paper</h1>" in body
    assert headers["content-type"] == "text/html; charset=utf-8"
    status, headers, _ = request(port, base + "papers/a-paper")
    assert status == 302 and headers["location"] == base + "papers/a-paper/"
    status, headers, _ = request(port, base + "papers/a-paper?x=1")
    assert status == 302 and headers["location"] == base + "papers/a-paper/?x=1"
    for listing in ("empty/", "papers/"):
        status, _, body = request(port, base + listing)
        assert status == 404 and b"a-paper" not in body


def test_a_missing_page_gets_the_sites_own_404_page(server):
    port, _, base, _, _ = server
    status, headers, body = request(port, base + "no/such/page/")
    assert status == 404 and headers["content-type"] == "text/html; charset=utf-8"
    assert b"The site's own not-found page" in body and b"reload.js" in body


def test_a_slash_path_that_names_another_host_is_not_an_open_redirect(server):
    port, _, base, root, _ = server
    (root / "evil.example").mkdir()
    (root / "evil.example" / "index.html").write_text("<p>x</p>")
    status, headers, _ = request(port, base + "/evil.example")
    assert status == 302
    assert headers["location"] == base + "evil.example/"
    assert not headers["location"].startswith("//")


@pytest.mark.parametrize("server", ["/reading-list/"], indirect=True)
def test_the_site_lives_at_its_production_path(server):
    port, _, base, _, _ = server
    status, headers, _ = request(port, "/")
    assert status == 302 and headers["location"] == base
    status, headers, _ = request(port, base.rstrip("/"))
    assert status == 302 and headers["location"] == base
    assert request(port, "/index.html")[0] == 404
    assert request(port, "/style.css")[0] == 404
    assert request(port, base + "style.css")[0] == 200


def test_only_get_and_head_are_allowed(server):
    port, _, base, _, _ = server
    for method in ("POST", "PUT", "DELETE", "PATCH", "OPTIONS", "TRACE", "PROPFIND"):
        status, headers, _ = request(port, base, method=method)
        assert status == 405, method
        assert headers["allow"] == "GET, HEAD"
    status, headers, body = request(port, base + "style.css", method="HEAD")
    assert status == 200 and body == b"" and headers["content-length"] == "6"


def test_pages_get_the_reload_script_but_the_built_files_do_not(server):
    port, state, base, root, _ = server
    on_disk = (root / "index.html").read_bytes()
    _, _, body = request(port, base)
    assert b"<h1>Home page</h1>" in body
    assert re.search(rb'<script src="[^"]*__papershelf/reload\.js" data-build="1"', body)
    assert body.index(b"reload.js") < body.index(b"</body>")
    assert (root / "index.html").read_bytes() == on_disk
    assert b"papershelf-overlay" not in body
    status, headers, script = request(port, base + "__papershelf/reload.js")
    assert status == 200 and headers["content-type"].startswith("text/javascript")
    assert b"EventSource" in script and b"location.reload" in script


def test_a_failed_build_shows_an_escaped_overlay_on_every_page_until_fixed(server):
    port, state, base, root, _ = server
    state.publish(ok=False, errors=["content/x.md:3: invalid YAML near <script>alert(1)</script>"])
    for target in (base, base + "papers/a-paper/", base + "no-such-page/"):
        _, headers, body = request(port, target)
        assert b'role="alert"' in body, target
        assert b"content/x.md:3: invalid YAML near &lt;script&gt;alert(1)&lt;/script&gt;" in body
        assert b"<script>alert(1)" not in body
    assert b"<h1>Home page</h1>" in request(port, base)[2]   # the last good site is still served
    status = json.loads(request(port, base + "__papershelf/status")[2])
    assert status["ok"] is False and status["errors"][0].startswith("content/x.md:3:")
    state.publish(ok=True, root=root)
    assert b"papershelf-overlay" not in request(port, base)[2]


def test_before_any_good_build_every_page_is_the_overlay(site_tree):
    state = PreviewState("/reading-list/")
    state.publish(ok=False, errors=["content/broken.md:2: 'title' is required"])
    httpd = make_server("127.0.0.1", 0, state)
    threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
    try:
        port = httpd.server_address[1]
        for target in ("/reading-list/", "/reading-list/papers/x/", "/reading-list/tags/index.html"):
            status, _, body = request(port, target)
            assert status == 503 and b"content/broken.md:2: &#x27;title&#x27; is required" in body
        assert request(port, "/reading-list/assets/style.css")[0] == 404
        assert request(port, "/reading-list/../x")[0] == 404
    finally:
        state.stop()
        httpd.shutdown()
        httpd.server_close()


def _read_event(sock_file) -> dict:
    event = {}
    for raw in sock_file:
        line = raw.decode("utf-8").rstrip("\n")
        if not line:
            if "data" in event:
                return event
            continue
        key, _, value = line.partition(": ")
        event[key] = value
    raise AssertionError("stream ended")


def test_the_event_stream_announces_each_finished_build(server):
    port, state, base, root, _ = server
    sock = socket.create_connection(("127.0.0.1", port), timeout=5)
    sock.sendall(f"GET {base}__papershelf/events HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n".encode())
    stream = sock.makefile("rb")
    status_line = stream.readline()
    assert b" 200 " in status_line
    while stream.readline() not in (b"\r\n", b""):
        pass
    first = _read_event(stream)
    assert first["event"] == "build" and json.loads(first["data"]) == {"build": 1, "ok": True}
    index = _read_event(stream)
    assert index["event"] == "search" and json.loads(index["data"]) == {"search": 0}
    state.publish(ok=False, errors=["content/a.md:1: broken"])
    assert json.loads(_read_event(stream)["data"]) == {"build": 2, "ok": False}
    state.publish(ok=True, root=root)
    assert json.loads(_read_event(stream)["data"]) == {"build": 3, "ok": True}
    # An in-place update's search index lands after its pages: announced on its own, not as a build.
    state.search_caught_up(3)
    caught_up = _read_event(stream)
    assert caught_up["event"] == "search" and json.loads(caught_up["data"]) == {"search": 3}
    state.search_caught_up(2)   # an older build's index never goes back
    state.publish(ok=True, root=root)
    assert json.loads(_read_event(stream)["data"]) == {"build": 4, "ok": True}
    sock.close()


def test_pages_carry_the_build_and_search_index_they_were_served_with(server):
    port, state, base, root, _ = server
    state.search_caught_up(state.snapshot().build)
    body = request(port, base)[2].decode()
    snap = state.snapshot()
    assert f'data-build="{snap.build}" data-search="{snap.search}"' in body and snap.search == snap.build


def test_a_burst_of_changes_is_one_rebuild_and_the_last_change_is_built():
    seen: list[int] = []
    version = [0]

    def rebuild(changed):
        seen.append(version[0])
        time.sleep(0.05)   # saves keep arriving while a build runs

    rebuilder = Rebuilder(rebuild, quiet=0.15, max_delay=1.0)
    rebuilder.start()
    try:
        for i in range(1, 51):
            version[0] = i
            rebuilder.poke()
            time.sleep(0.002)
        deadline = time.monotonic() + 10
        while (not seen or seen[-1] != 50) and time.monotonic() < deadline:
            time.sleep(0.05)
        time.sleep(0.4)   # nothing more may follow once the last save is built
    finally:
        rebuilder.stop()
    assert seen and seen[-1] == 50
    assert len(seen) <= 5


@pytest.mark.parametrize("name, relevant", [
    ("paper.md", True), ("sub/paper.md", True), ("paper.md.swp", False), (".paper.md.swp", False),
    ("paper.md~", False), (".#paper.md", False), ("4913", False), (".git/index", False),
    (".paper.md.tmp", False), ("templates/base.html", True),
])
def test_editor_temp_files_do_not_trigger_rebuilds(tmp_path, name, relevant):
    assert is_relevant(str(tmp_path / name), tmp_path.resolve(), None) is relevant


def test_only_site_toml_counts_in_the_project_folder(tmp_path):
    names = frozenset({"site.toml"})
    assert is_relevant(str(tmp_path / "site.toml"), tmp_path.resolve(), names)
    assert not is_relevant(str(tmp_path / "site" / "index.html"), tmp_path.resolve(), names)
    assert not is_relevant(str(tmp_path / "notes.txt"), tmp_path.resolve(), names)


# --- `papershelf serve` as a subprocess, on a copy of a small site ----------------------------------------

REPO = Path(__file__).resolve().parents[1]
ENTRY = """---
title: {title}
date: 2024-05-{day:02d}
tags: [{tags}]
{extra}---
An abstract about {title}.
"""


def write_entry(path: Path, title: str, *, day: int = 1, tags: str = "llm", extra: str = "") -> None:
    """Write an entry the way an editor saves: a temp file renamed over the old one."""
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(ENTRY.format(title=title, day=day, tags=tags, extra=extra), encoding="utf-8")
    os.replace(tmp, path)


def make_site(root: Path) -> Path:
    """A small site: three papers (one a draft), published under /reading-list/."""
    (root / "content").mkdir(parents=True)
    (root / "site.toml").write_text('title = "Preview test"\nbase_url = "https://example.github.io/reading-list/"\n'
                                    '[tags.aliases]\nllm = ["LLM"]\n', encoding="utf-8")
    write_entry(root / "content" / "watched-paper.md", "Original Watched Title", day=3)
    write_entry(root / "content" / "other-paper.md", "Another Paper On Sparsity", day=2, tags="sparsity")
    write_entry(root / "content" / "unfinished.md", "An Unfinished Draft Entry", day=1, extra="draft: true\n")
    return root


class ServeProcess:
    """`python -m papershelf serve --port 0 ...` with its output in files, and its URL parsed from stdout."""

    def __init__(self, site: Path, *args: str):
        self.out, self.err = site / "serve.out", site / "serve.err"
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "papershelf", "serve", "--port", "0", "--config", str(site / "site.toml"), *args],
            cwd=site, stdout=self.out.open("wb"), stderr=self.err.open("wb"),
            env={**os.environ, "PYTHONPATH": str(REPO), "PYTHONUNBUFFERED": "1"})
        self.url = self._wait_for_url()
        self.port = int(re.match(r"http://127\.0\.0\.1:(\d+)/", self.url).group(1))

    def _wait_for_url(self, timeout: float = 30) -> str:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            m = re.search(r"Serving on (http://\S+)", self.out.read_text())
            if m:
                return m.group(1)
            if self.proc.poll() is not None:
                raise AssertionError(f"serve exited {self.proc.returncode}: {self.err.read_text()}")
            time.sleep(0.05)
        raise AssertionError("serve printed no URL: " + self.out.read_text() + self.err.read_text())

    def status(self) -> dict:
        return json.loads(request(self.port, urlpath(self.url) + "__papershelf/status")[2])

    def get(self, rel: str) -> tuple[int, str]:
        status, _, body = request(self.port, urlpath(self.url) + rel)
        return status, body.decode("utf-8")

    def wait_for(self, predicate, timeout: float = 15, what: str = "") -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if predicate():
                return
            time.sleep(0.05)
        raise AssertionError(f"timed out waiting for {what}; stdout: {self.out.read_text()}")

    def builds(self) -> dict[int, tuple[int, int]]:
        """Build number -> (pages, pages rendered afresh), from the lines serve prints."""
        return {int(m.group(1)): (int(m.group(2)), int(m.group(3))) for m in
                re.finditer(r"build (\d+): (\d+) pages \((\d+) rendered\)", self.out.read_text())}

    def stop(self, sig=signal.SIGINT, timeout: float = 15) -> int:
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
        try:
            return self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            raise


def urlpath(url: str) -> str:
    return "/" + url.split("/", 3)[3]


@pytest.fixture
def preview(tmp_path):
    serve = ServeProcess(make_site(tmp_path / "site"))
    yield serve
    serve.stop()


def test_serve_prints_its_url_and_serves_the_site_at_the_production_path(preview):
    assert preview.url == f"http://127.0.0.1:{preview.port}/reading-list/"
    status, headers, _ = request(preview.port, "/")
    assert status == 302 and headers["location"] == "/reading-list/"
    status, page = preview.get("papers/watched-paper/")
    assert status == 200 and "Original Watched Title" in page
    assert 'href="/reading-list/' in page   # links work under the same path as on GitHub Pages


def test_drafts_show_in_the_preview_with_a_draft_mark(preview, tmp_path):
    status, page = preview.get("papers/unfinished/")
    assert status == 200 and "An Unfinished Draft Entry" in page
    assert re.search(r'class="draft-mark"[^>]*>\s*Draft', page)
    hidden = ServeProcess(tmp_path / "site", "--no-drafts")
    try:
        assert hidden.get("papers/unfinished/")[0] == 404
        assert "An Unfinished Draft Entry" not in hidden.get("")[1]
    finally:
        assert hidden.stop() == 0


def test_an_edit_rebuilds_a_broken_entry_shows_file_and_line_and_a_fix_recovers(preview, tmp_path):
    entry = tmp_path / "site" / "content" / "watched-paper.md"
    write_entry(entry, "A Title Changed On Disk", day=3)
    preview.wait_for(lambda: "A Title Changed On Disk" in preview.get("papers/watched-paper/")[1], what="new title")
    number = preview.status()["build"]
    preview.wait_for(lambda: number in preview.builds(), what="the build's line")
    pages, rendered = preview.builds()[number]
    assert 1 <= rendered < pages   # its page and the pages that list it, not the untouched ones
    entry.write_text("---\ntitle: Broken\ntags: [llm\ndate: 2024-05-03\n---\nBody.\n", encoding="utf-8")
    preview.wait_for(lambda: not preview.status()["ok"], what="failed build")
    _, page = preview.get("papers/watched-paper/")
    assert 'role="alert"' in page and "content/watched-paper.md:" in page
    assert "A Title Changed On Disk" in page   # the last good build is still served under the overlay
    assert "content/watched-paper.md:" in preview.err.read_text()
    write_entry(entry, "Fixed Title", day=3)
    preview.wait_for(lambda: preview.status()["ok"], what="recovery")
    _, page = preview.get("papers/watched-paper/")
    assert "Fixed Title" in page and "papershelf-overlay" not in page
    assert preview.proc.poll() is None


def test_the_search_index_of_an_edit_is_announced_once_it_is_on_disk(preview, tmp_path):
    write_entry(tmp_path / "site" / "content" / "watched-paper.md", "Zebrafish Retitled While Previewing", day=3)
    preview.wait_for(lambda: "Zebrafish" in preview.get("papers/watched-paper/")[1], what="the edited page")
    number = preview.status()["build"]
    preview.wait_for(lambda: preview.status()["search"] == number, what="the search index announced")
    manifest = json.loads(preview.get("search/manifest.json")[1])
    terms = "".join(preview.get(f"search/terms/{n}.json")[1] for n in range(len(manifest["shards"])))
    assert '"zebrafish"' in terms   # announced means: the new index is what the preview serves


def test_a_rebuilt_page_is_never_served_as_the_previous_build(preview, tmp_path):
    # Poll without pause so the first response with the edit is caught: it must already name the
    # build that made it, or the browser's reload script and the status describe another build.
    write_entry(tmp_path / "site" / "content" / "watched-paper.md", "Numbered Rebuild Title", day=3)
    deadline = time.monotonic() + 15
    page = ""
    while "Numbered Rebuild Title" not in page:
        assert time.monotonic() < deadline, "the edit never showed up"
        page = preview.get("papers/watched-paper/")[1]
    served_as = int(re.search(r'data-build="(\d+)"', page).group(1))
    assert served_as >= 2   # build 1 had the old title
    assert preview.status()["build"] >= served_as


def test_fifty_rapid_saves_cause_few_rebuilds_and_the_last_save_wins(preview, tmp_path):
    entry = tmp_path / "site" / "content" / "watched-paper.md"
    before = preview.status()["build"]
    for i in range(50):
        write_entry(entry, f"Rapid Save Number {i}", day=3)
    preview.wait_for(lambda: "Rapid Save Number 49" in preview.get("papers/watched-paper/")[1], what="last save")
    time.sleep(1.0)   # let any trailing rebuild finish before counting
    rebuilds = preview.status()["build"] - before
    assert 1 <= rebuilds <= 10
    assert "Rapid Save Number 49" in preview.get("papers/watched-paper/")[1]
    assert preview.status()["ok"]


def test_a_config_change_rebuilds_every_page(preview, tmp_path):
    config = tmp_path / "site" / "site.toml"
    config.write_text(config.read_text().replace('"Preview test"', '"Renamed Shelf"'), encoding="utf-8")
    preview.wait_for(lambda: "Renamed Shelf" in preview.get("papers/other-paper/")[1], what="new site title")
    assert "Renamed Shelf" in preview.get("")[1]
    number = preview.status()["build"]
    preview.wait_for(lambda: number in preview.builds(), what="the build's line")
    pages, rendered = preview.builds()[number]
    assert rendered == pages


def test_a_template_change_rerenders_and_a_template_error_names_the_template(tmp_path):
    site = make_site(tmp_path / "site")
    templates = site / "themes" / "mine" / "templates"
    templates.mkdir(parents=True)
    shutil.copy(REPO / "themes" / "default" / "templates" / "paper.html", templates / "paper.html")
    config = site / "site.toml"
    config.write_text('theme = "mine"\n' + config.read_text(), encoding="utf-8")
    serve = ServeProcess(site)
    try:
        paper = templates / "paper.html"
        paper.write_text(paper.read_text().replace("{% block main %}", "{% block main %}<p>TEMPLATE-MARK</p>", 1))
        serve.wait_for(lambda: "TEMPLATE-MARK" in serve.get("papers/watched-paper/")[1], what="template edit")
        paper.write_text(paper.read_text().replace("<p>TEMPLATE-MARK</p>", "{% if %}", 1))
        serve.wait_for(lambda: not serve.status()["ok"], what="template error")
        assert any("paper.html:" in e for e in serve.status()["errors"])
        assert "paper.html:" in serve.get("papers/watched-paper/")[1]
    finally:
        assert serve.stop() == 0


def test_ctrl_c_and_sigterm_stop_the_server_cleanly_even_with_a_page_listening(tmp_path):
    site = make_site(tmp_path / "site")
    for sig in (signal.SIGINT, signal.SIGTERM):
        serve = ServeProcess(site)
        stream = socket.create_connection(("127.0.0.1", serve.port), timeout=5)
        stream.sendall(b"GET /reading-list/__papershelf/events HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
        assert b"200" in stream.recv(100)
        assert serve.stop(sig, timeout=10) == 0
        assert "Stopped." in serve.out.read_text()
        assert "Traceback" not in serve.err.read_text()
        stream.close()


def test_a_port_in_use_is_a_clear_message(tmp_path):
    site = make_site(tmp_path / "site")
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        done = subprocess.run([sys.executable, "-m", "papershelf", "serve", "--port", str(port), "--config",
                               str(site / "site.toml")], cwd=site, capture_output=True, text=True, timeout=30,
                              env={**os.environ, "PYTHONPATH": str(REPO)})
    assert done.returncode == 1
    assert f"port {port} on 127.0.0.1 is already in use" in done.stderr
    assert "Traceback" not in done.stderr


def test_binding_beyond_loopback_warns(tmp_path):
    site = make_site(tmp_path / "site")
    proc = subprocess.Popen([sys.executable, "-m", "papershelf", "serve", "--host", "0.0.0.0", "--port", "0",
                             "--config", str(site / "site.toml")], cwd=site, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, env={**os.environ, "PYTHONPATH": str(REPO)})
    try:
        warning = proc.stderr.readline()
        assert "warning: serving on 0.0.0.0" in warning and "--host 127.0.0.1" in warning
    finally:
        proc.send_signal(signal.SIGINT)
        assert proc.wait(15) == 0


def test_a_content_folder_created_after_starting_is_watched(tmp_path):
    site = tmp_path / "site"
    site.mkdir()
    (site / "site.toml").write_text('base_url = "https://example.github.io/reading-list/"\n', encoding="utf-8")
    serve = ServeProcess(site)
    try:
        (site / "content").mkdir()
        serve.wait_for(lambda: serve.status()["build"] >= 2, what="a rebuild for the new folder")
        write_entry(site / "content" / "first.md", "The Very First Entry")
        serve.wait_for(lambda: "The Very First Entry" in serve.get("papers/first/")[1], what="the first entry")
    finally:
        assert serve.stop() == 0
