"""The model tagger at run time: load a tagger folder (safetensors only), tag batches of documents.

A tagger folder holds ``config.json`` (the transformers config, labels from
``nianbao.labels.tags``), ``model.safetensors``, ``charmap.json`` plus the saved
tokenizer, ``tagger.json`` (name, version, window, overlap) and optionally
``model.onnx`` with ``onnx_verify.json`` and its int8 quantisation
``model.int8.onnx`` with ``int8_verify.json`` (verified on real text by
``nianbao train export-onnx``; see ``nianbao.tagger.quantize``). Weights are read with safetensors
only: a folder that offers only pickled weights is refused, and no remote code
is ever run.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

import numpy as np
from pydantic import BaseModel, Field

from nianbao.document import Document, ModelInfo
from nianbao.errors import StageError
from nianbao.labels.tags import LABELS
from nianbao.resources import models_dir
from nianbao.tagger.charmap import CharMap
from nianbao.tagger.decode import decode
from nianbao.tagger.prose import needed_windows
from nianbao.tagger.windows import plan_windows, softmax, stitch

if TYPE_CHECKING:
    from nianbao.config import PipelineConfig

WEIGHTS_FILE = "model.safetensors"
ONNX_FILE = "model.onnx"
VERIFY_FILE = "onnx_verify.json"
TAGGER_FILE = "tagger.json"
PICKLE_FILES = ("pytorch_model.bin", "model.bin", "pytorch_model.pt", "model.pt", "model.ckpt", "tf_model.h5")
DEFAULT_MODEL_NAME = "nianbao-tagger"
INT8_FILE = "model.int8.onnx"
INT8_VERIFY_FILE = "int8_verify.json"
RUNTIMES = ("auto", "torch", "onnx", "onnx-int8")
DEVICES = ("cpu", "cuda")
# the logits of a character no tagged window covers: O with probability 1 after the softmax
PROSE_LOGITS = np.array([0.0] + [-1e4] * (len(LABELS) - 1), dtype=np.float32)


class TaggerSpec(BaseModel):
    """``tagger.json``: what the runtime needs beyond the transformers config."""

    schema_: str = Field("nianbao.tagger/1", alias="schema")
    name: str = DEFAULT_MODEL_NAME
    version: str = "0.0.0"
    window: int = Field(510, description="characters per window (the model sees window + 2 with [CLS]/[SEP])")
    overlap: int = Field(128, description="characters shared by consecutive windows")
    window_batch: int = Field(16, description="windows per forward pass")
    labels: list[str] = Field(default_factory=lambda: list(LABELS))

    model_config = {"populate_by_name": True}

    def save(self, folder: str | Path) -> None:
        """Write ``tagger.json`` into ``folder``."""
        Path(folder, TAGGER_FILE).write_text(self.model_dump_json(by_alias=True, indent=2) + "\n", encoding="utf-8")

    @classmethod
    def load(cls, folder: str | Path) -> TaggerSpec:
        """Read ``tagger.json``; its labels must be today's tag set."""
        path = Path(folder, TAGGER_FILE)
        if not path.is_file():
            raise StageError("E_MODEL_MISSING", "tag", f"{path} missing: not a nianbao tagger folder")
        spec = cls.model_validate_json(path.read_text(encoding="utf-8"))
        if tuple(spec.labels) != LABELS:
            raise StageError("E_MODEL_LABELS", "tag",
                             f"{path} was trained for labels {spec.labels}, this nianbao has {list(LABELS)}: retrain")
        return spec


def default_model_dir() -> Path:
    """The shipped model: ``$NIANBAO_MODEL_DIR`` or ``nianbao-tagger`` in the installed ``nianbao.models``."""
    env = os.environ.get("NIANBAO_MODEL_DIR")
    if env:
        return Path(env)
    return models_dir() / DEFAULT_MODEL_NAME


def file_sha256(path: str | Path) -> str:
    """Hex sha256 of a file's bytes."""
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def check_weights(folder: str | Path) -> Path:
    """The folder's safetensors weights; refuses folders that only offer pickled weights."""
    folder = Path(folder)
    weights = folder / WEIGHTS_FILE
    if weights.is_file():
        return weights
    pickled = [p for p in PICKLE_FILES if (folder / p).exists()]
    if pickled:
        raise StageError("E_MODEL_PICKLE", "tag",
                         f"{folder} offers only pickled weights ({', '.join(pickled)}); nianbao loads safetensors "
                         "only. Convert once in a trusted environment: model.save_pretrained(dir) writes "
                         f"{WEIGHTS_FILE}.")
    raise StageError("E_MODEL_MISSING", "tag", f"{weights} missing: train a model (nianbao train fit) or pass "
                     "--model DIR")


def load_torch_model(folder: str | Path, for_training: bool = False):  # noqa: ANN201 - a transformers model
    """The token-classification model of ``folder``: config from JSON, weights from safetensors, eager attention."""
    # local: safetensors.torch imports torch (seconds at start-up); transformers costs seconds at start-up
    from safetensors.torch import load_file
    from transformers import AutoConfig, AutoModelForTokenClassification

    weights = check_weights(folder)
    config = AutoConfig.from_pretrained(str(folder), trust_remote_code=False)
    model = AutoModelForTokenClassification.from_config(config, attn_implementation="eager",
                                                        trust_remote_code=False)
    state = load_file(str(weights))
    missing, unexpected = model.load_state_dict(state, strict=False)
    missing = [k for k in missing if not k.endswith("position_ids")]
    if missing or unexpected:
        raise StageError("E_MODEL_WEIGHTS", "tag",
                         f"{weights} does not fit its config: missing {missing[:5]}, unexpected {unexpected[:5]}")
    if not for_training:
        model.eval()
    return model


class Backend(Protocol):
    """Runs the network: ids and mask [B, T] (int64) -> logits [B, T, L] (float32)."""

    name: str

    def logits(self, ids: np.ndarray, mask: np.ndarray) -> np.ndarray:
        """Logits for a padded batch."""
        ...


class TorchBackend:
    """The reference runtime: the transformers model under ``torch.inference_mode`` (float32, CPU or CUDA)."""

    name = "torch"

    def __init__(self, folder: str | Path, device: str = "cpu", threads: int = 0) -> None:
        if threads:  # one worker process per core: one thread each, no oversubscription
            # local: torch costs seconds at start-up; only the torch runtime needs it
            import torch

            torch.set_num_threads(threads)
        self.model = load_torch_model(folder)
        self.device = device
        if device != "cpu":
            self.model.to(device)
        self.vocab_size = int(self.model.config.vocab_size)
        self.max_positions = int(getattr(self.model.config, "max_position_embeddings", 512))

    def logits(self, ids: np.ndarray, mask: np.ndarray) -> np.ndarray:
        """Logits for a padded batch."""
        # local: torch costs seconds at start-up; only the model path needs it
        import torch

        with torch.inference_mode():
            out = self.model(input_ids=torch.from_numpy(ids).to(self.device),
                             attention_mask=torch.from_numpy(mask).to(self.device))
        return out.logits.float().cpu().numpy()


def cuda_available() -> tuple[bool, str]:
    """Whether torch sees a CUDA GPU; and, when not, why (the message a ``--device cuda`` run prints)."""
    # local: torch costs seconds at start-up; only the model path needs it
    import torch

    if not torch.backends.cuda.is_built():
        return False, f"this torch ({torch.__version__}) is built without CUDA"
    if not torch.cuda.is_available():
        return False, "torch.cuda.is_available() is False (no CUDA GPU or driver on this machine)"
    return True, torch.cuda.get_device_name(0)


# ONNX Runtime's SkipLayerNormalization kernel (a residual Add and its LayerNormalization in one) is slower than
# the two apart on the CPUs measured (evaluation/bench_quant): the export leaves them apart (onnx_export) and
# the session must not fuse them again.
UNFUSED_AT_LOAD = ("SkipLayerNormFusion",)


def onnx_session(path: str | Path, threads: int = 0, save_optimised: Path | None = None,
                 disabled: Sequence[str] = UNFUSED_AT_LOAD) -> Any:
    """An ONNX Runtime CPU session on ``path`` as the tagger runs it: every graph optimisation but ``disabled``,
    ``threads`` intra-op threads (0: ONNX Runtime's default); ``save_optimised`` writes the graph the session
    runs."""
    # local: onnxruntime loads only for the ONNX runtime
    import onnxruntime as ort

    opts = ort.SessionOptions()
    opts.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    if threads:  # one worker process per core: one thread each, no oversubscription
        opts.intra_op_num_threads = threads
        opts.inter_op_num_threads = 1
    if save_optimised is not None:
        opts.optimized_model_filepath = str(save_optimised)
    return ort.InferenceSession(str(path), opts, providers=["CPUExecutionProvider"],
                                disabled_optimizers=list(disabled))


class OnnxBackend:
    """The fast runtime: the fused ONNX export under ONNX Runtime (CPU)."""

    name = "onnx"

    def __init__(self, path: str | Path, threads: int = 0, name: str = "onnx",
                 disabled: Sequence[str] = UNFUSED_AT_LOAD) -> None:
        self.name = name
        self.threads = threads  # intra-op threads (0: ONNX Runtime's default)
        self.session = onnx_session(path, threads, disabled=disabled)
        self.inputs = {i.name for i in self.session.get_inputs()}

    def logits(self, ids: np.ndarray, mask: np.ndarray) -> np.ndarray:
        """Logits for a padded batch."""
        feed = {"input_ids": ids, "attention_mask": mask}
        if "token_type_ids" in self.inputs:
            feed["token_type_ids"] = np.zeros_like(ids)
        return self.session.run(["logits"], {k: v for k, v in feed.items() if k in self.inputs})[0]


def _verified(folder: Path, verify_name: str, hashed: dict[str, str],
              failed: Callable[[dict[str, Any], Path], str]) -> tuple[bool, str]:
    """Whether the first of ``hashed``'s files exists, ``verify_name`` records a passed verification, and every
    file in ``hashed`` (verification key -> file name) still has the recorded sha256; and why not.
    ``failed(record, path)`` words a failed verification."""
    names = list(hashed.values())
    path, verify_path = folder / names[0], folder / verify_name
    if not path.is_file():
        return False, f"{path} missing"
    if not verify_path.is_file():
        return False, f"{verify_path} missing"
    v = json.loads(verify_path.read_text(encoding="utf-8"))
    if not v.get("passed"):
        return False, failed(v, verify_path)
    if any(v.get(key) != file_sha256(folder / name) for key, name in hashed.items()):
        return False, f"{', '.join(names[:-1])} or {names[-1]} changed since verification"
    return True, "verified"


def onnx_verified(folder: str | Path) -> tuple[bool, str]:
    """Whether ``model.onnx`` exists, passed verification, and both files are the verified ones; and why not."""
    return _verified(Path(folder), VERIFY_FILE, {"onnx_sha256": ONNX_FILE, "weights_sha256": WEIGHTS_FILE},
                     lambda v, _: f"export's probabilities differ from torch's by {v.get('max_abs_diff_probs')} > "
                                  f"{v.get('tolerance')}")


def int8_verified(folder: str | Path) -> tuple[bool, str]:
    """Whether ``model.int8.onnx`` exists, passed its verification on real text, and is the verified file
    of the verified float export and weights; and why not."""
    return _verified(Path(folder), INT8_VERIFY_FILE,
                     {"int8_sha256": INT8_FILE, "onnx_sha256": ONNX_FILE, "weights_sha256": WEIGHTS_FILE},
                     lambda v, p: f"int8 verification failed: {v.get('why', 'see ' + str(p))}")


def probe_tags(backend: Backend, windows: Sequence[np.ndarray]) -> list[np.ndarray]:
    """Argmax tags of each (already encoded) window, one window per call as the int8 runtime tags them."""
    out = []
    for w in windows:
        ids = np.asarray(w, dtype=np.int64)[None, :]
        out.append(backend.logits(ids, np.ones_like(ids)).argmax(-1)[0])
    return out


def probe_ok(folder: str | Path, backend: Backend) -> tuple[bool, str]:
    """Whether ``backend`` reproduces the argmax tags stored in ``int8_verify.json``'s probe windows.

    int8 kernels differ between CPUs (VNNI or not, saturation on plain AVX2), so the tags the export
    verified are re-checked on the machine that runs them, on a few windows (milliseconds).
    """
    v = json.loads(Path(folder, INT8_VERIFY_FILE).read_text(encoding="utf-8"))
    probe = v.get("probe") or {}
    windows, tags = probe.get("windows") or [], probe.get("tags") or []
    if not windows or len(windows) != len(tags):
        return False, "int8_verify.json holds no probe windows"
    best = probe_tags(backend, [np.asarray(w, dtype=np.int64) for w in windows])
    diff = sum(int((b != np.asarray(t)).sum()) for b, t in zip(best, tags, strict=True))
    if diff:
        return False, f"this CPU's int8 kernels change {diff} of the stored probe tags"
    return True, f"reproduces the stored tags of {len(windows)} probe windows"


def choose_runtime(folder: str | Path, requested: str) -> str:
    """``torch``, ``onnx`` or ``onnx-int8`` for a requested runtime, from the files' verification alone.

    ``auto`` takes the int8 model when its verification on real text passed, else the float ONNX export
    when its probabilities were verified against torch within the tolerance recorded in
    ``onnx_verify.json``, else torch. ``ModelTagger`` also checks the int8 model's probe tags on load
    and falls back to float ONNX when this CPU does not reproduce them.
    """
    if requested not in RUNTIMES:
        raise StageError("E_RUNTIME", "tag", f"runtime {requested!r}: expected one of {RUNTIMES}")
    if requested == "torch":
        return "torch"
    ok, why = onnx_verified(folder)
    if requested in ("onnx", "onnx-int8") and not ok:
        raise StageError("E_ONNX_UNVERIFIED", "tag",
                         f"--runtime {requested}: {why}; run `nianbao train export-onnx {folder}`")
    if requested == "onnx-int8" or (requested == "auto" and ok):
        ok8, why8 = int8_verified(folder)
        if requested == "onnx-int8" and not ok8:
            raise StageError("E_INT8_UNVERIFIED", "tag",
                             f"--runtime onnx-int8: {why8}; run `nianbao train export-onnx {folder}`")
        if ok8:
            return "onnx-int8"
    return "onnx" if ok else "torch"


def load_backend(folder: str | Path, requested: str = "auto", threads: int = 0,
                 device: str = "cpu", build_torch: bool = True) -> tuple[Backend | None, str]:
    """The network a run gets, and a one-line note of how it was chosen (for the run's summary).

    ``device="cuda"`` runs the torch runtime on the GPU (``auto`` then means torch); without a GPU it
    falls back to the CPU runtimes and the note says why. An int8 model whose probe tags this CPU does not
    reproduce is replaced by the float ONNX model under ``auto`` and refused under ``onnx-int8``.
    ``build_torch=False`` returns None instead of loading a torch model (the note alone, for a summary).
    """
    folder = Path(folder)
    if device not in DEVICES:
        raise StageError("E_RUNTIME", "tag", f"device {device!r}: expected one of {DEVICES}")
    notes: list[str] = []
    if device == "cuda":
        if requested not in ("auto", "torch"):
            raise StageError("E_RUNTIME", "tag", f"--device cuda runs the torch runtime, not {requested}")
        ok, why = cuda_available()
        if ok:
            return TorchBackend(folder, "cuda") if build_torch else None, f"torch on cuda ({why}), float32"
        notes.append(f"--device cuda: {why}; falling back to the CPU")
    runtime = choose_runtime(folder, requested)
    if runtime == "onnx-int8":
        backend = OnnxBackend(folder / INT8_FILE, threads, name="onnx-int8")
        ok, why = probe_ok(folder, backend)
        if ok:
            notes.append(f"onnx-int8 (verified on real text; {why})")
            return backend, "; ".join(notes)
        if requested == "onnx-int8":
            raise StageError("E_INT8_MISMATCH", "tag", f"--runtime onnx-int8: {why}; use --runtime onnx")
        notes.append(f"int8 not used: {why}; float ONNX instead")
        runtime = "onnx"
    if runtime == "onnx":
        notes.append("onnx (float32, verified against torch)")
        return OnnxBackend(folder / ONNX_FILE, threads), "; ".join(notes)
    notes.append("torch on cpu (float32)" + ("" if requested == "torch" else f": {onnx_verified(folder)[1]}"))
    return TorchBackend(folder, threads=threads) if build_torch else None, "; ".join(notes)


def runtime_summary(config: PipelineConfig) -> str:
    """How a run's workers pick their tagger runtime (the same checks, no torch model loaded): one line."""
    if not config.use_model:
        return "rules-only reader (--no-model)"
    folder = Path(config.model_dir) if config.model_dir else default_model_dir()
    try:
        return "tagger runtime: " + load_backend(folder, config.runtime, 1, config.device, build_torch=False)[1]
    except StageError as exc:
        return f"tagger runtime: {exc}"


class ModelTagger:
    """Tags documents with a trained model: sliding windows, stitched logits, constrained decoding."""

    def __init__(self, folder: str | Path, runtime: str = "auto", window_batch: int | None = None,
                 threads: int = 0, device: str = "cpu", skip_prose: bool = False) -> None:
        self.folder = Path(folder)
        self.skip_prose = skip_prose  # leave windows that hold only prose untagged (nianbao.tagger.prose)
        self.spec = TaggerSpec.load(self.folder)
        self.charmap = CharMap.load(self.folder)
        weights = check_weights(self.folder)
        backend, self.runtime_note = load_backend(self.folder, runtime, threads, device)
        assert backend is not None  # build_torch is on
        self.backend: Backend = backend
        self.runtime = backend.name
        self._asked = window_batch
        self._window_batch = window_batch or self.spec.window_batch
        self.info = ModelInfo(name=self.spec.name, version=self.spec.version, sha256=file_sha256(weights),
                              runtime=self.runtime)

    @property
    def window_batch(self) -> int:
        """Windows per forward pass, derived from the backend (a tagger given another backend follows it).

        - int8: one window per call. Its activations are quantised per call over the whole batch, so windows
          batched together would make a document's tags depend on its neighbours (and on batch size, resume,
          retries); one window per call is also the fastest here (evaluation/bench_quant).
        - float ONNX on one thread, as every worker runs it: one window per call too, unless a batch was asked
          for. The probabilities are the same, and 16 windows a call took 1.16x the time here (a window's
          activations stay in the core's cache).
        - otherwise (torch; a session of several threads, which share each call's work): the asked or the
          model's ``window_batch``.
        """
        name = self.backend.name
        if name == "onnx-int8" or (name == "onnx" and self._asked is None and getattr(self.backend, "threads", 0) == 1):
            return 1
        return self._window_batch

    def tag(self, docs: list[Document]) -> list[Document]:
        """Set ``tags``, ``char_probs`` and ``model`` on each document; return them."""
        for doc, probs in zip(docs, self.probabilities([d.norm_text for d in docs]), strict=True):
            doc.char_probs = probs
            doc.tags = decode(doc.norm_text, probs)
            doc.model = self.info
        return docs

    def plan(self, texts: Sequence[str]) -> tuple[list[np.ndarray], list[tuple[int, int, int]]]:
        """Each text's ids and the windows the network runs: ``(text index, start, end)``, every window of
        ``plan_windows`` but, with ``skip_prose``, those holding only prose (``nianbao.tagger.prose``)."""
        encoded = [self.charmap.encode_array(t) for t in texts]
        jobs = []
        for k, (text, ids) in enumerate(zip(texts, encoded, strict=True)):
            windows = plan_windows(len(ids), self.spec.window, self.spec.overlap)
            keep = needed_windows(text, windows) if self.skip_prose else [True] * len(windows)
            jobs += [(k, s, e) for (s, e), kept in zip(windows, keep, strict=True) if kept]
        return encoded, jobs

    def probabilities(self, texts: Sequence[str]) -> list[np.ndarray]:
        """Per-character label probabilities [len(text), len(LABELS)] for each text (batched windows)."""
        encoded, jobs = self.plan(texts)
        order = sorted(range(len(jobs)), key=lambda j: jobs[j][1] - jobs[j][2])  # longest first
        window_logits: list[np.ndarray | None] = [None] * len(jobs)
        batches = [order[b:b + self.window_batch] for b in range(0, len(order), self.window_batch)]
        # every batch packed before the network runs: between its calls only the call itself (the Python
        # around a call runs with the caches the network just filled with its own weights)
        packed = [pack([encoded[jobs[j][0]][jobs[j][1]:jobs[j][2]] for j in batch], self.charmap) for batch in batches]
        logits_of = self.backend.logits
        outputs = [logits_of(ids, mask) for ids, mask in packed]
        for batch, logits in zip(batches, outputs, strict=True):
            for r, j in enumerate(batch):
                window_logits[j] = logits[r, 1:1 + jobs[j][2] - jobs[j][1]]
        per_doc: list[list[int]] = [[] for _ in encoded]
        for j, (k, _, _) in enumerate(jobs):
            per_doc[k].append(j)
        out = []
        for ids, mine in zip(encoded, per_doc, strict=True):
            if not len(ids):
                out.append(np.zeros((0, len(LABELS)), dtype=np.float32))
                continue
            stitched = stitch(len(ids), [jobs[j][1:] for j in mine], [window_logits[j] for j in mine],
                              fill=PROSE_LOGITS if self.skip_prose else None)
            out.append(softmax(stitched))
        return out


def pack(windows: Sequence[np.ndarray], charmap: CharMap) -> tuple[np.ndarray, np.ndarray]:
    """A padded batch ``[CLS] ids [SEP] [PAD]...`` and its attention mask.

    >>> cm = CharMap.default()
    >>> ids, mask = pack([np.array([10, 11]), np.array([12])], cm)
    >>> ids.tolist() == [[cm.cls_id, 10, 11, cm.sep_id], [cm.cls_id, 12, cm.sep_id, cm.pad_id]], mask.tolist()
    (True, [[1, 1, 1, 1], [1, 1, 1, 0]])
    """
    width = max(len(w) for w in windows) + 2
    ids = np.full((len(windows), width), charmap.pad_id, dtype=np.int64)
    mask = np.zeros((len(windows), width), dtype=np.int64)
    for r, w in enumerate(windows):
        ids[r, 0], ids[r, 1:1 + len(w)], ids[r, 1 + len(w)] = charmap.cls_id, w, charmap.sep_id
        mask[r, :len(w) + 2] = 1
    return ids, mask


def load_model_tagger(config: PipelineConfig) -> ModelTagger:
    """The model tagger a pipeline config asks for (its ``model_dir`` or the shipped model, its runtime)."""
    folder = Path(config.model_dir) if config.model_dir else default_model_dir()
    if not folder.is_dir():
        raise StageError("E_MODEL_MISSING", "tag",
                         f"model folder {folder} not found: pass --model DIR, set NIANBAO_MODEL_DIR, "
                         "or use --no-model for the rules-only reader")
    return ModelTagger(folder, runtime=config.runtime, threads=config.threads, device=config.device,
                       skip_prose=config.skip_prose)
