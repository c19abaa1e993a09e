"""Per-field confidence: tagger probabilities and rule checks combined, calibrated on synthetic data.

Each field gets a feature vector (``features``): the tagger's mean tag probability over the cell
and its cell-start probability (absent in rules-only runs), how the cell was read (printed,
blank, a mark, cut from a glued run, or a blank cell that left no trace), the row label's match
score, the share of near-tied cuts, and how many of the template's identities through the field
hold or break, and which flags name it. A logistic model (Platt scaling over these features)
maps them to a probability; its coefficients are fitted on held-out synthetic reports with
scikit-learn and stored as JSON in ``models/calibration.json`` (no pickle).

Refit (after the tagger or the rules change) with::

    .venv/bin/python -m nianbao.rules.confidence [N_DOCS] [SEED]

which generates ``N_DOCS`` synthetic reports (``nianbao.training.synth_corpus``), runs the rule
layer on their rules-only tags and, where a model is shipped, on the model's tags, and writes the
fitted coefficients with ``fit_calibration``.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Sequence
from functools import cache
from pathlib import Path
from typing import Any

from nianbao.document import Document
from nianbao.labels.catalogue import invariants_for
from nianbao.rules.tables import Evidence
from nianbao.rules.validate import check

CALIBRATION_PATH = Path(__file__).resolve().parents[2] / "models" / "calibration.json"
FEATURES = ("model", "tag_logit", "start_logit", "label_score", "blank", "gap", "split", "mark",
            "log_posterior", "ambiguous", "unresolved", "inv_held", "inv_broken", "crosscheck", "no_checks",
            "rescued", "extra_values", "reader_agrees", "reader_disagrees")


def _logit(p: float | None) -> float:
    if p is None:
        return 0.0
    p = min(max(p, 1e-4), 1 - 1e-4)
    return math.log(p / (1 - p))


def features(fid: str, ev: Evidence, flags_by_field: dict[str, set[str]], held: dict[str, int],
             broken: dict[str, int]) -> list[float]:
    """The feature vector of one field, in the order of ``FEATURES``.

    >>> len(features("t3.total.total", Evidence(kind="cell"), {}, {}, {})) == len(FEATURES)
    True
    """
    codes = flags_by_field.get(fid, set())
    return [
        1.0 if ev.model else 0.0,
        _logit(ev.tag_prob) / 10,
        _logit(ev.start_prob) / 10,
        ev.label_score,
        1.0 if ev.kind == "blank" else 0.0,
        1.0 if ev.kind == "gap" else 0.0,
        1.0 if ev.kind == "split" and ev.alternatives > 1 else 0.0,
        1.0 if ev.kind == "mark" else 0.0,
        math.log(max(ev.posterior, 1e-6)),
        1.0 if "split.ambiguous" in codes else 0.0,
        1.0 if "split.unresolved" in codes else 0.0,
        float(min(held.get(fid, 0), 3)),
        float(min(broken.get(fid, 0), 3)),
        1.0 if "crosscheck.text_table" in codes else 0.0,
        1.0 if held.get(fid, 0) + broken.get(fid, 0) == 0 else 0.0,
        1.0 if ev.rescued else 0.0,
        1.0 if "table.extra_values" in codes else 0.0,
        1.0 if ev.agree is True else 0.0,
        1.0 if ev.agree is False else 0.0,
    ]


def document_features(doc: Document, evidence: dict[str, Evidence]) -> dict[str, list[float]]:
    """Feature vectors for every field of a rebuilt, validated document."""
    flags_by_field: dict[str, set[str]] = {}
    for f in doc.flags:
        for fid in f.fields:
            flags_by_field.setdefault(fid, set()).add(f.code)
    held: dict[str, int] = {}
    broken: dict[str, int] = {}
    for inv in invariants_for(frozenset(doc.fields)):
        if any(f not in doc.fields for f in inv.fields):
            continue
        target = broken if check(doc, inv) is not None else held
        for f in inv.fields:
            target[f] = target.get(f, 0) + 1
    return {fid: features(fid, ev, flags_by_field, held, broken) for fid, ev in evidence.items() if fid in doc.fields}


@cache
def load_calibration(path: Path = CALIBRATION_PATH) -> dict[str, Any]:
    """The fitted coefficients (``models/calibration.json``); a missing file is an error, not a guess."""
    if not path.is_file():
        raise FileNotFoundError(f"E_CALIBRATION: {path} is missing; fit it with "
                                "`.venv/bin/python -m nianbao.rules.confidence`")
    data = json.loads(path.read_text(encoding="utf-8"))
    if tuple(data["features"]) != FEATURES:
        raise ValueError(f"E_CALIBRATION: {path} was fitted on features {data['features']}, the code has "
                         f"{list(FEATURES)}; refit it")
    return data


def probability(x: Sequence[float], calib: dict[str, Any]) -> float:
    """The calibrated probability that a field is right, from its features.

    >>> probability([0.0] * 2, {"coef": [1.0, 1.0], "intercept": 0.0})
    0.5
    """
    z = calib["intercept"] + sum(c * v for c, v in zip(calib["coef"], x, strict=True))
    return 1.0 / (1.0 + math.exp(-max(min(z, 50.0), -50.0)))


def assign_confidence(doc: Document, evidence: dict[str, Evidence] | Any,
                      calib: dict[str, Any] | None = None) -> Document:
    """Pipeline stage: set ``confidence`` on every field from its features and the fitted calibration."""
    ev = getattr(evidence, "evidence", evidence)
    if not doc.fields:
        return doc
    calib = calib or load_calibration()
    for fid, x in document_features(doc, ev).items():
        doc.fields[fid].confidence = probability(x, calib)
    return doc


# ----------------------------------------------------------------- fitting
def fit_calibration(samples: Iterable[tuple[list[float], bool]], out: Path = CALIBRATION_PATH,
                    note: str = "") -> dict[str, Any]:
    """Fit the logistic calibration on (features, field is right) samples and save it as JSON."""
    from sklearn.linear_model import LogisticRegression

    xs, ys = [], []
    for x, y in samples:
        xs.append(x)
        ys.append(1 if y else 0)
    if len(set(ys)) < 2:
        raise ValueError("E_CALIBRATION: the samples need both right and wrong fields to fit a calibration")
    lr = LogisticRegression(C=1.0, max_iter=2000)
    lr.fit(xs, ys)
    data = {"method": "platt-logistic", "features": list(FEATURES), "coef": [float(c) for c in lr.coef_[0]],
            "intercept": float(lr.intercept_[0]), "n_samples": len(ys), "n_wrong": len(ys) - sum(ys),
            "note": note}
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(data, indent=1) + "\n", encoding="utf-8")
    load_calibration.cache_clear()
    return data


def synthetic_samples(n_docs: int, seed: int, use_model: bool) -> list[tuple[list[float], bool]]:
    """(features, right) for every field the rule layer outputs on ``n_docs`` synthetic reports."""
    from nianbao.inputs import InputItem
    from nianbao.pipeline import Pipeline, PipelineConfig
    from nianbao.rules import run_rules
    from nianbao.training.synth_corpus import generate_one

    pipe = Pipeline(PipelineConfig(use_model=use_model, fail_fast=True))
    out: list[tuple[list[float], bool]] = []
    for i in range(n_docs):
        gold = generate_one(seed, i)
        doc = pipe.start(InputItem(source=gold.name, data=gold.load_text().encode("utf-8")))
        pipe.tagger.tag([doc])
        doc, build = run_rules(doc)
        if build is None:
            continue
        for fid, x in document_features(doc, build.evidence).items():
            g = gold.fields.get(fid)
            out.append((x, g is not None and _same(g.value, doc.fields[fid].value)))
    return out


def _same(a: float | int | None, b: float | int | None) -> bool:
    if a is None or b is None:
        return a is None and b is None
    return math.isclose(float(a), float(b), abs_tol=1e-9)


def main(argv: Sequence[str] | None = None) -> None:
    """Fit ``models/calibration.json`` on synthetic reports (rules-only tags, plus the model's if shipped)."""
    import sys

    args = list(sys.argv[1:] if argv is None else argv)
    n_docs = int(args[0]) if args else 600
    seed = int(args[1]) if len(args) > 1 else 2027
    samples = synthetic_samples(n_docs, seed, use_model=False)
    note = f"synthetic seed {seed} (disjoint from the tagger's training seed), {n_docs} reports, rules-only tags"
    try:
        from nianbao.tagger.runtime import default_model_dir

        if default_model_dir().is_dir():
            samples += synthetic_samples(n_docs, seed, use_model=True)
            note += " + model tags"
    except (ImportError, AttributeError):
        pass
    data = fit_calibration(samples, note=note)
    print(json.dumps({k: v for k, v in data.items() if k != "coef"}, ensure_ascii=False))


if __name__ == "__main__":
    main()
