"""From page to entry: "Edit this entry" on every paper page goes to the entry on GitHub (repo_url, edit_uri);
in the preview, with editor_url, it opens the file at its title's line in the curator's editor. The built
site never holds a local path. Bad values are refused with site.toml's line."""

from __future__ import annotations

import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import quote, unquote

import pytest

from papershelf.build import build
from papershelf.config import load_config
from papershelf.errors import SiteErrors
from site_helpers import REPO, shipped_site
from test_serve import ServeProcess

GITHUB = "https://github.com/example/reading-list"
# The title is not on the entry's second line, so {line} has something to prove.
ENTRY = """---
date: 2017-06-12
authors: [Ashish Vaswani]
title: Attention Is All You Need
tags: [transformers]
---
The dominant sequence transduction models are based on complex recurrent networks.
"""


class _EditLinks(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.links, self._href = [], None

    def handle_starttag(self, tag, attrs):
        if tag == "a":
            self._href = dict(attrs).get("href")

    def handle_data(self, data):
        if self._href is not None and data.strip() == "Edit this entry":
            self.links.append(self._href)

    def handle_endtag(self, tag):
        if tag == "a":
            self._href = None


def edit_links(html: str) -> list[str]:
    parser = _EditLinks()
    parser.feed(html)
    return parser.links


def title_line(entry: Path) -> int:
    return next(n for n, line in enumerate(entry.read_text(encoding="utf-8").splitlines(), 1)
                if line.startswith("title:"))


def test_every_paper_page_links_to_its_entry_on_github_percent_encoded(tmp_path):
    # A list kept in a folder of the repository, its entries in a folder whose name has a space.
    root = shipped_site(tmp_path / "list", f'title = "T"\nbase_url = "https://example.github.io/reading-list/"\n'
                        f'repo_url = "{GITHUB}/"\nedit_uri = "edit/main/list/"\ncontent_dir = "my papers"\n')
    (root / "content").rename(root / "my papers")
    build(load_config(root / "site.toml"), out=root / "site")
    pages = sorted((root / "site" / "papers").glob("*/index.html"))
    assert len(pages) == 48
    for page in pages:
        links = edit_links(page.read_text(encoding="utf-8"))
        assert links == [f"{GITHUB}/edit/main/list/my%20papers/{page.parent.name}.md"], page
        # The link names the entry's real file, relative to the repository's list/ folder.
        assert (root / unquote(links[0].removeprefix(f"{GITHUB}/edit/main/list/"))).is_file()
    # List pages link to papers, not to entries.
    assert edit_links((root / "site" / "index.html").read_text(encoding="utf-8")) == []


def test_without_repo_url_there_is_no_edit_link(tmp_path):
    root = shipped_site(tmp_path, 'base_url = "https://example.github.io/reading-list/"\n')
    build(load_config(root / "site.toml"), out=root / "site")
    assert not any(edit_links(p.read_text(encoding="utf-8")) for p in (root / "site" / "papers").glob("*/index.html"))


def test_the_built_site_never_contains_a_local_path(tmp_path):
    root = shipped_site(tmp_path / "list", f'base_url = "https://example.github.io/reading-list/"\n'
                        f'repo_url = "{GITHUB}"\neditor_url = "vscode://file/{{path}}:{{line}}"\n',
                        {"attention.md": ENTRY})
    build(load_config(root / "site.toml"), out=root / "site")
    local = [str(root), str(root.resolve()), quote(str(root.resolve())), "vscode:", "file://"]
    files = [p for p in (root / "site").rglob("*") if p.is_file()]
    assert len(files) > 100
    leaks = [(p.name, mark) for p in files for mark in local if mark.encode() in p.read_bytes()]
    assert leaks == []
    page = (root / "site" / "papers" / "attention" / "index.html").read_text(encoding="utf-8")
    assert edit_links(page) == [f"{GITHUB}/edit/main/content/attention.md"]


def test_in_the_preview_the_link_opens_the_file_at_its_title_line_in_the_editor(tmp_path):
    root = tmp_path / "my list"   # a space in the path: percent-encoded in the link
    (root / "content").mkdir(parents=True)
    entry = root / "content" / "attention.md"
    entry.write_text(ENTRY, encoding="utf-8")
    config = (f'title = "Preview"\nbase_url = "https://example.github.io/reading-list/"\nrepo_url = "{GITHUB}"\n'
              'editor_url = "vscode://file/{path}:{line}"\n')
    (root / "site.toml").write_text(config, encoding="utf-8")
    server = ServeProcess(root)
    try:
        status, page = server.get("papers/attention/")
        assert status == 200
        expected = f"vscode://file{quote(entry.resolve().as_posix(), safe='/')}:{title_line(entry)}"
        assert title_line(entry) == 4 and edit_links(page) == [expected]
        # Without editor_url (site.toml edited while serving), the preview links to GitHub as the site does.
        builds = len(server.builds())
        (root / "site.toml").write_text(config.replace('editor_url = "vscode://file/{path}:{line}"\n', ""),
                                        encoding="utf-8")
        server.wait_for(lambda: len(server.builds()) > builds, what="a rebuild after site.toml changed")
        assert edit_links(server.get("papers/attention/")[1]) == [f"{GITHUB}/edit/main/content/attention.md"]
    finally:
        assert server.stop() == 0


@pytest.mark.parametrize("line, message", [
    ('repo_url = "github.com/example/list"', "'repo_url' must be the repository's http(s) address"),
    ('repo_url = "javascript:alert(1)"', "'repo_url' must be the repository's http(s) address"),
    ('edit_uri = "/edit/main/"', "'edit_uri' must be a path inside repo_url"),
    ('edit_uri = "../../elsewhere/"', "'edit_uri' must be a path inside repo_url"),
    ('edit_uri = "https://gitlab.com/x/-/edit/main/"', "'edit_uri' must be a path inside repo_url"),
    ('editor_url = "vscode://file/"', "'editor_url' must be a URL pattern with {path}"),
    ('editor_url = "javascript:open(\'{path}\')"', "'editor_url' must be a URL pattern with {path}"),
    ('editor_url = "vscode://file/{path}:{column}"', "'editor_url' must be a URL pattern with {path}"),
    ('editor_url = "{path}"', "'editor_url' must be a URL pattern with {path}"),
    ("repo_url = 3", "'repo_url' must be a string"),
])
def test_bad_values_are_refused_with_the_line(tmp_path, line, message):
    (tmp_path / "site.toml").write_text(f'title = "T"\nbase_url = "https://e.github.io/r/"\n{line}\n', encoding="utf-8")
    with pytest.raises(SiteErrors) as caught:
        load_config(tmp_path / "site.toml")
    assert [(e.line, message in e.message) for e in caught.value.errors] == [(3, True)]


def test_the_command_line_reports_a_bad_editor_url_as_file_line_without_a_traceback(tmp_path):
    shipped_site(tmp_path, 'base_url = "https://e.github.io/r/"\n\neditor_url = "code {path}"\n')
    done = subprocess.run([sys.executable, "-m", "papershelf", "build"], cwd=tmp_path, capture_output=True,
                          text=True, env={"PYTHONPATH": str(REPO), "PATH": "/usr/bin:/bin"})
    assert done.returncode != 0 and "Traceback" not in done.stderr
    assert "site.toml:3: 'editor_url' must be a URL pattern with {path}" in done.stderr
    assert not (tmp_path / "site").exists()
