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
import reprlib
import urllib.parse
from dataclasses import dataclass
from pathlib import Path

import yaml
from frontmatter.default_handlers import YAMLHandler

from .errors import Collector, SiteError
from .model import STATUSES, Links, Paper, Source, normalize_title, slugify

_Base = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml is much faster when present


class _Loader(_Base):  # type: ignore[misc, valid-type]
    """Safe YAML that leaves dates as strings, so a bad date is our message, not a crash."""


_Loader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in _Base.yaml_implicit_resolvers.items()
}

_HANDLER = YAMLHandler()
NOTES_HEADING = re.compile(r"^#{1,6}\s*notes\s*#*\s*$", re.IGNORECASE | re.MULTILINE)
# The curator's private notes: from the first heading whose text starts with the word "Private" ("## Private",
# "### Private notes", or the same underlined with === or ---) to the end of the body. Shown only by the
# preview, never written into the site; ending at the body's end keeps a later "## Notes" inside it private.
PRIVATE_HEADING = re.compile(r"^(?:#{1,6}[ \t]*private\b[^\n]*|[ \t]{0,3}private\b[^\n]*\n[ \t]{0,3}(?:=+|-+)[ \t]*)$",
                             re.IGNORECASE | re.MULTILINE)

# Every field an entry may have, and what it holds (documented in the README).
FIELDS = {
    "title": "string, required",
    "date": "date, YYYY-MM-DD",
    "year": "integer, when only the year is known",
    "authors": "list of names",
    "authors_count": "integer",
    "upvotes": "integer",
    "tags": "list of strings",
    "links": "mapping: arxiv, pdf, code, project (URLs), other (list of URLs)",
    "arxiv_id": "string",
    "doi": "string, e.g. 10.1145/3292500.3330701",
    "venue": "string: journal or conference",
    "type": "string: article, inproceedings, preprint, book, chapter, thesis, report, webpage, dataset, software, misc",
    "status": "one of " + ", ".join(STATUSES),
    "rating": "integer from 1 to 5",
    "read_on": "date, YYYY-MM-DD: when you read it (with status: read)",
    "draft": "true or false",
    "extra": "mapping: source fields papershelf has no field for, by format (kept for export)",
    "source": "mapping: name, date, format (written by the importer)",
    "imported": "mapping (written by the importer: what it last wrote)",
}
LINK_KEYS = ("arxiv", "pdf", "code", "project")
# Each tag has its own page and feed, each listing the paper with all its tags: cost grows with the
# square of one paper's tags (1,200 tags took 15 s and 266 MB; 10,000 never finished). A curator never
# needs this many; the limit is documented in the README.
MAX_TAGS = 50
# An entry's file name is its URL (papers/<name>/) and the name of files the build writes
# (papers/<name>/<name>.bib, and a temporary ".<name>.bib.XXXXXXXX" beside it when the preview updates it):
# at most this many characters keeps every one of them under the usual 255-byte limit of a file name.
NAME_MAX = 200
# Names that are the same path on disk and in a URL: no percent-encoding, no case or Unicode-normalisation
# surprises between the file system, GitHub Pages and the browser.
_PLAIN_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*")
QUOTE_MAX = 80   # characters of a value quoted in a message
# New-style (2405.15738, with or without a version) and old-style (hep-th/9901001, math.AG/0601001) arXiv ids.
ARXIV_ID = re.compile(r"^(?:\d{4}\.\d{4,5}|[a-z-]+(?:\.[A-Z]{2})?/\d{7})(?:v\d+)?$")


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
        _refuse_aliases(fm, path, fm_start)
        meta = yaml.load(fm, Loader=_Loader)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
        line = fm_start + mark.line if mark is not None else 1
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        context = getattr(exc, "context", None)
        message = f"invalid YAML in front matter: {problem}" + (f" ({context})" if context else "")
        raise SiteError(path, line, message) from None
    except (ValueError, TypeError, RecursionError) as exc:  # e.g. absurdly nested or odd YAML
        raise SiteError(path, fm_start, f"invalid YAML in front matter: {_clip(str(exc))}") from None
    if meta is None:
        meta = {}
    if not isinstance(meta, dict):
        raise SiteError(path, fm_start, "front matter must be a mapping of 'key: value' lines")
    body_line = fm_start + fm.count("\n") + 1
    return Entry(meta, body.lstrip("\n"), body_line, _key_lines(fm, fm_start))


def _refuse_aliases(fm: str, path: str, fm_start: int) -> None:
    """A SiteError at the first anchor (``&a``) or alias (``*a``) in the front matter.

    Aliases let a few hundred bytes expand into gigabytes (nested ``[*a, *a, ...]``:
    a "billion laughs"), and an entry never needs them. The check reads parser
    events only, which costs time linear in the text and no expansion; text without
    '&' or '*' cannot hold either and is not read twice.
    """
    if "&" not in fm and "*" not in fm:
        return
    for event in yaml.parse(fm, Loader=_Loader):
        if isinstance(event, yaml.AliasEvent) or getattr(event, "anchor", None) is not None:
            raise SiteError(path, fm_start + event.start_mark.line,
                            "YAML anchors and aliases (&name, *name) are not allowed in front matter: "
                            "write each value out in full")


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
            out.warning(path, lines.get(str(key), 2),
                        f"unknown field {quote(str(key))} (known: {', '.join(FIELDS)})")

    title = meta.get("title")
    if not isinstance(title, str) or not title.strip():
        if title is None or title == "":
            out.error(path, lines.get("title", 2), "'title' is required and must not be empty")
        else:
            err("title", f"'title' must be a string, not {_kind(title)}")
        title = ""
    values: dict = {"title": " ".join(title.split()), "title_line": lines.get("title", 1)}

    if "date" in meta and meta["date"] is not None:
        values["date"] = _date(meta["date"], "date", err)
    values["authors"] = _str_list(meta.get("authors"), "authors", err)
    for key in ("authors_count", "upvotes"):
        if meta.get(key) is not None:
            values[key] = _int(meta[key], key, err, minimum=0)
    values["tags"] = _tags(meta.get("tags"), err)
    values["links"] = _links(meta.get("links"), err)
    if meta.get("arxiv_id") is not None:
        arxiv = meta["arxiv_id"]
        values["arxiv_id"] = str(arxiv).strip() if isinstance(arxiv, (str, float, int)) and not isinstance(arxiv, bool) else ""
        if not values["arxiv_id"]:
            err("arxiv_id", "'arxiv_id' must be a string such as '2405.15738'")
        elif not ARXIV_ID.match(values["arxiv_id"]):
            out.warning(path, lines.get("arxiv_id", 2), f"'arxiv_id' {quote(values['arxiv_id'])} is not an arXiv id "
                        "such as '2405.15738' or 'hep-th/9901001': no arXiv links are made from it")
    status = meta.get("status")
    if status is not None:
        if status not in STATUSES:
            err("status", f"'status' must be one of {', '.join(STATUSES)}, not {quote(status)}")
        else:
            values["status"] = status
    if meta.get("rating") is not None:
        rating = _int(meta["rating"], "rating", err, minimum=1)
        if rating is not None and rating > 5:
            err("rating", "'rating' must be from 1 to 5")
        values["rating"] = rating
    if meta.get("read_on") is not None:
        values["read_on"] = _read_on(meta["read_on"], values.get("status", ""), err,
                                     lambda message: out.warning(path, lines.get("read_on", 2), message))
    draft = meta.get("draft", False)
    if not isinstance(draft, bool):
        err("draft", f"'draft' must be true or false, not {_kind(draft)}")
    else:
        values["draft"] = draft
    values["source"] = _source(meta.get("source"), err)
    _bibliographic(meta, values, err)
    imported = meta.get("imported")
    if imported is not None and not isinstance(imported, dict):
        err("imported", "'imported' must be a mapping (it is written by the importer)")

    abstract, notes, private = split_body(entry.body)
    values = {k: v for k, v in values.items() if v is not None}
    if out.errors:
        return None, out.items
    return Paper(slug=slug, path=path, abstract=abstract, notes=notes, private=private, **values), out.items


def _read_on(value, status: str, err, warn) -> dt.date | None:
    """The ``read_on`` date; a warning when it is in the future or the paper's status is not 'read'."""
    when = _date(value, "read_on", err)
    if when is None:
        return None
    if when > dt.date.today():
        warn(f"'read_on' {when.isoformat()} is in the future: a typo?")
    if status != "read":
        warn(f"'read_on' is set but 'status' is {quote(status) if status else 'missing'}, not 'read': "
             "the paper is not on the Read shelf nor in its feed (add status: read)")
    return when


def _bibliographic(meta: dict, values: dict, err) -> None:
    """doi, venue, type (one-line strings), year (a year) and extra (a mapping of mappings): all optional."""
    for key in ("doi", "venue", "type"):
        value = meta.get(key)
        if value is None:
            continue
        if not isinstance(value, (str, int, float)) or isinstance(value, bool) or "\n" in str(value):
            err(key, f"'{key}' must be a one-line string, not {_kind(value)}")
        else:
            values[key] = str(value).strip()
    year = meta.get("year")
    if year is not None:
        if isinstance(year, bool) or not isinstance(year, int) or not 1000 <= year <= 2999:
            err("year", f"'year' must be a year such as 2019, not {quote(year)}")
        else:
            values["known_year"] = year
    extra = meta.get("extra")
    if extra is not None:
        if not isinstance(extra, dict) or not all(isinstance(v, dict) for v in extra.values()):
            err("extra", "'extra' must be a mapping of formats to mappings, e.g. {bibtex: {pages: 1--10}}")
        else:
            values["extra"] = {str(k): dict(v) for k, v in extra.items()}


def _tags(value, err) -> tuple[str, ...]:
    """The entry's tags, stripped and without repeats; more than ``MAX_TAGS`` is an error (see there)."""
    if isinstance(value, list) and len(value) > MAX_TAGS:
        err("tags", f"{len(value)} tags: a paper may have at most {MAX_TAGS} (each tag's page and feed "
                    "list the paper with all its tags); keep the ones a reader would browse by")
        return ()
    tags = tuple(dict.fromkeys(t.strip() for t in _str_list(value, "tags", err) if t.strip()))
    for tag in tags:
        if "\n" in tag:
            err("tags", f"tag {quote(tag)} must be on one line")
    return tags


def split_body(body: str) -> tuple[str, str, str]:
    """The abstract (before a '## Notes' heading), the notes (after it) and the private notes (everything
    after a '## Private' heading, see ``PRIVATE_HEADING``)."""
    private = ""
    hidden = PRIVATE_HEADING.search(body)
    if hidden:
        body, private = body[: hidden.start()], body[hidden.end():].strip()
    m = NOTES_HEADING.search(body)
    if not m:
        return body.strip(), "", private
    return body[: m.start()].strip(), body[m.end():].strip(), private


def quote(value) -> str:
    """``repr(value)`` for a message, cut to ``QUOTE_MAX`` characters with an ellipsis.

    reprlib stops early in long strings and deep or long lists, so quoting a huge
    value costs no more than quoting a short one.
    """
    short = reprlib.Repr()
    short.maxstring = short.maxother = QUOTE_MAX
    short.maxlist = short.maxdict = short.maxtuple = 6
    short.maxlevel = 3
    return _clip(short.repr(value))


def _clip(text: str, limit: int = QUOTE_MAX) -> str:
    return text if len(text) <= limit else text[:limit - 1] + "\u2026"


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
    err(key, f"'{key}' must be a date written YYYY-MM-DD, not {quote(value)}")
    return None


def _int(value, key, err, minimum=0):
    if isinstance(value, bool) or not isinstance(value, int):
        err(key, f"'{key}' must be a whole number, not {_kind(value)} {quote(value)}")
        return None
    if value < minimum:
        err(key, f"'{key}' must be at least {minimum}")
        return None
    return value


def _str_list(value, key, err) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, str):
        err(key, f"'{key}' must be a list, e.g. [{quote(value)}], not a single string")
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
        err(key, f"'{key}' must be an http(s) URL, not {quote(value)}")
        return ""
    return as_uri(value)


def as_uri(url: str) -> str:
    """A URL as written (spaces, quotes, <, >, non-ASCII) -> a valid URI: those characters percent-encoded,
    reserved characters and existing %XX escapes kept, so every page, feed and export links to the same place."""
    return urllib.parse.quote(url, safe=URI_SAFE)


URI_SAFE = ";/?:@&=+$,-_.!~*'()#%[]"


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
            err(f"links.{key}", f"unknown link {quote(f'links.{key}')} (known: {', '.join(LINK_KEYS + ('other',))})")
    return Links(**kwargs)


def _source(value, err) -> Source | None:
    if value is None:
        return None
    if not isinstance(value, dict):
        err("source", "'source' must be a mapping with name, date and format")
        return None
    unknown = set(value) - {"name", "date", "format"}
    if unknown:
        err("source", f"unknown key in 'source': {_clip(', '.join(sorted(map(str, unknown))))}")
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


def content_folder_problem(config) -> SiteError | None:
    """A SiteError when the config's content folder does not exist, naming ``content_dir`` and its line.

    Building from a folder that is not there would publish an empty site (a typo such
    as ``contnet`` took a 48-paper site to 0 with exit 0): ``build`` and ``serve`` refuse,
    as ``check`` does.
    """
    folder = config.content_path
    if folder.is_dir():
        return None
    line = _config_key_line(config.root / Path(config.path).name, "content_dir")
    if line is None:
        return SiteError(config.path, None, f"the content folder {folder} does not exist (content_dir is "
                                            f"{config.content_dir!r} by default): create it or set content_dir")
    return SiteError(config.path, line, f"content_dir = {quote(config.content_dir)}: no such folder ({folder}); "
                                        "fix the name or create the folder")


def _config_key_line(config_file: Path, key: str) -> int | None:
    """The line of a top-level ``key = ...`` in the TOML file (before any [table]), or None."""
    try:
        text = config_file.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return None
    pattern = re.compile(rf"""\s*(?:{re.escape(key)}|"{re.escape(key)}"|'{re.escape(key)}')\s*=""")
    for number, line in enumerate(text.splitlines(), start=1):
        if line.lstrip().startswith("["):
            return None
        if pattern.match(line):
            return number
    return None


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
    """Read and validate one entry file (``shown`` names it in messages): what the memo holds for it.

    A file gone since the folder was listed (deleted or renamed during a build) is a
    problem of its own, not a crash: the build stops cleanly and the next one sees the folder as it is.
    """
    named = name_problems(file.stem, shown)
    try:
        text = file.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        return None, named + [SiteError(shown, None, f"not UTF-8 text ({exc.reason} at byte {exc.start})")]
    except FileNotFoundError:
        return None, named + [SiteError(shown, None, "removed while building: run the command again")]
    except OSError as exc:
        return None, named + [SiteError(shown, None, f"cannot be read: {exc.strerror or exc}")]
    paper, problems = parse_paper(text, shown, file.stem.lower())
    return (None if named else paper), named + problems


def name_problems(stem: str, shown: str) -> list[SiteError]:
    """An entry's file name must work as a URL as it is, or the entry is refused (with a name to use).

    The name is the paper's URL (``papers/<name>/``) and the name of files the build
    writes. Characters such as '#', '?', '%', spaces or accents would need
    percent-encoding in every link, feed, sitemap and search result, each matching the
    name on disk exactly (GitHub Pages serves the decoded path, and file systems differ
    in Unicode normalisation); ASCII letters, digits, '-', '_' and '.' need none.
    Too long a name is refused here rather than by the file system halfway through a build.
    """
    problems = []
    if not _PLAIN_NAME.fullmatch(stem):
        problems.append("has characters a URL cannot hold as they are (use only ASCII letters, digits, '-', '_' "
                        "and '.', starting with a letter or digit)")
    if len(stem) > NAME_MAX:
        problems.append(f"is {len(stem)} characters long (at most {NAME_MAX}: it names the paper's page "
                        f"and files in the built site)")
    if not problems:
        return []
    suggestion = Path(shown).with_name(f"{slugify(stem)}.md")
    return [SiteError(shown, None, f"the file name {' and '.join(problems)}: rename it, e.g. to {suggestion}")]


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
