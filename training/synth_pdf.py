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

In a share of ``pdf_raw`` documents tables 3 and 4 come out in the PDF's content-stream order, as
in real reports: stacked header cells interleaved line by line (``社会 法律`` / ``商业 科研`` / ``公益 服务
其他`` ..., each word a COL), table-3 values in row order mixing row-major rows (each value followed
by a blank line) and column-major blocks of 2..9 rows, row labels displaced from their values
(before, right after, or only after a later block; group labels between their rows' labels; one
label of a block before it), labels with stray spaces and wraps, a page footer between labels, and
table 4's last header cell (``总计``) printed just before the last value.

Neither keeps a trace of a blank cell, so these styles never print one (``Traits.blanks``).
"""

from __future__ import annotations

import random
import re

from nianbao.training.synth_content import CellValue, Traits
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
    """Plain ``pdftotext``: one cell per line, blocks of rows printed column by column.

    In a share of documents (``stream_p``) tables 3 and 4 come out in the PDF's content-stream
    order, as real ones do (``table3_stream``, ``table4_stream``); the others keep the tidy order
    (labels before their values, blocks with their labels right after them).
    """

    name = "pdf_raw"
    indent = ""
    stream_p = 0.6  # documents whose tables 3 and 4 come out in content-stream order
    # within such a document
    t4_stream_p = 0.85  # ... table 4 too (else it keeps the tidy order)
    fragments_p = 0.85  # stacked header cells come out as interleaved fragments (else one cell a line)
    block_p = 0.45  # a table-3 row starts a column-major block of 2..9 rows (else it is printed row-major)
    tail_block_p = 0.7  # the two rows before 四、结转下年度继续办理 form a 2-row block
    row_label = (0.5, 0.15)  # a row-major row's label: before its values, right after them, else deferred
    block_label = (0.25, 0.15)  # a block's labels: one of them before the block, all deferred, else after it
    flush_p = 0.5  # deferred labels come out after the values of a later unit (else later still)
    group_shift_p = 0.4  # a group label comes out after the first label(s) of its rows
    label_space_p = 0.1  # a stray space inside a row label
    wrap_p = 0.6  # a long row label wraps
    group_spaces_p = 0.5  # 三、本年度办理结果 letter-spaced by stray spaces (三 、本 年 度办 理 结果)
    footer_p = 0.6  # table 3 runs over a page break: the footer (``-3-``) falls between two of its labels
    late_total_p = 0.6  # table 4: the last header cell (复议后起诉 总计) comes out just before the last value
    t4_blocks_p = 0.25  # table 4 in content-stream order comes out as blocks out of the table's order

    def __init__(self, *a: object) -> None:
        super().__init__(*a)  # type: ignore[arg-type]
        self.stream = self.rng.random() < self.stream_p
        self.labels_out, self.break_at = 0, -1

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
        if self.stream and t.key == "t3":
            self.table3_stream(t)
            return
        if self.stream and t.key == "t4" and rng.random() < self.t4_stream_p:
            if rng.random() < self.t4_blocks_p:
                self.table4_blocks(t)
            else:
                self.table4_stream(t)
            return
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
        labels = [x for x in (r.group, r.label) if x]
        if not value_first:
            for x in labels:
                self.cellline(x, "ROW")
        self.row_values(r)
        if value_first:
            for x in labels:
                self.cellline(x, "ROW")

    def row_values(self, r: TRow) -> None:
        """A row printed row-major: each value on its own line, followed by a blank line."""
        for fid, cv in r.cells:
            self.b.cell(cv, fid)
            self.nl(2, safe=False)

    def block(self, rows: list[TRow]) -> None:
        """Column-major block: the values of each column for all rows, then the rows' labels."""
        self.block_values(rows)
        for r in rows:
            for x in (r.group, r.label):
                if x:
                    self.cellline(x, "ROW", self.rng.random() < 0.3)

    def block_values(self, rows: list[TRow]) -> None:
        """The values of a column-major block: a column's values on consecutive lines, a blank line
        after each column (``0\\n95\\n\\n0\\n0\\n\\n...``)."""
        for j in range(len(rows[0].cells)):
            for r in rows:
                fid, cv = r.cells[j]
                self.b.cell(cv, fid)
                self.nl(safe=False)
            self.nl(safe=False)

    # ------------------------------------------------------------- content-stream order
    def fragment_lines(self, lines: list[list[str]]) -> None:
        """Header fragments line by line, the fragments of one line set off by a space (each a COL)."""
        for line in lines:
            for i, frag in enumerate(line):
                if i:
                    self.b.lay(" ")
                self.b.tag(frag, "COL")
            self.nl(safe=False)

    def spaced_total(self, text: str) -> str:
        """``总计`` sometimes letter-spaced (``总 计``)."""
        return " ".join(text) if text in ("总计", "總計") and self.rng.random() < 0.5 else text

    def label_line(self, text: str, blank_after: bool) -> None:
        """A row label on its own line(s); the table's page may end after it (``-3-`` between labels)."""
        self.b.tag(text, "ROW")
        self.nl(2 if blank_after else 1, safe=False)
        self.labels_out += 1
        if self.labels_out == self.break_at:
            self.page_break()

    def damaged(self, text: str, group: bool = False) -> str:
        """A row label as plain pdftotext gives it: a stray space inside, a long one wrapped; the
        top group label sometimes letter-spaced by several stray spaces."""
        rng = self.rng
        if group and text[:1] == "三" and rng.random() < self.group_spaces_p:
            return stray_spaces(text, rng, rng.randint(2, 5))
        if len(text) > 6 and rng.random() < self.label_space_p:
            text = stray_spaces(text, rng, 1, lo=len(text) // 3)
        if len(text) > 20 and rng.random() < self.wrap_p:
            text = "\n".join(p.strip() for p in wrap(text, rng.randint(17, 22)) if p.strip())
        return text

    def corner(self, text: str) -> None:
        """The table-3 note in parentheses: one COL, wrapped, sometimes with a stray space after a comma."""
        b, rng = self.b, self.rng
        comma = max(text.find("，"), text.find(","))
        if comma > 0 and rng.random() < 0.5:
            text = text[:comma + 1] + " " + text[comma + 1:]
        if rng.random() < 0.2:
            self.cellline(text, "COL")
            return
        cut = rng.randint(len(text) // 2, len(text) - 6)
        while text[cut] in NO_LINE_START or text[cut] == " ":
            cut += 1
        b.open("COL")
        b.plain(text[:cut].rstrip())
        self.nl(safe=False)
        b.plain(text[cut:])
        b.close()
        self.nl(2, safe=False)

    def header3_stream(self, t: TTable) -> None:
        """Table-3 header as read from the content stream: 申请人情况, the note, the two middle cells
        (often right to left), the stacked applicant cells interleaved line by line, 总计."""
        b, rng = self.b, self.rng
        hdr = t.header
        self.cellline(hdr[0][1], "COL")
        self.corner(hdr[0][0])
        mids = [hdr[1][1], hdr[1][0]] if rng.random() < 0.6 else [hdr[1][0], hdr[1][1]]
        for m in mids:
            b.tag(m, "COL")
            self.nl(safe=False)
        self.nl(safe=False)
        if rng.random() < self.fragments_p:
            self.fragment_lines(stacked_lines([fragments(h) for h in hdr[2]]))
        else:
            for h in hdr[2]:
                b.tag(h.replace("|", ""), "COL")
                self.nl(safe=False)
        self.nl(safe=False)
        self.cellline(self.spaced_total(hdr[1][2]), "COL")

    def units(self, n: int) -> list[tuple[int, int]]:
        """Table-3 rows cut into printing units (first row, number of rows), in row order: single rows
        printed row-major and column-major blocks of 2..9 rows; often the two rows before the last
        (``(六)其他处理``/``3.其他`` and ``(七)总计``) form a 2-row block."""
        rng = self.rng
        tail = n >= 4 and rng.random() < self.tail_block_p
        end = n - 3 if tail else n  # rows before the tail block
        out: list[tuple[int, int]] = []
        i = 0
        while i < n:
            if tail and i == end:
                out.append((i, 2))
                i += 2
                continue
            room = end - i if i < end else n - i
            k = rng.randint(2, min(9, room)) if room >= 2 and rng.random() < self.block_p else 1
            out.append((i, k))
            i += k
        return out

    def unit_labels(self, rows: list[TRow]) -> list[tuple[str, bool]]:
        """The labels of a unit's rows in order, (text, is_group); a group label sometimes comes out
        after the first label(s) of its rows (``1.属于国家秘密`` ``（三）不予公开`` ``2.…``)."""
        rng = self.rng
        out: list[tuple[str, bool]] = []
        for r in rows:
            if r.group:
                out.append((r.group, True))
            if r.label:
                out.append((r.label, False))
        for i in range(len(out) - 1, -1, -1):
            if out[i][1] and i + 1 < len(out) and not out[i + 1][1] and rng.random() < self.group_shift_p:
                shift = min(rng.randint(1, 2), sum(1 for _ in _row_run(out, i + 1)))
                out.insert(i + shift, out.pop(i))
        return out

    def table3_stream(self, t: TTable) -> None:
        """Table 3 in content-stream order: values in row order, mixing row-major rows and column-major
        blocks; the labels displaced from their values (before, right after, or after a later unit)."""
        b, rng = self.b, self.rng
        self.header3_stream(t)
        rows = list(t.rows)
        n_labels = sum(bool(r.label) + bool(r.group) for r in rows)
        self.labels_out = 0
        self.break_at = rng.randint(1, n_labels - 1) if rng.random() < self.footer_p else -1
        deferred: list[tuple[str, bool]] = []
        for start, k in self.units(len(rows)):
            unit = rows[start:start + k]
            labels = self.unit_labels(unit)
            before: list[tuple[str, bool]] = []
            after: list[tuple[str, bool]] = []
            x = rng.random()
            keep = False  # this unit's labels wait for a later unit
            if k == 1:
                pb, pa = self.row_label
                if x < pb:
                    before = labels
                elif x < pb + pa:
                    after = labels
                else:
                    keep = True
            else:
                po, pd = self.block_label
                own = [i for i, (_, g) in enumerate(labels) if not g]
                if x < po:
                    one = rng.choice(own)
                    before = [labels[one]]
                    after = labels[:one] + labels[one + 1:]
                elif x < po + pd:
                    keep = True
                else:
                    after = labels
            for text, group in before:
                self.label_line(self.damaged(text, group), rng.random() < 0.5)
            if k == 1:
                self.row_values(unit[0])
            else:
                self.block_values(unit)
            if deferred and rng.random() < self.flush_p:
                after, deferred = deferred + after, []
            if keep:
                deferred += labels
            for text, group in after:
                self.label_line(self.damaged(text, group), rng.random() < 0.3)
            b.bp()
        for text, group in deferred:
            self.label_line(self.damaged(text, group), rng.random() < 0.3)
        b.bp()
        self.on_page = rng.randint(0, self.page_lines // 2)  # a table's many short lines fill about a page

    def table4_stream(self, t: TTable) -> None:
        """Table 4 in content-stream order: the group cells, then the 15 leaf cells (the first few of
        行政复议 whole, one after the other; the rest interleaved line by line), then the 15 values each
        followed by a blank line; the last header cell (复议后起诉 总计) often comes out just before
        the last value."""
        b, rng = self.b, self.rng
        hdr = t.header
        self.cellline(hdr[0][0], "COL")
        b.tag(hdr[0][1], "COL")
        self.nl(safe=False)
        self.cellline(hdr[1][5].replace("|", ""), "COL")
        self.cellline(hdr[1][6].replace("|", ""), "COL")
        leaves = [fragments(h) for h in hdr[1][:5] + hdr[2]]
        late = rng.random() < self.late_total_p
        if late:
            leaves = leaves[:-1]
        if rng.random() < self.fragments_p:
            m = rng.randint(0, 4)
            for frags in leaves[:m]:
                for f in frags:
                    b.tag(f, "COL")
                    self.nl(safe=False)
                self.nl(safe=False)
            rest = leaves[m:]
            seg, segs, ys = 0, [], []
            for j, frags in enumerate(rest, start=m):
                if j > m and (j % 5 == 0 and rng.random() < 0.7 or rng.random() < 0.1):
                    seg += 1
                segs.append(seg)
                ys.append(rng.choice((0.0, 0.5, 1.0)) if len(frags) == 1 else 0.0)
            lines = stacked_lines([[self.spaced_total(f) for f in frags] for frags in rest], segs, ys)
            self.fragment_lines(lines)
            self.nl(safe=False)
        else:
            for frags in leaves:
                self.cellline("".join(frags), "COL", rng.random() < 0.6)
        cells = t.rows[0].cells
        for i, (fid, cv) in enumerate(cells):
            if late and i == len(cells) - 1:
                self.cellline(self.spaced_total(hdr[2][-1]), "COL")
            b.cell(cv, fid)
            self.nl(2 if i < len(cells) - 1 or rng.random() < 0.5 else 1, safe=False)
        b.bp()
        self.on_page = rng.randint(0, self.page_lines // 2)


    def table4_blocks(self, t: TTable) -> None:
        """Table 4 as blocks out of the table's order, each after the header text drawn with it: the group
        cells and 行政复议's leaves, its four results; 复议后起诉's leaves around its group cell, its four
        results; ``总计`` and 行政复议's total; 未经复议直接起诉's leaves, its results and total; ``总计`` and
        复议后起诉's total."""
        hdr, cells = t.header, t.rows[0].cells
        for h in (hdr[0][0], hdr[0][1], hdr[1][5]):
            self.cellline(h.replace("|", ""), "COL")
        self.leaf_lines(hdr[1][:5])
        self.value_lines(cells[0:4])
        frags = [fragments(h) for h in hdr[2][5:9]]
        k = self.rng.randint(0, len(frags))
        self.leaf_lines(hdr[2][5:5 + k] if k else [])
        self.cellline(hdr[1][6].replace("|", ""), "COL")
        self.leaf_lines(hdr[2][5 + k:9])
        self.value_lines(cells[10:14])
        self.cellline(self.spaced_total(hdr[1][4]), "COL")
        self.value_lines(cells[4:5])
        self.leaf_lines(hdr[2][0:4])
        self.value_lines(cells[5:10])
        self.cellline(self.spaced_total(hdr[2][-1]), "COL")
        self.value_lines(cells[14:15])
        self.b.bp()
        self.on_page = self.rng.randint(0, self.page_lines // 2)

    def leaf_lines(self, heads: list[str]) -> None:
        """Header cells stacked a fragment a line (``结果`` / ``维持``), a blank line after each."""
        for h in heads:
            self.cellline(h.replace("|", "\n"), "COL")

    def value_lines(self, cells: list[tuple[str, CellValue]]) -> None:
        """Values one a line, each followed by a blank line."""
        for fid, cv in cells:
            self.b.cell(cv, fid)
            self.nl(2, safe=False)


def _row_run(labels: list[tuple[str, bool]], i: int) -> list[int]:
    """Indices of the non-group labels from ``i`` up to the next group label."""
    out = []
    while i < len(labels) and not labels[i][1]:
        out.append(i)
        i += 1
    return out


def stray_spaces(text: str, rng: random.Random, n: int, lo: int = 1) -> str:
    """``text`` with ``n`` stray spaces inside it (never at either end), as plain pdftotext leaves them
    where a PDF positions glyphs one by one.

    >>> stray_spaces("4.无正当理由大量反复申请", random.Random(1), 1, lo=4).count(" ")
    1
    """
    places = sorted(rng.sample(range(max(1, lo), len(text)), min(n, len(text) - max(1, lo))), reverse=True)
    for p in places:
        text = text[:p] + " " + text[p:]
    return text


def stacked_lines(cells: list[list[str]], segments: list[int] | None = None,
                  ys: list[float] | None = None) -> list[list[str]]:
    """Stacked header cells as plain pdftotext reads them: each cell's fragments vertically centred
    in the header band (a shorter cell starts lower), then read line by line across the cells of a
    text segment, so fragments of neighbouring cells interleave. ``segments`` (one id per cell,
    non-decreasing) cuts the cells into runs read one after the other at each height; ``ys`` moves
    a one-fragment cell off the centre (0 top .. 1 bottom of the space it has).

    >>> stacked_lines([["商业", "企业"], ["科研", "机构"], ["社会", "公益", "组织"], ["法律", "服务", "机构"], ["其他"]])
    [['社会', '法律'], ['商业', '科研'], ['公益', '服务', '其他'], ['企业', '机构'], ['组织', '机构']]
    """
    height = max(len(c) for c in cells)
    segs = segments or [0] * len(cells)
    at: dict[tuple[float, int], list[str]] = {}
    for j, frags in enumerate(cells):
        room = height - len(frags)
        top = room * ys[j] if ys is not None and len(frags) == 1 else room / 2
        for i, f in enumerate(frags):
            at.setdefault((top + i, segs[j]), []).append(f)
    return [at[k] for k in sorted(at)]
