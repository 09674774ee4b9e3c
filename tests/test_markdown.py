"""Markdown in abstracts and notes: safe HTML by default, plain text for snippets and feeds."""

import pytest

from generator.markdown import MarkdownRenderer, snippet, to_html, to_text


def test_markdown_renders_emphasis_lists_and_links():
    html = to_html("Some **bold** and *em*.\n\n- one\n- two\n\n[docs](https://example.org/docs)")
    assert "<strong>bold</strong>" in html and "<em>em</em>" in html
    assert "<li>one</li>" in html
    assert '<a href="https://example.org/docs"' in html


@pytest.mark.parametrize("raw", [
    "<script>alert(1)</script>",
    '"><img src=x onerror=alert(1)>',
    "<div onclick=\"alert(1)\">x</div>",
    "text </script> more",
])
def test_raw_html_is_shown_as_text_by_default(raw):
    html = to_html(raw)
    assert "<script" not in html and "<img" not in html and "<div" not in html
    assert "&lt;" in html  # the markup is still visible to the reader, as text


def test_raw_html_allowed_for_trusted_content_is_still_sanitised():
    html = to_html("<b>bold</b> <script>alert(1)</script> <span onclick='x()'>s</span>", allow_raw_html=True)
    assert "<b>bold</b>" in html
    assert "<script" not in html and "alert(1)" not in html
    assert "onclick" not in html


@pytest.mark.parametrize("url", ["javascript:alert(1)", "JaVaScRiPt:alert(1)", "data:text/html,<script>alert(1)</script>",
                                 "vbscript:msgbox(1)"])
def test_dangerous_link_targets_are_dropped(url):
    html = to_html(f"[click]({url})")
    assert "click" in html
    assert "href" not in html


def test_images_are_not_rendered_so_pages_fetch_nothing_from_other_hosts():
    html = to_html("![tracker](https://tracker.example.com/pixel.png)")
    assert "<img" not in html and "tracker.example.com" not in html


def test_bare_urls_become_links_without_trailing_punctuation():
    html = to_html("Code: https://github.com/example/repo. See (https://example.org/a_(b)).")
    assert '<a href="https://github.com/example/repo"' in html
    assert '<a href="https://example.org/a_(b)"' in html


def test_urls_inside_links_and_code_are_not_linked_again():
    html = to_html("[https://a.example](https://b.example) and `https://c.example`")
    assert html.count("<a ") == 1
    assert "<code>https://c.example</code>" in html


def test_headings_in_notes_sit_below_the_page_headings():
    html = to_html("# Big\n\n## Smaller")
    assert "<h3>Big</h3>" in html and "<h4>Smaller</h4>" in html
    assert "<h1" not in html and "<h2" not in html


def test_template_syntax_in_content_is_left_alone():
    assert "{{ 7*7 }}" in to_html("{{ 7*7 }}")
    assert "49" not in to_html("{{ 7*7 }}")


def test_plain_text_strips_markup_and_unescapes_entities():
    assert to_text("**Bold** & <b>tags</b>\n\nsecond  para") == "Bold & <b>tags</b> second para"
    assert to_text("") == ""


def test_renderer_is_reusable_between_documents():
    md = MarkdownRenderer()
    first = md.html("[a][ref]\n\n[ref]: https://one.example")
    second = md.html("[a][ref]")  # the reference of the first document must not leak into the second
    assert "https://one.example" in first
    assert "https://one.example" not in second


def test_snippet_cuts_at_a_word_with_an_ellipsis():
    text = "word " * 100
    cut = snippet(text.strip(), 50)
    assert len(cut) <= 51 and cut.endswith("…") and not cut[:-1].endswith(" ")
    assert snippet("short", 50) == "short"
