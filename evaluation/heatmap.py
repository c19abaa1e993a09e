"""Per-field error heat map: field groups (table rows) x documents, colour = share of fields wrong.

>>> field_group("t3.denied.state_secret.total"), field_group("t2.fees.amount")
('t3.denied.state_secret', 't2.fees')
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from nianbao.evaluation.score import RunResult
from nianbao.labels.catalogue import T3_ROWS, t2_fields, t3_fields, t4_fields


def field_group(field_id: str) -> str:
    """A field's row (or table-2 item / table-4 group): its ID without the column."""
    return field_id.rsplit(".", 1)[0]


def _group_order() -> list[str]:
    """Every row of both templates, tables in order, rows as the catalogue prints them."""
    out: list[str] = []
    every = t2_fields("v2021") + t2_fields("v2019") + t3_fields("v2021", rows=T3_ROWS) + t4_fields()
    for fid in every:
        if (g := field_group(fid)) not in out:
            out.append(g)
    return out


def error_matrix(run: RunResult) -> tuple[list[str], list[str], list[list[float | None]]]:
    """(groups, doc names, matrix[group][doc]) of error rates; None where a doc has no such fields."""
    counts: dict[tuple[str, str], list[int]] = {}
    for f in run.field_results():
        c = counts.setdefault((field_group(f.field), f.doc), [0, 0])
        c[0] += f.error
        c[1] += 1
    order = _group_order()
    present = {g for g, _ in counts}
    groups = [g for g in order if g in present] + sorted(present - set(order))
    docs = [d.name for d in run.docs]
    matrix = [[(c[0] / c[1]) if (c := counts.get((g, d))) else None for d in docs] for g in groups]
    return groups, docs, matrix


def plot_error_heatmap(run: RunResult, path: Path, title: str = "") -> Path:
    """Write the heat map PNG (grey = the document has no field in that row)."""
    # local: matplotlib costs a second at start-up; only the plots need it
    import matplotlib

    matplotlib.use("Agg")
    # local: matplotlib costs a second at start-up; only the plots need it
    import matplotlib.pyplot as plt

    groups, docs, matrix = error_matrix(run)
    data = np.array([[np.nan if v is None else v for v in row] for row in matrix], dtype=float)
    if data.size == 0:
        data = np.full((1, max(len(docs), 1)), np.nan)
        groups = groups or ["(no fields)"]
    fig, ax = plt.subplots(figsize=(max(6.0, 3.0 + 0.3 * len(docs)), 2.0 + 0.22 * len(groups)))
    cmap = plt.get_cmap("Reds").with_extremes(bad="#dddddd")
    im = ax.imshow(np.ma.masked_invalid(data), cmap=cmap, vmin=0, vmax=1, aspect="auto")
    ax.set_xticks(range(len(docs)), docs, rotation=70, ha="right", fontsize=7)
    ax.set_yticks(range(len(groups)), groups, fontsize=7)
    ax.set_title(
        title or f"{run.name}: share of fields wrong, missing or spurious\nper table row and document",
        fontsize=9,
    )
    fig.colorbar(im, ax=ax, fraction=0.03, pad=0.02)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path
