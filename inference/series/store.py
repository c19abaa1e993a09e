"""The corpus grouping on disk (DuckDB): series keys, duplicates and consecutive-year pairs.

Only the small per-record keys go into the database (index, series key, year, template, content
hash, doc_id), so one machine groups 10^6-10^7 records; the records themselves stay in the caller's
file and are read back by index.
"""

from __future__ import annotations

import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import pyarrow as pa


@dataclass
class Grouping:
    """What the grouping found: duplicates (index -> index of the first copy), series (key -> [(year,
    index)] in year order, duplicates left out) and consecutive pairs (earlier index, later index)."""

    duplicates: dict[int, int] = field(default_factory=dict)
    series: dict[str, list[tuple[int, int]]] = field(default_factory=dict)
    pairs: list[tuple[int, int]] = field(default_factory=list)
    clashes: list[tuple[str, int]] = field(default_factory=list)  # (key, year) held by two different reports


def group(idx: list[int], key: list[str | None], year: list[int | None], doc_id: list[str],
          content: list[str], workdir: Path | None = None) -> Grouping:
    """Group records (columns of equal length) into series and pairs with DuckDB on disk.

    >>> g = group([0, 1, 2, 3], ["a", "a", "a", "b"], [2020, 2021, 2021, 2020], ["x", "y", "y", "z"], ["1", "2", "2", "3"])
    >>> g.duplicates, g.series["a"], g.pairs
    ({2: 1}, [(2020, 0), (2021, 1)], [(0, 1)])
    """
    table = pa.table({"idx": pa.array(idx, pa.int64()), "key": pa.array(key, pa.string()),
                      "year": pa.array(year, pa.int64()), "doc_id": pa.array(doc_id, pa.string()),
                      "content": pa.array(content, pa.string())})
    with tempfile.TemporaryDirectory(dir=workdir) as tmp:
        con = duckdb.connect(str(Path(tmp) / "link.duckdb"))
        con.execute("SET preserve_insertion_order = false")
        con.register("src", table)
        con.execute("CREATE TABLE docs AS SELECT * FROM src")
        con.unregister("src")
        out = Grouping()
        # the same bytes (doc_id) or the same report (series key, year and every value) crawled twice
        rows = con.execute("""
            SELECT idx, least(first_value(idx) OVER (PARTITION BY doc_id ORDER BY idx),
                              coalesce(first_value(idx) OVER (PARTITION BY key, year, content ORDER BY idx), idx))
            FROM docs""").fetchall()
        out.duplicates = {int(i): int(f) for i, f in rows if f != i}
        con.execute("CREATE TABLE dup AS SELECT unnest(?::BIGINT[]) AS idx", [list(out.duplicates)])
        con.execute("""CREATE TABLE reps AS SELECT key, year, min(idx) AS idx, count(*) AS n FROM docs
                       WHERE key IS NOT NULL AND year IS NOT NULL AND idx NOT IN (SELECT idx FROM dup)
                       GROUP BY key, year""")
        out.clashes = [(str(k), int(y)) for k, y in con.execute(
            "SELECT key, year FROM reps WHERE n > 1 ORDER BY key, year").fetchall()]
        for k, y, i in con.execute("SELECT key, year, idx FROM reps ORDER BY key, year").fetchall():
            out.series.setdefault(str(k), []).append((int(y), int(i)))
        out.pairs = [(int(a), int(b)) for a, b in con.execute("""
            SELECT idx, nxt FROM (
                SELECT idx, n, year, lead(idx) OVER w AS nxt, lead(year) OVER w AS nyear, lead(n) OVER w AS nn
                FROM reps WINDOW w AS (PARTITION BY key ORDER BY year))
            WHERE nyear = year + 1 AND n = 1 AND nn = 1 ORDER BY idx""").fetchall()]
        con.close()
    return out
