"""Hostile text in entries and site.toml ends up only as text: in pages, attributes, feeds, JSON and BibTeX."""

import json
import xml.etree.ElementTree as ET
from html.parser import HTMLParser

import jinja2
import pytest

from papershelf.build import build
from papershelf.config import load_config
from papershelf.resources import default_theme
import needs
from site_helpers import FIXTURES, serve

HOSTILE = FIXTURES / "hostile"
PAYLOADS = ["<script>alert(1)</script>", '"><img src=x onerror=alert(1)>', "</script>", "{{ 7*7 }}"]
# The scripts written into a page rather than loaded from assets/: the search page's first (its head).
_TEMPLATES = jinja2.Environment(loader=jinja2.FileSystemLoader(str(default_theme() / "templates")))
SEARCH_PAGE_SCRIPT = _TEMPLATES.get_template("search-preload.js").render().strip()
# ... and the browse page's (its head: with a query in the address, the search's files asked for early).
BROWSE_PAGE_SCRIPT = _TEMPLATES.get_template("browse-start.js").render().strip()


@pytest.fixture(scope="module")
def hostile_site(tmp_path_factory):
    out = tmp_path_factory.mktemp("hostile") / "site"
    build(load_config(HOSTILE / "site.toml"), out=out)
    return out


class _Elements(HTMLParser):
    """Every element and attribute a browser would create from the page."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict]] = []
        self.text: list[str] = []
        self.scripts: list[str] = []   # the text inside each <script>, in order
        self._in_script = False

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))
        if tag == "script":
            self.scripts.append("")
            self._in_script = True

    def handle_endtag(self, tag):
        if tag == "script":
            self._in_script = False

    def handle_data(self, data):
        self.text.append(data)
        if self._in_script:
            self.scripts[-1] += data


def _parse(html: str) -> _Elements:
    parser = _Elements()
    parser.feed(html)
    return parser


def _assert_no_injected_markup(html: str, where: str) -> _Elements:
    parsed = _parse(html)
    for tag, attrs in parsed.tags:
        assert tag not in ("img", "svg", "iframe", "object"), f"{where}: <{tag}>"
        assert not [a for a in attrs if a.startswith("on")], f"{where}: event attribute on <{tag}>"
        for name in ("href", "src", "action"):
            assert not (attrs.get(name) or "").lower().startswith("javascript:"), f"{where}: {name}"
    scripts = iter(parsed.scripts)
    for tag, attrs in parsed.tags:
        if tag == "script":   # our own scripts, or a JSON-LD data block (never run)
            text = next(scripts)
            assert attrs.get("src", "").startswith("/x/assets/") or attrs == {"type": "application/ld+json"} \
                or (attrs == {} and where.endswith("search/index.html") and text.strip() == SEARCH_PAGE_SCRIPT) \
                or (attrs == {} and where.endswith("browse/index.html") and text.strip() == BROWSE_PAGE_SCRIPT), \
                f"{where}: script {attrs}"
    return parsed


def test_pages_show_hostile_text_as_text_and_never_as_markup(hostile_site):
    pages = sorted(hostile_site.rglob("*.html"))
    assert len(pages) >= 8
    for page in pages:
        html = page.read_text(encoding="utf-8")
        assert "<script>alert" not in html and "onerror=alert(1)>" not in html.replace("&gt;", ""), page
        _assert_no_injected_markup(html, str(page))
    paper = (hostile_site / "papers/script-in-everything/index.html").read_text()
    text = "".join(_parse(paper).text)
    for payload in PAYLOADS:
        assert payload in text                      # the reader sees exactly what the curator wrote
    assert "49" not in paper                        # {{ 7*7 }} was not evaluated


def test_attributes_stay_closed(hostile_site):
    paper = _parse((hostile_site / "papers/script-in-everything/index.html").read_text())
    meta = {a.get("property") or a.get("name"): a.get("content") for t, a in paper.tags if t == "meta"}
    assert meta["og:title"].startswith('<script>alert(1)</script> and "><img src=x onerror=alert(1)> {{ 7*7 }}')
    links = [a["href"] for t, a in paper.tags if t == "a" and "href" in a]
    # One attribute value each, not new markup; and a valid URL: the quote and brackets percent-encoded.
    assert "https://example.org/%22%3E%3Cscript%3Ealert(1)%3C/script%3E" in links
    assert "https://example.org/?q=%22onmouseover=alert(1)" in links


def test_feeds_parse_and_carry_the_text_escaped(hostile_site):
    for feed in [hostile_site / "feed.xml", *hostile_site.glob("tags/*/feed.xml")]:
        root = ET.fromstring(feed.read_bytes())        # well-formed XML despite the payloads
        ns = {"a": "http://www.w3.org/2005/Atom"}
        for entry in root.findall("a:entry", ns):
            content = entry.find("a:content", ns)
            if content is not None:
                _assert_no_injected_markup(content.text or "", str(feed))   # what a feed reader renders
    root = ET.fromstring((hostile_site / "feed.xml").read_bytes())
    titles = [e.text for e in root.iter("{http://www.w3.org/2005/Atom}title")]
    assert any(t and t.startswith("<script>alert(1)</script> and") for t in titles)


def test_json_files_parse_and_keep_the_text_as_data(hostile_site):
    papers = json.loads((hostile_site / "papers.json").read_text())
    assert "<script>" not in (hostile_site / "papers.json").read_text()
    assert any(p["title"].startswith("<script>alert(1)</script>") for p in papers["papers"])
    docs = [d for chunk in sorted((hostile_site / "search/docs").glob("*.json"))
            for d in json.loads(chunk.read_text())]
    assert any(d["title"].startswith("<script>alert(1)</script>") for d in docs)


def test_bibtex_braces_stay_balanced(hostile_site):
    for bib in [hostile_site / "papers.bib", *hostile_site.glob("papers/*/*.bib")]:
        text = bib.read_text()
        depth = 0
        for ch in text:
            depth += {"{": 1, "}": -1}.get(ch, 0)
            assert depth >= 0, bib
        assert depth == 0, bib
        assert "{{ 7*7 }}" not in text


@pytest.mark.browser
@pytest.mark.slow
def test_opening_the_pages_in_chromium_runs_no_injected_script(hostile_site):
    dialogs, errors = [], []
    with serve(hostile_site, "/x/") as root, needs.launched_chromium("hostile entries run no script when their pages are opened") as browser:
        page = browser.new_page()
        page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
        page.on("pageerror", lambda e: errors.append(str(e)))
        for path in ["", "papers/script-in-everything/", "tags/script-alert-1-script/", "archive/",
                     "search/?q=script"]:
            page.goto(root + path)
            page.wait_for_load_state("networkidle")
        # The search page showed the hostile title as a result (search.js rendered it) and still no alert.
        page.locator("#search-results li").first.wait_for(timeout=5000)
        assert "<script>alert(1)</script>" in page.locator("#search-results").inner_text()
    assert dialogs == [] and errors == []
