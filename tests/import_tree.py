"""Lay the package out as one folder tree, as the wheel does, so import-linter and grimp see all of it.

The checkout maps several top-level folders onto ``nianbao`` (``pyproject.toml``, ``[tool.setuptools]
package-dir``), and an editable install resolves ``nianbao.labels`` through setuptools' finder, so a
tool that walks ``nianbao``'s folder finds only ``inference/``. This script copies every package's
``.py`` files into ``DEST/nianbao/...`` (the wheel's layout)::

    python tests/import_tree.py build/import-tree
    PYTHONPATH=build/import-tree lint-imports
"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10
    import tomli as tomllib  # type: ignore[no-redef]

REPO = Path(__file__).resolve().parents[1]


def package_dirs(pyproject: Path = REPO / "pyproject.toml") -> dict[str, Path]:
    """Every listed package and the folder it is read from, as setuptools maps it."""
    st = tomllib.loads(pyproject.read_text(encoding="utf-8"))["tool"]["setuptools"]
    mapping: dict[str, str] = st.get("package-dir", {})
    out: dict[str, Path] = {}
    for pkg in st["packages"]:
        parts = pkg.split(".")
        for i in range(len(parts), 0, -1):  # the longest mapped prefix decides the folder
            prefix = ".".join(parts[:i])
            if prefix in mapping:
                out[pkg] = REPO / mapping[prefix] / Path(*parts[i:])
                break
        else:
            out[pkg] = REPO / Path(*parts)
    return out


def build_tree(dest: Path) -> Path:
    """Copy the packages' Python files into ``dest`` (emptied first); returns ``dest``."""
    if dest.exists():
        shutil.rmtree(dest)
    for pkg, src in package_dirs().items():
        target = dest / Path(*pkg.split("."))
        target.mkdir(parents=True, exist_ok=True)
        for f in src.glob("*.py"):
            shutil.copy2(f, target / f.name)
    return dest


if __name__ == "__main__":
    build_tree(Path(sys.argv[1] if len(sys.argv) > 1 else REPO / "build" / "import-tree"))
