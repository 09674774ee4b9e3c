"""Atom feeds read back by feedparser and by a strict XML parser."""

from __future__ import annotations

import html
import json
import re
import xml.etree.ElementTree as ET
from datetime import date

import feedparser
import pytest

from papershelf.config import config_from_dict
from papershelf.feeds import Feeds, atom_feed
from papershelf.model import Links, Paper, Source
from papershelf.taxonomy import group_tags

import needs
from needs import HF_DATA
import feed_reference
from site_helpers import shipped_papers
ATOM = "{http://www.w3.org/2005/Atom}"
PAYLOADS = ["<script>alert(1)</script>", '"><img src=x onerror=alert(1)>', "{{ 7*7 }}", "Tom & Jerry's <b>"]


def config(**kw):
    kw.setdefault("base_url", "https://user.github.io/repo/")
    kw.setdefault("title", "Shelf")
    return config_from_dict(kw)


def paper(slug, title=None, day=None, **kw) -> Paper:
    return Paper(slug=slug, path=f"content/{slug}.md", title=title or slug.title(),
                 date=date(2024, 5, day) if day else None, **kw)


def site_feed(papers, cfg):
    """The site's feed as the build makes it (feed.xml)."""
    return atom_feed(papers, cfg, feed_path="feed.xml")


def tag_feed(tag, cfg):
    """A tag's feed as the build makes it (extras.add_extras)."""
    url = f"tags/{tag.slug}/"
    return atom_feed(list(tag.papers), cfg, feed_path=url + "feed.xml", page_path=url, title=f"{cfg.title}: {tag.name}")


def parse(xml: str):
    ET.fromstring(xml.encode("utf-8"))  # strict XML: raises on anything malformed
    parsed = feedparser.parse(xml)
    assert not parsed.bozo, parsed.get("bozo_exception")
    assert parsed.version == "atom10"
    return parsed


def assert_required_atom_elements(parsed):
    feed = parsed.feed
    assert feed.id and feed.title and feed.updated
    rels = {link.rel: link.href for link in feed.links}
    assert rels["self"].endswith(".xml") and "alternate" in rels
    for entry in parsed.entries:
        assert entry.id and entry.title and entry.updated and entry.link


def _hf_papers(limit_files: int = 5) -> list[Paper]:
    papers = []
    for file in sorted(HF_DATA.glob("*.json"))[:limit_files]:
        for item in json.loads(file.read_text(encoding="utf-8")):
            raw = item["paper"]
            papers.append(Paper(
                slug=raw["id"].replace(".", "-"), path=file.name, title=" ".join(raw["title"].split()),
                abstract=raw.get("summary", ""), date=date.fromisoformat(raw["publishedAt"][:10]),
                authors=tuple(a["name"] for a in raw.get("authors", [])), arxiv_id=raw["id"],
                links=Links(arxiv=f"https://arxiv.org/abs/{raw['id']}"), tags=("llm",)))
    return papers


@pytest.mark.parametrize("corpus", ["shipped", "shared"])
def test_real_papers_make_a_valid_feed_of_the_newest_entries_newest_first(corpus):
    if corpus == "shipped":
        papers = shipped_papers()
    else:
        needs.shared(HF_DATA, "feeds of real API papers (authors, hard-wrapped titles) are valid Atom")
        papers = _hf_papers()
    cfg = config(feed_limit=15)
    parsed = parse(site_feed(papers, cfg))
    assert_required_atom_elements(parsed)
    assert len(parsed.entries) == 15
    dates = [e.published for e in parsed.entries]
    assert dates == sorted(dates, reverse=True)
    newest = max(p.date for p in papers if p.date)
    assert parsed.feed.updated == f"{newest.isoformat()}T00:00:00Z"
    first = min((p for p in papers if p.date == newest), key=lambda p: p.sort_key())
    assert parsed.entries[0].title == first.title
    assert parsed.entries[0].link == f"https://user.github.io/repo/papers/{first.slug}/"
    assert [a.name for a in parsed.entries[0].get("authors", [])] == list(first.authors)


@pytest.mark.parametrize("payload", PAYLOADS)
def test_hostile_text_comes_back_as_literal_text_and_never_as_markup(payload):
    p = paper("x", title=payload, day=3, authors=(payload,), tags=(payload,), abstract=f"Intro {payload} end")
    xml = site_feed([p], config(title=payload, description=payload, author=payload))
    assert "<script" not in xml and "<img" not in xml
    parsed = parse(xml)
    assert parsed.feed.title == payload
    assert parsed.feed.subtitle == payload
    entry = parsed.entries[0]
    assert entry.title == payload
    assert entry.authors[0].name == payload
    assert entry.tags[0].label == payload
    # The abstract is HTML (escaped in the XML); as HTML it shows the payload as text, not as elements.
    body = entry.content[0].value
    assert "<script" not in body and "<img" not in body
    assert f"Intro {payload} end" in html.unescape(re.sub(r"<[^>]*>", "", body))


def test_characters_xml_forbids_are_removed_so_the_feed_parses():
    p = paper("x", title="Bad\x00ti\x0btle\x1f", day=1, abstract="null \x00 byte \x08 and \ufffe")
    parsed = parse(site_feed([p], config()))
    assert parsed.entries[0].title == "Badtitle"


def test_rebuilding_an_unchanged_shelf_gives_the_same_bytes_and_updated_follows_the_papers():
    papers = [paper("a", day=1), paper("b", day=20), paper("c")]
    first = site_feed(papers, config())
    assert site_feed(list(reversed(papers)), config()) == first
    assert parse(first).feed.updated == "2024-05-20T00:00:00Z"
    later = site_feed(papers + [paper("d", day=25)], config())
    assert parse(later).feed.updated == "2024-05-25T00:00:00Z"


def test_undated_papers_come_last_with_their_listing_date_or_a_fixed_one():
    listed = paper("listed", source=Source("daily.txt", date(2024, 4, 2), "hf-text"))
    unknown = paper("unknown")
    parsed = parse(site_feed([unknown, listed, paper("dated", day=9)], config()))
    assert [e.id.rsplit("/", 2)[-2] for e in parsed.entries] == ["dated", "listed", "unknown"]
    assert parsed.entries[1].updated == "2024-04-02T00:00:00Z"
    assert parsed.entries[2].updated == "1970-01-01T00:00:00Z"
    only_undated = parse(site_feed([unknown], config()))
    assert only_undated.feed.updated == "1970-01-01T00:00:00Z"


def test_an_empty_shelf_still_has_a_valid_feed():
    parsed = parse(site_feed([], config()))
    assert parsed.entries == [] and parsed.feed.id


def test_tag_feed_holds_only_that_tags_papers_and_points_at_the_tag_page():
    papers = [paper("a", day=1, tags=("LLM",)), paper("b", day=2, tags=("llm", "rl")), paper("c", day=3, tags=("rl",))]
    llm = next(t for t in group_tags(papers) if t.slug == "llm")
    parsed = parse(tag_feed(llm, config()))
    assert_required_atom_elements(parsed)
    assert [e.title for e in parsed.entries] == ["B", "A"]
    rels = {link.rel: link.href for link in parsed.feed.links}
    assert rels == {"self": "https://user.github.io/repo/tags/llm/feed.xml",
                    "alternate": "https://user.github.io/repo/tags/llm/"}
    assert "LLM" in parsed.feed.title


@pytest.mark.parametrize("base_url, root", [
    ("https://user.github.io/repo/", "https://user.github.io/repo/"),
    ("https://user.github.io/repo", "https://user.github.io/repo/"),
    ("https://papers.example.org/", "https://papers.example.org/"),
])
def test_every_feed_url_is_absolute_under_base_url(base_url, root):
    xml = atom_feed([paper("a", day=1, tags=("x",))], config(base_url=base_url), feed_path="feed.xml")
    tree = ET.fromstring(xml)
    urls = [tree.find(f"{ATOM}id").text] + [e.get("href") for e in tree.iter(f"{ATOM}link")]
    urls += [e.text for e in tree.iter(f"{ATOM}id")]
    assert urls and all(u.startswith(root) and "//" not in u[len("https://"):] for u in urls)
    assert tree.find(f"{ATOM}entry/{ATOM}link").get("href") == root + "papers/a/"


def test_entry_content_is_the_rendered_abstract_and_links_to_the_paper():
    p = paper("a", day=1, abstract="We use *sparse* attention.", links=Links(pdf="https://arxiv.org/pdf/1"))
    entry = parse(site_feed([p], config())).entries[0]
    assert entry.content[0].type == "text/html"
    assert "<em>sparse</em>" in entry.content[0].value
    assert {"rel": "related", "type": "application/pdf", "href": "https://arxiv.org/pdf/1", "title": "PDF"} in [
        dict(link) for link in entry.links]


EDGE_PAPERS = [
    paper("a", title="Tom & Jerry <b>\"q\"</b>\tx\ny\r", day=1, authors=("A\x01", "", "  ", "B & \"C\"\n"),
          tags=("x&y", "X&Y", "t\"ab\t", "\x02"), abstract="An *abstract* with <tags> & \x00 and \ufffe.",
          links=Links(arxiv="https://arxiv.org/abs/1?a=1&b=\"2\"", pdf="https://x/p.pdf", code="https://g/c")),
    paper("b", title="\x01", source=Source("l.txt", date(2024, 4, 2), "hf-text")),
    paper("c", title="Plain", day=9, abstract="", tags=()),
    paper("d", title="Notes only", notes="n", day=9),
]


@pytest.mark.parametrize("settings", [{}, {"language": "", "description": "D & <d>", "author": "Me \"x\""},
                                      {"language": "de\"", "title": "\x00", "feed_limit": 2}])
@pytest.mark.parametrize("corpus", ["edge", "shipped", "shared"])
def test_feeds_are_byte_for_byte_what_elementtree_wrote(corpus, settings):
    """The string-built feeds against the ElementTree implementation they replaced (tests/feed_reference.py)."""
    if corpus == "edge":
        papers = EDGE_PAPERS
    elif corpus == "shipped":
        papers = shipped_papers()
    else:
        needs.shared(HF_DATA, "feeds of real API papers equal ElementTree's")
        papers = _hf_papers(20)
    cfg = config(**settings)
    feeds = Feeds(cfg)
    for tag in [None, *group_tags(papers)]:
        members = papers if tag is None else list(tag.papers)
        where = {} if tag is None else {"feed_path": f"tags/{tag.slug}/feed.xml", "page_path": f"tags/{tag.slug}/",
                                        "title": f"{cfg.title}: {tag.name}"}
        where.setdefault("feed_path", "feed.xml")
        assert feeds.feed(members, **where) == feed_reference.atom_feed(members, cfg, **where), tag
    assert feeds.feed([], feed_path="feed.xml") == feed_reference.atom_feed([], cfg, feed_path="feed.xml")
