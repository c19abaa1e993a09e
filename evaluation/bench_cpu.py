"""CPU time per report of the whole pipeline, float vs int8 ONNX, in one process: a ratio a shared machine
disturbs far less than wall-clock throughput.

    python -m nianbao.evaluation.bench_cpu --n 60

The same generated reports (the benchmark's mixed corpus, and a glued-only one) go through
``Pipeline.process_batch`` in batches of ``batch_size`` on one thread, each runtime in turn, ``--repeats``
times; per report it keeps the best CPU seconds (``time.process_time``) of the whole pipeline and of the
network calls alone, and prints float / int8 ratios.
"""

from __future__ import annotations

import tempfile
import time
from pathlib import Path
from typing import Any

import typer
from rich.console import Console

from nianbao.batch.engine import chunked
from nianbao.evaluation.bench_pipeline import GLUED_STYLES, make_corpus, time_forward, write_result
from nianbao.inputs import iter_inputs
from nianbao.pipeline import Pipeline, PipelineConfig
from nianbao.tagger.runtime import default_model_dir

console = Console()
app = typer.Typer(add_completion=False)
RUNTIMES = ("onnx", "onnx-int8")


def cpu_per_report(pipe: Pipeline, items: list[Any], batch_size: int) -> tuple[float, float]:
    """CPU ms per report of parsing ``items`` (records built), and of the network calls within."""
    stop = time_forward(pipe.tagger, time.process_time)
    try:
        t = time.process_time()
        for chunk in chunked(iter(items), batch_size):
            for doc in pipe.process_batch(chunk):
                doc.to_record()
        total = time.process_time() - t
    finally:
        net = stop() or 0.0
    return 1000 * total / len(items), 1000 * net / len(items)


@app.command()
def main(n: int = typer.Option(60, help="Reports per corpus."), seed: int = typer.Option(7),
         repeats: int = typer.Option(2), batch_size: int = typer.Option(8),
         model: Path = typer.Option(default_model_dir()),
         json_out: Path | None = typer.Option(None, "--json")) -> None:
    """Print CPU ms per report (pipeline, network) of float and int8 ONNX and their ratios."""
    # local: torch costs seconds at start-up; only the model path needs it
    import torch

    torch.set_num_threads(1)
    result: dict[str, Any] = {"n": n, "repeats": repeats, "batch_size": batch_size, "corpora": {}}
    with tempfile.TemporaryDirectory(prefix="nianbao-cpu-") as tmp:
        for kind, styles, s in (("mixed", (), seed), ("glued", GLUED_STYLES, seed + 2)):
            path = Path(tmp) / f"{kind}.jsonl"
            make_corpus(n, s, path, styles=styles)
            items = list(iter_inputs([path]))
            pipes = {rt: Pipeline(PipelineConfig(model_dir=model, runtime=rt, threads=1)) for rt in RUNTIMES}
            for p in pipes.values():
                p.process_batch(items[:2])  # load and warm up
            best: dict[str, tuple[float, float]] = {}
            for _ in range(repeats):
                for rt, p in pipes.items():
                    total, net = cpu_per_report(p, items, batch_size)
                    old = best.get(rt, (float("inf"), float("inf")))
                    best[rt] = (min(old[0], total), min(old[1], net))
            f, q = best["onnx"], best["onnx-int8"]
            row = {"float_ms": f[0], "float_network_ms": f[1], "int8_ms": q[0], "int8_network_ms": q[1],
                   "pipeline_ratio": f[0] / q[0], "network_ratio": f[1] / q[1]}
            result["corpora"][kind] = row
            console.print(f"{kind}: float {f[0]:.1f} ms CPU/report (network {f[1]:.1f}), int8 {q[0]:.1f} "
                          f"(network {q[1]:.1f}); pipeline float/int8 {row['pipeline_ratio']:.2f}x, network "
                          f"{row['network_ratio']:.2f}x")
    if json_out:
        write_result(json_out, result)


if __name__ == "__main__":
    app()
