"""BibTeX output read back by real BibTeX parsers (pybtex, bibtexparser) and a LaTeX-to-text converter."""

from __future__ import annotations

import json
import re
from datetime import date

import bibtexparser
import pybtex.database
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from pylatexenc.latex2text import LatexNodes2Text, MacroTextSpec, get_default_latex_context_db

from papershelf.bibtex import base_key, bibtex_all, bibtex_entries, bibtex_entry, citation_keys, key_suffix
from papershelf.markdown import MarkdownRenderer
from papershelf.model import Links, Paper, Source

import needs
from needs import HF_DATA
from site_helpers import shipped_papers

HOSTILE_TITLES = [
    "}{@misc{x,",
    "}}} title = {pwned}, @misc{evil,",
    "{{{ unbalanced",
    "Back\\slash \\end{document} \\input{/etc/passwd}",
    "100% of $x_i$ & #1 ~ ^ _ { } \\",
    '"quoted", with comma, and = signs',
    "@comment{ not a comment",
    "<script>alert(1)</script>",
    '"><img src=x onerror=alert(1)>',
    "{{ 7*7 }}",
    "Tabs\tand\nnewlines\r\nand \x00 control \x1b chars",
    "Ünïcödé μ-τ 深度学习",
]


def _decoder() -> LatexNodes2Text:
    # pylatexenc knows the standard text commands except these two (textcomp's brace glyphs);
    # ^ and ~ are given their ASCII meaning rather than the accent glyphs.
    db = get_default_latex_context_db().filter_context()
    db.add_context_category("textcomp-ascii", prepend=True, macros=[
        MacroTextSpec("textbraceleft", "{"), MacroTextSpec("textbraceright", "}"),
        MacroTextSpec("textasciicircum", "^"), MacroTextSpec("textasciitilde", "~")])
    return LatexNodes2Text(latex_context=db, math_mode="verbatim", strict_latex_spaces=True)


DECODE = _decoder()


def latex_to_text(value: str) -> str:
    return DECODE.latex_to_text(value)


def normalized(text: str) -> str:
    text = re.sub("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]", "", text)
    return " ".join(text.split())


def paper(title="Attention Is All You Need", **kw) -> Paper:
    kw.setdefault("slug", "p")
    return Paper(path=f"content/{kw['slug']}.md", title=title, **kw)


def parse_one(text: str):
    """The single entry in ``text``, as pybtex and bibtexparser read it (both must agree there is exactly one)."""
    data = pybtex.database.parse_string(text, "bibtex")
    library = bibtexparser.parse_string(text)
    assert library.failed_blocks == [], [b.error for b in library.failed_blocks]
    assert len(data.entries) == 1 and len(library.entries) == 1
    (key, entry), = data.entries.items()
    assert library.entries[0].key == key
    return key, entry


@pytest.mark.parametrize("title", HOSTILE_TITLES)
def test_hostile_titles_stay_inside_their_field_and_read_back_as_the_same_text(title):
    text = bibtex_entry(paper(title, abstract=title, date=date(2024, 5, 1), authors=(title,)))
    key, entry = parse_one(text)
    assert re.fullmatch(r"[a-z][a-z0-9-]*", key)
    assert set(entry.fields) == {"title", "year", "month", "abstract"}
    assert latex_to_text(entry.fields["title"]) == normalized(title)
    # The abstract is markdown; its field holds the text a reader sees (markdown syntax gone, words and TeX kept).
    assert latex_to_text(entry.fields["abstract"]) == normalized(MarkdownRenderer().source_text(title))
    assert len(entry.persons["author"]) == 1


def test_a_hostile_title_does_not_swallow_or_forge_neighbouring_entries():
    papers = [paper("First", slug="a"), paper("}{@misc{forged, title={x}}", slug="b"), paper("Third", slug="c")]
    text = bibtex_all(papers)
    data = pybtex.database.parse_string(text, "bibtex")
    assert [latex_to_text(e.fields["title"]) for e in data.entries.values()] == [
        "First", "}{@misc{forged, title={x}}", "Third"]
    assert "forged" not in data.entries


@settings(max_examples=150, deadline=None)
@given(st.text(alphabet=st.sampled_from(list("\\{}%&$#_~^@,=\"' aZé深\t\n-`!?")), min_size=1, max_size=40))
def test_any_title_round_trips(title):
    # TeX turns -- `` '' ?` !` into typographic ligatures; those are TeX's reading of the text, not escaping bugs.
    assume(not any(s in title for s in ("--", "``", "''", "?`", "!`")))
    assume(title.strip())
    key, entry = parse_one(bibtex_entry(paper(title)))
    assert latex_to_text(entry.fields["title"]) == normalized(title)


def test_authors_are_joined_with_and_and_each_name_stays_one_person():
    p = paper(authors=("Ashish Vaswani", "Noam Shazeer", "Smith, Jr., John", "Research and Development Team"))
    _, entry = parse_one(bibtex_entry(p))
    people = entry.persons["author"]
    assert len(people) == 4
    assert [" ".join(x.last_names) for x in people[:2]] == ["Vaswani", "Shazeer"]


def test_more_authors_than_names_ends_with_others():
    p = paper(authors=("Ann Bee",), authors_count=7)
    _, entry = parse_one(bibtex_entry(p))
    assert [str(x) for x in entry.persons["author"]] == ["Bee, Ann", "others"]


def test_a_paper_known_only_by_its_author_count_has_no_author_field():
    _, entry = parse_one(bibtex_entry(paper(authors_count=7)))
    assert "author" not in entry.persons and "author" not in entry.fields


def test_arxiv_papers_carry_eprint_archive_prefix_url_year_and_month():
    p = paper(date=date(2024, 5, 24), arxiv_id="2405.15738", links=Links(pdf="https://arxiv.org/pdf/2405.15738"))
    key, entry = parse_one(bibtex_entry(p))
    assert entry.fields["eprint"] == "2405.15738"
    assert entry.fields["archivePrefix"] == "arXiv"
    assert entry.fields["url"] == "https://arxiv.org/abs/2405.15738"
    assert entry.fields["year"] == "2024"
    assert entry.fields["month"] == "May"  # BibTeX's month macro, expanded by the parser


def test_urls_with_braces_or_spaces_cannot_break_the_entry():
    p = paper(links=Links(project="https://example.org/a b}{@misc{x,/%7E"))
    _, entry = parse_one(bibtex_entry(p))
    assert entry.fields["url"].startswith("https://example.org/a%20b%7D%7B@misc%7Bx,")


def test_citation_key_is_author_year_title_word():
    p = paper(date=date(2017, 6, 12), authors=("Ashish Vaswani", "Noam Shazeer"))
    assert base_key(p) == "vaswani2017attention"
    assert base_key(paper("On the Müller Effect", authors=("José Müller",), date=date(2020, 1, 1))) == "muller2020muller"
    assert base_key(paper("Your Absorbing Discrete Diffusion", authors=("Jingyang Ou",),
                          date=date(2024, 6, 6))) == "ou2024absorbing"   # not "your"
    assert base_key(paper("Can Language Models Reason?", authors=("Li, Wei",), known_year=2023)) == "li2023language"
    assert base_key(paper("深度学习", slug="shen-du-xue-xi")).isascii()


def test_without_author_names_the_key_is_two_title_words_around_the_year():
    # Entries that know only an author count (most imported ones) were all "paper<year><word>" before.
    assert base_key(paper("Your Absorbing Discrete Diffusion", authors_count=7,
                          date=date(2024, 6, 6))) == "absorbing2024discrete"
    assert base_key(paper("The Lottery Ticket Hypothesis", date=date(2018, 3, 9))) == "lottery2018ticket"
    assert base_key(paper("3D Scenes", date=date(2020, 1, 1))) == "paper3d2020scenes"   # a letter first


def test_keys_of_the_shipped_list_are_readable_unique_and_stable():
    papers = shipped_papers()
    keys = citation_keys(papers)
    assert len(set(keys.values())) == len(papers)
    assert not [k for k in keys.values() if k.startswith("paper")]
    assert keys == citation_keys(list(reversed(papers))) == citation_keys(sorted(papers, key=lambda p: p.title))
    by_title = {p.title: keys[p.slug] for p in papers}
    assert by_title["Your Absorbing Discrete Diffusion Secretly Models the Conditional Distributions of Clean Data"] \
        == "absorbing2024discrete"


def test_the_code_repository_is_not_the_papers_url():
    code = "https://github.com/ML-GSAI/RADD"
    _, entry = parse_one(bibtex_entry(paper(links=Links(code=code))))
    assert "url" not in entry.fields and entry.fields["code"] == code
    _, entry = parse_one(bibtex_entry(paper(arxiv_id="2406.03736", links=Links(code=code))))
    assert entry.fields["url"] == "https://arxiv.org/abs/2406.03736" and entry.fields["code"] == code
    library = bibtexparser.parse_string(bibtex_entry(paper(links=Links(project="https://p.org/x", code=code))))
    assert library.entries[0]["url"] == "https://p.org/x" and library.entries[0]["code"] == code


def test_colliding_keys_get_suffixes_and_older_papers_keep_theirs():
    old = paper(slug="old", date=date(2024, 1, 5), authors=("A Smith",), title="Diffusion one")
    new = paper(slug="new", date=date(2024, 3, 5), authors=("B Smith",), title="Diffusion two")
    assert citation_keys([old]) == {"old": "smith2024diffusion"}
    keys = citation_keys([new, old])
    assert keys == {"old": "smith2024diffusion", "new": "smith2024diffusiona"}
    third = paper(slug="third", date=date(2024, 2, 5), authors=("C Smith",), title="Diffusion three")
    assert citation_keys([new, third, old]) == {"old": "smith2024diffusion", "third": "smith2024diffusiona",
                                                "new": "smith2024diffusionb"}
    many = [paper(slug=f"s{n:02}", date=date(2024, 1, 1), authors=("A Smith",), title="Diffusion") for n in range(29)]
    suffixed = citation_keys(many)   # same date: by slug, s00 keeps the plain key
    assert [suffixed[k] for k in ("s00", "s01", "s26", "s27", "s28")] == [
        "smith2024diffusion", "smith2024diffusiona", "smith2024diffusionz", "smith2024diffusionaa",
        "smith2024diffusionab"]
    assert [key_suffix(n) for n in (1, 2, 26, 27, 28, 52, 53)] == ["a", "b", "z", "aa", "ab", "az", "ba"]
    text = bibtex_all([new, old], keys=keys)
    assert set(pybtex.database.parse_string(text, "bibtex").entries) == set(keys.values())


def _hf_papers() -> list[Paper]:
    papers = []
    for file in sorted(HF_DATA.glob("*.json")):
        for item in json.loads(file.read_text(encoding="utf-8")):
            raw = item["paper"]
            papers.append(Paper(
                slug=raw["id"].replace(".", "-"), path=file.name, title=" ".join(raw["title"].split()),
                abstract=raw.get("summary", ""), date=date.fromisoformat(raw["publishedAt"][:10]),
                authors=tuple(a["name"] for a in raw.get("authors", [])), arxiv_id=raw["id"],
                source=Source(file.name, date.fromisoformat(file.stem), "hf-json")))
    return papers


@pytest.mark.parametrize("corpus", ["shipped", pytest.param("shared", marks=pytest.mark.slow)])
def test_a_real_corpus_parses_with_unique_keys_and_exact_titles(corpus):
    if corpus == "shipped":
        papers, step = shipped_papers(), 1
        assert len(papers) == 48
    else:
        needs.shared(HF_DATA, "BibTeX of all 1,984 real papers parses back with unique keys and exact titles")
        papers, step = list({p.slug: p for p in _hf_papers()}.values()), 7
        assert len(papers) > 1000
    text = bibtex_all(papers)
    data = pybtex.database.parse_string(text, "bibtex")
    library = bibtexparser.parse_string(text)
    assert library.failed_blocks == []
    assert len(data.entries) == len(library.entries) == len(papers)
    keys = citation_keys(papers)
    for p in papers[::step]:  # the LaTeX converter is slow; a spread sample of the large corpus
        entry = data.entries[keys[p.slug]]
        title = latex_to_text(entry.fields["title"])
        assert title == normalized(p.title).replace("--", "–"), p.slug
        assert len(entry.persons.get("author", [])) == len(p.authors), p.slug


def test_a_papers_own_bib_file_and_the_full_bibliography_agree_on_its_key():
    twins = [paper("Diffusion", slug=s, date=date(2024, 1, d), authors=("A Smith",)) for s, d in (("b", 2), ("a", 1))]
    entries = bibtex_entries(twins)
    everything = pybtex.database.parse_string(bibtex_all(twins, entries=entries), "bibtex").entries
    for p in twins:
        key, _ = parse_one(entries[p.slug])
        assert key in everything
    assert list(everything) == ["smith2024diffusiona", "smith2024diffusion"]  # site order, oldest keeps the plain key
