"""The static-int8 and batch-shape benchmark: one tiny run, and what its rows promise."""

from __future__ import annotations

import doctest
import json
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from nianbao.evaluation import bench_quant
from nianbao.evaluation.bench_quant import app, corpus_windows, time_windows
from nianbao.tagger.charmap import CharMap
from nianbao.tagger.runtime import INT8_FILE, ONNX_FILE, OnnxBackend, TaggerSpec

MODEL = Path(__file__).resolve().parents[1] / "models" / "nianbao-tagger"

needs_model = pytest.mark.skipif(not (MODEL / ONNX_FILE).is_file(), reason=f"shipped ONNX model not at {MODEL}")


def test_doctests() -> None:
    assert doctest.testmod(bench_quant).failed == 0


@needs_model
def test_windows_are_the_taggers_longest_first(tmp_path: Path) -> None:
    spec = TaggerSpec.load(MODEL)
    wins = corpus_windows(2, 5, MODEL, tmp_path)
    assert wins and all(0 < len(w) <= spec.window for w in wins)
    assert [len(w) for w in wins] == sorted((len(w) for w in wins), reverse=True)


@needs_model
def test_batching_cuts_the_padding_off_each_windows_tags(tmp_path: Path) -> None:
    wins = corpus_windows(1, 5, MODEL, tmp_path)[-3:]  # the shortest: padded in a batch of 3
    backend = OnnxBackend(MODEL / ONNX_FILE, threads=1)
    _, alone = time_windows(backend, wins, 1, CharMap.load(MODEL), 1)
    _, batched = time_windows(backend, wins, 3, CharMap.load(MODEL), 1)
    assert [len(t) for t in alone] == [len(t) for t in batched] == [len(w) for w in wins]
    assert bench_quant.agreement(batched, alone) > 0.999  # float kernels may round a padded batch differently


@needs_model
def test_tiny_run_times_every_model_at_every_batch(tmp_path: Path) -> None:
    out = tmp_path / "q.json"
    res = CliRunner().invoke(app, ["--docs", "1", "--calibration-docs", "1", "--repeats", "1", "--batch", "1",
                                   "--batch", "2", "--model", str(MODEL), "--json", str(out)])
    assert res.exit_code == 0, res.output
    got = json.loads(out.read_text(encoding="utf-8"))
    int8 = ["dynamic int8 (shipped)", "dynamic int8, SkipLayerNorm fused"] if (MODEL / INT8_FILE).exists() else []
    models = ["float", "float, SkipLayerNorm fused", "static int8 (QDQ)"] + int8
    assert sorted((r["model"], r["batch"]) for r in got["rows"]) == sorted((m, b) for m in models for b in (1, 2))
    # no row at the shipped batch (16): the baseline is the first row, the float model one window a call
    assert got["baseline"] == {"model": "float", "batch": 1}
    first = got["rows"][0]
    assert first["argmax_agreement"] == 1.0 and first["speed_vs_float_shipped_batch"] == 1.0
    assert all(0.9 < r["argmax_agreement"] <= 1.0 and r["ms_per_window"] > 0 for r in got["rows"])
    assert got["windows"] > 0 and got["calibration_windows"] > 0 and got["static_tensors_left_float"] >= 0


def test_agreement_counts_positions_not_windows() -> None:
    a = [np.array([1, 1, 1, 1]), np.array([2])]
    b = [np.array([1, 1, 1, 0]), np.array([3])]
    assert bench_quant.agreement(a, b) == pytest.approx(3 / 5)
