"""Imports never lose a curator's byte: edits saved while an import runs, comments and layout, file modes
and links, and the temp files of a killed import (issue 10, section 1).

Concurrent edits are driven deterministically: ``run_import(before_replace=hook)`` calls the hook with
each change after the plan was made and the new text is ready, just before the file is checked and
replaced, which is the worst moment for a curator to save. Each scenario runs over many entries.
"""

import errno
import logging
import os
import re
import shutil
import stat
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from papershelf.check import run_check
from papershelf.cli import main
from papershelf.config import load_config
from papershelf.content import load_content, split_entry
from papershelf.importers import emit, run_import

ROOT = Path(__file__).resolve().parents[1]
SEED = ROOT / "sources" / "hf-daily-papers-2025-10-29.txt"
CONFIG = load_config(ROOT / "site.toml")
# Every shipped entry but one (Dale meets Langevin: no date line, so no upvotes) has upvotes: 0.
UPDATED = sorted(p.name for p in (ROOT / "content").glob("*.md") if not p.name.startswith("dale-"))
TEMP_NAME = re.compile(r"\..+\.\d+-[0-9a-f]{8}\.papershelf-tmp")


@pytest.fixture(autouse=True)
def messages(caplog, monkeypatch):
    """The importer's messages in caplog (the CLI, if it ran earlier in this process, stops propagation)."""
    monkeypatch.setattr(logging.getLogger("papershelf"), "propagate", True)
    caplog.set_level(logging.INFO, logger="papershelf")


@pytest.fixture
def content(tmp_path) -> Path:
    """A copy of the shipped entries (the seed listing, imported)."""
    return Path(shutil.copytree(ROOT / "content", tmp_path / "content"))


@pytest.fixture
def bumped(tmp_path) -> Path:
    """The seed listing with every paper's upvotes at 9: re-importing it updates 47 entries."""
    text = SEED.read_text(encoding="utf-8")
    text, count = re.subn(r"(?m)^(·\n)([A-Z][a-z]{2} \d{1,2}(?:, \d{4})?)(?: \d+)?$", r"\1\2 9", text)
    assert count == 47
    path = tmp_path / "bumped.txt"
    path.write_text(text, encoding="utf-8")
    return path


def import_(source: Path, content: Path, hook=None) -> int:
    hooked = {} if hook is None else {"before_replace": hook}
    return run_import([source], config=CONFIG, content_dir=content, **hooked)


def cli_import(source: Path, content: Path) -> int:
    return main(["--config", str(ROOT / "site.toml"), "import", "--content", str(content), str(source)])


def snapshot(folder: Path) -> dict:
    """Every file's bytes, mode and mtime, and every link's target: what 'nothing written' means."""
    found = {}
    for path in sorted(folder.rglob("*")):
        info = path.lstat()
        found[path.name] = os.readlink(path) if path.is_symlink() else (path.read_bytes(), info.st_mode, info.st_mtime_ns)
    return found


def meta(path: Path) -> dict:
    return split_entry(path.read_text(encoding="utf-8"), path.name).meta


def on(name: str, action):
    """A hook doing ``action(path, call_number)`` each time the change of entry ``name`` is about to be written."""
    calls = []

    def hook(change):
        if change.path.name == name:
            calls.append(change)
            action(change.path, len(calls))
    hook.calls = calls
    return hook


def append_note(text: str):
    def action(path: Path, call: int):
        with open(path, "a", encoding="utf-8") as handle:
            handle.write(text if call == 1 else "")
    return action


# ------------------------------------------------------------------------------ 1. concurrent edits


@pytest.mark.parametrize("name", UPDATED[::2])
def test_a_note_saved_while_the_import_runs_is_kept_and_the_update_still_made(content, bumped, caplog, name):
    note = "\n## Notes\n\nSaved while the import ran.\n"
    hook = on(name, append_note(note))
    assert import_(bumped, content, hook) == 0
    assert len(hook.calls) == 2        # the first replace was refused: merged again from the curator's text
    text = (content / name).read_text(encoding="utf-8")
    assert text.endswith(note)
    assert meta(content / name)["upvotes"] == 9 and meta(content / name)["imported"]["upvotes"] == 9
    assert all(meta(content / other)["upvotes"] == 9 for other in UPDATED)
    assert "added 0, updated 47, unchanged 1, skipped 0" in caplog.text


@pytest.mark.parametrize("name", UPDATED[1::6])
def test_an_entry_saved_on_every_attempt_is_left_as_the_curator_saved_it(content, bumped, caplog, name):
    def save(path: Path, call: int):
        path.write_text(path.read_text(encoding="utf-8") + f"\nEdit {call}.\n", encoding="utf-8")
    hook = on(name, save)
    assert import_(bumped, content, hook) == 0
    assert len(hook.calls) == emit.MERGE_ATTEMPTS
    text = (content / name).read_text(encoding="utf-8")
    assert text.endswith("".join(f"\nEdit {n}.\n" for n in range(1, emit.MERGE_ATTEMPTS + 1)))
    assert meta(content / name)["upvotes"] == 0       # the import's change was not forced over the edits
    assert f"content/{name}: warning: changed while importing; left as it is, run the import again" in caplog.text
    assert "updated 46, unchanged 1, skipped 0, left 1" in caplog.text


def test_an_entry_left_unreadable_by_a_save_meanwhile_is_left_and_reported(content, bumped, caplog):
    name, half = UPDATED[7], "---\ntitle: [half typed\n---\n"
    assert import_(bumped, content, on(name, lambda path, call: path.write_text(half, encoding="utf-8"))) == 0
    assert (content / name).read_text(encoding="utf-8") == half
    assert (f"content/{name}: warning: changed while importing; left as it is, run the import again "
            "(it cannot be read now: invalid YAML") in caplog.text
    assert "Traceback" not in caplog.text


def test_a_save_meanwhile_that_already_holds_the_update_is_left_as_saved(content, bumped, caplog):
    name = UPDATED[9]

    def save(path: Path, call: int):
        path.write_text(path.read_text(encoding="utf-8").replace("upvotes: 0", "upvotes: 9") + "\nMine.\n",
                        encoding="utf-8")
    assert import_(bumped, content, on(name, save)) == 0
    assert (content / name).read_text(encoding="utf-8").endswith("\nMine.\n")
    assert "added 0, updated 46, unchanged 2, skipped 0" in caplog.text


@pytest.mark.parametrize("name", UPDATED[2::6])
def test_an_entry_deleted_while_the_import_runs_is_not_recreated(content, bumped, caplog, name):
    title = meta(content / name)["title"]
    assert import_(bumped, content, on(name, lambda path, call: path.unlink())) == 0
    assert not (content / name).exists()
    papers, problems = load_content(content)
    assert problems == [] and title not in {p.title for p in papers} and len(papers) == 47
    assert f"content/{name}: warning: removed or renamed while importing; not recreated" in caplog.text


@pytest.mark.parametrize("name", UPDATED[3::6])
def test_an_entry_renamed_while_the_import_runs_does_not_come_back_under_its_old_name(content, bumped, caplog, name):
    before = (content / name).read_bytes()
    renamed = content / f"renamed-{name}"
    assert import_(bumped, content, on(name, lambda path, call: path.rename(renamed))) == 0
    assert not (content / name).exists() and renamed.read_bytes() == before
    papers, problems = load_content(content)
    assert problems == [] and len(papers) == 48        # no second copy of the paper: check stays clean
    assert "warning: removed or renamed while importing" in caplog.text


@pytest.mark.parametrize("link_works", [True, False], ids=["hard-link", "no-hard-links"])
@pytest.mark.parametrize("name", UPDATED[4::8])
def test_a_file_saved_under_a_new_entrys_name_meanwhile_is_never_replaced(content, caplog, monkeypatch, name, link_works):
    if not link_works:
        def no_link(*args, **kwargs):
            raise OSError(errno.EPERM, "Operation not permitted")
        monkeypatch.setattr(emit.os, "link", no_link)
    (content / name).unlink()
    mine = "---\ntitle: Written by the curator meanwhile\n---\n\nMine.\n"
    assert import_(SEED, content, on(name, lambda path, call: path.write_text(mine, encoding="utf-8"))) == 0
    assert (content / name).read_text(encoding="utf-8") == mine
    assert f"content/{name}: warning: created by someone else while importing; left as it is" in caplog.text
    assert "added 0, updated 0, unchanged 47, skipped 0, left 1" in caplog.text


@pytest.mark.parametrize("link_works", [True, False], ids=["hard-link", "no-hard-links"])
def test_new_entries_are_created_whole(content, monkeypatch, link_works):
    if not link_works:
        monkeypatch.setattr(emit.os, "link", lambda *a, **k: (_ for _ in ()).throw(OSError(errno.EPERM, "no")))
    expected = {p.name: p.read_bytes() for p in content.glob("*.md")}
    shutil.rmtree(content)
    assert import_(SEED, content) == 0
    assert {p.name: p.read_bytes() for p in content.iterdir()} == expected


def test_a_deleted_paper_comes_back_on_a_later_import_unless_kept_as_a_draft(content, bumped):
    """The importer cannot tell a deleted entry from one never imported; the README says to keep an
    unwanted paper as an entry with ``draft: true`` (matched, never built, never created again)."""
    name = UPDATED[5]
    kept = (content / name).read_text(encoding="utf-8")
    (content / name).unlink()
    assert import_(SEED, content) == 0
    assert (content / name).read_text(encoding="utf-8") == kept           # came back
    (content / name).write_text(kept.replace("\ntags:", "\ndraft: true\ntags:", 1), encoding="utf-8")
    assert import_(bumped, content) == 0
    papers, problems = load_content(content)
    assert problems == [] and len(papers) == 48
    same = [p for p in papers if p.title == meta(content / name)["title"]]
    assert len(same) == 1 and same[0].draft
    assert "draft: true" in (ROOT / "README.md").read_text(encoding="utf-8").split("### Importing papers")[1] \
        .split("### Checking entries")[0]


# ------------------------------------------------------------------------------ 2. comments and layout


def styled(text: str, style: str) -> str:
    """A shipped entry as a curator might keep it: comments (top, inline, after a flow list), a flow
    list, CRLF line endings and a BOM, as ``style`` asks."""
    if "comments" in style:
        text = text.replace("---\ntitle:", "---\n# Kept for the reading group\ntitle:", 1)
        text = re.sub(r"\ntags:\n((?:- .*\n)+)", lambda m: "\ntags: [" + ", ".join(
            line[2:] for line in m.group(1).splitlines()) + "]   # after a flow list\n", text, count=1)
        text = re.sub(r"(?m)^upvotes: (\d+)$", r"upvotes: \1  # from the listing", text)
        text = text.replace("\nimported:\n", "\n# the importer's memory\nimported:   # leave alone\n", 1)
        text += "\n## Notes\n\nA note.  \n"
    if "crlf" in style:
        text = text.replace("\n", "\r\n")
    if "bom" in style:
        text = "\ufeff" + text
    return text


@pytest.mark.parametrize("style", ["comments", "crlf", "bom", "comments+crlf+bom"])
@pytest.mark.parametrize("name", UPDATED[::12])
def test_an_update_changes_only_the_upvotes_and_keeps_every_other_byte(content, bumped, name, style):
    path = content / name
    upvotes = f"upvotes: {meta(path)['upvotes']}".encode()
    before = styled(path.read_text(encoding="utf-8"), style).encode("utf-8")
    path.write_bytes(before)
    assert import_(bumped, content) == 0
    after = path.read_bytes()
    assert after.count(b"upvotes: 9") == before.count(upvotes) == 2     # the key and imported.upvotes
    assert after == before.replace(upvotes, b"upvotes: 9")                # and not one other byte
    assert import_(bumped, content) == 0 and path.read_bytes() == after


@pytest.mark.parametrize("name", UPDATED[::16])
def test_a_missing_field_is_put_back_in_place_in_the_files_own_line_endings(content, name):
    path = content / name
    original = styled(path.read_text(encoding="utf-8"), "comments+crlf+bom").encode("utf-8")
    date_line = re.search(rb"\r\ndate: [0-9-]+\r\n", original).group(0)[2:]
    path.write_bytes(original.replace(date_line, b"", 1))
    assert import_(SEED, content) == 0
    assert path.read_bytes() == original


def test_a_link_filled_in_goes_into_the_links_mapping_without_touching_its_comments(content):
    name = "reno-enhancing-one-step-text-to-image-models-through-reward-based-noise.md"
    path = content / name
    original = path.read_text(encoding="utf-8")
    assert "links:\n  code: https://github.com/ExplainableML/ReNO\n" in original
    edited = original.replace("links:\n  code: https://github.com/ExplainableML/ReNO\n",
                              "links:   # where to find it\n  project: https://example.org/reno  # my own find\n")
    path.write_text(edited, encoding="utf-8")
    assert import_(SEED, content) == 0
    assert path.read_text(encoding="utf-8") == edited.replace(
        "  project: https://example.org/reno", "  code: https://github.com/ExplainableML/ReNO\n  project: https://example.org/reno")


# ------------------------------------------------------------------------------ 3. modes and links


@pytest.fixture
def umask_027():
    old = os.umask(0o027)
    try:
        yield
    finally:
        os.umask(old)


def test_new_entries_follow_the_umask_and_updated_ones_keep_their_mode(content, bumped, umask_027):
    modes = {UPDATED[0]: 0o644, UPDATED[1]: 0o600, UPDATED[2]: 0o664}
    for name, mode in modes.items():
        os.chmod(content / name, mode)
    (content / UPDATED[3]).unlink()
    assert import_(bumped, content) == 0
    assert {name: stat.S_IMODE((content / name).stat().st_mode) for name in modes} == modes
    assert meta(content / UPDATED[0])["upvotes"] == 9
    assert stat.S_IMODE((content / UPDATED[3]).stat().st_mode) == 0o640      # 0o666 & ~umask, as open() gives


def test_a_link_out_of_content_is_refused_before_anything_is_written(tmp_path, content, bumped, capsys):
    name = UPDATED[-1]                       # listed last: every other entry would be written before it
    outside = tmp_path / "elsewhere" / name
    outside.parent.mkdir()
    shutil.move(content / name, outside)
    (content / name).symlink_to(outside)
    before, outside_before = snapshot(content), outside.read_bytes()
    assert cli_import(bumped, content) == 1
    err = capsys.readouterr().err
    assert f"content/{name}: a link to {outside}, outside the content folder" in err
    assert "Traceback" not in err and "AssertionError" not in err
    assert snapshot(content) == before and outside.read_bytes() == outside_before


def test_a_broken_link_in_the_way_of_a_new_entry_is_refused_before_anything_is_written(tmp_path, content, bumped, capsys):
    name = UPDATED[-1]
    (content / name).unlink()
    (content / name).symlink_to(tmp_path / "gone.md")
    before = snapshot(content)
    assert cli_import(bumped, content) == 1
    err = capsys.readouterr().err
    assert f"content/{name}: in the way of the new entry for" in err and "Traceback" not in err
    assert snapshot(content) == before


def test_a_link_inside_content_is_updated_through_the_link(tmp_path, content, bumped):
    name = UPDATED[0]
    (content / "kept").mkdir()
    shutil.move(content / name, content / "kept" / name)
    (content / name).symlink_to(Path("kept") / name)
    assert import_(bumped, content) == 0
    assert (content / name).is_symlink() and meta(content / "kept" / name)["upvotes"] == 9


# ------------------------------------------------------------------------------ 4. a killed import


KILLED = textwrap.dedent("""
    import sys
    from pathlib import Path
    from papershelf.config import load_config
    from papershelf.importers import run_import

    def hold(change):
        print("holding", change.path.name, flush=True)
        sys.stdin.read()                  # until killed

    config = load_config(Path(sys.argv[1]))
    run_import([sys.argv[2]], config=config, content_dir=Path(sys.argv[3]), before_replace=hold)
""")


def test_a_killed_imports_temp_file_is_reported_by_check_and_removed_by_the_next_import(content, bumped, capsys, caplog):
    child = subprocess.Popen([sys.executable, "-c", KILLED, str(ROOT / "site.toml"), str(bumped), str(content)],
                             stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        held = child.stdout.readline().split()
    finally:
        child.kill()                      # SIGKILL: no cleanup runs
        child.wait()
    assert held[0] == "holding"
    leftovers = [p for p in content.iterdir() if p.name.startswith(".")]
    assert len(leftovers) == 1 and TEMP_NAME.fullmatch(leftovers[0].name) and held[1] in leftovers[0].name

    assert run_check(CONFIG, content) == 0       # a warning, not an error, and not an entry
    out = capsys.readouterr().out
    assert f"content/{leftovers[0].name}: warning: a temp file left by an interrupted import" in out
    assert "48 entries, 0 errors, 1 warning" in out

    assert import_(bumped, content) == 0
    assert not leftovers[0].exists() and [p for p in content.iterdir() if p.name.startswith(".")] == []
    assert f"content/{leftovers[0].name}: removed, left by an interrupted import" in caplog.text


def test_only_the_importers_own_abandoned_temp_files_are_removed(content):
    finished = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    dead = int(finished.stdout)
    own_dead = content / f".{UPDATED[0]}.{dead}-0123abcd.papershelf-tmp"
    running = content / f".{UPDATED[1]}.{os.getppid()}-0123abcd.papershelf-tmp"     # an import still writing
    others = [content / ".notes.tmp", content / ".tmpk2j3h4g5.tmp", content / f".{UPDATED[2]}.swp",
              content / f"{UPDATED[3]}.papershelf-tmp"]
    for path in [own_dead, running, *others]:
        path.write_bytes(b"")
    assert import_(SEED, content) == 0
    assert not own_dead.exists() and running.exists() and all(p.exists() for p in others)
