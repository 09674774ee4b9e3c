"""`papershelf check`: validate every entry (the config was validated when it was loaded).

Prints every problem as ``content/<file>.md:<line>: message`` (warnings marked),
then a closing line such as "48 entries, 0 errors, 0 warnings". Exit code 1 if
any problem is an error, 0 if there are only warnings or none.
"""

from __future__ import annotations

import logging
from pathlib import Path

from .content import content_folder_problem, entry_paths, load_content, quote, split_entry
from .errors import SiteError, SiteErrors
from .importers.emit import leftover_problems
from .model import Paper, tag_slug
from .taxonomy import group_tags
from .texmath import bad_spans

log = logging.getLogger("papershelf")


def run_check(config, content_dir: Path) -> int:
    content_dir = Path(content_dir)
    shown_root = content_dir.parent
    if not content_dir.is_dir():
        from_config = content_dir.resolve() == config.content_path and content_folder_problem(config)
        raise SiteErrors([from_config or SiteError(str(content_dir), None, "content folder not found")])
    papers, problems = load_content(content_dir, shown_root)
    # A killed import's temp files are not entries (never loaded) but are reported so they are not forgotten.
    problems = problems + tag_spelling_problems(papers, shown_root) + leftover_problems(content_dir, shown_root)
    problems += math_problems(papers, shown_root)
    problems.sort(key=lambda e: (e.path, e.line or 0, e.message))
    for problem in problems:
        print(problem)
    errors = sum(1 for p in problems if p.is_error)
    warnings = len(problems) - errors
    entries = len(entry_paths(content_dir))
    print(f"{entries} {'entry' if entries == 1 else 'entries'}, {errors} error{'' if errors == 1 else 's'}, "
          f"{warnings} warning{'' if warnings == 1 else 's'}")
    return 1 if errors else 0


def tag_spelling_problems(papers: list[Paper], shown_root: Path) -> list[SiteError]:
    """Tags that are one tag page but are spelled differently ("LLM" and "llm").

    The most common spelling is taken as the intended one; each entry using another
    spelling gets an error at the line of that tag.
    """
    problems = []
    for tag in group_tags(papers):
        if len(tag.spellings) < 2:
            continue
        for paper in tag.papers:
            for spelling in paper.tags:
                if tag_slug(spelling) != tag.slug or spelling == tag.name:
                    continue
                how = "only in case" if spelling.casefold() == tag.name.casefold() else "only in punctuation or case"
                problems.append(SiteError(paper.path, _tag_line(shown_root / paper.path, paper.path, spelling),
                                          f"tag {quote(spelling)} differs {how} from {quote(tag.name)} used elsewhere: "
                                          f"use one spelling"))
    return problems


def _tag_line(file: Path, shown: str, spelling: str) -> int | None:
    """The line of ``spelling`` in the entry's tags (the 'tags:' line if it is not on a line of its own)."""
    try:
        text = file.read_text(encoding="utf-8")
        line = split_entry(text, shown).key_lines.get("tags")
    except (OSError, UnicodeDecodeError, SiteError):
        return None
    if line is None:
        return None
    lines = text.splitlines()
    for number in range(line + 1, min(len(lines), line + 200) + 1):
        item = lines[number - 1].strip()
        if not item.startswith("-"):
            break
        if item[1:].strip().strip("'\"") == spelling:
            return number
    return line


def math_problems(papers: list[Paper], shown_root: Path) -> list[SiteError]:
    """A warning for each TeX math span that does not parse (pages show it as written), at its line."""
    problems = []
    for paper in papers:
        found = [(field, span) for field in ("title", "abstract", "notes")
                 for span in bad_spans(getattr(paper, field))]
        if not found:
            continue
        try:
            text = (shown_root / paper.path).read_text(encoding="utf-8")
            entry = split_entry(text, paper.path)
        except (OSError, UnicodeDecodeError, SiteError):
            text, entry = "", None
        body_at = _offset_of_line(text, entry.body_line) if entry else 0
        for field, span in found:
            source = getattr(paper, field)[span.start:span.end]
            if field == "title":
                line = entry.key_lines.get("title") if entry else None
            else:
                at = text.find(source, body_at)
                line = text.count("\n", 0, at) + 1 if at >= 0 else (entry.body_line if entry else None)
            shown = " ".join(source.split())
            shown = shown if len(shown) <= 80 else shown[:79] + "\u2026"
            problems.append(SiteError(paper.path, line, f"TeX math in the {field} does not parse, so pages show it "
                                                        f"as written: {shown}", severity="warning"))
    return problems


def _offset_of_line(text: str, line: int) -> int:
    at = 0
    for _ in range(line - 1):
        at = text.find("\n", at) + 1
        if at == 0:
            return len(text)
    return at
