"""Markdown (abstracts, curator notes) -> safe HTML, and -> plain text. Pure.

Entries come from imports and from many hands, so by default raw HTML in them is
shown as text, never interpreted: python-markdown's ``html_block`` preprocessor
and ``html`` inline pattern are deregistered, so ``<script>`` stays ``&lt;script&gt;``.
``allow_raw_html`` (site.toml, trusted content only) keeps them. Either way the
output goes through nh3, which drops what no reading list needs: scripts, event
attributes, ``javascript:`` links, images (a page must not fetch from other hosts).

TeX math (``$...$``, ``\\(...\\)``, ``$$...$$``, ``\\[...\\]``: see texmath) is found before any other
inline markup but code spans and becomes MathML at build time; what does not parse stays as text. The
plain text (search, snippets) shows math as text without TeX markup; ``source_html``/``source_text``
(feeds, BibTeX) keep its TeX as written.
"""

from __future__ import annotations

import html
import re

import xml.etree.ElementTree as etree

import markdown as _markdown
import nh3
from markdown.inlinepatterns import InlineProcessor
from markdown.treeprocessors import Treeprocessor
from markupsafe import escape as _escape

from . import texmath

_EXTENSIONS = ["fenced_code", "tables", "sane_lists"]

# Headings inside notes sit below the page's own h1 and its section h2s.
_HEADING = re.compile(r"<(/?)h([1-6])([ >])")
_ALLOWED_TAGS = (set(nh3.ALLOWED_TAGS) - {"img", "map", "area", "center", "acronym", "strike", "tt"}) | {"table"}
_ALLOWED_ATTRIBUTES = {
    "a": {"href", "title"},
    "abbr": {"title"},
    "code": {"class"},  # fenced code's language-xxx
    "td": {"align"},
    "th": {"align"},
    "ol": {"start"},
}
# MathML as latex2mathml writes it (texmath.mathml), element by element. Left out on purpose: href
# (\\href makes javascript: links), style and class (\\style, \\class: CSS may fetch, or restyle the page),
# border-color (\\fcolorbox: not MathML), xmlns (HTML puts <math> in its namespace anyway).
# tests/test_math.py checks this against everything latex2mathml's commands emit.
MATHML_ATTRIBUTES = {
    "math": {"display"},
    "semantics": set(),
    "annotation": {"encoding"},
    "menclose": {"notation"},
    "mfrac": {"linethickness"},
    "mi": {"mathvariant"},
    "mn": {"mathvariant"},
    "mo": {"accent", "fence", "form", "lspace", "mathvariant", "maxsize", "minsize", "movablelimits", "rspace",
           "separator", "stretchy"},
    "mover": {"accent"},
    "mpadded": {"depth", "height", "lspace", "mathbackground", "voffset", "width"},
    "mphantom": set(),
    "mroot": set(),
    "mrow": {"movablelimits"},
    "mspace": {"depth", "height", "linebreak", "mathbackground", "width"},
    "msqrt": set(),
    "mstyle": {"displaystyle", "mathcolor", "mathsize", "scriptlevel"},
    "msub": set(),
    "msubsup": set(),
    "msup": set(),
    "mtable": {"columnlines", "columnspacing", "displaystyle", "rowlines", "rowspacing"},
    "mtd": {"columnalign"},
    "mtext": {"mathvariant"},
    "mtr": set(),
    "munder": set(),
    "munderover": set(),
}
_ALLOWED_TAGS |= set(MATHML_ATTRIBUTES)
_ALLOWED_ATTRIBUTES.update({tag: attrs for tag, attrs in MATHML_ATTRIBUTES.items() if attrs})
_SPACE = re.compile(r"\s+")


class _LinkBareURLs(Treeprocessor):
    """Bare http(s) URLs in text become links (imported abstracts often name their code this way).

    Runs on the finished tree so that text already inside a link or code is left alone.
    A full stop or closing bracket that ends the sentence is not part of the URL.
    """

    def run(self, root):
        self._walk(root)

    def _walk(self, element) -> None:
        if element.tag in _NO_LINKS:
            return
        children = list(element)
        for child in children:
            self._walk(child)
        head, links = _split_urls(element.text)
        element.text = head
        for i, link in enumerate(links):
            element.insert(i, link)
        for child in children:
            head, links = _split_urls(child.tail)
            child.tail = head
            at = list(element).index(child) + 1
            for i, link in enumerate(links):
                element.insert(at + i, link)


class _Math(InlineProcessor):
    """A math span -> its MathML (``mathml`` true) or its TeX as written, stashed so no other markup touches it."""

    def __init__(self, md):
        super().__init__(texmath.MATH.pattern, md)
        self.mathml = True

    def handleMatch(self, m, data):  # noqa: N802 - python-markdown's name
        source = html.escape(m.group(0), quote=False)
        made = texmath.mathml(*texmath.span_of(m)[2:]) if self.mathml else None
        return self.md.htmlStash.store(made or source), m.start(0), m.end(0)


_NO_LINKS = {"a", "code", "pre"}
_BARE_URL = re.compile(r"(?<![\w/\"'=])https?://[^\s<>\"\[\]`\x02\x03]+")


# Plain prose (most imported abstracts): one line, nothing python-markdown or nh3 would change but
# bare URLs. Such text skips the parser; tests compare both paths over every real abstract.
_MARKUP = re.compile(r"[\\`*_\[\]<>&!#|~]")
_BLOCK_START = frozenset("-+=>#|0123456789")


def _plain_prose(text: str) -> bool:
    return (text.isprintable() and text[:1] not in _BLOCK_START and text == text.strip()
            and _MARKUP.search(text) is None and ("$" not in text or not texmath.has_math(text)))


# nh3 drops an href it cannot parse as a URL; plain hosts and ASCII paths it keeps as written.
_SIMPLE_URL = re.compile(r"https?://(?:[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?\.)+[A-Za-z][A-Za-z0-9-]*[A-Za-z0-9]"
                         r"(?:[/?#][\x21-\x7e]*)?")


def _prose_html(text: str) -> str | None:
    """What python-markdown + nh3 make of plain prose: one paragraph, bare URLs linked.

    None when a URL is not plainly well-formed (nh3's own checks then decide).
    """
    head, links = _split_urls(text)
    parts = [head]
    for link in links:
        url = link.get("href")
        if not _SIMPLE_URL.fullmatch(url):
            return None
        parts.append(f'<a href="{url}" rel="noopener noreferrer">{url}</a>{link.tail}')
    return "<p>" + "".join(parts) + "</p>"


def _split_urls(text: str | None):
    if not text or "http" not in text:
        return text, []
    head, links, last, pos = None, [], None, 0
    for m in _BARE_URL.finditer(text):
        url = m.group(0).rstrip(".,;:!?'\"")
        while url.endswith(")") and url.count(")") > url.count("("):
            url = url[:-1]
        before = text[pos:m.start()]
        if last is None:
            head = before
        else:
            last.tail = before
        last = etree.Element("a", {"href": url})
        last.text = url
        links.append(last)
        pos = m.start() + len(url)
    if last is None:
        return text, []
    last.tail = text[pos:]
    return head, links


class MarkdownRenderer:
    """One python-markdown instance reused for every document of a build (reset between them).

    Creating a Markdown object is costly; at thousands of entries reuse matters.
    Not thread-safe: one renderer per build.
    """

    def __init__(self, allow_raw_html: bool = False):
        self.allow_raw_html = allow_raw_html
        self._html: dict[str, str] = {}
        self._text: dict[str, str] = {}
        self._source_html: dict[str, str] = {}
        self._source_text: dict[str, str] = {}
        self._inline: dict[str, str] = {}
        self._md = _markdown.Markdown(extensions=_EXTENSIONS, output_format="html")
        # After 'inline' (20), before 'unescape' (0) restores backslash-escaped characters.
        self._md.treeprocessors.register(_LinkBareURLs(self._md), "bare_urls", 5)
        # Math after code spans (190), before backslash escapes (180): '\(' and '\[' open math, and
        # '_' or '*' inside math are not emphasis. '\$' is a dollar sign.
        self._math = _Math(self._md)
        self._md.inlinePatterns.register(self._math, "math", 185)
        self._md.ESCAPED_CHARS = [*self._md.ESCAPED_CHARS, "$"]
        if not allow_raw_html:
            self._md.preprocessors.deregister("html_block")
            self._md.inlinePatterns.deregister("html")

    def html(self, text: str) -> str:
        """Markdown -> sanitised HTML fragment ('' for empty input).

        Memoised: a build asks for the same abstract on its page, in list pages,
        feeds and BibTeX; converting it once per renderer keeps that linear.
        """
        done = self._html.get(text)
        if done is None:
            done = self._html[text] = self._convert(text)
        return done

    def _convert(self, text: str) -> str:
        if not text or not text.strip():
            return ""
        done = _prose_html(text) if _plain_prose(text) else None
        return done if done is not None else self._parsed(text)

    def _parsed(self, text: str, mathml: bool = True) -> str:
        """The full conversion: python-markdown, then nh3."""
        self._md.reset()
        self._math.mathml = mathml
        raw = self._md.convert(text)
        raw = _HEADING.sub(_demote, raw)
        clean = nh3.clean(raw, tags=_ALLOWED_TAGS, attributes=_ALLOWED_ATTRIBUTES,
                          url_schemes={"http", "https", "mailto"}, link_rel=LINK_REL).strip()
        return _ANCHOR.sub(_rel_only_with_href, clean)

    def text(self, text: str) -> str:
        """Markdown -> plain text on one line (for snippets, feeds, search). Memoised like ``html``."""
        done = self._text.get(text)
        if done is None:
            done = self._text[text] = self._plain(text)
        return done

    def source_html(self, text: str) -> str:
        """``html`` with math kept as its TeX source (feeds: a feed reader shows no MathML)."""
        done = self._source_html.get(text)
        if done is None:
            done = self._source_html[text] = self._parsed(text, mathml=False) if texmath.has_math(text) \
                else self.html(text)
        return done

    def source_text(self, text: str) -> str:
        """``text`` with math kept as its TeX source, delimiters and all (BibTeX)."""
        done = self._source_text.get(text)
        if done is None:
            done = self._source_text[text] = _strip_tags(self.source_html(text)) if texmath.has_math(text) \
                else self.text(text)
        return done

    def inline_html(self, text: str) -> str:
        """A line of plain text (a title) as HTML: escaped, its math as MathML. Not markdown."""
        done = self._inline.get(text)
        if done is None:
            done = self._inline[text] = _inline_html(text)
        return done

    def converted(self, text: str) -> tuple[str, str]:
        """(html, plain text) of ``text``; what ``remember`` takes back in another process."""
        return self.html(text), self.text(text)

    def remember(self, text: str, html_done: str, plain_done: str) -> None:
        """Take the conversions of ``text`` made by an identical renderer elsewhere (a worker process)."""
        self._html[text] = html_done
        self._text[text] = plain_done

    def _plain(self, text: str) -> str:
        if not text or not text.strip():
            return ""
        if _plain_prose(text) and _prose_html(text) is not None:  # no tags but links, no entities
            plain = _SPACE.sub(" ", text).strip()
            return text if plain == text else plain   # most abstracts: one string, not two equal ones
        return html_text(self.html(text))


_MATH_ELEMENT = re.compile(r"<math\b[^>]*>.*?<annotation[^>]*>(.*?)</annotation>.*?</math>", re.DOTALL)


def html_text(html_done: str) -> str:
    """The plain text of converted HTML: tags dropped, math as text (``texmath.plain_math``), on one line."""
    if "<math" in html_done:
        html_done = _MATH_ELEMENT.sub(_math_as_text, html_done)
    return _strip_tags(html_done)


def _math_as_text(m: re.Match) -> str:
    return html.escape(texmath.plain_math(html.unescape(m.group(1))), quote=False)


def _inline_html(text: str) -> str:
    found = texmath.spans(text)
    if not found:
        return str(_escape(text))
    parts, position = [], 0
    for span in found:
        made = texmath.mathml(span.tex, span.display)
        parts += [_escape(text[position:span.start]), made and _clean_math(made) or _escape(text[span.start:span.end])]
        position = span.end
    parts.append(_escape(text[position:]))
    return "".join(map(str, parts))


def _clean_math(made: str) -> str:
    return nh3.clean(made, tags=set(MATHML_ATTRIBUTES), attributes=MATHML_ATTRIBUTES)


def _strip_tags(html_done: str) -> str:
    stripped = nh3.clean(html_done, tags=set())  # the text, still entity-escaped
    return _SPACE.sub(" ", html.unescape(stripped)).strip()


LINK_REL = "noopener noreferrer"
# nh3 writes every attribute as name="value" (quotes inside escaped), so its anchors are regular.
_ANCHOR = re.compile(r'<a((?: [a-z][a-z0-9-]*="[^"]*")*)>')


def _rel_only_with_href(match: re.Match) -> str:
    """nh3 puts rel on every <a>, also one whose href it removed (javascript:): rel without href is invalid HTML."""
    attributes = match.group(1)
    if ' href="' in attributes:
        return match.group(0)
    return "<a" + attributes.replace(f' rel="{LINK_REL}"', "") + ">"


def _demote(m: re.Match) -> str:
    level = min(int(m.group(2)) + 2, 6)
    return f"<{m.group(1)}h{level}{m.group(3)}"


def to_html(text: str, *, allow_raw_html: bool = False) -> str:
    """Convenience for one document; builds use a MarkdownRenderer."""
    return MarkdownRenderer(allow_raw_html).html(text)


def to_text(text: str) -> str:
    return MarkdownRenderer().text(text)


def snippet(text: str, limit: int = 280) -> str:
    """The first ``limit`` characters of plain text, cut at a word, with an ellipsis when cut."""
    if len(text) <= limit:
        return text
    cut = text[:limit].rsplit(" ", 1)[0].rstrip(" ,;:.-")
    return cut + "…"
