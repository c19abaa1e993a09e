"""Standard sections: heading variants, subsections, glued crawl text, tags from a model, seeds."""

from __future__ import annotations

import doctest

from nianbao.document import Document, TagSpan
from nianbao.normalise import normalise_text
from nianbao.rules import sections
from nianbao.rules.reader import RuleReader
from nianbao.rules.sections import detect_sections, find_headings


def heads(text: str) -> list[tuple[str, str]]:
    """(section id, SEC text) of the headings found in ``text``."""
    return [(h.sid, text[h.start:h.end]) for h in find_headings(text)]


def doc_of(text: str, tags: list[TagSpan] | None = None) -> Document:
    """A document whose original text is already normalised (identity offsets)."""
    d = Document(text=text, norm_text=text)
    d.tags = tags or []
    return d


def test_doctests() -> None:
    assert doctest.testmod(sections).failed == 0


def test_markdown_levels_and_subsections_named_like_sections() -> None:
    text = ("# 某镇 2023 年政府信息公开工作年度报告\n\n## 一、总体情况\n\n"
            "### 一、加强组织领导,政务公开工作机制逐步健全完善。\n\n正文。\n\n"
            "### 二、规范建设,提高公开质量。\n\n## 二、主动公开政府信息情况\n\n(二)主动公开政府信息情况\n\n"
            "### 三、收到和处理政府信息公开申请情况\n\n#### 四、政府信息公开行政复议、行政诉讼情况\n\n"
            "#### 五、存在的主要问题及改进情况\n\n##### 一工作中存在的问题\n\n#### 六、其他需要报告的事项\n\n无。")
    assert heads(text) == [("s1", "一、总体情况"), ("s2", "二、主动公开政府信息情况"),
                           ("s3", "三、收到和处理政府信息公开申请情况"), ("s4", "四、政府信息公开行政复议、行政诉讼情况"),
                           ("s5", "五、存在的主要问题及改进情况"), ("s6", "六、其他需要报告的事项")]


def test_wording_variants_lost_numeral_and_remarks() -> None:
    text = ("一、总体情况\n正文。\n二、主动公开政府信息情况\n正文。\n"
            "三、收到和处理政府信息公开申请情况(各单位据实填写)\n正文。\n"
            "四、政府信息公开行政复议(各相关单位)和行政诉讼情况(请法院填报)\n正文。\n"
            "、政府信息公开工作存在的主要问题和改进情况\n正文。\n    六、其它需要报告的事项\n本年度无。\n")
    assert heads(text) == [("s1", "一、总体情况"), ("s2", "二、主动公开政府信息情况"),
                           ("s3", "三、收到和处理政府信息公开申请情况"),
                           ("s4", "四、政府信息公开行政复议(各相关单位)和行政诉讼情况"),
                           ("s5", "、政府信息公开工作存在的主要问题和改进情况"), ("s6", "六、其它需要报告的事项")]


def test_intro_listing_the_titles_is_not_a_heading() -> None:
    text = ("全文包括总体情况、主动公开政府信息情况、收到和处理政府信息公开申请情况、行政复议和行政诉讼情况、"
            "存在的主要问题及改进情况以及其他需要报告的事项。\n一、总体情况\n正文。\n(一)主动公开情况\n正文。\n")
    assert heads(text) == [("s1", "一、总体情况")]


def test_traditional_script_after_normalisation() -> None:
    norm, _ = normalise_text("一、總體情況\n正文。\n二、主動公開(kāi)政府信息情況\n正文。\n五、存在的主要問(wèn)題及改進情況\n")
    assert [sid for sid, _ in heads(norm)] == ["s1", "s2", "s5"]


def test_glued_crawl_headings() -> None:
    text = ("首页 > 年报 本报告依照条例编写。 一、总体情况 2022年,本机关公开信息。二、主动公开政府信息情况第二十条第(一)项"
            "信息内容规章0 0 0三、收到和处理政府信息公开申请情况本年度无申请。四、政府信息公开行政复议和行政诉讼情况无。"
            "政府集中采购00.00、存在的主要问题及改进情况一是不足。六、其他需要报告的事项暂无。 某县人民政府 2023-01-05")
    assert [sid for sid, _ in heads(text)] == ["s1", "s2", "s3", "s4", "s5", "s6"]
    assert heads(text)[4][1] == "、存在的主要问题及改进情况"


def test_sections_span_to_next_heading_and_stop_before_signature() -> None:
    text = "某乡2021年政府信息公开工作年度报告\n一、总体情况\n正文一。\n二、主动公开政府信息情况\n正文二。\n\n   某乡人民政府\n   2022年1月5日\n"
    d = detect_sections(doc_of(text))
    assert [(s.id, s.title) for s in d.sections] == [("s1", "一、总体情况"), ("s2", "二、主动公开政府信息情况")]
    assert d.sections[0].end == d.sections[1].start
    assert text[d.sections[1].start:d.sections[1].end] == "二、主动公开政府信息情况\n正文二。\n"


def test_model_tags_win_and_missing_ones_come_from_the_text() -> None:
    text = "一、总体情况\n正文。\n(一)主动公开政府信息情况\n正文。\n二、主动公开政府信息情况\n正文。\n三、收到和处理政府信息公开申请情况\n"
    sub = text.index("(一)")
    s2 = text.index("二、")
    # a model that tagged a subsection as SEC and missed 三: the subsection is rejected, 三 found in the text
    tags = [TagSpan(start=0, end=6, tag="SEC"), TagSpan(start=sub, end=sub + 13, tag="SEC"),
            TagSpan(start=s2, end=s2 + 12, tag="SEC")]
    d = detect_sections(doc_of(text, tags))
    assert [(s.id, s.start) for s in d.sections] == [("s1", 0), ("s2", s2), ("s3", text.index("三、"))]


def test_no_headings_no_sections() -> None:
    assert detect_sections(doc_of("这是一段与年报无关的文字。\n第二段。")).sections == []


SEED_SECTIONS = {"000": ["s1", "s2", "s3", "s4", "s5"], "001": ["s1", "s2", "s3", "s4", "s5", "s6"],
                 "002": ["s1", "s2", "s3", "s4", "s5", "s6"], "003": ["s1", "s2", "s3", "s4", "s5", "s6"],
                 "004": ["s1", "s2", "s3", "s4", "s5", "s6"]}


def test_seed_sections(corpus_root) -> None:
    for f in sorted((corpus_root / "seeds").glob("*.txt")):
        raw = f.read_bytes().decode("utf-8-sig")
        d = Document(text=raw)
        d.norm_text, d.offsets = normalise_text(raw)
        RuleReader().tag([d])
        detect_sections(d)
        assert [s.id for s in d.sections] == SEED_SECTIONS[f.name[:3]], f.name
        for s in d.sections:
            a, _ = d.to_source(s.start, s.end)
            assert raw[a] in "一二三四五六、", (f.name, s.id)  # the record's start is the heading's first char
    # seed 001 lost the numeral of its fifth heading; it is still s5


def test_any_text_gives_ordered_sections_and_meta() -> None:
    from hypothesis import given, settings
    from hypothesis import strategies as st

    from nianbao.rules.meta import extract_meta
    from nianbao.rules.template import detect_template, is_report

    pieces = ["一、总体情况", "、存在的主要问题及改进情况", "六、其它需要报告的事项", "(一)", "\n", " ", "#", "。",
              "某乡人民政府", "2021年12月28日", "2020120", "发布机构:", "发布时间: 2021-01-02", "政府信息公开工作年度报告"]

    @settings(max_examples=300, deadline=None)
    @given(st.lists(st.sampled_from(pieces) | st.text(max_size=4), max_size=40).map("".join))
    def check(text: str) -> None:
        d = doc_of(text)
        RuleReader().tag([d])
        extract_meta(detect_sections(d))
        ids = [s.id for s in d.sections]
        assert ids == sorted(set(ids))
        assert all(0 <= s.start < s.end <= len(text) for s in d.sections)
        assert detect_template(d) in ("v2021", "v2019", "none")
        is_report(d)

    check()
