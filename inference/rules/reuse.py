"""Tables the cross-read's second reading takes over from the model's reading instead of reading them again.

The cross-read (``rules.crossread``) rebuilds every table from the rules-only reader's tags and compares the
values with the model's. Where both tag sets give one table the same events, the second build of that table
repeats the first, with one difference: the tagger's probabilities, which rank the readings of a row. When
every row of the model's reading had exactly one reading, no probability decided anything, and the second
build would read the same values; it is then skipped, and the model's values stand for the reader's.

``build(doc, certify=True)`` (``rules.tables``) leaves a ``Certificate`` for each such table: the events it
read, every question it asked of the tags outside them (where the next tag starts after a position: the end
of a rescued row, of a ``|``-separated row), and the work budget it spent. ``build(twin, reuse=...)`` takes
a certified table over only where the reader's events are the same (their text, place, line and glue; not
the tagger's own cells inside a glued run, which only a row that no cut reads consults, and such a row
is never certified), the same questions get the same answers from the reader's tags, and the document's
budget has the steps left that the table took; the budget's tally then counts those steps as if the table
had been read again, so later searches and the tally are what a second build would leave. A page's table
markup reads every table again (``html_tables.reconcile``): pages are never certified.
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any

from nianbao.document import Document, FieldValue
from nianbao.rules.budget import Spent, left, replay

EventKey = tuple[str, int, int, str, int, bool, bool]


@dataclass
class Watch:
    """What one table's build depended on beyond its events: whether a probability could have decided a
    reading, and the tag starts it looked up."""

    forced: bool = True  # every row had exactly one reading, found without the tagger's own cells
    queries: list[tuple[int, int]] = field(default_factory=list)  # (position, the next tag start at or after it)


_WATCH: ContextVar[Watch | None] = ContextVar("nianbao_table_watch", default=None)


@contextmanager
def watching(on: bool) -> Iterator[Watch | None]:
    """Watch the table build inside the block (None when ``on`` is false: nothing is recorded)."""
    w = Watch() if on else None
    token = _WATCH.set(w)
    try:
        yield w
    finally:
        _WATCH.reset(token)


def note_readings(count: int, from_cells: bool) -> None:
    """Record a row's readings: one reading stands whatever the probabilities; several, or a reading from the
    tagger's own cells inside a run, do not."""
    w = _WATCH.get()
    if w is not None and (count != 1 or from_cells):
        w.forced = False


def next_start(starts: list[int], at: int, end: int) -> int:
    """The first tag start at or after ``at`` (``end`` when none), recorded for the table being watched.

    >>> next_start([2, 9], 3, 20), next_start([2, 9], 10, 20)
    (9, 20)
    """
    found = _first_start(starts, at, end)
    w = _WATCH.get()
    if w is not None:
        w.queries.append((at, found))
    return found


def _first_start(starts: list[int], at: int, end: int) -> int:
    """The first of the sorted ``starts`` at or after ``at``; ``end`` when none is."""
    k = bisect_left(starts, at)
    return starts[k] if k < len(starts) else end


def event_keys(evs: list[Any]) -> tuple[EventKey, ...]:
    """What a table's reading reads of its events (the tagger's cells inside a glued run left out)."""
    return tuple((e.tag, e.start, e.end, e.text, e.line, e.run, e.rescued) for e in evs)


@dataclass(frozen=True)
class Certificate:
    """A table read from the model's tags with no reading left to a probability: what it rested on, and the
    fields it wrote."""

    events: tuple[EventKey, ...]
    queries: tuple[tuple[int, int], ...]
    spent: Spent
    fields: dict[str, FieldValue]

    def fits(self, evs: list[Any], starts: list[int], end: int, row_cap: int) -> bool:
        """Whether reading ``evs`` against these tag ``starts`` would repeat this reading: the same events, the
        same answers to the same questions, and room in the document's row-search budget for the same work."""
        if event_keys(evs) != self.events:
            return False
        if any(_first_start(starts, at, end) != found for at, found in self.queries):
            return False
        return left("digits.row", row_cap) >= self.spent.by_search.get("digits.row", 0)

    def take(self, doc: Document) -> None:
        """Write the certified fields into ``doc`` and count the table's work as done again."""
        doc.fields.update(self.fields)
        replay(self.spent)
