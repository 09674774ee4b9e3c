"""Tags: grouping papers by tag (tags differing only in case are one) and suggested tags. Pure functions."""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from dataclasses import dataclass
from typing import Iterable, Mapping

from .model import Paper, tag_slug


@dataclass(frozen=True)
class Tag:
    name: str                    # the spelling shown: the most common one (ties: alphabetical)
    slug: str                    # URL segment, from model.tag_slug
    papers: tuple[Paper, ...]    # in site order (the order of the papers given)
    spellings: tuple[str, ...]   # every spelling met, e.g. ("LLM", "llm")

    @property
    def count(self) -> int:
        return len(self.papers)


def group_tags(papers: Iterable[Paper]) -> list[Tag]:
    """One Tag per tag slug, so tags that differ only in case or punctuation are one tag.

    Sorted by name (case-insensitively). Papers keep the order they were given in.
    """
    members: dict[str, list[Paper]] = defaultdict(list)
    spellings: dict[str, Counter] = defaultdict(Counter)
    for paper in papers:
        seen = set()
        for tag in paper.tags:
            slug = tag_slug(tag)
            spellings[slug][tag] += 1
            if slug not in seen:
                seen.add(slug)
                members[slug].append(paper)
    tags = []
    for slug, papers_of_tag in members.items():
        counts = spellings[slug]
        name = min(counts, key=lambda s: (-counts[s], s))
        tags.append(Tag(name, slug, tuple(papers_of_tag), tuple(sorted(counts))))
    tags.sort(key=lambda t: (t.name.casefold(), t.slug))
    return tags


def suggest_tags(title: str, abstract: str, rules: Mapping[str, list[str]]) -> list[str]:
    """Tags whose words or phrases occur in the title or abstract (whole words, any case).

    A phrase ending in '*' matches any word starting with it ("sparsi*" matches "sparsity").
    Returned in the order the rules are written.
    """
    text = f"{title}\n{abstract}"
    found = []
    for tag, phrases in rules.items():
        if any(_phrase_pattern(p).search(text) for p in phrases):
            found.append(tag)
    return found


_PATTERNS: dict[str, re.Pattern] = {}


def _phrase_pattern(phrase: str) -> re.Pattern:
    pattern = _PATTERNS.get(phrase)
    if pattern is None:
        prefix = phrase.endswith("*")
        words = phrase.rstrip("*").split()
        body = r"[\s-]+".join(re.escape(w) for w in words)
        pattern = re.compile(r"(?<!\w)" + body + (r"\w*" if prefix else r"(?!\w)"), re.IGNORECASE)
        _PATTERNS[phrase] = pattern
    return pattern
