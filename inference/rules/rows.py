"""Printed rows of a table: row labels (joined when wrapped) with the values that belong to them.

Values go to their row by label, never by the global order of numbers:

- a value on the same line as a row label belongs to the nearest label before it on that line;
- a value on a line without a label belongs to the label above it, unless that label's own line
  carries values and the label just below carries none (the value line is displaced above its
  label, as in PDF layout text);
- a label fragment without numbering that continues the label before it (a wrapped label,
  ``…只计这一情形,不计`` + ``其他情形)``) joins that row;
- group labels (``三、本年度办理结果``, ``(三)不予公开``, and ``(六)其他处理`` where the table prints
  v2021's three sub-rows under it) hold no values;
- values printed before every label of the table, as the column-major PDF raw text does, are
  dealt out column by column over the rows that have none.

    >>> from nianbao.rules.events import Event
    >>> evs = [Event("ROW", 0, 2, "规章", 0), Event("VAL", 3, 4, "0", 0), Event("ROW", 5, 12, "行政规范性文件", 1)]
    >>> [(r.key, [v.text for v in r.items]) for r in assemble_rows(evs, "t2")[0]]
    [('regulations', ['0']), ('normative_docs', [])]
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from nianbao.rules.events import ROW_MIN_SCORE, Event
from nianbao.rules.headers import join_headers
from nianbao.rules.labels_match import Match, body, coverage, fold, match_row, similarity, split_numbering
from nianbao.rules.values import unit_in_header

_OTHER_SUBROWS = ("other.overdue_correction", "other.unpaid_fee", "other.other")


@dataclass
class PrintedRow:
    """A row as printed: its label events, the matched catalogue row, and its value events."""

    labels: list[Event]
    match: Match | None = None
    items: list[Event] = field(default_factory=list)
    headers: list[str] = field(default_factory=list)  # table 2: the sub-table's column keys
    units: dict[str, str] = field(default_factory=dict)  # column key -> unit its header names

    def __init__(self, labels: list[Event], match: Match | None = None, items: list[Event] | None = None,
                 headers: list[str] | None = None, units: dict[str, str] | None = None) -> None:
        """Written out so that mypyc compiles it (``nianbao.rules._native``)."""
        self.labels, self.match = labels, match
        self.items = [] if items is None else items
        self.headers = [] if headers is None else headers
        self.units = {} if units is None else units

    @property
    def key(self) -> str | None:
        """The catalogue row key (None when unmatched)."""
        return self.match.key if self.match else None

    @property
    def label_text(self) -> str:
        """The joined label text."""
        return "".join(e.text for e in self.labels)

    @property
    def lines(self) -> set[int]:
        """Lines its label occupies."""
        return {e.line for e in self.labels}


def _ranked(row: PrintedRow, table: str) -> tuple[Match, ...]:
    return match_row(row.label_text, table)


def _continues(prev: PrintedRow, ev: Event, table: str) -> bool:
    """Whether a label event continues the previous row's wrapped label."""
    num, _ = split_numbering(fold(ev.text))
    if num:
        return False
    own = match_row(ev.text, table)
    if own and own[0].score >= 0.95:
        return False
    ranked = _ranked(prev, table)
    if not ranked:
        return False
    target = ranked[0].target.body
    frag = body(ev.text)
    joined = body(prev.label_text)
    if not frag or coverage(frag, target) < 0.85 or frag in joined:
        return False
    return similarity(joined + frag, target) > similarity(joined, target)


def assemble_rows(events: list[Event], table: str,
                  ncols: Callable[[PrintedRow], int] = lambda r: 7) -> tuple[list[PrintedRow], list[Event]]:
    """Rows of one table (catalogue-matched, group labels dropped) and the values no row could take."""
    rows: list[PrintedRow] = []
    seq: list[tuple[str, object]] = []  # ("row", PrintedRow) | ("val", Event) | ("reset", None)
    label_row: dict[int, PrintedRow] = {}  # id(label event) -> row
    headers: list[str] = []
    units: dict[str, str] = {}
    col_buf: list[Event] = []
    for ev in events:
        if ev.tag == "TTL":
            headers, units, col_buf = [], {}, []
            seq.append(("reset", None))
        elif ev.tag == "COL":
            col_buf.append(ev)
        elif ev.tag == "ROW":
            if col_buf:
                joined = [(m, t) for m, t in join_headers(col_buf, table) if m.target.kind == "col"]
                headers = [m.key for m, _ in joined]
                units = {m.key: u for m, t in joined if (u := unit_in_header(t))}
                col_buf = []
            if rows and _continues(rows[-1], ev, table) and (
                    not _has_values_between(rows[-1], ev, events) or _same_or_next_line(rows[-1], ev)):
                rows[-1].labels.append(ev)
            else:
                rows.append(PrintedRow([ev], headers=list(headers), units=dict(units)))
                seq.append(("row", rows[-1]))
            label_row[id(ev)] = rows[-1]
        elif ev.tag in ("VAL", "BLANK"):
            seq.append(("val", ev))
    data = _resolve_targets(rows, table)
    is_data = {id(r) for r in data}
    rest = _place_on_label_lines(seq, events, label_row, is_data)
    orphans = _place_runs(rest, is_data, ncols)
    orphans = _deal_column_major(data, orphans, ncols)
    return data, orphans


def _has_values_between(row: PrintedRow, ev: Event, events: list[Event]) -> bool:
    last = row.labels[-1].end
    return any(e.tag in ("VAL", "BLANK") and last <= e.start < ev.start for e in events)


def _same_or_next_line(row: PrintedRow, ev: Event) -> bool:
    return ev.line - max(row.lines) <= 1


def _place_on_label_lines(seq: list[tuple[str, object]], events: list[Event], label_row: dict[int, PrintedRow],
                          is_data: set[int]) -> list[tuple[str, object]]:
    """Values on a line with a row label go to the nearest label before them on that line."""
    by_line: dict[int, list[Event]] = {}
    for e in events:
        if e.tag == "ROW" and id(label_row.get(id(e))) in is_data:
            by_line.setdefault(e.line, []).append(e)
    out: list[tuple[str, object]] = []
    for kind, obj in seq:
        if kind == "val":
            v = obj
            same = [e for e in by_line.get(v.line, ()) if e.start < v.start]  # type: ignore[attr-defined, union-attr]
            if same:
                label_row[id(same[-1])].items.append(v)  # type: ignore[arg-type]
                continue
        out.append((kind, obj))
    return out


def _place_runs(seq: list[tuple[str, object]], is_data: set[int],
                ncols: Callable[[PrintedRow], int]) -> list[Event]:
    """Each run of values between labels: the row above takes its cells if it has none; the rest
    goes to the next rows, column by column when it fills them exactly; returns values before all labels."""
    segments: list[tuple[str, list]] = []  # ("rows", [PrintedRow]) | ("vals", [Event]) | ("reset", [])
    for kind, obj in seq:
        key = {"row": "rows", "val": "vals", "reset": "reset"}[kind]
        if kind != "reset" and segments and segments[-1][0] == key:
            segments[-1][1].append(obj)
        else:
            segments.append((key, [obj] if obj is not None else []))
    orphans: list[Event] = []
    for i, (kind, vals) in enumerate(segments):
        if kind != "vals":
            continue
        before = segments[i - 1][1] if i and segments[i - 1][0] == "rows" else []
        after = segments[i + 1][1] if i + 1 < len(segments) and segments[i + 1][0] == "rows" else []
        prev = next((r for r in reversed(before) if id(r) in is_data), None)
        rem = list(vals)
        if prev is not None and not prev.items:
            take = min(len(rem), ncols(prev))
            prev.items.extend(rem[:take])
            rem = rem[take:]
        if not rem:
            continue
        nxt = [r for r in after if id(r) in is_data]
        nxt = nxt[:next((k for k, r in enumerate(nxt) if r.items), len(nxt))]
        width = ncols(nxt[0]) if nxt else 0
        if width and len(rem) % width == 0 and 0 < len(rem) // width <= len(nxt) and _deal(
                nxt[:len(rem) // width], rem, ncols):
            continue
        if prev is not None:
            prev.items.extend(rem)  # more cells than columns: the row's reading will say so
        else:
            orphans.extend(rem)
    return orphans


def _deal(rows: list[PrintedRow], vals: list[Event], ncols: Callable[[PrintedRow], int]) -> bool:
    """Deal values printed column by column over ``rows`` when they fill them exactly."""
    widths = {ncols(r) for r in rows}
    if len(widths) != 1:
        return False
    n = widths.pop()
    if len(vals) != n * len(rows):
        return False
    for c in range(n):
        for k, r in enumerate(rows):
            r.items.append(vals[c * len(rows) + k])
    return True


def _resolve_targets(rows: list[PrintedRow], table: str) -> list[PrintedRow]:
    """Choose each row's catalogue row; group labels and unmatched labels drop out.

    Where two labels claim one row, the one whose numbering fits (``(七)总计`` over a stray ``总计``
    header), else the better match, else the later one keeps it; the other takes its next match.
    """
    ranked_all = [_ranked(r, table) for r in rows]
    has_subrows = any(rk and rk[0].key in _OTHER_SUBROWS and rk[0].score >= 0.8 for rk in ranked_all)
    choice: dict[int, Match] = {}
    for i, ranked in enumerate(ranked_all):
        if ranked and ranked[0].score >= ROW_MIN_SCORE:
            choice[i] = ranked[0]
    for _ in range(3):  # settle rows claimed twice (a few rounds: a loser may collide again)
        claims: dict[str, list[int]] = {}
        for i, m in choice.items():
            if m.target.kind == "row":
                claims.setdefault(m.key, []).append(i)
        clashes = {k: v for k, v in claims.items() if len(v) > 1}
        if not clashes:
            break
        taken = set(claims)
        for idx in clashes.values():
            win = max(idx, key=lambda i: (_numbering_fits(rows[i], choice[i]), choice[i].score, i))
            for i in idx:
                if i == win:
                    continue
                nxt = next((m for m in ranked_all[i] if m.score >= 0.75 and m.key not in taken
                            and m.target.kind == "row"), None)
                if nxt is None:
                    del choice[i]
                else:
                    choice[i] = nxt
                    taken.add(nxt.key)
    out: list[PrintedRow] = []
    for i, row in enumerate(rows):
        mm = choice.get(i)
        if mm is None or mm.target.kind == "group" or (mm.key == "other" and has_subrows):
            continue
        row.match = mm
        out.append(row)
    return out


def _numbering_fits(row: PrintedRow, m: Match) -> bool:
    num, _ = split_numbering(fold(row.label_text))
    return num is not None and num == m.target.numbering


def _deal_column_major(rows: list[PrintedRow], orphans: list[Event], ncols: Callable[[PrintedRow], int]) -> list[Event]:
    """Values printed before every label (column by column) go to the rows that have none."""
    empty = [r for r in rows if not r.items]
    if orphans and empty and _deal(empty, orphans, ncols):
        return []
    return orphans
