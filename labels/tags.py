"""The character tag set: defined once, used by the tagger, synthetic and gold labels,
Label Studio and the evaluation. See ``labels/TAGS.md`` for the decisions and examples.

Every character of the *normalised* text gets one BIO label. Entity types:

====== ===================================================================
SEC    a section heading's text (``一、总体情况``), not its ``#`` marks
TTL    a table title (``第二十条第(一)项``)
ROW    a row label (``一、本年新收政府信息公开申请数量``, ``行政许可``)
COL    a column header (``自然人``, ``结果\\n维持`` spans its newline)
VAL    one value cell (``0``, ``8.3``, ``/``, ``547.9659万元``); every cell
       inside a glued digit run starts its own VAL: ``0000000`` is seven B-VAL
BLANK  one character that holds the place of a blank cell (its ``|``, tab or
       padding); always a single B-BLANK, so a blank is never an empty span
====== ===================================================================

>>> bio_to_spans(["B-VAL", "B-VAL", "I-VAL", "O", "B-BLANK"])
[(0, 1, 'VAL'), (1, 3, 'VAL'), (4, 5, 'BLANK')]
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

ENTITY_TYPES: tuple[str, ...] = ("SEC", "TTL", "ROW", "COL", "VAL", "BLANK")
SINGLE_CHAR_TYPES: frozenset[str] = frozenset({"BLANK"})

LABELS: tuple[str, ...] = ("O",) + tuple(
    f"{p}-{t}" for t in ENTITY_TYPES for p in (("B",) if t in SINGLE_CHAR_TYPES else ("B", "I"))
)
label2id: dict[str, int] = {label: i for i, label in enumerate(LABELS)}
id2label: dict[int, str] = dict(enumerate(LABELS))

TAG_DESCRIPTIONS: dict[str, str] = {
    "SEC": "section heading text (一、总体情况), without # marks",
    "TTL": "table title (第二十条第(一)项)",
    "ROW": "row label",
    "COL": "column header (may span a line break)",
    "VAL": "one value cell; each cell of a glued digit run starts anew",
    "BLANK": "the single character holding the place of a blank cell",
}
TAG_COLORS: dict[str, str] = {
    "SEC": "#e6194b", "TTL": "#911eb4", "ROW": "#4363d8", "COL": "#42d4f4", "VAL": "#3cb44b", "BLANK": "#f58231",
}


def spans_to_bio(length: int, spans: Iterable[tuple[int, int, str]]) -> list[str]:
    """Character BIO labels for ``length`` characters from (start, end, type) spans.

    >>> spans_to_bio(5, [(0, 2, "ROW"), (3, 4, "VAL")])
    ['B-ROW', 'I-ROW', 'O', 'B-VAL', 'O']
    """
    out = ["O"] * length
    for start, end, typ in spans:
        if typ not in ENTITY_TYPES:
            raise ValueError(f"unknown tag type {typ!r}; expected one of {ENTITY_TYPES}")
        if not 0 <= start < end <= length:
            raise ValueError(f"span ({start}, {end}) out of range for {length} characters")
        if typ in SINGLE_CHAR_TYPES and end - start != 1:
            raise ValueError(f"{typ} spans exactly one character, got ({start}, {end})")
        out[start] = f"B-{typ}"
        for i in range(start + 1, end):
            out[i] = f"I-{typ}"
    return out


def bio_to_spans(labels: Sequence[str]) -> list[tuple[int, int, str]]:
    """(start, end, type) spans from BIO labels; an orphan I- starts a new span.

    >>> bio_to_spans(["I-ROW", "I-ROW", "O", "B-VAL"])
    [(0, 2, 'ROW'), (3, 4, 'VAL')]
    """
    spans: list[tuple[int, int, str]] = []
    start, typ = -1, ""
    for i, label in enumerate(labels):
        prefix, _, t = label.partition("-")
        if prefix == "B" or (prefix == "I" and t != typ):
            if typ:
                spans.append((start, i, typ))
            start, typ = i, t
        elif prefix == "O":
            if typ:
                spans.append((start, i, typ))
            start, typ = -1, ""
    if typ:
        spans.append((start, len(labels), typ))
    return spans
