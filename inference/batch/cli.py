"""``nianbao parse``: inputs -> one JSONL record per document, in input order (the output contract)."""

from __future__ import annotations

import gzip
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import typer
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    ProgressColumn,
    Task,
    TextColumn,
    TimeRemainingColumn,
)
from rich.text import Text

from nianbao.batch.engine import LocalEngine
from nianbao.batch.ray_engine import RayEngine, is_uri, iter_uri_jsonl
from nianbao.batch.writer import open_writer, scan_done
from nianbao.inputs import InputItem, InputStats, iter_inputs
from nianbao.pipeline import PipelineConfig
from nianbao.rules._native import summary as rules_summary
from nianbao.series.link import link_cli
from nianbao.tagger.runtime import runtime_summary

err = Console(stderr=True)
SLOW_S = 5.0  # a document parsing for longer than this is named on the progress bar
InFlight = Callable[[], list[tuple[str, float]]]


INPUT_SUFFIXES = (".txt", ".html", ".htm", ".jsonl", ".jsonl.gz")
WARC_SUFFIXES = (".warc", ".warc.gz", ".wet", ".wet.gz", ".arc.gz")


def count_inputs(paths: list[str]) -> int | None:
    """How many input documents the paths hold (for the progress bar's total and ETA); streams, loads nothing.
    None where a WARC/WET archive is among them (counting its pages means reading it: no total)."""
    n = 0
    for p in map(Path, paths):
        files = sorted(f for f in p.rglob("*") if f.is_file()) if p.is_dir() else [p]
        for f in files:
            name = f.name.lower()
            if name.endswith(WARC_SUFFIXES):
                return None
            if not name.endswith(INPUT_SUFFIXES):
                continue
            if name.endswith((".jsonl", ".jsonl.gz")):
                try:
                    with (gzip.open(f, "rb") if name.endswith(".gz") else open(f, "rb")) as fh:
                        n += sum(1 for line in fh if line.strip())
                except OSError:
                    n += 1
            else:
                n += 1
    return n


def _inputs(paths: list[str], stats: InputStats, skip: set[str]) -> Iterator[InputItem]:
    local = []
    for p in paths:
        if is_uri(p):
            yield from (i for i in _flush_local(local, stats, skip))
            local = []
            yield from (i for i in iter_uri_jsonl(p) if i.source not in skip)
        else:
            local.append(p)
    yield from _flush_local(local, stats, skip)


def _flush_local(paths: list[str], stats: InputStats, skip: set[str]) -> Iterator[InputItem]:
    if paths:
        for item in iter_inputs(paths, stats):
            if item.source in skip:
                continue
            yield item


def parse(
    paths: list[str] = typer.Argument(..., help="Files, directories (recursive) or JSONL(.gz) files; URIs for JSONL."),
    output: str = typer.Option(..., "-o", "--output",
                               help="Output file (JSONL, or Parquet with --format parquet), or a pyarrow.fs URI."),
    no_model: bool = typer.Option(False, "--no-model", help="Rules-only reader: no tagger model."),
    model: Path | None = typer.Option(None, "--model", help="Model folder (default: the shipped models/nianbao-tagger)."),
    runtime: str = typer.Option("auto", help="Tagger runtime: auto | torch | onnx | onnx-int8 (auto: the int8 "
                                             "model where verified and this CPU reproduces its stored tags, else "
                                             "float ONNX, else torch)."),
    device: str = typer.Option("cpu", help="cpu | cuda: the torch runtime on a GPU (falls back to the CPU with "
                                           "a message where none is present)."),
    workers: int = typer.Option(0, help="Worker processes (0 = one per core)."),
    batch_size: int = typer.Option(8, help="Documents per model batch."),
    fmt: str = typer.Option("jsonl", "--format", help="jsonl | parquet."),
    resume: bool = typer.Option(False, "--resume", help="Continue an interrupted JSONL output, skipping done inputs."),
    engine: str = typer.Option("local", help="local | ray."),
    ray_address: str | None = typer.Option(None, help="Ray cluster address (default: start a local Ray)."),
    progress: bool = typer.Option(True, "--progress/--no-progress", help="Show a progress bar on stderr."),
    fail_fast: bool = typer.Option(False, "--fail-fast", help="Stop at the first failing document (debugging)."),
    cross_read: bool = typer.Option(True, "--cross-read/--no-cross-read",
                                    help="With a model, also read the tables from the rules-only reader's tags and "
                                         "keep the sounder reading per table (off: the model's tags alone)."),
    skip_prose: bool = typer.Option(True, "--skip-prose/--no-skip-prose",
                                    help="With a model, leave windows that hold only prose untagged (their characters "
                                         "read as O; see nianbao.tagger.prose). Off: every window is tagged."),
    doc_timeout: float = typer.Option(60.0, "--doc-timeout", min=0,
                                      help="Seconds one document may take; over it: an E_TIMEOUT record and a fresh "
                                           "worker (0 = no limit; with a limit, parsing runs in worker processes)."),
    max_worker_mb: float = typer.Option(4096.0, "--max-worker-mb", min=0,
                                        help="Resident memory (MB) a worker may use; over it: the document becomes "
                                             "an E_MEMORY record and the worker is replaced (0 = no limit)."),
    link: bool = typer.Option(False, "--link", help="After the parse, link the output's reports into agency series "
                                                    "and settle flagged fields by cross-year ties (`nianbao link`), "
                                                    "in place (JSONL output only)."),
) -> None:
    """Parse reports into one record per input document (status ok | not_a_report | error)."""
    config = PipelineConfig(model_dir=model, use_model=not no_model, runtime=runtime, device=device,
                            batch_size=batch_size,
                            fail_fast=fail_fast, cross_read=cross_read, skip_prose=skip_prose)
    stats = InputStats()
    skip = scan_done(Path(output)) if resume else set()
    total = None
    if progress and sys.stderr.isatty():
        counted = count_inputs([p for p in paths if "://" not in p])
        total = None if counted is None else counted - len(skip)
    items = _inputs(paths, stats, skip)
    if engine == "ray":
        runner: Any = RayEngine(config, workers or 2, batch_size, ray_address, doc_timeout=doc_timeout,
                                max_worker_mb=max_worker_mb)
    elif engine == "local":
        runner = LocalEngine(config, workers, batch_size, doc_timeout=doc_timeout, max_worker_mb=max_worker_mb)
    else:
        raise typer.BadParameter(f"unknown --engine {engine!r}: use local or ray")
    counts, elapsed = _write(runner.run(items), output, fmt, resume, progress, total, runner.in_flight)
    _summary(counts, stats, elapsed, output, len(skip))
    err.print(runtime_summary(config), highlight=False)
    err.print(rules_summary(), highlight=False)
    if link:
        _link_in_place(output, fmt)
    written = sum(counts.values())
    if written + len(skip) == 0 or (written and counts.get("error", 0) == written and counts.get("_read", 0) == written):
        raise typer.Exit(1)


def _link_in_place(output: str, fmt: str) -> None:
    """``nianbao link`` over a finished JSONL output, written back in its place (input order kept)."""
    if fmt != "jsonl" or "://" in output:
        raise typer.BadParameter("--link needs a local JSONL output")

    out = Path(output)
    tmp = out.with_name(out.name + ".linking")
    link_cli(out, tmp, None, quiet=False)
    tmp.replace(out)


def slow_note(in_flight: list[tuple[str, float]], after: float = SLOW_S) -> str:
    """The progress bar's note on the longest-running document in flight, if it has run over ``after`` seconds.

    >>> slow_note([("in.jsonl#d7", 12.4), ("b.txt", 6.0), ("c.txt", 1.0)])
    'slow: in.jsonl#d7 12s (+1)'
    """
    slow = sorted((x for x in in_flight if x[1] > after), key=lambda x: -x[1])
    if not slow:
        return ""
    more = f" (+{len(slow) - 1})" if len(slow) > 1 else ""
    return f"slow: {slow[0][0]} {slow[0][1]:.0f}s{more}"


class SlowColumn(ProgressColumn):
    """Names the document that has been parsing longest, once it passes ``SLOW_S`` (read at each refresh)."""

    def __init__(self, in_flight: InFlight | None) -> None:
        super().__init__()
        self.in_flight = in_flight

    def render(self, task: Task) -> Text:
        """The note, in yellow (empty while nothing is slow)."""
        return Text(slow_note(self.in_flight()) if self.in_flight else "", style="yellow")


def _write(records: Iterator[dict[str, Any]], output: str, fmt: str, resume: bool, show: bool,
           total: int | None, in_flight: InFlight | None = None) -> tuple[Counter, float]:
    if "://" not in output:
        Path(output).parent.mkdir(parents=True, exist_ok=True)
    writer = open_writer(output, fmt, resume)
    counts: Counter = Counter()
    t0 = time.perf_counter()
    cols = [TextColumn("[bold]parse"), BarColumn(), MofNCompleteColumn(), TextColumn("{task.fields[rate]} docs/s"),
            TextColumn("errors {task.fields[errors]}"), TimeRemainingColumn(), SlowColumn(in_flight)]
    try:
        with Progress(*cols, console=err, disable=not show, transient=False) as bar:
            task = bar.add_task("parse", total=total, rate="-", errors=0)
            for rec in records:
                writer.write(rec)
                counts[rec["status"]] += 1
                if rec["status"] == "error" and (rec.get("error") or {}).get("stage") == "read":
                    counts["_read"] += 1
                n = sum(v for k, v in counts.items() if not k.startswith("_"))
                bar.update(task, advance=1, rate=f"{n / max(time.perf_counter() - t0, 1e-9):.1f}",
                           errors=counts["error"])
    finally:
        writer.close()
    return counts, time.perf_counter() - t0


def _summary(counts: Counter, stats: InputStats, elapsed: float, output: str, resumed: int) -> None:
    n = sum(v for k, v in counts.items() if not k.startswith("_"))
    err.print(f"[bold]{n}[/] records -> {output}  (ok {counts['ok']}, not_a_report {counts['not_a_report']}, "
              f"error {counts['error']})  in {elapsed:.1f}s = {n / max(elapsed, 1e-9):.1f} docs/s")
    if stats.skipped or resumed:
        err.print(f"skipped {stats.skipped} non-input files; resumed past {resumed} records already written")
    if stats.warc_skipped or stats.warc_errors:
        why = ", ".join(f"{k} {v}" for k, v in stats.warc_skipped.most_common())
        err.print(f"WARC: skipped {sum(stats.warc_skipped.values())} records that are no pages ({why or 'none'}); "
                  f"{stats.warc_errors} truncated or corrupt records (one error record each)")
