"""Export a tagger folder to ONNX with fused attention, and verify it against torch.

Recipe measured here: export the eager-attention model with the TorchScript
exporter (``dynamo=False``), opset 17, then fuse attention and layer norms with
``onnxruntime.transformers.optimizer.optimize_model(model_type="bert")``. The
result is used only if its logits equal torch's within ``TOLERANCE``; the
verdict is written to ``onnx_verify.json`` beside it, keyed by both files' sha256,
so a stale export is never used.
"""

from __future__ import annotations

import json
import tempfile
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from nianbao.tagger.runtime import (
    ONNX_FILE,
    VERIFY_FILE,
    OnnxBackend,
    TorchBackend,
    file_sha256,
    load_torch_model,
)

OPSET = 17
TOLERANCE = 1e-5


@dataclass
class Verification:
    """The verdict of comparing the ONNX export with torch on the same inputs."""

    onnx_sha256: str
    weights_sha256: str
    max_abs_diff_logits: float
    max_abs_diff_probs: float
    tolerance: float
    passed: bool
    opset: int
    onnxruntime: str


def export_onnx(folder: str | Path, optimize: bool = True) -> Verification:
    """Export ``folder``'s model to ``model.onnx``, verify it, write ``onnx_verify.json``; return the verdict."""
    import onnxruntime
    import torch

    folder = Path(folder)
    model = load_torch_model(folder)
    cfg = model.config
    dummy_ids = torch.ones((2, 16), dtype=torch.long)
    dummy_mask = torch.ones((2, 16), dtype=torch.long)
    with tempfile.TemporaryDirectory() as tmp:
        raw = Path(tmp) / "raw.onnx"
        torch.onnx.export(model, (dummy_ids, dummy_mask), str(raw), dynamo=False, opset_version=OPSET,
                          input_names=["input_ids", "attention_mask"], output_names=["logits"],
                          dynamic_axes={"input_ids": {0: "batch", 1: "seq"},
                                        "attention_mask": {0: "batch", 1: "seq"},
                                        "logits": {0: "batch", 1: "seq"}})
        if optimize:
            from onnxruntime.transformers.optimizer import optimize_model

            opt = optimize_model(str(raw), model_type="bert", num_heads=cfg.num_attention_heads,
                                 hidden_size=cfg.hidden_size)
            opt.save_model_to_file(str(folder / ONNX_FILE))
        else:
            (folder / ONNX_FILE).write_bytes(raw.read_bytes())
    diff_logits, diff_probs = compare(folder, seed=0)
    verdict = Verification(
        onnx_sha256=file_sha256(folder / ONNX_FILE),
        weights_sha256=file_sha256(folder / "model.safetensors"),
        max_abs_diff_logits=diff_logits, max_abs_diff_probs=diff_probs, tolerance=TOLERANCE,
        passed=diff_logits <= TOLERANCE, opset=OPSET, onnxruntime=onnxruntime.__version__,
    )
    (folder / VERIFY_FILE).write_text(json.dumps(asdict(verdict), indent=2) + "\n", encoding="utf-8")
    return verdict


def verification_inputs(vocab_size: int, seed: int, max_len: int = 512) -> tuple[np.ndarray, np.ndarray]:
    """A padded batch of random ids (full, half and tiny rows) to compare runtimes on.

    >>> ids, mask = verification_inputs(100, 0, 64); ids.shape, int(mask[2].sum())
    ((3, 64), 5)
    """
    rng = np.random.default_rng(seed)
    lengths = [max_len, max_len // 2, 5]
    ids = np.zeros((len(lengths), max_len), dtype=np.int64)
    mask = np.zeros_like(ids)
    for r, n in enumerate(lengths):
        ids[r, :n] = rng.integers(5, vocab_size, size=n)
        mask[r, :n] = 1
    return ids, mask


def compare(folder: str | Path, seed: int = 0) -> tuple[float, float]:
    """Max |torch - onnx| over the non-padding positions: (on logits, on softmax probabilities)."""
    from nianbao.tagger.windows import softmax

    folder = Path(folder)
    torch_backend = TorchBackend(folder)
    onnx_backend = OnnxBackend(folder / ONNX_FILE)
    ids, mask = verification_inputs(torch_backend.vocab_size, seed, min(512, torch_backend.max_positions))
    a = torch_backend.logits(ids, mask)
    b = onnx_backend.logits(ids, mask)
    keep = mask.astype(bool)
    return float(np.abs(a - b)[keep].max()), float(np.abs(softmax(a[keep]) - softmax(b[keep])).max())
