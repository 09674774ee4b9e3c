"""`papershelf deploy` against a real local bare repository standing in for GitHub."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from papershelf.cli import main
from papershelf.config import load_config
from papershelf.deploy import run_deploy
from papershelf.errors import SiteError


def git(cwd: Path, *args: str) -> str:
    done = subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True, check=True)
    return done.stdout.strip()


@pytest.fixture(autouse=True)
def isolated_git(tmp_path, monkeypatch):
    # No global or system git config of the machine running the tests leaks in.
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.setenv("GIT_CONFIG_NOSYSTEM", "1")
    monkeypatch.delenv("GIT_DIR", raising=False)
    monkeypatch.delenv("GIT_INDEX_FILE", raising=False)
    (tmp_path / "home").mkdir()


def write_site(site: Path, pages: dict[str, str]) -> None:
    for name, text in pages.items():
        path = site / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")


@pytest.fixture
def project(tmp_path):
    """A user's repository (branch main, one commit) with origin = a bare repository, and a built site/."""
    remote = tmp_path / "remote.git"
    subprocess.run(["git", "init", "-q", "--bare", str(remote)], check=True)
    work = tmp_path / "work"
    work.mkdir()
    git(work, "init", "-q", "-b", "main")
    git(work, "config", "user.name", "Curator")
    git(work, "config", "user.email", "curator@example.org")
    (work / "site.toml").write_text('title = "Shelf"\nbase_url = "https://papers.example.org/"\n'
                                    'cname = "papers.example.org"\n', encoding="utf-8")
    (work / ".gitignore").write_text("site/\n", encoding="utf-8")
    git(work, "add", "site.toml", ".gitignore")
    git(work, "commit", "-q", "-m", "source")
    git(work, "remote", "add", "origin", str(remote))
    write_site(work / "site", {"index.html": "<h1>v1</h1>", ".nojekyll": "", "CNAME": "papers.example.org\n",
                               "papers/a/index.html": "a", "papers.json": "{}"})
    return work, remote


def config_of(work: Path):
    return load_config(work / "site.toml")


def published(remote: Path, tmp_path: Path, branch: str = "gh-pages") -> Path:
    clone = tmp_path / f"clone-{len(list(tmp_path.glob('clone-*')))}"
    subprocess.run(["git", "clone", "-q", "--branch", branch, str(remote), str(clone)], check=True)
    return clone


def test_first_deploy_creates_the_branch_with_every_site_file(project, tmp_path):
    work, remote = project
    assert run_deploy(config_of(work), out=None, remote="origin", branch="gh-pages", message=None) == 0

    clone = published(remote, tmp_path)
    files = set(git(clone, "ls-files").splitlines())
    assert files == {"index.html", ".nojekyll", "CNAME", "papers/a/index.html", "papers.json"}
    assert (clone / "CNAME").read_text() == "papers.example.org\n"
    assert (clone / "index.html").read_text() == "<h1>v1</h1>"
    assert git(clone, "rev-list", "--count", "HEAD") == "1"
    source_sha = git(work, "rev-parse", "--short", "HEAD")
    assert git(clone, "log", "-1", "--format=%s") == f"Deploy papershelf site from {source_sha}"


def test_each_deploy_adds_one_commit_on_top_of_the_published_history(project, tmp_path):
    work, remote = project
    run_deploy(config_of(work), remote="origin", branch="gh-pages")
    first = git(remote, "rev-parse", "gh-pages")

    write_site(work / "site", {"index.html": "<h1>v2</h1>", "papers/b/index.html": "b"})
    (work / "site" / "papers" / "a" / "index.html").unlink()
    run_deploy(config_of(work), remote="origin", branch="gh-pages", message="second")

    clone = published(remote, tmp_path)
    assert git(clone, "rev-list", "--count", "HEAD") == "2"
    assert git(clone, "rev-parse", "HEAD~1") == first
    assert git(clone, "log", "-1", "--format=%s") == "second"
    assert (clone / "index.html").read_text() == "<h1>v2</h1>"
    assert (clone / "papers" / "b" / "index.html").exists()
    assert not (clone / "papers" / "a").exists(), "a page removed from the site must disappear from the branch"


def test_deploy_builds_on_commits_pushed_to_the_branch_from_elsewhere(project, tmp_path):
    work, remote = project
    run_deploy(config_of(work), remote="origin", branch="gh-pages")
    other = published(remote, tmp_path)
    git(other, "-c", "user.name=Other", "-c", "user.email=o@example.org", "commit", "-q", "--allow-empty", "-m", "by hand")
    git(other, "push", "-q", "origin", "HEAD:gh-pages")
    by_hand = git(other, "rev-parse", "HEAD")

    write_site(work / "site", {"index.html": "<h1>v3</h1>"})
    run_deploy(config_of(work), remote="origin", branch="gh-pages")

    assert git(remote, "rev-parse", "gh-pages~1") == by_hand
    assert git(remote, "rev-list", "--count", "gh-pages") == "3"


def test_deploy_leaves_the_users_branch_index_and_working_tree_alone(project):
    work, remote = project
    (work / "notes.txt").write_text("staged\n")
    git(work, "add", "notes.txt")
    (work / "site.toml").write_text((work / "site.toml").read_text() + "# unstaged edit\n")

    def state():
        return {"head": git(work, "rev-parse", "HEAD"), "branch": git(work, "symbolic-ref", "HEAD"),
                "branches": git(work, "branch", "--list"), "staged": git(work, "diff", "--cached"),
                "status": git(work, "status", "--porcelain", "--untracked-files=all")}

    before = state()
    index = work / ".git" / "index"
    index_before = (index.read_bytes(), index.stat().st_mtime_ns)
    run_deploy(config_of(work), remote="origin", branch="gh-pages")
    assert (index.read_bytes(), index.stat().st_mtime_ns) == index_before
    assert state() == before
    assert "site/" not in before["status"] and (work / "site" / "index.html").read_text() == "<h1>v1</h1>"
    assert git(remote, "rev-parse", "--verify", "gh-pages")


def test_deploy_adds_nojekyll_and_cname_when_the_build_did_not_write_them(project, tmp_path):
    work, remote = project
    (work / "site" / ".nojekyll").unlink()
    (work / "site" / "CNAME").unlink()
    run_deploy(config_of(work), remote="origin", branch="gh-pages")
    clone = published(remote, tmp_path)
    assert (clone / ".nojekyll").read_text() == ""
    assert (clone / "CNAME").read_text() == "papers.example.org\n"
    assert not (work / "site" / ".nojekyll").exists(), "deploy must not write into the site folder"


def test_deploying_an_unchanged_site_adds_no_commit(project):
    work, remote = project
    run_deploy(config_of(work), remote="origin", branch="gh-pages")
    run_deploy(config_of(work), remote="origin", branch="gh-pages")
    assert git(remote, "rev-list", "--count", "gh-pages") == "1"


def test_deploy_publishes_an_out_folder_to_a_chosen_branch(project, tmp_path):
    work, remote = project
    other = tmp_path / "elsewhere"
    write_site(other, {"index.html": "custom"})
    run_deploy(config_of(work), out=str(other), remote="origin", branch="pages")
    clone = published(remote, tmp_path, branch="pages")
    assert (clone / "index.html").read_text() == "custom"


def test_deploy_outside_a_git_repository_is_a_clear_error(tmp_path, capsys):
    folder = tmp_path / "plain"
    write_site(folder / "site", {"index.html": "x"})
    (folder / "site.toml").write_text('title = "x"\n')
    with pytest.raises(SiteError, match="not inside a git repository"):
        run_deploy(config_of(folder), remote="origin", branch="gh-pages")
    assert main(["--config", str(folder / "site.toml"), "deploy"]) == 1
    assert "not inside a git repository" in capsys.readouterr().err


def test_deploy_without_the_remote_names_it_and_the_fix(project, capsys):
    work, remote = project
    with pytest.raises(SiteError, match=r"no git remote 'upstream' \(remotes here: origin\)"):
        run_deploy(config_of(work), remote="upstream", branch="gh-pages")
    assert main(["--config", str(work / "site.toml"), "deploy", "--remote", "upstream"]) == 1
    err = capsys.readouterr().err
    assert "git remote add upstream URL" in err and "Traceback" not in err


def test_deploy_before_building_asks_for_a_build(project, capsys):
    work, remote = project
    shutil.rmtree(work / "site")
    assert main(["--config", str(work / "site.toml"), "deploy"]) == 1
    assert "run `papershelf build` first" in capsys.readouterr().err
    assert subprocess.run(["git", "rev-parse", "--verify", "-q", "gh-pages"], cwd=remote).returncode != 0


def test_deploy_refuses_to_publish_the_repository_itself(project):
    work, remote = project
    (work / "index.html").write_text("not a site")
    with pytest.raises(SiteError, match="is the repository itself"):
        run_deploy(config_of(work), out=str(work), remote="origin", branch="gh-pages")


def test_pages_workflow_builds_with_the_projects_own_commands_and_publishes_site_folder():
    import yaml
    from papershelf.cli import make_parser

    repo = Path(__file__).resolve().parents[1]
    flow = yaml.safe_load((repo / ".github" / "workflows" / "pages.yml").read_text(encoding="utf-8"))
    assert flow["permissions"]["pages"] == "write" and flow["permissions"]["id-token"] == "write"
    assert flow["concurrency"]["group"]
    build = flow["jobs"]["build"]["steps"]
    uses = [s["uses"].split("@")[0] for s in build if "uses" in s]
    assert uses == ["actions/checkout", "actions/setup-python", "actions/setup-node",
                    "actions/configure-pages", "actions/upload-pages-artifact"]
    upload = next(s for s in build if s.get("uses", "").startswith("actions/upload-pages-artifact"))
    assert upload["with"]["path"].rstrip("/") == "site"
    runs = [s["run"] for s in build if "run" in s]
    assert runs[0] == "make setup" and "setup:" in (repo / "Makefile").read_text()
    # The build line must be a command line papershelf accepts (after the shell expands the URL).
    command = runs[1].replace('"${PAGES_BASE_URL%/}/"', "https://user.github.io/repo/").split()
    assert command[0] == ".venv/bin/papershelf"
    args = make_parser().parse_args(command[1:])
    assert (args.command, args.base_url) == ("build", "https://user.github.io/repo/")
    assert [s["uses"].split("@")[0] for s in flow["jobs"]["deploy"]["steps"]] == ["actions/deploy-pages"]
    assert flow["jobs"]["deploy"]["needs"] == "build"


def test_an_unreachable_remote_is_reported_with_gits_whole_message(project, capsys, tmp_path):
    # git puts the cause first and its advice last; keeping only the last lines lost the cause.
    work, _ = project
    git(work, "remote", "set-url", "origin", str(tmp_path / "no-such-repository.git"))
    assert main(["--config", str(work / "site.toml"), "deploy"]) == 1
    err = capsys.readouterr().err
    assert "git ls-remote failed" in err and "does not appear to be a git repository" in err, err
    assert "the repository exists" in err and "Traceback" not in err
