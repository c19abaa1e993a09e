"""The one typed, versioned document model that every pipeline stage reads and writes.

A stage is ``Callable[[Document], Document]``. Offsets inside the model
(tags, cells, ``norm_span``) are into the *normalised* text; the output
record (``to_record``) maps them back to the original decoded text through
``Document.offsets``, as ``shared/spec/output.md`` requires.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, PrivateAttr

from nianbao.labels.layout import document_table
from nianbao.offsets import OffsetMap
from nianbao.version import __version__

SCHEMA_VERSION = "nianbao.doc/1"

Status = Literal["ok", "not_a_report", "error"]
TemplateName = Literal["v2021", "v2019", "none"]
Number = int | float


class ErrorInfo(BaseModel):
    """Why a document failed: a code (``E_DECODE``), the stage, and what to do."""

    code: str
    stage: str
    message: str


class Flag(BaseModel):
    """A broken invariant or a low-confidence decision, naming the fields involved."""

    code: str
    fields: list[str] = Field(default_factory=list)
    message: str = ""
    alternatives: list[dict[str, Any]] | None = None


class Resolution(BaseModel):
    """A field whose doubt was settled after reading (output.md ``resolutions``): it left ``flags``.

    ``evidence`` is ``{"kind": "prose" | "crossyear" | "review", ...}``: a prose span, the other
    report's ``doc_id`` and field, or the reviewer. ``code`` is the flag the field carried before.
    """

    field: str
    previous: Number | None = None
    value: Number | None = None
    code: str | None = None
    evidence: dict[str, Any] = Field(default_factory=dict)


class Meta(BaseModel):
    """Report metadata per ``fields.yaml``: absent keys are left out of the record."""

    org: str | None = None
    year: int | None = None
    title: str | None = None
    date: str | None = None


class Section(BaseModel):
    """A standard top-level section; start/end are normalised-text offsets."""

    id: str
    title: str
    start: int
    end: int


class TagSpan(BaseModel):
    """A tagged span of the normalised text (tag type from ``nianbao.labels.tags``)."""

    start: int
    end: int
    tag: str
    score: float = 1.0


class Cell(BaseModel):
    """One table cell: grid position (end-exclusive), header flags and source span."""

    table: str
    row: int
    col: int
    row_end: int | None = None
    col_end: int | None = None
    text: str = ""
    column_header: bool = False
    row_header: bool = False
    start: int = 0
    end: int = 0
    field: str | None = None


class Table(BaseModel):
    """A rebuilt table as a list of cells; the grid is computed on demand, never stored."""

    id: str
    title: str = ""
    cells: list[Cell] = Field(default_factory=list)

    def grid(self) -> dict[tuple[int, int], Cell]:
        """(row, col) -> cell for every grid position a cell covers."""
        out: dict[tuple[int, int], Cell] = {}
        for c in self.cells:
            for r in range(c.row, c.row_end or c.row + 1):
                for k in range(c.col, c.col_end or c.col + 1):
                    out[(r, k)] = c
        return out


class FieldValue(BaseModel):
    """An extracted value: number or null (blank / mark), with evidence and confidence."""

    value: Number | None
    raw: str | None = None
    unit: str | None = None
    confidence: float = 1.0
    norm_span: tuple[int, int] = (0, 0)


def _source_span(offsets: OffsetMap, pinned: dict[str, tuple[tuple[int, int], tuple[int, int]]], fid: str,
                 fv: FieldValue) -> tuple[int, int]:
    """A field's span in the original text: its pinned span, else its norm_span mapped back by ``offsets``."""
    pin = pinned.get(fid)
    if pin is not None and pin[0] == tuple(fv.norm_span):
        return pin[1]
    return offsets.span_to_source(*fv.norm_span)


def field_item(value: Number | None, raw: str | None, unit: str | None, confidence: float,
               span: tuple[int, int]) -> dict[str, Any]:
    """One field of the output record (output.md): raw and unit only where present.

    >>> field_item(8.3, None, "万元", 0.99, (4, 7))
    {'value': 8.3, 'unit': '万元', 'confidence': 0.99, 'span': [4, 7]}
    """
    item: dict[str, Any] = {"value": value}
    if raw is not None:
        item["raw"] = raw
    if unit is not None:
        item["unit"] = unit
    item["confidence"] = round(float(confidence), 6)
    item["span"] = list(span)
    return item


class ModelInfo(BaseModel):
    """Which tagger produced the tags (null for ``--no-model``)."""

    name: str
    version: str
    sha256: str
    runtime: str | None = None  # torch | onnx | onnx-int8: which network produced the tags (an addition)


class Document(BaseModel):
    """Everything known about one input document, from bytes to fields."""

    model_config = ConfigDict(arbitrary_types_allowed=True)

    schema_version: str = SCHEMA_VERSION
    nianbao: str = __version__
    doc_id: str = ""
    source: str = ""
    status: Status = "ok"
    error: ErrorInfo | None = None
    text: str = ""  # the original decoded input text
    kind: Literal["text", "html"] = "text"  # "html": text is the page source, norm_text the rendered page
    norm_text: str = ""
    boilerplate: list[tuple[int, int]] = Field(default_factory=list)  # normalised-text spans
    template: TemplateName = "none"
    meta: Meta = Field(default_factory=Meta)
    sections: list[Section] = Field(default_factory=list)
    tags: list[TagSpan] = Field(default_factory=list)
    tables: list[Table] = Field(default_factory=list)
    fields: dict[str, FieldValue] = Field(default_factory=dict)
    flags: list[Flag] = Field(default_factory=list)
    resolutions: list[Resolution] = Field(default_factory=list)
    model: ModelInfo | None = None
    url: str | None = None  # the page's address where known (WARC-Target-URI, a crawl's 原文链接)
    duplicate_of: str | None = None  # doc_id or source of an earlier record holding the same report

    _offsets: OffsetMap | None = PrivateAttr(default=None)
    _char_probs: Any = PrivateAttr(default=None)  # numpy [len(norm_text), n_labels] or None
    _search: Any = PrivateAttr(default=None)  # nianbao.rules.budget.Tally of the rule stage's searches
    _source_spans: dict[str, tuple[tuple[int, int], tuple[int, int]]] = PrivateAttr(default_factory=dict)

    # ------------------------------------------------------------ offsets
    @property
    def offsets(self) -> OffsetMap:
        """The map from normalised text back to the original text."""
        if self._offsets is None:
            self._offsets = OffsetMap.identity(len(self.norm_text))
        return self._offsets

    @offsets.setter
    def offsets(self, value: OffsetMap) -> None:
        self._offsets = value

    @property
    def char_probs(self) -> Any:
        """Per-character label probabilities from the tagger (numpy array), if a model ran."""
        return self._char_probs

    @char_probs.setter
    def char_probs(self, value: Any) -> None:
        self._char_probs = value

    @property
    def search(self) -> Any:
        """The steps the rule layer's searches spent on this document (a ``rules.budget.Tally``), if run."""
        return self._search

    @search.setter
    def search(self, value: Any) -> None:
        self._search = value

    def to_source(self, start: int, end: int) -> tuple[int, int]:
        """Map a normalised-text span to the original text."""
        return self.offsets.span_to_source(start, end)

    def pin_source_span(self, fid: str, source_span: tuple[int, int]) -> None:
        """Give a field's record span in the original text directly (an HTML blank cell: the empty span at
        its content's start, which no normalised position maps to); it holds while the field's norm_span stays."""
        self._source_spans[fid] = (self.fields[fid].norm_span, source_span)

    def field_source_span(self, fid: str, fv: FieldValue) -> tuple[int, int]:
        """A field's span in the original text: its pinned span, else its norm_span mapped back."""
        return _source_span(self.offsets, self._source_spans, fid, fv)

    def fail(self, code: str, stage: str, message: str) -> Document:
        """Mark the document as failed with a coded error; returns self."""
        self.status = "error"
        self.error = ErrorInfo(code=code, stage=stage, message=message)
        return self

    # ------------------------------------------------------------ output view
    def table(self, table_id: str) -> Any:
        """Table ``t2``, ``t3`` or ``t4`` as a pandas DataFrame laid out like the printed table (Chinese
        row and column labels); a blank, a mark or a missing field is <NA>, never 0 (``fields`` says which)."""
        return document_table(self, table_id)

    def to_record(self) -> dict[str, Any]:
        """The JSONL record of ``shared/spec/output.md`` (offsets into the original text)."""
        offsets, pinned = self.offsets, self._source_spans  # private attributes: read once, not per field
        fields = {fid: field_item(fv.value, fv.raw, fv.unit, fv.confidence, _source_span(offsets, pinned, fid, fv))
                  for fid, fv in self.fields.items()}
        sections = []
        for s in self.sections:
            a, b = offsets.span_to_source(s.start, s.end)
            sections.append({"id": s.id, "title": s.title, "start": a, "end": b})
        record: dict[str, Any] = {
            "nianbao": self.nianbao,
            "doc_id": self.doc_id,
            "source": self.source,
            "status": self.status,
            "error": self.error.model_dump() if self.error else None,
            "template": self.template,
            "meta": self.meta.model_dump(exclude_none=True),
            "sections": sections,
            "fields": fields,
            "flags": [f.model_dump(exclude_none=True) for f in self.flags],
            "model": self.model.model_dump() if self.model else None,
        }
        # additions to the contract (output.md): present only where they say something
        if self.resolutions:
            record["resolutions"] = [r.model_dump(exclude_none=True) for r in self.resolutions]
        if self.url:
            record["url"] = self.url
        if self.duplicate_of:
            record["duplicate_of"] = self.duplicate_of
        return record


_SLOTS = BaseModel.__dict__
_SET_DICT = _SLOTS["__dict__"].__set__  # the slots' own setters: BaseModel.__setattr__ would validate
_SET_FIELDS = _SLOTS["__pydantic_fields_set__"].__set__
_SET_EXTRA = _SLOTS["__pydantic_extra__"].__set__
_SET_PRIVATE = _SLOTS["__pydantic_private__"].__set__
SLOT_SETTERS = (_SET_DICT, _SET_FIELDS, _SET_EXTRA, _SET_PRIVATE)  # for the rule layer's compiled ``built``


def built(cls: type, values: dict[str, Any], fields_set: set[str] | None = None) -> Any:
    """A pydantic model instance from a complete, already valid field dict in field order (what
    ``model_construct`` does, without its per-field default handling); every field counts as set unless
    ``fields_set`` says which were given. For the few hundred spans and cells a report makes, where
    validating each costs more than the rest of the work on it.

    >>> built(TagSpan, {"start": 1, "end": 2, "tag": "VAL", "score": 0.5}) == TagSpan(start=1, end=2, tag="VAL",
    ...                                                                         score=0.5)
    True
    """
    obj = object.__new__(cls)
    _SET_DICT(obj, values)
    _SET_FIELDS(obj, set(values) if fields_set is None else fields_set)
    _SET_EXTRA(obj, None)
    _SET_PRIVATE(obj, None)
    return obj
