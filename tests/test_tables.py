"""Table rebuild: tagged text in every flattening style -> canonical fields, flags and spans.

Fixtures are written here in markup: ``[R:label]`` ROW, ``[C:header]`` COL, ``[T:title]`` TTL,
``[S:heading]`` SEC, ``[V:text]`` one VAL span, ``[v:digits]`` one VAL per character (a tagger
that cut a glued run), ``[B:x]`` a BLANK.
"""

from __future__ import annotations

import re

import pytest

from nianbao.document import Document, TagSpan
from nianbao.labels.catalogue import T3_COLS, t3_rows
from nianbao.labels.tags import LABELS, label2id
from nianbao.rules.layout import display_width
from nianbao.rules.tables import build, rebuild_tables

_TAG = {"S": "SEC", "T": "TTL", "R": "ROW", "C": "COL", "V": "VAL", "B": "BLANK", "v": "VAL"}
_PIECE = re.compile(r"\[([STRCVBv]):(.*?)\]", re.S)


def mk(markup: str, template: str = "v2021") -> Document:
    """A normalised, tagged document from markup."""
    parts: list[str] = []
    tags: list[TagSpan] = []
    n = pos = 0
    for m in _PIECE.finditer(markup):
        lit = markup[pos:m.start()]
        parts.append(lit)
        n += len(lit)
        kind, s = m.groups()
        if kind == "v":
            tags += [TagSpan(start=n + i, end=n + i + 1, tag="VAL") for i in range(len(s))]
        else:
            tags.append(TagSpan(start=n, end=n + len(s), tag=_TAG[kind]))
        parts.append(s)
        n += len(s)
        pos = m.end()
    parts.append(markup[pos:])
    text = "".join(parts)
    doc = Document(text=text, norm_text=text, template=template)
    doc.tags = tags
    return doc


def values(doc: Document, prefix: str = "") -> dict[str, object]:
    return {k: v.value for k, v in doc.fields.items() if k.startswith(prefix)}


def flagged(doc: Document) -> set[str]:
    return {f for fl in doc.flags for f in fl.fields}


T3_HEAD = "".join(f"[C:{h}]\n\n" for h in ["自然人", "法人或其他组织", "总计", "商业\n企业", "科研\n机构",
                                          "社会公益组织", "法律服务机构", "其他"])
T4_HEAD = "".join(f"[C:{h}]\n" for h in ["行政复议", "行政诉讼", "结果\n维持", "结果\n纠正", "其他\n结果", "尚未\n审结",
                                       "总计", "未经复议直接起诉", "复议后起诉"] + ["结果维持", "结果纠正", "其他结果",
                                                                         "尚未审结", "总计"] * 2)


def t3_block(rows: dict[str, str], template: str = "v2021", glue: str = "\n\n") -> str:
    """Table 3 in one style: each row label, then its (already marked-up) cells."""
    out = ["[S:三、收到和处理政府信息公开申请情况]\n", T3_HEAD]
    groups_done: set[str] = set()
    for r in t3_rows(template):
        if r.key == "granted":
            out.append("[R:三、本年度办理结果]" + glue)
        if r.group and r.group not in groups_done and r.key != "granted":
            groups_done.add(r.group)
            out.append(f"[R:{r.group}]" + glue)
        if r.key not in rows:
            continue
        out.append(f"[R:{r.zh}]{glue}{rows[r.key]}{glue}")
    return "".join(out)


# ----------------------------------------------------------------- glued runs (seed 004 style)
@pytest.mark.parametrize("cut", ["V", "v"])
def test_glued_lines_zero_runs_split_into_cells(cut: str) -> None:
    t2 = ("[S:二、主动公开政府信息情况]\n\n[T:第二十条第(一)项]\n\n[C:信息内容]\n\n[C:本年制发件数]\n\n[C:本年废止件数]\n\n"
          f"[C:现行有效件]\n\n[R:规章]\n\n[{cut}:000]\n\n[R:行政规范性文件]\n\n[{cut}:202]\n\n")
    rows = {r.key: f"[{cut}:0000000]" for r in t3_rows("v2021")}
    doc = mk(t2 + t3_block(rows) + "[S:四、政府信息公开行政复议、行政诉讼情况]\n" + T4_HEAD + f"[{cut}:{'0' * 15}]\n")
    rebuild_tables(doc)
    assert values(doc, "t2.") == {"t2.regulations.issued": 0, "t2.regulations.repealed": 0,
                                  "t2.regulations.in_force": 0, "t2.normative_docs.issued": 2,
                                  "t2.normative_docs.repealed": 0, "t2.normative_docs.in_force": 2}
    assert len(values(doc, "t3.")) == 175 and set(values(doc, "t3.").values()) == {0}
    assert len(values(doc, "t4.")) == 15 and set(values(doc, "t4.").values()) == {0}
    assert not doc.flags
    span = doc.fields["t2.normative_docs.repealed"].norm_span
    assert doc.norm_text[span[0]:span[1]] == "0" and span[1] - span[0] == 1


# ----------------------------------------------------------------- blank cells (seed 000 style)
def test_blank_rows_stay_null_with_their_placeholder_span() -> None:
    blank = "   \n  [B:|] \n"
    zero = "   [V:0]  | \n"
    rows = {r.key: blank * 7 for r in t3_rows("v2021")}
    rows.update({k: zero * 7 for k in ("new_received", "carried_over", "total", "carried_forward")})
    t2 = ("[T:第二十条第(一)项]  | \n[C:信息内容]  | \n[C:本年制发件数]  | \n[C:本年废止件数]  | \n[C:现行有效件数]  | \n"
          f"[R:规章]  | \n{zero * 3}[R:行政规范性文件]  | \n{blank * 3}")
    doc = mk(t2 + t3_block(rows, glue="  | \n"))
    rebuild_tables(doc)
    assert doc.fields["t2.regulations.in_force"].value == 0
    assert doc.fields["t2.normative_docs.issued"].value is None
    assert doc.norm_text[slice(*doc.fields["t2.normative_docs.in_force"].norm_span)] == "|"
    assert doc.fields["t3.granted.natural_person"].value is None
    assert doc.fields["t3.total.total"].value == 0
    assert sum(v is None for v in values(doc, "t3.").values()) == 21 * 7
    assert not doc.flags


# ----------------------------------------------------------------- v2019, one row per line (seed 003 style)
def test_v2019_pipe_lines_with_the_single_other_row() -> None:
    t2 = ("[T:第二十条第(一)项] | ||||\n[C:信息内容] | [C:本年新 制作数量] | [C:本年新 公开数量] | [C:对外公开总数量] | |\n"
          "[R:规章] | [V:1] | [V:2] | [V:3] | |\n[R:规范性文件] | [V:4] | [V:5] | [V:6] | |\n"
          "[T:第二十条第(五)项] | ||||\n[C:信息内容] | [C:上一年项目数量] | [C:本年增/减] | [C:处理决定数量] | |\n"
          "[R:行政许可] | [V:12] | [V:-1] | [V:30] | |\n[R:其他对外管理服务事项] | [V:0] | [V:/] | [V:—] | |\n"
          "[T:第二十条第(八)项] | ||||\n[C:信息内容] | [C:上一年项目数量] | [C:本年增/减] | ||\n"
          "[R:行政事业性收费] | [V:3] | [V:0] | ||\n"
          "[T:第二十条第(九)项] | ||||\n[C:信息内容] | [C:采购项目数量] | [C:采购总金额] | ||\n"
          "[R:政府集中采购] | [V:2] | [V:251,000元] | ||\n")
    seven = " | ".join("[V:0]" for _ in range(7))
    rows = {r.key: seven for r in t3_rows("v2019")}
    doc = mk("[S:二、主动公开政府信息情况]\n" + t2 + t3_block(rows, "v2019", glue=" | "), template="v2019")
    rebuild_tables(doc)
    v = values(doc, "t2.")
    assert v["t2.regulations.new_made"] == 1 and v["t2.normative_docs.total_published"] == 6
    assert v["t2.licensing.change"] == -1 and v["t2.licensing.decisions"] == 30
    assert v["t2.other_services.change"] is None and doc.fields["t2.other_services.change"].raw == "/"
    assert doc.fields["t2.other_services.decisions"].raw == "—"
    assert v["t2.fees.prev_count"] == 3 and v["t2.fees.change"] == 0
    assert v["t2.procurement.amount"] == 251000 and doc.fields["t2.procurement.amount"].unit == "元"
    assert "t3.other.total" in doc.fields and "t3.other.other.total" not in doc.fields
    assert len(values(doc, "t3.")) == 161


def test_v2021_report_printing_the_v2019_other_row() -> None:
    seven = "\t".join("[V:0]" for _ in range(7))
    rows = {r.key: seven for r in t3_rows("v2019")}
    doc = mk(t3_block(rows, "v2019", glue="\t"), template="v2021")
    rebuild_tables(doc)
    assert "t3.other.natural_person" in doc.fields
    assert not any(k.startswith("t3.other.other.") for k in doc.fields)


# ----------------------------------------------------------------- alignment by label
def test_a_missing_row_does_not_shift_the_rows_below() -> None:
    rows = {}
    for k, r in enumerate(t3_rows("v2021")):
        vals = [k] * 6
        rows[r.key] = "\t".join(f"[V:{x}]" for x in vals + [6 * k])
    del rows["denied.third_party"]
    doc = mk(t3_block(rows, glue="\t"))
    rebuild_tables(doc)
    assert "t3.denied.third_party.total" not in doc.fields
    assert doc.fields["t3.denied.internal_affairs.natural_person"].value == 8
    assert doc.fields["t3.carried_forward.total"].value == 6 * 24


def test_wrapped_and_fragmented_labels_keep_their_values() -> None:
    doc = mk("[S:三、收到和处理政府信息公开申请情况]\n" + T3_HEAD
             + "[R:(一)予以公开]   [V:1]  [V:0]  [V:0]  [V:0]  [V:0]  [V:0]  [V:1]\n"
             + "[R:(二)部分公开(区分处理的,只计这一情形,不计]   [V:2]  [V:0]  [V:0]  [V:0]  [V:0]  [V:0]  [V:2]\n"
             + "[R:其他情形)]\n"
             + "[R:(三)不予公开]  [R:1.属于国家秘]   [V:3]  [V:0]  [V:0]  [V:0]  [V:0]  [V:0]  [V:3]\n")
    rebuild_tables(doc)
    assert doc.fields["t3.partial.natural_person"].value == 2
    assert doc.fields["t3.denied.state_secret.total"].value == 3
    assert "t3.other.other.total" not in doc.fields


def test_values_displaced_above_their_label() -> None:
    doc = mk("[S:三、收到和处理政府信息公开申请情况]\n" + T3_HEAD
             + "[R:(一)予以公开]   [V:1]  [V:0]  [V:0]  [V:0]  [V:0]  [V:0]  [V:1]\n"
             + "                   [V:2]  [V:0]  [V:0]  [V:0]  [V:0]  [V:0]  [V:2]\n"
             + "[R:(二)部分公开(区分处理的,只计这一情形,不计其他情形)]\n")
    rebuild_tables(doc)
    assert doc.fields["t3.granted.total"].value == 1
    assert doc.fields["t3.partial.total"].value == 2


def test_column_major_values_before_the_labels() -> None:
    cols = [[1, 2], [0, 1], [0, 0], [0, 0], [0, 0], [0, 0], [1, 3]]
    vals = "\n".join(f"[V:{v}]" for col in cols for v in col)
    doc = mk("[S:三、收到和处理政府信息公开申请情况]\n" + T3_HEAD + vals
             + "\n[R:一、本年新收政府信息公开申请数量]\n[R:二、上年结转政府信息公开申请数量]\n")
    rebuild_tables(doc)
    assert doc.fields["t3.new_received.total"].value == 1
    assert doc.fields["t3.carried_over.commercial"].value == 1
    assert doc.fields["t3.carried_over.total"].value == 3


def test_reordered_column_headers_map_to_canonical_columns() -> None:
    doc = mk("[T:第二十条第(一)项]\n[C:信息内容]\t[C:现行有效件数]\t[C:本年制发件数]\t[C:本年废止件数]\n"
             "[R:规章]\t[V:9]\t[V:1]\t[V:0]\n")
    rebuild_tables(doc)
    assert values(doc) == {"t2.regulations.in_force": 9, "t2.regulations.issued": 1, "t2.regulations.repealed": 0}


# ----------------------------------------------------------------- crawl: labels and runs glued
def test_crawl_runs_are_cut_by_the_row_total_and_numbering_is_given_back() -> None:
    doc = mk("[S:三、收到和处理政府信息公开申请情况]" + T3_HEAD.replace("\n", "")
             + "[R:一、本年新收政府信息公开申请数量][V:521000053][R:二、上年结转政府信息公开申请数量][V:64302116]"
             + "[R:(三)不予公开1.属于国家秘密][V:00000002][R:.其他法律行政法规禁止公开][V:0000000]")
    rebuild_tables(doc)
    row = [doc.fields[f"t3.new_received.{c}"].value for c, _ in T3_COLS]
    assert row == [52, 1, 0, 0, 0, 0, 53]
    assert [doc.fields[f"t3.carried_over.{c}"].value for c, _ in T3_COLS] == [6, 4, 3, 0, 2, 1, 16]
    assert doc.fields["t3.denied.law_forbidden.total"].value == 0
    assert doc.fields["t3.denied.state_secret.total"].value == 0
    assert not flagged(doc) & {f"t3.new_received.{c}" for c, _ in T3_COLS}


def test_column_identities_pin_runs_jointly_across_rows() -> None:
    # 一's run fits its row total two ways (20,0,1,3,0,10 | 20,0,13,0,1,0); 一 + 二 = 总计 + 四 settles it.
    a = [20, 0, 1, 3, 0, 10, 34]
    cells = "\t".join(f"[V:{x}]" for x in a)
    zeros = "\t".join("[V:0]" for _ in a)
    rows = {"new_received": "[V:2001301034]", "carried_over": "[V:0000000]", "granted": cells,
            "total": cells, "carried_forward": zeros}
    doc = mk(t3_block(rows, glue="\t"))
    rebuild_tables(doc)
    assert [doc.fields[f"t3.new_received.{c}"].value for c, _ in T3_COLS] == a
    assert not flagged(doc)


def test_a_row_the_sums_cannot_settle_is_flagged_with_alternatives() -> None:
    doc = mk(t3_block({"new_received": "[V:2001301034]"}, glue="\t"))
    rebuild_tables(doc)
    flag = next(f for f in doc.flags if f.code == "split.ambiguous")
    assert "t3.new_received.research" in flag.fields
    assert {"t3.new_received.research": 13} in [{k: v for k, v in alt.items() if k.endswith("research")}
                                                for alt in flag.alternatives]


def test_a_table2_run_without_arithmetic_is_flagged_in_rules_only_mode() -> None:
    doc = mk("[T:第二十条第(五)项][C:信息内容][C:上一年项目数量][C:本年增/减][C:处理决定数量][R:行政许可][V:8801]",
             template="v2019")
    build(doc)
    flag = next(f for f in doc.flags if f.code == "split.ambiguous")
    assert set(flag.fields) >= {"t2.licensing.prev_count", "t2.licensing.change"}
    assert flag.alternatives


@pytest.mark.parametrize("sure", [0.97, 0.995])
def test_a_table2_run_is_split_by_the_models_start_probabilities(sure: float) -> None:
    """No sum pins table 2: the model's start probabilities pick the cut, which is flagged ``split.unpinned``
    unless every decision behind it is at least ``SURE_CUT`` (0.99) sure."""
    import numpy as np

    doc = mk("[T:第二十条第(五)项][C:信息内容][C:上一年项目数量][C:本年增/减][C:处理决定数量][R:行政许可][v:8801]",
             template="v2019")
    probs = np.full((len(doc.norm_text), len(LABELS)), 0.001)
    start = doc.norm_text.index("8801")
    for k, p in enumerate([0.999, sure, 1 - sure, sure]):  # cells 8 | 80 | 1
        probs[start + k, label2id["B-VAL"]] = p
        probs[start + k, label2id["I-VAL"]] = 1 - p
    doc.char_probs = probs
    build(doc)
    assert values(doc) == {"t2.licensing.prev_count": 8, "t2.licensing.change": 80, "t2.licensing.decisions": 1}
    assert [f.code for f in doc.flags] == ([] if sure > 0.99 else ["split.unpinned"])


# ----------------------------------------------------------------- values
def test_marks_units_and_blank_without_trace() -> None:
    doc = mk("[T:第二十条第(八)项]\n[C:信息内容]\n[C:本年收费金额(单位:万元)]\n[R:行政事业性收费]\n[V:547.9659]\n"
             "[R:规章]\n")
    rebuild_tables(doc)
    fee = doc.fields["t2.fees.amount"]
    assert fee.value == 547.9659 and fee.unit == "万元"
    blank = doc.fields["t2.regulations.issued"]
    assert blank.value is None and blank.norm_span[0] == blank.norm_span[1]


def test_no_template_means_no_table_fields() -> None:
    doc = mk("[R:规章] [V:0] [V:0] [V:0]", template="none")
    rebuild_tables(doc)
    assert doc.fields == {}


# ----------------------------------------------------------------- robustness to the tagger
def test_glued_marks_and_digits_are_cut_like_digits() -> None:
    doc = mk("[T:第二十条第(一)项][C:信息内容][C:本年制发件数][C:本年废止件数][C:现行有效件数][R:规章][V:——1]"
             "[R:行政规范性文件][V:/0/]")
    rebuild_tables(doc)
    assert [doc.fields[f"t2.regulations.{c}"].raw for c in ("issued", "repealed")] == ["—", "—"]
    assert doc.fields["t2.regulations.in_force"].value == 1
    assert doc.fields["t2.normative_docs.repealed"].value == 0
    assert doc.fields["t2.normative_docs.in_force"].raw == "/"


def test_values_the_tagger_missed_are_read_from_a_values_only_stretch() -> None:
    doc = mk("[S:四、政府信息公开行政复议、行政诉讼情况]" + T4_HEAD.replace("\n", "")
             + "尚未审总计120361000100101本年度无其他情况。[S:五、存在的主要问题及改进情况]")
    evidence = build(doc).evidence
    assert [doc.fields[f"t4.review.{c}"].value for c in ("upheld", "corrected", "other", "pending", "total")] \
        == [1, 2, 0, 3, 6]
    assert evidence["t4.review.total"].rescued
    prose = mk("[S:四、政府信息公开行政复议、行政诉讼情况]" + T4_HEAD.replace("\n", "") + "全年共发生行政复议2件。")
    rebuild_tables(prose)
    assert all(prose.fields[f].value is None for f in prose.fields)


def test_a_number_tagged_inside_prose_is_not_a_cell() -> None:
    seven = "".join("   [V:0]  | \n" for _ in range(7))
    doc = mk(t3_block({"carried_forward": seven}, glue="  | \n") + "[V:2023],本机关共收到申请22件。\n")
    rebuild_tables(doc)
    assert [doc.fields[f"t3.carried_forward.{c}"].value for c, _ in T3_COLS] == [0] * 7
    assert not doc.flags


def test_pdf_raw_values_printed_before_their_labels() -> None:
    doc = mk("[T:第二十条第(六)项]\n[C:信息内容]\n[C:本年处理决定数量]\n[V:7]\n[R:行政处罚]\n[V:2]\n[R:行政强制]\n"
             "[T:第二十条第(八)项]\n[C:信息内容]\n[C:本年收费金额(单位:万元)]\n[R:行政事业性收费]\n[V:0.0]\n")
    rebuild_tables(doc)
    assert values(doc) == {"t2.punishment.decisions": 7, "t2.enforcement.decisions": 2, "t2.fees.amount": 0}


def test_more_cells_than_columns_are_flagged() -> None:
    doc = mk("[T:第二十条第(五)项]\n[C:信息内容]\t[C:本年处理决定数量]\n[R:行政许可]\t[V:3]\t[V:/]\n")
    rebuild_tables(doc)
    assert doc.fields["t2.licensing.decisions"].value == 3
    assert [(f.code, f.fields) for f in doc.flags] == [("table.extra_values", ["t2.licensing.decisions"])]


def test_the_v2021_other_group_label_printed_after_its_rows() -> None:
    seven = "  ".join("[V:0]" for _ in range(7))
    doc = mk("[S:三、收到和处理政府信息公开申请情况]\n" + T3_HEAD
             + f"   [R:1.申请人无正当理由逾期不补正、行政机关不再处理其政府信息公开申请]  {seven}\n"
             + f"   [R:2.申请人逾期未按收费通知要求缴纳费用、行政机关不再处理其政府信息公开申请]  {seven}\n"
             + f"   [R:3.其他]  {seven}\n[R:(六)其他处理]\n   [R:(七)总计]  {seven}\n")
    rebuild_tables(doc)
    assert "t3.other.other.total" in doc.fields and "t3.other.total" not in doc.fields
    assert doc.fields["t3.total.total"].value == 0


def test_pdf_layout_blank_cells_are_placed_by_column_position() -> None:
    def line(label: str, cells: list[str]) -> str:  # a label column 40 wide, cells right-aligned in 8
        pad = " " * (40 - display_width(label))
        return f"[R:{label}]{pad}" + "".join(" " * (8 - len(c)) + (f"[V:{c}]" if c else "") for c in cells) + "\n"

    doc = mk("[S:三、收到和处理政府信息公开申请情况]\n" + T3_HEAD
             + line("一、本年新收政府信息公开申请数量", ["5", "1", "0", "0", "0", "0", "6"])
             + line("二、上年结转政府信息公开申请数量", ["", "2", "", "", "", "", "2"])
             + line("(一)予以公开", ["3", "", "", "", "", "1", "4"]))
    rebuild_tables(doc)
    assert [doc.fields[f"t3.carried_over.{c}"].value for c, _ in T3_COLS] == [None, 2, None, None, None, None, 2]
    assert [doc.fields[f"t3.granted.{c}"].value for c, _ in T3_COLS] == [3, None, None, None, None, 1, 4]
    assert not [f for f in doc.flags if f.code.startswith("split.")]


def test_a_header_tagged_as_a_row_label_does_not_take_the_real_row() -> None:
    seven = "\t".join("[V:1]" for _ in range(6)) + "\t[V:6]"
    doc = mk("[S:三、收到和处理政府信息公开申请情况]\n[C:自然人]\t[R:总计]\n"
             f"[R:一、本年新收政府信息公开申请数量]\t{seven}\n[R:(七)总计]\t{seven}\n[R:3.其他]\t{seven}\n")
    rebuild_tables(doc)
    assert doc.fields["t3.total.total"].value == 6 and doc.fields["t3.other.other.total"].value == 6


def test_a_blank_the_tagger_missed_is_placed_where_the_separators_show_it() -> None:
    cells = "  | \n".join(f"   [V:{v}]" if v is not None else "   " for v in [0, None, 0, 0, 0, 0, 0]) + "  | \n"
    doc = mk(t3_block({"granted": cells}, glue="  | \n"))
    rebuild_tables(doc)
    assert [doc.fields[f"t3.granted.{c}"].value for c, _ in T3_COLS] == [0, None, 0, 0, 0, 0, 0]
    assert not [f for f in doc.flags if f.code.startswith("split.")]
