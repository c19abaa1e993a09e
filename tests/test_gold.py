"""Gold labels of the real reports (labels/gold/*.json) and the span proposer that drafts them."""

from __future__ import annotations

import datetime as dt
import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from nianbao.labels.catalogue import (
    META_KEYS,
    SECTIONS,
    T3_ROWS,
    invariants_for,
    t2_fields,
    t3_fields,
    t3_rows,
    t4_fields,
)
from nianbao.labels.gold import GOLD_DIR, STYLES, GoldDoc, load_gold
from nianbao.labels.goldcheck import invariant_breaks, problems
from nianbao.labels.propose import PINYIN, T2S, build_view, parse_cell, propose, split_token

# Reports rules were designed on (labels/gold/INDEX.md): the seeds, and the one pdftotext raw text read for rules/stream.py.
TUNED = {f"seeds-00{i}" for i in range(5)} | {"pdf-hongze-2024-raw", "pdf-huaian-2024-raw"}

EXPECTED_DOCS = {
    "seeds-000": ("pipe_cells", "v2021"), "seeds-001": ("prose", "none"), "seeds-002": ("tsv_markdown", "v2021"),
    "seeds-003": ("pipe_lines", "v2019"), "seeds-004": ("glued_lines", "v2021"),
    "pdf-hongze-2023-layout": ("pdf_layout", "v2021"), "pdf-hongze-2023-raw": ("pdf_raw", "v2021"),
    "pdf-hongze-2024-layout": ("pdf_layout", "v2021"), "pdf-hongze-2024-raw": ("pdf_raw", "v2021"),
    "pdf-huaian-2024-layout": ("pdf_layout", "v2021"), "pdf-huaian-2024-raw": ("pdf_raw", "v2021"),
    "crawl-pingtan-jtj-2019": ("crawl", "v2019"), "crawl-pingtan-gwh-2020": ("crawl", "v2019"),
    "crawl-pingtan-gaj-2021": ("crawl", "v2021"), "crawl-pingtan-jtj-2022": ("crawl", "v2021"),
    "crawl-pingtan-jjf-2023": ("crawl", "v2021"), "crawl-pingtan-czj-2024": ("crawl", "v2021"),
}
SEED_YEARS = {"seeds-000": 2021, "seeds-001": 2019, "seeds-002": 2023, "seeds-003": 2020, "seeds-004": 2023}
T4_BREAKS = {"invariant.t4_total[t4.review.total]", "invariant.t4_total[t4.suit_after_review.total]"}
BALANCE_BREAKS = {"invariant.balance[t3.new_received.natural_person]", "invariant.balance[t3.new_received.total]"}
EXPECTED_BREAKS = {
    "pdf-hongze-2023-layout": T4_BREAKS, "pdf-hongze-2023-raw": T4_BREAKS,
    "crawl-pingtan-gaj-2021": BALANCE_BREAKS, "crawl-pingtan-jjf-2023": BALANCE_BREAKS,
}
MARKS = {"/", "—", "–", "-", "无", "－"}


def real_gold() -> list[GoldDoc]:
    """The gold documents of real reports (text in the corpus, not inline)."""
    return [d for d in load_gold(GOLD_DIR) if d.source is not None]


@pytest.fixture(scope="module")
def docs(corpus_root: Path) -> list[tuple[GoldDoc, str]]:
    """Every real-report gold document with its text (sha256-checked by ``load_text``)."""
    return [(d, d.load_text(corpus_root)) for d in real_gold()]


def plain(s: str) -> str:
    """A heading for comparison: no pinyin, simplified, no remarks, spaces or punctuation variants."""
    s = "".join(T2S.get(c, c) for c in PINYIN.sub("", s)).replace("其它", "其他")
    return re.sub(r"[\s、,，.。:：和与及]", "", re.sub(r"[(（][^)）]*[)）]", "", s))


# ------------------------------------------------------------------ the set of files
def test_every_real_report_has_exactly_one_gold_file(corpus_root: Path) -> None:
    golds = real_gold()
    assert sorted(d.name for d in golds) == sorted(EXPECTED_DOCS)
    # crawl-series/ is unlabelled by design (its README): year series for linking and self-training; its meta
    # gold lives in labels/series_gold.yaml, outside the field-accuracy gold
    texts = sorted(str(p.relative_to(corpus_root)) for p in corpus_root.glob("*/*.txt")
                   if p.parent.name != "crawl-series")
    assert sorted(d.source for d in golds) == texts


def test_files_validate_and_name_their_style_template_and_use() -> None:
    for path in sorted(GOLD_DIR.glob("*.json")):
        doc = GoldDoc.model_validate_json(path.read_text(encoding="utf-8"))
        if doc.source is None:
            continue
        assert path.stem == doc.name
        assert doc.style in STYLES
        assert (doc.style, doc.template) == EXPECTED_DOCS[doc.name]
        assert doc.used_for == (["tune"] if doc.name in TUNED else [])
        assert not [n for n in doc.notes if n.startswith("DRAFT")], f"{doc.name}: unreviewed draft notes"
        raw = json.loads(path.read_text(encoding="utf-8"))
        assert "text" not in raw or raw["text"] is None, "real report text must stay in shared/corpus"


def test_sha256_matches_the_corpus(docs: list[tuple[GoldDoc, str]]) -> None:
    assert len(docs) == len(EXPECTED_DOCS)  # load_text raises on a sha256 mismatch


# ------------------------------------------------------------------ spans
def test_spans_are_in_range_disjoint_and_hold_what_their_tag_says(docs: list[tuple[GoldDoc, str]]) -> None:
    for doc, text in docs:
        last = 0
        for sp in sorted(doc.spans, key=lambda s: s.start):
            piece = text[sp.start:sp.end]
            where = f"{doc.name} {sp.tag} {sp.start}"
            assert 0 <= sp.start < sp.end <= len(text), where
            assert sp.start >= last, f"{where}: overlaps"
            last = sp.end
            assert piece == piece.strip(), f"{where}: {piece!r} has outer whitespace"
            assert (sp.field is not None) == (sp.tag in ("VAL", "BLANK")), where
            if sp.tag == "VAL":
                assert re.search(r"\d", piece) or piece in MARKS, f"{where}: {piece!r}"
            elif sp.tag == "BLANK":
                assert len(piece) == 1 and not piece.isalnum(), f"{where}: {piece!r}"
            elif sp.tag in ("TTL", "COL", "ROW"):
                assert re.search(r"[\u4e00-\u9fff]", piece), f"{where}: {piece!r}"
            elif sp.tag == "SEC":
                assert any(plain(piece).endswith(plain(name)) for name in SECTIONS.values()), f"{where}: {piece!r}"
            else:
                pytest.fail(f"{where}: unknown tag")


def test_sections_start_at_their_heading_and_end_at_the_next(docs: list[tuple[GoldDoc, str]]) -> None:
    for doc, text in docs:
        secs = doc.sections
        assert [s.id for s in secs] == sorted(s.id for s in secs), doc.name
        heads = {s.start: s for s in doc.spans if s.tag == "SEC"}
        assert sorted(heads) == [s.start for s in secs], doc.name
        for sec, nxt in zip(secs, secs[1:] + [None], strict=True):
            assert sec.end == (nxt.start if nxt else len(text)), f"{doc.name} {sec.id}"
            assert text[sec.start:heads[sec.start].end] == sec.title, f"{doc.name} {sec.id}"
            assert plain(sec.title).endswith(plain(SECTIONS[sec.id])), f"{doc.name} {sec.id}"
    assert [s.id for s in dict(docs_by_name(docs))["seeds-000"].sections] == ["s1", "s2", "s3", "s4", "s5"]


def docs_by_name(docs: list[tuple[GoldDoc, str]]) -> list[tuple[str, GoldDoc]]:
    return [(d.name, d) for d, _ in docs]


# ------------------------------------------------------------------ fields
def test_every_field_span_parses_to_its_value(docs: list[tuple[GoldDoc, str]]) -> None:
    for doc, text in docs:
        tagged = {s.field: s for s in doc.spans if s.field}
        assert set(tagged) == set(doc.fields), doc.name
        for fid, f in doc.fields.items():
            sp = tagged[fid]
            assert tuple(f.span) == (sp.start, sp.end), f"{doc.name} {fid}"
            piece = text[sp.start:sp.end]
            if sp.tag == "BLANK":
                assert f.value is None and f.raw is None, f"{doc.name} {fid}"
                continue
            value, raw, unit = parse_cell(piece)
            assert (value, raw) == (f.value, f.raw) and type(value) is type(f.value), f"{doc.name} {fid} {piece!r}"
            if unit is not None:
                assert f.unit == unit, f"{doc.name} {fid}"
            if f.unit is not None:
                assert fid in ("t2.fees.amount", "t2.procurement.amount"), f"{doc.name} {fid}"


def printed_rows(doc: GoldDoc):
    """Table-3 rows as printed: a v2021 report may keep the single v2019 (六)其他处理 row."""
    if doc.template == "v2021" and "t3.other.natural_person" in doc.fields:
        return tuple(r for r in T3_ROWS if r.only is None or r.key == "other")
    return t3_rows(doc.template)  # type: ignore[arg-type]


def test_field_sets_equal_the_catalogue_for_complete_tables(docs: list[tuple[GoldDoc, str]]) -> None:
    for doc, _ in docs:
        if doc.template == "none":
            assert doc.fields == {}, doc.name
            continue
        expected = t2_fields(doc.template) + t3_fields(doc.template, printed_rows(doc)) + t4_fields()
        assert sorted(doc.fields) == sorted(expected), doc.name
    single = {d.name for d, _ in docs if "t3.other.natural_person" in d.fields and d.template == "v2021"}
    assert single == {"pdf-hongze-2023-layout", "pdf-hongze-2023-raw", "pdf-hongze-2024-layout", "pdf-hongze-2024-raw"}


def test_pdf_twins_carry_the_same_values(docs: list[tuple[GoldDoc, str]]) -> None:
    by = dict(docs_by_name(docs))
    for name in [n for n in by if n.endswith("-layout")]:
        lay, raw = by[name], by[name.replace("-layout", "-raw")]
        as_tuple = lambda d: {k: (f.value, f.raw, f.unit) for k, f in d.fields.items()}  # noqa: E731
        assert as_tuple(lay) == as_tuple(raw), name


def test_invariant_breaks_are_exactly_the_noted_ones(docs: list[tuple[GoldDoc, str]]) -> None:
    for doc, _ in docs:
        found = set(invariant_breaks(doc.fields))
        assert found == EXPECTED_BREAKS.get(doc.name, set()), doc.name
        noted = {n.split()[1].rstrip(":") for n in doc.notes if n.startswith("BREAK ")}
        assert noted == found, doc.name
        checked = [i for i in invariants_for(set(doc.fields)) if all(f in doc.fields for f in i.fields)]
        assert bool(checked) == (doc.template != "none"), doc.name


def test_goldcheck_finds_no_problem(docs: list[tuple[GoldDoc, str]]) -> None:
    for doc, text in docs:
        assert problems(doc, text) == [], doc.name


# ------------------------------------------------------------------ meta
def test_meta(docs: list[tuple[GoldDoc, str]]) -> None:
    by = dict(docs_by_name(docs))
    for name, year in SEED_YEARS.items():
        assert by[name].meta["year"] == year
    for doc, text in docs:
        assert set(doc.meta) <= set(META_KEYS), doc.name
        assert isinstance(doc.meta.get("year"), int), doc.name
        if "date" in doc.meta:
            dt.date.fromisoformat(doc.meta["date"])
        for key in ("title", "org"):
            if key in doc.meta:
                assert "".join(doc.meta[key].split()) in "".join(text.split()), f"{doc.name} {key}"
    assert "title" not in by["seeds-003"].meta and "org" not in by["seeds-003"].meta
    assert by["seeds-001"].meta["date"] == "2020-01-23"
    assert by["seeds-000"].meta["org"] == "高峰乡人民政府"


def test_meta_years_match_the_titles(docs: list[tuple[GoldDoc, str]]) -> None:
    for doc, _ in docs:
        if "title" in doc.meta:
            assert str(doc.meta["year"]) in doc.meta["title"], doc.name


# ------------------------------------------------------------------ the proposer (literal fixtures)
PIPE_FIXTURE = (
    "青山乡2022年政府信息公开工作年度报告\n一、总体情况\n本乡依法公开。\n二、主动公开政府信息情况\n"
    "   第二十条第(一)项  | \n   信息内容  | \n   本年制发件数  | \n   本年废止件数  | \n   现行有效件数  | \n"
    "   规章  | \n   1  | \n   0  | \n   4  | \n"
    "   行政规范性文件  | \n   \n  | \n   \n  | \n   \n  | \n"
    "三、收到和处理政府信息公开申请情况\n   申请人情况  | \n"
    "   一、本年新收政府信息公开申请数量  | \n   2  | \n   0  | \n   0  | \n   0  | \n   0  | \n   0  | \n   2  | \n"
    "四、政府信息公开行政复议、行政诉讼情况\n   行政复议  | \n   行政诉讼  | \n"
    + "".join("   0  | \n" for _ in range(15))
    + "五、存在的主要问题及改进情况\n无。\n青山乡人民政府\n2023年1月5日\n"
)
CRAWL_FIXTURE = (
    "标题: 石门镇2021年政府信息公开工作年度报告\n发布时间: 2022-01-20 10:00\n正文 一、总体情况本镇依法公开。"
    "二、主动公开政府信息情况第二十条第（一）项信息内容本年制发件数本年废止件数现行有效件数规章000行政规范性文件303"
    "三、收到和处理政府信息公开申请情况申请人情况一、本年新收政府信息公开申请数量1000001二、上年结转政府信息公开申请数量0000000"
    "三、本年度办理结果（一）予以公开1 0 00 0 0 1（二）部分公开（区分处理的，只计这一情形，不计其他情形）0000000"
    "四、政府信息公开行政复议、行政诉讼情况行政复议行政诉讼000000000000000五、存在的主要问题及改进情况无。"
)


def test_parse_cell_and_split_token() -> None:
    assert parse_cell("8.3") == (8.3, None, None)
    assert parse_cell("251000元") == (251000, None, "元")
    assert parse_cell("/") == (None, "/", None)
    assert parse_cell("-1") == (-1, None, None)
    assert [["000"[a:b] for a, b in s] for s in split_token("000", 3)] == [["0", "0", "0"]]
    assert split_token("0000", 3) == []
    tok = "547.9659万元"
    assert [[tok[a:b] for a, b in s] for s in split_token(tok, 2)] == [["5", "47.9659万元"], ["54", "7.9659万元"]]
    tok = "1-10"
    assert ["|".join(tok[a:b] for a, b in s) for s in split_token(tok, 3)] == ["1|-1|0"]


def test_view_drops_pinyin_and_folds_script() -> None:
    v = build_view("二、主動(dòng)公開(kāi)（一）")
    assert v.text == "二、主动公开(一)"
    assert v.to_orig(2, 4) == (2, 10)  # 主動(dòng): the trailing gloss joins the span
    assert v.to_orig(2, 6) == (2, 17)  # 主動(dòng)公開(kāi)


def test_propose_pipe_cells_fixture_finds_blank_cells() -> None:
    doc = propose(PIPE_FIXTURE.encode(), "pipe_cells", "fixture-pipe")
    text = PIPE_FIXTURE
    assert doc.template == "v2021"
    assert [s.id for s in doc.sections] == ["s1", "s2", "s3", "s4", "s5"]
    assert {k: doc.fields[k].value for k in ("t2.regulations.issued", "t2.regulations.in_force")} == {
        "t2.regulations.issued": 1, "t2.regulations.in_force": 4}
    blanks = [doc.fields[f"t2.normative_docs.{c}"] for c in ("issued", "repealed", "in_force")]
    assert all(b.value is None and text[b.span[0]:b.span[1]] == "|" for b in blanks)
    assert doc.fields["t3.new_received.total"].value == 2
    assert [doc.fields[f].value for f in t4_fields()] == [0] * 15
    assert doc.meta == {"title": "青山乡2022年政府信息公开工作年度报告", "year": 2022, "date": "2023-01-05",
                        "org": "青山乡人民政府"}
    assert any(n.startswith("DRAFT") and "unfilled" in n for n in doc.notes)  # rows the fixture leaves out


def test_propose_crawl_fixture_cuts_glued_runs() -> None:
    doc = propose(CRAWL_FIXTURE.encode(), "crawl", "fixture-crawl")
    text = CRAWL_FIXTURE
    row = lambda key: [doc.fields[f"t3.{key}.{c}"].value for c in  # noqa: E731
                       ("natural_person", "commercial", "research", "social_welfare", "legal_service",
                        "other_org", "total")]
    assert row("new_received") == [1, 0, 0, 0, 0, 0, 1]
    assert row("granted") == [1, 0, 0, 0, 0, 0, 1]
    assert [doc.fields[f"t2.normative_docs.{c}"].value for c in ("issued", "repealed", "in_force")] == [3, 0, 3]
    vals = [s for s in doc.spans if s.tag == "VAL"]
    assert all(text[s.start:s.end].isdigit() for s in vals)
    assert doc.meta["date"] == "2022-01-20" and doc.meta["title"] == "石门镇2021年政府信息公开工作年度报告"
    assert [text[s.start:s.end] for s in doc.spans if s.tag == "SEC"][3] == "四、政府信息公开行政复议、行政诉讼情况"


def test_propose_cli_writes_a_draft(tmp_path: Path) -> None:
    src = tmp_path / "report.txt"
    src.write_text(CRAWL_FIXTURE, encoding="utf-8")
    out = tmp_path / "draft.json"
    subprocess.run([sys.executable, "-m", "nianbao.labels.propose", str(src), "--style", "crawl", "-o", str(out),
                    "--name", "fixture", "--used-for", "tune"], check=True, capture_output=True)
    doc = GoldDoc.model_validate_json(out.read_text(encoding="utf-8"))
    assert doc.name == "fixture" and doc.used_for == ["tune"] and doc.style == "crawl"
    assert doc.text is None and len(doc.sha256) == 64


def test_propose_rejects_an_unknown_style() -> None:
    with pytest.raises(ValueError, match="E_STYLE"):
        propose(b"x", "no_such_style", "x")


def test_doctests_of_the_label_tools() -> None:
    import doctest

    import nianbao.labels.goldcheck as goldcheck
    import nianbao.labels.propose as proposer

    for module in (proposer, goldcheck):
        assert doctest.testmod(module).failed == 0, module.__name__
