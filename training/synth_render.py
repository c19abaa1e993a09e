"""Rendering core: a text builder that records tag spans as it writes, per-document script
transforms, the logical tables every style prints, and the base ``Style`` (document skeleton).

Spans are recorded on the ORIGINAL rendered text, exactly as a crawler would hand it over:

>>> b = Builder(Script.plain())
>>> b.tag("规章", "ROW"); b.lay("  | "); b.val("0", "t2.regulations.issued"); b.lay(" | "); b.blank("|", "f")
>>> b.text(), b.spans[1], b.spans[2]
('规章  | 0 | |', (6, 7, 'VAL', 't2.regulations.issued'), (10, 11, 'BLANK', 'f'))

The styles themselves live in ``synth_tables`` (row-oriented text styles), ``synth_pdf``
(PDF text layers) and ``synth_crawl`` (tag-stripped HTML); each module docstring shows its
styles with a short example.
"""

from __future__ import annotations

import random
import re
from dataclasses import dataclass, field
from functools import lru_cache

import opencc

from nianbao.labels import catalogue as cat
from nianbao.training import synth_phrases as ph
from nianbao.training.synth_content import CellValue, Content, Traits, fill

NUMERALS = cat.SECTION_NUMERALS
DROP_CHARS = frozenset("年乡镇个条局")
_S2T = opencc.OpenCC("s2t")
_CLAUSE_END = re.compile(r"(?<=[。，；：])")


@lru_cache(maxsize=32768)
def to_traditional(text: str) -> str:
    """Simplified -> traditional script (phrase-aware, cached for short repeated strings).

    >>> to_traditional("总计")
    '總計'
    """
    return _S2T.convert(text)


def traditional(text: str) -> str:
    """Like ``to_traditional``, but a long text is converted clause by clause (no phrase spans
    a 。，；： so the result is the same), which lets the cache serve the clauses that recur.

    >>> traditional("规范依申请公开办理流程，做到件件有回音。") == _S2T.convert("规范依申请公开办理流程，做到件件有回音。")
    True
    """
    if len(text) <= 24:
        return to_traditional(text)
    return "".join(to_traditional(part) for part in _CLAUSE_END.split(text))


class Script:
    """Per-document text transforms: traditional script, pinyin glosses, crawler-dropped characters."""

    def __init__(self, rng: random.Random, traditional: bool = False, gloss: float = 0.0, drop: float = 0.0):
        self.rng = rng
        self.traditional = traditional
        self.gloss = gloss
        self.drop = drop
        keep = [c for c in ph.PINYIN if rng.random() < 0.7] if gloss else []
        self.gloss_chars = frozenset(keep)

    @classmethod
    def plain(cls) -> Script:
        """No transform at all (simplified script, nothing dropped)."""
        return cls(random.Random(0))

    def _glossed(self, text: str) -> str:
        if not self.gloss_chars:
            return text
        out = []
        for ch in text:
            out.append(ch)
            if ch in self.gloss_chars and self.rng.random() < self.gloss:
                out.append(f"({ph.PINYIN[ch]})")
        return "".join(out)

    def prose(self, text: str) -> str:
        """Running text: may lose characters, then is converted and glossed."""
        if self.drop:
            text = "".join(ch for ch in text if ch not in DROP_CHARS or self.rng.random() >= self.drop)
        return self.label(text)

    def label(self, text: str) -> str:
        """Headings, labels, titles: converted and glossed, never damaged."""
        if not self.traditional:
            return text
        return self._glossed(traditional(text))

    def value(self, text: str) -> str:
        """A value cell: only a unit's or a mark's script changes (万元 -> 萬元, 无 -> 無), no gloss."""
        return text.replace("万", "萬").replace("无", "無") if self.traditional else text


Span = tuple[int, int, str, "str | None"]


@dataclass
class Builder:
    """Appends text pieces and records (start, end, tag, field) spans and section starts."""

    script: Script
    parts: list[str] = field(default_factory=list)
    n: int = 0
    spans: list[Span] = field(default_factory=list)
    sections: list[list] = field(default_factory=list)  # [sid, start, end, title]
    breaks: list[int] = field(default_factory=list)
    _open: tuple[int, str, str | None] | None = None

    def lay(self, text: str) -> None:
        """Layout written verbatim: whitespace, separators, boilerplate already final."""
        self.parts.append(text)
        self.n += len(text)

    @property
    def col(self) -> int:
        """Characters written since the last line break (the current column)."""
        count = 0
        for part in reversed(self.parts):
            nl = part.rfind("\n")
            if nl >= 0:
                return count + len(part) - nl - 1
            count += len(part)
        return count

    def o(self, text: str) -> None:
        """Prose (tag O), through the document's script transforms."""
        self.lay(self.script.prose(text))

    def plain(self, text: str) -> None:
        """Untagged text that is never damaged (titles, names, boilerplate), in the document's script."""
        self.lay(self.script.label(text))

    def tag(self, text: str, tag: str, field: str | None = None) -> None:
        """A tagged piece (SEC/TTL/ROW/COL) in the document's script; a crawler that drops characters
        sometimes loses a column header's last one (``现行有效件数`` -> ``现行有效件``)."""
        if tag == "COL" and self.script.drop and len(text) > 3 and self.script.rng.random() < 0.1:
            text = text[:-1]
        start = self.n
        self.lay(self.script.label(text))
        self.spans.append((start, self.n, tag, field))

    def val(self, text: str, field: str) -> None:
        """One value cell (never empty: a blank cell goes through ``blank``)."""
        if not text:
            raise ValueError(f"empty value cell for {field}: blank cells need a placeholder character")
        start = self.n
        self.lay(self.script.value(text))
        self.spans.append((start, self.n, "VAL", field))

    def blank(self, ch: str, field: str) -> None:
        """The one character holding the place of a blank cell."""
        if len(ch) != 1:
            raise ValueError(f"a blank cell's placeholder is one character, got {ch!r}")
        self.spans.append((self.n, self.n + 1, "BLANK", field))
        self.lay(ch)

    def cell(self, cv: CellValue, fid: str, holder: str = "") -> None:
        """A value cell, or for a blank cell its placeholder ``holder`` (tagged BLANK)."""
        if cv.text:
            self.val(cv.text, fid)
        elif holder:
            self.blank(holder, fid)
        else:
            raise ValueError(f"{fid} is blank but this layout keeps no trace of blank cells")

    def sec(self, text: str, sid: str) -> None:
        """A standard section heading (SEC); closes the previous section."""
        self.end_sections()
        start = self.n
        self.tag(text, "SEC")
        self.sections.append([sid, start, None, self.text_since(start)])

    def end_sections(self) -> None:
        """End the open section here (before a signature or the next heading)."""
        if self.sections and self.sections[-1][2] is None:
            self.sections[-1][2] = self.n

    def open(self, tag: str, field: str | None = None) -> None:
        """Start a span that the following pieces (possibly several lines) belong to."""
        self._open = (self.n, tag, field)

    def close(self) -> None:
        """End the span started by ``open``."""
        assert self._open is not None, "close() without open()"
        start, tag, fid = self._open
        self.spans.append((start, self.n, tag, fid))
        self._open = None

    def bp(self) -> None:
        """Mark a place where a report may break off (a truncated report ends here)."""
        self.breaks.append(self.n)

    def text_since(self, start: int) -> str:
        """The text written from ``start`` (used for section titles)."""
        out, pos = [], self.n
        for part in reversed(self.parts):
            if pos <= start:
                break
            out.append(part[max(0, start - (pos - len(part))):])
            pos -= len(part)
        return "".join(reversed(out))

    def text(self) -> str:
        """Everything written so far."""
        return "".join(self.parts)


# ----------------------------------------------------------------- the logical tables
@dataclass
class TRow:
    """A table row: its label (ROW), the group label printed with it, and its cells."""

    label: str | None
    cells: list[tuple[str, CellValue]]
    group: str | None = None


@dataclass
class TTable:
    """A table as printed: title (TTL), header rows (COL texts; '|' marks a possible line break), rows."""

    key: str
    title: str | None
    header: list[list[str]]
    rows: list[TRow]

    @property
    def width(self) -> int:
        """Number of cells in the widest data row, label included."""
        return max(len(r.cells) for r in self.rows) + 1


T2_TITLES = {"一": "第二十条第(一)项", "五": "第二十条第(五)项", "六": "第二十条第(六)项",
             "八": "第二十条第(八)项", "九": "第二十条第(九)项"}
T3_CORNER = "(本列数据的勾稽关系为:第一项加第二项之和,等于第三项加第四项之和)"
T3_HEADER = [[T3_CORNER, "申请人情况"], ["自然人", "法人或其他组织", "总计"],
             ["商业|企业", "科研|机构", "社会|公益|组织", "法律|服务|机构", "其他"]]
T4_HEADER = [["行政复议", "行政诉讼"],
             ["结果|维持", "结果|纠正", "其他|结果", "尚未|审结", "总计", "未经复议|直接起诉", "复议后|起诉"],
             ["结果|维持", "结果|纠正", "其他|结果", "尚未|审结", "总计"] * 2]


def punct(text: str, fullwidth: bool) -> str:
    """ASCII parentheses/colon/comma as printed, or their full-width forms.

    >>> punct("(一)予以公开", True)
    '（一）予以公开'
    """
    if not fullwidth:
        return text
    return text.replace("(", "（").replace(")", "）").replace(":", "：").replace(",", "，")


def spaced_label(text: str) -> str:
    """A row label with a space after its numbering, as some sites print it: ``1. 属于国家秘密``.

    >>> spaced_label("(二)部分公开(区分处理的,只计这一情形,不计其他情形)")
    '(二) 部分公开 (区分处理的, 只计这一情形, 不计其他情形)'
    """
    out = text.replace(".", ". ", 1).replace(")", ") ", 1).replace(",", ", ").replace("部分公开(", "部分公开 (")
    return out.replace("  ", " ")


def build_tables(c: Content, fullwidth: bool, spaced: bool) -> dict[str, list[TTable]]:
    """The report's tables (t2 as sub-tables, t3, t4) as the template prints them."""
    cells = c.cells

    def lab(text: str) -> str:
        return punct(spaced_label(text) if spaced else text, fullwidth)

    def row(label: str, fids: list[str], group: str | None = None) -> TRow:
        return TRow(lab(label), [(f, cells[f]) for f in fids], lab(group) if group else None)

    t2: list[TTable] = []
    if c.table_template == "v2021":
        cols = [c2 for c2, _ in cat.T2_V2021_COLS]
        head1 = ["信息内容", "本年制发件数", "本年废止件数", "现行有效件数"]
        t2.append(TTable("t2.1", T2_TITLES["一"], [head1], [
            row(r.zh, [f"t2.{r.key}.{k}" for k in cols]) for r in cat.T2_V2021_ROWS]))
        t2.append(TTable("t2.5", T2_TITLES["五"], [["信息内容", "本年处理决定数量"]],
                         [row("行政许可", ["t2.licensing.decisions"])]))
        t2.append(TTable("t2.6", T2_TITLES["六"], [["信息内容", "本年处理决定数量"]],
                         [row("行政处罚", ["t2.punishment.decisions"]), row("行政强制", ["t2.enforcement.decisions"])]))
        t2.append(TTable("t2.8", T2_TITLES["八"], [["信息内容", "本年收费金额(单位:万元)"]],
                         [row("行政事业性收费", ["t2.fees.amount"])]))
    else:
        cols = [c2 for c2, _ in cat.T2_V2019_COLS]
        items = [k for k, _ in cat.T2_V2019_ITEM_COLS]
        head_items = ["信息内容", "上一年|项目数量", "本年增/减", "处理决定|数量"]
        t2.append(TTable("t2.1", T2_TITLES["一"], [["信息内容", "本年新|制作数量", "本年新|公开数量", "对外公开|总数量"]],
                         [row(r.zh, [f"t2.{r.key}.{k}" for k in cols]) for r in cat.T2_V2019_ROWS]))
        t2.append(TTable("t2.5", T2_TITLES["五"], [head_items],
                         [row(r.zh, [f"t2.{r.key}.{k}" for k in items]) for r in cat.T2_V2019_ITEMS[:2]]))
        t2.append(TTable("t2.6", T2_TITLES["六"], [head_items],
                         [row(r.zh, [f"t2.{r.key}.{k}" for k in items]) for r in cat.T2_V2019_ITEMS[2:]]))
        t2.append(TTable("t2.8", T2_TITLES["八"], [["信息内容", "上一年|项目数量", "本年增/减"]],
                         [row("行政事业性收费", ["t2.fees.prev_count", "t2.fees.change"])]))
        t2.append(TTable("t2.9", T2_TITLES["九"], [["信息内容", "采购项目|数量", "采购|总金额"]],
                         [row("政府集中采购", ["t2.procurement.count", "t2.procurement.amount"])]))
    for t in t2:
        t.title = punct(t.title or "", fullwidth)
        t.header = [[punct(h, fullwidth) for h in hr] for hr in t.header]
    t3_rows = []
    seen_groups: set[str] = set()
    for r in c.t3_rows:
        group = r.group if r.group and r.group not in seen_groups else None
        if r.group:
            seen_groups.add(r.group)
        t3_rows.append(row(r.zh, [f"t3.{r.key}.{k}" for k, _ in cat.T3_COLS], group))
    t3 = TTable("t3", None, [[punct(h, fullwidth) for h in hr] for hr in T3_HEADER], t3_rows)
    t4 = TTable("t4", None, [list(hr) for hr in T4_HEADER], [TRow(None, [(f, cells[f]) for f in cat.t4_fields()])])
    return {"t2": t2, "t3": [t3], "t4": [t4]}


TABLE_OF_SECTION = {"s2": "t2", "s3": "t3", "s4": "t4"}


# ----------------------------------------------------------------- the document skeleton
class Style:
    """Base style: the order of a report's parts; subclasses decide how each part is printed."""

    name = ""
    traits = Traits()
    fullwidth_p = 0.3  # share of documents with full-width parentheses in labels
    spaced_p = 0.0  # share with a space after row-label numbering

    def __init__(self, c: Content, b: Builder, rng: random.Random):
        self.c, self.b, self.rng = c, b, rng
        self.fullwidth = rng.random() < self.fullwidth_p
        self.tables = build_tables(c, self.fullwidth, rng.random() < self.spaced_p) if c.cells else {}
        self.hbreak = rng.random() < 0.5  # multi-line header cells in this document
        self.drop_numeral = b.script.drop > 0 and rng.random() < 0.5
        self.dropped_sid = rng.choice(("s2", "s3", "s5", "s6")) if self.drop_numeral else ""
        self.sig_pos = -1  # where the signature starts (-1: none printed)
        self.sign_date_ok = False
        self.page_date_shown = False
        self.publisher_shown = False  # the page names the agency as 发布机构
        self.title_done = False  # the title was printed inside the page header
        self.printed_title: str | None = None

    # -- parts a style overrides
    head_p = 0.2  # share of documents with site boilerplate before the report
    foot_p = 0.2  # ... and after it

    def head(self) -> None:
        """Site boilerplate before the report: a CMS page header, in a share of documents."""
        if self.rng.random() < self.head_p:
            self.site_head("\n")

    def title(self, text: str) -> None:
        """The title line."""
        self.put_title(text)
        self.b.lay("\n")

    def put_title(self, text: str) -> None:
        """Print the title and remember it as printed (meta.title)."""
        start = self.b.n
        self.b.plain(text)
        self.printed_title = self.b.text_since(start)

    def heading(self, sid: str, text: str) -> None:
        """A section heading line."""
        self.b.sec(text + self.c.remarks.get(sid, ""), sid)  # a remark belongs to its heading line
        self.b.lay("\n")

    def subheading(self, text: str) -> None:
        """A subsection heading (tag O)."""
        self.para(text)

    def para(self, text: str) -> None:
        """A prose paragraph."""
        self.b.o(text)
        self.b.lay("\n")
        self.b.bp()

    def table(self, t: TTable) -> None:
        """One table."""
        raise NotImplementedError

    def signature(self) -> None:
        """Signature: the agency and the date under it."""
        self.b.lay("\n")
        self.sign_name()
        self.b.lay("\n")
        self.sign_date()
        self.b.lay("\n")

    def foot(self) -> None:
        """Site boilerplate after the report, in a share of documents."""
        if self.rng.random() < self.foot_p:
            self.site_foot("\n")

    def site_head(self, sep: str, crumb: bool = True) -> None:
        """Breadcrumb, title, date and source, page tools: each a line ended by ``sep``."""
        b, rng, c = self.b, self.rng, self.c
        if crumb:
            b.plain(rng.choice(ph.CRUMBS))
            b.lay(sep)
        if c.title:
            self.put_title(c.title)
            b.lay(sep)
            self.title_done = True
        if c.page_date:
            b.plain(f"发布时间：{self.print_page_date()}")
            b.lay("  " if rng.random() < 0.5 else sep)
        if rng.random() < 0.5:
            b.plain(f"发布机构：{c.agency.name}")
            self.publisher_shown = True
        else:
            b.plain(f"来源：{rng.choice(ph.SOURCES)}")
        b.lay(sep)
        b.plain(fill(rng.choice(ph.PAGE_TOOLS), {}, rng))
        b.lay(sep + sep)

    def site_foot(self, sep: str) -> None:
        """One to three footer lines of the site (links, copyright, page tools)."""
        ctx = {"org": self.c.agency.name, "code": f"{self.rng.randint(1000, 9999)}{self.rng.randint(100000, 999999)}"}
        self.b.lay(sep)
        for line in self.rng.sample(ph.FOOTERS, self.rng.randint(1, 3)):
            self.b.plain(fill(line, ctx, self.rng))
            self.b.lay(sep)

    # -- shared helpers
    def sign_name(self) -> None:
        """The agency's name in the signature (meta.org comes from here)."""
        self.sig_pos = self.b.n
        self.b.plain(self.c.agency.name)

    def sign_date(self) -> None:
        """The date under the signature; meta.date comes from here unless the page prints one."""
        text = self.date_text()
        self.sign_date_ok = not text[-1].isdigit() or "-" in text
        self.b.lay(self.b.script.prose(text) if not self.sign_date_ok else self.b.script.label(text))

    def print_page_date(self, with_time: bool = True) -> str:
        """The page's publication date as boilerplate prints it; meta.date comes from here."""
        d = self.c.page_date
        assert d is not None
        self.page_date_shown = True
        if with_time:
            return f"{d.isoformat()} {self.rng.randint(8, 18):02d}:{self.rng.randint(0, 59):02d}"
        return d.isoformat()

    def heading_text(self, sid: str) -> str:
        """The printed heading of a section (numeral possibly lost by the crawler)."""
        numeral = "" if sid == self.dropped_sid else NUMERALS[int(sid[1]) - 1]
        return f"{numeral}、{self.c.headings[sid]}"

    def header_text(self, h: str, joiner: str) -> str:
        """A header cell with its possible line breaks rendered by ``joiner`` (or kept on one line)."""
        if "|" not in h:
            return h
        return h.replace("|", joiner if self.hbreak else "")

    def date_text(self) -> str:
        """The date under the signature (possibly damaged by the crawler: 2020120)."""
        d = self.c.sign_date
        assert d is not None
        if self.b.script.drop and self.rng.random() < 0.5:
            return f"{d.year}{d.month}{d.day}"[:-1]
        return self.rng.choice((f"{d.year}年{d.month}月{d.day}日", f"{d.year}年{d.month}月{d.day}日",
                                f"{d.year}-{d.month:02d}-{d.day:02d}"))

    def render(self) -> None:
        """Write the whole report through the builder."""
        c, b = self.c, self.b
        self.head()
        if c.title and not self.title_done:
            self.title(c.title)
        for p in c.intro:
            self.para(p)
        for sid in cat.SECTIONS:
            self.heading(sid, self.heading_text(sid))
            blocks = c.body[sid]
            tkey = TABLE_OF_SECTION.get(sid)
            tables = self.tables.get(tkey, []) if tkey else []
            before = self.rng.random() < 0.8
            if tables and not before:
                for t in tables:
                    self.table(t)
            for kind, text in blocks:
                self.subheading(text) if kind == "h" else self.para(text)
            if tables and before:
                for t in tables:
                    self.table(t)
        b.end_sections()
        self.signature()
        self.foot()
