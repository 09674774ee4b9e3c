"""The small fixture site builds to exactly the expected files (tests/golden/small).

After an intended change to the output, regenerate with ``.venv/bin/python tests/regen_golden.py``
and review ``git diff tests/golden``. lunr.min.js and search.js are copied verbatim from elsewhere
and are left out of the comparison.
"""

import difflib

from regen_golden import GOLDEN, SKIPPED, build_small


def _files(folder):
    return {p.relative_to(folder).as_posix(): p for p in folder.rglob("*") if p.is_file()}


def test_small_site_matches_the_golden_output_file_by_file(tmp_path):
    out = tmp_path / "small"
    build_small(out)
    built, expected = _files(out), _files(GOLDEN)
    assert sorted(built) == sorted(expected), "files differ: run tests/regen_golden.py if this is intended"
    problems = []
    for rel in sorted(expected):
        want, got = expected[rel].read_bytes(), built[rel].read_bytes()
        if want != got:
            diff = difflib.unified_diff(want.decode(errors="replace").splitlines(),
                                        got.decode(errors="replace").splitlines(),
                                        f"golden/{rel}", f"built/{rel}", lineterm="", n=2)
            problems.append("\n".join(list(diff)[:60]))
    assert not problems, "\n\n".join(problems)
    assert not SKIPPED & set(expected)
