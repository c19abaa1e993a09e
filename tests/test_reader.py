"""The rules-only reader: tags per input style (hand-written snippets), seeds, synthetic gold, speed."""

from __future__ import annotations

import doctest
from collections import Counter

import pytest

from nianbao.document import Document
from nianbao.normalise import normalise_text
from nianbao.rules import lexicon, reader, value_areas
from nianbao.rules.reader import RuleReader, read_tags


def tagged(text: str, kinds: tuple[str, ...] = ("SEC", "TTL", "ROW", "COL", "VAL", "BLANK")) -> list[tuple[str, str]]:
    """(tag, tagged text) in order, for the given tag kinds."""
    return [(t.tag, text[t.start:t.end]) for t in read_tags(text) if t.tag in kinds]


def test_doctests() -> None:
    for mod in (reader, lexicon, value_areas):
        assert doctest.testmod(mod).failed == 0


def test_pipe_cells_blank_is_the_closing_bar() -> None:
    text = ("二、主动公开政府信息情况\n \n   第二十条第(一)项  | \n  \n   信息内容  | \n   本年制发件数  | \n"
            "   本年废止件数  | \n   现行有效件数  | \n  \n   规章  | \n     5  | \n     0  | \n   12  | \n  \n"
            "   行政规范性文件  | \n   \n  | \n   2  | \n   \n  | \n  \n三、收到和处理政府信息公开申请情况\n")
    assert tagged(text) == [
        ("SEC", "二、主动公开政府信息情况"), ("TTL", "第二十条第(一)项"), ("COL", "信息内容"), ("COL", "本年制发件数"),
        ("COL", "本年废止件数"), ("COL", "现行有效件数"), ("ROW", "规章"), ("VAL", "5"), ("VAL", "0"), ("VAL", "12"),
        ("ROW", "行政规范性文件"), ("BLANK", "|"), ("VAL", "2"), ("BLANK", "|"),
        ("SEC", "三、收到和处理政府信息公开申请情况")]


def test_glued_lines_run_is_one_value_and_damaged_header_still_found() -> None:
    text = ("第二十条第(一)项\n\n信息内容\n\n本年制发件数\n\n本年废止件数\n\n现行有效件\n\n规章\n\n130\n\n"
            "行政规范性文件\n\n4-13\n\n三、收到和处理政府信息公开申请情况\n\n一、本年新收政府信息公开申请数量\n\n"
            "0无4006\n\n二、上年结转政府信息公开申请数量\n\n0000000\n\n")
    tags = tagged(text, ("COL", "VAL"))
    assert ("COL", "现行有效件") in tags
    assert [v for k, v in tags if k == "VAL"] == ["130", "4-13", "0无4006", "0000000"]


def test_tsv_blank_tab_and_label_span_cell() -> None:
    text = ("三、收到和处理政府信息公开申请情况\n\n"
            "(本列数据的勾稽关系为:第一项加第二项之和,等于第三项加第四项之和)\t\t申请人情况\t\t\t\t\t\t总计\t\n"
            "一、本年新收政府信息公开申请数量\t\t6\t\t0\t0\t0\t0\t6\t\n"
            "三、本年度办理结果\t(一)予以公开\t\t\t\t\t\t\t\t\n"
            "\t(二)部分公开(区分处理的,只计这一情形,不计其他情形)\t1\t0\t0\t0\t0\t0\t\t\n")
    tags = read_tags(text)
    blanks = [t.start for t in tags if t.tag == "BLANK"]
    row1 = text.index("一、本年新收")
    line1 = text[row1:text.index("\n", row1)]
    # the empty cell after the spanning label is not a blank; the one between 6 and 0 is
    assert text.index("6\t\t", row1) + 2 in blanks
    assert sum(1 for b in blanks if row1 <= b < row1 + len(line1)) == 1
    granted = text.index("(一)予以公开")
    assert sum(1 for b in blanks if granted < b < text.index("(二)")) == 7
    partial = text.index("不计其他情形)")
    assert sum(1 for b in blanks if b > partial) == 1  # the 7th cell, not the padding tab


def test_pipe_lines_padding_is_not_blank() -> None:
    text = ("第二十条第(八)项 | ||||\n信息内容 | 上一年项目数量 | 本年增/减 | ||\n行政事业性收费 |  | -1 | ||\n"
            "第二十条第(九)项 | ||||\n信息内容 | 采购项目数量 | 采购总金额 | ||\n政府集中采购 | 3 | 12.5万元 | ||\n")
    tags = tagged(text, ("ROW", "VAL", "BLANK"))
    assert tags == [("ROW", "行政事业性收费"), ("BLANK", "|"), ("VAL", "-1"), ("ROW", "政府集中采购"), ("VAL", "3"),
                    ("VAL", "12.5万元")]


def test_markdown_row_opening_bar_and_rule_row() -> None:
    text = ("## 四、政府信息公开行政复议、行政诉讼情况\n\n"
            "| 行政复议 |  |  |  |  | 行政诉讼 | | | | | | | | | |\n| --- | --- | --- |\n"
            "| 结果维持 | 结果纠正 | 其他结果 | 尚未审结 | 总计 | 结果维持 | 结果纠正 | 其他结果 | 尚未审结 | 总计 "
            "| 结果维持 | 结果纠正 | 其他结果 | 尚未审结 | 总计 |\n"
            "| 1 | 0 |  | 0 | 1 | 0 | 0 | 0 | 0 | 0 | 2 | 0 | 0 | 1 | 3 |\n\n## 五、存在的主要问题及改进情况\n")
    tags = tagged(text, ("COL", "VAL", "BLANK"))
    assert [k for k, _ in tags].count("COL") == 17
    cells = [k for k, _ in tags if k in ("VAL", "BLANK")]
    assert cells == ["VAL", "VAL", "BLANK"] + ["VAL"] * 12


def test_pdf_layout_wrapped_label_and_stacked_headers() -> None:
    text = ("三、收到和处理政府信息公开申请情况\n"
            "                                   申请人情况\n"
            "                            自然人   商业   科研   社会公益   法律服务   其他   总计\n"
            "                                     企业   机构   组织       机构\n"
            "一、本年新收政府信息公开申请数量      52      1      0      0      0      0     53\n"
            "          (二)部分公开(区分处理的,只计这一    2      0      0      0      0      0      2\n"
            "          情形,不计其他情形)\n"
            "                                   -3-\n\f"
            "四、结转下年度继续办理                 1      0      0      0      0      0      1\n")
    tags = tagged(text, ("ROW", "COL"))
    assert ("COL", "商业") in tags and ("COL", "企业") in tags and ("COL", "组织") in tags
    assert ("ROW", "(二)部分公开(区分处理的,只计这一") in tags and ("ROW", "情形,不计其他情形)") in tags
    vals = [v for k, v in tagged(text, ("VAL",))]
    assert vals == ["52", "1", "0", "0", "0", "0", "53", "2", "0", "0", "0", "0", "0", "2",
                    "1", "0", "0", "0", "0", "0", "1"]


def test_pdf_raw_columns_before_labels() -> None:
    text = ("二、主动公开政府信息情况\n第二十条第(一)项\n信息内容\n规章\n行政规范性文件\n本年制发件数\n0\n3\n"
            "本年废止件数\n0\n1\n现行有效件数\n5\n20\n三、收到和处理政府信息公开申请情况\n本年度未收到申请。\n")
    assert [v for k, v in tagged(text, ("VAL",))] == ["0", "3", "0", "1", "5", "20"]
    assert [v for k, v in tagged(text, ("ROW",))] == ["规章", "行政规范性文件"]


def test_crawl_runs_between_labels() -> None:
    text = ("三、收到和处理政府信息公开申请情况(本列数据的勾稽关系为:第一项加第二项之和,等于第三项加第四项之和)"
            "申请人情况自然人法人或其他组织总计商业企业科研机构社会公益组织法律服务机构其他"
            "一、本年新收政府信息公开申请数量521000053二、上年结转政府信息公开申请数量3 0 0 0 0 0 3"
            "三、本年度办理结果(一)予以公开400000040(三)不予公开1.属于国家秘00000002.其他法律行政法规禁止公开"
            "〇〇〇0〇〇〇(七)总计4000004四、结转下年度继续办理10000012022年,本机关未收到行政复议申请。")
    tags = tagged(text, ("ROW", "VAL"))
    assert ("ROW", "1.属于国家秘") in tags  # a dropped character: found through its deletion variants
    assert ("ROW", "2.其他法律行政法规禁止公开") in tags and ("ROW", "(七)总计") in tags
    vals = [v for k, v in tags if k == "VAL"]
    assert vals == ["521000053", "3", "0", "0", "0", "0", "0", "3", "400000040", "0000000", "〇〇〇0〇〇〇",
                    "4000004", "1000001"]


def test_prose_mentions_are_not_tagged() -> None:
    text = ("一、总体情况\n全年主动公开政府信息83条,其中行政许可类信息3条、行政处罚类信息7条。\n行政许可\n"
            "本年新收政府信息公开申请数量为0件。全文包括总体情况、主动公开政府信息情况、收到和处理政府信息公开申请情况。\n")
    assert tagged(text) == [("SEC", "一、总体情况")]


def test_rule_reader_skips_failed_documents() -> None:
    ok = Document(norm_text="一、总体情况\n正文。")
    bad = Document(norm_text="一、总体情况")
    bad.fail("E_DECODE", "decode", "x")
    RuleReader().tag([ok, bad])
    assert [t.tag for t in ok.tags] == ["SEC"] and bad.tags == [] and ok.char_probs is None


SEED_COUNTS = {
    "000": {"BLANK": 150, "VAL": 50, "COL": 39, "ROW": 36, "SEC": 5, "TTL": 4},
    "001": {"SEC": 6},
    "002": {"VAL": 200, "COL": 39, "ROW": 36, "SEC": 6, "TTL": 4},
    "003": {"VAL": 198, "COL": 47, "ROW": 35, "SEC": 6, "TTL": 5},
    "004": {"COL": 39, "ROW": 36, "VAL": 32, "SEC": 6, "TTL": 4},
}


def _seed_texts(corpus_root) -> dict[str, str]:
    return {f.name[:3]: normalise_text(f.read_bytes().decode("utf-8-sig"))[0]
            for f in sorted((corpus_root / "seeds").glob("*.txt"))}


def test_seeds_tag_counts_and_values(corpus_root) -> None:
    for name, text in _seed_texts(corpus_root).items():
        tags = read_tags(text)
        assert dict(Counter(t.tag for t in tags)) == SEED_COUNTS[name], name
        for t in tags:
            piece = text[t.start:t.end]
            if t.tag == "VAL":
                assert reader.is_value(piece), (name, piece)
            if t.tag == "BLANK":
                assert piece in ("|", "\t"), (name, piece)
    runs = [text[t.start:t.end] for t in read_tags(_seed_texts(corpus_root)["004"]) if t.tag == "VAL"]
    assert runs[:2] == ["000", "202"] and runs[-1] == "000000000000000"


def test_synthetic_styles_against_gold() -> None:
    synth = pytest.importorskip("nianbao.training.synth_corpus")
    import sys
    from pathlib import Path

    sys.path.insert(0, str(Path(__file__).parent))
    from reader_spans import doc_spans

    from nianbao.labels.gold import STYLES

    for style in STYLES:
        tp: Counter[str] = Counter()
        total: Counter[str] = Counter()
        for i in range(3):
            gold, pred = doc_spans(synth.generate_one(5, i, style))
            for tag in ("SEC", "TTL", "ROW", "COL", "VAL~", "BLANK"):
                g, p = gold.get(tag, set()), pred.get(tag, set())
                tp[tag] += len(g & p)
                total[tag] += max(len(g), len(p))
        for tag in total:
            assert tp[tag] >= 0.95 * total[tag], (style, tag, tp[tag], total[tag])


ALPHABET = list("0123456789 |\t\n。,、()一二三四五六七八九十") + [
    "规章", "行政许可", "总计", "其他", "结果维持", "第二十条第(一)项", "一、本年新收政府信息公开申请数量",
    "1.属于国家秘密", "(七)总计", "二、主动公开政府信息情况", "2021年", "某乡人民政府", "无", "/", "—", "万元"]


def test_any_text_gives_well_formed_tags() -> None:
    from hypothesis import given, settings
    from hypothesis import strategies as st

    @settings(max_examples=300, deadline=None)
    @given(st.lists(st.sampled_from(ALPHABET) | st.text(max_size=3), max_size=60).map("".join))
    def check(text: str) -> None:
        tags = read_tags(text)
        last = 0
        for t in tags:
            assert last <= t.start < t.end <= len(text), (t, text)
            assert t.tag != "BLANK" or t.end - t.start == 1
            last = t.end

    check()


def test_a_label_running_into_a_heading_is_dropped() -> None:
    """Found by the property test above: a column header read across a heading overlapped its SEC tag."""
    text = "结果维持(二、主动公开政府信息情况"
    tags = read_tags(text)
    assert [(t.tag, text[t.start:t.end]) for t in tags] == [("SEC", "二、主动公开政府信息情况")]


def test_table_title_cited_in_prose_is_not_a_table() -> None:
    text = "一、总体情况\n依据条例第二十条第(一)项 规定,本机关公开规章 3 件。\n二、主动公开政府信息情况\n正文。"
    assert [k for k, _ in tagged(text)] == ["SEC", "SEC"]
