"""BibTeX / BibLaTeX (``.bib``) -> PaperRecords. Never writes.

Why these libraries: **bibtexparser 2** splits the file into blocks (entries, ``@string``,
``@preamble``, ``@comment``, ``%`` lines) with the line each starts on, and reports a block it
cannot read (unbalanced braces, a duplicate key) as a block of its own instead of giving up on the
file, so one bad entry is one ``file:line`` report. It is pure Python, maintained, and already
what the tests read exports back with. Field values are taken raw (its parse stack is empty) and
resolved here: ``#`` concatenation of quoted strings, braces and ``@string`` macros, and the month
macros BibTeX predefines (``jan``...``dec``). **pylatexenc** then turns the LaTeX of a value into
Unicode (``{\\"u}`` -> ü, ``\\&`` -> &, ``--`` -> –, ``{GAN}s`` -> GANs), leaving ``$...$`` math as TeX
(it is rendered at build time). pybtex was the other candidate: it aborts the whole file on the
first syntax error and has no line numbers per entry.

Mapping: title, author (``Last, First`` and ``First Last`` forms -> full names; ``and others`` ->
one more author than listed, in ``authors_count``), year/month/day or BibLaTeX ``date``, doi,
journal/booktitle -> venue, the entry type -> ``type``, abstract, url, arXiv ids from ``eprint``,
``arXiv:`` journal strings, arxiv.org URLs and DataCite DOIs. ``crossref`` fills fields still empty
from the entry it names (its title becoming the venue). Every other field is kept, as written in
the file, under ``extra: {bibtex: {...}}`` with the citation key as ``extra.bibtex.key``.
"""

from __future__ import annotations

import datetime as dt
import logging
import re

import bibtexparser
from bibtexparser.model import DuplicateBlockKeyBlock, DuplicateFieldKeyBlock, Entry
from pylatexenc.latex2text import LatexNodes2Text

from ..errors import SiteError
from ..model import Links, Source
from .record import (Parsed, PaperRecord, arxiv_links, clean_doi, clean_url, find_arxiv_id, github_repo,
                     is_project_page, plain_year)

MONTHS = {m: i for i, m in enumerate(
    ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"), start=1)}
_MONTH_NAMES = {name: i for i, name in enumerate(
    ("january", "february", "march", "april", "may", "june", "july", "august", "september", "october",
     "november", "december"), start=1)}

# BibTeX entry types -> the schema's ``type`` (see record.TYPES); export maps them back.
TYPE_IN = {"article": "article", "inproceedings": "inproceedings", "conference": "inproceedings",
           "book": "book", "inbook": "chapter", "incollection": "chapter", "phdthesis": "thesis",
           "mastersthesis": "thesis", "thesis": "thesis", "techreport": "report", "report": "report",
           "online": "webpage", "electronic": "webpage", "www": "webpage", "dataset": "dataset",
           "software": "software", "misc": "misc", "unpublished": "misc", "manual": "misc",
           "booklet": "misc", "proceedings": "book", "preprint": "preprint"}
# Fields mapped to the schema (the rest go to extra.bibtex).
_MAPPED = {"title", "author", "year", "month", "day", "date", "doi", "journal", "journaltitle", "booktitle",
           "abstract", "url", "eprint", "archiveprefix", "crossref", "code"}
_BDSK_URL = re.compile(r"^bdsk-url-\d+$")
# bibtexparser logs each block it cannot read; those are reported here as file:line messages instead.
_QUIET = logging.getLogger("bibtexparser")
_QUIET.addHandler(logging.NullHandler())
_QUIET.propagate = False
_LATEX = LatexNodes2Text(math_mode="verbatim", keep_comments=False, strict_latex_spaces=True)
# More than this many characters in one field is not a bibliography field (a runaway brace ate the file).
FIELD_MAX = 100_000


def looks_like_bibtex(text: str) -> bool:
    """True if some line starts a BibTeX entry: ``@type{key,`` (or ``@type(key,``)."""
    return re.search(r"^[ \t]*@[ \t]*[A-Za-z]+[ \t]*[{(][ \t]*[^,\s{}()]*[ \t]*,", text[:2_000_000], re.MULTILINE) is not None


def parse(text: str, name: str, *, shown: str | None = None, notes: tuple = ()) -> Parsed:
    shown = shown or name
    text = without_comment_lines(text.lstrip("\ufeff"))
    try:
        library = bibtexparser.parse_string(text, parse_stack=[])
    except (RecursionError, ValueError, IndexError, KeyError, TypeError, AttributeError) as exc:
        # bibtexparser reports syntax problems as failed blocks; anything it raises instead is a bug of
        # its own met on odd input: the file is reported, never a traceback.
        raise SiteError(shown, None, f"cannot be read as BibTeX ({type(exc).__name__})") from None
    macros = {s.key.casefold(): _unquote(str(s.value), {}) for s in library.strings
              if isinstance(s.key, str) and isinstance(s.value, str)}
    problems: list[SiteError] = []
    notes = list(notes)
    entries: list[Entry] = []
    for block in library.failed_blocks:
        line = (block.start_line or 0) + 1
        if isinstance(block, DuplicateBlockKeyBlock) and isinstance(block.ignore_error_block, Entry):
            entry = block.ignore_error_block
            entries.append(entry)
            notes.append(f"line {line}: the citation key '{entry.key}' is used twice: both entries read")
        elif isinstance(block, DuplicateFieldKeyBlock) and isinstance(block.ignore_error_block, Entry):
            entries.append(block.ignore_error_block)
            notes.append(f"line {line}: an entry has the same field twice: the last one read")
        else:
            problems.append(SiteError(shown, line, f"{_failure(block)}: entry skipped"))
    entries = sorted(library.entries + entries, key=lambda e: e.start_line or 0)
    fields_of: dict[str, dict] = {}     # citation key -> fields, for crossref (the first entry with a key)
    own = []
    for entry in entries:
        fields = _fields(entry, macros)
        own.append(fields)
        fields_of.setdefault(entry.key.casefold() if isinstance(entry.key, str) else "", fields)
    records = []
    source = Source(name=name, format="bibtex")
    for entry, fields in zip(entries, own):
        line = (entry.start_line or 0) + 1
        record, problem = _record(entry, fields, fields_of, line, source)
        if problem:
            problems.append(SiteError(shown, line, problem))
        elif record is not None:
            records.append(record)
    return Parsed(tuple(records), tuple(sorted(problems, key=lambda p: p.line or 0)), tuple(notes))


def without_comment_lines(text: str) -> str:
    """``text`` with every line that starts with '%' outside an entry's braces emptied (lines keep their
    numbers): a commented-out entry is not a paper, as Zotero and biber read it."""
    out, depth = [], 0
    for line in text.split("\n"):
        if depth <= 0 and line.lstrip().startswith("%"):
            out.append("")
            continue
        depth = max(0, depth + line.count("{") - line.count("}"))
        out.append(line)
    return "\n".join(out)


def _failure(block) -> str:
    raw = block.raw if isinstance(getattr(block, "raw", None), str) else ""
    if raw.count("{") != raw.count("}"):
        return "unbalanced braces"
    message = str(getattr(block, "error", "") or "").splitlines()
    return f"not a BibTeX entry ({message[0][:120]})" if message and message[0] else "not a BibTeX entry"


def _fields(entry: Entry, macros: dict) -> dict[str, str]:
    """Lower-cased field name -> value with macros, quotes, braces-as-delimiters and '#' resolved (LaTeX kept)."""
    out: dict[str, str] = {}
    for field in entry.fields:
        key = field.key.casefold() if isinstance(field.key, str) else ""
        if key and key not in out and isinstance(field.value, str):
            out[key] = _unquote(field.value, macros)
    return out


def _unquote(value: str, macros: dict) -> str:
    """A raw BibTeX value ({...}, "...", a number, a macro, or pieces joined by '#') as its text."""
    pieces, depth, quoted, start = [], 0, False, 0
    for i, ch in enumerate(value):
        if ch == "{":
            depth += 1
        elif ch == "}":
            depth -= 1
        elif ch == '"' and depth == 0:
            quoted = not quoted
        elif ch == "#" and depth == 0 and not quoted:
            pieces.append(value[start:i])
            start = i + 1
    pieces.append(value[start:])
    out = []
    for piece in pieces:
        piece = piece.strip()
        if len(piece) >= 2 and ((piece[0] == "{" and piece[-1] == "}") or (piece[0] == '"' and piece[-1] == '"')):
            out.append(piece[1:-1])
        elif piece.casefold() in macros:
            out.append(macros[piece.casefold()])
        else:
            out.append(piece)   # a number, an undefined macro (month names are resolved later), or odd text
    return "".join(out)


# Text-mode commands for characters that pylatexenc drops or turns into look-alikes (papershelf's own
# BibTeX writes them): read as the characters themselves.
_TEXT_COMMANDS = {"textbraceleft": "{", "textbraceright": "}", "textbackslash": "\\", "textasciicircum": "^",
                  "textasciitilde": "~", "textunderscore": "_", "textdollar": "$"}
_TEXT_COMMAND = re.compile(r"\\(" + "|".join(_TEXT_COMMANDS) + r")(?:\{\}|(?![A-Za-z])\s*)")
_PLACEHOLDER = {ch: chr(0xF0000 + i) for i, ch in enumerate(_TEXT_COMMANDS.values())}


def latex_text(value: str) -> str:
    """LaTeX -> Unicode text on one line; ``$...$`` math is kept as TeX."""
    if not value:
        return ""
    value = _TEXT_COMMAND.sub(lambda m: _PLACEHOLDER[_TEXT_COMMANDS[m.group(1)]], value)
    try:
        text = _LATEX.latex_to_text(value)
    except (RecursionError, ValueError, IndexError, KeyError, TypeError, AttributeError):
        text = re.sub(r"[{}]", "", value)
    for ch, placeholder in _PLACEHOLDER.items():
        text = text.replace(placeholder, ch)
    return " ".join(text.split())


def latex_paragraphs(value: str) -> str:
    """A long LaTeX field (an abstract) -> Unicode text, its paragraphs (blank lines, ``\\par``) kept apart."""
    parts = (latex_text(part) for part in re.split(r"\n[ \t]*\n|\\par(?![A-Za-z])", value or ""))
    return "\n\n".join(part for part in parts if part)


def _url_text(value: str) -> str:
    """A URL as written in a .bib file: ``\\_``, ``\\%``, ``\\&``, ``\\#`` and ``\\url{...}`` undone."""
    value = re.sub(r"^\\url\{(.*)\}$", r"\1", value.strip())
    return re.sub(r"\\([_%&#~$])", r"\1", value).strip("{} ")


def split_names(value: str) -> list[str]:
    """The names of an author field, split on 'and' outside braces."""
    names, depth, start, i = [], 0, 0, 0
    while i < len(value):
        ch = value[i]
        if ch == "{":
            depth += 1
        elif ch == "}":
            depth -= 1
        elif depth == 0 and value[i:i + 3].casefold() == "and" and (i == 0 or value[i - 1].isspace()) \
                and (i + 3 == len(value) or value[i + 3].isspace()):
            names.append(value[start:i])
            start = i + 3
            i += 3
            continue
        i += 1
    names.append(value[start:])
    return [" ".join(n.split()) for n in names if n.strip()]


def full_name(name: str) -> str:
    """'Last, First' / 'von Last, Jr, First' / 'First Last' / '{Literal Name}' -> 'First von Last, Jr' in Unicode."""
    parts, depth, start = [], 0, 0
    for i, ch in enumerate(name):
        if ch == "{":
            depth += 1
        elif ch == "}":
            depth -= 1
        elif ch == "," and depth == 0:
            parts.append(name[start:i])
            start = i + 1
    parts.append(name[start:])
    parts = [p.strip() for p in parts]
    if len(parts) == 2:
        ordered = f"{parts[1]} {parts[0]}"
    elif len(parts) >= 3:
        ordered = f"{parts[2]} {parts[0]}, {parts[1]}"
    else:
        ordered = parts[0]
    return latex_text(ordered)


def _record(entry: Entry, fields: dict, fields_of: dict, line: int, source: Source):
    kind = entry.entry_type.casefold() if isinstance(entry.entry_type, str) else ""
    key = entry.key if isinstance(entry.key, str) else ""
    fields = dict(fields)
    too_long = next((k for k, v in fields.items() if len(v) > FIELD_MAX), None)
    if too_long:
        return None, f"field '{too_long}' of @{kind}{{{key}}} is over {FIELD_MAX:,} characters (a brace not closed?): entry skipped"
    parent = fields_of.get(fields.get("crossref", "").strip().casefold()) if fields.get("crossref") else None
    if parent:
        for name, value in parent.items():
            if name == "title" and "booktitle" not in fields:
                fields["booktitle"] = value
            elif name not in fields and name not in ("crossref", "title"):
                fields[name] = value
    title = latex_text(fields.get("title", ""))
    if not title:
        return None, f"@{kind}{{{key}}} has no title: entry skipped"
    if kind in ("proceedings",) and any(f.get("crossref", "").strip().casefold() == key.casefold()
                                        for f in fields_of.values()):
        return None, None   # a volume other entries cross-reference, not a paper of its own
    names = split_names(fields.get("author", ""))
    others = [n for n in names if n.casefold() == "others"]
    authors = tuple(full for full in (full_name(n) for n in names if n.casefold() != "others") if full)
    when, year, problem = _date(fields)
    if problem:
        return None, f"@{kind}{{{key}}}: {problem}: entry skipped"
    doi = clean_doi(_url_text(fields.get("doi", "")))
    url = _url_text(fields.get("url", ""))
    venue_raw = fields.get("journal") or fields.get("journaltitle") or fields.get("booktitle") or ""
    eprint = fields.get("eprint", "").strip() if fields.get("archiveprefix", "arxiv").strip().casefold() == "arxiv" else ""
    arxiv_id = find_arxiv_id(eprint, url, doi, venue_raw, fields.get("number", ""), fields.get("note", ""),
                             *(_url_text(v) for k, v in fields.items() if _BDSK_URL.match(k)))
    venue = latex_text(venue_raw)
    if re.match(r"^(?:arxiv\b|https?://|corr\b)", venue, re.IGNORECASE) and (arxiv_id or venue.startswith("http")):
        if venue.startswith("http") and not url:
            url = venue
        venue = "" if venue.startswith("http") or re.match(r"^arxiv\b", venue, re.IGNORECASE) else venue
    kind_type = TYPE_IN.get(kind, "misc")
    if arxiv_id and kind_type in ("misc", "report", "article") and not venue:
        kind_type = "preprint"
    arxiv, pdf = arxiv_links(arxiv_id) if arxiv_id else ("", "")
    links = _links(url, arxiv, pdf, _url_text(fields.get("code", "")))
    extra = [("bibtex", "key", key)] if key else []
    if kind not in TYPE_IN or TYPE_IN[kind] != kind_type:
        extra.append(("bibtex", "entrytype", kind))
    mapped = set(_MAPPED)
    if when is None:     # a month (or a BibLaTeX date) the schema cannot hold without a day is kept as written
        mapped -= {"month", "date"}
    else:
        mapped.add("day")
    if not arxiv_id:
        mapped -= {"eprint", "archiveprefix"}
    for name, value in fields.items():
        if name not in mapped:
            extra.append(("bibtex", name, " ".join(value.split())))
    return PaperRecord(
        title=title, abstract=latex_paragraphs(fields.get("abstract", "")), date=when, authors=authors,
        authors_count=len(authors) + 1 if others and authors else None,
        arxiv_id=arxiv_id, links=links, source=source, line=line, doi=doi, venue=venue,
        year=year, type=kind_type, extra=tuple(extra)), None


def _links(url: str, arxiv: str, pdf: str, code_field: str = "") -> Links:
    """The entry's links from its url (and a ``code`` field, as papershelf writes a code repository)."""
    if not re.match(r"^https?://\S+$", url):
        url = ""
    url = clean_url(url)
    code = clean_url(code_field) if re.match(r"^https?://\S+$", code_field) else ""
    project = ""
    other: tuple[str, ...] = ()
    if url and not find_arxiv_id(url):
        if github_repo(url):
            other = (url,) if code and github_repo(url) != code else ()
            code = code or github_repo(url)
        elif is_project_page(url):
            project = url
        else:
            other = (url,)
    return Links(arxiv=arxiv, pdf=pdf, code=code, project=project, other=other)


def _date(fields: dict) -> tuple[dt.date | None, int | None, str]:
    """(full date, year when only a year is known, problem). BibLaTeX ``date`` wins over year/month/day."""
    date = fields.get("date", "").strip()
    if date:
        m = re.fullmatch(r"(\d{4})(?:-(\d{1,2})(?:-(\d{1,2}))?)?(?:/.*)?", date)
        if not m:
            return None, None, f"date '{date[:40]}' is not YYYY, YYYY-MM or YYYY-MM-DD"
        if m.group(3):
            try:
                return dt.date(int(m.group(1)), int(m.group(2)), int(m.group(3))), None, ""
            except ValueError:
                return None, None, f"date '{date}' does not exist"
        return None, int(m.group(1)), ""
    year_text = latex_text(fields.get("year", ""))
    if not year_text:
        return None, None, ""
    year = plain_year(year_text)
    if year is None:
        m = re.fullmatch(r"(\d{4})[a-z]?", year_text)   # '2019a', as some hand-kept files disambiguate
        if not m:
            return None, None, f"year '{year_text[:40]}' is not a year"
        year = int(m.group(1))
    month = _month(fields.get("month", ""))
    day = fields.get("day", "").strip()
    if month and day.isdigit():
        try:
            return dt.date(year, month, int(day)), None, ""
        except ValueError:
            return None, None, f"{year}-{month}-{day} does not exist"
    return None, year, ""


def _month(value: str) -> int | None:
    text = latex_text(value).strip().rstrip(".").casefold()
    if text.isdigit() and 1 <= int(text) <= 12:
        return int(text)
    return MONTHS.get(text[:3]) if text[:3] in MONTHS and (len(text) == 3 or text in _MONTH_NAMES) else None
