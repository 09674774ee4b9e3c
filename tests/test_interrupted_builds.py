"""Builds that are interrupted or read while they swap (issue 10 §3).

- A build killed with SIGKILL leaves its temporary folder (``.site.new-*``, ``.site.old-*``);
  the next build removes the ones papershelf made and no running build holds, and nothing else.
- The new site replaces the old in one atomic exchange: ``site/index.html`` is never missing.
"""

import fcntl
import json
import os
import signal
import subprocess
import sys
import textwrap
import threading
import time

import pytest

from papershelf import writer
from papershelf.build import build
from papershelf.cli import main
from papershelf.writer import MANIFEST
from site_helpers import copy_site, small_config, tree_hash


@pytest.fixture
def site(tmp_path):
    return copy_site("small", tmp_path)


def leftovers(site):
    return sorted(p.name for p in site.iterdir() if p.name.startswith((".site.new-", ".site.old-")))


def settled_leftovers(site, expected=(), seconds=20.0):
    """``leftovers`` once the previous site a command-line build swapped out is removed (by a detached
    process): as soon as only ``expected`` ones are left, or after ``seconds``."""
    deadline = time.monotonic() + seconds
    while set(leftovers(site)) - set(expected) and time.monotonic() < deadline:
        time.sleep(0.05)
    return leftovers(site)


def build_cli(site, *args):
    return main(["--config", str(site / "site.toml"), "build", "-q", "--no-search", *args])


KILLED_BUILD = textwrap.dedent("""
    import os, signal, sys
    from papershelf import writer
    from papershelf.cli import main

    where, exchange = sys.argv[1], sys.argv[2] == "exchange"

    def die(*args, **kwargs):
        os.kill(os.getpid(), signal.SIGKILL)

    if where == "before-swap":
        writer.StagingSink.publish = die                # pages written into .site.new-*, then killed
    else:
        writer._remove_site_folder = die            # swapped in, killed before the previous site is removed
        writer._remove_detached = die               # (the command line removes it in a detached process)
    if not exchange:
        writer._exchange = lambda a, b: False       # the two-rename path: the previous site waits in .site.old-*
    sys.exit(main(["--config", "site.toml", "build", "-q", "--no-search"]))
""")


@pytest.mark.parametrize("where,exchange,left", [("before-swap", "exchange", ".site.new-"),
                                                   ("after-swap", "exchange", ".site.new-"),
                                                   ("after-swap", "renames", ".site.old-")])
def test_the_next_build_removes_what_a_killed_build_left(site, where, exchange, left):
    assert build_cli(site) == 0
    proc = subprocess.run([sys.executable, "-c", KILLED_BUILD, where, exchange], cwd=site, capture_output=True)
    assert proc.returncode == -signal.SIGKILL, proc.stderr
    assert [name[:len(left)] for name in leftovers(site)] == [left]   # what kill -9 leaves today
    assert (site / "site" / "index.html").is_file()
    assert build_cli(site) == 0
    assert settled_leftovers(site) == []
    assert json.loads((site / "site" / MANIFEST).read_text())["files"]
    assert (site / "site" / "index.html").is_file()


def test_only_folders_papershelf_made_and_no_build_holds_are_removed(site):
    assert build_cli(site) == 0
    dead_new = site / ".site.new-dead1"               # a staging folder marked by its manifest at creation
    dead_new.mkdir()
    (dead_new / MANIFEST).write_text('{"generator": "papershelf", "files": []}\n')
    (dead_new / "papers").mkdir()
    (dead_new / "papers" / "index.html").write_text("half a site")
    dead_old = site / ".site.old-dead2"               # a previous site, manifest and all
    subprocess.run(["cp", "-a", str(site / "site"), str(dead_old)], check=True)
    not_ours = site / ".site.new-notes"               # a name that matches, but no manifest: someone's files
    not_ours.mkdir()
    (not_ours / "mine.txt").write_text("keep me")
    fresh_empty = site / ".site.new-justmade"         # a build that has just made its folder
    fresh_empty.mkdir()
    other_output = site / ".public.new-x"             # another output's folder: not this build's business
    other_output.mkdir()
    (other_output / MANIFEST).write_text('{"generator": "papershelf", "files": []}\n')
    running = site / ".site.new-running"              # held by a build that is still running
    running.mkdir()
    (running / MANIFEST).write_text('{"generator": "papershelf", "files": []}\n')
    held = os.open(running, os.O_RDONLY)
    fcntl.flock(held, fcntl.LOCK_EX)
    try:
        assert build_cli(site) == 0
    finally:
        os.close(held)
    assert settled_leftovers(site, [".site.new-justmade", ".site.new-notes", ".site.new-running"]) == [
        ".site.new-justmade", ".site.new-notes", ".site.new-running"]
    assert (not_ours / "mine.txt").read_text() == "keep me"
    assert other_output.is_dir()
    os.utime(fresh_empty, (0, 0))                      # an empty folder untouched for an hour is dead
    assert build_cli(site) == 0
    assert settled_leftovers(site, [".site.new-notes"]) == [".site.new-notes"]


def test_the_repository_ignores_the_temporary_folders():
    root = writer.Path(__file__).resolve().parents[1]
    patterns = (root / ".gitignore").read_text().splitlines()
    assert "/.site.new-*/" in patterns and "/.site.old-*/" in patterns


def test_the_swap_never_leaves_the_site_missing(site, monkeypatch):
    """Deterministic: after every rename the build makes, the site's index is there."""
    out = site / "site"
    build(small_config(site), out=out, workers=1)
    misses = []
    real_replace = os.replace

    def watched_replace(source, target, **kwargs):
        real_replace(source, target, **kwargs)
        if not (out / "index.html").is_file():
            misses.append((str(source), str(target)))

    monkeypatch.setattr(os, "replace", watched_replace)
    build(small_config(site), out=out, workers=1)
    assert misses == []
    assert leftovers(site) == []


def test_a_reader_polling_the_index_during_many_rebuilds_never_misses(site):
    out = site / "site"
    config = small_config(site)
    build(config, out=out, workers=1, search=False)
    stop = threading.Event()
    reads, misses = [0], []

    def reader():
        while not stop.is_set():
            try:
                with open(out / "index.html", "rb") as page:
                    page.read(64)
                reads[0] += 1
            except FileNotFoundError as exc:
                misses.append(exc)

    thread = threading.Thread(target=reader)
    thread.start()
    try:
        for _ in range(25):
            build(config, out=out, workers=1, search=False)
    finally:
        stop.set()
        thread.join()
    assert reads[0] > 100 and misses == []
    assert leftovers(site) == []


def test_without_an_atomic_exchange_the_two_renames_still_build_the_same_site(site, monkeypatch):
    out = site / "site"
    build(small_config(site), out=out, workers=1)
    expected = tree_hash(out)
    monkeypatch.setattr(writer, "_exchange", lambda a, b: False)
    build(small_config(site), out=out, workers=1)
    assert tree_hash(out) == expected and leftovers(site) == []


def test_the_exchange_swaps_two_folders(tmp_path):
    a, b = tmp_path / "a", tmp_path / "b"
    a.mkdir()
    b.mkdir()
    (a / "x").write_text("from a")
    (b / "x").write_text("from b")
    if not sys.platform.startswith("linux"):
        # RENAME_EXCHANGE is Linux's: elsewhere the exchange says so, touches nothing, and the build falls back.
        assert not writer._exchange(a, b)
        assert (a / "x").read_text() == "from a" and (b / "x").read_text() == "from b"
        return
    assert writer._exchange(a, b)
    assert (a / "x").read_text() == "from b" and (b / "x").read_text() == "from a"
