"""The build cache on disk (.papershelf-cache/ beside site.toml): `papershelf build` reuses the last
build's work in a new process, and any doubt about the cache means a clean build, never a wrong site."""

import os
import pickle
import subprocess
import sys

import pytest

from papershelf import build as build_module
from papershelf import cache as cache_module
from papershelf.cache import CACHE_DIR, MEMO_FILE, STATE_FILE
from papershelf.writer import LOCK_FILE, reading_saved
from papershelf.cli import main
from site_helpers import copy_site, tree_hash


@pytest.fixture
def site(tmp_path):
    return copy_site("small", tmp_path)


@pytest.fixture
def results(monkeypatch):
    """The BuildResult of every build the command line runs in this process."""
    seen = []
    original = build_module.build

    def recording(*args, **kwargs):
        seen.append(original(*args, **kwargs))
        return seen[-1]

    monkeypatch.setattr(build_module, "build", recording)
    return seen


def cli(site, *args):
    return main(["--config", str(site / "site.toml"), "build", "-q", *args])


def cli_process(site, *args) -> str:
    """`papershelf build -v` in a process of its own; returns what it printed."""
    done = subprocess.run([sys.executable, "-m", "papershelf", "--config", str(site / "site.toml"), "-v", "build",
                           *args], capture_output=True, text=True, cwd=site)
    assert done.returncode == 0, done.stderr
    return done.stderr


def stamps(folder):
    """Every file -> (inode, mtime): what changes when a file is written again."""
    return {p.relative_to(folder).as_posix(): (p.stat().st_ino, p.stat().st_mtime_ns)
            for p in folder.rglob("*") if p.is_file()}


def clean_build(site, tmp_path, name="clean"):
    assert main(["--config", str(site / "site.toml"), "build", "-q", "--no-cache", "--out", str(tmp_path / name)]) == 0
    return tree_hash(tmp_path / name)


def edit(entry, old, new):
    text = entry.read_text(encoding="utf-8")
    assert old in text
    entry.write_text(text.replace(old, new, 1), encoding="utf-8")


def test_a_second_build_in_a_new_process_with_nothing_changed_writes_nothing(site):
    cli_process(site)
    out = site / "site"
    before, files = stamps(out), tree_hash(out)
    printed = cli_process(site)
    assert "build: unchanged" in printed and "(0 written)" in printed
    assert stamps(out) == before and tree_hash(out) == files
    saved(site / CACHE_DIR)
    assert sorted(p.name for p in (site / CACHE_DIR).iterdir()) == sorted([LOCK_FILE, MEMO_FILE, STATE_FILE])


def test_a_build_right_after_another_waits_for_its_cache_save_only_when_it_needs_the_memo(site, tmp_path):
    """`papershelf build` twice in a row: the first build's memo may still be being saved (by a forked
    process holding the cache's lock; held here by the test). With nothing changed the second build does
    not wait for it; after an edit it waits, then reads the memo that save wrote."""
    import fcntl

    cli_process(site)
    saved(site / CACHE_DIR)
    command = [sys.executable, "-m", "papershelf", "--config", str(site / "site.toml"), "-v", "build"]
    fd = os.open(site / CACHE_DIR / LOCK_FILE, os.O_RDONLY)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)   # a save still running
        unchanged = subprocess.run(command, capture_output=True, text=True, cwd=site, timeout=60)
        assert unchanged.returncode == 0 and "build: unchanged" in unchanged.stderr, unchanged.stderr
        edit(site / "content" / "diffusion-for-music.md", "symbolic music", "symbolic piano music")
        edited = subprocess.Popen(command, stderr=subprocess.PIPE, text=True, cwd=site)
        with pytest.raises(subprocess.TimeoutExpired):
            edited.wait(timeout=3)   # waiting for the memo
    finally:
        os.close(fd)
    assert edited.wait(timeout=60) == 0
    printed = edited.stderr.read()
    assert "build: in-place" in printed, printed
    assert tree_hash(site / "site") == clean_build(site, tmp_path)


def test_with_no_process_to_spare_for_the_save_the_cache_is_saved_in_place(site, tmp_path, results, monkeypatch):
    """fork() failing (EAGAIN) when the cache is to be saved in the background: the build still succeeds and
    saves the cache itself, and the next build finds it whole."""
    from papershelf import writer

    class NoFork:
        def __getattr__(self, name):
            return getattr(os, name)

        def fork(self):
            raise BlockingIOError(11, "Resource temporarily unavailable")

    with monkeypatch.context() as patched:
        patched.setattr(writer, "os", NoFork())
        assert cli(site) == 0
    assert sorted(p.name for p in (site / CACHE_DIR).iterdir() if p.name != LOCK_FILE) == sorted([MEMO_FILE, STATE_FILE])
    edit(site / "content" / "diffusion-for-music.md", "symbolic music", "symbolic piano music")
    assert cli(site) == 0
    assert results[-1].mode == "in-place"   # the memo was found and read: not a clean build
    assert tree_hash(site / "site") == clean_build(site, tmp_path)


def test_one_edit_in_a_new_process_rewrites_only_what_shows_it_and_equals_a_clean_build(site, tmp_path):
    cli_process(site)
    out = site / "site"
    before = stamps(out)
    edit(site / "content" / "diffusion-for-music.md", "symbolic music", "symbolic piano music")
    printed = cli_process(site)
    assert "build: in-place" in printed
    after = stamps(out)
    changed = {path for path in after if before.get(path) != after[path]}
    assert "papers/diffusion-for-music/index.html" in changed
    assert "papers/tokenizers-2022/index.html" not in changed      # neither neighbour nor related
    assert not [path for path in changed if path.startswith("assets/")] and "404.html" not in changed
    assert tree_hash(out) == clean_build(site, tmp_path)


def browse_chunk_of(out, slug):
    """The browse chunk (browse/items/<n>.json) whose cards include the paper ``slug``."""
    import json
    held = [path.relative_to(out).as_posix() for path in sorted((out / "browse" / "items").glob("*.json"))
            if slug in [item[0] for item in json.loads(path.read_text(encoding="utf-8"))]]
    assert len(held) == 1, held
    return held[0]


def test_the_archive_and_the_browse_chunks_are_made_again_exactly_when_what_they_show_changes(site, tmp_path):
    """The archive shows titles and dates, a browse chunk its own papers' cards: an abstract's edit makes the
    edited paper's chunk again but not the archive nor the other chunks, a new title makes the archive again;
    either way the site is the clean build's."""
    cli_process(site)
    out = site / "site"
    entry, slug = site / "content" / "diffusion-for-music.md", "diffusion-for-music"
    chunk = browse_chunk_of(out, slug)
    chunks = {p.relative_to(out).as_posix() for p in (out / "browse" / "items").glob("*.json")}
    assert len(chunks) > 1   # some chunks show other papers only

    before = stamps(out)
    edit(entry, "symbolic music", "symbolic piano music")
    assert "build: in-place" in cli_process(site)
    changed = {path for path, stamp in stamps(out).items() if before.get(path) != stamp}
    assert chunk in changed and chunks & changed == {chunk}
    assert "archive/index.html" not in changed
    assert "symbolic piano music" in (out / chunk).read_text(encoding="utf-8")
    assert tree_hash(out) == clean_build(site, tmp_path, "clean-abstract")

    before = stamps(out)
    edit(entry, "title: Diffusion for Music Generation", "title: Diffusion for Piano Generation")
    assert "build: in-place" in cli_process(site)
    changed = {path for path, stamp in stamps(out).items() if before.get(path) != stamp}
    assert "archive/index.html" in changed and chunk in changed
    assert "Diffusion for Piano Generation" in (out / "archive" / "index.html").read_text(encoding="utf-8")
    assert tree_hash(out) == clean_build(site, tmp_path, "clean-title")


WHOLE_LIST_EXPORTS = ("papers.bib", "papers.ris", "papers.csl.json", "papers.json")


def cut_short(file):
    file.write_bytes(file.read_bytes()[:-40])


def lengthened(file):
    file.write_bytes(file.read_bytes() + b"\n")


@pytest.mark.parametrize("spoil", [cut_short, lengthened])
def test_a_whole_list_export_changed_on_disk_since_the_last_build_is_made_again_whole(site, tmp_path, spoil):
    """An edit patches the whole list's exports from the last build's files (a piece a paper); a file that is
    not the length the last build left is not patched from but made again whole."""
    cli_process(site)
    for name in WHOLE_LIST_EXPORTS:
        spoil(site / "site" / name)
    edit(site / "content" / "diffusion-for-music.md", "symbolic music", "symbolic piano music")
    assert "build: in-place" in cli_process(site)
    assert tree_hash(site / "site") == clean_build(site, tmp_path)


def test_edits_that_move_insert_and_remove_pieces_of_the_whole_list_exports_equal_a_clean_build(site, tmp_path):
    """Each build in a new process patches the last one's exports: a paper redated (its piece moves), one added
    first (every other piece keeps its bytes but not its place), one removed, one retitled (its citation key)."""
    cli_process(site)
    content = site / "content"
    steps = [lambda: edit(content / "diffusion-for-music.md", "date: 2024-05-28", "date: 2030-01-01"),
             lambda: (content / "aaa-first.md").write_text("---\ntitle: First Of All\ndate: 2031-01-01\n---\n\nFirst.\n"),
             lambda: (content / "tokenizers-2022.md").unlink(),
             lambda: edit(content / "diffusion-for-music.md", "title: ", "title: Retitled ")]
    for number, step in enumerate(steps):
        step()
        cli_process(site)
        clean = clean_build(site, tmp_path, f"clean{number}")
        for name in WHOLE_LIST_EXPORTS:
            assert (site / "site" / name).read_bytes() == (tmp_path / f"clean{number}" / name).read_bytes(), (number, name)
        assert tree_hash(site / "site") == clean


def search_files(hashes: dict[str, str]) -> dict[str, str]:
    return {path: digest for path, digest in hashes.items() if path.startswith("search/")}


def test_the_search_index_after_each_kind_of_edit_equals_a_clean_builds_and_is_patched_unless_papers_come_or_go(
        site, tmp_path, monkeypatch):
    """Each build reads the last one's postings from the cache on disk and patches them for the edited papers
    (numbering the terms again where a new word, a word's last use gone or a title's words reordered moved a first
    occurrence), or makes them again when a paper was added or removed: every file under site/search/ is the clean
    build's either way."""
    from papershelf import deliver, search
    monkeypatch.setattr(deliver, "_may_fork", lambda workers: False)   # the index made in this process, seen here
    patched = []
    original = search.patched_postings

    def recording(*args):
        patched.append(True)
        return original(*args)

    monkeypatch.setattr(search, "patched_postings", recording)
    content = site / "content"
    music = content / "diffusion-for-music.md"
    steps = [("its own words again", lambda: edit(music, "of piano.", "of piano. A latent model for piano music."), True),
             ("a new word", lambda: edit(music, "of piano.", "of piano and harpsichord."), True),
             ("a word's last use gone", lambda: edit(music, " and harpsichord", ""), True),
             ("a paper added", lambda: (content / "aaa-first.md").write_text(
                 "---\ntitle: First Of All\ndate: 2031-01-01\n---\n\nA latent model.\n"), None),
             ("a paper removed", lambda: (content / "tokenizers-2022.md").unlink(), None),
             ("a title's words reordered", lambda: edit(music, "title: Diffusion for Music Generation",
                                                        "title: Generation of Music by Diffusion"), True),
             ("another paper's words", lambda: edit(music, "of piano.", "of piano: label noise."), True)]
    assert cli(site) == 0
    for number, (what, step, patch) in enumerate(steps):
        step()
        patched.clear()
        assert cli(site) == 0
        assert patched == ([True] if patch else []), what
        clean = search_files(clean_build(site, tmp_path, f"clean{number}"))
        assert search_files(tree_hash(site / "site")) == clean and len(clean) > 3, what


def folders(folder):
    return sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_dir())


def test_a_deleted_and_an_added_entry_in_a_new_process_give_the_clean_build_folders_and_all(site, tmp_path):
    cli_process(site)
    (site / "content" / "diffusion-for-music.md").unlink()
    (site / "content" / "a-new-one.md").write_text("---\ntitle: A New One\ndate: 2024-01-02\ntags: [fresh]\n---\n\nText.\n")
    assert "build: in-place" in cli_process(site)
    assert tree_hash(site / "site") == clean_build(site, tmp_path)
    assert folders(site / "site") == folders(tmp_path / "clean")


def test_an_edit_that_keeps_size_and_mtime_is_still_seen(site, tmp_path, results):
    """The cache compares entries by content digest, never by timestamps alone."""
    assert cli(site) == 0
    entry = site / "content" / "diffusion-for-music.md"
    stat = entry.stat()
    edit(entry, "symbolic music", "symbolic MUSIC")            # same size
    os.utime(entry, ns=(stat.st_atime_ns, stat.st_mtime_ns))   # same mtime
    assert cli(site) == 0
    assert results[-1].mode == "in-place"
    assert "symbolic MUSIC" in (site / "site" / "papers" / "diffusion-for-music" / "index.html").read_text()
    assert tree_hash(site / "site") == clean_build(site, tmp_path)


def saved(folder):
    """Wait for the save the last build left running in the background (its child holds the folder's lock)."""
    with reading_saved(folder):
        pass


def damage_memo(folder):
    data = bytearray((folder / MEMO_FILE).read_bytes())
    data[len(data) // 2] ^= 0xFF
    (folder / MEMO_FILE).write_bytes(bytes(data))


def truncate_state(folder):
    data = (folder / STATE_FILE).read_bytes()
    (folder / STATE_FILE).write_bytes(data[: len(data) // 2])


def garbage(folder):
    for name in (STATE_FILE, MEMO_FILE):
        (folder / name).write_bytes(b"not a cache at all\n" * 10)


class Boom:
    def __reduce__(self):
        return (os.system, ("touch PWNED",))


def foreign_pickle(folder):
    """A well-formed file (right header, right digest) whose payload would run code if unpickled blindly."""
    data = (folder / MEMO_FILE).read_bytes()
    head_end = data.index(b"\n", data.index(b"\n") + 1)
    head = data[:head_end + 1]
    payload = pickle.dumps({"parsed": Boom()})
    import hashlib
    (folder / MEMO_FILE).write_bytes(head + hashlib.sha256(payload).hexdigest().encode() + b"\n" + payload)


@pytest.mark.parametrize("spoil", [damage_memo, truncate_state, garbage, foreign_pickle])
def test_a_damaged_or_foreign_cache_gives_a_clean_build(site, tmp_path, results, spoil):
    assert cli(site) == 0
    edit(site / "content" / "diffusion-for-music.md", "symbolic music", "symbolic piano music")
    saved(site / CACHE_DIR)
    spoil(site / CACHE_DIR)
    assert cli(site) == 0
    assert results[-1].mode == "full" and results[-1].rendered == results[-1].pages
    assert not (site / "PWNED").exists() and not (tmp_path / "PWNED").exists()
    assert tree_hash(site / "site") == clean_build(site, tmp_path)
    assert cli(site) == 0 and results[-1].mode == "unchanged"   # and the cache is whole again


def other_version(site, monkeypatch):
    monkeypatch.setattr(cache_module, "__version__", "99.0")


def other_config(site, monkeypatch):
    edit(site / "site.toml", 'title = "', 'title = "Renamed: ')


def other_theme(site, monkeypatch):
    templates = site / "themes" / "lab" / "templates"
    templates.mkdir(parents=True)
    (templates / "paper.html").write_text('{% extends "base.html" %}\n{% block main %}lab {{ paper.title }}'
                                          '{% endblock %}\n')
    text = (site / "site.toml").read_text()
    (site / "site.toml").write_text('theme = "lab"\n' + text)


def edited_template(site, monkeypatch):
    other_theme(site, monkeypatch)
    assert cli(site) == 0
    (site / "themes" / "lab" / "templates" / "paper.html").write_text(
        '{% extends "base.html" %}\n{% block main %}lab, edited {{ paper.title }}{% endblock %}\n')


@pytest.mark.parametrize("change", [other_version, other_config, other_theme, edited_template])
def test_another_papershelf_config_or_theme_gives_a_full_build(site, tmp_path, results, monkeypatch, change):
    assert cli(site) == 0
    change(site, monkeypatch)
    assert cli(site) == 0
    assert results[-1].mode == "full" and results[-1].rendered == results[-1].pages
    assert tree_hash(site / "site") == clean_build(site, tmp_path)


def test_a_site_folder_replaced_by_another_build_is_not_trusted(site, tmp_path, results):
    assert cli(site) == 0
    entry = site / "content" / "diffusion-for-music.md"
    original = entry.read_text()
    edit(entry, "symbolic music", "symbolic piano music")
    assert cli(site, "--no-cache") == 0          # site/ now shows the edit; the cache still describes the old one
    entry.write_text(original)                    # back to what the cache saw
    assert cli(site) == 0
    assert results[-1].mode == "full"
    assert "symbolic piano music" not in (site / "site" / "papers" / "diffusion-for-music" / "index.html").read_text()
    assert tree_hash(site / "site") == clean_build(site, tmp_path)


def test_no_cache_neither_reads_nor_writes_it_and_clean_ignores_it(site, results):
    assert cli(site, "--no-cache") == 0
    assert not (site / CACHE_DIR).exists()
    assert cli(site) == 0 and results[-1].mode == "full"
    assert cli(site, "--clean") == 0 and results[-1].mode == "full" and results[-1].rendered == results[-1].pages
    assert cli(site) == 0 and results[-1].mode == "unchanged"


def test_a_content_error_keeps_the_cache_and_the_site(site, results):
    assert cli(site) == 0
    before = tree_hash(site / "site")
    entry = site / "content" / "diffusion-for-music.md"
    original = entry.read_text()
    entry.write_text("---\ntitle: [unclosed\n---\n")
    assert cli(site) == 1
    assert tree_hash(site / "site") == before
    entry.write_text(original)
    assert cli(site) == 0 and results[-1].mode == "unchanged"


def test_the_cache_folder_is_ignored_by_git_in_new_lists_and_here():
    root = build_module.Path(__file__).resolve().parents[1]
    assert ".papershelf-cache/" in (root / ".gitignore").read_text().splitlines()
    assert "/.papershelf-cache/" in (root / "generator" / "starter" / "gitignore").read_text().splitlines()


def test_the_cache_reads_back_the_paths_and_dates_this_python_pickles(tmp_path):
    """Python 3.13 pickles paths from pathlib._local: a cache that refused them was never usable there."""
    import datetime
    from pathlib import Path

    from papershelf.cache import _pack, _read
    value = {"out": Path("/x/site"), "when": datetime.date(2024, 1, 2), "path": tmp_path}
    (tmp_path / "f").write_bytes(b"".join(_pack(value, "identity")))
    assert _read(tmp_path / "f", "identity") == value
