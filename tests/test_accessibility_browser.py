"""Every page type of a built site, served under a subpath by a real server and opened in headless Chromium
in light and dark mode: axe-core (npm, pinned) finds no violation, and every focus indicator and control
border reaches 3:1 contrast against what is behind it (WCAG 1.4.11).

The page types are not listed by hand: the site is crawled from its index and each page gets a type from
its path (``papers/<slug>/`` -> paper, ``tags/<slug>/`` -> tag, a new section -> its own type), so a page
type the site gains is checked without touching this file. The types every site has must be among them.
Two sites: the shipped entries (with one showing everything a paper page can), and the hostile fixture,
whose every field tries to inject markup.
"""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import urlsplit

import pytest

import needs
from papershelf.build import build
from papershelf.config import load_config
from site_helpers import copy_site, crawl, serve, shipped_site

pytestmark = [pytest.mark.browser]
AXE = needs.REPO / "node_modules" / "axe-core" / "axe.min.js"
PREFIX = "/shelf/"
# A paper with everything a paper page can show: status, rating, notes, arXiv and code links.
RICH = """---
title: "Attention Is All You Need: a reading with notes"
date: 2017-06-12
authors: [Ashish Vaswani, Noam Shazeer, Niki Parmar]
tags: [transformers, llm]
status: read
rating: 4
arxiv_id: "1706.03762"
links:
  code: https://github.com/tensorflow/tensor2tensor
---
The dominant sequence transduction models are based on complex recurrent or convolutional networks.

## Notes

Read twice; the positional encoding section is the one to keep.
"""
MUST_HAVE = {"index", "paper", "tags", "tag", "archive", "browse", "search", "404"}
# What a page type's script must have shown before it is checked (the search page only with a query).
READY = {"search?": "#search-results li", "browse": "#browse[data-shown] #browse-results li",
         "browse?": "#browse[data-shown] #browse-results li"}
# Pages the crawl does not reach, by site: the paper with everything, a search with results, a filtered browse.
EXTRA = {"shipped": {"paper": ["papers/attention-reading/"], "search": ["search/?q=diffusion"],
                     "browse": ["browse/?tag=music&sort=title"], "404": ["no-such-page/"]},
         "hostile": {"404": ["no-such-page/"]}}


def page_type(path: str) -> str:
    """``papers/x/`` -> paper, ``tags/`` -> tags, ``tags/x/`` -> tag, ``page/2/`` -> index, ``a/`` -> a, ``a/b/`` -> a/*."""
    parts = [p for p in path.split("?")[0].split("/") if p and p != "index.html"]
    if not parts or parts[0] == "page":
        return "index"
    if parts[0] == "papers":
        return "paper"
    if parts[0] == "tags":
        return "tags" if len(parts) == 1 else "tag"
    return parts[0] if len(parts) == 1 else parts[0] + "/*"


@pytest.fixture(scope="module", params=["shipped", "hostile"])
def site(request, tmp_path_factory) -> tuple[Path, str]:
    """The shipped entries plus a rich one, or the entries whose every field tries to inject markup."""
    if request.param == "shipped":
        root = shipped_site(tmp_path_factory.mktemp("a11y"),
                            'title = "A Reading Group on Diffusion, Noisy Labels and Sparsity"\n'
                            'base_url = "https://u.github.io/shelf/"\n', {"attention-reading.md": RICH})
    else:
        root = copy_site("hostile", tmp_path_factory.mktemp("a11y-hostile"))
    build(load_config(root / "site.toml"), out=root / "site", base_url="https://u.github.io" + PREFIX)
    return root / "site", request.param


@pytest.fixture(scope="module")
def pages(site) -> dict[str, list[str]]:
    """Page type -> paths (under the base) to check: the first page of each type the crawl finds, and the
    site's EXTRA pages."""
    folder, name = site
    with serve(folder, PREFIX) as root:
        visited, broken, _ = crawl(root)
    assert broken == []
    chosen: dict[str, list[str]] = {}
    for url in sorted(visited):
        path = urlsplit(url).path[len(PREFIX):]
        chosen.setdefault(page_type(path), [path])
    for kind, paths in EXTRA[name].items():
        chosen.setdefault(kind, []).extend(p for p in paths if p not in chosen.get(kind, []))
    assert MUST_HAVE <= set(chosen), sorted(chosen)
    return chosen


def open_page(page, root: str, kind: str, path: str):
    response = page.goto(root + path)
    assert response.status == (404 if kind == "404" else 200), path
    ready = READY.get(kind + ("?" if "?" in path else ""))
    if ready:
        page.wait_for_selector(ready, timeout=30_000)
    page.wait_for_load_state("networkidle")


def every_page(site, pages, unproven: str):
    """(scheme, kind, path, Playwright page) for every page to check, opened in light and then dark mode."""
    with serve(site[0], PREFIX) as root, needs.launched_chromium(unproven) as browser:
        for scheme in ("light", "dark"):
            context = browser.new_context(color_scheme=scheme)
            page = context.new_page()
            for kind, paths in sorted(pages.items()):
                for path in paths:
                    open_page(page, root, kind, path)
                    assert page.evaluate("matchMedia('(prefers-color-scheme: dark)').matches") == (scheme == "dark")
                    yield scheme, kind, path, page
            context.close()


def test_axe_finds_no_violation_on_any_page_type_in_light_and_dark_mode(site, pages):
    if not AXE.is_file():
        needs.missing(f"{AXE} (run `npm ci`)", "axe-core's checks of every page type")
    axe = AXE.read_text(encoding="utf-8")
    checked, found = [], []
    for scheme, kind, path, page in every_page(site, pages, "axe-core on every page type"):
        page.add_script_tag(content=axe)
        result = page.evaluate("axe.run(document, {resultTypes: ['violations']})")
        checked.append((scheme, kind, path, len(result["passes"])))
        for violation in result["violations"]:
            for node in violation["nodes"]:
                found.append(f"{scheme} {kind} /{path}: {violation['id']} at {node['target']}: {node['failureSummary']}")
    print(sorted({(scheme, kind): passes for scheme, kind, _, passes in checked}.items()))   # with -s
    assert found == []
    assert {(scheme, kind) for scheme, kind, _, _ in checked} == {(s, k) for s in ("light", "dark") for k in pages}
    assert all(passes > 10 for *_, passes in checked)   # axe ran its rules on a real page


def srgb(css: str) -> tuple[float, float, float, float]:
    """'rgb(1, 2, 3)' or 'rgba(1, 2, 3, 0.5)' -> (r, g, b, alpha)."""
    numbers = [float(n) for n in re.findall(r"[\d.]+", css)]
    assert css.startswith("rgb") and len(numbers) in (3, 4), css
    return (*numbers[:3], numbers[3] if len(numbers) == 4 else 1.0)


def contrast(one: str, two: str) -> float:
    """WCAG 2 contrast ratio of two opaque colours."""
    def luminance(css):
        r, g, b, alpha = srgb(css)
        assert alpha == 1.0, css
        lin = [c / 255 / 12.92 if c / 255 <= 0.04045 else ((c / 255 + 0.055) / 1.055) ** 2.4 for c in (r, g, b)]
        return 0.2126 * lin[0] + 0.7152 * lin[1] + 0.0722 * lin[2]
    high, low = sorted((luminance(one), luminance(two)), reverse=True)
    return (high + 0.05) / (low + 0.05)


# Focuses every visible focusable element (keyboard modality is set by one Tab first, so programmatic focus
# shows the indicator as a keyboard user sees it) and reads the indicator, the control's border, and the
# colour behind the element (the first opaque background among its ancestors: the outline is drawn outside).
FOCUS_AND_BORDERS = """() => {
  const behind = (el) => {
    for (let p = el.parentElement; p; p = p.parentElement) {
      const bg = getComputedStyle(p).backgroundColor;
      if (!/^rgba\\(.*, 0\\)$/.test(bg) && bg !== 'transparent') return bg;
    }
    return getComputedStyle(document.documentElement).backgroundColor;
  };
  const name = (el) => el.tagName.toLowerCase() + (el.id ? '#' + el.id : '') +
    (el.className && typeof el.className === 'string' ? '.' + el.className.trim().split(/\\s+/).join('.') : '') +
    (el.textContent ? ' "' + el.textContent.trim().slice(0, 30) + '"' : '');
  const out = [];
  const selector = 'a[href], button, input, select, textarea, summary, [tabindex]:not([tabindex="-1"])';
  for (const el of document.querySelectorAll(selector)) {
    if (el.disabled || !el.getClientRects().length || getComputedStyle(el).visibility === 'hidden') continue;
    el.focus();
    if (document.activeElement !== el) continue;
    const s = getComputedStyle(el);
    const control = /^(INPUT|SELECT|TEXTAREA|BUTTON)$/.test(el.tagName) &&
                    !/^(checkbox|radio)$/.test(el.type || '');
    out.push({name: name(el), visible: el.matches(':focus-visible'), style: s.outlineStyle,
              width: parseFloat(s.outlineWidth), color: s.outlineColor, behind: behind(el),
              control: control, borderStyle: s.borderTopStyle, borderWidth: parseFloat(s.borderTopWidth),
              border: s.borderTopColor, textBox: /^(INPUT|SELECT|TEXTAREA)$/.test(el.tagName)});
  }
  return out;
}"""


def test_focus_indicators_and_control_borders_reach_3_to_1_in_light_and_dark_mode(site, pages):
    problems, focus_ratios, border_ratios = [], {}, {}
    for scheme, kind, path, page in every_page(site, pages, "focus and border contrast"):
        page.keyboard.press("Tab")
        for el in page.evaluate(FOCUS_AND_BORDERS):
            where = f"{scheme} /{path} {el['name']}"
            if not el["visible"] or el["style"] == "none" or el["width"] < 2:
                problems.append(f"{where}: no focus indicator ({el['style']} {el['width']}px)")
                continue
            ratio = contrast(el["color"], el["behind"])
            focus_ratios.setdefault(scheme, []).append(ratio)
            if ratio < 3:
                problems.append(f"{where}: focus {el['color']} on {el['behind']}: {ratio:.2f}:1")
            if not el["control"]:
                continue
            if el["borderStyle"] == "none" or el["borderWidth"] == 0:
                if el["textBox"]:
                    problems.append(f"{where}: a text box with no border")
                continue
            ratio = contrast(el["border"], el["behind"])
            border_ratios.setdefault(scheme, []).append(ratio)
            if ratio < 3:
                problems.append(f"{where}: border {el['border']} on {el['behind']}: {ratio:.2f}:1")
    print({s: (len(r), round(min(r), 2)) for s, r in focus_ratios.items()},
          {s: (len(r), round(min(r), 2)) for s, r in border_ratios.items()})   # with -s: how many, the lowest
    assert problems == []
    # Every mode met focusable elements and bordered controls (the search boxes, buttons, selects).
    assert set(focus_ratios) == set(border_ratios) == {"light", "dark"}
    assert all(len(focus_ratios[s]) > 50 and len(border_ratios[s]) > 5 for s in ("light", "dark"))
