"""Reading Hugging Face Daily Papers page text: the real seed listing, broken pages, generated listings."""

import datetime as dt
import re
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import needs
from needs import SHARED_SEED
from papershelf.config import load_config
from papershelf.errors import SiteError, SiteErrors
from papershelf.importers import read_source
from papershelf.importers.hf_text import parse
from papershelf.taxonomy import suggest_tags

ROOT = Path(__file__).resolve().parents[1]
SEED = ROOT / "sources" / "hf-daily-papers-2025-10-29.txt"


@pytest.fixture(scope="module")
def seed():
    return parse(SEED.read_text(encoding="utf-8"), SEED.name)


def by_title(parsed, title):
    matches = [r for r in parsed.records if r.title == title]
    assert len(matches) == 1, f"{title!r} found {len(matches)} times"
    return matches[0]


def test_the_shipped_source_is_the_shared_seed():
    needs.shared(SHARED_SEED, "sources/ holds the seed listing byte for byte")
    assert SEED.read_bytes() == SHARED_SEED.read_bytes()


def test_seed_has_exactly_48_papers_and_no_problems(seed):
    assert len(seed.records) == 48
    assert len({r.title for r in seed.records}) == 48
    assert seed.problems == ()


def test_seed_spot_checks(seed):
    lottery = by_title(seed, "The Lottery Ticket Hypothesis: Finding Sparse, Trainable Neural Networks")
    assert (lottery.date, lottery.authors_count, lottery.upvotes) == (dt.date(2018, 3, 9), 2, 1)
    yue = by_title(seed, "YuE: Scaling Open Foundation Models for Long-Form Music Generation")
    assert (yue.date, yue.authors_count, yue.upvotes) == (dt.date(2025, 3, 11), 57, 3)
    dale = by_title(seed, "Dale meets Langevin: A Multiplicative Denoising Diffusion Model")
    assert dale.date is None and dale.authors_count is None and dale.upvotes == 0  # none shown = 0
    assert dale.abstract.startswith("Gradient descent has proven") and dale.abstract.endswith("geometric Brownian motion.")
    reno = by_title(seed, "ReNO: Enhancing One-step Text-to-Image Models through Reward-based Noise Optimization")
    assert reno.links.code == "https://github.com/ExplainableML/ReNO"
    assert reno.links.other == ()


def test_seed_year_is_inferred_as_2025_and_said(seed):
    assert all(r.source.date == dt.date(2025, 10, 29) and r.source.format == "hf-text" for r in seed.records)
    assert seed.notes == ("inferred year 2025 for dates without a year (page date Oct 29); pass --year to override",)
    dated = {r.title.split(":")[0]: r.date for r in seed.records}
    assert dated["Two Minds Better Than One"] == dt.date(2025, 5, 15)
    assert dated["Signal and Noise"] == dt.date(2025, 8, 18)


def test_year_option_overrides_inference():
    parsed = parse(SEED.read_text(encoding="utf-8"), SEED.name, year=2026)
    yue = by_title(parsed, "YuE: Scaling Open Foundation Models for Long-Form Music Generation")
    assert yue.date == dt.date(2026, 3, 11)
    assert parsed.notes == ()


def test_non_github_urls_go_to_other_links(seed):
    music_score = by_title(seed, "MusicScore: A Dataset for Music Score Modeling and Generation")
    assert music_score.links.code == ""
    assert music_score.links.other == ("https://huggingface.co/datasets/ZheqiDAI/MusicScore",)


def test_every_seed_paper_gets_a_tag_from_the_shipped_rules(seed):
    rules = load_config(ROOT / "site.toml").tags.rules
    untagged = [r.title for r in seed.records if not suggest_tags(r.title, r.abstract, rules)]
    assert untagged == []
    assert all(re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*", tag) for tag in rules)


PAGE = """Daily Papers

byAK and the research community

Oct 29

{body}"""


def test_a_page_cut_off_mid_entry_reports_the_line_and_keeps_the_rest():
    text = SEED.read_text(encoding="utf-8")
    cut = text[: text.index("MMAR: A Challenging Benchmark") + 200]  # inside the last abstract
    parsed = parse(cut, "cut.txt")
    assert len(parsed.records) == 47
    assert [(p.path, p.line) for p in parsed.problems] == [("cut.txt", 385)]
    assert "cut off" in parsed.problems[0].message


def test_a_page_cut_off_before_the_last_date_reports_it():
    text = SEED.read_text(encoding="utf-8")
    parsed = parse(text[: text.rindex("May 19")].rstrip(), "cut.txt")
    assert len(parsed.records) == 47
    assert [p.line for p in parsed.problems] == [390]
    assert "ends without its date" in parsed.problems[0].message


def test_glued_metadata_lines_are_read():
    parsed = parse(PAGE.format(body="A Title\n\nAn abstract.\n\n  • 7 authors · Nov 14, 2022 4\n\nB Title\n\nMore.\n"), "p.txt")
    assert [(r.title, r.authors_count, r.date, r.upvotes) for r in parsed.records] == [
        ("A Title", 7, dt.date(2022, 11, 14), 4), ("B Title", None, None, 0)]


def test_title_glued_to_its_abstract_is_reported_and_skipped():
    body = ("Glued Title An abstract that lost its line break.\n  • 2 authors\n·\nMar 3, 2023\n\n"
            "Good Title\n\nGood abstract.\n\n  • 1 authors\n·\nMar 4, 2023\n")
    parsed = parse(PAGE.format(body=body), "p.txt")
    assert [r.title for r in parsed.records] == ["Good Title"]
    assert [(p.line, p.message.split(" right after")[0]) for p in parsed.problems] == [(8, "'• 2 authors'")]


def test_a_date_that_does_not_exist_is_reported():
    parsed = parse(PAGE.format(body="T\n\nAbstract.\n\n  • 2 authors\n·\nFeb 30, 2023\n\nU\n\nFine.\n"), "p.txt")
    assert [r.title for r in parsed.records] == ["U"]
    assert [(p.line, p.message) for p in parsed.problems] == [(13, "'Feb 30, 2023' is not a real date: entry skipped")]


def test_a_date_without_year_and_nothing_to_infer_from_asks_for_year():
    parsed = parse("Only Title\n\nAbstract.\n\n  • 2 authors\n·\nMar 3\n", "p.txt")
    assert parsed.records == ()
    assert "pass --year" in parsed.problems[0].message and parsed.problems[0].line == 7
    assert parse("Only Title\n\nAbstract.\n\n  • 2 authors\n·\nMar 3\n", "p.txt", year=2024).records[0].date \
        == dt.date(2024, 3, 3)


def test_a_yearless_date_after_the_page_date_is_not_guessed():
    body = "A\n\nAbstract.\n\n  • 2 authors\n·\nMar 3, 2024\n\nB\n\nAbstract.\n\n  • 2 authors\n·\nDec 1\n"
    parsed = parse(PAGE.format(body=body), "p.txt")
    assert [r.title for r in parsed.records] == ["A"]
    assert "falls after the page date (Oct 29)" in parsed.problems[0].message


def test_a_multi_paragraph_abstract_stays_one_paper():
    long_paragraph = "Second paragraph " * 30
    body = f"T\n\nFirst paragraph.\n\n{long_paragraph}\n\n  • 2 authors\n·\nMar 3, 2024\n"
    parsed = parse(PAGE.format(body=body), "p.txt")
    assert len(parsed.records) == 1
    assert parsed.records[0].abstract == f"First paragraph.\n\n{long_paragraph.strip()}"


def test_github_links_lose_trailing_punctuation_and_keep_their_folder():
    abstract = ("Code at https://github.com/Owner/Repo/tree/main/src), see also (https://github.com/a/b). "
                "Project: https://owner.github.io/proj/. Data: https://example.org/data.")
    record = parse(PAGE.format(body=f"T\n\n{abstract}\n"), "p.txt").records[0]
    assert record.links.code == "https://github.com/Owner/Repo/tree/main/src"   # a folder of the repository
    assert record.links.project == "https://owner.github.io/proj/"
    assert record.links.other == ("https://github.com/a/b", "https://example.org/data")


# --- generated listings -----------------------------------------------------------------------

MONTH_NAMES = "Jan Feb Mar Apr May Jun Jul Aug Sep Oct Nov Dec".split()
word = st.text(alphabet="abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789éüß-:?'\"(),&~$\\",
               min_size=1, max_size=12)
title = st.lists(word, min_size=1, max_size=12).map(" ".join).map(lambda t: "Paper " + t)
abstract = st.lists(word, min_size=1, max_size=60).map(lambda ws: " ".join(ws) + ".")
entry = st.fixed_dictionaries({
    "title": title,
    "abstract": abstract,
    "meta": st.one_of(st.none(), st.fixed_dictionaries({
        "authors": st.integers(1, 400),
        "date": st.dates(dt.date(1990, 1, 1), dt.date(2024, 10, 29)),
        "with_year": st.booleans(),
        "upvotes": st.one_of(st.none(), st.integers(0, 5000)),
    })),
})


def render_listing(entries, page_year):
    parts = ["new", "Get trending papers in your email inbox!", "Subscribe", "Daily Papers",
             "byAK and the research community", "Oct 29"]
    for e in entries:
        parts += [e["title"], e["abstract"]]
        m = e["meta"]
        if m:
            when = m["date"] if m["with_year"] else m["date"].replace(year=page_year)
            m["expected"] = when
            text = f"{MONTH_NAMES[when.month - 1]} {when.day}" + (f", {when.year}" if m["with_year"] else "")
            if m["upvotes"] is not None:
                text += f" {m['upvotes']}"
            parts.append(f"  • {m['authors']} authors\n·\n{text}")
    return "\n\n".join(parts)


@settings(max_examples=150, deadline=None)
@given(st.lists(entry, min_size=1, max_size=8), st.integers(2000, 2030))
def test_generated_listings_round_trip_field_for_field(entries, page_year):
    for e in entries:  # a year-less Feb 29 only exists in leap years; print those with their year
        if e["meta"] and e["meta"]["date"].month == 2 and e["meta"]["date"].day == 29:
            e["meta"]["with_year"] = True
    text = render_listing(entries, page_year)
    parsed = parse(text, "gen.txt", year=page_year)
    assert parsed.problems == ()
    got = [(r.title, r.abstract, r.authors_count, r.date, r.upvotes) for r in parsed.records]
    want = [(e["title"], e["abstract"], e["meta"]["authors"] if e["meta"] else None,
             e["meta"]["expected"] if e["meta"] else None, (e["meta"]["upvotes"] if e["meta"] else None) or 0)
            for e in entries]
    assert got == want


@settings(max_examples=300, deadline=None)
@given(st.text())
def test_arbitrary_text_gives_records_and_problems_never_a_traceback(text):
    parsed = parse(text, "any.txt")
    for problem in parsed.problems:
        assert problem.path == "any.txt" and (problem.line is None or problem.line >= 1)
    for record in parsed.records:
        assert record.title.strip()


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.binary(max_size=300) | st.text(max_size=300).map(lambda s: s.encode("utf-8")))
def test_arbitrary_files_are_read_or_rejected_with_a_site_error(data):
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "listing"
        path.write_bytes(data)
        try:
            read_source(path)
        except (SiteError, SiteErrors) as exc:
            assert str(exc)
