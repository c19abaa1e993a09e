"""HTML tables read as grids: where a page's table markup gives the cells, the markup decides.

The text reading (``rules.tables``) finds each printed row by its label and each column by its
header, as for any text. For a page source (``Document.kind == "html"``), every row it found is then
looked up in the page's table markup (``normalise.html_grid``): the ``<tr>`` that holds the row's label
(a label-less row, table 4's: the ``<tr>`` that holds most of its values). Its last ``n`` cells, ``n``
the row's columns, are its value cells, in printed order: a blank cell is a blank (null) in its own
column, a value never crosses a cell border. The row is read from the grid only when it fits: ``n``
cells after its label cell, each reading as a value, a mark or a blank; more only where they read the same
wherever the columns are placed among them (a row padded with blanks). Else the markup and the template
disagree about the row (a trailing empty cell after values, a glued run) and the text reading stands.

For every field of a row read from the grid:

- the grid's value and span stand (the span points at the cell's text in the source; a blank cell's
  is the empty span at the start of its ``<td>`` content, pinned with ``Document.pin_source_span``);
- where the text reading said otherwise, the grid wins and the field is flagged
  ``html.grid_text_disagree`` with the text's value as the alternative;
- a field the text reading missed (an unreadable row) comes from the grid;
- the cut and blank flags the text reading raised (``table.*``, ``split.*``) are dropped for it: the
  markup proves where its cell begins and ends; its evidence says it was read as a cell (or a blank).

Rows split over several ``<table>`` elements need no joining here: each row is found by its own
``<tr>``. Non-HTML documents are untouched.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from nianbao.document import Document, FieldValue, Flag
from nianbao.labels.catalogue import all_field_ids, is_money
from nianbao.normalise.html import looks_like_html
from nianbao.normalise.html_grid import GridCell, GridRow, data_rows, row_at
from nianbao.rules.evidence import Evidence, TableBuild
from nianbao.rules.values import Parsed, parse_cell

DISAGREE = "html.grid_text_disagree"
PROVED_CODES = ("table.blank_inferred", "table.extra_values", "table.unreadable_row", "split.ambiguous",
                "split.unresolved", "split.unpinned", "table.stream_ambiguous")


@dataclass
class ReadRow:
    """A row the text reading found: its field IDs in printed column order, the normalised-text
    position inside its label (None: no label), and the units its column headers name."""

    fids: list[str]
    label_at: int | None
    units: list[str | None]


def is_page(doc: Document) -> bool:
    """Whether the document's text is a page source (a reader's twin copy of one included)."""
    return doc.kind == "html" or (bool(doc.text) and "<" in doc.text and looks_like_html(doc.text))


def value_cells(row: GridRow, n: int) -> list[GridCell] | None:
    """The row's ``n`` value cells, or None where the row does not fit: fewer than ``n`` cells at its end
    read as a value, a mark or a blank (up to its label, which reads as none of these); or more, and placing
    the ``n`` columns anywhere among them changes a value (a padded row of blanks reads the same wherever);
    or one is carried down from a row above (``rowspan``).

    >>> from nianbao.normalise.html_grid import data_rows
    >>> r = data_rows("<table><tr><td>1</td><td>规章</td><td>1</td><td>&nbsp;</td><td>/</td></tr></table>")[0]
    >>> [c.text for c in value_cells(r, 3)], value_cells(r, 4), value_cells(r, 2)
    (['1', '', '/'], None, None)
    >>> len(value_cells(data_rows("<table><tr><td>规章</td>" + "<td></td>" * 4 + "</tr></table>")[0], 3))
    3
    """
    run: list[GridCell] = []
    for c in reversed(row.cells):
        if _reading(c) is None:
            break
        run.append(c)
    run.reverse()
    if n == 0 or len(run) < n or any(c.row != row.index or c.rows > 1 for c in run[-n:]):
        return None
    readings = [_reading(c) for c in run]
    if any(readings[k:k + n] != readings[-n:] for k in range(len(run) - n)):
        return None  # padded with more cells than columns, and where the values stand changes what they are
    return run[-n:]


def _reading(cell: GridCell) -> Parsed | None:
    if not cell.text:
        return Parsed(None, None, None)
    try:
        return parse_cell(cell.text)
    except ValueError:
        return None


def _norm_span(doc: Document, span: tuple[int, int]) -> tuple[int, int]:
    """The normalised-text span of a source span (a blank's empty span: the first place at or after it)."""
    a, b = span
    i0, i1 = doc.offsets.span_from_source(a, b)
    return (i0, i0) if a == b else (i0, i1)


def _find_row(doc: Document, rows: tuple[GridRow, ...], r: ReadRow) -> GridRow | None:
    starts = doc.offsets.starts
    if r.label_at is not None:
        return row_at(rows, starts[r.label_at]) if 0 <= r.label_at < len(starts) else None
    votes: Counter[int] = Counter()
    by_start = {}
    for fid in r.fids:
        fv = doc.fields.get(fid)
        if fv is None or fv.norm_span[1] <= fv.norm_span[0]:
            continue
        g = row_at(rows, starts[fv.norm_span[0]])
        if g is not None:
            votes[g.start] += 1
            by_start[g.start] = g
    if not votes:
        return None
    return by_start[votes.most_common(1)[0][0]]


def _after_label(doc: Document, g: GridRow, r: ReadRow, cells: list[GridCell]) -> bool:
    """Whether the value cells lie after the cell that holds the row's label (a row without one: yes)."""
    if r.label_at is None:
        return True
    pos = doc.offsets.starts[r.label_at]
    label = next((c for c in g.cells if c.span[0] <= pos < c.span[1]), None)
    return label is not None and cells[0].col >= label.col + label.cols


def _same(a: FieldValue | None, value: float | int | None) -> bool:
    if a is None:
        return False
    if a.value is None or value is None:
        return a.value is None and value is None
    return a.value == value


def reconcile(doc: Document, built: TableBuild, read: dict[str, list[ReadRow]]) -> None:
    """Read the text reading's rows again from the page's table markup; the grid decides (module docstring)."""
    if not is_page(doc) or not read:
        return

    rows = data_rows(doc.text)
    if not rows:
        return
    valid = all_field_ids()
    proved: set[str] = set()
    disagree: dict[str, float | int | None] = {}
    fits: list[tuple[ReadRow, GridRow, list[GridCell]]] = []
    for table_rows in read.values():
        for r in table_rows:
            g = _find_row(doc, rows, r)
            cells = value_cells(g, len(r.fids)) if g is not None else None
            if cells is not None and g is not None and _after_label(doc, g, r, cells):
                fits.append((r, g, cells))
    claims = Counter(id(g) for _, g, _ in fits)
    for r, g, cells in fits:
        if claims[id(g)] > 1:
            continue  # two rows of the reading in one <tr>: which is it? the text reading stands
        for j, (fid, cell) in enumerate(zip(r.fids, cells, strict=True)):
            if fid not in valid:
                continue
            p = _reading(cell)
            assert p is not None  # value_cells checked it
            old = doc.fields.get(fid)
            if old is not None and not _same(old, p.value):
                disagree[fid] = old.value
            unit = None
            if p.value is not None:
                header_unit = r.units[j] if j < len(r.units) else None
                printed = old.unit if old is not None else None
                unit = p.unit or ((printed or header_unit) if is_money(fid) else None)
            doc.fields[fid] = FieldValue(value=p.value, raw=p.raw, unit=unit,
                                         norm_span=_norm_span(doc, cell.span))
            if not cell.text:
                doc.pin_source_span(fid, cell.span)  # no normalised position maps to a blank's content start
            ev = built.evidence.get(fid)
            kind = "cell" if p.value is not None else ("mark" if p.raw else "blank")
            built.evidence[fid] = Evidence(kind=kind, label_score=ev.label_score if ev else 1.0,
                                           model=ev.model if ev else doc.char_probs is not None,
                                           agree=ev.agree if ev else None)
            proved.add(fid)
    _settle_flags(doc, proved, disagree)
    _update_cells(doc, proved)


def _settle_flags(doc: Document, proved: set[str], disagree: dict[str, float | int | None]) -> None:
    kept = []
    for fl in doc.flags:
        if fl.code in PROVED_CODES and proved & set(fl.fields):
            fields = [f for f in fl.fields if f not in proved]
            if not fields:
                continue
            alts = [{f: v for f, v in a.items() if f not in proved} for a in fl.alternatives or []]
            fl = fl.model_copy(update={"fields": fields, "alternatives": [a for a in alts if a] or None})
        kept.append(fl)
    doc.flags = kept
    if disagree:
        doc.flags.append(Flag(code=DISAGREE, fields=list(disagree), alternatives=[disagree],
                              message="the page's table markup puts these cells otherwise than its text reads; "
                                      "the markup's cells are given, the text's reading is the alternative"))


def _update_cells(doc: Document, proved: set[str]) -> None:
    for t in doc.tables:
        for c in t.cells:
            if c.field in proved:
                fv = doc.fields[c.field]
                c.start, c.end = fv.norm_span
                c.text = doc.norm_text[c.start:c.end]
