"""Table 4 read as blocks printed out of order: each group's four results and its total, placed by the sums.

Table 4 is one row of fifteen cells: three groups (行政复议, 未经复议直接起诉, 复议后起诉) of four
results and a total. Plain ``pdftotext`` sometimes prints them in the order the PDF draws them,
not the table's: a group's four results, then another group's four under its header, then the
first group's total after a stray ``总计`` ... The flow of values is broken by header text exactly
where the order jumps.

So when the values read in printed order break a group's sum, the stream is cut into blocks
(each group's results, each group's total) and every order of the six blocks is tried, under two
constraints from the printed text:

- the order may only jump where text interrupts the values: two blocks printed next to each other
  with nothing between are next to each other in the table, in the table's order;
- a group header standing alone in the text before a block of results (``复议后起诉``) names its group.

Orders where every group's sum holds survive; the one closest to the table's own order wins. Where
an equally close order reads other values, those fields are disputed. A stream printed without any
interruption is never reordered, so a report whose own sums are wrong stays as printed (and flagged).

    >>> from nianbao.rules.events import Event
    >>> text = "4\\n0\\n0\\n0\\n复议后起诉\\n1\\n0\\n0\\n0\\n总计\\n4\\n0\\n0\\n0\\n0\\n0\\n总计\\n1\\n"
    >>> evs = []
    >>> for k, line in enumerate(text.split("\\n")):
    ...     at = sum(len(x) + 1 for x in text.split("\\n")[:k])
    ...     if line.isdigit():
    ...         evs.append(Event("VAL", at, at + len(line), line))
    >>> r = t4_reading(text, evs, list(CANON), 0)
    >>> [r.values[f] for f in ("review.total", "suit_direct.total", "suit_after_review.upheld")]
    [4, 0, 1]
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from itertools import pairwise, permutations

from nianbao.labels.catalogue import T4_COLS, T4_GROUPS, invariants_for
from nianbao.rules.budget import Budget
from nianbao.rules.events import Event
from nianbao.rules.validate import broken_sums
from nianbao.rules.values import parse_cell

GROUPS = tuple(g for g, _ in T4_GROUPS)
RESULTS = tuple(c for c, _ in T4_COLS if c != "total")
# The block search tries every order of table 4's six blocks once: 6! = 720 steps, whatever the text. Its
# budget is that count, so it never runs out; it is tallied with the document's other searches.
T4_ORDERS = 720
CANON = tuple(f"{g}.{c}" for g in GROUPS for c, _ in T4_COLS)
# a group's own header, as printed (复议后起诉 must not also count as 行政复议 or 直接起诉)
_GROUP_HEADS = (("suit_after_review", re.compile(r"复议后起诉")),
                ("suit_direct", re.compile(r"未经复议|直接起诉")),
                ("review", re.compile(r"行政复议")))


@dataclass
class T4Reading:
    """Table 4's cells (``group.col`` -> value event) read out of printed order."""

    cells: dict[str, Event]
    values: dict[str, float | int | None]
    disputed: dict[str, list[float | int | None]] = field(default_factory=dict)  # field -> equally close readings' values


@dataclass(frozen=True)
class _Block:
    group: str
    total: bool  # the group's total (one value) or its four results


def t4_reading(text: str, values: list[Event], cols: list[str], start: int) -> T4Reading | None:
    """The reading of table 4's value events that puts blocks back in order where the printed order breaks
    a group's sum; None when the printed order holds, or no reordering the text allows makes every sum hold.

    ``cols`` is the printed column order (``group.col``), ``start`` where table 4's text begins."""
    if len(values) != len(CANON):  # one cell each: glued runs would need cutting first
        return None
    try:
        nums = [parse_cell(e.text).value for e in values]
    except ValueError:
        return None
    if any(v is None for v in nums):
        return None
    if _sums_hold(dict(zip(cols, nums, strict=True))):
        return None
    order = _table_order(cols)
    heads = _heads_before(text, values, start)
    # whether text stands between value k - 1 and value k (index 0: never asked)
    interrupted = [False] + [bool(text[a.end:b.start].strip()) for a, b in pairwise(values)]
    best: list[tuple[int, dict[str, int]]] = []  # (distance, field -> value index)
    budget = Budget("t4.block_orders", T4_ORDERS)
    for perm in permutations(order):
        budget.spend()
        placed = _place(perm, order, cols, interrupted)
        if placed is None or not _sums_hold({f: nums[k] for f, k in placed.items()}):
            continue
        if not _heads_agree(perm, placed, heads):
            continue
        best.append((_distance(perm, order), placed))
    if not best:
        return None
    best.sort(key=lambda b: b[0])
    top = [p for d, p in best if d == best[0][0]]
    chosen = top[0]
    disputed: dict[str, list[float | int | None]] = {}
    for other in top[1:]:
        for f, k in chosen.items():
            if nums[other[f]] != nums[k]:
                disputed.setdefault(f, []).append(nums[other[f]])
    return T4Reading({f: values[k] for f, k in chosen.items()}, {f: nums[k] for f, k in chosen.items()}, disputed)


_SUMS = invariants_for(frozenset(f"t4.{c}" for c in CANON))  # each group's results add up to its total


def _sums_hold(values: dict[str, float | int | None]) -> bool:
    """Whether each group's four results add up to its total."""
    fields = {f"t4.{c}": v for c, v in values.items()}
    return not any(broken_sums(fields, inv) for inv in _SUMS)


def _table_order(cols: list[str]) -> tuple[_Block, ...]:
    """The six blocks in the order the printed headers give them (results before total unless printed after)."""
    out: list[_Block] = []
    for c in cols:
        g, col = c.split(".")
        b = _Block(g, col == "total")
        if b not in out:
            out.append(b)
    return tuple(out)


def _place(perm: tuple[_Block, ...], order: tuple[_Block, ...], cols: list[str],
           interrupted: list[bool]) -> dict[str, int] | None:
    """Field -> value index when the blocks are printed in ``perm`` order; None where two blocks that the
    text prints with nothing between (``interrupted[k]`` False) are not neighbours in the table's ``order``,
    or text interrupts a group's results."""
    placed: dict[str, int] = {}
    k = 0
    prev: _Block | None = None
    for b in perm:
        if prev is not None and order.index(b) != order.index(prev) + 1 and not interrupted[k]:
            return None
        if b.total:
            placed[f"{b.group}.total"] = k
            k += 1
        else:
            first = k
            for c in cols:
                if c.startswith(b.group + ".") and not c.endswith(".total"):
                    placed[c] = k
                    k += 1
            if any(interrupted[first + 1:k]):
                return None
        prev = b
    return placed


def _heads_before(text: str, values: list[Event], start: int) -> dict[int, str]:
    """Value index -> the group whose header alone stands in the text right before that value."""
    out = {}
    for k, e in enumerate(values):
        gap = text[(values[k - 1].end if k else start):e.start]
        named = set()
        for g, rx in _GROUP_HEADS:
            if rx.search(gap):
                named.add(g)
                gap = rx.sub("", gap)
        if len(named) == 1:
            out[k] = named.pop()
    return out


def _heads_agree(perm: tuple[_Block, ...], placed: dict[str, int], heads: dict[int, str]) -> bool:
    """Whether every block of results that a lone group header precedes belongs to that group."""
    for b in perm:
        if not b.total:
            k = min(placed[f"{b.group}.{c}"] for c in RESULTS)
            if k in heads and heads[k] != b.group:
                return False
    return True


def _distance(perm: tuple[_Block, ...], order: tuple[_Block, ...]) -> int:
    """Pairs of blocks printed in the opposite order to the table's (Kendall distance)."""
    rank = {b: k for k, b in enumerate(order)}
    r = [rank[b] for b in perm]
    return sum(1 for i in range(len(r)) for j in range(i + 1, len(r)) if r[i] > r[j])
