"""What makes builds fast must not change what they produce: parallel rendering, the no-change
fast path, in-place updates after an edit, the parse memo and the related-papers index."""

import multiprocessing
import os
import shutil
import threading

import pytest

from papershelf import build as build_module
from papershelf import deliver as deliver_module
from papershelf.build import BuildCache, build
from papershelf.content import load_content
from papershelf.errors import SiteError
from papershelf.render import Renderer
from papershelf.taxonomy import group_tags
from papershelf.writer import MANIFEST
from site_helpers import REPO, copy_site, small_config, tree_hash


@pytest.fixture
def site(tmp_path):
    return copy_site("small", tmp_path)


@pytest.fixture
def rendered_pages(monkeypatch):
    """Paths of the pages rendered in this process."""
    seen = []
    original = Renderer.render

    def render(self, page):
        seen.append(page.path)
        return original(self, page)

    monkeypatch.setattr(Renderer, "render", render)
    return seen


def test_parallel_and_serial_builds_write_identical_trees(site, tmp_path, monkeypatch):
    monkeypatch.setattr(build_module, "PARALLEL_MIN_PAGES", 1)   # the small site has too few pages otherwise
    monkeypatch.setattr(deliver_module, "PARALLEL_MIN_PAGES", 1)
    serial = build(small_config(site), out=tmp_path / "serial", workers=1)
    parallel = build(small_config(site), out=tmp_path / "parallel", workers=2)
    assert serial.rendered == parallel.rendered == serial.pages
    assert tree_hash(tmp_path / "serial") == tree_hash(tmp_path / "parallel")


def test_a_template_error_in_a_render_worker_names_the_template_and_keeps_the_old_site(site, tmp_path, monkeypatch):
    monkeypatch.setattr(build_module, "PARALLEL_MIN_PAGES", 1)
    monkeypatch.setattr(deliver_module, "PARALLEL_MIN_PAGES", 1)
    out = tmp_path / "out"
    build(small_config(site), out=out, workers=2)
    before = tree_hash(out)
    templates = site / "themes" / "broken" / "templates"
    templates.mkdir(parents=True)
    (templates / "paper.html").write_text('{% extends "base.html" %}\n{% block main %}\n{{ no_such_value }}\n{% endblock %}\n')
    with pytest.raises(SiteError) as caught:
        build(small_config(site, theme="broken"), out=out, workers=2)
    assert caught.value.path.endswith("paper.html") and caught.value.line == 3
    assert "no_such_value" in caught.value.message
    assert tree_hash(out) == before
    assert [p.name for p in out.parent.iterdir() if p.name.startswith(".out.")] == []   # no staging folder left


def test_a_rebuild_with_nothing_changed_renders_and_writes_nothing(site, tmp_path, rendered_pages):
    out, cache = tmp_path / "out", BuildCache()
    first = build(small_config(site), out=out, cache=cache)
    stamps = {p: p.stat().st_mtime_ns for p in out.rglob("*") if p.is_file()}
    rendered_pages.clear()
    again = build(small_config(site), out=out, cache=cache)
    assert again.mode == "unchanged" and again.rendered == 0 and again.written == 0
    assert rendered_pages == []
    assert {p: p.stat().st_mtime_ns for p in out.rglob("*") if p.is_file()} == stamps
    assert (again.pages, again.files) == (first.pages, first.files)


def test_a_deleted_output_folder_is_built_again_even_if_nothing_else_changed(site, tmp_path):
    out, cache = tmp_path / "out", BuildCache()
    build(small_config(site), out=out, cache=cache)
    expected = tree_hash(out)
    shutil.rmtree(out)
    again = build(small_config(site), out=out, cache=cache)
    assert again.mode != "unchanged"
    assert tree_hash(out) == expected


def test_editing_one_abstract_rerenders_only_pages_that_show_it_and_matches_a_clean_build(
        site, tmp_path, rendered_pages):
    out, cache = tmp_path / "out", BuildCache()
    build(small_config(site), out=out, cache=cache)
    stamps = {p.relative_to(out).as_posix(): p.stat().st_mtime_ns for p in out.rglob("*.html")}
    entry = site / "content" / "diffusion-for-music.md"
    entry.write_text(entry.read_text().replace("symbolic music", "symbolic piano music"))
    rendered_pages.clear()
    edited = build(small_config(site), out=out, cache=cache)

    assert edited.mode == "in-place"
    assert "papers/diffusion-for-music/index.html" in rendered_pages
    assert edited.rendered == len(rendered_pages) < edited.pages
    untouched = [path for path in stamps if path not in rendered_pages]
    assert "papers/tokenizers-2022/index.html" in untouched   # neither neighbour nor related
    for path in untouched:                                           # not rewritten
        assert (out / path).stat().st_mtime_ns == stamps[path], path
    assert "symbolic piano music" in (out / "papers/diffusion-for-music/index.html").read_text()
    clean = tmp_path / "clean"
    build(small_config(site), out=clean)
    assert tree_hash(out) == tree_hash(clean)                        # search index and feeds caught up too


def test_deleting_an_entry_removes_its_files_in_place(site, tmp_path):
    out, cache = tmp_path / "out", BuildCache()
    build(small_config(site), out=out, cache=cache)
    (site / "content" / "diffusion-for-music.md").unlink()
    build(small_config(site), out=out, cache=cache)
    assert not (out / "papers" / "diffusion-for-music" / "index.html").exists()
    clean = tmp_path / "clean"
    build(small_config(site), out=clean)
    assert tree_hash(out) == tree_hash(clean)
    assert "diffusion-for-music" not in (out / MANIFEST).read_text()


def test_a_cached_build_into_a_new_folder_reuses_pages_and_matches_a_clean_build(site, tmp_path):
    cache = BuildCache()
    build(small_config(site), out=tmp_path / "one", cache=cache)
    entry = site / "content" / "diffusion-for-music.md"
    entry.write_text(entry.read_text().replace("symbolic music", "symbolic piano music"))
    second = build(small_config(site), out=tmp_path / "two", cache=cache)   # as the preview does
    assert second.mode == "full" and second.rendered < second.pages
    clean = tmp_path / "clean"
    build(small_config(site), out=clean)
    assert tree_hash(tmp_path / "two") == tree_hash(clean)


def test_the_parse_memo_reuses_unchanged_entries_and_rereads_edited_ones(site):
    memo = {}
    first, _ = load_content(site / "content", site, memo=memo)
    entry = site / "content" / "diffusion-for-music.md"
    entry.write_text(entry.read_text().replace("symbolic music", "symbolic piano music"))
    os.utime(entry, ns=(entry.stat().st_atime_ns, entry.stat().st_mtime_ns + 1_000_000))
    second, _ = load_content(site / "content", site, memo=memo)
    by_slug = {p.slug: p for p in first}
    for paper in second:
        if paper.slug == "diffusion-for-music":
            assert "symbolic piano music" in paper.abstract
        else:
            assert paper is by_slug[paper.slug]
    assert second == load_content(site / "content", site)[0]


def test_past_the_sitemap_limit_sitemap_xml_becomes_an_index_of_sitemaps(monkeypatch):
    import xml.etree.ElementTree as ET

    from papershelf import exports

    monkeypatch.setattr(exports, "SITEMAP_MAX_URLS", 3)
    urls = ["", "tags/", "papers/a/", "papers/b/", "papers/c/", "papers/a/"]
    config = small_config()
    files = exports.sitemap_files(urls, config)
    ns = "{http://www.sitemaps.org/schemas/sitemap/0.9}"
    index = ET.fromstring(files["sitemap.xml"])
    assert index.tag == ns + "sitemapindex"
    parts = [loc.text for loc in index.iter(ns + "loc")]
    assert parts == [config.absolute_url("sitemap-1.xml"), config.absolute_url("sitemap-2.xml")]
    listed = [loc.text for name in ("sitemap-1.xml", "sitemap-2.xml") for loc in ET.fromstring(files[name]).iter(ns + "loc")]
    assert listed == [config.absolute_url(u) for u in ["", "tags/", "papers/a/", "papers/b/", "papers/c/"]]
    assert list(exports.sitemap_files(urls[:3], config)) == ["sitemap.xml"]


def _shipped_site(tmp_path):
    """A writable copy of the repository's own site: 48 real papers, its tags and config."""
    site = tmp_path / "shipped"
    site.mkdir()
    shutil.copy(REPO / "site.toml", site / "site.toml")
    shutil.copytree(REPO / "content", site / "content")
    return site


def _edit(entry, old, new):
    text = entry.read_text(encoding="utf-8")
    assert old in text, (entry.name, old)
    entry.write_text(text.replace(old, new, 1), encoding="utf-8")
    stat = entry.stat()   # a later mtime even on a filesystem with coarse timestamps
    os.utime(entry, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000_000))


@pytest.mark.slow
def test_every_kind_of_edit_in_the_preview_leaves_the_same_site_as_a_clean_build(tmp_path):
    """The preview's shortcuts (parse memo, related-papers memo, page keys made again only for
    pages showing an edited paper) against a build from scratch, after each of a series of edits."""
    site = _shipped_site(tmp_path)
    content = site / "content"
    entries = sorted(content.glob("*.md"))
    first, second, third = entries[0], entries[1], entries[2]
    new_entry = content / "a-paper-added-while-previewing.md"
    edits = [
        ("abstract", lambda: _edit(first, "\n\n", "\n\nA sentence added while previewing. ")),
        ("title", lambda: _set(second, "title", '"Retitled While Previewing"')),
        ("tag added", lambda: _edit(third, "tags:\n", "tags:\n- added-while-previewing\n")),
        ("date, same year", lambda: _set(first, "date", "2022-12-30")),
        ("date, other year", lambda: _set(second, "date", "2011-01-01")),
        ("oldest paper, older year, same place", lambda: _set(_oldest(content), "date", "1990-01-01")),
        ("authors", lambda: _edit(third, "authors_count:", "authors:\n- Ada Lovelace\nauthors_count:")),
        ("draft", lambda: _edit(first, "title: ", "draft: true\ntitle: ")),
        ("new entry", lambda: new_entry.write_text(
            "---\ntitle: A Paper Added While Previewing\ndate: 2025-10-29\ntags:\n- music\n---\n\nIts abstract.\n",
            encoding="utf-8")),
        ("deleted entry", lambda: entries[5].unlink()),
    ]
    out, cache = tmp_path / "out", BuildCache()
    build(small_config(site), out=out, cache=cache)
    for number, (what, edit) in enumerate(edits):
        edit()
        build(small_config(site), out=out, cache=cache)
        clean = tmp_path / f"clean-{number}"
        build(small_config(site), out=clean)
        assert tree_hash(out) == tree_hash(clean), f"after the edit '{what}'"


def _set(entry, key, value):
    """Replace the first front matter line of ``key``."""
    line = [line for line in entry.read_text(encoding="utf-8").splitlines() if line.startswith(key + ": ")][0]
    _edit(entry, line, f"{key}: {value}")


def _oldest(content):
    """The dated entry with the earliest date."""
    dates = {e: [line for line in e.read_text(encoding="utf-8").splitlines() if line.startswith("date: ")]
             for e in content.glob("*.md")}
    return min((e for e in dates if dates[e]), key=lambda e: dates[e][0])


def test_switching_raw_html_in_the_preview_converts_the_abstracts_again(tmp_path):
    """BibTeX entries and the search index hold converted text: a new renderer must not reuse them."""
    site = _shipped_site(tmp_path)
    entry = sorted((site / "content").glob("*.md"))[0]
    _edit(entry, "\n\n", "\n\nAn <b>html</b> bit. ")
    out, cache = tmp_path / "out", BuildCache()
    build(small_config(site), out=out, cache=cache)
    text = (site / "site.toml").read_text(encoding="utf-8")   # a top-level key: before any table
    (site / "site.toml").write_text("allow_raw_html = true\n" + text, encoding="utf-8")
    build(small_config(site), out=out, cache=cache)
    clean = tmp_path / "clean"
    build(small_config(site), out=clean)
    assert tree_hash(out) == tree_hash(clean)


def test_a_preview_build_failing_halfway_through_an_in_place_update_is_not_trusted_later(tmp_path, monkeypatch):
    """Feeds, exports and search files go to disk during an in-place update; if the build then fails
    (an I/O error, a theme mistake), the next build must not skip files it believes unchanged."""
    site = _shipped_site(tmp_path)
    entry = sorted((site / "content").glob("*.md"))[0]
    original = entry.read_text(encoding="utf-8")
    out, cache = tmp_path / "out", BuildCache()
    build(small_config(site), out=out, cache=cache)

    def disk_full(*args, **kwargs):
        raise OSError(28, "No space left on device")

    _edit(entry, "\n\n", "\n\nA sentence that the failed build half wrote. ")
    with monkeypatch.context() as patch:
        patch.setattr(deliver_module._Delivery, "add_group", disk_full)   # after the pages and exports
        with pytest.raises(OSError):
            build(small_config(site), out=out, cache=cache)
    entry.write_text(original, encoding="utf-8")          # the edit undone: back to the first build's input
    stat = entry.stat()
    os.utime(entry, ns=(stat.st_atime_ns, stat.st_mtime_ns + 2_000_000_000))
    build(small_config(site), out=out, cache=cache)
    clean = tmp_path / "clean"
    build(small_config(site), out=clean)
    assert tree_hash(out) == tree_hash(clean)


def test_a_page_deleted_from_the_last_build_is_rendered_again_not_linked(site, tmp_path):
    cache = BuildCache()
    build(small_config(site), out=tmp_path / "one", cache=cache)
    (tmp_path / "one" / "papers" / "tokenizers-2022" / "tokenizers-2022.bib").unlink()
    before = (tmp_path / "one" / "papers" / "tokenizers-2022" / "index.html").read_bytes()
    build(small_config(site), out=tmp_path / "two", cache=cache)   # reuses the unchanged pages of "one"
    clean = tmp_path / "clean"
    build(small_config(site), out=clean)
    assert tree_hash(tmp_path / "two") == tree_hash(clean)
    assert (tmp_path / "one" / "papers" / "tokenizers-2022" / "index.html").read_bytes() == before


def test_without_fork_a_build_asked_for_workers_runs_in_this_process(site, tmp_path, monkeypatch):
    """Where there is no fork (Windows), ``workers=2`` must not reach the process pools."""
    monkeypatch.setattr(build_module, "PARALLEL_MIN_PAGES", 1)   # the small site would not fork anyway
    monkeypatch.setattr(deliver_module, "PARALLEL_MIN_PAGES", 1)
    monkeypatch.setattr(build_module, "can_fork", lambda: False)
    monkeypatch.setattr(deliver_module, "can_fork", lambda: False)
    monkeypatch.setattr("papershelf.incremental.can_fork", lambda: False)

    def no_pool(*args, **kwargs):
        raise AssertionError("a process pool was started without fork")

    monkeypatch.setattr(build_module, "parallel_map", no_pool)
    monkeypatch.setattr(deliver_module, "ParallelRender", no_pool)
    build(small_config(site), out=tmp_path / "two", workers=2)
    monkeypatch.undo()
    build(small_config(site), out=tmp_path / "serial", workers=1)
    assert tree_hash(tmp_path / "two") == tree_hash(tmp_path / "serial")


def _forbid_pools(monkeypatch):
    def no_pool(*args, **kwargs):
        raise AssertionError("a process pool was forked where fork is not safe")

    monkeypatch.setattr(build_module, "parallel_map", no_pool)
    monkeypatch.setattr(deliver_module, "ParallelRender", no_pool)


def test_where_spawn_is_the_default_start_method_the_build_forks_nothing_and_writes_the_same_site(
        site, tmp_path, monkeypatch):
    """macOS and Windows (and Linux from Python 3.14) do not default to fork: the site must not change."""
    monkeypatch.setattr(build_module, "PARALLEL_MIN_PAGES", 1)
    monkeypatch.setattr(deliver_module, "PARALLEL_MIN_PAGES", 1)
    forked = build(small_config(site), out=tmp_path / "fork", workers=2)
    assert forked.rendered == forked.pages
    monkeypatch.setattr(multiprocessing, "get_start_method", lambda allow_none=False: "spawn")
    _forbid_pools(monkeypatch)
    build(small_config(site), out=tmp_path / "spawn", workers=2)
    assert tree_hash(tmp_path / "spawn") == tree_hash(tmp_path / "fork")


def test_while_other_threads_run_the_build_forks_nothing(site, tmp_path, monkeypatch):
    """The preview's watcher and server threads may hold locks a forked child would inherit."""
    monkeypatch.setattr(build_module, "PARALLEL_MIN_PAGES", 1)
    monkeypatch.setattr(deliver_module, "PARALLEL_MIN_PAGES", 1)
    build(small_config(site), out=tmp_path / "alone", workers=2)
    _forbid_pools(monkeypatch)
    stop = threading.Event()
    other = threading.Thread(target=stop.wait)
    other.start()
    try:
        build(small_config(site), out=tmp_path / "threads", workers=2)
    finally:
        stop.set()
        other.join()
    assert tree_hash(tmp_path / "threads") == tree_hash(tmp_path / "alone")
