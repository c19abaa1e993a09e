"""How each report table is printed: row and column labels (Chinese, from the catalogue) and which field
sits in each cell. One source for ``Document.table``, ``nianbao show``, the review page and the export's
header table.

>>> lay = table_layout("t3", "v2021")
>>> lay.cols[0], lay.cols[-1], lay.rows[0].label
('自然人', '总计', '一、本年新收政府信息公开申请数量')
>>> lay.rows[4].label, lay.rows[4].cells[0]
('(三)不予公开 1.属于国家秘密', 't3.denied.state_secret.natural_person')
>>> field_label("t2.fees.amount")
('行政事业性收费', '本年收费金额(万元)')
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import cache
from typing import Any

from nianbao.labels.catalogue import (
    T2_V2019_COLS,
    T2_V2019_ITEM_COLS,
    T2_V2019_ITEMS,
    T2_V2019_ROWS,
    T2_V2019_SINGLE,
    T2_V2021_COLS,
    T2_V2021_ROWS,
    T2_V2021_SINGLE,
    T3_COLS,
    T3_ROWS,
    T4_COLS,
    T4_GROUPS,
    Template,
    t3_rows,
)

TABLES = ("t2", "t3", "t4")
TABLE_TITLES = {"t2": "表二 主动公开政府信息情况", "t3": "表三 收到和处理政府信息公开申请情况",
                "t4": "表四 政府信息公开行政复议、行政诉讼情况"}
_T2_V2021_SINGLE_COL = {"t2.fees.amount": "本年收费金额(万元)"}  # the others print 本年处理决定数量


@dataclass(frozen=True)
class LayoutRow:
    """A printed row: its label and the field ID in each column (None where the row has no such cell)."""

    label: str
    cells: tuple[str | None, ...]


@dataclass(frozen=True)
class Layout:
    """A table as printed: column labels, and rows of field IDs under them."""

    table: str
    cols: tuple[str, ...]
    rows: tuple[LayoutRow, ...]

    def fields(self) -> list[str]:
        """Every field ID the layout places, row-major."""
        return [f for r in self.rows for f in r.cells if f is not None]


def _t2_entries(template: Template) -> list[tuple[str, str, str]]:
    """(field, row label, column label) of table 2 in printed order."""
    out: list[tuple[str, str, str]] = []
    if template == "v2021":
        out += [(f"t2.{r.key}.{c}", r.zh, zh) for r in T2_V2021_ROWS for c, zh in T2_V2021_COLS]
        out += [(f, zh, _T2_V2021_SINGLE_COL.get(f, "本年处理决定数量")) for f, zh in T2_V2021_SINGLE.items()]
        return out
    out += [(f"t2.{r.key}.{c}", r.zh, zh) for r in T2_V2019_ROWS for c, zh in T2_V2019_COLS]
    out += [(f"t2.{r.key}.{c}", r.zh, zh) for r in T2_V2019_ITEMS for c, zh in T2_V2019_ITEM_COLS]
    out += [(f, *zh.split(" ", 1)) for f, zh in T2_V2019_SINGLE.items()]  # type: ignore[misc]
    return out


def _row_label(zh: str, group: str | None) -> str:
    """A t3 row's label; numbered sub-rows carry their group (``(三)不予公开 1.属于国家秘密``)."""
    return f"{group} {zh}" if group and group.startswith("(") else zh


@cache
def _entries(table: str) -> dict[str, tuple[str, str]]:
    """field -> (row label, column label) for every field of either template."""
    out: dict[str, tuple[str, str]] = {}
    if table == "t2":
        for tpl in ("v2021", "v2019"):
            for f, row, col in _t2_entries(tpl):  # type: ignore[arg-type]
                out.setdefault(f, (row, col))
    elif table == "t3":
        for r in T3_ROWS:
            for c, zh in T3_COLS:
                out[f"t3.{r.key}.{c}"] = (_row_label(r.zh, r.group), zh)
    elif table == "t4":
        for g, gzh in T4_GROUPS:
            for c, zh in T4_COLS:
                out[f"t4.{g}.{c}"] = (gzh, zh)
    else:
        raise KeyError(f"no table {table!r}: one of {', '.join(TABLES)}")
    return out


def field_label(field_id: str) -> tuple[str, str]:
    """The Chinese row and column names of a field ID (KeyError for an unknown one)."""
    return _entries(field_id.split(".", 1)[0])[field_id]


def table_fields(table: str) -> list[str]:
    """Every field ID of a table in either template, in printed order (v2021 first): the wide columns."""
    return list(_entries(table))


def table_layout(table: str, template: str, present: Iterable[str] = ()) -> Layout:
    """The printed layout of ``table`` for a template (``none``: v2021), plus rows of any field in
    ``present`` that the template lacks (mixed reports, e.g. v2021 with the single (六)其他处理 row)."""
    tpl: Template = "v2019" if template == "v2019" else "v2021"
    have = {f for f in present if f.startswith(table + ".")}
    if table == "t3":
        keys = {r.key for r in t3_rows(tpl)}
        rows = [r for r in T3_ROWS if r.key in keys or any(f"t3.{r.key}.{c}" in have for c, _ in T3_COLS)]
        return Layout("t3", tuple(zh for _, zh in T3_COLS),
                      tuple(LayoutRow(_row_label(r.zh, r.group), tuple(f"t3.{r.key}.{c}" for c, _ in T3_COLS))
                            for r in rows))
    if table == "t4":
        return Layout("t4", tuple(zh for _, zh in T4_COLS),
                      tuple(LayoutRow(gzh, tuple(f"t4.{g}.{c}" for c, _ in T4_COLS)) for g, gzh in T4_GROUPS))
    if table != "t2":
        raise KeyError(f"no table {table!r}: one of {', '.join(TABLES)}")
    entries = _t2_entries(tpl)
    placed = {f for f, _, _ in entries}
    other: Template = "v2021" if tpl == "v2019" else "v2019"
    entries += [e for e in _t2_entries(other) if e[0] in have and e[0] not in placed]
    cols: list[str] = []
    rows: dict[str, dict[str, str]] = {}
    for f, row, col in entries:
        if col not in cols:
            cols.append(col)
        rows.setdefault(row, {})[col] = f
    return Layout("t2", tuple(cols), tuple(LayoutRow(r, tuple(m.get(c) for c in cols)) for r, m in rows.items()))


def table_frame(values: Mapping[str, int | float | None], template: str, table: str) -> Any:
    """Rows x columns of ``table`` with Chinese labels; a blank, a mark or a missing field is <NA>, never 0.

    >>> df = table_frame({"t4.review.upheld": 2, "t4.review.total": None}, "v2021", "t4")
    >>> df.loc["行政复议", "结果维持"], df.loc["行政复议", "总计"] is __import__("pandas").NA
    (np.int64(2), True)
    """
    # local: pandas costs start-up time; only DataFrame users need it
    import pandas as pd

    lay = table_layout(table, template, values)
    data: dict[str, Any] = {}
    for k, col in enumerate(lay.cols):
        cells = [values.get(r.cells[k]) if r.cells[k] else None for r in lay.rows]
        whole = all(v is None or float(v).is_integer() for v in cells)
        data[col] = pd.array([None if v is None else (int(v) if whole else float(v)) for v in cells],
                             dtype="Int64" if whole else "Float64")
    return pd.DataFrame(data, index=pd.Index([r.label for r in lay.rows], name=table))


def document_table(doc: Any, table: str) -> Any:
    """``table_frame`` of a parsed ``Document``'s fields."""
    return table_frame({f: fv.value for f, fv in doc.fields.items()}, doc.template, table)
