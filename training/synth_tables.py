"""Row-oriented text styles: how crawled HTML tables come out as lines of text.

``pipe_cells`` — one cell per line ending in `` | ``, rows separated by padding lines; a blank
cell is an empty line and the ``|`` that closes it (B-BLANK)::

       规章  |
         0  |
       0  |

``glued_lines`` — one cell per line with blank lines between; a row's numbers glued into one run
(``202`` is three cells)::

    行政规范性文件

    202

``tsv_markdown`` — markdown ``#`` headings, tab-separated rows; a blank cell's closing tab is B-BLANK::

    ## 二、主动公开政府信息情况
    规章\t0\t\t0

``pipe_lines`` — one row per line, `` | `` separators and trailing ``|`` padding (often in
traditional script with pinyin glosses)::

    規(guī)章 | 0 | 0 | 0 | |

``markdown_table`` — ``| a | b |`` rows under a ``| --- |`` separator; a blank cell's closing ``|``
is B-BLANK.

``prose`` — no tables at all; figures only in sentences.
"""

from __future__ import annotations

from nianbao.training.synth_content import CellValue, Traits
from nianbao.training.synth_render import Style, TRow, TTable

NBSP = "\u00a0"


def ncells(t: TTable) -> int:
    """Cells per row when a table is padded to a rectangle (labels included); sub-tables of table 2
    share the width of the widest (4)."""
    return 4 if t.key.startswith("t2") else max(t.width, max(len(h) for h in t.header))


def t3_lead(r: TRow) -> list[tuple[str, str]]:
    """The two label cells of a table-3 row: group and label, or a top-level label and an empty cell."""
    if r.group:
        return [(r.group, "ROW"), (r.label or "", "ROW")]
    if r.label and r.label[0] in "一二四":
        return [(r.label, "ROW"), ("", "O")]
    return [("", "O"), (r.label or "", "ROW")]


class PipeCells(Style):
    """Seed-000 layout: every cell on its own line ending in `` | ``."""

    name = "pipe_cells"
    fullwidth_p = 0.1

    def __init__(self, *a: object) -> None:
        super().__init__(*a)  # type: ignore[arg-type]
        self.pad = NBSP if self.rng.random() < 0.2 else " "

    def title(self, text: str) -> None:
        self.put_title(text)
        self.b.lay("\n" + NBSP + "\n")

    def heading(self, sid: str, text: str) -> None:
        if sid != "s1" and self.rng.random() < 0.5:
            self.b.lay(" \n")
        self.b.sec(text + self.c.remarks.get(sid, ""), sid)
        self.b.lay("\n" + (NBSP + "\n" if self.rng.random() < 0.5 else ""))

    def piece(self, text: str, tag: str) -> None:
        p = self.pad
        self.b.lay(p * 3)
        self.b.tag(text, tag)
        self.b.lay(p * 2 + "| \n")

    def value(self, fid: str, cv: CellValue) -> None:
        p, b = self.pad, self.b
        if not cv.text:
            b.lay(p * 3 + "\n" + p * 2)
            b.blank("|", fid)
            b.lay(" \n")
            return
        b.lay(p * self.rng.choice((3, 3, 3, 4, 5)))
        b.val(cv.text, fid)
        b.lay(p * self.rng.choice((2, 2, 3)) + "| \n")

    def row_sep(self) -> None:
        self.b.lay(self.pad * 2 + "\n" + self.pad * 2 + "\n")

    def table(self, t: TTable) -> None:
        b = self.b
        b.lay(" \n" + self.pad * 2 + "\n")
        if t.title:
            self.piece(t.title, "TTL")
            self.row_sep()
        for hr in t.header:
            for h in hr:
                self.piece(self.header_text(h, self.rng.choice((" ", "\n"))), "COL")
            self.row_sep()
        for r in t.rows:
            if r.group:
                self.piece(r.group, "ROW")
            if r.label:
                self.piece(r.label, "ROW")
            for fid, cv in r.cells:
                self.value(fid, cv)
            self.row_sep()
            b.bp()
        b.lay(" \n")

    def sign_name(self) -> None:
        self.b.lay(NBSP * self.rng.randint(20, 40) + " " + NBSP)
        super().sign_name()

    def sign_date(self) -> None:
        self.b.lay(NBSP * self.rng.randint(30, 70) + " " + NBSP)
        super().sign_date()


class GluedLines(Style):
    """Seed-004 layout: blank line after every block; a row's numbers glued into one run."""

    name = "glued_lines"
    traits = Traits(blanks=False, dash_mark=False, thousands=False)
    head_p = 0.6
    fullwidth_p = 0.1

    def head(self) -> None:
        if self.rng.random() < self.head_p:
            self.b.plain("首页\n")
            self.site_head("\n", crumb=False)

    def title(self, text: str) -> None:
        self.put_title(text)
        self.b.lay("\n\n")

    def line(self, text: str, tag: str) -> None:
        self.b.tag(text, tag)
        self.b.lay("\n\n")

    def heading(self, sid: str, text: str) -> None:
        self.b.sec(text + self.c.remarks.get(sid, ""), sid)
        self.b.lay("\n\n")

    def para(self, text: str) -> None:
        self.b.o(text)
        self.b.lay("\n\n")
        self.b.bp()

    def table(self, t: TTable) -> None:
        joiner = self.rng.choice(("\n", "\n\n"))
        if t.title:
            self.line(t.title, "TTL")
        for hr in t.header:
            for h in hr:
                self.line(self.header_text(h, joiner), "COL")
        for r in t.rows:
            if r.group:
                self.line(r.group, "ROW")
            if r.label:
                self.line(r.label, "ROW")
            for fid, cv in r.cells:
                self.b.cell(cv, fid)
            self.b.lay("\n\n")
            self.b.bp()
        self.b.lay(NBSP + "\n\n")


class TsvMarkdown(Style):
    """Seed-002 layout: markdown headings, tab-separated table rows."""

    name = "tsv_markdown"
    fullwidth_p = 0.4
    spaced_p = 0.6

    def head(self) -> None:
        self.b.lay("\n\n")

    def title(self, text: str) -> None:
        self.b.lay("# ")
        self.put_title(text)
        self.b.lay("\n\n")

    def heading(self, sid: str, text: str) -> None:
        self.b.lay("#" * self.rng.choice((2, 2, 3, 4)) + " ")
        self.b.sec(text + self.c.remarks.get(sid, ""), sid)
        self.b.lay("\n\n")

    def subheading(self, text: str) -> None:
        self.b.lay("#" * self.rng.choice((3, 5)) + " ")
        self.b.o(text)
        self.b.lay("\n\n")

    def para(self, text: str) -> None:
        self.b.o(text)
        self.b.lay("\n\n")
        self.b.bp()

    def texts(self, cells: list[tuple[str, str]], width: int, trailing: bool) -> None:
        """A row of (text, tag) cells joined by tabs and padded to ``width`` cells."""
        b = self.b
        for i, (text, tag) in enumerate(cells):
            if i:
                b.lay("\t")
            if text:
                b.tag(text, tag)
        b.lay("\t" * (width - len(cells)) + ("\t" if trailing else "") + "\n")

    def values(self, lead: list[tuple[str, str]], r_cells: list[tuple[str, CellValue]], width: int) -> None:
        """Label cells then value cells; a blank cell's closing tab is its B-BLANK."""
        b = self.b
        for i, (text, tag) in enumerate(lead):
            if i:
                b.lay("\t")
            if text:
                b.tag(text, tag)
        pending_blank = ""
        for k, (fid, cv) in enumerate(r_cells):
            if pending_blank:
                b.blank("\t", pending_blank)
                pending_blank = ""
            elif lead or k:
                b.lay("\t")
            if cv.text:
                b.val(cv.text, fid)
            else:
                pending_blank = fid
        if pending_blank:
            b.blank("\t", pending_blank)
        pad = width - len(lead) - len(r_cells)
        b.lay("\t" * max(pad, 0) + ("\t" if self.rng.random() < 0.5 else "") + "\n")

    def table(self, t: TTable) -> None:
        b = self.b
        if t.key == "t3":
            width = 9
            hdr = t.header
            self.texts([(hdr[0][0], "COL"), ("", "O"), (hdr[0][1], "COL")], width, True)
            self.texts([("", "O"), ("", "O"), (hdr[1][0], "COL"), (hdr[1][1], "COL")] + [("", "O")] * 4
                       + [(hdr[1][2], "COL")], width, True)
            self.texts([("", "O")] * 3 + [(self.header_text(h, " "), "COL") for h in hdr[2]], width, True)
            for r in t.rows:
                self.values(t3_lead(r), r.cells, width)
                b.bp()
        elif t.key == "t4":
            hdr = t.header
            self.texts([(hdr[0][0], "COL")] + [("", "O")] * 4 + [(hdr[0][1], "COL")], 15, False)
            second = [self.header_text(h, " ") for h in hdr[1]]
            self.texts([(h, "COL") for h in second[:5]] + [(second[5], "COL")] + [("", "O")] * 4
                       + [(second[6], "COL")], 15, False)
            self.texts([("", "O")] * 5 + [(self.header_text(h, " "), "COL") for h in hdr[2]], 15, False)
            self.values([], t.rows[0].cells, 15)
        else:
            width = ncells(t)
            self.texts([(t.title or "", "TTL")], width, False)
            for hr in t.header:
                self.texts([(self.header_text(h, " "), "COL") for h in hr], width, False)
            for r in t.rows:
                self.values([(r.label or "", "ROW")], r.cells, width)
                b.bp()
        b.lay("\n")

    def signature(self) -> None:
        if self.rng.random() < 0.4:
            super().signature()


class PipeLines(Style):
    """Seed-003 layout: one row per line, `` | `` separators, trailing ``|`` padding."""

    name = "pipe_lines"
    fullwidth_p = 0.1

    def bar_row(self, lead: list[tuple[str, str]], cells: list[tuple[str, CellValue]], width: int) -> None:
        """``a | b | c | ||``: a blank cell's closing ``|`` is its B-BLANK."""
        b = self.b
        items: list[tuple[str, str, str | None, CellValue | None]] = [(t, g, None, None) for t, g in lead]
        items += [("", "VAL", fid, cv) for fid, cv in cells]
        for i, (text, tag, fid, cv) in enumerate(items):
            if cv is not None:
                if cv.text:
                    b.val(cv.text, fid or "")
            elif text:
                b.tag(text, tag)
            b.lay(" ")
            if cv is not None and not cv.text:
                b.blank("|", fid or "")
            else:
                b.lay("|")
            if i < len(items) - 1:
                b.lay(" ")
        pad = width - len(items) + self.rng.choice((0, 0, 1))
        b.lay((" " + "|" * pad if pad > 0 else "") + "\n")

    def table(self, t: TTable) -> None:
        b = self.b
        width = ncells(t) + 1
        if t.key == "t3":
            hdr = t.header
            self.bar_row([(hdr[0][0], "COL"), (hdr[0][1], "COL")], [], width)
            self.bar_row([(h, "COL") for h in hdr[1]], [], width)
            self.bar_row([(self.header_text(h, " "), "COL") for h in hdr[2]], [], width)
        else:
            if t.title:
                self.bar_row([(t.title, "TTL")], [], width)
            for hr in t.header:
                self.bar_row([(self.header_text(h, " "), "COL") for h in hr], [], width)
        for r in t.rows:
            lead = [(x, "ROW") for x in (r.group, r.label) if x]
            self.bar_row(lead, r.cells, width)
            b.bp()

    def signature(self) -> None:
        if self.rng.random() < 0.3:
            super().signature()


class MarkdownTable(Style):
    """Markdown tables: ``| a | b |`` rows under a ``| --- |`` separator row."""

    name = "markdown_table"
    fullwidth_p = 0.3
    head_p = 0.3

    def title(self, text: str) -> None:
        self.b.lay("# ")
        self.put_title(text)
        self.b.lay("\n\n")

    def heading(self, sid: str, text: str) -> None:
        self.b.lay("## ")
        self.b.sec(text + self.c.remarks.get(sid, ""), sid)
        self.b.lay("\n\n")

    def para(self, text: str) -> None:
        self.b.o(text)
        self.b.lay("\n\n")
        self.b.bp()

    def md_row(self, lead: list[tuple[str, str]], cells: list[tuple[str, CellValue]], width: int) -> None:
        b = self.b
        b.lay("|")
        for text, tag in lead:
            b.lay(" ")
            if text:
                b.tag(text, tag)
            b.lay(" |")
        for fid, cv in cells:
            b.lay(" ")
            if cv.text:
                b.val(cv.text, fid)
                b.lay(" |")
            else:
                b.lay(" ")
                b.blank("|", fid)
        b.lay(" |" * (width - len(lead) - len(cells)) + "\n")

    def table(self, t: TTable) -> None:
        b = self.b
        if t.key == "t3":
            width, hdr = 9, t.header
            rows = [[(hdr[0][0], "COL"), ("", "O"), (hdr[0][1], "COL")],
                    [("", "O"), ("", "O"), (hdr[1][0], "COL"), (hdr[1][1], "COL")] + [("", "O")] * 4
                    + [(hdr[1][2], "COL")],
                    [("", "O")] * 3 + [(self.header_text(h, " "), "COL") for h in hdr[2]]]
        elif t.key == "t4":
            width, hdr = 15, t.header
            second = [self.header_text(h, " ") for h in hdr[1]]
            rows = [[(hdr[0][0], "COL")] + [("", "O")] * 4 + [(hdr[0][1], "COL")],
                    [(h, "COL") for h in second[:6]] + [("", "O")] * 4 + [(second[6], "COL")],
                    [("", "O")] * 5 + [(self.header_text(h, " "), "COL") for h in hdr[2]]]
        else:
            width = ncells(t)
            if t.title:
                if self.rng.random() < 0.5:
                    b.lay("**")
                    b.tag(t.title, "TTL")
                    b.lay("**\n\n")
                else:
                    b.tag(t.title, "TTL")
                    b.lay("\n\n")
            rows = [[(self.header_text(h, " "), "COL") for h in hr] for hr in t.header]
        for i, hr in enumerate(rows):
            self.md_row(hr, [], width)
            if i == 0:
                b.lay("|" + " --- |" * width + "\n")
        for r in t.rows:
            if t.key == "t3":
                lead = t3_lead(r)
            else:
                lead = [(r.label, "ROW")] if r.label else []
            self.md_row(lead, r.cells, width)
            b.bp()
        b.lay("\n")


class Prose(Style):
    """Seed-001 layout: no tables; a CMS index block on top, NBSP-indented signature."""

    name = "prose"
    traits = Traits(tables=False)
    head_p = 0.7

    def head(self) -> None:
        if self.rng.random() >= self.head_p:
            return
        b, c = self.b, self.c
        year = c.sign_date.year if c.sign_date else c.year + 1
        b.plain(f"索 引 号: {self.rng.randint(10**8, 10**9 - 1):09d}/{year}-{self.rng.randint(1, 999999)}\n")
        b.plain("文  号: 发文日期:\n")
        if self.rng.random() < 0.5:
            b.plain(f"发布机构: {c.agency.name} 是否有效: 是\n")
            self.publisher_shown = True
        else:
            b.plain("发布机构: 是否有效:\n")
        if c.title:
            b.plain(f"名  称: {c.title}\n")
        b.plain("内容概述:\n\n")

    def title(self, text: str) -> None:
        b = self.b
        self.put_title(text)
        b.lay("\n\n")
        if self.c.page_date and self.rng.random() < 0.7:
            b.plain(f"发布时间: {self.print_page_date()} {NBSP}来源: 字体:[]")
            b.lay("\n\n\n")

    def heading(self, sid: str, text: str) -> None:
        if sid == "s6" and self.rng.random() < 0.5:
            self.b.lay(NBSP * 3 + " ")
        self.b.sec(text + self.c.remarks.get(sid, ""), sid)
        self.b.lay("\n\n")

    def para(self, text: str) -> None:
        self.b.o(text)
        self.b.lay("\n\n")
        self.b.bp()

    def sign_name(self) -> None:
        self.b.lay(NBSP + "\n\n" + NBSP * self.rng.randint(15, 25) + "\n\n" + NBSP * self.rng.randint(18, 24))
        super().sign_name()
        self.b.lay("\n")

    def sign_date(self) -> None:
        self.b.lay(NBSP * self.rng.randint(18, 24) + " ")
        super().sign_date()
