"""The pipeline's imports point one way: load -> parse/validate -> model -> render -> write -> build -> serve/cli.

Each module of the generator package has a layer; a module may import only from lower layers (or its own
layer's peers where listed). A new module must be given a layer here, which is the point: where a piece of
code sits in the pipeline is a decision, not an accident.
"""

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "generator"

LAYERS = {
    "errors": 0, "resources": 0,
    "model": 1, "config": 1,
    "content": 2, "markdown": 2, "taxonomy": 2, "related": 2,
    "importers.record": 2, "importers.hf_text": 3, "importers.hf_json": 3, "importers.emit": 3,
    "importers.bib": 3, "importers.ris": 3, "importers.arxiv_atom": 3, "importers.hf_list": 4, "importers.csl_json": 4,
    "export": 7, "texmath": 1, "citations": 2,
    "search.lunrjs": 1, "outputs": 2, "deliver": 5, "search.index": 2, "search": 3, "feeds": 3, "exports": 3, "scholar": 3, "bibtex": 3, "pages": 3, "render": 4, "writer": 3, "incremental": 3,
    "extras": 4, "cache": 5, "build": 6,
    "check": 7, "editing": 7, "init": 7, "deploy": 7, "importers": 7, "serve": 8, "livereload": 7, "early": 7,
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


# What changes the file system, as the AST sees it: a Path method that writes, called on any object
# (x.unlink(), x.mkdir(), ...); a writing function of os, shutil or tempfile; open() with a writing mode.
WRITING_METHODS = {"write_text", "write_bytes", "unlink", "mkdir", "rmdir", "touch", "symlink_to", "hardlink_to",
                   "chmod", "rename", "replace"}
WRITING_FUNCTIONS = {
    "os": {"link", "symlink", "remove", "removedirs", "makedirs", "mkdir", "rmdir", "unlink", "truncate", "chmod",
           "utime", "replace", "rename", "renames", "open", "fdopen"},
    "shutil": {"rmtree", "copy", "copy2", "copyfile", "copytree", "copymode", "copystat", "move"},
    "tempfile": {"mkstemp", "mkdtemp", "NamedTemporaryFile", "TemporaryDirectory", "TemporaryFile"},
}
# site/ has one writer (writer.py), content/ one (importers/emit.py); init writes a new list's starter files.
# The preview and deploy make a scratch folder of their own (TemporaryDirectory) and nothing else.
ALLOWED_WRITERS = {"writer": None, "importers.emit": None, "init": None,
                   "serve": {"TemporaryDirectory"}, "deploy": {"TemporaryDirectory"}}


def _writes(tree: ast.AST):
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        func = node.func
        if isinstance(func, ast.Attribute):
            owner = func.value.id if isinstance(func.value, ast.Name) else None
            if owner in WRITING_FUNCTIONS:
                if func.attr in WRITING_FUNCTIONS[owner]:
                    yield node.lineno, func.attr
            elif func.attr in WRITING_METHODS and not _is_not_a_path_move(func, node):
                yield node.lineno, func.attr
        elif isinstance(func, ast.Name) and func.id == "open" and _writing_mode(node):
            yield node.lineno, "open"


def _is_not_a_path_move(func: ast.Attribute, call: ast.Call) -> bool:
    """Path.replace(target) and Path.rename(target) take one argument; str.replace(old, new) two,
    datetime.replace(tzinfo=...) and dataclasses' replace(obj, **changes) keywords."""
    return func.attr in ("replace", "rename") and (len(call.args) != 1 or bool(call.keywords))


def _writing_mode(call: ast.Call) -> bool:
    mode = call.args[1] if len(call.args) > 1 else next((k.value for k in call.keywords if k.arg == "mode"), None)
    if mode is None:
        return False
    if isinstance(mode, ast.Constant) and isinstance(mode.value, str):
        return any(c in mode.value for c in "wax+")
    return True   # a mode computed at run time: assume it writes


def test_only_the_writer_and_emit_write_files():
    """Every call that changes the file system sits in a module allowed to make it."""
    offenders = []
    for path in PACKAGE.rglob("*.py"):
        name = _module_name(path)
        allowed = ALLOWED_WRITERS.get(name, set())
        for lineno, call in _writes(ast.parse(path.read_text(encoding="utf-8"))):
            if allowed is not None and call not in allowed:
                offenders.append(f"generator/{path.relative_to(PACKAGE)}:{lineno}: {call}()")
    assert offenders == []


def test_the_write_check_sees_the_writes_a_regex_missed():
    source = "\n".join([
        "Path('x').unlink()", "os.link('a', 'b')", "Path('d').mkdir()", "open(p, mode)", "open(p)", "open(p, 'rb')",
        "'a'.replace('b', 'c')", "when.replace(tzinfo=utc)", "tmp.replace(target)", "staging.link('a', 'b')"])
    assert [call for _, call in _writes(ast.parse(source))] == ["unlink", "link", "mkdir", "open", "replace"]
