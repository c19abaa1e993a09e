"""Template detection needs table structure, not table vocabulary in prose."""

from __future__ import annotations

from nianbao.document import Document, TagSpan
from nianbao.rules.template import detect_template


def _tagged(text: str, marks: list[tuple[str, str]]) -> Document:
    doc = Document(text=text, norm_text=text)
    pos = 0
    for piece, tag in marks:
        start = text.index(piece, pos)
        doc.tags.append(TagSpan(start=start, end=start + len(piece), tag=tag))
        pos = start + len(piece)
    return doc


def test_row_names_in_prose_tagged_by_a_model_are_not_a_table() -> None:
    text = "二、主动公开政府信息情况\n全年公开权责清单共计31项,其中:行政许可5项、行政处罚6项、行政强制2项。\n"
    doc = _tagged(text, [("行政许可", "ROW"), ("5", "VAL"), ("行政处罚", "ROW"), ("6", "VAL"),
                         ("行政强制", "ROW"), ("2", "VAL")])
    assert detect_template(doc) == "none"


def test_a_tagged_title_with_headers_is_a_table() -> None:
    text = "第二十条第(一)项\n信息内容\t本年新制作数量\t本年新公开数量\t对外公开总数量\n规章\t0\t0\t0\n"
    doc = _tagged(text, [("第二十条第(一)项", "TTL"), ("信息内容", "COL"), ("本年新制作数量", "COL"),
                         ("本年新公开数量", "COL"), ("对外公开总数量", "COL"), ("规章", "ROW")])
    assert detect_template(doc) == "v2019"
