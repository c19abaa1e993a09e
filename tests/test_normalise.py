"""The normaliser: decoding, HTML, Unicode cleanup, script, pinyin glosses, boilerplate.

Fixture lines are written for these tests in the style of the real reports
(traditional script with pinyin glosses; a web page header), not copied.
"""

from __future__ import annotations

import codecs
import doctest
import importlib
import re
from functools import cache
from pathlib import Path

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from nianbao.document import Document
from nianbao.inputs import InputItem
from nianbao.normalise import decode_bytes, decode_item, normalise_document, normalise_text, script
from nianbao.normalise.boilerplate import find_boilerplate
from nianbao.normalise.html import html_to_text
from nianbao.normalise.script import strip_pinyin, to_simplified
from nianbao.normalise.unicode import clean_unicode
from nianbao.pipeline import StageError

# Traditional script with pinyin glosses after some characters (the style of a machine-annotated site).
TRAD = (
    ("二、主動(dòng)公開(kāi)政府信息情況", "二、主动公开政府信息情况"),
    ("青石鋪鎮(zhèn)堅(jiān)持以公開(kāi)為常態(tài)、不公開(kāi)為例外,全年發(fā)布通知公告15條。",
     "青石铺镇坚持以公开为常态、不公开为例外,全年发布通知公告15条。"),
    ("（二）依申請(qǐng)公開(kāi)", "(二)依申请公开"),
    ("第二十條第(一)項(xiàng) | 信息內(nèi)容 | 本年新制作數(shù)量 | 本年新公開(kāi)數(shù)量 | 對(duì)外公開(kāi)總數(shù)量 |",
     "第二十条第(一)项 | 信息内容 | 本年新制作数量 | 本年新公开数量 | 对外公开总数量 |"),
    ("收費(fèi)金額(單位:萬(wàn)元)", "收费金额(单位:万元)"),
    ("(本列數(shù)據(jù)的勾稽關(guān)係為:第一項(xiàng)加第二項(xiàng)之和,等於第三項(xiàng)加第四項(xiàng)之和)",
     "(本列数据的勾稽关系为:第一项加第二项之和,等于第三项加第四项之和)"),
    ("行政處(chǔ)罰 | 12 | -1 | 9 |", "行政处罚 | 12 | -1 | 9 |"),
)

# A crawled page header: every line but the title, the date, the office and the heading is site furniture.
WEB_HEADER = """首页
青石铺镇人民政府2022年政府信息公开工作年度报告
2023-01-16 10:25:48
来源:
镇党政办
阅读数:
37次
字号:
收藏
打印
分享:
分享到朋友圈
打开微信,点击底部的“发现”,使用“扫一扫”即可将网页分享到朋友圈。
温馨提示:
请先登录个人中心后再进行操作

一、总体情况
2022年,我镇全年主动公开信息36条。
"""
WEB_FURNITURE = ["首页", "来源:", "阅读数:\n37次", "字号:", "收藏", "打印", "分享:", "分享到朋友圈",
                 "打开微信,点击底部的“发现”,使用“扫一扫”即可将网页分享到朋友圈。", "温馨提示:", "请先登录个人中心后再进行操作"]


@pytest.mark.parametrize("module", ["nianbao.normalise", "nianbao.normalise.decode", "nianbao.normalise.html",
                                    "nianbao.normalise.unicode", "nianbao.normalise.script",
                                    "nianbao.normalise.boilerplate", "nianbao.offsets", "nianbao.inputs"])
def test_docstring_examples(module: str) -> None:
    result = doctest.testmod(importlib.import_module(module))
    assert result.attempted > 0 and result.failed == 0


# ------------------------------------------------------------------ decoding
def _decode(data: bytes, max_bytes: int = 10_000, kind: str = "text") -> Document:
    return decode_item(InputItem(source="t", data=data, kind=kind), Document(source="t"), max_bytes)


LINE = "三、收到和处理政府信息公开申请情况\n本年新收申请12件,办结12件。"


@pytest.mark.parametrize("data", [
    LINE.encode("utf-8"),
    codecs.BOM_UTF8 + LINE.encode("utf-8"),
    codecs.BOM_UTF16_LE + LINE.encode("utf-16-le"),
    codecs.BOM_UTF16_BE + LINE.encode("utf-16-be"),
    LINE.encode("utf-16"),
    LINE.encode("gb18030"),
    LINE.encode("gbk"),
    LINE.encode("gb2312"),
    LINE.encode("utf-16-le"),  # no BOM: NULs on one side only
])
def test_decodes_every_supported_encoding(data: bytes) -> None:
    assert _decode(data).text == LINE


@pytest.mark.parametrize("text", ["政府信息", "报告", "二、主动公开政府信息情况", "申请12件"])
def test_short_gbk_is_not_mistaken_for_big5(text: str) -> None:
    assert decode_bytes(text.encode("gbk")) == text


def test_big5_decodes_to_traditional() -> None:
    text = "二、主動公開政府信息情況\n本年新收申請12件。"
    assert decode_bytes(text.encode("big5")) == text


def test_bom_is_stripped_and_offsets_count_from_the_text() -> None:
    doc = normalise_document(_decode(codecs.BOM_UTF8 + "一、总体情况".encode()))
    assert doc.text == "一、总体情况" and doc.norm_text == "一、总体情况"


@pytest.mark.parametrize("data, code", [
    (b"", "E_EMPTY"),
    (b"  \n\t\r\n ", "E_EMPTY"),
    (codecs.BOM_UTF8, "E_EMPTY"),
    ("\u3000\u00a0\n\u200b".encode(), "E_EMPTY"),
    (b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj", "E_BINARY"),
    (b"PK\x03\x04\x14\x00\x06\x00", "E_BINARY"),
    (b"ab\x00cd\x00\x00ef\x01\x02\x00gh", "E_BINARY"),
    (bytes(range(1, 32)) * 4, "E_BINARY"),
    (b"report \xff\xfe\xfa text \xff", "E_DECODE"),
    (codecs.BOM_UTF8 + b"\xff\xff", "E_DECODE"),
    (b"x" * 10_001, "E_TOO_LARGE"),
])
def test_bad_bytes_raise_coded_errors(data: bytes, code: str) -> None:
    with pytest.raises(StageError) as info:
        _decode(data)
    assert info.value.code == code and info.value.stage == "decode" and info.value.message


def test_jsonl_text_gets_the_same_checks() -> None:
    doc = decode_item(InputItem(source="a.jsonl#1", data=LINE.encode(), text=LINE), Document(), 10_000)
    assert doc.text == LINE
    with pytest.raises(StageError, match="E_EMPTY"):
        decode_item(InputItem(source="a.jsonl#2", data=b" ", text=" "), Document(), 10_000)
    with pytest.raises(StageError, match="E_TOO_LARGE"):
        decode_item(InputItem(source="a.jsonl#3", data=LINE.encode(), text=LINE), Document(), 10)


def test_html_kind_keeps_the_page_source_as_text() -> None:
    page = "<p>一、总体情况</p>".encode()
    doc = normalise_document(_decode(page, kind="html"))
    assert doc.kind == "html" and doc.text == "<p>一、总体情况</p>" and doc.norm_text == "一、总体情况"
    assert doc.to_source(0, 6) == (3, 9)


@pytest.mark.parametrize("page", [
    "<!DOCTYPE html>\n<html><body><p>一、总体情况</p></body></html>",
    "  <html lang='zh'><p>一、总体情况</p></html>",
    "<div class='article'>\n" + "".join(f"<p>第{i}段</p>\n" for i in range(12)) + "</div>",
])
def test_a_page_source_given_as_text_is_read_as_html(page: str) -> None:
    """Crawled corpora often store the page source in .txt files or a JSONL ``text`` field."""
    doc = normalise_document(_decode(page.encode(), kind="text"))
    assert doc.kind == "html" and "<" not in doc.norm_text and doc.text == page


@pytest.mark.parametrize("text", ["一、总体情况\n收到申请<5件。", "<p>一、总体情况</p> 只有一个标签的正文"])
def test_plain_text_with_a_stray_bracket_stays_text(text: str) -> None:
    doc = normalise_document(_decode(text.encode(), kind="text"))
    assert doc.kind == "text" and doc.norm_text == text


# ------------------------------------------------------------------ unicode
def test_spaces_and_full_width_forms() -> None:
    text = "（一）\u00a0本年新收\u2003１２件\u3000合计：３，５０１．５万元；比例５０％／－１"
    assert clean_unicode(text)[0] == "(一) 本年新收 12件 合计:3,501.5万元;比例50%/-1"


def test_radical_lookalikes_become_ideographs() -> None:
    assert clean_unicode("⼀、总体情况 ⻓期 ⼈民")[0] == "一、总体情况 长期 人民"


def test_layout_whitespace_is_kept_exactly() -> None:
    text = "行政许可\t3\t\t5\n\n  行政处罚 |  | 0 |\n"
    norm, m = clean_unicode(text)
    assert norm == text and m is None


def test_marks_and_list_numbers_are_not_touched() -> None:
    text = "①—〇、。“三安全一稳定”《条例》〔2023〕【】"
    assert clean_unicode(text)[0] == text


def test_length_changes_keep_the_map() -> None:
    text = "a\r\nb\u200bc㈠d\re"
    norm, m = normalise_text(text)
    assert norm == "a\nbc(一)d\ne"
    assert m.span_to_source(1, 2) == (1, 3)  # "\n" <- "\r\n"
    assert m.span_to_source(4, 7) == (6, 7)  # "(一)" <- "㈠"
    assert m.span_to_source(2, 4) == (3, 6)  # "bc" <- "b\u200bc"


# ------------------------------------------------------------------ script and pinyin
@pytest.mark.parametrize("source, expected", TRAD)
def test_traditional_with_pinyin_becomes_plain_simplified(source: str, expected: str) -> None:
    assert normalise_text(source)[0] == expected


def test_conversion_matches_opencc_and_keeps_length() -> None:
    import opencc

    cc = opencc.OpenCC("t2s")
    text = "\n".join(src for src, _ in TRAD) + "\n一目瞭然的乾隆年間,著作與著力;么麼小事"
    converted, m = to_simplified(text)
    assert converted == cc.convert(text) and len(converted) == len(text) and m is None


@cache
def reference_t2s():  # noqa: ANN201 - opencc.OpenCC, a separate instance from the normaliser's
    import opencc

    return opencc.OpenCC("t2s")


@st.composite
def trad_texts(draw: st.DrawFn) -> str:
    """Random mixes of OpenCC phrase keys, traditional characters, separators and layout."""
    from nianbao.normalise.script import _t2s

    t2s = _t2s()
    phrases = t2s.phrases.pattern.replace("\\", "").split("|")
    pieces = st.one_of(st.sampled_from(phrases), st.sampled_from(sorted(t2s.triggers)),
                       st.sampled_from(list(" ,.、。:;\n\t—-()《》“”")), st.text(max_size=3))
    return "".join(draw(st.lists(pieces, max_size=40)))


@given(trad_texts())
@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_fast_conversion_equals_opencc_on_random_text(text: str) -> None:
    converted, m = to_simplified(text)
    assert converted == reference_t2s().convert(text)
    assert m is None and len(converted) == len(text)


def test_conversion_matches_opencc_on_the_real_reports(corpus_root) -> None:  # noqa: ANN001 - fixture
    import opencc

    t2s, s2t = opencc.OpenCC("t2s"), opencc.OpenCC("s2t")
    for path in sorted(corpus_root.glob("*/*.txt")):
        text = path.read_text(encoding="utf-8")
        for variant in (text, s2t.convert(text)):
            assert to_simplified(variant)[0] == t2s.convert(variant), path.name


@pytest.mark.parametrize("text", [
    "(一)主动公开", "(单位:万元)", "(2021)", "2021年(2021)", "(本列数据的勾稽关系为:第一项加第二项之和)",
    "第二十条第(一)项", "附件(a)", "(Ⅱ)", "(注:含转办件)", "共5(zhèn)", "鎮 (zhèn)", "(zhèn)", "App(kāi)",
])
def test_real_parentheses_are_kept(text: str) -> None:
    assert strip_pinyin(text)[0] == text


@pytest.mark.parametrize("text, expected", [
    ("鎮(zhèn)", "鎮"), ("開(kāi)展", "開展"), ("項(xiàng)目", "項目"), ("申請(QǏNG)", "申請"),
    ("關(guan1)", "關"), ("處(chu3)理", "處理"), ("總(zǒng)計(jì)(一)", "總計(一)"),
    ("開(ka\u0304i)", "開"),  # a combining macron instead of a precomposed ā
])
def test_pinyin_glosses_are_removed(text: str, expected: str) -> None:
    assert strip_pinyin(text)[0] == expected


def test_unmarked_glosses_need_a_quorum_of_marked_ones() -> None:
    assert strip_pinyin("我們(men)的(de)")[0] == "我們(men)的(de)"
    assert strip_pinyin("開(kāi)鎮(zhèn)項(xiàng)我們(men)的(de)")[0] == "開鎮項我們的"


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet="鎮開我項(()) zhengkāiàǒ\u0304q13一a", max_size=40))
@example("((kāi)開(kāi)a(kāi) (zhèn)鎮(men)")
def test_gloss_patterns_match_where_a_look_back_first_would(text: str) -> None:
    """The gloss patterns read the "(" before looking back at the CJK character: the matches of the
    look-back-first form, which ``re`` tries at every character."""
    for pattern in (script._MARKED, script._UNMARKED):
        look_back_first = re.compile(pattern.pattern.replace(script._AFTER_CJK, rf"(?<=[{script._CJK}])\(", 1))
        assert look_back_first.pattern != pattern.pattern
        assert [m.span() for m in pattern.finditer(text)] == [m.span() for m in look_back_first.finditer(text)]


def test_pinyin_removal_maps_back_to_the_annotated_character() -> None:
    source = "乳泉鎮(zhèn)全年受理申請(qǐng)3件"
    norm, m = normalise_text(source)
    assert norm == "乳泉镇全年受理申请3件"
    i = norm.index("镇")
    assert source[slice(*m.span_to_source(i, i + 1))] == "鎮"
    assert m.span_from_source(source.index("鎮"), source.index("全")) == (i, i + 1)
    j = norm.index("3")
    assert source[slice(*m.span_to_source(j, j + 2))] == "3件"


# ------------------------------------------------------------------ HTML
PAGE = """<html><head><title>青石铺镇2022年政府信息公开工作年度报告</title>
<style>td { padding: 2px }</style><script>var s = "<td>0</td>";</script></head>
<body><div class="crumb">首页 &gt; 政务公开 &gt; 年报</div>
<p>一、总体情况</p>
<p>  全年主动公开&nbsp;信息&nbsp;36条,&ldquo;两微一端&rdquo;发布12条。<br>第二行</p>
<table>
 <tr><th>信息内容</th><th>本年制发件数</th><th>本年废止件数</th></tr>
 <tr><td><p>规章</p></td><td>0</td><td></td></tr>
 <tr><td></td><td>3</td><td>&#48;</td></tr>
</table>
<!-- a comment -->
</body></html>"""


def test_html_page_becomes_layout_text() -> None:
    norm, _ = html_to_text(PAGE)
    lines = norm.split("\n")
    assert lines[0] == "青石铺镇2022年政府信息公开工作年度报告"
    assert "var s" not in norm and "padding" not in norm and "comment" not in norm
    assert "首页 > 政务公开 > 年报" in lines
    assert "全年主动公开\u00a0信息\u00a036条,“两微一端”发布12条。" in lines
    assert "信息内容\t本年制发件数\t本年废止件数" in lines
    assert "规章\t0\t" in lines  # the empty last cell keeps its tab
    assert "\t3\t0" in lines  # the empty first cell too


def test_html_offsets_point_into_the_page_source() -> None:
    norm, m = html_to_text(PAGE)
    assert m.is_monotonic() and m.source_len == len(PAGE)
    for i, ch in enumerate(norm):
        a, b = m.span_to_source(i, i + 1)
        raw = PAGE[a:b]
        assert a < b
        if ch in "\t\n":
            assert raw.startswith("<"), (i, ch, raw)  # a separator maps onto the tag that made it
        elif raw != ch:
            assert raw.startswith("&") or raw.isspace(), (i, ch, raw)
    k = norm.index("36条")
    assert PAGE[slice(*m.span_to_source(k, k + 3))] == "36条"


@pytest.mark.parametrize("page, expected", [
    ("<p>a<![C b>c</p>", "ac"),  # html.parser asserts on unknown marked sections: handled as HTML5 does
    ("<p>a</p><iframe src='x'/><p>b</p>", "a\nb"),  # a self-closed iframe hides nothing after it
    ("<p>a</p><script>if (a<b) {}</script><p>b</p>", "a\nb"),
    ("x<br><br>y", "x\n\ny"),
    ("<td>a</td><td>b</td>", "a\tb"),
    ("<pre>a  b\n c</pre>", "a  b\n c"),
    ("a &amp b &lt;c&gt; &#12298;d&#x300b; &unknown;", "a & b <c> 《d》 &unknown;"),
])
def test_html_edge_cases(page: str, expected: str) -> None:
    assert html_to_text(page)[0] == expected


def test_html_document_is_fully_normalised() -> None:
    page = "<table><tr><td>（一）予以公開</td><td>１２</td></tr></table><p>阅读数:</p><p>9次</p>"
    norm, m = normalise_text(page, kind="html")
    assert norm == "(一)予以公开\t12\n阅读数:\n9次"
    i = norm.index("12")
    assert page[slice(*m.span_to_source(i, i + 2))] == "１２"
    assert find_boilerplate(norm) == [(norm.index("阅读数"), len(norm))]


# ------------------------------------------------------------------ boilerplate
def test_web_header_is_marked_not_deleted() -> None:
    doc = normalise_document(Document(text=WEB_HEADER))
    assert doc.norm_text == WEB_HEADER
    marked = [doc.norm_text[a:b] for a, b in doc.boilerplate]
    assert marked == WEB_FURNITURE


def test_glued_share_bar_and_breadcrumb_in_one_line() -> None:
    line = ("当前位置: 首页政务公开政府信息公开年报 某局2021年度政府信息公开工作年度报告 来源: "
            "时间:2022-01-10 09:30 --> 微信 微博 QQ空间 全真版 文字版 相关链接: 根据《条例》要求")
    marked = [line[a:b] for a, b in find_boilerplate(line)]
    assert marked == ["当前位置: 首页政务公开政府信息公开年报", "来源:", "--> 微信 微博 QQ空间 全真版 文字版 相关链接:"]


@pytest.mark.parametrize("text", [
    "一、总体情况", "(一)主动公开", "  |  ", "|", "0000000", "行政许可 | 3 | 0 |", "发布时间: 2023-01-16",
    "通过政府网站、微信公众号发布信息36条", "网站访问量达到3万次", "2023-01-16 10:25:48", "政府办",
])
def test_report_text_is_not_boilerplate(text: str) -> None:
    assert find_boilerplate(text) == []


def _by_definition(text: str) -> list[tuple[int, int]]:
    """Boilerplate as ``PATTERNS`` define it: every pattern's ``finditer`` over the whole text."""
    from nianbao.normalise.boilerplate import PATTERNS, _trim, merge_spans

    spans = [_trim(text, *m.span()) for p in PATTERNS for m in p.finditer(text)]
    return merge_spans([(a, b) for a, b in spans if a < b])


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.sampled_from(["首页", "微信", "微博", "QQ", "分享", "分享到", ":", " ", "\t", "\n", "阅读数",
                                 "浏览量", "3", "次", "当前位置", ">", "来源", "字号", "大 中 小", "扫一扫", "朋友圈",
                                 "温馨提示", "请", "登录", "政府", "信息", "公开", "x", "【打印】", "-->"]),
                max_size=40).map("".join))
@example("政府\n首页 微信 公开")  # a run at a line's start: the boundary is the line break
@example("政府首页 微信 微博 公开")  # no boundary before 首页: the run starts at 微信
def test_boilerplate_search_finds_what_the_patterns_define(text: str) -> None:
    """``find_boilerplate`` skips patterns whose words are absent and checks the token run's left boundary
    itself: the spans stay exactly those of every pattern run everywhere."""
    assert find_boilerplate(text) == _by_definition(text)


def test_boilerplate_search_on_the_real_corpus(corpus_root: Path) -> None:
    """The same on every real page, normalised as the pipeline normalises it."""
    paths = sorted(p for p in corpus_root.rglob("*") if p.is_file() and p.suffix in {".txt", ".html", ".htm"})
    assert paths
    for path in paths:
        norm = normalise_text(path.read_text(encoding="utf-8", errors="replace"))[0]
        assert find_boilerplate(norm) == _by_definition(norm), path.name


# ----------------------------------------------------------------- CharTable (translate in bulk)
def test_char_table_equals_str_translate_on_random_text() -> None:
    """The lookup-array translation gives exactly ``str.translate``'s string, astral characters, lone
    surrogates and characters past the table's last key included."""
    import random

    from nianbao.normalise.chartable import CharTable
    from nianbao.normalise.script import _t2s
    from nianbao.normalise.unicode import _TABLE

    rng = random.Random(7)
    for table in (_TABLE, _t2s().translate.table):
        keys = list(table)
        ct = CharTable(table)
        for _ in range(200):
            n = rng.randrange(0, 60)
            chars = [chr(rng.choice(keys)) if rng.random() < 0.4 else chr(rng.randrange(0, 0x110000))
                     for _ in range(n)]
            text = "".join(chars)
            assert ct(text) == text.translate(table)
    assert CharTable({})("abc") == "abc"


def test_char_table_refuses_longer_replacements() -> None:
    from nianbao.normalise.chartable import CharTable

    with pytest.raises(ValueError, match="one character"):
        CharTable({ord("㈠"): "(一)"})
