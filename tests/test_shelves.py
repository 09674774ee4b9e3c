"""The reading workflow on the site: read_on (checked, kept by import), shelf pages with counts in the
navigation only when they have papers, the recently-read Atom feed, and private notes that reach no file of
the built site but are shown, marked private, by the preview.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from datetime import date, timedelta
from pathlib import Path

import feedparser

from papershelf.build import build
from papershelf.cli import main
from papershelf.config import config_from_dict, load_config
from papershelf.content import load_content, parse_paper
from papershelf.feeds import Feeds
from papershelf.model import Paper

import feed_reference
from site_helpers import REPO, crawl, fetch, serve, shipped_site
from test_emit import LOTTERY, SEED, edit, run as run_import
from test_serve import ServeProcess

# Distinctive private texts: one word (as search would index it), one with markup, one after a later Notes heading.
SECRET = "Xylophonequark"
SECRET_PHRASE = "my unshared verdict *zanzibar-omelette*"
SECRET_AFTER = "Marmalade-stratosphere-4411"
SITE_TOML = 'title = "Shelf test"\nbase_url = "https://example.github.io/reading-list/"\nper_page = 4\n'


def entry(title: str, *, status: str = "", read_on: str = "", body: str = "An abstract.", day: int = 1) -> str:
    meta = f"title: '{title}'\ndate: 2024-02-{day:02d}\nauthors: [Ada Lovelace]\ntags: [shelved]\n"
    meta += f"status: {status}\n" if status else ""
    meta += f"read_on: {read_on}\n" if read_on else ""
    return f"---\n{meta}---\n{body}\n"


EXTRA = {
    "read-early.md": entry("Read Early", status="read", read_on="2024-03-01", day=20),
    "read-late.md": entry("Read Late", status="read", read_on="2024-05-09", day=2,
                          body=f"Abstract.\n\n## Notes\n\nPublic note.\n\n## Private\n\n{SECRET} {SECRET_PHRASE}\n\n"
                               f"## Notes\n\n{SECRET_AFTER}\n"),
    "read-undated.md": entry("Read Without A Date", status="read", day=25,
                             body=f"Abstract.\n\n### Private notes\n\n{SECRET} again.\n"),
    "reading-now.md": entry("Reading Now", status="reading", day=3,
                            body=f"Abstract.\n\nPrivate\n-------\n\n{SECRET_AFTER}\n"),
    "to-read-next.md": entry("To Read Next", status="to-read", day=4),
}


# -- read_on -----------------------------------------------------------------------------------------

def test_read_on_is_checked_with_file_line_and_a_message(tmp_path, capsys):
    content = tmp_path / "content"
    content.mkdir()
    (tmp_path / "site.toml").write_text(SITE_TOML, encoding="utf-8")
    (content / "bad.md").write_text("---\ntitle: Bad\nstatus: read\nread_on: 2024-02-30\n---\n", encoding="utf-8")
    assert main(["--config", str(tmp_path / "site.toml"), "check", "--content", str(content)]) == 1
    err = capsys.readouterr().out   # check reports on standard output
    assert "content/bad.md:4: 'read_on' must be a date written YYYY-MM-DD, not '2024-02-30'" in err
    assert "Traceback" not in err

    future = (date.today() + timedelta(days=30)).isoformat()
    (content / "bad.md").write_text(f"---\ntitle: Bad\nstatus: reading\nread_on: {future}\n---\n", encoding="utf-8")
    assert main(["--config", str(tmp_path / "site.toml"), "check", "--content", str(content)]) == 0
    err = capsys.readouterr().out
    assert f"content/bad.md:4: warning: 'read_on' {future} is in the future" in err
    assert "content/bad.md:4: warning: 'read_on' is set but 'status' is 'reading', not 'read'" in err


def test_read_on_is_read_as_a_date_and_optional():
    paper, problems = parse_paper(entry("X", status="read", read_on="2024-05-09"), "content/x.md", "x")
    assert paper.read_on == date(2024, 5, 9) and problems == []
    assert parse_paper(entry("X"), "content/x.md", "x")[0].read_on is None


def test_import_never_invents_nor_drops_read_on_or_private_notes(tmp_path):
    assert run_import(tmp_path, SEED) == 0
    content = tmp_path / "content"
    assert all(p.read_on is None and not p.private for p in load_content(content)[0])   # none invented
    lottery = content / LOTTERY
    edit(lottery, "tags:\n", "status: read\nread_on: 2024-05-09\ntags:\n")
    lottery.write_text(lottery.read_text(encoding="utf-8") + f"\n## Private\n\n{SECRET}\n", encoding="utf-8")
    updated = tmp_path / "updated.txt"   # the source changes a field the importer follows (upvotes)
    updated.write_text(SEED.read_text(encoding="utf-8").replace("Mar 9, 2018 1", "Mar 9, 2018 5"), encoding="utf-8")
    assert run_import(tmp_path, updated) == 0
    text = lottery.read_text(encoding="utf-8")
    assert "upvotes: 5" in text and "read_on: 2024-05-09\n" in text and text.endswith(f"## Private\n\n{SECRET}\n")
    papers = {p.slug: p for p in load_content(content)[0]}
    assert papers[LOTTERY[:-3]].read_on == date(2024, 5, 9) and papers[LOTTERY[:-3]].private == SECRET
    assert [p.slug for p in papers.values() if p.read_on] == [LOTTERY[:-3]]


# -- shelves -----------------------------------------------------------------------------------------

def built_site(root: Path, extra=EXTRA) -> Path:
    shipped_site(root, SITE_TOML, extra)
    out = root / "site"
    build(load_config(root / "site.toml"), out=out, workers=1)
    return out


def test_shelves_list_their_papers_with_counts_and_the_nav_links_them_only_when_one_has_papers(tmp_path):
    out = built_site(tmp_path / "with")
    index = (out / "index.html").read_text(encoding="utf-8")
    assert '<a href="/reading-list/shelves/">Shelves</a>' in index
    shelves = (out / "shelves" / "index.html").read_text(encoding="utf-8")
    for status, label, count in (("to-read", "To read", 1), ("reading", "Reading", 1), ("read", "Read", 3)):
        assert f'<a href="/reading-list/shelves/{status}/">{label}</a> <span class="count">{count} paper' in shelves
        page = (out / "shelves" / status / "index.html").read_text(encoding="utf-8")
        assert f"<h1>{label}</h1>" in page and f'<p class="count">{count} paper' in page
        assert page.count('class="Z3988"') == count   # COinS, as on the other list pages
    read = (out / "shelves" / "read" / "index.html").read_text(encoding="utf-8")
    titles = re.findall(r'class="paper-title"><a href="[^"]+">([^<]+)</a>', read)
    assert titles == ["Read Late", "Read Early", "Read Without A Date"]   # most recently read first
    assert '<time datetime="2024-05-09">9 May 2024</time>' in read

    empty = built_site(tmp_path / "without", extra={})   # the shipped entries have no status
    assert "shelves/" not in (empty / "index.html").read_text(encoding="utf-8")
    assert not (empty / "shelves").exists()


def test_rating_stars_have_a_text_equivalent(tmp_path):
    out = built_site(tmp_path / "s", extra={"rated.md": entry("Rated", status="read").replace(
        "status: read\n", "status: read\nrating: 4\n")})
    page = (out / "papers" / "rated" / "index.html").read_text(encoding="utf-8")
    assert '<span aria-hidden="true">★★★★☆</span><span class="visually-hidden">rated 4 of 5</span>' in page


def test_shelf_pages_work_under_the_subpath_with_no_broken_link(tmp_path):
    out = built_site(tmp_path / "s")
    with serve(out, "/reading-list/") as url:
        visited, broken, _ = crawl(url + "shelves/")
        for path in ("shelves/read/feed.xml", "cite/0.json", "assets/cite.js"):   # its feed, what its citations join
            assert fetch(url + path)[0] == 200
    assert broken == []
    for path in ("shelves/read/", "shelves/reading/", "shelves/to-read/"):
        assert url + path in visited


def read_paper(slug: str, read_on: date | None, day: int) -> Paper:
    return Paper(slug=slug, path=f"content/{slug}.md", title=slug.title(), date=date(2024, 1, day),
                 authors=("Ada Lovelace",), tags=("llm",), status="read", read_on=read_on, abstract="An *abstract*.")


def test_recently_read_feed_is_valid_atom_ordered_by_read_on(tmp_path):
    out = built_site(tmp_path / "s")
    xml = (out / "shelves" / "read" / "feed.xml").read_text(encoding="utf-8")
    ET.fromstring(xml.encode("utf-8"))
    parsed = feedparser.parse(xml)
    assert not parsed.bozo and parsed.version == "atom10"
    assert parsed.feed.title == "Shelf test: recently read"
    assert parsed.feed.link == "https://example.github.io/reading-list/shelves/read/"
    assert [e.title for e in parsed.entries] == ["Read Late", "Read Early", "Read Without A Date"]
    assert [e.updated[:10] for e in parsed.entries] == ["2024-05-09", "2024-03-01", "2024-02-25"]
    assert parsed.feed.updated[:10] == "2024-05-09"
    assert SECRET not in xml and SECRET_AFTER not in xml


def test_recently_read_feed_is_the_reference_atom_when_read_on_is_the_papers_date():
    """Same bytes as the ElementTree reference implementation (tests/feed_reference.py) for papers read on
    their own date: the reading feed differs from a paper feed only in each entry's updated timestamp."""
    cfg = config_from_dict({"base_url": "https://user.github.io/repo/", "title": "Shelf"})
    papers = [read_paper(f"p{day}", date(2024, 1, day), day) for day in (9, 5, 2)]
    where = {"feed_path": "shelves/read/feed.xml", "page_path": "shelves/read/", "title": "Shelf: recently read"}
    assert Feeds(cfg).reading_feed(papers, **where) == feed_reference.atom_feed(papers, cfg, **where)


# -- private notes -----------------------------------------------------------------------------------

def test_no_byte_of_private_notes_reaches_any_file_of_the_site(tmp_path):
    out = built_site(tmp_path / "s")
    files = [p for p in out.rglob("*") if p.is_file()]
    assert len(files) > 200   # pages, feeds, citation files and records, search, browse data
    needles = [SECRET, SECRET_AFTER, "zanzibar-omelette", "unshared verdict"]
    for file in files:
        data = file.read_bytes()
        lowered = data.lower()
        for needle in needles:
            assert needle.lower().encode() not in lowered, (file, needle)
    vocabulary = (out / "search" / "vocabulary.json").read_text(encoding="utf-8").lower()
    for word in ("xylophonequark", "xylophonequ", "zanzibar", "omelett", "marmalad", "stratospher", "unshar"):
        assert word not in vocabulary
    page = (out / "papers" / "read-late" / "index.html").read_text(encoding="utf-8")
    assert "Public note." in page and "Private notes" not in page


def test_the_preview_shows_private_notes_marked_private(tmp_path):
    root = shipped_site(tmp_path / "s", SITE_TOML, EXTRA)
    preview = ServeProcess(root)
    try:
        status, page = preview.get("papers/read-late/")
        assert status == 200
        section = page[page.index('<section class="private-notes"'):]
        section = section[:section.index("</section>")]
        assert "<h2 id=\"private-h\">Private notes</h2>" in section and "<strong>Private:</strong>" in section
        assert SECRET in section and "<em>zanzibar-omelette</em>" in section and SECRET_AFTER in section
        assert SECRET not in preview.get("papers.json")[1] and SECRET not in preview.get("feed.xml")[1]
        cite = page[page.index('<section class="cite"'):]
        assert SECRET not in cite[:cite.index("</section>")]   # its BibTeX, RIS and CSL-JSON
        assert SECRET not in preview.get("papers/read-late/read-late.bib")[1]
        status, page = preview.get("papers/reading-now/")
        assert SECRET_AFTER in page and "Private notes" in page   # an underlined "Private" heading too
    finally:
        preview.stop()
    assert not (root / "site").exists()   # the preview never writes into site/


def test_the_starter_entry_documents_private_notes_and_read_on():
    starter = (REPO / "generator" / "starter" / "example.md").read_text(encoding="utf-8")
    paper, problems = parse_paper(starter, "content/example.md", "example")
    assert problems == [] and paper.read_on is not None and paper.private
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    assert "## Private" in readme and "read_on" in readme
    assert paper.private not in (paper.abstract + paper.notes)
