"""Feeds opened in a browser: the theme's XSL stylesheet shows them as a readable page in Chromium (served under
a subpath by a real server), while feed readers (feedparser, a strict XML parser) read the same bytes as before."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

import feedparser
import pytest

import needs
from papershelf.build import build
from papershelf.config import load_config
from site_helpers import fetch, serve, shipped_site

pytestmark = [pytest.mark.browser]
ATOM = "{http://www.w3.org/2005/Atom}"
FEEDS = ["feed.xml", "tags/llm/feed.xml"]


@pytest.fixture(scope="module")
def site(tmp_path_factory) -> Path:
    root = shipped_site(tmp_path_factory.mktemp("feeds"), 'title = "Reading <group> & friends"\n'
                        'description = "Papers we read"\nbase_url = "https://u.github.io/shelf/"\n')
    build(load_config(root / "site.toml"), out=root / "site")
    return root / "site"


@pytest.mark.parametrize("path", FEEDS)
def test_feed_readers_still_read_the_styled_feed(site, path):
    data = (site / path).read_bytes()
    assert data.splitlines()[1] == b'<?xml-stylesheet type="text/xsl" href="/shelf/assets/feed.xsl"?>'
    parsed = feedparser.parse(data)
    assert not parsed.bozo and parsed.version == "atom10"
    root = ET.fromstring(data)
    assert root.tag == ATOM + "feed" and len(parsed.entries) == len(root.findall(ATOM + "entry")) > 0
    assert parsed.feed.title == root.findtext(ATOM + "title")


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_chromium_shows_each_feed_as_a_page_with_its_entries(site, scheme):
    axe = (needs.REPO / "node_modules" / "axe-core" / "axe.min.js").read_text(encoding="utf-8")
    with serve(site, "/shelf/") as root, needs.launched_chromium("feeds styled by XSL in a browser") as browser:
        assert fetch(root + "assets/feed.xsl")[0] == 200
        context = browser.new_context(color_scheme=scheme)
        page = context.new_page()
        for path in FEEDS:
            feed = ET.fromstring((site / path).read_bytes())
            entries = feed.findall(ATOM + "entry")
            page.goto(root + path)
            shown = page.evaluate("""() => ({
                root: document.documentElement.tagName, lang: document.documentElement.lang,
                h1: document.querySelector('h1') && document.querySelector('h1').textContent,
                address: document.querySelector('.about code').textContent,
                entries: [...document.querySelectorAll('li.entry')].map(li => ({
                    title: li.querySelector('h2').textContent.trim(), href: li.querySelector('h2 a').href,
                    tags: [...li.querySelectorAll('a.tag')].map(a => a.href)})),
                background: getComputedStyle(document.body).backgroundColor})""")
            assert shown["root"] == "HTML" and shown["lang"] == "en"
            assert shown["h1"] == feed.findtext(ATOM + "title")
            assert shown["address"] == f"https://u.github.io/shelf/{path}"
            assert [(e["title"], e["href"]) for e in shown["entries"]] == [
                (e.findtext(ATOM + "title"), e.find(ATOM + "link[@rel='alternate']").get("href")) for e in entries]
            assert all(tag.startswith("https://u.github.io/shelf/tags/") for e in shown["entries"] for tag in e["tags"])
            assert shown["background"] == ("rgb(20, 22, 26)" if scheme == "dark" else "rgb(251, 250, 247)")
            page.add_script_tag(content=axe)
            result = page.evaluate("axe.run(document, {resultTypes: ['violations']})")
            assert [(v["id"], [n["target"] for n in v["nodes"]]) for v in result["violations"]] == [], path
        context.close()


def test_the_preview_shows_a_feed_as_a_page_too(tmp_path):
    from test_serve import ServeProcess

    shipped_site(tmp_path, 'title = "Preview feed"\nbase_url = "https://u.github.io/shelf/"\n')
    server = ServeProcess(tmp_path)
    try:
        with needs.launched_chromium("the preview's feed styled by XSL") as browser:
            page = browser.new_page()
            response = page.goto(server.url + "feed.xml")
            assert response.status == 200
            page.wait_for_selector("li.entry")
            assert page.text_content("h1") == "Preview feed"
            assert page.eval_on_selector_all("li.entry", "els => els.length") == 20
    finally:
        assert server.stop() == 0
