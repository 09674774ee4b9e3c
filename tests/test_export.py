"""`papershelf export`: BibTeX, RIS and CSL-JSON that real readers accept, and that import back into the same
entries (every field the format holds), for hand-made entries and for every paper of the real files."""

from __future__ import annotations

import re

import json
from pathlib import Path

import jsonschema
import pytest

import needs
from papershelf.cli import main
from papershelf.content import load_content
from papershelf.model import normalize_title

ENTRIES = {
    "gan.md": """---
title: 'Generative Adversarial Nets: {GAN}s for $\\alpha$-divergences & 10% of {\\it you}'
date: 2014-12-08
authors: [Ian J. Goodfellow, Jean Pouget-Abadie, Jörg Müller, 'Richard Roe, Jr.', Plato]
tags: [gan, classic]
status: read
doi: 10.5555/2969033.2969125
venue: Advances in Neural Information Processing Systems 27
type: inproceedings
links:
  code: https://github.com/goodfeli/adversarial
extra:
  bibtex: {key: goodfellow2014generative, pages: 2672--2680, publisher: Curran Associates}
---

We propose a new framework for estimating generative models via an adversarial process, in which
we simultaneously train two models: $G$ and $D$, where \\(D(x)\\) is a probability; costs $5 and $10.
""",
    "attention.md": """---
title: Attention Is All You Need
date: 2017-06-12
authors: [Ashish Vaswani, Noam Shazeer]
arxiv_id: '1706.03762'
type: preprint
tags: [transformers]
status: to-read
links: {arxiv: 'https://arxiv.org/abs/1706.03762', pdf: 'https://arxiv.org/pdf/1706.03762'}
---

The dominant sequence transduction models.
""",
    "jmlr.md": """---
title: A Year-Only Journal Paper with Braces } and a Backslash \\ in It
year: 2020
authors: [Jane van der Doe]
venue: Journal of Machine Learning Research
type: article
tags: [theory]
---
""",
    "draft.md": """---
title: A Draft Nobody Should See
draft: true
tags: [gan]
---
""",
}
# The fields each format holds, compared after a round trip.
HELD = ("title", "authors", "date", "year", "doi", "venue", "type", "arxiv_id")


def make(tmp_path: Path, entries: dict[str, str] = ENTRIES) -> Path:
    content = tmp_path / "content"
    content.mkdir()
    for name, text in entries.items():
        (content / name).write_text(text, encoding="utf-8")
    return content


def export(content: Path, fmt: str, *args: str) -> str:
    out = content.parent / f"out.{fmt}"
    assert main(["-q", "export", "--content", str(content), "--format", fmt, "--out", str(out), *args]) == 0
    return out.read_text(encoding="utf-8")


def reimport(tmp_path: Path, text: str, name: str) -> list:
    source = tmp_path / name
    source.write_text(text, encoding="utf-8")
    back = tmp_path / f"back-{name}"
    assert main(["-q", "import", "--content", str(back), str(source)]) == 0
    papers, problems = load_content(back)
    assert [p for p in problems if p.severity == "error"] == []
    return papers


def value(paper, field):
    if field == "year":
        return paper.year
    return getattr(paper, field)


def assert_same(before, after, fields=HELD, paragraphs=True):
    """Equal in every field the format holds; abstracts paragraph by paragraph (RIS holds one paragraph)."""
    by_key = {normalize_title(p.title): p for p in after}
    assert len(after) == len(before)
    for paper in before:
        back = by_key[normalize_title(paper.title)]
        for field in fields:
            assert value(back, field) == value(paper, field), (paper.slug, field)
        assert " ".join(back.abstract.split()) == " ".join(paper.abstract.split())
        if paragraphs:
            assert _paragraphs(back.abstract) == _paragraphs(paper.abstract), paper.slug


def _paragraphs(text: str) -> list[str]:
    return [" ".join(part.split()) for part in re.split(r"\n\s*\n", text.strip()) if part.strip()]


@pytest.mark.parametrize("fmt, name", [("bibtex", "x.bib"), ("ris", "x.ris"), ("csl-json", "x.json")])
def test_round_trip_of_hand_made_entries(tmp_path, fmt, name):
    content = make(tmp_path)
    papers = [p for p in load_content(content)[0] if not p.draft]
    back = reimport(tmp_path, export(content, fmt), name)
    assert_same(papers, back, paragraphs=fmt != "ris")
    gan = next(p for p in back if p.title.startswith("Generative"))
    assert gan.authors_count is None and gan.links.code == "https://github.com/goodfeli/adversarial"
    attention = next(p for p in back if p.arxiv_id)
    assert attention.links.arxiv == "https://arxiv.org/abs/1706.03762"
    if fmt == "bibtex":
        assert gan.extra["bibtex"] == {"key": "goodfellow2014generative", "pages": "2672--2680",
                                       "publisher": "Curran Associates"}


def test_exports_keep_the_tex_and_are_read_by_real_parsers(tmp_path):
    content = make(tmp_path)
    bib = export(content, "bibtex")
    assert "@inproceedings{goodfellow2014generative," in bib and "$\\alpha$" in bib and "\\(D(x)\\)" in bib
    assert "costs \\$5 and \\$10" in bib    # a dollar amount is text, not math
    import bibtexparser
    from pybtex.database import parse_string
    library = bibtexparser.parse_string(bib)
    assert library.failed_blocks == [] and len(library.entries) == 3
    assert len(parse_string(bib, "bibtex").entries) == 3
    # url is the paper's own address (arXiv when known); a code repository has its own field.
    by_key = {entry.key: entry for entry in library.entries}
    assert by_key["goodfellow2014generative"]["code"] == "https://github.com/goodfeli/adversarial"
    assert "url" not in by_key["goodfellow2014generative"].fields_dict
    assert by_key["vaswani2017attention"]["url"] == "https://arxiv.org/abs/1706.03762"
    import rispy
    ris = export(content, "ris")
    records = rispy.loads(ris)
    assert [r["title"] for r in records][:1] and len(records) == 3 and "$\\alpha$" in ris
    assert {r["type_of_reference"] for r in records} == {"CONF", "UNPB", "JOUR"}
    items = json.loads(export(content, "csl-json"))
    assert any("$\\alpha$" in item["title"] for item in items)
    validate_csl(items)


# The CSL-JSON data schema (citation-style-language/schema, csl-data.json) ships in no package on PyPI
# or npm that this project can install (citeproc-py's copy of the schema repository leaves it out), so
# the parts of it an export uses are written out here, with the same types list, name and date objects.
CSL_TYPES = ["article", "article-journal", "article-magazine", "article-newspaper", "bill", "book", "broadcast",
             "chapter", "classic", "collection", "dataset", "document", "entry", "entry-dictionary",
             "entry-encyclopedia", "event", "figure", "graphic", "hearing", "interview", "legal_case",
             "legislation", "manuscript", "map", "motion_picture", "musical_score", "pamphlet", "paper-conference",
             "patent", "performance", "periodical", "personal_communication", "post", "post-weblog", "regulation",
             "report", "review", "review-book", "software", "song", "speech", "standard", "thesis", "treaty",
             "webpage"]
NAME = {"type": "object", "properties": {k: {"type": "string"} for k in (
    "family", "given", "dropping-particle", "non-dropping-particle", "suffix", "literal")},
    "additionalProperties": True}
DATE = {"type": "object", "properties": {
    "date-parts": {"type": "array", "minItems": 1, "maxItems": 2, "items": {
        "type": "array", "minItems": 1, "maxItems": 3, "items": {"type": ["string", "number"]}}},
    "season": {"type": ["string", "number"]}, "circa": {"type": ["string", "number", "boolean"]},
    "literal": {"type": "string"}, "raw": {"type": "string"}}, "additionalProperties": False}
CSL_SCHEMA = {"type": "array", "items": {"type": "object", "required": ["type", "id"], "properties": {
    "type": {"type": "string", "enum": CSL_TYPES}, "id": {"type": ["string", "number"]},
    "author": {"type": "array", "items": NAME}, "editor": {"type": "array", "items": NAME},
    "issued": DATE, "accessed": DATE, "title": {"type": "string"}, "DOI": {"type": "string"},
    "URL": {"type": "string"}, "container-title": {"type": "string"}, "abstract": {"type": "string"},
    "page": {"type": ["string", "number"]}, "volume": {"type": ["string", "number"]},
    "issue": {"type": ["string", "number"]}, "number": {"type": ["string", "number"]}}}}


def validate_csl(items):
    jsonschema.validate(items, CSL_SCHEMA)


def test_selection_by_tag_and_status_drafts_left_out_and_stdout(tmp_path, capsys):
    content = make(tmp_path)
    assert export(content, "bibtex", "--tag", "GAN").count("@") == 1      # any spelling of the tag; no draft
    assert export(content, "ris", "--status", "to-read").count("TY  -") == 1
    assert export(content, "ris", "--tag", "gan", "--drafts").count("TY  -") == 2
    capsys.readouterr()
    assert main(["-q", "export", "--content", str(content), "--format", "csl-json"]) == 0
    assert len(json.loads(capsys.readouterr().out)) == 3
    assert main(["export", "--content", str(content), "--format", "ris", "--out", str(content.parent)]) == 1
    assert "is a folder" in capsys.readouterr().err


def test_an_invalid_entry_stops_the_export(tmp_path, capsys):
    content = make(tmp_path, {"bad.md": "---\ntitle: x\nyear: 'soon'\n---\n"})
    assert main(["export", "--content", str(content), "--format", "bibtex", "--out", str(tmp_path / "o.bib")]) == 1
    assert "'year' must be a year" in capsys.readouterr().err and not (tmp_path / "o.bib").exists()


@pytest.mark.parametrize("fmt, name", [("bibtex", "x.bib"), ("ris", "x.ris"), ("csl-json", "x.json")])
def test_round_trip_of_every_real_paper(tmp_path, fmt, name):
    data = needs.shared(needs.SHARED / "data" / "importers", "every real paper survives export and import")
    content = tmp_path / "content"
    for source in sorted(data.glob("*/*")):
        main(["-q", "import", "--content", str(content), str(source)])
    papers = load_content(content)[0]
    assert len(papers) == 673
    back = reimport(tmp_path, export(content, fmt), name)
    # Two papers of the Scopus file differ only in an erratum suffix and share a normalized title prefix:
    # compare by title (unique here) rather than by file name, which depends on import order.
    assert_same(papers, back, paragraphs=fmt != "ris")
    kept = {"bibtex": "bibtex", "ris": "ris", "csl-json": "csl"}[fmt]
    by_key = {normalize_title(p.title): p for p in back}
    for paper in papers:
        mine = {k: v for k, v in paper.extra.get(kept, {}).items() if k not in ("key", "id", "date")}
        theirs = by_key[normalize_title(paper.title)].extra.get(kept, {})
        assert all(theirs.get(k) == v for k, v in mine.items()), paper.slug


@pytest.mark.parametrize("fmt, name", [("bibtex", "x.bib"), ("csl-json", "x.json")])
def test_an_abstracts_paragraphs_survive_the_round_trip(tmp_path, fmt, name):
    content = make(tmp_path, {"two.md": "---\ntitle: Two Paragraphs\ndate: 2024-01-02\nauthors: [Ada Lovelace]\ntype: article\n---\n\n"
                                        "First paragraph of the abstract.\n\nSecond one, with $x^2$ math.\n"})
    papers = [p for p in load_content(content)[0] if p.title == "Two Paragraphs"]
    back = [p for p in reimport(tmp_path, export(content, fmt), name) if p.title == "Two Paragraphs"]
    assert _paragraphs(back[0].abstract) == ["First paragraph of the abstract.", "Second one, with $x^2$ math."]
    assert_same(papers, back)


HOSTILE_JSON = [{}, [], (), {"a": []}, {"a": {}}, [[[]]], "x\n\u2028\u00e9\"\\\x01\x7f</script>", "\ud800", 0, -1, 10**30,
                1.5, -0.0, 1e300, 5e-324, True, False, None, (1, (2, [3])), {"k": {"n": [[1, 2], [3]], "s": "\u00fc"}},
                {"\u00e9\n": "\t"}, {1: 2}, {"x": float("nan")}, {"x": [float("-inf")]}, {None: 1}, {True: [1]}]


def test_each_papers_csl_json_is_what_json_writes(tmp_path):
    """A build writes each paper's CSL item (its page, papers.csl.json) with its own indenting,
    ``citations.indented_json``: byte for byte ``json.dumps(indent=2)``, over the imported real papers (the CSL
    fields their sources kept included) and values json treats specially; what json refuses, it refuses too."""
    data = needs.shared(needs.SHARED / "data" / "importers", "the build's CSL-JSON equals json's for real papers")
    from papershelf.citations import Citations, indented_json, to_csl_json
    content = tmp_path / "content"
    for source in sorted(data.glob("*/*")):
        main(["-q", "import", "--content", str(content), str(source)])
    papers = load_content(content)[0]
    assert len(papers) == 673 and sum(1 for p in papers if p.extra.get("csl")) == 42
    citations = Citations()
    assert [citations.csl_file(p) for p in papers] == [to_csl_json([p]) for p in papers]
    assert citations.csl_text(papers) == to_csl_json(papers)
    for value in HOSTILE_JSON:
        assert indented_json(value) == json.dumps(value, ensure_ascii=False, indent=2), value
    for value in ({"when": __import__("datetime").date(2024, 1, 2)}, [{1, 2}], {(1, 2): 3}):
        with pytest.raises(TypeError):
            json.dumps(value, ensure_ascii=False, indent=2)
        with pytest.raises(TypeError):
            indented_json(value)
