"""`papershelf check`: every kind of broken entry, with its file and line, all in one run."""

import shutil
from pathlib import Path

import pytest

from papershelf.cli import main

ROOT = Path(__file__).resolve().parents[1]
BROKEN = ROOT / "tests" / "fixtures" / "broken"
CASES = sorted(p.name for p in BROKEN.iterdir() if p.is_dir())


def check(tmp_path, content, capsys):
    code = main(["--config", str(tmp_path / "site.toml"), "check", "--content", str(content)])
    return code, capsys.readouterr().out.splitlines()


def expected(case):
    *lines, exit_line = (BROKEN / case / "expected.txt").read_text(encoding="utf-8").splitlines()
    return lines, int(exit_line.removeprefix("exit "))


@pytest.mark.parametrize("case", CASES)
def test_each_broken_entry_is_reported_with_file_and_line(case, tmp_path, capsys):
    content = tmp_path / "content"
    shutil.copytree(BROKEN / case / "content", content)
    lines, exit_code = expected(case)
    assert check(tmp_path, content, capsys) == (exit_code, lines)
    for line in lines[:-1]:
        assert line.startswith("content/") and line.split(":")[1].isdigit()


def test_every_problem_is_reported_in_one_run(tmp_path, capsys):
    content = tmp_path / "content"
    want, totals = [], [0, 0, 0]
    for case in CASES:
        shutil.copytree(BROKEN / case / "content", content / case)
        lines, _ = expected(case)
        want += [line.replace("content/", f"content/{case}/") for line in lines[:-1]]
        counts = [int(word) for word in lines[-1].replace(",", "").split() if word.isdigit()]
        totals = [a + b for a, b in zip(totals, counts)]
    code, out = check(tmp_path, content, capsys)
    assert code == 1
    assert sorted(out[:-1]) == sorted(want)
    assert out[-1] == f"{totals[0]} entries, {totals[1]} errors, {totals[2]} warning{'s' if totals[2] != 1 else ''}"


def test_only_warnings_exit_zero(tmp_path, capsys):
    code, out = check(tmp_path, BROKEN / "unknown-field" / "content", capsys)
    assert code == 0 and out[0].startswith("content/unknown-field.md:4: warning: unknown field 'conference'")


def test_the_shipped_content_passes(tmp_path, capsys):
    content = ROOT / "content"
    code, out = check(tmp_path, content, capsys)
    assert (code, out) == (0, ["48 entries, 0 errors, 0 warnings"])


def test_check_reports_a_broken_config(tmp_path, capsys):
    config = tmp_path / "site.toml"
    config.write_text('title = "x"\nper_page = "ten"\n', encoding="utf-8")
    assert main(["--config", str(config), "check", "--content", str(BROKEN / "unknown-field" / "content")]) == 1
    assert "site.toml:2: 'per_page' must be an integer, not a string" in capsys.readouterr().err


def test_a_missing_content_folder_is_an_error(tmp_path, capsys):
    assert main(["--config", str(tmp_path / "site.toml"), "check", "--content", str(tmp_path / "nowhere")]) == 1
    assert "nowhere: content folder not found" in capsys.readouterr().err
