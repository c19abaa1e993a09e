"""The corpus grouping on disk (DuckDB): series keys, duplicates and consecutive-year pairs.

Only the small per-record keys go into the database (index, series key, year, template, content
hash, doc_id), so one machine groups 10^6-10^7 records; the records themselves stay in the caller's
file and are read back by index.
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
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


class DiskStore:
    """The streaming variant for corpora larger than memory: keys go in by batches, series come out one
    at a time (with each record's byte offset in the input), changed records are kept on disk by index."""

    def __init__(self, workdir: Path | None = None) -> None:
        self._tmp = tempfile.TemporaryDirectory(dir=workdir)
        self.con = duckdb.connect(str(Path(self._tmp.name) / "link.duckdb"))
        self.con.execute("SET preserve_insertion_order = false")
        self.con.execute("CREATE TABLE docs (idx BIGINT, off BIGINT, key VARCHAR, year BIGINT, doc_id VARCHAR, "
                         "content VARCHAR, source VARCHAR)")
        self.con.execute("CREATE TABLE changed (idx BIGINT, rec VARCHAR)")

    def add(self, rows: dict[str, list]) -> None:
        """Insert a batch of key rows (columns idx, off, key, year, doc_id, content, source)."""
        if not rows["idx"]:
            return
        batch = pa.table({"idx": pa.array(rows["idx"], pa.int64()), "off": pa.array(rows["off"], pa.int64()),
                          "key": pa.array(rows["key"], pa.string()), "year": pa.array(rows["year"], pa.int64()),
                          "doc_id": pa.array(rows["doc_id"], pa.string()),
                          "content": pa.array(rows["content"], pa.string()),
                          "source": pa.array(rows["source"], pa.string())})
        self.con.register("batch", batch)
        self.con.execute("INSERT INTO docs SELECT * FROM batch")
        self.con.unregister("batch")

    def finish(self) -> None:
        """Find duplicates and the one report per (series, year) after all keys are in."""
        self.con.execute("""CREATE TABLE dup AS SELECT idx, off, first FROM (
            SELECT idx, off, least(first_value(idx) OVER (PARTITION BY doc_id ORDER BY idx),
                                   coalesce(first_value(idx) OVER (PARTITION BY key, year, content ORDER BY idx), idx))
                   AS first FROM docs) WHERE first <> idx""")
        self.con.execute("""CREATE TABLE reps AS SELECT key, year, min(idx) AS idx, arg_min(off, idx) AS off,
                            arg_min(source, idx) AS source, count(*) AS n FROM docs
                            WHERE key IS NOT NULL AND year IS NOT NULL AND idx NOT IN (SELECT idx FROM dup)
                            GROUP BY key, year""")

    def duplicates(self) -> list[tuple[int, int, str]]:
        """(index, byte offset, doc_id or source of the first copy) of every duplicate."""
        return [(int(i), int(o), str(d or s)) for i, o, d, s in self.con.execute(
            "SELECT dup.idx, dup.off, docs.doc_id, docs.source FROM dup JOIN docs ON docs.idx = dup.first "
            "ORDER BY dup.idx").fetchall()]

    def clashes(self) -> list[tuple[str, int]]:
        """(series key, year) held by more than one different report (no pair is formed there)."""
        return [(str(k), int(y)) for k, y in self.con.execute(
            "SELECT key, year FROM reps WHERE n > 1 ORDER BY key, year").fetchall()]

    def series(self, batch: int = 10_000) -> Iterator[tuple[str, list[tuple[int, int, int, str, bool]]]]:
        """Each series in key order: [(year, index, byte offset, source, single)] in year order."""
        cur = self.con.cursor()  # its own cursor: changed records are written while series are read
        cur.execute("SELECT key, year, idx, off, source, n FROM reps ORDER BY key, year")
        key, chain = None, []
        while rows := cur.fetchmany(batch):
            for k, y, i, o, s, n in rows:
                if k != key and chain:
                    yield str(key), chain
                    chain = []
                key = k
                chain.append((int(y), int(i), int(o), str(s or ""), n == 1))
        if chain:
            yield str(key), chain

    def put_changed(self, items: list[tuple[int, str]]) -> None:
        """Keep changed records (index, JSON) on disk."""
        if items:
            self.con.register("ch", pa.table({"idx": pa.array([i for i, _ in items], pa.int64()),
                                              "rec": pa.array([r for _, r in items], pa.string())}))
            self.con.execute("INSERT INTO changed SELECT * FROM ch")
            self.con.unregister("ch")

    def changed(self, batch: int = 10_000) -> Iterator[tuple[int, str]]:
        """Changed records in index order (the last version of each)."""
        cur = self.con.cursor()
        cur.execute("SELECT idx, last(rec ORDER BY rowid) FROM changed GROUP BY idx ORDER BY idx")
        while rows := cur.fetchmany(batch):
            yield from ((int(i), str(r)) for i, r in rows)

    def close(self) -> None:
        """Drop the database."""
        self.con.close()
        self._tmp.cleanup()
