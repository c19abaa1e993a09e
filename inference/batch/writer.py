"""Record writers: JSONL (default, append + flush per record, resumable) and Parquet.

A crash can leave at most a torn last JSONL line; ``scan_done`` reads what a
previous run wrote, cuts a torn tail, and returns the sources already done.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable
from pathlib import Path
from typing import Any, Protocol

NESTED = ("error", "meta", "sections", "fields", "flags", "model")


class RecordWriter(Protocol):
    """Anything that takes output records one by one."""

    def write(self, record: dict[str, Any]) -> None:
        """Append one whole record."""
        ...

    def close(self) -> None:
        """Flush and close."""
        ...


def dumps_record(record: dict[str, Any]) -> str:
    """One record as one JSON line (UTF-8, no ASCII escaping)."""
    return json.dumps(record, ensure_ascii=False, separators=(",", ":")) + "\n"


class JsonlWriter:
    """Appends each record with one write and flushes it, so a crash never leaves a half record mid-file."""

    def __init__(self, path: Path, append: bool = False) -> None:
        self.path = path
        self._fh = open(path, "a" if append else "w", encoding="utf-8")  # noqa: SIM115

    def write(self, record: dict[str, Any]) -> None:
        """Append one record and flush it to the OS."""
        self._fh.write(dumps_record(record))
        self._fh.flush()

    def close(self) -> None:
        """Flush to disk and close."""
        self._fh.flush()
        os.fsync(self._fh.fileno())
        self._fh.close()


class UriJsonlWriter:
    """JSONL to any URI that ``pyarrow.fs`` opens (``s3://``, ``gs://``, ``hdfs://``): flushed per record."""

    def __init__(self, uri: str) -> None:
        # local: pyarrow loads only for Parquet and remote URIs
        from pyarrow import fs

        filesystem, path = fs.FileSystem.from_uri(uri)
        self._stream = filesystem.open_output_stream(path)

    def write(self, record: dict[str, Any]) -> None:
        """Append one record."""
        self._stream.write(dumps_record(record).encode("utf-8"))
        self._stream.flush()

    def close(self) -> None:
        """Close the stream (the object is committed on close)."""
        self._stream.close()


class ParquetWriter:
    """Writes records to Parquet in row groups; nested parts are JSON strings (one schema for all records)."""

    def __init__(self, path: Path, row_group: int = 1000) -> None:
        # local: pyarrow loads only for Parquet and remote URIs
        import pyarrow as pa
        import pyarrow.parquet as pq

        self._pa = pa
        self.schema = pa.schema([(k, pa.string()) for k in ("nianbao", "doc_id", "source", "status", "template")]
                                + [(k, pa.string()) for k in NESTED])
        self._writer = pq.ParquetWriter(str(path), self.schema)
        self._rows: list[dict[str, Any]] = []
        self.row_group = row_group

    def write(self, record: dict[str, Any]) -> None:
        """Buffer one record; a full row group is written out."""
        row = {k: record.get(k) for k in ("nianbao", "doc_id", "source", "status", "template")}
        row.update({k: json.dumps(record.get(k), ensure_ascii=False) for k in NESTED})
        self._rows.append(row)
        if len(self._rows) >= self.row_group:
            self._flush()

    def _flush(self) -> None:
        if self._rows:
            self._writer.write_table(self._pa.Table.from_pylist(self._rows, schema=self.schema))
            self._rows = []

    def close(self) -> None:
        """Write the last row group and close the file."""
        self._flush()
        self._writer.close()


def read_parquet_records(path: Path) -> list[dict[str, Any]]:
    """Read records back from a Parquet output (nested parts decoded)."""
    # local: pyarrow loads only for Parquet and remote URIs
    import pyarrow.parquet as pq

    out = []
    for row in pq.read_table(str(path)).to_pylist():
        out.append({k: (json.loads(v) if k in NESTED and v is not None else v) for k, v in row.items()})
    return out


def scan_done(path: Path) -> set[str]:
    """Sources of the complete records in an existing JSONL output; a torn last line is cut off the file."""
    done: set[str] = set()
    if not path.exists():
        return done
    good_end = 0
    with open(path, "rb") as fh:
        pos = 0
        for line in fh:
            pos += len(line)
            if not line.endswith(b"\n"):
                break
            try:
                rec = json.loads(line)
            except json.JSONDecodeError:
                break
            done.add(rec["source"])
            good_end = pos
    if good_end != path.stat().st_size:
        with open(path, "r+b") as fh:
            fh.truncate(good_end)
    return done


def open_writer(path: Path | str, fmt: str, resume: bool) -> RecordWriter:
    """The writer for ``--format`` (jsonl | parquet); resume appends to a local JSONL; URIs via pyarrow.fs."""
    if "://" in str(path):
        if fmt != "jsonl" or resume:
            raise ValueError("a URI output takes --format jsonl without --resume")
        return UriJsonlWriter(str(path))
    path = Path(path)
    if fmt == "jsonl":
        return JsonlWriter(path, append=resume)
    if fmt == "parquet":
        if resume:
            raise ValueError("--resume works with --format jsonl only (Parquet files cannot be appended)")
        return ParquetWriter(path)
    raise ValueError(f"unknown --format {fmt!r}: use jsonl or parquet")


def write_all(writer: RecordWriter, records: Iterable[dict[str, Any]]) -> int:
    """Write records; return how many."""
    n = 0
    for r in records:
        writer.write(r)
        n += 1
    return n
