"""The cost tail: per-document latency, the slowest documents, search budgets and worker memory.

    python -m nianbao.evaluation.bench_tail --n 300 --stress-n 200 --json evaluation/reports/tail-0.5.0.json

Measured in one run, each corpus in a fresh worker process on one core (1 torch / ONNX thread, the model
loaded once, the way a ``LocalEngine`` worker runs):

* the benchmark corpus (``bench_pipeline.make_corpus``: mixed styles, 3k-20k characters);
* the stress set: reports of the glued styles only (``glued_lines``, ``crawl``) plus the adversarial
  documents of ``training.synth_adversarial`` (broken sums, glued rows, hundreds of table-like rows, titles
  repeated fifty times, one table after another), all at most 20k characters.

Per document it times decode+normalise, tagging and the rule stage, and keeps the search steps the rule
layer spent and whether a budget ran out (``search.budget``). It prints p50 / p99 / max seconds per
document and of the rule stage, the slowest documents (source, characters, seconds, slowest stage), the
share of documents whose budget ran out, and the worker's peak RSS. With ``--e2e`` it also parses a
glued-only corpus end to end with ``--workers`` processes and prints reports/s beside the mixed corpus's,
measured in the same run (the ratio glued / mixed is the figure to compare across machines).
"""

from __future__ import annotations

import json
import math
import multiprocessing as mp
import resource
import tempfile
import time
from pathlib import Path
from typing import Any

import typer
from rich.console import Console
from rich.table import Table

from nianbao import __version__
from nianbao.evaluation.bench_pipeline import end_to_end, make_corpus, write_result
from nianbao.inputs import InputItem, iter_inputs
from nianbao.pipeline import Pipeline, PipelineConfig
from nianbao.rules.budget import BUDGET_FLAG
from nianbao.training.synth_adversarial import GLUED_STYLES, iter_stress
from nianbao.training.synth_corpus import generate_one

console = Console()
app = typer.Typer(add_completion=False)

RULES_LIMIT_S = 1.0  # the rule stage of any stress document, one core
DOC_LIMIT_S = 2.0  # a whole stress document, one core
RSS_LIMIT_MIB = 600.0  # a worker's peak RSS on the stress set
BUDGET_SHARE_LIMIT = 0.02  # stress documents whose search budget may run out


def make_stress(path: Path, n: int, seed: int, per_kind: int, max_chars: int = 20000) -> dict[str, Any]:
    """Write the stress set as JSONL: ``n`` glued-style reports and ``per_kind`` adversarial texts of each kind."""

    kinds: dict[str, int] = {}
    with open(path, "w", encoding="utf-8") as fh:
        k = written = 0
        while written < n and k < 20 * n:
            doc = generate_one(seed, k, GLUED_STYLES[k % len(GLUED_STYLES)])
            k += 1
            if len(doc.text) <= max_chars:
                fh.write(json.dumps({"id": doc.name, "text": doc.text}, ensure_ascii=False) + "\n")
                written += 1
        kinds["glued_styles"] = written
        for adv in iter_stress(seed, per_kind):
            if len(adv.text) <= max_chars:
                fh.write(json.dumps({"id": adv.name, "text": adv.text}, ensure_ascii=False) + "\n")
                kinds[adv.kind] = kinds.get(adv.kind, 0) + 1
    return kinds


def percentile(xs: list[float], q: float) -> float:
    """The ``q`` quantile of ``xs`` (nearest rank).

    >>> percentile([1.0, 2.0, 3.0, 4.0], 0.5), percentile([1.0, 2.0, 3.0, 4.0], 0.99)
    (2.0, 4.0)
    """
    if not xs:
        return 0.0
    ys = sorted(xs)
    return ys[max(0, math.ceil(q * len(ys)) - 1)]


def time_document(pipe: Pipeline, item: InputItem) -> dict[str, Any]:
    """One document through the pipeline's stages, each timed: seconds per stage, steps, budget, status."""
    t0 = time.perf_counter()
    doc = pipe.start(item)
    t1 = time.perf_counter()
    if doc.status != "error":
        pipe.tagger.tag([doc])
    t2 = time.perf_counter()
    doc = pipe.finish(doc)
    t3 = time.perf_counter()
    stages = {"decode+normalise": t1 - t0, "tag": t2 - t1, "rules": t3 - t2}
    tally = doc.search
    return {"source": item.source, "chars": len(doc.text), "seconds": t3 - t0, "stages": stages,
            "slowest_stage": max(stages, key=stages.__getitem__), "status": doc.status,
            "steps": tally.steps if tally is not None else 0, "error": doc.error.code if doc.error else None,
            "budget": any(f.code == BUDGET_FLAG for f in doc.flags)}


def _worker(corpus: str, config: PipelineConfig, queue: Any) -> None:
    # local: torch costs start-up time; only this path needs it
    import torch

    torch.set_num_threads(1)
    pipe = Pipeline(config.model_copy(update={"threads": 1}))
    pipe.process(InputItem(source="warm-up", data="一、总体情况\n".encode()))  # model load, first forward
    rows = [time_document(pipe, item) for item in iter_inputs([Path(corpus)])]
    queue.put((rows, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024))


def measure(corpus: Path, config: PipelineConfig) -> dict[str, Any]:
    """Per-document costs of a corpus, in a fresh spawned worker process; with its peak RSS (MiB)."""
    ctx = mp.get_context("spawn")
    queue = ctx.Queue()
    proc = ctx.Process(target=_worker, args=(str(corpus), config, queue))
    proc.start()
    rows, rss = queue.get()
    proc.join()
    return summarise(rows, rss)


def summarise(rows: list[dict[str, Any]], rss_mib: float, top: int = 8) -> dict[str, Any]:
    """Latency quantiles, rule-stage quantiles, the slowest documents and the budget share of a run."""
    secs = [r["seconds"] for r in rows]
    rules = [r["stages"]["rules"] for r in rows]
    slow = sorted(rows, key=lambda r: -r["seconds"])[:top]
    return {
        "docs": len(rows), "chars": sum(r["chars"] for r in rows), "peak_rss_mib": rss_mib,
        "seconds": {"p50": percentile(secs, 0.5), "p99": percentile(secs, 0.99), "max": max(secs, default=0.0)},
        "rules_seconds": {"p50": percentile(rules, 0.5), "p99": percentile(rules, 0.99),
                          "max": max(rules, default=0.0)},
        "steps_max": max((r["steps"] for r in rows), default=0),
        "error_records": sum(r["status"] == "error" for r in rows),
        "budget_docs": sum(r["budget"] for r in rows),
        "budget_share": sum(r["budget"] for r in rows) / max(1, len(rows)),
        "slowest": [{k: r[k] for k in ("source", "chars", "seconds", "slowest_stage", "steps", "budget")}
                    for r in slow],
    }


def verdict(stress: dict[str, Any]) -> dict[str, bool]:
    """The issue's bounds on the stress set: rule stage <= 1 s, document <= 2 s, RSS < 600 MiB, budget <= 2%,
    and no document an error record."""
    return {"no_error_records": stress["error_records"] == 0,"rules_le_1s": stress["rules_seconds"]["max"] <= RULES_LIMIT_S,
            "doc_le_2s": stress["seconds"]["max"] <= DOC_LIMIT_S,
            "rss_lt_600mib": stress["peak_rss_mib"] < RSS_LIMIT_MIB,
            "budget_le_2pct": stress["budget_share"] <= BUDGET_SHARE_LIMIT}


@app.command()
def main(n: int = typer.Option(300, help="Reports in the benchmark corpus (mixed styles)."),
         stress_n: int = typer.Option(200, help="Glued-style reports in the stress set."),
         per_kind: int = typer.Option(4, help="Adversarial documents of each kind in the stress set."),
         seed: int = typer.Option(7, help="Generator seed."),
         no_model: bool = typer.Option(False, "--no-model", help="Rules-only reader (no tagger)."),
         e2e: bool = typer.Option(True, "--e2e/--no-e2e", help="Also parse glued-only and mixed corpora end to end."),
         workers: int = typer.Option(2, help="Worker processes of the end-to-end runs."),
         json_out: Path | None = typer.Option(None, "--json", help="Write the results here.")) -> None:
    """Measure the cost tail on the benchmark corpus and the stress set (ratios in the same run)."""

    config = PipelineConfig(use_model=not no_model)
    result: dict[str, Any] = {"nianbao": __version__, "model": not no_model}
    with tempfile.TemporaryDirectory(prefix="nianbao-tail-") as tmp:
        bench, stress, glued = Path(tmp) / "bench.jsonl", Path(tmp) / "stress.jsonl", Path(tmp) / "glued.jsonl"
        result["bench_corpus"] = make_corpus(n, seed, bench)
        result["stress_set"] = make_stress(stress, stress_n, seed + 1, per_kind)
        result["bench"] = measure(bench, config)
        result["stress"] = measure(stress, config)
        result["verdict"] = verdict(result["stress"])
        if e2e:
            make_stress(glued, n, seed + 2, 0)
            mixed_run = end_to_end(bench, config, "local", workers)
            glued_run = end_to_end(glued, config, "local", workers)
            result["end_to_end"] = {"mixed": mixed_run, "glued_only": glued_run,
                                    "ratio_glued_to_mixed": glued_run["reports_per_s"] / mixed_run["reports_per_s"]}
    _print(result)
    if json_out:
        write_result(json_out, result)


def _print(result: dict[str, Any]) -> None:
    table = Table(title=f"nianbao {result['nianbao']} cost tail (one core a corpus, {'model' if result['model'] else 'rules only'})")
    for col in ("corpus", "docs", "errors", "p50 s", "p99 s", "max s", "rules p99 s", "rules max s", "budget",
                "peak RSS MiB"):
        table.add_column(col)
    for name in ("bench", "stress"):
        r = result[name]
        table.add_row(name, str(r["docs"]), str(r["error_records"]), f"{r['seconds']['p50']:.3f}", f"{r['seconds']['p99']:.3f}",
                      f"{r['seconds']['max']:.3f}", f"{r['rules_seconds']['p99']:.3f}",
                      f"{r['rules_seconds']['max']:.3f}", f"{r['budget_docs']} ({100 * r['budget_share']:.1f}%)",
                      f"{r['peak_rss_mib']:.0f}")
    console.print(table)
    for name in ("bench", "stress"):
        console.print(f"slowest documents ({name}):")
        for s in result[name]["slowest"][:5]:
            console.print(f"  {s['seconds']:.3f} s  {s['chars']:>6} chars  {s['slowest_stage']:<16} "
                          f"steps {s['steps']:<7} {'budget ' if s['budget'] else ''}{s['source']}", markup=False)
    console.print("stress bounds: " + ", ".join(f"{k} {'yes' if v else 'NO'}" for k, v in result["verdict"].items()))
    if "end_to_end" in result:
        e = result["end_to_end"]
        console.print(f"end to end: mixed {e['mixed']['reports_per_s']:.2f} reports/s, glued only "
                      f"{e['glued_only']['reports_per_s']:.2f} reports/s (ratio {e['ratio_glued_to_mixed']:.2f})")


if __name__ == "__main__":
    app()
