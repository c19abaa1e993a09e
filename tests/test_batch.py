"""Batch inference: order, one record per input, resume after SIGKILL, Parquet, local vs Ray."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from nianbao.batch.engine import LocalEngine
from nianbao.batch.writer import read_parquet_records, scan_done
from nianbao.inputs import iter_inputs
from nianbao.pipeline import PipelineConfig

REPO = Path(__file__).resolve().parents[1]
NIANBAO = [sys.executable, "-m", "nianbao"]

REPORT = """某某县{n}局{year}年政府信息公开工作年度报告
一、总体情况
{year}年,本局认真落实政府信息公开条例,全年主动公开政府信息{n}条。
二、主动公开政府信息情况
第二十条第(一)项
信息内容\t本年制发件数\t本年废止件数\t现行有效件数
规章\t0\t0\t0
行政规范性文件\t{a}\t0\t{a}
三、收到和处理政府信息公开申请情况
一、本年新收政府信息公开申请数量\t{b}\t0\t0\t0\t0\t0\t{b}
二、上年结转政府信息公开申请数量\t0\t0\t0\t0\t0\t0\t0
四、政府信息公开行政复议、行政诉讼情况
五、存在的主要问题及改进情况
公开形式还不够丰富。
六、其他需要报告的事项
无。
"""


def _corpus(path: Path, n: int) -> Path:
    """A JSONL corpus of ``n`` small reports plus a few bad records (all must come out, in order)."""
    with open(path, "w", encoding="utf-8") as fh:
        for i in range(n):
            if i % 17 == 5:
                fh.write("{not json\n")
            elif i % 23 == 7:
                fh.write(json.dumps({"id": f"d{i}", "text": ""}) + "\n")
            else:
                text = REPORT.format(n=i, year=2019 + i % 6, a=i % 4, b=i % 9)
                fh.write(json.dumps({"id": f"d{i}", "text": text}, ensure_ascii=False) + "\n")
    return path


def _records(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def test_local_engine_keeps_order_and_one_record_per_input(tmp_path: Path) -> None:
    src = _corpus(tmp_path / "in.jsonl", 60)
    items = list(iter_inputs([src]))
    recs1 = list(LocalEngine(PipelineConfig(use_model=False), workers=1, batch_size=4).run(iter_inputs([src])))
    recs2 = list(LocalEngine(PipelineConfig(use_model=False), workers=2, batch_size=3).run(iter_inputs([src])))
    assert [r["source"] for r in recs1] == [i.source for i in items]
    assert recs1 == recs2
    statuses = {r["status"] for r in recs1}
    assert "error" in statuses and "ok" in statuses
    bad = [r for r in recs1 if r["status"] == "error"]
    assert all(r["error"]["code"] and r["error"]["stage"] and r["error"]["message"] for r in bad)


def test_parquet_output_matches_jsonl(tmp_path: Path) -> None:
    src = _corpus(tmp_path / "in.jsonl", 12)
    out_j, out_p = tmp_path / "o.jsonl", tmp_path / "o.parquet"
    for out, fmt in ((out_j, "jsonl"), (out_p, "parquet")):
        subprocess.run([*NIANBAO, "parse", str(src), "-o", str(out), "--no-model", "--workers", "1",
                        "--format", fmt, "--no-progress"], check=True, cwd=REPO)
    assert read_parquet_records(out_p) == _records(out_j)


def test_scan_done_cuts_a_torn_last_line(tmp_path: Path) -> None:
    out = tmp_path / "o.jsonl"
    out.write_text('{"source": "a"}\n{"source": "b"}\n{"sour', encoding="utf-8")
    assert scan_done(out) == {"a", "b"}
    assert out.read_text(encoding="utf-8") == '{"source": "a"}\n{"source": "b"}\n'


def test_sigkill_then_resume_gives_every_input_exactly_once(tmp_path: Path) -> None:
    src = _corpus(tmp_path / "in.jsonl", 3000)
    out = tmp_path / "out.jsonl"
    cmd = [*NIANBAO, "parse", str(src), "-o", str(out), "--no-model", "--workers", "1", "--batch-size", "1",
           "--no-progress"]
    proc = subprocess.Popen(cmd, cwd=REPO, start_new_session=True)
    deadline = time.time() + 120
    while time.time() < deadline:
        if out.exists() and out.read_bytes().count(b"\n") >= 50:
            break
        time.sleep(0.05)
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    written = out.read_bytes().count(b"\n")
    assert 50 <= written < 3000, "the kill must land mid-run for this test to mean anything"
    with open(out, "ab") as fh:  # what a kill mid-write leaves behind
        fh.write(b'{"nianbao": "0.1.0", "doc_id": "torn')
    subprocess.run([*cmd, "--resume"], check=True, cwd=REPO)
    lines = out.read_text(encoding="utf-8").splitlines()
    recs = [json.loads(line) for line in lines]  # no torn line survives
    sources = [r["source"] for r in recs]
    expected = [i.source for i in iter_inputs([src])]
    assert sorted(sources) == sorted(expected)
    assert len(sources) == len(set(sources)) == 3000


def test_exit_code_nonzero_when_nothing_readable(tmp_path: Path) -> None:
    (tmp_path / "README.md").write_text("not an input", encoding="utf-8")
    r = subprocess.run([*NIANBAO, "parse", str(tmp_path), "-o", str(tmp_path / "o.jsonl"), "--no-model",
                        "--no-progress"], cwd=REPO, capture_output=True, text=True)
    assert r.returncode == 1
    assert "skipped 1" in r.stderr


@pytest.mark.slow
def test_ray_engine_matches_local_engine(tmp_path: Path) -> None:
    pytest.importorskip("ray")
    src = _corpus(tmp_path / "in.jsonl", 40)
    model_dir = REPO / "models" / "nianbao-tagger"
    use_model = (model_dir / "model.safetensors").exists()
    cfg = PipelineConfig(use_model=use_model, model_dir=model_dir if use_model else None, runtime="torch")
    local = list(LocalEngine(cfg, workers=1, batch_size=4).run(iter_inputs([src])))
    import ray

    from nianbao.batch.ray_engine import RayEngine

    try:
        remote = list(RayEngine(cfg, workers=2, batch_size=4).run(iter_inputs([src])))
    finally:
        ray.shutdown()
    key = lambda r: r["source"]  # noqa: E731
    local, remote = sorted(local, key=key), sorted(remote, key=key)
    assert [r["source"] for r in local] == [r["source"] for r in remote]
    for a, b in zip(local, remote, strict=True):
        assert a["status"] == b["status"] and a["template"] == b["template"] and a["flags"] == b["flags"]
        assert a["fields"].keys() == b["fields"].keys()
        for fid, fa in a["fields"].items():
            fb = b["fields"][fid]
            assert fa["value"] == fb["value"] and fa["span"] == fb["span"]
            assert abs(fa["confidence"] - fb["confidence"]) <= 1e-6


def test_uri_input_and_output_through_pyarrow_fs(tmp_path: Path) -> None:
    src = _corpus(tmp_path / "in.jsonl", 8)
    out_uri = f"file://{tmp_path / 'uri-out.jsonl'}"
    subprocess.run([*NIANBAO, "parse", f"file://{src}", "-o", out_uri, "--no-model", "--workers", "1",
                    "--no-progress"], check=True, cwd=REPO)
    recs = _records(tmp_path / "uri-out.jsonl")
    assert [r["source"].split("#")[1] for r in recs] == [i.source.split("#")[1] for i in iter_inputs([src])]
