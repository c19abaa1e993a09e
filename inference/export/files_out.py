"""Write the export tables as files: Parquet or CSV per table in a folder, or one spreadsheet (xlsx)."""

from __future__ import annotations

import csv
from itertools import chain
from pathlib import Path
from typing import Any

from nianbao.export.duckdb_out import arrow_schema, to_arrow
from nianbao.export.tables import header_rows, iter_batches, schemas

ROW_GROUP_BYTES = 16 << 20  # Parquet: batches are buffered into row groups of about this size (a row
# group per small batch would grow the file footer, held in memory until close, with every batch)
XLSX_MAX_ROWS = 1_048_576  # a sheet's limit, header included: longer tables continue on "<name> (2)"...


def write_folder(src: str | Path, out_dir: str | Path, fmt: str = "parquet",
                 batch_records: int = 500) -> dict[str, int]:
    """One ``<table>.parquet`` (or ``.csv``) per export table in ``out_dir``; returns rows per table."""
    # local: pyarrow costs start-up time; only this path needs it
    import pyarrow.parquet as pq

    if fmt not in ("parquet", "csv"):
        raise ValueError(f"unknown folder format {fmt!r}: parquet or csv")
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    counts = dict.fromkeys(schemas(), 0)
    writers: dict[str, Any] = {}
    handles = []
    try:
        for name, cols in schemas().items():
            path = out / f"{name}.{fmt}"
            if fmt == "parquet":
                writers[name] = pq.ParquetWriter(path, arrow_schema(cols))
            else:
                fh = open(path, "w", encoding="utf-8", newline="")
                handles.append(fh)
                w = csv.DictWriter(fh, fieldnames=list(cols))
                w.writeheader()
                writers[name] = w
        pending: dict[str, list] = {name: [] for name in writers}
        _write(writers, {"headers": header_rows()}, counts, fmt, pending)
        for batch in iter_batches(src, batch_records):
            _write(writers, batch, counts, fmt, pending)
        for name, parts in pending.items():
            _flush(writers[name], parts)
    finally:
        if fmt == "parquet":
            for w in writers.values():
                w.close()
        for fh in handles:
            fh.close()
    return counts


def _write(writers: dict[str, Any], batch: dict[str, list[dict]], counts: dict[str, int], fmt: str,
           pending: dict[str, list]) -> None:
    for name, rows in batch.items():
        if not rows:
            continue
        if fmt == "parquet":
            pending[name].append(to_arrow(rows, schemas()[name]))
            if sum(t.nbytes for t in pending[name]) >= ROW_GROUP_BYTES:
                _flush(writers[name], pending[name])
        else:  # CSV: NULL is an empty cell, booleans as true/false
            cols = schemas()[name]
            writers[name].writerows({c: _csv(r.get(c)) for c in cols} for r in rows)
        counts[name] += len(rows)


def _flush(writer: Any, parts: list) -> None:
    """Write the buffered batches of one table as one row group."""
    # local: pyarrow costs start-up time; only this path needs it
    import pyarrow as pa

    if writer is not None and parts and hasattr(writer, "write_table"):
        writer.write_table(pa.concat_tables(parts), row_group_size=sum(len(t) for t in parts))
    parts.clear()


def _csv(v: Any) -> Any:
    if v is None:
        return ""
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, float) and v.is_integer():
        return int(v)
    return v


def write_xlsx(src: str | Path, path: str | Path, batch_records: int = 500) -> dict[str, int]:
    """One sheet per export table (write-only workbook: rows go to disk as they come); returns rows per table."""
    # local: openpyxl costs start-up time; only this path needs it
    from openpyxl import Workbook

    wb = Workbook(write_only=True)
    counts = dict.fromkeys(schemas(), 0)
    sheets: dict[str, Any] = {}
    used: dict[str, int] = {}  # rows used on the table's current sheet
    parts: dict[str, int] = {}

    def sheet(name: str) -> Any:
        if name not in sheets or used[name] >= XLSX_MAX_ROWS:
            parts[name] = parts.get(name, 0) + 1
            ws = wb.create_sheet(name if parts[name] == 1 else f"{name} ({parts[name]})")
            ws.append(list(schemas()[name]))
            sheets[name], used[name] = ws, 1
        return sheets[name]

    for name in schemas():
        sheet(name)  # every table gets its sheet, even an empty one
    for batch in chain([{"headers": header_rows()}], iter_batches(src, batch_records)):
        for name, rows in batch.items():
            cols = list(schemas()[name])
            for r in rows:
                sheet(name).append([r.get(c) for c in cols])
                used[name] += 1
            counts[name] += len(rows)
    wb.save(str(path))
    return counts
