"""Release report (Markdown, JSON, plots, diff), error gallery, tagger evaluation, `nianbao eval`."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from eval_gold import ORG_A, TEXT_A, gold_set
from typer.testing import CliRunner

from nianbao.evaluation import tagger_eval
from nianbao.evaluation.baseline import baseline_records, perfect_record
from nianbao.evaluation.cli import app
from nianbao.evaluation.report import build_report, diff_reports, find_previous, write_release
from nianbao.evaluation.rows import unpack_rows
from nianbao.evaluation.score import score_run
from nianbao.evaluation.tagger_eval import evaluate_tagger
from nianbao.labels.gold import GoldDoc
from nianbao.offsets import OffsetBuilder, OffsetMap

FIELD = "t3.new_received.natural_person"
PNG = b"\x89PNG\r\n\x1a\n"


def _release(tmp: Path, version: str, records: list[dict], previous: Path | None = None) -> dict[str, Path]:
    gold = gold_set()
    run = score_run(gold, records, "rules")
    base = score_run(gold, baseline_records(gold), "baseline")
    data = build_report(version, gold, "labels/gold", [run], base, {"rules": "out.jsonl"})
    return write_release(data, tmp / f"{version}.md", [run], base, previous)


def _text_lines(gold: list[GoldDoc]) -> list[str]:
    """Every non-trivial piece of report text (a committed report must quote none of them)."""
    out = []
    for g in gold:
        out += [ln.strip("# |") for ln in g.text.split("\n") if len(ln.strip("# |")) >= 6]
        out += [str(v) for k, v in g.meta.items() if k in ("org", "title")]
    return out


def test_release_files_hold_no_report_text(tmp_path):
    recs = [perfect_record(g) for g in gold_set()]
    recs[0]["fields"][FIELD]["value"] = 5
    paths = _release(tmp_path, "0.1.0", recs)
    for key in ("markdown", "json", "calibration", "heatmap"):
        assert paths[key].is_file()
    assert paths["calibration"].read_bytes()[:8] == PNG and paths["heatmap"].read_bytes()[:8] == PNG
    md, js = paths["markdown"].read_text(encoding="utf-8"), paths["json"].read_text(encoding="utf-8")
    for piece in _text_lines(gold_set()):
        assert piece not in md and piece not in js, piece
    assert ORG_A not in md + js
    assert "baseline (all zeros)" in md and "## Held-out reports" in md and "0.1.0.heatmap.png" in md
    assert f"| synth-a | {FIELD} | wrong | 3 | 5 |" in md  # the error list: values and spans only
    data = json.loads(js)
    assert data["runs"]["rules"]["overall"]["fields"]["silent"] == 1
    errors = unpack_rows(data["runs"]["rules"]["errors"])
    assert errors == [
        {
            "doc": "synth-a",
            "field": FIELD,
            "status": "wrong",
            "gold": 3,
            "pred": 5,
            "gold_span": list(gold_set()[0].fields[FIELD].span),
            "pred_span": list(gold_set()[0].fields[FIELD].span),
            "flagged": False,
            "confidence": 1.0,
        }
    ]
    assert data["baseline"]["errors"] is None


def test_diff_against_previous_release(tmp_path):
    perfect = [perfect_record(g) for g in gold_set()]
    first = _release(tmp_path, "0.1.0", perfect)
    worse = [perfect_record(g) for g in gold_set()]
    worse[1]["fields"]["t4.review.total"]["value"] = 3
    assert find_previous(tmp_path, "0.2.0") == first["json"]
    assert find_previous(tmp_path, "0.1.0") is None
    second = _release(tmp_path, "0.2.0", worse, first["json"])
    diff = json.loads(second["json"].read_text(encoding="utf-8"))["diff"]
    assert diff["fields_worse"] == [{"field": "t4.review.total", "errors_before": 0, "errors_after": 1}]
    assert diff["fields_better"] == []
    head = {d["name"]: d for d in diff["headline"]}
    assert head["strict accuracy"]["verdict"] == "worse" and head["silent errors"]["verdict"] == "worse"
    assert head["section F1"]["verdict"] == "same"
    assert {s["slice"] for s in diff["slices"] if s["verdict"] == "worse"} == {
        "table=t4",
        "template=v2021",
        "style=tsv_markdown",
        "held_out=used",
    }
    md = second["markdown"].read_text(encoding="utf-8")
    assert "## Changes since 0.1.0" in md and "| t4.review.total | 0 | 1 |" in md
    back = diff_reports(json.loads(second["json"].read_text()), json.loads(first["json"].read_text()))
    assert back["fields_better"][0]["field"] == "t4.review.total"


def _identity(text: str) -> tuple[str, OffsetMap]:
    return text, OffsetMap.identity(len(text))


def _drop_hashes(text: str) -> tuple[str, OffsetMap]:
    """A normaliser that deletes '#' marks (so offsets shift)."""
    b = OffsetBuilder()
    for i, ch in enumerate(text):
        if ch != "#":
            b.keep(i, ch)
    return b.build(len(text))


class GoldTagger:
    """Tags each document with its gold spans projected onto the normalised text, minus ``drop`` VALs."""

    def __init__(self, gold: list[GoldDoc], drop: int = 0) -> None:
        self.by_id = {g.sha256: g for g in gold}
        self.drop = drop

    def tag(self, docs):
        from nianbao.document import TagSpan

        for d in docs:
            g = self.by_id[d.doc_id]
            spans, _ = tagger_eval.project_spans([(s.start, s.end, s.tag) for s in g.spans], d.offsets)
            vals = [s for s in spans if s[2] == "VAL"][: self.drop]
            d.tags = [TagSpan(start=a, end=b, tag=t) for a, b, t in spans if (a, b, t) not in vals]
        return docs


@pytest.mark.parametrize("normalise", [_identity, _drop_hashes])
def test_tagger_eval_perfect_and_imperfect(normalise):
    gold = gold_set()
    texts = {g.name: g.text for g in gold}
    perfect = evaluate_tagger(gold, GoldTagger(gold), normalise, texts).summary
    assert perfect["entity"]["micro avg"]["f1"] == 1.0 and perfect["char"]["micro"]["f1"] == 1.0
    assert perfect["char"]["BLANK"]["support"] == 1 and perfect["skipped"] == []
    assert sum(d["dropped"] for d in perfect["docs"]) == 0
    worse = evaluate_tagger(gold, GoldTagger(gold, drop=2), normalise, texts)
    assert worse.summary["entity"]["VAL"]["recall"] == pytest.approx(
        19 / 23
    )  # 23 gold VALs, 2 dropped per document
    assert worse.summary["entity"]["VAL"]["precision"] == 1.0
    assert worse.summary["char"]["VAL"]["recall"] == pytest.approx(
        19 / 23
    )  # 23 gold VALs, 2 dropped per document
    a = worse.source_tags["synth-a"]  # tags mapped back onto the original text
    assert all(TEXT_A[s:e].strip("#") for s, e, _ in a) and ("SEC" in {t for *_, t in a})


def test_tagger_eval_scores_the_held_out_documents_alone():
    """synth-a is held out, synth-b was trained on: the held-out score counts synth-a's errors only."""
    gold = gold_set()
    texts = {g.name: g.text for g in gold}

    class DropInHeldOut(GoldTagger):
        def tag(self, docs):
            for d in super().tag(docs):
                if self.by_id[d.doc_id].held_out:
                    d.tags = [t for t in d.tags if t.tag != "VAL"][: len(d.tags)]
            return docs

    summary = evaluate_tagger(gold, DropInHeldOut(gold), _identity, texts).summary
    held = summary["held_out"]
    assert held["docs"] == 1
    assert held["entity"]["VAL"]["recall"] == 0.0
    assert 0 < summary["entity"]["VAL"]["recall"] < 1  # synth-b's VALs are all found
    assert "held_out" not in evaluate_tagger(gold[:1], GoldTagger(gold), _identity, texts).summary


def test_tagger_eval_through_the_project_normaliser():
    from nianbao.normalise import normalise_text

    gold = gold_set()  # synth-b is in traditional script: normalised to simplified, offsets still map
    result = evaluate_tagger(gold, GoldTagger(gold), normalise_text, {g.name: g.text for g in gold})
    assert result.summary["entity"]["micro avg"]["f1"] == 1.0
    assert sum(d["dropped"] for d in result.summary["docs"]) == 0


def _write_inputs(tmp: Path, records: list[dict]) -> tuple[Path, Path]:
    gdir = tmp / "gold"
    gdir.mkdir()
    for g in gold_set():
        g.dump(gdir / f"{g.name}.json")
    pred = tmp / "out.jsonl"
    pred.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records), encoding="utf-8")
    return gdir, pred


def test_cli_scores_writes_report_json_and_gallery(tmp_path, monkeypatch):
    recs = [perfect_record(g) for g in gold_set()]
    recs[0]["fields"][FIELD]["value"] = 5
    recs[1]["flags"] = [{"code": "invariant.row_total", "fields": ["t3.new_received.total"], "message": "m"}]
    gdir, pred = _write_inputs(tmp_path, recs)
    rules = tmp_path / "rules.jsonl"
    rules.write_text("".join(json.dumps(perfect_record(g)) + "\n" for g in gold_set()), encoding="utf-8")
    gold = gold_set()
    monkeypatch.setattr(
        tagger_eval, "load_eval_tagger", lambda model_dir, use_model: (GoldTagger(gold), _identity)
    )
    out = tmp_path / "reports" / "0.3.0.md"
    res = CliRunner().invoke(
        app,
        [
            "--gold",
            str(gdir),
            "--pred",
            f"model={pred}",
            "--pred",
            f"rules={rules}",
            "--report",
            str(out),
            "--json",
            str(tmp_path / "s.json"),
            "--no-model",
            "--gallery",
            str(tmp_path / "g.html"),
        ],
    )
    assert res.exit_code == 0, res.output
    data = json.loads((tmp_path / "s.json").read_text(encoding="utf-8"))
    assert data["primary"] == "model" and set(data["runs"]) == {"model", "rules"}
    assert data["runs"]["rules"]["overall"]["fields"]["accuracy"] == 1.0
    assert data["runs"]["model"]["overall"]["fields"]["silent"] == 1
    assert (
        data["tagger"]["name"] == "rules-only reader" and data["tagger"]["entity"]["micro avg"]["f1"] == 1.0
    )
    md = out.read_text(encoding="utf-8")
    assert "## Ablation: strict accuracy per table" in md and "## Tagger on the gold documents" in md
    page = (tmp_path / "g.html").read_text(encoding="utf-8")
    assert page.count("class='item'") == 2  # the wrong field and the flagged one
    assert "SILENT" in page and "invariant.row_total" in page and "GOLD=PRED" in page and "ROW" in page


def test_cli_refuses_bad_arguments(tmp_path):
    gdir, pred = _write_inputs(tmp_path, [])
    runner = CliRunner()
    assert runner.invoke(app, ["--gold", str(gdir)]).exit_code == 2
    assert runner.invoke(app, ["--gold", str(tmp_path / "none"), "--pred", str(pred)]).exit_code == 2
    pred.write_text("{broken\n", encoding="utf-8")
    res = runner.invoke(app, ["--gold", str(gdir), "--pred", str(pred)])
    assert res.exit_code == 2


def test_cli_counts_a_document_without_prediction(tmp_path):
    gdir, pred = _write_inputs(tmp_path, [perfect_record(gold_set()[0])])
    res = CliRunner().invoke(
        app, ["--gold", str(gdir), "--pred", str(pred), "--json", str(tmp_path / "s.json")]
    )
    assert res.exit_code == 0, res.output
    run = json.loads((tmp_path / "s.json").read_text())["runs"]["out"]
    assert run["unpredicted"] == ["synth-b"] and run["overall"]["fields"]["missing"] == 12


def test_terminal_tables_print_report_text_literally():
    """A snippet such as ``0[/]0`` (a printed mark in brackets) is text, not rich markup."""
    from io import StringIO

    from rich.console import Console

    from nianbao.evaluation.terminal import _table

    buf = StringIO()
    Console(file=buf, width=200).print(_table("t", ["a"], [["0[/]0"], ["[bold]x"]]))
    assert "0[/]0" in buf.getvalue() and "[bold]x" in buf.getvalue()
