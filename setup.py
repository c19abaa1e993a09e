"""Build hook: compile the rule layer (``nianbao.rules``) with mypyc where this machine can.

Everything else is in ``pyproject.toml``. Without mypyc or a C compiler, or with ``NIANBAO_PURE=1``,
the package installs as pure Python: the same records, a slower rule stage. The compiled modules
are marked optional, so a failed compile leaves the pure modules in place. ``nianbao.rules._native``
decides at import which of the two runs (see there).
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
from importlib.machinery import EXTENSION_SUFFIXES
from pathlib import Path

from setuptools import setup
from setuptools.command.build_ext import build_ext

ROOT = Path(__file__).resolve().parent
RULES = ROOT / "inference" / "rules"
NOT_COMPILED = {"__init__.py", "_native.py", "html_tables.py"}  # the init, the guard, and pages (off the hot path; tests spy on them)


def native_modules() -> list:
    """The mypyc extensions for the rule modules ([] where mypyc is missing or NIANBAO_PURE is set)."""
    try:
        from mypyc.build import mypycify
    except ImportError:
        mypycify = None
    sources = [] if os.environ.get("NIANBAO_PURE") or mypycify is None else \
        sorted(p for p in RULES.glob("*.py") if p.name not in NOT_COMPILED)
    _drop_other_builds({p.stem for p in sources})
    if not sources:
        return []
    stage = ROOT / "build" / "mypyc-src"  # mypyc names a module after its folders: inference/ must read nianbao/
    stage.mkdir(parents=True, exist_ok=True)
    link = stage / "nianbao"
    if not link.is_symlink():
        link.symlink_to(ROOT / "inference", target_is_directory=True)
    files = [str((link / "rules" / p.name).relative_to(ROOT)) for p in sources]
    # a fresh mypy cache each time: pip runs this file once per build hook, and a warm cache makes mypyc leave
    # the shared library's C out of the second run (an empty library, no PyInit)
    cache = ROOT / "build" / "mypyc-cache"
    shutil.rmtree(cache, ignore_errors=True)
    exts = mypycify(["--follow-imports=skip", "--ignore-missing-imports", "--cache-dir", str(cache), *files],
                    opt_level="3",
                    separate=[(files, "nianbao.rules.native")], target_dir=str(ROOT / "build" / "mypyc"))
    for ext in exts:
        ext.optional = True  # no compiler: the pure modules
    return exts


class BuildExt(build_ext):
    """``build_ext`` that then writes ``native.json`` beside the extensions it built (the build folder, and the
    source tree for an editable install): the sha256 of each compiled module's source, which
    ``nianbao.rules._native`` checks before it lets them run."""

    def run(self) -> None:
        """Build, then write the manifest where the extensions went."""
        super().run()
        folders = {Path(self.get_ext_fullpath("nianbao.rules.native__mypyc")).parent}
        if self.inplace or getattr(self, "editable_mode", False):
            folders.add(RULES)
        for folder in folders:
            names = {_ext_name(p) for p in folder.iterdir()} if folder.is_dir() else set()
            manifest = {p.stem: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(RULES.glob("*.py"))
                        if p.stem in names}
            if manifest:
                (folder / "native.json").write_text(json.dumps(manifest, indent=1, sort_keys=True) + "\n",
                                                    encoding="utf-8")


def _ext_name(path: Path) -> str | None:
    """The module name of an extension file (``tables`` for ``tables.cpython-311-x86_64-linux-gnu.so``), else None."""
    suffix = next((s for s in EXTENSION_SUFFIXES if path.name.endswith(s)), None)  # the longest first
    return path.name[:-len(suffix)] if suffix else None


def _drop_other_builds(compiled: set[str]) -> None:
    """Remove an earlier in-place build's extensions that this build does not make (all of them, and the
    manifest, for a pure install); those it makes are replaced in place (an editable install) or left as
    they are (a wheel build: the editable install beside it keeps working)."""
    for path in RULES.iterdir():
        name = _ext_name(path)
        if name is not None and name not in compiled and not (compiled and name == "native__mypyc"):
            path.unlink()
    if not compiled:
        (RULES / "native.json").unlink(missing_ok=True)


setup(ext_modules=native_modules(), cmdclass={"build_ext": BuildExt})
