"""The int8 tagger: ONNX Runtime dynamic quantisation of the fused float export, and its load-time probe.

Recipe measured here (0.3.0 tagger, AVX-512 VNNI CPU, one thread, 16 windows of
256): ``quantize_dynamic`` on the *fused* ``model.onnx`` (attention, the embedding's layer norm
and GELU already fused by the transformer optimizer, so ``Attention`` becomes
``QAttention`` and every ``MatMul`` a ``DynamicQuantizeMatMul``), int8 weights
per output channel, activations quantised per batch at run time; the exporter's graph
needs ``DefaultTensorType=FLOAT`` for the tensors whose type the quantiser cannot
infer. 70 ms -> 50 ms per batch, file 5.9 MB -> 1.5 MB. Per-channel weights changed 3 argmax
tags of 239,872 window positions of the synthetic test set (4 per style) against 14 for per-tensor
weights at the same speed; leaving the embedding in float, 7.

Weights are quantised to 7 bits (``reduce_range=True``: -64..64). A CPU without VNNI multiplies the
uint8 activations by the int8 weights in pairs summed into int16 (AVX2's ``vpmaddubsw``), which saturates
for 8-bit weights (2 x 255 x 127 > 32,767): 0.7.5's 8-bit model changed 5 of the tags stored for its 8
probe windows on an AMD EPYC with AVX2 alone, so ``auto`` fell back to the float model there. With 7 bits
(2 x 255 x 64 = 32,640) every such CPU computes the integers a VNNI CPU computes; what may still differ
is the float arithmetic around them (last-bit differences), far below the probe's smallest top-two logit
margin (0.06 for the shipped model).

Dynamic quantisation scales activations per *call*, so a window's int8 tags would
depend on the windows batched with it: the runtime (``ModelTagger``), the
verification and the probe all run one window per call.

Whether it is used is decided on real text (``nianbao.evaluation.int8_verify``:
the labelled real reports and the synthetic test set, records and entity F1
against the float model) and written to ``int8_verify.json`` with a *probe*: a
few synthetic windows and the argmax tags the int8 model gave them at export.
int8 kernels differ between CPUs (VNNI or not; saturation on plain AVX2), so
``runtime.probe_ok`` re-runs the probe on load and ``--runtime auto`` keeps the
float model where the tags are not reproduced.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from nianbao.tagger.charmap import CharMap
from nianbao.tagger.runtime import INT8_FILE, ONNX_FILE, OnnxBackend, TaggerSpec, pack, probe_tags
from nianbao.tagger.windows import plan_windows

PROBE_WINDOWS = 8


def quantize_int8(folder: str | Path) -> Path:
    """Write ``model.int8.onnx``: ``model.onnx`` with 7-bit int8 weights and dynamically quantised activations."""
    # local: onnx and onnxruntime.quantization load only for the export
    import onnx
    from onnxruntime.quantization import QuantType, quantize_dynamic

    folder = Path(folder)
    out = folder / INT8_FILE
    quantize_dynamic(str(folder / ONNX_FILE), str(out), weight_type=QuantType.QInt8, per_channel=True,
                     reduce_range=True, extra_options={"DefaultTensorType": onnx.TensorProto.FLOAT})
    return out


def probe_windows(folder: str | Path, texts: Sequence[str], n: int = PROBE_WINDOWS) -> list[np.ndarray]:
    """Up to ``n`` windows (``[CLS] ids [SEP]``) from ``texts``, spread over the texts and their positions."""
    spec, charmap = TaggerSpec.load(folder), CharMap.load(folder)
    cand: list[np.ndarray] = []
    for t in texts:
        ids = np.asarray(charmap.encode(t), dtype=np.int64)
        spans = plan_windows(len(ids), spec.window, spec.overlap)
        if spans:
            s, e = spans[len(cand) % len(spans)]
            cand.append(pack([ids[s:e]], charmap)[0][0])
    step = max(1, len(cand) // n)
    return cand[::step][:n]


def make_probe(folder: str | Path, texts: Sequence[str], backend: OnnxBackend | None = None) -> dict[str, Any]:
    """The probe stored in ``int8_verify.json``: windows of ``texts`` and the int8 model's argmax tags on them,
    computed as ``runtime.probe_ok`` recomputes them (one window per call)."""
    folder = Path(folder)
    windows = probe_windows(folder, texts)
    if not windows:
        return {"windows": [], "tags": []}
    backend = backend or OnnxBackend(folder / INT8_FILE, 1, name="onnx-int8")
    best = probe_tags(backend, windows)
    return {"windows": [w.tolist() for w in windows], "tags": [b.tolist() for b in best]}
