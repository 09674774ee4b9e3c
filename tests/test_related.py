"""Related papers (generator/related.py): ranked by the words of titles and abstracts and by tags.

The real 1,984 papers of ../shared/data/hf-daily-api-2024 (through the benchmark's corpus tool, tags from
the shipped rules) are built into a site and the related lists are read back from the paper pages.
"""

from __future__ import annotations

import dataclasses
import pickle
import random
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import needs
from papershelf.build import build
from papershelf.config import load_config
from papershelf.content import load_content
from papershelf.model import Paper
from papershelf.related import LIMIT, RelatedIndex, related_all

REPO = Path(__file__).resolve().parents[1]
RELATED = re.compile(r'<aside class="related".*?</aside>', re.S)
LINK = re.compile(r'href="/shelf/papers/([^/"]+)/"')

# Real pairs on the same topic whose entries share no tag (checked below, from the entries themselves).
PAIRS = [
    ("SageAttention2 Technical Report", "SageAttention: Accurate 8-Bit Attention"),
    ("TAPTRv2:", "TAPTRv3:"),
    ("Watermark Anything with Localized Messages", "IDEAW: Robust Neural Audio Watermarking"),
    ("Collective Critics for Creative Story Generation", "Story-Adapter:"),
]
# Topics: a paper with the word in its title should find papers that use it (rare in the whole list).
TOPICS = ["watermark", "splatting", "music", "jailbreak", "protein"]


@pytest.fixture(scope="module")
def corpus(tmp_path_factory) -> Path:
    needs.shared(needs.HF_DATA, "related papers over the real 1,984 papers")
    site = tmp_path_factory.mktemp("related") / "site"
    subprocess.run([sys.executable, str(REPO / "benchmarks" / "corpus.py"), "--papers", "1984", "--out", str(site)],
                   check=True, capture_output=True)
    return site


@pytest.fixture(scope="module")
def drafts(corpus) -> set[str]:
    """Three papers on many related lists become drafts (their entries get ``draft: true``)."""
    papers, _ = load_content(corpus / "content", corpus)
    mentioned = [o.slug for others in related_all(papers).values() for o in others]
    named = {p.slug for p in papers if any(p.title.startswith(words) for pair in PAIRS for words in pair)}
    popular = sorted(set(mentioned) - named, key=lambda s: (-mentioned.count(s), s))[:3]
    for slug in popular:
        path = corpus / "content" / f"{slug}.md"
        path.write_text(path.read_text(encoding="utf-8").replace("---\n", "---\ndraft: true\n", 1), encoding="utf-8")
    return set(popular)


def related_on_pages(out: Path) -> dict[str, list[str]]:
    """Each paper page's related papers (slugs, in order), read from the built HTML."""
    found = {}
    for page in sorted((out / "papers").glob("*/index.html")):
        aside = RELATED.search(page.read_text(encoding="utf-8"))
        found[page.parent.name] = LINK.findall(aside.group(0)) if aside else []
    return found


@pytest.fixture(scope="module")
def built(corpus, drafts, tmp_path_factory):
    """The list built twice (drafts shown, as the preview shows them), each into a new folder."""
    config = load_config(corpus / "site.toml")
    outs = [tmp_path_factory.mktemp("built") / "site" for _ in range(2)]
    for out in outs:
        build(config, out=out, drafts=True, search=False)
    papers, _ = load_content(corpus / "content", corpus)
    return {p.slug: p for p in papers}, [related_on_pages(out) for out in outs]


def _slug(papers: dict[str, Paper], title_start: str) -> str:
    (slug,) = [s for s, p in papers.items() if p.title.startswith(title_start)]
    return slug


@pytest.mark.slow
def test_papers_sharing_distinctive_abstract_words_but_no_tag_are_related(built):
    papers, (related, _) = built
    for first, second in PAIRS:
        a, b = _slug(papers, first), _slug(papers, second)
        tags = lambda slug: {t.lower() for t in papers[slug].tags}  # noqa: E731
        assert not tags(a) & tags(b), (first, second)   # the pair is found by its words, not by a tag
        assert b in related[a], (first, related[a])


@pytest.mark.slow
def test_a_papers_related_list_is_on_its_topic(built):
    papers, (related, _) = built
    def uses(slug: str, word: str) -> bool:
        return word in (papers[slug].title + " " + papers[slug].abstract).lower()

    for word in TOPICS:
        on_topic = [s for s, p in papers.items() if word in p.title.lower() and not p.draft]
        shown = [o for s in on_topic for o in related[s]]
        share = sum(uses(o, word) for o in shown) / len(shown)
        everywhere = sum(uses(s, word) for s in papers) / len(papers)
        assert len(on_topic) >= 4 and everywhere < 0.05, word
        assert share >= 0.7, (word, share)   # against fewer than 5% of all papers


@pytest.mark.slow
def test_related_lists_hold_no_draft_never_the_paper_itself_and_are_full(built, drafts):
    papers, (related, _) = built
    assert set(related) == set(papers)
    for slug, others in related.items():
        assert slug not in others
        assert not drafts & set(others), slug
        assert len(others) == len(set(others)) == LIMIT, slug   # real abstracts always share some word
    for draft in drafts:   # a draft's own page (shown in the preview) has its related papers
        assert related[draft]


@pytest.mark.slow
def test_related_lists_are_the_same_in_every_build_and_whatever_the_order_of_entries(built, corpus):
    _, (first, second) = built
    assert first == second
    papers, _ = load_content(corpus / "content", corpus)
    shuffled = papers[:]
    random.Random(5).shuffle(shuffled)
    assert {s: [o.slug for o in others] for s, others in related_all(shuffled).items()} == \
        {s: [o.slug for o in others] for s, others in related_all(papers).items()}


def _edited(papers: list[Paper], rng: random.Random) -> list[Paper]:
    """One random edit of the kinds a curator makes: abstract, title, tags, draft, add, delete."""
    papers = papers[:]
    i = rng.randrange(len(papers))
    paper = papers[i]
    kind = rng.choice(["abstract", "title", "tags", "draft", "add", "delete"])
    if kind == "abstract":
        papers[i] = dataclasses.replace(paper, abstract=paper.abstract + " " + papers[rng.randrange(len(papers))].abstract[:200])
    elif kind == "title":
        papers[i] = dataclasses.replace(paper, title=paper.title + " " + papers[rng.randrange(len(papers))].title)
    elif kind == "tags":
        papers[i] = dataclasses.replace(paper, tags=papers[rng.randrange(len(papers))].tags)
    elif kind == "draft":
        papers[i] = dataclasses.replace(paper, draft=not paper.draft)
    elif kind == "add":
        other = papers[rng.randrange(len(papers))]
        papers.append(dataclasses.replace(other, slug=f"{other.slug}-again-{len(papers)}"))
    else:
        del papers[i]
    return papers


@pytest.mark.slow
def test_an_update_after_edits_equals_a_ranking_from_scratch_and_ranks_few_papers_again(corpus):
    papers, _ = load_content(corpus / "content", corpus)
    kept = RelatedIndex()
    kept.update(papers)
    assert kept.reranked == len(papers)
    rng = random.Random(11)
    again = []
    for step in range(16):
        papers = _edited(papers, rng)
        if step % 2:   # as the build cache on disk keeps it for the next command
            kept = pickle.loads(pickle.dumps(kept))
        kept.update(papers)
        fresh = RelatedIndex()
        fresh.update(papers)
        assert kept.ranked == fresh.ranked   # the same papers with the same similarities, to the last bit
        # the last ranking's vectors patched where an edit moved them are the ones made from scratch
        assert all(np.array_equal(getattr(kept.vectors, name), getattr(fresh.vectors, name))
                   for name in vars(fresh.vectors)), step
        assert kept.signatures == fresh.signatures
        again.append(kept.reranked)
    edited = dataclasses.replace(papers[7], abstract=papers[7].abstract + " We also study watermarks.")
    papers[7] = edited
    kept.update(papers)
    assert kept.reranked < len(papers) // 20, kept.reranked   # an abstract edit ranks a few papers again
    kept.update([dataclasses.replace(p, notes="Read twice.", status="read") if p is edited else p for p in papers])
    assert kept.reranked == 0   # notes and status are not what papers are related by
    assert min(again) < len(papers) // 20, again


def test_a_paper_with_no_word_or_tag_in_common_with_others_has_no_related_papers():
    def paper(slug, title, abstract, tags=(), draft=False):
        return Paper(slug=slug, path=f"content/{slug}.md", title=title, abstract=abstract, tags=tags, draft=draft)

    papers = [paper("a", "Graph kernels", "Kernels over molecular graphs."),
              paper("b", "Molecular graphs", "Message passing over molecular graphs.", ("chemistry",)),
              paper("c", "Draft on molecular graphs", "Molecular graphs again.", (), True),
              paper("d", "Chess openings", "Opening books.", ("chemistry",)),
              paper("e", "Sailing", "Boats and wind.")]
    related = {s: [o.slug for o in others] for s, others in related_all(papers).items()}
    assert related["a"] == ["b"]            # shared words; c is a draft
    assert sorted(related["b"]) == ["a", "d"]   # shared words, a shared tag
    assert related["c"] == ["a", "b"]       # a draft's own page still has its related papers
    assert related["e"] == []
