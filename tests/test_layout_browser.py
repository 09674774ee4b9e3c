"""The default theme's layout in real Chromium, at a phone's and a desktop's width: no sideways scrolling,
a header that stays short, a BibTeX block that scrolls inside itself and can be reached by keyboard."""

from __future__ import annotations

from pathlib import Path

import pytest

import needs
from papershelf.build import build
from papershelf.config import load_config
from site_helpers import serve, shipped_site

pytestmark = [pytest.mark.browser]
LONG_TITLE = "A Reading Group on Diffusion, Noisy Labels and Sparsity"
PAGES = ["", "papers/{slug}/", "tags/", "tags/llm/", "archive/", "search/?q=diffusion", "page/2/", "browse/",
         "browse/?tag=music&sort=title"]
WIDTHS = {320: 100, 390: 100, 1280: 80}   # viewport width -> most header height (px)


@pytest.fixture(scope="module")
def site(tmp_path_factory) -> Path:
    root = shipped_site(tmp_path_factory.mktemp("layout"),
                        f'title = "{LONG_TITLE}"\nbase_url = "https://u.github.io/shelf/"\n')
    build(load_config(root / "site.toml"), out=root / "site")
    return root / "site"


def test_no_page_scrolls_sideways_and_the_header_stays_short(site):
    slug = max((p.name for p in (site / "papers").iterdir() if p.is_dir()), key=len)   # the longest title
    problems = []
    with serve(site, "/shelf/") as root, needs.launched_chromium("the theme's layout in a real browser") as browser:
        for width, tallest in WIDTHS.items():
            page = browser.new_page(viewport={"width": width, "height": 800})
            for path in PAGES:
                page.goto(root + path.format(slug=slug))
                sideways = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
                header = page.evaluate("document.querySelector('.site-header').getBoundingClientRect().height")
                if sideways > 0:
                    problems.append(f"{width}px {path}: scrolls {sideways}px sideways")
                if header > tallest:
                    problems.append(f"{width}px {path}: header {header:.0f}px tall")
            page.close()
    assert problems == []


def test_the_bibtex_block_scrolls_inside_itself_and_takes_keyboard_focus(site):
    slug = max((p.name for p in (site / "papers").iterdir() if p.is_dir()), key=len)
    with serve(site, "/shelf/") as root, needs.launched_chromium("the theme's layout in a real browser") as browser:
        page = browser.new_page(viewport={"width": 320, "height": 800})
        page.goto(root + f"papers/{slug}/")
        box = page.evaluate("""() => { const pre = document.querySelector('.bibtex pre');
            const r = pre.getBoundingClientRect();
            return {right: r.right, width: window.innerWidth, scrolls: pre.scrollWidth > pre.clientWidth,
                    tabindex: pre.getAttribute('tabindex'), label: pre.getAttribute('aria-label')}; }""")
        assert box["right"] <= box["width"] and box["scrolls"]
        assert box["tabindex"] == "0" and box["label"]
        page.focus(".bibtex pre")
        assert page.evaluate("document.activeElement.tagName") == "PRE"
