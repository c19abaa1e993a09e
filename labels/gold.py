"""The gold-label format (``labels/gold/*.json``): one JSON file per labelled report.

Real reports keep their text in ``shared/corpus`` and are referenced by
``source`` (path relative to the corpus root) and ``sha256`` of the file's
bytes; synthetic reports carry their ``text`` inline. All offsets are
character offsets into the ORIGINAL decoded text (UTF-8, BOM stripped),
end-exclusive. The Label Studio import writes this same format.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from pydantic import BaseModel, Field

GOLD_SCHEMA = "nianbao.gold/1"

# Input styles: how a crawler/extractor flattened the tables. Gold and synthetic
# documents carry one of these names; evaluation slices by it.
STYLES: dict[str, str] = {
    "pipe_cells": "one cell per line ending in ' | ', NBSP padding, blank cells as empty lines (seed 000)",
    "glued_lines": "one cell per line with blank lines; numeric cells of a row glued into one run (seed 004)",
    "tsv_markdown": "tab-separated rows under markdown # headings (seed 002)",
    "pipe_lines": "one row per line, ' | ' separators, trailing '|' padding; may be traditional + pinyin (seed 003)",
    "markdown_table": "markdown tables (| a | b |, with a --- separator row)",
    "prose": "no tables at all, figures only in prose (seed 001)",
    "pdf_layout": "PDF text layer, -layout extraction: rows on lines, cells split by runs of spaces, wrapped labels",
    "pdf_raw": "PDF text layer, raw extraction: tables printed column by column, row labels after the values",
    "crawl": "HTML tags stripped with no (or single-space) separators: labels and digit runs glued together",
}
GOLD_DIR = Path(__file__).resolve().parent / "gold"


class GoldSpan(BaseModel):
    """A tagged span of the original text; VAL/BLANK spans name the field they fill."""

    start: int
    end: int
    tag: str
    field: str | None = None


class GoldField(BaseModel):
    """A field's true value per the value rules (blank/mark -> null, raw keeps the mark)."""

    value: int | float | None
    raw: str | None = None
    unit: str | None = None
    span: tuple[int, int] = (0, 0)


class GoldSection(BaseModel):
    """A standard section: id s1..s6, heading title as printed, start (heading's first char) and end."""

    id: str
    title: str
    start: int
    end: int


class GoldDoc(BaseModel):
    """One labelled report."""

    schema_: str = Field(GOLD_SCHEMA, alias="schema")
    name: str
    source: str | None = None
    sha256: str
    text: str | None = None
    style: str
    template: str
    used_for: list[str] = Field(default_factory=list)  # e.g. ["train"], ["tune"]; [] = held out
    meta: dict[str, Any] = Field(default_factory=dict)
    sections: list[GoldSection] = Field(default_factory=list)
    spans: list[GoldSpan] = Field(default_factory=list)
    fields: dict[str, GoldField] = Field(default_factory=dict)
    notes: list[str] = Field(default_factory=list)

    model_config = {"populate_by_name": True}

    @property
    def held_out(self) -> bool:
        """True when no model or rule was trained or tuned on this report."""
        return not self.used_for

    @property
    def tuning(self) -> bool:
        """True for a report declared for tuning (``used_for`` names tune): it may choose rules and models."""
        return any("tune" in u for u in self.used_for)

    def load_text(self, corpus_root: Path | None = None) -> str:
        """The original decoded text: inline, or read from the corpus and checked by sha256."""
        if self.text is not None:
            return self.text
        if corpus_root is None or self.source is None:
            raise FileNotFoundError(f"gold {self.name}: no inline text and no corpus root given")
        data = (corpus_root / self.source).read_bytes()
        digest = hashlib.sha256(data).hexdigest()
        if digest != self.sha256:
            raise ValueError(f"gold {self.name}: {self.source} has sha256 {digest}, labels expect {self.sha256}")
        return decode_utf8(data)

    def dump(self, path: Path) -> None:
        """Write as pretty JSON (stable key order)."""
        path.write_text(json.dumps(self.model_dump(by_alias=True, exclude_none=False), ensure_ascii=False,
                                   indent=1) + "\n", encoding="utf-8")


def decode_utf8(data: bytes) -> str:
    """Decode UTF-8 with an optional BOM (the convention for every gold offset)."""
    return data.decode("utf-8-sig")


def load_gold(path: Path) -> list[GoldDoc]:
    """Load one gold file or every ``*.json`` in a directory (sorted by name)."""
    files = sorted(path.glob("*.json")) if path.is_dir() else [path]
    return [GoldDoc.model_validate_json(f.read_text(encoding="utf-8")) for f in files]


def refuse_labelled(docs: Iterable[tuple[str, bytes]], golds: Sequence[GoldDoc], hint: str = "") -> None:
    """Raise ``E_DATA`` when a document (source, original bytes) is the text of a labelled report (its
    sha256): labelled reports, tuning or held out, are never trained on."""
    labelled = {g.sha256: g.name for g in golds}
    for source, data in docs:
        name = labelled.get(hashlib.sha256(data).hexdigest())
        if name:
            raise ValueError(f"E_DATA: {source} is the labelled report {name}; labelled reports are never "
                             f"trained on{hint}")


def default_corpus_root() -> Path:
    """``../shared/corpus`` beside the repository (where CI puts it)."""
    return Path(__file__).resolve().parents[2] / "shared" / "corpus"


def document_name(source: str) -> str:
    """A gold name for a report: its path without extensions, with ``/``, ``.`` and ``#`` as ``-``.

    >>> document_name("pdf/hongze-2023.layout.txt"), document_name("/tmp/x/batch.jsonl#7")
    ('pdf-hongze-2023-layout', 'batch-7')
    """
    base, _, record = source.partition("#")
    path = Path(base)
    while path.suffix.lower() in (".txt", ".html", ".htm", ".jsonl", ".gz"):
        path = path.with_suffix("")
    stem = path.name if path.is_absolute() else path.as_posix()
    name = re.sub(r"[/.#\\]+", "-", stem + (f"#{record}" if record else ""))
    return name.strip("-") or "report"
