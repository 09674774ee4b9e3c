"""site.toml problems are reported with the key and its line, all at once."""

from pathlib import Path

import pytest

from papershelf.config import load_config
from papershelf.errors import SiteErrors

ROOT = Path(__file__).resolve().parents[1]


def problems(tmp_path, text):
    path = tmp_path / "site.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(SiteErrors) as info:
        load_config(path)
    return [(e.line, e.message) for e in info.value.errors]


def test_the_shipped_config_loads_with_its_tag_rules():
    config = load_config(ROOT / "site.toml")
    assert "diffusion" in config.tags.rules and "music" in config.tags.rules


def test_unknown_key_names_the_key_and_line(tmp_path):
    (line, message), = problems(tmp_path, 'title = "x"\n\n[search]\nenabeld = true\n')
    assert line == 4 and "unknown key 'search.enabeld'" in message


def test_wrong_type_names_the_key_expected_type_and_line(tmp_path):
    (line, message), = problems(tmp_path, 'title = "x"\nfeed_limit = "20"\n')
    assert (line, message) == (2, "'feed_limit' must be an integer, not a string")


def test_every_problem_is_reported_at_once(tmp_path):
    found = problems(tmp_path, 'titel = "x"\nper_page = true\n[tags.rules]\nmusic = "music"\nempty = []\n')
    assert sorted(found) == [(1, found[0][1]), (2, "'per_page' must be an integer, not a boolean"),
                             (3, "'tags.rules' must be a table of lists of strings, not a table")]
    assert "unknown key 'titel'" in found[0][1]
    found = problems(tmp_path, 'title = "x"\n[tags.rules]\nmusic = ["music"]\nempty = []\n')
    assert found == [(4, "tag rule 'empty' lists no words")]


def test_toml_syntax_error_gives_its_line(tmp_path):
    (line, message), = problems(tmp_path, 'title = "x"\nper_page = 20\nbase_url = "https://a.b/\n')
    assert line == 3 and message.startswith("invalid TOML")
