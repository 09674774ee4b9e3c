"""Hugging Face daily papers API JSON (``/api/daily_papers``) -> PaperRecords. Never writes.

The input is a list of ``{"paper": {...}, "publishedAt": ..., ...}`` objects (or one
such object). Fields added by later API versions (githubRepo, projectPage) are used
when present and never required. An item that cannot be read is reported with the
line it starts on and skipped.
"""

from __future__ import annotations

import datetime as dt
import json

from ..errors import SiteError
from ..model import Source
from .record import Parsed, PaperRecord, arxiv_links, github_repo, links_from_text, unwrap


def load_json(text: str, shown: str) -> list[tuple[int, object]]:
    """The items of a JSON list (or a single object) with the line each starts on.

    Raises SiteError, with the line, when the text is not valid JSON.
    """
    decoder = json.JSONDecoder()
    text = text.lstrip("\ufeff")
    try:
        start = len(text) - len(text.lstrip())
        if text[start:start + 1] != "[":
            value, end = decoder.raw_decode(text, start)
            _expect_end(text, end)
            return [(_line(text, start), value)]
        items, pos = [], start + 1
        while True:
            pos = _skip_space(text, pos)
            if text[pos:pos + 1] == "]":
                _expect_end(text, pos + 1)
                return items
            if items:
                if text[pos:pos + 1] != ",":
                    raise json.JSONDecodeError("Expecting ',' delimiter", text, pos)
                pos = _skip_space(text, pos + 1)
            value, end = decoder.raw_decode(text, pos)
            items.append((_line(text, pos), value))
            pos = end
    except json.JSONDecodeError as exc:
        raise SiteError(shown, exc.lineno, f"invalid JSON: {exc.msg} (column {exc.colno})") from None
    except RecursionError:
        raise SiteError(shown, None, "invalid JSON: nested too deeply") from None


def _skip_space(text: str, pos: int) -> int:
    while pos < len(text) and text[pos] in " \t\r\n":
        pos += 1
    return pos


def _expect_end(text: str, pos: int) -> None:
    pos = _skip_space(text, pos)
    if pos != len(text):
        raise json.JSONDecodeError("Extra data", text, pos)


def _line(text: str, pos: int) -> int:
    return text.count("\n", 0, pos) + 1


def looks_like_json(items: list[tuple[int, object]]) -> bool:
    """True if any item has the API's ``paper`` object."""
    return any(isinstance(item, dict) and isinstance(item.get("paper"), dict) for _, item in items)


def parse(text: str, name: str, *, shown: str | None = None) -> Parsed:
    """Read one API response. Raises SiteError if the text is not JSON at all."""
    shown = shown or name
    records, problems = [], []
    for line, item in load_json(text, shown):
        record, problem = _record(item, line, shown, name)
        if problem:
            problems.append(SiteError(shown, line, problem))
        else:
            records.append(record)
    return Parsed(tuple(records), tuple(problems), ())


def _record(item, line: int, shown: str, name: str) -> tuple[PaperRecord | None, str]:
    if not isinstance(item, dict) or not isinstance(item.get("paper"), dict):
        return None, "not a daily-papers item (no 'paper' object): skipped"
    paper = item["paper"]
    title = " ".join(_text(paper.get("title")).split()) or " ".join(_text(item.get("title")).split())
    if not title:
        return None, "paper without a title: skipped"
    abstract = unwrap(_text(paper.get("summary")))
    arxiv_id = _text(paper.get("id")).strip()
    arxiv, pdf = arxiv_links(arxiv_id)
    if not arxiv:
        arxiv_id = ""  # not an arXiv id we can link to; the title identifies the paper instead
    raw_authors = paper.get("authors")
    authors = tuple(" ".join(a["name"].split()) for a in raw_authors or ()
                    if isinstance(a, dict) and isinstance(a.get("name"), str) and a["name"].strip()) \
        if isinstance(raw_authors, list) else ()
    upvotes = paper.get("upvotes")
    if isinstance(upvotes, bool) or not isinstance(upvotes, int) or upvotes < 0:
        upvotes = None
    code = github_repo(_text(paper.get("githubRepo")).strip())
    project = _url(paper.get("projectPage"))
    links = links_from_text(abstract, code=code, project=project, arxiv=arxiv, pdf=pdf)
    source = Source(name=name, date=_day(item.get("publishedAt")), format="hf-json")
    return PaperRecord(
        title=title, abstract=abstract, date=_day(paper.get("publishedAt")),
        authors=authors, authors_count=len(authors) if isinstance(raw_authors, list) and authors else None,
        upvotes=upvotes, arxiv_id=arxiv_id, links=links, source=source, line=line), ""


def _text(value) -> str:
    return value if isinstance(value, str) else ""


def _url(value) -> str:
    value = _text(value).strip()
    return value if value.startswith(("https://", "http://")) and " " not in value else ""


def _day(value) -> dt.date | None:
    """The date of an API timestamp such as 2024-05-24T17:34:15.000Z; None if it is not one."""
    text = _text(value)
    try:
        return dt.date.fromisoformat(text[:10])
    except ValueError:
        return None
