"""Papers -> Atom 1.0 feeds (RFC 4287). Pure: returns the XML text, writes nothing.

The XML is assembled from escaped pieces, byte for byte what ElementTree wrote
before (``ET.indent`` with two spaces; tests/test_feeds.py keeps that reference and
compares): ElementTree took 23 s for the 11,331 feeds of a 10,000-paper site with a
long tail of tags. Every text and attribute goes through ``_text``/``_attr``, which
escape as ElementTree does; no content is ever pasted into markup unescaped.
Characters that XML 1.0 forbids (control characters from a badly pasted abstract)
are removed first, so the feed always parses. Every timestamp comes from the
papers, never from the clock, so building an unchanged site yields the same bytes.
``Feeds`` makes each paper's entry once per build and joins entries into feeds.
"""

from __future__ import annotations

import re
from datetime import date, datetime, time, timezone
from typing import Iterable
from urllib.parse import quote

from .config import Config
from .markdown import MarkdownRenderer
from .model import Paper, tag_slug

ATOM_NS = "http://www.w3.org/2005/Atom"
# A browser opening a feed shows it as a page through the theme's XSL stylesheet (same origin, under the
# base path); feed readers ignore the processing instruction.
FEED_XSL = "assets/feed.xsl"
_PROLOGUE = '<?xml version="1.0" encoding="utf-8"?>\n<?xml-stylesheet type="text/xsl" href="{}' + FEED_XSL + '"?>\n'
XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
# When no paper has a date: a fixed instant, so an all-undated shelf still builds byte-identically.
FALLBACK_UPDATED = datetime(1970, 1, 1, tzinfo=timezone.utc)
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def xml_text(value: str) -> str:
    """Text with the characters XML 1.0 cannot carry removed."""
    return _NOT_XML.sub("", value)


def _timestamp(value: date | datetime) -> str:
    if not isinstance(value, datetime):
        value = datetime.combine(value, time(), timezone.utc)
    if value.tzinfo is None:
        value = value.replace(tzinfo=timezone.utc)
    return value.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def paper_updated(paper: Paper) -> date | datetime:
    """A paper's entry timestamp: its date, else the date of the listing it came from, else the fallback."""
    if paper.date:
        return paper.date
    if paper.source and paper.source.date:
        return paper.source.date
    return FALLBACK_UPDATED


def _text(value: str) -> str:
    """Element text: XML-forbidden characters removed, escaped as ElementTree escapes text."""
    value = _NOT_XML.sub("", value)
    if "&" in value:
        value = value.replace("&", "&amp;")
    if "<" in value:
        value = value.replace("<", "&lt;")
    if ">" in value:
        value = value.replace(">", "&gt;")
    return value


def _attr(value: str) -> str:
    """An attribute value, escaped as ElementTree escapes attributes."""
    value = _text(value)
    if '"' in value:
        value = value.replace('"', "&quot;")
    if "\r" in value:
        value = value.replace("\r", "&#13;")
    if "\n" in value:
        value = value.replace("\n", "&#10;")
    if "\t" in value:
        value = value.replace("\t", "&#09;")
    return value


def _leaf(tag: str, text: str | None = None, **attrs: str) -> str:
    """One element without children: ``<tag a="v">text</tag>``, or ``<tag a="v" />`` when it has no text."""
    opening = "<" + tag + "".join([f' {name}="{_attr(value)}"' for name, value in attrs.items()])
    body = _text(text) if text is not None else ""
    return f"{opening}>{body}</{tag}>" if body else opening + " />"


def _element(tag: str, children: list[str], depth: int, attrs: str = "") -> str:
    """An element with children, indented as ``ET.indent(space="  ")`` indents it at ``depth``."""
    inner = "\n" + "  " * (depth + 1)
    return f"<{tag}{attrs}>{inner}{inner.join(children)}\n{'  ' * depth}</{tag}>"


class Feeds:
    """Atom feeds of one site: each paper's entry is made once and shared by every feed that lists it."""

    def __init__(self, config: Config, markdown: MarkdownRenderer | None = None):
        self.config = config
        self.markdown = markdown or MarkdownRenderer(config.allow_raw_html)
        self._entries: dict[str, tuple[str, str]] = {}   # slug -> (updated timestamp, the entry's XML)
        self._scheme = config.absolute_url("tags/")
        self._author = _element("author", [_leaf("name", config.author or config.title or "papershelf")], 1)

    def feed(self, papers: Iterable[Paper], *, feed_path: str, page_path: str = "", title: str | None = None,
             updated: datetime | None = None) -> str:
        """An Atom feed of the newest ``config.feed_limit`` papers (see ``atom_feed``)."""
        entries = sorted(papers, key=Paper.sort_key)[: self.config.feed_limit]
        return self._feed([self._entry(paper) for paper in entries], feed_path, page_path, title, updated)

    def reading_feed(self, papers: Iterable[Paper], *, feed_path: str, page_path: str = "",
                     title: str | None = None) -> str:
        """An Atom feed of the papers most recently read: the first ``config.feed_limit`` of ``papers`` (in the
        order given, most recently read first), each entry updated when it was read (``read_on``) where known."""
        entries = list(papers)[: self.config.feed_limit]
        made = [self.entry(paper, updated=paper.read_on) if paper.read_on else self._entry(paper) for paper in entries]
        return self._feed(made, feed_path, page_path, title, None)

    def _feed(self, made: list[tuple[str, str]], feed_path: str, page_path: str, title: str | None,
              updated: datetime | None) -> str:
        config = self.config
        feed_url = config.absolute_url(feed_path)
        if updated is None:
            updated_text = max([stamp for stamp, _ in made]) if made else _timestamp(FALLBACK_UPDATED)
        else:
            updated_text = _timestamp(updated)
        children = [_leaf("id", feed_url), _leaf("title", title if title is not None else config.title, type="text")]
        if config.description:
            children.append(_leaf("subtitle", config.description, type="text"))
        children += [
            _leaf("updated", updated_text),
            _leaf("link", rel="self", type="application/atom+xml", href=feed_url),
            _leaf("link", rel="alternate", type="text/html", href=config.absolute_url(page_path)),
            # Atom requires an author for every entry; the feed-level one covers papers without names.
            self._author,
            _leaf("generator", "papershelf"),
        ]
        children += [xml for _, xml in made]
        attrs = f' xmlns="{ATOM_NS}"' + (f' xml:lang="{_attr(config.language)}"' if config.language else "")
        return _PROLOGUE.format(_attr(quote(config.base_path, safe="/%:@!$&'()*+,;=-._~"))) + _element("feed", children, 0, attrs) + "\n"

    def _entry(self, paper: Paper) -> tuple[str, str]:
        made = self._entries.get(paper.slug)   # one paper per slug in a site
        if made is None:
            made = self._entries[paper.slug] = self.entry(paper)
        return made

    def entry(self, paper: Paper, updated: date | None = None) -> tuple[str, str]:
        """(the paper's updated timestamp, its ``<entry>`` element as it sits in any feed); ``updated``
        replaces the paper's own date as the entry's (the recently-read feed gives ``read_on``)."""
        config = self.config
        page = config.absolute_url(f"papers/{paper.slug}/")
        updated = _timestamp(updated or paper_updated(paper))
        children = [_leaf("id", page), _leaf("title", paper.title, type="text"), _leaf("updated", updated)]
        if paper.date:
            children.append(_leaf("published", _timestamp(paper.date)))
        children.append(_leaf("link", rel="alternate", type="text/html", href=page))
        if paper.links.arxiv:
            children.append(_leaf("link", rel="related", type="text/html", href=paper.links.arxiv, title="arXiv"))
        if paper.links.pdf:
            children.append(_leaf("link", rel="related", type="application/pdf", href=paper.links.pdf, title="PDF"))
        if paper.links.code:
            children.append(_leaf("link", rel="related", type="text/html", href=paper.links.code, title="Code"))
        for name in paper.authors:
            if name.strip():
                children.append(_element("author", [_leaf("name", name)], 2))
        seen = set()
        for tag in paper.tags:
            slug = tag_slug(tag)
            if slug not in seen:
                seen.add(slug)
                children.append(_leaf("category", term=slug, label=tag, scheme=self._scheme))
        body = self.markdown.source_html(paper.abstract)  # math as its TeX: feed readers show no MathML
        if body:
            # type="html": the sanitised HTML travels as escaped text.
            children.append(_leaf("content", body, type="html"))
        return updated, _element("entry", children, 1)


def atom_feed(papers: Iterable[Paper], config: Config, *, feed_path: str, page_path: str = "",
              title: str | None = None, updated: datetime | None = None,
              markdown: MarkdownRenderer | None = None) -> str:
    """An Atom feed of the newest ``config.feed_limit`` papers.

    ``feed_path`` is where the feed is published ('feed.xml', 'tags/llm/feed.xml'),
    ``page_path`` the HTML page it mirrors ('' for the home page, 'tags/llm/').
    ``updated`` defaults to the newest entry's timestamp.
    """
    return Feeds(config, markdown).feed(papers, feed_path=feed_path, page_path=page_path, title=title,
                                        updated=updated)
