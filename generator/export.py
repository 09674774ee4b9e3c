"""`papershelf export`: entries -> BibTeX, RIS or CSL-JSON, for reference managers and LaTeX.

Each format writes every field of the schema it can hold (title, authors, date or year, doi, venue,
type, abstract, arXiv id, one or more URLs) and the fields its own import kept under ``extra:`` (a
BibTeX file's volume and citation key, a RIS file's tags, a CSL item's id), so importing an export
into an empty folder gives back the same entries. What a format cannot hold is not written:
tags, status, rating, notes and upvotes are the reading list's own; an abstract's paragraph breaks
are kept in BibTeX (a blank line) and CSL-JSON, lost in RIS (a field is one line). Math (``$...$``, ``\\(...\\)``) is written as TeX.
Drafts are left out unless ``--drafts``. The text functions are pure; ``run_export`` writes through
the writer (atomically) or to standard output.
"""

from __future__ import annotations

import logging
import re
import sys
from pathlib import Path
from typing import Iterable, Sequence

from .bibtex import _CONTROL, _LATEX_TABLE, citation_keys, escape, _url as bib_url
from .content import load_content
from .errors import SiteError, SiteErrors
from .citations import extra_fields, paper_urls, split_name, to_csl_json, to_ris
from .model import Paper, tag_slug
from .texmath import MATH as _MATH

log = logging.getLogger("papershelf")

FORMATS = ("bibtex", "ris", "csl-json")
MONTHS = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")
# The schema's type -> BibTeX's (the importers map it back; RIS's and CSL's are in citations).
BIBTEX_TYPE = {"article": "article", "inproceedings": "inproceedings", "preprint": "misc", "book": "book",
               "chapter": "incollection", "thesis": "phdthesis", "report": "techreport", "webpage": "online",
               "dataset": "dataset", "software": "software", "misc": "misc"}
def select(papers: Iterable[Paper], *, tag: str | None = None, status: str | None = None,
           drafts: bool = False) -> list[Paper]:
    """The papers to export, in site order: with ``tag`` (any spelling of it), with ``status``, drafts only if asked."""
    wanted = tag_slug(tag) if tag else None
    return [p for p in papers if (drafts or not p.draft) and (status is None or p.status == status)
            and (wanted is None or any(tag_slug(t) == wanted for t in p.tags))]


def run_export(config, content_dir: Path, *, fmt: str, tag: str | None = None, status: str | None = None,
               out: str | None = None, drafts: bool = False) -> int:
    if not content_dir.is_dir():
        raise SiteError(str(content_dir), None, "the content folder does not exist")
    papers, problems = load_content(content_dir)
    errors = [p for p in problems if p.severity == "error"]
    if errors:
        raise SiteErrors(errors + [SiteError(str(content_dir), None, "fix these entries first (see `papershelf "
                                                                      "check`); nothing exported")])
    chosen = select(papers, tag=tag, status=status, drafts=drafts)
    text = {"bibtex": to_bibtex, "ris": to_ris, "csl-json": to_csl_json}[fmt](chosen)
    if out is None or out == "-":
        sys.stdout.write(text)
    else:
        from .writer import save_file
        target = Path(out)
        if target.is_dir():
            raise SiteError(out, None, "is a folder: give a file name, e.g. --out papers.bib")
        try:
            save_file(target, text.encode("utf-8"))
        except OSError as exc:
            raise SiteError(out, None, f"cannot write: {exc.strerror or exc}") from None
    what = f"{len(chosen)} paper{'s' if len(chosen) != 1 else ''}"
    log.info("exported %s as %s%s", what, fmt, f" to {out}" if out and out != "-" else "")
    return 0


# ---------------------------------------------------------------------------- BibTeX


def tex(text: str) -> str:
    """Plain text as a BibTeX value (without outer braces) on one line: special characters escaped, math kept as TeX."""
    text = " ".join(_CONTROL.sub("", text).split())
    out, position = [], 0
    for m in _MATH.finditer(text):
        if m.group().count("{") != m.group().count("}"):
            continue
        out += [text[position:m.start()].translate(_LATEX_TABLE), m.group()]
        position = m.end()
    out.append(text[position:].translate(_LATEX_TABLE))
    return "".join(out)


def _balanced(value: str) -> bool:
    depth = 0
    for ch in value:
        depth += 1 if ch == "{" else -1 if ch == "}" else 0
        if depth < 0:
            return False
    return depth == 0


def _bib_name(name: str) -> str:
    family, given, suffix = split_name(name)
    parts = [tex(family)] + ([tex(suffix)] if suffix else []) + ([tex(given)] if given else [])
    if not given and not suffix:
        return "{" + tex(family) + "}"
    return ", ".join(("{" + p + "}" if (" and " in f" {p} " or "," in p) else p) for p in parts)


def bibtex_entry(paper: Paper, key: str) -> str:
    extra = extra_fields(paper, "bibtex")
    kind = str(extra.get("entrytype") or BIBTEX_TYPE.get(paper.type, "misc"))
    fields: list[tuple[str, str]] = [("title", "{" + tex(paper.title) + "}")]
    names = [_bib_name(n) for n in paper.authors if n.strip()]
    if names and (paper.authors_count or 0) > len(names):
        names.append("others")
    if names:
        fields.append(("author", " and ".join(names)))
    if paper.venue:
        fields.append(("booktitle" if kind in ("inproceedings", "incollection", "inbook") else "journal", tex(paper.venue)))
    if paper.date:
        fields += [("year", str(paper.date.year)), ("month", MONTHS[paper.date.month - 1]), ("day", str(paper.date.day))]
    elif paper.known_year:
        fields.append(("year", str(paper.known_year)))
    if paper.doi:
        fields.append(("doi", bib_url(paper.doi)))
    if paper.arxiv_id:
        fields += [("eprint", escape(paper.arxiv_id)), ("archiveprefix", "arXiv")]
    own = [u for u in paper_urls(paper) if u != paper.links.code]   # the paper's own address (arXiv first), not its code
    if own:
        fields.append(("url", bib_url(own[0])))
    if paper.links.code:
        fields.append(("code", bib_url(paper.links.code)))
    if paper.abstract.strip():
        # Paragraphs as BibTeX writes them, a blank line between (the import reads them back apart).
        paragraphs = (tex(part) for part in re.split(r"\n[ \t]*\n", paper.abstract.strip()))
        fields.append(("abstract", "\n\n".join(part for part in paragraphs if part)))
    written = {name for name, _ in fields}
    for name, value in extra.items():
        name = str(name)
        if name in ("key", "entrytype") or name in written or not re.fullmatch(r"[A-Za-z][\w:.+-]*", name):
            continue
        if name == "month" and paper.date:
            continue
        value = value if isinstance(value, str) else str(value)
        fields.append((name, value if _balanced(value) else escape(value)))
    lines = [f"  {name} = {value}" if name == "month" and value in MONTHS else f"  {name} = {{{value}}}"
             for name, value in fields]
    return f"@{kind}{{{key},\n" + ",\n".join(lines) + "\n}\n"


def to_bibtex(papers: Sequence[Paper]) -> str:
    """Every paper's entry; a key kept from the import (``extra.bibtex.key``) is used when no other paper has it."""
    generated = citation_keys(papers)
    used: set[str] = set()
    entries = []
    for paper in papers:
        kept = str(extra_fields(paper, "bibtex").get("key") or "")
        key = kept if re.fullmatch(r"[^\s,{}()=\"#%'~\\]+", kept) and kept.casefold() not in used else generated[paper.slug]
        n = 1
        base = key
        while key.casefold() in used:
            n += 1
            key = f"{base}-{n}"
        used.add(key.casefold())
        entries.append(bibtex_entry(paper, key))
    return "\n".join(entries)


