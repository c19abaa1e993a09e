"""Synthetic HTML pages: ordinary government article pages (not reports) in the site frame reports are
published in, and WARC files mixing them with reports (tests, the WARC benchmark).

An article page is what most of a government site's crawl holds: a news item, a notice, a meeting
report, in the same navigation, breadcrumb, page tools and footer as an annual report's page, with no
report section heading, table title or template row label (the cheap not-a-report path's case).

>>> page = article_page(random.Random(3))
>>> page.startswith("<!DOCTYPE html>") and "</html>" in page
True
"""

from __future__ import annotations

import html
import io
import random
import re
from collections.abc import Iterable
from pathlib import Path
from types import SimpleNamespace

from nianbao.labels import catalogue as cat
from nianbao.training import synth_phrases as ph
from nianbao.training.synth_content import CellValue
from nianbao.training.synth_render import build_tables

NAV = ("首页", "政务公开", "政府信息公开", "政策文件", "政策解读", "互动交流", "办事服务", "数据开放", "走进本区")
SUBJECTS = ("召开2024年第{n}次常务会议", "开展安全生产大检查", "举办乡村振兴专题培训班", "部署防汛抗旱工作",
            "调研重点项目建设", "召开优化营商环境推进会", "开展“我为群众办实事”活动", "举行城市更新项目集中开工仪式",
            "发布第{n}批公开招聘工作人员公告", "关于征集民生实事项目意见的通告", "召开森林防火工作会议")
SENTENCES = ("会议传达学习了上级有关会议精神，研究部署了下一阶段重点工作。", "会议强调，要坚持以人民为中心的发展思想，"
             "扎实推进各项工作落地见效。", "活动现场，工作人员向群众发放宣传资料{n}余份，解答群众咨询{n}人次。",
             "与会人员围绕项目进度、资金保障、要素支撑等进行了深入交流。", "下一步，将持续加大工作力度，"
             "确保各项任务按期完成。", "检查组一行先后深入{n}家企业，实地查看生产经营情况。",
             "本次培训共有{n}名基层干部参加，采取专题授课、现场教学相结合的方式进行。",
             "报名时间为{d}至{d2}，报名地点设在区行政服务中心二楼。", "各单位要压紧压实责任，强化统筹协调，形成工作合力。")


def article_page(rng: random.Random) -> str:
    """An ordinary article page (not a report) in a government site's frame."""
    town = rng.choice(ph.PLACE_HEAD) + rng.choice(ph.PLACE_TAIL)
    org = f"{town}区人民政府"
    title = org + rng.choice(SUBJECTS).format(n=rng.randint(2, 30))

    def fill(s: str) -> str:
        return s.format(n=rng.randint(3, 300), d=f"{rng.randint(1, 6)}月{rng.randint(1, 28)}日",
                        d2=f"{rng.randint(7, 12)}月{rng.randint(1, 28)}日")

    paras = [fill(rng.choice(SENTENCES)) + fill(rng.choice(SENTENCES)) for _ in range(rng.randint(3, 9))]
    nav = "".join(f'<li><a href="/{k}/">{html.escape(n)}</a></li>' for k, n in enumerate(NAV))
    body = "\n".join(f'<p style="text-indent:2em">{html.escape(p)}</p>' for p in paras)
    date = f"2024-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}"
    return (f'<!DOCTYPE html>\n<html><head><meta charset="utf-8"><title>{html.escape(title)}</title>'
            f"<style>body{{font-size:14px}}</style><script>var siteId={rng.randint(1, 999)};</script></head>\n"
            f'<body><div class="header"><ul class="nav">{nav}</ul></div>\n'
            f'<div class="crumb">当前位置：首页 &gt; 政务公开 &gt; 工作动态</div>\n'
            f'<div class="article"><h1>{html.escape(title)}</h1>\n'
            f'<div class="info">发布时间：{date} 来源：{html.escape(rng.choice(ph.SOURCES))} 【字体：大 中 小】</div>\n'
            f"{body}\n</div>\n"
            f'<div class="footer">主办单位：{html.escape(org)}办公室 网站标识码：{rng.randint(10**9, 10**10 - 1)}'
            "</div></body></html>\n")


MSO_HEAD = ("<!--[if gte mso 9]><xml><o:OfficeDocumentSettings><o:AllowPNG/></o:OfficeDocumentSettings></xml>"
            "<![endif]--><!--[if gte mso 10]><style>table.MsoNormalTable{mso-style-name:普通表格;}</style>"
            "<![endif]-->")
_CELL_SPLIT = re.compile(r"\t|\|")
_RULE_ROW = re.compile(r"^[\s|:\-]+$")


def _blank_cell(rng: random.Random) -> str:
    return rng.choice(("<p class=MsoNormal align=center style='text-align:center'><span lang=EN-US><o:p>&nbsp;"
                       "</o:p></span></p>",
                       "<p class=MsoNormal><![if !supportEmptyParas]>&nbsp;<![endif]><o:p></o:p></p>",
                       "<p class=MsoNormal><span lang=EN-US>&nbsp;</span></p>", ""))


def _word_cell(text: str, rng: random.Random) -> str:
    """One Word-exported cell: its text in ``<p><span>``, a long label sometimes over two paragraphs."""
    if not text:
        return _blank_cell(rng)
    parts = [text]
    if len(text) > 8 and not any(c.isdigit() for c in text) and rng.random() < 0.4:
        cuts = [k for k in range(3, len(text) - 2)  # never inside a parenthesis (a pinyin gloss, a remark)
                if text[k] not in "(（"
                and text[:k].count("(") + text[:k].count("（") == text[:k].count(")") + text[:k].count("）")]
        if cuts:
            k = rng.choice(cuts)
            parts = [text[:k], text[k:]]
    return "".join(f"<p class=MsoNormal align=center style='text-align:center'><span style='font-family:宋体;"
                   f"mso-bidi-font-size:10.5pt'>{html.escape(p)}<span lang=EN-US><o:p></o:p></span></span></p>"
                   for p in parts)


Block = tuple[str, "list[str] | str"]  # ("row", cells) or ("para", text)
_SEPARATORS = " \t|\xa0\u3000｜"


def text_blocks(text: str) -> list[Block]:
    """A text's lines as blocks: three or more tab- or ``|``-separated cells are a row, the rest paragraphs."""
    out: list[Block] = []
    for line in text.split("\n"):
        cells = _CELL_SPLIT.split(line)
        if len(cells) >= 3:
            if not _RULE_ROW.match(line):  # a Markdown rule line is no row of the Word table
                out.append(("row", [c.strip() for c in cells]))
        else:
            out.append(("para", line))
    return out


def gold_blocks(text: str, spans: list[tuple[int, int, str]]) -> list[Block]:
    """A labelled text's blocks with every gold value in a cell of its own (the cell borders the flattened
    text lost): the text is cut at line ends and where a row label, table title or heading starts; a piece
    holding values is a row (its leading text, then each value, a BLANK as an empty cell, and any other
    text between values as printed); other pieces are read as ``text_blocks`` reads lines.

    >>> gold_blocks("自然人000总计\\n", [(0, 3, "ROW"), (3, 4, "VAL"), (4, 5, "BLANK"), (5, 6, "VAL")])
    [('row', ['自然人', '0', '', '0', '总计'])]
    """
    cuts = {0, len(text)} | {m + 1 for m in range(len(text)) if text[m] == "\n"}
    cuts |= {a for a, _, tag in spans if tag in ("ROW", "TTL", "SEC")}
    bounds = sorted(cuts)
    values = sorted((a, e, tag) for a, e, tag in spans if tag in ("VAL", "BLANK"))
    out: list[Block] = []
    k = 0
    for lo, hi in zip(bounds, bounds[1:], strict=False):
        piece = text[lo:hi].rstrip("\n")
        inside = []
        while k < len(values) and values[k][0] < hi:
            if values[k][0] >= lo:
                inside.append(values[k])
            k += 1
        if not inside:
            out.extend(text_blocks(piece) if "\n" in text[lo:hi] or hi == len(text) else [("para", piece)])
            continue
        cells, pos = [], lo
        for a, e, tag in inside:
            between = text[pos:a].strip(_SEPARATORS)
            if between or pos == lo:
                cells.append(between)
            cells.append(text[a:e].strip(_SEPARATORS) if tag == "VAL" else "")
            pos = max(pos, e)
        rest = text[pos:lo + len(piece)].strip(_SEPARATORS)
        if rest:
            cells.append(rest)
        out.append(("row", cells))
    return out


def word_page(text: str, rng: random.Random, spans: list[tuple[int, int, str]] | None = None) -> str:
    """A report text as a Word-exported article page in a government site's frame.

    Rows (``text_blocks``; with gold ``spans``, ``gold_blocks``: each value in its own cell) become rows
    of ``MsoNormalTable``s (cells holding ``<p><span>``, ``&nbsp;`` in blank cells, Office conditional
    comments, some rows padded with empty placeholder cells, a table split into several ``<table>``
    elements as printed pages are); every other line is a ``<p class=MsoNormal>``. The page sits in a
    nested layout table with the site's navigation and footer. Values and labels are kept as printed.
    """
    return _render_blocks(gold_blocks(text, spans) if spans is not None else text_blocks(text), rng)


def _merged(cells: list[str], merge: bool) -> list[tuple[str, str]]:
    """A header row's cells with each label merged over the empty cells after it (``colspan``), as Word
    prints a spanning header; rows holding a digit (values) are never merged.

    >>> _merged(["申请人情况", "", "", "总计"], True)
    [('申请人情况', ' colspan=3'), ('总计', '')]
    """
    if not merge or any(ch.isdigit() for c in cells for ch in c):
        return [(c, "") for c in cells]
    out: list[list] = []
    for c in cells:
        if not c and out and out[-1][0]:
            out[-1][1] += 1
        else:
            out.append([c, 1])
    return [(c, f" colspan={n}" if n > 1 else "") for c, n in out]


def _render_blocks(blocks: list[Block], rng: random.Random) -> str:
    """Blocks as a Word-exported page in the site frame (see ``word_page``)."""
    pad = rng.random() < 0.5
    merge = rng.random() < 0.5
    split_every = rng.choice((0, 0, 9, 14))
    out: list[str] = []
    in_table, rows = False, 0
    for kind, body in blocks:
        if kind == "row":
            if in_table and split_every and rows and rows % split_every == 0:
                out.append("</table><p class=MsoNormal><span lang=EN-US><br clear=all "
                           "style='page-break-before:always'></span></p>")
                in_table = False
            if not in_table:
                out.append("<table class=MsoNormalTable border=1 cellspacing=0 cellpadding=0 "
                           "style='border-collapse:collapse;mso-table-layout-alt:fixed'>")
                in_table = True
            tds = "".join(f"<td width={rng.choice((48, 60, 85))}{span} valign=center style='border:solid windowtext "
                          f"1.0pt;padding:0cm 5.4pt 0cm 5.4pt'>{_word_cell(c, rng)}</td>"
                          for c, span in _merged(list(body), merge))
            if pad and rng.random() < 0.5:
                tds += "<td style='mso-cell-special:placeholder;border:none;padding:0cm 0cm 0cm 0cm' width=0>" \
                       "<p class='MsoNormal'>&nbsp;</td>"
            out.append(f"<tr style='height:18.0pt'>{tds}</tr>")
            rows += 1
        else:
            if in_table:
                out.append("</table>")
                in_table, rows = False, 0
            line = str(body)
            para = html.escape(line) if line.strip() else "<o:p>&nbsp;</o:p>"
            out.append(f"<p class=MsoNormal style='text-indent:21.0pt;line-height:150%'><span style='font-family:"
                       f"仿宋_GB2312'>{para}</span></p>")
    if in_table:
        out.append("</table>")
    nav = "".join(f'<td class="nav"><a href="/{k}/">{html.escape(n)}</a></td>' for k, n in enumerate(NAV))
    return ('<!DOCTYPE html>\n<html xmlns:o="urn:schemas-microsoft-com:office:office"><head><meta charset="utf-8">'
            f"<title>年度报告</title>{MSO_HEAD}</head>\n<body>"
            f'<table width="1000" align="center"><tr><td><table><tr>{nav}</tr></table></td></tr>\n'
            '<tr><td class="crumb">当前位置：首页 &gt; 政务公开 &gt; 年度报告</td></tr>\n'
            f'<tr><td class="TRS_Editor"><div class="WordSection1">\n' + "\n".join(out)
            + '\n</div></td></tr>\n<tr><td class="footer">网站标识码：3500000000 主办单位：人民政府办公室</td></tr>'
            "</table></body></html>\n")


def write_warc(path: Path, pages: Iterable[tuple[str, str]]) -> int:
    """Write ``(url, html)`` pages as a gzipped WARC of HTTP 200 responses (UTF-8); returns how many."""
    # local: warcio costs start-up time; only this path needs it
    from warcio.statusandheaders import StatusAndHeaders

    # local: warcio costs start-up time; only this path needs it
    from warcio.warcwriter import WARCWriter

    n = 0
    with open(path, "wb") as fh:
        w = WARCWriter(fh, gzip=True)
        for url, page in pages:
            http = StatusAndHeaders("200 OK", [("Content-Type", "text/html; charset=utf-8")], protocol="HTTP/1.1")
            w.write_record(w.create_warc_record(url, "response", payload=io.BytesIO(page.encode("utf-8")),
                                                http_headers=http))
            n += 1
    return n


def gold_tables(text: str, fields: dict, template: str) -> dict[str, list[Block]]:
    """The template tables of a labelled report rebuilt from its gold fields, each value in its own cell
    as printed (``text[span]``; a blank cell empty), with the template's titles, headers and row labels."""


    cells: dict[str, CellValue] = {}
    for fid, f in fields.items():
        a, b = f.span
        printed = text[a:b].strip(_SEPARATORS) if b > a else ""
        cells[fid] = CellValue("" if f.value is None and not f.raw else printed, f.value, f.raw, f.unit)
    present = set(cat.t3_row_keys_present(set(fields)))
    rows = tuple(r for r in cat.T3_ROWS if r.key in present)  # the rows it prints, of either version
    missing = CellValue("\0", None)  # a field the report does not print: its cell is left out

    class _Cells(dict):
        def __missing__(self, key: str) -> CellValue:
            return missing

    c = SimpleNamespace(cells=_Cells(cells), table_template=template, t3_rows=rows)
    out: dict[str, list[Block]] = {}
    for tid, tables in build_tables(c, fullwidth=False, spaced=False).items():  # type: ignore[arg-type]
        blocks: list[Block] = []
        for t in tables:
            kept = [r for r in t.rows if any(cv is not missing for _, cv in r.cells)]
            if not kept:
                continue
            if t.title:
                blocks.append(("para", t.title))
            for h in t.header:
                blocks.append(("row", [x.replace("|", "") for x in ([""] if tid != "t4" else []) + h]))
            for r in kept:
                lead = [x for x in (r.group, r.label) if x] if tid == "t3" else ([r.label] if r.label else [])
                blocks.append(("row", lead + [cv.text for _, cv in r.cells if cv is not missing]))
            blocks.append(("para", ""))
        out[tid] = blocks
    return out


def gold_page(text: str, spans: list[tuple[int, int, str, str | None]], fields: dict, template: str,
              rng: random.Random) -> str:
    """A labelled real report as a Word-exported page built from its gold: the text around the tables as
    paragraphs, each table's printed stretch (its title, headers, labels and values: from the first to the
    last labelled span that belongs to it, labels printed after its values included) replaced by the table
    rebuilt from the gold (``gold_tables``)."""
    tables = gold_tables(text, fields, template)
    marks = sorted((a, e, tag, f) for a, e, tag, f in spans if tag != "SEC")
    regions: list[tuple[int, int, str]] = []
    for tid in ("t2", "t3", "t4"):
        vals = [(a, e) for a, e, tag, f in marks if f and f.startswith(tid + ".")]
        if not vals or tid not in tables:
            continue
        lo, hi = min(a for a, _ in vals), max(e for _, e in vals)
        prev_end = regions[-1][1] if regions else 0
        heads = [a for a, e, tag, f in marks if not f and prev_end <= a < lo]
        secs = [a for a, e, tag, f in spans if tag == "SEC" and prev_end <= a < lo]
        if heads:
            first = min(heads)
            lo = first if not secs or max(secs) < first else lo
        later_values = [a for a, e, tag, f in marks if f and not f.startswith(tid + ".") and a >= hi]
        later_secs = [a for a, e, tag, f in spans if tag == "SEC" and a >= hi]
        stop = min(later_values + later_secs + [len(text)])
        tail = [e for a, e, tag, f in marks if not f and hi <= a < stop]  # labels printed after the values
        regions.append((lo, max([hi] + tail), tid))
    blocks: list[Block] = []
    pos = 0
    for lo, hi, tid in regions:
        blocks += text_blocks(text[pos:lo])
        blocks += tables[tid]
        pos = hi
    blocks += text_blocks(text[pos:])
    return _render_blocks(blocks, rng)
