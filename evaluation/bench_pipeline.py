"""End-to-end throughput benchmark of ``nianbao parse`` against the bare model, in one run.

    python -m nianbao.evaluation.bench_pipeline --n 1000 --workers 2 --rss-n 10000 \\
        --json evaluation/reports/bench-0.1.0.json

On one generated corpus (mixed styles, real-report lengths: 3k to 20k characters)
it measures, in the same run:

* the model's bare forward throughput, the ceiling: the corpus normalised, cut
  into windows and packed exactly as the pipeline does (``ModelTagger.plan``: the
  model's window/overlap, less the windows that hold only prose, which the pipeline
  leaves untagged; documents grouped by ``batch_size``, windows longest
  first, ``window_batch`` per forward pass), then run through the network only,
  with the same resources as the pipeline: ``--workers`` spawned processes, each
  set up like a ``LocalEngine`` worker (1 torch thread, the tagger loaded through
  ``Pipeline(config).tagger``) with 1 ONNX Runtime intra-op thread, each running
  its share of the pre-packed batches, timed from a barrier after all have loaded
  (and run one warm-up batch) to the last one finishing (``bare_<runtime>``); for
  reference, one process with ``--workers`` threads (``bare_<runtime>_1proc``);
* end-to-end reports/s and chars/s for ``--no-model``, model (torch), model
  (ONNX), model (int8 ONNX, where ``int8_verify.json`` passed) and ``--engine ray``
  (records consumed and serialised as the CLI does; the time includes starting
  the worker pool and loading the model);
* with ``--glued-n``, a glued-only corpus (``glued_lines`` and ``crawl`` styles in
  turn): bare float and int8 ONNX on its own windows, and both pipelines end to end
  (``glued_*`` runs);

and prints each pipeline's ratio to the bare model of the same runtime and
windows (the rest of the pipeline must not be the bottleneck), int8's ratio to
float, and a verdict against the targets for the runtime ``--runtime auto``
picks (>= 20 reports/s and >= 0.8 of the bare model, mixed and glued-only).
This machine's speed drifts by 10-20% over minutes, and the main run times every
bare model before every pipeline: with ``--rounds R`` the default runtime's
pairs (bare, pipeline; mixed and glued-only) are timed R - 1 more times, each
pair back to back in alternating order (``rounds`` in the JSON), and the verdict
is on the medians over all R (``median_of_rounds``). ``--profile`` (on by
default) times each stage separately, in-process and on one core, on a sample of
the corpus and, with ``--glued-n``, of the glued-only one (decode+normalise,
tagging, rules with the cross-read's second reading within them, serialisation),
keeps the rules stage's cProfile hot spots, and sets everything but the network
against what the ratio target leaves it (``budget``: a quarter of the network's
time at 0.8): where the time goes, and how far from the target.
``--no-cross-read`` runs every model pipeline without that second reading (what
the check costs). With ``--rss-n`` it also runs ``nianbao parse`` (with the
model) as a subprocess on corpora of rss_n/10 and rss_n reports and records peak
RSS of the whole process tree (it must not grow with corpus size) and the run's
reports/s.
"""

from __future__ import annotations

import cProfile
import gc
import json
import multiprocessing as mp
import os
import platform
import pstats
import queue
import subprocess
import sys
import tempfile
import threading
import time
from itertools import islice
from pathlib import Path
from typing import Any

import numpy as np
import psutil
import typer
from rich.console import Console
from rich.table import Table

from nianbao import __version__, rules
from nianbao.batch.engine import LocalEngine, chunked
from nianbao.batch.ray_engine import RayEngine
from nianbao.batch.workers import build_pipeline
from nianbao.inputs import iter_inputs
from nianbao.pipeline import Pipeline, PipelineConfig
from nianbao.rules import gc_paused
from nianbao.tagger.runtime import (
    choose_runtime,
    default_model_dir,
    int8_verified,
    onnx_verified,
    pack,
    runtime_summary,
)
from nianbao.tagger.windows import plan_windows
from nianbao.training.synth_corpus import generate_one

console = Console()
app = typer.Typer(add_completion=False)

TARGET_REPORTS_PER_S = 20.0
TARGET_RATIO = 0.8


GLUED_STYLES = ("glued_lines", "crawl")


def make_corpus(n: int, seed: int, path: Path, min_chars: int = 3000, max_chars: int = 20000,
                styles: tuple[str, ...] = ()) -> dict[str, Any]:
    """Write ``n`` generated reports (mixed styles, or ``styles`` in turn) with real-report lengths as JSONL;
    return length stats."""
    lengths: list[int] = []
    with open(path, "w", encoding="utf-8") as fh:
        k = 0
        while len(lengths) < n:
            doc = generate_one(seed, k, styles[k % len(styles)] if styles else None)
            k += 1
            if not min_chars <= len(doc.text) <= max_chars and k < 20 * n:
                continue
            fh.write(json.dumps({"id": doc.name, "text": doc.text}, ensure_ascii=False) + "\n")
            lengths.append(len(doc.text))
    return length_stats(lengths)


def length_stats(lengths: list[int]) -> dict[str, Any]:
    """Count, total and distribution (min, p10, median, mean, p90, max) of document lengths.

    >>> s = length_stats(list(range(1, 11)))
    >>> (s["docs"], s["chars"], s["min"], s["p10"], s["median"], s["mean"], s["p90"], s["max"])
    (10, 55, 1, 2, 6, 5.5, 9, 10)
    """
    if not lengths:
        return {"docs": 0, "chars": 0}
    xs = sorted(lengths)

    def pct(q: float) -> int:
        return xs[min(len(xs) - 1, round(q * (len(xs) - 1)))]

    return {"docs": len(xs), "chars": sum(xs), "min": xs[0], "p10": pct(0.1), "median": xs[len(xs) // 2],
            "mean": round(sum(xs) / len(xs), 1), "p90": pct(0.9), "max": xs[-1]}


def machine_info() -> dict[str, Any]:
    """The machine the numbers were measured on."""
    try:
        usable = len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - non-Linux
        usable = os.cpu_count()
    return {"cpu_count": os.cpu_count(), "usable_cpus": usable, "platform": platform.platform(),
            "machine": platform.machine(), "processor": platform.processor(), "python": platform.python_version(),
            **cpu_model()}


def cpu_model(cpuinfo: Path = Path("/proc/cpuinfo")) -> dict[str, Any]:
    """The CPU's model name and whether it has AVX2 and AVX-512 VNNI (int8 kernels, and so the int8 figures,
    differ with them); empty where ``cpuinfo`` cannot be read."""
    try:
        text = cpuinfo.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return {}
    first = text.split("\n\n", 1)[0]  # the first processor's block
    fields = {k.strip(): v.strip() for k, v in (line.split(":", 1) for line in first.splitlines() if ":" in line)}
    flags = set(fields.get("flags", "").split())
    return {"cpu_model": fields.get("model name", ""), "avx2": "avx2" in flags, "avx512_vnni": "avx512_vnni" in flags}


# ---------------------------------------------------------------------------------------------------------------
# the bare model: same windows, same batches, same processes as the pipeline, nothing but the network


def plan_batches(corpus: Path, model_dir: Path, batch_size: int, runtime: str | None = None) -> dict[str, Any]:
    """The forward passes the pipeline makes on ``corpus``: a list of packed ``(ids, mask)`` batches and stats.

    Mirrors ``LocalEngine`` (documents in chunks of ``batch_size``), ``Pipeline.start`` (decode + normalise)
    and ``ModelTagger.probabilities`` (``ModelTagger.plan``: ``plan_windows`` with the model's window/overlap
    less the windows that hold only prose; windows of a chunk longest first, ``tagger.window_batch`` per pass, ``pack``). Arrays are stored narrow (int32 ids, int8
    mask) and widened back to int64 by the worker before timing starts. ``runtime`` picks the tagger whose
    windows per pass are planned (default: float ONNX where verified, else torch; they pass the same).
    """
    runtime = runtime or ("onnx" if _has_onnx(model_dir) else "torch")
    pipe = Pipeline(PipelineConfig(model_dir=model_dir, runtime=runtime,
                                   threads=1))  # as a LocalEngine worker (nianbao.batch.engine._init_worker)
    tagger = pipe.tagger
    window, overlap, wb = tagger.spec.window, tagger.spec.overlap, tagger.window_batch
    batches: list[tuple[Any, Any]] = []
    docs = norm_chars = windows = all_windows = 0
    for chunk in chunked(iter_inputs([corpus]), batch_size):
        texts = [d.norm_text for d in (pipe.start(item) for item in chunk) if d.status != "error"]
        docs += len(texts)
        norm_chars += sum(len(t) for t in texts)
        encoded, jobs = tagger.plan(texts)  # the windows the pipeline tags (prose-only ones left out)
        all_windows += sum(len(plan_windows(len(ids), window, overlap)) for ids in encoded)
        order = sorted(range(len(jobs)), key=lambda j: jobs[j][1] - jobs[j][2])  # longest first, as the tagger
        windows += len(jobs)
        for b in range(0, len(order), wb):
            sel = order[b:b + wb]
            ids, mask = pack([encoded[jobs[j][0]][jobs[j][1]:jobs[j][2]] for j in sel], tagger.charmap)
            batches.append((ids.astype(np.int32), mask.astype(np.int8)))
    chars = sum(len(json.loads(line)["text"]) for line in corpus.open(encoding="utf-8"))  # as end_to_end counts
    return {"batches": batches, "docs": docs, "chars": chars, "norm_chars": norm_chars, "windows": windows,
            "windows_before_skip": all_windows,
            "window": window, "overlap": overlap, "window_batch": wb, "batch_size": batch_size,
            "pipeline_ort_intra_op_threads": ort_intra_op_threads(tagger)}


def _has_onnx(model_dir: Path) -> bool:
    return onnx_verified(model_dir)[0]


def split_shares(batches: list[tuple[Any, Any]], procs: int) -> list[list[int]]:
    """Batch indices per process, balanced by cells (rows x width), largest first onto the least loaded.

    >>> import numpy as np
    >>> b = [(np.zeros((r, 4)), None) for r in (4, 1, 3, 2)]
    >>> split_shares(b, 2)
    [[0, 1], [2, 3]]
    """
    load = [0] * procs
    shares: list[list[int]] = [[] for _ in range(procs)]
    for i in sorted(range(len(batches)), key=lambda i: -batches[i][0].size):
        p = load.index(min(load))
        shares[p].append(i)
        load[p] += batches[i][0].size
    return [sorted(s) for s in shares]


def save_share(path: Path, batches: list[tuple[Any, Any]]) -> None:
    """Write one process's batches as three arrays (every batch's ids and mask flattened end to end, and the
    shapes): an ``.npz`` member per batch took seconds to read back for the int8 plan's thousands of
    one-window batches."""
    shapes = np.array([ids.shape for ids, _ in batches], dtype=np.int64).reshape(-1, 2)
    ids = np.concatenate([i.ravel() for i, _ in batches]) if batches else np.zeros(0, np.int32)
    mask = np.concatenate([m.ravel() for _, m in batches]) if batches else np.zeros(0, np.int8)
    np.savez(path, ids=ids, mask=mask, shapes=shapes)


def load_share(path: str | Path) -> list[tuple[Any, Any]]:
    """The batches ``save_share`` wrote, widened to int64 as the runtimes take them.

    >>> import tempfile
    >>> b = [(np.arange(6, dtype=np.int32).reshape(2, 3), np.ones((2, 3), np.int8)), (np.arange(4).reshape(1, 4),
    ...      np.zeros((1, 4), np.int8))]
    >>> with tempfile.TemporaryDirectory() as d:
    ...     save_share(Path(d) / "s.npz", b)
    ...     got = load_share(Path(d) / "s.npz")
    >>> [(i.tolist(), m.tolist(), i.dtype.name, m.dtype.name) for i, m in got][1]
    ([[0, 1, 2, 3]], [[0, 0, 0, 0]], 'int64', 'int64')
    >>> all((i == bi).all() and (m == bm).all() for (i, m), (bi, bm) in zip(got, b))
    True
    """
    with np.load(path) as z:
        ids, mask, shapes = z["ids"].astype(np.int64), z["mask"].astype(np.int64), z["shapes"]
    out, at = [], 0
    for rows, width in shapes.tolist():
        n = rows * width
        out.append((ids[at:at + n].reshape(rows, width), mask[at:at + n].reshape(rows, width)))
        at += n
    return out


def _bare_worker(rank: int, share: str, model_dir: str, runtime: str, threads: int, barrier: Any,
                 results: Any) -> None:
    """One bare-model process: set up like a ``LocalEngine`` worker, load, warm up, wait, run its share."""
    try:
        # local: torch costs seconds at start-up; only the model path needs it
        import torch

        torch.set_num_threads(threads)  # as nianbao.batch.engine._init_worker
        t_load = time.perf_counter()
        tagger = Pipeline(PipelineConfig(model_dir=Path(model_dir), runtime=runtime, threads=threads)).tagger
        batches = load_share(share)
        if batches:
            tagger.backend.logits(*batches[-1])  # warm-up: the smallest batch, not timed
        info: dict[str, Any] = {"runtime": tagger.runtime, "torch_threads": torch.get_num_threads(),
                                "load_seconds": time.perf_counter() - t_load, "batches": len(batches)}
        if tagger.runtime.startswith("onnx"):
            info["ort_intra_op_threads"] = ort_intra_op_threads(tagger)
    except BaseException as exc:  # noqa: BLE001 - reported to the parent
        barrier.abort()
        results.put((rank, {"error": f"{type(exc).__name__}: {exc}"}))
        return
    try:
        barrier.wait()
    except threading.BrokenBarrierError:
        results.put((rank, {"error": "another process failed to load"}))
        return
    t0 = time.perf_counter()  # CLOCK_MONOTONIC: comparable across the processes of one machine
    try:
        for ids, mask in batches:
            tagger.backend.logits(ids, mask)
    except Exception as exc:  # noqa: BLE001 - reported to the parent
        results.put((rank, {"error": f"{type(exc).__name__}: {exc}"}))
        return
    results.put((rank, {**info, "start": t0, "end": time.perf_counter()}))


def bare_forward(plan: dict[str, Any], model_dir: Path, runtime: str, procs: int, threads: int,
                 tmp: Path, timeout: float = 3600.0) -> dict[str, Any]:
    """The ceiling: the plan's batches through the network only, in ``procs`` spawned processes of
    ``threads`` threads each (torch and ONNX Runtime intra-op)."""
    ctx = mp.get_context("spawn")
    batches = plan["batches"]
    shares = split_shares(batches, procs)
    paths = []
    for p, share in enumerate(shares):
        path = tmp / f"bare-{procs}-{p}.npz"
        save_share(path, [batches[i] for i in share])
        paths.append(path)
    barrier, results = ctx.Barrier(procs), ctx.Queue()
    workers = [ctx.Process(target=_bare_worker, args=(p, str(paths[p]), str(model_dir), runtime, threads,
                                                      barrier, results), daemon=True) for p in range(procs)]
    for w in workers:
        w.start()
    got: dict[int, dict[str, Any]] = {}
    try:
        while len(got) < procs:
            try:
                rank, r = results.get(timeout=5)
                got[rank] = r
            except queue.Empty:
                if any(not w.is_alive() and w.exitcode not in (0, None) for w in workers) or timeout <= 0:
                    dead = [w.exitcode for w in workers]
                    raise RuntimeError(f"bare-model process died (exit codes {dead})") from None
                timeout -= 5
    finally:
        for w in workers:
            w.join(timeout=30)
            if w.is_alive():
                w.terminate()
        for path in paths:
            path.unlink(missing_ok=True)
    errors = [r["error"] for r in got.values() if "error" in r]
    if errors:
        raise RuntimeError("; ".join(sorted(set(errors))))
    secs = max(r["end"] for r in got.values()) - min(r["start"] for r in got.values())
    one = got[0]
    out = {"seconds": secs, "reports_per_s": plan["docs"] / secs, "chars_per_s": plan["chars"] / secs,
           "windows_per_s": plan["windows"] / secs, "procs": procs, "runtime": one["runtime"],
           "torch_threads": one["torch_threads"], "windows": plan["windows"], "batches": len(batches),
           "load_seconds": max(r["load_seconds"] for r in got.values()),
           "busy_seconds": [round(got[p]["end"] - got[p]["start"], 3) for p in range(procs)]}
    if "ort_intra_op_threads" in one:
        out["ort_intra_op_threads"] = one["ort_intra_op_threads"]
    return out


# ---------------------------------------------------------------------------------------------------------------
# end to end


def end_to_end(corpus: Path, config: PipelineConfig, engine: str, workers: int) -> dict[str, Any]:
    """Parse the corpus with an engine, consuming records as the CLI does; time it."""
    if engine == "ray":
        # local: ray costs seconds at start-up; only the Ray engine needs it
        import ray

        runner = RayEngine(config, workers=workers)
    else:
        runner = LocalEngine(config, workers=workers)
    chars = sum(len(json.loads(line)["text"]) for line in corpus.open(encoding="utf-8"))
    t0, cpu0 = time.perf_counter(), time.process_time()  # this process's CPU: reading, scheduling, writing
    first = None
    statuses: dict[str, int] = {}
    for rec in runner.run(iter_inputs([corpus])):
        if first is None:
            first = time.perf_counter() - t0  # pool start, model load, first batch
        json.dumps(rec, ensure_ascii=False)
        statuses[rec["status"]] = statuses.get(rec["status"], 0) + 1
    secs, parent_cpu = time.perf_counter() - t0, time.process_time() - cpu0
    if engine == "ray":
        ray.shutdown()
    n = sum(statuses.values())
    return {"seconds": secs, "reports_per_s": n / secs, "chars_per_s": chars / secs,
            "first_record_seconds": first, "parent_cpu_ms_per_report": 1000 * parent_cpu / max(1, n),
            "statuses": statuses}


# ---------------------------------------------------------------------------------------------------------------
# memory


def peak_rss(cmd: list[str]) -> dict[str, Any]:
    """Run a command; its wall seconds, exit code and peak resident memory (MiB) of its whole process tree
    (sampled every 50 ms)."""
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
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
    _, err = proc.communicate()
    th.join()
    out = {"peak_rss_mib": peak / 2**20, "seconds": time.perf_counter() - t0, "rc": proc.returncode}
    if proc.returncode:
        out["stderr_tail"] = err.decode("utf-8", "replace")[-500:]
    return out


def rss_runs(rss_n: int, seed: int, model: Path, workers: int, tmp: Path, cross_read: bool = True
             ) -> dict[str, Any]:
    """``nianbao parse`` with the model on rss_n/10 and rss_n reports: peak RSS, seconds, reports/s."""
    runs: dict[str, Any] = {}
    for size in sorted({max(1, rss_n // 10), rss_n}):
        path, out = tmp / f"rss-{size}.jsonl", tmp / "rss-out.jsonl"
        stats = make_corpus(size, seed + 1, path)
        cmd = [sys.executable, "-m", "nianbao", "parse", str(path), "-o", str(out), "--model", str(model),
               "--workers", str(workers), "--no-progress"] + ([] if cross_read else ["--no-cross-read"])
        r = peak_rss(cmd)
        written = sum(1 for _ in out.open(encoding="utf-8")) if out.exists() else 0
        r.update(docs=size, chars=stats["chars"], records=written, reports_per_s=written / r["seconds"],
                 chars_per_s=stats["chars"] / r["seconds"])
        runs[str(size)] = r
        path.unlink(missing_ok=True)
        out.unlink(missing_ok=True)
    return runs


# ---------------------------------------------------------------------------------------------------------------
# where the time goes


def ort_intra_op_threads(tagger: Any) -> int | None:
    """The intra-op thread count of an ONNX tagger's session (0: ORT's default, one per physical core)."""
    if not str(getattr(tagger, "runtime", "")).startswith("onnx"):
        return None
    return tagger.backend.session.get_session_options().intra_op_num_threads


def profile_stages(corpus: Path, config: PipelineConfig, n: int, top: int = 15,
                   profile_rules: bool = True) -> dict[str, Any]:
    """Seconds per stage on the first ``n`` reports, in-process on one core with the pipeline set up as a worker
    sets it up (``build_pipeline``) and run a task (``batch_size`` reports) at a time with the cyclic collector
    paused within each, as a worker runs it (``task_records``); with a model, the network's share of tagging,
    the cross-read's share of the rules and the ``budget``; cProfile hot spots of the rules."""
    # local: torch costs seconds at start-up; only the model path needs it
    import torch

    items = list(islice(iter_inputs([corpus]), n))
    t = time.perf_counter()
    pipe = build_pipeline(config, threads=1)  # one core, set up as a worker (model loaded, start-up frozen)
    tagger = pipe.tagger
    load = time.perf_counter() - t
    secs: dict[str, float] = {}
    old_threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        size = config.batch_size

        def finish(chunk: list[Any]) -> list[Any]:
            return [pipe.finish(d) for d in chunk]

        t = time.perf_counter()
        docs = per_task(lambda chunk: [pipe.start(item) for item in chunk], items, size)
        secs["decode+normalise"] = time.perf_counter() - t
        live = [d for d in docs if d.status != "error"]
        forward = time_forward(tagger)
        t = time.perf_counter()
        per_task(tagger.tag, live, size)
        secs["tag"] = time.perf_counter() - t
        forward_secs = forward()
        copies = [d.model_copy(deep=True) for d in docs] if profile_rules else []
        second_reading = time_calls(rules, "cross_read")  # the reader's reading that checks the model's
        t = time.perf_counter()
        try:
            docs = per_task(finish, docs, size)
        finally:
            secs["rules"] = time.perf_counter() - t
            cross_secs = second_reading()
        t = time.perf_counter()
        per_task(lambda chunk: [json.dumps(d.to_record(), ensure_ascii=False) for d in chunk], docs, size)
        secs["serialise"] = time.perf_counter() - t
        hot: list[dict[str, Any]] = []
        if profile_rules:
            prof = cProfile.Profile()
            prof.enable()
            per_task(finish, copies, size)
            prof.disable()
            hot = hot_spots(prof, top)
    finally:
        torch.set_num_threads(old_threads)
        gc.unfreeze()  # build_pipeline froze what this process held: it is a benchmark, not a worker
    total = sum(secs.values())
    per = 1000 / max(1, len(items))
    stages = {k: {"seconds": v, "share": v / total if total else 0.0, "ms_per_report": per * v}
              for k, v in secs.items()}
    statuses: dict[str, int] = {}
    for d in docs:
        statuses[d.status] = statuses.get(d.status, 0) + 1
    out: dict[str, Any] = {"docs": len(items), "chars": sum(len(d.norm_text or "") for d in docs),
                           "tagger": getattr(tagger, "runtime", type(tagger).__name__), "load_seconds": load,
                           "total_seconds": total, "reports_per_s_one_core": len(items) / total if total else 0.0,
                           "stages": stages, "statuses": statuses}
    if forward_secs is not None:  # the network alone, and the rest of tagging (encode, stitch, decode)
        stages["tag"].update(forward_seconds=forward_secs, forward_ms_per_report=per * forward_secs,
                             rest_ms_per_report=per * (secs["tag"] - forward_secs))
        stages["rules"]["cross_read_ms_per_report"] = per * cross_secs  # the second reading, within the rules
        out["budget"] = budget_of(stages)
    if profile_rules:
        out["rules_hot_spots"] = hot
    return out


def per_task(fn: Any, items: list[Any], size: int) -> list[Any]:
    """``fn`` over ``items`` a chunk of ``size`` at a time (``chunked``), the results joined, with the cyclic
    collector paused within each chunk as a worker pauses it for a task: collections fall between tasks,
    not after every report (as they would with the collector on, every report's rule stage re-enabling it
    on a process full of the others' documents).

    >>> per_task(lambda chunk: [sum(chunk)], [1, 2, 3], 2)
    [3, 3]
    """
    out: list[Any] = []
    for chunk in chunked(items, size):
        with gc_paused():
            out += fn(chunk)
    return out


def time_forward(tagger: Any, clock: Any = time.perf_counter) -> Any:
    """Time a model tagger's network calls from now on (by ``clock``); returns a function that stops and gives
    the seconds (None for a tagger without a network)."""
    backend = getattr(tagger, "backend", None)
    if backend is None:
        return lambda: None
    return time_calls(backend, "logits", clock)


def time_calls(owner: Any, name: str, clock: Any = time.perf_counter) -> Any:
    """Time every call of ``owner.name`` from now on (by ``clock``); returns a function that puts the original
    back and gives the seconds spent in it.

    >>> import types
    >>> ns, ticks = types.SimpleNamespace(f=lambda x: x + 1), iter([1.0, 3.5])
    >>> stop = time_calls(ns, "f", clock=lambda: next(ticks))
    >>> ns.f(1), stop(), ns.f(1)
    (2, 2.5, 2)
    """
    real, spent = getattr(owner, name), [0.0]

    def timed(*args: Any, **kwargs: Any) -> Any:
        t = clock()
        try:
            return real(*args, **kwargs)
        finally:
            spent[0] += clock() - t

    setattr(owner, name, timed)

    def stop() -> float:
        setattr(owner, name, real)
        return spent[0]

    return stop


def budget_of(stages: dict[str, Any], target: float = TARGET_RATIO) -> dict[str, Any] | None:
    """What the rest of the pipeline may spend beside the network for the pipeline to run at ``target`` of the
    bare model (network x (1 / target - 1)), what each stage spends, and by how much it is over (ms a report,
    one core, in-process: the end-to-end ratio also pays for start-up and the parent). None without a network.
    """
    tag = stages.get("tag", {})
    network = tag.get("forward_ms_per_report")
    if network is None:
        return None
    rest = {"decode+normalise": stages.get("decode+normalise", {}).get("ms_per_report", 0.0),
            "rest of tagging": tag.get("rest_ms_per_report", 0.0),
            "rules": stages.get("rules", {}).get("ms_per_report", 0.0),
            "serialise": stages.get("serialise", {}).get("ms_per_report", 0.0)}
    spent, allowed = sum(rest.values()), network * (1 / target - 1)
    return {"target_ratio": target, "network_ms_per_report": network, "allowed_rest_ms_per_report": allowed,
            "rest_by_stage": rest, "rest_ms_per_report": spent, "over_ms_per_report": spent - allowed,
            "ratio_in_process": network / (network + spent)}


def hot_spots(prof: cProfile.Profile, top: int) -> list[dict[str, Any]]:
    """The ``top`` functions of a profile by own time: ``file:line function``, tottime, cumtime, calls."""
    stats = pstats.Stats(prof).stats  # type: ignore[attr-defined]
    rows = []
    for (file, line, func), (_cc, calls, tottime, cumtime, _callers) in stats.items():
        rows.append({"function": f"{_short(file)}:{line} {func}", "tottime": tottime, "cumtime": cumtime,
                     "calls": calls})
    rows.sort(key=lambda r: -r["tottime"])
    return rows[:top]


def _short(file: str) -> str:
    """A profile's file name, relative to the source tree or site-packages where it lies there."""
    root = str(Path(__file__).resolve().parents[1]) + os.sep
    if file.startswith(root):
        return file[len(root):]
    if "site-packages" + os.sep in file:
        return file.split("site-packages" + os.sep, 1)[1]
    return file


# ---------------------------------------------------------------------------------------------------------------
# the command


def ratios_of(runs: dict[str, Any]) -> dict[str, float]:
    """chars/s ratios: each pipeline to the bare model of its runtime, and ONNX model to rules-only."""
    pairs = [("model_torch", "bare_torch"), ("model_onnx", "bare_onnx"), ("model_onnx_int8", "bare_onnx_int8"),
             ("ray_model", "bare_" + runs.get("ray_model", {}).get("runtime", "onnx").replace("-", "_")),
             ("model_onnx", "no_model"), ("bare_onnx_int8", "bare_onnx"),
             ("glued_model_onnx", "glued_bare_onnx"), ("glued_model_onnx_int8", "glued_bare_onnx_int8"),
             ("glued_bare_onnx_int8", "glued_bare_onnx")]
    return chars_ratios(runs, pairs)


def chars_ratios(runs: dict[str, Any], pairs: list[tuple[str, str]]) -> dict[str, float]:
    """``a/b``: run ``a``'s chars/s over run ``b``'s, for each pair where both ran (no error).

    >>> runs = {"p": {"chars_per_s": 2.0}, "b": {"chars_per_s": 4.0}, "x": {"error": "e"}}
    >>> chars_ratios(runs, [("p", "b"), ("x", "b")])
    {'p/b': 0.5}
    """
    return {f"{a}/{b}": runs[a]["chars_per_s"] / runs[b]["chars_per_s"] for a, b in pairs
            if "chars_per_s" in runs.get(a, {}) and "chars_per_s" in runs.get(b, {})}


def targets_of(runs: dict[str, Any], ratios: dict[str, float], default: str = "onnx") -> dict[str, bool]:
    """The release targets for the default runtime's pipeline, mixed and glued-only (False where not measured)."""
    key = "model_" + default.replace("-", "_")
    out = {}
    for prefix in ("", "glued_"):
        if prefix and prefix + key not in runs:
            continue
        rps = runs.get(prefix + key, {}).get("reports_per_s")
        ratio = ratios.get(f"{prefix}{key}/{prefix}bare_{default.replace('-', '_')}")
        out[f"{prefix}reports_per_s_ge_{TARGET_REPORTS_PER_S:g}"] = rps is not None and rps >= TARGET_REPORTS_PER_S
        out[f"{prefix}ratio_ge_{TARGET_RATIO:g}"] = ratio is not None and ratio >= TARGET_RATIO
    return out


@app.command()
def main(n: int = typer.Option(1000, help="Reports in the benchmark corpus."),
         seed: int = typer.Option(7, help="Generator seed."),
         workers: int = typer.Option(2, help="Worker processes / Ray actors (and bare-model processes)."),
         model: Path = typer.Option(default_model_dir()),
         rss_n: int = typer.Option(0, help="Also run `nianbao parse` with the model on rss_n/10 and rss_n reports: "
                                   "peak RSS, reports/s."),
         skip_ray: bool = typer.Option(False, help="Leave out the Ray engine."),
         skip_torch: bool = typer.Option(False, help="Leave out the torch runtime (bare and pipeline)."),
         bare_1proc: bool = typer.Option(True, "--bare-1proc/--no-bare-1proc",
                                         help="Also time the bare model in one process with --workers threads."),
         profile: bool = typer.Option(True, "--profile/--no-profile", help="Time each stage on a sample."),
         profile_n: int = typer.Option(100, help="Reports in the profile sample."),
         glued_n: int = typer.Option(0, help="Also a glued-only corpus (glued_lines and crawl styles) of this "
                                    "many reports: bare and end to end, float and int8 ONNX."),
         rounds: int = typer.Option(1, help="Time the default runtime's bare model and pipeline (mixed and "
                                    "glued-only) this many times in all, pair by pair, back to back in alternating "
                                    "order; the targets' verdict is on the medians."),
         cross_read: bool = typer.Option(True, "--cross-read/--no-cross-read",
                                         help="Run every model pipeline with the rules-only reader's second "
                                              "reading of the tables (the default, as `nianbao parse`), or without "
                                              "it (the ablation: what the check costs)."),
         json_out: Path | None = typer.Option(None, "--json", help="Write the results here.")) -> None:
    """Run the benchmark and print ratios against the bare model measured in the same run."""
    with tempfile.TemporaryDirectory(prefix="nianbao-bench-") as tmp_dir:
        _bench(Path(tmp_dir), n, seed, workers, model, rss_n, skip_ray, skip_torch, bare_1proc, profile,
               profile_n, json_out, glued_n, rounds, cross_read)


def _bare_runs(runs: dict[str, Any], corpus: Path, model: Path, runtimes: tuple[str, ...], workers: int,
               bare_1proc: bool, tmp: Path, prefix: str = "") -> dict[str, dict[str, Any]]:
    """Plan the pipeline's windows on ``corpus`` and time the bare model of each runtime on them (into ``runs``);
    the plans, by runtime (``float`` or ``onnx-int8``; none where planning failed)."""
    plans: dict[str, dict[str, Any]] = {}  # the int8 tagger passes one window per call: its own plan
    try:
        for rt in {_plan_key(rt) for rt in runtimes}:
            plans[rt] = plan_batches(corpus, model, PipelineConfig().batch_size,
                                     runtime="onnx-int8" if rt == "onnx-int8" else None)
    except Exception as exc:  # noqa: BLE001 - reported, not hidden
        for rt in runtimes:
            runs[f"{prefix}bare_{rt.replace('-', '_')}"] = {"error": f"{type(exc).__name__}: {exc}"}
        return {}
    for rt in runtimes:
        plan = plans[_plan_key(rt)]
        key = f"{prefix}bare_{rt.replace('-', '_')}"
        bare = [(key, workers, 1)]
        if bare_1proc and not prefix:
            bare.append((f"{key}_1proc", 1, workers))
        for name, procs, threads in bare:
            try:
                runs[name] = bare_forward(plan, model, rt, procs, threads, tmp)
            except Exception as exc:  # noqa: BLE001 - reported, not hidden
                runs[name] = {"error": f"{type(exc).__name__}: {exc}"}
            console.print(f"{name}: {_brief(runs[name])}")
    return plans


def _plan_key(runtime: str) -> str:
    """Which plan ``runtime`` runs: ``onnx-int8`` its own (one window a call), the others ``float``'s batches."""
    return "onnx-int8" if runtime == "onnx-int8" else "float"


def _plan_for(plans: dict[str, dict[str, Any]], runtime: str) -> dict[str, Any] | None:
    """The plan whose windows per pass ``runtime`` runs (none where planning failed)."""
    return plans.get(_plan_key(runtime))


def paired_rounds(measure: dict[str, Any], rounds: int) -> list[dict[str, Any]]:
    """``rounds`` - 1 more rounds of each (bare, pipeline) pair in ``measure`` (ratio name -> the two runs'
    names and a thunk each), the pair's two runs back to back, in the reverse order of the round before
    (round 0, the benchmark's main run, timed the bare model first): a drift of the machine's speed within a
    round then weighs on each side in turn. Each round: the pairs' runs and ratios (pipeline chars/s over bare
    chars/s, named as in ``measure``; none for a pair with an error).
    """
    out: list[dict[str, Any]] = []
    for r in range(1, rounds):
        runs: dict[str, Any] = {}
        for pipe_name, bare_name, run_pipe, run_bare in measure.values():
            order = [(pipe_name, run_pipe), (bare_name, run_bare)]
            for name, run in (order if r % 2 else order[::-1]):
                try:
                    runs[name] = run()
                except Exception as exc:  # noqa: BLE001 - reported, not hidden
                    runs[name] = {"error": f"{type(exc).__name__}: {exc}"}
                console.print(f"round {r + 1}: {name}: {_brief(runs[name])}")
        out.append({"runs": runs, "ratios": chars_ratios(runs, [(a, b) for a, b, _, _ in measure.values()])})
    return out


def median_of_rounds(first: dict[str, Any], rounds: list[dict[str, Any]], ratio_names: list[str]
                     ) -> tuple[dict[str, float], dict[str, Any]]:
    """The median over the rounds (the main run first) of each named ratio, and of reports/s of each run in
    the rounds; a run or ratio missing from a round (an error) is left out of its median.

    >>> a = {"runs": {"m": {"reports_per_s": 20.0}}, "ratios": {"m/b": 0.7}}
    >>> b = [{"runs": {"m": {"reports_per_s": 22.0}}, "ratios": {"m/b": 0.8}},
    ...      {"runs": {"m": {"error": "x"}}, "ratios": {}}]
    >>> median_of_rounds(a, b, ["m/b"])
    ({'m/b': 0.75}, {'m': {'reports_per_s': 21.0}})
    """
    every = [first] + rounds
    ratios = {k: float(np.median(got)) for k in ratio_names
              if (got := [r["ratios"][k] for r in every if k in r["ratios"]])}
    names = dict.fromkeys(n for r in rounds for n in r["runs"])
    runs = {n: {"reports_per_s": float(np.median(got))} for n in names
            if (got := [r["runs"][n]["reports_per_s"] for r in every if "reports_per_s" in r["runs"].get(n, {})])}
    return ratios, runs


def _bench(tmp: Path, n: int, seed: int, workers: int, model: Path, rss_n: int, skip_ray: bool,
           skip_torch: bool, bare_1proc: bool, profile: bool, profile_n: int, json_out: Path | None,
           glued_n: int = 0, rounds: int = 1, cross_read: bool = True) -> None:
    """The benchmark in a scratch folder ``tmp`` (the options are ``main``'s)."""
    corpus = tmp / "corpus.jsonl"

    def with_model(runtime: str) -> PipelineConfig:
        return PipelineConfig(model_dir=model, runtime=runtime, cross_read=cross_read)

    result: dict[str, Any] = {"nianbao": __version__, "workers": workers, "machine": machine_info(),
                              "model": str(model), "cross_read": cross_read, "corpus": make_corpus(n, seed, corpus),
                              "runtime_auto": runtime_summary(PipelineConfig(model_dir=model))}
    console.print(f"corpus: {result['corpus']}")
    console.print(result["runtime_auto"])
    int8 = ("onnx-int8",) if int8_verified(model)[0] else ()
    runtimes = (("onnx",) if skip_torch else ("torch", "onnx")) + int8
    runs: dict[str, Any] = {}
    bare_plans = _bare_runs(runs, corpus, model, runtimes, workers, bare_1proc, tmp)
    plan = bare_plans.get("float") or next(iter(bare_plans.values()), None)
    if plan:
        result["windows"] = {k: v for k, v in plan.items() if k not in ("batches", "pipeline_ort_intra_op_threads")}
        result["windows"]["batches"] = len(plan["batches"])
        # what a LocalEngine worker runs with (engine._init_worker(config, 1); the session as runtime.py makes it)
        result["pipeline_threads"] = {"torch_per_worker": 1,
                                      "ort_intra_op_per_worker": plan["pipeline_ort_intra_op_threads"]}
    plan = None
    default = "onnx-int8" if int8 and "onnx-int8 (" in result["runtime_auto"] else "onnx"
    measure: dict[str, Any] = {}  # the default runtime's (pipeline, bare) pairs, timed again in later rounds

    def pair(prefix: str, path: Path, got: dict[str, dict[str, Any]]) -> None:
        key, chosen = default.replace("-", "_"), _plan_for(got, default)
        if chosen is not None:
            cfg = with_model(default)
            measure[f"{prefix}model_{key}/{prefix}bare_{key}"] = (
                f"{prefix}model_{key}", f"{prefix}bare_{key}",
                lambda: end_to_end(path, cfg, "local", workers),
                lambda: bare_forward(chosen, model, default, workers, 1, tmp))

    pair("", corpus, bare_plans)
    plans = [("no_model", PipelineConfig(use_model=False), "local", corpus)]
    if not skip_torch:
        plans.append(("model_torch", with_model("torch"), "local", corpus))
    for rt in ("onnx",) + int8:
        plans.append((f"model_{rt.replace('-', '_')}", with_model(rt), "local", corpus))
    if not skip_ray:
        plans.append(("ray_model", with_model("auto"), "ray", corpus))
    if glued_n > 0:
        glued = tmp / "glued.jsonl"
        result["glued_corpus"] = make_corpus(glued_n, seed + 2, glued, styles=GLUED_STYLES)
        pair("glued_", glued, _bare_runs(runs, glued, model, ("onnx",) + int8, workers, False, tmp, prefix="glued_"))
        for rt in ("onnx",) + int8:
            plans.append((f"glued_model_{rt.replace('-', '_')}", with_model(rt),
                          "local", glued))
    for name, cfg, engine, path in plans:
        try:
            runs[name] = end_to_end(path, cfg, engine, workers)
        except Exception as exc:  # noqa: BLE001
            runs[name] = {"error": f"{type(exc).__name__}: {exc}"}
        if engine == "ray":
            runs[name]["runtime"] = choose_runtime(model, "auto")
        console.print(f"{name}: {_brief(runs[name])}")
    result["runs"] = runs
    result["ratios"] = ratios_of(runs)
    result["default_runtime"] = default
    result["targets"] = targets_of(runs, result["ratios"], default)
    if rounds > 1 and measure:
        result["rounds"] = paired_rounds(measure, rounds)
        ratios, med_runs = median_of_rounds({"runs": runs, "ratios": result["ratios"]}, result["rounds"],
                                            list(measure))
        result["median_of_rounds"] = {"rounds": rounds, "ratios": ratios, "reports_per_s":
                                      {k: v["reports_per_s"] for k, v in med_runs.items()}}
        result["targets"] = targets_of(med_runs, ratios, default)  # the verdict on the medians
    if profile and profile_n > 0:
        result["profile"] = {}
        auto = with_model("auto")
        samples = [("model", auto, corpus), ("no_model", PipelineConfig(use_model=False), corpus)]
        if glued_n > 0:  # the corpus furthest from the ratio target
            samples.append(("glued_model", auto, tmp / "glued.jsonl"))
        for name, cfg, path in samples:
            try:
                result["profile"][name] = profile_stages(path, cfg, profile_n, profile_rules=name == "model")
            except Exception as exc:  # noqa: BLE001
                result["profile"][name] = {"error": f"{type(exc).__name__}: {exc}"}
    if rss_n > 0:
        result["rss"] = rss_runs(rss_n, seed, model, workers, tmp, cross_read)
        result["peak_rss_mib"] = {k: v["peak_rss_mib"] for k, v in result["rss"].items()}
        sizes = sorted(result["rss"], key=int)
        small, big = result["rss"][sizes[0]]["peak_rss_mib"], result["rss"][sizes[-1]]["peak_rss_mib"]
        result["peak_rss_growth"] = big / small if small else None
    _print(result)
    if json_out:
        write_result(json_out, result)


def write_result(path: Path, result: dict[str, Any]) -> None:
    """Write a benchmark's results as indented JSON (folders made as needed) and say where."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(result, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    console.print(f"wrote {path}")


def _brief(r: dict[str, Any]) -> str:
    if "error" in r:
        return f"[red]{r['error']}[/red]"
    return f"{r['reports_per_s']:.2f} reports/s, {r['chars_per_s']:,.0f} chars/s in {r['seconds']:.1f} s"


def _print(result: dict[str, Any]) -> None:
    m = result["machine"]
    table = Table(title=f"nianbao {result['nianbao']} throughput ({result['workers']} workers, "
                        f"{m['usable_cpus']} CPUs, {result['corpus']['docs']} reports)")
    for col in ("run", "reports/s", "chars/s", "seconds", "note"):
        table.add_column(col)
    for name, r in result["runs"].items():
        if "error" in r:
            table.add_row(name, "-", "-", "-", r["error"][:60])
            continue
        if name.startswith("bare_"):
            note = f"{r['procs']} proc x {r['torch_threads']} torch thr"
            if "ort_intra_op_threads" in r:
                note += f", ORT intra-op {r['ort_intra_op_threads'] or 'default'}"
        else:
            note = ", ".join(f"{k} {v}" for k, v in r.get("statuses", {}).items())
            if r.get("first_record_seconds") is not None:
                note += f"; 1st record {r['first_record_seconds']:.1f} s"
        table.add_row(name, f"{r['reports_per_s']:.2f}", f"{r['chars_per_s']:,.0f}", f"{r['seconds']:.1f}", note)
    console.print(table)
    for k, v in result["ratios"].items():
        console.print(f"ratio {k} = {v:.2f}")
    med = result.get("median_of_rounds")
    if med:
        for k, v in med["ratios"].items():
            per = [r["ratios"].get(k) for r in result["rounds"]]
            console.print(f"ratio {k}, median of {med['rounds']} rounds = {v:.2f} (later rounds: "
                          + ", ".join("-" if x is None else f"{x:.2f}" for x in per) + ")")
    t = result["targets"]
    console.print(f"targets (model_{result.get('default_runtime', 'onnx')}, >= {TARGET_REPORTS_PER_S:g} reports/s, "
                  f">= {TARGET_RATIO} of bare): "
                  + ", ".join(f"{k} {'[green]yes[/green]' if v else '[red]NO[/red]'}" for k, v in t.items()))
    if "profile" in result:
        _print_profile(result["profile"])
    if "rss" in result:
        for size, r in result["rss"].items():
            console.print(f"parse --model, {size} reports: peak RSS {r['peak_rss_mib']:.0f} MiB, "
                          f"{r['reports_per_s']:.2f} reports/s in {r['seconds']:.1f} s (rc {r['rc']})")
        if result.get("peak_rss_growth") is not None:
            console.print(f"peak RSS growth (largest / smallest corpus) = {result['peak_rss_growth']:.2f}")


def _print_profile(prof: dict[str, Any]) -> None:
    names = [k for k, v in prof.items() if "stages" in v]
    for k, v in prof.items():
        if "error" in v:
            console.print(f"profile {k}: [red]{v['error']}[/red]")
    if not names:
        return
    table = Table(title="where the time goes (one core, in-process; ms per report, share)")
    table.add_column("stage")
    for k in names:
        table.add_column(f"{k} ({prof[k]['tagger']}, {prof[k]['docs']} reports)")
    stages = list(dict.fromkeys(s for k in names for s in prof[k]["stages"]))
    for s in stages:
        cells = []
        for k in names:
            st = prof[k]["stages"].get(s)
            cells.append(f"{st['ms_per_report']:.1f} ms  {100 * st['share']:.0f}%" if st else "-")
        table.add_row(s, *cells)
    table.add_row("total", *(f"{1000 * prof[k]['total_seconds'] / max(1, prof[k]['docs']):.1f} ms  "
                             f"({prof[k]['reports_per_s_one_core']:.2f} reports/s)" for k in names))
    console.print(table)
    for k in names:
        b = prof[k].get("budget")
        if b:
            cross = prof[k]["stages"]["rules"].get("cross_read_ms_per_report", 0.0)
            spent = ", ".join(f"{stage} {ms:.1f}" for stage, ms in b["rest_by_stage"].items())
            console.print(f"{k}: network {b['network_ms_per_report']:.1f} ms/report; for {b['target_ratio']:g} of the "
                          f"bare model the rest may take {b['allowed_rest_ms_per_report']:.1f} and takes "
                          f"{b['rest_ms_per_report']:.1f} ({spent}; the rules' second reading {cross:.1f}): over by "
                          f"{b['over_ms_per_report']:.1f}, in-process ratio {b['ratio_in_process']:.2f}")
    hot = prof.get("model", {}).get("rules_hot_spots") or []
    if hot:
        console.print("rules stage hot spots (tottime):")
        for h in hot[:8]:
            console.print(f"  {h['tottime']:7.3f} s  {h['calls']:>8}  {h['function']}")


if __name__ == "__main__":
    app()
