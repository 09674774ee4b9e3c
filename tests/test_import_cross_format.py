"""The never-lose-an-edit guarantees across formats: a Hugging Face import, then BibTeX, RIS, CSL-JSON and
arXiv responses of the same papers, then a curator's edits, then everything again: no edit lost, and the
second round changes no byte."""

from __future__ import annotations

import json
from pathlib import Path

from papershelf.cli import main
from papershelf.content import load_content, split_entry

HF = [{"paper": {"id": "1706.03762", "title": "Attention Is All You Need", "summary": "The dominant sequence models.",
                 "authors": [{"name": "Ashish Vaswani"}, {"name": "Noam Shazeer"}],
                 "publishedAt": "2017-06-12T17:57:34.000Z", "upvotes": 94}, "publishedAt": "2024-01-02T00:00:00.000Z"},
      {"paper": {"id": "2405.15738", "title": "ConvLLaVA: Hierarchical Backbones", "summary": "High resolution.",
                 "authors": [{"name": "Chunjiang Ge"}], "publishedAt": "2024-05-24T17:34:15.000Z", "upvotes": 32},
       "publishedAt": "2024-05-27T03:50:58.348Z"}]
BIB = r"""@inproceedings{vaswani2017attention,
  title = {Attention is All you Need},
  author = {Vaswani, Ashish and Shazeer, Noam and Parmar, Niki},
  booktitle = {Advances in Neural Information Processing Systems},
  pages = {5998--6008},
  year = {2017},
  eprint = {1706.03762v5}, archivePrefix = {arXiv},
  doi = {10.5555/3295222.3295349},
}
@misc{ge2024convllava, title = {{ConvLLaVA}: Hierarchical Backbones}, author = {Ge, Chunjiang},
  year = {2024}, eprint = {2405.15738v2}, archivePrefix = {arXiv}}
@article{newpaper, title = {A Paper Only in BibTeX}, author = {Doe, Jane}, journal = {JMLR}, year = {2020},
  month = mar, volume = {21}, doi = {10.5555/jmlr.x}}
"""
RIS = """TY  - CONF
TI  - Attention is all you need
AU  - Vaswani, Ashish
DO  - 10.5555/3295222.3295349
PY  - 2017
PB  - Curran Associates
ER  - 
"""
CSL = [{"id": "jmlr-doe", "type": "article-journal", "title": "Renamed by Crossref", "DOI": "10.5555/JMLR.X",
        "author": [{"family": "Doe", "given": "Jane"}], "issued": {"date-parts": [[2020, 3]]}, "page": "1-30"}]
ATOM = """<feed xmlns="http://www.w3.org/2005/Atom" xmlns:arxiv="http://arxiv.org/schemas/atom">
<entry><id>http://arxiv.org/abs/2405.15738v3</id><published>2024-05-24T17:34:15Z</published>
<title>ConvLLaVA: Hierarchical Backbones</title><summary>High resolution, longer abstract of version 3.</summary>
<author><name>Chunjiang Ge</name></author><arxiv:primary_category term="cs.CV"/><category term="cs.CV"/></entry>
</feed>
"""


def snapshot(content: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(content.glob("*.md"))}


def test_hf_then_bibtex_ris_csl_arxiv_then_edits_then_all_again(tmp_path, capsys):
    sources = {"daily.json": json.dumps(HF, indent=1), "library.bib": BIB, "zotero.ris": RIS,
               "items.json": json.dumps(CSL, indent=1), "arxiv.xml": ATOM}
    for name, text in sources.items():
        (tmp_path / name).write_text(text, encoding="utf-8")
    content = tmp_path / "content"

    def run(*names: str) -> str:
        capsys.readouterr()
        assert main(["import", "--content", str(content)] + [str(tmp_path / n) for n in names]) == 0
        return capsys.readouterr().err

    assert "added 2," in run("daily.json")
    assert "added 1, updated 2" in run("library.bib")
    attention = content / "attention-is-all-you-need.md"
    meta = split_entry(attention.read_text(), "x").meta
    # The BibTeX filled what the HF import left empty; HF's title, date and authors stay
    assert meta["title"] == "Attention Is All You Need" and meta["date"] == "2017-06-12"
    assert meta["authors"] == ["Ashish Vaswani", "Noam Shazeer"] and meta["doi"] == "10.5555/3295222.3295349"
    assert meta["venue"] == "Advances in Neural Information Processing Systems" and meta["type"] == "inproceedings"
    assert meta["extra"]["bibtex"] == {"key": "vaswani2017attention", "pages": "5998--6008"} and "year" not in meta

    # The curator edits: a corrected title, tags, status, notes, a venue and a pages value of their own.
    text = attention.read_text()
    text = text.replace("title: Attention Is All You Need", "title: 'Attention Is All You Need (Transformer)'  # mine", 1)
    text = text.replace("venue: Advances in Neural Information Processing Systems", "venue: NeurIPS 2017")
    text = text.replace("pages: 5998--6008", "pages: 5998-6008")
    text = text.replace("tags: []", "tags: [transformers, classic]") + "\n## Notes\n\nRead twice.\n"
    attention.write_text(text)
    edited = snapshot(content)

    run("daily.json", "library.bib", "zotero.ris", "items.json", "arxiv.xml")
    first_round = snapshot(content)
    assert first_round[attention.name] != edited[attention.name]        # the RIS publisher was still missing...
    meta = split_entry(first_round[attention.name].decode(), "x").meta
    assert meta["title"] == "Attention Is All You Need (Transformer)" and meta["venue"] == "NeurIPS 2017"
    assert meta["tags"] == ["transformers", "classic"] and meta["extra"]["bibtex"]["pages"] == "5998-6008"
    assert meta["extra"]["ris"]["publisher"] == "Curran Associates"
    assert first_round[attention.name].decode().endswith("## Notes\n\nRead twice.\n")
    assert "# mine" in first_round[attention.name].decode()
    for name in edited:    # ...and every curator byte is still there
        old_lines = edited[name].decode().splitlines()
        assert all(line in first_round[name].decode().splitlines() for line in old_lines
                   if not line.startswith(("extra:", "  ris:", "    ", "source:", "doi:", "year:")))

    # Both again, in another order: no byte changes.
    out = run("arxiv.xml", "items.json", "zotero.ris", "library.bib", "daily.json")
    assert snapshot(content) == first_round and "added 0, updated 0" in out
    papers, problems = load_content(content)
    assert [p.message for p in problems] == []
    assert len(papers) == 3       # the DOI in another case and the year-month CSL item found the BibTeX entry
    doe = next(p for p in papers if p.title == "A Paper Only in BibTeX")
    assert doe.known_year == 2020 and doe.extra["csl"]["page"] == "1-30" and doe.extra["bibtex"]["month"] == "mar"
    conv = next(p for p in papers if p.arxiv_id == "2405.15738")
    assert conv.abstract == "High resolution." and conv.tags == ()      # tags are suggested for new entries only
