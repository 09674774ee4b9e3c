"""Command-line options a newcomer reaches for: each does what its --help says."""

from __future__ import annotations

import pytest

from papershelf.cli import main, make_parser
from test_serve import ServeProcess, make_site


def test_serve_without_search_serves_the_site_without_the_search_page(tmp_path):
    site = make_site(tmp_path / "site")
    serve = ServeProcess(site, "--no-search")
    try:
        status, page = serve.get("")
        assert status == 200 and "Original Watched Title" in page
        assert serve.get("search/")[0] == 404
        assert serve.get("search/manifest.json")[0] == 404
    finally:
        serve.stop()


def test_every_command_has_a_description_in_its_help(capsys):
    commands = make_parser()._subparsers._group_actions[0].choices
    for name, parser in commands.items():
        assert parser.description and len(parser.description) > 30, name
    with pytest.raises(SystemExit):
        main(["tags", "--help"])
    assert "near-duplicates" in capsys.readouterr().out
