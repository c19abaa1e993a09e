"""Which template a report prints (``detect_template``) and whether it is a report at all (``is_report``).

**Template** is read from table 2's column headers as printed, not from the year:

- v2021 (国办公开办函〔2021〕30号): ``本年制发件数``/``本年废止件数``/``现行有效件数``, ``本年收费金额``;
- v2019 (国办公开办函〔2019〕60号): ``本年新制作数量``/``本年新公开数量``/``对外公开总数量``,
  ``上一年项目数量``/``本年增/减``, the ``第二十条第(九)项`` table (政府集中采购).

The version with more of its markers wins (a tie goes to v2021, the later one). A report
whose table 2 is missing falls back on table 3 (the three ``(六)其他处理`` sub-rows exist in
v2021 only), then on the reported year. ``none`` when the report has no table at all.

**Status ``not_a_report``**: a document is NOT a report when it has no standard section
heading (``一、总体情况`` ... ``六、其他需要报告的事项``, see ``sections.py``) AND no table title
(``第二十条第(一)项``) and no row label of the template (``一、本年新收政府信息公开申请数量``,
``1.属于国家秘密``... from the tags, or found in the text). One of either is enough to be a report.

>>> template_from_text("第二十条第(一)项 | 信息内容 | 本年新 制作数量 | 本年新公开数量")
'v2019'
>>> template_from_text("本年制发件数 本年废止件数 现行有效件数"), template_from_text("无表格")
('v2021', None)
"""

from __future__ import annotations

import re
from functools import lru_cache

from nianbao.document import Document
from nianbao.rules.lexicon import find_label_matches, squeezed
from nianbao.rules.sections import find_headings

V2021_MARKERS = ("本年制发件数", "本年废止件数", "现行有效件数", "本年收费金额")
V2019_MARKERS = ("本年新制作数量", "本年新公开数量", "对外公开总数量", "上一年项目数量", "本年增/减", "第二十条第(九)项",
                 "采购项目数量", "采购总金额")
V2021_T3_MARKERS = ("逾期不补正", "逾期未按收费通知")
TTL_RE = re.compile(r"第\s*二\s*十\s*条\s*第\s*\(?\s*[一二三四五六七八九十]{1,2}\s*\)?\s*项")
TABLE_TAGS = frozenset({"TTL", "ROW", "COL", "VAL", "BLANK"})


@lru_cache(maxsize=16)
def template_from_text(text: str) -> str | None:
    """The template named by table-2 headers in ``text`` (v2021 / v2019), None when none is printed."""
    sq = squeezed(text, drop_digits=False)
    n21 = sum(sq.count(m) for m in V2021_MARKERS)
    n19 = sum(sq.count(m) for m in V2019_MARKERS)
    if n21 == 0 and n19 == 0:
        return None
    return "v2019" if n19 > n21 else "v2021"


def _table_label_matches(text: str) -> list:
    """Row labels of table 3 and table titles found in ``text`` (for documents without tags)."""
    return [m for m in find_label_matches(text) if m.entry.kind == "ROW" and m.entry.table == "t3"
            and m.entry.anchor]


def has_tables(doc: Document) -> bool:
    """Whether the report prints any table of the template (from tags; from the text when untagged)."""
    text = doc.norm_text
    if any(t.tag in TABLE_TAGS for t in doc.tags):
        # Structure, not vocabulary: prose names 行政许可 or 行政处罚 too (seed 001), so a table needs
        # a tagged title, two table-3 row anchors, or template column headers.
        def tagged(kind: str) -> str:
            return "\n".join(text[t.start:t.end] for t in doc.tags if t.tag == kind)

        return bool(TTL_RE.search(tagged("TTL")) or len(_table_label_matches(tagged("ROW"))) >= 2
                    or template_from_text(tagged("COL")))
    return bool(TTL_RE.search(text) or len(_table_label_matches(text)) >= 2)


def detect_template(doc: Document) -> str:
    """``v2021`` | ``v2019`` | ``none``: the version table 2's headers show (see the module docstring)."""
    if not has_tables(doc):
        return "none"
    text = doc.norm_text
    heads = "\n".join(text[t.start:t.end] for t in doc.tags if t.tag in ("TTL", "COL"))
    found = template_from_text(heads) if heads else None
    found = found or template_from_text(text)
    if found:
        return found
    sq = squeezed(text, drop_digits=False)
    if any(m in sq for m in V2021_T3_MARKERS):
        return "v2021"
    if "其他处理" in sq:
        return "v2019"
    year = doc.meta.year
    return "v2019" if year is not None and year <= 2020 else "v2021"


def is_report(doc: Document) -> bool:
    """False for a document with no standard section heading and no table title or row label."""
    if doc.sections:
        return True
    text = doc.norm_text
    for t in doc.tags:
        if t.tag == "TTL" and TTL_RE.search(text[t.start:t.end]):
            return True
        if t.tag == "ROW" and any(m.entry.kind == "ROW" for m in find_label_matches(text[t.start:t.end])):
            return True
    if TTL_RE.search(text) or _table_label_matches(text):
        return True
    return bool(find_headings(text))
