"""Synthetic gold documents for the evaluation tests (written for the tests, in the style of the reports).

Two small reports with inline text: table-3's first row and table-4's review group,
two sections, meta. Offsets are computed from the text, so the labels cannot drift.
"""

from __future__ import annotations

import hashlib

from nianbao.labels.catalogue import T3_COLS, T4_COLS
from nianbao.labels.gold import GoldDoc, GoldField, GoldSection, GoldSpan

TEXT_A = (
    "青石镇人民政府2021年政府信息公开工作年度报告\n"
    "## 一、总体情况\n"
    "本年度，青石镇坚持以公开为常态，稳步推进各项工作。\n"
    "## 三、收到和处理政府信息公开申请情况\n"
    "一、本年新收政府信息公开申请数量 | 3 | 1 |  | 0 | 0 | 0 | 4 |||\n"
    "## 四、政府信息公开行政复议、行政诉讼情况\n"
    "行政复议 | 1 | 0 | 0 | 0 | 1 |\n"
    "青石镇人民政府\n2022年1月18日\n"
)
TEXT_B = (
    "白沙鄉人民政府2020年政府信息公開工作年度報告\n"
    "一、總體情況\n"
    "我鄉認真落實政府信息公開各項要求。\n"
    "三、收到和處理政府信息公開申請情況\n"
    "一、本年新收政府信息公開申請數量\t2\t0\t0\t0\t0\t0\t2\n"
    "四、政府信息公開行政復議、行政訴訟情況\n"
    "行政復議\t0\t0\t0\t0\t0\n"
)
ORG_A = "青石镇人民政府"


def row_cells(text: str, label: str, sep: str, n: int) -> list[tuple[int, int, int | None]]:
    """(start, end, value) of the first ``n`` cells after ``label`` on its line; a blank cell's span is
    the separator character that closes it."""
    at = text.index("\n" + label) + 1
    line_end = text.index("\n", at)
    pos = text.index(sep, at + len(label))
    cells: list[tuple[int, int, int | None]] = []
    while len(cells) < n:
        assert pos < line_end, f"row {label!r} has fewer than {n} cells"
        nxt = text.find(sep, pos + 1, line_end)
        nxt = line_end if nxt == -1 else nxt
        seg = text[pos + 1 : nxt]
        if seg.strip():
            a = pos + 1 + len(seg) - len(seg.lstrip())
            cells.append((a, a + len(seg.strip()), int(seg.strip())))
        else:
            cells.append((nxt, nxt + 1, None))
        pos = nxt
    return cells


def make_gold(
    name: str,
    text: str,
    sep: str,
    style: str,
    used_for: list[str],
    meta: dict,
    headings: list[str],
    rows: list[str],
) -> GoldDoc:
    """One synthetic gold document, its labels derived from ``text``: sections s1/s3/s4 at ``headings``,
    table-3 new_received and table-4 review at the two ``rows`` labels."""
    fields: dict[str, GoldField] = {}
    spans: list[GoldSpan] = []
    starts = [text.index(h) for h in headings]
    sections = [
        GoldSection(id=sid, title=h, start=a, end=starts[i + 1] if i + 1 < len(starts) else len(text))
        for i, (sid, h, a) in enumerate(
            zip(("s1", "s3", "s4")[: len(headings)], headings, starts, strict=True)
        )
    ]
    spans += [GoldSpan(start=a, end=a + len(h), tag="SEC") for h, a in zip(headings, starts, strict=True)]
    tables = (("t3.new_received", [c for c, _ in T3_COLS]), ("t4.review", [c for c, _ in T4_COLS]))
    for label, (prefix, cols) in zip(rows, tables, strict=False):  # no rows: a report without tables
        at = text.index("\n" + label) + 1
        spans.append(GoldSpan(start=at, end=at + len(label), tag="ROW"))
        for col, (a, b, v) in zip(cols, row_cells(text, label, sep, len(cols)), strict=True):
            fid = f"{prefix}.{col}"
            fields[fid] = GoldField(value=v, span=(a, b))
            spans.append(GoldSpan(start=a, end=b, tag="VAL" if v is not None else "BLANK", field=fid))
    return GoldDoc(
        name=name,
        sha256=hashlib.sha256(text.encode("utf-8")).hexdigest(),
        text=text,
        style=style,
        template="v2021",
        used_for=used_for,
        meta=meta,
        sections=sections,
        spans=sorted(spans, key=lambda s: s.start),
        fields=fields,
    )


def gold_set() -> list[GoldDoc]:
    """The two synthetic gold documents: A held out (pipe_lines), B used for training (tsv, traditional)."""
    return [
        make_gold(
            "synth-a",
            TEXT_A,
            "|",
            "pipe_lines",
            [],
            {"org": ORG_A, "year": 2021, "date": "2022-01-18"},
            ["一、总体情况", "三、收到和处理政府信息公开申请情况", "四、政府信息公开行政复议、行政诉讼情况"],
            ["一、本年新收政府信息公开申请数量", "行政复议"],
        ),
        make_gold(
            "synth-b",
            TEXT_B,
            "\t",
            "tsv_markdown",
            ["train"],
            {"org": "白沙鄉人民政府", "year": 2020},
            ["一、總體情況", "三、收到和處理政府信息公開申請情況", "四、政府信息公開行政復議、行政訴訟情況"],
            ["一、本年新收政府信息公開申請數量", "行政復議"],
        ),
    ]
