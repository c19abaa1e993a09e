"""Per-field confidence: tagger probabilities and rule checks combined, calibrated on synthetic data.

Each field gets a feature vector (``features``): the tagger's mean tag probability over the cell
and its cell-start probability (absent in rules-only runs), how the cell was read (printed,
blank, a mark, cut from a glued run, or a blank cell that left no trace), the row label's match
score, the share of near-tied cuts, and how many of the template's identities through the field
hold or break, and which flags name it. A logistic model (Platt scaling over these features)
maps them to a probability; its coefficients are fitted on held-out synthetic reports with
scikit-learn and stored as JSON in ``models/calibration.json`` (no pickle).

The runtime only loads that file. Refit it (after the tagger or the rules change) with::

    .venv/bin/python -m nianbao.training.calibrate [N_DOCS] [SEED]

(``nianbao/training/calibrate.py``: fitting lives with training, above the runtime).
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from functools import cache
from operator import mul
from pathlib import Path
from typing import Any

from nianbao.document import Document
from nianbao.resources import models_dir
from nianbao.rules.evidence import Evidence
from nianbao.rules.validate import applicable, check

CALIBRATION_PATH = models_dir() / "calibration.json"
FEATURES = ("model", "tag_logit", "start_logit", "label_score", "blank", "gap", "split", "mark",
            "log_posterior", "ambiguous", "unresolved", "inv_held", "inv_broken", "crosscheck", "no_checks",
            "rescued", "extra_values", "reader_agrees", "reader_disagrees")


def _logit(p: float | None) -> float:
    if p is None:
        return 0.0
    p = min(max(p, 1e-4), 1 - 1e-4)
    return math.log(p / (1 - p))


_NO_CODES: frozenset[str] = frozenset()


def features(fid: str, ev: Evidence, flags_by_field: dict[str, set[str]], held: dict[str, int],
             broken: dict[str, int]) -> list[float]:
    """The feature vector of one field, in the order of ``FEATURES``.

    >>> len(features("t3.total.total", Evidence(kind="cell"), {}, {}, {})) == len(FEATURES)
    True
    """
    codes = flags_by_field.get(fid, _NO_CODES)
    n_held, n_broken = held.get(fid, 0), broken.get(fid, 0)
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
        float(min(n_held, 3)),
        float(min(n_broken, 3)),
        1.0 if "crosscheck.text_table" in codes else 0.0,
        1.0 if n_held + n_broken == 0 else 0.0,
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
    for inv in applicable(frozenset(doc.fields)):
        if any(f not in doc.fields for f in inv.fields):
            continue
        target = broken if check(doc, inv) is not None else held
        for fid_ in inv.fields:
            target[fid_] = target.get(fid_, 0) + 1
    return {fid: features(fid, ev, flags_by_field, held, broken) for fid, ev in evidence.items() if fid in doc.fields}


@cache
def load_calibration(path: Path = CALIBRATION_PATH) -> dict[str, Any]:
    """The fitted coefficients (``models/calibration.json``); a missing file is an error, not a guess."""
    if not path.is_file():
        raise FileNotFoundError(f"E_CALIBRATION: {path} is missing; fit it with "
                                "`.venv/bin/python -m nianbao.training.calibrate`")
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
    coef = calib["coef"]
    if len(coef) != len(x):
        raise ValueError(f"{len(x)} features, {len(coef)} coefficients")
    z = calib["intercept"] + sum(map(mul, coef, x))  # the products summed in order, as a generator would
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
