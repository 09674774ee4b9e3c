"""Paper pages as reference managers and scholarly search engines read them, through real extractors:
extruct for JSON-LD and Open Graph, an HTML parser for the Highwire tags, OpenURL parsing for COinS."""

from __future__ import annotations

from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import parse_qs

import extruct
import pytest

from papershelf.build import build
from papershelf.config import load_config
from site_helpers import shipped_papers, shipped_site

BASE = "https://lab.example.org/reading-list/"
HOSTILE = """---
title: '</script><script>alert(1)</script> "Quotes" & <b>tags</b>'
date: 2024-03-05
authors: ["Ada O'Lovelace", "</script>"]
tags: [security]
arxiv_id: '2403.00001'
doi: 10.1234/ABC.5
venue: Journal of <Hostile> Results
links:
  pdf: https://arxiv.org/pdf/2403.00001
---

An abstract with </script> and <!-- a comment --> in it.
"""


class _Meta(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.meta: list[tuple[str, str]] = []
        self.coins: list[str] = []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "meta" and attrs.get("name", "").startswith("citation_"):
            self.meta.append((attrs["name"], attrs["content"]))
        if tag == "span" and attrs.get("class") == "Z3988":
            self.coins.append(attrs["title"])


def parsed(html: str) -> _Meta:
    parser = _Meta()
    parser.feed(html)
    return parser


@pytest.fixture(scope="module")
def site(tmp_path_factory) -> Path:
    rated = "---\ntitle: A Paper Read And Rated\ndate: 2030-01-02\nstatus: read\nrating: 4\n---\n\nAn abstract.\n"
    root = shipped_site(tmp_path_factory.mktemp("scholar"), f'title = "Lab"\nbase_url = "{BASE}"\n',
                        {"hostile.md": HOSTILE, "rated.md": rated})
    build(load_config(root / "site.toml"), out=root / "site", search=False)
    return root / "site"


def page_of(site: Path, slug: str) -> str:
    return (site / "papers" / slug / "index.html").read_text(encoding="utf-8")


def test_every_shipped_paper_page_carries_its_metadata_in_three_vocabularies(site):
    for paper in shipped_papers():
        url = f"{BASE}papers/{paper.slug}/"
        html = page_of(site, paper.slug)
        data = extruct.extract(html, base_url=url, syntaxes=["json-ld", "opengraph"], uniform=True)
        (article,) = data["json-ld"]
        assert article["@type"] == "ScholarlyArticle" and article["name"] == paper.title
        assert article["url"] == url
        assert article.get("datePublished") == (paper.date.isoformat() if paper.date else None)
        assert article.get("keywords", []) == list(paper.tags)
        assert [a["name"] for a in article.get("author", [])] == list(paper.authors)
        (og,) = data["opengraph"]
        assert og["og:title"].startswith(paper.title) and og["og:url"] == url and og["@type"] == "article"
        assert og["og:description"]
        meta = parsed(html).meta
        assert ("citation_title", paper.title) in meta
        assert ("citation_abstract_html_url", url) in meta
        if paper.date:
            assert ("citation_publication_date", paper.date.strftime("%Y/%m/%d")) in meta
        assert [v for k, v in meta if k == "citation_keywords"] == list(paper.tags)


def test_hostile_metadata_stays_data_in_every_vocabulary(site):
    html = page_of(site, "hostile")
    url = f"{BASE}papers/hostile/"
    data = extruct.extract(html, base_url=url, syntaxes=["json-ld", "opengraph"], uniform=True)
    (article,) = data["json-ld"]     # one script element, not ended early by the title's </script>
    title = '</script><script>alert(1)</script> "Quotes" & <b>tags</b>'
    assert article["name"] == title
    assert [a["name"] for a in article["author"]] == ["Ada O'Lovelace", "</script>"]
    assert article["isPartOf"]["name"] == "Journal of <Hostile> Results"
    assert article["sameAs"] == ["https://arxiv.org/abs/2403.00001", "https://doi.org/10.1234/ABC.5"]
    assert html.count("<script>alert(1)") == 0
    meta = dict(parsed(html).meta)
    assert meta["citation_title"] == title and meta["citation_doi"] == "10.1234/ABC.5"
    assert meta["citation_arxiv_id"] == "2403.00001"
    assert meta["citation_pdf_url"] == "https://arxiv.org/pdf/2403.00001"
    assert meta["citation_journal_title"] == "Journal of <Hostile> Results"
    authors = [v for k, v in parsed(html).meta if k == "citation_author"]
    assert authors == ["Ada O'Lovelace", "</script>"]


def test_list_pages_carry_a_coins_object_per_paper_that_parses_as_openurl(site):
    index = (site / "index.html").read_text(encoding="utf-8")
    objects = [parse_qs(title, strict_parsing=True) for title in parsed(index).coins]
    shown = index.count('class="paper-item')
    assert len(objects) == shown > 0
    by_title = {p.title: p for p in shipped_papers()}
    for kev in objects:
        assert kev["ctx_ver"] == ["Z39.88-2004"] and kev["rft_val_fmt"] == ["info:ofi/fmt:kev:mtx:journal"]
        paper = by_title.get(kev["rft.atitle"][0])
        if paper is None:
            continue   # the hostile entry
        assert kev.get("rft.au", []) == list(paper.authors)
        if paper.date:
            assert kev["rft.date"] == [paper.date.isoformat()]
        assert f"{BASE}papers/{paper.slug}/" in kev["rft_id"]
    hostile = next(kev for kev in objects if kev["rft.atitle"][0].startswith("</script>"))
    assert "info:doi/10.1234/ABC.5" in hostile["rft_id"] and "info:arxiv/2403.00001" in hostile["rft_id"]
    tag_page = (site / "tags" / "security" / "index.html").read_text(encoding="utf-8")
    assert len(parsed(tag_page).coins) == 1


class _Links(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.outbound: list[tuple[str, str]] = []
        self._href: str | None = None

    def handle_starttag(self, tag, attrs):
        href = dict(attrs).get("href") or ""
        self._href = href if tag == "a" and href.startswith("https://") else None

    def handle_data(self, data):
        if self._href and data.strip():
            self.outbound.append((data.strip(), self._href))
            self._href = None


def outbound(html: str) -> dict[str, str]:
    parser = _Links()
    parser.feed(html.split("<main", 1)[1].split('<section class="abstract"', 1)[0])   # the paper's head
    return dict(parser.outbound)


def test_every_paper_page_links_out_to_the_paper_or_to_where_to_find_it(site):
    for paper in shipped_papers():
        links = outbound(page_of(site, paper.slug))
        if paper.arxiv_id:
            assert links["arXiv"] == f"https://arxiv.org/abs/{paper.arxiv_id}"
            assert links["PDF"].startswith("https://arxiv.org/pdf/")
            assert links["Hugging Face"] == f"https://huggingface.co/papers/{paper.arxiv_id}"
        elif not (paper.links.code or paper.links.project or paper.links.other):
            assert set(links) == {"arXiv", "Google Scholar", "Hugging Face"}, paper.slug
            for url in links.values():
                assert parse_qs(url.split("?", 1)[1]).popitem()[1] == [f'"{paper.title}"']
    hostile = outbound(page_of(site, "hostile"))
    assert hostile["DOI 10.1234/ABC.5"] == "https://doi.org/10.1234/ABC.5"


def test_status_and_rating_show_on_the_page_and_the_card_with_a_text_equivalent(site):
    for html in (page_of(site, "rated"), (site / "index.html").read_text(encoding="utf-8")):
        card = html.split("<main", 1)[1].split("A Paper Read And Rated", 1)[1][:1500]
        assert '<span class="badge status-read">Read</span>' in card
        assert '<span aria-hidden="true">★★★★☆</span><span class="visually-hidden">rated 4 of 5</span>' in card


def test_a_short_author_list_is_shown_once_and_dates_are_written_alike(site):
    head = page_of(site, "hostile").split("<main", 1)[1].split('<section class="abstract"', 1)[0]
    assert head.count("Lovelace") == 1
    archive = (site / "archive" / "index.html").read_text(encoding="utf-8")
    assert '<time datetime="2024-03-05">5 Mar</time>' in archive      # as everywhere else: no "05 Mar"


def test_pages_have_a_real_favicon(site):
    index = (site / "index.html").read_text(encoding="utf-8")
    assert '<link rel="icon" href="/reading-list/assets/favicon.svg" type="image/svg+xml">' in index
    assert (site / "assets" / "favicon.svg").read_text().startswith("<svg")
