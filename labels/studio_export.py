"""A Label Studio JSON export -> gold documents, and gold -> training examples.

Offsets are kept exactly as the annotation gives them; each region's stored text
is checked against the task text (Label Studio once counted UTF-16 units: such
offsets are recognised and converted, anything else is reported). Every problem
is a coded ``Problem`` naming the task; nothing is dropped silently.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from nianbao.labels.catalogue import SECTION_NUMERALS, all_field_ids
from nianbao.labels.gold import GoldDoc, GoldField, GoldSection, GoldSpan
from nianbao.labels.studio import (
    ID_BOX,
    META_BOXES,
    NOTES_BOX,
    TAG,
    TEMPLATE,
    TEMPLATE_CHOICES,
    TEXT,
    UNPLACED_BOX,
    VALUE_BOX,
    VALUE_TAGS,
    default_section_ends,
)
from nianbao.labels.studio_values import (
    SECTION_IDS,
    BoxError,
    parse_section_box,
    parse_unplaced_line,
    parse_value,
)
from nianbao.labels.tags import ENTITY_TYPES, LABELS, SINGLE_CHAR_TYPES, spans_to_bio
from nianbao.normalise import normalise_text as normalise


@dataclass(frozen=True)
class Problem:
    """Why (part of) a task could not become gold: a code, the task, what to fix."""

    code: str
    task: str
    message: str

    def __str__(self) -> str:
        return f"{self.code} [{self.task}] {self.message}"


class ExportError(ValueError):
    """An export held problems; ``problems`` lists every one."""

    def __init__(self, problems: list[Problem]) -> None:
        super().__init__("\n".join(str(p) for p in problems))
        self.problems = problems


def utf16_to_index(text: str, pos: int) -> int:
    """A UTF-16 code unit offset as a code point index (JavaScript counts astral characters twice).

    >>> utf16_to_index("𠀀ab", 3)
    2
    """
    units = 0
    for i, ch in enumerate(text):
        if units >= pos:
            return i
        units += 2 if ord(ch) > 0xFFFF else 1
    return len(text)


def region_offsets(text: str, value: dict) -> tuple[int, int] | None:
    """The region's (start, end) in code points, or None when its stored text does not match.

    >>> region_offsets("𠀀ab", {"start": 2, "end": 3, "text": "a"})
    (1, 2)
    """
    start, end = int(value["start"]), int(value["end"])
    stored = value.get("text")
    if stored is None or text[start:end] == stored:
        return start, end
    a, b = utf16_to_index(text, start), utf16_to_index(text, end)
    return (a, b) if text[a:b] == stored else None


def section_id_from_title(title: str) -> str | None:
    """s1..s6 from a heading's leading numeral (一、...), else None.

    >>> section_id_from_title("三、收到和处理政府信息公开申请情况"), section_id_from_title("总体情况")
    ('s3', None)
    """
    m = re.match(r"\s*([一二三四五六])\s*[、.,，．]", title)
    return SECTION_IDS[SECTION_NUMERALS.index(m.group(1))] if m else None


def pick_annotation(task: dict) -> dict | None:
    """The annotation that becomes gold: a ground-truth one, else the latest; never a cancelled one."""
    live = [a for a in task.get("annotations") or [] if not a.get("was_cancelled")]
    if not live:
        return None
    return max(
        live, key=lambda a: (bool(a.get("ground_truth")), str(a.get("updated_at") or ""), a.get("id") or 0)
    )


def _box_text(item: dict) -> list[str]:
    return [str(t) for t in (item.get("value", {}).get("text") or [])]


class _TaskReader:
    """Turns one exported task into a GoldDoc, collecting problems."""

    def __init__(self, task: dict) -> None:
        self.data = task.get("data") or {}
        self.text: str = self.data.get(TEXT) or ""
        self.name = str(self.data.get("name") or f"task-{task.get('id')}")
        self.problems: list[Problem] = []

    def problem(self, code: str, message: str) -> None:
        self.problems.append(Problem(code, self.name, message))

    def read(self, result: list[dict]) -> GoldDoc | None:
        labels: dict[str, dict] = {}
        boxes: dict[tuple[str, str], str] = {}
        doc_boxes: dict[str, list[str]] = {}
        template = None
        for item in result:
            name, typ = item.get("from_name"), item.get("type")
            if name == TAG and typ == "labels":
                labels[str(item.get("id"))] = item["value"]
            elif name in (ID_BOX, VALUE_BOX):  # per-region boxes: matched to their region by id
                content = " ".join(t.strip() for t in _box_text(item) if t.strip())
                if content:
                    boxes[(str(item.get("id")), name)] = content
            elif name == TEMPLATE:
                template = (item.get("value", {}).get("choices") or [None])[0]
            elif typ == "textarea":
                doc_boxes.setdefault(name, []).extend(_box_text(item))
        if template not in TEMPLATE_CHOICES:
            self.problem("E_LS_TEMPLATE", f"choose the template version ({', '.join(TEMPLATE_CHOICES)})")
        sections: dict[str, GoldSection] = {}
        fields: dict[str, GoldField] = {}
        self._unplaced(doc_boxes.get(UNPLACED_BOX, []), sections, fields)
        spans = self._regions(labels, boxes, sections, fields)
        for rid, box in sorted(k for k in boxes if k[0] not in labels):
            self.problem(
                "W_LS_ORPHAN_BOX", f"{box} box {boxes[(rid, box)]!r} belongs to no labelled region; ignored"
            )
        self._check_overlaps(spans)
        if any(p.code.startswith("E_") for p in self.problems):
            return None
        meta = self._meta(doc_boxes)
        notes = [n.strip() for n in doc_boxes.get(NOTES_BOX, []) if n.strip()]
        inline = bool(self.data.get("inline"))
        sha = self.data.get("sha256") or hashlib.sha256(self.text.encode("utf-8")).hexdigest()
        ordered = dict(sorted(fields.items(), key=lambda kv: (kv[1].span[0], kv[1].span[1], kv[0])))
        return GoldDoc(
            name=self.name,
            source=self.data.get("source"),
            sha256=sha,
            text=self.text if inline else None,
            style=self.data.get("style") or "crawl",
            template=template,
            used_for=list(self.data.get("used_for") or []),
            meta=meta,
            sections=sorted(sections.values(), key=lambda s: s.start),
            spans=sorted(spans, key=lambda s: (s.start, s.end, s.tag)),
            fields=ordered,
            notes=notes,
        )

    def _regions(
        self,
        labels: dict[str, dict],
        boxes: dict[tuple[str, str], str],
        sections: dict[str, GoldSection],
        fields: dict[str, GoldField],
    ) -> list[GoldSpan]:
        """Spans from the label regions; sections and fields from their boxes (unplaced lines read)."""
        spans: list[GoldSpan] = []
        unplaced = set(fields)
        marked: set[str] = set()
        located: list[tuple[str, int, int, str]] = []
        for rid, value in labels.items():
            tags = value.get("labels") or []
            if len(tags) != 1 or tags[0] not in ENTITY_TYPES:
                self.problem(
                    "E_LS_LABEL", f"region {rid} needs exactly one label of {ENTITY_TYPES}, has {tags}"
                )
                continue
            offsets = region_offsets(self.text, value)
            if offsets is None or not 0 <= offsets[0] < offsets[1] <= len(self.text):
                self.problem(
                    "E_LS_OFFSET",
                    f"region {rid} ({value.get('start')}, {value.get('end')}) does not "
                    f"hold its text {value.get('text')!r} in the task text",
                )
                continue
            tag = tags[0]
            if tag in SINGLE_CHAR_TYPES and offsets[1] - offsets[0] != 1:
                self.problem("E_LS_BLANK", f"{tag} region {rid} at {offsets[0]} must cover one character")
            located.append((rid, offsets[0], offsets[1], tag))
        ends = default_section_ends([s for _, s, _, t in located if t == "SEC"], len(self.text))
        for rid, start, end, tag in located:
            id_box = boxes.get((rid, ID_BOX))
            if tag == "SEC":
                spans.append(GoldSpan(start=start, end=end, tag=tag))
                self._section(id_box, start, end, ends[start], sections)
                continue
            field = id_box
            if field is not None and field not in all_field_ids():
                self.problem("E_LS_FIELD", f"region at {start}-{end}: unknown field ID {field!r}")
                field = None
            if tag in VALUE_TAGS and field is None and id_box is None:
                self.problem(
                    "E_LS_FIELD",
                    f"{tag} region at {start}-{end} ({self.text[start:end]!r}) "
                    "has no field ID: type it in the field box",
                )
            spans.append(GoldSpan(start=start, end=end, tag=tag, field=field))
            if field is None or tag not in VALUE_TAGS or field in unplaced:
                continue
            if field in marked:
                self.problem("E_LS_FIELD", f"field {field} is marked twice (again at {start}-{end})")
                continue
            marked.add(field)
            typed = boxes.get((rid, VALUE_BOX))
            reading = typed if typed is not None else ("blank" if tag == "BLANK" else self.text[start:end])
            try:
                value, raw, unit = parse_value(reading)
            except BoxError as exc:
                self.problem("E_LS_VALUE", f"{field} at {start}-{end}: {exc}")
                continue
            fields[field] = GoldField(value=value, raw=raw, unit=unit, span=(start, end))
        return spans

    def _section(
        self, box: str | None, start: int, end: int, default_end: int, sections: dict[str, GoldSection]
    ) -> None:
        title = self.text[start:end]
        try:
            info = parse_section_box(box) if box else {"id": section_id_from_title(title)}
        except BoxError as exc:
            self.problem("E_LS_SECTION", f"heading at {start}: {exc}")
            return
        if info["id"] is None:
            self.problem(
                "E_LS_SECTION", f"heading {title!r} at {start}: type its section ID (s1..s6) in the box"
            )
        elif info["id"] in sections:
            self.problem("E_LS_SECTION", f"section {info['id']} is marked twice (again at {start})")
        else:
            sections[info["id"]] = GoldSection(
                id=info["id"], title=info.get("title", title), start=start, end=info.get("end", default_end)
            )

    def _unplaced(
        self, items: list[str], sections: dict[str, GoldSection], fields: dict[str, GoldField]
    ) -> None:
        for line in (ln for item in items for ln in item.splitlines() if ln.strip()):
            try:
                key, value_text, span = parse_unplaced_line(line)
                span = span or (0, 0)
                if not 0 <= span[0] <= span[1] <= len(self.text):
                    raise BoxError(f"position {span} is outside the text")
                if key in SECTION_IDS:
                    if key in sections:
                        raise BoxError(f"section {key} is listed twice")
                    sections[key] = GoldSection(id=key, title=value_text, start=span[0], end=span[1])
                    continue
                if key not in all_field_ids():
                    raise BoxError(f"unknown field ID {key!r}")
                if key in fields:
                    raise BoxError(f"field {key} is listed twice")
                value, raw, unit = parse_value(value_text)
                fields[key] = GoldField(value=value, raw=raw, unit=unit, span=span)
            except BoxError as exc:
                self.problem("E_LS_UNPLACED", f"line {line.strip()!r}: {exc}")

    def _check_overlaps(self, spans: list[GoldSpan]) -> None:
        ordered = sorted(spans, key=lambda s: (s.start, s.end))
        for a, b in zip(ordered, ordered[1:], strict=False):
            if b.start < a.end:
                self.problem("E_LS_OVERLAP", f"{a.tag} {a.start}-{a.end} overlaps {b.tag} {b.start}-{b.end}")

    def _meta(self, doc_boxes: dict[str, list[str]]) -> dict[str, Any]:
        meta: dict[str, Any] = dict(self.data.get("meta_extra") or {})
        for key, name in META_BOXES.items():
            value = " ".join(t.strip() for t in doc_boxes.get(name, []) if t.strip())
            if value:
                meta[key] = int(value) if key == "year" and value.isdigit() else value
        return meta


def convert_export(export: Iterable[dict]) -> tuple[list[GoldDoc], list[Problem]]:
    """Every annotated task of an export as gold, plus the problems of tasks that could not be converted."""
    golds: list[GoldDoc] = []
    problems: list[Problem] = []
    for task in export:
        reader = _TaskReader(task)
        annotation = pick_annotation(task)
        if annotation is None:
            problems.append(Problem("W_LS_UNANNOTATED", reader.name, "no submitted annotation; skipped"))
            continue
        gold = reader.read(annotation.get("result") or [])
        problems.extend(reader.problems)
        if gold is not None:
            golds.append(gold)
    return golds, problems


def export_to_gold(export: list[dict]) -> list[GoldDoc]:
    """Label Studio JSON export -> gold; raises ``ExportError`` listing every error (W_ codes pass)."""
    golds, problems = convert_export(export)
    errors = [p for p in problems if p.code.startswith("E_")]
    if errors:
        raise ExportError(errors)
    return golds


# ------------------------------------------------------------------ training examples
Normaliser = Callable[[str, str], tuple[str, Any]]


def normalise_text(text: str, kind: str = "text") -> tuple[str, Any]:
    """The pipeline's normalised text and its offset map to ``text`` (``kind="html"``: a page source)."""
    return normalise(text, kind)


def input_kind(gold: GoldDoc) -> str:
    """``html`` for a gold whose source is a saved page, else ``text`` (as the parse inputs decide).

    >>> input_kind(GoldDoc(name="a", sha256="0", source="crawl/x.html", style="crawl", template="none"))
    'html'
    """
    return "html" if (gold.source or "").lower().endswith((".html", ".htm")) else "text"


def gold_example(gold: GoldDoc, text: str, normalise: Normaliser = normalise_text) -> dict[str, Any]:
    """One training example: normalised characters and BIO labels (gold spans mapped from the original)."""
    norm_text, offsets = normalise(text, input_kind(gold))
    spans = []
    for s in gold.spans:
        a, b = offsets.span_from_source(s.start, s.end)
        if a >= b:
            raise ValueError(
                f"gold {gold.name}: {s.tag} span ({s.start}, {s.end}) vanishes in the normalised text"
            )
        spans.append((a, b, s.tag))
    return {
        "id": gold.name,
        "source": gold.source or "",
        "style": gold.style,
        "template": gold.template,
        "used_for": list(gold.used_for),
        "text": norm_text,
        "tokens": list(norm_text),
        "ner_tags": spans_to_bio(len(norm_text), spans),
    }


def gold_to_examples(
    golds: Iterable[GoldDoc], corpus_root: Path | None = None, normalise: Normaliser = normalise_text
):  # noqa: ANN201 - datasets.Dataset
    """A ``datasets.Dataset`` of character examples (``tokens``; ``ner_tags``: ClassLabel of the tag set)."""
    # local: datasets costs seconds at start-up
    from datasets import ClassLabel, Dataset, Features, Sequence, Value

    features = Features(
        {
            "id": Value("string"),
            "source": Value("string"),
            "style": Value("string"),
            "template": Value("string"),
            "used_for": Sequence(Value("string")),
            "text": Value("string"),
            "tokens": Sequence(Value("string")),
            "ner_tags": Sequence(ClassLabel(names=list(LABELS))),
        }
    )
    rows = [gold_example(g, g.load_text(corpus_root), normalise) for g in golds]
    columns = {k: [r[k] for r in rows] for k in features}
    return Dataset.from_dict(columns, features=features)
