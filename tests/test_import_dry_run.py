"""`papershelf import --dry-run`: per format, what would be added, updated, left unchanged and skipped; nothing written."""

from __future__ import annotations

import json
import re
from pathlib import Path

import needs
from papershelf.cli import main
from test_import_formats import DATA, REAL

BIB = r"""@inproceedings{vaswani2017attention, title = {Attention is All you Need}, author = {Vaswani, Ashish},
  year = {2017}, eprint = {1706.03762v5}, archivePrefix = {arXiv}}
@article{notitle, author = {Nobody, A.}, year = {2020}}
@misc{gans, title = {{GAN}s for Everyone}, year = {2020}}
"""
CSL = [{"id": "a", "type": "article-journal", "title": "Attention Is All You Need", "DOI": "10.5555/3295222.3295349",
        "issued": {"date-parts": [[2017, 6]]}},
       {"id": "b", "type": "article-journal", "title": "Only in CSL", "issued": {"date-parts": [[2021]]}},
       {"id": "c", "type": "article-journal", "issued": {"date-parts": [[2021]]}}]
RIS = "TY  - JOUR\nTI  - A RIS Paper\nPY  - 2019\nER  - \n"


def run(root: Path, *args) -> int:
    return main(["--config", str(root / "site.toml"), "import", "--content", str(root / "content"), *map(str, args)])


def snapshot(folder: Path) -> dict:
    return {p.name: p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()} if folder.exists() else {}


def site(tmp_path: Path) -> Path:
    (tmp_path / "site.toml").write_text('title = "T"\nbase_url = "https://example.org/"\n', encoding="utf-8")
    (tmp_path / "refs.bib").write_text(BIB, encoding="utf-8")
    (tmp_path / "more.bib").write_text("@misc{x, title = {Second Bib File Paper}, year = {2018}}\n", encoding="utf-8")
    (tmp_path / "zotero.json").write_text(json.dumps(CSL), encoding="utf-8")
    (tmp_path / "refs.ris").write_text(RIS, encoding="utf-8")
    return tmp_path


def dry_lines(err: str) -> list[str]:
    lines = err.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("dry run, nothing written:"))
    return lines[start:]


def test_dry_run_reports_each_format_and_writes_nothing(tmp_path, capsys):
    root = site(tmp_path)
    files = [root / "refs.bib", root / "more.bib", root / "zotero.json", root / "refs.ris"]
    assert run(root, "--dry-run", *files) == 0
    assert snapshot(root / "content") == {}
    assert dry_lines(capsys.readouterr().err) == [
        "dry run, nothing written: added 5, updated 0, unchanged 0, skipped 2 (1 duplicate merged)",
        "  bibtex (2 files): would add 3, update 0, leave 0 unchanged, skip 1",
        "    add content/attention-is-all-you-need.md: Attention is All you Need",
        "    add content/gans-for-everyone.md: GANs for Everyone",
        "    add content/second-bib-file-paper.md: Second Bib File Paper",
        "  csl-json (1 file): would add 2, update 0, leave 0 unchanged, skip 1",
        "    add content/attention-is-all-you-need.md: Attention is All you Need",
        "    add content/only-in-csl.md: Only in CSL",
        "  ris (1 file): would add 1, update 0, leave 0 unchanged, skip 0",
        "    add content/a-ris-paper.md: A RIS Paper",
        "  (a paper found in several formats counts under each)",
    ]


def test_dry_run_after_an_import_shows_updates_and_unchanged_per_format(tmp_path, capsys):
    root = site(tmp_path)
    assert run(root, root / "refs.bib", root / "refs.ris") == 0
    before = snapshot(root / "content")
    capsys.readouterr()
    # The CSL file brings a DOI to a paper already imported from BibTeX, and a new paper; RIS is unchanged.
    assert run(root, "--dry-run", root / "refs.bib", root / "zotero.json", root / "refs.ris") == 0
    assert snapshot(root / "content") == before
    assert dry_lines(capsys.readouterr().err) == [
        "dry run, nothing written: added 1, updated 1, unchanged 2, skipped 2 (1 duplicate merged)",
        "  bibtex (1 file): would add 0, update 1, leave 1 unchanged, skip 1",
        "    update content/attention-is-all-you-need.md: Attention is All you Need",
        "  csl-json (1 file): would add 1, update 1, leave 0 unchanged, skip 1",
        "    update content/attention-is-all-you-need.md: Attention is All you Need",
        "    add content/only-in-csl.md: Only in CSL",
        "  ris (1 file): would add 0, update 0, leave 1 unchanged, skip 0",
        "  (a paper found in several formats counts under each)",
    ]
    # What the dry run announced is what the import does.
    assert run(root, root / "refs.bib", root / "zotero.json", root / "refs.ris") == 0
    assert "added 1, updated 1, unchanged 2, skipped 2" in capsys.readouterr().err


def test_a_plain_import_keeps_its_one_line_summary(tmp_path, capsys):
    root = site(tmp_path)
    assert run(root, root / "refs.bib") == 0
    err = capsys.readouterr().err
    assert "added 2, updated 0, unchanged 0, skipped 1" in err and "would add" not in err


def test_dry_run_over_every_real_file_per_format(tmp_path, capsys):
    folder = needs.shared(DATA, "the dry run over every real importer file")
    root = site(tmp_path)
    files = [folder / name for name in sorted(REAL) if REAL[name][0]]   # files with no paper are refused whole
    assert run(root, "--dry-run", *files) == 0
    assert snapshot(root / "content") == {}
    lines = dry_lines(capsys.readouterr().err)
    total = re.match(r"dry run, nothing written: added (\d+), updated 0, unchanged 0, skipped (\d+)", lines[0])
    heads = {m.group(1): (int(m.group(2)), int(m.group(3)))
             for m in (re.match(r"  (\S+) \(\d+ files?\): would add (\d+), update 0, leave 0 unchanged, skip (\d+)",
                                line) for line in lines[1:]) if m}
    assert set(heads) == {"bibtex", "ris", "csl-json", "arxiv-atom"}
    # Per format: as many additions as distinct papers of that format (several files can hold one paper).
    assert sum(a for a, _ in heads.values()) >= int(total.group(1))
    assert sum(s for _, s in heads.values()) == int(total.group(2)) == 0
    assert all(added > 0 for added, _ in heads.values())
    listed = [line for line in lines if line.startswith("    add ")]
    assert len(listed) == sum(a for a, _ in heads.values())
    # Imported for real, the same files are then unchanged in every format.
    assert run(root, *files) == 0
    capsys.readouterr()
    assert run(root, "--dry-run", *files) == 0
    again = dry_lines(capsys.readouterr().err)
    for fmt, (added, _) in heads.items():
        assert any(line.startswith(f"  {fmt} (") and line.endswith(f"would add 0, update 0, leave {added} unchanged, "
                                                                      "skip 0") for line in again), (fmt, again)
