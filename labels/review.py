"""The Label Studio review queue: records with open flags (or fields under a confidence) -> one task per
report whose doubtful cells are pre-selected regions in the source around them; the reviewers' answers
-> corrections for ``nianbao apply``.

Design (Label Studio's dynamic choices are per task, not per region): each task carries

- the source text around the doubtful cells (``text``; ``offset`` maps it back to the whole text),
  each doubtful cell a pre-selected region labelled ``doubtful`` (region id ``f<i>``, ``fields`` maps it
  to the field ID);
- one ``Choices`` list (dynamic, per task) whose options read ``field = value``: the current reading
  (marked ``(now)``) and every alternative the flags give; the reviewer ticks the right one per field;
- a per-region ``TextArea`` (empty) to type a value where no option is right (``12``, ``8.3``, ``/``
  for a mark, ``blank`` for an empty cell).

A typed value wins over a ticked option. A field the reviewer neither ticks nor types is not settled:
it stays flagged (submitting a task untouched settles nothing).

>>> parse_answer("1,234"), parse_answer("/"), parse_answer("blank"), parse_answer(" 8.30 ")
((1234, None), (None, '/'), (None, None), (8.3, None))
"""

from __future__ import annotations

import re
from typing import Any

from nianbao.labels.catalogue import is_money
from nianbao.review.source import source_text

REVIEW_CONFIG = """<View>
  <Header value="$title"/>
  <Text name="doubts" value="$doubts"/>
  <Labels name="cell" toName="text">
    <Label value="doubtful" background="#fde68a"/>
  </Labels>
  <Text name="text" value="$text" granularity="symbol"/>
  <Header value="Tick the right reading of each doubtful cell (field = value):"/>
  <Choices name="pick" toName="text" choice="multiple" value="$options"/>
  <Header value="Or select a region and type its value (12, 8.3, / for a mark, blank):"/>
  <TextArea name="answer" toName="text" perRegion="true" editable="true" maxSubmissions="1"/>
</View>"""
MARKS = ("/", "／", "—", "-", "--", "无", "——")
_NOW = " (now)"


def parse_answer(text: str) -> tuple[int | float | None, str | None]:
    """A typed answer -> (value, raw): a number, a mark (value None, raw the mark) or a blank."""
    s = text.strip()
    if s.lower() in ("blank", "空", "null", "none"):
        return None, None
    if s in MARKS:
        return None, s
    s = s.replace(",", "").replace("，", "")
    if re.fullmatch(r"-?\d+", s):
        return int(s), None
    if re.fullmatch(r"-?\d+\.\d*", s):
        return float(s), None
    raise ValueError(f"not a value: {text!r} (a number, a mark such as /, or blank)")


def _fmt(v: Any, raw: str | None = None) -> str:
    if v is None:
        return raw or "blank"
    return str(int(v)) if isinstance(v, float) and v.is_integer() else str(v)


def doubtful_fields(record: dict[str, Any], min_confidence: float | None = None) -> list[str]:
    """The record's fields under an open flag, or under ``min_confidence``, in record order."""
    fields = record.get("fields") or {}
    flagged = {f for fl in record.get("flags") or [] for f in fl.get("fields", [])}
    return [f for f, it in fields.items()
            if f in flagged or (min_confidence is not None and it.get("confidence", 1.0) < min_confidence)]


def review_task(record: dict[str, Any], text: str, min_confidence: float | None = None,
                context: int = 400, max_fields: int = 60) -> dict[str, Any] | None:
    """One Label Studio task (data + the pre-selected regions as a prediction), or None: nothing doubtful."""
    doubtful = doubtful_fields(record, min_confidence)[:max_fields]
    if not doubtful:
        return None
    fields = record["fields"]
    spans = [fields[f]["span"] for f in doubtful]
    lo = max(0, min(a for a, _ in spans) - context)
    hi = min(len(text), max(b for _, b in spans) + context)
    lo = text.rfind("\n", 0, lo) + 1 if lo else 0
    nl = text.find("\n", hi)
    hi = len(text) if nl < 0 else nl
    excerpt = text[lo:hi]
    options: list[dict[str, str]] = []
    doubts = []
    regions = []
    region_fields: dict[str, str] = {}
    region_spans: dict[str, list[int]] = {}
    alts: dict[str, list[Any]] = {f: [] for f in doubtful}
    for fl in record.get("flags") or []:
        for alt in fl.get("alternatives") or []:
            for f, v in alt.items():
                if f in alts and v != fields[f].get("value") and v not in alts[f]:
                    alts[f].append(v)
    for i, f in enumerate(doubtful):
        it = fields[f]
        now = _fmt(it.get("value"), it.get("raw"))
        options.append({"value": f"{f} = {now}{_NOW}"})
        options += [{"value": f"{f} = {_fmt(v)}"} for v in alts[f]]
        codes = sorted({fl.get("code", "") for fl in record.get("flags") or [] if f in fl.get("fields", [])})
        doubts.append(f"[f{i}] {f}: now {now}" + (f"; alternatives {', '.join(_fmt(v) for v in alts[f])}"
                                                 if alts[f] else "")
                      + (f"; {', '.join(codes)}" if codes else f"; confidence {it.get('confidence')}"))
        a, b = it["span"]
        a, b = a - lo, b - lo
        if a == b:  # a blank the text keeps no trace of: select the character where it would be
            b = min(a + 1, len(excerpt))
            a = b - 1 if b > 0 else 0
        region_fields[f"f{i}"] = f
        region_spans[f"f{i}"] = [a, b]
        regions.append({"id": f"f{i}", "from_name": "cell", "to_name": "text", "type": "labels",
                        "value": {"start": a, "end": b, "text": excerpt[a:b], "labels": ["doubtful"]}})
    meta = record.get("meta") or {}
    data = {"kind": "review", "text": excerpt, "offset": lo, "doc_id": record["doc_id"],
            "sha256": record["doc_id"], "source": record.get("source"),
            "title": f"{meta.get('title') or record.get('source')}: {len(doubtful)} doubtful cells",
            "doubts": "\n".join(doubts), "options": options, "fields": region_fields, "spans": region_spans}
    return {"data": data, "predictions": [{"model_version": "nianbao-review", "result": regions}]}


def _reviewer(annotation: dict[str, Any], users: dict[int, str] | None = None) -> str:
    """Who submitted an annotation: the e-mail where known (the export may give only a user id)."""
    who = annotation.get("completed_by")
    if isinstance(who, dict):
        who = who.get("email") or who.get("id")
    if isinstance(who, int) and users and who in users:
        return users[who]
    return str(who) if who is not None else "unknown"


def corrections_from_task(task: dict[str, Any], users: dict[int, str] | None = None) -> list[dict[str, Any]]:
    """The corrections of one exported review task (its latest submitted annotation); ``users`` maps
    Label Studio user ids to e-mails."""
    data = task.get("data") or {}
    if data.get("kind") != "review":
        return []
    done = [a for a in task.get("annotations") or [] if not a.get("was_cancelled")]
    if not done:
        return []
    ann = max(done, key=lambda a: (a.get("updated_at") or "", a.get("id") or 0))
    region_fields: dict[str, str] = data.get("fields") or {}
    by_span = {tuple(span): region_fields[rid] for rid, span in (data.get("spans") or {}).items()
               if rid in region_fields}  # a region the reviewer drew anew over the same characters
    answers: dict[str, tuple[Any, str | None]] = {}
    picked: dict[str, tuple[Any, str | None]] = {}
    for r in ann.get("result") or []:
        v = r.get("value") or {}
        if r.get("from_name") == "pick":
            for choice in v.get("choices") or []:
                f, _, val = choice.partition(" = ")
                if f in region_fields.values():
                    picked[f] = parse_answer(val.removesuffix(_NOW))
        elif r.get("from_name") == "answer" and (v.get("text") or [""])[0].strip():
            f = region_fields.get(r.get("id", "")) or by_span.get((v.get("start"), v.get("end")))
            if f is None:
                continue
            answers[f] = parse_answer(v["text"][0])
    out = []
    for f in region_fields.values():
        if f in answers or f in picked:
            value, raw = answers.get(f) or picked[f]
            if value is not None and not is_money(f) and isinstance(value, float) and value.is_integer():
                value = int(value)
            c = {"doc_id": data["doc_id"], "source": data.get("source"), "field": f, "value": value,
                 "reviewer": _reviewer(ann, users), "task": task.get("id")}
            if raw is not None:
                c["raw"] = raw
            out.append(c)
    return out


def corrections_from_export(export: list[dict[str, Any]], users: dict[int, str] | None = None) -> list[dict[str, Any]]:
    """Every correction of a review project's JSON export."""
    return [c for task in export for c in corrections_from_task(task, users)]


def review_tasks(records: list[dict[str, Any]] | Any, root: Any = None,
                 min_confidence: float | None = None) -> tuple[list[dict[str, Any]], int]:
    """Tasks for the records with doubtful fields (their source re-read, sha256 checked); and how many
    records had nothing to review."""

    tasks, skipped = [], 0
    for rec in records:
        if rec.get("status") != "ok" or not doubtful_fields(rec, min_confidence):
            skipped += 1
            continue
        task = review_task(rec, source_text(rec, root), min_confidence)
        if task is not None:
            tasks.append(task)
    return tasks, skipped
