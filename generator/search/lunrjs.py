"""Index-side text processing that matches lunr.js 2.3.9 token for token.

The index is built here in Python but queried by lunr.js in the browser, so a
word must become the same term on both sides or the search silently misses it.
The ``lunr`` PyPI package processes text differently from lunr.js (its stemmer
turns "key" into "kei", its trimmer keeps "(e.g." and treats "μ" as a letter),
so this module re-implements lunr.js's own steps from their documented
behaviour:

- tokenizer: lowercase (JS ``toLowerCase``), split on runs of JS whitespace or "-";
- trimmer: strip leading and trailing characters outside ``[A-Za-z0-9_]``
  (JS ``\\W`` is ASCII-only, so "μlo" becomes "lo");
- stop word filter: lunr.js's English list;
- stemmer: lunr.js's Porter stemmer, run on UTF-16 code units as JS does.

tests/test_search_differential.py runs lunr.js in Node to prove the equality.
"""

from __future__ import annotations

import re
from functools import lru_cache

from lunr import __TARGET_JS_VERSION__ as LUNR_JS_VERSION
from lunr.stop_word_filter import WORDS as _LUNR_STOP_WORDS

# JS ``\s`` (ECMAScript WhiteSpace + LineTerminator) plus "-". Python's own ``\s``
# differs: it adds U+001C-U+001F and U+0085 and lacks U+FEFF.
_JS_SPACE = "\t\n\v\f\r \u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000\ufeff"
_SEPARATOR = re.compile(f"[{_JS_SPACE}\\-]+")
# Space to Python's str.split() but not to JS (U+001C-U+001F, U+0085), or the reverse (U+FEFF).
_NOT_SHARED_SPACE = re.compile("[\x1c-\x1f\x85\ufeff]")
_LEADING = re.compile(r"\A[^A-Za-z0-9_]+")
_TRAILING = re.compile(r"[^A-Za-z0-9_]+\Z")

# lunr.js's English list; the lunr package ships the same 119 words (checked by the differential test).
STOP_WORDS = frozenset(_LUNR_STOP_WORDS)


def tokenize(text: str) -> list[str]:
    """Lowercase and split like ``lunr.tokenizer`` does for a string."""
    text = text.lower()
    if _NOT_SHARED_SPACE.search(text) is None:
        # Without the characters only one of them counts as space, Python's str.split()
        # splits where JS's \s does, and three times faster than the regex.
        return text.replace("-", " ").split()
    return [piece for piece in _SEPARATOR.split(text) if piece]


def trim(word: str) -> str:
    return _TRAILING.sub("", _LEADING.sub("", word))


def process(text: str) -> list[str]:
    """The index terms lunr.js's default pipeline (trimmer, stopWordFilter, stemmer) makes of ``text``."""
    terms = []
    for word in tokenize(text):
        word = trim(word)
        if word not in STOP_WORDS:
            terms.append(stem(word))
    return terms


# --- the Porter stemmer, as lunr.js implements it ---------------------------------------------

_STEP2 = {
    "ational": "ate", "tional": "tion", "enci": "ence", "anci": "ance", "izer": "ize", "bli": "ble",
    "alli": "al", "entli": "ent", "eli": "e", "ousli": "ous", "ization": "ize", "ation": "ate",
    "ator": "ate", "alism": "al", "iveness": "ive", "fulness": "ful", "ousness": "ous", "aliti": "al",
    "iviti": "ive", "biliti": "ble", "logi": "log",
}
_STEP3 = {"icate": "ic", "ative": "", "alize": "al", "iciti": "ic", "ical": "ic", "ful": "", "ness": ""}

# Note the asymmetry lunr.js has: a consonant is [^aeiou] but a consonant run continues over [^aeiouy].
_c = "[^aeiou]"
_v = "[aeiouy]"
_C = _c + "[^aeiouy]*"
_V = _v + "[aeiou]*"
_MGR0 = re.compile(f"^({_C})?{_V}{_C}")
_MEQ1 = re.compile(f"^({_C})?{_V}{_C}({_V})?\\Z")
_MGR1 = re.compile(f"^({_C})?{_V}{_C}{_V}{_C}")
_S_V = re.compile(f"^({_C})?{_v}")
# JS "." excludes line terminators; tokens never contain them (they are separators).
_1A = re.compile(r"^(.+?)(ss|i)es\Z")
_1A2 = re.compile(r"^(.+?)([^s])s\Z")
_1B = re.compile(r"^(.+?)eed\Z")
_1B2 = re.compile(r"^(.+?)(ed|ing)\Z")
_LAST = re.compile(r".\Z")
_1B_ATBLIZ = re.compile(r"(at|bl|iz)\Z")
_1B_DOUBLE = re.compile(r"([^aeiouylsz])\1\Z")
_CVC = re.compile(f"^{_C}{_v}[^aeiouwxy]\\Z")
_1C = re.compile(r"^(.+?[^aeiou])y\Z")
_2 = re.compile(f"^(.+?)({'|'.join(_STEP2)})\\Z")
_3 = re.compile(f"^(.+?)({'|'.join(_STEP3)})\\Z")
_4 = re.compile(r"^(.+?)(al|ance|ence|er|ic|able|ible|ant|ement|ment|ent|ou|ism|ate|iti|ous|ive|ize)\Z")
_4B = re.compile(r"^(.+?)(s|t)(ion)\Z")
_5 = re.compile(r"^(.+?)e\Z")
_5LL = re.compile(r"ll\Z")


@lru_cache(maxsize=1 << 16)  # pure; a corpus repeats its words, and stemming dominates indexing time
def stem(word: str) -> str:
    """lunr.js's stemmer. JS strings are UTF-16, so lengths and "." count code units."""
    astral = not word.isascii() and any(ord(ch) > 0xFFFF for ch in word)
    units = _to_code_units(word) if astral else word
    stemmed = _porter(units)
    return _from_code_units(stemmed) if astral else stemmed


def _porter(w: str) -> str:
    if len(w) < 3:
        return w
    first_y = w[0] == "y"
    if first_y:
        w = "Y" + w[1:]

    # Step 1a
    if m := _1A.match(w):
        w = m.group(1) + m.group(2)
    elif m := _1A2.match(w):
        w = m.group(1) + m.group(2)

    # Step 1b
    if m := _1B.match(w):
        if _MGR0.search(m.group(1)):
            w = _LAST.sub("", w, count=1)
    elif m := _1B2.match(w):
        stem_ = m.group(1)
        if _S_V.search(stem_):
            w = stem_
            if _1B_ATBLIZ.search(w):
                w += "e"
            elif _1B_DOUBLE.search(w):
                w = _LAST.sub("", w, count=1)
            elif _CVC.search(w):
                w += "e"

    # Step 1c
    if m := _1C.match(w):
        w = m.group(1) + "i"

    # Step 2
    if (m := _2.match(w)) and _MGR0.search(m.group(1)):
        w = m.group(1) + _STEP2[m.group(2)]

    # Step 3
    if (m := _3.match(w)) and _MGR0.search(m.group(1)):
        w = m.group(1) + _STEP3[m.group(2)]

    # Step 4
    if m := _4.match(w):
        if _MGR1.search(m.group(1)):
            w = m.group(1)
    elif m := _4B.match(w):
        if _MGR1.search(m.group(1) + m.group(2)):
            w = m.group(1) + m.group(2)

    # Step 5
    if m := _5.match(w):
        s = m.group(1)
        if _MGR1.search(s) or (_MEQ1.search(s) and not _CVC.search(s)):
            w = s
    if _5LL.search(w) and _MGR1.search(w):
        w = _LAST.sub("", w, count=1)

    if first_y:
        w = "y" + w[1:]
    return w


def _to_code_units(text: str) -> str:
    data = text.encode("utf-16-le", "surrogatepass")
    return "".join(chr(int.from_bytes(data[i:i + 2], "little")) for i in range(0, len(data), 2))


def _from_code_units(units: str) -> str:
    return units.encode("utf-16-le", "surrogatepass").decode("utf-16-le", "surrogatepass")


def utf16_key(term: str) -> bytes:
    """Sort key giving JS string order (UTF-16 code units); lunr.Index.load rejects any other order."""
    return term.encode("utf-16-be", "surrogatepass")
