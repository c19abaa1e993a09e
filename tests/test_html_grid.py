"""HTML tables read as grids: cells from the markup (rowspan/colspan, &nbsp; blanks, Word padding, split
tables, frames skipped), spans into the page source, the grid deciding where it and the text disagree."""

from __future__ import annotations

import random
import re
from pathlib import Path

import pytest

from nianbao.evaluation.score import values_equal
from nianbao.inputs import InputItem
from nianbao.labels.gold import load_gold
from nianbao.normalise import decode_bytes
from nianbao.normalise.html_grid import data_rows, row_at
from nianbao.pipeline import Pipeline, PipelineConfig
from nianbao.rules import html_tables
from nianbao.rules.html_tables import DISAGREE, ReadRow, is_page, reconcile, value_cells
from nianbao.rules.tables import TableBuild
from nianbao.training.synth_corpus import generate_one
from nianbao.training.synth_html import gold_page, word_page

GOLD_DIR = Path(__file__).resolve().parents[1] / "labels" / "gold"

SPANS = ("<table><tr><th colspan=2>项目</th><th>数量</th></tr>"
         "<tr><td rowspan=2>（一）</td><td>规章</td><td><p><span>1&nbsp;2</span></p></td></tr>"
         "<tr><td>文件</td><td><p>&nbsp;</p></td></tr></table>")


def _cells(page: str) -> list[list[tuple[int, int, str]]]:
    return [[(c.row, c.col, c.text) for c in r.cells] for r in data_rows(page)]


def test_rowspan_colspan_and_nbsp_blanks() -> None:
    assert _cells(SPANS) == [
        [(0, 0, "项目"), (0, 2, "数量")],
        [(1, 0, "（一）"), (1, 1, "规章"), (1, 2, "1 2")],
        [(1, 0, "（一）"), (2, 1, "文件"), (2, 2, "")],
    ]
    rows = data_rows(SPANS)
    assert rows[0].cells[0].cols == 2 and rows[1].cells[0].rows == 2
    assert [c.text for c in rows[2].own_cells()] == ["文件", ""]


def test_spans_point_into_the_source() -> None:
    rows = data_rows(SPANS)
    a, b = rows[1].cells[2].span
    assert SPANS[a:b] == "1&nbsp;2"  # from its first to its last printed character, the entity whole
    blank = rows[2].cells[2]
    assert blank.span[0] == blank.span[1] and SPANS[:blank.span[0]].endswith("<td>")  # the start of its content


def test_word_placeholders_frames_and_split_tables() -> None:
    pad = "<td style='mso-cell-special:placeholder;border:none' width=0><p class='MsoNormal'>&nbsp;</td>"
    page = ("<table><tr><td><table><tr><td>导航</td></tr></table></td></tr><tr><td>"  # the site frame
            f"<table><tr><td>规章</td><td>1</td>{pad}</tr></table><p><br style='page-break-before:always'></p>"
            "<table><tr><td>文件</td><td>2</td></tr></table></td></tr></table>")
    assert _cells(page) == [[(0, 0, "导航")], [(0, 0, "规章"), (0, 1, "1")], [(0, 0, "文件"), (0, 1, "2")]]
    rows = data_rows(page)
    assert row_at(rows, page.index("规章")) is rows[1] and row_at(rows, page.index("文件")) is rows[2]
    assert row_at(rows, page.index("<p>")) is None


def test_unclosed_cells_and_rows() -> None:
    assert _cells("<table><tr><td>甲<td>3<tr><td>乙<td></table>") == [[(0, 0, "甲"), (0, 1, "3")],
                                                                    [(1, 0, "乙"), (1, 1, "")]]


@pytest.mark.parametrize("row, n, expected", [
    ("<td>规章</td><td>1</td><td>&nbsp;</td><td>/</td>", 3, ["1", "", "/"]),
    ("<td>规章</td><td>1</td><td>2</td>", 3, None),  # fewer cells than columns: the label is no value
    ("<td>1</td><td>规章</td><td>1</td><td>2</td>", 2, ["1", "2"]),  # numbering before the label
    ("<td>规章</td><td>1</td><td>2</td><td></td>", 2, None),  # a trailing empty cell: which are the values?
    ("<td>规章</td><td>12</td>", 2, None),  # a glued run in one cell: the text reading cuts it
    ("<td>规章</td>" + "<td><p>&nbsp;</p></td>" * 4, 3, ["", "", ""]),  # padded with blanks: all blank anyway
    ("<td>规章</td><td>1件</td><td>2</td>", 2, None),  # a cell that reads as no value
    ("<td rowspan=2>规章</td><td>1</td><td>2</td>", 2, ["1", "2"]),
])
def test_value_cells_fit_or_not(row: str, n: int, expected: list[str] | None) -> None:
    cells = value_cells(data_rows(f"<table><tr>{row}</tr></table>")[0], n)
    assert (None if cells is None else [c.text for c in cells]) == expected


def _report(seed: int = 99, i: int = 0, style: str = "markdown_table") -> tuple[str, dict]:
    g = generate_one(seed, i, style)
    spans = [(s["start"], s["end"], s["tag"]) for s in g.model_dump()["spans"]]
    return word_page(g.text, random.Random(i), spans), {f: v.value for f, v in g.fields.items()}


def _read(pipe: Pipeline, page: str):  # noqa: ANN202
    return pipe.process(InputItem(source="x", text=page, kind="html"))


@pytest.fixture(scope="module")
def pipe() -> Pipeline:
    return Pipeline(PipelineConfig(use_model=False))


@pytest.mark.parametrize("style, i", [("markdown_table", 5), ("pipe_lines", 5), ("glued_lines", 1), ("crawl", 3)])
def test_word_pages_read_to_their_gold_with_no_inferred_blank(pipe: Pipeline, style: str, i: int) -> None:
    """(markdown_table, 5) and (pipe_lines, 5): the layout text alone leaves ``table.blank_inferred``."""
    page, gold = _report(99, i, style)
    doc = _read(pipe, page)
    got = {f: v.value for f, v in doc.fields.items()}
    assert all(values_equal(gold[f], got.get(f, "missing")) for f in gold), style
    assert not doc.flags, [fl.code for fl in doc.flags]
    record = doc.to_record()
    for fid, item in record["fields"].items():  # every value's span is its cell's text in the HTML source
        a, b = item["span"]
        if item["value"] is None and "raw" not in item:
            assert a == b and re.search(r"<td[^>]*>$", page[:a]), fid
        else:
            assert page[a:b].replace("&nbsp;", "") in (str(item["value"]), item.get("raw")) or \
                values_equal(item["value"], float(page[a:b].replace(",", "").removesuffix("万元"))), (fid, page[a:b])


def test_grid_decides_where_the_text_reading_disagrees(pipe: Pipeline) -> None:
    page, gold = _report()
    doc = _read(pipe, page)
    fid = "t2.regulations.issued"
    label_at = doc.norm_text.index("规章")
    row = ReadRow(["t2.regulations.issued", "t2.regulations.repealed", "t2.regulations.in_force"], label_at,
                  [None, None, None])
    truth = doc.fields[fid].value
    doc.fields[fid] = doc.fields[fid].model_copy(update={"value": (truth or 0) + 7})  # a text misreading
    built = TableBuild()
    reconcile(doc, built, {"t2": [row]})
    assert doc.fields[fid].value == truth == gold[fid]
    flags = [fl for fl in doc.flags if fl.code == DISAGREE]
    assert len(flags) == 1 and flags[0].fields == [fid] and flags[0].alternatives == [{fid: (truth or 0) + 7}]
    assert built.evidence[fid].kind in ("cell", "blank")


def test_a_row_the_grid_does_not_fit_keeps_its_text_reading(pipe: Pipeline) -> None:
    """A reading with more columns than the row has value cells: the label would be read as a value; the grid
    leaves the row alone (no value, no flag changes)."""
    page, _ = _report()
    doc = _read(pipe, page)
    before = {f: v.value for f, v in doc.fields.items()}
    at = doc.norm_text.index("规章")
    rows = data_rows(page)
    g = row_at(rows, doc.offsets.starts[at])
    assert g is not None
    fids = [f"t2.regulations.{c}" for c in ("x", "issued", "repealed", "in_force")]  # one column too many
    reconcile(doc, TableBuild(), {"t2": [ReadRow(fids, at, [None] * 4)]})
    assert {f: v.value for f, v in doc.fields.items()} == before and not doc.flags


def test_two_rows_of_the_reading_in_one_tr_keep_the_text_reading(pipe: Pipeline) -> None:
    page, _ = _report()
    doc = _read(pipe, page)
    at = doc.norm_text.index("规章")
    fids = ["t2.regulations.issued", "t2.regulations.repealed", "t2.regulations.in_force"]
    wrong = doc.fields[fids[0]].model_copy(update={"value": 99})
    doc.fields[fids[0]] = wrong
    other = [f.replace("regulations", "normative_docs") for f in fids]
    reconcile(doc, TableBuild(), {"t2": [ReadRow(fids, at, [None] * 3), ReadRow(other, at + 1, [None] * 3)]})
    assert doc.fields[fids[0]] is wrong and not doc.flags


def test_grid_drops_blank_and_split_flags_it_proves(pipe: Pipeline) -> None:
    from nianbao.document import Flag

    page, _ = _report()
    doc = _read(pipe, page)
    fids = ["t2.regulations.issued", "t2.regulations.repealed", "t2.regulations.in_force"]
    doc.flags = [Flag(code="table.blank_inferred", fields=fids[1:]), Flag(code="split.ambiguous", fields=fids,
                                                                           alternatives=[{fids[0]: 1, "t4.x": 2}]),
                 Flag(code="crosscheck.sum", fields=fids)]
    reconcile(doc, TableBuild(), {"t2": [ReadRow(fids, doc.norm_text.index("规章"), [None] * 3)]})
    assert [fl.code for fl in doc.flags] == ["crosscheck.sum"]  # a broken sum is no cell border: it stays


def test_plain_text_is_untouched(pipe: Pipeline, monkeypatch: pytest.MonkeyPatch) -> None:
    g = generate_one(99, 0, "tsv_markdown")
    assert not is_page(pipe.process(InputItem(source="x", text=g.text)))
    before = pipe.process(InputItem(source="x", text=g.text)).to_record()
    calls: list[object] = []
    monkeypatch.setattr(html_tables, "data_rows", lambda *a: calls.append(a) or ())
    assert pipe.process(InputItem(source="x", text=g.text)).to_record() == before and not calls


@pytest.mark.usefixtures("corpus_root")
def test_real_report_blank_rows_need_no_inferring(pipe: Pipeline, corpus_root: Path) -> None:
    """seeds-000 as a Word page built from its gold: rows of blank cells were 150 ``table.blank_inferred``
    flags on right fields when read from the layout text; the markup proves them."""
    g = next(x for x in load_gold(GOLD_DIR) if x.name == "seeds-000")
    text = decode_bytes((corpus_root / g.source).read_bytes())
    page = gold_page(text, [(s.start, s.end, s.tag, s.field) for s in g.spans], g.fields, g.template,
                     random.Random(g.name))
    doc = _read(pipe, page)
    got = {f: v.value for f, v in doc.fields.items()}
    assert all(values_equal(v.value, got.get(f, "missing")) for f, v in g.fields.items())
    assert not [fl for fl in doc.flags if fl.code == "table.blank_inferred"]


@pytest.mark.usefixtures("corpus_root")
def test_tuning_reports_as_html_gold_cells_need_no_flag(corpus_root: Path) -> None:
    """The robustness row ``html_gold_cells`` on the tuning reports: every value right, none flagged (their own
    sums hold); from the layout text alone seeds-000 had 150 right fields flagged ``table.blank_inferred``."""
    from nianbao.evaluation.robustness import run

    tune = [g.name for g in load_gold(GOLD_DIR) if "tune" in (g.used_for or [])]
    scores = run(GOLD_DIR, corpus_root, names=["html_gold_cells"], docs=tune)["html_gold_cells"]
    assert scores.docs == len(tune) == 7
    assert (scores.right, scores.silent, scores.flagged_right) == (scores.fields, 0, 0)
