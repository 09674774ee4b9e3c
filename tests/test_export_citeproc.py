"""CSL-JSON exports are rendered by a real CSL processor (citeproc-py, with the style it bundles): every
exported paper, hand-made or from the real files, becomes a bibliography entry that shows its title."""

from __future__ import annotations

import json
import re
import unicodedata
import warnings
from pathlib import Path

import pytest
from citeproc import Citation, CitationItem, CitationStylesBibliography, CitationStylesStyle, formatter
from citeproc.source.json import CiteProcJSON

import needs
from papershelf.cli import main
from papershelf.content import load_content
from test_export import ENTRIES, export, make

STYLE = "harvard-cite-them-right"   # the style citeproc-py ships in citeproc/data/styles


def render(items: list[dict]) -> tuple[list[str], list[str]]:
    """(each item's bibliography entry as plain text, in item order; citeproc's warnings)."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        style = CitationStylesStyle(STYLE, validate=False)
        bibliography = CitationStylesBibliography(style, CiteProcJSON(items), formatter.plain)
        for item in items:
            bibliography.register(Citation([CitationItem(item["id"])]))
        entries = [str(entry) for entry in bibliography.bibliography()]
    return entries, [str(w.message) for w in caught]


def words(text: str) -> str:
    """Text compared without case, punctuation or quotes (the style sets titles in quotes, may change case)."""
    return " ".join(re.sub(r"[\W_]+", " ", unicodedata.normalize("NFKC", text).casefold()).split())


def assert_rendered(items: list[dict], extras: dict[str, set[str]]) -> list[str]:
    entries, caught = render(items)
    assert len(entries) == len(items)
    rendered = [words(e) for e in entries]
    for item in items:
        title = words(item["title"])
        assert title and any(title in entry for entry in rendered), item["id"]
    # citeproc names each variable it does not know: only fields the source itself had (kept under
    # extra.csl and written back) may be among them, never one papershelf writes of its own.
    for message in caught:
        unknown = re.match(r"The following arguments for Reference are unsupported: (.*)", message)
        assert unknown, message
        names = {n.strip().replace("_", "-") for n in unknown.group(1).split(",")}   # citeproc writes - as _
        assert any(names <= known for known in extras.values()), names
    return entries


def csl_extras(content: Path) -> dict[str, set[str]]:
    return {p.slug: {k.replace("_", "-") for k in p.extra.get("csl", {})} for p in load_content(content)[0]}


def test_hand_made_entries_render_with_their_titles_authors_and_years(tmp_path):
    content = make(tmp_path, ENTRIES)
    items = json.loads(export(content, "csl-json"))
    entries = assert_rendered(items, csl_extras(content))
    gan = next(e for e in entries if "Generative Adversarial Nets" in e)
    assert "Goodfellow, I.J." in gan and "(2014)" in gan and "Advances in Neural Information Processing Systems 27" in gan
    assert "$\\alpha$" in gan and "https://doi.org/10.5555/2969033.2969125" in gan   # the title's math as TeX
    jmlr = next(e for e in entries if "Year-Only" in e)
    assert "(2020)" in jmlr and "Journal of Machine Learning Research" in jmlr


@pytest.mark.slow
def test_every_real_paper_renders_a_bibliography_entry_with_its_title(tmp_path):
    data = needs.shared(needs.SHARED / "data" / "importers", "every exported real paper renders in a CSL processor")
    content = tmp_path / "content"
    for source in sorted(data.glob("*/*")):
        main(["-q", "import", "--content", str(content), str(source)])
    items = json.loads(export(content, "csl-json"))
    assert len(items) == 673
    entries = assert_rendered(items, csl_extras(content))
    # A date papershelf writes (numbers; Zotero's torture tests keep BC and season dates as the strings they
    # came as, written back from extra.csl) shows its year in the entry.
    dated = [(item, entry) for item, entry in zip(items, entries)
             if isinstance(item.get("issued", {}).get("date-parts", [[""]])[0][0], int)]
    assert len(dated) > 600
    for item, entry in dated:
        assert f"({item['issued']['date-parts'][0][0]}" in entry, item["id"]
