"""The int8 tagger: verification file checked on load, the probe re-run on load, auto's fallback; --device cuda."""

from __future__ import annotations

import json
import platform
import shutil
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from nianbao.config import PipelineConfig
from nianbao.errors import StageError
from nianbao.evaluation.bench_pipeline import cpu_model
from nianbao.evaluation.int8_verify import record_diff
from nianbao.tagger.quantize import make_probe, quantize_int8
from nianbao.tagger.runtime import (
    INT8_FILE,
    INT8_VERIFY_FILE,
    ONNX_FILE,
    WEIGHTS_FILE,
    ModelTagger,
    choose_runtime,
    cuda_available,
    default_model_dir,
    file_sha256,
    int8_verified,
    onnx_session,
    onnx_verified,
    runtime_summary,
)
from nianbao.training.synth_corpus import generate_one


@pytest.fixture(scope="module")
def int8_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of the shipped tagger with a fresh int8 quantisation and a verification file marked passed
    (the real-text verification is `nianbao train export-onnx`'s; here only the load-time checks are tested)."""
    src = default_model_dir()
    if not onnx_verified(src)[0]:
        pytest.skip(f"the shipped model has no verified ONNX export: {onnx_verified(src)[1]}")
    folder = tmp_path_factory.mktemp("int8") / "tagger"
    shutil.copytree(src, folder, ignore=shutil.ignore_patterns(INT8_FILE, INT8_VERIFY_FILE))
    quantize_int8(folder)
    texts = [generate_one(5, k).text for k in range(4)]
    verdict = {"int8_sha256": file_sha256(folder / INT8_FILE), "onnx_sha256": file_sha256(folder / ONNX_FILE),
               "weights_sha256": file_sha256(folder / WEIGHTS_FILE), "passed": True, "why": None,
               "probe": make_probe(folder, texts)}
    (folder / INT8_VERIFY_FILE).write_text(json.dumps(verdict), encoding="utf-8")
    return folder


def _copy(folder: Path, tmp_path: Path) -> Path:
    out = tmp_path / "copy"
    shutil.copytree(folder, out)
    return out


def test_verified_int8_is_chosen_and_its_probe_reproduced(int8_folder: Path) -> None:
    probe = json.loads((int8_folder / INT8_VERIFY_FILE).read_text(encoding="utf-8"))["probe"]
    assert len(probe["windows"]) >= 4 and all(len(w) == len(t) for w, t in zip(probe["windows"], probe["tags"],
                                                                               strict=True))
    assert int8_verified(int8_folder) == (True, "verified")
    assert choose_runtime(int8_folder, "auto") == "onnx-int8"
    tagger = ModelTagger(int8_folder, runtime="auto", threads=1)
    assert tagger.runtime == "onnx-int8" and "reproduces the stored tags" in tagger.runtime_note
    assert "onnx-int8" in runtime_summary(PipelineConfig(model_dir=int8_folder))
    probs = tagger.probabilities(["一、总体情况\n本机关全年主动公开政府信息12条。"])
    assert probs[0].shape[0] == len("一、总体情况\n本机关全年主动公开政府信息12条。")


def test_auto_falls_back_when_the_stored_tags_are_not_reproduced(int8_folder: Path, tmp_path: Path) -> None:
    folder = _copy(int8_folder, tmp_path)
    v = json.loads((folder / INT8_VERIFY_FILE).read_text(encoding="utf-8"))
    v["probe"]["tags"][0][1] = (v["probe"]["tags"][0][1] + 1) % 12  # as a CPU whose int8 kernels differ would
    (folder / INT8_VERIFY_FILE).write_text(json.dumps(v), encoding="utf-8")
    tagger = ModelTagger(folder, runtime="auto", threads=1)
    assert tagger.runtime == "onnx"
    assert "int8 not used" in tagger.runtime_note and "float ONNX instead" in tagger.runtime_note
    assert "int8 not used" in runtime_summary(PipelineConfig(model_dir=folder))
    with pytest.raises(StageError, match="E_INT8_MISMATCH"):
        ModelTagger(folder, runtime="onnx-int8", threads=1)


def test_unverified_or_changed_int8_is_not_used(int8_folder: Path, tmp_path: Path) -> None:
    folder = _copy(int8_folder, tmp_path)
    with open(folder / INT8_FILE, "ab") as f:
        f.write(b"\0")
    assert int8_verified(folder)[0] is False and choose_runtime(folder, "auto") == "onnx"
    with pytest.raises(StageError, match="E_INT8_UNVERIFIED"):
        choose_runtime(folder, "onnx-int8")
    v = json.loads((int8_folder / INT8_VERIFY_FILE).read_text(encoding="utf-8"))
    (folder / INT8_FILE).write_bytes((int8_folder / INT8_FILE).read_bytes())
    (folder / INT8_VERIFY_FILE).write_text(json.dumps({**v, "passed": False, "why": "records differ"}),
                                           encoding="utf-8")
    assert int8_verified(folder) == (False, "int8 verification failed: records differ")
    assert choose_runtime(folder, "auto") == "onnx"


def test_device_cuda_falls_back_with_a_clear_message(int8_folder: Path) -> None:
    ok, why = cuda_available()
    if ok:
        pytest.skip(f"a CUDA GPU is present ({why}): the fallback is not exercised")
    tagger = ModelTagger(int8_folder, runtime="auto", threads=1, device="cuda")
    assert tagger.runtime_note.startswith("--device cuda: ") and "falling back to the CPU" in tagger.runtime_note
    assert tagger.runtime in ("onnx-int8", "onnx")
    with pytest.raises(StageError, match="--device cuda runs the torch runtime"):
        ModelTagger(int8_folder, runtime="onnx", device="cuda")


def test_record_diff_ignores_confidences_only() -> None:
    a = {"status": "ok", "fields": {"x": {"value": 1, "confidence": 0.9, "span": [0, 1]}},
         "flags": [{"code": "c", "fields": ["x"], "alternatives": [{"x": 2, "confidence": 0.4}]}]}
    b = json.loads(json.dumps(a))
    b["fields"]["x"]["confidence"] = 0.8
    b["flags"][0]["alternatives"][0]["confidence"] = 0.3
    assert record_diff(a, b) == ([], 0.1)
    b["fields"]["x"]["span"] = [0, 2]
    assert record_diff(a, b)[0] == ["fields"]
    b["flags"] = []
    assert record_diff(a, b)[0] == ["fields", "flags"]


def test_a_documents_int8_tags_do_not_depend_on_its_batch(int8_folder: Path) -> None:
    """int8 activations are quantised per call: the runtime tags one window per call, so a document reads the
    same alone, beside other documents, and in any order (resume, retries and worker counts change batches)."""
    tagger = ModelTagger(int8_folder, runtime="onnx-int8", threads=1)
    assert tagger.window_batch == 1
    from nianbao.evaluation.int8_verify import _int8_tagger  # the verification tags as the runtime does

    assert _int8_tagger(int8_folder, 1).window_batch == 1
    float_spec = ModelTagger(int8_folder, runtime="onnx", threads=2)
    assert float_spec.window_batch == float_spec.spec.window_batch > 1  # several threads share a call's work
    texts = [generate_one(7, k).text for k in range(3)]
    alone = [tagger.probabilities([t])[0] for t in texts]
    together = tagger.probabilities(texts[::-1])[::-1]
    assert all((a == b).all() for a, b in zip(alone, together, strict=True))


def test_float_onnx_on_one_thread_tags_one_window_a_call_with_the_same_probabilities(int8_folder: Path) -> None:
    """A worker's float session (one thread) runs one window per call, as fast as it goes here
    (evaluation/bench_quant), with the probabilities of the model's batch: the records do not change."""
    one = ModelTagger(int8_folder, runtime="onnx", threads=1)
    batched = ModelTagger(int8_folder, runtime="onnx", threads=1, window_batch=one.spec.window_batch)
    assert one.window_batch == 1 and batched.window_batch == one.spec.window_batch > 1  # an asked batch stands
    texts = [generate_one(11, k).text for k in range(3)]
    assert all((a == b).all() for a, b in zip(one.probabilities(texts), batched.probabilities(texts), strict=True))


def _int8_weights(path: Path) -> list[Any]:
    """The int8 initialisers (quantised weights) of an ONNX file."""
    import onnx
    from onnx import numpy_helper

    return [numpy_helper.to_array(t) for t in onnx.load(str(path)).graph.initializer
            if t.data_type == onnx.TensorProto.INT8]


@pytest.mark.parametrize("which", ["shipped", "fresh"])
def test_int8_weights_leave_plain_avx2_no_room_to_saturate(which: str, int8_folder: Path) -> None:
    """Without VNNI, x86 multiplies uint8 activations by int8 weights in pairs summed into int16 (vpmaddubsw):
    2 x 255 x 127 overflows it, 2 x 255 x 64 = 32,640 does not. Weights within +-64 (7 bits) give the same
    integers on every AVX2 or VNNI CPU, so the probe tags stored at export are reproduced everywhere."""
    folder = default_model_dir() if which == "shipped" else int8_folder
    weights = _int8_weights(folder / INT8_FILE)
    assert weights and max(int(np.abs(w.astype(np.int32)).max()) for w in weights) <= 64


def test_float_and_int8_sessions_keep_residual_adds_and_layer_norms_apart(int8_folder: Path,
                                                                           tmp_path: Path) -> None:
    """ONNX Runtime's SkipLayerNormalization kernel is slower than its LayerNormalization after an Add
    (evaluation/bench_quant): neither the export nor the session fuses them."""
    import onnx

    for name in (ONNX_FILE, INT8_FILE):
        saved = tmp_path / f"optimised-{name}"
        onnx_session(int8_folder / name, 1, save_optimised=saved)
        ops = {n.op_type for n in onnx.load(str(saved)).graph.node}
        assert "LayerNormalization" in ops and "SkipLayerNormalization" not in ops, name


@pytest.mark.skipif(platform.machine() not in ("x86_64", "AMD64") or not cpu_model().get("avx2"),
                    reason="the stored probe tags were made on x86 with AVX2; another architecture's int8 kernels "
                           "are its own")
def test_shipped_int8_reproduces_its_probe_on_this_cpu() -> None:
    """auto takes the shipped int8 model on any x86 CPU with AVX2, VNNI or not."""
    tagger = ModelTagger(default_model_dir(), runtime="auto", threads=1)
    assert tagger.runtime == "onnx-int8", tagger.runtime_note
