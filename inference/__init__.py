"""nianbao: structured data from Chinese government information-disclosure annual reports."""

from __future__ import annotations

from typing import Any

__version__ = "0.4.0"
__all__ = ["Parser", "parse_text", "parse_file", "__version__"]


def __getattr__(name: str) -> Any:
    """``Parser``, ``parse_text`` and ``parse_file`` load lazily, so ``import nianbao`` stays light."""
    if name in ("Parser", "parse_text", "parse_file"):
        from nianbao import api

        return getattr(api, name)
    raise AttributeError(f"module 'nianbao' has no attribute {name!r}")
