"""Glued digit runs: the per-row split search and the joint solve across rows."""

from __future__ import annotations

import math
import random
import time

from nianbao.rules.digits import (
    Candidate,
    ColRule,
    Identity,
    Item,
    row_candidates,
    solve_rows,
)

ROW_TOTAL = [(6, (0, 1, 2, 3, 4, 5))]
T4_SUMS = [(4, (0, 1, 2, 3)), (9, (5, 6, 7, 8)), (14, (10, 11, 12, 13))]


def run(text: str, probs: tuple[float, ...] | None = None) -> list[Item]:
    return [Item("run", text, 100, 100 + len(text), probs)]


def consistent(cands: list[Candidate]) -> list[tuple[str | None, ...]]:
    return [c.texts() for c in cands if c.violations == 0]


def test_one_cell_per_character_is_the_only_reading_of_a_full_length_run() -> None:
    assert consistent(row_candidates(run("0000000"), 7, sums=ROW_TOTAL)) == [("0",) * 7]
    assert [c.texts() for c in row_candidates(run("202"), 3)] == [("2", "0", "2")]
    assert consistent(row_candidates(run("0" * 15), 15, sums=T4_SUMS)) == [("0",) * 15]


def test_cut_spans_point_at_their_characters() -> None:
    (cand,) = row_candidates(run("521000053"), 7, sums=ROW_TOTAL)
    assert cand.texts() == ("52", "1", "0", "0", "0", "0", "53")
    assert [(s.start, s.end) for s in cand.slots][:2] == [(100, 102), (102, 103)]
    assert all(s.kind == "split" for s in cand.slots)


def test_the_row_total_pins_a_run_with_more_characters_than_cells() -> None:
    assert consistent(row_candidates(run("64302116"), 7, sums=ROW_TOTAL)) == [("6", "4", "3", "0", "2", "1", "16")]
    assert consistent(row_candidates(run("31191230523141"), 7, sums=ROW_TOTAL)) == [
        ("3119", "12", "3", "0", "5", "2", "3141")]


def test_no_leading_zeros_except_zero_itself() -> None:
    for cand in row_candidates(run("1000101"), 3):
        assert all(t == "0" or not t.startswith("0") for t in cand.texts())


def test_table4_group_totals_pin_each_group() -> None:
    text = "".join(["1", "2", "0", "3", "6", "1", "0", "0", "0", "1", "0", "0", "1", "0", "1"])
    assert consistent(row_candidates(run(text), 15, sums=T4_SUMS)) == [tuple(text)]
    wide = "12" + "3" + "0" + "0" + "15" + "0" * 5 + "1" + "0" * 3 + "1"
    assert consistent(row_candidates(run(wide), 15, sums=T4_SUMS)) == [
        ("12", "3", "0", "0", "15", "0", "0", "0", "0", "0", "1", "0", "0", "0", "1")]


def test_a_run_without_arithmetic_has_every_valid_reading() -> None:
    readings = {c.texts() for c in row_candidates(run("8801"), 3)}
    assert readings == {("8", "80", "1"), ("88", "0", "1")}


def test_start_probabilities_rank_the_readings() -> None:
    probs = (0.99, 0.95, 0.03, 0.97)  # cells start at 0, 1, 3: 8 | 80 | 1
    best = row_candidates(run("8801", probs), 3)[0]
    assert best.texts() == ("8", "80", "1")
    other = row_candidates(run("8801", probs), 3)[1]
    assert best.logp - other.logp > math.log(10)


def test_negative_change_and_glued_marks() -> None:
    rules = [ColRule(), ColRule(negative=True), ColRule()]
    assert row_candidates(run("7-3799"), 3, rules=rules)[0].texts() == ("7", "-3", "799")
    assert [c.texts() for c in row_candidates(run("——1"), 3)] == [("—", "—", "1")]
    assert [c.texts() for c in row_candidates(run("/0/"), 3)] == [("/", "0", "/")]


def test_money_cells_may_carry_decimals_and_the_run_unit() -> None:
    items = [Item("run", "38.5", 0, 4, unit="万元")]
    (cand,) = row_candidates(items, 2, rules=[ColRule(), ColRule(decimal=True)])
    assert cand.texts() == ("3", "8.5") and cand.slots[1].unit == "万元"


def test_short_runs_leave_blank_cells_without_trace() -> None:
    cands = row_candidates(run("000"), 7, sums=ROW_TOTAL)
    assert cands and all(sum(s.kind == "gap" for s in c.slots) == 4 for c in cands)
    assert all(s.start == s.end for s in cands[0].slots if s.kind == "gap")
    (empty,) = row_candidates([], 7, sums=ROW_TOTAL)
    assert empty.texts() == (None,) * 7 and empty.violations == 0


def test_separate_items_keep_their_own_cells() -> None:
    items = [Item("cell", "12", 0, 2), Item("blank", "", 3, 4), Item("run", "30", 5, 7)]
    readings = [c.texts() for c in row_candidates(items, 4)]
    assert readings == [("12", None, "3", "0")]


def test_unsatisfiable_sums_keep_the_probable_readings_with_their_violations() -> None:
    cands = row_candidates(run("1234567"), 7, sums=ROW_TOTAL)
    assert cands and all(c.violations == 1 for c in cands)


def test_joint_solve_uses_column_identities_across_rows() -> None:
    def cand(v: int) -> Candidate:
        return Candidate((), 0.0, 0, (v,))

    rows = [[cand(1), cand(2)], [cand(5)], [cand(3), cand(4)], [cand(4)]]
    ident = [Identity(0, (0, 1), (2, 3))]  # r0 + r1 = r2 + r3
    sol = solve_rows(rows, ident)
    assert sol.violations == 0
    assert [rows[k][c].values[0] for k, c in enumerate(sol.choice)] == [2, 5, 3, 4]
    assert all(violations > 0 for _, _, violations in sol.alternatives)


def test_joint_solve_reports_ties() -> None:
    def cand(v: int) -> Candidate:
        return Candidate((), 0.0, 0, (v,))

    rows = [[cand(1), cand(2)], [cand(2), cand(1)], [cand(3)]]
    sol = solve_rows(rows, [Identity(0, (0, 1), (2,))])
    assert sol.violations == 0 and any(v == 0 for _, _, v in sol.alternatives)


def test_the_search_is_fast_on_long_runs() -> None:
    rng = random.Random(5)
    start = time.process_time()
    for _ in range(200):
        vals = [rng.choice([0, 0, 1, 3, 12, 57, 140, 2210]) for _ in range(6)]
        text = "".join(map(str, vals)) + str(sum(vals))
        cands = row_candidates(run(text), 7, sums=ROW_TOTAL)
        assert tuple(map(str, vals)) + (str(sum(vals)),) in consistent(cands)
    assert time.process_time() - start < 10.0
