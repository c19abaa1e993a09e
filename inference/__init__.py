"""nianbao: structured data from Chinese government information-disclosure annual reports."""

from __future__ import annotations

import sys
from typing import Any

from nianbao.version import __version__

__all__ = ["Parser", "parse_text", "parse_file", "__version__"]


def __getattr__(name: str) -> Any:
    """``Parser``, ``parse_text`` and ``parse_file`` load lazily, so ``import nianbao`` stays light."""
    if name in ("Parser", "parse_text", "parse_file"):
        # local: start-up: `import nianbao` stays light; the API (and the model runtime) load on first use
        from nianbao import api

        return getattr(api, name)
    # a compiled rule module (mypyc) imports ``nianbao.rules.x`` by attribute while ``nianbao.rules`` still loads
    module = sys.modules.get(f"{__name__}.{name}")
    if module is not None:
        return module
    raise AttributeError(f"module 'nianbao' has no attribute {name!r}")
