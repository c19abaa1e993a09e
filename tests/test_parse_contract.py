"""The `nianbao parse` contract end to end: records per output.md, seeds, examples, version."""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
from pathlib import Path

import pytest

from nianbao import __version__

REPO = Path(__file__).resolve().parents[1]
NIANBAO = [sys.executable, "-m", "nianbao"]
RECORD_KEYS = {"nianbao", "doc_id", "source", "status", "error", "template", "meta", "sections", "fields", "flags",
               "model"}
SEED_YEARS = {"000": 2021, "001": 2019, "002": 2023, "003": 2020, "004": 2023}
MODEL = REPO / "models" / "nianbao-tagger" / "model.safetensors"


def _parse(args: list[str], out: Path) -> list[dict]:
    subprocess.run([*NIANBAO, "parse", *args, "-o", str(out), "--no-progress"], check=True, cwd=REPO)
    return [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]


def test_version_matches_records(tmp_path: Path) -> None:
    r = subprocess.run([*NIANBAO, "--version"], capture_output=True, text=True, check=True, cwd=REPO)
    assert r.stdout.strip() == f"nianbao {__version__}"


@pytest.mark.parametrize("mode", ["--no-model", "model"])
def test_seeds_parse_ok_with_years(corpus_root: Path, tmp_path: Path, mode: str) -> None:
    if mode == "model" and not MODEL.exists():
        pytest.fail(f"the shipped model is missing at {MODEL}")
    args = [str(corpus_root / "seeds")] + (["--no-model"] if mode == "--no-model" else [])
    recs = _parse(args, tmp_path / "seeds.jsonl")
    assert len(recs) == 5
    for rec in recs:
        assert set(rec) == RECORD_KEYS
        assert rec["nianbao"] == __version__
        assert rec["status"] == "ok", rec["error"]
        seed = Path(rec["source"]).name[:3]
        assert rec["meta"]["year"] == SEED_YEARS[seed]
        data = Path(rec["source"]).read_bytes()
        assert rec["doc_id"] == hashlib.sha256(data).hexdigest()
        assert [s["id"] for s in rec["sections"]] == sorted(s["id"] for s in rec["sections"])
        text = data.decode("utf-8-sig")
        for s in rec["sections"]:
            assert 0 <= s["start"] < s["end"] <= len(text)
        for f in rec["fields"].values():
            assert 0 <= f["span"][0] <= f["span"][1] <= len(text)
            assert 0.0 <= f["confidence"] <= 1.0
        assert (rec["model"] is None) == (mode == "--no-model")


def test_examples_never_yield_error_records(tmp_path: Path) -> None:
    examples = REPO / "examples"
    recs = _parse([str(examples), "--no-model"], tmp_path / "ex.jsonl")
    assert recs, "examples/ must hold the bundled sample corpus"
    bad = [(r["source"], r["error"]) for r in recs if r["status"] == "error"]
    assert not bad
