"""nianbao export: every value, blank and mark of a parse output survives DuckDB, Parquet, CSV and xlsx;
the README's SQL runs; memory stays bounded on 10^5 records."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from nianbao.export.duckdb_out import write_duckdb
from nianbao.export.files_out import write_folder, write_xlsx
from nianbao.export.tables import field_kind
from nianbao.labels.layout import table_fields

REPO = Path(__file__).resolve().parents[1]

# A hand-made record with what the examples may lack: a money unit, a settled field, an error record.
EXTRA = [
    {"nianbao": "0.4.0", "doc_id": "e" * 64, "source": "hand/a.txt", "status": "ok", "error": None,
     "template": "v2021", "meta": {"org": "甲市人民政府", "year": 2031}, "sections": [],
     "fields": {"t2.fees.amount": {"value": 8.3, "unit": "万元", "confidence": 0.99, "span": [10, 13]},
                "t3.total.total": {"value": 5, "confidence": 0.9, "span": [20, 21]},
                "t3.granted.total": {"value": 2, "confidence": 0.9, "span": [22, 23]},
                "t3.total.research": {"value": None, "confidence": 0.9, "span": [24, 24]},
                "t3.total.commercial": {"value": None, "raw": "/", "confidence": 0.9, "span": [25, 26]},
                "t3.new_received.total": {"value": 7, "confidence": 0.9, "span": [27, 28]}},
     "flags": [{"code": "invariant.row_total", "fields": ["t3.total.total"], "message": "sum breaks",
                "alternatives": [{"t3.total.total": 6}]}],
     "resolutions": [{"field": "t3.granted.total", "previous": 20, "value": 2, "code": "split.ambiguous",
                      "evidence": {"kind": "review", "reviewer": "r@example.org"}}],
     "model": None, "url": "http://example.org/a"},
    {"nianbao": "0.4.0", "doc_id": "f" * 64, "source": "hand/b.txt", "status": "error",
     "error": {"code": "E_EMPTY", "stage": "decode", "message": "empty"}, "template": "none", "meta": {},
     "sections": [], "fields": {}, "flags": [], "model": None},
]


@pytest.fixture(scope="module")
def parsed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The bundled examples parsed rules-only, plus the hand-made records."""
    from nianbao.inputs import iter_inputs
    from nianbao.pipeline import Pipeline, PipelineConfig

    pipe = Pipeline(PipelineConfig(use_model=False))
    out = tmp_path_factory.mktemp("export") / "out.jsonl"
    with out.open("w", encoding="utf-8") as fh:
        for item in iter_inputs([REPO / "examples"]):
            fh.write(json.dumps(pipe.process(item).to_record(), ensure_ascii=False) + "\n")
        for rec in EXTRA:
            fh.write(json.dumps(rec, ensure_ascii=False) + "\n")
    return out


def _records(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def _expected(path: Path) -> dict[tuple[str, str], tuple]:
    """(doc_id, field) -> (value, kind, raw, unit) for every field of every record."""
    out = {}
    for rec in _records(path):
        for fid, item in rec["fields"].items():
            v = item["value"]
            out[(rec["doc_id"], fid)] = (None if v is None else float(v), field_kind(item), item.get("raw"),
                                         item.get("unit"))
    return out


def _check_fields(rows: list[tuple], expected: dict) -> None:
    got = {(r[0], r[1]): (r[2], r[3], r[4], r[5]) for r in rows}
    assert got == expected
    kinds = {k for _, k, _, _ in got.values()}
    assert kinds == {"number", "blank", "mark"}  # the fixture exercises all three


def _check_wide(rows_by_table: dict[str, list[dict]], expected: dict) -> None:
    for table, rows in rows_by_table.items():
        assert rows, table
        for row in rows:
            for fid in table_fields(table):
                exp = expected.get((row["doc_id"], fid))
                want = exp[0] if exp else None  # blank, mark and missing are NULL in the wide tables
                assert row[fid] == want, (table, row["doc_id"], fid)


def test_duckdb_round_trip(parsed: Path, tmp_path: Path) -> None:
    import duckdb

    db = tmp_path / "c.duckdb"
    counts = write_duckdb(parsed, db, batch_records=3)
    recs = _records(parsed)
    assert counts["reports"] == len(recs)
    con = duckdb.connect(str(db), read_only=True)
    cols = [r[0] for r in con.execute("DESCRIBE fields").fetchall()]
    assert cols == ["doc_id", "field", "value", "kind", "unit", "raw", "confidence", "flagged", "settled",
                    "span_start", "span_end"]
    _check_fields(con.execute("SELECT doc_id, field, value, kind, raw, unit FROM fields").fetchall(), _expected(parsed))
    wide = {}
    for t in ("t2", "t3", "t4"):
        cur = con.execute(f"SELECT * FROM {t}")
        names = [d[0] for d in cur.description]
        wide[t] = [dict(zip(names, r, strict=True)) for r in cur.fetchall()]
    _check_wide(wide, _expected(parsed))
    # blank is never 0; flags, settlements and the report row
    assert con.execute("SELECT value FROM fields WHERE kind <> 'number' AND value IS NOT NULL").fetchall() == []
    row = con.execute("SELECT flagged, settled FROM fields WHERE doc_id = ? AND field = 't3.total.total'",
                      ["e" * 64]).fetchone()
    assert row == (True, False)
    assert con.execute("SELECT settled FROM fields WHERE doc_id = ? AND field = 't3.granted.total'",
                       ["e" * 64]).fetchone() == (True,)
    assert con.execute("SELECT evidence_kind, previous, value FROM resolutions").fetchall() == [("review", 20.0, 2.0)]
    rep = con.execute("SELECT url, n_fields, n_number, n_blank, n_mark, n_flags, n_resolutions, org "
                      "FROM reports WHERE doc_id = ?", ["e" * 64]).fetchone()
    assert rep == ("http://example.org/a", 6, 4, 1, 1, 1, 1, "甲市人民政府")
    assert con.execute("SELECT status, error_code FROM reports WHERE doc_id = ?", ["f" * 64]).fetchone() == (
        "error", "E_EMPTY")
    assert con.execute("SELECT row_zh, col_zh FROM headers WHERE field = 't3.granted.natural_person'").fetchone() \
        == ("(一)予以公开", "自然人")
    # the alternatives survive as JSON
    alt = con.execute("SELECT alternatives FROM flags WHERE doc_id = ?", ["e" * 64]).fetchone()[0]
    assert json.loads(alt) == [{"t3.total.total": 6}]


def test_parquet_and_csv_round_trip(parsed: Path, tmp_path: Path) -> None:
    import pyarrow.csv as pcsv
    import pyarrow.parquet as pq

    write_folder(parsed, tmp_path / "pq", "parquet", batch_records=4)
    fields = pq.read_table(tmp_path / "pq" / "fields.parquet").to_pylist()
    _check_fields([(r["doc_id"], r["field"], r["value"], r["kind"], r["raw"], r["unit"]) for r in fields],
                  _expected(parsed))
    _check_wide({t: pq.read_table(tmp_path / "pq" / f"{t}.parquet").to_pylist() for t in ("t2", "t3", "t4")},
                _expected(parsed))
    write_folder(parsed, tmp_path / "csv", "csv")
    opts = pcsv.ConvertOptions(column_types={"value": "float64", "raw": "string", "unit": "string"},
                               strings_can_be_null=True)
    rows = pcsv.read_csv(tmp_path / "csv" / "fields.csv", convert_options=opts).to_pylist()
    _check_fields([(r["doc_id"], r["field"], r["value"], r["kind"], r["raw"], r["unit"]) for r in rows],
                  _expected(parsed))


def test_xlsx_round_trip(parsed: Path, tmp_path: Path) -> None:
    from openpyxl import load_workbook

    write_xlsx(parsed, tmp_path / "t.xlsx")
    wb = load_workbook(tmp_path / "t.xlsx", read_only=True)
    assert wb.sheetnames == ["reports", "fields", "flags", "resolutions", "t2", "t3", "t4", "headers"]

    def sheet(name: str) -> list[dict]:
        it = wb[name].iter_rows(values_only=True)
        head = next(it)
        pad = (None,) * len(head)  # read-only sheets drop a row's trailing empty cells
        return [dict(zip(head, (r + pad)[:len(head)], strict=True)) for r in it]

    rows = sheet("fields")
    _check_fields([(r["doc_id"], r["field"], None if r["value"] is None else float(r["value"]), r["kind"],
                    r["raw"], r["unit"]) for r in rows], _expected(parsed))
    wide = {t: [{k: (float(v) if isinstance(v, int | float) and k != "doc_id" else v) for k, v in r.items()}
                for r in sheet(t)] for t in ("t2", "t3", "t4")}
    _check_wide(wide, _expected(parsed))


def readme_sql() -> list[str]:
    """The SQL blocks of the README's export section."""
    text = (REPO / "README.md").read_text(encoding="utf-8")
    section = text.split("## Exporting tables", 1)[1].split("\n## ", 1)[0]
    return re.findall(r"```sql\n(.*?)```", section, re.S)


def test_readme_queries_run(parsed: Path, tmp_path: Path) -> None:
    import duckdb

    queries = readme_sql()
    assert len(queries) == 3
    db = tmp_path / "c.duckdb"
    write_duckdb(parsed, db)
    con = duckdb.connect(str(db), read_only=True)
    per_agency = con.execute(queries[0]).fetchall()
    assert ("甲市人民政府", 2031, 7.0) in per_agency
    share = dict((y, s) for y, s, *_ in con.execute(queries[1]).fetchall())
    assert share[2031] == pytest.approx(2 / 5)
    broken = con.execute(queries[2]).fetchall()
    assert any(r[0] == "hand/a.txt" and r[1] == "invariant.row_total" for r in broken)
    assert any(r[0].endswith("examples/synth-crawl.txt") for r in broken)


BOUNDED = """
import json, resource, sys
from nianbao.export.duckdb_out import write_duckdb
from nianbao.export.files_out import write_folder
n, src, target = int(sys.argv[1]), sys.argv[2], sys.argv[3]
rec = json.loads(sys.argv[4])
with open(src, "w", encoding="utf-8") as fh:
    for i in range(n):
        rec["doc_id"] = f"{i:064x}"
        fh.write(json.dumps(rec, ensure_ascii=False) + "\\n")
base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
write_folder(src, target + "-pq", "parquet") if target.endswith("pq") else write_duckdb(src, target, memory_limit="128MB")
print((resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - base) // 1024)
"""


@pytest.mark.slow
@pytest.mark.parametrize("target", ["c.duckdb", "pq"])
def test_memory_bounded_on_1e5_records(target: str, tmp_path: Path) -> None:
    """Records are read and written in batches, so memory does not grow with the corpus: Parquet's peak for
    10^5 records stays within 60 MiB of that for 10^4; DuckDB's peak growth stays under its buffer pool's
    memory_limit (128MB here, 256MB by default) plus 64 MiB (10^5 records held in Python would take ~1 GB)."""
    rec = dict(EXTRA[0], fields={f: EXTRA[0]["fields"][f] for f in ("t3.total.total", "t3.total.commercial")},
               resolutions=[])
    peaks = []
    for n in (10_000, 100_000) if target == "pq" else (100_000,):
        out = subprocess.run([sys.executable, "-c", BOUNDED, str(n), str(tmp_path / f"{n}.jsonl"),
                              str(tmp_path / f"{n}-{target}"), json.dumps(rec, ensure_ascii=False)],
                             capture_output=True, text=True, check=True, timeout=600)
        peaks.append(int(out.stdout.strip()))
    print(f"peak RSS growth (MiB) over the interpreter, {target}: {peaks}")
    if target == "pq":
        assert peaks[1] - peaks[0] < 60, f"peak RSS growth (MiB) for 10^4 and 10^5 records: {peaks}"
    else:
        assert peaks[0] < 128 + 96, f"peak RSS growth (MiB) for 10^5 records: {peaks}"
