"""What a reviewer sees of one record: per field its display text, kind, flags with alternatives, and
settlement; shared by the terminal view and the HTML page."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from nianbao.export.tables import field_kind
from nianbao.labels.layout import TABLES, Layout, table_layout


@dataclass
class CellView:
    """One field as shown: ``text`` (number, mark, or 空 for a blank), its flags and settlement."""

    field: str
    text: str
    kind: str
    span: tuple[int, int]
    confidence: float | None = None
    codes: list[str] = field(default_factory=list)
    alternatives: list[Any] = field(default_factory=list)
    settled: dict[str, Any] | None = None


def fmt_value(v: Any) -> str:
    """A number as printed: integers without a decimal point.

    >>> fmt_value(3.0), fmt_value(8.25), fmt_value(None)
    ('3', '8.25', '')
    """
    if v is None:
        return ""
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    return str(v)


def alternative_diffs(record: dict[str, Any], flag: dict[str, Any]) -> list[dict[str, Any]]:
    """A flag's alternatives reduced to the fields where they differ from the record's reading.

    >>> rec = {"fields": {"a": {"value": 1}, "b": {"value": 2}}}
    >>> alternative_diffs(rec, {"alternatives": [{"a": 1, "b": 3}, {"a": 1, "b": 2}]})
    [{'b': 3}]
    """
    fields = record.get("fields") or {}
    out = []
    for alt in flag.get("alternatives") or []:
        diff = {k: v for k, v in alt.items() if (fields.get(k) or {}).get("value") != v}
        if diff:
            out.append(diff)
    return out


def cell_views(record: dict[str, Any]) -> dict[str, CellView]:
    """field ID -> CellView for every field of a record."""
    out: dict[str, CellView] = {}
    for fid, item in (record.get("fields") or {}).items():
        kind = field_kind(item)
        text = fmt_value(item.get("value")) if kind == "number" else (item.get("raw") if kind == "mark" else "空")
        span = item.get("span") or [0, 0]
        out[fid] = CellView(fid, text or "", kind, (span[0], span[1]), item.get("confidence"))
    for fl in record.get("flags") or []:
        for fid in fl.get("fields", []):
            if fid in out:
                out[fid].codes.append(fl.get("code", ""))
                for alt in fl.get("alternatives") or []:
                    if fid in alt and alt[fid] not in out[fid].alternatives:
                        out[fid].alternatives.append(alt[fid])
    for res in record.get("resolutions") or []:
        if res.get("field") in out:
            out[res["field"]].settled = res
    return out


def layouts(record: dict[str, Any]) -> list[Layout]:
    """The layouts of the tables a record holds fields of, in template order."""
    fields = record.get("fields") or {}
    return [table_layout(t, record.get("template") or "v2021", fields) for t in TABLES
            if any(f.startswith(t + ".") for f in fields)]
