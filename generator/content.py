"""Read ``content/*.md`` entries into validated ``Paper`` objects.

Each entry is YAML front matter between ``---`` lines, then a markdown body: the
abstract, then optionally a ``## Notes`` heading and the curator's notes.
Problems are SiteErrors with the entry's path and the line of the offending key;
``load_content`` reads every entry and reports every problem at once.
"""

from __future__ import annotations

import datetime as dt
import os
import re
from dataclasses import dataclass
from pathlib import Path

import yaml
from frontmatter.default_handlers import YAMLHandler

from .errors import Collector, SiteError
from .model import STATUSES, Links, Paper, Source, normalize_title

_Base = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml is much faster when present


class _Loader(_Base):  # type: ignore[misc, valid-type]
    """Safe YAML that leaves dates as strings, so a bad date is our message, not a crash."""


_Loader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in _Base.yaml_implicit_resolvers.items()
}

_HANDLER = YAMLHandler()
NOTES_HEADING = re.compile(r"^#{1,6}\s*notes\s*#*\s*$", re.IGNORECASE | re.MULTILINE)

# Every field an entry may have, and what it holds (documented in the README).
FIELDS = {
    "title": "string, required",
    "date": "date, YYYY-MM-DD",
    "authors": "list of names",
    "authors_count": "integer",
    "upvotes": "integer",
    "tags": "list of strings",
    "links": "mapping: arxiv, pdf, code, project (URLs), other (list of URLs)",
    "arxiv_id": "string",
    "status": "one of " + ", ".join(STATUSES),
    "rating": "integer from 1 to 5",
    "draft": "true or false",
    "source": "mapping: name, date, format (written by the importer)",
    "imported": "mapping (written by the importer: what it last wrote)",
}
LINK_KEYS = ("arxiv", "pdf", "code", "project")


@dataclass(frozen=True)
class Entry:
    """An entry file split into its parts, before validation."""

    meta: dict
    body: str
    body_line: int        # line where the body starts
    key_lines: dict       # top-level or "links.code"-style key -> line


def split_entry(text: str, path: str) -> Entry:
    """Split an entry into front matter and body. Raises SiteError on broken YAML."""
    if text.startswith("\ufeff"):
        text = text[1:]
    if not _HANDLER.detect(text):
        raise SiteError(path, 1, "no front matter: an entry starts with a '---' line, then YAML, then '---'")
    try:
        _, fm, body = _HANDLER.FM_BOUNDARY.split(text, 2)
    except ValueError:
        raise SiteError(path, 1, "front matter is not closed: add a '---' line after it") from None
    fm_start = 1  # the text after the opening "---" on line 1; its first line is that (empty) rest of line 1
    try:
        meta = yaml.load(fm, Loader=_Loader)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
        line = fm_start + mark.line if mark is not None else 1
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        context = getattr(exc, "context", None)
        message = f"invalid YAML in front matter: {problem}" + (f" ({context})" if context else "")
        raise SiteError(path, line, message) from None
    except (ValueError, TypeError, RecursionError) as exc:  # e.g. absurdly nested or odd YAML
        raise SiteError(path, fm_start, f"invalid YAML in front matter: {exc}") from None
    if meta is None:
        meta = {}
    if not isinstance(meta, dict):
        raise SiteError(path, fm_start, "front matter must be a mapping of 'key: value' lines")
    body_line = fm_start + fm.count("\n") + 1
    return Entry(meta, body.lstrip("\n"), body_line, _key_lines(fm, fm_start))


_TOP_KEY = re.compile(r"^([A-Za-z_][\w-]*)\s*:")
_NESTED_KEY = re.compile(r"^\s+([A-Za-z_][\w-]*)\s*:")


def _key_lines(fm: str, first: int) -> dict:
    lines, parent = {}, None
    for number, line in enumerate(fm.splitlines(), start=first):
        top = _TOP_KEY.match(line)
        if top:
            parent = top.group(1)
            lines.setdefault(parent, number)
            continue
        nested = _NESTED_KEY.match(line)
        if nested and parent:
            lines.setdefault(f"{parent}.{nested.group(1)}", number)
    return lines


def parse_paper(text: str, path: str, slug: str) -> tuple[Paper | None, list[SiteError]]:
    """Validate one entry. Returns the paper (None if it has errors) and every problem found."""
    try:
        entry = split_entry(text, path)
    except SiteError as exc:
        return None, [exc]
    out = Collector()
    meta, lines = entry.meta, entry.key_lines

    def err(key: str, message: str) -> None:
        out.error(path, lines.get(key, lines.get(key.split(".")[0], 2)), message)

    for key in meta:
        if key not in FIELDS:
            out.warning(path, lines.get(str(key), 2), f"unknown field '{key}' (known: {', '.join(FIELDS)})")

    title = meta.get("title")
    if not isinstance(title, str) or not title.strip():
        if title is None or title == "":
            out.error(path, lines.get("title", 2), "'title' is required and must not be empty")
        else:
            err("title", f"'title' must be a string, not {_kind(title)}")
        title = ""
    values: dict = {"title": " ".join(title.split())}

    if "date" in meta and meta["date"] is not None:
        values["date"] = _date(meta["date"], "date", err)
    values["authors"] = _str_list(meta.get("authors"), "authors", err)
    for key in ("authors_count", "upvotes"):
        if meta.get(key) is not None:
            values[key] = _int(meta[key], key, err, minimum=0)
    values["tags"] = tuple(dict.fromkeys(t.strip() for t in _str_list(meta.get("tags"), "tags", err) if t.strip()))
    for i, tag in enumerate(values["tags"]):
        if "\n" in tag:
            err("tags", f"tag {tag!r} must be on one line")
    values["links"] = _links(meta.get("links"), err)
    if meta.get("arxiv_id") is not None:
        arxiv = meta["arxiv_id"]
        values["arxiv_id"] = str(arxiv).strip() if isinstance(arxiv, (str, float, int)) and not isinstance(arxiv, bool) else ""
        if not values["arxiv_id"]:
            err("arxiv_id", "'arxiv_id' must be a string such as '2405.15738'")
    status = meta.get("status")
    if status is not None:
        if status not in STATUSES:
            err("status", f"'status' must be one of {', '.join(STATUSES)}, not {status!r}")
        else:
            values["status"] = status
    if meta.get("rating") is not None:
        rating = _int(meta["rating"], "rating", err, minimum=1)
        if rating is not None and rating > 5:
            err("rating", "'rating' must be from 1 to 5")
        values["rating"] = rating
    draft = meta.get("draft", False)
    if not isinstance(draft, bool):
        err("draft", f"'draft' must be true or false, not {_kind(draft)}")
    else:
        values["draft"] = draft
    values["source"] = _source(meta.get("source"), err)
    imported = meta.get("imported")
    if imported is not None and not isinstance(imported, dict):
        err("imported", "'imported' must be a mapping (it is written by the importer)")

    abstract, notes = split_body(entry.body)
    values = {k: v for k, v in values.items() if v is not None}
    if out.errors:
        return None, out.items
    return Paper(slug=slug, path=path, abstract=abstract, notes=notes, **values), out.items


def split_body(body: str) -> tuple[str, str]:
    """The abstract (before a '## Notes' heading) and the notes (after it)."""
    m = NOTES_HEADING.search(body)
    if not m:
        return body.strip(), ""
    return body[: m.start()].strip(), body[m.end():].strip()


def _kind(value) -> str:
    if isinstance(value, bool):
        return "true/false"
    return {int: "a number", float: "a number", str: "a string", list: "a list", dict: "a mapping"}.get(
        type(value), type(value).__name__)


def _date(value, key, err):
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str):
        try:
            return dt.date.fromisoformat(value.strip())
        except ValueError:
            pass
    err(key, f"'{key}' must be a date written YYYY-MM-DD, not {value!r}")
    return None


def _int(value, key, err, minimum=0):
    if isinstance(value, bool) or not isinstance(value, int):
        err(key, f"'{key}' must be a whole number, not {_kind(value)} {value!r}")
        return None
    if value < minimum:
        err(key, f"'{key}' must be at least {minimum}")
        return None
    return value


def _str_list(value, key, err) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, str):
        err(key, f"'{key}' must be a list, e.g. [{value!r}], not a single string")
        return ()
    if not isinstance(value, list) or not all(isinstance(v, (str, int, float)) and not isinstance(v, bool) for v in value):
        err(key, f"'{key}' must be a list of strings")
        return ()
    return tuple(str(v) for v in value)


def _url(value, key, err) -> str:
    if not isinstance(value, str):
        err(key, f"'{key}' must be a URL string, not {_kind(value)}")
        return ""
    value = value.strip()
    if value and not re.match(r"^https?://\S+$", value):
        err(key, f"'{key}' must be an http(s) URL, not {value!r}")
        return ""
    return value


def _links(value, err) -> Links:
    if value is None:
        return Links()
    if not isinstance(value, dict):
        err("links", "'links' must be a mapping such as {code: https://github.com/...}")
        return Links()
    kwargs = {}
    for key, item in value.items():
        if key in LINK_KEYS:
            if item is not None:
                kwargs[key] = _url(item, f"links.{key}", err)
        elif key == "other":
            urls = _str_list(item, "links.other", err)
            kwargs["other"] = tuple(u for u in (_url(x, "links.other", err) for x in urls) if u)
        else:
            err(f"links.{key}", f"unknown link 'links.{key}' (known: {', '.join(LINK_KEYS + ('other',))})")
    return Links(**kwargs)


def _source(value, err) -> Source | None:
    if value is None:
        return None
    if not isinstance(value, dict):
        err("source", "'source' must be a mapping with name, date and format")
        return None
    unknown = set(value) - {"name", "date", "format"}
    if unknown:
        err("source", f"unknown key in 'source': {', '.join(sorted(map(str, unknown)))}")
    when = _date(value["date"], "source.date", err) if value.get("date") is not None else None
    return Source(name=str(value.get("name") or ""), date=when, format=str(value.get("format") or ""))


Stamp = tuple[str, str, int, int]   # an entry's path, shown name, size and modification time (ns)


def scan_entries(content_dir: Path, shown_root: Path | None = None) -> list[Stamp]:
    """Every ``*.md`` under the content folder (hidden files and folders skipped), in a stable order.

    One directory walk and one ``stat`` per entry, shared by everything a build
    needs to know about its inputs (the preview's change check, ``load_content``'s memo).
    """
    if not content_dir.is_dir():
        return []
    root = str(shown_root if shown_root is not None else content_dir.parent)
    prefix = root if root.endswith(os.sep) else root + os.sep
    found: list[Stamp] = []

    def walk(folder: str) -> None:
        try:
            entries = list(os.scandir(folder))
        except OSError:
            return
        for entry in entries:
            if entry.name.startswith("."):
                continue
            try:
                if entry.is_dir(follow_symlinks=False):
                    walk(entry.path)
                    continue
                if not (entry.name.endswith(".md") and entry.is_file()):
                    continue
                stat = entry.stat()
            except OSError:
                continue   # gone since the listing: as if it had never been there
            path = entry.path
            shown = path[len(prefix):] if path.startswith(prefix) else path
            found.append((path, shown, stat.st_size, stat.st_mtime_ns))

    walk(str(content_dir))
    # Path order (part by part), without Path objects: a separator sorts before any character of a name.
    found.sort(key=lambda stamp: stamp[0].replace(os.sep, "\0"))
    return found


def entry_paths(content_dir: Path) -> list[Path]:
    """Entries in a stable order: every ``*.md`` under the content folder (hidden files skipped)."""
    return [Path(stamp[0]) for stamp in scan_entries(content_dir)]


def load_content(content_dir: Path, shown_root: Path | None = None, memo: dict | None = None,
                 entries: list[Stamp] | None = None) -> tuple[list[Paper], list[SiteError]]:
    """Read and validate every entry; papers come back in site order (newest first).

    Returns all papers that validated and every problem (errors and warnings),
    including the same paper twice (same arXiv id or same title) and two files
    with the same slug. ``memo`` (a dict the caller keeps between calls, as the
    preview does) skips parsing entries whose size and modification time are unchanged;
    ``entries`` is ``scan_entries``' result when the caller has it already.
    """
    shown_root = shown_root or content_dir.parent
    if entries is None:
        entries = scan_entries(content_dir, shown_root)
    papers: list[Paper] = []
    problems: list[SiteError] = []
    seen_memo: dict = {}
    for stamp in entries:
        hit = memo.get(stamp) if memo is not None else None
        if hit is None:
            hit = parse_entry_file(Path(stamp[0]), stamp[1])
        if memo is not None:
            seen_memo[stamp] = hit
        paper, found = hit
        problems.extend(found)
        if paper is not None:
            papers.append(paper)
    if memo is not None:  # entries deleted or changed drop out
        memo.clear()
        memo.update(seen_memo)
    problems.extend(find_duplicates(papers))
    papers.sort(key=Paper.sort_key)
    return papers, problems


def parse_entry_file(file: Path, shown: str) -> tuple[Paper | None, list[SiteError]]:
    """Read and validate one entry file (``shown`` names it in messages): what the memo holds for it."""
    try:
        text = file.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        return None, [SiteError(shown, None, f"not UTF-8 text ({exc.reason} at byte {exc.start})")]
    return parse_paper(text, shown, file.stem.lower())


def find_duplicates(papers: list[Paper]) -> list[SiteError]:
    """The same slug, arXiv id or normalized title in two entries."""
    problems = []
    by_path = sorted(papers, key=lambda p: p.path)
    for what, key in (("slug", lambda p: p.slug),
                      ("arXiv id", lambda p: p.arxiv_id),
                      ("title", lambda p: normalize_title(p.title))):
        seen: dict[str, Paper] = {}
        for paper in by_path:
            value = key(paper)
            if not value:
                continue
            if value in seen:
                first = seen[value]
                problems.append(SiteError(paper.path, 2 if what != "slug" else 1,
                                          f"same {what} as {first.path}: the same paper twice?"
                                          if what != "slug" else f"same slug '{value}' as {first.path}"))
            else:
                seen[value] = paper
    return problems
