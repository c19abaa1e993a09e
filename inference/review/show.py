"""``nianbao show``: one report's meta, sections and three tables in the terminal, laid out as the template
prints them, flagged cells highlighted with their alternatives, settled cells with their evidence."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import typer
from rich.console import Console
from rich.table import Table
from rich.text import Text

from nianbao.api import Parser
from nianbao.labels.layout import TABLE_TITLES
from nianbao.review.page import write_page
from nianbao.review.source import SourceError, read_record, source_text
from nianbao.review.view import alternative_diffs, cell_views, fmt_value, layouts

FIXED_WIDTH = 220  # off a terminal: wide enough that CJK labels never wrap


def render(record: dict[str, Any], console: Console) -> None:
    """Print a record's meta, sections, tables, flags and settlements."""
    meta = record.get("meta") or {}
    console.print(Text(f"{record.get('source')}  [{record.get('status')}, template {record.get('template')}]",
                       style="bold"))
    if record.get("error"):
        err = record["error"]
        console.print(Text(f"error {err.get('code')} [{err.get('stage')}]: {err.get('message')}", style="red"))
    for k in ("title", "org", "year", "date"):
        if k in meta:
            console.print(f"  {k}: {meta[k]}")
    if record.get("url"):
        console.print(f"  url: {record['url']}")
    if record.get("sections"):
        console.print("  sections:")
        for s in record["sections"]:
            console.print(f"    {s['id']} {s['title']} [{s['start']}:{s['end']}]")
    cells = cell_views(record)
    for lay in layouts(record):
        table = Table(title=TABLE_TITLES[lay.table], title_justify="left", show_lines=False)
        table.add_column("", no_wrap=True)
        for c in lay.cols:
            table.add_column(c, justify="right", no_wrap=True)
        for row in lay.rows:
            out: list[Text] = [Text(row.label)]
            for f in row.cells:
                cv = cells.get(f) if f else None
                if cv is None:
                    out.append(Text(""))
                elif cv.codes:
                    out.append(Text(f"{cv.text}?", style="bold black on yellow"))
                elif cv.settled:
                    out.append(Text(f"{cv.text}✓", style="bold green"))
                else:
                    out.append(Text(cv.text, style="dim" if cv.kind != "number" else ""))
            table.add_row(*out)
        console.print(table)
    flagged = [cv for cv in cells.values() if cv.codes]
    if flagged or record.get("flags"):
        console.print(Text("flags (cells marked ?):", style="bold yellow"))
        for fl in record.get("flags") or []:
            alts = " | ".join(", ".join(f"{k}={fmt_value(v)}" for k, v in a.items())
                              for a in alternative_diffs(record, fl))
            names = fl.get("fields", [])
            shown = ", ".join(names[:6]) + (f" (+{len(names) - 6} more)" if len(names) > 6 else "")
            console.print(f"  {fl.get('code')}: {shown}" + (f"\n    alternatives (where they differ): {alts}"
                                                            if alts else ""))
            if fl.get("message"):
                console.print(Text(f"    {fl['message']}", style="dim"))
    if record.get("resolutions"):
        console.print(Text("settled (cells marked ✓):", style="bold green"))
        for r in record["resolutions"]:
            console.print(f"  {r['field']}: {fmt_value(r.get('previous'))} -> {fmt_value(r.get('value'))}  "
                          f"evidence {json.dumps(r.get('evidence'), ensure_ascii=False)}")


def make_console(file: Any = None) -> Console:
    """A console at the terminal's width, or at a fixed width when not on a terminal."""
    out = file or sys.stdout
    tty = hasattr(out, "isatty") and out.isatty()
    return Console(file=out, width=None if tty else FIXED_WIDTH, soft_wrap=False)


def show(
    input: str | None = typer.Argument(None, help="A report file to parse and show (txt, html, jsonl: its first)."),
    record: str | None = typer.Option(None, "--record", help="Show a parsed record instead: OUT.jsonl#N (1-based)."),
    root: Path | None = typer.Option(None, "--root", help="Where relative record sources lie (the parse's folder)."),
    html: Path | None = typer.Option(None, "--html", help="Also write one self-contained review page here."),
    no_model: bool = typer.Option(False, "--no-model", help="Parse with the rules-only reader."),
    model: Path | None = typer.Option(None, "--model", help="Model folder (default: the shipped model)."),
) -> None:
    """Show one report's tables as the template prints them (flags highlighted), or write its review page."""

    if (input is None) == (record is None):
        raise typer.BadParameter("give a report INPUT or --record OUT.jsonl#N (one of them)")
    tags: list[tuple[int, int, str]] | None = None
    if record is not None:
        try:
            rec = read_record(record)
            text = source_text(rec, root) if html else None
        except (SourceError, OSError, ValueError) as exc:
            typer.echo(f"error: {exc}", err=True)
            raise typer.Exit(2) from exc
    else:

        doc = Parser(model=model, no_model=no_model).parse_file(input)  # type: ignore[arg-type]
        rec, text = doc.to_record(), doc.text
        tags = [(*doc.to_source(t.start, t.end), t.tag) for t in doc.tags if t.tag not in ("VAL", "BLANK")]
    render(rec, make_console())
    if html is not None:

        write_page(rec, text or "", html, tags)
        typer.echo(f"review page -> {html}")
