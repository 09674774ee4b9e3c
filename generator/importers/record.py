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
# An arXiv id inside other text: a URL (arxiv.org/abs/2405.15738v2), "arXiv:2405.15738", a DataCite DOI
# (10.48550/arXiv.2405.15738) or "arXiv preprint arXiv:2405.15738".
_ARXIV_IN_TEXT = re.compile(
    r"(?:arxiv\.org/(?:abs|pdf)/|arxiv[:.]\s*|10\.48550/arxiv\.)"
    r"((?:\d{4}\.\d{4,5}|[a-z][a-z.-]*/\d{7})(?:v\d+)?)", re.IGNORECASE)
_DOI = re.compile(r"^10\.\d{4,9}/\S+$")


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
    doi: str = ""                    # as the source writes it (matched case-insensitively)
    venue: str = ""                  # journal or conference
    year: int | None = None          # only when the source gives a year but no full date
    type: str = ""                   # one of TYPES
    extra: tuple = ()                # (format, field, value): source fields with no place in the schema
    tags: tuple[str, ...] = ()       # suggested by the source (arXiv categories); new entries only

    @property
    def key(self) -> str:
        return normalize_title(self.title)

    @property
    def doi_key(self) -> str:
        return self.doi.casefold()


# The values of ``type`` (each format's own types are mapped to these, and back on export).
TYPES = ("article", "inproceedings", "preprint", "book", "chapter", "thesis", "report", "webpage",
         "dataset", "software", "misc")


def arxiv_base(arxiv_id: str) -> str:
    """The paper an arXiv id names: '2405.15738v2' -> '2405.15738' (any version is the same paper)."""
    return re.sub(r"v\d+$", "", arxiv_id.strip())


def find_arxiv_id(*texts: str) -> str:
    """The first arXiv id (without version) in URLs, DOIs or 'arXiv:...' notes, else ""."""
    for text in texts:
        if not isinstance(text, str) or not text:
            continue
        stripped = text.strip()
        if ARXIV_ID.match(stripped):
            return arxiv_base(stripped)
        m = _ARXIV_IN_TEXT.search(text)
        if m and ARXIV_ID.match(m.group(1)):
            return arxiv_base(m.group(1))
    return ""


def clean_doi(value: str) -> str:
    """A DOI without its URL or 'doi:' prefix, or "" if it is not one ('10.1000/xyz')."""
    if not isinstance(value, str):
        return ""
    text = value.strip()
    text = re.sub(r"^(?:https?://(?:dx\.)?doi\.org/|doi:\s*)", "", text, flags=re.IGNORECASE).strip()
    return text if _DOI.match(text) and len(text) <= 300 else ""


def plain_year(value) -> int | None:
    """A year from 1000 to 2999 written as a number or as digits, else None."""
    if isinstance(value, bool):
        return None
    if isinstance(value, str) and re.fullmatch(r"\s*\d{4}\s*", value):
        value = int(value)
    return value if isinstance(value, int) and 1000 <= value <= 2999 else None


@dataclass(frozen=True)
class Parsed:
    """One source file read: its records, the entries that could not be read, and notes worth logging."""

    records: tuple[PaperRecord, ...] = ()
    problems: tuple[SiteError, ...] = ()
    notes: tuple[str, ...] = ()
    format: str = ""       # the format it was read as (set by ``importers.read_data``)


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
        doi=first.doi or second.doi,
        venue=first.venue or second.venue,
        year=first.year or second.year if not (first.date or second.date) else None,
        type=first.type or second.type,
        extra=first.extra + tuple(e for e in second.extra if e[:2] not in {f[:2] for f in first.extra}),
        tags=tuple(dict.fromkeys(first.tags + second.tags)),
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
    """https://github.com/owner/repo for a URL inside a GitHub repository (a folder or file of it keeps its
    path: .../tree/main/project), else ""."""
    m = _GITHUB_REPO.match(url)
    if not m or m.group(1).lower() in _GITHUB_NOT_OWNERS:
        return ""
    repo = m.group(2)
    if repo.lower().endswith(".git"):
        repo = repo[:-4]
    if not repo or repo in (".", ".."):
        return ""
    root = f"https://github.com/{m.group(1)}/{repo}"
    # A folder or file of the repository (/tree/<branch>/<path>, /blob/...) is where the paper's code is: kept.
    rest = "/" + "/".join(urlsplit(url).path.split("/")[3:])
    inside = re.match(r"^/(tree|blob)/([^/?#\s]+)((?:/[^/?#\s]+)+)/?$", rest)
    if inside and ".." not in inside.group(3).split("/"):
        return f"{root}/{inside.group(1)}/{inside.group(2)}{inside.group(3)}"
    return root


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
