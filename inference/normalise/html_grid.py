"""HTML tables as explicit grids of cells, each with its text and where that text lies in the page source.

The layout text (``normalise.html``) keeps a table's rows as lines and its cells as tab-separated
runs, but a run of blank cells at a row's end leaves no trace, and the text readers must infer
where blanks are. The markup says it: this module reads every data table (one whose cells hold no
table; the site frame's layout tables are skipped) into rows of ``GridCell``s, ``rowspan`` and
``colspan`` expanded into grid columns, Word's placeholder cells (``mso-cell-special:placeholder``)
left out. A cell's text is its characters with whitespace and ``&nbsp;`` collapsed; its ``span`` is
the source range from its first to its last printed character, or, for a blank cell, the empty span
at the start of its content (just after the ``<td>`` tag).

The same ``html.parser`` tokenizer as the layout text is used (see ``normalise.html`` for why), so
positions are exact.

>>> rows = data_rows("<table><tr><td rowspan=2>甲</td><td>&nbsp;</td><td> 3 </td></tr><tr><td>4</td>"
...                  "<td></td></tr></table>")
>>> [[(c.col, c.text) for c in r.cells] for r in rows]
[[(0, '甲'), (1, ''), (2, '3')], [(0, '甲'), (1, '4'), (2, '')]]
>>> rows[0].cells[1].span, rows[0].cells[2].span
((35, 35), (51, 52))
"""

from __future__ import annotations

import re
from bisect import bisect_right
from dataclasses import dataclass, field
from functools import lru_cache
from html import unescape
from html.parser import HTMLParser

from nianbao.normalise.html import CELL_TAGS, SKIP_TAGS

_ENTITY = re.compile(r"&(?:#[xX][0-9a-fA-F]+|#[0-9]+|[a-zA-Z][-.a-zA-Z0-9]*);?")
_SPACE = " \t\n\r\f\xa0\u3000"
MAX_SPAN = 1000  # rowspan/colspan above this is markup noise (browsers cap colspan at 1000)


@dataclass
class GridCell:
    """One cell of a data table: grid position (start row/col and extent), text, source span."""

    row: int
    col: int
    rows: int
    cols: int
    text: str
    span: tuple[int, int]
    header: bool = False  # a ``<th>``


@dataclass
class GridRow:
    """One ``<tr>`` of a data table: its source range and its cells in column order (cells spanning
    into it from rows above included, at their columns)."""

    table: int
    index: int
    start: int
    end: int
    cells: list[GridCell] = field(default_factory=list)

    def own_cells(self) -> list[GridCell]:
        """The cells that start in this row (not the ones a ``rowspan`` above carries into it)."""
        return [c for c in self.cells if c.row == self.index]


@dataclass
class _OpenCell:
    content_start: int
    rows: int
    cols: int
    header: bool
    pieces: list[tuple[str, int, int]] = field(default_factory=list)  # (text, source start, source end)
    holds_table: bool = False


@dataclass
class _OpenTable:
    rows: list[tuple[int, int, list[_OpenCell]]] = field(default_factory=list)  # (start, end, cells)
    row_open: bool = False
    cell: _OpenCell | None = None
    frame: bool = False  # a cell of it holds a table


def _span_attr(attrs: list[tuple[str, str | None]], name: str) -> int:
    for k, v in attrs:
        if k == name and v:
            m = re.match(r"\s*(\d+)", v)
            if m:
                return max(1, min(MAX_SPAN, int(m.group(1))))
    return 1


class _GridParser(HTMLParser):
    def __init__(self, source: str) -> None:
        super().__init__(convert_charrefs=False)
        self.src = source
        self.line_starts = [0] + [m.end() for m in re.finditer("\n", source)]
        self.stack: list[_OpenTable] = []
        self.done: list[_OpenTable] = []
        self.skip_depth = 0
        self.placeholder = False

    def _pos(self) -> int:
        line, col = self.getpos()
        return self.line_starts[line - 1] + col

    def _tag_end(self, start: int) -> int:
        raw = self.get_starttag_text() or ""
        if raw and self.src.startswith(raw, start):
            return start + len(raw)
        end = self.src.find(">", start)
        return len(self.src) if end < 0 else end + 1

    def parse_html_declaration(self, i: int) -> int:
        """``<![...]>`` is a bogus comment (as in ``normalise.html``)."""
        if self.rawdata.startswith("<![", i):
            j = self.rawdata.find(">", i + 3)
            return -1 if j < 0 else j + 1
        return super().parse_html_declaration(i)

    # ------------------------------------------------------------ structure
    def _end_cell(self, t: _OpenTable) -> None:
        if t.cell is not None:
            t.rows[-1][2].append(t.cell)
            t.cell = None

    def _end_row(self, t: _OpenTable, at: int) -> None:
        self._end_cell(t)
        if t.row_open:
            start, _, cells = t.rows[-1]
            t.rows[-1] = (start, at, cells)
            t.row_open = False

    def _start_row(self, t: _OpenTable, at: int) -> None:
        self._end_row(t, at)
        t.rows.append((at, at, []))
        t.row_open = True

    def handle_starttag(self, tag: str, attrs: list) -> None:
        if tag in SKIP_TAGS:
            self.skip_depth += 1
            return
        if self.skip_depth:
            return
        start = self._pos()
        if tag == "table":
            if self.stack and self.stack[-1].cell is not None:
                self.stack[-1].cell.holds_table = True
                self.stack[-1].frame = True
            self.stack.append(_OpenTable())
            return
        if not self.stack:
            return
        t = self.stack[-1]
        if tag == "tr":
            self._start_row(t, start)
        elif tag in CELL_TAGS:
            self._end_cell(t)
            self.placeholder = any(k == "style" and v and "mso-cell-special:placeholder" in v.replace(" ", "").lower()
                                   for k, v in attrs)
            if self.placeholder:
                return
            if not t.row_open:
                self._start_row(t, start)
            t.cell = _OpenCell(self._tag_end(start), _span_attr(attrs, "rowspan"), _span_attr(attrs, "colspan"),
                               tag == "th")

    def handle_startendtag(self, tag: str, attrs: list) -> None:
        """``<td/>``: as in HTML5 the slash changes nothing."""
        if tag not in SKIP_TAGS:
            self.handle_starttag(tag, attrs)

    def handle_endtag(self, tag: str) -> None:
        if tag in SKIP_TAGS:
            self.skip_depth = max(0, self.skip_depth - 1)
            return
        if self.skip_depth or not self.stack:
            return
        start = self._pos()
        t = self.stack[-1]
        if tag == "table":
            self._end_row(t, start)
            self.done.append(self.stack.pop())
        elif tag == "tr":
            self._end_row(t, self.src.find(">", start) + 1 or len(self.src))
        elif tag in CELL_TAGS:
            if self.placeholder:
                self.placeholder = False
            else:
                self._end_cell(t)

    def handle_data(self, data: str) -> None:
        if self.skip_depth or self.placeholder or not self.stack or self.stack[-1].cell is None or not data:
            return
        start = self._pos()
        if self.src.startswith(data, start):
            self.stack[-1].cell.pieces.append((data, start, start + len(data)))

    def _entity(self) -> None:
        if self.skip_depth or self.placeholder or not self.stack or self.stack[-1].cell is None:
            return
        start = self._pos()
        m = _ENTITY.match(self.src, start)
        end = m.end() if m else start + 1
        value = unescape(self.src[start:end])
        self.stack[-1].cell.pieces.append((value if len(value) == 1 else " ", start, end))

    def handle_entityref(self, name: str) -> None:
        self._entity()

    def handle_charref(self, name: str) -> None:
        self._entity()

    def close(self) -> None:
        super().close()
        end = len(self.src)
        while self.stack:
            t = self.stack.pop()
            self._end_row(t, end)
            self.done.append(t)


def _cell_text(cell: _OpenCell) -> tuple[str, tuple[int, int]]:
    """A cell's text (whitespace runs as one space, trimmed) and the source span of its printed characters."""
    chars: list[tuple[str, int, int]] = []
    for text, a, b in cell.pieces:
        if b - a == len(text):
            chars.extend((ch, a + k, a + k + 1) for k, ch in enumerate(text))
        else:
            chars.extend((ch, a, b) for ch in text)
    printed = [k for k, (ch, _, _) in enumerate(chars) if ch not in _SPACE]
    if not printed:
        return "", (cell.content_start, cell.content_start)
    lo, hi = printed[0], printed[-1]
    out: list[str] = []
    for ch, _, _ in chars[lo:hi + 1]:
        if ch in _SPACE:
            if out and out[-1] != " ":
                out.append(" ")
        else:
            out.append(ch)
    return "".join(out), (chars[lo][1], chars[hi][2])


def _expand(k: int, t: _OpenTable) -> list[GridRow]:
    """Rows of one table with ``rowspan``/``colspan`` laid out on the grid."""
    carried: dict[int, tuple[GridCell, int]] = {}  # column -> (cell, last row it covers)
    out = []
    for i, (start, end, cells) in enumerate(t.rows):
        row = GridRow(k, i, start, end)
        placed: dict[int, GridCell] = {c: gc for c, (gc, last) in carried.items() if last >= i}
        col = 0
        for oc in cells:
            while col in placed:
                col += 1
            text, span = _cell_text(oc)
            gc = GridCell(i, col, oc.rows, oc.cols, text, span, oc.header)
            for c in range(col, col + oc.cols):
                placed[c] = gc
                if oc.rows > 1:
                    carried[c] = (gc, i + oc.rows - 1)
            col += oc.cols
        seen: set[int] = set()
        for c in sorted(placed):
            gc = placed[c]
            if id(gc) not in seen:
                seen.add(id(gc))
                row.cells.append(gc)
        out.append(row)
    return out


@lru_cache(maxsize=4)
def data_rows(source: str) -> tuple[GridRow, ...]:
    """Every row of every data table of a page, in source order (a table holding a table is a frame: skipped)."""
    parser = _GridParser(source)
    parser.feed(source)
    parser.close()
    rows: list[GridRow] = []
    for k, t in enumerate(parser.done):
        if not t.frame:
            rows.extend(_expand(k, t))
    rows.sort(key=lambda r: r.start)
    return tuple(rows)


def row_at(rows: tuple[GridRow, ...], pos: int) -> GridRow | None:
    """The data-table row whose source range holds source offset ``pos``.

    >>> rows = data_rows("<p>x</p><table><tr><td>1</td></tr><tr><td>2</td></tr></table>")
    >>> row_at(rows, 35).cells[0].text, row_at(rows, 2)
    ('2', None)
    """
    k = bisect_right([r.start for r in rows], pos) - 1
    if k >= 0 and rows[k].start <= pos < rows[k].end:
        return rows[k]
    return None
