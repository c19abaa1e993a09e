"""Input discovery: order, kinds, JSONL records, skipped and unreadable entries; bad inputs end to end."""

from __future__ import annotations

import gzip
import hashlib
import json
import os
from pathlib import Path

import pytest

from nianbao.inputs import InputStats, iter_inputs
from nianbao.pipeline import Pipeline, PipelineConfig

REPORT = "青石铺镇2022年政府信息公开工作年度报告\n一、总体情况\n全年主动公开信息36条。\n"


def _tree(root: Path) -> None:
    (root / "b").mkdir(parents=True)
    (root / "a").mkdir()
    (root / "a" / "z.txt").write_text(REPORT, encoding="utf-8")
    (root / "a" / "page.HTML").write_text("<p>一、总体情况</p>", encoding="utf-8")
    (root / "a.txt").write_text(REPORT, encoding="utf-8")
    (root / "b" / "c.htm").write_text("<p>x</p>", encoding="utf-8")
    (root / "README.md").write_text("# not an input", encoding="utf-8")
    (root / "b" / "logo.png").write_bytes(b"\x89PNG....")
    with open(root / "b" / "d.jsonl", "w", encoding="utf-8") as fh:
        fh.write(json.dumps({"id": "r1", "text": REPORT}, ensure_ascii=False) + "\n\n")
        fh.write(json.dumps({"html": "<p>一</p>"}) + "\n")


def test_directory_order_kinds_and_skips(tmp_path: Path) -> None:
    _tree(tmp_path)
    stats = InputStats()
    items = list(iter_inputs([tmp_path], stats))
    rel = [it.source[len(str(tmp_path)) + 1:] for it in items]
    assert rel == ["a/page.HTML", "a/z.txt", "a.txt", "b/c.htm", "b/d.jsonl#r1", "b/d.jsonl#3"]
    assert [it.kind for it in items] == ["html", "text", "text", "html", "text", "html"]
    assert stats.skipped == 2 and stats.unreadable == 0 and stats.bad_lines == 0
    assert stats.kinds == {"text": 2, "html": 2, "jsonl": 2}
    assert all(it.error is None for it in items)


def test_paths_keep_the_order_given(tmp_path: Path) -> None:
    _tree(tmp_path)
    given = [tmp_path / "b" / "c.htm", tmp_path / "a.txt", str(tmp_path / "a")]
    sources = [it.source for it in iter_inputs(given)]
    assert sources == [str(given[0]), str(given[1]), str(tmp_path / "a" / "page.HTML"), str(tmp_path / "a" / "z.txt")]


def test_jsonl_record_shares_doc_id_with_the_same_file(tmp_path: Path) -> None:
    _tree(tmp_path)
    by_source = {it.source.rsplit("/", 1)[-1]: it for it in iter_inputs([tmp_path])}
    record, file = by_source["d.jsonl#r1"], by_source["a.txt"]
    assert record.text == REPORT and record.data == REPORT.encode("utf-8") == file.data
    docs = [Pipeline(PipelineConfig(use_model=False)).start(it) for it in (record, file)]
    assert docs[0].doc_id == docs[1].doc_id == hashlib.sha256(REPORT.encode()).hexdigest()


def test_bad_jsonl_lines_each_yield_one_error_item(tmp_path: Path) -> None:
    path = tmp_path / "in.jsonl"
    lines = ['{"id": 7, "text": "一、总体情况"}', "not json", "[1, 2]", '{"id": "x"}', '{"id": "y", "text": 5}',
             "", '{"id": "", "html": "<p>a</p>"}', '{"text": "\\ud800"}']
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    stats = InputStats()
    items = list(iter_inputs([path], stats))
    assert [it.source.rsplit("#", 1)[1] for it in items] == ["7", "2", "3", "x", "y", "7", "8"]
    assert [it.error.code if it.error else None for it in items] == \
        [None, "E_JSONL", "E_JSONL", "E_JSONL", "E_JSONL", None, "E_JSONL"]
    assert all(it.error.stage == "read" and it.error.message for it in items if it.error)
    assert stats.bad_lines == 5 and stats.kinds["jsonl"] == 2


def test_gzipped_jsonl_streams_and_a_truncated_one_reports(tmp_path: Path) -> None:
    good = tmp_path / "ok.jsonl.gz"
    with gzip.open(good, "wt", encoding="utf-8") as fh:
        for i in range(3):
            fh.write(json.dumps({"id": f"d{i}", "text": f"报告{i}"}, ensure_ascii=False) + "\n")
    assert [it.text for it in iter_inputs([good])] == ["报告0", "报告1", "报告2"]
    bad = tmp_path / "cut.jsonl.gz"
    bad.write_bytes(good.read_bytes()[:-12])
    items = list(iter_inputs([bad]))
    assert items[-1].error is not None and items[-1].error.code == "E_READ"


def test_named_file_of_any_suffix_is_read_and_missing_path_reported(tmp_path: Path) -> None:
    odd = tmp_path / "report.text"
    odd.write_text(REPORT, encoding="utf-8")
    stats = InputStats()
    items = list(iter_inputs([odd, tmp_path / "nope.txt"], stats))
    assert items[0].data == REPORT.encode() and items[0].error is None
    assert items[1].error is not None and items[1].error.code == "E_READ" and "no such" in items[1].error.message
    assert stats.unreadable == 1


def test_unreadable_entries_in_a_directory_still_yield_items(tmp_path: Path) -> None:
    (tmp_path / "good.txt").write_text(REPORT, encoding="utf-8")
    os.symlink(tmp_path / "missing-target.txt", tmp_path / "broken.txt")  # a dangling link: cannot be read
    os.symlink(tmp_path, tmp_path / "loop")  # a symlink loop is walked once
    stats = InputStats()
    items = list(iter_inputs([tmp_path], stats))
    assert [Path(it.source).name for it in items] == ["broken.txt", "good.txt"]
    assert items[0].error is not None and items[0].error.code == "E_READ" and stats.unreadable == 1


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads files whatever their mode")
def test_permission_denied_file_and_directory(tmp_path: Path) -> None:
    (tmp_path / "locked.txt").write_text(REPORT, encoding="utf-8")
    (tmp_path / "sub").mkdir()
    (tmp_path / "locked.txt").chmod(0)
    (tmp_path / "sub").chmod(0)
    try:
        items = list(iter_inputs([tmp_path]))
    finally:
        (tmp_path / "locked.txt").chmod(0o644)
        (tmp_path / "sub").chmod(0o755)
    assert [(Path(it.source).name, it.error.code if it.error else None) for it in items] == \
        [("locked.txt", "E_READ"), ("sub", "E_READ")]


# ------------------------------------------------------------------ bad inputs end to end through Pipeline.start
def test_bad_inputs_become_error_records(tmp_path: Path) -> None:
    (tmp_path / "1-empty.txt").write_bytes(b"")
    (tmp_path / "2-blank.txt").write_bytes(b" \r\n\t\xe3\x80\x80\n")
    (tmp_path / "3-binary.txt").write_bytes(bytes(range(256)) * 4)
    (tmp_path / "4-undecodable.txt").write_bytes(b"abc" + b"\xff" * 3 + "报告".encode())
    (tmp_path / "5-large.txt").write_text(REPORT * 40, encoding="utf-8")
    os.symlink(tmp_path / "gone", tmp_path / "6-unreadable.txt")
    (tmp_path / "7-good.txt").write_text(REPORT, encoding="utf-8")
    (tmp_path / "8-pdf.txt").write_bytes(b"%PDF-1.4\n...")
    pipeline = Pipeline(PipelineConfig(use_model=False, max_bytes=2000))
    docs = [pipeline.start(it) for it in iter_inputs([tmp_path])]
    got = [(Path(d.source).name, d.status, d.error.code if d.error else None) for d in docs]
    assert got == [
        ("1-empty.txt", "error", "E_EMPTY"),
        ("2-blank.txt", "error", "E_EMPTY"),
        ("3-binary.txt", "error", "E_BINARY"),
        ("4-undecodable.txt", "error", "E_DECODE"),
        ("5-large.txt", "error", "E_TOO_LARGE"),
        ("6-unreadable.txt", "error", "E_READ"),
        ("7-good.txt", "ok", None),
        ("8-pdf.txt", "error", "E_BINARY"),
    ]
    for d in docs:
        record = d.to_record()
        assert record["source"] == d.source and record["status"] == d.status
        if d.error:
            assert set(record["error"]) == {"code", "stage", "message"} and record["error"]["message"]
    assert docs[2].doc_id == hashlib.sha256(bytes(range(256)) * 4).hexdigest()  # bytes read: doc_id is real
    assert docs[6].norm_text == REPORT
