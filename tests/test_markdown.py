"""Markdown in abstracts and notes: safe HTML by default, plain text for snippets and feeds."""

import json

import pytest

import needs
from needs import SHARED
from site_helpers import shipped_papers
from papershelf.markdown import MarkdownRenderer, _plain_prose, _prose_html, html_text, snippet, to_html, to_text


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




def _real_abstracts() -> list[str]:
    texts = []
    for file in sorted((SHARED / "data" / "hf-daily-api-2024").glob("*.json")):
        for item in json.loads(file.read_text(encoding="utf-8")):
            summary = item["paper"].get("summary") or ""
            texts += [summary, summary.strip(), " ".join(summary.split())]  # as imported, and trimmed
    for file in sorted((SHARED / "seeds").glob("*.txt")):
        texts += [line.strip() for line in file.read_text(encoding="utf-8").splitlines() if line.strip()]
    return list(dict.fromkeys(texts))


TRICKY_PROSE = [
    "Code at https://github.com/a/b.", "See (https://example.org/x_(y)).", "Two: http://a.io, https://b.io/p?q=1;",
    'Quoted "https://a.io/x" and \'single\' quotes.', "A https://1.2.3.4/x numeric host.", "Odd https://}x host.",
    "Port https://a.io:99999/x here", "Unicode https://a.io/é path", "2024 was a year.", "2024. A list?",
    "Plus + minus - equals = sign.", "Ends with a space ", "Tab\there", "Non\u00a0breaking space", "http://",
    "Dollar $x^2$ and {braces} and 50% off", "https://a.io/path#frag)", "x=https://a.io", "mailto:me@a.io",
    # math: only text whose dollars open no math may take the shortcut
    "It costs $5 and $10 a month.", "$x$", "a $ b $ c", "Prices $5, $6.50 and $7", "US$ 5 and $ 6",
    "$$x$$ display", "Set $\\frac{a}$ unparsed", "Rate $r$5 bad close", "https://a.io/$x$/p", "Ends $",
    "Two $a$ and $b$.", "$5-$10 range", "Bad $\\foo$ command",
]


@pytest.mark.parametrize("corpus", ["shipped", pytest.param("shared", marks=pytest.mark.slow)])
@pytest.mark.parametrize("allow_raw_html", [False, True])
def test_plain_prose_shortcut_gives_exactly_what_the_full_conversion_gives(allow_raw_html, corpus):
    # Plain one-line abstracts skip python-markdown and nh3; pages must not change by a byte.
    md = MarkdownRenderer(allow_raw_html)
    if corpus == "shipped":   # the shipped abstracts and the hand-written tricky cases: every clone has them
        abstracts = [p.abstract for p in shipped_papers()]
        abstracts += [text for a in abstracts for text in (a.strip(), " ".join(a.split()))]
    else:
        needs.shared(SHARED, "the shortcut over 1,984 real abstracts and the seed listing")
        abstracts = _real_abstracts()
    texts = list(dict.fromkeys(abstracts)) + TRICKY_PROSE
    shortcut = 0
    for text in texts:
        full = md._parsed(text) if text.strip() else ""
        assert md.html(text) == full, text
        assert md.text(text) == html_text(full), text
        shortcut += bool(text.strip()) and _plain_prose(text) and _prose_html(text) is not None
    assert shortcut > len(texts) // 4  # the shortcut is really taken by most real abstracts


def test_bare_urls_in_plain_prose_become_links_without_the_closing_punctuation():
    html = to_html("Code: https://github.com/a/b. Demo (https://a.io/x).")
    assert html == ('<p>Code: <a href="https://github.com/a/b" rel="noopener noreferrer">https://github.com/a/b</a>. '
                    'Demo (<a href="https://a.io/x" rel="noopener noreferrer">https://a.io/x</a>).</p>')


def test_a_link_whose_address_the_sanitiser_removed_keeps_no_rel():
    # rel on an <a> without href is invalid HTML (the Nu checker's one error on hostile entries).
    for allow_raw_html, text in ((False, "[click](javascript:alert(1))"), (True, '<a href="javascript:x()">z</a>')):
        html = MarkdownRenderer(allow_raw_html).html(text)
        assert "<a>" in html and "rel=" not in html and "javascript" not in html, html
    assert 'href="https://a.io" rel="noopener noreferrer"' in to_html("[y](https://a.io)")
