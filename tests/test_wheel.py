"""The package as users install it: the built wheel in a fresh virtual environment outside the repository.

What lives only in the source tree (themes/, node_modules/lunr) is missing after `pip install` unless
the wheel carries it; these tests build the wheel (and the sdist it is built from, as `python -m build`
does), install it into a new venv in a temporary folder, and use only that venv's `papershelf`:
init, import the seed listing, check, build, crawl the result under a subpath, new, tags, deploy to a
gh-pages branch of a local remote, serve and fetch a page.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import tarfile
import time
import zipfile
from pathlib import Path
from urllib.request import urlopen

import pytest

from papershelf import __version__
from site_helpers import REPO, crawl, serve

SEED = REPO / "sources" / "hf-daily-papers-2025-10-29.txt"
THEME_FILES = sorted(p.relative_to(REPO).as_posix() for p in (REPO / "themes" / "default").rglob("*")
                     if p.is_file())

pytestmark = pytest.mark.slow


def run(*args, cwd: Path, env: dict | None = None, timeout: float = 600) -> subprocess.CompletedProcess:
    done = subprocess.run([str(a) for a in args], cwd=cwd, capture_output=True, text=True, timeout=timeout,
                          env=env)
    assert done.returncode == 0, f"{args}: exit {done.returncode}\n{done.stdout}\n{done.stderr}"
    return done


@pytest.fixture(scope="module")
def dist(tmp_path_factory) -> Path:
    """sdist and wheel, the wheel built from the sdist (as `python -m build` does), outside the repository."""
    out = tmp_path_factory.mktemp("dist")
    run(sys.executable, "-m", "build", "--no-isolation", "--outdir", out, REPO, cwd=out)
    return out


@pytest.fixture(scope="module")
def venv(dist, tmp_path_factory) -> Path:
    """A fresh venv in a temporary folder with the wheel (and its dependencies from the index) installed."""
    root = tmp_path_factory.mktemp("user")
    run(sys.executable, "-m", "venv", root / "venv", cwd=root)
    (wheel,) = dist.glob("papershelf-*.whl")
    run(root / "venv" / "bin" / "pip", "install", "--quiet", "--disable-pip-version-check", wheel, cwd=root)
    return root / "venv"


def user_env(venv: Path) -> dict:
    """The environment of a user who installed papershelf: its venv on PATH, nothing of the repository."""
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    env["PATH"] = f"{venv / 'bin'}{os.pathsep}{env.get('PATH', '')}"
    return env


def test_the_wheel_carries_the_default_theme_and_the_pinned_lunr(dist):
    (wheel,) = dist.glob("papershelf-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    for theme_file in THEME_FILES:
        assert f"papershelf/{theme_file}" in names, theme_file
    assert "papershelf/assets/lunr.min.js" in names and "papershelf/assets/lunr.LICENSE" in names
    assert "papershelf/starter/site.toml" in names and "papershelf/starter/pages.yml" in names
    assert not any(n.startswith(("generator/", "tests/", "content/")) for n in names)   # `papershelf` only
    lunr = zipfile.ZipFile(wheel).read("papershelf/assets/lunr.min.js")
    assert b"2.3.9" in lunr[:200]
    if (REPO / "node_modules" / "lunr" / "lunr.min.js").is_file():   # the very file npm ci verified
        assert lunr == (REPO / "node_modules" / "lunr" / "lunr.min.js").read_bytes()
    metadata = zipfile.ZipFile(wheel).read(f"papershelf-{__version__}.dist-info/METADATA").decode()
    for field in ("Summary: A static-site generator", "License-Expression: MIT", "Requires-Python: >=3.11",
                  "Classifier: Programming Language :: Python :: 3.13", "Project-URL: Source"):
        assert field in metadata, field
    (sdist,) = dist.glob("papershelf-*.tar.gz")
    members = tarfile.open(sdist).getnames()
    assert f"papershelf-{__version__}/vendor/npm/lunr-2.3.9.tgz" in members   # a wheel from it needs no npm
    assert f"papershelf-{__version__}/themes/default/templates/base.html" in members


def test_installed_papershelf_inits_imports_builds_and_serves_a_list_on_its_own(venv, tmp_path):
    env = user_env(venv)
    exe = venv / "bin" / "papershelf"
    assert run(exe, "--version", cwd=tmp_path, env=env).stdout.strip() == f"papershelf {__version__}"
    assert run(venv / "bin" / "python", "-m", "papershelf", "--version", cwd=tmp_path, env=env).stdout.strip() \
        == f"papershelf {__version__}"
    # The theme and lunr.js in use are the installed ones, not the repository's.
    where = run(venv / "bin" / "python", "-c", "from papershelf import resources as r; "
                "print(r.default_theme()); print(r.lunr_js())", cwd=tmp_path, env=env).stdout.split()
    assert all(str(venv) in line for line in where), where

    created = run(exe, "init", "my-list", "--base-url", "https://curator.github.io/reading-list/",
                  cwd=tmp_path, env=env)
    assert "created my-list/site.toml" in created.stderr
    site = tmp_path / "my-list"
    imported = run(exe, "import", SEED, cwd=site, env=env)
    assert "added 48" in imported.stderr
    run(exe, "check", cwd=site / "content", env=env)          # from a subfolder too
    built = run(exe, "build", cwd=site, env=env)
    assert re.search(r"Built \d+ pages, 49 search documents", built.stderr), built.stderr
    assert (site / "site" / "assets" / "lunr.min.js").is_file()

    with serve(site / "site", "/reading-list/") as root:
        visited, broken, _ = crawl(root)
    assert broken == []
    assert len([url for url in visited if "/reading-list/papers/" in url]) == 49   # every paper's page reached

    # new, tags and deploy from the same folder, with the installed package only.
    made = run(exe, "new", "Denoising Diffusion Probabilistic Models", "--arxiv", "2006.11239", "--tags", "diffusion",
               cwd=site, env=env)
    assert made.stdout.strip() == "content/denoising-diffusion-probabilistic-models.md"
    assert "diffusion" in run(exe, "tags", cwd=site, env=env).stdout
    git_env = {**env, "HOME": str(tmp_path), "GIT_CONFIG_NOSYSTEM": "1", "GIT_AUTHOR_NAME": "Curator",
               "GIT_AUTHOR_EMAIL": "c@example.org", "GIT_COMMITTER_NAME": "Curator",
               "GIT_COMMITTER_EMAIL": "c@example.org"}
    run("git", "init", "-q", "--bare", tmp_path / "remote.git", cwd=tmp_path, env=git_env)
    run("git", "init", "-q", "-b", "main", cwd=site, env=git_env)
    run("git", "add", ".", cwd=site, env=git_env)
    run("git", "commit", "-q", "-m", "list", cwd=site, env=git_env)
    run("git", "remote", "add", "origin", tmp_path / "remote.git", cwd=site, env=git_env)
    run(exe, "deploy", cwd=site, env=git_env)
    published = run("git", "ls-tree", "-r", "--name-only", "gh-pages", cwd=tmp_path / "remote.git", env=git_env)
    assert "index.html" in published.stdout.split() and ".nojekyll" in published.stdout.split()

    proc = subprocess.Popen([exe, "serve", "--port", "0"], cwd=site, env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    try:
        url = _served_url(proc)
        with urlopen(url + "papers/attention-is-all-you-need/", timeout=10) as response:
            assert response.status == 200 and "Attention Is All You Need" in response.read().decode()
        with urlopen(url + "assets/lunr.min.js", timeout=10) as response:
            assert response.status == 200
    finally:
        proc.terminate()
        proc.wait(10)


def _served_url(proc: subprocess.Popen, timeout: float = 60) -> str:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        line = proc.stdout.readline()
        found = re.search(r"Serving on (http://\S+)", line)
        if found:
            return found.group(1)
        if proc.poll() is not None:
            raise AssertionError(f"serve exited {proc.returncode}: {proc.stderr.read()}")
    raise AssertionError("serve printed no URL")
