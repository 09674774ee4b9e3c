"""Where TeX math is in a text, and what it becomes: MathML for pages, plain text for search. Pure.

Inline math is ``$...$`` or ``\\(...\\)``, display math ``$$...$$`` or ``\\[...\\]``. A ``$`` opens math
only when a non-space follows it, and closes it only when a non-space precedes it and no digit follows
(pandoc's rule), so ``costs $5 and $10`` is text. ``\\$`` is a dollar sign.
Used by the exporters (math is written as TeX), the build (math shown as MathML) and ``check``.

``mathml`` converts with latex2mathml and checks what comes back: TeX that does not parse (an
unbalanced brace, a fraction without its denominator, an unknown command) gives None, and the
caller shows the source as text. The MathML carries its TeX in an ``annotation`` (hidden by browsers),
from which ``plain_math`` makes the text that search indexes.
"""

from __future__ import annotations

import html
import re
import xml.etree.ElementTree as etree
from typing import NamedTuple

MATH = re.compile(
    r"(?<![\\$])\$\$(?!\$)((?:\\.|[^$\\])+?)\$\$"                                 # $$display$$
    r"|\\\[(.+?)\\\]"                                                            # \[display\]
    r"|(?<![\\$])\$(?=[^\s$])((?:\\.|[^$\\\n])*?[^\s\\])\$(?!\d)"                 # $inline$
    r"|\\\((.+?)\\\)",                                                           # \(inline\)
    re.DOTALL)
_DISPLAY_GROUPS = (1, 2)


class Span(NamedTuple):
    start: int
    end: int
    tex: str        # without the delimiters
    display: bool   # $$...$$ or \[...\]


def span_of(m: re.Match) -> Span:
    group = next(i for i in range(1, 5) if m.group(i) is not None)
    return Span(m.start(), m.end(), m.group(group), group in _DISPLAY_GROUPS)


def spans(text: str) -> list[Span]:
    """Each math span in ``text``, in order."""
    if "$" not in text and "\\" not in text:
        return []
    return [span_of(m) for m in MATH.finditer(text)]


def has_math(text: str) -> bool:
    return ("$" in text or "\\" in text) and MATH.search(text) is not None


def strip_math(text: str) -> str:
    """``text`` with each math span replaced by its TeX without the delimiters."""
    return MATH.sub(lambda m: span_of(m).tex, text)


# ---------------------------------------------------------------------------- MathML

# What each MathML element must have, as latex2mathml writes a well-formed formula: a fraction
# without its denominator (``\frac{a}``) or a script without its base is TeX that did not parse.
_CHILDREN = {"mfrac": 2, "msup": 2, "msub": 2, "mroot": 2, "mover": 2, "munder": 2, "msubsup": 3,
             "munderover": 3}
_LEAVES = {"mi", "mn", "mo", "mtext"}
TEX_LIMIT = 2000   # longer "math" is a stray pair of dollars around prose, shown as written


def mathml(tex: str, display: bool = False) -> str | None:
    """``tex`` as a ``<math>`` element (its TeX kept in an annotation), or None when it does not parse."""
    if not tex.strip() or len(tex) > TEX_LIMIT:
        return None
    try:
        from latex2mathml.converter import convert
        made = convert(tex, display="block" if display else "inline")
    except Exception:  # noqa: BLE001 - any failure of the converter is TeX that did not parse
        return None
    # latex2mathml leaves '&' (a table's column separator in text) and some '<' unescaped.
    made = re.sub(r"&(?!#x?[0-9A-Fa-f]+;|[A-Za-z]+;)", "&amp;", made)
    try:
        root = etree.fromstring(made)
    except (etree.ParseError, ValueError):
        return None
    for element in root.iter():
        name = element.tag.rpartition("}")[2]
        wanted = _CHILDREN.get(name)
        if wanted is not None and len(element) != wanted:
            return None
        if name in _LEAVES and (element.text or "").startswith("\\") and len(element.text) > 1:
            return None  # an unknown command, shown by latex2mathml as its name
    inner = made[made.index(">") + 1: made.rindex("</math>")]
    kind = "block" if display else "inline"
    return (f'<math display="{kind}"><semantics>{inner}'
            f'<annotation encoding="application/x-tex">{html.escape(tex, quote=False)}</annotation>'
            f"</semantics></math>")


def bad_spans(text: str) -> list[Span]:
    """The math spans of ``text`` that do not parse (``check`` warns about them)."""
    return [s for s in spans(text) if mathml(s.tex, s.display) is None]


# ---------------------------------------------------------------------------- plain text

# Commands whose argument is the text itself (fonts, \text, \operatorname).
_KEEP_ARGUMENT = re.compile(r"\\(?:math(?:rm|it|bf|sf|tt|cal|bb|frak|scr|normal)|text(?:rm|it|bf|sf|tt|normal)?|"
                            r"boldsymbol|bm|operatorname\*?|mbox|emph|textup)\s*(?=\{)")
_SPACING = re.compile(r"\\(?:[,;:! ]|quad|qquad|left|right|big|Big|bigg|Bigg|displaystyle|textstyle|limits|nolimits)"
                      r"(?![A-Za-z])")


def math_as_text(text: str) -> str:
    """``text`` with each math span as plain text (see ``plain_math``); text without math unchanged."""
    if not has_math(text):
        return text
    return MATH.sub(lambda m: plain_math(span_of(m).tex), text)


def plain_math(tex: str) -> str:
    """TeX as text for search and snippets: ``\\alpha`` -> α, ``\\mathcal{O}(n \\log n)`` -> O(n log n)."""
    from pylatexenc.latex2text import LatexNodes2Text

    tex = _KEEP_ARGUMENT.sub("", tex)
    tex = _SPACING.sub(" ", tex)
    tex = re.sub(r"\\(log|ln|exp|sin|cos|tan|max|min|arg|sup|inf|lim|det|dim|ker|deg|Pr)(?![A-Za-z])", r" \1 ", tex)
    try:
        text = LatexNodes2Text(math_mode="text", strict_latex_spaces=False).latex_to_text(tex)
    except Exception:  # noqa: BLE001 - text of TeX that does not parse is the TeX itself
        text = tex
    return " ".join(text.split())
