"""Work budgets of the rule layer's searches: adversarial inputs parse within them to one record each, the
steps a document costs grow no faster than its length, and a budget that runs out flags what it decided."""

from __future__ import annotations

import random

import pytest

from nianbao.inputs import InputItem
from nianbao.pipeline import Pipeline, PipelineConfig
from nianbao.rules import digits, stream
from nianbao.rules.budget import BUDGET_FLAG, Budget, tally
from nianbao.training.synth_adversarial import (
    KINDS,
    STRESS_KINDS,
    _base,
    make_adversarial,
    many_rows,
    table_chain,
)
from nianbao.training.synth_corpus import generate_one


@pytest.fixture(scope="module")
def rules_only() -> Pipeline:
    return Pipeline(PipelineConfig(use_model=False))


def _parse(pipe: Pipeline, text: str, source: str = "adv"):
    return pipe.process(InputItem(source=source, data=text.encode("utf-8")))


def test_budget_counts_and_runs_out() -> None:
    with tally() as t:
        b = Budget("x", 10)
        assert all(b.spend() for _ in range(10))
        assert not b.spend() and b.exhausted
        b.extend(5)
        assert b.spend() and b.exhausted  # more allowance, but it stays marked as having run out
    assert t.steps == 12 and t.exhausted == ["x"] and t.by_search == {"x": 12}


@pytest.mark.parametrize("kind", sorted(KINDS))
def test_adversarial_inputs_parse_to_one_record_within_budget(rules_only: Pipeline, kind: str) -> None:
    adv = make_adversarial(31, 2, kind)
    doc = _parse(rules_only, adv.text, adv.name)
    rec = doc.to_record()
    assert rec["status"] in ("ok", "not_a_report"), rec["error"]
    assert doc.search is not None
    # each search is bounded by its own budget; a document runs a bounded number of them per table row
    assert doc.search.steps <= 400_000, doc.search.by_search


def test_the_stuck_report_of_the_issue_is_bounded(rules_only: Pipeline) -> None:
    """A glued table 3 whose own sums do not hold: 4.8 M solve steps (49 s, 1 GB) before budgets."""
    adv = make_adversarial(777, 5, "broken_sums")
    doc = _parse(rules_only, adv.text)
    assert doc.search.steps < 200_000, doc.search.by_search
    assert doc.search.by_search.get("digits.solve", 0) <= digits.SOLVE_STEPS + 20_000


@pytest.mark.parametrize("maker,sizes", [(many_rows, (25, 50, 100, 200, 400)), (table_chain, (1, 2, 4, 8, 16))])
def test_steps_grow_no_faster_than_length(rules_only: Pipeline, maker, sizes) -> None:
    """The step counter (not the clock) over growing inputs: steps per character never climb."""
    _, base = _base(31, 0)
    per_char = []
    for size in sizes:
        text = maker(random.Random(1), base, size)
        doc = _parse(rules_only, text)
        per_char.append((doc.search.steps + 1) / len(text))
    top = max(per_char[:2])
    assert all(p <= 1.5 * top for p in per_char[2:]), per_char


@pytest.mark.parametrize("style", ["glued_lines", "crawl", "pdf_raw", "pipe_cells"])
def test_no_budget_runs_out_on_ordinary_reports(rules_only: Pipeline, style: str) -> None:
    for i in range(3):
        g = generate_one(4244, i, style)
        doc = _parse(rules_only, g.text, g.name)
        assert not doc.search.exhausted, (g.name, doc.search.by_search)
        assert not any(f.code == BUDGET_FLAG for f in doc.flags)


def _wrong_unflagged(doc, gold) -> list[str]:
    """Silent errors, as the evaluation harness counts them."""
    from nianbao.evaluation.score import score_fields

    results, _ = score_fields(gold, doc.to_record())
    return [r.field for r in results if r.silent]


def test_a_budget_that_runs_out_flags_what_it_decided(rules_only: Pipeline, monkeypatch: pytest.MonkeyPatch) -> None:
    """Starve the joint solve: the soft beam's reading stands, every field it chose carries search.budget
    (with the other reading), and no wrong value is left unflagged."""
    g = generate_one(777, 5, "glued_lines")
    baseline = _parse(rules_only, g.text)
    assert not baseline.search.exhausted and baseline.search.by_search.get("digits.solve", 0) > 10
    monkeypatch.setattr(digits, "SOLVE_STEPS", 10)
    doc = _parse(rules_only, g.text)
    assert "digits.solve" in doc.search.exhausted
    budget_flags = [f for f in doc.flags if f.code == BUDGET_FLAG]
    assert budget_flags and budget_flags[0].fields and budget_flags[0].alternatives
    assert all(f.startswith("t3.") for f in budget_flags[0].fields)
    assert _wrong_unflagged(doc, g) == []


def test_a_starved_row_search_is_flagged(rules_only: Pipeline, monkeypatch: pytest.MonkeyPatch) -> None:
    g = generate_one(777, 5, "glued_lines")
    from nianbao.rules import tables

    monkeypatch.setattr(tables, "ROW_STEPS", 3)
    doc = _parse(rules_only, g.text)
    assert "digits.row" in doc.search.exhausted
    assert any(f.code == BUDGET_FLAG for f in doc.flags)
    assert _wrong_unflagged(doc, g) == []


def test_stream_segmentation_budget() -> None:
    from nianbao.rules.events import Event

    text = "1\n4\n\n2\n5\n\n3\n6\n"
    evs = [Event("VAL", i, i + 1, text[i]) for i in (0, 2, 5, 7, 10, 12)]
    assert stream.segmentations(text, evs, 2, 3)
    b = Budget("stream.segment", 0)
    assert stream.segmentations(text, evs, 2, 3, b) == [] and b.exhausted


def test_stress_kinds_are_all_makers() -> None:
    assert set(STRESS_KINDS) <= set(KINDS)


def test_rows_the_document_allowance_leaves_unread_are_flagged(rules_only: Pipeline,
                                                                monkeypatch: pytest.MonkeyPatch) -> None:
    """A document whose row searches have spent its allowance: later rows get no reading, are flagged
    search.budget and leave the joint solve (identities through them dropped); the record is not an error."""
    from nianbao.rules import tables

    g = generate_one(777, 5, "glued_lines")
    monkeypatch.setattr(tables, "DOC_ROW_STEPS", 300)
    monkeypatch.setattr(tables, "DOC_ROW_STEPS_PER_CHAR", 0)
    doc = _parse(rules_only, g.text)
    assert doc.status == "ok", doc.error
    assert "digits.row" in doc.search.exhausted
    assert any(f.code == BUDGET_FLAG for f in doc.flags)
    assert _wrong_unflagged(doc, g) == []
