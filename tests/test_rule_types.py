"""The rule layer type-checks on its own (mypy, the package laid out as the wheel lays it out).

Why it is kept: a name rebound to a value of another type (a loop's ``m`` reused for an optional
match, a ``Counter[int]`` counting halves, a ``list`` parameter defaulting to a tuple) is harmless to
CPython, but it is what stops the rule layer from being compiled with mypyc, whose compiled code checks
the annotations at run time (``setup.py`` compiles the rule layer; README, "The compiled rule layer"). mypy is pinned in
``[dev]`` at the version whose mypyc compiled the rule layer (2.4.1's stops with an internal error in
``rows``); another version may also check differently.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from import_tree import build_tree

pytest.importorskip("mypy", reason="mypy is a dev dependency (pip install -e '.[dev]')")


def test_the_rule_layer_type_checks(tmp_path: Path) -> None:
    tree = build_tree(tmp_path / "tree")
    run = subprocess.run(
        [sys.executable, "-m", "mypy", "-p", "nianbao.rules", "--follow-imports=skip", "--ignore-missing-imports",
         "--no-incremental", "--cache-dir", str(tmp_path / "cache")],
        cwd=tree, capture_output=True, text=True, timeout=600, check=False)
    assert run.returncode == 0, run.stdout + run.stderr
    assert "no issues found in" in run.stdout
