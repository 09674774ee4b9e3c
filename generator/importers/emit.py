"""PaperRecords -> ``content/<slug>.md``: the only module that writes into content/.

Planning is pure (``plan``): it matches each record to an existing entry (by arXiv id,
then by normalized title, current or as first imported), decides what changes and
renders the new text. ``write`` then writes only the files whose text differs, each
atomically. The merge rule keeps every curator edit:

* a new paper becomes a new entry (tags suggested from the config's tag rules);
* in an existing entry, upvotes follow the source only while they still equal what
  the importer last wrote (``imported.upvotes``); any other field the source knows is
  filled only while it is empty or missing;
* title, body (abstract and notes), tags, status, rating, draft and keys a curator
  added are never touched. An entry that needs no change is not rewritten at all.
"""

from __future__ import annotations

import copy
import hashlib
import logging
import os
import re
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Mapping

import yaml

from ..errors import SiteError, SiteErrors
from ..content import FIELDS, entry_paths, split_entry
from ..model import SLUG_MAX, normalize_title, slugify
from ..taxonomy import suggest_tags
from .record import PaperRecord

log = logging.getLogger("papershelf")

FIELD_ORDER = tuple(FIELDS)
LINK_ORDER = ("arxiv", "pdf", "code", "project", "other")
# The opening '---' line, the front matter, and the closing '---' line (as python-frontmatter splits them).
_FRONT = re.compile(r"\A\ufeff?-{3,}[ \t]*\r?\n(.*?)^-{3,}[ \t]*$", re.S | re.M)


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
    """An entry's text: front matter, then ``tail`` (everything after the closing '---')."""
    return f"---\n{dump_front_matter(meta)}---{tail}"


@dataclass(frozen=True)
class Existing:
    """An entry already in content/: where it is, its front matter and its untouched rest."""

    path: Path
    shown: str
    meta: dict
    tail: str      # the text after the closing '---' line, kept byte for byte


@dataclass(frozen=True)
class Change:
    kind: str      # "added", "updated" or "unchanged"
    path: Path
    shown: str
    text: str
    title: str


def read_entries(content_dir: Path, shown_root: Path | None = None) -> list[Existing]:
    """Every entry in the content folder, for matching. Raises SiteErrors if any cannot be read:
    importing next to a broken entry could create a second copy of its paper."""
    shown_root = shown_root or content_dir.parent
    entries, problems = [], []
    for path in entry_paths(content_dir):
        shown = _shown(path, shown_root)
        try:
            text = path.read_text(encoding="utf-8")
            meta = split_entry(text, shown).meta
        except UnicodeDecodeError:
            problems.append(SiteError(shown, None, "not UTF-8 text"))
            continue
        except SiteError as exc:
            problems.append(exc)
            continue
        front = _FRONT.match(text)
        if front is None:
            problems.append(SiteError(shown, 1, "front matter not recognised"))
            continue
        entries.append(Existing(path, shown, meta, text[front.end():]))
    if problems:
        raise SiteErrors(problems + [SiteError(str(_shown(content_dir, shown_root)), None,
                                               "fix these entries first (see `papershelf check`); nothing imported")])
    return entries


def plan(records: Iterable[PaperRecord], existing: list[Existing], content_dir: Path,
         rules: Mapping[str, list[str]], shown_root: Path | None = None) -> list[Change]:
    """What importing ``records`` does to the content folder, without writing anything."""
    shown_root = shown_root or content_dir.parent
    work = {id(e): copy.deepcopy(e.meta) for e in existing}
    by_arxiv: dict[str, Existing] = {}
    by_title: dict[str, Existing] = {}
    for entry in existing:
        meta = entry.meta
        if meta.get("arxiv_id") not in (None, ""):
            by_arxiv.setdefault(str(meta["arxiv_id"]).strip(), entry)
        imported = meta.get("imported") if isinstance(meta.get("imported"), dict) else {}
        for title in (meta.get("title"), imported.get("title")):
            if isinstance(title, str) and normalize_title(title):
                by_title.setdefault(normalize_title(title), entry)
    taken = {e.path.stem.lower() for e in existing}
    added: list[Change] = []
    touched: dict[int, str] = {}
    for record in records:
        entry = (by_arxiv.get(record.arxiv_id) if record.arxiv_id else None) or by_title.get(record.key)
        if entry is not None:
            work[id(entry)] = update_meta(work[id(entry)], record)
            touched[id(entry)] = record.title
            continue
        slug = _free_slug(record, taken)
        taken.add(slug)
        path = content_dir / f"{slug}.md"
        meta = new_meta(record, suggest_tags(record.title, record.abstract, rules))
        text = render(meta, f"\n\n{record.abstract}\n" if record.abstract else "\n")
        added.append(Change("added", path, _shown(path, shown_root), text, record.title))
    changes = []
    for entry in existing:
        if id(entry) not in touched:
            continue
        meta = work[id(entry)]
        if meta == entry.meta:
            changes.append(Change("unchanged", entry.path, entry.shown, "", touched[id(entry)]))
        else:
            changes.append(Change("updated", entry.path, entry.shown, render(meta, entry.tail), touched[id(entry)]))
    return changes + added


def write(changes: Iterable[Change], content_dir: Path) -> None:
    """Write every added or updated entry, each atomically (a temp file, then os.replace)."""
    root = content_dir.resolve()
    for change in changes:
        if change.kind == "unchanged":
            continue
        target = change.path.resolve()
        if not target.is_relative_to(root):
            raise AssertionError(f"refusing to write outside {root}: {target}")  # a bug, not user input
        write_atomic(target, change.text)


def write_atomic(target: Path, text: str) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=".", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as handle:
            handle.write(text)
        os.replace(tmp, target)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


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
            meta["tags"] = list(tags)
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
    for key in ("date", "authors", "authors_count", "arxiv_id", "source"):
        if key in fields and _empty(meta.get(key)):
            _put(meta, key, fields[key])
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

