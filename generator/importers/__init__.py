"""`papershelf import`: listings -> records -> one record per paper -> content/ entries.

Each source is read by its importer (``hf_text`` for a copied page, ``hf_json`` for
the API's JSON; recognised from the content, not the file name), the same paper
met twice is merged into one record, and ``emit`` plans and writes the entries.
Entries that cannot be read are reported as ``file:line: message`` and skipped;
``--strict`` makes any such report a failure before anything is written.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Iterable

from ..errors import SiteError, SiteErrors
from . import emit, hf_json, hf_text
from .record import Parsed, PaperRecord, merge_records

log = logging.getLogger("papershelf")

FORMATS = ("hf-text", "hf-json")


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

    records, merged = merge_duplicates(r for result in parsed for r in result.records)
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
    return 0


def read_source(path: Path, fmt: str = "auto", year: int | None = None) -> Parsed:
    """Read one listing file. Raises SiteError when it cannot be read or its format is unknown."""
    shown = str(path)
    if not path.exists():
        raise SiteError(shown, None, "file not found")
    if path.is_dir():
        raise SiteError(shown, None, "is a folder, expected a listing file (.txt page copy or .json)")
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise SiteError(shown, None, f"cannot read the file: {exc.strerror or exc}") from None
    if b"\x00" in data:
        raise SiteError(shown, None, "a binary file, not a listing (expected page text or API JSON)")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise SiteError(shown, None, f"not UTF-8 text ({exc.reason} at byte {exc.start})") from None
    if fmt == "auto":
        fmt = detect_format(text, shown)
    if fmt == "hf-json":
        return hf_json.parse(text, path.name, shown=shown)
    if fmt == "hf-text":
        return hf_text.parse(text, path.name, shown=shown, year=year)
    raise SiteError(shown, None, f"unknown format '{fmt}' (known: auto, {', '.join(FORMATS)})")


def detect_format(text: str, shown: str) -> str:
    """'hf-json' for JSON holding daily-papers items, 'hf-text' for anything else that is text."""
    start = text.lstrip("\ufeff \t\r\n")[:1]
    if start not in ("[", "{"):
        return "hf-text"
    try:
        items = hf_json.load_json(text, shown)
    except SiteError:
        if hf_text.looks_like_text(text):
            return "hf-text"
        raise
    if not items or hf_json.looks_like_json(items):
        return "hf-json"
    raise SiteError(shown, None, "JSON, but not a Hugging Face daily papers list (no item has a 'paper' object)")


def merge_duplicates(records: Iterable[PaperRecord]) -> tuple[list[PaperRecord], int]:
    """One record per paper (same arXiv id, or same normalized title), in first-seen order."""
    merged: list[PaperRecord] = []
    by_arxiv: dict[str, int] = {}
    by_title: dict[str, int] = {}
    duplicates = 0
    for record in records:
        position = by_arxiv.get(record.arxiv_id) if record.arxiv_id else None
        if position is None and record.key:
            position = by_title.get(record.key)
        if position is None:
            position = len(merged)
            merged.append(record)
        else:
            merged[position] = merge_records(merged[position], record)
            duplicates += 1
        kept = merged[position]
        if kept.arxiv_id:
            by_arxiv.setdefault(kept.arxiv_id, position)
        for key in (kept.key, record.key):
            if key:
                by_title.setdefault(key, position)
    return merged, duplicates
