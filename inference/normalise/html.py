"""HTML page -> layout text, with an exact offset map back to the HTML source.

Library choice: the standard library's ``html.parser``, run with
``convert_charrefs=False``. It is a tolerant tokenizer (unclosed tags,
stray ``<``, attributes holding ``>`` in quotes, ``<script>`` bodies) that
reports where every event starts; text arrives verbatim and every entity as
its own event, so each output character maps to the source characters it
came from by construction. selectolax (lexbor) is faster, but its nodes carry
no source positions: mapping its text back means searching for it in the
source, which breaks on entities and collapsed whitespace and is ambiguous
for the repeated ``0`` cells that fill these tables. trafilatura and bs4 drop
or reorder content (boilerplate removal, tree rebuilding) and also lose
positions. We do not need a tree, only the tag names at each boundary.

Layout rules (what a browser would show, as lines and tab-separated cells):

- text whitespace collapses to one space, as HTML renders it; ``&nbsp;`` is
  kept (it becomes a space in the Unicode step) and so is ``<pre>`` content;
- a block element (``p div li h1..h6 table tr title ...``) starts a new line;
  ``<br>`` always breaks the line (two in a row leave an empty line);
- every cell after the first in a row is preceded by one tab, emitted even
  when the previous cell is empty, so an empty cell keeps a character (its
  tab) and cells never run together;
- inside a table cell that holds no table of its own (a data cell, not a
  layout cell of the site frame), paragraphs and ``<br>`` are a space, not a
  line break: Word-exported pages wrap every cell in ``<p><span>``, and a
  cell's text must stay in its row; a data cell holding only spaces and
  ``&nbsp;`` is an empty cell (its tab alone holds its place);
- Word's placeholder cells (``mso-cell-special:placeholder``: the padding
  Word appends to rows shorter than the table's grid) are no cells at all;
- ``script``, ``style``, ``noscript``, ``template``, ``svg`` and comments
  produce nothing.

A separator maps to the source range of the tag that caused it; a decoded
entity maps to the whole entity (``&amp;`` -> ``&``).

>>> text, m = html_to_text("<table><tr><td>自然人</td><td></td><td>3</td></tr></table>")
>>> text
'自然人\\t\\t3'
>>> m.span_to_source(0, 3)
(15, 18)
"""

from __future__ import annotations

import re
from html import unescape
from html.parser import HTMLParser

from nianbao.offsets import OffsetBuilder, OffsetMap

BLOCK_TAGS = frozenset(
    "address article aside blockquote body caption center dd details dialog dir div dl dt fieldset figcaption "
    "figure footer form h1 h2 h3 h4 h5 h6 head header hgroup hr html legend li main menu nav ol option p pre "
    "section summary table tbody tfoot thead title tr ul".split())
CELL_TAGS = frozenset({"td", "th"})
SKIP_TAGS = frozenset({"script", "style", "noscript", "template", "svg", "math", "iframe", "object"})
_WS = re.compile(r"[ \t\n\r\f]+")
_HIDDEN = re.compile(r"<!--.*?-->|<(script|style|textarea|template)\b.*?</\1\s*>", re.I | re.S)
_TABLE_TAG = re.compile(r"<(/?)(table|td|th|p|div|br|li|h[1-6])\b", re.I)
MAX_CELL_BLOCKS = 6  # a cell with more paragraphs than this holds an article, not a value or a label


def layout_cells(source: str) -> frozenset[int]:
    """Source offsets of the ``<td>``/``<th>`` tags whose cell holds a table, or more than ``MAX_CELL_BLOCKS``
    paragraphs: the site frame's layout cells (the rest are data cells, whose paragraphs stay in their row).

    >>> sorted(layout_cells("<table><tr><td><table><tr><td>1</td></tr></table></td><td>2</td></tr></table>"))
    [11]
    """
    hidden = [(m.start(), m.end()) for m in _HIDDEN.finditer(source)]
    out: set[int] = set()
    stack: list[list[int]] = []  # open cells: [table depth, tag offset, paragraphs seen]
    depth, h = 0, 0
    for m in _TABLE_TAG.finditer(source):
        while h < len(hidden) and hidden[h][1] <= m.start():
            h += 1
        if h < len(hidden) and hidden[h][0] <= m.start():
            continue
        closing, tag = m.group(1), m.group(2).lower()
        if tag not in ("table", "td", "th"):
            if not closing and stack and stack[-1][0] == depth:
                stack[-1][2] += 1
                if stack[-1][2] > MAX_CELL_BLOCKS:
                    out.add(stack[-1][1])
            continue
        if tag == "table":
            if not closing:
                if stack and stack[-1][0] == depth:
                    out.add(stack[-1][1])
                depth += 1
            else:
                depth = max(0, depth - 1)
                while stack and stack[-1][0] > depth:
                    stack.pop()
        elif not closing:
            while stack and stack[-1][0] >= depth:
                stack.pop()  # an unclosed cell of this table ends where the next one starts
            stack.append([depth, m.start(), 0])
        elif stack and stack[-1][0] == depth:
            stack.pop()
    return frozenset(out)
_ENTITY = re.compile(r"&(?:#[xX][0-9a-fA-F]+|#[0-9]+|[a-zA-Z][-.a-zA-Z0-9]*);?")


def _cjk(ch: str) -> bool:
    return bool(ch) and ("\u3400" <= ch <= "\u9fff" or "\uf900" <= ch <= "\ufaff")


class _Layout:
    """Receives text and boundaries in document order and lays them out into lines and cells."""

    def __init__(self) -> None:
        self.out = OffsetBuilder()
        self.pending: tuple[str, int, int] | None = None  # a collapsible " " or "\n": (char, source start, end)
        self.at_line_start = True  # nothing emitted since the last newline
        self.at_cell_start = True  # nothing emitted since the last newline or tab
        self.row_has_output = False
        self.soft = False  # the pending space is a data cell's paragraph break
        self.last = ""  # the last character emitted

    def text(self, s: str, start: int, end: int, verbatim: bool, pre: bool) -> None:
        """Lay out a run of text; ``verbatim``: ``s`` is ``source[start:end]``, char for char."""
        if pre:
            self._flush()
            self._emit_run(s, start, end, verbatim)
            return
        pos = 0
        for m in _WS.finditer(s):
            if m.start() > pos:
                self._flush(s[pos])
                self._emit_run(s[pos:m.start()], start + pos if verbatim else start, end, verbatim)
            if not self.at_cell_start and self.pending is None:
                self.pending = (" ", start + m.start(), start + m.end()) if verbatim else (" ", start, end)
                self.soft = False
            pos = m.end()
        if pos < len(s):
            self._flush(s[pos])
            self._emit_run(s[pos:], start + pos if verbatim else start, end, verbatim)

    def soft_break(self, start: int, end: int) -> None:
        """A paragraph or line break inside a data cell: a space, none between two CJK characters
        (a label wrapped over two paragraphs reads as one word, as Chinese has no spaces)."""
        if not self.at_cell_start and self.pending is None:
            self.pending = (" ", start, end)
            self.soft = True

    def newline(self, start: int, end: int, hard: bool = False) -> None:
        """A block boundary (collapses with its neighbours), or a ``<br>`` (hard: always a newline)."""
        if hard:
            if self.pending is not None and self.pending[0] == "\n":
                self._flush()
            self.pending = None
            self._emit_run("\n", start, end, False)
        elif not self.at_line_start and (self.pending is None or self.pending[0] == " "):
            self.pending = ("\n", start, end)

    def row(self) -> None:
        """A table row starts."""
        self.row_has_output = False

    def cell(self, start: int, end: int, first: bool) -> None:
        """A table cell starts: a tab before every cell but the row's first, even after an empty one."""
        if self.pending is not None and self.pending[0] == " ":
            self.pending = None
        if first:
            return
        if self.pending is not None and not self.row_has_output:
            self._flush()  # the row boundary before a row whose first cell was empty
        self.pending = None
        self._emit_run("\t", start, end, False)

    def _flush(self, following: str = "") -> None:
        if self.pending is not None:
            ch, a, b = self.pending
            self.pending = None
            if self.soft and _cjk(following) and _cjk(self.last):
                return
            self._emit_run(ch, a, b, False)

    def _emit_run(self, s: str, start: int, end: int, verbatim: bool) -> None:
        if not s:
            return
        if verbatim:
            self.out.keep_run(start, s)
        else:
            for ch in s:
                self.out.emit(ch, start, end)
        last = self.last = s[-1]
        self.at_line_start = last == "\n"
        self.at_cell_start = last in "\n\t"
        self.row_has_output = True


class _Parser(HTMLParser):
    def __init__(self, source: str) -> None:
        super().__init__(convert_charrefs=False)
        self.src = source
        self.line_starts = [0] + [m.end() for m in re.finditer("\n", source)]
        self.layout = _Layout()
        self.skip_depth = 0
        self.pre_depth = 0
        self.first_cell = True
        self.layout_cells = layout_cells(source) if "<t" in source.lower() else frozenset()
        self.cells: list[tuple[int, bool]] = []  # open cells: (table depth, data cell: holds no table)
        self.table_depth = 0
        self.placeholder = False  # inside a Word placeholder cell: nothing of it is laid out

    def _in_data_cell(self) -> bool:
        return bool(self.cells) and self.cells[-1][0] == self.table_depth and self.cells[-1][1]

    # ------------------------------------------------------------ positions
    def _pos(self) -> int:
        line, col = self.getpos()
        return self.line_starts[line - 1] + col

    def _tag_end(self, start: int) -> int:
        end = self.src.find(">", start)
        return len(self.src) if end < 0 else end + 1

    def parse_html_declaration(self, i: int) -> int:
        """``<![...]>`` is a bogus comment in HTML5; the base class asserts on unknown keywords (``<![C``)."""
        if self.rawdata.startswith("<![", i):
            j = self.rawdata.find(">", i + 3)
            return -1 if j < 0 else j + 1  # -1: incomplete; at the end the parser emits it as text
        return super().parse_html_declaration(i)

    # ------------------------------------------------------------ events
    def handle_starttag(self, tag: str, attrs: list) -> None:
        if tag in CELL_TAGS or tag in ("tr", "table"):
            self.placeholder = tag in CELL_TAGS and any(
                k == "style" and v and "mso-cell-special:placeholder" in v.replace(" ", "").lower() for k, v in attrs)
            if self.placeholder:
                return
        elif self.placeholder:
            return
        start = self._pos()
        raw = self.get_starttag_text() or ""
        end = start + len(raw) if raw and self.src.startswith(raw, start) else self._tag_end(start)
        self._open(tag, start, end)

    def handle_startendtag(self, tag: str, attrs: list) -> None:
        """``<br/>``, ``<td/>``: as in HTML5, the slash changes nothing, except that ``<iframe/>`` has no content."""
        if tag not in SKIP_TAGS:
            self.handle_starttag(tag, attrs)

    def handle_endtag(self, tag: str) -> None:
        if self.placeholder:
            if tag not in CELL_TAGS and tag not in ("tr", "table"):
                return
            self.placeholder = False
            if tag in CELL_TAGS:
                return
        start = self._pos()
        self._close(tag, start, self._tag_end(start))

    def _open(self, tag: str, start: int, end: int) -> None:
        if tag in SKIP_TAGS:
            self.skip_depth += 1
        elif self.skip_depth:
            return
        elif tag in CELL_TAGS:
            while self.cells and self.cells[-1][0] >= self.table_depth:
                self.cells.pop()
            self.cells.append((self.table_depth, start not in self.layout_cells))
            self.layout.cell(start, end, self.first_cell)
            self.first_cell = False
        elif self._in_data_cell() and (tag == "br" or (tag in BLOCK_TAGS and tag not in ("table", "tr"))):
            self.layout.soft_break(start, end)  # a paragraph inside a data cell stays in the row
        elif tag == "br":
            self.layout.newline(start, end, hard=True)
        elif tag in BLOCK_TAGS:
            if tag == "table":
                self.table_depth += 1
            if tag == "tr":
                self.first_cell = True
                self.layout.row()
            if tag == "pre":
                self.pre_depth += 1
            self.layout.newline(start, end)

    def _close(self, tag: str, start: int, end: int) -> None:
        if tag in SKIP_TAGS:
            self.skip_depth = max(0, self.skip_depth - 1)
        elif self.skip_depth:
            return
        elif tag in CELL_TAGS:
            if self.cells and self.cells[-1][0] == self.table_depth:
                self.cells.pop()
        elif self._in_data_cell() and tag in BLOCK_TAGS and tag not in ("table", "tr"):
            self.layout.soft_break(start, end)
        elif tag in BLOCK_TAGS:
            if tag == "table":
                self.table_depth = max(0, self.table_depth - 1)
                while self.cells and self.cells[-1][0] > self.table_depth:
                    self.cells.pop()
            if tag == "tr":
                self.first_cell = True
            if tag == "pre":
                self.pre_depth = max(0, self.pre_depth - 1)
            self.layout.newline(start, end)

    def handle_data(self, data: str) -> None:
        if self.skip_depth or self.placeholder or not data:
            return
        start = self._pos()
        if self._in_data_cell() and not data.strip(" \t\n\r\f\xa0"):  # a blank cell's filler
            self.layout.text(" ", start, start + len(data), False, False)
            return
        if self.src.startswith(data, start):
            self.layout.text(data, start, start + len(data), True, self.pre_depth > 0)
        else:  # not expected from html.parser: map the text as one block onto where it starts
            self.layout.text(data, start, min(len(self.src), start + max(1, len(data))), False, self.pre_depth > 0)

    def _entity(self) -> None:
        if self.skip_depth or self.placeholder:
            return
        start = self._pos()
        m = _ENTITY.match(self.src, start)
        end = m.end() if m else start + 1
        raw = self.src[start:end]
        value = unescape(raw)
        if value == "\xa0" and self._in_data_cell():  # &nbsp; fills blank cells of Word tables
            value = " "
        self.layout.text(value, start, end, value == raw, self.pre_depth > 0)

    def handle_entityref(self, name: str) -> None:
        self._entity()  # the source slice is read instead of ``name``: it knows whether a ";" followed

    def handle_charref(self, name: str) -> None:
        self._entity()


def html_to_text(source: str) -> tuple[str, OffsetMap]:
    """Render HTML to layout text (lines, tab-separated cells) and its map to ``source``."""
    parser = _Parser(source)
    parser.feed(source)
    parser.close()
    return parser.layout.out.build(len(source))



_PAGE_START = re.compile(r"\s*(?:<!--.*?-->\s*)*<(?:!doctype\s+html|html|\?xml|head|body)\b", re.I | re.S)
_CLOSING = re.compile(r"</(?:p|div|td|th|tr|table|span|li|h[1-6]|font|strong|a)\s*>", re.I)
MIN_CLOSING_TAGS = 10  # closing tags of common elements that make a text without a page start a page source


def looks_like_html(text: str) -> bool:
    """Whether a text given as plain text is an HTML page source (or a fragment of one).

    >>> looks_like_html("<!DOCTYPE html><html><p>一</p></html>"), looks_like_html("收到申请<5件。")
    (True, False)
    """
    if _PAGE_START.match(text[:4096]):
        return True
    return len(_CLOSING.findall(text, 0, 200_000)) >= MIN_CLOSING_TAGS
