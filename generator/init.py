"""``papershelf init``: start a new reading list in a folder.

Writes the starter files kept in ``starter/`` (package data): a commented ``site.toml``, one
example entry, ``.gitignore``, a GitHub Pages workflow pinned to this papershelf version, and
a README for the list. It never overwrites a file, even with ``--force`` (which only lets it
add the missing files to a folder that already holds a list).
"""

from __future__ import annotations

import json
import logging
import os
from pathlib import Path
from string import Template

from . import __version__
from .config import CONFIG_NAME, Config, config_from_dict, parse_toml
from .errors import SiteError, SiteErrors
from .resources import STARTER

log = logging.getLogger("papershelf")

DEFAULT_BASE_URL = "http://localhost:8000/"
EXAMPLE_ENTRY = "attention-is-all-you-need.md"

# starter file -> where it goes in the new list
FILES = {
    "site.toml": CONFIG_NAME,
    "example.md": f"content/{EXAMPLE_ENTRY}",
    "gitignore": ".gitignore",
    "pages.yml": ".github/workflows/pages.yml",
    "README.md": "README.md",
}


def _toml_string(value: str) -> str:
    # A JSON string is a valid TOML basic string (the same escapes, \uXXXX included).
    return json.dumps(value, ensure_ascii=False)


def render_starter(title: str, base_url: str) -> dict[str, str]:
    """Relative path in the new list -> its text."""
    values = {"title": title, "base_url": base_url, "version": __version__}
    toml_values = {**values, "title": _toml_string(title), "base_url": _toml_string(base_url)}
    out = {}
    for name, target in FILES.items():
        text = (STARTER / name).read_text(encoding="utf-8")
        out[target] = Template(text).substitute(toml_values if name == "site.toml" else values)
    return out


def _existing_list(folder: Path) -> list[str]:
    found = []
    if (folder / CONFIG_NAME).exists():
        found.append(CONFIG_NAME)
    content = folder / "content"
    if content.is_dir() and any(content.glob("*.md")):
        found.append("content/*.md")
    return found


def _write_new(path: Path, text: str) -> None:
    """Create ``path`` with ``text``; never replaces an existing file (O_EXCL)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
    with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as handle:
        handle.write(text)


def run_init(folder: str | None, *, title: str | None, base_url: str | None, force: bool) -> int:
    target = Path(folder or ".")
    shown = str(target)
    if target.exists() and not target.is_dir():
        raise SiteError(shown, None, "exists and is not a folder")
    existing = _existing_list(target) if target.is_dir() else []
    if existing and not force:
        raise SiteError(shown, None, f"already holds a reading list ({', '.join(existing)}): "
                                     "run papershelf there, or pass --force to add only the missing starter files")
    title = title if title is not None else (target.resolve().name.replace("-", " ").replace("_", " ").strip()
                                             or "Reading list")
    files = render_starter(title, base_url or DEFAULT_BASE_URL)
    # The config we are about to write must load (a --base-url like "ftp://x" is refused before any write).
    config = _validate(files[CONFIG_NAME], target)

    created, kept = [], []
    for relative, text in files.items():
        path = target / relative
        if path.exists() or path.is_symlink():
            kept.append(relative)
            continue
        _write_new(path, text)
        created.append(relative)
    for relative in created:
        log.info("created %s", Path(shown) / relative)
    for relative in kept:
        log.info("kept    %s (already there)", Path(shown) / relative)
    steps = ([f"cd {shown}"] if target.resolve() != Path.cwd().resolve() else []) + [
        f"papershelf serve                    # preview at http://127.0.0.1:8000{config.base_path}, reloaded on every save",
        "papershelf import FILE              # papers from BibTeX, RIS, CSL-JSON, arXiv or Hugging Face files",
        'papershelf new "Title" --arxiv ID   # one paper by hand',
    ]
    log.info("\nNext:\n%s\nThen push the folder to GitHub and set Settings -> Pages -> Source: GitHub Actions.",
             "\n".join("  " + step for step in steps))
    return 0


def _validate(config_text: str, target: Path) -> Config:
    """The site.toml about to be written, loaded: a bad --base-url is refused before anything is written."""
    try:
        return config_from_dict(parse_toml(config_text, CONFIG_NAME), config_text, CONFIG_NAME, root=target)
    except SiteErrors as exc:
        raise SiteErrors([SiteError("papershelf init", None, e.message) for e in exc.errors]) from None
