"""The site plan (pages.py) and the renderer (render.py): pure functions on papers and templates."""

from datetime import date
from pathlib import Path

import pytest

from papershelf.errors import SiteError
from papershelf.model import Paper
from papershelf.pages import Page, group_by_year, paginate, plan_pages
from papershelf.render import Renderer, _authors_short
from papershelf.taxonomy import group_tags
from site_helpers import small_config


def paper(slug, day=None, tags=(), **kw):
    return Paper(slug=slug, path=f"content/{slug}.md", title=slug.title(), date=date(2024, 1, day) if day else None,
                 tags=tuple(tags), **kw)


def test_pagination_puts_page_one_at_the_list_url_and_later_pages_under_page_n():
    pagers = paginate(list(range(5)), 2, "tags/x/")
    assert [p.items for p in pagers] == [(0, 1), (2, 3), (4,)]
    assert [p.url_of(p.number) for p in pagers] == ["tags/x/", "tags/x/page/2/", "tags/x/page/3/"]
    assert pagers[0].prev_url is None and pagers[0].next_url == "tags/x/page/2/"
    assert pagers[2].prev_url == "tags/x/page/2/" and pagers[2].next_url is None
    assert len(paginate([], 20, "")) == 1      # an empty site still has an index page


def test_years_newest_first_with_undated_last():
    groups = group_by_year([paper("a", 3), paper("u"), Paper("b", "b.md", "B", date=date(2022, 5, 1))])
    assert [g.year for g in groups] == [2024, 2022, None]


def test_plan_has_one_page_per_paper_tag_and_list_and_unique_paths():
    papers = sorted([paper("p1", 1, ["LLM"]), paper("p2", 2, ["llm", "x"]), paper("p3", 3)], key=Paper.sort_key)
    pages = plan_pages(papers, per_page=2, search=True)
    paths = [p.path for p in pages]
    assert len(paths) == len(set(paths))
    assert {"index.html", "page/2/index.html", "papers/p1/index.html", "tags/index.html", "tags/llm/index.html",
            "tags/x/index.html", "archive/index.html", "search/index.html", "404.html"} <= set(paths)
    assert "search/index.html" not in [p.path for p in plan_pages(papers, per_page=2, search=False)]
    p2 = next(p for p in pages if p.path == "papers/p2/index.html")
    assert p2.context["newer"].slug == "p3" and p2.context["older"].slug == "p1"
    assert p2.context["tag_names"] == {"llm": "LLM", "x": "x"}   # only this page's tags: the cache stays precise


@pytest.mark.parametrize("authors, count, expected", [
    (("A",), None, "A"),
    (("A", "B", "C", "D"), None, "A, B, C, D"),
    (("A", "B", "C", "D", "E"), None, "A, B, C et al. (5 authors)"),
    (("A", "B"), 9, "A, B et al. (9 authors)"),
    ((), 7, "7 authors"),
    ((), None, ""),
])
def test_long_author_lists_are_abbreviated(authors, count, expected):
    assert _authors_short(Paper("x", "x.md", "X", authors=authors, authors_count=count)) == expected


def test_url_for_prefixes_the_base_path_and_abs_url_the_base_url():
    renderer = Renderer(small_config(base_url="https://example.org/sub/dir/"), search=True)
    assert renderer.url_for("papers/x/") == "/sub/dir/papers/x/"
    assert renderer.url_for("") == "/sub/dir/"
    assert renderer.url_for("tags/a b/") == "/sub/dir/tags/a%20b/"
    assert renderer.abs_url("feed.xml") == "https://example.org/sub/dir/feed.xml"


def test_link_filters_give_the_same_links_as_url_for_in_a_theme(tmp_path):
    # The default theme links with filters; a theme using url_for(...) must get the same hrefs.
    renderer = _theme(tmp_path, "links.html",
                      "{{ url_for(paper_url(p)) }}|{{ p | paper_href }}|{{ url_for(tag_url('Ünï Tag')) }}|"
                      "{{ 'Ünï Tag' | tag_href }}|{{ url_for('tags/') }}|{{ 'tags/' | url }}|"
                      "{{ abs_url(page.url) }}|{{ page.url | abs_url }}")
    page = Page("papers/a b/index.html", "papers/a b/", "links.html", "test", {"p": paper("a-b")})
    first = renderer.render(page).split("|")
    assert first[0] == first[1] == "/reading-list/papers/a-b/"   # small_config's base path
    assert first[2] == first[3] and first[2].startswith("/reading-list/tags/")
    assert first[4] == first[5] == "/reading-list/tags/"
    assert first[6] == first[7] and first[6].endswith("/papers/a%20b/")
    assert renderer.render(page).split("|") == first   # memoised answers are the same answers


def _theme(tmp_path: Path, name: str, text: str) -> Renderer:
    theme = tmp_path / "theme"
    (theme / "templates").mkdir(parents=True)
    (theme / "templates" / name).write_text(text)
    return Renderer(small_config(), search=True, chain=[theme])


def test_an_undefined_variable_is_an_error_with_template_file_and_line(tmp_path):
    renderer = _theme(tmp_path, "t.html", "line one\n{{ no_such_thing }}\n")
    with pytest.raises(SiteError) as caught:
        renderer.render(Page("x/index.html", "x/", "t.html", "test page"))
    assert caught.value.path.endswith("t.html") and caught.value.line == 2
    assert "no_such_thing" in caught.value.message and "test page" in caught.value.message


def test_a_missing_template_is_an_error_naming_it(tmp_path):
    renderer = _theme(tmp_path, "t.html", "")
    with pytest.raises(SiteError, match="'nope.html' not found"):
        renderer.render(Page("x/index.html", "x/", "nope.html", "test page"))


def test_templates_autoescape_and_do_not_evaluate_content(tmp_path):
    renderer = _theme(tmp_path, "t.html", "<p title=\"{{ v }}\">{{ v }}</p>{{ md | markdown }}")
    html = renderer.render(Page("x", "x", "t.html", "s", {"v": '"><b>{{ 7*7 }}', "md": "*a* <i>b</i>"}))
    assert html == '<p title="&#34;&gt;&lt;b&gt;{{ 7*7 }}">&#34;&gt;&lt;b&gt;{{ 7*7 }}</p><p><em>a</em> &lt;i&gt;b&lt;/i&gt;</p>'
