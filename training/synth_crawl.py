"""``crawl``: a page whose HTML tags were stripped with no (or single-space) separators.

A header of ``key: value`` lines from the crawler, a separator line, then the whole page body on
one line: headings, paragraphs and table cells run together. A row label, its numbers and the
next row's numbering glue into one run; only the column count and the row total tell the cells
apart (each cell is still one B-VAL)::

    标题: 石溪镇人民政府2022年政府信息公开工作年度报告
    发布时间: 2023-01-09 19:36
    ==================== 正文 ====================
    …（三）不予公开1.属于国家秘密00000002.其他法律行政法规禁止公开0000000…一、本年新收政府信息公开申请数量20 0 0 0 02…

Separators between cells are all missing, all single spaces, or missing at random boundaries
(``20 0 0 0 02`` is 2, 0, 0, 0, 0, 0, 2). Blank cells leave no trace here, so none are printed.
"""

from __future__ import annotations

from nianbao.training import synth_phrases as ph
from nianbao.training.synth_content import Traits
from nianbao.training.synth_render import Style, TTable


class Crawl(Style):
    """Tag-stripped HTML: everything after the crawler's header on one line."""

    name = "crawl"
    traits = Traits(blanks=False, dash_mark=False, thousands=False)
    fullwidth_p = 0.85

    def __init__(self, *a: object) -> None:
        super().__init__(*a)  # type: ignore[arg-type]
        self.psep = " " if self.rng.random() < 0.6 else ""

    def head(self) -> None:
        b, c, rng = self.b, self.c, self.rng
        site = "".join(rng.choice("abcdefghjklmnpqrstwxyz") for _ in range(rng.randint(4, 8)))
        if c.title:
            b.plain("标题: ")
            self.put_title(c.title)
            b.lay("\n")
        if c.page_date:
            b.plain(f"发布时间: {self.print_page_date()}\n")
        b.lay("文号: \n")
        if rng.random() < 0.4:
            b.plain(f"发布机构: {c.agency.name}\n")
            self.publisher_shown = True
        else:
            b.lay("发布机构: \n")
        b.plain("栏目: 政府信息公开年报\n")
        d = c.page_date or c.sign_date
        stamp = d.strftime("%Y%m%d") if d else "20240101"
        b.lay(f"原文链接: https://www.{site}.gov.cn/zwgk/xxgk/ndbg/{stamp[:6]}/t{stamp}_{rng.randint(10000, 99999)}.htm\n")
        b.lay("=" * 20 + " 正文 " + "=" * 20 + "\n")
        b.plain(rng.choice(ph.CRUMBS) + " ")
        self.title_done = True
        if c.title and rng.random() < 0.5:
            b.plain(c.title + " ")
        b.plain(rng.choice(ph.PAGE_TOOLS[:3]) + " ")

    def title(self, text: str) -> None:
        self.put_title(text)
        self.b.lay(self.psep)

    def heading(self, sid: str, text: str) -> None:
        self.b.lay(self.psep)
        self.b.sec(text + self.c.remarks.get(sid, ""), sid)  # a remark belongs to its heading line
        self.b.lay(self.psep)

    def para(self, text: str) -> None:
        self.b.o(text)
        self.b.lay(self.psep)
        self.b.bp()

    def table(self, t: TTable) -> None:
        b, rng = self.b, self.rng
        mode = rng.choices(("none", "space", "partial"), (5, 3, 2))[0]

        def sep() -> None:
            if mode == "space" or (mode == "partial" and rng.random() < 0.5):
                b.lay(" ")

        if t.title:
            b.tag(t.title, "TTL")
            sep()
        for hr in t.header:
            for h in hr:
                b.tag(self.header_text(h, " "), "COL")
                sep()
        for r in t.rows:
            for x in (r.group, r.label):
                if x:
                    b.tag(x, "ROW")
                    sep()
            for fid, cv in r.cells:
                b.cell(cv, fid)
                sep()
            b.bp()

    def signature(self) -> None:
        self.b.lay(" ")
        self.sign_name()
        self.b.lay(self.rng.choice(("", " ")))
        self.sign_date()

    def foot(self) -> None:
        if self.rng.random() < 0.3:
            self.b.plain(" " + self.rng.choice(("附件下载", "相关链接", "【打印】【关闭】")))
