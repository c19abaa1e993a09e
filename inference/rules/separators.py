"""Cell evidence the tags do not carry: separators and horizontal positions around a row's values.

- ``|``/tab-separated rows (crawled HTML tables, TSV, markdown) spell their cells out: every value is
  one cell (such styles never glue cells) and each separator more than one between two values is
  an empty cell, whether or not the tagger marked it (``separator_readings``, ``separator_hints``);
  surplus blank placeholders are trailing padding or a spanning label's empty cell
  (``trim_padding``, TAGS.md decision 4);
- in PDF layout text the position of a value under the columns tells which cells of a short row
  are blank (``align``, with ``nianbao.rules.layout``).

Readings these rules support get ``placed`` blanks (evidence-backed) instead of ``gap`` s.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from nianbao.rules.digits import Candidate, Item, Slot
from nianbao.rules.events import Event
from nianbao.rules.values import parse_cell


def trim_padding(items: list[Item], n: int) -> list[Item] | None:
    """Drop surplus blank placeholders, trailing ones first, then those before the first value (a
    spanning label's empty cell), TAGS.md decision 4; None when that does not bring the row to ``n``.

    >>> [i.kind for i in trim_padding([Item("blank", "", 0, 1), Item("cell", "0", 1, 2), Item("blank", "", 2, 3)], 1)]
    ['cell']
    """
    items = list(items)
    while len(items) > n and items[-1].kind == "blank":
        items.pop()
    while len(items) > n and items[0].kind == "blank":
        items.pop(0)
    return items if len(items) == n else None


def reshaped(cand: Candidate, evs: list[Event]) -> bool:
    """Whether a reading cuts a tagged value into several cells or adds blank cells the tags do not show."""
    return any(s.kind == "gap" for s in cand.slots) or sum(s.kind != "gap" for s in cand.slots) != len(evs)


SEPARATOR_LOGP = 8.0  # log-odds for the reading that the separators spell out, cell by cell


def separator_readings(text: str, lead: int | None, tail: int | None, evs: list[Event], n: int,
                        sums: list[tuple[int, tuple[int, ...]]]) -> list[Candidate]:
    """The readings a ``|``/tab-separated row spells out: every value is one cell (such styles never glue
    cells) and every separator more than one between two values is an empty cell, tagged or not. Extra
    separators before the first value or after the last may be a spanning label's empty cell or
    padding: the blanks still missing go there in every way they fit (several readings: ambiguous)."""
    vals = [e for e in evs if e.tag == "VAL"]
    if len(vals) < 2:
        return []  # one value says nothing about the row's separators
    bounds = [(a.end, b.start) for a, b in zip(vals, vals[1:], strict=False)]
    between = [_cells_between(text, a, b, evs) for a, b in bounds]
    inner = [c for c in between if c is not None and c >= 1]
    if len(inner) < len(between):
        return []  # not a separated row (PDF layout, crawl, glued lines), or text the tags missed
    lead_cells = _cells_between(text, lead, vals[0].start, evs) if lead is not None else 1
    tail_cells = _cells_between(text, vals[-1].end, tail, evs) if tail is not None else 1
    if lead_cells is None or tail_cells is None:
        return []
    lead_extra, tail_extra = max(lead_cells - 1, 0), max(tail_cells - 1, 0)
    needed = n - len(vals) - sum(c - 1 for c in inner)
    blanks = [e for e in evs if e.tag == "BLANK"]
    out = []
    fits = [(f, needed - f) for f in range(0, min(lead_extra, max(needed, 0)) + 1) if 0 <= needed - f <= tail_extra]
    if not fits and needed > 0:  # the separators show too few cells: blanks at the end, unshown (as likely as a cut)
        fits = [(min(lead_extra, needed), needed - min(lead_extra, needed))]
    for front, back in fits:
        slots: list[Slot] = [_blank_slot(blanks, lead, vals[0].start) for _ in range(front)]
        slots.append(Slot(vals[0].text, vals[0].start, vals[0].end, "cell"))
        for (a, b), c, v in zip(bounds, inner, vals[1:], strict=True):
            slots += [_blank_slot(blanks, a, b) for _ in range(c - 1)]
            slots.append(Slot(v.text, v.start, v.end, "cell"))
        shown = back <= tail_extra
        slots += [_blank_slot(blanks, vals[-1].end, tail) if shown else Slot(None, vals[-1].end, vals[-1].end, "gap")
                  for _ in range(back)]
        cand = _scored(slots, sums, SEPARATOR_LOGP if shown else 0.0)
        if cand is not None:
            out.append(cand)
    return out


def _cells_between(text: str, a: int, b: int, evs: Sequence[Event] = ()) -> int | None:
    """Separators between two values (one per cell boundary); None when a stretch between two
    separators holds more than whitespace or a tagged blank (a value the tags missed).

    >>> _cells_between("1\\t \\t3", 1, 4), _cells_between("1\\t2\\t3", 1, 4)
    (2, None)
    """
    blanks = {k for e in evs if e.tag == "BLANK" for k in range(e.start, e.end)}
    seps = [k for k in range(a, b) if text[k] in SEPARATORS]
    for x, y in zip(seps, seps[1:], strict=False):
        if any(not text[k].isspace() and k not in blanks for k in range(x + 1, y)):
            return None
    return len(seps)


def _blank_slot(blanks: list[Event], a: int | None, b: int | None) -> Slot:
    """An empty cell between two positions: its BLANK tag if the tagger set one (used once), else a
    blank with an empty span where its separator stands."""
    for e in blanks:
        if (a is None or a <= e.start) and (b is None or e.end <= b):
            blanks.remove(e)
            return Slot(None, e.start, e.end, "blank")
    at = b if b is not None else (a or 0)
    return Slot(None, at, at, "placed")


def _scored(slots: list[Slot], sums: list[tuple[int, tuple[int, ...]]], logp: float) -> Candidate | None:
    values = []
    for sl in slots:
        try:
            values.append(parse_cell(sl.text).value if sl.text is not None else None)
        except ValueError:
            return None
    viol = sum(1 for total, parts in sums
               if not math.isclose(values[total] or 0, sum(values[p] or 0 for p in parts), abs_tol=1e-6))
    return Candidate(tuple(slots), logp, viol, tuple(values))


def dedupe(cands: list[Candidate]) -> list[Candidate]:
    """Readings in order, each set of values once (the first, best-scored, kept)."""
    seen: set[tuple] = set()
    out = []
    for c in sorted(cands, key=lambda c: (c.violations, -c.logp)):
        if c.values in seen:
            continue
        seen.add(c.values)
        out.append(c)
    return out


SEPARATORS = frozenset("|\t")
GAP_HINT_LOGP = 3.0  # log-odds for (against) a blank cell where the separators show one (show none)


def separator_hints(text: str, lead: int | None, evs: list[Event], cands: list[Candidate]) -> None:
    """Re-rank readings with blank cells that left no tag by the separators around the values: where
    cells are separated by ``|`` or tabs, an empty cell leaves one separator more (``0 | | 0``)."""
    bounds = [(lead, evs[0].start)] + [(a.end, b.start) for a, b in zip(evs, evs[1:], strict=False)]
    counts = [_cells_between(text, a, b) if a is not None and a <= b else None for a, b in bounds]
    inner = counts[1:]
    if not inner or any(c is None or c < 1 for c in inner):
        return  # no separator style here (PDF layout, crawl), or text the tags missed: the separators say nothing
    at_bound = {e.start: k for k, e in enumerate(evs)}
    for cand in cands:
        placed: dict[int, int] = {}
        for slot in cand.slots:
            if slot.kind == "gap" and slot.start in at_bound:
                k = at_bound[slot.start]
                placed[k] = placed.get(k, 0) + 1
        for k, c in enumerate(counts):
            if c is None:
                continue
            extra = max(c - 1, 0)
            got = placed.get(k, 0)
            cand.logp += GAP_HINT_LOGP * (min(got, extra) - max(got - extra, 0))
    cands.sort(key=lambda c: (c.violations, -c.logp))
    top = cands[0]
    shown = {evs[k].start for k, c in enumerate(counts) if c is not None and c >= 2}
    top.slots = tuple(Slot(None, sl.start, sl.end, "placed") if sl.kind == "gap" and sl.start in shown else sl
                      for sl in top.slots)


def space_aligned(text: str, items: list[Event]) -> bool:
    """Values on one line set apart by spaces only (PDF layout text), not by ``|`` or tabs."""
    return len({e.line for e in items}) == 1 and all(
        text[a.end:b.start].strip(" ") == "" and b.start - a.end >= 2 for a, b in zip(items, items[1:], strict=False))


ALIGN_LOGP = 4.0  # log-odds for (against) a value read in the column its position points at (away from it)


def align(cands: list[Candidate], items: list[Event], prefer: list[int | None]) -> None:
    """Re-rank a short row's readings by where its values stand under the columns (PDF layout blanks)."""
    for c in cands:
        col_of = {s.start: j for j, s in enumerate(c.slots) if s.kind != "gap"}
        for e, want in zip(items, prefer, strict=True):
            if want is not None and e.start in col_of:
                c.logp += ALIGN_LOGP if col_of[e.start] == want else -ALIGN_LOGP
    cands.sort(key=lambda c: (c.violations, -c.logp))
    top = cands[0]
    col_of = {s.start: j for j, s in enumerate(top.slots) if s.kind != "gap"}
    if all(w is not None and col_of.get(e.start) == w for e, w in zip(items, prefer, strict=True)):
        top.slots = tuple(Slot(None, sl.start, sl.end, "placed") if sl.kind == "gap" else sl for sl in top.slots)
