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
_ENTITY = re.compile(r"&(?:#[xX][0-9a-fA-F]+|#[0-9]+|[a-zA-Z][-.a-zA-Z0-9]*);?")


class _Layout:
    """Receives text and boundaries in document order and lays them out into lines and cells."""

    def __init__(self) -> None:
        self.out = OffsetBuilder()
        self.pending: tuple[str, int, int] | None = None  # a collapsible " " or "\n": (char, source start, end)
        self.at_line_start = True  # nothing emitted since the last newline
        self.at_cell_start = True  # nothing emitted since the last newline or tab
        self.row_has_output = False

    def text(self, s: str, start: int, end: int, verbatim: bool, pre: bool) -> None:
        """Lay out a run of text; ``verbatim``: ``s`` is ``source[start:end]``, char for char."""
        if pre:
            self._flush()
            self._emit_run(s, start, end, verbatim)
            return
        pos = 0
        for m in _WS.finditer(s):
            if m.start() > pos:
                self._flush()
                self._emit_run(s[pos:m.start()], start + pos if verbatim else start, end, verbatim)
            if not self.at_cell_start and self.pending is None:
                self.pending = (" ", start + m.start(), start + m.end()) if verbatim else (" ", start, end)
            pos = m.end()
        if pos < len(s):
            self._flush()
            self._emit_run(s[pos:], start + pos if verbatim else start, end, verbatim)

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

    def _flush(self) -> None:
        if self.pending is not None:
            ch, a, b = self.pending
            self.pending = None
            self._emit_run(ch, a, b, False)

    def _emit_run(self, s: str, start: int, end: int, verbatim: bool) -> None:
        if not s:
            return
        if verbatim:
            self.out.keep_run(start, s)
        else:
            for ch in s:
                self.out.emit(ch, start, end)
        last = s[-1]
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
        start = self._pos()
        raw = self.get_starttag_text() or ""
        end = start + len(raw) if raw and self.src.startswith(raw, start) else self._tag_end(start)
        self._open(tag, start, end)

    def handle_startendtag(self, tag: str, attrs: list) -> None:
        """``<br/>``, ``<td/>``: as in HTML5, the slash changes nothing, except that ``<iframe/>`` has no content."""
        if tag not in SKIP_TAGS:
            self.handle_starttag(tag, attrs)

    def handle_endtag(self, tag: str) -> None:
        start = self._pos()
        self._close(tag, start, self._tag_end(start))

    def _open(self, tag: str, start: int, end: int) -> None:
        if tag in SKIP_TAGS:
            self.skip_depth += 1
        elif self.skip_depth:
            return
        elif tag == "br":
            self.layout.newline(start, end, hard=True)
        elif tag in CELL_TAGS:
            self.layout.cell(start, end, self.first_cell)
            self.first_cell = False
        elif tag in BLOCK_TAGS:
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
        elif tag in BLOCK_TAGS:
            if tag == "tr":
                self.first_cell = True
            if tag == "pre":
                self.pre_depth = max(0, self.pre_depth - 1)
            self.layout.newline(start, end)

    def handle_data(self, data: str) -> None:
        if self.skip_depth or not data:
            return
        start = self._pos()
        if self.src.startswith(data, start):
            self.layout.text(data, start, start + len(data), True, self.pre_depth > 0)
        else:  # not expected from html.parser: map the text as one block onto where it starts
            self.layout.text(data, start, min(len(self.src), start + max(1, len(data))), False, self.pre_depth > 0)

    def _entity(self) -> None:
        if self.skip_depth:
            return
        start = self._pos()
        m = _ENTITY.match(self.src, start)
        end = m.end() if m else start + 1
        raw = self.src[start:end]
        value = unescape(raw)
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
