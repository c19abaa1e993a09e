"""A report table as a pandas DataFrame laid out like the printed table (``Document.table``)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from nianbao.export.layout import table_layout


def table_frame(values: Mapping[str, int | float | None], template: str, table: str) -> Any:
    """Rows x columns of ``table`` with Chinese labels; a blank, a mark or a missing field is <NA>, never 0.

    >>> df = table_frame({"t4.review.upheld": 2, "t4.review.total": None}, "v2021", "t4")
    >>> df.loc["行政复议", "结果维持"], df.loc["行政复议", "总计"] is __import__("pandas").NA
    (np.int64(2), True)
    """
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
