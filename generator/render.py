"""Pages -> HTML through the theme chain. Returns strings, never writes.

The theme chain is [themes/<config.theme>, the default theme]: a user theme
overrides any template or static file of the default by name and falls back to
the default for the rest. Templates are Jinja2 with autoescape on and
StrictUndefined, so a typo in a theme is an error, not an empty string; template
errors become ``SiteError(template file, line, message)``.
"""

from __future__ import annotations

import hashlib
import re
import traceback
from datetime import date
from pathlib import Path
from urllib.parse import quote, urljoin, urlsplit

import jinja2
from jinja2.utils import htmlsafe_json_dumps
from markupsafe import Markup

from .citations import Citations
from .config import Config
from .errors import SiteError
from .markdown import MarkdownRenderer, snippet
from .model import Paper, authors_short as _authors_short, tag_slug
from .pages import Page, paper_url, tag_url
from .resources import default_theme
from .scholar import coins, finder_links, highwire_tags, json_ld, paper_links, status_label

DEFAULT_THEME = "default"


def theme_chain(config: Config) -> list[Path]:
    """Theme folders, highest precedence first. An unknown theme is a SiteError on site.toml's theme key."""
    themes = config.resolve(config.themes_dir)
    default = themes / DEFAULT_THEME
    if not (default / "templates").is_dir():
        default = default_theme()
    if config.theme == DEFAULT_THEME:
        return [default]
    chosen = themes / config.theme
    if not chosen.is_dir():
        raise SiteError(config.path, _key_line(config, "theme"),
                        f"theme '{config.theme}' not found: no folder {_shown(chosen, config)} "
                        f"(set 'theme' to a folder under {config.themes_dir}/, or to \"default\")")
    return [chosen, default]


def _key_line(config: Config, key: str) -> int | None:
    try:
        text = (config.root / Path(config.path).name).read_text(encoding="utf-8")
    except OSError:
        return None
    for number, line in enumerate(text.splitlines(), start=1):
        if re.match(rf"^\s*{re.escape(key)}\s*=", line):
            return number
    return None


def _shown(path: Path, config: Config) -> str:
    for root in (config.root.resolve(), Path.cwd()):
        try:
            return str(path.resolve().relative_to(root))
        except ValueError:
            continue
    return str(path)


def make_environment(chain: list[Path]) -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.FileSystemLoader([str(t / "templates") for t in chain]),
        autoescape=jinja2.select_autoescape(["html", "htm", "xml"], default_for_string=True),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        # A renderer serves one build (or, in the preview, builds with the same theme files: see
        # ``chain_fingerprint``), so templates never change under it: no stat of each template per page.
        auto_reload=False,
    )


def chain_fingerprint(chain: list[Path]) -> str:
    """A hash of every template and static file of the theme chain (names and contents)."""
    digest = hashlib.sha256()
    for theme in chain:
        for file in sorted(p for p in theme.rglob("*") if p.is_file()):
            digest.update(str(file).encode() + b"\0" + file.read_bytes() + b"\0")
    return digest.hexdigest()


class Renderer:
    """Renders Pages of one site: the Jinja environment, URL helpers and markdown filters."""

    def __init__(self, config: Config, *, search: bool, chain: list[Path] | None = None,
                 markdown: MarkdownRenderer | None = None, edit_locally: bool = False):
        """``edit_locally`` (the preview): "Edit this entry" opens the file in the editor_url pattern, if set."""
        self.config = config
        self.edit_locally = edit_locally
        self.chain = chain if chain is not None else theme_chain(config)
        self.env = make_environment(self.chain)
        # A renderer kept from an earlier build keeps its converted abstracts.
        same = markdown is not None and markdown.allow_raw_html == config.allow_raw_html
        self.md = markdown if same else MarkdownRenderer(config.allow_raw_html)
        self.base_path = config.base_path
        self._urls: dict[str, str] = {}
        self._abs_urls: dict[str, str] = {}
        self._paper_hrefs: dict[str, str] = {}
        self._tag_hrefs: dict[str, str] = {}
        self._coins: dict[str, tuple[Paper, str, str]] = {}
        self.citations = Citations()   # the build's records (``use_citations``); made here for papers it lacks
        split = urlsplit(config.base_url)
        self.site_url = f"{split.scheme}://{split.netloc}{self.base_path}"
        self.env.globals.update(
            site=config, base=self.base_path, site_url=self.site_url, search_enabled=search,
            url_for=self.url_for, abs_url=self.abs_url, paper_url=paper_url, tag_url=tag_url,
            feed_url="feed.xml",
        )
        self.env.filters.update(
            markdown=self.markdown, plain=self.md.text, math=self.math, snippet=snippet, tag_slug=tag_slug,
            isodate=_isodate, longdate=_longdate, authors_short=_authors_short,
            tag_pairs=_tag_pairs, link_label=_link_label,
            highwire=highwire_tags, json_ld=_json_ld, coins=self.coins, paper_links=paper_links,
            finder_links=finder_links, status_label=status_label,
            ris=self.ris, csl_json=self.csl_json,   # a paper page shows its files' text
            # The same links as filters: Jinja calls a filter directly, a global through Context.call
            # (about 2 us more each); the default theme makes ~50 links a page, 11,000 pages a build.
            url=self.url_for, abs_url=self.abs_url, paper_href=self.paper_href, tag_href=self.tag_href,
            edit_url=self.edit_url,
        )

    def use_citations(self, citations: Citations) -> None:
        """The records this build made (in the workers that parse the entries): paper pages show them."""
        self.citations = citations

    def ris(self, paper: Paper) -> str:
        """One paper's RIS file: what ``papershelf export --format ris`` writes for it alone."""
        return self.citations.ris(paper)

    def csl_json(self, paper: Paper) -> str:
        """One paper's CSL-JSON file: what ``papershelf export --format csl-json`` writes for it alone."""
        return self.citations.csl_file(paper)

    def coins(self, paper: Paper, page_url: str) -> str:
        """``scholar.coins``, made once for a paper's cards (the index's, its tags' and its shelf's pages show it):
        kept for that paper object, so an entry edited since (a new object) gets its own."""
        kept = self._coins.get(paper.slug)
        if kept is not None and kept[0] is paper and kept[1] == page_url:
            return kept[2]
        text = coins(paper, page_url)
        self._coins[paper.slug] = (paper, page_url, text)
        return text

    def url_for(self, url: str) -> str:
        """A site-relative location ('papers/x/', 'assets/style.css') -> root-relative link with the base path."""
        done = self._urls.get(url)
        if done is None:  # memoised: a build asks for the same few thousand links hundreds of thousands of times
            done = self._urls[url] = self.base_path + quote(url.lstrip("/"), safe="/#?=&:%.-_~")
        return done

    def abs_url(self, url: str) -> str:
        done = self._abs_urls.get(url)
        if done is None:  # memoised: every page asks for its own twice (canonical link, og:url)
            done = self._abs_urls[url] = urljoin(self.site_url, quote(url.lstrip("/"), safe="/#?=&:%.-_~"))
        return done

    def paper_href(self, paper: Paper) -> str:
        """``url_for(paper_url(paper))``, memoised per slug."""
        done = self._paper_hrefs.get(paper.slug)
        if done is None:
            done = self._paper_hrefs[paper.slug] = self.url_for(paper_url(paper))
        return done

    def tag_href(self, tag: str) -> str:
        """``url_for(tag_url(tag))`` for a tag's slug or spelling, memoised."""
        done = self._tag_hrefs.get(tag)
        if done is None:
            done = self._tag_hrefs[tag] = self.url_for(tag_url(tag))
        return done

    def edit_url(self, paper: Paper) -> str:
        """Where "Edit this entry" goes: in the preview with an editor_url, the entry file in the editor (its
        absolute path, the title's line); otherwise {repo_url}/{edit_uri}/<entry path>; "" when neither applies."""
        config = self.config
        if self.edit_locally and config.editor_url:
            path = quote((config.root / paper.path).resolve().as_posix(), safe="/:")
            # vscode://file/{path}: one slash before /home/..., not two (file://{path} keeps its two).
            pattern = re.sub(r"(?<![/:])/\{path\}", "{path}", config.editor_url) if path.startswith("/") \
                else config.editor_url
            return (pattern.replace("{path}", path)
                    .replace("{line}", str(paper.title_line)))
        entry = Path(paper.path)
        if not config.repo_url or entry.is_absolute() or ".." in entry.parts:   # outside the repository
            return ""
        parts = [config.repo_url.rstrip("/"), config.edit_uri.strip("/"), quote(entry.as_posix(), safe="/")]
        return "/".join(part for part in parts if part)

    def markdown(self, text: str) -> Markup:
        return Markup(self.md.html(text))

    def math(self, text: str) -> Markup:
        """A line of text (a title) escaped, its TeX math as MathML: ``{{ paper.title | math }}``."""
        return Markup(self.md.inline_html(text))

    def render(self, page: Page) -> str:
        try:
            template = self.env.get_template(page.template)
            return template.render(page.context, page=page)
        except jinja2.TemplateSyntaxError as exc:
            raise SiteError(self._template_shown(exc.filename, exc.name), exc.lineno, exc.message or str(exc)) from None
        except jinja2.TemplateNotFound as exc:
            raise SiteError(_shown(self.chain[0] / "templates", self.config), None,
                            f"template '{exc.name}' not found (needed for {page.source})") from None
        except Exception as exc:
            frame = _template_frame(exc)
            if frame is None and not isinstance(exc, jinja2.TemplateError):
                raise  # a bug in papershelf, not in the theme: keep the traceback
            path, line = frame if frame else (page.template, None)
            message = str(exc) if isinstance(exc, jinja2.TemplateError) else f"{type(exc).__name__}: {exc}"
            raise SiteError(self._template_shown(path, None), line, f"{message} (rendering {page.source})") from None

    def _template_shown(self, filename: str | None, name: str | None) -> str:
        if filename:
            return _shown(Path(filename), self.config)
        return name or "<template>"


def _template_frame(exc: BaseException) -> tuple[str, int] | None:
    """The innermost traceback frame that is in a template file (Jinja rewrites frames to point there)."""
    found = None
    for frame in traceback.extract_tb(exc.__traceback__):
        if frame.filename.endswith((".html", ".xml", ".htm", ".txt", ".j2")):
            found = (frame.filename, frame.lineno)
    return found


def _json_ld(paper: Paper, page_url: str, description: str) -> Markup:
    """JSON-LD for a <script> element: <, >, & and ' escaped, so no text of the paper can end the element."""
    return Markup(htmlsafe_json_dumps(json_ld(paper, page_url, description), sort_keys=False))


def _isodate(value: date | None) -> str:
    return value.isoformat() if value else ""


def _longdate(value: date | None) -> str:
    return f"{value.day} {value:%b %Y}" if value else ""


def _tag_pairs(tags) -> list[tuple[str, str]]:
    """(slug, spelling) per distinct tag slug, in the entry's order ('LLM' and 'llm' are one tag)."""
    seen: dict[str, str] = {}
    for tag in tags:
        seen.setdefault(tag_slug(tag), tag)
    return list(seen.items())


def _link_label(url: str) -> str:
    """A short label for an 'other' link: its host and the start of its path."""
    split = urlsplit(url)
    label = split.netloc.removeprefix("www.") + split.path.rstrip("/")
    return label if len(label) <= 48 else label[:47] + "…"
