"""Importing BibTeX, RIS, CSL-JSON, arXiv API Atom and Hugging Face list pages: every real file in
../shared/data/importers (counts, skips and why, hand-checked fields), hand-written quirk cases, format
recognition that says no, and fuzzing (never a traceback)."""

from __future__ import annotations

import datetime as dt
import json
import re
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import needs
from papershelf.cli import main
from papershelf.errors import SiteError
from papershelf.importers import detect_format, read_data, read_source
from papershelf.importers import merge_duplicates

DATA = needs.SHARED / "data" / "importers"

# file -> (records read, [(line, why skipped)]), checked by hand against the files.
REAL = {
    "bibtex/Generative-Engine-Marketing__Awesome-GEM-research__papers.bib": (23, []),
    "bibtex/awesome-NeRF__awesome-NeRF__NeRF-and-Beyond.bib": (48, []),
    "bibtex/domenicrosati__Using-contradicted-statements-Reduce-Version-__Exported Items.bib": (50, []),
    "bibtex/retorquere__zotero-better-bibtex__test__fixtures__import__zbb (quietly) chokes on this .bib #664.bib": (1, []),
    "bibtex/carlostome__latex-biblio__dblp.bib": (296, []),
    "ris/asreview__asreview__tests__demo_data__baseline_zotero.ris": (100, []),
    "ris/asreview__asreview__tests__demo_data__ovid_psycinfo.ris": (6, []),
    "ris/asreview__asreview__tests__demo_data__embase.ris": (6, []),
    # rispy's torture test: three records of notes only, none with a title
    "ris/MrTango__rispy__tests__data__example_multiline.ris": (0, [(1, "no title"), (8, "no title"), (17, "no title")]),
    "ris/mjwestgate__synthesisr__inst__extdata__scopus.ris": (92, []),
    "csl_json/greenelab__deep-review__content__manual-references.json": (36, []),
    "csl_json/retorquere__zotero-better-bibtex__test__fixtures__export__Season ranges should be exported as pseudo-months (13-16, or 21-24) #860.csl.json": (6, []),
    "csl_json/EarlOld__zotero-dstu-8302-2015__Exported Items.json": (1, []),
    "arxiv_atom/francojc__lumen__tests__fixtures__arxiv_search.xml": (3, []),
    "arxiv_atom/lukasschwab__arxiv.py__tests__fixtures__search_query=au:del_maestro.xml": (10, []),
    "arxiv_atom/james-akl__xiv__tests__fixtures__arxiv_empty.xml": (0, []),
}
# Files that are refused whole, and why.
REFUSED = {
    "arxiv_atom/hayian78__SignalForge__tests__fixtures__arxiv_error.xml": "arXiv API error response: incorrect id format",
    "api_json/francojc__lumen__tests__fixtures__ss_search.json": "JSON, but not",
    "api_json/francojc__lumen__tests__fixtures__ss_get_by_id.json": "JSON, but not",
    "api_json/b-vitamins__openalex-python__tests__fixtures__data__W2741809807.json": "JSON, but not",
    "api_json/danielnsilva__semanticscholar__tests__data__PaperWithNullValues.json": "JSON, but not",
}


def real(name: str) -> Path:
    return needs.shared(DATA / name, f"importing the real file {name}")


def test_every_real_file_is_listed_here():
    folder = needs.shared(DATA, "the importers read every real file")
    on_disk = {str(p.relative_to(folder)) for p in folder.glob("*/*")}
    assert on_disk == set(REAL) | set(REFUSED)


@pytest.mark.parametrize("name", sorted(REAL))
def test_real_files_count_and_skips(name):
    parsed = read_source(real(name))
    count, skipped = REAL[name]
    assert len(parsed.records) == count
    assert [(p.line, why) for p, (_, why) in zip(parsed.problems, skipped) if why in p.message] == skipped
    assert len(parsed.problems) == len(skipped)
    for record in parsed.records:
        text = re.sub(r"\$[^$]*\$|\\\(.*?\\\)", "", record.title)   # math stays TeX; the rest is Unicode
        assert record.title.strip() and "{" not in text and "\\" not in text
        assert record.source.format in ("bibtex", "ris", "csl-json", "arxiv-atom")


@pytest.mark.parametrize("name", sorted(REFUSED))
def test_real_files_in_no_format_are_refused(name, tmp_path, capsys):
    with pytest.raises(SiteError, match=REFUSED[name].split(":")[0]):
        read_source(real(name))
    assert main(["import", "--content", str(tmp_path / "content"), str(real(name))]) == 1
    assert not (tmp_path / "content").exists()


def by_title(parsed, start):
    return next(r for r in parsed.records if r.title.startswith(start))


def test_hand_checked_bibtex_fields():
    nerf = read_source(real("bibtex/awesome-NeRF__awesome-NeRF__NeRF-and-Beyond.bib"))
    nerd = by_title(nerf, "NeRD: Neural Reflectance Decomposition")
    assert nerd.authors[:3] == ("Mark Boss", "Raphael Braun", "Varun Jampani")
    assert nerd.arxiv_id == "2012.03918" and nerd.year == 2020 and nerd.type == "preprint" and nerd.venue == ""
    assert dict((k, v) for _, k, v in nerd.extra)["key"] == "Boss20arxiv_NeRD"
    zotero = read_source(real("bibtex/domenicrosati__Using-contradicted-statements-Reduce-Version-__Exported Items.bib"))
    vitc = by_title(zotero, "Get Your Vitamin C!")
    assert vitc.authors[:2] == ("Tal Schuster", "Adam Fisch") and vitc.doi == "10.18653/v1/2021.naacl-main.52"
    assert vitc.type == "inproceedings" and vitc.venue.startswith("Proceedings of the 2021 Conference of the North")
    assert vitc.year == 2021 and ("bibtex", "month", "jun") in vitc.extra and ("bibtex", "pages", "624--643") in vitc.extra
    tech = by_title(zotero, "Transforming Question Answering Datasets")
    assert tech.arxiv_id == "1809.02922" and tech.type == "preprint" and ("bibtex", "entrytype", "techreport") in tech.extra
    dblp = read_source(real("bibtex/carlostome__latex-biblio__dblp.bib"))
    abadi = by_title(dblp, "Protection in Programming-Language Translations")
    assert abadi.authors == ("Martín Abadi",) and abadi.doi == "10.1007/3-540-48749-2_2" and abadi.year == 1999
    bdsk = read_source(real("bibtex/retorquere__zotero-better-bibtex__test__fixtures__import__zbb (quietly) chokes on this .bib #664.bib"))
    coase, = bdsk.records
    assert coase.authors == ("Daron Acemoglu",) and coase.venue == "Journal of Comparative Economics"
    assert coase.doi == "10.1016/j.jce.2003.09.003" and coase.type == "article"


def test_hand_checked_ris_csl_and_arxiv_fields():
    zotero = read_source(real("ris/asreview__asreview__tests__demo_data__baseline_zotero.ris"))
    first = zotero.records[0]
    assert first.title.startswith("An open source machine learning framework for efficient and transparent")
    assert first.authors[:2] == ("Rens van de Schoot", "Jonathan de Bruin") and first.date == dt.date(2021, 2, 1)
    assert first.venue == "Nature Machine Intelligence" and first.doi == "10.1038/s42256-020-00287-7"
    assert first.line == 1 and ("ris", "volume", "3") in first.extra
    ovid = read_source(real("ris/asreview__asreview__tests__demo_data__ovid_psycinfo.ris")).records[0]
    assert ovid.year == 2019 and ovid.doi == "10.1002/cpp.2398" and ovid.authors[0] == "Ines A Trindade"
    embase = read_source(real("ris/asreview__asreview__tests__demo_data__embase.ris")).records[0]
    assert embase.title.startswith("Duplication cysts") and dict((k, v) for _, k, v in embase.extra)["U2"] == ["L373791783"]
    quantum, = read_source(real("csl_json/EarlOld__zotero-dstu-8302-2015__Exported Items.json")).records
    assert quantum.arxiv_id == "2410.00917" and quantum.year == 2024 and quantum.type == "preprint"
    assert quantum.doi.casefold() == "10.48550/arxiv.2410.00917"
    atom = read_source(real("arxiv_atom/lukasschwab__arxiv.py__tests__fixtures__search_query=au:del_maestro.xml"))
    melt = by_title(atom, "Thermal melting of density waves")
    assert melt.arxiv_id == "cond-mat/0412498" and melt.date == dt.date(2004, 12, 19)
    assert melt.doi == "10.1103/PhysRevB.71.184511" and melt.venue == "Physical Review B 71, 184511 (2005)"
    assert melt.tags == ("arxiv:cond-mat.str-el", "arxiv:cond-mat.stat-mech") and melt.type == "article"
    new = read_source(real("arxiv_atom/francojc__lumen__tests__fixtures__arxiv_search.xml"))
    pyramid = by_title(new, "PyramidTNT")
    assert pyramid.links.code == "https://github.com/huawei-noah/CV-Backbones/tree/master/tnt_pytorch" and ("arxiv", "version", "v1") in pyramid.extra


# ------------------------------------------------------------------ hand-written quirks


def bibtex(text: str):
    return read_data(text.encode("utf-8"), "q.bib", "q.bib")


QUIRKS_BIB = r"""%% A hand-kept file: comments, @string, @preamble, @comment
@preamble{"\newcommand{\noop}[1]{}"}
@string{nips = "Advances in Neural Information Processing Systems"}
@comment{ @article{ignored, title={Not a paper}} }
% a line comment with an @ sign: @misc{no, title={x}}
@inproceedings{goodfellow2014,
  title     = {Generative Adversarial {N}ets: {GAN}s for {\"U}ber-Fun \& 10\% --- of $\alpha$},
  author    = {Goodfellow, Ian J. and Pouget-Abadie, Jean and M{\"u}ller, J{\"o}rg and others},
  booktitle = nips # " 27",
  month     = dec,
  year      = 2014,
  pages     = {2672--2680},
}
@inproceedings{child,
  title = {A Paper in a Volume},
  author = {Dvo{\v r}{\'a}k, Anton{\'\i}n},
  crossref = {vol},
}
@proceedings{vol,
  title = {Proceedings of the Volume},
  year = {2020},
  publisher = {Springer},
}
@article{dup, title={First with this key}, year={2001}}
@article{dup, title={Second with this key}, year={2002}}
@misc{arx, title={Attention Is All You Need}, author={Vaswani, Ashish}, eprint={1706.03762v7},
  archivePrefix={arXiv}, primaryClass={cs.CL}, year={2017}}
@article{broken, title={No closing brace, year={2020}
@article{notitle, author={Nobody}, year={2020}}
@article{baddate, title={Thirty days}, year={2020}, month={feb}, day={30}}
@article{full, title={Full date}, date={2021-03-04}, doi={https://doi.org/10.1000/ABC}}
"""


def test_bibtex_quirks():
    parsed = bibtex(QUIRKS_BIB)
    titles = [r.title for r in parsed.records]
    assert titles == ["Generative Adversarial Nets: GANs for Über-Fun & 10% — of $\\alpha$", "A Paper in a Volume",
                      "First with this key", "Second with this key", "Attention Is All You Need", "Full date"]
    gan, child, first, second, attention, full = parsed.records
    assert gan.authors == ("Ian J. Goodfellow", "Jean Pouget-Abadie", "Jörg Müller") and gan.authors_count == 4
    assert gan.venue == "Advances in Neural Information Processing Systems 27" and gan.year == 2014
    assert ("bibtex", "month", "dec") in gan.extra and ("bibtex", "pages", "2672--2680") in gan.extra
    assert gan.type == "inproceedings" and gan.line == 6
    assert child.authors == ("Antonín Dvořák",) and child.venue == "Proceedings of the Volume" and child.year == 2020
    assert ("bibtex", "publisher", "Springer") in child.extra
    assert (first.year, second.year) == (2001, 2002)
    assert attention.arxiv_id == "1706.03762" and attention.type == "preprint"
    assert attention.links.arxiv == "https://arxiv.org/abs/1706.03762" and ("bibtex", "primaryclass", "cs.CL") in attention.extra
    assert full.date == dt.date(2021, 3, 4) and full.doi == "10.1000/ABC"
    problems = {p.line: p.message for p in parsed.problems}
    assert "unbalanced braces" in problems[28] and "no title" in problems[29] and "does not exist" in problems[30]
    assert any("used twice" in note for note in parsed.notes)


def test_bibtex_in_latin1_is_read_and_said(tmp_path):
    parsed = read_data("@article{k, title={Caf\u00e9 na\u00efve}, author={G\u00f6del, Kurt}, year=1931}\n".encode("latin-1"),
                       "l.bib", "l.bib")
    record, = parsed.records
    assert record.title == "Café naïve" and record.authors == ("Kurt Gödel",)
    assert any("Latin-1" in n for n in parsed.notes)


RIS_QUIRKS = """\ufeff1.
TY  - JOUR
TI  - A title that goes
  on over two lines
AU  - Doe, Jane
AU  - Roe, Richard, Jr.
PY  - 2019//
DO  - 10.1000/XYZ
UR  - https://arxiv.org/abs/2101.00001v3
AB  - First line of the abstract,
ER then the rest of it.
KW  - one
KW  - two
ER  - 

TY  - CONF
T1  - Second
DA  - 2020/02/30/
ER  -

TY  - JOUR
AU  - Nobody
ER  -
TY  - GEN
TI  - Cut off
"""


def test_ris_quirks():
    parsed = read_data(RIS_QUIRKS.encode("utf-8"), "q.ris", "q.ris")
    record, = parsed.records
    assert record.title == "A title that goes on over two lines" and record.line == 2
    assert record.authors == ("Jane Doe", "Richard Roe, Jr.") and record.year == 2019 and record.doi == "10.1000/XYZ"
    assert record.arxiv_id == "2101.00001" and record.abstract == "First line of the abstract, ER then the rest of it."
    assert ("ris", "keywords", ["one", "two"]) in record.extra
    problems = {p.line: p.message for p in parsed.problems}
    assert "does not exist" in problems[16] and "no title" in problems[21] and "not closed" in problems[24]


CSL_QUIRKS = [
    {"id": "a", "type": "article-journal", "title": "Full", "author": [{"family": "Beethoven", "given": "Ludwig",
     "non-dropping-particle": "van"}, {"literal": "The ATLAS Collaboration"}],
     "issued": {"date-parts": [["2019", "6", "15"]]}, "DOI": "10.1000/X", "container-title": "Nature", "volume": "5"},
    {"id": "b", "type": "article", "title": "Preprint", "issued": {"date-parts": [[2024]]},
     "URL": "https://arxiv.org/abs/2401.00001v2", "number": "arXiv:2401.00001"},
    {"id": "c", "type": "paper-conference", "title": "Season", "issued": {"date-parts": [[2020, 21]]}},
    {"id": "d", "type": "book", "title": "Impossible", "issued": {"date-parts": [[2020, 2, 30]]}},
    {"id": "e", "type": "book", "author": [{"family": "No title"}]},
]


def test_csl_quirks():
    parsed = read_data(json.dumps(CSL_QUIRKS, indent=1).encode(), "q.json", "q.json")
    full, preprint, season = parsed.records
    assert full.authors == ("Ludwig van Beethoven", "The ATLAS Collaboration") and full.date == dt.date(2019, 6, 15)
    assert full.venue == "Nature" and full.type == "article" and ("csl", "volume", "5") in full.extra
    assert preprint.arxiv_id == "2401.00001" and preprint.year == 2024 and preprint.type == "preprint"
    assert season.year == 2020 and ("csl", "issued", {"date-parts": [[2020, 21]]}) in season.extra
    assert [p.line for p in parsed.problems] == [56, 70] and "does not exist" in parsed.problems[0].message


ATOM = """<?xml version="1.0" encoding="UTF-8"?>
<feed xmlns="http://www.w3.org/2005/Atom" xmlns:arxiv="http://arxiv.org/schemas/atom">
  <title>arXiv Query</title>
  <entry>
    <id>http://arxiv.org/abs/2405.15738v2</id>
    <published>2024-05-24T17:34:15Z</published>
    <title>ConvLLaVA: Hierarchical
  Backbones</title>
    <summary>  High-resolution $x^2$ models.
  Code: https://github.com/alibaba/conv-llava/tree/main/eval
    </summary>
    <author><name>Chunjiang Ge</name></author>
    <arxiv:doi>10.1000/abc</arxiv:doi>
    <arxiv:journal_ref>NeurIPS 2024</arxiv:journal_ref>
    <arxiv:primary_category term="cs.CV"/>
    <category term="cs.CV"/><category term="cs.CL"/>
  </entry>
  <entry><id>http://arxiv.org/abs/2405.00001v1</id><title></title></entry>
</feed>
"""


def test_arxiv_atom_quirks():
    parsed = read_data(ATOM.encode(), "q.xml", "q.xml")
    record, = parsed.records
    assert record.arxiv_id == "2405.15738" and ("arxiv", "version", "v2") in record.extra
    assert record.title == "ConvLLaVA: Hierarchical Backbones" and record.date == dt.date(2024, 5, 24)
    assert record.tags == ("arxiv:cs.CV", "arxiv:cs.CL") and record.venue == "NeurIPS 2024" and record.type == "article"
    assert record.doi == "10.1000/abc" and record.abstract.startswith("High-resolution $x^2$ models.")
    assert parsed.problems[0].line == 18 and "no title" in parsed.problems[0].message


def test_same_paper_across_sources_is_one_record():
    hf = read_data(b"Attention Is All You Need Paper \xe2\x80\xa2 1706.03762 \xe2\x80\xa2 Published Jun 12, 2017 \xe2\x80\xa2 94\n",
                   "l.txt", "l.txt").records
    bibs = bibtex(QUIRKS_BIB).records
    csl = read_data(json.dumps([{"type": "article-journal", "title": "FULL!", "DOI": "10.1000/abc", "author": []}]).encode(),
                    "c.json", "c.json").records
    records, merged = merge_duplicates(list(hf) + list(bibs) + list(csl))
    assert merged == 2    # the arXiv id with and without its version; the DOI in another case
    attention = records[0]
    assert attention.upvotes == 94 and attention.authors == ("Ashish Vaswani",) and attention.type == "preprint"


# ------------------------------------------------------------------ recognising formats, and saying no


@pytest.mark.parametrize("text, fmt", [
    ("@article{k, title={x}}", "bibtex"), ("  @Misc( k, title={x})", "bibtex"),
    ("TY  - JOUR\nTI  - x\nER  - \n", "ris"), ('[{"type": "book", "title": "x", "author": []}]', "csl-json"),
    ('[{"paper": {"id": "1", "title": "x"}}]', "hf-json"), (ATOM, "arxiv-atom"),
    ("T Paper • 2412.09596 • Published Dec 12, 2024 • 94", "hf-list"),
])
def test_formats_are_recognised_from_content(text, fmt):
    assert detect_format(text, "x") == fmt


@pytest.mark.parametrize("data, why", [
    (b"", "empty"), (b"  \n\n", "empty"), (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "binary"),
    (bytes(range(1, 32)) * 20, "binary"), (b"just some notes\nabout papers\n", "not in a format"),
    (b"<html><body>hi</body></html>", "not an arXiv API"), (b'{"data": []}', "JSON, but not"), (b"[]", "empty JSON"),
    (b"\xff\xfe n\x00o", "binary"),
])
def test_files_in_no_format_are_a_clear_error_and_nothing_is_written(data, why, tmp_path, capsys):
    source = tmp_path / "in.txt"
    source.write_bytes(data)
    with pytest.raises(SiteError, match=why):
        read_source(source)
    assert main(["import", "--content", str(tmp_path / "content"), str(source)]) == 1
    assert why in capsys.readouterr().err and not (tmp_path / "content").exists()


def test_strict_fails_before_writing(tmp_path, capsys):
    source = tmp_path / "q.bib"
    source.write_text(QUIRKS_BIB, encoding="utf-8")
    assert main(["import", "--strict", "--content", str(tmp_path / "content"), str(source)]) == 1
    err = capsys.readouterr().err
    assert f"{source}:28: unbalanced braces" in err and not (tmp_path / "content").exists()
    assert main(["import", "--content", str(tmp_path / "content"), str(source)]) == 0
    assert len(list((tmp_path / "content").glob("*.md"))) == 6


# ------------------------------------------------------------------ fuzzing: never a traceback

FUZZ = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
bib_piece = st.sampled_from(["@article{", "@string{", "@comment{", "@preamble{", "}", "{", ",", "=", '"', "#",
                             "title", "author", " and ", "others", "year", "month", "jun", "crossref", "\\\"u",
                             "$", "\\", "%", "\n", "2020", "k1", "doi", "10.1/x", "date", "-"])
ris_piece = st.sampled_from(["TY  - JOUR\n", "TI  - ", "AU  - ", "PY  - ", "DA  - ", "ER  - \n", "ER  -", "UR  - ",
                             "DO  - ", "2020/13/", "//", "Doe, J", "\n", "  ", "x", "KW  - ", "A1  - "])
csl_value = st.recursive(st.none() | st.booleans() | st.integers(-10**6, 10**6) | st.text(max_size=12),
                         lambda inner: st.lists(inner, max_size=3) | st.dictionaries(
                             st.sampled_from(["title", "type", "author", "issued", "date-parts", "family", "given",
                                              "literal", "DOI", "URL", "id", "raw", "container-title"]), inner,
                             max_size=5), max_leaves=12)
atom_piece = st.sampled_from(['<feed xmlns="http://www.w3.org/2005/Atom" xmlns:arxiv="http://arxiv.org/schemas/atom">',
                              "</feed>", "<entry>", "</entry>", "<id>http://arxiv.org/abs/2401.00001v1</id>",
                              "<title>", "</title>", "x", "<published>2024-13-01</published>", "<author><name>",
                              "</name></author>", "<arxiv:doi>", "</arxiv:doi>", "&amp;", "&bogus;", "<", "\n"])


def _no_traceback(data: bytes, fmt: str = "auto") -> None:
    try:
        read_data(data, "f", "f", fmt)
    except SiteError:
        pass


@FUZZ
@given(st.lists(bib_piece, max_size=40).map("".join))
def test_fuzz_bibtex(text):
    _no_traceback(text.encode("utf-8"), "bibtex")
    _no_traceback(text.encode("utf-8"))


@FUZZ
@given(st.lists(ris_piece, max_size=40).map("".join))
def test_fuzz_ris(text):
    _no_traceback(text.encode("utf-8"), "ris")


@FUZZ
@given(st.lists(csl_value, max_size=4))
def test_fuzz_csl_json(items):
    _no_traceback(json.dumps(items).encode("utf-8"), "csl-json")
    _no_traceback(json.dumps(items).encode("utf-8"))


@FUZZ
@given(st.lists(atom_piece, max_size=30).map("".join))
def test_fuzz_arxiv_atom(text):
    _no_traceback(text.encode("utf-8"), "arxiv-atom")
    _no_traceback(text.encode("utf-8"))


@FUZZ
@given(st.text(max_size=200) | st.binary(max_size=200).map(lambda b: b.decode("latin-1")))
def test_fuzz_any_text_in_every_format(text):
    for fmt in ("auto", "bibtex", "ris", "csl-json", "arxiv-atom", "hf-list"):
        _no_traceback(text.encode("utf-8"), fmt)


@FUZZ
@given(st.lists(st.sampled_from(["Title", " Paper", " • ", "2412.09596", "Published", " Dec 12", ", 2024", " 94",
                                 "\n", "Feb 30", " on "]), max_size=20).map("".join))
def test_fuzz_hf_list(text):
    _no_traceback(text.encode("utf-8"), "hf-list")


# ------------------------------------------------------------------ Hugging Face pages that are not the daily listing

HF_LIST = """Upvoted papers
akhaliq
Follow
Apollo: An Exploration of Video Understanding in Large Multimodal Models Paper • 2412.10360 • Published Dec 13, 2024 • 147
InternLM-XComposer2.5-OmniLive
Paper • 2412.09596 • Published Dec 12, 2024 • 94
Broken Paper • 2412.00001 • Published Feb 30, 2024 • 3
Yearless Paper • 2412.00002 • Published Dec 1
"""


def test_hf_list_lines_give_title_id_date_upvotes_and_no_abstract(tmp_path, capsys):
    parsed = read_data(HF_LIST.encode(), "l.txt", "l.txt")
    apollo, omni = parsed.records
    assert apollo.title == "Apollo: An Exploration of Video Understanding in Large Multimodal Models"
    assert (apollo.arxiv_id, apollo.date, apollo.upvotes, apollo.abstract) == ("2412.10360", dt.date(2024, 12, 13), 147, "")
    assert omni.title == "InternLM-XComposer2.5-OmniLive" and omni.upvotes == 94 and omni.line == 6
    assert [(p.line, "not a real date" in p.message or "no year" in p.message) for p in parsed.problems] == [(7, True), (8, True)]
    assert len(read_data(HF_LIST.encode(), "l.txt", "l.txt", year=2024).records) == 3


CHROME = ["Hugging Face\nModels\nDatasets\nSpaces\nDaily Papers\n\nGet trending papers in your email inbox!\n\nSubscribe\n\n"
          "Submitted by\nakhaliq\n\nJul 2\nSubmitted by\nylecun\n\nJul 3 12\n",
          "Daily Papers\nSubmitted by\nakhaliq\nThe quick brown fox jumps over the lazy dog.\n  • 3 authors\n·\n"
          "Jul 2, 2024\nSubmitted by\nosanseviero\nUpvote\n12\n",
          "akhaliq\nosanseviero\n\n  • 3 authors\n·\nJul 2, 2024\n"]


@pytest.mark.parametrize("page", CHROME)
def test_a_page_of_site_chrome_never_becomes_entries(page, tmp_path, capsys):
    source = tmp_path / "page.txt"
    source.write_text(page, encoding="utf-8")
    assert main(["import", "--content", str(tmp_path / "content"), str(source)]) == 1
    err = capsys.readouterr().err
    assert "no papers found" in err and not (tmp_path / "content").exists()
    assert "akhaliq" not in err.replace("does not look like a paper", "") or "does not look like a paper" in err


def test_a_code_link_into_a_folder_keeps_its_path():
    from papershelf.importers.record import github_repo
    assert github_repo("https://github.com/org/repo/tree/main/project") == "https://github.com/org/repo/tree/main/project"
    assert github_repo("https://github.com/org/repo/issues/3") == "https://github.com/org/repo"
    item = [{"paper": {"id": "2401.00001", "title": "T", "summary": "S.",
                       "githubRepo": "https://github.com/org/repo/tree/main/project"}}]
    record, = read_data(json.dumps(item).encode(), "d.json", "d.json").records
    assert record.links.code == "https://github.com/org/repo/tree/main/project"
