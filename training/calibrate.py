"""Refit the confidence calibration (``models/calibration.json``) on synthetic reports.

The runtime's confidence stage (``nianbao.rules.confidence``) only loads the fitted coefficients;
fitting them needs the synthetic corpus and the whole pipeline, so it lives here, above the runtime::

    .venv/bin/python -m nianbao.training.calibrate [N_DOCS] [SEED]

generates ``N_DOCS`` synthetic reports (``nianbao.training.synth_corpus``), runs the rule layer on
their rules-only tags and, where a model is shipped, on the model's tags, and writes the fitted
coefficients with ``fit_calibration``.
"""

from __future__ import annotations

import json
import math
import sys
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from nianbao.inputs import InputItem
from nianbao.pipeline import Pipeline, PipelineConfig
from nianbao.rules import run_rules
from nianbao.rules.confidence import CALIBRATION_PATH, FEATURES, document_features, load_calibration
from nianbao.tagger.runtime import default_model_dir
from nianbao.training.synth_corpus import generate_one


def fit_calibration(samples: Iterable[tuple[list[float], bool]], out: Path = CALIBRATION_PATH,
                    note: str = "") -> dict[str, Any]:
    """Fit the logistic calibration on (features, field is right) samples and save it as JSON."""
    from sklearn.linear_model import LogisticRegression  # local: scikit-learn costs seconds at import

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
    args = list(sys.argv[1:] if argv is None else argv)
    n_docs = int(args[0]) if args else 600
    seed = int(args[1]) if len(args) > 1 else 2027
    samples = synthetic_samples(n_docs, seed, use_model=False)
    note = f"synthetic seed {seed} (disjoint from the tagger's training seed), {n_docs} reports, rules-only tags"
    if default_model_dir().is_dir():
        samples += synthetic_samples(n_docs, seed, use_model=True)
        note += " + model tags"
    data = fit_calibration(samples, note=note)
    print(json.dumps({k: v for k, v in data.items() if k != "coef"}, ensure_ascii=False))


if __name__ == "__main__":
    main()
