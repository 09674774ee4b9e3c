"""What makes builds fast must not change what they produce: parallel rendering, the no-change
fast path, in-place updates after an edit, the parse memo and the related-papers index."""

import os
import shutil

import pytest

from generator import build as build_module
from generator.build import BuildCache, build
from generator.content import load_content
from generator.errors import SiteError
from generator.pages import related_all, related_papers
from generator.render import Renderer
from generator.taxonomy import group_tags
from generator.writer import MANIFEST
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
    serial = build(small_config(site), out=tmp_path / "serial", workers=1)
    parallel = build(small_config(site), out=tmp_path / "parallel", workers=2)
    assert serial.rendered == parallel.rendered == serial.pages
    assert tree_hash(tmp_path / "serial") == tree_hash(tmp_path / "parallel")


def test_a_template_error_in_a_render_worker_names_the_template_and_keeps_the_old_site(site, tmp_path, monkeypatch):
    monkeypatch.setattr(build_module, "PARALLEL_MIN_PAGES", 1)
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


def test_related_papers_for_all_at_once_equal_the_one_by_one_ranking():
    papers, _ = load_content(REPO / "content", REPO)
    if len(papers) < 10:
        pytest.skip("the shipped content is needed")
    by_tag = {t.slug: t.papers for t in group_tags(papers)}
    order = {p.slug: i for i, p in enumerate(papers)}
    together = related_all(papers)
    assert any(together.values())
    for paper in papers:
        assert together[paper.slug] == related_papers(paper, by_tag, order), paper.slug


def test_past_the_sitemap_limit_sitemap_xml_becomes_an_index_of_sitemaps(monkeypatch):
    import xml.etree.ElementTree as ET

    from generator import exports

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
