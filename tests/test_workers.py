"""Render workers stop with their build: Ctrl-C stops everything at once and quietly, and a killed build
leaves no worker behind."""

import os
import signal
import subprocess
import sys
import time

import pytest

from site_helpers import REPO

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="process groups and /proc")

# A build's worker pool, busy, in a process that handles signals as `papershelf serve` does.
SCRIPT = """
import signal, sys, time
from papershelf.incremental import ParallelRender

def interrupt(signum, frame):
    raise KeyboardInterrupt

signal.signal(signal.SIGINT, interrupt)
signal.signal(signal.SIGTERM, interrupt)

def slow_chunk(start, stop):
    time.sleep(60)
    return stop - start

try:
    with ParallelRender(4, slow_chunk, 2) as running:
        print("workers", *[p.pid for p in running._pool._pool], flush=True)
        running.finish()
except KeyboardInterrupt:
    print("stopped", flush=True)
"""


def _start(tmp_path):
    script = tmp_path / "pool.py"
    script.write_text(SCRIPT)
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    proc = subprocess.Popen([sys.executable, str(script)], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True, env=env, start_new_session=True)
    first = proc.stdout.readline().split()
    assert first and first[0] == "workers", proc.stderr.read()
    time.sleep(0.5)   # the workers are inside their chunks
    return proc, [int(pid) for pid in first[1:]]


def _alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/status") as status:
            return "\nState:\tZ" not in status.read()   # a zombie has ended
    except FileNotFoundError:
        return False


def _wait_gone(pids, seconds=10.0):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline and any(_alive(p) for p in pids):
        time.sleep(0.05)
    return [p for p in pids if _alive(p)]


def test_ctrl_c_during_a_parallel_render_stops_the_build_and_its_workers_quietly(tmp_path):
    proc, workers = _start(tmp_path)
    try:
        os.killpg(proc.pid, signal.SIGINT)   # what a terminal's Ctrl-C does: the whole process group
        out, err = proc.communicate(timeout=15)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
    assert out.strip() == "stopped"
    assert "Traceback" not in err            # no worker prints a KeyboardInterrupt of its own
    assert _wait_gone(workers) == []


def test_workers_of_a_killed_build_do_not_outlive_it(tmp_path):
    proc, workers = _start(tmp_path)
    try:
        proc.kill()                          # SIGKILL: the build cannot clean up after itself
        proc.wait(timeout=10)
        assert _wait_gone(workers) == []
    finally:
        for pid in workers:
            if _alive(pid):
                os.kill(pid, signal.SIGKILL)
