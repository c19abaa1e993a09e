"""The ``nianbao link`` and ``nianbao audit`` commands."""

from __future__ import annotations

from pathlib import Path

import typer


def link(inp: Path = typer.Argument(..., help="Parse output (JSONL) of a corpus."),
         output: Path = typer.Option(..., "-o", "--output", help="Linked records (JSONL), in input order."),
         summary: Path | None = typer.Option(None, "--summary", help="Write the series and tie counts as JSON here."),
         quiet: bool = typer.Option(False, "--quiet", help="Print nothing.")) -> None:
    """Group reports into agency series and use consecutive years' ties as evidence."""
    from nianbao.series.link import link_cli

    link_cli(inp, output, summary, quiet)
