"""The package's layering: the import-linter contract runs and holds, names every module, and no import
cycle is left between modules; imports inside functions only where they buy start-up time; the shipped
models resolve through the installed package."""

from __future__ import annotations

import ast
import json
import os
import subprocess
import sys
from pathlib import Path

import grimp
import pytest
from import_tree import REPO, build_tree, package_dirs

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10
    import tomli as tomllib  # type: ignore[no-redef]

LOCAL_REASON = "# local:"  # an import inside a function says why it waits, on its line or the line above


@pytest.fixture(scope="module")
def tree(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The package laid out as the wheel lays it out (one folder tree)."""
    return build_tree(tmp_path_factory.mktemp("import-tree"))


@pytest.fixture(scope="module")
def graph(tree: Path) -> grimp.ImportGraph:
    """grimp's import graph of the tree (TYPE_CHECKING and function-local imports included)."""
    code = ("import grimp, json, sys; g = grimp.build_graph('nianbao', cache_dir=None); "
            "json.dump({m: sorted(g.find_modules_directly_imported_by(m)) for m in g.modules}, sys.stdout)")
    env = {**os.environ, "PYTHONPATH": str(tree)}
    out = subprocess.run([sys.executable, "-c", code], env=env, cwd=tree, capture_output=True, text=True, check=True)
    g = grimp.ImportGraph()
    for m, imported in json.loads(out.stdout).items():
        g.add_module(m)
        for i in imported:
            g.add_import(importer=m, imported=i)
    return g


def _contract() -> dict:
    cfg = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["importlinter"]
    (layers,) = [c for c in cfg["contracts"] if c["type"] == "layers"]
    return layers


def _layer_modules() -> list[set[str]]:
    contract = _contract()
    (container,) = contract["containers"]
    return [{f"{container}.{m.strip()}" for m in layer.replace("|", ":").split(":")} for layer in contract["layers"]]


def test_lint_imports_keeps_the_contract(tree: Path) -> None:
    env = {**os.environ, "PYTHONPATH": str(tree)}
    lint = Path(sys.executable).with_name("lint-imports")
    if not lint.exists():
        pytest.skip("import-linter not installed (pip install -e '.[dev]')")
    run = subprocess.run([str(lint), "--config", str(REPO / "pyproject.toml"), "--no-cache"], env=env, cwd=tree,
                         capture_output=True, text=True)
    assert run.returncode == 0, run.stdout[-4000:] + run.stderr[-2000:]
    assert "0 broken" in run.stdout


def test_contract_counts_type_checking_imports() -> None:
    cfg = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["importlinter"]
    assert cfg.get("exclude_type_checking_imports", False) is False


def test_every_module_sits_in_one_layer(graph: grimp.ImportGraph) -> None:
    layers = _layer_modules()
    unplaced = []
    for m in sorted(graph.modules):
        if m in ("nianbao", "nianbao.labels"):  # the package folders themselves: they import nothing, but the
            # root re-exports __version__ and, on first use, the Python API (``nianbao.Parser``)
            allowed = {"nianbao.version", "nianbao.api"} if m == "nianbao" else set()
            assert not graph.find_modules_directly_imported_by(m) - allowed, m
            continue
        owners = [i for i, layer in enumerate(layers) if any(m == x or m.startswith(x + ".") for x in layer)]
        if len(owners) != 1:
            unplaced.append((m, owners))
    assert unplaced == []


def test_no_import_cycle_between_modules(graph: grimp.ImportGraph) -> None:
    cycles = []
    for importer in sorted(graph.modules):
        for imported in sorted(graph.find_modules_directly_imported_by(importer)):
            if graph.chain_exists(importer=imported, imported=importer):
                cycles.append(graph.find_shortest_chain(importer=imported, imported=importer) + (imported,))
    assert cycles == []


def test_cycle_check_sees_a_cycle() -> None:
    g = grimp.ImportGraph()
    g.add_import(importer="p.a", imported="p.b")
    g.add_import(importer="p.b", imported="p.a")
    assert g.chain_exists(importer="p.b", imported="p.a") and g.chain_exists(importer="p.a", imported="p.b")


def _local_imports(path: Path) -> list[tuple[int, str]]:
    """(line, text) of every import statement inside a function of ``path``; the text is the statement's
    first line and the line above the run of consecutive imports it belongs to (where its reason goes)."""
    source = path.read_text(encoding="utf-8")
    lines = source.splitlines()
    out = set()
    for fn in ast.walk(ast.parse(source)):
        if not isinstance(fn, (ast.FunctionDef, ast.AsyncFunctionDef)):
            continue
        for block in ast.walk(fn):
            for field in ("body", "orelse", "finalbody"):
                stmts = getattr(block, field, None)
                if not isinstance(stmts, list):
                    continue
                run_start = None
                prev = None
                for st in stmts:
                    if isinstance(st, (ast.Import, ast.ImportFrom)):
                        if run_start is None or prev is None or prev.end_lineno != st.lineno - 1:
                            run_start = st.lineno
                        out.add((st.lineno, lines[run_start - 2] + "\n" + lines[st.lineno - 1]))
                        prev = st
                    else:
                        run_start, prev = None, None
    return sorted(out)


def test_imports_inside_functions_say_why_and_are_never_the_package() -> None:
    bad = []
    for folder in package_dirs().values():
        for f in sorted(folder.glob("*.py")):
            for line, text in _local_imports(f):
                internal = "nianbao" in text.splitlines()[-1].split("#")[0]
                if LOCAL_REASON not in text or (internal and "start-up" not in text):
                    bad.append(f"{f.relative_to(REPO)}:{line}: {text.strip()}")
    assert bad == []


def test_shipped_models_resolve_through_the_package() -> None:
    from nianbao.resources import models_dir
    from nianbao.rules.confidence import CALIBRATION_PATH
    from nianbao.tagger.runtime import DEFAULT_MODEL_NAME

    assert CALIBRATION_PATH == models_dir() / "calibration.json" and CALIBRATION_PATH.is_file()
    assert (models_dir() / DEFAULT_MODEL_NAME / "tagger.json").is_file()
    if (REPO / "models" / "calibration.json").is_file() and "site-packages" not in str(models_dir()):
        assert models_dir().resolve() == (REPO / "models").resolve()  # editable install: the repo's models/


def test_model_dir_env_still_overrides(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    from nianbao.tagger.runtime import default_model_dir

    monkeypatch.setenv("NIANBAO_MODEL_DIR", str(tmp_path))
    assert default_model_dir() == tmp_path
