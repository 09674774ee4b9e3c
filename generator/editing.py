"""Helpers for curators editing entries by hand: ``papershelf new`` and ``papershelf tags``.

``new`` writes one entry through importers/emit.py (the only writer of content/),
so its front matter is laid out exactly like an imported one. ``tags`` reads the
entries, lists every tag with its count and flags near-duplicates: one tag spelled
several ways (LLM / llm), a variant listed under ``[tags.aliases]`` in site.toml,
singular and plural, or a one-letter slip.
"""

from __future__ import annotations

import datetime as dt
import re
import sys
from dataclasses import dataclass
from difflib import SequenceMatcher
from pathlib import Path
from typing import Mapping

from .config import Config
from .content import entry_paths, load_content
from .errors import SiteError
from .importers.emit import render, write_atomic
from .importers.record import arxiv_links, github_repo
from .model import Paper, normalize_title, slugify, tag_slug
from .taxonomy import Tag, group_tags

# The body of a new entry: the abstract, then the curator's notes (content.py splits them at "## Notes").
BODY_TEMPLATE = """
Replace this paragraph with the paper's abstract (markdown).

## Notes

Your notes: what the paper shows, why it is on this list, what to read next.
"""
SIMILAR_RATIO = 0.92     # slugs this alike (and long enough) are probably one tag mistyped
SIMILAR_MIN_LENGTH = 8


def run_new(config: Config, content_dir: Path, *, title: str, tags: str = "", arxiv: str | None = None,
            url: str | None = None, date: str | None = None, today: dt.date | None = None) -> int:
    """Create ``content/<slug>.md`` and print its path. Refuses to overwrite or to add a paper twice."""
    meta = new_entry_meta(title, tags=tags, arxiv=arxiv, url=url, date=date, today=today or dt.date.today())
    path = content_dir / f"{slugify(meta['title'])}.md"
    shown = _shown(path, content_dir.parent)
    taken = [p for p in entry_paths(content_dir) if p.stem.lower() == path.stem]
    if path.exists() or path.is_symlink() or taken:
        raise SiteError(shown, None, "already exists: edit it, or give the new paper a different title")
    papers, _ = load_content(content_dir, content_dir.parent)
    same = _same_paper(papers, meta)
    if same is not None:
        what = "arXiv id" if meta.get("arxiv_id") and meta["arxiv_id"] == same.arxiv_id else "title"
        raise SiteError(same.path, None, f"this paper is already here (same {what}); edit that entry instead")
    written = _consistent_tags(meta["tags"], papers, config.tags.aliases)
    for before, after in zip(meta["tags"], written):
        if before != after:
            print(f"note: tag '{before}' written '{after}', as elsewhere on the site", file=sys.stderr)
    meta["tags"] = list(dict.fromkeys(written))
    write_atomic(path.resolve(), render(meta, "\n" + BODY_TEMPLATE))
    print(shown)
    print("note: the entry is a draft (shown by `papershelf serve`, left out of `papershelf build`): replace the "
          "placeholder text, then delete the line `draft: true` to publish it"
          + ("" if meta.get("date") else "; add `date: YYYY-MM-DD` when you know when it was published"),
          file=sys.stderr)
    return 0


def new_entry_meta(title: str, *, tags: str = "", arxiv: str | None = None, url: str | None = None,
                   date: str | None = None, today: dt.date) -> dict:
    """The front matter of a new entry, checked; raises SiteError naming the bad option."""
    title = " ".join(title.split())
    if not normalize_title(title):
        raise SiteError("title", None, "the title must contain letters or digits")
    if date:
        try:
            when = dt.date.fromisoformat(date.strip())
        except ValueError:
            raise SiteError("--date", None, f"'{date}' is not a date written YYYY-MM-DD") from None
    else:
        when = None    # unknown: today's date would be a wrong publication date (and a wrong BibTeX year)
    meta: dict = {"title": title, **({"date": when.isoformat()} if when else {}), "authors": [],
                  "tags": list(dict.fromkeys(t.strip() for t in tags.split(",") if t.strip()))}
    links: dict = {}
    arxiv_id = (arxiv or "").strip()
    if arxiv_id:
        links["arxiv"], links["pdf"] = arxiv_links(arxiv_id)
        if not links["arxiv"]:
            raise SiteError("--arxiv", None, f"'{arxiv}' is not an arXiv id such as 2405.15738")
    if url:
        if not re.match(r"^https?://\S+$", url.strip()):
            raise SiteError("--url", None, f"'{url}' is not an http(s) URL")
        repo = github_repo(url.strip())
        links["code" if repo else "project"] = repo or url.strip()
    if links:
        meta["links"] = links
    if arxiv_id:
        meta["arxiv_id"] = arxiv_id
    meta["status"] = "to-read"
    # Its body is a placeholder until the curator writes one: never published by accident.
    meta["draft"] = True
    return meta


def _consistent_tags(tags: list[str], papers: list[Paper], aliases: Mapping[str, list[str]]) -> list[str]:
    """Each tag as the site already writes it: the [tags.aliases] canonical, else the spelling in use."""
    spelling = {tag.slug: tag.name for tag in group_tags(papers)}
    for canonical, variants in aliases.items():
        for name in (canonical, *variants):
            spelling[tag_slug(name)] = canonical
    return [spelling.get(tag_slug(t), t) for t in tags]


def _same_paper(papers: list[Paper], meta: dict) -> Paper | None:
    key = normalize_title(meta["title"])
    for paper in papers:
        if (meta.get("arxiv_id") and paper.arxiv_id == meta["arxiv_id"]) or normalize_title(paper.title) == key:
            return paper
    return None


@dataclass(frozen=True)
class NearDuplicate:
    message: str
    files: tuple[str, ...] = ()    # entries to edit


def run_tags(config: Config, content_dir: Path) -> int:
    """List tags with their counts, then the near-duplicates to tidy. Always 0: it is a report."""
    papers, problems = load_content(content_dir, content_dir.parent)
    tags = group_tags(papers)
    width = max([len(t.name) for t in tags] + [3])
    print(f"{len(tags)} tag{'s' if len(tags) != 1 else ''} on {len(papers)} paper{'s' if len(papers) != 1 else ''}")
    for tag in sorted(tags, key=lambda t: (-t.count, t.name.casefold())):
        spellings = f"  (written {', '.join(tag.spellings)})" if len(tag.spellings) > 1 else ""
        print(f"{tag.count:6d}  {tag.name:<{width}}{spellings}".rstrip())
    broken = {e.path for e in problems if e.is_error}
    if broken:
        print(f"\nnote: {len(broken)} entr{'ies' if len(broken) != 1 else 'y'} with errors not counted; "
              "run `papershelf check`")
    flags = near_duplicates(tags, config.tags.aliases)
    if flags:
        print(f"\n{len(flags)} near-duplicate{'s' if len(flags) != 1 else ''}: use one spelling per tag")
        for flag in flags:
            print(f"  {flag.message}")
            if flag.files:
                more = f" and {len(flag.files) - 5} more" if len(flag.files) > 5 else ""
                print(f"      in {', '.join(flag.files[:5])}{more}")
    elif tags:
        print("\nNo near-duplicate tags.")
    return 0


def near_duplicates(tags: list[Tag], aliases: Mapping[str, list[str]]) -> list[NearDuplicate]:
    """Tags that are probably one tag: spelling variants, configured aliases, plurals, slips."""
    by_slug = {t.slug: t for t in tags}
    canonical_of = {}   # variant slug -> canonical spelling from [tags.aliases]
    for canonical, variants in aliases.items():
        for variant in variants:
            if tag_slug(variant) != tag_slug(canonical):
                canonical_of[tag_slug(variant)] = canonical
    preferred = {tag_slug(c): c for c in aliases}
    flags = []
    for tag in tags:
        if len(tag.spellings) > 1:
            want = preferred.get(tag.slug, tag.name)
            others = [s for s in tag.spellings if s != want]
            flags.append(NearDuplicate(f"{' / '.join(tag.spellings)}: one tag written {len(tag.spellings)} ways; "
                                       f"write '{want}'", _files_using(tag, others)))
        if tag.slug in canonical_of:
            want = canonical_of[tag.slug]
            flags.append(NearDuplicate(f"{tag.name} ({tag.count}): listed in site.toml [tags.aliases] as a variant "
                                       f"of '{want}'; write '{want}'", _files_using(tag, tag.spellings)))
    slugs = sorted(by_slug)
    for i, a in enumerate(slugs):
        for b in slugs[i + 1:]:
            if canonical_of.get(a) is not None and tag_slug(canonical_of[a]) == b:
                continue   # already flagged as an alias
            if canonical_of.get(b) is not None and tag_slug(canonical_of[b]) == a:
                continue
            kind = _variant_kind(a, b)
            if kind:
                ta, tb = by_slug[a], by_slug[b]
                rarer = min((ta, tb), key=lambda t: (t.count, t.slug))
                flags.append(NearDuplicate(f"{ta.name} ({ta.count}) / {tb.name} ({tb.count}): {kind}",
                                           _files_using(rarer, rarer.spellings)))
    return flags


def _variant_kind(a: str, b: str) -> str:
    if _singular(a) == _singular(b):
        return "singular and plural"
    if (min(len(a), len(b)) >= SIMILAR_MIN_LENGTH and a.replace("-", "") != b.replace("-", "")
            and SequenceMatcher(None, a, b).ratio() >= SIMILAR_RATIO):
        return "spelled almost the same"
    if a.replace("-", "") == b.replace("-", ""):
        return "the same words, split differently"
    return ""


def _singular(slug: str) -> str:
    return "-".join(w[:-1] if len(w) > 3 and w.endswith("s") and not w.endswith("ss") else w
                    for w in slug.split("-"))


def _files_using(tag: Tag, spellings) -> tuple[str, ...]:
    wanted = set(spellings)
    return tuple(sorted(p.path for p in tag.papers if wanted.intersection(p.tags)))


def _shown(path: Path, root: Path) -> str:
    try:
        return str(path.resolve().relative_to(root.resolve()))
    except ValueError:
        return str(path)
