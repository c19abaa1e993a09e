"""``nianbao export OUT.jsonl --to corpus.duckdb | tables.xlsx | dir/``: the parse output as tables."""

from __future__ import annotations

from pathlib import Path

import typer

from nianbao.export.duckdb_out import write_duckdb
from nianbao.export.files_out import write_folder, write_xlsx


def export(
    src: Path = typer.Argument(..., help="A parse output (JSONL or JSONL.gz)."),
    to: str = typer.Option(..., "--to", help="corpus.duckdb (DuckDB), tables.xlsx (spreadsheet), or dir/ "
                           "(one file per table; a path ending in / or an existing folder)."),
    fmt: str = typer.Option("parquet", "--format", help="For a folder: parquet | csv."),
    batch: int = typer.Option(500, help="Records per write batch (memory is bounded by it)."),
    memory_limit: str = typer.Option("256MB", "--memory-limit", help="DuckDB's buffer pool limit (it spills beyond)."),
) -> None:
    """Export a parse output to DuckDB, a spreadsheet, or Parquet/CSV files: reports, fields (long),
    flags, resolutions, one wide table per report table (t2, t3, t4) and their Chinese headers."""

    if not src.is_file():
        raise typer.BadParameter(f"no such file: {src}", param_hint="SRC")
    target = Path(to)
    if to.endswith(("/", "\\")) or target.is_dir():
        counts, what = write_folder(src, target, fmt, batch), f"{fmt} files in {target}/"
    elif target.suffix.lower() == ".xlsx":
        counts, what = write_xlsx(src, target, batch), str(target)
    elif target.suffix.lower() in (".duckdb", ".db", ""):
        counts, what = write_duckdb(src, target, batch, memory_limit), str(target)
    else:
        raise typer.BadParameter(f"unknown target {to!r}: *.duckdb, *.xlsx or a folder ending in /",
                                 param_hint="--to")
    typer.echo(f"{counts['reports']} reports, {counts['fields']} fields, {counts['flags']} flags, "
               f"{counts['resolutions']} resolutions -> {what}")
