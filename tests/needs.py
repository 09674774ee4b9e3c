"""What a test needs beyond the repository, and what happens when it is missing.

Under ``CI=true`` (set by ``.ci/run``) a missing browser, Playwright, Java, Node.js or the
shared data in ``../shared`` is a failure: CI must prove everything. Elsewhere the test is
skipped with a message saying what was not proven.
"""

from __future__ import annotations

import contextlib
import os
import shutil
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared"
HF_DATA = SHARED / "data" / "hf-daily-api-2024"
SHARED_SEED = SHARED / "seeds" / "000_5dc950244780a2b1.txt"
LUNR_JS = REPO / "node_modules" / "lunr" / "lunr.js"
VNU = REPO / "node_modules" / "vnu-jar" / "build" / "dist" / "vnu.jar"
IN_CI = os.environ.get("CI", "").strip().lower() in {"1", "true", "yes"}


def missing(what: str, unproven: str, *, module: bool = False):
    """Fail under CI, skip elsewhere; ``unproven`` says what the test would have shown."""
    if IN_CI:
        pytest.fail(f"{what} is missing and CI=true: {unproven} must be proven here", pytrace=False)
    pytest.skip(f"{what} is missing, so this was not proven: {unproven}", allow_module_level=module)


def shared(path: Path, unproven: str, *, module: bool = False) -> Path:
    if not path.exists():
        missing(f"{path} (from ../shared)", unproven, module=module)
    return path


def node(unproven: str, *, module: bool = False) -> str:
    exe = shutil.which("node")
    if exe is None:
        missing("Node.js", unproven, module=module)
    if not LUNR_JS.is_file():
        missing(f"{LUNR_JS} (run `npm ci`)", unproven, module=module)
    return exe


def chromium_path() -> str | None:
    """Chromium wherever it is installed: $CHROMIUM, /usr/bin/chromium, or on PATH."""
    for candidate in (os.environ.get("CHROMIUM"), "/usr/bin/chromium", shutil.which("chromium"),
                      shutil.which("chromium-browser")):
        if candidate and Path(candidate).is_file():
            return candidate
    return None


def chromium(unproven: str, *, module: bool = False) -> str:
    """The browser's path, with Playwright importable."""
    exe = chromium_path()
    if exe is None:
        missing("Chromium (apt-get install chromium)", unproven, module=module)
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        missing("Playwright (pip install playwright)", unproven, module=module)
    return exe


# Headless Chromium as root on a machine with no display and a closed network (no background requests).
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking"]


@contextlib.contextmanager
def launched_chromium(unproven: str):
    """A Playwright browser on the machine's Chromium (see ``chromium``), closed afterwards."""
    executable = chromium(unproven)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=executable, headless=True, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


def java_vnu(unproven: str) -> tuple[str, Path]:
    java = shutil.which("java")
    if java is None:
        missing("java (install a JRE)", unproven)
    if not VNU.is_file():
        missing(f"{VNU} (run `npm ci`)", unproven)
    return java, VNU
