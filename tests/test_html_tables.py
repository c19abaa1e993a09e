"""HTML tables: a data cell's paragraphs stay in its row, Word padding and &nbsp; blanks, layout frames;
Word-exported renderings of synthetic and real reports read every value."""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from nianbao.evaluation.score import values_equal
from nianbao.inputs import InputItem
from nianbao.labels.gold import load_gold
from nianbao.normalise import decode_bytes
from nianbao.normalise.html import html_to_text, layout_cells
from nianbao.pipeline import Pipeline, PipelineConfig
from nianbao.training.synth_corpus import generate_one
from nianbao.training.synth_html import gold_blocks, gold_page, word_page

GOLD_DIR = Path(__file__).resolve().parents[1] / "labels" / "gold"

WORD_ROW = ("<table class=MsoNormalTable><tr><td><p class=MsoNormal><span>（一）予以</span></p><p class=MsoNormal>"
            "<span>公开</span></p></td><td><p class=MsoNormal><span>&nbsp;</span></p></td><td><p><span>3</span>"
            "<span><o:p></o:p></span></p></td><td style='mso-cell-special:placeholder;border:none' width=0>"
            "<p class='MsoNormal'>&nbsp;</td></tr></table>")


def test_a_word_cell_keeps_its_row() -> None:
    text, m = html_to_text(WORD_ROW)
    assert text == "(一)予以公开\t\t3".replace("(", "（").replace(")", "）")
    k = text.index("3")
    assert WORD_ROW[slice(*m.span_to_source(k, k + 1))] == "3"


@pytest.mark.parametrize("page, expected", [
    ("<table><tr><td><p>3</p><p>件</p></td><td>a<br>b</td></tr></table>", "3 件\ta b"),
    ("<table><tr><td><p>12</p><p>34</p></td></tr></table>", "12 34"),  # two numbers never glue
    ("<table><tr><td><div>首页</div><table><tr><td>1</td></tr></table><p>正文</p></td></tr></table>",
     "首页\n1\n正文"),  # a layout cell of the site frame keeps its lines
    ("<table><tr><td>" + "".join(f"<p>第{i}段</p>" for i in range(8)) + "</td></tr></table>",
     "\n".join(f"第{i}段" for i in range(8))),  # an article in one layout cell
])
def test_data_cells_and_layout_cells(page: str, expected: str) -> None:
    assert html_to_text(page)[0] == expected


def test_layout_cells_ignore_comments_and_scripts() -> None:
    page = "<table><tr><td><!-- <table> --><script>'<table>'</script>x</td></tr></table>"
    assert layout_cells(page) == frozenset()


def _values_right(pipe: Pipeline, page: str, gold: dict) -> tuple[int, int, int]:
    doc = pipe.process(InputItem(source="x", text=page, kind="html"))
    got = {f: v.value for f, v in doc.fields.items()}
    flagged = {f for fl in doc.flags for f in fl.fields}
    wrong = {f for f in gold if not values_equal(gold[f], got.get(f, "missing"))} | (got.keys() - gold.keys())
    return len(gold) - len(wrong & gold.keys()), len(wrong - flagged), len(flagged - wrong)


@pytest.mark.parametrize("style", ["markdown_table", "tsv_markdown", "pipe_lines", "glued_lines", "pdf_layout"])
def test_word_pages_of_synthetic_reports_read_every_value(style: str) -> None:
    pipe = Pipeline(PipelineConfig(use_model=False))
    for i in range(2):
        g = generate_one(99, i, style)
        gold = {f: v.value for f, v in g.fields.items()}
        right, silent, _ = _values_right(pipe, word_page(g.text, random.Random(i)), gold)
        assert (right, silent) == (len(gold), 0), (style, i)


def test_gold_blocks_give_each_value_its_cell() -> None:
    g = generate_one(99, 0, "crawl")  # glued runs: the gold spans restore the cell borders
    blocks = gold_blocks(g.text, [(s["start"], s["end"], s["tag"]) for s in g.model_dump()["spans"]])
    rows = [b for kind, b in blocks if kind == "row"]
    assert sum(len(r) for r in rows) >= len(g.fields)


@pytest.mark.usefixtures("corpus_root")
def test_real_reports_built_from_gold_read_every_value(corpus_root: Path) -> None:
    """The HTML renderings of labelled real reports (tables rebuilt from the gold), rules-only reader."""
    pipe = Pipeline(PipelineConfig(use_model=False))
    for name in ("crawl-pingtan-gwh-2020", "seeds-000", "pdf-huaian-2024-raw"):
        g = next(x for x in load_gold(GOLD_DIR) if x.name == name)
        text = decode_bytes((corpus_root / g.source).read_bytes())
        page = gold_page(text, [(s.start, s.end, s.tag, s.field) for s in g.spans], g.fields, g.template,
                         random.Random(name))
        gold = {f: v.value for f, v in g.fields.items()}
        right, silent, _ = _values_right(pipe, page, gold)
        assert (right, silent) == (len(gold), 0), name
