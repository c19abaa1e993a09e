"""Scoring harness: field accuracy (strict/lenient), silent errors, flag precision, sections, meta, slices."""

from __future__ import annotations

import copy
import json

import pytest
from eval_gold import gold_set, make_gold

from nianbao.evaluation.baseline import baseline_records, perfect_record
from nianbao.evaluation.calibration import calibration
from nianbao.evaluation.score import (
    PredictionFormatError,
    error_list,
    parse_records,
    score_run,
    slices,
    summarise,
)
from nianbao.labels.catalogue import fields_for
from nianbao.labels.gold import load_gold

FIELD = "t3.new_received.natural_person"


@pytest.fixture
def gold():
    return gold_set()


@pytest.fixture
def perfect(gold):
    return [perfect_record(g) for g in gold]


def _fields(run):
    return summarise(run.docs)["fields"]


def test_perfect_prediction_scores_one_everywhere(gold, perfect):
    run = score_run(gold, perfect)
    s = summarise(run.docs)
    f = s["fields"]
    assert f["gold"] == 24 and f["accuracy"] == 1.0 and f["accuracy_lenient"] == 1.0
    assert (f["missing"], f["spurious"], f["wrong"], f["silent"], f["errors"]) == (0, 0, 0, 0, 0)
    assert f["flag_precision"] is None  # nothing flagged: undefined, not 1.0
    assert s["exact_match_rate"] == 1.0 and s["template_accuracy"] == 1.0
    assert s["sections"]["precision"] == s["sections"]["recall"] == s["sections"]["f1"] == 1.0
    assert s["meta"]["all"]["accuracy"] == 1.0 and s["meta"]["all"]["gold"] == 5
    for kind in slices(run).values():
        for sl in kind.values():
            assert sl["fields"]["accuracy"] == 1.0 and sl["exact_match_rate"] == 1.0
    assert error_list(run) == [] and run.unmatched_records == []
    assert calibration(run.field_results())["ece"] == 0.0


def test_one_changed_value_is_exactly_that_field_wrong_and_silent(gold, perfect):
    perfect[0]["fields"][FIELD]["value"] = 5
    run = score_run(gold, perfect)
    errors = error_list(run)
    assert [(e["doc"], e["field"], e["status"], e["gold"], e["pred"]) for e in errors] == [
        ("synth-a", FIELD, "wrong", 3, 5)
    ]
    wrong = [f for f in run.field_results() if f.error]
    assert len(wrong) == 1 and wrong[0].silent
    f = _fields(run)
    assert f["silent"] == 1 and f["wrong"] == 1 and f["correct"] == 23
    assert f["accuracy"] == pytest.approx(23 / 24)
    assert summarise(run.docs)["exact_match"] == 1


def test_a_flag_on_the_wrong_field_makes_it_not_silent(gold, perfect):
    perfect[0]["fields"][FIELD]["value"] = 5
    perfect[0]["flags"] = [
        {"code": "invariant.row_total", "fields": [FIELD], "message": "row does not add up"}
    ]
    f = _fields(score_run(gold, perfect))
    assert f["silent"] == 0 and f["flag_precision"] == 1.0 and f["flag_recall"] == 1.0
    assert f["flag_rate_correct"] == 0.0


def test_flagging_everything_does_not_look_good(gold, perfect):
    perfect[0]["fields"][FIELD]["value"] = 5
    for rec in perfect:
        rec["flags"] = [{"code": "low_confidence", "fields": list(rec["fields"])}]
    f = _fields(score_run(gold, perfect))
    assert f["silent"] == 0 and f["flag_recall"] == 1.0
    assert f["flag_precision"] == pytest.approx(1 / 24)
    assert f["flag_rate_correct"] == 1.0


def test_blank_vs_zero_is_wrong_strictly_right_leniently(gold, perfect):
    blank = "t3.new_received.research"
    assert gold[0].fields[blank].value is None
    perfect[0]["fields"][blank]["value"] = 0
    perfect[1]["fields"]["t4.review.upheld"]["value"] = None  # gold 0, predicted blank
    run = score_run(gold, perfect)
    f = _fields(run)
    assert f["accuracy"] == pytest.approx(22 / 24) and f["accuracy_lenient"] == 1.0
    assert {(e["field"], e["gold"], e["pred"]) for e in error_list(run)} == {
        (blank, None, 0),
        ("t4.review.upheld", 0, None),
    }


def test_missing_spurious_and_unpredicted_documents(gold, perfect):
    del perfect[0]["fields"][FIELD]
    perfect[0]["fields"]["t3.carried_over.total"] = {"value": 0, "confidence": 0.9, "span": [0, 0]}
    run = score_run(gold, perfect[:1])
    f = _fields(run)
    assert f["missing"] == 1 + 12 and f["spurious"] == 1 and f["silent"] == 1  # the spurious value is silent
    assert [d.name for d in run.docs if not d.predicted] == ["synth-b"]
    s = summarise(run.docs)
    assert s["unpredicted"] == 1 and s["exact_match"] == 0


def test_unmatched_and_duplicate_records_are_counted(gold, perfect):
    stray = copy.deepcopy(perfect[0]) | {"doc_id": "f" * 64, "source": "elsewhere.txt"}
    run = score_run(gold, [*perfect, perfect[0], stray])
    assert run.unmatched_records == ["elsewhere.txt"] and run.duplicate_records == 1
    assert _fields(run)["accuracy"] == 1.0


def test_section_start_within_two_chars(gold, perfect):
    perfect[0]["sections"][0]["start"] += 2
    perfect[0]["sections"][1]["start"] -= 3
    perfect[1]["sections"].append({"id": "s6", "title": "x", "start": 1, "end": 2})
    sec = summarise(score_run(gold, perfect).docs)["sections"]
    assert (sec["gold"], sec["pred"], sec["matched"]) == (6, 7, 5)
    assert sec["precision"] == pytest.approx(5 / 7) and sec["recall"] == pytest.approx(5 / 6)


def test_meta_org_compares_after_whitespace_and_script(gold, perfect):
    perfect[1]["meta"]["org"] = " 白沙乡 人民政府"  # simplified, spaced: same org
    perfect[0]["meta"]["year"] = 2022  # publication year, not the year reported on
    perfect[0]["meta"]["title"] = "额外的标题"  # gold has no title: spurious
    meta = summarise(score_run(gold, perfect).docs)["meta"]
    assert meta["org"]["accuracy"] == 1.0 and meta["year"]["accuracy"] == 0.5
    assert meta["title"] == {"gold": 0, "correct": 0, "spurious": 1, "accuracy": None}


def test_template_and_error_records(gold, perfect):
    perfect[1] = {
        **perfect[1],
        "status": "error",
        "template": "none",
        "fields": {},
        "sections": [],
        "meta": {},
        "error": {"code": "E_DECODE", "stage": "decode", "message": "x"},
    }
    s = summarise(score_run(gold, perfect).docs)
    assert s["template_accuracy"] == 0.5 and s["error_records"] == 1 and s["fields"]["missing"] == 12


def test_slices_held_out_style_and_table(gold, perfect):
    perfect[0]["fields"][FIELD]["value"] = 5
    sl = slices(score_run(gold, perfect))
    assert set(sl["held_out"]) == {"held_out", "used"}
    assert sl["held_out"]["held_out"]["fields"]["accuracy"] == pytest.approx(11 / 12)
    assert sl["held_out"]["used"]["fields"]["accuracy"] == 1.0
    assert sl["style"]["pipe_lines"]["fields"]["silent"] == 1
    assert sl["table"]["t3"]["fields"]["accuracy"] == pytest.approx(13 / 14)
    assert sl["table"]["t4"]["fields"]["accuracy"] == 1.0 and sl["table"]["t4"]["exact_match"] == 2


def test_baseline_is_all_zeros_of_the_gold_template(gold):
    run = score_run(gold, baseline_records(gold), "baseline")
    f = _fields(run)
    zeros = sum(v.value == 0 for g in gold for v in g.fields.values())
    assert f["correct"] == zeros and f["accuracy_lenient"] == pytest.approx(
        sum(v.value in (0, None) for g in gold for v in g.fields.values()) / 24
    )
    assert f["spurious"] == 2 * (len(fields_for("v2021")) - 12) and f["silent"] == f["errors"] - f["missing"]


def test_a_report_without_tables_is_exact_only_when_predicted_without_fields():
    g = make_gold(
        "no-tables", "某局2022年政府信息公开工作年度报告\n一、总体情况\n无。\n", "|", "prose", [], {}, [], []
    )
    assert g.fields == {}
    assert not score_run([g], []).docs[0].exact()
    rec = perfect_record(g)
    assert score_run([g], [rec]).docs[0].exact()
    rec["fields"]["t4.review.total"] = {"value": 0, "confidence": 0.6}
    assert not score_run([g], [rec]).docs[0].exact()
    assert not score_run([g], [{**perfect_record(g), "status": "error"}]).docs[0].exact()


def test_parse_records_rejects_malformed_lines():
    ok = parse_records([json.dumps({"doc_id": "a", "fields": {"t4.review.total": {"value": 1}}}), ""])
    assert len(ok) == 1
    for bad in ("{not json", json.dumps({"fields": {}}), json.dumps({"doc_id": "a", "fields": {"x": 3}})):
        with pytest.raises(PredictionFormatError, match="E_PRED_FORMAT"):
            parse_records([bad])


def test_real_gold_perfect_prediction_scores_one(corpus_root):
    from nianbao.labels.gold import GOLD_DIR

    docs = load_gold(GOLD_DIR) if GOLD_DIR.is_dir() else []
    if not docs:
        pytest.skip(f"no gold labels in {GOLD_DIR} yet")
    run = score_run(docs, [perfect_record(g) for g in docs])
    s = summarise(run.docs)
    assert s["fields"]["errors"] == 0 and s["exact_match_rate"] == 1.0
    assert s["fields"]["accuracy"] in (1.0, None)  # None only if no gold document has a table
    assert s["sections"]["recall"] in (1.0, None) and s["meta"]["all"]["accuracy"] in (1.0, None)
    for g in docs:  # every real gold text is where the labels say, unchanged
        text = g.load_text(corpus_root)
        assert all(0 <= f.span[0] <= f.span[1] <= len(text) for f in g.fields.values())
