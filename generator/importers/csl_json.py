"""CSL-JSON (Zotero "CSL JSON", Better CSL JSON, pandoc, citation.js, Manubot) -> PaperRecords. Never writes.

No library: CSL-JSON is JSON (read by ``hf_json.load_json``, which also gives each item's line), and
the mapping is a table. An item is a paper when it has a ``title`` and a CSL ``type`` or ``id``.

Mapping: title, author (``family``/``given``/particles/``suffix`` -> full name; ``literal`` names as
they are), issued (``date-parts`` with numbers or strings; a full date -> ``date``, a year alone or a
year and month -> ``year``; seasons (months 13-16, 21-24), ranges, BCE years and ``raw``/``literal``
dates are kept as written), DOI, URL, container-title -> venue, type -> ``type``, abstract, arXiv ids
from the URL, DOI (10.48550/arXiv.*), ``number`` or ``note``. Every other key (``id``, volume,
page, publisher, Crossref's extra keys...) is kept under ``extra: {csl: {...}}`` as it was.
"""

from __future__ import annotations

import datetime as dt
import re

from ..errors import SiteError
from ..model import Links, Source
from .hf_json import load_json
from .record import (Parsed, PaperRecord, arxiv_links, clean_doi, clean_url, find_arxiv_id, github_repo,
                     is_project_page, plain_year, unwrap)

TYPE_IN = {"article-journal": "article", "article-magazine": "article", "article-newspaper": "article",
           "paper-conference": "inproceedings", "article": "preprint", "book": "book", "chapter": "chapter",
           "thesis": "thesis", "report": "report", "webpage": "webpage", "post-weblog": "webpage",
           "post": "webpage", "dataset": "dataset", "software": "software"}
_MAPPED = {"type", "title", "author", "issued", "DOI", "URL", "container-title", "abstract"}
# Keys that mark a JSON object as a CSL item (at least one besides title, with type or id).
CSL_KEYS = {"author", "issued", "container-title", "DOI", "URL", "editor", "publisher", "page", "volume",
            "citation-key", "accessed", "ISSN", "ISBN", "abstract"}


def looks_like_csl(items: list[tuple[int, object]]) -> bool:
    """True if some item is a CSL item: a title, a string type or id, and another CSL key."""
    return any(isinstance(item, dict) and isinstance(item.get("title"), str)
               and (isinstance(item.get("type"), str) or isinstance(item.get("id"), (str, int)))
               and CSL_KEYS & set(item) for _, item in items)


def parse(text: str, name: str, *, shown: str | None = None, notes: tuple = ()) -> Parsed:
    shown = shown or name
    records, problems = [], []
    source = Source(name=name, format="csl-json")
    for line, item in load_json(text, shown):
        record, problem = _record(item, line, source)
        if problem:
            problems.append(SiteError(shown, line, problem))
        else:
            records.append(record)
    return Parsed(tuple(records), tuple(problems), tuple(notes))


def _text(value) -> str:
    if isinstance(value, list):   # container-title is a list in Crossref dumps
        value = next((v for v in value if isinstance(v, str)), "")
    return " ".join(value.split()) if isinstance(value, str) else ""


def full_name(person) -> str:
    if not isinstance(person, dict):
        return ""
    literal = _text(person.get("literal"))
    if literal:
        return literal
    parts = [_text(person.get(k)) for k in ("given", "dropping-particle", "non-dropping-particle", "family")]
    name = " ".join(p for p in parts if p)
    suffix = _text(person.get("suffix"))
    return f"{name}, {suffix}" if name and suffix else name


def _record(item, line: int, source: Source):
    if not isinstance(item, dict):
        return None, "not a CSL item (a JSON object): skipped"
    title = _text(item.get("title"))
    if not title:
        return None, f"CSL item {_id(item)}has no title: skipped"
    raw_authors = item.get("author")
    authors = tuple(n for n in (full_name(p) for p in raw_authors) if n) if isinstance(raw_authors, list) else ()
    when, year, problem = _issued(item.get("issued"))
    if problem:
        return None, f"CSL item {_id(item)}{problem}: skipped"
    doi = clean_doi(_text(item.get("DOI")))
    url = _text(item.get("URL"))
    arxiv_id = find_arxiv_id(url, doi, _text(item.get("number")), _text(item.get("note")))
    venue = _text(item.get("container-title"))
    csl_type = _text(item.get("type"))
    kind = TYPE_IN.get(csl_type, "misc")
    if arxiv_id and kind in ("misc", "article", "report") and not venue:
        kind = "preprint"
    arxiv, pdf = arxiv_links(arxiv_id) if arxiv_id else ("", "")
    links = Links(arxiv=arxiv, pdf=pdf)
    url = clean_url(url)
    if re.match(r"^https?://\S+$", url) and not find_arxiv_id(url):
        if github_repo(url):
            links = Links(arxiv=arxiv, pdf=pdf, code=github_repo(url))
        elif is_project_page(url):
            links = Links(arxiv=arxiv, pdf=pdf, project=url)
        else:
            links = Links(arxiv=arxiv, pdf=pdf, other=(url,))
    extra = []
    if csl_type and TYPE_IN.get(csl_type) != kind:
        extra.append(("csl", "type", csl_type))
    for key, value in item.items():
        if key in _MAPPED and not (key == "issued" and when is None and _partial(value)):
            continue
        if value is None or value == "" or value == [] or value == {}:
            continue
        extra.append(("csl", str(key), value))
    abstract = unwrap(item["abstract"]) if isinstance(item.get("abstract"), str) else ""
    return PaperRecord(title=title, abstract=abstract, date=when, authors=authors, arxiv_id=arxiv_id,
                       links=links, source=source, line=line, doi=doi, venue=venue, year=year, type=kind,
                       extra=tuple(extra)), None


def _id(item: dict) -> str:
    value = item.get("id")
    return f"'{str(value)[:60]}' " if isinstance(value, (str, int)) and not isinstance(value, bool) else ""


def _partial(issued) -> bool:
    """True when ``issued`` says more than a year (a month, season, range) but not a full date."""
    parts = issued.get("date-parts") if isinstance(issued, dict) else None
    return not (isinstance(parts, list) and len(parts) == 1 and isinstance(parts[0], list) and len(parts[0]) == 1)


def _number(value) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, str) and re.fullmatch(r"\s*-?\d{1,6}\s*", value):
        return int(value)
    return value if isinstance(value, int) else None


def _issued(issued) -> tuple[dt.date | None, int | None, str]:
    """(full date, year alone, problem) of a CSL date."""
    if issued is None:
        return None, None, ""
    if not isinstance(issued, dict):
        return None, None, "'issued' is not a CSL date object"
    parts = issued.get("date-parts")
    if parts is None:
        raw = _text(issued.get("raw")) or _text(issued.get("literal"))
        m = re.fullmatch(r"(\d{4})(?:-(\d{2})-(\d{2}))?", raw)
        if m and m.group(2):
            try:
                return dt.date(int(m.group(1)), int(m.group(2)), int(m.group(3))), None, ""
            except ValueError:
                return None, None, f"date '{raw}' does not exist"
        return None, plain_year(m.group(1)) if m else None, ""
    if not isinstance(parts, list) or not parts or not isinstance(parts[0], list) or not parts[0]:
        return None, None, "'issued' has no date-parts"
    first = [_number(p) for p in parts[0][:3]]
    if any(p is None for p in first):
        return None, None, f"'issued' date-parts {str(parts[0])[:40]} are not numbers"
    year = first[0]
    if len(parts) > 1 or len(first) == 1 or first[1] > 12:
        return None, plain_year(year), ""    # a range, a year alone or a season: the (first) year
    if len(first) == 2:
        if not 1 <= first[1] <= 12:
            return None, None, f"'issued' month {first[1]} does not exist"
        return None, plain_year(year), ""
    try:
        return dt.date(year, first[1], first[2]), None, ""
    except ValueError:
        return None, None, f"'issued' {year}-{first[1]}-{first[2]} does not exist"
