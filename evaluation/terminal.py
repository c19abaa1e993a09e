"""Rich terminal tables for ``nianbao eval`` (the terminal may quote original text; the files never do)."""

from __future__ import annotations

from typing import Any

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from nianbao.evaluation.markdown import (
    SUMMARY_HEAD,
    TAGGER_HEAD,
    doc_rows,
    fmt,
    slice_rows,
    summary_row,
    tagger_rows,
    value_cell,
)
from nianbao.evaluation.rows import unpack_rows


def _table(title: str, head: list[str], rows: list[list[Any]]) -> Table:
    t = Table(title=title, title_justify="left", show_lines=False)
    for h in head:
        t.add_column(h, overflow="fold")
    for r in rows:
        t.add_row(*(escape(fmt(c)) for c in r))  # report text such as ``[/]`` is not markup
    return t


def snippet(text: str, span: Any, width: int = 12) -> str:
    """The evidence span in brackets with a little context, on one line.

    >>> snippet("ab 12 cd", (3, 5), 2)
    'b [12] c'
    """
    if not span:
        return ""
    a, b = span
    show = lambda s: s.replace("\n", "⏎").replace("\t", "⇥")  # noqa: E731
    return f"{show(text[max(0, a - width) : a])}[{show(text[a:b])}]{show(text[b : b + width])}"


TERM_SLICE_HEAD = "slice|docs|fields|strict|lenient|miss|spur|silent|flag P|exact".split("|")
TERM_DOC_HEAD = "doc|style|tmpl ok|status|fields|strict|lenient|miss|spur|silent|flagged|exact".split("|")


def _transpose(head: list[str], rows: list[list[Any]]) -> tuple[list[str], list[list[Any]]]:
    """Runs as columns, metrics as rows (fits a narrow terminal however many runs are compared)."""
    return ["metric", *(r[0] for r in rows)], [[h, *(r[i] for r in rows)] for i, h in enumerate(head) if i]


def print_report(
    report: dict[str, Any], texts: dict[str, str], console: Console | None = None, max_errors: int = 20
) -> None:
    """Summary (runs + baseline), slices and documents of the primary run, tagger scores, first errors."""
    console = console or Console()
    rows = [summary_row(n, r["overall"], r["calibration"]) for n, r in report["runs"].items()]
    rows.append(summary_row("baseline", report["baseline"]["overall"], report["baseline"]["calibration"]))
    g = report["gold"]
    title = f"nianbao eval {report['version']}: {g['docs']} gold documents ({g['held_out']} held out)"
    console.print(_table(title, *_transpose(SUMMARY_HEAD, rows)))
    primary = report["runs"].get(report["primary"]) if report["primary"] else None
    if primary:
        sl = primary["slices"]
        rows = [
            r for kind in ("held_out", "table", "template", "style") for r in slice_rows(sl[kind], f"{kind}=")
        ]
        console.print(_table(f"slices of {primary['name']}", TERM_SLICE_HEAD, rows))
        rows = [[r[0], r[1], r[2] == r[3], *r[5:14]] for r in doc_rows(primary["docs"])]
        console.print(_table(f"documents of {primary['name']}", TERM_DOC_HEAD, rows))
        if primary["unpredicted"]:
            console.print(f"[yellow]no prediction for: {', '.join(primary['unpredicted'])}[/yellow]")
        errors = unpack_rows(primary["errors"])
        rows = [
            [
                e["doc"],
                e["field"],
                e["status"],
                value_cell(e, "gold"),
                value_cell(e, "pred"),
                e["flagged"],
                snippet(texts.get(e["doc"], ""), e["pred_span"] or e["gold_span"]),
            ]
            for e in errors[:max_errors]
        ]
        if rows:
            head = ["doc", "field", "status", "gold", "pred", "flagged", "evidence"]
            console.print(_table(f"first {len(rows)} of {len(errors)} errors", head, rows))
    tagger = report.get("tagger")
    if tagger and tagger.get("entity"):
        title = f"tagger {tagger.get('name', '')} on the gold texts: entity (seqeval) and per-char scores"
        console.print(_table(title, TAGGER_HEAD, tagger_rows(tagger)))
        if tagger.get("held_out"):
            ent = tagger["held_out"]["entity"]["micro avg"]
            console.print(f"held-out documents only ({tagger['held_out']['docs']}): entity micro F1 {ent['f1']:.4f} "
                          f"(P {ent['precision']:.3f}, R {ent['recall']:.3f})")
