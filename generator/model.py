"""Plain data: what a paper is once its entry has been read and validated.

No I/O, no Jinja, no markdown here; every other step takes these objects.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from dataclasses import dataclass, field
from datetime import date
from typing import NamedTuple

from slugify import slugify as _slugify

STATUSES = ("to-read", "reading", "read")
SLUG_MAX = 80
AUTHORS_SHOWN = 3   # names a short author list shows before "et al."


@dataclass(frozen=True)
class Links:
    arxiv: str = ""
    pdf: str = ""
    code: str = ""
    project: str = ""
    other: tuple[str, ...] = ()


@dataclass(frozen=True)
class Source:
    """Where an imported paper came from: a file name, and the date of the listing or API day."""

    name: str = ""
    date: date | None = None
    format: str = ""


@dataclass(frozen=True)
class Paper:
    slug: str                      # file stem of content/<slug>.md; also its URL
    path: str                      # the entry file as shown to users, e.g. content/x.md
    title: str
    abstract: str = ""             # markdown: the body up to the notes heading
    notes: str = ""                # markdown: the curator's notes after "## Notes"
    private: str = ""              # markdown: everything after a "## Private" heading; shown only by the preview
    date: date | None = None
    authors: tuple[str, ...] = ()
    authors_count: int | None = None
    upvotes: int = 0
    tags: tuple[str, ...] = ()
    links: Links = field(default_factory=Links)
    arxiv_id: str = ""
    status: str = ""
    rating: int | None = None
    read_on: date | None = None    # when the curator read it (status: read)
    draft: bool = False
    source: Source | None = None
    doi: str = ""
    venue: str = ""                # journal or conference
    known_year: int | None = None  # the entry's `year:`, for papers whose full date is not known
    type: str = ""                 # article, inproceedings, preprint, ... (see importers.record.TYPES)
    extra: dict = field(default_factory=dict, hash=False)  # source fields kept for export: {format: {field: value}}
    title_line: int = 1            # the line of `title:` in the entry file (the preview's editor link opens it)

    @property
    def author_count(self) -> int | None:
        """How many authors the paper has, from the names or the recorded count."""
        if self.authors:
            return max(len(self.authors), self.authors_count or 0)
        return self.authors_count

    @property
    def year(self) -> int | None:
        return self.date.year if self.date else self.known_year

    def sort_key(self):
        """Newest first, undated last, then by title: a total, stable order."""
        return (self.date is None, -(self.date.toordinal() if self.date else 0), self.title.lower(), self.slug)


class Listed(NamedTuple):
    """What a list of papers by title shows of each (the archive: its date, its linked title, whether a draft).

    A page given these instead of papers is keyed on them alone (``incremental.page_key``): an edit of
    anything else of a paper (its abstract, its notes) leaves the page as it was.
    """

    slug: str
    title: str
    date: date | None
    draft: bool

    @classmethod
    def of(cls, paper: Paper) -> "Listed":
        return cls(paper.slug, paper.title, paper.date, paper.draft)


@functools.lru_cache(maxsize=1 << 17)
def normalize_title(title: str) -> str:
    # Memoised: every build compares every title for duplicates, and the preview rebuilds often.
    """A title reduced to lowercase letters and digits, to recognise the same paper twice."""
    if title.isascii():   # nothing to decompose or strip (most titles: a fifth of the time)
        return " ".join(_WORD.findall(title.lower()))
    text = unicodedata.normalize("NFKD", title).casefold()
    text = "".join(ch for ch in text if not unicodedata.combining(ch))
    return " ".join(_WORD.findall(text))


_WORD = re.compile(r"\w+")


def slugify(text: str, max_length: int = SLUG_MAX) -> str:
    """ASCII, lowercase, hyphenated, at most ``max_length`` characters; never empty."""
    slug = _slugify(text, max_length=max_length, word_boundary=True, save_order=True)
    return slug or "untitled"


@functools.lru_cache(maxsize=1 << 17)
def tag_slug(tag: str) -> str:
    # Memoised: asked for hundreds of thousands of times per build. Room for every tag of a large site: with
    # 4,096 entries, 11,331 keyword tags made 80,754 slugify calls a build (each evicted before its next use).
    return slugify(tag, max_length=60) if tag.strip() else "untitled"


def authors_short(paper: Paper, shown: int = AUTHORS_SHOWN) -> str:
    """'A, B, C et al. (12 authors)' for long lists; the count alone when names are unknown."""
    names = list(paper.authors)
    count = paper.author_count or 0
    if not names:
        return f"{count} author{'s' if count != 1 else ''}" if count else ""
    if len(names) <= shown + 1 and count <= len(names):
        return ", ".join(names)
    return f"{', '.join(names[:shown])} et al. ({count} authors)"
