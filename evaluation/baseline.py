"""Reference predictions built from gold: the trivial all-zeros baseline and the perfect (oracle) record.

The baseline is what every release report shows beside the real runs, so a
reader sees what the numbers mean: it outputs 0 for every field of the gold
template (an oracle template choice, so it is if anything optimistic), no
sections, no meta, no flags.

>>> from nianbao.labels.gold import GoldDoc
>>> g = GoldDoc(name="x", sha256="ab", text="", style="prose", template="none")
>>> baseline_record(g)["fields"]
{}
"""

from __future__ import annotations

from typing import Any

from nianbao import __version__
from nianbao.document import field_item
from nianbao.labels.catalogue import TEMPLATES, fields_for
from nianbao.labels.gold import GoldDoc

BASELINE_CONFIDENCE = 0.5


def _record(gold: GoldDoc, source: str) -> dict[str, Any]:
    return {
        "nianbao": __version__,
        "doc_id": gold.sha256,
        "source": source,
        "status": "ok",
        "error": None,
        "template": gold.template,
        "meta": {},
        "sections": [],
        "fields": {},
        "flags": [],
        "model": None,
    }


def baseline_record(gold: GoldDoc) -> dict[str, Any]:
    """All zeros for every field of the gold template; nothing else."""
    rec = _record(gold, f"baseline:{gold.name}")
    if gold.template in TEMPLATES:
        rec["fields"] = {
            fid: {"value": 0, "confidence": BASELINE_CONFIDENCE, "span": [0, 0]}
            for fid in fields_for(gold.template)
        }
    return rec


def baseline_records(gold_docs: list[GoldDoc]) -> list[dict[str, Any]]:
    """The baseline prediction file for a gold set."""
    return [baseline_record(g) for g in gold_docs]


def perfect_record(gold: GoldDoc) -> dict[str, Any]:
    """The record a perfect parser would write for a gold document (tests and sanity checks)."""
    rec = _record(gold, gold.source or gold.name)
    rec["meta"] = {k: v for k, v in gold.meta.items() if v is not None}
    rec["sections"] = [{"id": s.id, "title": s.title, "start": s.start, "end": s.end} for s in gold.sections]
    for fid, gf in gold.fields.items():
        rec["fields"][fid] = field_item(gf.value, gf.raw, gf.unit, 1.0, gf.span)
    return rec
