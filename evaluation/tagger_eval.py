"""Evaluate the tagger directly on the gold documents: seqeval entity P/R/F1 and per-character P/R/F1.

Gold spans are on the original text; the tagger tags the normalised text. Gold
spans are projected with the normaliser's ``OffsetMap.span_from_source`` (a
span whose characters all disappear in normalisation cannot be projected and
is counted, not silently dropped).

>>> char_prf([["B-VAL", "I-VAL", "O"]], [["B-VAL", "O", "O"]])["VAL"]
{'precision': 1.0, 'recall': 0.5, 'f1': 0.6666666666666666, 'support': 2}
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from nianbao.document import Document
from nianbao.labels.gold import GoldDoc
from nianbao.labels.tags import ENTITY_TYPES, LABELS, SINGLE_CHAR_TYPES
from nianbao.normalise import normalise_text
from nianbao.offsets import OffsetMap
from nianbao.pipeline import PipelineConfig, load_tagger

Normaliser = Callable[[str], tuple[str, OffsetMap]]
Span = tuple[int, int, str]


def project_spans(spans: Iterable[Span], omap: OffsetMap) -> tuple[list[Span], int]:
    """Gold spans (original text) onto the normalised text; returns (projected, number dropped).

    >>> project_spans([(0, 8, "ROW"), (8, 9, "VAL")], OffsetMap([0, 7, 8], [7, 8, 9], 9))
    ([(0, 2, 'ROW'), (2, 3, 'VAL')], 0)
    """
    out: list[Span] = []
    dropped = 0
    for start, end, tag in spans:
        a, b = omap.span_from_source(start, end)
        if a >= b:
            dropped += 1
            continue
        out.append((a, a + 1 if tag in SINGLE_CHAR_TYPES else b, tag))
    return out, dropped


def bio_labels(length: int, spans: Iterable[Span]) -> tuple[list[str], int]:
    """BIO labels from spans, tolerating bad spans (clipped; empty/unknown ones counted as invalid).

    >>> bio_labels(4, [(0, 2, "ROW"), (3, 9, "VAL"), (2, 2, "VAL")])
    (['B-ROW', 'I-ROW', 'O', 'B-VAL'], 1)
    """
    out = ["O"] * length
    invalid = 0
    for start, end, tag in spans:
        a, b = max(start, 0), min(end, length)
        if a >= b or tag not in ENTITY_TYPES:
            invalid += 1
            continue
        out[a] = f"B-{tag}"
        for i in range(a + 1, b):
            out[i] = f"I-{tag}"
    return out, invalid


def _prf(tp: int, fp: int, fn: int) -> dict[str, Any]:
    p = tp / (tp + fp) if tp + fp else 0.0
    r = tp / (tp + fn) if tp + fn else 0.0
    return {"precision": p, "recall": r, "f1": 2 * p * r / (p + r) if p + r else 0.0, "support": tp + fn}


def char_prf(
    gold: Sequence[Sequence[str]], pred: Sequence[Sequence[str]], by_label: bool = False
) -> dict[str, dict[str, Any]]:
    """Per-character precision/recall/F1 of each entity type (B and I together), plus ``micro``;
    ``by_label``: of each BIO label instead (``B-VAL`` alone scores where cells start).

    >>> char_prf([["B-VAL", "B-VAL"]], [["B-VAL", "I-VAL"]], by_label=True)["B-VAL"]["recall"]
    0.5
    """
    key = (lambda x: "" if x == "O" else x) if by_label else (lambda x: x.partition("-")[2])
    names = [lab for lab in LABELS if lab != "O"] if by_label else list(ENTITY_TYPES)
    counts = {t: [0, 0, 0] for t in names}
    for gs, ps in zip(gold, pred, strict=True):
        for g, p in zip(gs, ps, strict=True):
            gt, pt = key(g), key(p)
            if gt and gt == pt:
                counts[gt][0] += 1
                continue
            if pt:
                counts.setdefault(pt, [0, 0, 0])[1] += 1
            if gt:
                counts.setdefault(gt, [0, 0, 0])[2] += 1
    out = {t: _prf(*c) for t, c in counts.items()}
    out["micro"] = _prf(*(sum(c[i] for c in counts.values()) for i in range(3)))
    return out


def entity_prf(gold: list[list[str]], pred: list[list[str]]) -> dict[str, dict[str, Any]]:
    """seqeval entity-level precision/recall/F1 per type plus micro/macro averages."""
    # local: seqeval imports scikit-learn (seconds at start-up)
    from seqeval.metrics import classification_report

    report = classification_report(gold, pred, output_dict=True, zero_division=0)
    return {
        k: {
            "precision": float(v["precision"]),
            "recall": float(v["recall"]),
            "f1": float(v["f1-score"]),
            "support": int(v["support"]),
        }
        for k, v in report.items()
    }


@dataclass
class TaggerEval:
    """The tagger's scores, plus its tags mapped to the original text (for the error gallery)."""

    summary: dict[str, Any]
    source_tags: dict[str, list[Span]] = field(default_factory=dict)


def evaluate_tagger(
    gold_docs: list[GoldDoc], tagger: Any, normalise: Normaliser, texts: dict[str, str]
) -> TaggerEval:
    """Normalise each gold text, tag it, and score the tags against the projected gold spans.

    ``texts`` maps gold names to their original text; documents without one are listed as skipped.
    """
    gold_bio: list[list[str]] = []
    pred_bio: list[list[str]] = []
    held: list[bool] = []
    docs: list[dict[str, Any]] = []
    skipped: list[str] = []
    source_tags: dict[str, list[Span]] = {}
    for g in gold_docs:
        if g.name not in texts:
            skipped.append(g.name)
            continue
        text = texts[g.name]
        norm, omap = normalise(text)
        projected, dropped = project_spans(((s.start, s.end, s.tag) for s in g.spans), omap)
        doc = Document(doc_id=g.sha256, source=g.source or g.name, text=text, norm_text=norm)
        doc.offsets = omap
        doc = tagger.tag([doc])[0]
        pred_spans = [(t.start, t.end, t.tag) for t in doc.tags]
        gl, _ = bio_labels(len(norm), projected)
        pl, invalid = bio_labels(len(norm), pred_spans)
        gold_bio.append(gl)
        pred_bio.append(pl)
        held.append(g.held_out)
        source_tags[g.name] = [
            (*omap.span_to_source(max(a, 0), min(b, len(norm))), t)
            for a, b, t in pred_spans
            if 0 <= a < b <= len(norm)
        ]
        docs.append(
            {
                "name": g.name,
                "chars": len(norm),
                "gold_spans": len(g.spans),
                "dropped": dropped,
                "pred_spans": len(pred_spans),
                "invalid_pred_spans": invalid,
                "char_micro_f1": char_prf([gl], [pl])["micro"]["f1"],
            }
        )
    summary: dict[str, Any] = {
        "docs": docs,
        "skipped": skipped,
        "entity": entity_prf(gold_bio, pred_bio) if gold_bio else {},
        "char": char_prf(gold_bio, pred_bio) if gold_bio else {},
        "char_label": char_prf(gold_bio, pred_bio, by_label=True) if gold_bio else {},
    }
    if any(held) and not all(held):  # the documents no model or rule was trained or tuned on, alone
        hg = [b for b, h in zip(gold_bio, held, strict=True) if h]
        hp = [b for b, h in zip(pred_bio, held, strict=True) if h]
        summary["held_out"] = {"docs": len(hg), "entity": entity_prf(hg, hp)}
    return TaggerEval(summary=summary, source_tags=source_tags)


def load_eval_tagger(model_dir: Path | None, use_model: bool) -> tuple[Any, Normaliser]:
    """The tagger a run asked for (``--tagger DIR`` / ``--no-model``) and the project normaliser."""
    return load_tagger(PipelineConfig(model_dir=model_dir, use_model=use_model)), normalise_text
