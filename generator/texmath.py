"""Where TeX math is in a text: ``$...$`` and ``\\(...\\)``. Pure functions, no rendering.

A ``$`` opens math only when a non-space follows it, and closes it only when a non-space precedes it
and no digit follows (pandoc's rule), so ``costs $5 and $10`` is text. ``\\$`` is a dollar sign.
Used by the exporters (math is written as TeX) and by the build (math shown as MathML).
"""

from __future__ import annotations

import re

MATH = re.compile(r"(?<![\\$])\$(?=[^\s$])((?:\\.|[^$\\\n])*?[^\s\\])\$(?!\d)|\\\((.+?)\\\)", re.DOTALL)


def spans(text: str) -> list[tuple[int, int, str]]:
    """(start, end, TeX) of each math span in ``text``, in order."""
    return [(m.start(), m.end(), m.group(1) if m.group(1) is not None else m.group(2))
            for m in MATH.finditer(text)]


def strip_math(text: str) -> str:
    """``text`` with each math span replaced by its TeX without the delimiters (for search and plain text)."""
    return MATH.sub(lambda m: m.group(1) if m.group(1) is not None else m.group(2), text)
