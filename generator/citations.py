"""Papers -> RIS records and CSL-JSON items: the one implementation of each, used by `papershelf export`,
by the site's citation files (the whole list's), by each paper's page (which shows them) and by the browser's
exports of a tag, a shelf, a browse or a search result (which joins the records made here). Pure: returns text and data.

Each format writes every field of the schema it can hold (title, authors, date or year, doi, venue,
type, abstract, arXiv id, one or more URLs) and the fields its own import kept under ``extra:`` (a RIS
file's tags, a CSL item's id). Tags, status, rating, read_on, notes, private notes and upvotes are the
reading list's own and are never written. Math (``$...$``) is written as TeX.
"""

from __future__ import annotations

import functools
import json
import math
import re
from dataclasses import dataclass
from json.encoder import encode_basestring as _json_string   # as json.dumps(..., ensure_ascii=False)
from types import MappingProxyType
from typing import Callable, Iterator, Mapping, Sequence

from .model import Paper

RIS_TYPE = {"article": "JOUR", "inproceedings": "CONF", "preprint": "UNPB", "book": "BOOK", "chapter": "CHAP",
            "thesis": "THES", "report": "RPRT", "webpage": "ELEC", "dataset": "DATA", "software": "COMP",
            "misc": "GEN"}
CSL_TYPE = {"article": "article-journal", "inproceedings": "paper-conference", "preprint": "article",
            "book": "book", "chapter": "chapter", "thesis": "thesis", "report": "report", "webpage": "webpage",
            "dataset": "dataset", "software": "software", "misc": "document"}


def extra_fields(paper: Paper, fmt: str) -> dict:
    value = paper.extra.get(fmt) if isinstance(paper.extra, dict) else None
    return value if isinstance(value, dict) else {}


def split_name(name: str) -> tuple[str, str, str]:
    """(family, given, suffix) of a full name: the last word is the family name; ', Jr.' is a suffix."""
    suffix = ""
    if "," in name:
        name, suffix = (part.strip() for part in name.split(",", 1))
    words = name.split()
    if len(words) <= 1:
        return name.strip(), "", suffix
    return words[-1], " ".join(words[:-1]), suffix


def paper_urls(paper: Paper) -> list[str]:
    """The paper's URLs: its arXiv page first (it carries the id), then project, code and the others."""
    links = paper.links
    first = links.arxiv or (f"https://arxiv.org/abs/{paper.arxiv_id}" if paper.arxiv_id else "")
    return list(dict.fromkeys(u for u in (first, links.project, links.code, *links.other) if u))


def _one_line(text: str) -> str:
    return " ".join(text.split())


# ---------------------------------------------------------------------------- RIS


@functools.cache
def ris_tags() -> Mapping[str, str]:
    """rispy's field names -> RIS tags (for the fields a source kept under ``extra.ris``); read-only, made once."""
    from rispy.config import TAG_KEY_MAPPING
    return MappingProxyType({name: tag for tag, name in TAG_KEY_MAPPING.items()})


def ris_record(paper: Paper, names_to_tags: Mapping[str, str]) -> str:
    extra = extra_fields(paper, "ris")
    lines = [("TY", str(extra.get("type_of_reference") or RIS_TYPE.get(paper.type, "GEN")))]
    lines.append(("TI", _one_line(paper.title)))
    for name in paper.authors:
        family, given, suffix = split_name(name)
        lines.append(("AU", ", ".join(p for p in (family, given, suffix) if p)))
    if paper.date:
        lines.append(("DA", f"{paper.date.year:04d}/{paper.date.month:02d}/{paper.date.day:02d}/"))
        lines.append(("PY", str(paper.date.year)))
    elif paper.known_year:
        lines.append(("PY", str(paper.known_year)))
    if paper.doi:
        lines.append(("DO", paper.doi))
    if paper.venue:
        lines.append(("T2", _one_line(paper.venue)))
    if paper.abstract.strip():
        lines.append(("AB", _one_line(paper.abstract)))
    for url in paper_urls(paper):
        lines.append(("UR", url))
    written = {"type_of_reference", "title", "authors", "year", "doi", "secondary_title", "abstract", "urls"}
    for name, value in extra.items():
        name = str(name)
        tag = names_to_tags.get(name) or (name if re.fullmatch(r"[A-Z][A-Z0-9]", name) else None)
        if tag is None or name in written or tag in ("TY", "ER"):
            continue
        if name == "date" and paper.date:
            continue
        if name == "date":
            tag = "DA"
        for item in (value if isinstance(value, list) else [value]):
            if isinstance(item, (str, int, float)) and str(item).strip():
                lines.append((tag, _one_line(str(item))))
    return "".join(f"{tag}  - {value}\n" for tag, value in lines) + "ER  - \n"


def to_ris(papers: Sequence[Paper]) -> str:
    names_to_tags = ris_tags()
    return "\n".join(ris_record(p, names_to_tags) for p in papers)


# ---------------------------------------------------------------------------- CSL-JSON


def csl_item(paper: Paper, ident: str) -> dict:
    extra = extra_fields(paper, "csl")
    item: dict = {"id": ident, "type": str(extra.get("type") or CSL_TYPE.get(paper.type, "document")),
                  "title": paper.title}
    authors = []
    for name in paper.authors:
        family, given, suffix = split_name(name)
        person = {"family": family}
        if given:
            person["given"] = given
        if suffix:
            person["suffix"] = suffix
        authors.append(person if given or suffix else {"literal": family})
    if authors:
        item["author"] = authors
    if paper.date:
        item["issued"] = {"date-parts": [[paper.date.year, paper.date.month, paper.date.day]]}
    elif isinstance(extra.get("issued"), dict):
        item["issued"] = extra["issued"]
    elif paper.known_year:
        item["issued"] = {"date-parts": [[paper.known_year]]}
    if paper.doi:
        item["DOI"] = paper.doi
    urls = paper_urls(paper)
    if urls:
        item["URL"] = urls[0]
    if paper.venue:
        item["container-title"] = paper.venue
    if paper.abstract.strip():
        item["abstract"] = paper.abstract
    for key, value in extra.items():
        if str(key) not in item and str(key) not in ("type",):
            item[str(key)] = value
    return item


def csl_id(paper: Paper) -> str:
    """The id a paper's CSL item prefers: the one its source file gave (``extra.csl.id``), else its slug."""
    ident = extra_fields(paper, "csl").get("id")
    return str(ident) if isinstance(ident, (str, int)) and not isinstance(ident, bool) else paper.slug


def csl_items(papers: Sequence[Paper], item_of: Callable[[Paper], dict] | None = None) -> list[dict]:
    """Every paper's item, ids unique: a preferred id another paper of the list took first falls back to the slug.

    ``item_of`` gives a paper's item with its preferred id when the caller has it made already.
    """
    item_of = item_of or (lambda paper: csl_item(paper, csl_id(paper)))
    items, used = [], set()
    for paper in papers:
        item = item_of(paper)
        if item["id"] in used:
            item = dict(item, id=paper.slug)
        used.add(item["id"])
        items.append(item)
    return items


def to_csl_json(papers: Sequence[Paper]) -> str:
    return csl_json_text(csl_items(papers))


def csl_json_text(items: list[dict]) -> str:
    """CSL-JSON as papershelf writes it: an array, two-space indented, non-ASCII as it is."""
    return json.dumps(items, ensure_ascii=False, indent=2) + "\n"


@dataclass(frozen=True)
class PaperCitation:
    """One paper's records as every file holds them: its RIS record, the id its CSL item prefers, and that
    item as compact JSON (``json.dumps`` with ``(",", ":")``, as the browser's records hold it) and as it sits
    in a CSL-JSON array (``csl_json_text``'s layout, indented one level). Text only: cheap to send between
    processes and to keep."""

    ris: str
    csl_id: str
    csl_json: str
    csl_block: str

    @classmethod
    def of(cls, paper: Paper) -> "PaperCitation":
        ident = csl_id(paper)
        item = csl_item(paper, ident)
        return cls(ris_record(paper, ris_tags()), ident, json.dumps(item, ensure_ascii=False, separators=(",", ":")),
                   _csl_block(item))


def csl_end(count: int) -> str:
    """What closes ``Citations.csl_text`` of ``count`` papers."""
    return "\n]\n" if count else "[]\n"


def _csl_block(item: dict) -> str:
    """An item as ``json.dumps(items, indent=2)`` writes it inside the array."""
    return "  " + indented_json(item).replace("\n", "\n  ")


class _NotPlain(Exception):
    """A value ``indented_json`` leaves to ``json.dumps``."""


def indented_json(value) -> str:
    """``json.dumps(value, ensure_ascii=False, indent=2)``, byte for byte, about four times as fast for the
    plain data a CSL item holds (json's C encoder does not indent; its Python encoder takes ~80 us an item).
    Strings are escaped by json's own C function; anything but str-keyed dicts, lists, tuples, str, int, finite
    floats, booleans and None goes through ``json.dumps`` itself (its result or its error)."""
    parts: list[str] = []
    try:
        _put_json(value, "\n", parts)
    except _NotPlain:
        return json.dumps(value, ensure_ascii=False, indent=2)
    return "".join(parts)


def _put_json(value, newline: str, parts: list[str]) -> None:
    kind = type(value)
    if kind is str:
        parts.append(_json_string(value))
    elif value is None or value is True or value is False:
        parts.append("null" if value is None else "true" if value else "false")
    elif kind is int:
        parts.append(int.__repr__(value))
    elif kind is float and math.isfinite(value):
        parts.append(float.__repr__(value))
    elif kind is dict or kind is list or kind is tuple:
        if not value:
            parts.append("{}" if kind is dict else "[]")
            return
        inner = newline + "  "
        parts.append("{" if kind is dict else "[")
        separator = inner
        for key in value:
            parts.append(separator)
            separator = "," + inner
            if kind is dict:
                if type(key) is not str:
                    raise _NotPlain
                parts.append(_json_string(key))
                parts.append(": ")
                _put_json(value[key], inner, parts)
            else:
                _put_json(key, inner, parts)
        parts.append(newline + ("}" if kind is dict else "]"))
    else:
        raise _NotPlain


class Citations:
    """The citations of the site: the whole list's BibTeX, RIS and CSL-JSON files and the records a browser
    joins into a tag's, a shelf's or a result's.

    Each paper's records are made once (``PaperCitation``, by the functions above: the one implementation
    ``papershelf export`` uses too) and joined as ``export`` joins them (``to_ris``, ``csl_items``,
    ``csl_json_text``). ``known`` (paper digest -> its ``PaperCitation``, kept by the caller between builds,
    as the preview's cache does) with ``digests`` (slug -> digest) reuses an unchanged paper's records: the
    entries of papers no longer there are dropped, this build's are added. Render workers each add their own.
    BibTeX entries are the build's (``bibtex``: slug -> entry, keys unique across the site), joined as
    papers.bib joins them.
    """

    def __init__(self, bibtex: Mapping[str, str] | None = None, known: dict | None = None,
                 digests: Mapping[str, str] | None = None):
        self.bibtex = bibtex or {}
        self._digests = digests or {}
        self._known = known if known is not None else {}
        live = set(self._digests.values())
        for digest in [d for d in self._known if d not in live]:
            del self._known[digest]
        self._made: dict[str, tuple[Paper, PaperCitation]] = {}   # slug -> this build's paper and its records

    def of(self, paper: Paper) -> PaperCitation:
        """The paper's records: this build's; for another object of the same slug (an entry edited since
        this build, as the preview's early page renders it), made afresh, never taken from a memo."""
        made = self._made.get(paper.slug)
        if made is not None:
            return made[1] if made[0] is paper else PaperCitation.of(paper)
        digest = self._digests.get(paper.slug)
        record = self._known.get(digest) if digest is not None else None
        if record is None:
            record = PaperCitation.of(paper)
            if digest is not None:
                self._known[digest] = record
        self._made[paper.slug] = (paper, record)
        return record

    def remember(self, paper: Paper, made: PaperCitation) -> None:
        """A paper's records made elsewhere (by the workers that parse the entries, ``extras.PaperParts``)."""
        self._made[paper.slug] = (paper, made)
        digest = self._digests.get(paper.slug)
        if digest is not None:
            self._known[digest] = made

    def ris(self, paper: Paper) -> str:
        return self.of(paper).ris

    def csl_json(self, paper: Paper) -> str:
        """The paper's item with the id it prefers (``citations.csl_id``), as compact JSON."""
        return self.of(paper).csl_json

    def csl_file(self, paper: Paper) -> str:
        """The paper's CSL-JSON file alone (``csl_json_text`` of its item, with the id it prefers)."""
        return "[\n" + self.of(paper).csl_block + "\n]\n"

    def ris_text(self, papers: Sequence[Paper]) -> str:
        return "".join(self.ris_parts(papers))

    def ris_parts(self, papers: Sequence[Paper]) -> Iterator[str]:
        """``ris_text`` in pieces, one a paper (the whole list's file is written without being held whole)."""
        for number, paper in enumerate(papers):
            yield ("\n" if number else "") + self.ris(paper)

    def csl_text(self, papers: Sequence[Paper]) -> str:
        """``csl_json_text(csl_items(papers))``, from each paper's kept block."""
        return "".join(self.csl_parts(papers))

    def csl_parts(self, papers: Sequence[Paper]) -> Iterator[str]:
        """``csl_text`` in pieces, one a paper."""
        for number, (paper, item_id) in enumerate(zip(papers, self.csl_ids(papers))):
            yield self.csl_piece(paper, item_id, number)
        yield csl_end(len(papers))

    def csl_ids(self, papers: Sequence[Paper]) -> list[str]:
        """Each paper's item id in the list: the one it prefers, or (as ``csl_items``) its slug when another
        paper of the list took that id."""
        ids, used = [], set()
        for paper in papers:
            item_id = self.of(paper).csl_id
            if item_id in used:
                item_id = paper.slug
            ids.append(item_id)
            used.add(item_id)
        return ids

    def csl_piece(self, paper: Paper, item_id: str, number: int) -> str:
        """The ``number``-th paper's piece of ``csl_text`` (its item with ``item_id``, from ``csl_ids``)."""
        made = self.of(paper)
        block = made.csl_block if made.csl_id == item_id else _csl_block(csl_item(paper, item_id))
        return ("[\n" if not number else ",\n") + block

    def bibtex_text(self, papers: Sequence[Paper]) -> str:
        return "\n".join([self.bibtex[p.slug] for p in papers])
