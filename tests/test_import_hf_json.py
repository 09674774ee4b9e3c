"""Importing Hugging Face daily papers API JSON: the real 2024 data, links, unwrapping, one entry per paper."""

import json
from pathlib import Path

import pytest

import needs
from papershelf.cli import main
from papershelf.content import load_content
from papershelf.errors import SiteError
from papershelf.importers import read_source
from papershelf.importers.hf_json import parse

ROOT = Path(__file__).resolve().parents[1]
API = needs.HF_DATA
SEED = ROOT / "sources" / "hf-daily-papers-2025-10-29.txt"


def item(**paper):
    base = {"id": "2405.15738", "title": "ConvLLaVA: Hierarchical Backbones as Visual Encoder for Large Multimodal\n  Models",
            "summary": "High-resolution Large Multimodal Models\n  (LMMs) encounter challenges.\n\nSecond paragraph.",
            "authors": [{"name": "Chunjiang Ge", "hidden": False}, {"name": "Sijie  Cheng", "hidden": True}],
            "publishedAt": "2024-05-24T17:34:15.000Z", "upvotes": 32}
    base.update(paper)
    return {"paper": base, "publishedAt": "2024-05-27T03:50:58.348Z", "title": "ConvLLaVA"}


def test_an_api_item_becomes_a_record_with_links_and_unwrapped_text():
    record, = parse(json.dumps([item()], indent=2), "2024-05-27.json").records
    assert record.title == "ConvLLaVA: Hierarchical Backbones as Visual Encoder for Large Multimodal Models"
    assert record.abstract == "High-resolution Large Multimodal Models (LMMs) encounter challenges.\n\nSecond paragraph."
    assert record.authors == ("Chunjiang Ge", "Sijie Cheng") and record.authors_count == 2
    assert str(record.date) == "2024-05-24" and record.upvotes == 32 and record.arxiv_id == "2405.15738"
    assert record.links.arxiv == "https://arxiv.org/abs/2405.15738"
    assert record.links.pdf == "https://arxiv.org/pdf/2405.15738"
    assert (record.source.name, str(record.source.date), record.source.format) == ("2024-05-27.json", "2024-05-27", "hf-json")


def test_newer_api_fields_give_code_and_project_links():
    record, = parse(json.dumps([item(githubRepo="https://github.com/o/r.git", projectPage="https://o.github.io/r")]),
                    "x.json").records
    assert (record.links.code, record.links.project) == ("https://github.com/o/r", "https://o.github.io/r")


def test_items_that_cannot_be_read_are_reported_at_their_line():
    text = json.dumps([item(), {"nothing": 1}, {"paper": {"id": "2405.00001", "title": " "}}], indent=1)
    parsed = parse(text, "x.json")
    assert len(parsed.records) == 1
    lines = text.splitlines()
    assert [lines[p.line - 1].strip() for p in parsed.problems] == ["{", "{"]
    assert [p.line for p in parsed.problems] == sorted(p.line for p in parsed.problems) and parsed.problems[0].line > 2


def test_invalid_json_is_a_site_error_with_its_line(tmp_path):
    path = tmp_path / "day.json"
    path.write_text('[\n  {"paper": {"id": "1"}},\n  {"paper": \n]\n', encoding="utf-8")
    with pytest.raises(SiteError) as info:
        read_source(path)
    assert info.value.line == 4 and "invalid JSON" in info.value.message


def test_format_is_recognised_by_content_not_name(tmp_path):
    json_named_txt = tmp_path / "listing.txt"
    json_named_txt.write_text(json.dumps([item()]), encoding="utf-8")
    assert read_source(json_named_txt).records[0].arxiv_id == "2405.15738"
    text_named_json = tmp_path / "listing.json"
    text_named_json.write_bytes(SEED.read_bytes())
    assert len(read_source(text_named_json).records) == 48
    other_json = tmp_path / "other.json"
    other_json.write_text('{"title": "not a listing"}', encoding="utf-8")
    with pytest.raises(SiteError, match="not a Hugging Face daily papers list"):
        read_source(other_json)


def test_the_same_paper_in_page_text_and_json_becomes_one_entry(tmp_path):
    lottery = item(id="1803.03635", title="The Lottery Ticket Hypothesis: Finding\n  Sparse, Trainable Neural Networks",
                   summary="Short.", upvotes=7, githubRepo="https://github.com/o/lottery")
    api = tmp_path / "api.json"
    api.write_text(json.dumps([lottery, lottery]), encoding="utf-8")
    content = tmp_path / "content"
    assert main(["--config", str(tmp_path / "site.toml"), "import", "--content", str(content), str(SEED), str(api)]) == 0
    papers, problems = load_content(content)
    assert problems == [] and len(papers) == 48
    paper, = [p for p in papers if p.title.startswith("The Lottery Ticket")]
    assert paper.arxiv_id == "1803.03635" and paper.upvotes == 7 and paper.links.code == "https://github.com/o/lottery"
    assert paper.abstract.startswith("Neural network pruning")  # the longer abstract wins
    assert paper.authors_count == 2 and paper.authors == ("Chunjiang Ge", "Sijie Cheng")


@pytest.mark.slow
def test_every_real_api_file_imports_with_no_paper_lost_or_duplicated(tmp_path):
    files = sorted(needs.shared(API, "all 1,984 real API papers import, none lost or duplicated").glob("*.json"))
    assert len(files) > 100
    ids = {entry["paper"]["id"] for f in files for entry in json.loads(f.read_text(encoding="utf-8"))}
    content = tmp_path / "content"
    assert main(["--config", str(tmp_path / "site.toml"), "-q", "import", "--strict", "--content", str(content),
                 *map(str, files)]) == 0
    papers, problems = load_content(content)
    assert [p for p in problems if p.is_error] == []
    assert len(papers) == len(list(content.glob("*.md"))) == len(ids)
    assert {p.arxiv_id for p in papers} == ids
    assert all("\n" not in p.title for p in papers)
