"""Column alignment in PDF layout text: where a row prints fewer cells than the table has columns
(blank cells leave no trace), the horizontal position of each value tells its column.

Anchors are the median right edges (in display columns: a CJK character is two wide) of each
column over the rows that print every cell on one line; a value of a short row prefers the
column whose anchor is nearest, when that anchor is clearly nearer than the next one::

    >>> rows = [["规章   1   2   3", "规章   4   5   6"], ["规章   7       9"]]
    >>> text = "\\n".join(rows[0] + rows[1])
    >>> full = [[(text.index(c, k * 15), text.index(c, k * 15) + 1) for c in "123456789"[3 * k:3 * k + 3]]
    ...         for k in range(2)]
    >>> anchors = column_anchors(text, full, 3)
    >>> preferred_columns(text, [(text.rindex("7"), text.rindex("7") + 1), (text.rindex("9"), text.rindex("9") + 1)],
    ...                   anchors)
    [0, 2]
"""

from __future__ import annotations

import unicodedata
from functools import lru_cache
from statistics import median

Span = tuple[int, int]


def display_width(text: str) -> int:
    """Width of ``text`` on a character grid: wide (CJK) characters count two.

    >>> display_width("规章 12")
    7
    """
    return sum(map(_char_width, text))


@lru_cache(maxsize=1 << 16)
def _char_width(c: str) -> int:
    return 2 if unicodedata.east_asian_width(c) in "WF" else 1


def right_edge(text: str, span: Span) -> int:
    """Display column just after a span, counted from the start of its line."""
    line_start = text.rfind("\n", 0, span[0]) + 1
    return display_width(text[line_start:span[1]])


def column_anchors(text: str, full_rows: list[list[Span]], n: int) -> list[float] | None:
    """Median right edge of each column over rows that print all ``n`` cells (None when there are none
    or the anchors do not increase left to right)."""
    rows = [r for r in full_rows if len(r) == n]
    if not rows:
        return None
    anchors = [float(median(right_edge(text, r[j]) for r in rows)) for j in range(n)]
    if any(b - a < 2 for a, b in zip(anchors, anchors[1:], strict=False)):
        return None
    return anchors


def preferred_columns(text: str, spans: list[Span], anchors: list[float]) -> list[int | None]:
    """For each value, the column whose anchor is nearest, or None when two columns are about as near."""
    out: list[int | None] = []
    for sp in spans:
        x = right_edge(text, sp)
        dist = sorted((abs(x - a), j) for j, a in enumerate(anchors))
        near, second = dist[0], dist[1] if len(dist) > 1 else (float("inf"), -1)
        out.append(near[1] if second[0] - near[0] >= 2 else None)
    return out
