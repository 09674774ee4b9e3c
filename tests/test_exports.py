"""papers.json, sitemap.xml and robots.txt: what other tools and crawlers read."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from datetime import date

import pytest

from papershelf.config import config_from_dict
from papershelf.exports import paper_lastmod, papers_json, robots_txt, sitemap
from papershelf.model import Links, Paper

SM = "{http://www.sitemaps.org/schemas/sitemap/0.9}"
PAYLOADS = ["<script>alert(1)</script>", '"><img src=x onerror=alert(1)>', "{{ 7*7 }}", "</script><!--",
            "a\u2028b", "Tom & Jerry"]


def config(**kw):
    kw.setdefault("base_url", "https://user.github.io/repo/")
    return config_from_dict(kw)


def paper(slug, **kw) -> Paper:
    kw.setdefault("title", slug.title())
    return Paper(slug=slug, path=f"content/{slug}.md", **kw)


FULL = paper("attention", title="Attention", date=date(2017, 6, 12), authors=("Ashish Vaswani", "Noam Shazeer"),
             authors_count=8, upvotes=42, tags=("LLM", "transformers"), arxiv_id="1706.03762", status="read",
             rating=5, abstract="We *propose*.", notes="Read twice.",
             links=Links(arxiv="https://arxiv.org/abs/1706.03762", code="https://github.com/x/y",
                         other=("https://example.org/a",)))


def test_papers_json_carries_every_field_a_reader_of_the_data_needs():
    data = json.loads(papers_json([FULL, paper("bare")], config()))
    assert data["count"] == 2 and data["base_url"] == "https://user.github.io/repo/"
    record, bare = data["papers"]
    assert record == {
        "slug": "attention", "title": "Attention",
        "url": "https://user.github.io/repo/papers/attention/",
        "bibtex": "https://user.github.io/repo/papers/attention/attention.bib",
        "date": "2017-06-12", "authors": ["Ashish Vaswani", "Noam Shazeer"], "author_count": 8, "upvotes": 42,
        "tags": ["LLM", "transformers"], "tag_slugs": ["llm", "transformers"],
        "links": {"arxiv": "https://arxiv.org/abs/1706.03762", "pdf": "", "code": "https://github.com/x/y",
                  "project": "", "other": ["https://example.org/a"]},
        "arxiv_id": "1706.03762", "status": "read", "rating": 5, "abstract": "We *propose*.", "notes": "Read twice.",
    }
    assert bare["date"] is None and bare["rating"] is None and bare["author_count"] is None


@pytest.mark.parametrize("payload", PAYLOADS)
def test_papers_json_round_trips_hostile_text_and_is_inert_inside_html(payload):
    p = paper("x", title=payload, authors=(payload,), tags=(payload,), abstract=payload, notes=payload)
    text = papers_json([p], config(title=payload))
    record = json.loads(text)["papers"][0]
    assert (record["title"], record["authors"], record["tags"], record["abstract"]) == (
        payload, [payload], [payload], payload)
    assert json.loads(text)["title"] == payload
    # Inlined in a <script> element, nothing in it could close the element or start markup.
    for char in "<>&\u2028":
        assert char not in text


def test_papers_json_is_identical_on_rebuild_and_valid_when_empty():
    assert papers_json([FULL], config()) == papers_json([FULL], config())
    assert json.loads(papers_json([], config()))["papers"] == []


def _locs(xml: str) -> list[str]:
    root = ET.fromstring(xml.encode())
    assert root.tag == f"{SM}urlset"
    return [u.find(f"{SM}loc").text for u in root.findall(f"{SM}url")]


@pytest.mark.parametrize("base_url, root", [
    ("https://user.github.io/repo/", "https://user.github.io/repo/"),
    ("https://user.github.io/repo", "https://user.github.io/repo/"),
    ("https://papers.example.org/", "https://papers.example.org/"),
])
def test_sitemap_urls_are_absolute_and_under_base_url(base_url, root):
    paths = ["", "papers/attention/", "tags/", "tags/llm/page/2/", "archive/", "/search/"]
    locs = _locs(sitemap(paths, config(base_url=base_url)))
    assert locs == [root, root + "papers/attention/", root + "tags/", root + "tags/llm/page/2/",
                    root + "archive/", root + "search/"]


def test_sitemap_has_lastmod_where_known_lists_each_url_once_and_encodes_urls():
    xml = sitemap(["", "papers/attention/", "papers/attention/", "tags/caf\u00e9 & co/"], config(),
                  lastmod=paper_lastmod([FULL, paper("undated")]))
    root = ET.fromstring(xml.encode())
    urls = root.findall(f"{SM}url")
    assert len(urls) == 3
    assert [u.findtext(f"{SM}lastmod") for u in urls] == [None, "2017-06-12", None]
    assert urls[2].findtext(f"{SM}loc") == "https://user.github.io/repo/tags/caf%C3%A9%20&%20co/"


@pytest.mark.parametrize("base_url", ["https://user.github.io/repo/", "https://papers.example.org/"])
def test_robots_txt_allows_crawling_and_names_the_absolute_sitemap(base_url):
    text = robots_txt(config(base_url=base_url))
    lines = text.splitlines()
    assert "User-agent: *" in lines
    assert f"Sitemap: {base_url}sitemap.xml" in lines
    assert "Disallow: /" not in lines


@pytest.mark.parametrize("count", [0, 1, 8, 9, 17])
def test_the_browse_files_are_at_the_paths_the_plan_names_before_making_them(count):
    """The build plans browse/ by ``browse_paths`` and makes the files only once the pages are shown."""
    from papershelf.exports import browse_files, browse_paths
    from papershelf.incremental import PaperDigests
    from papershelf.markdown import MarkdownRenderer
    papers = [paper(f"p{i}", date=date(2024, 1, 1 + i % 28), tags=("t",), abstract=f"Text {i}.") for i in range(count)]
    made = browse_files(papers, MarkdownRenderer(False), PaperDigests().update(papers), first=20)
    assert browse_paths(papers, 20) == list(made)


def test_a_facet_values_first_page_file_holds_its_first_papers_in_each_sort_with_their_cards():
    """browse/first/<value>-<sort>.json: the first papers (per_page of them) having a facet value, in that
    sort (ties in site order, newest first), each with its card as its chunk has it."""
    from papershelf.exports import BROWSE_FIRST, ITEMS_PER_CHUNK, browse_files
    from papershelf.incremental import PaperDigests
    from papershelf.markdown import MarkdownRenderer
    # site order: newest first
    papers = [paper("zeta", date=date(2024, 5, 1), status="read", rating=3, upvotes=5, tags=("llm",)),
              paper("alpha", date=date(2024, 4, 1), status="read", rating=5, upvotes=5, tags=("llm", "music")),
              paper("mu", date=date(2024, 3, 1), status="to-read", upvotes=9, tags=("llm",),
                    links=Links(code="https://github.com/x/mu")),
              paper("beta", date=date(2024, 2, 1), status="read", rating=3, upvotes=7, tags=("music", "llm")),
              paper("omega", date=date(2024, 1, 1), rating=1, upvotes=1, tags=("music",))]
    papers += [paper(f"old{i}", date=date(2020, 1, 9 - i), tags=("old",)) for i in range(7)]
    files = browse_files(papers, MarkdownRenderer(False), PaperDigests().update(papers), first=2)
    facets = json.loads(files["browse/facets.json"])
    assert facets["first"] == {"count": 2, "sorts": ["date", "rating", "upvotes", "title"]}
    llm = [t[1] for t in facets["tags"]].index("llm")

    def refs(name):
        return [papers[r].slug for r in json.loads(files[f"{BROWSE_FIRST}{name}.json"])["refs"]]

    assert refs(f"t{llm}-date") == ["zeta", "alpha"]
    assert refs(f"t{llm}-rating") == ["alpha", "zeta"]          # 5, then 3 and 3: the newer first
    assert refs(f"t{llm}-upvotes") == ["mu", "beta"]
    assert refs(f"t{llm}-title") == ["alpha", "beta"]
    assert refs("s3-upvotes") == ["beta", "zeta"]               # read: 7, then 5 and 5: the newer first
    assert refs("s0-date") == ["omega", "old0"]                 # no status
    assert refs("r3-title") == ["alpha", "beta"]                # rated 3 or more
    # none for fewer than three papers (one with code, none being read): their cards take as few chunks
    assert not any(name.startswith((f"{BROWSE_FIRST}s2-", f"{BROWSE_FIRST}c-", f"{BROWSE_FIRST}s1-")) for name in files)
    assert not [name for name in browse_files(papers[:8], MarkdownRenderer(False), PaperDigests().update(papers[:8]),
                                              first=2) if BROWSE_FIRST in name]
    chunk = json.loads(files[f"browse/items/{3 // ITEMS_PER_CHUNK}.json"])
    file = json.loads(files[f"{BROWSE_FIRST}s3-upvotes.json"])
    assert file["items"][0] == chunk[3 % ITEMS_PER_CHUNK] and file["refs"][0] == 3
