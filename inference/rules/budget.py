"""Deterministic work budgets for the rule layer's searches, counted in steps, never in seconds.

Every search of the rule layer (cuts of a glued run, the joint solve across rows, table 3's value-stream
segmentations, table 4's block orders, ...) spends steps from a ``Budget`` of its own. A step is one unit
of the search's own work (a node of a depth-first enumeration, one state x candidate expansion of the
joint solve), so the same document costs the same steps on every machine and in every worker, and the
output never depends on the machine's speed. When a budget runs out, the search stops and keeps the best
it has found; its caller flags every field the cut-short search decided (``search.budget``).

Budgets of one document are tallied (``tally``) so that tests and benchmarks can check that the steps a
document costs grow no faster than its length.

>>> with tally() as t:
...     b = Budget("demo", 3)
...     [b.spend() for _ in range(5)]
[True, True, True, False, False]
>>> b.exhausted, t.steps, t.exhausted
(True, 5, ['demo'])
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field

BUDGET_FLAG = "search.budget"


@dataclass
class Tally:
    """The steps every budget of one document spent, and which budgets ran out."""

    steps: int = 0
    by_search: dict[str, int] = field(default_factory=dict)
    peak: dict[str, int] = field(default_factory=dict)  # the most steps one search of each kind took
    exhausted: list[str] = field(default_factory=list)


_CURRENT: ContextVar[Tally | None] = ContextVar("nianbao_search_tally", default=None)


@contextmanager
def tally() -> Iterator[Tally]:
    """Count the steps of every budget created inside the block (one document's rule stage)."""
    t = Tally()
    token = _CURRENT.set(t)
    try:
        yield t
    finally:
        _CURRENT.reset(token)


def left(name: str, cap: int) -> int:
    """Steps the current document's searches called ``name`` may still spend under a per-document ``cap``.

    >>> with tally():
    ...     Budget("row", 100).spend(30)
    ...     left("row", 50)
    True
    20
    """
    t = _CURRENT.get()
    return max(0, cap - (t.by_search.get(name, 0) if t is not None else 0))


class Budget:
    """A search's allowance of ``limit`` steps; ``spend`` says whether the search may go on."""

    __slots__ = ("name", "limit", "used", "exhausted", "_tally")

    def __init__(self, name: str, limit: int) -> None:
        self.name, self.limit, self.used, self.exhausted = name, limit, 0, False
        self._tally = _CURRENT.get()

    def spend(self, n: int = 1) -> bool:
        """Count ``n`` steps; False once the limit is passed (the search must stop and keep what it has)."""
        used = self.used = self.used + n
        t = self._tally
        if t is not None:
            t.steps += n
            name, by_search, peak = self.name, t.by_search, t.peak
            by_search[name] = by_search.get(name, 0) + n
            if used > peak.get(name, 0):
                peak[name] = used
        if used > self.limit:
            self.give_up()
            return False
        return True

    def give_up(self) -> None:
        """Mark the budget run out without spending (a search that narrowed itself to fit it)."""
        if not self.exhausted:
            self.exhausted = True
            if self._tally is not None:
                self._tally.exhausted.append(self.name)

    def extend(self, n: int) -> None:
        """Allow ``n`` more steps (a fallback search after this one); an exhausted budget stays marked."""
        self.limit += n


@dataclass(frozen=True)
class Spent:
    """What the budgets of one stretch of a document's work spent (``mark`` then ``spent_since``): steps per
    search, the peaks that stretch raised, and whether a budget ran out in it."""

    steps: int = 0
    by_search: dict[str, int] = field(default_factory=dict)
    peak: dict[str, int] = field(default_factory=dict)
    exhausted: bool = False


_Mark = tuple[Tally, int, dict[str, int], dict[str, int], int]


def mark() -> _Mark | None:
    """The current document's tally as it stands (None outside ``tally``)."""
    t = _CURRENT.get()
    return None if t is None else (t, t.steps, dict(t.by_search), dict(t.peak), len(t.exhausted))


def spent_since(m: _Mark | None) -> Spent:
    """What the budgets spent since ``mark`` returned ``m``.

    >>> with tally():
    ...     m = mark()
    ...     _ = Budget("row", 10).spend(4)
    ...     spent_since(m)
    Spent(steps=4, by_search={'row': 4}, peak={'row': 4}, exhausted=False)
    """
    if m is None:
        return Spent()
    t, steps, by_search, peak, exhausted = m
    return Spent(t.steps - steps,
                 {k: v - by_search.get(k, 0) for k, v in t.by_search.items() if v != by_search.get(k, 0)},
                 {k: v for k, v in t.peak.items() if v != peak.get(k, 0)}, len(t.exhausted) > exhausted)


def replay(spent: Spent) -> None:
    """Count ``spent`` in the current document's tally as if its searches ran again here (the same steps, and
    a peak raised as they raised it); a stretch whose budgets ran out cannot be replayed."""
    if spent.exhausted:
        raise ValueError("a stretch of work whose budget ran out cannot be replayed")
    t = _CURRENT.get()
    if t is None:
        return
    t.steps += spent.steps
    for k, v in spent.by_search.items():
        t.by_search[k] = t.by_search.get(k, 0) + v
    for k, v in spent.peak.items():
        if v > t.peak.get(k, 0):
            t.peak[k] = v
