"""`papershelf new`: a new entry with its front matter filled in, that `check` accepts, never overwriting."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from papershelf.cli import main
from papershelf.content import load_content

EXISTING = """---
title: Scaling Laws for Sparse Models
date: 2024-01-02
tags: [llm, sparsity]
arxiv_id: '2401.00001'
---
An abstract.
"""


@pytest.fixture
def site(tmp_path) -> Path:
    (tmp_path / "content").mkdir()
    (tmp_path / "site.toml").write_text('base_url = "https://example.org/shelf/"\n'
                                        '[tags.aliases]\nllm = ["large-language-models"]\n', encoding="utf-8")
    (tmp_path / "content" / "scaling-laws-for-sparse-models.md").write_text(EXISTING, encoding="utf-8")
    return tmp_path


def papershelf(site: Path, *args: str) -> int:
    return main(["--config", str(site / "site.toml"), *args])


def test_new_writes_an_entry_that_check_accepts_and_prints_its_path(site, capsys):
    code = papershelf(site, "new", "Diffusion Models Beat GANs on Image Synthesis", "--tags", "diffusion, vision",
                      "--arxiv", "2105.05233", "--url", "https://github.com/openai/guided-diffusion",
                      "--date", "2021-05-11")
    assert code == 0
    printed = capsys.readouterr().out.strip()
    assert printed == "content/diffusion-models-beat-gans-on-image-synthesis.md"
    papers, problems = load_content(site / "content", site)
    paper = next(p for p in papers if p.path == printed)
    assert paper.title == "Diffusion Models Beat GANs on Image Synthesis"
    assert paper.date == dt.date(2021, 5, 11)
    assert paper.tags == ("diffusion", "vision")
    assert paper.arxiv_id == "2105.05233"
    assert paper.links.arxiv == "https://arxiv.org/abs/2105.05233"
    assert paper.links.code == "https://github.com/openai/guided-diffusion"
    assert paper.abstract and paper.notes   # a placeholder body with both parts, ready to fill in
    assert [p for p in problems if p.path == printed] == []
    assert papershelf(site, "check") == 0
    assert "0 errors" in capsys.readouterr().out


def test_new_refuses_to_overwrite_an_existing_entry(site, capsys):
    target = site / "content" / "scaling-laws-for-sparse-models.md"
    before = target.read_bytes()
    # Same slug (punctuation and case differ), different arXiv id: still refused.
    assert papershelf(site, "new", "Scaling laws for SPARSE models!", "--arxiv", "2402.99999") == 1
    err = capsys.readouterr().err
    assert "content/scaling-laws-for-sparse-models.md: already exists" in err
    assert target.read_bytes() == before
    assert sorted(p.name for p in (site / "content").iterdir()) == ["scaling-laws-for-sparse-models.md"]


def test_new_refuses_the_same_paper_under_another_title(site, capsys):
    assert papershelf(site, "new", "A Renamed Copy", "--arxiv", "2401.00001") == 1
    assert "content/scaling-laws-for-sparse-models.md: this paper is already here" in capsys.readouterr().err
    assert not (site / "content" / "a-renamed-copy.md").exists()


@pytest.mark.parametrize("option, value, message", [
    ("--date", "2024-13-40", "--date: '2024-13-40' is not a date written YYYY-MM-DD"),
    ("--arxiv", "not-an-id", "--arxiv: 'not-an-id' is not an arXiv id"),
    ("--url", "javascript:alert(1)", "--url: 'javascript:alert(1)' is not an http(s) URL"),
])
def test_new_rejects_bad_options_and_writes_nothing(site, capsys, option, value, message):
    assert papershelf(site, "new", "Some Paper", option, value) == 1
    assert message in capsys.readouterr().err
    assert not (site / "content" / "some-paper.md").exists()


def test_new_writes_tags_the_way_the_site_already_does(site, capsys):
    assert papershelf(site, "new", "A Paper About Language", "--tags", "LLM, Sparsity, large-language-models, new") == 0
    captured = capsys.readouterr()
    papers, _ = load_content(site / "content", site)
    paper = next(p for p in papers if p.slug == "a-paper-about-language")
    assert paper.tags == ("llm", "sparsity", "new")
    assert "tag 'LLM' written 'llm'" in captured.err
    assert papershelf(site, "check") == 0


def test_new_without_a_date_leaves_the_date_empty_not_today(site, capsys):
    # `new --arxiv 2006.11239` once dated a 2020 paper today, and its BibTeX said the current year.
    assert papershelf(site, "new", "Denoising Diffusion Probabilistic Models", "--arxiv", "2006.11239") == 0
    assert "add `date: YYYY-MM-DD`" in capsys.readouterr().err
    papers, problems = load_content(site / "content", site)
    paper = next(p for p in papers if p.slug == "denoising-diffusion-probabilistic-models")
    assert paper.date is None
    assert "date:" not in (site / "content" / "denoising-diffusion-probabilistic-models.md").read_text()
    assert [p for p in problems if p.is_error] == []


def test_a_new_entry_is_a_draft_until_published_so_its_placeholder_never_reaches_the_site(site, tmp_path, capsys):
    assert papershelf(site, "new", "Placeholder Paper", "--date", "2024-02-03") == 0
    assert "draft" in capsys.readouterr().err
    entry = site / "content" / "placeholder-paper.md"
    out = tmp_path / "out"
    assert papershelf(site, "build", "--no-search", "--out", str(out)) == 0
    assert not (out / "papers" / "placeholder-paper").exists()
    assert "Replace this paragraph" not in (out / "papers.json").read_text()
    # The preview shows drafts, so the curator sees it while writing.
    assert papershelf(site, "build", "--no-search", "--drafts", "--out", str(out)) == 0
    assert (out / "papers" / "placeholder-paper" / "index.html").is_file()
    # Written and published by the curator: on the site.
    text = entry.read_text().replace("draft: true\n", "").replace("Replace this paragraph with the paper's abstract "
                                                                  "(markdown).", "A real abstract.")
    entry.write_text(text)
    assert papershelf(site, "build", "--no-search", "--out", str(out)) == 0
    assert "A real abstract." in (out / "papers" / "placeholder-paper" / "index.html").read_text()
