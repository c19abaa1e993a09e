"""The compiled rule layer (mypyc, ``setup.py``) runs only when built from the sources beside it.

``nianbao.rules._native`` decides at import: every compiled module current -> compiled; any source edited
since the build, no manifest, or no shared library -> every rule module from its source (same records).
"""

from __future__ import annotations

import hashlib
import json
import os
from importlib.machinery import EXTENSION_SUFFIXES
from pathlib import Path

import pytest

from nianbao.rules import _native
from nianbao.rules import tables as tables_module

SUFFIX = EXTENSION_SUFFIXES[0]


def _built(folder: Path, names: tuple[str, ...] = ("tables", "digits"), lib: bool = True) -> Path:
    """A folder as a build leaves it: sources, an extension per source, the manifest, the shared library."""
    folder.mkdir()
    manifest = {}
    for name in names:
        src = folder / f"{name}.py"
        src.write_text(f"X = {name!r}\n", encoding="utf-8")
        (folder / f"{name}{SUFFIX}").write_bytes(b"")
        manifest[name] = hashlib.sha256(src.read_bytes()).hexdigest()
    (folder / _native.MANIFEST).write_text(json.dumps(manifest), encoding="utf-8")
    if lib:
        (folder / f"{_native.SHARED_LIB}{SUFFIX}").write_bytes(b"")
    return folder


def test_current_modules_are_not_stale(tmp_path: Path) -> None:
    folder = _built(tmp_path / "rules")
    assert _native.compiled_modules(folder) == {"tables", "digits"}  # the shared library is no module of its own
    assert _native.stale_modules(folder) == []


def test_an_edited_source_makes_its_module_stale(tmp_path: Path) -> None:
    folder = _built(tmp_path / "rules")
    (folder / "digits.py").write_text("X = 'edited'\n", encoding="utf-8")
    assert _native.stale_modules(folder) == ["digits"]


@pytest.mark.parametrize("missing", ["manifest", "shared library"])
def test_without_manifest_or_shared_library_every_compiled_module_is_stale(tmp_path: Path, missing: str) -> None:
    folder = _built(tmp_path / "rules", lib=missing != "shared library")
    if missing == "manifest":
        (folder / _native.MANIFEST).unlink()
    assert _native.stale_modules(folder) == ["digits", "tables"]


def test_a_pure_folder_is_never_stale(tmp_path: Path) -> None:
    folder = tmp_path / "rules"
    folder.mkdir()
    (folder / "tables.py").write_text("X = 1\n", encoding="utf-8")
    assert _native.compiled_modules(folder) == set() and _native.stale_modules(folder) == []


def test_the_rule_modules_run_as_decided() -> None:
    """Compiled modules run exactly when they are current; CI builds them (mypy and a compiler at hand)."""
    compiled = not tables_module.__file__.endswith(".py")
    assert compiled == _native.NATIVE
    if _native.NATIVE:
        assert _native.stale_modules(_native.HERE) == []
    if os.environ.get("CI") == "true" and not os.environ.get("NIANBAO_PURE"):
        assert _native.NATIVE, "CI builds the compiled rule layer: see setup.py"


def test_the_run_summary_says_how_the_rules_ran() -> None:
    assert _native.summary() == ("rule layer: compiled (mypyc)" if _native.NATIVE else "rule layer: Python")
