"""Compiled or Python: which rule modules run.

``setup.py`` compiles the rule modules with mypyc where it can. A build leaves an extension module
beside each source, and ``native.json`` records the sha256 of each source it compiled. Python would load
an extension before its source even after the source was edited, and compiled modules call each other
directly, so this module (imported first by ``nianbao.rules``) decides for all of them at once:

- every compiled module is built from the source beside it: the compiled modules run (``NATIVE``);
- any source changed since the build (an edited checkout), or no manifest: every rule module is loaded
  from its source, with one warning that says how to rebuild;
- nothing compiled (pure install, ``NIANBAO_PURE=1`` at build time, no compiler), or ``NIANBAO_PURE=1``
  when it runs: the sources, silently.

The records are the same either way; only the rule stage's speed differs.

mypyc compiles the methods a module's source holds, not those that ``@dataclass`` writes when the class is
created: a generated ``__init__`` runs interpreted (a frozen class's per-field ``object.__setattr__``
included), and the rules build a couple of thousand events, label matches, slots,
candidates and evidence records per report. Those classes write their ``__init__`` out (compiled;
not frozen, since a compiled ``__init__`` cannot store into a frozen class, and hashed as before
with ``unsafe_hash``); ``tests/test_native_init.py`` holds each to its fields.
"""

from __future__ import annotations

import hashlib
import json
import os
import sys
import warnings
from importlib.machinery import EXTENSION_SUFFIXES, ModuleSpec
from importlib.util import spec_from_file_location
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
MANIFEST = "native.json"
SHARED_LIB = "native__mypyc"  # the compiled modules' code (setup.py: the group nianbao.rules.native)
PACKAGE = __name__.rpartition(".")[0]  # nianbao.rules


def compiled_modules(folder: Path) -> set[str]:
    """Names of the modules in ``folder`` that have an extension module (mypyc's shared library excluded)."""
    out = set()
    for p in folder.iterdir():
        suffix = next((s for s in EXTENSION_SUFFIXES if p.name.endswith(s)), None)  # the longest first
        if suffix is not None and not p.name[:-len(suffix)].endswith("__mypyc"):
            out.add(p.name[:-len(suffix)])
    return out


def stale_modules(folder: Path) -> list[str]:
    """Compiled modules whose source is not the one they were built from (all of them without a manifest)."""
    compiled = compiled_modules(folder)
    if not compiled:
        return []
    if not any(p.name.startswith(f"{SHARED_LIB}.") for p in folder.iterdir()):
        return sorted(compiled)  # their shared library did not build: none of them can load
    try:
        built = json.loads((folder / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return sorted(compiled)
    out = []
    for name in sorted(compiled):
        src = folder / f"{name}.py"
        if not src.is_file() or built.get(name) != hashlib.sha256(src.read_bytes()).hexdigest():
            out.append(name)
    return out


class SourceRules:
    """A finder that loads every ``nianbao.rules`` submodule from its ``.py`` file, extension or not."""

    @staticmethod
    def find_spec(name: str, path: Any = None, target: Any = None) -> ModuleSpec | None:
        """The source spec of a rule module; None for any other module."""
        package, _, leaf = name.rpartition(".")
        if package != PACKAGE:
            return None
        src = HERE / f"{leaf}.py"
        return spec_from_file_location(name, src) if src.is_file() else None


def choose(stale: list[str]) -> bool:
    """Whether the compiled rule modules run, given the ``stale`` ones (see the module docstring); installs
    ``SourceRules`` if not. ``NIANBAO_PURE=1`` in the environment runs the sources whatever is built (the
    benchmark's baseline)."""
    if compiled_modules(HERE) and not stale and not os.environ.get("NIANBAO_PURE"):
        return True
    if stale:
        warnings.warn(f"nianbao.rules: {len(stale)} compiled rule module(s) ({', '.join(stale[:3])}...) were built "
                      "from other sources; running the Python sources instead (same records, slower rules). "
                      "Rebuild with `pip install -e .` (or `make install`).", RuntimeWarning, stacklevel=2)
    if SourceRules not in sys.meta_path:
        sys.meta_path.insert(0, SourceRules)
    return False


STALE = stale_modules(HERE)  # hashed once, at import
NATIVE = choose(STALE)


def summary() -> str:
    """One line for a run's summary: whether the rule layer runs compiled, and why not."""
    if NATIVE:
        return "rule layer: compiled (mypyc)"
    return "rule layer: Python" + (f" ({len(STALE)} compiled modules out of date: rebuild with `pip install -e .`)"
                                   if STALE else "")
