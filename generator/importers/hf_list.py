"""Hugging Face collection, profile ("upvoted papers") and organisation pages (copied text) -> PaperRecords.

One paper a line: ``Title Paper • 2412.09596 • Published Dec 12, 2024 • 94`` (the title may also
stand alone on the line before ``Paper • ...``). Title, arXiv id, date and upvotes come through;
these pages show no abstract, so none is invented. Every other line (the page's chrome: "Upvoted
papers", "Collections", user names) is ignored. A line that starts like a paper line but cannot be
read is reported and skipped.
"""

from __future__ import annotations

import datetime as dt
import re

from ..errors import SiteError
from ..model import Links, Source
from .hf_text import MONTHS
from .record import Parsed, PaperRecord, arxiv_links

_SEP = r"\s*[•\u2022·]\s*"
LINE = re.compile(
    r"^(?P<title>.*?)\s*\bPaper" + _SEP + r"(?P<id>\d{4}\.\d{4,5})(?:v\d+)?" + _SEP
    + r"Published\s+(?:on\s+)?(?P<month>[A-Za-z]{3})[a-z]*\.?\s+(?P<day>\d{1,2})(?:,\s*(?P<year>\d{4}))?"
    + r"(?:" + _SEP + r"(?P<upvotes>\d+))?\s*$")
_START = re.compile(r"\bPaper" + _SEP + r"\d{4}\.\d{4,5}")


def looks_like_list(text: str) -> bool:
    return any(LINE.match(line.strip()) for line in text.splitlines()[:5000])


def parse(text: str, name: str, *, shown: str | None = None, year: int | None = None, notes: tuple = ()) -> Parsed:
    shown = shown or name
    records, problems = [], []
    previous = ""
    source = Source(name=name, format="hf-list")
    for number, raw in enumerate(text.lstrip("\ufeff").splitlines(), start=1):
        line = " ".join(raw.split())
        if not line:
            continue
        m = LINE.match(line)
        if m is None:
            if _START.search(line):
                problems.append(SiteError(shown, number, f"'{line[:80]}' is not 'Title Paper • id • Published "
                                                         "Mon D, YYYY • upvotes': line skipped"))
            previous = line
            continue
        title = m.group("title").strip() or previous
        previous = ""
        if not title:
            problems.append(SiteError(shown, number, "a paper line without a title: line skipped"))
            continue
        when_year = int(m.group("year")) if m.group("year") else year
        month = MONTHS.get(m.group("month").lower())
        if when_year is None or month is None:
            problems.append(SiteError(shown, number, f"'{title[:60]}': the date has no year (pass --year YYYY) "
                                                     "or no month: line skipped"))
            continue
        try:
            when = dt.date(when_year, month, int(m.group("day")))
        except ValueError:
            problems.append(SiteError(shown, number, f"'{title[:60]}': not a real date: line skipped"))
            continue
        arxiv, pdf = arxiv_links(m.group("id"))
        records.append(PaperRecord(
            title=title, date=when, upvotes=int(m.group("upvotes")) if m.group("upvotes") else 0,
            arxiv_id=m.group("id"), links=Links(arxiv=arxiv, pdf=pdf), source=source, line=number,
            type="preprint"))
    return Parsed(tuple(records), tuple(problems), tuple(notes))
