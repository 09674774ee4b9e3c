"""Math in real headless Chromium: a built page shows its TeX as laid-out MathML, with no script and no raw TeX.

``MATH_SCREENSHOT=/tmp/math.png`` keeps a screenshot of the page there (else it goes to the test's tmp folder).
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

import needs

pytestmark = [pytest.mark.browser, pytest.mark.slow]

needs.chromium("math renders as MathML in a real browser", module=True)

from papershelf.build import build  # noqa: E402
from papershelf.config import load_config  # noqa: E402
from site_helpers import serve  # noqa: E402
from test_math import write_math_site  # noqa: E402

GEOMETRY = """() => {
  const box = el => { const r = el.getBoundingClientRect(); return [r.left, r.top, r.width, r.height]; };
  const maths = [...document.querySelectorAll('main math')];
  const frac = document.querySelector('main mfrac');
  const sup = document.querySelector('main p msup');
  return {
    maths: maths.map(m => ({box: box(m), display: getComputedStyle(m).display, block: m.getAttribute('display')})),
    annotations: [...document.querySelectorAll('main annotation')].map(a => box(a)),
    frac: [...frac.children].map(box),
    sup: [...sup.children].map(el => [...box(el), parseFloat(getComputedStyle(el).fontSize)]),
    h1: document.querySelector('h1').innerText,
    text: document.querySelector('main').innerText,
    scripts: document.scripts.length,
  };
}"""


@pytest.fixture(scope="module")
def site_url(tmp_path_factory):
    root = write_math_site(tmp_path_factory.mktemp("math-site"))
    out = root / "public"
    build(load_config(root / "site.toml"), out=out)
    with serve(out, "/") as url:
        yield url


def test_a_built_page_shows_math_as_laid_out_mathml(site_url, tmp_path):
    with needs.launched_chromium("math renders as MathML in a real browser") as browser:
        page = browser.new_page(viewport={"width": 900, "height": 1100})
        problems: list[str] = []
        page.on("pageerror", lambda error: problems.append(str(error)))
        page.on("dialog", lambda dialog: (problems.append(dialog.message), dialog.dismiss()))
        requests: list[str] = []
        page.on("request", lambda request: requests.append(request.url))
        page.goto(site_url + "papers/sorting/")
        seen = page.evaluate(GEOMETRY)
        shot = Path(os.environ.get("MATH_SCREENSHOT") or tmp_path / "math.png")
        page.screenshot(path=str(shot), full_page=True)
    assert problems == []
    assert all(url.startswith(site_url) for url in requests)   # no CDN, nothing from another host
    # Chromium lays each <math> out as MathML (display: math), inline or as a block, with a real size.
    assert len(seen["maths"]) >= 6
    for m in seen["maths"]:
        assert m["box"][2] > 0 and m["box"][3] > 0, m
        assert m["display"] == ("block math" if m["block"] == "block" else "math"), m
    assert all(box[2] == 0 and box[3] == 0 for box in seen["annotations"])  # the TeX annotation is not shown
    numerator, denominator = seen["frac"]
    assert numerator[1] + numerator[3] <= denominator[1] + 1               # a fraction is stacked
    base, exponent = seen["sup"]
    assert exponent[1] < base[1] and exponent[1] + exponent[3] < base[1] + base[3]  # a superscript is raised
    assert exponent[4] < base[4]                                                     # and smaller
    # No TeX is visible where it parsed; what did not parse is shown as written; dollar amounts are text.
    assert "$" not in seen["h1"] and "\\" not in seen["h1"] and "<i>fast</i>" in seen["h1"]
    text = seen["text"]
    assert "$O(n^2)$" not in text and "\\alpha" not in text and "\\sum" not in text and "\\(" not in text
    assert "it costs $5 and $10" in text and "$\\frac{a}$" in text and "${$" in text
