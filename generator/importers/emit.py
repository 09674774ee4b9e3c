"""PaperRecords -> ``content/<slug>.md``: the only module that writes into content/.

Planning (``read_entries`` and ``plan``) reads and decides everything before the first
write: it matches each record to an existing entry (by arXiv id, then by normalized
title, current or as first imported), decides what changes, renders the new text, and
refuses (as ``file: message``) what it must not touch, such as a link out of content/.
``write`` then writes only the files whose text differs. The merge rule keeps every
curator edit:

* a new paper becomes a new entry (tags suggested from the config's tag rules);
* in an existing entry, upvotes follow the source only while they still equal what
  the importer last wrote (``imported.upvotes``); any other field the source knows is
  filled only while it is empty or missing;
* title, body (abstract and notes), tags, status, rating, draft and keys a curator
  added are never touched. An entry that needs no change is not rewritten at all.

An update edits only the lines of the keys it changes (see ``edit_front_matter``):
comments, flow lists, quoting, key order, CRLF and a BOM stay byte for byte.

Curators edit while imports run, so writing never trusts the plan blindly: an update
replaces a file only while it still holds the bytes the update was merged into (else it
merges again from what is there now, or leaves the file and says so), an entry removed
or renamed meanwhile is not recreated, and a new entry never replaces a file that
appeared under its name. New files follow the umask, updated files keep their mode.
Temp files are named ``.<name>.<pid>-<random>.papershelf-tmp``, so a killed import's
leftovers are recognised: the next import removes them and ``check`` reports them.
"""

from __future__ import annotations

import copy
import errno
import hashlib
import logging
import os
import re
import secrets
import stat
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterable, Mapping

import yaml

from ..errors import SiteError, SiteErrors
from ..content import FIELDS, entry_paths, split_entry
from ..model import SLUG_MAX, normalize_title, slugify
from ..taxonomy import suggest_tags
from .record import PaperRecord, arxiv_base

log = logging.getLogger("papershelf")

FIELD_ORDER = tuple(FIELDS)
LINK_ORDER = ("arxiv", "pdf", "code", "project", "other")
# Key order inside the mappings the importer writes, for placing a key it adds.
NESTED_ORDER = {("links",): LINK_ORDER, ("source",): ("name", "date", "format"), ("imported",): ("title", "upvotes")}
# How often an update is merged again when the file keeps changing under it before it is left alone.
MERGE_ATTEMPTS = 3

TEMP_SUFFIX = ".papershelf-tmp"
_TEMP_NAME = re.compile(r"\..+\.(\d+)-[0-9a-f]{8}" + re.escape(TEMP_SUFFIX))
_TEMP_STEM_MAX = 100   # the entry's name as it appears in a temp name: a long entry name must not make it too long

CHANGED = "changed while importing; left as it is, run the import again"
GONE = "removed or renamed while importing; not recreated (run the import again to update it where it is now)"
APPEARED = "created by someone else while importing; left as it is, run the import again"

# Called with each change just before the file is checked and replaced (tests pause or edit there).
Hook = Callable[["Change"], None]


class _Dumper(yaml.SafeDumper):
    """YAML for entries: dates stay plain (date: 2024-05-24), long lines are not folded."""


_Dumper.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeDumper.yaml_implicit_resolvers.items()
}


def dump_front_matter(meta: Mapping) -> str:
    return yaml.dump(dict(meta), Dumper=_Dumper, allow_unicode=True, sort_keys=False,
                     default_flow_style=False, width=1_000_000)


def render(meta: Mapping, tail: str) -> str:
    """A new entry's text: front matter, then ``tail`` (everything after the closing '---')."""
    return f"---\n{dump_front_matter(meta)}---{tail}"


@dataclass(frozen=True)
class Existing:
    """An entry already in content/, as the plan read it."""

    path: Path     # as listed in content/
    target: Path   # the file itself (a link inside content/ resolved): what an update replaces
    shown: str
    meta: dict
    text: str      # the whole file as read: no newline translation, BOM kept
    digest: str    # of the bytes read: an update replaces the file only while it still holds them


@dataclass(frozen=True)
class Change:
    kind: str      # "added", "updated" or "unchanged"
    path: Path
    shown: str
    text: str
    title: str
    records: tuple[PaperRecord, ...] = ()   # what it is made of (an update is merged again if the entry changes meanwhile)
    digest: str = ""                        # of the bytes an update was merged into


@dataclass(frozen=True)
class Outcome:
    """What writing one change did: ``kind`` is "added", "updated", "unchanged" or "left" (with the reason)."""

    change: Change
    kind: str
    problem: SiteError | None = None


# ---------------------------------------------------------------------------- planning


def read_entries(content_dir: Path, shown_root: Path | None = None) -> list[Existing]:
    """Every entry in the content folder, for matching. Raises SiteErrors if any cannot be read or
    must not be written (a link out of content/): importing next to such an entry could create a
    second copy of its paper, so nothing is imported."""
    shown_root = shown_root or content_dir.parent
    root = Path(os.path.realpath(content_dir))
    entries, problems = [], []
    for path in entry_paths(content_dir):
        shown = _shown(path, shown_root)
        try:
            entries.append(_read_existing(path, shown, root))
        except SiteError as exc:
            problems.append(exc)
    if problems:
        raise SiteErrors(problems + [SiteError(str(_shown(content_dir, shown_root)), None,
                                               "fix these entries first (see `papershelf check`); nothing imported")])
    return entries


def _read_existing(path: Path, shown: str, root: Path) -> Existing:
    """One entry, read as bytes (so CRLF and a BOM survive an update). Raises SiteError."""
    target = Path(os.path.realpath(path))
    if not target.is_relative_to(root):
        raise SiteError(shown, None, f"a link to {target}, outside the content folder: the importer writes only "
                                     "inside it (put the file itself in content/)")
    try:
        data = target.read_bytes()
    except FileNotFoundError:
        raise SiteError(shown, None, "removed or renamed while importing; run the import again") from None
    except OSError as exc:
        raise SiteError(shown, None, f"cannot read the file: {exc.strerror or exc}") from None
    return parse_existing(path, target, shown, data)


def parse_existing(path: Path, target: Path, shown: str, data: bytes) -> Existing:
    """An entry from its bytes. Raises SiteError when it is not UTF-8 or its front matter is broken."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        raise SiteError(shown, None, "not UTF-8 text") from None
    meta = split_entry(text, shown).meta
    if split_layout(text) is None:
        raise SiteError(shown, 1, "front matter not recognised")
    return Existing(path, target, shown, meta, text, _digest(data))


def plan(records: Iterable[PaperRecord], existing: list[Existing], content_dir: Path,
         rules: Mapping[str, list[str]], shown_root: Path | None = None) -> list[Change]:
    """What importing ``records`` does to the content folder, without writing anything.
    Raises SiteErrors when a new entry's name is taken by something that is not an entry."""
    shown_root = shown_root or content_dir.parent
    by_arxiv: dict[str, Existing] = {}
    by_doi: dict[str, Existing] = {}
    by_title: dict[str, Existing] = {}
    for entry in existing:
        meta = entry.meta
        if meta.get("arxiv_id") not in (None, ""):
            by_arxiv.setdefault(arxiv_base(str(meta["arxiv_id"])), entry)
        if isinstance(meta.get("doi"), str) and meta["doi"].strip():
            by_doi.setdefault(meta["doi"].strip().casefold(), entry)
        imported = meta.get("imported") if isinstance(meta.get("imported"), dict) else {}
        for title in (meta.get("title"), imported.get("title")):
            if isinstance(title, str) and normalize_title(title):
                by_title.setdefault(normalize_title(title), entry)
    taken = {e.path.stem.lower() for e in existing}
    added: list[Change] = []
    blocked: list[SiteError] = []
    touched: dict[int, list[PaperRecord]] = {}
    for record in records:
        entry = (by_arxiv.get(arxiv_base(record.arxiv_id)) if record.arxiv_id else None) \
            or (by_doi.get(record.doi_key) if record.doi else None) or by_title.get(record.key)
        if entry is not None:
            touched.setdefault(id(entry), []).append(record)
            continue
        slug = _free_slug(record, taken)
        taken.add(slug)
        path = content_dir / f"{slug}.md"
        shown = _shown(path, shown_root)
        if os.path.lexists(path):
            blocked.append(SiteError(shown, None, f"in the way of the new entry for '{record.title}' but not an "
                                                  "entry (a broken link, a folder?): move it away"))
            continue
        meta = new_meta(record, suggest_tags(record.title, record.abstract, rules))
        text = render(meta, f"\n\n{record.abstract}\n" if record.abstract else "\n")
        added.append(Change("added", path, shown, text, record.title, (record,)))
    if blocked:
        raise SiteErrors(blocked + [SiteError(str(_shown(content_dir, shown_root)), None, "nothing imported")])
    changes = []
    for entry in existing:
        if id(entry) not in touched:
            continue
        merged = tuple(touched[id(entry)])
        text = merged_text(entry, merged)
        kind = "unchanged" if text is None else "updated"
        changes.append(Change(kind, entry.target, entry.shown, text or "", merged[0].title, merged, entry.digest))
    return changes + added


def merged_text(entry: Existing, records: Iterable[PaperRecord]) -> str | None:
    """The entry's text after importing ``records`` into it, or None when that changes nothing."""
    meta = entry.meta
    for record in records:
        meta = update_meta(meta, record)
    if meta == entry.meta:
        return None
    return edit_front_matter(entry.text, entry.shown, entry.meta, meta)


# ---------------------------------------------------------------------------- writing


def write(changes: Iterable[Change], content_dir: Path, *, before_replace: Hook | None = None) -> list[Outcome]:
    """Write every added or updated entry, each atomically, never over a curator's newer text.

    A killed import's temp files are removed first. Returns what happened to each change
    that was to be written (an entry changed, removed or created meanwhile is "left")."""
    content_dir.mkdir(parents=True, exist_ok=True)
    for path in remove_leftovers(content_dir):
        log.info("%s: removed, left by an interrupted import", _shown(path, content_dir.parent))
    outcomes = []
    for change in changes:
        if change.kind == "added":
            outcomes.append(_create(change, before_replace))
        elif change.kind == "updated":
            outcomes.append(_update(change, before_replace))
    return outcomes


def _create(change: Change, hook: Hook | None) -> Outcome:
    """A new entry appears whole (a hard link to a finished temp file), and only if its name is still free."""
    tmp = _write_temp(change.path, change.text.encode("utf-8"), None)
    try:
        if hook is not None:
            hook(change)
        try:
            os.link(tmp, change.path)
        except FileExistsError:
            return Outcome(change, "left", SiteError(change.shown, None, APPEARED, "warning"))
        except OSError as exc:
            if exc.errno not in _NO_HARD_LINKS:
                raise
            return _create_exclusive(change)
        return Outcome(change, "added")
    finally:
        os.unlink(tmp)


# A file system without hard links: create the entry in place (O_EXCL still never replaces anything).
_NO_HARD_LINKS = {errno.EPERM, errno.EOPNOTSUPP, errno.ENOTSUP, errno.ENOSYS, errno.EMLINK, errno.EXDEV}


def _create_exclusive(change: Change) -> Outcome:
    """A new entry written in place, where hard links are not available: readers may see it half
    written for a moment, but O_EXCL still never replaces a file that appeared meanwhile."""
    try:
        fd = os.open(change.path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0), 0o666)
    except FileExistsError:
        return Outcome(change, "left", SiteError(change.shown, None, APPEARED, "warning"))
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(change.text.encode("utf-8"))
    except BaseException:
        os.unlink(change.path)      # ours, half written (e.g. the disk is full)
        raise
    return Outcome(change, "added")


def _update(change: Change, hook: Hook | None) -> Outcome:
    """Replace an entry only while it holds exactly the bytes the update was merged into; if a curator
    saved it meanwhile, merge the records again into what is there now (a few times), else leave it."""
    text, digest = change.text, change.digest
    for _ in range(MERGE_ATTEMPTS):
        state, current = _replace_if_unchanged(change, text, digest, hook)
        if state == "replaced":
            return Outcome(change, "updated")
        if state == "gone":
            return Outcome(change, "left", SiteError(change.shown, None, GONE, "warning"))
        try:
            entry = parse_existing(change.path, change.path, change.shown, current)
        except SiteError as exc:
            return Outcome(change, "left", SiteError(change.shown, None, f"{CHANGED} (it cannot be read now: "
                                                                         f"{exc.message})", "warning"))
        text, digest = merged_text(entry, change.records), entry.digest
        if text is None:
            return Outcome(change, "unchanged")
    return Outcome(change, "left", SiteError(change.shown, None, CHANGED, "warning"))


def _replace_if_unchanged(change: Change, text: str, digest: str, hook: Hook | None) -> tuple[str, bytes]:
    """Replace the file with ``text`` if its bytes still have ``digest``. Returns ("replaced", b""),
    ("gone", b"") or ("changed", the bytes found instead). The temp file gets the entry's mode first."""
    mode = _mode(change.path)
    if mode is None:
        return "gone", b""
    tmp = _write_temp(change.path, text.encode("utf-8"), mode)
    replaced = False
    try:
        if hook is not None:
            hook(change)
        current = _read_if_there(change.path)
        if current is None:
            return "gone", b""
        if _digest(current) != digest:
            return "changed", current
        # The comparison and the replace are microseconds apart; an editor saving in exactly that window is
        # the one case left (no portable lock makes editors wait). Everything earlier is caught above.
        os.replace(tmp, change.path)
        replaced = True
        return "replaced", b""
    finally:
        if not replaced:
            os.unlink(tmp)


def _mode(path: Path) -> int | None:
    try:
        return stat.S_IMODE(os.stat(path).st_mode)
    except (FileNotFoundError, NotADirectoryError):
        return None


def _read_if_there(path: Path) -> bytes | None:
    try:
        return path.read_bytes()
    except (FileNotFoundError, NotADirectoryError, IsADirectoryError):
        return None


def write_atomic(target: Path, text: str) -> None:
    """Write ``text`` to ``target`` through a temp file and ``os.replace``: readers see the old or the
    new file, never half of one. A new file follows the umask, an existing one keeps its mode."""
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = _write_temp(target, text.encode("utf-8"), _mode(target))
    try:
        os.replace(tmp, target)
    except BaseException:
        os.unlink(tmp)
        raise


def _write_temp(target: Path, data: bytes, mode: int | None) -> Path:
    """A finished temp file next to ``target``, named so a killed import's leftover is recognised.

    Created with 0o666 like ``open()`` does, so the umask applies (mkstemp would make it 0600);
    ``mode`` (an updated entry's own) replaces that."""
    tmp = target.parent / f".{target.name[:_TEMP_STEM_MAX]}.{os.getpid()}-{secrets.token_hex(4)}{TEMP_SUFFIX}"
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0), 0o666)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        if mode is not None:
            os.chmod(tmp, mode)
    except BaseException:
        os.unlink(tmp)
        raise
    return tmp


def leftover_temp_files(content_dir: Path) -> list[Path]:
    """Temp files of an import (``.<name>.<pid>-<random>.papershelf-tmp``) anywhere in the content folder."""
    found = []
    for folder, dirs, files in os.walk(content_dir):
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        found += [Path(folder) / name for name in sorted(files) if _TEMP_NAME.fullmatch(name)]
    return found


def leftover_problems(content_dir: Path, shown_root: Path) -> list[SiteError]:
    """``check``'s warnings about a killed import's temp files (they are not entries)."""
    message = "a temp file left by an interrupted import, not an entry: the next import removes it (or delete it)"
    return [SiteError(_shown(path, shown_root), None, message, "warning") for path in leftover_temp_files(content_dir)]


def remove_leftovers(content_dir: Path) -> list[Path]:
    """Remove the temp files a killed import left behind; those of an import still running are kept."""
    removed = []
    for path in leftover_temp_files(content_dir):
        pid = int(_TEMP_NAME.fullmatch(path.name).group(1))
        if pid != os.getpid() and _running(pid):
            continue
        os.unlink(path)
        removed.append(path)
    return removed


def _running(pid: int) -> bool:
    """Whether process ``pid`` exists (POSIX; elsewhere every leftover counts as abandoned)."""
    if os.name != "posix":
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True   # exists, owned by someone else
    return True


def _digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


# ---------------------------------------------------------------------------- merging


def record_fields(record: PaperRecord) -> dict:
    """The front matter values a record gives, in entry order; empty values left out."""
    fields: dict = {}
    if record.date:
        fields["date"] = record.date.isoformat()
    if record.authors:
        fields["authors"] = list(record.authors)
    if record.authors_count is not None:
        fields["authors_count"] = record.authors_count
    if record.upvotes is not None:
        fields["upvotes"] = record.upvotes
    links = {key: getattr(record.links, key) for key in LINK_ORDER[:-1] if getattr(record.links, key)}
    if record.links.other:
        links["other"] = list(record.links.other)
    if links:
        fields["links"] = links
    if record.arxiv_id:
        fields["arxiv_id"] = record.arxiv_id
    if record.year is not None and not record.date:
        fields["year"] = record.year
    for key in ("doi", "venue", "type"):
        if getattr(record, key):
            fields[key] = getattr(record, key)
    if record.extra:
        extra: dict = {}
        for fmt, key, value in record.extra:
            extra.setdefault(fmt, {}).setdefault(key, value)
        fields["extra"] = extra
    if record.source is not None:
        source = record.source
        fields["source"] = {k: v for k, v in (("name", source.name),
                                              ("date", source.date.isoformat() if source.date else ""),
                                              ("format", source.format)) if v}
    return fields


def new_meta(record: PaperRecord, tags: list[str]) -> dict:
    fields = record_fields(record)
    meta = {"title": record.title}
    for key in FIELD_ORDER:
        if key in fields:
            meta[key] = fields[key]
        if key == "upvotes":
            meta["tags"] = list(dict.fromkeys(list(tags) + list(record.tags)))
    imported = {"title": record.title}
    if record.upvotes is not None:
        imported["upvotes"] = record.upvotes
    meta["imported"] = imported
    return meta


def update_meta(meta: dict, record: PaperRecord) -> dict:
    """The front matter of an existing entry after importing ``record`` into it (a new dict)."""
    meta = copy.deepcopy(meta)
    fields = record_fields(record)
    imported = meta.get("imported")
    if "upvotes" in fields:
        current = meta.get("upvotes")
        untouched = isinstance(imported, dict) and "upvotes" in imported and current == imported["upvotes"]
        if _empty(current) or untouched:
            _put(meta, "upvotes", fields["upvotes"])
            if isinstance(imported, dict):
                imported["upvotes"] = fields["upvotes"]
            elif imported is None:
                _put(meta, "imported", {"upvotes": fields["upvotes"]})
    for key in ("date", "authors", "authors_count", "arxiv_id", "doi", "venue", "type", "source"):
        if key in fields and _empty(meta.get(key)):
            _put(meta, key, fields[key])
    if "year" in fields and _empty(meta.get("year")) and _empty(meta.get("date")):
        _put(meta, "year", fields["year"])
    if "extra" in fields:
        extra = meta.get("extra")
        if _empty(extra):
            _put(meta, "extra", fields["extra"])
        elif isinstance(extra, dict):
            for fmt, values in fields["extra"].items():
                if _empty(extra.get(fmt)):
                    extra[fmt] = values
                elif isinstance(extra[fmt], dict):
                    for key, value in values.items():
                        if key not in extra[fmt]:
                            extra[fmt][key] = value
    if "links" in fields:
        links = meta.get("links")
        if _empty(links):
            _put(meta, "links", fields["links"])
        elif isinstance(links, dict):
            for key, value in fields["links"].items():
                if _empty(links.get(key)):
                    links[key] = value
    return meta


def _empty(value) -> bool:
    return value is None or value == "" or value == [] or value == {}


def _put(meta: dict, key: str, value) -> None:
    """Set ``key``; a new key goes where it belongs in entry order, so the layout stays stable."""
    if key in meta:
        meta[key] = value
        return
    rank = FIELD_ORDER.index(key)
    items = list(meta.items())
    position = next((i for i, (k, _) in enumerate(items) if k in FIELD_ORDER and FIELD_ORDER.index(k) > rank),
                    len(items))
    items.insert(position, (key, value))
    meta.clear()
    meta.update(items)


def _free_slug(record: PaperRecord, taken: set[str]) -> str:
    """slugify(title), or, if another paper has it, the slug plus a short hash of the normalized
    title: the same paper gets the same file name whatever order things are imported in."""
    slug = slugify(record.title)
    if slug not in taken:
        return slug
    digest = hashlib.sha1(record.key.encode("utf-8")).hexdigest()
    base = slugify(record.title, max_length=SLUG_MAX - 9)
    for length in (6, 10, 40):
        candidate = f"{base}-{digest[:length]}"
        if candidate not in taken:
            return candidate
    n = 2
    while f"{base}-{digest[:6]}-{n}" in taken:
        n += 1
    return f"{base}-{digest[:6]}-{n}"


def _shown(path: Path, root: Path) -> str:
    try:
        return str(path.relative_to(root))
    except ValueError:
        return str(path)


# ---------------------------------------------------------------------------- front matter text edits
#
# Why targeted text edits and not a round-trip YAML library (ruamel.yaml): an import changes very
# little (the upvotes scalar, fields still empty or missing, the imported: mapping), and every other
# byte must stay: comments, flow lists, quoting, blank lines, key order, CRLF, a BOM. A round trip
# re-emits what it parsed (spacing, indentation and quoting are normalised, and it is one more
# dependency); a text edit touches only the lines of the keys that change. The result is parsed again
# and compared with the intended front matter, so a layout the editor does not understand can never
# give a wrong entry: then the front matter alone is rewritten (body, BOM and newlines still kept).

_OPENING = re.compile(r"\A\ufeff?-{3,}[ \t]*(\r?\n)")
_CLOSING = re.compile(r"^-{3,}[ \t]*\r?$", re.M)
_KEY = re.compile(r"([A-Za-z_][\w-]*)[ \t]*:(?=[ \t\r\n]|\Z)")
_QUOTED = re.compile(r"""'(?:[^']|'')*'|"(?:[^"\\\r\n]|\\.)*\"""")


@dataclass(frozen=True)
class Layout:
    """An entry's text in three parts, so the front matter can change and the rest cannot."""

    head: str      # a BOM if any and the opening '---' line
    front: str     # the YAML between the '---' lines
    tail: str      # the closing '---' line and everything after it, byte for byte
    newline: str   # the file's line ending ("\r\n" or "\n"), taken from the opening line


def split_layout(text: str) -> Layout | None:
    opening = _OPENING.match(text)
    closing = _CLOSING.search(text, opening.end()) if opening else None
    if closing is None:
        return None
    return Layout(text[:opening.end()], text[opening.end():closing.start()], text[closing.start():], opening.group(1))


def edit_front_matter(text: str, shown: str, old: dict, new: dict) -> str:
    """``text`` with its front matter changed from ``old`` to ``new``, touching only the lines that must change."""
    layout = split_layout(text)
    lines = re.findall(r"[^\n]*\n|[^\n]+\Z", layout.front)
    edited = _edit_mapping(lines, "", old, new, (), layout.newline)
    if edited is not None:
        candidate = layout.head + "".join(edited) + layout.tail
        if _meta_or_none(candidate, shown) == new:
            return candidate
    log.debug("%s: front matter rewritten whole (its layout was not understood)", shown)
    return layout.head + dump_front_matter(new).replace("\n", layout.newline) + layout.tail


def _meta_or_none(text: str, shown: str) -> dict | None:
    try:
        return split_entry(text, shown).meta
    except SiteError:
        return None


def _edit_mapping(lines: list[str], indent: str, old: dict, new: dict, where: tuple, nl: str) -> list[str] | None:
    """The lines of a block mapping (keys at ``indent``) holding ``new`` instead of ``old``; None when the
    lines are not laid out as this editor understands or a key would have to go."""
    blocks = _blocks(lines, indent)
    if blocks is None or set(old) - set(new) or len({b[0] for b in blocks}) != len(blocks):
        return None
    found = {key: (start, end) for key, start, end in blocks}
    if set(old) - set(found):
        return None
    edits = []    # (start, end, replacement); an insertion has start == end
    for key, value in new.items():
        if key in old and old[key] == value:
            continue
        if key in old:
            start, end = found[key]
            replacement = _edit_value(lines[start:end], indent, key, old[key], value, where + (key,), nl)
            if replacement is None:
                return None
            edits.append((start, end, replacement))
        else:
            at = _insert_at(lines, blocks, key, NESTED_ORDER.get(where, FIELD_ORDER if not where else ()))
            edits.append((at, at, _dump_key(key, value, indent, nl)))
    out, position = [], 0
    for start, end, replacement in sorted(edits, key=lambda e: (e[0], e[0] != e[1])):
        out += lines[position:start] + replacement
        position = end
    return out + lines[position:]


def _edit_value(block: list[str], indent: str, key: str, old, new, where: tuple, nl: str) -> list[str] | None:
    """One key's lines with its new value: a scalar replaced in place (its comment kept), a block mapping
    edited key by key, anything else written out again."""
    if isinstance(old, dict) and isinstance(new, dict) and _only_comment(_rest(block[0], indent, key)):
        child = _child_indent(block[1:], indent)
        if child is not None:
            edited = _edit_mapping(block[1:], child, old, new, where, nl)
            return None if edited is None else [block[0]] + edited
    if len(block) == 1 and not isinstance(new, (dict, list)):
        line = _set_scalar(block[0], indent, key, new)
        if line is not None:
            return [line]
    return _dump_key(key, new, indent, nl)


def _blocks(lines: list[str], indent: str) -> list[tuple[str, int, int]] | None:
    """(key, first line, end) of each key at ``indent``; its value's lines are those indented deeper,
    or '- ' items at its own indent. Blank and comment lines between keys belong to no key."""
    blocks, i = [], 0
    while i < len(lines):
        key = _key_at(lines[i], indent)
        if key is None:
            if not _blank_or_comment(lines[i]):
                return None
            i += 1
            continue
        end = j = i + 1
        while j < len(lines) and (_continues(lines[j], indent) or _blank_or_comment(lines[j])):
            j += 1
            if _continues(lines[j - 1], indent):
                end = j
        blocks.append((key, i, end))
        i = end
    return blocks


def _key_at(line: str, indent: str) -> str | None:
    if not line.startswith(indent):
        return None
    match = _KEY.match(line, len(indent))
    return match.group(1) if match else None


def _continues(line: str, indent: str) -> bool:
    """Part of the value of a key at ``indent``: indented deeper, or a '- ' sequence item at that indent."""
    if not line.startswith(indent) or not line.strip():
        return False
    rest = line[len(indent):]
    return rest[0] in " \t" or (rest[0] == "-" and rest[1:2] in ("", " ", "\t", "\r", "\n"))


def _blank_or_comment(line: str) -> bool:
    stripped = line.strip()
    return not stripped or stripped.startswith("#")


def _child_indent(lines: list[str], indent: str) -> str | None:
    """The indent of a nested block mapping's keys, or None when the value is not one."""
    for line in lines:
        if _blank_or_comment(line):
            continue
        child = line[:len(line) - len(line.lstrip(" "))]
        return child if len(child) > len(indent) and _key_at(line, child) else None
    return None


def _rest(line: str, indent: str, key: str) -> str:
    """What follows 'key:' on its line, without the line ending."""
    return line[len(indent):].split(":", 1)[1].rstrip("\r\n")


def _only_comment(rest: str) -> bool:
    stripped = rest.strip()
    return not stripped or stripped.startswith("#")


def _set_scalar(line: str, indent: str, key: str, value) -> str | None:
    """``line`` ('key: old  # comment') with the new value written in place of the old one; None when
    the old value is not a one-line scalar or the new one does not fit on a line."""
    written = dump_front_matter({key: value})
    if written.count("\n") != 1 or not written.startswith(f"{key}: "):
        return None
    text = written[len(key) + 2:-1]
    colon = line.index(":", len(indent)) + 1
    rest = line[colon:].rstrip("\r\n")
    ending = line[colon + len(rest):]
    stripped = rest.lstrip(" \t")
    if _only_comment(stripped):          # no value yet: 'key:' or 'key:   # comment'
        return f"{line[:colon]} {text}{rest}{ending}"
    lead = rest[:len(rest) - len(stripped)]
    quoted = _QUOTED.match(stripped)
    if quoted:
        after = stripped[quoted.end():]
    elif stripped[0] in "[{|>&*!%@`":   # a flow collection, block scalar, anchor, alias or tag
        return None
    else:
        comment = re.search(r"[ \t]+#", stripped)
        after = stripped[comment.start():] if comment else stripped[len(stripped.rstrip()):]
    if not _only_comment(after):
        return None
    return f"{line[:colon]}{lead}{text}{after}{ending}"


def _insert_at(lines: list[str], blocks: list[tuple[str, int, int]], key: str, order: tuple) -> int:
    """Where a missing key goes: before the first key that comes after it in ``order`` (and before that
    key's own comment lines), else after the last key."""
    rank = order.index(key) if key in order else len(order)
    floor = 0
    for other, start, end in blocks:
        if other in order and order.index(other) > rank:
            while start > floor and lines[start - 1].strip().startswith("#"):
                start -= 1
            return start
        floor = end
    return blocks[-1][2] if blocks else len(lines)


def _dump_key(key: str, value, indent: str, nl: str) -> list[str]:
    """``key: value`` as YAML lines at ``indent``, in the file's line ending."""
    return [indent + line + nl for line in dump_front_matter({key: value}).splitlines()]
