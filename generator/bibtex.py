"""Papers -> BibTeX text. Pure: returns strings, writes nothing.

Every value is written brace-delimited and every character that means something
to BibTeX or LaTeX is replaced by a command, so no title, name or abstract can
end a field or an entry early: BibTeX counts braces without regard to
backslashes, so even ``\\{`` would unbalance a field; braces in text become
``\\textbraceleft{}`` / ``\\textbraceright{}`` instead, and the only braces in
the output are the ones this module writes, always in pairs.

Citation keys look like ``vaswani2017attention`` (first author's family name,
year, first significant title word; ASCII), or ``absorbing2024discrete`` (the first
two significant title words around the year) when no author's name is known.
``citation_keys`` gives each paper of a bibliography its own key, adding ``a``,
``b``... to later papers that would share one, so the same paper gets the same key
in ``papers.bib`` and in its own ``.bib`` file. ``url`` is the paper's own address
(its arXiv page when known); a code repository goes in a ``code`` field, which
styles ignore and reference managers keep.
"""

from __future__ import annotations

import functools
import itertools
import re
from typing import Callable, Iterable, Iterator, Sequence
from urllib.parse import quote

from .markdown import MarkdownRenderer
from .model import Paper, slugify

MONTHS = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")

# Words skipped when picking the title word of a key ("On the ...", "Your ..." -> the next word).
_STOPWORDS = frozenset("""a an the on of in for to and with via from towards toward is are do does can how what why
    when where which who whom whose that this these those your our my their its it we you they us all any every
    not no as at by or but if into onto over under about against between through without within beyond upon
    be been being has have had more most than just so yet let lets should could would will shall may might""".split())

_LATEX_SPECIALS = {
    "\\": r"\textbackslash{}",
    "{": r"\textbraceleft{}",
    "}": r"\textbraceright{}",
    "%": r"\%",
    "&": r"\&",
    "$": r"\$",
    "#": r"\#",
    "_": r"\_",
    "~": r"\textasciitilde{}",
    "^": r"\textasciicircum{}",
}
_SPECIAL = re.compile(r"[\\{}%&$#_~^]")
# C0/C1 controls, surrogates and non-characters: meaningless in a bibliography, and some tools choke on them.
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff]")
_SPACE = re.compile(r"\s+")
# A name part that BibTeX would read as structure: a comma (Last, First) or the word "and" (a second name).
_NAME_STRUCTURE = re.compile(r",|(?<!\S)and(?!\S)", re.IGNORECASE)
_URL_UNSAFE = re.compile(r"[\s{}\\\"<>^`|]")


_LATEX_TABLE = str.maketrans(_LATEX_SPECIALS)


def escape(text: str) -> str:
    """Plain text -> a BibTeX field value (without the outer braces) that shows the same text."""
    # str.split() splits on exactly what \s matches; both calls run in C (abstracts are long).
    return " ".join(_CONTROL.sub("", text).split()).translate(_LATEX_TABLE)


def _url(url: str) -> str:
    """A URL safe inside a brace-delimited field: characters BibTeX or url.sty would read are percent-encoded."""
    url = _CONTROL.sub("", url).strip()
    return _URL_UNSAFE.sub(lambda m: quote(m.group(), safe=""), url)


def last_name(name: str) -> str:
    """The family name of 'First Last' or 'Last, First' (best effort: the last word)."""
    name = name.strip()
    if "," in name:
        return name.split(",", 1)[0].strip()
    parts = name.split()
    return parts[-1] if parts else ""


@functools.lru_cache(maxsize=1 << 16)   # title words repeat across papers; slugify is the cost of a key
def _ascii_word(text: str) -> str:
    return slugify(text, max_length=40).replace("-", "") if text.strip() else ""


def _significant_words(title: str) -> Iterator[str]:
    """The title's words as ASCII, stop words left out, made one at a time (a key needs the first two)."""
    for word in re.findall(r"\w+", title.casefold()):
        ascii_word = _ascii_word(word)
        if ascii_word and ascii_word not in _STOPWORDS:
            yield ascii_word


def base_key(paper: Paper) -> str:
    """The citation key before de-duplication: 'vaswani2017attention', or 'absorbing2024discrete' without authors."""
    author = next((a for a in (_ascii_word(last_name(n)) for n in paper.authors[:1]) if a), "")
    words = list(itertools.islice(_significant_words(paper.title), 2))
    year = str(paper.year) if paper.year else ""
    if author:
        key = f"{author}{year}{words[0] if words else ''}"
    else:   # no name to cite by: the title's first significant word leads, the next one follows the year
        key = f"{words[0]}{year}{words[1] if len(words) > 1 else ''}" if words else year
    key = key or _ascii_word(paper.slug) or "paper"
    # A key starting with a digit is legal BibTeX but confuses some tools.
    return key if key[0].isalpha() else "paper" + key


def key_suffix(n: int) -> str:
    """The suffix of the n-th paper (n >= 1) to share a key: a, b, ..., z, aa, ab, ..."""
    letters = ""
    while n > 0:
        n, rest = divmod(n - 1, 26)
        letters = chr(ord("a") + rest) + letters
    return letters


def citation_keys(papers: Iterable[Paper], base: Callable[[Paper], str] | None = None) -> dict[str, str]:
    """Paper slug -> a key unique within these papers.

    The oldest paper (then the smallest slug) keeps the plain key, so adding a
    newer paper to the shelf never renames an older paper's key. ``base`` is
    ``base_key`` or a memoised copy of it (the preview's rebuilds).
    """
    base_key_of = base or base_key
    ordered = sorted(papers, key=lambda p: (p.date is None, p.date.toordinal() if p.date else 0, p.slug))
    keys: dict[str, str] = {}
    used: set[str] = set()
    for paper in ordered:
        base_of = key = base_key_of(paper)
        n = 0
        while key in used:
            n += 1
            key = base_of + key_suffix(n)
        used.add(key)
        keys[paper.slug] = key
    return keys


def _name(name: str) -> str:
    name = escape(name)
    # Braces make BibTeX treat the whole name as one literal family name.
    return "{" + name + "}" if _NAME_STRUCTURE.search(name) else name


def _authors(paper: Paper) -> str:
    names = [_name(n) for n in paper.authors if n.strip()]
    if not names:
        return ""  # only a count is known: no author field rather than an invented one
    if (paper.author_count or 0) > len(names):
        names.append("others")
    return " and ".join(names)


def paper_link(paper: Paper) -> str:
    """The paper's own URL: its arXiv page, else its project page or PDF (a code repository is not the paper)."""
    if paper.links.arxiv:
        return paper.links.arxiv
    if paper.arxiv_id:
        return f"https://arxiv.org/abs/{paper.arxiv_id}"
    return paper.links.project or paper.links.pdf


def bibtex_entry(paper: Paper, *, key: str | None = None,
                 plain: Callable[[str], str] | None = None) -> str:
    """One ``@misc`` entry. ``key`` from ``citation_keys`` (default: ``base_key``);
    ``plain`` turns the markdown abstract into plain text (default: a new MarkdownRenderer's)."""
    return with_key(key or base_key(paper), bibtex_fields(paper, plain=plain))


def with_key(key: str, fields: str) -> str:
    """The entry made of its citation key and ``bibtex_fields``."""
    return f"@misc{{{key},\n" + fields


def bibtex_fields(paper: Paper, *, plain: Callable[[str], str] | None = None) -> str:
    """The entry after its first line: every field, then the closing brace.

    Needs nothing but the paper, so it can be made before the citation keys of the
    whole site are known (the build makes it while parsing, in parallel).
    """
    plain = plain or MarkdownRenderer().source_text
    fields: list[tuple[str, str]] = [("title", "{" + escape(paper.title) + "}")]  # inner braces keep the title's case
    authors = _authors(paper)
    if authors:
        fields.append(("author", authors))
    if paper.date:
        fields.append(("year", str(paper.date.year)))
        fields.append(("month", MONTHS[paper.date.month - 1]))
    if paper.arxiv_id:
        fields.append(("eprint", escape(paper.arxiv_id)))
        fields.append(("archivePrefix", "arXiv"))
    link = paper_link(paper)
    if link:
        fields.append(("url", _url(link)))
    if paper.links.code:
        fields.append(("code", _url(paper.links.code)))
    abstract = escape(plain(paper.abstract)) if paper.abstract.strip() else ""
    if abstract:
        fields.append(("abstract", abstract))
    lines = []
    for name, value in fields:
        # month is written as BibTeX's own macro (jan, feb, ...) so styles can format it.
        lines.append(f"  {name} = {value}" if name == "month" else f"  {name} = {{{value}}}")
    return ",\n".join(lines) + "\n}\n"


def bibtex_entries(papers: Sequence[Paper], *, keys: dict[str, str] | None = None,
                   plain: Callable[[str], str] | None = None) -> dict[str, str]:
    """Paper slug -> its entry, with keys unique across ``papers``.

    The build writes each value as papers/<slug>/<slug>.bib and joins them for
    papers.bib, so every entry is made once. ``plain`` (markdown -> text) may be
    the build's cached one; abstracts dominate the cost.
    """
    keys = keys or citation_keys(papers)
    plain = plain or MarkdownRenderer().source_text  # one renderer for all entries: creating one is costly
    return {p.slug: bibtex_entry(p, key=keys[p.slug], plain=plain) for p in papers}


def bibtex_all(papers: Sequence[Paper], *, keys: dict[str, str] | None = None,
               entries: dict[str, str] | None = None) -> str:
    """Every paper's entry, in the order given, with keys unique across them."""
    return "".join(bibtex_all_parts(papers, keys=keys, entries=entries))


def bibtex_all_parts(papers: Sequence[Paper], *, keys: dict[str, str] | None = None,
                     entries: dict[str, str] | None = None) -> Iterator[str]:
    """``bibtex_all`` in pieces, to be written as they come (190 MB at 100,000 papers)."""
    entries = entries or bibtex_entries(papers, keys=keys)
    for i, paper in enumerate(papers):
        yield entries[paper.slug] + ("\n" if i + 1 < len(papers) else "")
