"""The pipeline's imports point one way: load -> parse/validate -> model -> render -> write -> build -> serve/cli.

Each module of the generator package has a layer; a module may import only from lower layers (or its own
layer's peers where listed). A new module must be given a layer here, which is the point: where a piece of
code sits in the pipeline is a decision, not an accident.
"""

import ast
import re
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "generator"

LAYERS = {
    "errors": 0, "resources": 0,
    "model": 1, "config": 1,
    "content": 2, "markdown": 2, "taxonomy": 2,
    "importers.record": 2, "importers.hf_text": 3, "importers.hf_json": 3, "importers.emit": 3,
    "search.lunrjs": 1, "search.index": 2, "search": 3, "feeds": 3, "exports": 3, "bibtex": 3, "pages": 3, "render": 4, "writer": 3, "incremental": 3,
    "extras": 4, "cache": 5, "build": 6,
    "check": 7, "editing": 7, "init": 7, "deploy": 7, "importers": 7, "serve": 8, "livereload": 7,
    "cli": 9, "__main__": 10, "__init__": 0,
}


def _module_name(path: Path) -> str:
    rel = path.relative_to(PACKAGE).with_suffix("")
    parts = list(rel.parts)
    if parts[-1] == "__init__" and len(parts) > 1:
        parts = parts[:-1]
    return ".".join(parts)


def _layer(name: str) -> int | None:
    while name:
        if name in LAYERS:
            return LAYERS[name]
        name = name.rpartition(".")[0]
    return None


def _internal_imports(path: Path, name: str):
    tree = ast.parse(path.read_text(encoding="utf-8"))
    package_parts = name.split(".") if path.name == "__init__.py" else name.split(".")[:-1]
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = package_parts[: len(package_parts) - (node.level - 1)]
                target = ".".join(base + ([node.module] if node.module else []))
                if not node.module:
                    for alias in node.names:
                        yield node.lineno, ".".join(base + [alias.name])
                    continue
                yield node.lineno, target
            elif node.module and node.module.startswith("papershelf."):
                yield node.lineno, node.module[len("papershelf."):]
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.startswith("papershelf."):
                    yield node.lineno, alias.name[len("papershelf."):]


def test_every_module_has_a_layer():
    unknown = [_module_name(p) for p in PACKAGE.rglob("*.py") if _layer(_module_name(p)) is None]
    assert unknown == [], f"give these modules a layer in tests/test_architecture.py: {unknown}"


def test_imports_point_down_the_pipeline():
    wrong = []
    for path in PACKAGE.rglob("*.py"):
        name = _module_name(path)
        own = _layer(name)
        for line, target in _internal_imports(path, name):
            if not target or target == "__init__" or target == name:
                continue
            theirs = _layer(target)
            if theirs is not None and own is not None and theirs >= own and not target.startswith(name + "."):
                wrong.append(f"generator/{path.relative_to(PACKAGE)}:{line} imports {target} (layer {theirs} >= {own})")
    assert wrong == []


WRITES = re.compile(r"\.write_(text|bytes)\(|shutil\.(rmtree|copy\w*|move)\(|os\.(replace|rename|remove|unlink)\(|"
                    r"\bopen\([^)]*[\'\"][wax]b?\+?[\'\"]")


def test_only_the_writer_and_emit_write_files():
    """site/ has one writer (writer.py), content/ has one (importers/emit.py); deploy works on git."""
    allowed = {"writer", "importers.emit", "deploy"}
    offenders = []
    for path in PACKAGE.rglob("*.py"):
        if _module_name(path) in allowed:
            continue
        for lineno, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if WRITES.search(line) and not line.lstrip().startswith("#"):
                offenders.append(f"generator/{path.relative_to(PACKAGE)}:{lineno}: {line.strip()}")
    assert offenders == []
