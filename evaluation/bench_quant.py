"""The network's other recipes, timed per window on one thread in one run: static int8, layer-norm fusion, batch shapes.

    python -m nianbao.evaluation.bench_quant --docs 20 --calibration-docs 30   # about 3 minutes

Issue 19 left two ways the network might go faster than the shipped dynamic int8 model: static
quantisation with calibration windows from the synthetic corpus, and other batch shapes. This measures both
on the same windows of generated glued reports (normalised as the pipeline normalises them, cut by
``plan_windows``, longest first as the tagger orders them), with one ONNX Runtime thread as a worker runs:

- the float export (``model.onnx``), the shipped dynamic int8 model (``model.int8.onnx``), each also with
  ONNX Runtime's residual layer-norm fusion at load (``SkipLayerNormFusion``, which the tagger's sessions
  leave out: ``runtime.UNFUSED_AT_LOAD``), and a static
  int8 model quantised in the run (QDQ format, uint8 activations, int8 weights per channel, MinMax
  calibration on the windows of *other* generated reports);
- each at 1 and at 16 windows per call (``--batch``, repeatable).

It prints each one's ms per window (best of ``--repeats`` passes), the ratio against the float model at its
shipped batch (the baseline, timed in the same run), and the share of window positions whose argmax tag
equals the float model's at the smallest batch. The shipped recipe and batches are chosen from these numbers
(README, "The int8 tagger"); a static model is never shipped by this script.
"""

from __future__ import annotations

import logging
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import typer
from rich.console import Console

from nianbao.evaluation.bench_pipeline import GLUED_STYLES, make_corpus, write_result
from nianbao.inputs import iter_inputs
from nianbao.pipeline import Pipeline, PipelineConfig
from nianbao.tagger.charmap import CharMap
from nianbao.tagger.runtime import (
    INT8_FILE,
    ONNX_FILE,
    UNFUSED_AT_LOAD,
    OnnxBackend,
    TaggerSpec,
    default_model_dir,
    pack,
)
from nianbao.tagger.windows import plan_windows

console = Console()
app = typer.Typer(add_completion=False)
STATIC_FILE = "model.static-int8.onnx"


def corpus_windows(docs: int, seed: int, folder: Path, tmp: Path) -> list[np.ndarray]:
    """The id windows of ``docs`` generated glued reports, longest first (as ``ModelTagger`` orders a batch)."""
    spec, charmap = TaggerSpec.load(folder), CharMap.load(folder)
    path = tmp / f"windows-{seed}.jsonl"
    make_corpus(docs, seed, path, styles=GLUED_STYLES)
    pipe = Pipeline(PipelineConfig(use_model=False))  # decode + normalise only: the network reads norm_text
    out: list[np.ndarray] = []
    for item in iter_inputs([path]):
        ids = charmap.encode_array(pipe.start(item).norm_text)
        out += [ids[s:e] for s, e in plan_windows(len(ids), spec.window, spec.overlap)]
    return sorted(out, key=len, reverse=True)


def quantize_static_qdq(folder: Path, out: Path, calibration: Sequence[np.ndarray]) -> tuple[Path, int]:
    """Write a static int8 copy of ``folder``'s float export, calibrated (MinMax) on ``calibration`` windows; the
    path and how many tensors the quantiser left in float (types it cannot infer: the fused graph's own ops)."""
    # local: onnx and onnxruntime.quantization load only for this measurement
    import onnx
    from onnxruntime.quantization import (
        CalibrationDataReader,
        CalibrationMethod,
        QuantFormat,
        QuantType,
        quantize_static,
    )

    charmap = CharMap.load(folder)

    class Windows(CalibrationDataReader):  # type: ignore[misc]
        def __init__(self) -> None:
            self.rest = iter(calibration)

        def get_next(self) -> dict[str, np.ndarray] | None:
            w = next(self.rest, None)
            if w is None:
                return None
            ids, mask = pack([w], charmap)
            return {"input_ids": ids, "attention_mask": mask}

    root = logging.getLogger()  # the quantiser warns on the root logger, once per tensor it leaves in float
    skipped = _Count("failed to infer the type of tensor")
    root.addHandler(skipped)  # counted here, not printed (a root handler stands in for logging's last resort)
    try:
        quantize_static(str(folder / ONNX_FILE), str(out), Windows(), quant_format=QuantFormat.QDQ,
                        activation_type=QuantType.QUInt8, weight_type=QuantType.QInt8, per_channel=True,
                        calibrate_method=CalibrationMethod.MinMax,
                        extra_options={"DefaultTensorType": onnx.TensorProto.FLOAT})
    finally:
        root.removeHandler(skipped)
    return out, skipped.count


class _Count(logging.Handler):
    """Counts the log records whose message holds ``needle``."""

    def __init__(self, needle: str) -> None:
        super().__init__()
        self.needle, self.count = needle, 0

    def emit(self, record: logging.LogRecord) -> None:
        """Count one record."""
        self.count += self.needle in record.getMessage()


def time_windows(backend: OnnxBackend, windows: Sequence[np.ndarray], batch: int, charmap: CharMap,
                 repeats: int) -> tuple[float, list[np.ndarray]]:
    """Best ms per window over ``repeats`` passes of ``windows`` in calls of ``batch``, and each window's argmax
    tags (padding cut off)."""
    calls = [pack(windows[i:i + batch], charmap) for i in range(0, len(windows), batch)]
    backend.logits(*calls[-1])  # warm-up
    best, tags = float("inf"), []
    for _ in range(repeats):
        outs = []
        t = time.perf_counter()
        for ids, mask in calls:
            outs.append(backend.logits(ids, mask))
        best = min(best, time.perf_counter() - t)
        tags = [lg[r].argmax(-1) for lg in outs for r in range(lg.shape[0])]
    cut = [t[1:1 + len(w)] for t, w in zip(tags, windows, strict=True)]
    return 1000 * best / max(1, len(windows)), cut


def agreement(tags: Sequence[np.ndarray], reference: Sequence[np.ndarray]) -> float:
    """The share of positions whose tag equals the reference's.

    >>> agreement([np.array([1, 2, 3])], [np.array([1, 2, 0])])
    0.6666666666666666
    """
    same = sum(int((a == b).sum()) for a, b in zip(tags, reference, strict=True))
    return same / max(1, sum(len(b) for b in reference))


def measure(folder: Path, docs: int, calibration_docs: int, seed: int, batches: Sequence[int], repeats: int,
            tmp: Path) -> dict[str, Any]:
    """Every (model, batch) row of the benchmark, the static model quantised into ``tmp``."""
    charmap, spec = CharMap.load(folder), TaggerSpec.load(folder)
    windows = corpus_windows(docs, seed, folder, tmp)
    calibration = corpus_windows(calibration_docs, seed + 1, folder, tmp)
    t = time.perf_counter()
    static, left_float = quantize_static_qdq(folder, tmp / STATIC_FILE, calibration)
    quantise_s = time.perf_counter() - t
    models = {"float": (folder / ONNX_FILE, UNFUSED_AT_LOAD),
              "float, SkipLayerNorm fused": (folder / ONNX_FILE, ()),
              "dynamic int8 (shipped)": (folder / INT8_FILE, UNFUSED_AT_LOAD),
              "dynamic int8, SkipLayerNorm fused": (folder / INT8_FILE, ()),
              "static int8 (QDQ)": (static, UNFUSED_AT_LOAD)}
    rows: list[dict[str, Any]] = []
    reference: list[np.ndarray] | None = None
    for name, (path, disabled) in models.items():
        if not path.exists():
            continue
        # as a worker opens it: one thread, every graph optimisation but the residual layer norms' fusion
        # (runtime.UNFUSED_AT_LOAD); the "fused" rows let ONNX Runtime fuse them at load, as 0.7.5's export did
        backend = OnnxBackend(path, threads=1, disabled=disabled)
        for b in sorted(set(batches)):
            ms, tags = time_windows(backend, windows, b, charmap, repeats)
            reference = tags if reference is None else reference  # the float model at the smallest batch
            rows.append({"model": name, "batch": b, "ms_per_window": ms, "argmax_agreement": agreement(tags, reference)})
    base = next((r for r in rows if r["model"] == "float" and r["batch"] == spec.window_batch), rows[0])
    for r in rows:
        r["speed_vs_float_shipped_batch"] = base["ms_per_window"] / r["ms_per_window"]
    return {"windows": len(windows), "calibration_windows": len(calibration), "quantise_seconds": quantise_s,
            "static_tensors_left_float": left_float,
            "baseline": {"model": base["model"], "batch": base["batch"]}, "rows": rows}


@app.command()
def main(docs: int = typer.Option(20, help="Generated glued reports whose windows are timed."),
         calibration_docs: int = typer.Option(30, help="Other generated reports whose windows calibrate."),
         seed: int = typer.Option(11), repeats: int = typer.Option(2),
         batches: list[int] = typer.Option([1, 16], "--batch", help="Windows per call (repeatable)."),
         model: Path = typer.Option(default_model_dir()),
         json_out: Path | None = typer.Option(None, "--json")) -> None:
    """Print ms per window of the float, dynamic int8 and static int8 models at each batch, against float."""
    with tempfile.TemporaryDirectory(prefix="nianbao-quant-") as tmp:
        result = measure(model, docs, calibration_docs, seed, batches, repeats, Path(tmp))
    console.print(f"{result['windows']} windows; static model calibrated on {result['calibration_windows']} "
                  f"others in {result['quantise_seconds']:.0f}s ({result['static_tensors_left_float']} tensors "
                  f"left in float); baseline: float at {result['baseline']['batch']} windows a call")
    for r in result["rows"]:
        console.print(f"  {r['model']:22s} x{r['batch']:<3d} {r['ms_per_window']:5.2f} ms/window  "
                      f"{r['speed_vs_float_shipped_batch']:.2f}x baseline  agrees {r['argmax_agreement']:.5f}",
                      soft_wrap=True)
    if json_out:
        write_result(json_out, result)


if __name__ == "__main__":
    app()
