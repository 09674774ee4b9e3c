"""TeX math in titles, abstracts and notes: MathML on pages at build time, TeX in feeds and BibTeX,
text without TeX markup for search, escaped text (and a `check` warning) where the TeX does not parse."""

from __future__ import annotations

import json
import re
import textwrap
import xml.etree.ElementTree as etree
from pathlib import Path

import pytest
from hypothesis import given, settings, strategies as st

from papershelf import texmath
from papershelf.build import build
from papershelf.check import run_check
from papershelf.config import load_config
from papershelf.markdown import MATHML_ATTRIBUTES, MarkdownRenderer, _plain_prose, html_text, to_html
from site_helpers import small_config


# ---------------------------------------------------------------------------- where math is

@pytest.mark.parametrize("text", [
    "It costs $5 and $10 a month.", "costs $5 and $10", "$5-$10", "Prices $5, $6.50 and $7", "US$ 5 and $ 6",
    "a $ b $ c", "$x $", "$ x$", "$x$5", r"\$x\$", "Ends with $", "$$", "$$$", "", "no math at all",
])
def test_dollar_amounts_and_spaced_dollars_are_not_math(text):
    assert texmath.spans(text) == [] and not texmath.has_math(text)
    html = to_html(text)
    assert "<math" not in html
    if text.strip():
        assert MarkdownRenderer().text(text) == " ".join(text.replace("\\$", "$").split())


@pytest.mark.parametrize("text, tex, display", [
    ("$x$", "x", False), ("a $x^2$ b", "x^2", False), (r"\(a+b\)", "a+b", False),
    ("$$\\sum_i x_i$$", "\\sum_i x_i", True), (r"\[ \alpha \]", r" \alpha ", True),
    ("cost $O(n)$, not $5", "O(n)", False), (r"$\$5$", r"\$5", False), ("$a$$b$", "a", False),
])
def test_pandoc_rule_for_opening_and_closing_math(text, tex, display):
    first = texmath.spans(text)[0]
    assert (first.tex, first.display) == (tex, display)
    assert text[first.start:first.end].endswith(("$", ")", "]"))


def test_strip_math_keeps_the_tex_without_delimiters():
    assert texmath.strip_math(r"On $\alpha$ and \(x\) and $$y$$ for $5") == r"On \alpha and x and y for $5"


# ---------------------------------------------------------------------------- MathML on pages

def test_inline_and_display_math_become_mathml_and_no_tex_is_left():
    md = MarkdownRenderer()
    html = md.html("Attention costs $O(n^2)$, sorting \\(\\mathcal{O}(n \\log n)\\).\n\n"
                   "$$\\sum_{i=1}^{n} \\alpha_i = 1$$\n\nand \\[ \\frac{a}{b} \\] too.")
    assert html.count('<math display="inline">') == 2 and html.count('<math display="block">') == 2
    assert "<msup><mi>n</mi><mn>2</mn></msup>" in html and "<mfrac>" in html and "<munderover>" in html
    visible = re.sub(r"<annotation.*?</annotation>", "", html)
    assert "$" not in visible and "\\(" not in visible and "\\[" not in visible and "\\frac" not in visible
    for element in re.findall(r"<math.*?</math>", html, re.DOTALL):
        etree.fromstring(element)  # well-formed


def test_markdown_inside_math_is_math_and_math_inside_code_is_code():
    html = to_html("We use $a_1 * b_1$ and $c_1 * d_1$, see `$x$` and\n\n    $y$ in a code block")
    assert "<em>" not in html and html.count("<math") == 2
    assert "<code>$x$</code>" in html and "$y$" in html


def test_a_backslash_dollar_is_a_dollar_sign():
    assert to_html(r"It costs \$5, \$x\$ is not math") == "<p>It costs $5, $x$ is not math</p>"


@pytest.mark.parametrize("tex", [r"\frac{a}", "{", r"\foo", "x^", r"\sqrt", r"\text{</annotation><script>alert(1)</script>}",
                                 r"\begin{matrix}", "x" * (texmath.TEX_LIMIT + 1)])
def test_tex_that_does_not_parse_is_shown_as_escaped_text(tex):
    assert texmath.mathml(tex) is None
    md = MarkdownRenderer()
    html = md.html(f"Before ${tex}$ after")
    assert "<math" not in html and "<script" not in html
    assert html.startswith("<p>Before $") and html.endswith("$ after</p>")
    assert md.text(f"Before ${tex}$ after") == " ".join(f"Before ${tex}$ after".split())
    assert texmath.bad_spans(f"Before ${tex}$ after")


# ---------------------------------------------------------------------------- the sanitiser

_LEFT_OUT = {"href", "style", "class", "border-color", "xmlns"}


def _emitted() -> tuple[set[str], dict[str, set[str]]]:
    """Every element and attribute latex2mathml writes, over all its commands and environments."""
    from latex2mathml import commands, converter

    names = {v for v in vars(commands).values() if isinstance(v, str) and v.startswith("\\")}
    names |= set(commands.CONVERSION_MAP)
    forms = ["{0}", "{0}{{a}}", "{0}{{a}}{{b}}", "{0}[c]{{a}}{{b}}", "{0}{{1em}}", "{0}{{red}}{{a}}",
             "{0}{{1pt}}{{2pt}}{{3pt}}", "{0}{{a}}{{b}}{{c}}", "a{0}_b^c"]
    environments = ["\\begin{{{1}}}a&b\\\\c&d\\end{{{1}}}", "\\begin{{{1}}}{{c|l}}a&b\\\\\\hline c&d\\end{{{1}}}"]
    tags: set[str] = set()
    attributes: dict[str, set[str]] = {}
    for name in sorted(names):
        for form in forms + (environments if name in commands.MATRICES else []):
            for display in ("inline", "block"):
                try:
                    made = converter.convert(form.format(name, name.lstrip("\\")), display=display)
                    root = etree.fromstring(re.sub(r"&(?!#x?[0-9A-Fa-f]+;)", "&amp;", made))
                except Exception:  # noqa: BLE001 - a form a command does not take
                    continue
                for element in root.iter():
                    tag = element.tag.rpartition("}")[2]
                    tags.add(tag)
                    attributes.setdefault(tag, set()).update(element.attrib)
    return tags, attributes


def test_the_sanitiser_allows_exactly_the_mathml_latex2mathml_emits_and_nothing_scriptable():
    tags, attributes = _emitted()
    assert len(tags) > 20
    assert set(MATHML_ATTRIBUTES) == tags | {"semantics", "annotation"}   # the two papershelf adds
    for tag in tags:
        assert MATHML_ATTRIBUTES[tag] == attributes[tag] - _LEFT_OUT, tag
    assert {"href", "style", "class"} <= set().union(*attributes.values())  # emitted, and dropped on purpose


@pytest.mark.parametrize("allow_raw_html", [False, True])
def test_scriptable_mathml_is_dropped(allow_raw_html):
    md = MarkdownRenderer(allow_raw_html)
    html = md.html(r"$\href{javascript:alert(1)}{x}$ $\style{background:url(https://t.example/p)}{y}$ "
                   r"$\class{site-title}{z}$ $\fcolorbox{red}{blue}{w}$ $\unicode{red}$")
    assert html.count("<math") == 5
    assert not re.search(r"<m[a-z]*[^>]*\b(href|style|class|border-color|on\w+)=", html)
    raw = md.html('<math><mi onclick="alert(1)" href="javascript:x">a</mi><maction actiontype="statusline">'
                  '<mi>b</mi></maction><script>alert(1)</script></math>')
    assert not re.search(r"<[a-z][^>]*\b(on\w+|href)=", raw) and "<script" not in raw and "<maction" not in raw


# ---------------------------------------------------------------------------- the fast path

@settings(max_examples=400, deadline=None)
@given(st.text(alphabet=st.sampled_from(list("ab $5x^_{}()\\.,-")), max_size=30))
def test_the_plain_prose_shortcut_never_differs_for_text_with_dollars(text):
    md = MarkdownRenderer()
    full = md._parsed(text) if text.strip() else ""
    assert md.html(text) == full
    assert md.text(text) == html_text(full)
    if texmath.has_math(text):
        assert not _plain_prose(text)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(list("ax2 $\\()[]{}^_&<>*`#\n") + ["\\frac", "\\alpha", "\\text{", "$$"]),
                max_size=40).map("".join))
def test_any_text_converts_without_error_to_well_formed_math(text):
    md = MarkdownRenderer()
    html = md.html(text)
    assert "<script" not in html
    assert html.count("<math") == html.count("</math>")
    md.text(text), md.source_text(text), md.inline_html(text)


# ---------------------------------------------------------------------------- text, titles, sources

def test_search_text_has_no_tex_markup_and_sources_keep_the_tex():
    md = MarkdownRenderer()
    text = r"Costs $\mathcal{O}(n \log n)$ with $\alpha_i$ and \(\frac{1}{2}\) for $5 and $10."
    assert md.text(text) == "Costs O(n log n) with α_i and 1/2 for $5 and $10."
    assert md.source_text(text) == text
    assert md.source_html(text) == "<p>" + text + "</p>"
    assert md.source_text("no math, **bold**") == md.text("no math, **bold**") == "no math, bold"


def test_a_title_is_escaped_text_with_its_math_as_mathml():
    md = MarkdownRenderer()
    out = md.inline_html('Beyond $\\mathcal{O}(n)$: "fast" <b>attention</b> & $5 costs')
    assert out.startswith('Beyond <math display="inline"><semantics>')
    assert out.endswith(": &#34;fast&#34; &lt;b&gt;attention&lt;/b&gt; &amp; $5 costs")
    assert md.inline_html("Plain <title> & 'quotes'") == "Plain &lt;title&gt; &amp; &#39;quotes&#39;"
    assert md.inline_html(r"Bad $\frac{a}$ title") == r"Bad $\frac{a}$ title"


# ---------------------------------------------------------------------------- the built site

TITLE = r'Sorting in $\mathcal{O}(n \log n)$ "time" <i>fast</i>'
ABSTRACT = textwrap.dedent(r"""
    Attention costs $O(n^2)$ in the length $n$, scaled by \(\frac{1}{\sqrt{d}}\); \(\alpha_i\) sum to one, and
    it costs $5 and $10.

    $$\sum_{i=1}^{n} \alpha_i = 1$$

    A broken $\frac{a}$ formula stays text.

    ## Notes

    Notes with \[ \|x\|_2 \leq \epsilon \] and ${$.
    """).strip()


def write_math_site(root: Path) -> Path:
    (root / "content").mkdir(parents=True)
    (root / "site.toml").write_text('title = "Math shelf"\nbase_url = "https://example.org/"\n'
                                    '[search]\nenabled = true\n', encoding="utf-8")
    quoted = TITLE.replace("\\", "\\\\").replace('"', '\\"')
    (root / "content" / "sorting.md").write_text(
        f'---\ntitle: "{quoted}"\ndate: 2024-06-01\nauthors: [Ada Lovelace]\ntags: [math]\n---\n{ABSTRACT}\n',
        encoding="utf-8")
    (root / "content" / "other.md").write_text(
        "---\ntitle: Plain Paper\ndate: 2024-05-01\ntags: [math]\n---\nNo math here.\n", encoding="utf-8")
    return root


def test_built_pages_show_mathml_and_everything_else_keeps_tex_escaped(tmp_path):
    root = write_math_site(tmp_path)
    out = root / "site"
    build(load_config(root / "site.toml"), out=out)
    page = (out / "papers/sorting/index.html").read_text(encoding="utf-8")
    h1 = re.search(r"<h1>(.*?)</h1>", page, re.DOTALL).group(1)
    assert "<math" in h1 and "&lt;i&gt;fast&lt;/i&gt;" in h1 and "<i>" not in h1
    body = page[page.index("<h1>"):page.index('<section class="cite"')]   # the citations keep TeX (below)
    visible = re.sub(r"<annotation.*?</annotation>", "", body)
    cite = page[page.index('<section class="cite"'):]
    assert "<math" not in cite and "AB  - " in cite and "$O(n^2)$" in cite   # RIS and CSL-JSON: the TeX as written
    assert visible.count("<math") >= 6
    assert "$O(n^2)$" not in visible and r"\(" not in visible
    assert r"$\frac{a}$" in visible and "${$" in visible  # what does not parse is shown as written
    # Other places keep the title's TeX, escaped: <title>, attributes, JSON-LD, papers.json, feeds.
    assert r"<title>Sorting in $\mathcal{O}(n \log n)$ &#34;time&#34; &lt;i&gt;fast&lt;/i&gt;" in page
    assert 'content="Sorting in $\\mathcal{O}(n \\log n)$ &#34;time&#34; &lt;i&gt;fast&lt;/i&gt;' in page
    for tag in re.findall(r"<meta [^>]*>", page):
        assert "<math" not in tag
    home = (out / "index.html").read_text(encoding="utf-8")
    assert re.search(r'class="paper-title"><a href="[^"]+"><math', home) is None  # title starts with text
    assert "Sorting in <math" in home
    papers = json.loads((out / "papers.json").read_text(encoding="utf-8"))
    assert TITLE in [p["title"] for p in (papers["papers"] if isinstance(papers, dict) else papers)]
    feed = (out / "feed.xml").read_text(encoding="utf-8")
    assert "&lt;math" not in feed and "<math" not in feed
    assert r"$O(n^2)$" in feed and r"$$\sum_{i=1}^{n} \alpha_i = 1$$" in feed
    assert r'<title type="text">Sorting in $\mathcal{O}(n \log n)$ "time" &lt;i&gt;fast&lt;/i&gt;</title>' in feed
    bib = (out / "papers/sorting/sorting.bib").read_text(encoding="utf-8") if (out / "papers/sorting/sorting.bib").exists() \
        else (out / "papers.bib").read_text(encoding="utf-8")
    assert "\\$O(n\\textasciicircum{}2)\\$" in bib   # the TeX as written, not its text
    docs = "".join(p.read_text(encoding="utf-8") for p in (out / "search").rglob("*.json"))
    assert "O(n^2)" in docs and "α_i" in docs and "$O(n^2)$" not in docs


def test_check_warns_about_math_that_does_not_parse_at_its_line(tmp_path, capsys):
    root = write_math_site(tmp_path)
    (root / "content" / "broken-title.md").write_text(
        "---\ntitle: A $\\frac{x}$ title\ndate: 2024-01-01\n---\nFine $x$.\n", encoding="utf-8")
    config = load_config(root / "site.toml")
    assert run_check(config, root / "content") == 0   # warnings only
    out = capsys.readouterr().out.splitlines()
    lines = (root / "content" / "sorting.md").read_text(encoding="utf-8").splitlines()
    bad = [n for n, line in enumerate(lines, 1) if "\\frac{a}" in line or "${$" in line]
    assert out == [
        "content/broken-title.md:2: warning: TeX math in the title does not parse, so pages show it as written: "
        "$\\frac{x}$",
        f"content/sorting.md:{bad[0]}: warning: TeX math in the abstract does not parse, so pages show it as "
        "written: $\\frac{a}$",
        f"content/sorting.md:{bad[1]}: warning: TeX math in the notes does not parse, so pages show it as "
        "written: ${$",
        "3 entries, 0 errors, 3 warnings",
    ]


def test_the_fixture_draft_has_math_on_its_page(tmp_path):
    build(small_config(), out=tmp_path / "site", drafts=True)
    page = (tmp_path / "site/papers/unfinished-draft/index.html").read_text(encoding="utf-8")
    assert page.count("<math") >= 6 and "<mtable>" in page
    assert "It costs $5 and $10 to run" in page
