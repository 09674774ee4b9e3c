"""Where papershelf's own files are: the default theme, lunr.js and the files `init` writes.

An installed papershelf carries them inside the package (``papershelf/themes/default``,
``papershelf/assets/lunr.min.js``, put there when the wheel is built: see ``setup.py``).
A source checkout (an editable install, or running the tests) has them where they are
edited: ``themes/default`` at the top of the repository and ``node_modules/lunr`` after
``npm ci``. Nothing else in papershelf knows these paths.
"""

from __future__ import annotations

from pathlib import Path

PACKAGE = Path(__file__).resolve().parent
# The repository, when papershelf runs from its source tree; in site-packages this is not a checkout.
CHECKOUT = PACKAGE.parent
STARTER = PACKAGE / "starter"   # the files `papershelf init` writes
LUNR_NAME = "lunr.min.js"


def is_checkout() -> bool:
    return (CHECKOUT / "pyproject.toml").is_file() and (CHECKOUT / "themes" / "default").is_dir()


def default_theme() -> Path:
    """The default theme's folder (holding ``templates/`` and ``static/``)."""
    packaged = PACKAGE / "themes" / "default"
    if (packaged / "templates").is_dir():
        return packaged
    return CHECKOUT / "themes" / "default"


def lunr_js() -> Path | None:
    """lunr.min.js as shipped in the wheel, or from the checkout's node_modules; None if neither is there."""
    for candidate in (PACKAGE / "assets" / LUNR_NAME, CHECKOUT / "node_modules" / "lunr" / LUNR_NAME):
        if candidate.is_file():
            return candidate
    return None


def lunr_missing_hint() -> str:
    if is_checkout():
        return (f"lunr.js is missing from this source checkout: run `npm ci` in {CHECKOUT} "
                "(or build with --no-search)")
    return (f"lunr.js is missing from this papershelf installation (no {PACKAGE / 'assets' / LUNR_NAME}): "
            "reinstall papershelf (`pip install --force-reinstall papershelf`), or build with --no-search")


def own_folders() -> list[Path]:
    """Folders no build may write into: papershelf's own package and, in a checkout, its repository."""
    return [PACKAGE] + ([CHECKOUT] if is_checkout() else [])
