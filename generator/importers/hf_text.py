"""Hugging Face "Daily Papers" page text (a copy of the page) -> PaperRecords. Never writes.

The page, as copied: a header ending in the page's own date ("Oct 29"), then per paper
a title line, an abstract paragraph, and usually "  • 7 authors", "·" and the paper's
date ("Mar 9, 2018", optionally followed by an upvote count: "Mar 11 3").
Entries that cannot be read (cut off, glued, a date that does not exist) are
reported with their line and skipped; everything else is imported.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from datetime import date

from ..errors import SiteError
from ..model import Source
from .record import Parsed, PaperRecord, links_from_text

MONTHS = {m: i for i, m in enumerate(
    ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"), start=1)}

# Every piece of the metadata block is optional, so lines glued together ("• 3 authors · May 19") still match.
_META = re.compile(
    r"^(?:[•\u2022]\s*(?P<authors>\d+)\s+authors?)?\s*"
    r"(?P<dot>[·\u00b7])?\s*"
    r"(?:(?P<month>[A-Za-z]{3})[a-z]*\.?\s+(?P<day>\d{1,2})(?:,\s*(?P<year>\d{4}))?(?:\s+(?P<upvotes>\d+))?)?$")
HEADER_LINES = {"new", "get trending papers in your email inbox!", "subscribe", "daily papers",
                "byak and the research community",
                # the site's chrome, kept by a crawl or a copy of the whole page: never a paper
                "submitted by", "upvote", "upvoted", "hugging face", "models", "datasets", "spaces", "posts", "docs",
                "enterprise", "pricing", "log in", "sign up", "collections", "papers", "trending", "search",
                "previous", "next", "view paper", "get this paper in your agent:"}
_SUBMITTED = re.compile(r"^submitted by\b", re.IGNORECASE)
# A line this long in a title's place is a further abstract paragraph, not the next title.
TITLE_MAX = 300


@dataclass(frozen=True)
class _Meta:
    line: int
    authors: int | None
    dot: bool
    month: int | None
    day: int | None
    year: int | None
    upvotes: int | None
    text: str

    @property
    def has_date(self) -> bool:
        return self.month is not None


def _meta(line: int, text: str) -> _Meta | None:
    m = _META.match(text)
    if not m or not text:
        return None
    month = None
    if m.group("month"):
        month = MONTHS.get(m.group("month").lower())
        if month is None:
            return None
    return _Meta(line, int(m.group("authors")) if m.group("authors") else None, bool(m.group("dot")),
                 month, int(m.group("day")) if m.group("day") else None,
                 int(m.group("year")) if m.group("year") else None,
                 int(m.group("upvotes")) if m.group("upvotes") else None, text)


@dataclass
class _Draft:
    """An entry while it is being read: title, abstract paragraphs and its metadata lines."""

    line: int
    title: str
    paragraphs: list
    metas: list
    broken: bool = False


def looks_like_text(text: str) -> bool:
    """True if the text has at least one authors or date line of the page format."""
    return any(_meta(0, line.strip()) for line in text.splitlines()[:2000] if line.strip())


def parse(text: str, name: str, *, shown: str | None = None, year: int | None = None) -> Parsed:
    """Read the page text of the listing called ``name`` (shown in messages as ``shown``)."""
    shown = shown or name
    problems: list[SiteError] = []
    lines = [(n, raw.strip()) for n, raw in enumerate(text.lstrip("\ufeff").splitlines(), start=1) if raw.strip()]
    lines = _without_submitters(lines)

    # The header: known boilerplate lines, then the page's own date.
    i, page = 0, None
    while i < len(lines) and lines[i][1].lower() in HEADER_LINES:
        i += 1
    first = _meta(*lines[i]) if i < len(lines) else None
    if first and first.has_date and first.authors is None and not first.dot and first.upvotes is None:
        page, i = first, i + 1

    drafts: list[_Draft] = []
    current: _Draft | None = None
    orphan = False   # inside a run of metadata lines that belong to no paper (reported once)
    for n, line in lines[i:]:
        meta = _meta(n, line)
        if meta is not None:
            if current is not None and current.broken:
                continue
            if current is None or not current.paragraphs:
                if current is not None:
                    current.broken = True
                    problems.append(SiteError(shown, n, f"'{line}' right after the title '{_short(current.title)}' "
                                                        f"(no abstract, or lines glued together): entry skipped"))
                elif not orphan:
                    problems.append(SiteError(shown, n, f"'{line}' without a paper before it: line skipped"))
                orphan = True
                continue
            current.metas.append(meta)
            continue
        orphan = False
        if line.lower() in HEADER_LINES:
            continue
        if current is not None and not current.metas and not current.broken \
                and (not current.paragraphs or len(line) > TITLE_MAX):
            current.paragraphs.append(line)        # the abstract, or a further paragraph of it
            continue
        current = _Draft(n, line, [], [])
        drafts.append(current)

    records: list[PaperRecord] = []
    pending: list[tuple[PaperRecord, _Meta]] = []   # dates without a year, resolved below
    for index, draft in enumerate(drafts):
        last = index == len(drafts) - 1
        record, meta, problem = _finish(draft, shown, last, name)
        if problem:
            problems.append(problem)
        if record is None:
            continue
        if meta is not None and meta.has_date and meta.year is None:
            pending.append((record, meta))
        else:
            records.append(record)

    page_year, notes = _page_year(records, pending, page, year)
    page_date = None
    if page is not None and page_year is not None:
        page_date = _date(page_year, page.month, page.day)
    for record, meta in pending:
        if page_year is None:
            problems.append(SiteError(shown, meta.line, f"date '{meta.text}' has no year and the page gives none "
                                                        f"to infer it from: entry skipped (pass --year YYYY)"))
            continue
        if year is None and page is not None and (meta.month, meta.day) > (page.month, page.day):
            problems.append(SiteError(shown, meta.line, f"date '{meta.text}' has no year and falls after the page "
                                                        f"date ({page.text}): entry skipped (pass --year YYYY)"))
            continue
        when = _date(page_year, meta.month, meta.day)
        if when is None:
            problems.append(SiteError(shown, meta.line, f"'{meta.text}' is not a date in {page_year}: entry skipped"))
            continue
        records.append(replace(record, date=when))
    records.sort(key=lambda r: r.line or 0)
    source = Source(name=name, date=page_date, format="hf-text")
    records = [replace(r, source=source) for r in records]
    return Parsed(tuple(records), tuple(problems), tuple(notes))


def _without_submitters(lines: list[tuple[int, str]]) -> list[tuple[int, str]]:
    """The lines without "Submitted by" and the user name under it (site chrome, not a title)."""
    out, skip = [], False
    for number, line in lines:
        if skip:
            skip = False
            if " " not in line:
                continue
        if _SUBMITTED.match(line):
            skip = line.lower() == "submitted by"
            continue
        out.append((number, line))
    return out


def _finish(draft: _Draft, shown: str, last: bool, name: str):
    """(record, metadata, problem) for one entry; a record is None when the entry is skipped."""
    title = " ".join(draft.title.split())
    if draft.broken:
        return None, None, None  # already reported at the line that broke it
    if draft.paragraphs and " " not in title and all(" " not in p.strip() for p in draft.paragraphs) \
            and not re.search(r"[.!?]$", draft.paragraphs[-1]):
        return None, None, SiteError(shown, draft.line, f"'{_short(title)}' followed by '{_short(draft.paragraphs[0])}'"
                                                        " does not look like a paper (one word each: a user name or "
                                                        "the site's menu?): entry skipped")
    if not draft.paragraphs:
        where = "at the end of the file (cut off?)" if last else "(the next line is a new title)"
        return None, None, SiteError(shown, draft.line, f"'{_short(title)}' has a title but no abstract "
                                                        f"{where}: entry skipped")
    abstract = "\n\n".join(draft.paragraphs)
    authors, dot, when = None, False, None
    for meta in draft.metas:
        if (meta.authors is not None and (authors is not None or dot or when)) \
                or (meta.dot and (dot or when)) or (meta.has_date and when):
            return None, None, SiteError(shown, meta.line, f"unexpected '{meta.text}' in the entry "
                                                           f"'{_short(title)}': entry skipped")
        authors = meta.authors if meta.authors is not None else authors
        dot = dot or meta.dot
        when = meta if meta.has_date else when
    if draft.metas and when is None and (dot or last):
        line = draft.metas[-1].line
        return None, None, SiteError(shown, line, f"the entry '{_short(title)}' ends without its date"
                                                  f"{' (cut off at the end of the file?)' if last else ''}: "
                                                  f"entry skipped")
    if last and not draft.metas and not re.search(r"[.!?)\]\"'”]$", abstract):
        return None, None, SiteError(shown, draft.line, f"the entry '{_short(title)}' is cut off at the end of "
                                                        f"the file: entry skipped")
    record = PaperRecord(
        title=title, abstract=abstract, authors_count=authors,
        upvotes=(when.upvotes if when else None) or 0,  # the page shows no count for 0 upvotes
        links=links_from_text(abstract), line=draft.line)
    if when is not None and when.year is not None:
        exact = _date(when.year, when.month, when.day)
        if exact is None:
            return None, None, SiteError(shown, when.line, f"'{when.text}' is not a real date: entry skipped")
        record = replace(record, date=exact)
    return record, when, None


def _page_year(records, pending, page: _Meta | None, year: int | None) -> tuple[int | None, list[str]]:
    """The year of the page: --year if given, else one later than every year printed on the page.

    Year-less dates are the page's current year, and the years printed are earlier ones, so the
    page year is the first year after the latest one printed.
    """
    if year is not None:
        return year, []
    if page is not None and page.year is not None:
        return page.year, []
    if not pending and page is None:
        return None, []
    printed = [r.date.year for r in records if r.date is not None]
    if not printed:
        return None, []
    inferred = max(printed) + 1
    where = f" (page date {page.text})" if page is not None else ""
    return inferred, [f"inferred year {inferred} for dates without a year{where}; pass --year to override"]


def _date(year: int, month: int, day: int) -> date | None:
    try:
        return date(year, month, day)
    except ValueError:
        return None


def _short(title: str, limit: int = 60) -> str:
    return title if len(title) <= limit else title[: limit - 1] + "…"
