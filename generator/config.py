"""``site.toml`` -> a frozen ``Config``.

The file is parsed with the standard library's ``tomllib`` and then checked
against the dataclasses below: an unknown key, a wrong type or a bad value is a
``SiteError`` naming the key and its line, and every problem is reported at once.
(tomllib gives no positions, so ``_key_lines`` finds each key's line itself.)
"""

from __future__ import annotations

import dataclasses
import re
import tomllib
import typing
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from .errors import Collector, SiteError, SiteErrors

CONFIG_NAME = "site.toml"


@dataclass(frozen=True)
class SearchConfig:
    enabled: bool = True
    # lunr field boosts: a match in the title counts more than one in the abstract.
    boost_title: int = 10
    boost_tags: int = 5
    boost_authors: int = 3
    boost_abstract: int = 1


@dataclass(frozen=True)
class TagsConfig:
    # tag -> words or phrases that suggest it when importing (matched on title and abstract)
    rules: dict[str, list[str]] = field(default_factory=dict)
    # canonical tag -> variants that mean the same tag (flagged by `papershelf tags`)
    aliases: dict[str, list[str]] = field(default_factory=dict)


@dataclass(frozen=True)
class Config:
    title: str = "Reading list"
    description: str = ""
    author: str = ""
    base_url: str = "http://localhost:8000/"
    language: str = "en"
    theme: str = "default"
    per_page: int = 20
    feed_limit: int = 20
    cname: str = ""
    # Raw HTML inside curator notes is escaped unless this is true (trusted content only).
    allow_raw_html: bool = False
    content_dir: str = "content"
    output_dir: str = "site"
    themes_dir: str = "themes"
    # "Edit this entry" on paper pages: {repo_url}/{edit_uri}/<entry path> (MkDocs' names); off when repo_url is "".
    repo_url: str = ""
    edit_uri: str = "edit/main/"
    # In `papershelf serve` the same link opens the entry in an editor: {path} (absolute) and {line} (the title's).
    editor_url: str = ""
    search: SearchConfig = field(default_factory=SearchConfig)
    tags: TagsConfig = field(default_factory=TagsConfig)
    # Where the config came from; the folder that relative paths are resolved against.
    root: Path = field(default=Path("."), compare=False)
    path: str = field(default=CONFIG_NAME, compare=False)

    @property
    def base_path(self) -> str:
        """The URL path the site lives under, always starting and ending with '/'."""
        path = urlsplit(self.base_url).path or "/"
        return path if path.endswith("/") else path + "/"

    @property
    def site_url(self) -> str:
        """base_url ending with exactly one '/'."""
        return self.base_url.rstrip("/") + "/"

    def absolute_url(self, path: str) -> str:
        """A site-relative path ('papers/x/') -> its absolute URL under base_url (feeds, sitemap, canonical links)."""
        return self.site_url + path.lstrip("/")

    def resolve(self, relative: str) -> Path:
        return (self.root / relative).resolve()

    @property
    def content_path(self) -> Path:
        return self.resolve(self.content_dir)

    @property
    def output_path(self) -> Path:
        return self.resolve(self.output_dir)


# Keys that are not read from the file.
_INTERNAL = {"root", "path"}


def find_config(start: Path) -> Path | None:
    """``site.toml`` in ``start`` or the nearest folder above it, or None."""
    start = start.resolve()
    for folder in (start, *start.parents):
        candidate = folder / CONFIG_NAME
        if candidate.is_file():
            return candidate
    return None


def load_config(path: str | Path | None = None, *, overrides: dict | None = None) -> Config:
    """Read and validate ``site.toml``. A missing file gives the defaults.

    Raises SiteErrors listing every problem.
    """
    path = Path(path) if path is not None else Path(CONFIG_NAME)
    shown = _display(path)
    if path.is_dir():
        raise SiteErrors([SiteError(shown, None, "is a folder, expected a site.toml file")])
    if not path.exists():
        if path.name == CONFIG_NAME and path.parent.exists():
            data, text = {}, ""
        else:
            raise SiteErrors([SiteError(shown, None, "config file not found")])
    else:
        text = path.read_text(encoding="utf-8")
        data = parse_toml(text, shown)
    data = {**data, **(overrides or {})}
    return config_from_dict(data, text, shown, root=path.resolve().parent)


def parse_toml(text: str, shown: str) -> dict:
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        message = str(exc)
        m = re.search(r"\(at line (\d+), column \d+\)", message)
        line = int(m.group(1)) if m else None
        message = re.sub(r"\s*\(at line \d+, column \d+\)", "", message)
        message = re.sub(r"\s*\(at end of document\)", " (at end of file)", message)
        raise SiteErrors([SiteError(shown, line, f"invalid TOML: {message}")]) from None


def config_from_dict(data: dict, text: str = "", shown: str = CONFIG_NAME, *, root: Path = Path(".")) -> Config:
    """Validate a parsed TOML mapping into a Config, reporting every problem at once."""
    lines = _key_lines(text)
    errors = Collector()
    values = _build(Config, data, (), lines, shown, errors)
    if errors.errors:
        raise SiteErrors(errors.items)
    config = Config(**values, root=root, path=shown)
    _check_semantics(config, lines, shown, errors)
    errors.raise_if_errors()
    return config


def _build(cls, data: dict, prefix: tuple, lines: dict, shown: str, errors: Collector) -> dict:
    hints = typing.get_type_hints(cls)
    known = {f.name for f in dataclasses.fields(cls)} - _INTERNAL
    values = {}
    for key, value in data.items():
        dotted = ".".join(prefix + (key,))
        line = lines.get(prefix + (key,))
        if key not in known:
            errors.error(shown, line, f"unknown key '{dotted}' (known: {', '.join(sorted(known))})")
            continue
        expected = hints[key]
        if dataclasses.is_dataclass(expected):
            if not isinstance(value, dict):
                errors.error(shown, line, f"'{dotted}' must be a table")
                continue
            values[key] = expected(**_build(expected, value, prefix + (key,), lines, shown, errors))
            continue
        problem = _type_problem(value, expected)
        if problem:
            errors.error(shown, line, f"'{dotted}' must be {problem}, not {_describe(value)}")
        else:
            values[key] = value
    return values


def _type_problem(value, expected) -> str | None:
    """None when ``value`` fits ``expected``, else a description of what was expected."""
    origin = typing.get_origin(expected)
    if expected is bool:
        return None if isinstance(value, bool) else "true or false"
    if expected is int:
        return None if isinstance(value, int) and not isinstance(value, bool) else "an integer"
    if expected is str:
        return None if isinstance(value, str) else "a string"
    if origin is list:
        ok = isinstance(value, list) and all(isinstance(v, str) for v in value)
        return None if ok else "a list of strings"
    if origin is dict:
        ok = isinstance(value, dict) and all(
            isinstance(v, list) and all(isinstance(s, str) for s in v) for v in value.values()
        )
        return None if ok else "a table of lists of strings"
    raise TypeError(f"unsupported config type {expected}")  # a bug in this module, not user input


def _describe(value) -> str:
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int):
        return "an integer"
    if isinstance(value, float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "a table"
    return type(value).__name__


def _check_semantics(config: Config, lines: dict, shown: str, errors: Collector) -> None:
    url = urlsplit(config.base_url)
    if url.scheme not in ("http", "https") or not url.netloc:
        errors.error(shown, lines.get(("base_url",)),
                     f"'base_url' must be an absolute http(s) URL such as https://user.github.io/repo/, not {config.base_url!r}")
    if url.query or url.fragment:
        errors.error(shown, lines.get(("base_url",)), "'base_url' must not have a query or fragment")
    for key in ("per_page", "feed_limit"):
        if getattr(config, key) < 1:
            errors.error(shown, lines.get((key,)), f"'{key}' must be at least 1")
    if config.cname and ("/" in config.cname or " " in config.cname):
        errors.error(shown, lines.get(("cname",)), "'cname' must be a bare domain such as papers.example.org")
    if not re.fullmatch(r"[A-Za-z0-9_.-]+", config.theme) or config.theme.startswith("."):
        errors.error(shown, lines.get(("theme",)), f"'theme' must be a folder name under themes/, not {config.theme!r}")
    _check_edit_keys(config, lines, shown, errors)
    for tag, words in config.tags.rules.items():
        if not words:
            errors.error(shown, lines.get(("tags", "rules", tag)), f"tag rule '{tag}' lists no words")


_EDITOR_FIELDS = {"{path}", "{line}"}
# Schemes a link may not run as: a pattern like "javascript:..." would be a script in every preview page.
_SCRIPT_SCHEMES = {"javascript", "data", "vbscript"}


def _check_edit_keys(config: Config, lines: dict, shown: str, errors: Collector) -> None:
    """repo_url: an http(s) URL; edit_uri: a path inside it; editor_url: a URL pattern with {path}."""
    if config.repo_url:
        url = urlsplit(config.repo_url)
        if url.scheme not in ("http", "https") or not url.netloc or url.query or url.fragment:
            errors.error(shown, lines.get(("repo_url",)), "'repo_url' must be the repository's http(s) address "
                         f"such as https://github.com/user/repo, not {config.repo_url!r}")
    edit = urlsplit(config.edit_uri)
    if (edit.scheme or edit.netloc or edit.query or edit.fragment or config.edit_uri.startswith("/")
            or ".." in config.edit_uri.split("/") or any(c.isspace() for c in config.edit_uri)):
        errors.error(shown, lines.get(("edit_uri",)), "'edit_uri' must be a path inside repo_url such as "
                     f"'edit/main/' (the branch, then the folder of site.toml in the repository), not {config.edit_uri!r}")
    if config.editor_url:
        scheme = re.match(r"([A-Za-z][A-Za-z0-9+.-]*):", config.editor_url)
        fields = set(re.findall(r"\{[^{}]*\}", config.editor_url))
        if not scheme or scheme.group(1).lower() in _SCRIPT_SCHEMES or "{path}" not in fields \
                or not fields <= _EDITOR_FIELDS:
            errors.error(shown, lines.get(("editor_url",)), "'editor_url' must be a URL pattern with {path} (and "
                         "optionally {line}) such as 'vscode://file/{path}:{line}', not " + repr(config.editor_url))


_HEADER = re.compile(r"^\s*\[\s*([^\[\]]+?)\s*\]\s*(#.*)?$")
_KEY = re.compile(r"""^\s*((?:[A-Za-z0-9_-]+|"[^"]*"|'[^']*')(?:\s*\.\s*(?:[A-Za-z0-9_-]+|"[^"]*"|'[^']*'))*)\s*=""")


def _split_key(dotted: str) -> tuple:
    parts = re.findall(r"""[A-Za-z0-9_-]+|"[^"]*"|'[^']*'""", dotted)
    return tuple(p.strip("\"'") for p in parts)


def _key_lines(text: str) -> dict[tuple, int]:
    """Map each key path, e.g. ('search', 'enabled'), to its 1-based line in the TOML text."""
    lines: dict[tuple, int] = {}
    table: tuple = ()
    for number, line in enumerate(text.splitlines(), start=1):
        header = _HEADER.match(line)
        if header:
            table = _split_key(header.group(1))
            for i in range(1, len(table) + 1):
                lines.setdefault(table[:i], number)
            continue
        key = _KEY.match(line)
        if key:
            full = table + _split_key(key.group(1))
            for i in range(len(table) + 1, len(full) + 1):
                lines.setdefault(full[:i], number)
    return lines


def _display(path: Path) -> str:
    try:
        return str(path.resolve().relative_to(Path.cwd()))
    except ValueError:
        return str(path)
