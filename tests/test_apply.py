"""nianbao apply: reviewers' answers settle flagged fields; validation, flags and confidence re-run for the
touched records; every other record byte-identical; sources re-read and checked by sha256."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from nianbao.review.apply import ApplyError, Resolver, apply_file
from nianbao.review.source import SourceError, read_record, source_text

REPO = Path(__file__).resolve().parents[1]
NIANBAO = str(Path(sys.executable).parent / "nianbao")


@pytest.fixture(scope="module")
def parsed(parsed_examples: tuple[Path, Path]) -> tuple[Path, Path]:
    """The examples parsed rules-only from a folder of their own (``conftest.parsed_examples``)."""
    return parsed_examples


def _lines(p: Path) -> list[bytes]:
    return p.read_bytes().splitlines(keepends=True)


def test_source_reread_and_refused_when_changed(parsed: tuple[Path, Path], tmp_path: Path) -> None:
    root, out = parsed
    rec = read_record(f"{out}#1")
    text = source_text(rec, root)
    a, b = next(iter(rec["fields"].values()))["span"]
    assert text[a:b].strip()
    jrec = next(json.loads(line) for line in out.read_text(encoding="utf-8").splitlines() if "#synth-2025-000001" in line)
    assert source_text(jrec, root)  # a JSONL record, by its id
    changed = tmp_path / "examples"
    shutil.copytree(root / "examples", changed)
    p = changed / Path(rec["source"]).name
    p.write_text(p.read_text(encoding="utf-8") + "\n", encoding="utf-8")
    with pytest.raises(SourceError, match="sha256"):
        source_text(rec, tmp_path)
    with pytest.raises(SourceError, match="--root"):
        source_text(rec, tmp_path / "nowhere")


def test_apply_settles_and_reruns(parsed: tuple[Path, Path], tmp_path: Path) -> None:
    root, out = parsed
    rec = read_record(f"{out}#1")
    assert rec["source"] == "examples/synth-crawl.txt"
    split = next(fl for fl in rec["flags"] if fl["code"] == "split.ambiguous")
    alt = split["alternatives"][0]
    corr = tmp_path / "corr.jsonl"
    corr.write_text("".join(json.dumps({"doc_id": rec["doc_id"], "source": rec["source"], "field": f, "value": v,
                                        "reviewer": "r@example.org", "task": 7}) + "\n" for f, v in alt.items()),
                    encoding="utf-8")
    dst = tmp_path / "resolved.jsonl"
    counts = apply_file(out, corr, dst, Resolver(root))
    assert counts == {"records": len(_lines(out)), "touched": 1, "fields": len(alt)}
    before, after = _lines(out), _lines(dst)
    assert before[1:] == after[1:]  # every other record byte-identical
    new = json.loads(after[0])
    for f, v in alt.items():
        assert new["fields"][f]["value"] == v and new["fields"][f]["confidence"] == 1.0
    # the reviewed cut of the glued run moves the cells' evidence spans onto their digits
    text = source_text(rec, root)
    a = min(rec["fields"][f]["span"][0] for f in alt)
    b = max(rec["fields"][f]["span"][1] for f in alt)
    assert "".join(text[slice(*new["fields"][f]["span"])] for f in alt) == text[a:b]
    for f, v in alt.items():
        assert text[slice(*new["fields"][f]["span"])] == str(v)
        assert not any(f in fl["fields"] for fl in new["flags"] if not fl["code"].startswith("invariant."))
    res = {r["field"]: r for r in new["resolutions"]}
    assert set(res) == set(alt)
    r0 = res[next(iter(alt))]
    assert r0["evidence"] == {"kind": "review", "reviewer": "r@example.org", "task": 7}
    assert r0["code"] == "split.ambiguous" and r0["previous"] == rec["fields"][next(iter(alt))]["value"]
    assert "split.ambiguous" not in [fl["code"] for fl in new["flags"]]
    # the other fields keep their values; keys of the record keep their meaning
    assert {f: it["value"] for f, it in new["fields"].items() if f not in alt} == \
        {f: it["value"] for f, it in rec["fields"].items() if f not in alt}
    assert set(new) - set(rec) <= {"resolutions"}


def test_review_value_that_breaks_a_sum_is_flagged(parsed: tuple[Path, Path], tmp_path: Path) -> None:
    root, out = parsed
    rec = read_record(f"{out}#5")  # synth-glued_lines: table 4 adds up
    assert "t4.review.total" in rec["fields"]
    assert not any(fl["code"] == "invariant.t4_total" for fl in rec["flags"])
    wrong = (rec["fields"]["t4.review.total"]["value"] or 0) + 5
    corr = tmp_path / "corr.jsonl"
    corr.write_text(json.dumps({"doc_id": rec["doc_id"], "field": "t4.review.total", "value": wrong,
                                "reviewer": "r"}) + "\n", encoding="utf-8")
    dst = tmp_path / "resolved.jsonl"
    apply_file(out, corr, dst, Resolver(root))
    new = json.loads(_lines(dst)[4])
    assert new["fields"]["t4.review.total"]["value"] == wrong
    assert any(fl["code"] == "invariant.t4_total" and "t4.review.total" in fl["fields"] for fl in new["flags"])


def test_apply_refuses_unknown_field_and_doc(parsed: tuple[Path, Path], tmp_path: Path) -> None:
    root, out = parsed
    rec = read_record(f"{out}#1")
    corr = tmp_path / "corr.jsonl"
    corr.write_text(json.dumps({"doc_id": rec["doc_id"], "field": "t9.x", "value": 1}) + "\n", encoding="utf-8")
    with pytest.raises(ApplyError, match="no field"):
        apply_file(out, corr, tmp_path / "r.jsonl", Resolver(root))
    corr.write_text(json.dumps({"doc_id": "0" * 64, "field": "t4.review.total", "value": 1}) + "\n", encoding="utf-8")
    with pytest.raises(ApplyError, match="not in"):
        apply_file(out, corr, tmp_path / "r.jsonl", Resolver(root))


def test_cli_apply_and_show_record(parsed: tuple[Path, Path], tmp_path: Path) -> None:
    root, out = parsed
    rec = read_record(f"{out}#1")
    corr = tmp_path / "corr.jsonl"
    corr.write_text(json.dumps({"doc_id": rec["doc_id"], "field": "t4.review.total", "value": 0,
                                "reviewer": "r"}) + "\n", encoding="utf-8")
    r = subprocess.run([NIANBAO, "apply", str(out), str(corr), "-o", str(tmp_path / "res.jsonl"), "--root", str(root)],
                       capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    assert "1 fields settled in 1 of" in r.stdout
    r = subprocess.run([NIANBAO, "show", "--record", f"{tmp_path / 'res.jsonl'}#1", "--root", str(root),
                        "--html", str(tmp_path / "p.html")], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    assert "settled" in r.stdout and "review" in r.stdout and "表三" in r.stdout
    assert 'id="span-t4.review.total"' in (tmp_path / "p.html").read_text(encoding="utf-8")
    r = subprocess.run([NIANBAO, "show", "--record", f"{out}#1", "--root", str(tmp_path / "x"), "--html",
                        str(tmp_path / "q.html")], capture_output=True, text=True)
    assert r.returncode == 2 and "--root" in r.stderr


def test_reviewed_report_as_gold(parsed: tuple[Path, Path], tmp_path: Path) -> None:
    from nianbao.labels.gold import load_gold

    root, out = parsed
    rec = read_record(f"{out}#1")
    alt = next(fl for fl in rec["flags"] if fl["code"] == "split.ambiguous")["alternatives"][0]
    corr = tmp_path / "corr.jsonl"
    corr.write_text("".join(json.dumps({"doc_id": rec["doc_id"], "field": f, "value": v, "reviewer": "rev"}) + "\n"
                            for f, v in alt.items()), encoding="utf-8")
    dst = tmp_path / "resolved.jsonl"
    apply_file(out, corr, dst, Resolver(root), gold_dir=tmp_path / "gold", style="crawl")
    (gold,) = load_gold(tmp_path / "gold")
    new = json.loads(_lines(dst)[0])
    assert gold.sha256 == rec["doc_id"] and gold.source == rec["source"] and gold.used_for == ["review"]
    assert gold.load_text(root) == source_text(rec, root)
    assert {f: g.value for f, g in gold.fields.items()} == {f: it["value"] for f, it in new["fields"].items()}
    text = gold.load_text(root)
    placed = {s.field for s in gold.spans if s.field}
    assert set(alt) <= placed  # the reviewed cells keep their evidence span
    for s in gold.spans:
        if s.field and s.tag == "VAL":
            assert tuple(gold.fields[s.field].span) == (s.start, s.end) and text[s.start:s.end].strip()
    assert "rev" in gold.notes[0]


def test_settlements_after_the_parse_stand(parsed: tuple[Path, Path], tmp_path: Path) -> None:
    """A record settled after the parse (e.g. `nianbao link`, kind crossyear) still applies; its settlement stands."""
    root, out = parsed
    lines = _lines(out)
    rec = json.loads(lines[0])
    f0 = "t2.normative_docs.issued"
    rec["fields"][f0]["value"] = 20
    rec["fields"][f0]["confidence"] = 0.97
    rec["flags"] = [fl for fl in rec["flags"] if f0 not in fl["fields"]]
    rec["resolutions"] = [{"field": f0, "previous": 2, "value": 20, "code": "split.ambiguous",
                           "evidence": {"kind": "crossyear", "doc_id": "x" * 64, "field": f0}}]
    linked = tmp_path / "linked.jsonl"
    linked.write_bytes(json.dumps(rec, ensure_ascii=False).encode() + b"\n" + b"".join(lines[1:]))
    corr = tmp_path / "corr.jsonl"
    corr.write_text(json.dumps({"doc_id": rec["doc_id"], "field": "t4.review.total", "value": 0,
                                "reviewer": "r"}) + "\n", encoding="utf-8")
    dst = tmp_path / "resolved.jsonl"
    apply_file(linked, corr, dst, Resolver(root))
    new = json.loads(_lines(dst)[0])
    assert new["fields"][f0]["value"] == 20 and new["fields"][f0]["confidence"] == 0.97
    assert [r["evidence"]["kind"] for r in new["resolutions"]] == ["crossyear", "review"]


def test_warc_source_reread_by_record_id(tmp_path: Path) -> None:
    """A WARC record's source is `<warc>#<WARC-Record-ID>`: re-read by that id, checked by sha256."""
    pytest.importorskip("warcio")
    from test_warc import _warc

    ids = _warc(tmp_path / "crawl.warc.gz")
    subprocess.run([NIANBAO, "parse", "crawl.warc.gz", "-o", "out.jsonl", "--no-model", "--workers", "1",
                    "--no-progress"], cwd=tmp_path, check=True, capture_output=True)
    recs = [json.loads(x) for x in (tmp_path / "out.jsonl").read_text(encoding="utf-8").splitlines()]
    rec = next(r for r in recs if ids["report"] in r["source"] and r["status"] == "ok")
    text = source_text(rec, tmp_path)
    for item in rec["fields"].values():
        a, b = item["span"]
        if item["value"] is not None:
            assert text[a:b].strip(), item
    gbk = next(r for r in recs if ids["gbk"] in r["source"])
    assert source_text(gbk, tmp_path)
