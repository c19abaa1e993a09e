"""Reading the value areas between labels: which chunks are value cells, and which separators hold blanks.

A *value area* is the text after a label up to the next one. Its chunks (runs without
whitespace or ``|``) that read as a number, a number with its unit, a mark or a glued run
of those are VAL spans. Where cells are separated by ``|`` or tabs, the area is cut into
cells at the separators, and an empty cell's closing separator is a BLANK, once the padding
beyond the row's expected cell count is dropped (``trim_cells``). A zone's last area (its
*tail*) stops where prose begins (``tail_end``).

>>> t = "规章\\t0\\t\\t5\\t\\n"
>>> from nianbao.rules.lexicon import ENTRIES
>>> row = Item(0, 2, "ROW", next(e for e in ENTRIES if e.key == "t2.regulations"))
>>> [(s.tag, t[s.start:s.end]) for s in read_values(t, [row], len(t), "v2021", False)]
[('VAL', '0'), ('BLANK', '\\t'), ('VAL', '5')]
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from nianbao.document import TagSpan
from nianbao.rules.construct import tag_span
from nianbao.rules.lexicon import Entry

_NUM = r"[-+]?(?:\d{1,3}(?:,\d{3})+|[\d〇]+)(?:\.\d+)?"
_GLUED_CELL = r"(?:[\d〇]+(?:\.\d+)?|[/\\无—–―─-])"
VALUE_RE = re.compile(rf"{_NUM}(?:-[\d〇]+(?:\.\d+)?)*(?:万元|元)?|[/\\]|[-—–―─]{{1,2}}|无|一|、"
                      rf"|{_GLUED_CELL}{{2,}}")
_SINGLE_RE = re.compile(rf"{_NUM}(?:-[\d〇]+(?:\.\d+)?)*(?:万元|元)?|[/\\]|[-—–―─]{{1,2}}|无|一|、")  # VALUE_RE less its glued run
_GLUED_MARKS = frozenset("/\\无—–―─-")
UNIT_RE = re.compile(r"万元|元")
CHUNK_RE = re.compile(r"[^\s|]+")
LAYOUT_RE = re.compile(r"[*#>_=~]+|:?-{3,}:?|-[1-9]\d{0,2}-|—[1-9]\d{0,2}—|第\d{1,3}页(?:共\d{1,3}页)?")
YEAR_RE = re.compile(r"(?:19|20)\d{2}")
VALUE_PREFIX_RE = re.compile(r"[\d〇]+(?:\.\d+)?")
_TAB_OR_BREAK = re.compile(r"[\t\n]")


@dataclass(unsafe_hash=True)
class Item:
    """A label (or a piece of a wrapped one) or a heading, in text order."""

    start: int
    end: int
    tag: str
    entry: Entry | None = None

    def __init__(self, start: int, end: int, tag: str, entry: Entry | None = None) -> None:
        """Written out so that mypyc compiles it (``nianbao.rules._native``)."""
        self.start, self.end, self.tag, self.entry = start, end, tag, entry

    @property
    def anchor(self) -> bool:
        """Whether this label alone makes its chain a table zone."""
        return self.entry is not None and self.entry.anchor


@lru_cache(maxsize=1 << 16)
def is_value(chunk: str) -> bool:
    """Whether a whitespace/``|``-free chunk is one value cell (number, number+unit, or mark).

    >>> [is_value(c) for c in ("0000000", "8.3万元", "-1", "1,234", "—", "/", "0无4006", "2.", "83条", "---")]
    [True, True, True, True, True, True, True, False, False, False]
    """
    return (_SINGLE_RE.fullmatch(chunk) is not None or is_glued_run(chunk)) and LAYOUT_RE.fullmatch(chunk) is None


# states of the glued run's automaton: (where, cells read before the current one, capped at 2); where is
# B between cells, I in a cell's digits, P right after its decimal point, F in its decimal digits
_START = frozenset({("B", 0)})
_STEPS: dict[tuple[frozenset[tuple[str, int]], str], frozenset[tuple[str, int]]] = {}


def _char_class(ch: str) -> str:
    if ch.isdecimal():
        return "d"  # what the regex's \d matches
    if ch == "〇":
        return "z"
    if ch == ".":
        return "."
    return "m" if ch in _GLUED_MARKS else "x"


def _step(states: frozenset[tuple[str, int]], cls: str) -> frozenset[tuple[str, int]]:
    out: set[tuple[str, int]] = set()
    for where, c in states:
        if where == "B":
            if cls in "dz":
                out.add(("I", c))
            elif cls == "m":
                out.add(("B", min(c + 1, 2)))
        elif where == "I":
            if cls in "dz":
                out.add(("I", c))
            elif cls == ".":
                out.add(("P", c))
        elif cls == "d":  # P or F
            out.add(("F", c))
    for where, c in list(out):  # a cell may end after its digits or its decimal digits
        if where in ("I", "F"):
            out.add(("B", min(c + 1, 2)))
    return frozenset(out)


def is_glued_run(chunk: str) -> bool:
    """Whether ``chunk`` is two or more glued cells (``VALUE_RE``'s last alternative), read in linear time
    by an automaton where the regex backtracks exponentially over a long run that fails at its end.

    >>> [is_glued_run(c) for c in ("0000", "1.22.3", "12/3", "1", "1.2.3", "〇.5", "12345678901234567890年")]
    [True, True, True, False, False, False, False]
    """
    states = _START
    for ch in chunk:
        cls = _char_class(ch)
        if cls == "x":
            return False
        key = (states, cls)
        nxt = _STEPS.get(key)
        if nxt is None:
            nxt = _STEPS[key] = _step(states, cls)
        if not nxt:
            return False
        states = nxt
    return ("B", 2) in states


@dataclass
class Cell:
    """One cell of a row's value area: its chunks' spans, whether it is empty, its closing separator."""

    spans: list[tuple[int, int]]
    closer: int | None

    @property
    def empty(self) -> bool:
        """No printed content."""
        return not self.spans


def _separators(text: str, a: int, b: int, markdown: bool) -> tuple[str, list[tuple[int, bool]]]:
    """The gap's separator kind and its separators as (position, closes_a_cell)."""
    if text.find("|", a, b) >= 0:
        seps = []
        i = text.find("|", a, b)
        while i >= 0:
            line_start = text.rfind("\n", 0, i) + 1
            opener = markdown and not text[line_start:i].strip()
            seps.append((i, not opener))
            i = text.find("|", i + 1, b)
        return "pipe", seps
    if text.find("\t", a, b) >= 0:
        return "tab", [(m.start(), m.group() == "\t") for m in _TAB_OR_BREAK.finditer(text, a, b)]
    return "plain", []


def row_cells(text: str, a: int, b: int, markdown: bool) -> tuple[str, list[Cell]]:
    """The cells of the value area ``text[a:b]`` after a label (the label's own closer dropped)."""
    mode, seps = _separators(text, a, b, markdown)
    bounds = [(p, closes) for p, closes in seps] + [(b, False)]
    cells: list[Cell] = []
    prev = a
    for k, (p, closes) in enumerate(bounds):
        spans = [c.span() for c in CHUNK_RE.finditer(text, prev, p) if not LAYOUT_RE.fullmatch(c.group())]
        if k == 0 and not spans and mode != "plain" and p < b:
            prev = p + 1
            continue  # the separator closing the label's own cell
        if spans or closes:
            cells.append(Cell(spans, p if closes else None))
        prev = p + 1
    return mode, cells


def trim_cells(cells: list[Cell], expected: int, trailing_first: bool = True) -> list[Cell]:
    """Drop padding while there are more cells than expected: trailing empties and leading ones.

    Rows of ``|`` lines pad at the end (``0 | 0 | ||``); tab-separated and markdown rows
    leave an empty cell after a label that spans two columns (``一、...数量\t\t0``), so
    they drop the leading one first.

    >>> c = [Cell([], 1), Cell([(2, 3)], 4), Cell([], 5)]
    >>> [x.closer for x in trim_cells(c, 1)], [x.closer for x in trim_cells(c, 2)]
    ([4], [1, 4])
    >>> [x.closer for x in trim_cells(c, 2, trailing_first=False)]
    [4, 5]
    """
    cells = list(cells)
    ends = (-1, 0) if trailing_first else (0, -1)
    for end in ends:
        while len(cells) > expected and cells and cells[end].empty:
            cells.pop(end)
    return cells


def _value_spans(text: str, cells: list[Cell], tail: bool) -> list[tuple[int, int]]:
    """VAL spans of the cells (a unit printed apart joins its number); a tail stops at the first non-value."""
    out: list[tuple[int, int]] = []
    for cell in cells:
        for s, e in cell.spans:
            chunk = text[s:e]
            if is_value(chunk):
                out.append((s, e))
            elif out and UNIT_RE.fullmatch(chunk) and not text[out[-1][1]:s].strip():
                out[-1] = (out[-1][0], e)
            elif tail:
                return out
    return out


def _expected_cells(item: Item, nxt: Item | None, template: str) -> int:
    if item.entry is None or item.tag == "TTL":
        return 0
    n = item.entry.cells[0 if template == "v2021" else 1]
    if n < 0:  # (六)其他处理: a group over sub-rows (v2021) or a row of its own (v2019)
        sub = nxt is not None and nxt.entry is not None and nxt.entry.key.startswith("t3.other.")
        return 0 if sub else 7
    return n


def read_values(text: str, zone: list[Item], limit: int, template: str, markdown: bool) -> list[TagSpan]:
    """VAL and BLANK tags in the value areas of one table zone (``limit``: where its tail must stop)."""
    out: list[TagSpan] = []
    for k, it in enumerate(zone):
        nxt = zone[k + 1] if k + 1 < len(zone) else None
        b = nxt.start if nxt else tail_end(text, it.end, limit)
        if b <= it.end:
            continue
        mode, cells = row_cells(text, it.end, b, markdown)
        vals = _value_spans(text, cells, tail=nxt is None)
        out += [tag_span(s, e, "VAL") for s, e in vals]
        expected = _expected_cells(it, nxt, template)
        if mode == "plain" or expected <= 0 or (it.tag != "ROW" and not vals):
            continue
        if it.tag == "COL":  # a header row's own padding is not a cell of the values below it
            line_end = text.find("\n", it.end, b)
            cells = [c for c in cells if not (c.empty and c.closer is not None and 0 <= c.closer < line_end)]
        span_cell = (mode == "tab" or markdown) and it.entry is not None and it.entry.table == "t3"
        for cell in trim_cells(cells, expected, trailing_first=not (span_cell and starts_row(text, it.start))):
            if cell.empty and cell.closer is not None:
                out.append(tag_span(cell.closer, cell.closer + 1, "BLANK"))
    return sorted(out, key=lambda t: t.start)


def starts_row(text: str, i: int) -> bool:
    """Whether position ``i`` is the first cell of its line (after indent and a markdown ``|``).

    >>> starts_row("x\\n一、数量\\t\\t0", 2), starts_row("| 一、数量 |  | 0", 2), starts_row("|  | (二)部分公开", 5), starts_row("\\t(二)", 1)
    (True, True, False, False)
    """
    return text[text.rfind("\n", 0, i) + 1:i].strip(" ") in ("", "|")


def tail_end(text: str, a: int, limit: int) -> int:
    """Where a zone's tail stops: before the first chunk after ``a`` that is not a value (prose).

    Prose glued to the last run keeps the run (``90.0本年度...``) but not a year it starts
    with (``0000000000000002025年`` -> ``000000000000000``); a year set apart from its 年 by a
    PDF (``2023 年``) is prose too.

    >>> t = "结转 0000000  \\n本年度未收到申请。"
    >>> tail_end(t, 2, len(t)), tail_end("总计00002025年,无", 2, 14), tail_end("计 0 0\\n2023 年,无", 1, 14)
    (13, 6, 6)
    >>> tail_end("计 02022,我街道", 1, 11), tail_end("计 90.0本年度", 1, 10)
    (3, 6)
    """
    prev: re.Match[str] | None = None
    for c in CHUNK_RE.finditer(text, a, limit):
        chunk = c.group()
        if is_value(chunk) or UNIT_RE.fullmatch(chunk) or LAYOUT_RE.fullmatch(chunk):
            prev = c
            continue
        if chunk[0] == "年" and prev is not None and YEAR_RE.fullmatch(prev.group()):
            return prev.start()
        m = VALUE_PREFIX_RE.match(chunk)
        if m is None:
            return c.start()
        digits = m.group()
        if YEAR_RE.fullmatch(digits[-4:]) and (len(digits) == 4 or digits[-5].isdigit()):
            digits = digits[:-4]  # prose that opens with a year: 2022,我街道... / 2022年...
        return c.start() + len(digits)
    return limit
