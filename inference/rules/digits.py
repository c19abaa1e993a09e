"""Splitting glued digit runs into cells: per-row candidate search and a joint solve across rows.

A row is a list of ``Item`` s (a glued ``run`` of digits, a single ``cell``, or a tagged ``blank``)
that must fill ``n`` columns. ``row_candidates`` enumerates the ways to cut the runs (no leading
zeros except ``0`` itself; decimals / a minus sign only where a column allows them), scores each by
the tagger's per-character cell-start probabilities (uniform without a model) and counts the
within-row sums it breaks (row total, table-4 group totals). Where no cut satisfies them, it keeps
the most probable cuts and reports their violations; where the items cannot fill every column,
it inserts blank cells with no trace (``gap`` s, at a cost).

``solve_rows`` picks one candidate per row so that the column identities across rows hold
(``new + carried_over = total + carried_forward``, ``total = sum of outcomes``): a search over
rows (fewest readings first) whose state is the open differences of those identities, pruned by
their signs (cells are >= 0), that admits no broken identity; only where none exists, a bounded
beam that counts them. Near-tied complete choices come back as alternatives, so the caller can
flag what the arithmetic and the tagger cannot settle.

    >>> cands = row_candidates([Item("run", "64302116", 0, 8)], 7, sums=[(6, (0, 1, 2, 3, 4, 5))])
    >>> [c.texts() for c in cands if c.violations == 0]
    [('6', '4', '3', '0', '2', '1', '16')]
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import lru_cache

from nianbao.rules.budget import Budget
from nianbao.rules.values import to_number

GAP_LOGP = math.log(0.02)  # cost of a blank cell that left no trace in the text
MARK_LOGP = math.log(0.2)  # cost of reading a glued "-" as the dash mark rather than a minus sign
GLUE_MARKS = frozenset({"-", "—", "/", "无", "——"})
MAX_LEAVES = 5000  # bound on enumerated cuts per row (a fifth of it once no cut fits the sums)
KEEP = 48  # candidates kept per row (all that satisfy the row's sums, up to MAX_CONSISTENT)
MAX_CONSISTENT = 2000
# Work budgets, in search steps (deterministic: the same on every machine; see ``rules.budget``).
# ROW_STEPS: nodes of one row's cut enumeration. Real rows take < 100; 135 synthetic reports of every style at
# most 1,289 in one row, but a 21-digit glued table-3 row read without a model can take ~10,000 (the random
# rows of tests/test_digits.py). A node costs ~5 µs here, so 20,000 bounds a row at ~0.1 s.
ROW_STEPS = 20_000
# DOC_ROW_STEPS + DOC_ROW_STEPS_PER_CHAR: what all the row searches of one document may spend together (both
# readings of a cross-read included), linear in its length: ordinary reports spend < 3,500 in all; a table 3
# with hundreds of glued rows under its labels would spend ROW_STEPS on each. 30,000 + 1 a character caps a
# 20k-character report at 50,000 nodes (~0.25 s); rows searched past it are flagged as cut short.
DOC_ROW_STEPS = 30_000
DOC_ROW_STEPS_PER_CHAR = 1
# SOLVE_STEPS: state x candidate expansions of the joint solve across table 3's rows that admits no broken
# identity. Ordinary reports need < 500; a glued table 3 whose own sums do not hold can need millions (one
# 4k-character report: 4.8 M, 49 s and 1 GB) before it proves that no consistent choice exists. An expansion
# costs ~10 µs here, so 30,000 caps the solve at ~0.3 s; past it, the bounded soft beam (width 256, 16
# readings a row) gives the reading with the fewest broken sums, and every field it chose is flagged.
SOLVE_STEPS = 30_000
# SOFT_STEPS: the soft beam's expansions (states x readings, summed over rows; width 256, 16 readings a row).
# Ordinary reports need < 200; a table 3 with hundreds of glued rows under its labels > 60,000 (~1.5 s). Past
# 10,000 (~50 ms here) the beam is run again NARROW_BEAM wide (at most 8 x 16 x rows expansions), and the
# fields it chose are flagged as cut short.
SOFT_STEPS = 10_000
NARROW_BEAM = 8
_INT = re.compile(r"^(?:0|[1-9]\d{0,6})$")
_DEC = re.compile(r"^(?:0|[1-9]\d{0,9})(?:\.\d{1,6})?$")
_NEG = re.compile(r"^-?(?:0|[1-9]\d{0,6})$")


@dataclass(unsafe_hash=True)
class Item:
    """A piece of a row: ``run`` (digits that may hold several cells), ``cell`` or ``blank``.

    ``probs`` are per-character cell-start probabilities for a run (None: uniform prior).
    ``unit`` is a unit printed after a run (``3251000元``); it belongs to the run's last cell.
    """

    kind: str
    text: str
    start: int
    end: int
    probs: tuple[float, ...] | None = None
    unit: str | None = None

    def __init__(self, kind: str, text: str, start: int, end: int, probs: tuple[float, ...] | None = None,
                 unit: str | None = None) -> None:
        """Written out so that mypyc compiles it (``nianbao.rules._native``)."""
        self.kind, self.text, self.start, self.end, self.probs, self.unit = kind, text, start, end, probs, unit


@dataclass(unsafe_hash=True)
class Slot:
    """One resolved cell: its text (None for a blank), span, and how it was found."""

    text: str | None
    start: int
    end: int
    kind: str  # "cell" | "blank" | "split" | "gap"
    unit: str | None = None

    def __init__(self, text: str | None, start: int, end: int, kind: str, unit: str | None = None) -> None:
        """Written out so that mypyc compiles it (``nianbao.rules._native``)."""
        self.text, self.start, self.end, self.kind, self.unit = text, start, end, kind, unit


@dataclass
class Candidate:
    """One way to fill a row's columns, with its log-probability and broken within-row sums."""

    slots: tuple[Slot, ...]
    logp: float
    violations: int = 0
    values: tuple[float | int | None, ...] = field(default=())

    def __init__(self, slots: tuple[Slot, ...], logp: float, violations: int = 0,
                 values: tuple[float | int | None, ...] = ()) -> None:
        """Written out so that mypyc compiles it (``nianbao.rules._native``)."""
        self.slots, self.logp, self.violations, self.values = slots, logp, violations, values

    def texts(self) -> tuple[str | None, ...]:
        """The cell texts, in column order."""
        return tuple(s.text for s in self.slots)


@dataclass(unsafe_hash=True)
class ColRule:
    """What a column's cells may look like inside a glued run."""

    decimal: bool = False
    negative: bool = False

    def __init__(self, decimal: bool = False, negative: bool = False) -> None:
        """Written out so that mypyc compiles it (``nianbao.rules._native``)."""
        self.decimal, self.negative = decimal, negative

    def valid(self, text: str) -> bool:
        """Whether ``text`` can be one cell of this column (no leading zeros except ``0``).

        >>> ColRule().valid("07"), ColRule().valid("0"), ColRule(decimal=True).valid("8.3"), ColRule().valid("-")
        (False, True, True, True)
        """
        return _valid(self.decimal, self.negative, text)


@lru_cache(maxsize=1 << 16)
def _valid(decimal: bool, negative: bool, text: str) -> bool:
    """``ColRule.valid``, memoised (the cut searches ask for the same pieces again and again)."""
    if text in GLUE_MARKS:
        return True  # a mark (a null cell) glued between digits
    if decimal:
        return bool(_DEC.match(text))
    if negative:
        return bool(_NEG.match(text))
    return bool(_INT.match(text))


def cell_value(text: str | None) -> float | int | None:
    """The number of a resolved digit cell (None for blanks and marks)."""
    if text is None or text in GLUE_MARKS:
        return None
    return _number(text)


@lru_cache(maxsize=1 << 16)
def _number(text: str) -> float | int | None:
    """``to_number``, None for text that is not a number (memoised: cells repeat)."""
    try:
        return to_number(text)
    except ValueError:
        return None


def _sum_violations(values: Sequence[float | int | None], sums: Sequence[tuple[int, Sequence[int]]]) -> int:
    bad = 0
    for total, parts in sums:
        lhs = values[total] or 0
        rhs = sum(values[p] or 0 for p in parts)
        if not math.isclose(lhs, rhs, abs_tol=1e-6):
            bad += 1
    return bad


def _run_logp(probs: tuple[float, ...] | None, cuts: Sequence[int]) -> float:
    """Log-probability of cutting a run at ``cuts`` (cell starts after position 0)."""
    if probs is None:
        return 0.0
    cs = set(cuts)
    lp = 0.0
    for i in range(1, len(probs)):
        p = min(max(probs[i], 1e-4), 1 - 1e-4)
        lp += math.log(p) if i in cs else math.log(1 - p)
    return lp


def row_candidates(items: Sequence[Item], n: int, *, sums: Sequence[tuple[int, Sequence[int]]] = (),
                   rules: Sequence[ColRule] | None = None, keep: int = KEEP,
                   budget: Budget | None = None) -> list[Candidate]:
    """Candidates for filling ``n`` columns from ``items``, best first (fewest violations, most probable).

    Cuts that break none of ``sums`` (``(total_col, part_cols)``) are searched first; only when none
    exists are the most probable cuts kept, with their violation counts. The enumeration spends steps
    from ``budget`` (one per search node; a fresh ``ROW_STEPS`` budget when none is given); when it runs
    out, the candidates found so far come back and ``budget.exhausted`` tells the caller to flag them.

    >>> [c.texts() for c in row_candidates([Item("run", "202", 0, 3)], 3)]
    [('2', '0', '2')]
    >>> len(row_candidates([Item("run", "8801", 0, 4)], 3))
    2
    """
    rules = list(rules) if rules is not None else [ColRule()] * n
    budget = budget if budget is not None else Budget("digits.row", ROW_STEPS)
    allowance = budget.limit - budget.used
    capacity = sum(len(it.text) if it.kind == "run" else 1 for it in items)
    gaps = capacity < n
    if not items:
        slot = Slot(None, 0, 0, "gap")
        return [Candidate((slot,) * n, 0.0, _sum_violations([None] * n, sums), (None,) * n)]
    direct = _direct(items, n, sums, rules)
    if direct is not None:
        return direct
    blocks = _blocks(items, n, sums, rules)
    if blocks is not None:
        found = _block_search(items[0], n, blocks, budget)
    else:
        found = _search(items, n, sums, rules, gaps, hard=bool(sums), budget=budget)
    if not found and sums:  # no cut keeps the sums: the most probable cuts, on an allowance of their own
        budget.extend(allowance)
        found = _search(items, n, sums, rules, gaps, hard=False, budget=budget)
    found.sort(key=lambda c: (c.violations, -c.logp))
    if found and found[0].violations == 0 and sums:
        return [c for c in found if c.violations == 0][:MAX_CONSISTENT] or found[:keep]
    return found[:keep]


def _direct(items: Sequence[Item], n: int, sums: Sequence[tuple[int, Sequence[int]]],
            rules: Sequence[ColRule]) -> list[Candidate] | None:
    """The only reading when every item is one cell, or every character of every run is one cell."""
    if len(items) == n:
        pieces = [(it, 0, len(it.text)) for it in items]
    elif sum(len(it.text) if it.kind == "run" else 1 for it in items) == n:
        pieces = [(it, k, k + 1) if it.kind == "run" else (it, 0, len(it.text))
                  for it in items for k in (range(len(it.text)) if it.kind == "run" else (0,))]
    else:
        return None
    slots: list[Slot] = []
    values: list[float | int | None] = []
    lp = _base_lp(items)
    for col, (it, a, b) in enumerate(pieces):
        if it.kind == "blank":
            slots.append(Slot(None, it.start, it.end, "blank"))
            values.append(None)
        elif it.kind == "cell":
            slots.append(Slot(it.text, it.start, it.end, "cell", it.unit))
            values.append(_val(it))
        else:
            piece = it.text[a:b]
            if not rules[col].valid(piece):
                return None
            slots.append(Slot(piece, it.start + a, it.start + b, "split", it.unit if b == len(it.text) else None))
            values.append(cell_value(piece))
            if a > 0:
                lp += _cut_lp(it, a) + (MARK_LOGP if piece == "-" and rules[col].negative else 0.0)
    return [Candidate(tuple(slots), lp, _sum_violations(values, sums), tuple(values))]


def _blocks(items: Sequence[Item], n: int, sums: Sequence[tuple[int, Sequence[int]]],
            rules: Sequence[ColRule]) -> list[int] | None:
    """Block sizes when one glued run fills columns that split into consecutive blocks, each ending
    with the total of the cells before it (a table-3 row; table 4's three groups); else None."""
    if len(items) != 1 or items[0].kind != "run" or len(items[0].text) < n or not sums:
        return None
    if any(r.decimal or r.negative for r in rules) or not items[0].text.isdigit():
        return None
    sizes, start = [], 0
    for total, parts in sorted(sums):
        if sorted(parts) != list(range(start, total)):
            return None
        sizes.append(total - start + 1)
        start = total + 1
    return sizes if start == n else None


def _block_search(it: Item, n: int, sizes: list[int], budget: Budget) -> list[Candidate]:
    """Cuts of one run into blocks whose last cell is the sum of the others (suffix-first, sum-pruned)."""
    text = it.text
    out: list[Candidate] = []

    def parts(pos: int, end: int, k: int, rest: int) -> list[list[tuple[int, int]]]:
        """Cuts of text[pos:end] into k valid cells summing to ``rest``."""
        if not budget.spend():
            return []
        if k == 0:
            return [[]] if pos == end and rest == 0 else []
        if end - pos < k:
            return []
        found = []
        width = len(str(rest))
        for size in range(1, min(width, end - pos - (k - 1)) + 1):
            piece = text[pos:pos + size]
            if size > 1 and piece[0] == "0":
                break
            v = int(piece)
            if v > rest:
                break
            for tail in parts(pos + size, end, k - 1, rest - v):
                found.append([(pos, pos + size), *tail])
        return found

    def blocks(pos: int, b: int) -> list[list[tuple[int, int]]]:
        if not budget.spend():
            return []
        if b == len(sizes):
            return [[]] if pos == len(text) else []
        m = sizes[b]
        cols_after = sum(sizes[b + 1:])
        found = []
        ends = [len(text)] if b == len(sizes) - 1 else range(pos + m, len(text) - cols_after + 1)
        for end in ends:
            for t in range(1, min(7, end - pos - (m - 1)) + 1):
                tot = text[end - t:end]
                if t > 1 and tot[0] == "0":
                    continue
                for head in parts(pos, end - t, m - 1, int(tot)):
                    for tail in blocks(end, b + 1):
                        found.append([*head, (end - t, end), *tail])
                        if len(found) > MAX_LEAVES:
                            return found
        return found

    for cuts in blocks(0, 0):
        slots = tuple(Slot(text[a:b], it.start + a, it.start + b, "split", it.unit if b == len(text) else None)
                      for a, b in cuts)
        values = tuple(int(text[a:b]) for a, b in cuts)
        lp = _base_lp([it]) + sum(_cut_lp(it, a) for a, _ in cuts[1:])
        out.append(Candidate(slots, lp, 0, values))
    return out


def _search(items: Sequence[Item], n: int, sums: Sequence[tuple[int, Sequence[int]]],
            rules: Sequence[ColRule], gaps: bool, hard: bool, budget: Budget) -> list[Candidate]:
    """Depth-first enumeration of cuts; with ``hard``, a broken sum prunes the branch."""
    out: list[Candidate] = []
    leaves = 0
    limit = MAX_LEAVES if hard else MAX_LEAVES // 5
    check_at: dict[int, list[tuple[int, Sequence[int]]]] = {}
    total_of: dict[int, int] = {}  # part column -> its total column (total printed after its parts)
    part_cols: dict[int, Sequence[int]] = {}
    for total, parts in sums:
        check_at.setdefault(max([total, *parts]), []).append((total, parts))
        if hard and total > max(parts) and not any(rules[c].decimal or rules[c].negative for c in (total, *parts)):
            part_cols[total] = parts
            for p in parts:
                total_of[p] = total
    total_cols = set(total_of.values())
    min_after = [0] * (len(items) + 1)  # fewest cells the items from k on hold
    max_after = [0] * (len(items) + 1)  # most cells (= characters of runs) the items from k on hold
    for k in range(len(items) - 1, -1, -1):
        it = items[k]
        min_after[k] = min_after[k + 1] + 1
        max_after[k] = max_after[k + 1] + (len(it.text) if it.kind == "run" else 1)
    slots: list[Slot] = []
    values: list[float | int | None] = []
    widths: list[int] = []

    def ok(col: int) -> bool:
        if not hard:
            return True
        for total, parts in check_at.get(col, ()):
            if _sum_violations(values, [(total, parts)]):
                return False
        if col in total_cols and slots[col].kind == "split":
            parts = next(p for t, p in sums if t == col)
            if widths[col] < max((widths[p] for p in parts), default=0):
                return False  # a total has at least as many digits as each of its parts
        return True

    def push(slot: Slot, value: float | int | None) -> None:
        slots.append(slot)
        values.append(value)
        widths.append(slot.end - slot.start if slot.kind == "split" else 0)

    def pop() -> None:
        slots.pop()
        values.pop()
        widths.pop()

    def rec(k: int, pos: int, col: int, lp: float) -> None:
        nonlocal leaves
        if leaves >= limit or not budget.spend():
            return
        if col == n:
            if k == len(items):
                leaves += 1
                out.append(Candidate(tuple(slots), lp, _sum_violations(values, sums), tuple(values)))
            return
        remaining_cols = n - col
        if k < len(items):
            it = items[k]
            min_left = min_after[k] if pos == 0 else min_after[k + 1] + 1
            max_left = max_after[k] if pos == 0 else max_after[k + 1] + len(it.text) - pos
        else:
            it, min_left, max_left = None, 0, 0
        if remaining_cols < min_left or (not gaps and remaining_cols > max_left):
            return
        if gaps and remaining_cols > min_left:  # a blank cell that left no trace, here
            at = it.start + pos if it is not None else (slots[-1].end if slots else 0)
            push(Slot(None, at, at, "gap"), None)
            if ok(col):
                rec(k, pos, col + 1, lp + GAP_LOGP)
            pop()
        if it is None:
            return
        if it.kind != "run":
            text = None if it.kind == "blank" else it.text
            push(Slot(text, it.start, it.end, it.kind, it.unit), None if it.kind == "blank" else _val(it))
            if ok(col):
                rec(k + 1, 0, col + 1, lp)
            pop()
            return
        after_run = max_after[k + 1]
        chars_after_run = after_run  # max_after[k + 1]: the characters of the runs after this one, 1 per cell
        rule = rules[col]
        decimal, negative = rule.decimal, rule.negative
        rest = len(it.text) - pos
        sizes = range(1, min(rest, 17) + 1)
        if remaining_cols == 1:
            sizes = range(rest, rest + 1)  # the last column takes the rest of the run
        for size in sizes:
            end = pos + size
            piece = it.text[pos:end]
            if not _valid(decimal, negative, piece):  # rule.valid(piece)
                if (piece[0] == "0" and not rule.decimal) or piece[0] in "—/无":
                    break  # a leading zero (or mark) stays invalid for longer pieces
                continue
            left = len(it.text) - end
            if not gaps and remaining_cols - 1 > left + after_run:
                break
            if col in total_of and not gaps:  # room must remain for a total this wide and this large
                room = left + chars_after_run - (total_of[col] - col - 1)
                if room < size:
                    break
                tcol = total_of[col]
                partial = to_number(piece) + sum(values[p] or 0 for p in part_cols[tcol] if p < col)
                if room < 8 and partial >= 10 ** room:
                    break
            last = left == 0
            push(Slot(piece, it.start + pos, it.start + end, "split", it.unit if last else None), cell_value(piece))
            if ok(col):
                step = (0.0 if last else _cut_lp(it, end)) + (MARK_LOGP if piece == "-" and rule.negative else 0.0)
                rec(k + 1 if last else k, 0 if last else end, col + 1, lp + step)
            pop()

    rec(0, 0, 0, _base_lp(items))
    return out


def _val(it: Item) -> float | int | None:
    return _number(it.text)


def _base_lp(items: Sequence[Item]) -> float:
    """Log-probability that no run is cut anywhere (each cut then adds its log-odds)."""
    lp = 0.0
    for it in items:
        if it.kind == "run" and it.probs is not None:
            lp += _run_logp(it.probs, ())
    return lp


def _cut_lp(it: Item, at: int) -> float:
    """Log-odds of a cell starting at position ``at`` of a run (0 for the uniform prior)."""
    if it.probs is None:
        return 0.0
    p = min(max(it.probs[at], 1e-4), 1 - 1e-4)
    return math.log(p) - math.log(1 - p)


# ----------------------------------------------------------------- joint solve across rows
@dataclass(frozen=True)
class Identity:
    """A column identity across rows: sum of ``lhs`` rows' column == sum of ``rhs`` rows' column."""

    col: int
    lhs: tuple[int, ...]
    rhs: tuple[int, ...]


@dataclass
class Solution:
    """One chosen candidate index per row, with its score, and near-tied alternatives."""

    choice: tuple[int, ...]
    logp: float
    violations: int
    alternatives: list[tuple[tuple[int, ...], float, int]] = field(default_factory=list)
    exhausted: bool = False  # the search for a choice breaking no identity ran out of its budget


def solve_rows(rows: Sequence[Sequence[Candidate]], identities: Sequence[Identity], beam: int = 256) -> Solution:
    """Choose one candidate per row maximising (fewest broken identities, then probability).

    First a search that admits no broken identity, pruned by the signs of the sums (every cell
    is >= 0, so a side whose rows are all chosen bounds the other); only when no consistent choice
    exists, a beam over the most probable readings that counts broken identities.

    >>> a = [Candidate((), 0.0, 0, (1,)), Candidate((), 0.0, 0, (2,))]
    >>> b = [Candidate((), 0.0, 0, (3,))]
    >>> solve_rows([a, a, b], [Identity(0, (0, 1), (2,))]).choice
    (0, 1, 0)
    """
    # Identities through rows with one reading only are constants here (validation checks them).
    identities = [i for i in identities if any(len(rows[r]) > 1 for r in i.lhs + i.rhs)]
    best_viol = [min(c.violations for c in r) for r in rows]
    hard_rows = [[c for c in r if c.violations == v][:2000] for r, v in zip(rows, best_viol, strict=True)]
    budget = Budget("digits.solve", SOLVE_STEPS)
    sol = None
    if not _some_identity_impossible(hard_rows, identities):  # else no consistent choice exists: skip the search
        sol = _solve(hard_rows, identities, beam=20000, hard=True, budget=budget)
    exhausted = budget.exhausted
    if sol is None:  # no consistent choice (or none found within the budget): the soft beam, bounded by its width
        soft_rows = [r[:16] for r in rows]
        soft = Budget("digits.solve_soft", SOFT_STEPS)
        sol = _solve(soft_rows, identities, beam=beam, hard=False, budget=soft)
        if sol is None:  # it ran out: the narrowest beam, whose cost (8 x readings) is small whatever the rows
            soft.extend(10**9)
            sol = _solve(soft_rows, identities, beam=NARROW_BEAM, hard=False, budget=soft)
        exhausted = exhausted or soft.exhausted
        assert sol is not None
    # map indices in the filtered lists back to the rows' own candidate indices
    own = [{id(c): j for j, c in enumerate(r)} for r in rows]
    index = [[own[k][id(c)] for c in (hard_rows[k] if sol.hard else rows[k][:16])] for k in range(len(rows))]
    out = Solution(tuple(index[k][c] for k, c in enumerate(sol.choice)), sol.logp, sol.violations,
                   exhausted=exhausted)
    out.alternatives = [(tuple(index[k][c] for k, c in enumerate(ch)), lp, vi) for ch, lp, vi in sol.alternatives]
    return out


# The identity check: one step per (reachable sum x value) pair; ordinary reports need at most ~1,000,
# 50,000 caps it at ~25 ms here.
CHECK_STEPS = 50_000
MAX_SUMS = 4096  # reachable sums one identity's check may hold before it gives up (then: not proved impossible)


def _some_identity_impossible(rows: Sequence[Sequence[Candidate]], identities: Sequence[Identity]) -> bool:
    """Whether some identity alone cannot hold, whatever reading each of its rows takes (then no choice
    keeps every identity, and the joint search need not prove it by exhausting its states).

    Each identity's reachable differences (lhs - rhs) are built row by row from its rows' distinct values;
    a set past ``MAX_SUMS`` leaves the identity unproved (False), so the check costs at most
    ``MAX_SUMS`` x values per row.

    >>> a = [Candidate((), 0.0, 0, (1,)), Candidate((), 0.0, 0, (2,))]
    >>> _some_identity_impossible([a, [Candidate((), 0.0, 0, (7,))]], [Identity(0, (0,), (1,))])
    True
    >>> _some_identity_impossible([a, [Candidate((), 0.0, 0, (2,))]], [Identity(0, (0,), (1,))])
    False
    """
    budget = Budget("digits.identity_check", CHECK_STEPS)
    for ident in identities:
        coef: dict[int, int] = {}
        for r in ident.lhs:
            coef[r] = coef.get(r, 0) + 1
        for r in ident.rhs:
            coef[r] = coef.get(r, 0) - 1
        reach = {0.0}
        for r, c in coef.items():
            if c == 0:
                continue
            vals = {c * ((cand.values[ident.col] if ident.col < len(cand.values) else None) or 0) for cand in rows[r]}
            if not budget.spend(len(reach) * len(vals)):
                return False  # not proved within the budget: the joint search decides
            reach = {round(a + v, 6) for a in reach for v in vals}
            if len(reach) > MAX_SUMS:
                break
        else:
            if not any(math.isclose(a, 0, abs_tol=1e-6) for a in reach):
                return True
    return False


@dataclass
class _Partial:
    choice: tuple[int, ...]
    logp: float
    violations: int
    hard: bool = True
    alternatives: list[tuple[tuple[int, ...], float, int]] = field(default_factory=list)


def _solve(rows: Sequence[Sequence[Candidate]], identities: Sequence[Identity], beam: int,
           hard: bool, budget: Budget) -> _Partial | None:
    n = len(rows)
    order = sorted(range(n), key=lambda r: (len(rows[r]) > 1, len(rows[r]), r))
    pos = {r: k for k, r in enumerate(order)}
    sign: list[dict[int, int]] = [{} for _ in range(n)]
    for k, ident in enumerate(identities):
        for r in ident.lhs:
            sign[r][k] = sign[r].get(k, 0) + 1
        for r in ident.rhs:
            sign[r][k] = sign[r].get(k, 0) - 1
    last = [max(pos[r] for r in i.lhs + i.rhs) for i in identities]
    lhs_last = [max(pos[r] for r in i.lhs) for i in identities]
    rhs_last = [max(pos[r] for r in i.rhs) for i in identities]
    start: tuple[float, ...] = tuple(0.0 for _ in identities)
    entries: dict[tuple, list[tuple[float, int, tuple[int, ...]]]] = {start: [(0.0, 0, ())]}
    for step, r in enumerate(order):
        new: dict[tuple, list[tuple[float, int, tuple[int, ...]]]] = {}
        for state, lst in entries.items():
            if not budget.spend(len(rows[r])):  # one step per state x candidate expansion
                return None
            for ci, cand in enumerate(rows[r]):
                st = list(state)
                viol = 0
                dead = False
                for k, sg in sign[r].items():
                    v = cand.values[identities[k].col] if identities[k].col < len(cand.values) else None
                    st[k] += sg * (v or 0)
                    if step == last[k]:
                        if not math.isclose(st[k], 0, abs_tol=1e-6):
                            viol += 1
                            dead = hard
                        st[k] = 0.0
                    elif hard and ((step >= lhs_last[k] and st[k] < -1e-6) or (step >= rhs_last[k] and st[k] > 1e-6)):
                        dead = True  # the side still open can only move the difference the wrong way
                    if dead:
                        break
                if dead:
                    continue
                key = tuple(st)
                bucket = new.setdefault(key, [])
                for lp, vi, ch in lst:
                    bucket.append((lp + cand.logp, vi + viol + cand.violations, ch + (ci,)))
        pruned: dict[tuple, list[tuple[float, int, tuple[int, ...]]]] = {}
        for key, lst in new.items():
            lst.sort(key=lambda e: (e[1], -e[0]))
            pruned[key] = lst[:3]
        if len(pruned) > beam:
            keys = sorted(pruned, key=lambda k: (pruned[k][0][1], -pruned[k][0][0]))[:beam]
            pruned = {k: pruned[k] for k in keys}
        entries = pruned
        if not entries:
            return None
    final = sorted((e for lst in entries.values() for e in lst), key=lambda e: (e[1], -e[0]))
    if not final:
        return None

    def unorder(ch: tuple[int, ...]) -> tuple[int, ...]:
        return tuple(ch[pos[r]] for r in range(n))

    best = final[0]
    alts = [(unorder(ch), lp, vi) for lp, vi, ch in final[1:] if vi == best[1]]
    return _Partial(unorder(best[2]), best[0], best[1], hard, alts)


def single_swaps(rows: Sequence[Sequence[Candidate]], identities: Sequence[Identity], choice: Sequence[int],
                 margin: float = math.log(50.0), per_row: int = 64) -> list[tuple[tuple[int, ...], float, int]]:
    """Readings that differ from ``choice`` in one row and break no more sums, within ``margin`` of its
    log-probability: (choice, log-probability relative to ``choice``, violations).

    >>> a = [Candidate((), 0.0, 0, (0, None)), Candidate((), 0.0, 0, (None, 0))]
    >>> single_swaps([a], [], [0])
    [((1,), 0.0, 0)]
    """
    base = [rows[k][c] for k, c in enumerate(choice)]
    sums = []
    for ident in identities:
        s = sum(base[r].values[ident.col] or 0 for r in ident.lhs) - sum(base[r].values[ident.col] or 0
                                                                          for r in ident.rhs)
        sums.append(s)
    bad = [not math.isclose(s, 0, abs_tol=1e-6) for s in sums]
    base_viol = sum(c.violations for c in base) + sum(bad)
    touching = [[i for i, ident in enumerate(identities) if k in ident.lhs or k in ident.rhs] for k in range(len(rows))]
    out = []
    for k, cands in enumerate(rows):
        cur = base[k]
        for j, c in enumerate(cands[:per_row]):
            rel = c.logp - cur.logp
            if j == choice[k] or rel < -margin:
                continue
            viol = base_viol - cur.violations + c.violations
            for i in touching[k]:
                ident = identities[i]
                sign = ident.lhs.count(k) - ident.rhs.count(k)
                delta = sign * ((c.values[ident.col] or 0) - (cur.values[ident.col] or 0))
                viol += int(not math.isclose(sums[i] + delta, 0, abs_tol=1e-6)) - int(bad[i])
            if viol <= base_viol:
                alt = list(choice)
                alt[k] = j
                out.append((tuple(alt), rel, viol))
    return out
