"""arXiv API responses (the Atom XML of ``export.arxiv.org/api/query``) -> PaperRecords. Never writes.

Parsed with the standard library's ElementTree (no dependency); a document with a DOCTYPE is refused
before parsing (the API never sends one, and it is how entity expansion attacks start). Both the old
serialisation (per-element namespaces, ``title type="html"``) and the 2026 one are read: elements are
found by namespace and name, never by position.

Mapping: the id (``http://arxiv.org/abs/2405.15738v2``) -> ``arxiv_id`` without its version (the
version is kept in ``extra.arxiv.version``), title and summary unwrapped, authors, ``published`` ->
date, ``arxiv:doi`` -> doi, ``arxiv:journal_ref`` -> venue (then type article, else preprint),
``arxiv:comment`` -> ``extra.arxiv.comment`` (code and project links in it become links), and the
categories (primary first) -> suggested tags written ``arxiv:cs.LG``, for new entries only.
An API error response (an entry whose id is ``.../api/errors#...``) is an error of the whole file.
"""

from __future__ import annotations

import datetime as dt
import re
import xml.etree.ElementTree as ET

from ..errors import SiteError
from ..model import Source
from .record import Parsed, PaperRecord, arxiv_base, arxiv_links, clean_doi, links_from_text, unwrap

ATOM = "{http://www.w3.org/2005/Atom}"
ARXIV = "{http://arxiv.org/schemas/atom}"
_ID = re.compile(r"arxiv\.org/abs/((?:\d{4}\.\d{4,5}|[a-z][a-z.-]*/\d{7})(v\d+)?)$", re.IGNORECASE)


def looks_like_atom(text: str) -> bool:
    head = text.lstrip("\ufeff \t\r\n")[:4000]
    return head.startswith("<") and "http://www.w3.org/2005/Atom" in head and "<feed" in head


def parse(text: str, name: str, *, shown: str | None = None, notes: tuple = ()) -> Parsed:
    shown = shown or name
    text = text.lstrip("\ufeff")
    if re.search(r"<!DOCTYPE|<!ENTITY", text, re.IGNORECASE):
        raise SiteError(shown, None, "XML with a DOCTYPE or ENTITY declaration: not an arXiv API response")
    try:
        root = ET.fromstring(text)
    except ET.ParseError as exc:
        line = exc.position[0] if getattr(exc, "position", None) else None
        raise SiteError(shown, line, f"invalid XML: {str(exc).split(':')[0]}") from None
    except (ValueError, RecursionError) as exc:
        raise SiteError(shown, None, f"invalid XML ({type(exc).__name__})") from None
    if root.tag != f"{ATOM}feed":
        raise SiteError(shown, None, "XML, but not an Atom feed (an arXiv API response is <feed xmlns=\"http://www.w3.org/2005/Atom\">)")
    starts = [text.count("\n", 0, m.start()) + 1 for m in re.finditer(r"<(?:\w+:)?entry[\s>]", text)]
    records, problems = [], []
    source = Source(name=name, format="arxiv-atom")
    for index, entry in enumerate(root.findall(f"{ATOM}entry")):
        line = starts[index] if index < len(starts) else None
        ident = _text(entry.find(f"{ATOM}id"))
        if "/api/errors" in ident:
            raise SiteError(shown, line, f"an arXiv API error response: {_text(entry.find(f'{ATOM}summary'))[:200]}")
        record, problem = _record(entry, ident, line, source)
        if problem:
            problems.append(SiteError(shown, line, problem))
        else:
            records.append(record)
    if not records and not problems:
        total = _text(root.find("{http://a9.com/-/spec/opensearch/1.1/}totalResults"))
        notes = tuple(notes) + (f"an arXiv API response with no entries (totalResults {total or '?'})",)
    return Parsed(tuple(records), tuple(problems), tuple(notes))


def _text(element) -> str:
    return " ".join((element.text or "").split()) if element is not None else ""


def _record(entry, ident: str, line: int | None, source: Source):
    m = _ID.search(ident)
    if not m:
        return None, f"entry id '{ident[:80]}' is not an arXiv abstract URL: skipped"
    title = _text(entry.find(f"{ATOM}title"))
    if not title:
        return None, f"arXiv {m.group(1)} has no title: skipped"
    arxiv_id = arxiv_base(m.group(1))
    published = _text(entry.find(f"{ATOM}published"))
    try:
        when = dt.date.fromisoformat(published[:10]) if published else None
    except ValueError:
        return None, f"arXiv {arxiv_id}: published '{published[:40]}' is not a date: skipped"
    authors = tuple(n for n in (_text(a.find(f"{ATOM}name")) for a in entry.findall(f"{ATOM}author")) if n)
    summary = entry.find(f"{ATOM}summary")
    abstract = unwrap(summary.text or "") if summary is not None else ""
    doi = clean_doi(_text(entry.find(f"{ARXIV}doi")))
    venue = _text(entry.find(f"{ARXIV}journal_ref"))
    comment = _text(entry.find(f"{ARXIV}comment"))
    primary = entry.find(f"{ARXIV}primary_category")
    terms = [primary.get("term", "")] if primary is not None else []
    terms += [c.get("term", "") for c in entry.findall(f"{ATOM}category")]
    tags = tuple(dict.fromkeys(f"arxiv:{t.strip()}" for t in terms if re.fullmatch(r"[A-Za-z.-]+", t.strip() or "-")))
    arxiv, pdf = arxiv_links(arxiv_id)
    links = links_from_text(f"{abstract}\n{comment}", arxiv=arxiv, pdf=pdf)
    extra = []
    if m.group(2):
        extra.append(("arxiv", "version", m.group(2)))
    if comment:
        extra.append(("arxiv", "comment", comment))
    return PaperRecord(title=title, abstract=abstract, date=when, authors=authors, arxiv_id=arxiv_id,
                       links=links, source=source, line=line, doi=doi, venue=venue,
                       type="article" if venue else "preprint", extra=tuple(extra), tags=tags), None
