"""What a build keeps for the next one. Nothing here renders or decides what to write.

``BuildCache`` holds the last build's site (``outputs.LastSite``: each file's key or
digest, compared by ``deliver``) and the memos (parsed entries, converted markdown,
paper digests, page keys, BibTeX entries, papers.json lines, related papers, the search
index's postings).

The preview keeps one ``BuildCache`` in memory. ``papershelf build`` keeps one on
disk, in ``.papershelf-cache/`` beside site.toml (``load_cache``/``save_cache``;
the writer writes its files): a small state file (what the last build read, by
content digest, and where its site is) and a memo file (the rest), loaded only
when something changed. Any doubt about it (unreadable, a digest that does not
match, another papershelf or Python, another config, theme or set of options, the
site folder changed since) means a clean build.
"""

from __future__ import annotations

import hashlib
import io
import pickle
import secrets
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

from . import __version__
from .config import Config
from .content import Stamp
from .incremental import PageKeys, PaperDigests, input_fingerprint
from .markdown import MarkdownRenderer
from .model import Paper
from .outputs import LastSite
from .related import RelatedIndex, Terms
from .render import Renderer, chain_fingerprint
from .search import IndexMemo
from .writer import MANIFEST, digest_of, reading_saved, remove_file, save_file, save_in_background

CACHE_DIR = ".papershelf-cache"
STATE_FILE, MEMO_FILE = "build-state.pickle", "build-memo.pickle"
_FORMAT = b"papershelf build cache 3\n"


@dataclass
class BuildCache:
    """What a build leaves for the next one (the preview keeps one in memory; ``papershelf build`` on disk).

    ``site``: the last build's site, each file's manifest entry (its key or the digest of its
    bytes): an output whose entry is unchanged is not made again. ``inputs`` fingerprints every
    file the last build read: when nothing changed and the site is still there, a build
    returns at once. The rest are memos keyed by paper digest or entry stamp.
    """

    site: LastSite = field(default_factory=LastSite)                # what the last build left in ``site.out``
    keys: PageKeys = field(default_factory=PageKeys)                # page keys, made again only where needed
    inputs: str = ""                                                 # input fingerprint of the last build
    parsed: dict = field(default_factory=dict)                      # load_content's memo
    digests: PaperDigests = field(default_factory=PaperDigests)
    bibtex: dict[str, tuple[str, str, str]] = field(default_factory=dict)  # slug -> (digest, key, entry)
    markdown: MarkdownRenderer | None = None                        # keeps converted abstracts
    records: dict[str, str] = field(default_factory=dict)           # paper digest -> its papers.json line
    citations: dict = field(default_factory=dict)                   # paper digest -> its citation.PaperCitation
    base_keys: dict[str, str] = field(default_factory=dict)         # paper digest -> its citation base key
    search_terms: dict[str, tuple] = field(default_factory=dict)    # paper digest -> its search.paper_terms
    related: RelatedIndex = field(default_factory=RelatedIndex)     # the last ranking of related papers
    search_index: IndexMemo | None = None                            # the last search index's postings
    shown: dict[str, tuple[str, tuple, str]] = field(default_factory=dict)  # slug -> (digest, share, digest with it)
    renderer: Renderer | None = None                                 # kept while config and theme are unchanged:
    renderer_key: str = ""                                           # its templates stay compiled
    result: Any = None                                               # the last build.BuildResult
    paper_pages: dict = field(default_factory=dict)                 # slug -> the last plan's page of the paper
    # A cache from disk (``load_cache``): inputs are compared by content, and the site folder by its signature.
    on_disk: bool = False
    entry_digests: dict[str, str] = field(default_factory=dict)     # entry path -> digest of its bytes
    out_signature: tuple | None = None                               # ``output_signature`` of ``out`` after the last build
    memo_file: Path | None = None                                    # memos saved by the last build, not loaded yet
    token: str = ""                                                  # pairs a state file with its memo file
    stamps: list = field(default_factory=list)                      # the entries as this build's scan found them

    @property
    def out(self) -> Path | None:
        return self.site.out

    def inputs_of(self, entries: list[Stamp], config_repr: str, chain: list[Path], options: str) -> str:
        """One string for everything a build reads; equal strings mean an identical site.

        In memory (the preview): names, sizes and modification times. From disk: the bytes of every
        entry and theme file, by digest (a timestamp can be kept or restored by a tool).
        """
        self.stamps = entries
        if not self.on_disk:
            return input_fingerprint(entries, config_repr, chain, options)
        whole = hashlib.sha256(f"{config_repr}\0{options}\0{chain_fingerprint(chain)}\0".encode())
        digests = {}
        for path, shown, _, _ in entries:
            try:
                digest = hashlib.sha1(Path(path).read_bytes()).hexdigest()
            except OSError:
                digest = ""   # gone or unreadable: the load reports it
            digests[path] = digest
            whole.update(f"{shown}\0{digest}\n".encode("utf-8", "surrogateescape"))
        self.entry_digests = digests
        return whole.hexdigest()

    def check_output(self, out: Path) -> None:
        """Forget the last build's site if its folder is not exactly as that build left it."""
        if self.out is None:
            return
        if self.out_signature is not None and output_signature(self.out) != self.out_signature:
            self.forget_output()
            self.site, self.out_signature, self.result = LastSite(), None, None
        elif not (self.out / MANIFEST).is_file():
            self.site = LastSite()

    def up_to_date(self, inputs: str, out: Path) -> bool:
        """Nothing a build reads has changed since the last build and its site is still in ``out``."""
        return inputs == self.inputs and self.out == out and self.result is not None and (out / MANIFEST).is_file()

    def owns(self, out: Path) -> bool:
        """``out`` is the folder this cache's last build wrote (scanning its files again would cost a second)."""
        return self.out == out and (out / MANIFEST).is_file()

    def markdown_for(self, allow_raw_html: bool) -> MarkdownRenderer:
        """The kept renderer of markdown (its conversions), or a new one if the setting changed."""
        if self.markdown is None or self.markdown.allow_raw_html != allow_raw_html:
            self.markdown = MarkdownRenderer(allow_raw_html)
            self.bibtex, self.search_terms = {}, {}   # made with the old conversions
        return self.markdown

    def renderer_for(self, key: str, make: Callable[[], Renderer]) -> Renderer:
        """The kept renderer while ``key`` (config, theme, options) and the markdown renderer are the same."""
        if self.renderer is None or self.renderer_key != key or self.renderer.md is not self.markdown:
            self.renderer, self.renderer_key = make(), key   # compiling the templates costs ~0.1 s
        return self.renderer

    def complete(self) -> None:
        """Load the memos a build in another process saved (``load_cache``); nothing to do in the preview."""
        if self.memo_file is None:
            return
        with reading_saved(self.memo_file.parent):   # the last build's save may still be writing it
            memo, self.memo_file = _read(self.memo_file, self.token), None
        if memo is None:   # unreadable or not of the same build: start afresh
            self.__init__(on_disk=True, entry_digests=self.entry_digests, stamps=self.stamps)
            return
        parsed = memo.pop("parsed")
        self.parsed = {}
        for path, (digest, entry) in parsed.items():
            if self.entry_digests.get(path) == digest:
                self.parsed[path] = entry   # re-keyed by stamp in ``stamped``
        conversions = memo.pop("conversions")
        self.markdown = MarkdownRenderer(memo.pop("allow_raw_html"))
        for text, html, plain in conversions:
            self.markdown.remember(text, html, plain)
        site = memo.pop("site")
        if self.out is not None and site.out == self.out:   # not if ``check_output`` found the folder changed
            self.site = site
        for name, value in memo.items():
            setattr(self, name, value)

    def stamped(self, entries: list[Stamp]) -> None:
        """The parse memo from disk keyed by this build's entry stamps (only entries whose bytes are unchanged)."""
        if self.on_disk and self.parsed and not isinstance(next(iter(self.parsed)), tuple):
            self.parsed = {stamp: self.parsed[stamp[0]] for stamp in entries if stamp[0] in self.parsed}

    def forget_output(self) -> None:
        """A build failed while replacing files of ``out`` in place: trust none of them any more.

        The next build then makes every file again (into a new folder).
        """
        self.site, self.keys, self.inputs = LastSite(self.out), PageKeys(), ""

    def overwritten(self, paths: list[str]) -> None:
        """Files of the last site replaced since its build (the preview's early page): the next build makes them again."""
        for path in paths:
            self.site.entries.pop(path, None)

    def base_key_of(self, digests: dict[str, str], make: Callable[[Paper], str]) -> Callable[[Paper], str]:
        """``make`` (a paper's base citation key) remembered per paper digest across the preview's builds."""
        self.base_keys, base = _by_digest(self.base_keys, digests, make)
        return base

    def line_of(self, digests: dict[str, str], make: Callable[[Paper], str]) -> Callable[[Paper], str]:
        """``make`` (a paper's papers.json line) remembered per paper digest across the preview's builds."""
        self.records, line = _by_digest(self.records, digests, make)
        return line

    def search_terms_of(self, digests: dict[str, str], make: Callable[[Paper], tuple]) -> Callable[[Paper], tuple]:
        """``make`` (a paper's terms in the search index) remembered per paper digest across builds."""
        self.search_terms, terms = _by_digest(self.search_terms, digests, make)
        return terms

    def keep_search_index(self, memo: IndexMemo | None) -> None:
        """What the next build's search index may start from (``search.search_index_since``)."""
        self.search_index = memo

    def shown_of(self, digests: dict[str, str], per_paper: dict[str, tuple]) -> dict[str, str]:
        """Slug -> what a paper stands for in page keys: its digest with its share of the plan (``SitePlan.per_paper``:
        its citation, its related papers), hashed again only for papers whose digest or share changed."""
        known, fresh = self.shown, {}
        for slug, digest in digests.items():
            share = per_paper[slug]
            hit = known.get(slug)
            if hit is None or hit[0] != digest or hit[1] != share:
                hit = (digest, share, hashlib.sha1(f"{digest}|{share!r}".encode("utf-8", "surrogatepass")).hexdigest())
            fresh[slug] = hit
        self.shown = fresh
        return {slug: hit[2] for slug, hit in fresh.items()}

    def related_of(self, papers: list[Paper], terms: Callable[[Paper], Terms | None]) -> dict[str, tuple[Paper, ...]]:
        """``related.related_all``, ranking again only the papers whose lists may have changed."""
        return self.related.update(papers, terms)


def _by_digest(known: dict[str, Any], digests: dict[str, str],
               make: Callable[[Paper], Any]) -> tuple[dict[str, Any], Callable[[Paper], Any]]:
    """A memo for this build over ``known`` (the last build's, by paper digest), and the function reading it.

    The new memo holds this build's papers only (edited or gone ones drop out): those kept, and those asked for
    (a file patched from the last build's asks only for the edited papers' pieces).
    """
    fresh: dict[str, Any] = {digest: known[digest] for digest in digests.values() if digest in known}

    def remembered(paper: Paper) -> Any:
        digest = digests[paper.slug]
        value = fresh[digest] = known.get(digest) or make(paper)
        return value
    return fresh, remembered


def cache_identity(config: Config, chain: list[Path], options: str) -> str:
    """What a cache on disk is good for: this papershelf (its code), its libraries and Python, the config,
    the theme's files and the build's options. Another identity: the cache is not used."""
    import jinja2
    import markdown
    import nh3
    import slugify
    import yaml
    digest = hashlib.sha256(_FORMAT)
    code = Path(__file__).resolve().parent
    for file in sorted(code.rglob("*.py")):
        digest.update(file.relative_to(code).as_posix().encode() + b"\0" + file.read_bytes() + b"\0")
    versions = [__version__, sys.version, jinja2.__version__, markdown.__version__, getattr(nh3, "__version__", ""),
                getattr(slugify, "__version__", ""), yaml.__version__, _version_of("latex2mathml"), _version_of("pylatexenc")]
    digest.update(repr((versions, repr(config), str(config.root), options)).encode("utf-8", "surrogateescape"))
    digest.update(chain_fingerprint(chain).encode())
    return digest.hexdigest()


def _version_of(module: str) -> str:
    """A library's version (math in pages depends on latex2mathml and pylatexenc)."""
    try:
        return getattr(__import__(module), "__version__", "")
    except ImportError:
        return ""


def output_signature(out: Path) -> tuple | None:
    """The site folder and its manifest as the last build left them: identity, times and the manifest's digest.

    A build (by papershelf or another tool) that replaced the folder or rewrote its manifest changes it.
    """
    try:
        folder, manifest = out.stat(), (out / MANIFEST).stat()
        data = (out / MANIFEST).read_bytes()
    except OSError:
        return None
    return (folder.st_dev, folder.st_ino, manifest.st_ino, manifest.st_size, manifest.st_mtime_ns,
            manifest.st_ctime_ns, digest_of(data))


def load_cache(folder: Path, identity: str) -> BuildCache:
    """The cache the last build saved in ``folder`` if it is of the same identity, else an empty one."""
    cache = BuildCache(on_disk=True)
    # Not waiting for the last build's save: the state is written before the save starts (``save_cache``),
    # so a build with nothing changed returns while the memo is still being written.
    state = _read(folder / STATE_FILE, identity)
    if state is None:
        return cache
    cache.token, cache.inputs, cache.out_signature, cache.result = (
        state["token"], state["inputs"], state["out_signature"], state["result"])
    cache.site = LastSite(state["out"])   # its entries come with the memo (``complete``)
    cache.memo_file = folder / MEMO_FILE
    return cache


def save_cache(folder: Path, identity: str, cache: BuildCache, entries_now: list[Stamp] | None,
               entries_then: list[Stamp]) -> None:
    """Save ``cache`` after a successful build; ``entries_then``/``entries_now``: the entries' stamps before and after it.

    An entry saved while the build ran may have been read before or after its change: nothing is saved
    then (and the old files are removed), so the next build reads everything again.
    """
    if entries_now != entries_then or cache.out is None:
        discard_cache(folder)
        return
    token = secrets.token_hex(16)
    state = {"token": token, "inputs": cache.inputs, "out": cache.out, "result": cache.result,
             "out_signature": output_signature(cache.out)}

    # The state now, the memo by a forked process (pickling it costs a second or more at 10,000 papers; the
    # memo's list of conversions alone is 0.1-0.2 s), so the next build need not wait for it unless it reads
    # it. The two pair by ``token``: a memo not yet written, or never (a crash), is the last one, whose token
    # differs, and means a clean build.
    state_file = (STATE_FILE, _pack(state, identity))

    def memo() -> list[tuple[str, list[bytes]]]:
        return [(MEMO_FILE, _pack(_memo(cache, token), token))]

    if not save_in_background(folder, memo, first=[state_file]):
        for name, parts in [state_file, *memo()]:
            save_file(folder / name, *parts)


def _memo(cache: BuildCache, token: str) -> dict:
    """What ``BuildCache.complete`` loads back: the memos, the parse memo by entry path with each entry's digest."""
    md = cache.markdown
    papers = [paper for paper, _ in cache.parsed.values() if paper is not None]
    return {
        "token": token,
        "parsed": {stamp[0]: (cache.entry_digests[stamp[0]], entry) for stamp, entry in cache.parsed.items()
                   if cache.entry_digests.get(stamp[0])},
        "allow_raw_html": md.allow_raw_html if md is not None else False,
        "conversions": [] if md is None else [(text, *md.converted(text)) for paper in papers
                                              for text in (paper.abstract, paper.notes) if text],
        "site": cache.site, "keys": cache.keys, "digests": cache.digests, "bibtex": cache.bibtex,
        "records": cache.records, "citations": cache.citations,
        "base_keys": cache.base_keys, "related": cache.related, "shown": cache.shown,
        "search_terms": cache.search_terms, "search_index": cache.search_index,
    }


def discard_cache(folder: Path) -> None:
    with reading_saved(folder):   # not while the last build's save is writing them
        for name in (STATE_FILE, MEMO_FILE):
            remove_file(folder / name)


def _pack(value: dict, identity: str) -> list[bytes]:
    """The file's pieces: format and identity, the payload's digest, the payload (never joined: 100 MB at 10,000 papers)."""
    payload = pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL)
    return [_FORMAT + identity.encode() + b"\n" + _digest(payload) + b"\n", payload]


def _digest(payload) -> bytes:
    """A payload's digest in its file's head (SHA-256: twice blake2b's speed where the CPU has SHA instructions,
    0.1 s for the 170 MB memo of 10,000 papers, which a build reads before anything else)."""
    return hashlib.sha256(payload).hexdigest().encode()


def _read(file: Path, identity: str) -> dict | None:
    """A file ``_pack`` wrote for ``identity``, or None (missing, damaged, foreign, another identity).

    The payload is checked and unpickled where it lies in the file's bytes, not copied out of them.
    """
    try:
        data = file.read_bytes()
    except OSError:
        return None
    head = _FORMAT + identity.encode() + b"\n"
    end = data.find(b"\n", len(head))
    if not data.startswith(head) or end < 0:
        return None
    if data[len(head):end] != _digest(memoryview(data)[end + 1:]):
        return None
    try:
        stream = io.BytesIO(data)   # shares ``data`` until written to
        stream.seek(end + 1)
        value = _Unpickler(stream).load()
    except Exception:   # a cache is never worth a failed build: any surprise means no cache
        return None
    return value if isinstance(value, dict) else None


class _Unpickler(pickle.Unpickler):
    """Only papershelf's own data classes, dates and paths: a cache file can never run code."""

    _ALLOWED = {("datetime", "date"), ("datetime", "datetime"), ("datetime", "timezone"), ("datetime", "timedelta"),
                ("pathlib", "PosixPath"), ("pathlib", "WindowsPath"), ("pathlib", "Path"),
                # Python 3.13 pickles paths from the module that now defines them
                ("pathlib._local", "PosixPath"), ("pathlib._local", "WindowsPath"), ("pathlib._local", "Path")}

    def find_class(self, module: str, name: str):
        if (module, name) in self._ALLOWED or (module.startswith("papershelf.") and not name.startswith("_")
                                               and module.count(".") == 1):
            found = super().find_class(module, name)
            if isinstance(found, type):
                return found
        raise pickle.UnpicklingError(f"{module}.{name} is not allowed in a build cache")
