"""Regenerate the golden output of the small fixture site: ``.venv/bin/python tests/regen_golden.py``.

Builds tests/fixtures/sites/small (drafts left out, search on) and replaces
tests/golden/small/ with the result. Review the diff (``git diff tests/golden``)
before committing: every change there is a change a reader of a built site sees.
"""

from __future__ import annotations

import shutil
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
GOLDEN = HERE / "golden" / "small"
SITE = HERE / "fixtures" / "sites" / "small"
# assets/ holds files copied verbatim (the theme's static files, lunr.js from npm). The golden output
# does not keep second copies of them; test_golden checks them against their sources instead.
ASSETS = "assets"


def build_small(out: Path, *, keep_assets: bool = False) -> None:
    sys.path.insert(0, str(HERE.parent))
    from papershelf.build import build
    from papershelf.config import load_config

    build(load_config(SITE / "site.toml"), out=out, drafts=False, force=True)
    if not keep_assets:
        shutil.rmtree(out / ASSETS, ignore_errors=True)


def main() -> int:
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "small"
        build_small(out)
        if GOLDEN.exists():
            shutil.rmtree(GOLDEN)
        GOLDEN.parent.mkdir(parents=True, exist_ok=True)
        shutil.copytree(out, GOLDEN)
    count = sum(1 for p in GOLDEN.rglob("*") if p.is_file())
    print(f"wrote {count} files to {GOLDEN.relative_to(HERE.parent)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
