"""One parse record -> rows of the export's tables (pure functions; the writers stream them).

Tables and their columns (``SCHEMAS``): ``reports`` (one row per record), ``fields`` (long: one row per
field, ``kind`` = number | blank | mark, so a blank, a mark such as ``/`` and a missing field are never
confused: a missing field has no row), ``flags`` (one row per flag), ``resolutions`` (one row per settled
field), ``t2``/``t3``/``t4`` (wide: one row per report, one column per field ID; blank and mark are NULL
there, the long table says which) and ``headers`` (field ID -> its table's Chinese row and column names).

>>> rec = {"doc_id": "d", "source": "a.txt", "status": "ok", "template": "v2021", "meta": {"year": 2021},
...        "fields": {"t3.total.total": {"value": 3, "confidence": 0.9, "span": [5, 6]},
...                   "t3.total.research": {"value": None, "confidence": 0.8, "span": [7, 7]},
...                   "t3.total.commercial": {"value": None, "raw": "/", "confidence": 0.8, "span": [8, 9]}},
...        "flags": [{"code": "invariant.row_total", "fields": ["t3.total.total"], "message": "m"}]}
>>> rows = record_rows(rec, 1)
>>> [(r["field"], r["value"], r["kind"], r["flagged"]) for r in rows["fields"]]
[('t3.total.total', 3.0, 'number', True), ('t3.total.research', None, 'blank', False), ('t3.total.commercial', None, 'mark', False)]
>>> rows["t3"][0]["t3.total.total"], rows["t3"][0]["t3.total.research"], rows["reports"][0]["n_blank"]
(3.0, None, 1)
"""

from __future__ import annotations

import gzip
import json
from collections.abc import Iterator
from functools import cache
from pathlib import Path
from typing import Any, Literal

from nianbao.labels.layout import TABLES, field_label, table_fields

Kind = Literal["number", "blank", "mark"]

REPORT_COLUMNS: dict[str, str] = {
    "line": "BIGINT", "doc_id": "VARCHAR", "source": "VARCHAR", "url": "VARCHAR", "status": "VARCHAR",
    "template": "VARCHAR", "org": "VARCHAR", "year": "BIGINT", "title": "VARCHAR", "date": "VARCHAR",
    "n_fields": "BIGINT", "n_number": "BIGINT", "n_blank": "BIGINT", "n_mark": "BIGINT", "n_flags": "BIGINT",
    "n_flagged_fields": "BIGINT", "n_resolutions": "BIGINT", "error_code": "VARCHAR", "error_message": "VARCHAR",
    "duplicate_of": "VARCHAR", "nianbao": "VARCHAR", "model": "VARCHAR",
}
FIELD_COLUMNS: dict[str, str] = {
    "doc_id": "VARCHAR", "field": "VARCHAR", "value": "DOUBLE", "kind": "VARCHAR", "unit": "VARCHAR",
    "raw": "VARCHAR", "confidence": "DOUBLE", "flagged": "BOOLEAN", "settled": "BOOLEAN",
    "span_start": "BIGINT", "span_end": "BIGINT",
}
FLAG_COLUMNS: dict[str, str] = {
    "doc_id": "VARCHAR", "n": "BIGINT", "code": "VARCHAR", "fields": "VARCHAR", "message": "VARCHAR",
    "alternatives": "VARCHAR",
}
RESOLUTION_COLUMNS: dict[str, str] = {
    "doc_id": "VARCHAR", "field": "VARCHAR", "previous": "DOUBLE", "value": "DOUBLE", "code": "VARCHAR",
    "evidence_kind": "VARCHAR", "evidence": "VARCHAR",
}
HEADER_COLUMNS: dict[str, str] = {"field": "VARCHAR", "table_id": "VARCHAR", "row_zh": "VARCHAR",
                                  "col_zh": "VARCHAR"}


@cache
def schemas() -> dict[str, dict[str, str]]:
    """Every export table's columns and their SQL types, in writing order."""
    out = {"reports": REPORT_COLUMNS, "fields": FIELD_COLUMNS, "flags": FLAG_COLUMNS,
           "resolutions": RESOLUTION_COLUMNS}
    for t in TABLES:
        out[t] = {"doc_id": "VARCHAR", **{f: "DOUBLE" for f in table_fields(t)}}
    out["headers"] = HEADER_COLUMNS
    return out


def field_kind(item: dict[str, Any]) -> Kind:
    """number, blank (null, no mark) or mark (null, the printed mark in ``raw``).

    >>> field_kind({"value": 0}), field_kind({"value": None}), field_kind({"value": None, "raw": "/"})
    ('number', 'blank', 'mark')
    """
    if item.get("value") is not None:
        return "number"
    return "mark" if (item.get("raw") or "").strip() else "blank"


def _num(v: Any) -> float | None:
    return None if v is None else float(v)


def record_rows(rec: dict[str, Any], line: int) -> dict[str, list[dict[str, Any]]]:
    """The rows one record contributes to each table (``line``: its 1-based line in the JSONL)."""
    doc_id = rec.get("doc_id") or ""
    fields: dict[str, dict[str, Any]] = rec.get("fields") or {}
    flags: list[dict[str, Any]] = rec.get("flags") or []
    resolutions: list[dict[str, Any]] = rec.get("resolutions") or []
    flagged = {f for fl in flags for f in fl.get("fields", [])}
    settled = {r.get("field") for r in resolutions}
    field_rows = []
    kinds = {"number": 0, "blank": 0, "mark": 0}
    wide: dict[str, dict[str, Any]] = {t: {"doc_id": doc_id} for t in TABLES}
    for fid, item in fields.items():
        kind = field_kind(item)
        kinds[kind] += 1
        span = item.get("span") or [None, None]
        field_rows.append({"doc_id": doc_id, "field": fid, "value": _num(item.get("value")), "kind": kind,
                           "unit": item.get("unit"), "raw": item.get("raw"),
                           "confidence": item.get("confidence"), "flagged": fid in flagged,
                           "settled": fid in settled, "span_start": span[0], "span_end": span[1]})
        table = fid.split(".", 1)[0]
        if table in wide:
            wide[table][fid] = _num(item.get("value"))
    meta = rec.get("meta") or {}
    error = rec.get("error") or {}
    model = rec.get("model") or {}
    report = {"line": line, "doc_id": doc_id, "source": rec.get("source"), "url": rec.get("url"),
              "status": rec.get("status"), "template": rec.get("template"), "org": meta.get("org"),
              "year": meta.get("year"), "title": meta.get("title"), "date": meta.get("date"),
              "n_fields": len(fields), "n_number": kinds["number"], "n_blank": kinds["blank"],
              "n_mark": kinds["mark"], "n_flags": len(flags), "n_flagged_fields": len(flagged & set(fields)),
              "n_resolutions": len(resolutions), "error_code": error.get("code"),
              "error_message": error.get("message"), "duplicate_of": rec.get("duplicate_of"),
              "nianbao": rec.get("nianbao"), "model": model.get("version") and f"{model.get('name')} {model['version']}"}
    flag_rows = [{"doc_id": doc_id, "n": i, "code": fl.get("code"), "fields": ",".join(fl.get("fields", [])),
                  "message": fl.get("message"),
                  "alternatives": json.dumps(fl["alternatives"], ensure_ascii=False) if fl.get("alternatives") else None}
                 for i, fl in enumerate(flags)]
    res_rows = [{"doc_id": doc_id, "field": r.get("field"), "previous": _num(r.get("previous")),
                 "value": _num(r.get("value")), "code": r.get("code"),
                 "evidence_kind": (r.get("evidence") or {}).get("kind"),
                 "evidence": json.dumps(r.get("evidence") or {}, ensure_ascii=False)} for r in resolutions]
    out: dict[str, list[dict[str, Any]]] = {"reports": [report], "fields": field_rows, "flags": flag_rows,
                                           "resolutions": res_rows}
    for t in TABLES:
        out[t] = [wide[t]] if len(wide[t]) > 1 else []  # a report without that table has no wide row
    return out


def header_rows() -> list[dict[str, Any]]:
    """The ``headers`` table: each wide column's field ID and its Chinese row and column names."""
    out = []
    for t in TABLES:
        for f in table_fields(t):
            row, col = field_label(f)
            out.append({"field": f, "table_id": t, "row_zh": row, "col_zh": col})
    return out


def iter_records(path: str | Path) -> Iterator[tuple[int, dict[str, Any]]]:
    """(line number, record) for each non-blank line of a parse output, streaming."""

    p = Path(path)
    opener = gzip.open if p.name.endswith(".gz") else open
    with opener(p, "rt", encoding="utf-8") as fh:  # type: ignore[operator]
        for i, line in enumerate(fh, 1):
            if line.strip():
                yield i, json.loads(line)


def iter_batches(path: str | Path, batch_records: int = 500) -> Iterator[dict[str, list[dict[str, Any]]]]:
    """Rows of every table, ``batch_records`` records at a time (memory bounded by the batch)."""
    batch: dict[str, list[dict[str, Any]]] = {name: [] for name in schemas() if name != "headers"}
    n = 0
    for line, rec in iter_records(path):
        for name, rows in record_rows(rec, line).items():
            batch[name].extend(rows)
        n += 1
        if n >= batch_records:
            yield batch
            batch = {name: [] for name in batch}
            n = 0
    if n:
        yield batch
