"""Label Studio round trip: labeling config, gold/documents -> tasks, export -> gold.

Every offset that crosses this module is a character offset into the ORIGINAL
decoded text (``data.text`` of a task), exactly as in ``labels/gold/``. The
model's tags live on the normalised text and are mapped back with the
document's offset map (``Document.to_source``) in ``document_to_prediction``.

The labeling interface, generated from ``labels/tags.py`` (one source of truth):

* ``tag``: span labels SEC/TTL/ROW/COL/VAL/BLANK on ``<Text granularity="symbol">``;
* ``template``: the template version of the document (v2021 / v2019 / none);
* ``field`` and ``value``: per-region boxes (see ``studio_values``): the field ID
  (or section ID on a heading) and the annotator's reading of a cell's value;
* ``unplaced``: fields or sections that have no character to mark;
* ``meta_org``/``meta_year``/``meta_title``/``meta_date`` and ``notes``.

Gold values come from the annotator: a value box, else the characters of the
region the annotator kept. Predictions carry tags, field IDs, section IDs and
the template, never values.
"""

from __future__ import annotations

import json
import logging
import statistics
import xml.etree.ElementTree as ET
from typing import TYPE_CHECKING, Any

from nianbao import __version__
from nianbao.labels.catalogue import META_KEYS, TEMPLATES
from nianbao.labels.gold import GoldDoc
from nianbao.labels.studio_values import format_unplaced_line, format_value
from nianbao.labels.tags import ENTITY_TYPES, TAG_COLORS, TAG_DESCRIPTIONS

if TYPE_CHECKING:
    from nianbao.document import Document

log = logging.getLogger(__name__)

TEXT = "text"  # the <Text> object and the task data key holding the original text
TAG = "tag"  # the <Labels> control
TEMPLATE = "template"
ID_BOX = "field"
VALUE_BOX = "value"
UNPLACED_BOX = "unplaced"
NOTES_BOX = "notes"
META_BOXES: dict[str, str] = {k: f"meta_{k}" for k in META_KEYS}
TEMPLATE_CHOICES: tuple[str, ...] = (*TEMPLATES, "none")
VALUE_TAGS = frozenset({"VAL", "BLANK"})
GOLD_MODEL_VERSION = "gold"


# ------------------------------------------------------------------ config
def label_config() -> str:
    """The Label Studio labeling config (XML), generated from the tag set and catalogue."""
    view = ET.Element("View")
    ET.SubElement(view, "Header", value="$name")
    top = ET.SubElement(view, "View", style="display: flex; gap: 1em; align-items: center")
    ET.SubElement(top, "Header", value="Template", size="5")
    choices = ET.SubElement(top, "Choices", name=TEMPLATE, toName=TEXT, choice="single", showInline="true")
    for t in TEMPLATE_CHOICES:
        ET.SubElement(choices, "Choice", value=t)
    labels = ET.SubElement(view, "Labels", name=TAG, toName=TEXT, showInline="true")
    for t in ENTITY_TYPES:
        ET.SubElement(labels, "Label", value=t, background=TAG_COLORS[t], hint=TAG_DESCRIPTIONS[t])
    ET.SubElement(view, "Text", name=TEXT, value=f"${TEXT}", granularity="symbol")
    region = ET.SubElement(view, "View", visibleWhen="region-selected")
    ET.SubElement(region, "Header", value="Field ID (VAL/BLANK) or section ID s1..s6 (SEC)", size="6")
    ET.SubElement(
        region,
        "TextArea",
        name=ID_BOX,
        toName=TEXT,
        perRegion="true",
        editable="true",
        maxSubmissions="1",
        rows="1",
        placeholder="t3.new_received.natural_person",
    )
    ET.SubElement(region, "Header", value="Value as it should read: 12, 8.3万元, /, blank", size="6")
    ET.SubElement(
        region,
        "TextArea",
        name=VALUE_BOX,
        toName=TEXT,
        perRegion="true",
        editable="true",
        maxSubmissions="1",
        rows="1",
        placeholder="leave empty when the marked characters read right",
    )
    ET.SubElement(view, "Header", value="Meta: org, year, title, date (YYYY-MM-DD)", size="5")
    for key, name in META_BOXES.items():
        ET.SubElement(
            view,
            "TextArea",
            name=name,
            toName=TEXT,
            editable="true",
            maxSubmissions="1",
            rows="1",
            placeholder=key,
        )
    ET.SubElement(
        view, "Header", value="Fields with no character to mark: FIELD_ID = VALUE @POSITION", size="5"
    )
    ET.SubElement(
        view,
        "TextArea",
        name=UNPLACED_BOX,
        toName=TEXT,
        editable="true",
        rows="3",
        placeholder="t3.carried_over.research = blank @5181",
    )
    ET.SubElement(
        view,
        "TextArea",
        name=NOTES_BOX,
        toName=TEXT,
        editable="true",
        rows="2",
        placeholder="notes (e.g. text and table disagree)",
    )
    ET.indent(view)
    return ET.tostring(view, encoding="unicode")


# ------------------------------------------------------------------ result items
def label_region(rid: str, start: int, end: int, text: str, tag: str, score: float | None = None) -> dict:
    """One span label as a Label Studio result item (offsets into ``text``, the original)."""
    item: dict[str, Any] = {
        "id": rid,
        "from_name": TAG,
        "to_name": TEXT,
        "type": "labels",
        "value": {"start": start, "end": end, "text": text[start:end], "labels": [tag]},
    }
    if score is not None:
        item["score"] = round(float(score), 6)
    return item


def region_box(rid: str, box: str, start: int, end: int, content: str) -> dict:
    """A per-region text box (field/section ID or value) attached to region ``rid``."""
    return {
        "id": rid,
        "from_name": box,
        "to_name": TEXT,
        "type": "textarea",
        "value": {"start": start, "end": end, "text": [content]},
    }


def doc_box(box: str, lines: list[str], rid: str | None = None) -> dict:
    """A per-document text box holding one submission per line."""
    return {"id": rid or box, "from_name": box, "to_name": TEXT, "type": "textarea", "value": {"text": lines}}


def template_choice(template: str, score: float | None = None) -> dict:
    """The per-document template version choice."""
    item: dict[str, Any] = {
        "id": TEMPLATE,
        "from_name": TEMPLATE,
        "to_name": TEXT,
        "type": "choices",
        "value": {"choices": [template]},
    }
    if score is not None:
        item["score"] = score
    return item


def default_section_ends(starts: list[int], text_len: int) -> dict[int, int]:
    """A section runs from its heading to the next heading (the last one to the end of the text).

    >>> default_section_ends([40, 10], 100)
    {10: 40, 40: 100}
    """
    ordered = sorted(starts)
    return {s: (ordered[i + 1] if i + 1 < len(ordered) else text_len) for i, s in enumerate(ordered)}


# ------------------------------------------------------------------ gold -> task
def gold_result(gold: GoldDoc, text: str) -> list[dict]:
    """The annotation result that says exactly what ``gold`` says (lossless; see ``studio_export.export_to_gold``)."""
    result = [template_choice(gold.template)]
    sections_at = {s.start: s for s in gold.sections}
    sec_starts = [s.start for s in gold.spans if s.tag == "SEC"]
    ends = default_section_ends(sec_starts, len(text))
    placed_fields: set[str] = set()
    placed_sections: set[str] = set()
    for i, span in enumerate(gold.spans):
        if not 0 <= span.start < span.end <= len(text):
            raise ValueError(f"gold {gold.name}: span ({span.start}, {span.end}) outside the text")
        rid = f"g{i}"
        result.append(label_region(rid, span.start, span.end, text, span.tag))
        if span.tag == "SEC":
            sec = sections_at.get(span.start)
            if sec is None:
                raise ValueError(f"gold {gold.name}: SEC span at {span.start} has no section")
            box: dict[str, Any] = {"id": sec.id}
            if sec.title != text[span.start : span.end]:
                box["title"] = sec.title
            if sec.end != ends[span.start]:
                box["end"] = sec.end
            content = sec.id if len(box) == 1 else _json(box)
            result.append(region_box(rid, ID_BOX, span.start, span.end, content))
            placed_sections.add(sec.id)
            continue
        if span.field is None:
            continue
        result.append(region_box(rid, ID_BOX, span.start, span.end, span.field))
        fv = gold.fields.get(span.field)
        if fv is None:
            raise ValueError(
                f"gold {gold.name}: span ({span.start}, {span.end}) names field {span.field} "
                "that has no value"
            )
        if tuple(fv.span) == (span.start, span.end) and span.field not in placed_fields:
            result.append(
                region_box(rid, VALUE_BOX, span.start, span.end, format_value(fv.value, fv.raw, fv.unit))
            )
            placed_fields.add(span.field)
    unplaced = [
        format_unplaced_line(fid, format_value(fv.value, fv.raw, fv.unit), tuple(fv.span))
        for fid, fv in gold.fields.items()
        if fid not in placed_fields
    ]
    unplaced += [
        format_unplaced_line(s.id, s.title, (s.start, s.end))
        for s in gold.sections
        if s.id not in placed_sections
    ]
    if unplaced:
        result.append(doc_box(UNPLACED_BOX, unplaced))
    for key, name in META_BOXES.items():
        if gold.meta.get(key) is not None:
            result.append(doc_box(name, [str(gold.meta[key])]))
    if gold.notes:
        result.append(doc_box(NOTES_BOX, list(gold.notes)))
    return result


def _json(obj: Any) -> str:
    return json.dumps(obj, ensure_ascii=False)


def task_data(gold: GoldDoc, text: str) -> dict:
    """The ``data`` of a task: the original text plus what identifies the report."""
    data: dict[str, Any] = {
        TEXT: text,
        "name": gold.name,
        "sha256": gold.sha256,
        "style": gold.style,
        "source": gold.source,
        "inline": gold.text is not None,
        "used_for": list(gold.used_for),
    }
    extra = {k: v for k, v in gold.meta.items() if k not in META_BOXES}
    if extra:
        data["meta_extra"] = extra
    return data


def gold_to_task(
    gold: GoldDoc, text: str | None = None, predictions: list | None = None, *, gold_as: str = "annotation"
) -> dict:
    """A Label Studio task for a gold document; the gold rides as an annotation or as a prediction.

    ``text`` is the original text when the gold does not carry it inline
    (``gold.load_text(corpus_root)``). ``gold_as="prediction"`` offers the gold to
    annotators for review (model_version ``gold``); extra ``predictions`` (e.g. from
    ``document_to_prediction``) are added after it.
    """
    if gold.text is not None:
        if text is not None and text != gold.text:
            raise ValueError(f"gold {gold.name}: the given text differs from its inline text")
        text = gold.text
    if text is None:
        raise ValueError(f"gold {gold.name} has no inline text: pass text=gold.load_text(corpus_root)")
    task: dict[str, Any] = {"data": task_data(gold, text)}
    result = gold_result(gold, text)
    preds = list(predictions or [])
    if gold_as == "annotation":
        task["annotations"] = [{"result": result, "was_cancelled": False, "ground_truth": True}]
    elif gold_as == "prediction":
        preds.insert(0, {"model_version": GOLD_MODEL_VERSION, "score": 1.0, "result": result})
    else:
        raise ValueError(f"gold_as must be 'annotation' or 'prediction', got {gold_as!r}")
    if preds:
        task["predictions"] = preds
    return task


def document_task(
    doc: Document, name: str, style: str, source: str | None, sha256: str, prediction: dict | None = None
) -> dict:
    """A task for a parsed, unlabelled document: original text, identity, the model's prediction."""
    data = {
        TEXT: doc.text,
        "name": name,
        "sha256": sha256,
        "style": style,
        "source": source,
        "inline": False,
        "used_for": [],
    }
    task: dict[str, Any] = {"data": data}
    if prediction is not None:
        task["predictions"] = [prediction]
    return task


# ------------------------------------------------------------------ document -> prediction
def model_version_of(doc: Document) -> str:
    """The model version a prediction is labelled with (the rules-only reader has its own)."""
    if doc.model is None:
        return f"nianbao-{__version__}-rules"
    return f"{doc.model.name}-{doc.model.version}"


def _value_spans(doc: Document) -> list[tuple[int, int, str, float, str | None]]:
    """VAL/BLANK spans (normalised) with fields: the rule layer's cells win over tags they overlap."""
    cells = {}
    for table in doc.tables:
        for c in table.cells:
            if c.field and c.end > c.start:
                cells[(c.start, c.end)] = c.field
    tags = [
        (t.start, t.end, t.tag, t.score, cells.get((t.start, t.end))) for t in doc.tags if t.tag in VALUE_TAGS
    ]
    tagged = {(s, e) for s, e, *_ in tags}
    extra = []
    for (s, e), fid in cells.items():
        if (s, e) in tagged:
            continue
        fv = doc.fields.get(fid)
        is_blank = fv is not None and fv.value is None and fv.raw is None and e - s == 1
        extra.append((s, e, "BLANK" if is_blank else "VAL", fv.confidence if fv else 1.0, fid))
    kept = [t for t in tags if not any(t[0] < e and s < t[1] for s, e, *_ in extra)]
    return kept + extra


def document_to_prediction(doc: Document, model_version: str | None = None) -> dict:
    """The model's tags as a Label Studio prediction, offsets mapped to the ORIGINAL text.

    Regions carry the tagger's per-span score; VAL/BLANK regions carry the field ID
    of the rule layer's cell, SEC regions the section ID. Values are never filled in.
    """
    text = doc.text
    sections_at = {s.start: s.id for s in doc.sections}
    spans = [
        (t.start, t.end, t.tag, t.score, sections_at.get(t.start) if t.tag == "SEC" else None)
        for t in doc.tags
        if t.tag not in VALUE_TAGS
    ]
    spans += _value_spans(doc)
    result: list[dict] = [template_choice(doc.template)]
    scores: list[float] = []
    for i, (s, e, tag, score, box) in enumerate(sorted(spans, key=lambda x: (x[0], x[1]))):
        a, b = doc.to_source(s, e)
        if a >= b:
            log.warning(
                "%s: tag %s (%d, %d) maps to an empty span of the original text; not offered",
                doc.source,
                tag,
                s,
                e,
            )
            continue
        rid = f"p{i}"
        result.append(label_region(rid, a, b, text, tag, score))
        scores.append(float(score))
        if box:
            result.append(region_box(rid, ID_BOX, a, b, box))
    return {
        "model_version": model_version or model_version_of(doc),
        "score": round(statistics.fmean(scores), 6) if scores else 0.0,
        "result": result,
    }
