"""Build hook: put the default theme and lunr.js into the package when a wheel is built.

Everything else about the package is declared in pyproject.toml. The source tree keeps the
default theme in ``themes/default`` (where it is edited) and takes lunr.js from the npm
package pinned in ``package-lock.json``; the wheel carries both inside ``papershelf/`` so
an installed papershelf builds a site with Python alone:

- ``themes/default/**``      -> ``papershelf/themes/default/**``
- ``lunr.min.js`` of npm lunr -> ``papershelf/assets/lunr.min.js`` (with its LICENSE)

The lunr tarball is taken from ``vendor/npm/`` (where an sdist carries it), else from
``npm pack`` (npm's cache after ``npm ci``, else the registry), and is checked against the
lock file's ``integrity`` (sha512) before a byte of it is used. A mismatch stops the build.
"""

from __future__ import annotations

import base64
import hashlib
import io
import json
import shutil
import subprocess
import tarfile
import tempfile
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py
from setuptools.command.sdist import sdist

HERE = Path(__file__).resolve().parent
THEME = HERE / "themes" / "default"
VENDOR = Path("vendor") / "npm"
NPM_PACKAGE = "lunr"
NPM_FILES = {"package/lunr.min.js": "lunr.min.js", "package/LICENSE": "lunr.LICENSE"}


def _locked(name: str) -> tuple[str, str]:
    lock = json.loads((HERE / "package-lock.json").read_text(encoding="utf-8"))
    entry = lock["packages"][f"node_modules/{name}"]
    return entry["version"], entry["integrity"]


def _integrity(data: bytes) -> str:
    return "sha512-" + base64.b64encode(hashlib.sha512(data).digest()).decode("ascii")


def _npm_pack(spec: str) -> bytes:
    with tempfile.TemporaryDirectory() as folder:
        subprocess.run(["npm", "pack", spec, "--pack-destination", folder, "--silent"],
                       check=True, stdout=subprocess.DEVNULL)
        (tarball,) = Path(folder).glob("*.tgz")
        return tarball.read_bytes()


def locked_tarball(root: Path = HERE) -> tuple[str, bytes]:
    """The npm tarball of lunr at the locked version, verified against the lock file's integrity."""
    version, integrity = _locked(NPM_PACKAGE)
    name = f"{NPM_PACKAGE}-{version}.tgz"
    vendored = root / VENDOR / name
    data = vendored.read_bytes() if vendored.is_file() else _npm_pack(f"{NPM_PACKAGE}@{version}")
    if _integrity(data) != integrity:
        raise SystemExit(f"{name}: integrity {_integrity(data)} differs from package-lock.json's {integrity}")
    return name, data


def unpack_lunr(data: bytes, into: Path) -> None:
    into.mkdir(parents=True, exist_ok=True)
    with tarfile.open(fileobj=io.BytesIO(data), mode="r:gz") as tar:
        for member, target in NPM_FILES.items():
            (into / target).write_bytes(tar.extractfile(member).read())


class BuildWithAssets(build_py):
    def run(self):
        super().run()
        if getattr(self, "editable_mode", False):
            return   # an editable install finds themes/ and node_modules/ in the checkout itself
        package = Path(self.build_lib) / "papershelf"
        shutil.copytree(THEME, package / "themes" / "default", dirs_exist_ok=True)
        _, data = locked_tarball()
        unpack_lunr(data, package / "assets")


class SdistWithAssets(sdist):
    """The sdist carries the verified npm tarball, so a wheel built from it needs no npm and no network."""

    def make_release_tree(self, base_dir, files):
        super().make_release_tree(base_dir, files)
        name, data = locked_tarball()
        target = Path(base_dir) / VENDOR / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)


setup(cmdclass={"build_py": BuildWithAssets, "sdist": SdistWithAssets})
