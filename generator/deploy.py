"""``papershelf deploy``: publish the built site folder to a git branch (gh-pages) and push it.

Only git plumbing is used, with a temporary index file, so the user's working
tree, index, HEAD and local branches are never touched:

1. the site folder is staged into a temporary index (``GIT_INDEX_FILE`` +
   ``git --work-tree=<site> add``) and written as a tree;
2. the commit's parent is the remote branch's current tip (fetched first), so
   every deploy adds one commit on top of the published history; a new branch
   starts with a root commit;
3. ``git push <remote> <commit>:refs/heads/<branch>``, an ordinary fast-forward push.

.nojekyll (so GitHub Pages serves files as they are) and CNAME (from
``cname`` in site.toml) are always in the published tree: the build writes
them, and deploy adds them to the tree when an older build lacks them.
"""

from __future__ import annotations

import logging
import os
import subprocess
import tempfile
from pathlib import Path

from .config import Config
from .errors import SiteError

log = logging.getLogger("papershelf")

# Used only when git has no identity configured (a fresh CI machine), so a deploy does not fail on it.
FALLBACK_IDENTITY = {"GIT_AUTHOR_NAME": "papershelf", "GIT_AUTHOR_EMAIL": "papershelf@localhost",
                     "GIT_COMMITTER_NAME": "papershelf", "GIT_COMMITTER_EMAIL": "papershelf@localhost"}


class _Git:
    """Runs git in one repository; a failure becomes a SiteError carrying git's own message."""

    def __init__(self, cwd: Path, where: str, env: dict[str, str] | None = None):
        self.cwd = cwd
        self.where = where
        self.env = {**os.environ, **(env or {}), "GIT_TERMINAL_PROMPT": "0", "LC_ALL": "C"}

    def run(self, *args: str, cwd: Path | None = None, input: str | None = None,
            check: bool = True, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
        try:
            done = subprocess.run(["git", *args], cwd=cwd or self.cwd, input=input, capture_output=True,
                                  text=True, env={**self.env, **(env or {})})
        except FileNotFoundError:
            raise SiteError(self.where, None, "git is not installed (papershelf deploy needs the git command)") from None
        if check and done.returncode != 0:
            raise SiteError(self.where, None, f"git {args[0]} failed: {_git_message(done.stderr or done.stdout)}")
        return done

    def out(self, *args: str, **kwargs) -> str:
        return self.run(*args, **kwargs).stdout.strip()


def _git_message(text: str, limit: int = 1_000) -> str:
    """git's whole message on one line: the cause often comes first and the advice last."""
    message = " ".join(line.strip() for line in text.splitlines() if line.strip()) or "no message"
    return message if len(message) <= limit else message[: limit - 1] + "…"


def _site_folder(config: Config, out: str | None) -> Path:
    site = Path(out).resolve() if out else config.output_path
    shown = str(out) if out else config.output_dir
    if not site.is_dir():
        raise SiteError(shown, None, "no built site here: run `papershelf build` first")
    if not (site / "index.html").is_file():
        raise SiteError(shown, None, "has no index.html, so it is not a built site: run `papershelf build` first")
    return site


def _repository(config: Config) -> tuple[_Git, Path, Path]:
    """(git runner, top-level folder, git dir) of the repository holding the site's source."""
    root = config.root.resolve()
    where = str(root)
    git = _Git(root, where)
    done = git.run("rev-parse", "--show-toplevel", "--absolute-git-dir", check=False)
    if done.returncode != 0:
        raise SiteError(where, None, "not inside a git repository: papershelf deploy publishes to a branch of "
                                     "the repository that holds site.toml (run `git init` and add a remote first)")
    top, git_dir = done.stdout.strip().splitlines()[:2]
    return git, Path(top), Path(git_dir)


def _check_remote(git: _Git, remote: str) -> None:
    if git.run("remote", "get-url", remote, check=False).returncode != 0:
        names = git.out("remote").split()
        known = f" (remotes here: {', '.join(names)})" if names else " (this repository has no remotes)"
        raise SiteError(git.where, None, f"no git remote '{remote}'{known}: add it with "
                                         f"`git remote add {remote} URL` or choose one with --remote")


def _remote_tip(git: _Git, remote: str, branch: str) -> str | None:
    """The remote branch's commit, fetched so it can be a parent; None when the branch does not exist yet."""
    ref = f"refs/heads/{branch}"
    listed = git.out("ls-remote", "--heads", remote, ref)
    tips = [line.split()[0] for line in listed.splitlines() if line.split()[1:] == [ref]]
    if not tips:
        return None
    git.run("fetch", "--quiet", "--no-tags", remote, ref)
    return tips[0]


def _stage_extra(git: _Git, env: dict[str, str], staged: set[str], name: str, content: str) -> None:
    blob = git.out("hash-object", "-w", "--stdin", input=content, env=env)
    git.run("update-index", "--add", "--cacheinfo", f"100644,{blob},{name}", env=env)
    staged.add(name)


def _tree_of_site(git: _Git, git_dir: Path, site: Path, config: Config, index: Path) -> tuple[str, int]:
    """Write the site folder as a git tree through a temporary index: (tree id, number of files)."""
    env = {"GIT_INDEX_FILE": str(index)}
    # -f: the user's ignore rules (site/, *.json in a global gitignore...) must not drop published files.
    git.run(f"--git-dir={git_dir}", f"--work-tree={site}", "add", "--all", "--force", ".", cwd=site, env=env)
    staged = set(git.out("ls-files", "--cached", env=env).splitlines())
    if ".nojekyll" not in staged:
        _stage_extra(git, env, staged, ".nojekyll", "")
    if config.cname and "CNAME" not in staged:
        _stage_extra(git, env, staged, "CNAME", config.cname + "\n")
    return git.out("write-tree", env=env), len(staged)


def _identity_env(git: _Git) -> dict[str, str]:
    if git.run("var", "GIT_COMMITTER_IDENT", check=False).returncode == 0 and \
            git.run("var", "GIT_AUTHOR_IDENT", check=False).returncode == 0:
        return {}
    return FALLBACK_IDENTITY


def default_message(git: _Git) -> str:
    done = git.run("rev-parse", "--short", "HEAD", check=False)
    sha = done.stdout.strip() if done.returncode == 0 else ""
    return f"Deploy papershelf site from {sha}" if sha else "Deploy papershelf site"


def run_deploy(config: Config, *, out: str | None = None, remote: str = "origin", branch: str = "gh-pages",
               message: str | None = None) -> int:
    """Commit the built site on top of <remote>/<branch> and push it. Returns the exit code (0)."""
    site = _site_folder(config, out)
    git, top, git_dir = _repository(config)
    if site == top or top.is_relative_to(site):
        raise SiteError(str(out or config.output_dir), None,
                        "is the repository itself, not a built site folder: choose the build's output folder")
    _check_remote(git, remote)
    parent = _remote_tip(git, remote, branch)

    with tempfile.TemporaryDirectory(prefix="papershelf-deploy-") as tmp:
        tree, count = _tree_of_site(git, git_dir, site, config, Path(tmp) / "index")

    if parent and git.out("rev-parse", f"{parent}^{{tree}}") == tree:
        log.info("%s/%s already has this site (%d files); nothing to deploy", remote, branch, count)
        return 0

    args = ["commit-tree", tree, "-m", message or default_message(git)]
    if parent:
        args += ["-p", parent]
    commit = git.out(*args, env=_identity_env(git))
    git.run("push", "--quiet", remote, f"{commit}:refs/heads/{branch}")
    log.info("deployed %d files to %s/%s (%s%s)", count, remote, branch, commit[:12],
             "" if parent else ", new branch")
    return 0
