"""The small fixture site builds to exactly the expected files (tests/golden/small).

After an intended change to the output, regenerate with ``.venv/bin/python tests/regen_golden.py``
and review ``git diff tests/golden``. Files under assets/ are copied verbatim (theme static files,
lunr.js from npm): the golden output keeps no second copy; they are compared with their sources.
"""

import difflib

from pathlib import Path

from regen_golden import ASSETS, GOLDEN, build_small

ROOT = Path(__file__).resolve().parents[1]


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
    assert not (GOLDEN / ASSETS).exists()


def test_assets_are_the_theme_static_files_and_lunr_byte_for_byte(tmp_path):
    out = tmp_path / "small"
    build_small(out, keep_assets=True)
    static = ROOT / "themes" / "default" / "static"
    sources = {p.relative_to(static).as_posix(): p for p in static.rglob("*") if p.is_file()}
    sources["lunr.min.js"] = ROOT / "node_modules" / "lunr" / "lunr.min.js"
    built = _files(out / ASSETS)
    assert sorted(built) == sorted(sources)
    for rel, source in sources.items():
        assert built[rel].read_bytes() == source.read_bytes(), rel
