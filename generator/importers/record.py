"""What an importer produces: ``PaperRecord``s and the problems met on the way. Pure data and helpers.

A record holds only what the source says; a value the source does not give is
left empty (None, "" or ()), never guessed. ``emit`` turns records into entries.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
import datetime as dt
from urllib.parse import urlsplit

from ..errors import SiteError
from ..model import Links, Source, normalize_title

ARXIV_ID = re.compile(r"^(?:\d{4}\.\d{4,5}|[a-z][a-z.-]*/\d{7})(?:v\d+)?$")


@dataclass(frozen=True)
class PaperRecord:
    title: str
    abstract: str = ""
    date: dt.date | None = None
    authors: tuple[str, ...] = ()
    authors_count: int | None = None
    upvotes: int | None = None
    arxiv_id: str = ""
    links: Links = field(default_factory=Links)
    source: Source | None = None
    line: int | None = None          # where the record starts in its source file (for messages)

    @property
    def key(self) -> str:
        return normalize_title(self.title)


@dataclass(frozen=True)
class Parsed:
    """One source file read: its records, the entries that could not be read, and notes worth logging."""

    records: tuple[PaperRecord, ...] = ()
    problems: tuple[SiteError, ...] = ()
    notes: tuple[str, ...] = ()


def merge_records(first: PaperRecord, second: PaperRecord) -> PaperRecord:
    """The same paper met twice: one record keeping the richer data of both.

    The first record's title and source win; every empty field is filled from the
    second; longer author lists and abstracts win; upvotes take the larger snapshot.
    """
    def longer(a, b):
        return b if len(b) > len(a) else a

    counts = [c for c in (first.authors_count, second.authors_count) if c is not None]
    votes = [v for v in (first.upvotes, second.upvotes) if v is not None]
    a, b = first.links, second.links
    links = Links(arxiv=a.arxiv or b.arxiv, pdf=a.pdf or b.pdf, code=a.code or b.code,
                  project=a.project or b.project,
                  other=tuple(dict.fromkeys(a.other + b.other)))
    return replace(
        first,
        abstract=longer(first.abstract, second.abstract),
        date=first.date or second.date,
        authors=longer(first.authors, second.authors),
        authors_count=max(counts) if counts else None,
        upvotes=max(votes) if votes else None,
        arxiv_id=first.arxiv_id or second.arxiv_id,
        links=links,
        source=first.source or second.source,
    )


def arxiv_links(arxiv_id: str) -> tuple[str, str]:
    """(abstract page, PDF) URLs of an arXiv id, or ("", "") if it is not a well-formed id."""
    if not ARXIV_ID.match(arxiv_id):
        return "", ""
    return f"https://arxiv.org/abs/{arxiv_id}", f"https://arxiv.org/pdf/{arxiv_id}"


def unwrap(text: str) -> str:
    """Undo hard line wraps: lines of a paragraph joined by single spaces; blank-line paragraph breaks kept."""
    paragraphs = re.split(r"\n[ \t]*\n", text.replace("\r\n", "\n").strip())
    return "\n\n".join(" ".join(p.split()) for p in paragraphs if p.strip())


# A URL as it appears in running text; trailing punctuation is trimmed by clean_url.
_URL = re.compile(r"https?://[^\s<>\"'`\\{}|^]+", re.IGNORECASE)
_GITHUB_REPO = re.compile(r"^https?://(?:www\.)?github\.com/([A-Za-z0-9_.-]+)/([A-Za-z0-9_.-]+)(?:[/?#].*)?$",
                          re.IGNORECASE)
# github.com paths that are site pages, not owners
_GITHUB_NOT_OWNERS = {"orgs", "topics", "features", "about", "marketplace", "sponsors", "settings", "search"}


def clean_url(url: str) -> str:
    """A URL cut out of prose without the sentence punctuation that followed it ("...ReNO." -> "...ReNO")."""
    while url:
        last = url[-1]
        if last in ".,;:!?'\"*" or (last == ")" and url.count("(") < url.count(")")) \
                or (last == "]" and url.count("[") < url.count("]")):
            url = url[:-1]
        else:
            break
    return url


def github_repo(url: str) -> str:
    """https://github.com/owner/repo for any URL inside a GitHub repository, else ""."""
    m = _GITHUB_REPO.match(url)
    if not m or m.group(1).lower() in _GITHUB_NOT_OWNERS:
        return ""
    repo = m.group(2)
    if repo.lower().endswith(".git"):
        repo = repo[:-4]
    if not repo or repo in (".", ".."):
        return ""
    return f"https://github.com/{m.group(1)}/{repo}"


def is_project_page(url: str) -> bool:
    """A GitHub Pages site (owner.github.io/...) is, in practice, a paper's project page."""
    host = (urlsplit(url).hostname or "").lower()
    return host.endswith(".github.io")


def links_from_text(text: str, *, code: str = "", project: str = "", arxiv: str = "", pdf: str = "") -> Links:
    """Sort the URLs in an abstract: the first GitHub repository is the code link, the first
    GitHub Pages site the project page (unless given), every other URL goes to ``other``."""
    other: list[str] = []
    for raw in _URL.findall(text):
        url = clean_url(raw)
        if not re.match(r"^https?://[^/\s]+\.[^/\s]+", url):
            continue
        repo = github_repo(url)
        if repo:
            if not code:
                code = repo
                continue
            if repo == code:
                continue
            url = repo
        elif is_project_page(url) and not project:
            project = url
            continue
        if url not in other and url not in (code, project, arxiv, pdf):
            other.append(url)
    return Links(arxiv=arxiv, pdf=pdf, code=code, project=project, other=tuple(other))
