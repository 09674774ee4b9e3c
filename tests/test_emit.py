"""Re-importing is safe: curator edits survive, a repeated import changes no byte; CLI behaviour of import."""

import re
import shutil
from pathlib import Path

import pytest

from papershelf.cli import main
from papershelf.content import load_content, split_entry
from papershelf.importers.emit import _free_slug
from papershelf.importers.record import PaperRecord

ROOT = Path(__file__).resolve().parents[1]
SEED = ROOT / "sources" / "hf-daily-papers-2025-10-29.txt"
LOTTERY = "the-lottery-ticket-hypothesis-finding-sparse-trainable-neural-networks.md"
YUE = "yue-scaling-open-foundation-models-for-long-form-music-generation.md"


def run(tmp_path, *args):
    return main(["--config", str(ROOT / "site.toml"), "import", "--content", str(tmp_path / "content"), *map(str, args)])


def snapshot(folder: Path) -> dict:
    return {p.name: p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, old
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


@pytest.fixture
def imported(tmp_path):
    assert run(tmp_path, SEED) == 0
    return tmp_path / "content"


def test_importing_the_seed_creates_48_valid_entries(imported):
    papers, problems = load_content(imported)
    assert len(papers) == 48 and problems == []
    assert all(p.tags for p in papers)


def test_a_repeated_import_changes_no_byte(tmp_path, imported):
    before = snapshot(imported)
    mtimes = {p: p.stat().st_mtime_ns for p in imported.iterdir()}
    assert run(tmp_path, SEED) == 0
    assert snapshot(imported) == before
    assert {p: p.stat().st_mtime_ns for p in imported.iterdir()} == mtimes  # not even rewritten


def test_curator_edits_survive_reimport(tmp_path, imported):
    lottery, yue = imported / LOTTERY, imported / YUE
    edit(lottery, "title: 'The Lottery Ticket Hypothesis: Finding Sparse, Trainable Neural Networks'",
         "title: 'The Lottery Ticket Hypothesis (corrected title)'\nstatus: read\nrating: 5\nvenue: ICLR 2019")
    edit(lottery, "tags:\n- sparsity", "tags:\n- pruning\n- classic")
    text = lottery.read_text(encoding="utf-8")
    lottery.write_text(text.replace("Neural network pruning", "My shortened abstract. Pruning", 1)
                       + "\n## Notes\n\nRead with the reading group.\n", encoding="utf-8")
    edit(yue, "upvotes: 3\n", "upvotes: 10\n")
    edited = snapshot(imported)

    assert run(tmp_path, SEED) == 0
    assert snapshot(imported) == edited  # nothing the importer may change has changed in the source

    updated_source = tmp_path / "updated.txt"
    updated_source.write_text(SEED.read_text(encoding="utf-8").replace("Mar 9, 2018 1", "Mar 9, 2018 5")
                              .replace("Mar 11 3", "Mar 11 4"), encoding="utf-8")
    assert run(tmp_path, updated_source) == 0
    papers = {p.slug: p for p in load_content(imported)[0]}
    assert len(papers) == 48
    lot = papers[LOTTERY[:-3]]
    assert lot.upvotes == 5                           # untouched by the curator: follows the source
    assert lot.title == "The Lottery Ticket Hypothesis (corrected title)"
    assert (lot.status, lot.rating, lot.tags) == ("read", 5, ("pruning", "classic"))
    assert lot.abstract.startswith("My shortened abstract.") and lot.notes == "Read with the reading group."
    meta = split_entry(lottery.read_text(encoding="utf-8"), LOTTERY).meta
    assert meta["venue"] == "ICLR 2019" and meta["imported"]["upvotes"] == 5
    assert papers[YUE[:-3]].upvotes == 10             # the curator's value wins
    after_update = snapshot(imported)
    assert run(tmp_path, updated_source) == 0
    assert snapshot(imported) == after_update


def test_an_emptied_field_is_filled_again_but_a_changed_one_is_kept(tmp_path, imported):
    yue = imported / YUE
    edit(yue, "date: 2025-03-11\n", "")
    edit(yue, "authors_count: 57\n", "authors_count: 58\n")
    assert run(tmp_path, SEED) == 0
    meta = split_entry(yue.read_text(encoding="utf-8"), YUE).meta
    assert meta["date"] == "2025-03-11" and meta["authors_count"] == 58
    assert list(meta).index("date") == 1  # put back in its usual place


def test_dry_run_summary_is_printed(tmp_path, capsys):
    assert run(tmp_path, "--dry-run", SEED) == 0
    err = capsys.readouterr().err
    assert "dry run, nothing written: added 48, updated 0, unchanged 0, skipped 0" in err
    assert not (tmp_path / "content").exists()


def test_strict_fails_before_writing_and_lenient_imports_the_rest(tmp_path, capsys):
    text = SEED.read_text(encoding="utf-8")
    cut = tmp_path / "cut.txt"
    cut.write_text(text[: text.index("MMAR: A Challenging Benchmark") + 200], encoding="utf-8")
    assert run(tmp_path, "--strict", cut) == 1
    err = capsys.readouterr().err
    assert re.search(r"cut\.txt:385: .*cut off", err)
    assert not (tmp_path / "content").exists()
    assert run(tmp_path, cut) == 0
    err = capsys.readouterr().err
    assert "added 47, updated 0, unchanged 0, skipped 1" in err and "cut.txt:385:" in err
    assert len(list((tmp_path / "content").glob("*.md"))) == 47


def test_exit_codes(tmp_path, capsys):
    empty = tmp_path / "empty.txt"
    empty.write_text("Daily Papers\n\nOct 29\n", encoding="utf-8")
    assert run(tmp_path, empty) == 1
    assert "empty.txt: no papers found in this file" in capsys.readouterr().err
    assert run(tmp_path, tmp_path / "missing.txt") == 1
    assert "missing.txt: file not found" in capsys.readouterr().err
    binary = tmp_path / "x.bin"
    binary.write_bytes(b"\x89PNG\x00\x01")
    assert run(tmp_path, binary) == 1
    with pytest.raises(SystemExit) as usage:
        run(tmp_path, "--format", "csv", SEED)
    assert usage.value.code == 2
    assert not (tmp_path / "content").exists()


def test_import_refuses_to_run_next_to_a_broken_entry(tmp_path, imported, capsys):
    (imported / "broken.md").write_text("---\ntitle: [unclosed\n---\n", encoding="utf-8")
    before = snapshot(imported)
    assert run(tmp_path, SEED) == 1
    assert "broken.md:" in capsys.readouterr().err
    assert snapshot(imported) == before


def test_a_different_paper_with_the_same_slug_gets_a_stable_suffix(tmp_path, imported):
    lottery = (imported / LOTTERY).read_text(encoding="utf-8")
    other = lottery.replace("Finding Sparse, Trainable Neural Networks", "Finding Sparse Trainable Neural Networks!")
    shutil.move(imported / LOTTERY, tmp_path / "kept.md")
    (imported / LOTTERY).write_text(other.replace("arxiv", "x").replace("Lottery Ticket", "Lottery Tickets"),
                                    encoding="utf-8")
    assert run(tmp_path, SEED) == 0
    created = sorted(p.name for p in imported.glob("the-lottery-ticket-hypothesis*"))
    assert len(created) == 2 and LOTTERY in created
    suffixed = next(n for n in created if n != LOTTERY)
    assert re.fullmatch(r"the-lottery-ticket-hypothesis-finding-sparse-trainable-neural-[a-z-]*-[0-9a-f]{6}\.md", suffixed)
    record = PaperRecord(title="The Lottery Ticket Hypothesis: Finding Sparse, Trainable Neural Networks")
    assert _free_slug(record, {LOTTERY[:-3]}) + ".md" == suffixed  # the same name in any order or run
