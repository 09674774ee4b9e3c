"""RIS (Zotero, EndNote, Mendeley, Scopus, Embase, Ovid exports) -> PaperRecords. Never writes.

Why rispy: it is the maintained RIS reader (and writer, which ``export`` uses), knows the tag
mapping of the RIS spec and its common variants (TI/T1, AU/A1, PY/Y1/DA, N2/AB, JO/JF/T2), joins
continuation lines, and keeps tags it does not know. The file is first cut into records here, from a
``TY  -`` line to its ``ER  -`` line, so each record is read alone and a bad one is reported with the
line it starts on; text between records (Ovid's "1." numbering) is ignored. rispy then reads each record.

Mapping: title (TI, T1), authors (AU, A1; "Last, First" -> "First Last"), date (DA, PY, Y1 as
YYYY/MM/DD/ with any part missing), DO -> doi, journal or book (T2, JO, JF, J2, JA) -> venue, TY ->
type, abstract (AB, N2), UR -> links (arXiv ids found there and in DO). Every other tag is kept under
``extra: {ris: {...}}`` by rispy's name for it (tags rispy does not know under their two letters).
"""

from __future__ import annotations

import datetime as dt
import re

import rispy

from ..errors import SiteError
from ..model import Links, Source
from .record import (Parsed, PaperRecord, arxiv_links, clean_doi, clean_url, find_arxiv_id, github_repo,
                     is_project_page, plain_year, unwrap)

_TAG = re.compile(r"^([A-Z][A-Z0-9])  -(?: |$)")
TYPE_IN = {"JOUR": "article", "JFULL": "article", "MGZN": "article", "NEWS": "article", "EJOUR": "article",
           "CONF": "inproceedings", "CPAPER": "inproceedings", "BOOK": "book", "EBOOK": "book", "EDBOOK": "book",
           "CHAP": "chapter", "ECHAP": "chapter", "THES": "thesis", "RPRT": "report", "ELEC": "webpage",
           "WEB": "webpage", "BLOG": "webpage", "DATA": "dataset", "COMP": "software", "GEN": "misc",
           "UNPB": "preprint", "MANSCPT": "preprint"}
_MAPPED = {"type_of_reference", "title", "primary_title", "authors", "first_authors", "date", "year",
           "publication_year", "doi", "secondary_title", "journal_name", "alternate_title1", "alternate_title2",
           "alternate_title3", "abstract", "notes_abstract", "urls"}
_VENUES = ("secondary_title", "journal_name", "alternate_title3", "alternate_title1", "alternate_title2")


def looks_like_ris(text: str) -> bool:
    """True if some line is a ``TY  -`` record start (RIS has no other signature)."""
    return re.search(r"^\ufeff?TY  - ", text[:2_000_000], re.MULTILINE) is not None


def records_of(text: str) -> tuple[list[tuple[int, str]], list[tuple[int, str]]]:
    """([(line, record text)], [(line, problem)]): records cut from TY to ER."""
    found, problems = [], []
    start, lines = None, []
    for number, raw in enumerate(text.lstrip("\ufeff").splitlines(), start=1):
        line = raw.rstrip()
        tag = _TAG.match(line)
        if tag and tag.group(1) == "TY":
            if start is not None:
                problems.append((start, "record not closed by an 'ER  -' line before the next 'TY  -'"))
            start, lines = number, [line]
        elif start is not None:
            lines.append(line)
            if tag and tag.group(1) == "ER":
                found.append((start, "\n".join(lines) + "\n"))
                start, lines = None, []
    if start is not None:
        problems.append((start, "record not closed by an 'ER  -' line (cut off at the end of the file?)"))
    return found, problems


def parse(text: str, name: str, *, shown: str | None = None, notes: tuple = ()) -> Parsed:
    shown = shown or name
    chunks, cut = records_of(text)
    problems = [SiteError(shown, line, f"{message}: entry skipped") for line, message in cut]
    records = []
    source = Source(name=name, format="ris")
    for line, chunk in chunks:
        try:
            items = rispy.loads(chunk)
        except (IOError, ValueError, KeyError, IndexError, TypeError, AttributeError) as exc:
            problems.append(SiteError(shown, line, f"not a RIS record ({_clip(str(exc)) or type(exc).__name__}): "
                                                   "entry skipped"))
            continue
        if len(items) != 1 or not isinstance(items[0], dict):
            problems.append(SiteError(shown, line, "not a RIS record: entry skipped"))
            continue
        record, problem = _record(items[0], line, source)
        if problem:
            problems.append(SiteError(shown, line, problem))
        else:
            records.append(record)
    problems.sort(key=lambda p: p.line or 0)
    return Parsed(tuple(records), tuple(problems), tuple(notes))


def _clip(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= 100 else text[:99] + "…"


def _text(value) -> str:
    if isinstance(value, list):
        value = " ".join(v for v in value if isinstance(v, str))
    return " ".join(value.split()) if isinstance(value, str) else ""


def full_name(name: str) -> str:
    """'Last, First' -> 'First Last'; 'Last, First, Jr.' -> 'First Last, Jr.'; anything else as it is."""
    parts = [p.strip() for p in name.split(",")]
    if len(parts) == 2 and parts[1]:
        return f"{parts[1]} {parts[0]}"
    if len(parts) == 3 and parts[1]:
        return f"{parts[1]} {parts[0]}, {parts[2]}"
    return " ".join(name.split())


def _record(item: dict, line: int, source: Source):
    kind = _text(item.get("type_of_reference")).upper()
    title = _text(item.get("title")) or _text(item.get("primary_title"))
    if not title:
        return None, f"TY {kind or '?'} record has no title (TI or T1): entry skipped"
    names = [n for key in ("authors", "first_authors") for n in (item.get(key) or []) if isinstance(n, str)]
    authors = tuple(dict.fromkeys(full for full in (full_name(n) for n in names) if full))
    when, year, problem = _date(item)
    if problem:
        return None, f"{problem}: entry skipped"
    doi = clean_doi(_text(item.get("doi")))
    urls = [u.strip() for u in (item.get("urls") or []) if isinstance(u, str) and u.strip()]
    arxiv_id = find_arxiv_id(*urls, doi, _text(item.get("notes")), _text(item.get("number")))
    venue = next((_text(item.get(k)) for k in _VENUES if _text(item.get(k))), "")
    kind_type = TYPE_IN.get(kind, "misc")
    if arxiv_id and kind_type in ("misc", "article", "report") and not venue:
        kind_type = "preprint"
    arxiv, pdf = arxiv_links(arxiv_id) if arxiv_id else ("", "")
    code = project = ""
    other = []
    for url in urls:
        url = clean_url(url)
        if not re.match(r"^https?://\S+$", url) or find_arxiv_id(url):
            continue
        if github_repo(url) and not code:
            code = github_repo(url)
        elif is_project_page(url) and not project:
            project = url
        elif url not in other:
            other.append(url)
    extra = []
    if kind and TYPE_IN.get(kind) != kind_type:
        extra.append(("ris", "type_of_reference", kind))
    for key, value in item.items():
        if key in _MAPPED and not (key == "date" and when is None):   # a DA without a day is kept as written
            continue
        if key == "unknown_tag" and isinstance(value, dict):
            for tag, values in value.items():
                values = values if isinstance(values, list) else [values]
                extra.append(("ris", str(tag), [" ".join(v.split()) if isinstance(v, str) else v for v in values]))
            continue
        if isinstance(value, str) and value.strip():
            extra.append(("ris", key, " ".join(value.split())))
        elif isinstance(value, list) and value:
            extra.append(("ris", key, [" ".join(v.split()) if isinstance(v, str) else v for v in value]))
    abstract = unwrap(item.get("abstract") or item.get("notes_abstract") or "") \
        if isinstance(item.get("abstract") or item.get("notes_abstract") or "", str) else ""
    return PaperRecord(
        title=title, abstract=abstract, date=when, authors=authors, arxiv_id=arxiv_id,
        links=Links(arxiv=arxiv, pdf=pdf, code=code, project=project, other=tuple(other)),
        source=source, line=line, doi=doi, venue=venue, year=year, type=kind_type,
        extra=tuple(extra)), None


def _date(item: dict) -> tuple[dt.date | None, int | None, str]:
    """(full date, year alone, problem) from DA, then PY/Y1 (``YYYY/MM/DD/other``, parts may be empty)."""
    for key in ("date", "year", "publication_year"):
        text = _text(item.get(key))
        if not text:
            continue
        m = re.fullmatch(r"(\d{4})(?:[/-](\d{0,2})(?:[/-](\d{0,2})(?:/.*)?)?)?/?", text)
        if not m:
            if key == "date":
                continue          # DA is free text in some exports; PY may still give the year
            return None, None, f"{'PY' if key == 'year' else 'Y1'} '{text[:40]}' is not a year"
        year, month, day = int(m.group(1)), m.group(2), m.group(3)
        if month and day:
            try:
                return dt.date(year, int(month), int(day)), None, ""
            except ValueError:
                return None, None, f"date '{text}' does not exist"
        if month and not 1 <= int(month) <= 12:
            return None, None, f"date '{text}' has no month {month}"
        return None, plain_year(year), ""
    return None, None, ""
