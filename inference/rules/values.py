"""Reading one printed cell into a value per the value rules of ``fields.yaml``.

    >>> parse_cell("547.9659万元")
    Parsed(value=547.9659, raw=None, unit='万元')
    >>> parse_cell("1,234"), parse_cell("/"), parse_cell("０")
    (Parsed(value=1234, raw=None, unit=None), Parsed(value=None, raw='/', unit=None), Parsed(value=0, raw=None, unit=None))
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import NamedTuple

Number = int | float

MARKS = frozenset({"/", "／", "—", "-", "－", "无", "——", "--", "–", "―", "\\", "、", "─", "一"})
UNITS = ("万元", "元")
_WIDE = str.maketrans("０１２３４５６７８９．，－〇", "0123456789.,-0")
_NUM = re.compile(r"^[+-]?\d+(?:\.\d+)?$")


class Parsed(NamedTuple):
    """A cell's value (number or None), the printed mark (for marks) and the printed unit."""

    value: Number | None
    raw: str | None
    unit: str | None


def to_number(text: str) -> Number:
    """A numeric string as int, or float when it has a fractional part.

    >>> to_number("8.30"), to_number("12"), to_number("-1")
    (8.3, 12, -1)
    """
    if "." in text:
        f = float(text)
        return int(f) if f.is_integer() and not text.split(".")[1].strip("0") else f
    return int(text)


def fold_digits(text: str) -> str:
    """Full-width digits/points/minus and 〇 to ASCII, whitespace and thousands separators dropped.

    >>> fold_digits("１,２３４ ")
    '1234'
    """
    return "".join(text.translate(_WIDE).split()).replace(",", "").replace("，", "")


def parse_cell(text: str) -> Parsed:
    """Value, mark and unit of one cell's text; raises ValueError for text that is not a cell."""
    parsed = _parse(text)
    if parsed is None:
        raise ValueError(f"not a number: {text!r}")
    return parsed


@lru_cache(maxsize=1 << 16)
def _parse(text: str) -> Parsed | None:
    """``parse_cell`` memoised (cells repeat within and across reports); None for text that is not a cell."""
    t = "".join(text.split())
    if t in MARKS or (t and set(t) <= {"—", "-", "－", "–", "―", "─"}):
        return Parsed(None, t, None)
    unit = None
    for u in UNITS:
        if t.endswith(u):
            unit, t = u, t[: -len(u)]
            break
    t = fold_digits(t)
    if t.startswith("+"):
        t = t[1:]
    if not _NUM.match(t):
        return None
    return Parsed(to_number(t), None, unit)


def unit_in_header(header: str) -> str | None:
    """The money unit a column header names (``本年收费金额(单位:万元)`` -> ``万元``).

    >>> unit_in_header("本年收费金额（单位：万元）"), unit_in_header("采购总金额")
    ('万元', None)
    """
    for u in UNITS:
        if u in header:
            return u
    return None
