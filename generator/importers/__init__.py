"""`papershelf import`: listings -> records -> one record per paper -> content/ entries.

Each source is read by its importer (``hf_text`` for a copied page, ``hf_json`` for
the API's JSON; recognised from the content, not the file name), the same paper
met twice is merged into one record, and ``emit`` plans and writes the entries.
Entries that cannot be read are reported as ``file:line: message`` and skipped;
``--strict`` makes any such report a failure before anything is written.
"""

from __future__ import annotations

import logging
from dataclasses import replace
from pathlib import Path
from typing import Iterable

from ..errors import SiteError, SiteErrors
from . import arxiv_atom, bib, csl_json, emit, hf_json, hf_list, hf_text, ris
from .record import Parsed, PaperRecord, arxiv_base, merge_records

log = logging.getLogger("papershelf")

FORMATS = ("hf-text", "hf-json", "hf-list", "bibtex", "ris", "csl-json", "arxiv-atom")
KNOWN = ("Hugging Face page text, list or API JSON; BibTeX; RIS; CSL-JSON; arXiv API Atom XML: "
         "see --format")


def run_import(sources: Iterable[str | Path], *, config, content_dir: Path, fmt: str = "auto",
               year: int | None = None, dry_run: bool = False, strict: bool = False,
               before_replace: emit.Hook | None = None) -> int:
    """Import ``sources``; ``before_replace`` is called with each change just before its file is checked
    and written (tests edit entries there, as a curator might while an import runs)."""
    content_dir = Path(content_dir)
    if content_dir.exists() and not content_dir.is_dir():
        raise SiteError(str(content_dir), None, "the content folder is a file")
    fatal: list[SiteError] = []
    parsed: list[Parsed] = []
    for source in sources:
        try:
            result = read_source(Path(source), fmt, year)
        except SiteError as exc:
            fatal.append(exc)
            continue
        if not result.records:
            fatal.append(SiteError(str(source), None, "no papers found in this file"))
        for note in result.notes:
            log.info("%s: %s", source, note)
        parsed.append(result)
    problems = [p for result in parsed for p in result.problems]
    if fatal:
        raise SiteErrors(fatal + problems)
    if strict and problems:
        raise SiteErrors(problems + [SiteError("--strict", None, "entries could not be read; nothing imported")])

    records, merged, origins = _merge((r, result.format) for result in parsed for r in result.records)
    existing = emit.read_entries(content_dir)
    changes = emit.plan(records, existing, content_dir, config.tags.rules)
    outcomes = [emit.Outcome(c, c.kind) for c in changes]
    if not dry_run:
        written = {id(o.change): o for o in emit.write(changes, content_dir, before_replace=before_replace)}
        outcomes = [written.get(id(o.change), o) for o in outcomes]

    counts = {kind: sum(1 for o in outcomes if o.kind == kind) for kind in ("added", "updated", "unchanged", "left")}
    for outcome in outcomes:
        if outcome.kind in ("added", "updated"):
            log.debug("%s %s", outcome.kind, outcome.change.shown)
        elif outcome.problem is not None:
            log.warning("%s", outcome.problem)
    for problem in problems:
        log.warning("skipped: %s", problem)
    summary = (f"added {counts['added']}, updated {counts['updated']}, unchanged {counts['unchanged']}, "
               f"skipped {len(problems)}")
    if counts["left"]:
        summary += f", left {counts['left']} (changed while importing, see above)"
    if merged:
        summary += f" ({merged} duplicate{'s' if merged != 1 else ''} merged)"
    log.info("dry run, nothing written: %s" if dry_run else "%s", summary)
    if dry_run:
        for line in by_format(parsed, outcomes, origins):
            log.info("%s", line)
    return 0


def by_format(parsed: list[Parsed], outcomes: list[emit.Outcome], origins: dict[int, list[str]]) -> list[str]:
    """What an import does, format by format (for ``--dry-run``): a line of counts, then each entry it
    would add or update. A paper found in files of several formats counts under each of them."""
    formats = list(dict.fromkeys(result.format for result in parsed))
    lines = []
    for fmt in formats:
        files = sum(1 for result in parsed if result.format == fmt)
        mine = [o for o in outcomes if fmt in {f for r in o.change.records for f in origins.get(id(r), ())}]
        skipped = sum(len(result.problems) for result in parsed if result.format == fmt)
        count = {kind: sum(1 for o in mine if o.kind == kind) for kind in ("added", "updated", "unchanged")}
        lines.append(f"  {fmt} ({files} file{'s' if files != 1 else ''}): would add {count['added']}, "
                     f"update {count['updated']}, leave {count['unchanged']} unchanged, skip {skipped}")
        for outcome in mine:
            if outcome.kind in ("added", "updated"):
                verb = "add" if outcome.kind == "added" else "update"
                lines.append(f"    {verb} {outcome.change.shown}: {outcome.change.title}")
    if len(formats) > 1 and any(len(set(fs)) > 1 for fs in origins.values()):
        lines.append("  (a paper found in several formats counts under each)")
    return lines


def read_source(path: Path, fmt: str = "auto", year: int | None = None) -> Parsed:
    """Read one listing file. Raises SiteError when it cannot be read or its format is unknown."""
    shown = str(path)
    if not path.exists():
        raise SiteError(shown, None, "file not found")
    if path.is_dir():
        raise SiteError(shown, None, "is a folder, expected a file (a page copy, JSON, .bib, .ris or arXiv XML)")
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise SiteError(shown, None, f"cannot read the file: {exc.strerror or exc}") from None
    return read_data(data, shown, path.name, fmt, year)


def read_data(data: bytes, shown: str, name: str, fmt: str = "auto", year: int | None = None) -> Parsed:
    """Read one file's bytes (``shown`` in messages, ``name`` recorded as the source)."""
    if fmt not in ("auto",) + FORMATS:
        raise SiteError(shown, None, f"unknown format '{fmt}' (known: auto, {', '.join(FORMATS)})")
    if not data.strip():
        raise SiteError(shown, None, "an empty file: no papers in it")
    if b"\x00" in data or _binary(data):
        raise SiteError(shown, None, f"binary data, not a file papershelf reads ({KNOWN})")
    notes: tuple[str, ...] = ()
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        # Old hand-kept .bib and RIS files are often Latin-1 (Windows-1252): read them as that, and say so.
        fallback = data.decode("cp1252", errors="replace")
        if fmt in ("bibtex", "ris") or (fmt == "auto" and (bib.looks_like_bibtex(fallback) or ris.looks_like_ris(fallback))):
            text = fallback
            notes = (f"not UTF-8 ({exc.reason} at byte {exc.start}): read as Latin-1 (Windows-1252)",)
        else:
            raise SiteError(shown, None, f"not UTF-8 text ({exc.reason} at byte {exc.start})") from None
    if fmt == "auto":
        fmt = detect_format(text, shown)
    return replace(_parse(text, name, shown, fmt, year, notes), format=fmt)


def _parse(text: str, name: str, shown: str, fmt: str, year: int | None, notes: tuple[str, ...]) -> Parsed:
    if fmt == "hf-json":
        return hf_json.parse(text, name, shown=shown)
    if fmt == "hf-text":
        return hf_text.parse(text, name, shown=shown, year=year)
    if fmt == "hf-list":
        return hf_list.parse(text, name, shown=shown, year=year)
    if fmt == "bibtex":
        return bib.parse(text, name, shown=shown, notes=notes)
    if fmt == "ris":
        return ris.parse(text, name, shown=shown, notes=notes)
    if fmt == "csl-json":
        return csl_json.parse(text, name, shown=shown)
    return arxiv_atom.parse(text, name, shown=shown)


def _binary(data: bytes) -> bool:
    """Control characters other than tab, newlines and form feed in the first 8 KB: not a text format."""
    head = data[:8192]
    controls = sum(1 for b in head if b < 32 and b not in (9, 10, 12, 13))
    return controls > max(2, len(head) // 200)


def detect_format(text: str, shown: str) -> str:
    """The format of ``text`` from its content; a SiteError when it is in none of them (never a guess)."""
    start = text.lstrip("\ufeff \t\r\n")[:1]
    if start == "<":
        if arxiv_atom.looks_like_atom(text):
            return "arxiv-atom"
        raise SiteError(shown, None, "XML or HTML, but not an arXiv API (Atom) response: for a web page, "
                                     "copy its text instead")
    if start in ("[", "{"):
        try:
            items = hf_json.load_json(text, shown)
        except SiteError:
            if bib.looks_like_bibtex(text):
                return "bibtex"
            if hf_text.looks_like_text(text):
                return "hf-text"
            raise
        if items and hf_json.looks_like_json(items):
            return "hf-json"
        if items and csl_json.looks_like_csl(items):
            return "csl-json"
        if not items:
            raise SiteError(shown, None, "an empty JSON list: no papers in it")
        raise SiteError(shown, None, "JSON, but not a Hugging Face daily papers list (no item has a 'paper' "
                                     "object) nor CSL-JSON (no item has a 'title' and a 'type')")
    if ris.looks_like_ris(text):
        return "ris"
    if bib.looks_like_bibtex(text):
        return "bibtex"
    if hf_list.looks_like_list(text):
        return "hf-list"
    if hf_text.looks_like_text(text):
        return "hf-text"
    raise SiteError(shown, None, f"not in a format papershelf reads ({KNOWN})")


def merge_duplicates(records: Iterable[PaperRecord]) -> tuple[list[PaperRecord], int]:
    """One record per paper (same arXiv id in any version, same DOI in any case, or same normalized
    title), in first-seen order."""
    merged, duplicates, _ = _merge((record, "") for record in records)
    return merged, duplicates


def _merge(pairs: Iterable[tuple[PaperRecord, str]]) -> tuple[list[PaperRecord], int, dict[int, list[str]]]:
    """``merge_duplicates`` of (record, its format) pairs, with the formats each merged record came from
    (by ``id`` of the merged record)."""
    merged: list[PaperRecord] = []
    formats: list[list[str]] = []
    index: dict[tuple[str, str], int] = {}
    duplicates = 0

    def keys(record: PaperRecord) -> list[tuple[str, str]]:
        return [(kind, value) for kind, value in (("arxiv", arxiv_base(record.arxiv_id)), ("doi", record.doi_key),
                                                  ("title", record.key)) if value]

    for record, fmt in pairs:
        position = next((index[k] for k in keys(record) if k in index), None)
        if position is None:
            position = len(merged)
            merged.append(record)
            formats.append([fmt])
        else:
            merged[position] = merge_records(merged[position], record)
            formats[position].append(fmt)
            duplicates += 1
        for key in keys(merged[position]) + keys(record):
            index.setdefault(key, position)
    return merged, duplicates, {id(record): list(dict.fromkeys(fmts)) for record, fmts in zip(merged, formats)}
