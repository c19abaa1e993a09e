"""Verify the int8 tagger against the float ONNX model on real text; write ``int8_verify.json``.

The criterion (written into the file and the model card): on every labelled real
report (``labels/gold`` with their texts in ``shared/corpus``) and on the
synthetic test set (``synth_testset --per-style 30 --seed 99``), with the rules
after the tagger,

* the records of ``Pipeline(runtime=onnx-int8)`` hold the same readings as
  those of ``Pipeline(runtime=onnx)`` on every document: status, template,
  meta, sections, and every field's value and unit;
* scored against gold (``evaluation.score``), int8 leaves no more silent
  errors (a wrong or spurious value without a flag) than the float model, on
  each set; and
* the tagger's entity micro F1 against gold is within ``F1_TOLERANCE`` of the
  float model's on each of the two sets.

Flags, field spans and confidences may move (a confidence is a calibrated
probability, and a flag such as ``split.unpinned`` follows it): the records
whose flags or spans differ and the largest confidence change are recorded.

Otherwise the file says ``passed: false`` and ``--runtime auto`` keeps the float
model. The labelled held-out reports take part as a guard only (int8 must change
nothing on them), never to choose anything.
"""

from __future__ import annotations

import json
import tempfile
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import onnxruntime

from nianbao.batch.engine import chunked
from nianbao.config import PipelineConfig
from nianbao.evaluation.score import parse_records, score_run
from nianbao.evaluation.synth_testset import write_testset
from nianbao.evaluation.tagger_eval import evaluate_tagger
from nianbao.inputs import InputItem, iter_inputs
from nianbao.labels.gold import GOLD_DIR, GoldDoc, default_corpus_root, load_gold
from nianbao.normalise import normalise_text
from nianbao.pipeline import Pipeline
from nianbao.tagger.quantize import make_probe, quantize_int8
from nianbao.tagger.runtime import (
    INT8_FILE,
    INT8_VERIFY_FILE,
    ONNX_FILE,
    WEIGHTS_FILE,
    ModelTagger,
    OnnxBackend,
    file_sha256,
)

F1_TOLERANCE = 0.001
CRITERION = ("on every labelled real report and every synthetic test document, the pipeline with the int8 tagger "
             "gives the float ONNX tagger's status, template, meta, sections and field values and units; scored "
             "against gold, no more silent errors than the float model; and tagger entity micro F1 within "
             f"{F1_TOLERANCE} of the float model's, on each set (flags, spans and confidences may move: counted)")


@dataclass
class SetResult:
    """One evaluation set: documents, records that differ (and in which keys), entity F1 of both runtimes."""

    name: str
    docs: int
    records_differing: int  # in a reading: status, template, meta, sections, field values or units
    differing_keys: dict[str, int]
    f1_float: float
    f1_int8: float
    silent_float: int
    silent_int8: int
    records_other_changes: int  # flags or field spans only
    other_keys: dict[str, int]
    max_confidence_diff: float
    examples: list[str] = field(default_factory=list)


def _int8_tagger(folder: Path, threads: int) -> ModelTagger:
    """A tagger running ``model.int8.onnx`` before it is verified (the probe check comes after)."""
    tagger = ModelTagger(folder, runtime="onnx", threads=threads)
    tagger.backend = OnnxBackend(folder / INT8_FILE, threads, name="onnx-int8")
    tagger.runtime, tagger.runtime_note = "onnx-int8", "onnx-int8 (being verified)"
    tagger.info = tagger.info.model_copy(update={"runtime": "onnx-int8"})
    return tagger


def _records(tagger: ModelTagger, items: list[InputItem], batch_size: int) -> list[dict[str, Any]]:
    """Parse ``items`` in batches as a ``LocalEngine`` worker does; records without their ``model`` key."""
    pipe = Pipeline(PipelineConfig(model_dir=tagger.folder, runtime="onnx", threads=1, batch_size=batch_size))
    pipe._tagger = tagger
    out = []
    for chunk in chunked(iter(items), batch_size):
        for doc in pipe.process_batch(chunk):
            rec = doc.to_record()
            rec.pop("model", None)
            out.append(rec)
    return out


def compare_set(name: str, gold: list[GoldDoc], texts: dict[str, str], items: list[InputItem],
                taggers: dict[str, ModelTagger], batch_size: int = 8) -> SetResult:
    """Float vs int8 on one set: records key by key, and entity F1 against gold."""
    f1 = {rt: evaluate_tagger(gold, t, normalise_text, texts).summary["entity"].get("micro avg", {}).get("f1", 0.0)
          for rt, t in taggers.items()}
    recs = {rt: _records(t, items, batch_size) for rt, t in taggers.items()}
    keys: dict[str, int] = {}
    other: dict[str, int] = {}
    differing, others, examples = 0, 0, []
    conf = 0.0
    for a, b in zip(recs["onnx"], recs["onnx-int8"], strict=True):
        diff, d_conf = record_diff(a, b)
        conf = max(conf, d_conf)
        reading = reading_diff(a, b)
        if reading:
            differing += 1
            examples.append(f"{a.get('source')}: {', '.join(reading)}")
            for k in reading:
                keys[k] = keys.get(k, 0) + 1
        elif diff:
            others += 1
            for k in diff:
                other[k] = other.get(k, 0) + 1
    silent = {rt: sum(f.silent for f in score_run(gold, parse_records(json.dumps(r) for r in rs)).field_results())
              for rt, rs in recs.items()}
    return SetResult(name=name, docs=len(items), records_differing=differing, differing_keys=keys,
                     f1_float=f1["onnx"], f1_int8=f1["onnx-int8"], silent_float=silent["onnx"],
                     silent_int8=silent["onnx-int8"], records_other_changes=others, other_keys=other,
                     max_confidence_diff=conf, examples=examples[:10])


READING_KEYS = ("status", "template", "meta", "sections", "error")


def reading_diff(a: dict[str, Any], b: dict[str, Any]) -> list[str]:
    """What two records read differently: status, template, meta, sections, error, field values and units.

    >>> a = {"status": "ok", "fields": {"x": {"value": 1, "confidence": 0.9, "span": [0, 1]}}, "flags": []}
    >>> reading_diff(a, {**a, "flags": [{"code": "c"}]}), reading_diff(a, {**a, "fields": {}})
    ([], ['fields'])
    """
    keys = [k for k in READING_KEYS if a.get(k) != b.get(k)]

    def values(r: dict[str, Any]) -> dict[str, Any]:
        return {k: (v.get("value"), v.get("unit")) for k, v in (r.get("fields") or {}).items()}

    return keys + (["fields"] if values(a) != values(b) else [])


def _strip_conf(rec: dict[str, Any]) -> tuple[dict[str, Any], dict[str, float]]:
    """A record without its confidences (fields and flag alternatives), and the field confidences."""
    fields = {k: {x: y for x, y in v.items() if x != "confidence"} for k, v in (rec.get("fields") or {}).items()}
    conf = {k: float(v.get("confidence") or 0.0) for k, v in (rec.get("fields") or {}).items()}
    flags = [{**f, "alternatives": [{x: y for x, y in a.items() if x != "confidence"}
                                    for a in f.get("alternatives") or []]} for f in rec.get("flags") or []]
    return {**rec, "fields": fields, "flags": flags}, conf


def record_diff(a: dict[str, Any], b: dict[str, Any]) -> tuple[list[str], float]:
    """The keys in which two records differ beyond their confidences, and the largest field confidence change.

    >>> record_diff({"fields": {"x": {"value": 1, "confidence": 0.9}}}, {"fields": {"x": {"value": 1,
    ...             "confidence": 0.8}}})
    ([], 0.1)
    """
    (sa, ca), (sb, cb) = _strip_conf(a), _strip_conf(b)
    keys = sorted(k for k in set(sa) | set(sb) if sa.get(k) != sb.get(k))
    conf = max((abs(ca[k] - cb[k]) for k in ca.keys() & cb.keys()), default=0.0)
    return keys, round(conf, 6)


def real_set(corpus_root: Path) -> tuple[list[GoldDoc], dict[str, str], list[InputItem]]:
    """The labelled real reports whose text is in ``corpus_root``: gold, texts by name, input items."""
    gold = [g for g in load_gold(GOLD_DIR) if g.source and (corpus_root / g.source).is_file()]
    texts = {g.name: g.load_text(corpus_root) for g in gold}
    items = [i for g in gold for i in iter_inputs([corpus_root / g.source])]
    return gold, texts, items


def synth_set(tmp: Path, per_style: int, seed: int) -> tuple[list[GoldDoc], dict[str, str], list[InputItem]]:
    """The synthetic test set (``synth_testset``), generated into ``tmp``."""
    write_testset(tmp, per_style, seed)
    gold = load_gold(tmp / "gold")
    return gold, {g.name: g.text or "" for g in gold}, list(iter_inputs([tmp / "docs.jsonl"]))


def verify_int8(folder: str | Path, corpus_root: Path | None = None, per_style: int = 30, seed: int = 99,
                quantize: bool = True, threads: int = 1) -> dict[str, Any]:
    """Quantise ``folder``'s verified float export (unless ``quantize=False``), verify it on real and synthetic
    text, store the verdict and the load-time probe in ``int8_verify.json``; return the verdict."""
    folder = Path(folder)
    if quantize:
        quantize_int8(folder)
    corpus_root = corpus_root or default_corpus_root()
    taggers = {"onnx": ModelTagger(folder, runtime="onnx", threads=threads), "onnx-int8": _int8_tagger(folder, threads)}
    sets: list[SetResult] = []
    why: list[str] = []
    with tempfile.TemporaryDirectory(prefix="nianbao-int8-") as tmp:
        real = real_set(corpus_root) if corpus_root.is_dir() else ([], {}, [])
        if not real[0]:
            why.append(f"no labelled real report found under {corpus_root}")
        else:
            sets.append(compare_set("real", *real, taggers))
        synth = synth_set(Path(tmp), per_style, seed)
        sets.append(compare_set("synthetic", *synth, taggers))
        probe = make_probe(folder, [t for t in synth[1].values()], taggers["onnx-int8"].backend)
    for s in sets:
        if s.records_differing:
            why.append(f"{s.records_differing} of {s.docs} {s.name} records read differently "
                       f"({', '.join(s.differing_keys)})")
        if s.silent_int8 > s.silent_float:
            why.append(f"{s.name}: {s.silent_int8} silent errors against the float model's {s.silent_float}")
        if s.f1_int8 < s.f1_float - F1_TOLERANCE:
            why.append(f"{s.name} entity F1 {s.f1_int8:.4f} < float {s.f1_float:.4f} - {F1_TOLERANCE}")
    verdict = {"int8_sha256": file_sha256(folder / INT8_FILE), "onnx_sha256": file_sha256(folder / ONNX_FILE),
               "weights_sha256": file_sha256(folder / WEIGHTS_FILE), "criterion": CRITERION,
               "f1_tolerance": F1_TOLERANCE, "synthetic_test_set": {"per_style": per_style, "seed": seed},
               "sets": [asdict(s) for s in sets], "passed": not why, "why": "; ".join(why) or None,
               "onnxruntime": onnxruntime.__version__, "probe": probe}
    (folder / INT8_VERIFY_FILE).write_text(_dump(verdict), encoding="utf-8")
    return verdict


def _dump(verdict: dict[str, Any]) -> str:
    """JSON with the probe's long id and tag lists each on one line."""
    probe = verdict["probe"]
    head = json.dumps({k: v for k, v in verdict.items() if k != "probe"}, indent=2)[:-2]
    rows: Iterable[str] = (
        '    "windows": [\n' + ",\n".join("      " + json.dumps(w) for w in probe["windows"]) + "\n    ],\n",
        '    "tags": [\n' + ",\n".join("      " + json.dumps(t) for t in probe["tags"]) + "\n    ]\n")
    return head + ',\n  "probe": {\n' + "".join(rows) + "  }\n}\n"
