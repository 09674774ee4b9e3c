"""Metadata that reference managers and scholarly search engines read from a paper's page.

Three vocabularies, each as plain data for the theme to print (escaping stays the template's job):

- Highwire Press ``citation_*`` meta tags: what Google Scholar and Zotero's page translator read;
- schema.org ``ScholarlyArticle`` as JSON-LD: what general search engines and extruct-like tools read;
- COinS (an OpenURL ContextObject in a span's title): what Zotero's browser button reads on a list page.

Nothing here reads or writes files.
"""

from __future__ import annotations

from datetime import date
from urllib.parse import quote, urlencode

from .content import ARXIV_ID
from .model import Paper

ARXIV_ABS = "https://arxiv.org/abs/"
ARXIV_PDF = "https://arxiv.org/pdf/"
HF_PAPER = "https://huggingface.co/papers/"
DOI_URL = "https://doi.org/"
# Where a reader can look for a paper the entry has no link for, by its title.
FINDERS = (("arXiv", "https://arxiv.org/search/?searchtype=title&query="),
           ("Google Scholar", "https://scholar.google.com/scholar?q="),
           ("Hugging Face", "https://huggingface.co/papers?q="))
STATUS_LABELS = {"to-read": "To read", "reading": "Reading", "read": "Read"}
# papershelf's `type` (importers.record.TYPES) -> the OpenURL genre and the Highwire venue tag it implies.
CONFERENCE_TYPES = {"inproceedings", "conference", "proceedings", "paper-conference"}


def _slashed(when: date) -> str:
    return when.strftime("%Y/%m/%d")


def paper_links(paper: Paper) -> list[tuple[str, str]]:
    """``(label, url)`` of the paper's own links: the entry's, completed from its arXiv id and DOI."""
    links = paper.links
    arxiv_id = paper.arxiv_id if ARXIV_ID.match(paper.arxiv_id) else ""
    arxiv = links.arxiv or (ARXIV_ABS + arxiv_id if arxiv_id else "")
    pdf = links.pdf or (ARXIV_PDF + arxiv_id if arxiv_id else "")
    found = [("arXiv", arxiv), ("PDF", pdf), ("Hugging Face", HF_PAPER + arxiv_id if arxiv_id else ""),
             (f"DOI {paper.doi}", DOI_URL + quote(paper.doi, safe="/") if paper.doi else ""), ("Code", links.code), ("Project page", links.project)]
    return [(label, url) for label, url in found if url]


def finder_links(paper: Paper) -> list[tuple[str, str]]:
    """``(service, search url)`` for the paper's title: for entries with no link of their own."""
    query = quote(f'"{paper.title}"', safe="")
    return [(name, base + query) for name, base in FINDERS]


def status_label(status: str) -> str:
    return STATUS_LABELS.get(status, status)


def highwire_tags(paper: Paper, page_url: str) -> list[tuple[str, str]]:
    """``(name, content)`` pairs of the Highwire Press tags, in the order Google Scholar documents them."""
    tags = [("citation_title", paper.title)]
    tags += [("citation_author", name) for name in paper.authors]
    if paper.date:
        tags.append(("citation_publication_date", _slashed(paper.date)))
    elif paper.year:
        tags.append(("citation_publication_date", str(paper.year)))
    if paper.venue:
        venue = "citation_conference_title" if paper.type in CONFERENCE_TYPES else "citation_journal_title"
        tags.append((venue, paper.venue))
    if paper.doi:
        tags.append(("citation_doi", paper.doi))
    if ARXIV_ID.match(paper.arxiv_id):
        tags.append(("citation_arxiv_id", paper.arxiv_id))
    if paper.links.pdf:
        tags.append(("citation_pdf_url", paper.links.pdf))
    tags.append(("citation_abstract_html_url", page_url))
    tags += [("citation_keywords", tag) for tag in paper.tags]
    return tags


def json_ld(paper: Paper, page_url: str, description: str) -> dict:
    """schema.org ScholarlyArticle for one paper (json-serialisable)."""
    data: dict = {
        "@context": "https://schema.org",
        "@type": "ScholarlyArticle",
        "headline": paper.title[:110],   # schema.org/Google: a headline of at most 110 characters
        "name": paper.title,
        "url": page_url,
        "mainEntityOfPage": page_url,
    }
    if paper.authors:
        data["author"] = [{"@type": "Person", "name": name} for name in paper.authors]
    if paper.date:
        data["datePublished"] = paper.date.isoformat()
    elif paper.year:
        data["datePublished"] = str(paper.year)
    if description:
        data["abstract"] = description
    if paper.tags:
        data["keywords"] = list(paper.tags)
    if paper.venue:
        data["isPartOf"] = {"@type": "Periodical", "name": paper.venue}
    same = [url for url in (ARXIV_ABS + paper.arxiv_id if paper.arxiv_id else "",
                            DOI_URL + paper.doi if paper.doi else "") if url]
    if same:
        data["sameAs"] = same
    identifiers = [f"arXiv:{paper.arxiv_id}"] if paper.arxiv_id else []
    identifiers += [f"doi:{paper.doi}"] if paper.doi else []
    if identifiers:
        data["identifier"] = identifiers
    return data


def coins(paper: Paper, page_url: str) -> str:
    """The KEV ContextObject (Z39.88-2004) of one paper, for ``<span class="Z3988" title="...">``."""
    genre = "proceeding" if paper.type in CONFERENCE_TYPES else ("preprint" if not paper.venue else "article")
    pairs = [("ctx_ver", "Z39.88-2004"), ("rft_val_fmt", "info:ofi/fmt:kev:mtx:journal"),
             ("rfr_id", "info:sid/papershelf"), ("rft.genre", genre), ("rft.atitle", paper.title)]
    if paper.venue:
        pairs.append(("rft.jtitle", paper.venue))
    pairs += [("rft.au", name) for name in paper.authors]
    if paper.date:
        pairs.append(("rft.date", paper.date.isoformat()))
    elif paper.year:
        pairs.append(("rft.date", str(paper.year)))
    if paper.doi:
        pairs.append(("rft_id", f"info:doi/{paper.doi}"))
    if paper.arxiv_id:
        pairs.append(("rft_id", f"info:arxiv/{paper.arxiv_id}"))
    pairs.append(("rft_id", page_url))
    return urlencode(pairs)
