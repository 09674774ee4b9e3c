"""`papershelf build`: what a reader gets, and the safety rules of writing the output."""

import json
import logging
import shutil

import pytest

from papershelf import resources
from papershelf.resources import default_theme
from papershelf.build import BuildCache, build
from papershelf.cli import main
from papershelf.errors import SiteError, SiteErrors
from papershelf.outputs import PAGES, Output, Stream
from papershelf.writer import MANIFEST
from site_helpers import REPO, SMALL, copy_site, small_config, tree_hash


@pytest.fixture
def site(tmp_path):
    """A writable copy of the small fixture site."""
    return copy_site("small", tmp_path)


def read(out, path):
    return (out / path).read_text(encoding="utf-8")


def test_build_writes_every_kind_of_page_and_file(tmp_path):
    out = tmp_path / "site"
    result = build(small_config(), out=out)
    for path in ["index.html", "page/2/index.html", "page/3/index.html", "papers/sparse-attention-at-scale/index.html",
                 "papers/sparse-attention-at-scale/sparse-attention-at-scale.bib", "tags/index.html",
                 "tags/llm/index.html", "tags/llm/page/2/index.html", "tags/llm/feed.xml", "archive/index.html",
                 "search/index.html", "search/manifest.json", "search/terms/0.json", "search/docs/0.json", "404.html", "feed.xml", "sitemap.xml",
                 "robots.txt", ".nojekyll", "CNAME", "papers.json", "papers.bib", "assets/style.css", "assets/site.js",
                 "assets/lunr.min.js", "assets/search.js", MANIFEST]:
        assert (out / path).is_file(), path
    assert read(out, "CNAME").strip() == "papers.example.org"
    assert result.papers == 5 and result.search_documents == 5
    assert result.pages == sum(1 for p in out.rglob("*.html"))
    assert set(result.phases) >= {"load", "render", "search", "write"}
    assert (out / "assets/lunr.min.js").read_bytes() == (REPO / "node_modules/lunr/lunr.min.js").read_bytes()


def test_index_lists_papers_newest_first_with_undated_last(tmp_path):
    out = tmp_path / "site"
    build(small_config(), out=out)
    pages = read(out, "index.html") + read(out, "page/2/index.html") + read(out, "page/3/index.html")
    order = ["Sparse Attention at Scale", "Diffusion for Music Generation", "Noisy Labels Revisited",
             "Tokenizers Considered Harmful?", "Dale meets Langevin"]
    positions = [pages.index(title) for title in order]
    assert positions == sorted(positions)


def test_index_item_shows_date_abbreviated_authors_upvotes_tags_code_and_abstract_start(tmp_path):
    out = tmp_path / "site"
    build(small_config(), out=out)
    index = read(out, "index.html")
    assert '<time datetime="2024-05-30">30 May 2024</time>' in index
    assert "Ada Lovelace, Alan Turing, Grace Hopper et al. (6 authors)" in index
    assert "Donald Knuth" not in index
    assert "42" in index and 'href="/reading-list/tags/sparsity/"' in index
    assert 'href="https://github.com/example/sparse-attention"' in index
    assert "We study which attention heads survive magnitude pruning" in index


def test_paper_page_shows_links_notes_citation_and_neighbours(tmp_path):
    out = tmp_path / "site"
    build(small_config(), out=out)
    page = read(out, "papers/sparse-attention-at-scale/index.html")
    for link in ("https://arxiv.org/abs/2405.00001", "https://arxiv.org/pdf/2405.00001",
                 "https://github.com/example/sparse-attention", "https://example.com/blog/sparse-attention-explained"):
        assert f'href="{link}"' in page
    assert "<strong>magnitude pruning</strong>" in page      # abstract rendered from markdown
    assert "<li>pruning was one-shot</li>" in page           # notes rendered from markdown
    bib = read(out, "papers/sparse-attention-at-scale/sparse-attention-at-scale.bib")
    key = bib.split("{", 1)[1].split(",", 1)[0]
    assert f"@misc{{{key}," in page and key in read(out, "papers.bib")   # the same key everywhere
    assert 'data-copy-target="bibtex"' in page and '<pre id="bibtex" tabindex="0"' in page
    assert 'href="/reading-list/papers/sparse-attention-at-scale/sparse-attention-at-scale.bib"' in page
    assert 'rel="next" href="/reading-list/papers/diffusion-for-music/"' in page
    # Related: the two other LLM papers first (a shared tag and words), equally similar, so by slug; no draft.
    related = page.split('id="related-h"')[1].split("</aside>")[0]
    assert related.index("Noisy Labels Revisited") < related.index("Tokenizers Considered Harmful?") \
        < related.index("Dale meets Langevin")
    assert "Unfinished" not in related and "Sparse Attention" not in related


def test_tags_differing_only_in_case_are_one_tag_with_a_slug_url(tmp_path):
    out = tmp_path / "site"
    build(small_config(), out=out)
    tags = read(out, "tags/index.html")
    assert tags.count('href="/reading-list/tags/llm/"') == 1
    assert 'LLM <span class="n">3</span>' in tags           # LLM x2 + llm x1, shown in the most common spelling
    assert 'href="/reading-list/tags/diffusion/"' in tags     # "diffusion" and "Diffusion"
    llm = read(out, "tags/llm/index.html") + read(out, "tags/llm/page/2/index.html")
    assert "Noisy Labels Revisited" in llm and "Sparse Attention" in llm and "Tokenizers" in llm
    assert not (out / "tags/LLM").exists()


def test_archive_groups_by_year_with_undated_last(tmp_path):
    out = tmp_path / "site"
    build(small_config(), out=out)
    archive = read(out, "archive/index.html")
    heads = [archive.index(f'id="{h}-h"') for h in ("year-2024", "year-2023", "year-2022", "undated")]
    assert heads == sorted(heads)
    assert archive.index("Dale meets Langevin") > archive.index('id="undated-h"')


def test_drafts_are_left_out_unless_asked_for_and_then_marked(tmp_path):
    out = tmp_path / "site"
    build(small_config(), out=out)
    assert not (out / "papers/unfinished-draft").exists()
    assert "Unfinished Draft" not in read(out, "index.html") + read(out, "search/docs/0.json") + read(out, "feed.xml")
    build(small_config(), out=out, drafts=True)
    page = read(out, "papers/unfinished-draft/index.html")
    assert '<span class="draft-mark">Draft</span>' in page
    assert "Unfinished Draft" in read(out, "index.html")


@pytest.mark.parametrize("how", ["flag", "config"])
def test_without_search_there_is_no_search_page_index_or_box(tmp_path, how):
    out = tmp_path / "site"
    if how == "flag":
        build(small_config(), out=out, search=False)
    else:
        build(small_config(search={"enabled": False}), out=out)
    assert not (out / "search").exists()
    assert not (out / "assets/lunr.min.js").exists() and not (out / "assets/search.js").exists()
    for page in out.rglob("*.html"):
        text = page.read_text()
        assert 'role="search"' not in text and "/reading-list/search/" not in text, page


def test_every_page_has_a_labelled_search_box_and_the_search_page_has_the_dom_contract(tmp_path):
    out = tmp_path / "site"
    build(small_config(), out=out)
    for page in out.rglob("*.html"):
        text = page.read_text()
        assert '<html lang="en" data-base="/reading-list/">' in text, page
        if page.parent.name != "search":
            assert 'action="/reading-list/search/" method="get" role="search"' in text, page
            assert '<label for="site-search-q"' in text and 'name="q"' in text
    search = read(out, "search/index.html")
    for needle in ('<form id="search-form"', 'role="search"', '<label for="search-input"',
                   '<input id="search-input" type="search" name="q"', '<p id="search-status" aria-live="polite">',
                   '<ol id="search-results"'):
        assert needle in search
    tail = search[search.index('<ol id="search-results"'):]
    assert tail.index('src="/reading-list/assets/lunr.min.js"') < tail.index('src="/reading-list/assets/search.js"')


def test_nothing_is_requested_from_another_host(tmp_path):
    out = tmp_path / "site"
    build(small_config(), out=out)
    for page in out.rglob("*.html"):
        text = page.read_text()
        assert 'src="http' not in text and "@import" not in text, page
        assert 'rel="stylesheet" href="/' in text
    css = read(out, "assets/style.css")
    assert "url(" not in css and "@font-face" not in css


def test_a_failed_build_leaves_the_previous_site_byte_identical(site, tmp_path):
    out = tmp_path / "out"
    build(small_config(site), out=out)
    before = tree_hash(out)
    # A template error halfway through rendering...
    theme = site / "themes" / "default" / "templates"
    shutil.copytree(default_theme(), site / "themes" / "default")
    (theme / "paper.html").write_text('{% extends "base.html" %}{% block main %}{{ paper.no_such_field }}{% endblock %}')
    with pytest.raises(SiteError) as caught:
        build(small_config(site), out=out)
    assert "paper.html" in caught.value.path and caught.value.line == 1
    assert tree_hash(out) == before
    # ...and a content error.
    shutil.rmtree(site / "themes")
    (site / "content" / "broken.md").write_text("---\ntitle: [unclosed\n---\n")
    with pytest.raises(SiteErrors):
        build(small_config(site), out=out)
    assert tree_hash(out) == before
    assert not [p for p in out.parent.iterdir() if p.name.startswith(".out.")]  # no staging folder left behind


def test_refuses_a_foreign_non_empty_folder_unless_forced(tmp_path):
    out = tmp_path / "mine"
    out.mkdir()
    (out / "thesis.tex").write_text("precious")
    with pytest.raises(SiteError) as caught:
        build(small_config(), out=out)
    assert "thesis.tex" in str(caught.value) and "--force" in str(caught.value)
    assert (out / "thesis.tex").read_text() == "precious"
    build(small_config(), out=out, force=True)
    assert (out / "index.html").is_file() and not (out / "thesis.tex").exists()


def test_a_file_added_to_a_built_site_makes_it_foreign(tmp_path):
    out = tmp_path / "site"
    build(small_config(), out=out)
    build(small_config(), out=out)            # rebuilding our own output is fine
    (out / "notes.txt").write_text("mine")
    with pytest.raises(SiteError, match="notes.txt"):
        build(small_config(), out=out)


@pytest.mark.parametrize("target", [".", "content", "themes", ".."])
def test_refuses_to_build_into_the_project_or_its_sources(site, target):
    (site / "themes").mkdir(exist_ok=True)
    with pytest.raises(SiteError, match="refusing"):
        build(small_config(site), out=site / target, force=True)
    assert (site / "content" / "diffusion-for-music.md").is_file()


def test_the_same_output_path_twice_is_an_error_naming_both_sources(site, tmp_path):
    stream = Stream()
    stream.add(Output("papers/x/index.html", "content/x.md", PAGES, make=lambda: "a"))
    with pytest.raises(SiteError) as caught:
        stream.add(Output("papers/x/index.html", "content/X.md", PAGES, make=lambda: "b"))
    assert "content/x.md" in str(caught.value) and "content/X.md" in str(caught.value)
    # A real case: a theme shipping its own lunr.min.js collides with the one the build copies.
    theme = site / "themes" / "mine" / "static"
    theme.mkdir(parents=True)
    (theme / "lunr.min.js").write_text("/* stale copy */")
    with pytest.raises(SiteError, match="assets/lunr.min.js"):
        build(small_config(site, theme="mine"), out=tmp_path / "out")
    assert not (tmp_path / "out").exists()


def test_a_user_theme_overrides_templates_and_static_files_by_name(site, tmp_path):
    theme = site / "themes" / "mine"
    (theme / "templates").mkdir(parents=True)
    (theme / "static").mkdir()
    (theme / "templates" / "404.html").write_text('{% extends "base.html" %}{% block main %}<h1>Lost, sorry</h1>{% endblock %}')
    (theme / "static" / "style.css").write_text("body { color: rebeccapurple; }\n")
    (theme / "static" / "extra.css").write_text("/* extra */\n")
    out = tmp_path / "out"
    build(small_config(site, theme="mine"), out=out)
    assert "Lost, sorry" in read(out, "404.html")
    assert "<h1>Papers</h1>" in read(out, "index.html")              # other templates from the default
    assert read(out, "assets/style.css") == "body { color: rebeccapurple; }\n"
    assert read(out, "assets/extra.css") == "/* extra */\n"
    assert (out / "assets/site.js").is_file()                              # other static files from the default


def test_an_unknown_theme_names_the_theme_key_of_site_toml(site, tmp_path):
    (site / "site.toml").write_text((site / "site.toml").read_text().replace('per_page = 2', 'per_page = 2\ntheme = "nope"'))
    with pytest.raises(SiteError) as caught:
        build(small_config(site), out=tmp_path / "out")
    assert caught.value.path.endswith("site.toml") and caught.value.line == 7
    assert "theme 'nope'" in caught.value.message


def test_template_syntax_errors_are_reported_with_file_and_line(site, tmp_path):
    theme = site / "themes" / "mine" / "templates"
    theme.mkdir(parents=True)
    (theme / "tags.html").write_text('{% extends "base.html" %}\n{% block main %}\n{% for x in %}\n{% endblock %}\n')
    with pytest.raises(SiteError) as caught:
        build(small_config(site, theme="mine"), out=tmp_path / "out")
    assert caught.value.path.endswith("themes/mine/templates/tags.html") and caught.value.line == 3


def test_missing_lunr_tells_how_to_install_it(site, tmp_path, monkeypatch):
    # An installed papershelf whose lunr.min.js was lost: the hint is to reinstall, not npm in a folder without package.json.
    shutil.copytree(default_theme(), site / "themes" / "default")   # the theme is found; lunr.js is not
    monkeypatch.setattr(resources, "PACKAGE", tmp_path / "site-packages" / "papershelf")
    monkeypatch.setattr(resources, "CHECKOUT", tmp_path / "site-packages")
    with pytest.raises(SiteError) as caught:
        build(small_config(site), out=tmp_path / "out")
    assert "reinstall papershelf" in str(caught.value) and "npm" not in str(caught.value)
    assert "--no-search" in str(caught.value)
    # In a source checkout without node_modules, the hint names npm ci in that checkout.
    checkout = tmp_path / "checkout"
    (checkout / "themes" / "default").mkdir(parents=True)
    (checkout / "pyproject.toml").write_text("")
    monkeypatch.setattr(resources, "CHECKOUT", checkout)
    with pytest.raises(SiteError) as caught:
        build(small_config(site), out=tmp_path / "out")
    assert f"run `npm ci` in {checkout}" in str(caught.value)
    build(small_config(site), out=tmp_path / "out", search=False)   # and the advice works


def test_cache_skips_unchanged_pages_and_a_theme_change_rerenders_all(site, tmp_path):
    out = tmp_path / "out"
    cache = BuildCache()
    first = build(small_config(site), out=out, cache=cache)
    assert first.rendered == first.pages
    again = build(small_config(site), out=out, cache=cache)
    assert again.rendered == 0
    entry = site / "content" / "diffusion-for-music.md"
    entry.write_text(entry.read_text().replace("symbolic music", "symbolic piano music"))
    edited = build(small_config(site), out=out, cache=cache)
    assert 0 < edited.rendered < edited.pages
    assert "symbolic piano music" in read(out, "papers/diffusion-for-music/index.html")
    theme = site / "themes" / "mine" / "static"
    theme.mkdir(parents=True)
    (theme / "extra.css").write_text("/* x */")
    assert build(small_config(site, theme="mine"), out=out, cache=cache).rendered == edited.pages


def test_the_closing_line_reports_pages_and_time(tmp_path, caplog, capsys):
    with caplog.at_level(logging.INFO, logger="papershelf"):
        code = main(["--config", str(SMALL / "site.toml"), "build", "--no-cache", "--out", str(tmp_path / "o")])
    assert code == 0
    # 20 pages, and the shelves index and the Read shelf (one paper is read)
    assert capsys.readouterr().err.count("Built 22 pages, 5 search documents in ") == 1


def test_cli_exit_codes_and_flags(tmp_path, capsys):
    config = str(SMALL / "site.toml")
    out = tmp_path / "o"
    assert main(["--config", config, "build", "--no-cache", "--out", str(out), "--base-url", "https://x.example/sub",
                 "--drafts", "--no-search", "-q"]) == 0
    index = read(out, "index.html")
    assert 'href="/sub/assets/style.css"' in index and "Unfinished Draft" in index
    assert not (out / "search").exists()
    assert json.loads(read(out, MANIFEST))["files"]
    assert capsys.readouterr().err == ""                                     # -q: nothing on success
    foreign = tmp_path / "foreign"
    foreign.mkdir()
    (foreign / "keep.txt").write_text("x")
    assert main(["--config", config, "build", "--no-cache", "--out", str(foreign)]) == 1
    assert "--force" in capsys.readouterr().err
    assert main(["--config", config, "build", "--no-cache", "--out", str(foreign), "--force", "-q"]) == 0
    assert main(["--config", config, "build", "--no-cache", "--out", str(out), "--base-url", "ftp://nope"]) == 1
    assert "--base-url" in capsys.readouterr().err


def test_an_output_path_the_file_system_refuses_is_a_message_naming_it_not_a_traceback(tmp_path, capsys):
    a_file = tmp_path / "notes.txt"
    a_file.write_text("not a folder")
    code = main(["--config", str(SMALL / "site.toml"), "build", "--no-cache", "--out", str(a_file / "site")])
    err = capsys.readouterr().err
    assert code == 1
    assert str(a_file) in err and "Traceback" not in err
    assert a_file.read_text() == "not a folder"
