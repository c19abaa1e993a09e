"""Table 3 read as a stream: values in row order, one per line, in row-major rows and column-major blocks.

Plain ``pdftotext`` (no ``-layout``) prints a table's cells one per line in the order the PDF draws
them: the row labels wander (a block's labels after its values, the first row's label pages later),
but the values keep the table's row order. Runs of rows come out either row by row (the row's
cells, each followed by a blank line) or column by column (the first column's values for ``k``
rows on consecutive lines, a blank line, the next column's ...). The blank lines are the only
trace of which, so a reading is a segmentation of the value stream into row-major rows and
``k``-row blocks whose line breaks match exactly; the template's arithmetic then picks among the
segmentations that fit::

    >>> from nianbao.rules.events import Event
    >>> text = "1\\n4\\n\\n2\\n5\\n\\n3\\n6\\n"   # 2 rows x 3 columns printed column by column
    >>> evs = [Event("VAL", i, i + 1, text[i]) for i in (0, 2, 5, 7, 10, 12)]
    >>> [[[e.text for e in r] for r in reading] for reading in segmentations(text, evs, 2, 3)]
    [[['1', '2', '3'], ['4', '5', '6']]]

Labels place nothing here: the rows are the table's rows in template order (those whose labels
were found, or the template's full row list when the value count says so). The table rebuild uses
``stream_reading`` where it breaks fewer of the template's identities than the reading by labels,
or as few where it holds a column-major block: the sure sign of this layout, in which labels
wander and their proximity means nothing.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from itertools import pairwise

from nianbao.labels.catalogue import T3_ROWS, invariants_for, t3_rows
from nianbao.rules.budget import Budget
from nianbao.rules.events import Event
from nianbao.rules.validate import broken_sums
from nianbao.rules.values import parse_cell

MAX_READINGS = 64  # segmentations kept; the layout constraint leaves a handful in practice
# Steps (search nodes) one segmentation search may take. The line-break layout leaves one or two ways to go
# on at each node, so a real stream of 25 rows costs a few hundred nodes (the synthetic pdf_raw reports: at
# most ~300); 20,000 bounds a pathological stream at ~20 ms on one core here.
STREAM_STEPS = 20_000
_ORDER = {r.key: k for k, r in enumerate(T3_ROWS)}


@dataclass
class StreamReading:
    """Rows (catalogue keys, template order) with their value events in column order."""

    keys: list[str]
    cells: list[list[Event]]
    violations: int
    column_major: bool = False  # holds a column-major block (the sure sign of plain pdftotext output)
    disputed: dict[str, list[float | int | None]] = field(default_factory=dict)  # field -> other readings' values
    exhausted: bool = False  # a segmentation search ran out of its budget: other segmentations may fit as well


def _gap(text: str, a: Event, b: Event) -> str:
    """``tight`` (next line), ``break`` (a blank line between) or ``hard`` (anything else between)."""
    between = text[a.end:b.start]
    if between.strip():
        return "hard"
    return "break" if between.count("\n") >= 2 else "tight"


def one_per_line(text: str, values: list[Event]) -> bool:
    """Whether every value sits alone on its line (the signature of the stream layout)."""
    for e in values:
        head = text[text.rfind("\n", 0, e.start) + 1:e.start]
        nl = text.find("\n", e.end)
        tail = text[e.end:nl if nl >= 0 else len(text)]
        if head.strip() or tail.strip():
            return False
    return True


def segmentations(text: str, values: list[Event], rows: int, n: int,
                  budget: Budget | None = None) -> list[list[list[Event]]]:
    """Readings of ``rows`` × ``n`` values as row-major rows and column-major blocks that fit the line breaks;
    each reading is a list of rows, each row its ``n`` value events in column order. The search spends one
    step of ``budget`` per node (``STREAM_STEPS`` when none is given)."""
    budget = budget if budget is not None else Budget("stream.segment", STREAM_STEPS)
    if len(values) != rows * n or rows == 0:
        return []
    gaps = [_gap(text, a, b) for a, b in pairwise(values)]
    out: list[list[tuple[int, int]]] = []  # (first value index, rows in the segment)

    def fits(i: int, k: int) -> bool:
        end = i + k * n
        if end < len(values) and gaps[end - 1] == "tight":
            return False
        inner = gaps[i:end - 1]
        if k == 1:
            return all(g == "tight" for g in inner) or all(g != "tight" for g in inner)
        return all(g == ("break" if (j + 1) % k == 0 else "tight") for j, g in enumerate(inner))

    def rec(i: int, left: int, acc: list[tuple[int, int]]) -> None:
        if len(out) >= MAX_READINGS or not budget.spend():
            return
        if left == 0:
            out.append(list(acc))
            return
        for k in range(1, left + 1):
            if fits(i, k):
                acc.append((i, k))
                rec(i + k * n, left - k, acc)
                acc.pop()

    rec(0, rows, [])
    readings = []
    for segs in out:
        reading: list[list[Event]] = []
        for i, k in segs:
            if k == 1:
                reading.append(values[i:i + n])
            else:
                reading += [[values[i + c * k + m] for c in range(n)] for m in range(k)]
        readings.append(reading)
    return readings


def _row_sets(found: list[str], count: int, n: int) -> list[list[str]]:
    """Row key lists (template order) the stream may fill: the rows whose labels were found, else a
    template's full list holding them, whichever the value count fits."""
    mine = sorted(set(found), key=_ORDER.__getitem__)
    out = []
    if len(mine) * n == count:
        out.append(mine)
    for tpl in ("v2021", "v2019"):
        keys = [r.key for r in t3_rows(tpl)]
        if len(keys) * n == count and set(mine) <= set(keys) and keys not in out:
            out.append(keys)
    return out


def _number(e: Event) -> float | int | None:
    try:
        return parse_cell(e.text).value
    except ValueError:
        return None


def violations(values: dict[str, float | int | None]) -> int:
    """How many of the template's identities a field -> value dict breaks (blanks count as 0)."""
    return sum(broken_sums(values, inv) is not None for inv in invariants_for(frozenset(values)))


def stream_reading(text: str, evs: list[Event], found: list[str], cols: list[str]) -> StreamReading | None:
    """The best stream reading of table 3's events (None when the layout is not one value per line or no
    segmentation fits). ``found``: keys of the rows whose labels were read; ``cols``: the columns in
    printed order."""
    values = [e for e in evs if e.tag in ("VAL", "BLANK")]
    n = len(cols)
    if not values or any(e.tag != "VAL" for e in values) or not one_per_line(text, values):
        return None
    scored: list[tuple[int, list[str], list[list[Event]], dict[str, float | int | None]]] = []
    budget = Budget("stream.segment", 0)  # STREAM_STEPS for each row list the stream may fill
    for keys in _row_sets(found, len(values), n):
        budget.extend(STREAM_STEPS)
        for reading in segmentations(text, values, len(keys), n, budget):
            vals = {f"t3.{key}.{c}": _number(e) for key, row in zip(keys, reading, strict=True)
                    for c, e in zip(cols, row, strict=True)}
            scored.append((violations(vals), keys, reading, vals))
    if not scored:
        return None
    scored.sort(key=lambda s: s[0])
    best_viol, keys, reading, vals = scored[0]
    at = {id(e): k for k, e in enumerate(values)}
    column_major = any(at[id(b)] != at[id(a)] + 1 for row in reading for a, b in pairwise(row))
    disputed: dict[str, list[float | int | None]] = {}
    for viol, _, _, other in scored[1:]:
        if viol != best_viol:
            break
        for f, v in vals.items():
            alt = other.get(f, v)
            if alt != v and alt not in disputed.setdefault(f, []):
                disputed[f].append(alt)
    disputed = {f: alts for f, alts in disputed.items() if alts}
    return StreamReading(keys, reading, best_viol, column_major, disputed, budget.exhausted)
