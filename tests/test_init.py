"""`papershelf init` starts a reading list; every command then finds its site.toml from any folder inside it."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest
import yaml

from papershelf import __version__
from papershelf.cli import main
from papershelf.config import load_config

STARTER = ["site.toml", "content/attention-is-all-you-need.md", ".gitignore", ".github/workflows/pages.yml",
           "README.md"]


def files_of(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def test_init_creates_a_list_that_checks_and_builds(tmp_path, capsys, monkeypatch):
    target = tmp_path / "my-list"
    assert main(["init", str(target), "--title", 'Lab "reading" list', "--base-url",
                 "https://lab.github.io/papers/"]) == 0
    err = capsys.readouterr().err
    assert sorted(files_of(target)) == sorted(STARTER)
    for name in STARTER:
        assert f"created {target / name}" in err
    assert "papershelf serve" in err and "papershelf import" in err   # what to do next

    config = load_config(target / "site.toml")
    assert config.title == 'Lab "reading" list' and config.base_url == "https://lab.github.io/papers/"
    text = (target / "site.toml").read_text()
    # Every key of the config is shown (commented where it keeps its default).
    for key in ("description", "author", "language", "theme", "per_page", "feed_limit", "cname", "allow_raw_html",
                "content_dir", "output_dir", "themes_dir", "boost_title", "boost_abstract", "[tags.rules]",
                "[tags.aliases]"):
        assert key in text, key
    assert tomllib.loads(text)["title"] == 'Lab "reading" list'
    assert "/site/" in (target / ".gitignore").read_text().splitlines()

    workflow = yaml.safe_load((target / ".github" / "workflows" / "pages.yml").read_text())
    steps = [step.get("uses", step.get("run", "")) for step in workflow["jobs"]["build"]["steps"]]
    assert f'python -m pip install "papershelf=={__version__}"' in steps          # the same version, pinned
    assert any(s.startswith("actions/upload-pages-artifact@") for s in steps)
    assert any(s.startswith("actions/configure-pages@") for s in steps)
    assert workflow["jobs"]["deploy"]["steps"][0]["uses"].startswith("actions/deploy-pages@")
    assert "${{ steps.pages.outputs.base_url }}" in (target / ".github" / "workflows" / "pages.yml").read_text()

    monkeypatch.chdir(target)
    assert main(["check"]) == 0
    assert "1 entry, 0 errors, 0 warnings" in capsys.readouterr().out
    assert main(["build", "--no-search"]) == 0
    page = (target / "site" / "papers" / "attention-is-all-you-need" / "index.html").read_text()
    assert "Attention Is All You Need" in page and "Łukasz Kaiser" in page


@pytest.mark.parametrize("base_url", ["https://u.github.io/mylist", "https://u.github.io/mylist/"])
def test_init_names_the_preview_address_serve_will_use(tmp_path, capsys, base_url):
    """The next steps point at the base path the preview serves (always ending in '/'), not at '/'."""
    target = tmp_path / "mylist"
    assert main(["init", str(target), "--base-url", base_url]) == 0
    err = capsys.readouterr().err
    assert load_config(target / "site.toml").base_path == "/mylist/"
    assert "# preview at http://127.0.0.1:8000/mylist/," in err


def test_init_in_the_current_folder_takes_its_name_as_title(tmp_path, monkeypatch, capsys):
    folder = tmp_path / "graph-learning"
    folder.mkdir()
    monkeypatch.chdir(folder)
    assert main(["init"]) == 0
    assert load_config(folder / "site.toml").title == "graph learning"


def test_init_refuses_a_folder_with_a_list_and_force_never_overwrites(tmp_path, capsys):
    target = tmp_path / "list"
    (target / "content").mkdir(parents=True)
    (target / "content" / "mine.md").write_text("---\ntitle: Mine\n---\n")
    (target / "README.md").write_text("my own readme")
    before = files_of(target)
    assert main(["init", str(target)]) == 1
    err = capsys.readouterr().err
    assert "already holds a reading list" in err and "--force" in err and "Traceback" not in err
    assert files_of(target) == before

    assert main(["init", str(target), "--force"]) == 0
    after = files_of(target)
    assert {k: v for k, v in after.items() if k in before} == before      # nothing overwritten
    assert "site.toml" in after and ".github/workflows/pages.yml" in after
    assert f"kept    {target / 'README.md'} (already there)" in capsys.readouterr().err

    assert main(["init", str(target)]) == 1   # a site.toml alone is a list too


def test_init_refuses_a_bad_base_url_before_writing_anything(tmp_path, capsys):
    assert main(["init", str(tmp_path / "x"), "--base-url", "ftp://example.org/"]) == 1
    assert "'base_url' must be an absolute http(s) URL" in capsys.readouterr().err
    assert not (tmp_path / "x").exists()


def test_commands_find_site_toml_from_a_subfolder(tmp_path, monkeypatch, capsys):
    """Run from content/, `new` once wrote content/content/x.md and `tags` found no tags, with exit 0."""
    target = tmp_path / "list"
    assert main(["init", str(target), "-q"]) == 0
    monkeypatch.chdir(target / "content")
    assert main(["-v", "new", "Denoising Diffusion Probabilistic Models", "--tags", "diffusion"]) == 0
    captured = capsys.readouterr()
    assert f"using {target / 'site.toml'}" in captured.err
    assert (target / "content" / "denoising-diffusion-probabilistic-models.md").is_file()
    assert not (target / "content" / "content").exists()
    assert main(["tags"]) == 0
    out = capsys.readouterr().out
    assert "transformers" in out and "diffusion" in out


@pytest.mark.parametrize("command", [["check"], ["build"], ["tags"], ["new", "X"], ["serve", "--port", "0"],
                                     ["deploy"], ["import", "x.txt"]])
def test_without_a_site_toml_commands_say_so_and_write_nothing(tmp_path, monkeypatch, capsys, command):
    monkeypatch.chdir(tmp_path)
    assert main(command) == 1
    err = capsys.readouterr().err
    assert "site.toml: not found in" in err and "papershelf init" in err and "Traceback" not in err
    assert list(tmp_path.iterdir()) == []


def test_import_with_content_works_without_a_site_toml(tmp_path, monkeypatch, capsys):
    seed = Path(__file__).resolve().parents[1] / "sources" / "hf-daily-papers-2025-10-29.txt"
    monkeypatch.chdir(tmp_path)
    assert main(["import", str(seed), "--content", "papers"]) == 0
    assert len(list((tmp_path / "papers").glob("*.md"))) == 48


@pytest.mark.parametrize("port", ["99999", "-1", "http"])
def test_serve_refuses_an_impossible_port_as_a_usage_error(tmp_path, capsys, port):
    with pytest.raises(SystemExit) as stopped:
        main(["serve", "--port", port])
    assert stopped.value.code == 2
    assert "--port" in capsys.readouterr().err


def test_verbose_build_says_which_config_where_the_time_went_and_what_was_written(tmp_path, monkeypatch, capsys):
    assert main(["init", str(tmp_path / "list"), "-q"]) == 0
    monkeypatch.chdir(tmp_path / "list")
    assert main(["-v", "build", "--no-search"]) == 0
    err = capsys.readouterr().err
    assert f"using {tmp_path / 'list' / 'site.toml'}" in err
    assert "phases: load " in err and "render " in err and "write " in err
    assert "papers: 1; files: " in err and "build: full" in err
    assert main(["build", "--no-search"]) == 0
    assert "phases:" not in capsys.readouterr().err   # only with -v
