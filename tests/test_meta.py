"""Report metadata (org/year/title/date), template detection and the not_a_report rule."""

from __future__ import annotations

import doctest

from nianbao.document import Document
from nianbao.normalise import normalise_text
from nianbao.rules import meta, template
from nianbao.rules.meta import extract_meta
from nianbao.rules.reader import RuleReader
from nianbao.rules.sections import detect_sections
from nianbao.rules.template import detect_template, is_report


def run(text: str) -> Document:
    """Normalise, tag with the reader, then sections and meta (the pipeline's order)."""
    d = Document(text=text)
    d.norm_text, d.offsets = normalise_text(text)
    RuleReader().tag([d])
    return extract_meta(detect_sections(d))


def test_doctests() -> None:
    for mod in (meta, template):
        assert doctest.testmod(mod).failed == 0


def test_title_signature_and_chinese_date() -> None:
    d = run("石桥镇2022年政府信息公开工作年度报告\n一、总体情况\n2022年,我镇公开信息40条。\n"
            "六、其他需要报告的事项\n无。\n\n            石桥镇人民政府\n            二〇二三年一月十二日\n")
    assert d.meta.model_dump() == {"org": "石桥镇人民政府", "year": 2022, "title": "石桥镇2022年政府信息公开工作年度报告",
                                   "date": "2023-01-12"}


def test_a_title_wrapped_over_two_lines_is_joined() -> None:
    """PDF text layers wrap a long title: the agency on a line of its own, or the tail on the next line."""
    body = "\n一、总体情况\n2024 年,本机关公开信息 40 条。\n"
    d = run("淮安市某区人民政府\n2024 年政府信息公开工作年度报告" + body)
    assert (d.meta.title, d.meta.org, d.meta.year) == ("淮安市某区人民政府2024 年政府信息公开工作年度报告", "淮安市某区人民政府", 2024)
    d = run("淮安市某区人民政府2024 年政府信息公开\n工作年度报告" + body)
    assert d.meta.title == "淮安市某区人民政府2024 年政府信息公开工作年度报告"
    d = run("本报告由某区人民政府办公室编制\n2024 年政府信息公开工作年度报告" + body)  # a sentence is no agency line
    assert d.meta.title == "2024 年政府信息公开工作年度报告"


def test_header_block_with_empty_publisher_and_damaged_signature_date() -> None:
    d = run("索 引 号: 0001/2021-01\n文  号: 发文日期:\n发布机构: 是否有效:\n名  称: 东岭乡2020年政府信息公开工作年度报告\n"
            "\n东岭乡2020年政府信息公开工作年度报告\n\n发布时间: 2021-01-20 10:05  来源: 字体:[]\n\n"
            "一、总体情况\n2020,东岭乡认真贯彻条例。\n\n      东岭乡人民政府\n\n      2021011\n")
    assert d.meta.org == "东岭乡人民政府"  # not "是否有效:" from the empty 发布机构 field
    assert d.meta.date == "2021-01-20"  # the page's 发布时间; the signature's 2021011 is not a date
    assert d.meta.title == "东岭乡2020年政府信息公开工作年度报告" and d.meta.year == 2020


def test_damaged_signature_date_alone_gives_no_date() -> None:
    d = run("东岭乡2020年政府信息公开工作年度报告\n一、总体情况\n正文。\n      东岭乡人民政府\n      2021011\n")
    assert d.meta.date is None and d.meta.org == "东岭乡人民政府"


def test_invisible_characters_leave_the_printed_title() -> None:
    """A title keeps its printed script and spacing, but not the zero-width characters crawls carry."""
    d = run("石桥\u200b镇2022年政府信息公开\ufeff工作年度报告\n一、总体情况\n2022年,我镇公开信息40条。\n")
    assert d.meta.title == "石桥镇2022年政府信息公开工作年度报告"


def test_no_title_line_year_from_body() -> None:
    d = run("一、總體情況\n河口鎮(zhèn)著力做好2020年信息公開(kāi)工作。\n(一)主動公開(kāi)\n"
            "2020 年,河口鎮主動公開信息22條。2021年將繼續推進。\n二、主動公開政府信息情況\n")
    assert d.meta.title is None and d.meta.org is None and d.meta.year == 2020


def test_web_header_date_line_and_org_from_title() -> None:
    d = run("首页\n平安县人民政府办公室2023年政府信息公开工作年度报告\n2024-01-10 11:02:31\n来源:\n政府办\n"
            "阅读数:\n22次\n\n一、总体情况\n正文。\n六、其他需要报告的事项\n本年度未产生信息处理费。")
    assert d.meta.model_dump() == {"org": "平安县人民政府办公室", "year": 2023,
                                   "title": "平安县人民政府办公室2023年政府信息公开工作年度报告", "date": "2024-01-10"}


def test_title_forms_and_breadcrumbs() -> None:
    d = run("首页 | 政务公开 | 政府信息公开年度报告\n# 2021年某市教育局政府信息公开工作年度报告\n## 一、总体情况\n正文。")
    assert d.meta.title == "2021年某市教育局政府信息公开工作年度报告" and d.meta.org == "某市教育局"
    d = run("某县人民政府关于2021年政府信息公开工作的年度报告\n一、总体情况\n正文。")
    assert d.meta.org == "某县人民政府" and d.meta.year == 2021


def test_crawl_signature_glued_into_the_last_line() -> None:
    d = run("标题: 湾口乡2020年政府信息公开工作年度报告\n文号: \n发布机构: \n==== 正文 ====\n"
            "一、总体情况 2020年,我乡公开信息。 六、其它需要报告的事项 暂无。  湾口乡人民政府2021年1月7日 相关链接")
    assert d.meta.model_dump() == {"org": "湾口乡人民政府", "year": 2020, "title": "湾口乡2020年政府信息公开工作年度报告",
                                   "date": "2021-01-07"}


def test_signature_across_a_page_break_and_year_from_date() -> None:
    d = run("   一、总体情况\n   本机关持续完善公开制度。\n   六、其它需要报告的事项\n   暂无。\n\n"
            "                       长港镇人民政府\n\n\n                        -4-\n\f"
            "                    2024年1月9日\n\n                        -5-\n\f")
    assert (d.meta.org, d.meta.date, d.meta.year) == ("长港镇人民政府", "2024-01-09", 2023)


T2_V2019 = ("二、主动公开政府信息情况\n第二十条第(一)项 | ||||\n信息内容 | 本年新 制作数量 | 本年新 公开数量 | 对外公开总数量 | |\n"
            "规章 | 0 | 0 | 0 | |\n第二十条第(九)项 | ||||\n信息内容 | 采购项目数量 | 采购总金额 | ||\n政府集中采购 | 0 | 0 | ||\n")
T2_V2021 = ("二、主动公开政府信息情况\n第二十条第(一)项\t\t\t\n信息内容\t本年制发件数\t本年废止件数\t现行有效件数\n"
            "规章\t0\t0\t0\n")


def test_template_from_table_two_headers_not_the_year() -> None:
    assert detect_template(run("某县2021年政府信息公开工作年度报告\n" + T2_V2019)) == "v2019"
    assert detect_template(run("某县2020年政府信息公开工作年度报告\n" + T2_V2021)) == "v2021"
    assert detect_template(run("某县2020年政府信息公开工作年度报告\n一、总体情况\n行政许可4项、行政处罚4项。\n")) == "none"


def test_not_a_report_rule() -> None:
    assert not is_report(run("今天天气很好。\n我们去公园散步,看到了很多花。\n"))
    assert is_report(run("一、总体情况\n正文。"))  # a standard heading
    assert is_report(run("第二十条第(一)项\n信息内容\n规章\t0\t0\t0"))  # a table title
    assert is_report(run("一、本年新收政府信息公开申请数量\t0\t0\t0\t0\t0\t0\t0"))  # a row label


SEED_META = {
    "000": {"org": "高峰乡人民政府", "year": 2021, "title": "高峰乡2021年政府信息公开工作年度报告", "date": "2021-12-28"},
    "001": {"org": "梭戛乡人民政府", "year": 2019, "title": "梭戛乡人民政府2019年政府信息公开工作年度报告",
            "date": "2020-01-23"},
    "002": {"org": "平顶山高新技术产业开发区遵化店镇", "year": 2023,
            "title": "平顶山高新技术产业开发区遵化店镇 2023 年政府信息公开工作年度报告"},
    "003": {"year": 2020},
    "004": {"org": "白玉县人民政府办公室", "year": 2023, "title": "白玉县人民政府办公室2023年政府信息公开工作年度报告",
            "date": "2024-01-10"},
}
SEED_TEMPLATE = {"000": "v2021", "001": "none", "002": "v2021", "003": "v2019", "004": "v2021"}


def test_seed_meta_and_template(corpus_root) -> None:
    for f in sorted((corpus_root / "seeds").glob("*.txt")):
        d = run(f.read_bytes().decode("utf-8-sig"))
        assert d.meta.model_dump(exclude_none=True) == SEED_META[f.name[:3]], f.name
        assert detect_template(d) == SEED_TEMPLATE[f.name[:3]], f.name
        assert is_report(d), f.name


def test_seeds_end_to_end(corpus_root) -> None:
    from nianbao.inputs import InputItem
    from nianbao.pipeline import Pipeline, PipelineConfig

    pipe = Pipeline(PipelineConfig(use_model=False))
    for f in sorted((corpus_root / "seeds").glob("*.txt")):
        rec = pipe.process(InputItem(source=str(f), data=f.read_bytes())).to_record()
        name = f.name[:3]
        assert rec["status"] == "ok", (name, rec["error"])
        assert rec["meta"]["year"] == SEED_META[name]["year"] and rec["template"] == SEED_TEMPLATE[name]
        expected = ["s1", "s2", "s3", "s4", "s5"] + ([] if name == "000" else ["s6"])
        assert [s["id"] for s in rec["sections"]] == expected, name
        if name == "001":
            assert rec["fields"] == {}
