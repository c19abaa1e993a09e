"""Rebuild tables 2, 3 and 4 from the tags into ``Table`` / ``Cell`` objects and canonical fields.

Rows are found by their labels (``rows.assemble_rows``), columns by their headers
(``headers``), glued digit runs are cut by ``digits`` — per row, then jointly over table 3's rows
where its column identities tie them. Every decision the text does not pin down is flagged
(``split.ambiguous`` / ``split.unresolved``, with the alternatives), never silently guessed.

``build(doc)`` returns the per-field evidence the confidence model uses; ``rebuild_tables(doc)``
is the pipeline stage.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, NamedTuple

from nianbao.document import Cell, Document, FieldValue, Flag, Table
from nianbao.labels.catalogue import T3_APPLICANT_COLS, all_field_ids, is_money
from nianbao.labels.tags import label2id
from nianbao.rules import html_tables
from nianbao.rules.budget import BUDGET_FLAG, Budget, left, mark, spent_since
from nianbao.rules.construct import built
from nianbao.rules.digits import (
    DOC_ROW_STEPS,
    DOC_ROW_STEPS_PER_CHAR,
    GLUE_MARKS,
    ROW_STEPS,
    Candidate,
    ColRule,
    Identity,
    Item,
    Slot,
    row_candidates,
    single_swaps,
    solve_rows,
)
from nianbao.rules.events import Event, collect_events, split_tables, untagged_values
from nianbao.rules.evidence import Evidence, TableBuild
from nianbao.rules.headers import T4_CANON, t2_columns, t3_columns, t4_columns
from nianbao.rules.layout import column_anchors, preferred_columns
from nianbao.rules.reuse import Certificate, event_keys, next_start, note_readings, watching
from nianbao.rules.rows import PrintedRow, assemble_rows
from nianbao.rules.separators import (
    align,
    dedupe,
    reshaped,
    separator_hints,
    separator_readings,
    space_aligned,
    trim_padding,
)
from nianbao.rules.stream import stream_reading, violations
from nianbao.rules.t4_order import t4_reading
from nianbao.rules.values import parse_cell, to_number

CONFIDENT = 0.95  # posterior a split needs to stand without a flag
SIGNIFICANT = 0.02  # relative weight for an alternative to be listed
SURE_CUT = 0.99  # least probability of each model decision behind a cut no sum pins, to stand unflagged:
# a bar of 0.8 fitted on synthetic seed 555 with tagger 0.2.0 let a wrong cut through on the synthetic test set
# with tagger 0.3.0 (the model's cut priors are not knowledge), so only an all but certain cut stands unflagged
_BALANCE = ("new_received", "carried_over", "total", "carried_forward")


@dataclass
class _Row:
    """A printed row ready for the split search."""

    fids: list[str]
    label: PrintedRow | None
    cands: list[Candidate]
    units: list[str | None]
    note: str | None = None  # table.extra_values | table.unreadable_row
    rescued: bool = False  # its values were read from text the tagger left untagged
    stream: bool = False  # placed by its position in a value stream (table 3's rows, table 4's blocks)
    budget: bool = False  # the search for its cuts ran out of its budget: its readings are the ones found so far

    def __init__(self, fids: list[str], label: PrintedRow | None, cands: list[Candidate], units: list[str | None],
                 note: str | None = None, rescued: bool = False, stream: bool = False, budget: bool = False) -> None:
        """Written out so that mypyc compiles it (``nianbao.rules._native``)."""
        self.fids, self.label, self.cands, self.units = fids, label, cands, units
        self.note, self.rescued, self.stream, self.budget = note, rescued, stream, budget


# ----------------------------------------------------------------- stage
def rebuild_tables(doc: Document) -> Document:
    """Pipeline stage: fill ``doc.tables``, ``doc.fields`` and split flags from ``doc.tags``."""
    build(doc)
    return doc


def build(doc: Document, certify: bool = False, reuse: dict[str, Certificate] | None = None) -> TableBuild:
    """Rebuild every table of a document in place; returns the evidence for each field.

    ``certify``: leave a ``Certificate`` (``TableBuild.certified``) for each table no probability decided;
    ``reuse``: take such tables over where this document's tags give them the same events (``rules.reuse``)."""
    out = TableBuild()
    if doc.template == "none":
        return out
    events = collect_events(doc)
    by_table = split_tables(events)
    starts = sorted(t.start for t in doc.tags)
    certify = certify and not html_tables.is_page(doc)  # a page's markup reads every table again
    row_cap = _row_cap(doc)
    read: dict[str, list[_Row]] = {}
    for table, fn in (("t2", _t2_rows), ("t3", _t3_rows), ("t4", _t4_rows)):
        evs = by_table[table]
        if not evs:
            continue
        cert = reuse.get(table) if reuse else None
        if cert is not None and cert.fits(evs, starts, len(doc.norm_text), row_cap):
            cert.take(doc)
            continue
        # what a certificate rests on, taken before the rows take the events apart
        basis = (event_keys(evs), set(doc.fields), mark()) if certify else None
        with watching(certify) as watch:
            rows = fn(doc, evs, starts)
            if rows:
                identities = _t3_identities(rows) if table == "t3" else []
                _resolve(doc, table, rows, identities, out)
                read[table] = rows
        if basis is not None and watch is not None and watch.forced:
            keys, before, at = basis
            spent = spent_since(at)
            if not spent.exhausted:
                out.certified[table] = Certificate(keys, tuple(watch.queries), spent,
                                                   {f: v for f, v in doc.fields.items() if f not in before})
    html_tables.reconcile(doc, out, {t: [html_tables.ReadRow(r.fids, r.label.labels[-1].end - 1 if r.label else None,
                                                             r.units) for r in rs if not r.stream]
                                     for t, rs in read.items()})  # a page's table markup decides its cells
    return out


# ----------------------------------------------------------------- rows per table
def _items(probs: Any, evs: list[Event]) -> list[Item]:
    items = []
    for e in evs:
        if e.tag == "BLANK":
            items.append(Item("blank", "", e.start, e.end))
        elif e.run:
            items.append(Item("run", e.digits, e.start, e.end, _start_probs(probs, e.start, e.end)))
        else:
            items.append(Item("cell", e.text, e.start, e.end))
    return items


class _Columns(NamedTuple):
    """The tagger's B-VAL column of one document, its sums with the I-VAL column over one and over two
    characters as numpy sums them (in float32, each window's B column plus its I column), and P(a cell starts
    here | part of a value) per character (``b / max(b + i, 1e-9)`` in float64, as Python computes it on the
    floats). Arrays, read a few elements at a time: a report's rows read a small part of its characters."""

    b: Any
    tag1: Any
    tag2: Any
    start: Any


_last_columns: tuple[Any, _Columns] | None = None  # the document read last (its rows ask for them again and again)


def _columns(probs: Any) -> _Columns:
    """``_Columns`` of a probability array, kept for the array read last."""
    global _last_columns
    last = _last_columns
    if last is not None and last[0] is probs:
        return last[1]
    b, i = probs[:, label2id["B-VAL"]], probs[:, label2id["I-VAL"]]
    b64 = b.astype("float64")
    total = b64 + i.astype("float64")
    total[total < 1e-9] = 1e-9  # max(total, 1e-9); a NaN stays, as with max (no numpy import: mypy 1.13 fails on its stubs)
    cols = _Columns(b, b + i, (b[:-1] + b[1:]) + (i[:-1] + i[1:]), b64 / total)
    _last_columns = (probs, cols)
    return cols


def _start_probs(probs: Any, start: int, end: int) -> tuple[float, ...] | None:
    """P(a cell starts here | part of a value) for each character, from the tagger (None without one)."""
    if probs is None or end - start < 2:
        return None
    return tuple(_columns(probs).start[start:end].tolist())


def _candidates(doc: Document, row: PrintedRow | None, evs: list[Event], n: int,
                sums: list[tuple[int, tuple[int, ...]]], rules: list[ColRule],
                starts: list[int] | None = None) -> tuple[list[Candidate], str | None, bool]:
    """A row's readings, a flag code when the row could only be read in part (or not at all), and whether
    the search for them ran out of its budget (one ``ROW_STEPS`` allowance per reading tried, within what the
    document's row searches may still spend)."""
    items = _items(doc.char_probs, evs)
    doc_left = left("digits.row", _row_cap(doc))
    allowance = min(ROW_STEPS, doc_left)
    budget = Budget("digits.row", allowance)
    cands = row_candidates(items, n, sums=sums, rules=rules, budget=budget)
    from_cells = not cands
    note = None
    if not cands:  # runs that no cut can read (e.g. a decimal where counts are due): the tags' own cells
        cell_items = []
        for e in evs:
            for s, t in (e.parts or [(e.start, e.end)]):
                kind = "blank" if e.tag == "BLANK" else "cell"
                cell_items.append(Item(kind, doc.norm_text[s:t] if kind == "cell" else "", s, t))
        budget.extend(allowance)
        cands = row_candidates(cell_items, n, sums=sums, rules=rules, budget=budget)
        trimmed = trim_padding(cell_items, n)
        if not cands and trimmed is not None:  # blank placeholders beyond the columns are padding
            budget.extend(allowance)
            cands = row_candidates(trimmed, n, sums=sums, rules=rules, budget=budget)
        if not cands and len(cell_items) > n:  # more cells than columns: the first ones, flagged
            budget.extend(allowance)
            cands = row_candidates(cell_items[:n], n, sums=sums, rules=rules, budget=budget)
            note = "table.extra_values"
        if not cands:
            note = "table.unreadable_row"
    if not evs and row is not None:  # no trace of any cell: blanks at the end of the label
        at = row.labels[-1].end
        for c in cands:
            c.slots = tuple(Slot(None, at, at, "gap") for _ in c.slots)
    elif evs and (not cands or reshaped(cands[0], evs)):
        lead = row.labels[-1].end if row is not None else None
        tail = None if starts is None else next_start(starts, evs[-1].end, len(doc.norm_text))
        seps = separator_readings(doc.norm_text, lead, tail, evs, n, sums)
        if seps:
            cands = dedupe(seps + cands)
            note = None if note != "table.extra_values" else note
        elif any(s.kind == "gap" for c in cands for s in c.slots):
            separator_hints(doc.norm_text, lead, evs, cands)
    note_readings(len(cands), from_cells)
    return cands, note, budget.exhausted


def _row_cap(doc: Document) -> int:
    """What all the row searches of one document may spend together (``digits.DOC_ROW_STEPS``)."""
    return DOC_ROW_STEPS + DOC_ROW_STEPS_PER_CHAR * len(doc.norm_text)


def _rescue(doc: Document, after: int, starts: list[int]) -> list[Event]:
    """Values the tagger left untagged right after ``after`` (up to the next tag), if that stretch holds
    nothing but values."""
    return untagged_values(doc.norm_text, after, next_start(starts, after, len(doc.norm_text)))


def _t3_rows(doc: Document, evs: list[Event], starts: list[int]) -> list[_Row]:
    """Table 3's rows read by their labels, or as a value stream where that reads the table better."""
    cols = t3_columns(evs)
    total = cols.index("total")
    sums = [(total, tuple(cols.index(c) for c in T3_APPLICANT_COLS))]
    rows, orphans = assemble_rows(evs, "t3")
    for r in rows:
        if not r.items:
            r.items = _rescue(doc, r.labels[-1].end, starts)
    n = len(cols)
    anchors = column_anchors(doc.norm_text, [[(e.start, e.end) for e in r.items] for r in rows
                                             if len(r.items) == n and space_aligned(doc.norm_text, r.items)], n)
    out = []
    for r in rows:
        cands, note, spent = _candidates(doc, r, r.items, n, sums, [ColRule()] * n, starts)
        if anchors and 0 < len(r.items) < n and space_aligned(doc.norm_text, r.items) \
                and all(e.tag == "VAL" for e in r.items):
            align(cands, r.items, preferred_columns(doc.norm_text, [(e.start, e.end) for e in r.items], anchors))
        out.append(_Row([f"t3.{r.key}.{c}" for c in cols], r, cands, [None] * len(cols), note,
                        any(e.rescued for e in r.items), budget=spent))
    by_label = _mark_unplaced(out, orphans)
    return _t3_stream(doc, evs, starts, by_label, cols, sums) or by_label


def _t3_stream(doc: Document, evs: list[Event], starts: list[int], rows: list[_Row], cols: list[str],
               sums: list[tuple[int, tuple[int, ...]]]) -> list[_Row] | None:
    """Table 3 read as a value stream (``rules.stream``) where that breaks fewer identities than the rows
    read by their labels, or as few and the stream holds a column-major block; None to keep the label
    reading."""
    found = [r.label.key for r in rows if r.label is not None and r.label.key]
    reading = stream_reading(doc.norm_text, evs, found, cols)
    if reading is None:
        return None
    label_problems = _problems(rows, reading.keys)
    if reading.violations > label_problems or (reading.violations == label_problems and not reading.column_major):
        return None
    n = len(cols)
    printed = {r.label.key: r.label for r in rows if r.label is not None}
    out = []
    for key, cells in zip(reading.keys, reading.cells, strict=True):
        cands, note, spent = _candidates(doc, None, cells, n, sums, [ColRule()] * n, starts)
        out.append(_Row([f"t3.{key}.{c}" for c in cols], printed.get(key), cands, [None] * n, note, stream=True,
                        budget=spent or reading.exhausted))
    _flag_disputed(doc, reading.disputed, "the values are printed one per line without their labels and more "
                                          "than one order of rows and columns fits the table's sums; check these cells")
    return out


def _flag_disputed(doc: Document, disputed: dict[str, list[float | int | None]], message: str) -> None:
    """Flag the fields that an equally good reading of a value stream reads otherwise, with those values."""
    if disputed:
        doc.flags.append(Flag(code="table.stream_ambiguous", fields=list(disputed),
                              alternatives=[{f: alts[0] for f, alts in disputed.items()}], message=message))


def _problems(rows: list[_Row], keys: list[str]) -> int:
    """Broken identities of the rows' most probable readings, plus rows read in part or not at all, plus
    rows of ``keys`` the reading lacks."""
    values: dict[str, float | int | None] = {}
    read = {fid[len("t3."):].rsplit(".", 1)[0] for r in rows for fid in r.fids}
    problems = sum(1 for k in keys if k not in read)
    for r in rows:
        if not r.cands or r.note:
            problems += 1
        if r.cands:
            values.update({fid: _value_of(r, 0, j) for j, fid in enumerate(r.fids)})
    return problems + violations(values)


def _mark_unplaced(rows: list[_Row], orphans: list[Event]) -> list[_Row]:
    """Where some values found no row, or a row holds too many, a row with none is not surely blank."""
    if orphans or any(r.note == "table.extra_values" for r in rows):
        for r in rows:
            if r.label is not None and not r.label.items and not r.note:
                r.note = "table.blank_inferred"
    return rows


def _t2_rows(doc: Document, evs: list[Event], starts: list[int]) -> list[_Row]:
    rows, orphans = assemble_rows(evs, "t2", lambda r: len(t2_columns(r.headers, r.key or "", doc.template)) or 1)
    out = []
    for r in rows:
        if not r.items:
            r.items = _rescue(doc, r.labels[-1].end, starts)
        cols = t2_columns(r.headers, r.key or "", doc.template)
        if not cols:
            continue
        fids = [f"t2.{r.key}.{c}" for c in cols]
        rules = [ColRule(decimal=is_money(f), negative=c == "change") for f, c in zip(fids, cols, strict=True)]
        cands, note, spent = _candidates(doc, r, r.items, len(cols), [], rules, starts)
        out.append(_Row(fids, r, cands, [r.units.get(c) for c in cols], note, any(e.rescued for e in r.items),
                        budget=spent))
    return _mark_unplaced(out, orphans)


def _t4_rows(doc: Document, evs: list[Event], starts: list[int]) -> list[_Row]:
    cols = t4_columns(evs)
    first_col = next((k for k, e in enumerate(evs) if e.tag == "COL"), None)
    if first_col is None:
        return []
    values = [e for e in evs[first_col:] if e.tag in ("VAL", "BLANK")]
    if not values:
        values = _rescue(doc, max(e.end for e in evs if e.tag == "COL"), starts)
    reading = t4_reading(doc.norm_text, values, cols, evs[0].start) if values else None
    if reading is not None:
        cols = list(T4_CANON)
        values = [reading.cells[c] for c in cols]
        _flag_disputed(doc, {f"t4.{c}": v for c, v in reading.disputed.items()},
                       "table 4's values are printed out of order and more than one order fits its sums; "
                       "check these cells")
    sums = []
    for g in ("review", "suit_direct", "suit_after_review"):
        idx = {c.split(".")[1]: k for k, c in enumerate(cols) if c.startswith(g + ".")}
        sums.append((idx["total"], tuple(idx[c] for c in ("upheld", "corrected", "other", "pending"))))
    cands, note, spent = _candidates(doc, None, values, len(cols), sums, [ColRule()] * len(cols), starts)
    if not values:
        at = max(e.end for e in evs if e.tag == "COL")
        for c in cands:
            c.slots = tuple(Slot(None, at, at, "gap") for _ in c.slots)
    return [_Row([f"t4.{c}" for c in cols], None, cands, [None] * len(cols), note, any(e.rescued for e in values),
                 stream=reading is not None, budget=spent)]


def _t3_identities(rows: list[_Row]) -> list[Identity]:
    pos = {r.label.key: k for k, r in enumerate(rows) if r.label is not None}
    outcome = [k for key, k in pos.items() if key not in _BALANCE]
    out = []
    for c in range(len(rows[0].fids) if rows else 0):
        if all(b in pos for b in _BALANCE):
            out.append(Identity(c, (pos["new_received"], pos["carried_over"]), (pos["total"], pos["carried_forward"])))
        if "total" in pos and outcome:
            out.append(Identity(c, (pos["total"],), tuple(outcome)))
    return out


# ----------------------------------------------------------------- resolve and write
_NOTES = {"table.extra_values": "the row holds more cells than the table has columns; the first ones are read",
          "table.unreadable_row": "no reading of the row's cells fits its columns; its fields are left out",
          "table.blank_inferred": "the row shows fewer cells than columns and nothing tells which are blank; "
                                  "check where its values belong"}


def _resolve(doc: Document, table: str, rows: list[_Row], identities: list[Identity], out: TableBuild) -> None:
    valid = all_field_ids()
    for r in rows:
        if r.note:
            doc.flags.append(Flag(code=r.note, fields=[f for f in r.fids if f in valid], message=_NOTES[r.note]))
    unread = [f for r in rows if r.budget and not r.cands for f in r.fids if f in valid]
    if unread:
        doc.flags.append(Flag(code=BUDGET_FLAG, fields=unread,
                              message="the search for a reading of these cells ran out of its work budget before "
                                      "it found one: they are left out; check them in the source"))
    if any(not r.cands for r in rows):  # rows with no reading leave the solve; identities through them go
        keep = [k for k, r in enumerate(rows) if r.cands]
        new_index = {old: new for new, old in enumerate(keep)}
        identities = [Identity(i.col, tuple(new_index[r] for r in i.lhs), tuple(new_index[r] for r in i.rhs))
                      for i in identities if all(r in new_index for r in i.lhs + i.rhs)]
        rows = [rows[k] for k in keep]
    if not rows:
        return
    solve_spent = False
    if all(len(r.cands) == 1 for r in rows):
        choice: tuple[int, ...] = tuple(0 for _ in rows)
        alts: list[tuple[tuple[int, ...], float, int]] = []
        best_viol = 0
    else:
        if identities:
            sol = solve_rows([r.cands for r in rows], identities)
            choice, best_viol, solve_spent = sol.choice, sol.violations, sol.exhausted
            alts = [(ch, lp - sol.logp, vi) for ch, lp, vi in sol.alternatives]
        else:  # rows are independent: each its own best reading
            choice, alts = tuple(0 for _ in rows), []
            best_viol = sum(r.cands[0].violations for r in rows)
        seen = {ch for ch, _, _ in alts}
        alts += [a for a in single_swaps([r.cands for r in rows], identities, choice) if a[0] not in seen]
    posterior, ambiguous = _ambiguity(rows, choice, alts)
    probs = doc.char_probs
    table_obj = Table(id=table)
    fields, evidence, cells = doc.fields, out.evidence, table_obj.cells
    model = probs is not None
    for k, r in enumerate(rows):
        cand = r.cands[choice[k]]
        label_score = r.label.match.score if r.label is not None and r.label.match else 1.0
        if r.label is not None:
            lab = r.label.labels
            cells.append(_cell(table, k + 1, 0, r.label.label_text, lab[0].start, lab[-1].end, None))
        units, alternatives, rescued, stream = r.units, len(r.cands), r.rescued, r.stream
        for j, (fid, slot) in enumerate(zip(r.fids, cand.slots, strict=True)):
            if fid not in valid:
                continue
            kind, start, end = slot.kind, slot.start, slot.end
            value, raw, unit = _reading(kind, slot.text, slot.unit, units[j], fid)
            fields[fid] = _fv(value, raw, unit, (start, end))
            ev = Evidence(_kind_of(kind, value), label_score, alternatives, posterior.get(fid, 1.0), None, None,
                          rescued, model, None, stream)
            if model:
                ev.tag_prob, ev.start_prob = _tag_probs(probs, slot)
            evidence[fid] = ev
            cells.append(built(Cell, {"table": table, "row": k + 1, "col": j + 1, "row_end": None, "col_end": None,
                                      "text": slot.text or "", "column_header": False, "row_header": False,
                                      "start": start, "end": end, "field": fid}))  # _cell, inlined
    doc.tables.append(table_obj)
    _flag_splits(doc, rows, choice, ambiguous, best_viol, posterior)
    _flag_budget(doc, rows, choice, solve_spent)
    if not identities:
        _flag_unpinned(doc, rows, choice)
    flagged = {f for fl in doc.flags for f in fl.fields}
    for k, r in enumerate(rows):
        kinds = {s.kind for s in r.cands[choice[k]].slots}
        fids = [f for f in r.fids if f in valid and f not in flagged]
        if "gap" in kinds and kinds - {"gap"} and fids:
            doc.flags.append(Flag(code="table.blank_inferred", fields=fids, message=_NOTES["table.blank_inferred"]))


@lru_cache(maxsize=1 << 16)
def _reading(kind: str, text: str | None, slot_unit: str | None, header_unit: str | None, fid: str
             ) -> tuple[float | int | None, str | None, str | None]:
    """A slot's value, printed mark and unit (memoised: cells repeat within and across reports)."""
    if kind in ("blank", "gap", "placed") or text is None:
        return None, None, None
    if kind == "split" and text not in GLUE_MARKS:  # digits already checked by the cut
        value = to_number(text)
        return value, None, slot_unit or (header_unit if is_money(fid) else None)
    try:
        parsed = parse_cell(text)
    except ValueError:
        return None, text, None
    unit = slot_unit or parsed.unit or (header_unit if is_money(fid) else None)
    return parsed.value, parsed.raw, unit if is_money(fid) or parsed.unit else None


def _cell(table: str, row: int, col: int, text: str, start: int, end: int, fid: str | None) -> Cell:
    """A Cell; column 0 holds the row label (a row header).

    >>> _cell("t3", 1, 0, "规章", 0, 2, None).model_dump()["row_header"]
    True
    """
    return built(Cell, {"table": table, "row": row, "col": col, "row_end": None, "col_end": None, "text": text,
                         "column_header": False, "row_header": col == 0, "start": start, "end": end, "field": fid})


def _fv(value: float | int | None, raw: str | None, unit: str | None, span: tuple[int, int]) -> FieldValue:
    """A FieldValue (confidence set later by the confidence stage).

    >>> _fv(8.3, None, "万元", (3, 6)) == FieldValue(value=8.3, unit="万元", norm_span=(3, 6))
    True
    """
    return built(FieldValue, {"value": value, "raw": raw, "unit": unit, "confidence": 1.0, "norm_span": span})


def _kind_of(slot_kind: str, value: float | int | None) -> str:
    """The evidence kind of a slot read as ``value``: a cell read as no number is a mark."""
    if slot_kind == "cell" and value is None:
        return "mark"
    return "blank" if slot_kind == "placed" else slot_kind


def _tag_probs(probs: Any, slot: Slot) -> tuple[float | None, float | None]:
    if probs is None or slot.end <= slot.start:
        return None, None
    if slot.kind == "blank":
        p = float(probs[slot.start, label2id["B-BLANK"]])
        return p, p
    width = slot.end - slot.start
    if width <= 2 and slot.end <= len(probs):  # most cells: the sums numpy would take, precomputed
        cols = _columns(probs)
        return (cols.tag1 if width == 1 else cols.tag2).item(slot.start) / width, cols.b.item(slot.start)
    b, i = label2id["B-VAL"], label2id["I-VAL"]
    window = probs[slot.start:slot.end]
    tag = float(window[:, b].sum() + window[:, i].sum()) / (slot.end - slot.start)
    return tag, float(probs[slot.start, b])


def _ambiguity(rows: list[_Row], choice: tuple[int, ...], alts: list[tuple[tuple[int, ...], float, int]]
               ) -> tuple[dict[str, float], list[tuple[int, ...]]]:
    """The chosen reading's share of probability per field against the alternatives that break no more
    sums (``alts``: choice, log-probability relative to the chosen one, violations), and the alternatives
    weighty enough to list."""
    posterior: dict[str, float] = {}
    ambiguous: list[tuple[int, ...]] = []
    if not alts:
        return posterior, ambiguous
    rel = [(ch, math.exp(min(0.0, lp))) for ch, lp, _ in alts]
    for ch, w in rel:
        if w >= SIGNIFICANT:
            ambiguous.append(ch)
    for k, r in enumerate(rows):
        mass = 1.0 + sum(w for ch, w in rel if ch[k] != choice[k])
        share = 1.0 / mass
        for fid in r.fids:
            posterior[fid] = share
    return posterior, ambiguous


def _flag_splits(doc: Document, rows: list[_Row], choice: tuple[int, ...], ambiguous: list[tuple[int, ...]],
                 best_viol: int, posterior: dict[str, float]) -> None:
    """Flag fields whose reading near-tied alternatives dispute, or that no reading made consistent."""
    if not ambiguous and best_viol == 0:
        return
    best_vals = {fid: _value_of(rows[k], choice[k], j) for k, r in enumerate(rows) for j, fid in enumerate(r.fids)}
    disputed: dict[str, None] = {}
    alternatives = []
    for ch in ambiguous:
        diff = {}
        for k, r in enumerate(rows):
            if ch[k] == choice[k]:
                continue
            for j, fid in enumerate(r.fids):
                v = _value_of(r, ch[k], j)
                if v != best_vals[fid] or _is_none_pair(v, best_vals[fid]):
                    diff[fid] = v
        diff = {f: v for f, v in diff.items() if not (v is None and best_vals[f] is None)}
        if diff and min(posterior.get(f, 1.0) for f in diff) < CONFIDENT:
            disputed.update(dict.fromkeys(diff))
            alternatives.append(diff)
    if disputed:
        doc.flags.append(Flag(code="split.ambiguous", fields=list(disputed), alternatives=alternatives[:5],
                              message=f"{len(alternatives)} other cut(s) of the glued digits fit equally well; "
                                      "check these cells in the source"))
    if best_viol > 0:
        split_rows = [k for k, r in enumerate(rows) if len(r.cands) > 1]
        fields = [fid for k in split_rows for fid in rows[k].fids if fid not in disputed]
        if fields:
            alternatives = [{fid: _value_of(rows[k], 1, j) for k in split_rows[:3] for j, fid in enumerate(rows[k].fids)}]
            doc.flags.append(Flag(code="split.unresolved", fields=fields, alternatives=alternatives,
                                  message="no cut of the glued digits satisfies the table's sums; "
                                          "the most probable cut is given"))


def _flag_budget(doc: Document, rows: list[_Row], choice: tuple[int, ...], solve_spent: bool) -> None:
    """Flag every field that a search cut short by its budget decided (``search.budget``), with the other
    readings it had found: the rows whose own cut search ran out, and where the joint solve across rows ran
    out, every row it had more than one reading to choose from."""
    valid = all_field_ids()
    fields: list[str] = []
    alt: dict[str, float | int | None] = {}
    for k, r in enumerate(rows):
        if not (r.budget or (solve_spent and len(r.cands) > 1)):
            continue
        fids = [f for f in r.fids if f in valid]
        fields += fids
        other = next((j for j in range(len(r.cands)) if j != choice[k]), None)
        if other is not None:
            alt.update({fid: _value_of(r, other, j) for j, fid in enumerate(r.fids) if fid in valid})
    if fields:
        doc.flags.append(Flag(code=BUDGET_FLAG, fields=fields, alternatives=[alt] if alt else None,
                              message="the search for this reading ran out of its work budget: the best reading "
                                      "found is given, others may fit as well; check these cells in the source"))


def cut_margin(probs: Any, slots: tuple[Slot, ...]) -> float:
    """The least sure of the model's decisions behind a reading's cuts: for every character inside a cut
    cell P(no cell starts here), for every cell cut right after another P(a cell starts here)."""
    if probs is None:
        return 1.0
    margin = 1.0
    prev_end: int | None = None
    starts = _columns(probs).start  # P(a cell starts here | part of a value), per character
    for sl in slots:
        if sl.kind != "split":
            prev_end = None
            continue
        for k in range(sl.start, sl.end):
            p_start = starts.item(k)
            if k == sl.start:
                if k == prev_end:
                    margin = min(margin, p_start)
            else:
                margin = min(margin, 1.0 - p_start)
        prev_end = sl.end
    return margin


def _flag_unpinned(doc: Document, rows: list[_Row], choice: tuple[int, ...]) -> None:
    """A glued run that no sum pins (table 2) and that can be cut more than one way stands unflagged only
    where each of the model's cut decisions is sure (``SURE_CUT``); otherwise its fields are flagged."""
    flagged = {f for fl in doc.flags for f in fl.fields}
    valid = all_field_ids()
    for k, r in enumerate(rows):
        if len(r.cands) < 2 or doc.char_probs is None:
            continue
        cand = r.cands[choice[k]]
        fids = [f for f in r.fids if f in valid and f not in flagged]
        if not fids or cut_margin(doc.char_probs, cand.slots) >= SURE_CUT:
            continue
        other = 1 if choice[k] == 0 else 0  # the next most probable cut
        alt = {fid: _value_of(r, other, j) for j, fid in enumerate(r.fids) if fid in valid}
        doc.flags.append(Flag(code="split.unpinned", fields=fids, alternatives=[alt],
                              message="no sum of the table pins this cut of the glued digits and the model is not "
                                      "sure of it; check these cells in the source"))


def _is_none_pair(a: object, b: object) -> bool:
    return (a is None) != (b is None)


def _value_of(row: _Row, ci: int, j: int) -> float | int | None:
    slot = row.cands[ci].slots[j]
    if slot.text is None:
        return None
    try:
        return parse_cell(slot.text).value
    except ValueError:
        return None
