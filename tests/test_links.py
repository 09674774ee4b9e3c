"""Every internal link of a built site resolves, at a subpath (GitHub project pages) and at a root domain."""

import pytest

from papershelf.build import build
from site_helpers import crawl, fetch, serve, small_config


@pytest.mark.parametrize("base_url, prefix", [
    ("https://example.org/reading-list/", "/reading-list/"),
    ("https://papers.example.org/", "/"),
])
def test_every_internal_link_resolves_when_served_under_the_base_path(tmp_path, base_url, prefix):
    out = tmp_path / "site"
    build(small_config(), out=out, base_url=base_url, drafts=True)
    with serve(out, prefix) as root:
        visited, broken, external = crawl(root)
        assert broken == []
        pages = {u[len(root) - 1:] for u in visited}
        # The crawl reached the kinds of pages a reader navigates to from the index.
        assert "/" in pages and "/tags/" in pages and "/archive/" in pages and "/search/" in pages
        assert "/papers/sparse-attention-at-scale/" in pages and "/page/2/" in pages and "/tags/llm/page/2/" in pages
        # Feeds, BibTeX and assets linked from pages were fetched too (they are in the crawl's seen set).
        for path in ("feed.xml", "papers.bib", "papers.json", "assets/style.css", "assets/site.js",
                     "papers/sparse-attention-at-scale/sparse-attention-at-scale.bib", "tags/llm/feed.xml"):
            assert fetch(root + path)[0] == 200, path
        # Nothing is loaded from another host: external links are only to the papers' own pages.
        assert all(link.startswith("https://") or link == "data:," for link in external)


def test_links_are_root_relative_with_the_base_path(tmp_path):
    out = tmp_path / "site"
    build(small_config(), out=out, base_url="https://example.org/reading-list/")
    page = (out / "papers" / "sparse-attention-at-scale" / "index.html").read_text()
    assert 'href="/reading-list/assets/style.css"' in page
    assert 'href="/reading-list/tags/llm/"' in page
    assert "../" not in page
    assert 'data-base="/reading-list/"' in page
    assert '<link rel="canonical" href="https://example.org/reading-list/papers/sparse-attention-at-scale/">' in page


def test_the_404_page_works_at_any_depth(tmp_path):
    out = tmp_path / "site"
    build(small_config(), out=out, base_url="https://example.org/reading-list/")
    with serve(out, "/reading-list/") as root:
        status, body, _ = fetch(root + "no/such/deep/page/")
        assert status == 404
        html = body.decode()
        assert "Page not found" in html
        assert 'href="/reading-list/assets/style.css"' in html
        assert fetch(root + "assets/style.css")[0] == 200
