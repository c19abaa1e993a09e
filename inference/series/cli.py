"""The ``nianbao link`` and ``nianbao audit`` commands."""

from __future__ import annotations

from pathlib import Path

import typer

from nianbao.series.audit import audit_cli
from nianbao.series.link import link_cli


def link(inp: Path = typer.Argument(..., help="Parse output (JSONL) of a corpus."),
         output: Path = typer.Option(..., "-o", "--output", help="Linked records (JSONL), in input order."),
         summary: Path | None = typer.Option(None, "--summary", help="Write the series and tie counts as JSON here."),
         quiet: bool = typer.Option(False, "--quiet", help="Print nothing.")) -> None:
    """Group reports into agency series and use consecutive years' ties as evidence."""

    link_cli(inp, output, summary, quiet)


def audit(inp: Path = typer.Argument(..., help="Linked (or parsed) records, JSONL."),
          report: Path = typer.Option(Path("audit.md"), "--report", help="Markdown report (.html and .png beside it)."),
          top: int = typer.Option(10, "--top", help="Agencies shown: the N with most reports."),
          agency: list[str] | None = typer.Option(None, "--agency", help="Show agencies whose key or name holds this."),
          no_plots: bool = typer.Option(False, "--no-plots", help="Skip the PNG of small multiples.")) -> None:
    """Corpus summary and per-agency series of key figures, cross-year breaks and open flags."""

    audit_cli(inp, report, top, agency, not no_plots)
