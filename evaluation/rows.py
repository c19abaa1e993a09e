"""Lists of same-keyed dicts packed as columns + rows (the report's error lists), and back."""

from __future__ import annotations

from typing import Any

ERROR_COLUMNS = ("doc", "field", "status", "gold", "pred", "gold_span", "pred_span", "flagged", "confidence")


def pack_rows(items: list[dict[str, Any]], columns: tuple[str, ...] = ERROR_COLUMNS) -> dict[str, Any]:
    """A list of same-keyed dicts as ``{"columns": [...], "rows": [[...], ...]}`` (a third of the size).

    >>> unpack_rows(pack_rows([{"a": 1, "b": 2}], ("a", "b")))
    [{'a': 1, 'b': 2}]
    """
    return {"columns": list(columns), "rows": [[item[c] for c in columns] for item in items]}


def unpack_rows(packed: dict[str, Any] | None) -> list[dict[str, Any]]:
    """The dicts back from ``pack_rows`` (an empty list for None)."""
    if not packed:
        return []
    return [dict(zip(packed["columns"], row, strict=True)) for row in packed["rows"]]
