"""The preview server under hostile use (issue 10, section 5): DNS rebinding and idle connections.

Host checks run against the real `papershelf serve` with raw http.client requests; the load tests run
the real server (make_server) in this process, so its threads can be counted.
"""

from __future__ import annotations

import http.client
import socket
import threading
import time

import pytest

from papershelf.livereload import PreviewState, allowed_hosts, host_allowed, make_server
from test_serve import ServeProcess, make_site, request, site_tree, urlpath  # noqa: F401 - site_tree: a fixture


def get(port: int, path: str, host: str | None) -> tuple[int, str, str]:
    """GET with exactly the Host header given (none at all for None): (status, content type, body)."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
    try:
        conn.putrequest("GET", path, skip_host=True, skip_accept_encoding=True)
        if host is not None:
            conn.putheader("Host", host)
        conn.endheaders()
        response = conn.getresponse()
        return response.status, response.getheader("Content-Type", ""), response.read().decode("utf-8")
    finally:
        conn.close()


@pytest.fixture(scope="module")
def preview(tmp_path_factory):
    serve = ServeProcess(make_site(tmp_path_factory.mktemp("hosts") / "site"))
    yield serve
    serve.stop()


@pytest.mark.parametrize("host", ["attacker.example", "attacker.example:{port}", "localhost.attacker.example",
                                  "127.0.0.1.nip.io:{port}", "10.0.0.1", "[::2]:{port}", "localhost:x", ""])
@pytest.mark.parametrize("path", ["", "__papershelf/status", "__papershelf/events", "nowhere/"])
def test_another_host_name_gets_403_and_nothing_of_the_site(preview, host, path):
    status, kind, body = get(preview.port, urlpath(preview.url) + path, host.format(port=preview.port))
    assert status == 403 and kind.startswith("text/plain")
    assert "only to the names it listens on" in body and len(body) < 200
    assert "Preview test" not in body and "build" not in body


@pytest.mark.parametrize("host", ["localhost", "localhost:{port}", "127.0.0.1", "127.0.0.1:{port}",
                                  "[::1]:{port}", "[::1]", "LOCALHOST:{port}", None])
def test_the_names_it_listens_on_are_served(preview, host):
    status, _, body = get(preview.port, urlpath(preview.url), host and host.format(port=preview.port))
    assert status == 200 and "Original Watched Title" in body


def test_the_host_given_is_accepted_and_every_address_when_listening_on_all():
    assert host_allowed("shelf.lan:8000", allowed_hosts("shelf.lan"))
    assert not host_allowed("other.lan:8000", allowed_hosts("shelf.lan"))
    assert not host_allowed("192.168.1.5:8000", allowed_hosts("127.0.0.1"))
    everywhere = allowed_hosts("0.0.0.0")
    assert host_allowed("192.168.1.5:8000", everywhere) and host_allowed("[fe80::1]:8000", everywhere)
    assert not host_allowed("attacker.example", everywhere)


def serving(state, **limits):
    httpd = make_server("127.0.0.1", 0, state, **limits)
    thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    return httpd, thread


def stopping(state, httpd, thread):
    state.stop()
    httpd.shutdown()
    httpd.server_close()
    thread.join(5)


def test_hundreds_of_idle_connections_hold_no_threads_and_a_page_still_answers_at_once(site_tree):
    root, _ = site_tree
    state = PreviewState("/")
    state.publish(ok=True, root=root)
    threads_before = threading.active_count()
    httpd, thread = serving(state, idle=1.5)
    port = httpd.server_address[1]
    idle = [socket.create_connection(("127.0.0.1", port), timeout=5) for _ in range(600)]
    try:
        idle[-1].sendall(b"GET / HTTP/1.1\r\n")   # a request begun and never finished: dropped after idle
        time.sleep(0.3)
        started = time.monotonic()
        status, _, body = request(port, "/")
        assert status == 200 and b"Home page" in body
        assert time.monotonic() - started < 1.0
        assert threading.active_count() - threads_before < 40   # was one thread per connection
        idle[-1].settimeout(4)
        assert idle[-1].recv(100) == b""   # closed by the server, not answered
        idle[0].settimeout(4)   # the oldest waiting ones are closed beyond MAX_WAITING (256) ...
        assert idle[0].recv(100) == b""
        idle[-2].settimeout(4)  # ... and every silent one after the idle time
        assert idle[-2].recv(100) == b""
    finally:
        for sock in idle:
            sock.close()
        stopping(state, httpd, thread)


def test_event_streams_are_capped_and_pages_still_answer(site_tree):
    root, _ = site_tree
    state = PreviewState("/")
    state.publish(ok=True, root=root)
    httpd, thread = serving(state, streams=2)
    port = httpd.server_address[1]
    streams = []
    try:
        for expected in (b" 200 ", b" 200 ", b" 503 "):
            sock = socket.create_connection(("127.0.0.1", port), timeout=5)
            sock.sendall(b"GET /__papershelf/events HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
            assert expected in sock.recv(200)
            streams.append(sock)
        assert request(port, "/")[0] == 200
        streams.pop(0).close()   # a tab closed: its stream ends at its next write, and a slot frees
        state.publish(ok=True, root=root)
        deadline = time.monotonic() + 5
        while True:
            sock = socket.create_connection(("127.0.0.1", port), timeout=5)
            sock.sendall(b"GET /__papershelf/events HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
            answer = sock.recv(200)
            streams.append(sock)
            if b" 200 " in answer or time.monotonic() > deadline:
                break
            time.sleep(0.1)
        assert b" 200 " in answer
    finally:
        for sock in streams:
            sock.close()
        stopping(state, httpd, thread)
