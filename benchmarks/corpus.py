"""Generate a realistic benchmark corpus of N paper entries (a site folder with site.toml and content/).

Papers come from the real Hugging Face API data in ../shared/data/hf-daily-api-2024/ (1,984 papers).
Past that number, each further paper is a recombination of real ones: a title made of two real titles'
halves, an abstract of sentences drawn from three real abstracts, real author lists, and tags from the
shipped tag rules. Lengths, author counts and tag counts therefore follow the real distribution; the
vocabulary stays that of the real corpus (which understates index growth past ~2,000 papers; see
benchmarks/README.md).

Two tag sets (``--tags``): ``rules`` (the shipped tag rules: about 30 tags, each on many papers) and
``keywords`` (the long tail that importing keywords as tags gives: up to three keyword phrases per
paper, drawn from its title, about as many distinct tags as papers, most used once). Both are
deterministic.

    python benchmarks/corpus.py --papers 10000 --tags keywords --out benchmarks/out/corpus-10000-keywords
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import random
import re
import sys
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from papershelf.config import load_config  # noqa: E402
from papershelf.model import slugify  # noqa: E402
from papershelf.taxonomy import suggest_tags  # noqa: E402

DATA = ROOT.parent / "shared" / "data" / "hf-daily-api-2024"


def real_papers(data_dir: Path = DATA) -> list[dict]:
    """The real papers: title, abstract, authors, date, upvotes, arXiv id (first occurrence of each id)."""
    seen, papers = set(), []
    for file in sorted(data_dir.glob("*.json")):
        for item in json.loads(file.read_text(encoding="utf-8")):
            paper = item["paper"]
            if paper["id"] in seen:
                continue
            seen.add(paper["id"])
            papers.append({
                "title": " ".join((item.get("title") or paper["title"]).split()),
                "abstract": " ".join(paper.get("summary", "").split()),
                "authors": [a["name"] for a in paper.get("authors", [])],
                "date": paper["publishedAt"][:10],
                "upvotes": paper.get("upvotes", 0),
                "arxiv": paper["id"],
            })
    return papers


def synthesize(papers: list[dict], n: int, seed: int = 7) -> list[dict]:
    rng = random.Random(seed)
    out = list(papers[:n])
    sentences = [re.split(r"(?<=[.!?])\s+", p["abstract"]) for p in papers]
    start = dt.date(2015, 1, 1)
    while len(out) < n:
        i = len(out)
        a, b, c = rng.sample(range(len(papers)), 3)
        ta, tb = papers[a]["title"].split(), papers[b]["title"].split()
        title = " ".join(ta[: max(1, len(ta) // 2)] + tb[len(tb) // 2:])
        k = len(sentences[a])
        abstract = " ".join(sentences[a][: k // 3 + 1] + sentences[b][k // 3: 2 * k // 3] + sentences[c][-(k // 3 + 1):])
        out.append({
            "title": f"{title} {i}",
            "abstract": abstract,
            "authors": papers[c]["authors"],
            "date": (start + dt.timedelta(days=rng.randrange(4000))).isoformat(),
            "upvotes": rng.choice([0, 0, 1, 2, 3, 5, 8, 13, 40]),
            "arxiv": f"{2000 + i // 100000}.{i % 100000:05d}",
        })
    return out


STOP = set("a an and are as at be by for from in into is it its of on or over the to under via with without "
           "towards toward using based new large small how what when why we our your their than".split())


def keyword_tags(title: str, rng: random.Random) -> list[str]:
    """Up to three keyword phrases of a title, as a keyword extractor would give: a long tail of tags."""
    words = [w for w in re.findall(r"[a-z][a-z0-9-]+", title.lower()) if w not in STOP and len(w) > 2]
    phrases = list(dict.fromkeys(f"{a} {b}" for a, b in zip(words, words[1:])))
    rng.shuffle(phrases)
    return phrases[: rng.choice([1, 2, 3, 3])] or words[:1] or ["misc"]


def write_site(papers: list[dict], out: Path, tags: str = "rules") -> None:
    config = load_config(ROOT / "site.toml")
    content = out / "content"
    content.mkdir(parents=True, exist_ok=True)
    site_toml = (ROOT / "site.toml").read_text(encoding="utf-8")
    site_toml = re.sub(r'(?m)^base_url = .*$', 'base_url = "https://bench.example.org/shelf/"', site_toml)
    (out / "site.toml").write_text(site_toml, encoding="utf-8")
    used = set()
    rng = random.Random(11)
    for p in papers:
        slug = slugify(p["title"])
        while slug in used:
            slug = f"{slug[:70]}-{len(used)}"
        used.add(slug)
        meta = {
            "title": p["title"],
            "date": p["date"],
            "authors": p["authors"],
            "upvotes": p["upvotes"],
            "tags": (keyword_tags(re.sub(r" \d+$", "", p["title"]), rng) if tags == "keywords"
                     else suggest_tags(p["title"], p["abstract"], config.tags.rules) or ["misc"]),
            "links": {"arxiv": f"https://arxiv.org/abs/{p['arxiv']}", "pdf": f"https://arxiv.org/pdf/{p['arxiv']}"},
            "arxiv_id": p["arxiv"],
        }
        text = "---\n" + yaml.safe_dump(meta, allow_unicode=True, sort_keys=False) + "---\n\n" + p["abstract"] + "\n"
        (content / f"{slug}.md").write_text(text, encoding="utf-8")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--papers", type=int, default=1000)
    parser.add_argument("--tags", choices=["rules", "keywords"], default="rules",
                        help="the shipped tag rules (few tags), or a long tail of keyword tags")
    parser.add_argument("--out", type=Path)
    args = parser.parse_args(argv)
    suffix = "" if args.tags == "rules" else f"-{args.tags}"
    out = args.out or ROOT / "benchmarks" / "out" / f"corpus-{args.papers}{suffix}"
    if (out / "content").exists():
        print(f"{out} exists; reusing it")
        return 0
    write_site(synthesize(real_papers(), args.papers), out, tags=args.tags)
    print(f"wrote {args.papers} papers to {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
