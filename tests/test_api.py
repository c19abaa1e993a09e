"""The Python API: Parser, parse_text/parse_file, Document.table; the README example runs."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

import nianbao

REPO = Path(__file__).resolve().parents[1]
CRAWL = REPO / "examples" / "synth-crawl.txt"


@pytest.fixture(scope="module")
def parser() -> nianbao.Parser:
    return nianbao.Parser(no_model=True)


def test_import_is_light() -> None:
    out = subprocess.run([sys.executable, "-c", "import sys, nianbao; print('torch' in sys.modules, "
                          "'pandas' in sys.modules, callable(nianbao.Parser))"],
                         capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["False", "False", "True"]


def test_parse_file_matches_cli_record(parser: nianbao.Parser, tmp_path: Path) -> None:
    doc = parser.parse_file(CRAWL)
    out = tmp_path / "o.jsonl"
    subprocess.run([str(Path(sys.executable).parent / "nianbao"), "parse", str(CRAWL), "-o", str(out),
                    "--no-model", "--workers", "1", "--no-progress"], check=True, capture_output=True)
    cli = json.loads(out.read_text(encoding="utf-8"))
    assert doc.to_record() == cli


def test_parse_text_same_doc_id_and_fields(parser: nianbao.Parser) -> None:
    text = CRAWL.read_text(encoding="utf-8")
    a, b = parser.parse_text(text), parser.parse_file(CRAWL)
    assert a.doc_id == b.doc_id and a.to_record()["fields"] == b.to_record()["fields"]
    assert nianbao.parse_text(text, no_model=True).to_record()["fields"] == a.to_record()["fields"]


def test_table_layout_and_blanks(parser: nianbao.Parser) -> None:
    doc = parser.parse_file(REPO / "examples" / "synth-glued_lines.txt")
    t3 = doc.table("t3")
    assert list(t3.columns) == ["自然人", "商业企业", "科研机构", "社会公益组织", "法律服务机构", "其他", "总计"]
    assert t3.index[0] == "一、本年新收政府信息公开申请数量"
    assert t3.loc["(七)总计", "总计"] == doc.fields["t3.total.total"].value
    # every field sits in its cell; a blank or mark is <NA>, never 0
    nulls = 0
    for tid in ("t2", "t3", "t4"):
        df = doc.table(tid)
        from nianbao.labels.layout import table_layout

        lay = table_layout(tid, doc.template, doc.fields)
        for r in lay.rows:
            for col, f in zip(lay.cols, r.cells, strict=True):
                if f is None or f not in doc.fields:
                    continue
                v = doc.fields[f].value
                if v is None:
                    nulls += 1
                    assert df.loc[r.label, col] is pd.NA
                else:
                    assert df.loc[r.label, col] == v
    assert nulls > 0  # this example prints marks (—)


def test_readme_example_runs() -> None:
    text = (REPO / "README.md").read_text(encoding="utf-8")
    section = text.split("## Python API", 1)[1].split("\n## ", 1)[0]
    code = re.findall(r"```python\n(.*?)```", section, re.S)[0]
    out = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    assert out.stdout.split()[1] == "split.ambiguous"
