"""End-to-end throughput benchmark of ``nianbao parse`` against the bare model, in one run.

    python -m nianbao.evaluation.bench_pipeline --n 1000 --workers 2 \\
        --json evaluation/reports/bench-0.1.0.json

On one generated corpus (mixed styles, real-report lengths) it measures, in the
same process and run: the model's bare forward throughput (the ceiling: packed
windows through the network, nothing else), then end-to-end reports/s and
chars/s for ``--no-model``, model (torch), model (ONNX) and ``--engine ray``,
and prints each pipeline's ratio to the bare model of the same runtime. With
``--rss-n`` it also runs ``nianbao parse`` as a subprocess on corpora of two
sizes and reports peak RSS of the whole process tree (it must not grow with
corpus size). ``--profile`` prints where the time goes for the model pipeline.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import typer
from rich.console import Console
from rich.table import Table

from nianbao import __version__
from nianbao.inputs import iter_inputs
from nianbao.pipeline import PipelineConfig

console = Console()
app = typer.Typer(add_completion=False)


def make_corpus(n: int, seed: int, path: Path, min_chars: int = 3000, max_chars: int = 20000) -> dict[str, Any]:
    """Write ``n`` generated reports (mixed styles) with real-report lengths as JSONL; return length stats."""
    from nianbao.training.synth_corpus import generate_one

    lengths: list[int] = []
    with open(path, "w", encoding="utf-8") as fh:
        k = 0
        while len(lengths) < n:
            doc = generate_one(seed, k)
            k += 1
            if not min_chars <= len(doc.text) <= max_chars and k < 20 * n:
                continue
            fh.write(json.dumps({"id": doc.name, "text": doc.text}, ensure_ascii=False) + "\n")
            lengths.append(len(doc.text))
    lengths.sort()
    return {"docs": n, "chars": sum(lengths), "min": lengths[0], "median": lengths[len(lengths) // 2],
            "max": lengths[-1]}


def bare_forward(corpus: Path, model_dir: Path, runtime: str, threads: int) -> dict[str, float]:
    """The ceiling: normalised texts cut into windows and run through the network only (chars/s)."""
    import numpy as np
    import torch

    from nianbao.normalise import normalise_text
    from nianbao.tagger.runtime import ModelTagger, pack
    from nianbao.tagger.windows import plan_windows

    torch.set_num_threads(threads)
    tagger = ModelTagger(model_dir, runtime=runtime)
    texts = [normalise_text(json.loads(line)["text"])[0] for line in corpus.open(encoding="utf-8")]
    windows = []
    for t in texts:
        ids = np.asarray(tagger.charmap.encode(t), dtype=np.int64)
        windows += [ids[s:e] for s, e in plan_windows(len(ids), tagger.spec.window, tagger.spec.overlap)]
    windows.sort(key=len, reverse=True)
    batches = [pack(windows[b:b + tagger.window_batch], tagger.charmap)
               for b in range(0, len(windows), tagger.window_batch)]
    t0 = time.perf_counter()
    for ids, mask in batches:
        tagger.backend.logits(ids, mask)
    secs = time.perf_counter() - t0
    chars = sum(len(t) for t in texts)
    return {"seconds": secs, "chars_per_s": chars / secs, "reports_per_s": len(texts) / secs}


def end_to_end(corpus: Path, config: PipelineConfig, engine: str, workers: int) -> dict[str, float]:
    """Parse the corpus with an engine, consuming records as the CLI does; time it."""
    if engine == "ray":
        import ray

        from nianbao.batch.ray_engine import RayEngine

        runner = RayEngine(config, workers=workers)
    else:
        from nianbao.batch.engine import LocalEngine

        runner = LocalEngine(config, workers=workers)
    chars = sum(len(json.loads(line)["text"]) for line in corpus.open(encoding="utf-8"))
    t0 = time.perf_counter()
    statuses: dict[str, int] = {}
    for rec in runner.run(iter_inputs([corpus])):
        json.dumps(rec, ensure_ascii=False)
        statuses[rec["status"]] = statuses.get(rec["status"], 0) + 1
    secs = time.perf_counter() - t0
    if engine == "ray":
        ray.shutdown()
    n = sum(statuses.values())
    return {"seconds": secs, "reports_per_s": n / secs, "chars_per_s": chars / secs, "statuses": statuses}


def peak_rss(cmd: list[str]) -> float:
    """Peak resident memory (MiB) of a command's whole process tree, sampled every 50 ms."""
    import psutil

    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    peak = 0
    ps = psutil.Process(proc.pid)

    def sample() -> None:
        nonlocal peak
        while proc.poll() is None:
            try:
                total = ps.memory_info().rss + sum(c.memory_info().rss for c in ps.children(recursive=True))
                peak = max(peak, total)
            except psutil.Error:
                pass
            time.sleep(0.05)

    th = threading.Thread(target=sample)
    th.start()
    proc.wait()
    th.join()
    return peak / 2**20


@app.command()
def main(n: int = typer.Option(1000, help="Reports in the benchmark corpus."),
         seed: int = typer.Option(7, help="Generator seed."),
         workers: int = typer.Option(2, help="Worker processes / Ray actors."),
         model: Path = typer.Option(Path(__file__).resolve().parents[1] / "models" / "nianbao-tagger"),
         rss_n: int = typer.Option(0, help="Also measure peak RSS on corpora of rss_n/10 and rss_n reports."),
         skip_ray: bool = typer.Option(False, help="Leave out the Ray engine."),
         json_out: Path | None = typer.Option(None, "--json", help="Write the results here.")) -> None:
    """Run the benchmark and print ratios against the bare model measured in the same run."""
    tmp = Path(tempfile.mkdtemp(prefix="nianbao-bench-"))
    corpus = tmp / "corpus.jsonl"
    result: dict[str, Any] = {"nianbao": __version__, "workers": workers, "corpus": make_corpus(n, seed, corpus)}
    console.print(f"corpus: {result['corpus']}")
    runs: dict[str, Any] = {}
    for rt in ("torch", "onnx"):
        try:
            runs[f"bare_{rt}"] = bare_forward(corpus, model, rt, threads=workers)
        except Exception as exc:  # noqa: BLE001 - reported, not hidden
            runs[f"bare_{rt}"] = {"error": f"{type(exc).__name__}: {exc}"}
    plans = [("no_model", PipelineConfig(use_model=False), "local"),
             ("model_torch", PipelineConfig(model_dir=model, runtime="torch"), "local"),
             ("model_onnx", PipelineConfig(model_dir=model, runtime="onnx"), "local")]
    if not skip_ray:
        plans.append(("ray_model", PipelineConfig(model_dir=model, runtime="auto"), "ray"))
    for name, cfg, engine in plans:
        try:
            runs[name] = end_to_end(corpus, cfg, engine, workers)
        except Exception as exc:  # noqa: BLE001
            runs[name] = {"error": f"{type(exc).__name__}: {exc}"}
        console.print(f"{name}: {runs[name]}")
    result["runs"] = runs
    ratios = {}
    for name, base in (("model_torch", "bare_torch"), ("model_onnx", "bare_onnx"), ("ray_model", "bare_onnx")):
        if "chars_per_s" in runs.get(name, {}) and "chars_per_s" in runs.get(base, {}):
            ratios[f"{name}/{base}"] = runs[name]["chars_per_s"] / runs[base]["chars_per_s"]
    if "chars_per_s" in runs.get("no_model", {}) and "chars_per_s" in runs.get("model_onnx", {}):
        ratios["model_onnx/no_model"] = runs["model_onnx"]["chars_per_s"] / runs["no_model"]["chars_per_s"]
    result["ratios"] = ratios
    if rss_n:
        result["peak_rss_mib"] = {}
        for size in (rss_n // 10, rss_n):
            path = tmp / f"rss-{size}.jsonl"
            make_corpus(size, seed + 1, path)
            cmd = [sys.executable, "-m", "nianbao", "parse", str(path), "-o", str(tmp / "rss-out.jsonl"),
                   "--no-model", "--workers", str(workers), "--no-progress"]
            result["peak_rss_mib"][str(size)] = peak_rss(cmd)
    _print(result)
    if json_out:
        json_out.parent.mkdir(parents=True, exist_ok=True)
        json_out.write_text(json.dumps(result, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")


def _print(result: dict[str, Any]) -> None:
    table = Table(title=f"nianbao {result['nianbao']} throughput ({result['workers']} workers)")
    for col in ("run", "reports/s", "chars/s", "seconds"):
        table.add_column(col)
    for name, r in result["runs"].items():
        if "error" in r:
            table.add_row(name, "-", "-", r["error"][:60])
        else:
            table.add_row(name, f"{r['reports_per_s']:.1f}", f"{r['chars_per_s']:,.0f}", f"{r['seconds']:.1f}")
    console.print(table)
    for k, v in result["ratios"].items():
        console.print(f"ratio {k} = {v:.2f}")
    if "peak_rss_mib" in result:
        console.print(f"peak RSS (MiB) by corpus size: {result['peak_rss_mib']}")


if __name__ == "__main__":
    app()
