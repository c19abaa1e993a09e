"""Prose against tables: where the text states a figure the tables also hold, they must agree.

The table wins (values stay as tabulated); a disagreement becomes a ``crosscheck.text_table``
flag naming the table field, with the prose figure in the message::

    >>> from nianbao.document import Document, FieldValue
    >>> d = Document(norm_text="全年共收到政府信息公开申请12件。", template="v2021")
    >>> d.fields = {"t3.new_received.total": FieldValue(value=10)}
    >>> [(f.code, f.fields) for f in crosscheck(d).flags]
    [('crosscheck.text_table', ['t3.new_received.total'])]
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator

from nianbao.document import Document, Flag
from nianbao.rules.values import fold_digits

_NUM = r"([0-9０-９]{1,6})"
# (pattern, field(s) whose sum the figure states)
_CLAIMS: tuple[tuple[re.Pattern[str], tuple[str, ...]], ...] = (
    (re.compile(r"(?:本年|全年|年内|共|累计)[^。;；\n]{0,6}?(?:新收|收到|受理)[^。;；\n件]{0,16}?"
                r"(?:政府信息公开|依申请公开)申请[^0-9０-９。;；\n件]{0,6}?" + _NUM + r"\s*件"),
     ("t3.new_received.total",)),
    (re.compile(r"(?:新收|收到|受理)(?:政府信息公开|依申请公开)申请(?:共|总计|合计)?" + _NUM + r"\s*件"),
     ("t3.new_received.total",)),
    (re.compile(r"(?:被申请|发生|收到)?(?:政府信息公开)?行政复议(?:申请|案件)?(?:共|为|总计)?" + _NUM + r"\s*件"),
     ("t4.review.total",)),
    (re.compile(r"(?:被提起|发生)?(?:政府信息公开)?行政诉讼(?:案件)?(?:共|为|总计)?" + _NUM + r"\s*件"),
     ("t4.suit_direct.total", "t4.suit_after_review.total")),
)


# The table-4 claims open with optional words before a fixed phrase: a match starts 0, 2, 3, 6, 8 or 9
# characters before an occurrence of that phrase, so only those places are tried (``_matches``).
_LEADS = {2: ("行政复议", (0, 2, 3, 6, 8, 9)), 3: ("行政诉讼", (0, 2, 3, 6, 8, 9))}


def _matches(pattern: re.Pattern[str], text: str, lead: tuple[str, tuple[int, ...]] | None) -> Iterator[re.Match[str]]:
    """``pattern.finditer(text)``; with ``lead`` (a phrase every match holds, at one of the given offsets from
    its start) trying only the places a match can start, in order, as the scan would.

    >>> p = re.compile(r"(?:发生)?行政复议(\\d)件")
    >>> [m.span() for m in _matches(p, "发生行政复议1件,行政复议2件", ("行政复议", (0, 2)))]
    [(0, 8), (9, 15)]
    """
    if lead is None:
        yield from pattern.finditer(text)
        return
    phrase, offsets = lead
    starts: set[int] = set()
    at = text.find(phrase)
    while at >= 0:
        starts.update(at - k for k in offsets if at >= k)
        at = text.find(phrase, at + 1)
    pos = 0
    for start in sorted(starts):
        if start < pos:
            continue
        m = pattern.match(text, start)
        if m is not None:
            yield m
            pos = m.end()


def prose_claims(text: str, inside_table: Callable[[int], bool] = lambda _: False) -> list[tuple[tuple[str, ...], int, int]]:
    """(fields, stated figure, offset) for each figure the prose states.

    >>> prose_claims("本年度收到行政复议3件,行政诉讼1件。")
    [(('t4.review.total',), 3, 9), (('t4.suit_direct.total', 't4.suit_after_review.total'), 1, 16)]
    """
    out = []
    for k, (pattern, fields) in enumerate(_CLAIMS):
        for m in _matches(pattern, text, _LEADS.get(k)):
            if inside_table(m.start()):
                continue
            out.append((fields, int(fold_digits(m.group(1))), m.start(1)))
    out.sort(key=lambda c: c[2])
    seen: set[int] = set()
    unique = []
    for c in out:
        if c[2] not in seen:
            seen.add(c[2])
            unique.append(c)
    return unique


def crosscheck(doc: Document) -> Document:
    """Pipeline stage: flag table fields that the prose contradicts (the table is kept)."""
    spans = sorted((t.start, t.end) for t in doc.tags if t.tag in ("ROW", "COL", "VAL", "BLANK", "TTL"))

    def inside(pos: int) -> bool:
        return any(s <= pos < e for s, e in spans)

    done: set[tuple[str, ...]] = set()
    for fields, figure, _ in prose_claims(doc.norm_text, inside):
        if fields in done or any(f not in doc.fields for f in fields):
            continue
        done.add(fields)
        table = sum(doc.fields[f].value or 0 for f in fields)
        if table != figure:
            doc.flags.append(Flag(code="crosscheck.text_table", fields=list(fields), message=(
                f"the text states {figure} but the table holds {table:g}; the table value is kept")))
    return doc
