"""What an annotator types into Label Studio's boxes, and how it reads back: small pure functions.

Three boxes carry what a span label cannot:

* the per-region **value box** of a value cell: the cell's value as the annotator
  confirms or corrects it (``12``, ``8.3万元``, ``/``, ``blank``), or a JSON object
  ``{"value": .., "raw": .., "unit": ..}`` for anything the short form cannot say;
* the per-region **ID box**: a field ID on a VAL/BLANK region, a section ID (``s1``..``s6``,
  or a JSON object with ``id``/``title``/``end``) on a SEC region;
* the per-document **unplaced box**: one line per field (or section) that has no
  character to hang a region on, e.g. a blank cell the source kept no trace of:
  ``t3.carried_over.research = blank @5181`` (an empty span at 5181).

Reading never consults the parser: a value comes from the box, else from the
characters the annotator marked. Writing (``format_*``) picks the short form only
when it reads back to exactly the same thing, so gold -> boxes -> gold is lossless.

>>> parse_value("547.9659万元")
(547.9659, None, '万元')
>>> format_value(None, "/", None), format_value(None, None, None)
('/', 'blank')
"""

from __future__ import annotations

import json
import re
from typing import Any

MARKS: frozenset[str] = frozenset({"/", "／", "—", "——", "-", "－", "--", "无", "–", "\\"})
BLANK_WORDS: frozenset[str] = frozenset({"blank", "空"})
UNITS: tuple[str, ...] = ("万元", "元")
_FULLWIDTH = str.maketrans("０１２３４５６７８９．，－〇", "0123456789.,-0")
_NUMBER = re.compile(r"^([+-]?)(\d{1,3}(?:,\d{3})+|\d+)(\.\d+)?$")
SECTION_IDS: tuple[str, ...] = ("s1", "s2", "s3", "s4", "s5", "s6")

Value = int | float | None


class BoxError(ValueError):
    """A box's content cannot be read; the message says what to type instead."""


def read_number(text: str) -> tuple[int | float, str | None] | None:
    """A printed number with an optional unit, or None when ``text`` is not one.

    Full-width digits and 〇 read as digits, thousands separators are dropped.

    >>> read_number("１,２０３"), read_number("8.3万元"), read_number("-1"), read_number("约12")
    ((1203, None), (8.3, '万元'), (-1, None), None)
    """
    s = text.strip().translate(_FULLWIDTH)
    unit = next((u for u in UNITS if s.endswith(u)), None)
    if unit:
        s = s[: -len(unit)].strip()
    m = _NUMBER.match(s)
    if not m:
        return None
    sign, digits, frac = m.group(1), m.group(2).replace(",", ""), m.group(3)
    number: int | float = float(f"{sign}{digits}{frac}") if frac else int(f"{sign}{digits}")
    return number, unit


def parse_value(text: str) -> tuple[Value, str | None, str | None]:
    """(value, raw, unit) from a value box or a marked cell's characters; raises ``BoxError``.

    >>> parse_value(" 0 "), parse_value("无"), parse_value("blank")
    ((0, None, None), (None, '无', None), (None, None, None))
    >>> parse_value('{"value": 1203, "raw": "1,203"}')
    (1203, '1,203', None)
    """
    s = text.strip()
    if s.startswith("{"):
        try:
            obj = json.loads(s)
        except json.JSONDecodeError as exc:
            raise BoxError(f"value box is not valid JSON ({exc.msg}): {s!r}") from exc
        if not isinstance(obj, dict) or "value" not in obj or set(obj) - {"value", "raw", "unit"}:
            raise BoxError(f'value box JSON must be {{"value": .., "raw": .., "unit": ..}}: {s!r}')
        value = obj["value"]
        if value is not None and (isinstance(value, bool) or not isinstance(value, int | float)):
            raise BoxError(f"value box JSON 'value' must be a number or null: {s!r}")
        return value, obj.get("raw"), obj.get("unit")
    if s.lower() in BLANK_WORDS:
        return None, None, None
    if s in MARKS:
        return None, s, None
    number = read_number(s)
    if number is None:
        raise BoxError(
            f"cannot read {s!r} as a value: type a number (12, 8.3万元), a mark (/ — - 无), "
            f'\'blank\', or JSON {{"value": .., "raw": ..}}'
        )
    return number[0], None, number[1]


def _same(a: tuple[Value, str | None, str | None], b: tuple[Value, str | None, str | None]) -> bool:
    return a == b and type(a[0]) is type(b[0])


def format_value(value: Value, raw: str | None, unit: str | None) -> str:
    """The value box text for a gold value: the short form when it reads back exactly, else JSON.

    >>> format_value(8.3, None, "万元"), format_value(1203, "1,203", None)
    ('8.3万元', '{"value": 1203, "raw": "1,203"}')
    """
    want = (value, raw, unit)
    if value is None:
        short = raw if raw is not None else "blank"
    else:
        short = f"{value!r}{unit or ''}"
    try:
        if _same(parse_value(short), want):
            return short
    except BoxError:
        pass
    obj: dict[str, Any] = {"value": value}
    if raw is not None:
        obj["raw"] = raw
    if unit is not None:
        obj["unit"] = unit
    return json.dumps(obj, ensure_ascii=False)


def parse_section_box(text: str) -> dict[str, Any]:
    """A SEC region's ID box: ``s3``, or JSON with ``id`` and optional ``title``/``end``.

    >>> parse_section_box("s3"), parse_section_box('{"id": "s6", "end": 90}')
    ({'id': 's3'}, {'id': 's6', 'end': 90})
    """
    s = text.strip()
    if s.startswith("{"):
        try:
            obj = json.loads(s)
        except json.JSONDecodeError as exc:
            raise BoxError(f"section box is not valid JSON ({exc.msg}): {s!r}") from exc
        if not isinstance(obj, dict) or set(obj) - {"id", "title", "end"} or "id" not in obj:
            raise BoxError(f'section box JSON must be {{"id": "s1", "title": .., "end": ..}}: {s!r}')
    else:
        obj = {"id": s}
    if obj["id"] not in SECTION_IDS:
        raise BoxError(f"unknown section ID {obj['id']!r}: type one of {', '.join(SECTION_IDS)}")
    return obj


def parse_position(text: str) -> tuple[int, int]:
    """``@5181`` (an empty span) or ``@10-13`` -> (start, end).

    >>> parse_position("@5181"), parse_position("@10-13")
    ((5181, 5181), (10, 13))
    """
    m = re.fullmatch(r"@(\d+)(?:-(\d+))?", text.strip())
    if not m:
        raise BoxError(f"position must be @START or @START-END, got {text.strip()!r}")
    start = int(m.group(1))
    end = int(m.group(2)) if m.group(2) else start
    if end < start:
        raise BoxError(f"position {text.strip()!r} ends before it starts")
    return start, end


def parse_unplaced_line(line: str) -> tuple[str, str, tuple[int, int] | None]:
    """One line of the unplaced box: ``KEY = VALUE [@START[-END]]`` -> (key, value text, span).

    >>> parse_unplaced_line("t3.total.other_org = blank @5181")
    ('t3.total.other_org', 'blank', (5181, 5181))
    >>> parse_unplaced_line("s5 = 五、存在的主要问题 @10-20")
    ('s5', '五、存在的主要问题', (10, 20))
    """
    key, eq, rest = line.partition("=")
    if not eq or not key.strip():
        raise BoxError(f"unplaced line must read 'FIELD_ID = VALUE @POSITION', got {line.strip()!r}")
    rest = rest.strip()
    span = None
    head, at, tail = rest.rpartition(" @")
    if at and re.fullmatch(r"\d+(?:-\d+)?", tail.strip()):
        span, rest = parse_position("@" + tail), head.strip()
    elif rest.startswith("@") and re.fullmatch(r"@\d+(?:-\d+)?", rest):
        span, rest = parse_position(rest), ""
    return key.strip(), rest, span


def format_unplaced_line(key: str, value_text: str, span: tuple[int, int]) -> str:
    """The unplaced-box line for a field or section with no region.

    >>> format_unplaced_line("t3.total.other_org", "blank", (7, 7))
    't3.total.other_org = blank @7'
    """
    pos = f"@{span[0]}" if span[0] == span[1] else f"@{span[0]}-{span[1]}"
    return f"{key} = {value_text} {pos}"
