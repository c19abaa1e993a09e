"""PDF text-layer styles: what ``pdftotext -layout`` and plain ``pdftotext`` make of a report.

``pdf_layout`` — prose wrapped at a fixed width with indented first lines, digits set off by
spaces (``2023 年``), page numbers and form feeds; table rows stay on lines with cells split by
runs of spaces, long row labels wrap onto a second line, group labels sit on their own line,
stacked header cells come out as fragments on successive lines (each fragment a COL)::

                  第二十条第（一）项
           信息内容   本年制发件数    本年废止件数    现行有效件数
    规章               0          0       0
                  （二）部分公开（区分处理的，只计这一情
                  形，不计其他情形）        4    0      0     0   0   0     4

``pdf_raw`` — no layout: every cell on its own line; rows first label-then-values, then blocks
printed column by column (the values of one column for several rows, then the next column) with
the block's row labels after its values::

    （二）部分公开（区分处理的，只计这一情形，不计其他情形）

    4

    0
    ...
    1
    0
    10

    0
    0
    ...
    1.属于国家秘密
    2.其他法律行政法规禁止公开

Neither keeps a trace of a blank cell, so these styles never print one (``Traits.blanks``).
"""

from __future__ import annotations

import re

from nianbao.training.synth_content import Traits
from nianbao.training.synth_render import Style, TRow, TTable

_DIGITS = re.compile(r"(?<=[^\x00-\x7f])(\d+(?:\.\d+)?)|(\d+(?:\.\d+)?)(?=[^\x00-\x7f])")


def space_digits(text: str) -> str:
    """Set digit runs off from CJK text by spaces, as PDF text layers do.

    >>> space_digits("2023年主动公开信息1136条")
    '2023 年主动公开信息 1136 条'
    """
    text = re.sub(r"(?<=[^\x00-\x7f])(?=\d)", " ", text)
    return re.sub(r"(?<=\d)(?=[^\x00-\x7f])", " ", text)


NO_LINE_START = frozenset("，。、；：？！）》”’")


def wrap(text: str, width: int) -> list[str]:
    """Cut a paragraph into lines of about ``width`` characters (the PDF's line breaks); closing
    punctuation never starts a line, it stays at the end of the line before.

    >>> wrap("一二，三四五", 2), wrap("共 1136 条", 4)
    (['一二，', '三四', '五'], ['共 1136', ' 条'])
    """
    lines: list[str] = []
    i = 0
    while i < len(text):
        j = min(len(text), i + width)
        while j < len(text) and (text[j] in NO_LINE_START or text[j].isascii() and text[j - 1].isascii()
                                 and text[j].isalnum() and (text[j - 1].isalnum() or text[j - 1] == ".")):
            j += 1  # closing punctuation and the rest of a number stay on this line
        lines.append(text[i:j])
        i = j
    return lines or [""]


def fragments(h: str) -> list[str]:
    """The stacked pieces of a header cell (``社会|公益|组织``)."""
    return h.split("|")


class PdfBase(Style):
    """Shared PDF behaviour: wrapped prose, page numbers with form feeds, no site boilerplate."""

    traits = Traits(blanks=False)
    fullwidth_p = 0.9
    head_p = 0.0
    foot_p = 0.0
    indent = "   "

    def __init__(self, *a: object) -> None:
        super().__init__(*a)  # type: ignore[arg-type]
        self.width = self.rng.randint(26, 31)
        self.page_lines = self.rng.randint(36, 46)
        self.on_page = 0
        self.page = 1
        self.spaced = self.rng.random() < 0.8

    def text_of(self, text: str) -> str:
        return space_digits(text) if self.spaced else text

    def nl(self, n: int = 1, safe: bool = True) -> None:
        """End a line (and ``n - 1`` blank ones); a page ends here when it is full and ``safe``."""
        self.b.lay("\n" * n)
        self.on_page += n
        if safe and self.on_page >= self.page_lines:
            self.page_break()

    def page_break(self) -> None:
        raise NotImplementedError

    def title(self, text: str) -> None:
        self.b.lay(" " * self.rng.randint(0, 16) if self.indent else "")
        self.put_title(self.text_of(text))
        self.nl(2 if self.indent else 1)

    def heading(self, sid: str, text: str) -> None:
        self.b.lay(self.indent + " " * self.rng.choice((0, 0, 2)) if self.indent else "")
        self.b.sec(text + self.c.remarks.get(sid, ""), sid)  # a remark belongs to its heading line
        self.nl()

    def para(self, text: str) -> None:
        lines = wrap(self.text_of(text), self.width)
        for i, line in enumerate(lines):
            if i == 0 and self.indent:
                self.b.lay(self.indent)
            self.b.o(line)
            self.nl()
        self.b.bp()

    def signature(self) -> None:
        if self.rng.random() < 0.5:
            return
        self.nl()
        self.b.lay(" " * self.rng.randint(20, 34) if self.indent else "")
        self.sign_name()
        self.nl()
        self.b.lay(" " * self.rng.randint(20, 34) if self.indent else "")
        self.sign_date()
        self.nl()

    def foot(self) -> None:
        self.page_break()


class PdfLayout(PdfBase):
    """``pdftotext -layout``: rows on lines, cells split by runs of spaces."""

    name = "pdf_layout"

    def page_break(self) -> None:
        self.b.lay("\n\n" + " " * self.rng.randint(4, 70) + f"-{self.page}-\n\f")
        self.page += 1
        self.on_page = 0
        self.b.bp()

    def at(self, x: int) -> None:
        """Pad with spaces to column ``x`` of the current line (at least two spaces)."""
        col = self.b.col
        self.b.lay(" " * max(2 if col else 0, x - col))

    def values(self, r: TRow, xs: list[int]) -> None:
        for (fid, cv), x in zip(r.cells, xs, strict=False):
            self.at(x + self.rng.randint(-1, 1))
            self.b.cell(cv, fid)

    def label(self, text: str, indent: int, maxw: int) -> None:
        """A row label at ``indent``; longer than ``maxw`` it wraps onto further lines (one ROW span)."""
        b = self.b
        b.lay(" " * indent)
        if len(text) <= maxw:
            b.tag(text, "ROW")
            return
        b.open("ROW")
        pieces = wrap(text, maxw)
        extra = self.rng.choice((0, 0, 4))
        for i, piece in enumerate(pieces):
            if i:
                self.nl(safe=False)
                b.lay(" " * (indent + extra))
            b.plain(piece)
        b.close()

    def table(self, t: TTable) -> None:
        if t.key == "t3":
            self.table3(t)
            return
        b, rng = self.b, self.rng
        if t.key == "t4":
            self.table4(t)
            return
        b.lay(" " * rng.randint(10, 40))
        b.tag(t.title or "", "TTL")
        self.nl(3)
        b.lay(" " * rng.randint(4, 20))
        xs: list[int] = []
        for i, h in enumerate(t.header[0]):
            if i:
                b.lay(" " * rng.randint(3, 12))
                xs.append(b.col)
            b.tag(h.replace("|", ""), "COL")
        self.nl(3)
        for r in t.rows:
            b.tag(r.label or "", "ROW")
            self.values(r, [x + rng.randint(0, 6) for x in xs])
            self.nl(2)
            b.bp()
        self.nl()

    def table3(self, t: TTable) -> None:
        b, rng = self.b, self.rng
        hdr = t.header
        base, step = rng.randint(40, 50), rng.randint(5, 10)
        xs = [base + j * step for j in range(7)]
        self.at(xs[3])
        b.tag(hdr[0][1], "COL")
        self.nl(2)
        corner = hdr[0][0]
        cut = rng.randint(20, len(corner) - 8)
        b.open("COL")
        b.plain(corner[:cut])
        self.nl(safe=False)
        b.plain(corner[cut:])
        b.close()
        self.at(xs[2])
        b.tag(hdr[1][1], "COL")
        self.nl()
        parts = [fragments(h) if self.hbreak else [h.replace("|", "")] for h in hdr[2]]
        for level in range(max(len(p) for p in parts)):
            if level == 0:
                self.at(xs[0])
                b.tag(hdr[1][0], "COL")
            for j, p in enumerate(parts):
                if level < len(p):
                    self.at(xs[j + 1])
                    b.tag(p[level], "COL")
            if level == 0:
                self.at(xs[6])
                b.tag(hdr[1][2], "COL")
            self.nl(safe=False)
        self.nl()
        pending_group = ""
        group_rows = 0
        for r in t.rows:
            label = r.label or ""
            top = label[:1] in "一二四"
            indent = 0 if top else (rng.randint(16, 20) if label[:1] in "(（" else rng.randint(26, 30))
            if r.group:
                if pending_group:
                    self.group_line(pending_group)
                    pending_group = ""
                if rng.random() < 0.5 or r.group[:1] == "三":
                    pending_group, group_rows = r.group, rng.randint(1, 3)
                else:
                    b.lay(" " * rng.randint(4, 18))
                    b.tag(r.group, "ROW")
                    b.lay(" " * 3)
                    indent = 0
            self.label(label, indent, rng.randint(16, 20))
            if len(label) > 20 and rng.random() < 0.5:
                self.nl(safe=False)
            self.values(r, xs)
            self.nl(rng.choice((1, 1, 2)))
            b.bp()
            if pending_group:
                group_rows -= 1
                if group_rows <= 0:
                    self.group_line(pending_group)
                    pending_group = ""
        if pending_group:
            self.group_line(pending_group)
        self.nl(2)

    def group_line(self, group: str) -> None:
        """A group label on its own line, in the middle of its rows (sometimes letter-spaced)."""
        self.b.lay(" " * self.rng.randint(1, 18))
        self.b.tag(" ".join(group) if self.rng.random() < 0.3 else group, "ROW")
        self.nl()

    def table4(self, t: TTable) -> None:
        b, rng = self.b, self.rng
        hdr = t.header
        step = rng.randint(4, 6)
        xs = [j * step + (j // 5) * 3 for j in range(15)]
        self.at(10)
        b.tag(hdr[0][0], "COL")
        self.at(48)
        b.tag(hdr[0][1], "COL")
        self.nl(2)
        self.at(30)
        b.tag(hdr[1][5].replace("|", ""), "COL")
        self.at(66)
        b.tag(hdr[1][6].replace("|", ""), "COL")
        self.nl(2)
        cols = hdr[2]
        for level in (0, 1):
            for j, h in enumerate(cols):
                p = fragments(h)
                if level < len(p):
                    self.at(xs[j])
                    b.tag(p[level], "COL")
            self.nl(safe=False)
        self.nl(2)
        self.values(t.rows[0], xs)
        self.nl(2)
        b.bp()


class PdfRaw(PdfBase):
    """Plain ``pdftotext``: one cell per line, blocks of rows printed column by column."""

    name = "pdf_raw"
    indent = ""

    def page_break(self) -> None:
        self.b.lay(f"-{self.page}-\n\n\f")
        self.page += 1
        self.on_page = 0
        self.b.bp()

    def cellline(self, text: str, tag: str, blank_after: bool = True) -> None:
        self.b.tag(text, tag)
        self.nl(2 if blank_after else 1, safe=False)

    def table(self, t: TTable) -> None:
        b, rng = self.b, self.rng
        if t.title:
            self.cellline(t.title, "TTL", rng.random() < 0.5)
        for hr in t.header:
            for h in hr:
                self.cellline(h.replace("|", "\n") if self.hbreak else h.replace("|", ""), "COL",
                              rng.random() < 0.6)
        rows = list(t.rows)
        if t.key == "t4":
            for fid, cv in rows[0].cells:
                b.cell(cv, fid)
                self.nl(2, safe=False)
            b.bp()
            return
        i = 0
        while i < len(rows):
            if t.key == "t3" and i >= 3 and rng.random() < 0.6:
                k = min(len(rows) - i, rng.randint(3, 10))
                self.block(rows[i:i + k])
                i += k
            else:
                self.row_major(rows[i], value_first=len(rows[i].cells) == 1 and rng.random() < 0.4)
                i += 1
            b.bp()
            if self.on_page >= self.page_lines:
                self.page_break()

    def row_major(self, r: TRow, value_first: bool) -> None:
        """Label, then each value on its own line (or, for a one-cell row, the value first)."""
        b = self.b
        labels = [x for x in (r.group, r.label) if x]
        if not value_first:
            for x in labels:
                self.cellline(x, "ROW")
        for fid, cv in r.cells:
            b.cell(cv, fid)
            self.nl(2, safe=False)
        if value_first:
            for x in labels:
                self.cellline(x, "ROW")

    def block(self, rows: list[TRow]) -> None:
        """Column-major block: the values of each column for all rows, then the rows' labels."""
        b = self.b
        for j in range(len(rows[0].cells)):
            for r in rows:
                fid, cv = r.cells[j]
                b.cell(cv, fid)
                self.nl(safe=False)
            self.nl(safe=False)
        for r in rows:
            for x in (r.group, r.label):
                if x:
                    self.cellline(x, "ROW", self.rng.random() < 0.3)
