"""Write the export tables into a DuckDB database, one batch of records at a time."""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa

from nianbao.export.tables import header_rows, iter_batches, schemas

_ARROW = {"VARCHAR": pa.string(), "BIGINT": pa.int64(), "DOUBLE": pa.float64(), "BOOLEAN": pa.bool_()}


def arrow_schema(columns: dict[str, str]) -> pa.Schema:
    """The pyarrow schema of an export table's columns (SQL type names as in ``tables.schemas``)."""
    return pa.schema([(name, _ARROW[sql]) for name, sql in columns.items()])


def to_arrow(rows: list[dict], columns: dict[str, str]) -> pa.Table:
    """Rows (dicts; absent keys are NULL) -> a pyarrow table with exactly ``columns``."""
    return pa.Table.from_pylist(rows, schema=arrow_schema(columns))


def write_duckdb(src: str | Path, db: str | Path, batch_records: int = 500,
                 memory_limit: str = "256MB") -> dict[str, int]:
    """Export a parse output into a (new or replaced) DuckDB file; returns rows written per table.

    Records are read and inserted ``batch_records`` at a time and DuckDB keeps to ``memory_limit``
    (it spills to disk beyond it), so memory does not grow with the number of records."""
    # local: DuckDB costs start-up time; only this path needs it
    import duckdb

    db = Path(db)
    if db.exists():
        db.unlink()
    counts = dict.fromkeys(schemas(), 0)
    con = duckdb.connect(str(db))
    try:
        con.execute(f"SET memory_limit = '{memory_limit}'")
        con.execute("SET enable_progress_bar = false")
        for name, cols in schemas().items():
            ddl = ", ".join(f'"{c}" {t}' for c, t in cols.items())
            con.execute(f'CREATE TABLE "{name}" ({ddl})')
        _insert(con, {"headers": header_rows()}, counts)
        for batch in iter_batches(src, batch_records):
            _insert(con, batch, counts)
    finally:
        con.close()
    return counts


def _insert(con, batch: dict[str, list[dict]], counts: dict[str, int]) -> None:  # noqa: ANN001 - duckdb
    for name, rows in batch.items():
        if not rows:
            continue
        staged = to_arrow(rows, schemas()[name])  # noqa: F841 - read by DuckDB's replacement scan below
        con.execute(f'INSERT INTO "{name}" SELECT * FROM staged')
        counts[name] += len(rows)
