"""Every generated page passes the Nu HTML Checker (vnu.jar from node_modules) with zero errors."""

import json
import subprocess

import pytest

from papershelf.build import build
import needs
from site_helpers import FIXTURES, small_config


@pytest.mark.slow
@pytest.mark.parametrize("fixture", ["small", "hostile"])
def test_every_page_of_the_fixture_sites_is_valid_html(tmp_path, fixture):
    """The small site has every page kind (drafts too); the hostile one, entries a sanitiser must mend."""
    java, vnu = needs.java_vnu("every page of the fixture sites is valid HTML")
    out = tmp_path / "site"
    build(small_config(FIXTURES / fixture), out=out, drafts=True)
    pages = sorted(str(p) for p in out.rglob("*.html"))
    assert len(pages) >= (15 if fixture == "small" else 5)
    run = subprocess.run([java, "-jar", str(vnu), "--errors-only", "--format", "json", *pages],
                         capture_output=True, text=True, timeout=300)
    messages = json.loads(run.stderr or run.stdout)["messages"]
    problems = [f"{m.get('url', '').rsplit('/site/', 1)[-1]}:{m.get('lastLine')}: {m.get('message')}" for m in messages]
    assert problems == []
