"""Score parser output (JSONL records, ``shared/spec/output.md``) against gold labels.

Every field of every gold document gets one ``FieldResult`` (per-item records);
``summarise`` turns any subset of them into dataset totals, so the same numbers
come out per table, per template version, per input style, per document and for
held-out vs used reports.

Definitions (all strict unless named lenient):

- correct: gold and prediction both have the field and the values are equal;
  a blank (``null``) is NOT 0. Lenient accuracy counts ``null == 0``.
- wrong: both have the field, values differ. missing: gold has it, prediction
  lacks it. spurious: prediction has a field the gold lacks.
- silent error: a wrong or spurious value that no flag names in ``flags[].fields``.
- flag precision: of the fields a flag names (restricted to fields in gold or
  prediction), the share that is really wrong, missing or spurious.
"""

from __future__ import annotations

import json
import math
import unicodedata
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

from opencc import OpenCC

from nianbao.labels.catalogue import META_KEYS, table_of
from nianbao.labels.gold import GoldDoc

SECTION_TOLERANCE = 2
Record = dict[str, Any]


class PredictionFormatError(ValueError):
    """E_PRED_FORMAT: a prediction line is not a record of ``shared/spec/output.md``."""


# ----------------------------------------------------------------- values
def _is_number(v: Any) -> bool:
    return isinstance(v, int | float) and not isinstance(v, bool) and math.isfinite(v)


def values_equal(gold: Any, pred: Any) -> bool:
    """Strict value equality: blank (None) only equals blank; numbers compare numerically.

    >>> values_equal(None, 0), values_equal(8.3, 8.30), values_equal(0, 0.0), values_equal(1, "1")
    (False, True, True, False)
    """
    if gold is None or pred is None:
        return gold is None and pred is None
    if not (_is_number(gold) and _is_number(pred)):
        return False
    return math.isclose(float(gold), float(pred), rel_tol=1e-9, abs_tol=1e-9)


def values_equal_lenient(gold: Any, pred: Any) -> bool:
    """Lenient equality: a blank counts as 0.

    >>> values_equal_lenient(None, 0), values_equal_lenient(0, None), values_equal_lenient(None, 1)
    (True, True, False)
    """
    return values_equal(0 if gold is None else gold, 0 if pred is None else pred)


@cache
def _t2s() -> Any:
    return OpenCC("t2s")


def normalise_meta(key: str, value: Any) -> Any:
    """Canonical form of a meta value for comparison (org/title: NFKC, no whitespace, simplified script).

    >>> normalise_meta("org", " 乳山口鎮 人民政府 "), normalise_meta("year", "2020")
    ('乳山口镇人民政府', 2020)
    """
    if value is None:
        return None
    if key == "year":
        try:
            return int(value)
        except (TypeError, ValueError):
            return str(value).strip()
    if key in ("org", "title"):
        text = "".join(unicodedata.normalize("NFKC", str(value)).split())
        return _t2s().convert(text)
    return str(value).strip()


# ----------------------------------------------------------------- per-item records
@dataclass(frozen=True)
class FieldResult:
    """One field of one document: gold vs prediction, and whether a flag named it."""

    doc: str
    field: str
    in_gold: bool
    gold: Any
    in_pred: bool
    pred: Any
    flagged: bool = False
    confidence: float | None = None
    gold_span: tuple[int, int] | None = None
    pred_span: tuple[int, int] | None = None

    @property
    def table(self) -> str:
        """``t2``, ``t3`` or ``t4``."""
        return table_of(self.field)

    @property
    def status(self) -> str:
        """``correct`` | ``wrong`` | ``missing`` | ``spurious`` (strict)."""
        if self.in_gold and not self.in_pred:
            return "missing"
        if self.in_pred and not self.in_gold:
            return "spurious"
        return "correct" if values_equal(self.gold, self.pred) else "wrong"

    @property
    def correct(self) -> bool:
        """Strictly right (blank != 0)."""
        return self.status == "correct"

    @property
    def correct_lenient(self) -> bool:
        """Right when a blank counts as 0."""
        return self.in_gold and self.in_pred and values_equal_lenient(self.gold, self.pred)

    @property
    def error(self) -> bool:
        """Wrong, missing or spurious."""
        return self.status != "correct"

    @property
    def silent(self) -> bool:
        """A wrong or spurious value that carries no flag."""
        return self.status in ("wrong", "spurious") and not self.flagged


@dataclass
class SectionResult:
    """A standard section: gold and predicted start, matched when within the tolerance."""

    id: str
    gold_start: int | None
    pred_start: int | None

    @property
    def matched(self) -> bool:
        """Both present and the starts are within ``SECTION_TOLERANCE`` characters."""
        return (
            self.gold_start is not None
            and self.pred_start is not None
            and abs(self.gold_start - self.pred_start) <= SECTION_TOLERANCE
        )


@dataclass
class MetaResult:
    """One meta key: gold and predicted value (raw), compared after ``normalise_meta``."""

    key: str
    gold: Any
    pred: Any
    in_gold: bool
    in_pred: bool

    @property
    def correct(self) -> bool:
        """Gold has the key and the prediction matches it."""
        return (
            self.in_gold
            and self.in_pred
            and normalise_meta(self.key, self.gold) == normalise_meta(self.key, self.pred)
        )


@dataclass
class DocResult:
    """Everything scored for one gold document."""

    name: str
    source: str | None
    style: str
    template: str
    held_out: bool
    predicted: bool
    status: str  # the record's status, or "missing" when no record had this doc_id
    pred_template: str | None
    fields: list[FieldResult] = field(default_factory=list)
    sections: list[SectionResult] = field(default_factory=list)
    meta: list[MetaResult] = field(default_factory=list)
    flag_outside: int = 0  # flagged field IDs in neither gold nor prediction
    flags: list[dict[str, Any]] = field(default_factory=list)  # the record's flags, as written

    @property
    def is_seed(self) -> bool:
        """A seed report (``seeds/`` in the corpus)."""
        return (self.source or "").startswith("seeds/")

    @property
    def template_correct(self) -> bool:
        """The predicted template version is the gold one."""
        return self.pred_template == self.template

    def exact(self, table: str | None = None) -> bool:
        """A usable record whose fields (of one table, or all) are all strictly right, none missing or
        spurious; a report without tables is exact when the record has no fields either."""
        if not self.predicted or self.status == "error":
            return False
        return all(f.correct for f in self.fields if table is None or f.table == table)


@dataclass
class RunResult:
    """One prediction file scored against the gold set."""

    name: str
    docs: list[DocResult]
    unmatched_records: list[str] = field(default_factory=list)  # doc_ids/sources not in gold
    duplicate_records: int = 0

    def field_results(self) -> list[FieldResult]:
        """All field records of all documents."""
        return [f for d in self.docs for f in d.fields]


# ----------------------------------------------------------------- loading predictions
def parse_records(lines: Iterable[str], origin: str = "<predictions>") -> list[Record]:
    """Parse JSONL lines into records, checking the minimum the scorer relies on."""
    out: list[Record] = []
    for n, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            rec = json.loads(line)
        except json.JSONDecodeError as e:
            raise PredictionFormatError(f"E_PRED_FORMAT {origin}:{n}: not JSON ({e})") from e
        if not isinstance(rec, dict) or not isinstance(rec.get("doc_id"), str):
            raise PredictionFormatError(f"E_PRED_FORMAT {origin}:{n}: a record needs a string 'doc_id'")
        fields = rec.get("fields") or {}
        if not isinstance(fields, dict) or any(
            not isinstance(v, dict) or "value" not in v for v in fields.values()
        ):
            raise PredictionFormatError(
                f"E_PRED_FORMAT {origin}:{n}: 'fields' must map IDs to {{'value': ...}}"
            )
        out.append(rec)
    return out


def load_predictions(path: Path) -> list[Record]:
    """Read a JSONL prediction file."""
    with path.open(encoding="utf-8") as fh:
        return parse_records(fh, str(path))


# ----------------------------------------------------------------- scoring
def _span(v: Any) -> tuple[int, int] | None:
    if isinstance(v, list | tuple) and len(v) == 2 and all(isinstance(x, int) for x in v):
        return int(v[0]), int(v[1])
    return None


def score_fields(gold: GoldDoc, rec: Record | None) -> tuple[list[FieldResult], int]:
    """Field records for one document (gold order, then spurious in prediction order) and the
    number of flagged field IDs that are in neither gold nor prediction."""
    pred_fields: dict[str, Any] = (rec or {}).get("fields") or {}
    flagged: set[str] = set()
    for fl in (rec or {}).get("flags") or []:
        if isinstance(fl, dict):
            flagged.update(str(f) for f in (fl.get("fields") or []))
    out: list[FieldResult] = []
    for fid, gf in gold.fields.items():
        p = pred_fields.get(fid)
        out.append(
            FieldResult(
                doc=gold.name,
                field=fid,
                in_gold=True,
                gold=gf.value,
                in_pred=p is not None,
                pred=None if p is None else p.get("value"),
                flagged=fid in flagged,
                confidence=None if p is None else _confidence(p),
                gold_span=tuple(gf.span),
                pred_span=None if p is None else _span(p.get("span")),
            )
        )
    for fid, p in pred_fields.items():
        if fid not in gold.fields:
            out.append(
                FieldResult(
                    doc=gold.name,
                    field=fid,
                    in_gold=False,
                    gold=None,
                    in_pred=True,
                    pred=p.get("value"),
                    flagged=fid in flagged,
                    confidence=_confidence(p),
                    pred_span=_span(p.get("span")),
                )
            )
    outside = len(flagged - set(gold.fields) - set(pred_fields))
    return out, outside


def _confidence(p: dict[str, Any]) -> float | None:
    c = p.get("confidence")
    return float(c) if _is_number(c) else None


def score_sections(gold: GoldDoc, rec: Record | None) -> list[SectionResult]:
    """One result per section id in gold or prediction (a repeated predicted id counts as unmatched)."""
    pred = [s for s in (rec or {}).get("sections") or [] if isinstance(s, dict)]
    out: list[SectionResult] = []
    seen: set[str] = set()
    gold_by_id = {s.id: s.start for s in gold.sections}
    for s in pred:
        sid = str(s.get("id"))
        start = s.get("start") if isinstance(s.get("start"), int) else None
        if sid in seen or sid not in gold_by_id:
            out.append(SectionResult(sid, None, start))
        else:
            out.append(SectionResult(sid, gold_by_id[sid], start))
        seen.add(sid)
    out.extend(SectionResult(s.id, s.start, None) for s in gold.sections if s.id not in seen)
    return out


def score_meta(gold: GoldDoc, rec: Record | None) -> list[MetaResult]:
    """One result per meta key in gold or prediction."""
    pred = (rec or {}).get("meta") or {}
    return [
        MetaResult(k, gold.meta.get(k), pred.get(k), gold.meta.get(k) is not None, pred.get(k) is not None)
        for k in META_KEYS
        if gold.meta.get(k) is not None or pred.get(k) is not None
    ]


def score_doc(gold: GoldDoc, rec: Record | None) -> DocResult:
    """Score one gold document against its record (None: no prediction, all missing)."""
    fields, outside = score_fields(gold, rec)
    return DocResult(
        name=gold.name,
        source=gold.source,
        style=gold.style,
        template=gold.template,
        held_out=gold.held_out,
        predicted=rec is not None,
        status="missing" if rec is None else str(rec.get("status", "ok")),
        pred_template=None if rec is None else rec.get("template"),
        fields=fields,
        sections=score_sections(gold, rec),
        meta=score_meta(gold, rec),
        flag_outside=outside,
        flags=[fl for fl in (rec or {}).get("flags") or [] if isinstance(fl, dict)],
    )


def score_run(gold_docs: list[GoldDoc], records: list[Record], name: str = "pred") -> RunResult:
    """Match records to gold by ``doc_id == sha256`` and score every gold document."""
    by_id: dict[str, Record] = {}
    duplicates = 0
    for rec in records:
        if rec["doc_id"] in by_id:
            duplicates += 1
            continue
        by_id[rec["doc_id"]] = rec
    gold_ids = {g.sha256 for g in gold_docs}
    unmatched = [str(r.get("source") or r["doc_id"]) for i, r in by_id.items() if i not in gold_ids]
    docs = [score_doc(g, by_id.get(g.sha256)) for g in gold_docs]
    return RunResult(name=name, docs=docs, unmatched_records=unmatched, duplicate_records=duplicates)


# ----------------------------------------------------------------- totals
def _ratio(a: int, b: int) -> float | None:
    return a / b if b else None


def field_metrics(results: Iterable[FieldResult]) -> dict[str, Any]:
    """Counts and rates over field records (rates are None where the denominator is 0)."""
    c = dict.fromkeys(
        (
            "gold",
            "pred",
            "correct",
            "correct_lenient",
            "wrong",
            "missing",
            "spurious",
            "silent",
            "flagged",
            "flagged_wrong",
            "flagged_correct",
            "errors",
            "errors_flagged",
        ),
        0,
    )
    for f in results:
        c["gold"] += f.in_gold
        c["pred"] += f.in_pred
        c["correct"] += f.correct
        c["correct_lenient"] += f.correct_lenient
        c[f.status] += f.status != "correct"
        c["silent"] += f.silent
        c["flagged"] += f.flagged
        c["flagged_wrong"] += f.flagged and f.error
        c["flagged_correct"] += f.flagged and f.correct
        c["errors"] += f.error
        c["errors_flagged"] += f.error and f.flagged
    return {
        **c,
        "accuracy": _ratio(c["correct"], c["gold"]),
        "accuracy_lenient": _ratio(c["correct_lenient"], c["gold"]),
        "flag_precision": _ratio(c["flagged_wrong"], c["flagged"]),
        "flag_recall": _ratio(c["errors_flagged"], c["errors"]),
        "flag_rate_correct": _ratio(c["flagged_correct"], c["correct"]),
    }


def section_metrics(docs: Iterable[DocResult]) -> dict[str, Any]:
    """Section boundary precision/recall/F1 (start within ±2 chars, matched by id)."""
    gold = pred = matched = 0
    for d in docs:
        for s in d.sections:
            gold += s.gold_start is not None
            pred += s.pred_start is not None
            matched += s.matched
    p, r = _ratio(matched, pred), _ratio(matched, gold)
    f1 = 2 * p * r / (p + r) if p and r else (0.0 if p is not None and r is not None else None)
    return {"gold": gold, "pred": pred, "matched": matched, "precision": p, "recall": r, "f1": f1}


def meta_metrics(docs: Iterable[DocResult]) -> dict[str, Any]:
    """Per meta key: gold count, correct, spurious (prediction has a key gold lacks), accuracy."""
    out: dict[str, Any] = {}
    docs = list(docs)
    for key in META_KEYS:
        res = [m for d in docs for m in d.meta if m.key == key]
        n = sum(m.in_gold for m in res)
        ok = sum(m.correct for m in res)
        out[key] = {
            "gold": n,
            "correct": ok,
            "spurious": sum(m.in_pred and not m.in_gold for m in res),
            "accuracy": _ratio(ok, n),
        }
    n = sum(v["gold"] for v in out.values())
    out["all"] = {
        "gold": n,
        "correct": sum(v["correct"] for v in out.values()),
        "spurious": sum(v["spurious"] for v in out.values()),
        "accuracy": _ratio(sum(v["correct"] for v in out.values()), n),
    }
    return out


def summarise(docs: list[DocResult], table: str | None = None) -> dict[str, Any]:
    """Dataset totals for a set of documents (fields of one table only, if given)."""
    fields = [f for d in docs for f in d.fields if table is None or f.table == table]
    scope = [d for d in docs if table is None or any(f.table == table for f in d.fields)]
    out: dict[str, Any] = {
        "docs": len(scope),
        "exact_match": sum(d.exact(table) for d in scope),
        "unpredicted": sum(not d.predicted for d in scope),
        "fields": field_metrics(fields),
    }
    out["exact_match_rate"] = _ratio(out["exact_match"], len(scope))
    if table is None:
        out["error_records"] = sum(d.status == "error" for d in docs)
        out["template_accuracy"] = _ratio(sum(d.template_correct for d in docs), len(docs))
        out["sections"] = section_metrics(docs)
        out["meta"] = meta_metrics(docs)
        out["flag_outside"] = sum(d.flag_outside for d in docs)
    return out


def slice_by(docs: list[DocResult], key: Callable[[DocResult], str]) -> dict[str, dict[str, Any]]:
    """``summarise`` per value of ``key`` (sorted)."""
    groups: dict[str, list[DocResult]] = {}
    for d in docs:
        groups.setdefault(key(d), []).append(d)
    return {k: summarise(groups[k]) for k in sorted(groups)}


def slices(run: RunResult) -> dict[str, dict[str, dict[str, Any]]]:
    """The standard slices: per table, per template version, per input style, held-out vs used."""
    tables = sorted({f.table for f in run.field_results()})
    return {
        "table": {t: summarise(run.docs, table=t) for t in tables},
        "template": slice_by(run.docs, lambda d: d.template),
        "style": slice_by(run.docs, lambda d: d.style),
        "held_out": slice_by(run.docs, lambda d: "held_out" if d.held_out else "used"),
    }


def per_field(run: RunResult) -> dict[str, dict[str, int]]:
    """Per field ID across documents: gold count, correct, errors, silent errors."""
    out: dict[str, dict[str, int]] = {}
    for f in run.field_results():
        c = out.setdefault(f.field, {"gold": 0, "correct": 0, "errors": 0, "silent": 0})
        c["gold"] += f.in_gold
        c["correct"] += f.correct
        c["errors"] += f.error
        c["silent"] += f.silent
    return dict(sorted(out.items()))


def doc_summary(d: DocResult) -> dict[str, Any]:
    """One document's row: identity, status and its totals (no report text)."""
    return {
        "name": d.name,
        "source": d.source,
        "style": d.style,
        "template": d.template,
        "pred_template": d.pred_template,
        "held_out": d.held_out,
        "seed": d.is_seed,
        "status": d.status,
        "exact": d.exact(),
        "fields": field_metrics(d.fields),
        "sections": section_metrics([d]),
        "meta": {m.key: m.correct for m in d.meta if m.in_gold or m.in_pred},
    }


def error_list(run: RunResult) -> list[dict[str, Any]]:
    """Every wrong, missing or spurious field with its evidence spans (values and offsets only)."""
    return [
        {
            "doc": f.doc,
            "field": f.field,
            "status": f.status,
            "gold": f.gold if f.in_gold else None,
            "pred": f.pred if f.in_pred else None,
            "gold_span": f.gold_span,
            "pred_span": f.pred_span,
            "flagged": f.flagged,
            "confidence": f.confidence,
        }
        for f in run.field_results()
        if f.error
    ]
