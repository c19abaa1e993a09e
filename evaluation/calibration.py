"""Confidence calibration: reliability table, expected calibration error, reliability plot.

A field's ``confidence`` claims the probability that its value is right; of
fields given 0.9, about 9 in 10 should be right.

>>> table = reliability_table([(0.95, True), (0.95, False), (0.15, False)], n_bins=10)
>>> [(b["lo"], b["count"], b["accuracy"]) for b in table if b["count"]]
[(0.1, 1, 0.0), (0.9, 2, 0.5)]
>>> round(expected_calibration_error(table), 3)
0.35
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any

from nianbao.evaluation.score import FieldResult


def confidence_pairs(results: Iterable[FieldResult]) -> list[tuple[float, bool]]:
    """(confidence, strictly correct) for every predicted field that carries a confidence."""
    return [(f.confidence, f.correct) for f in results if f.in_pred and f.confidence is not None]


def reliability_table(pairs: Iterable[tuple[float, bool]], n_bins: int = 10) -> list[dict[str, Any]]:
    """Equal-width confidence bins: count, mean confidence, accuracy (None for an empty bin)."""
    bins: list[list[tuple[float, bool]]] = [[] for _ in range(n_bins)]
    for conf, ok in pairs:
        c = min(max(float(conf), 0.0), 1.0)
        bins[min(int(c * n_bins), n_bins - 1)].append((c, ok))
    out = []
    for i, b in enumerate(bins):
        n = len(b)
        out.append(
            {
                "lo": round(i / n_bins, 6),
                "hi": round((i + 1) / n_bins, 6),
                "count": n,
                "confidence": sum(c for c, _ in b) / n if n else None,
                "accuracy": sum(ok for _, ok in b) / n if n else None,
            }
        )
    return out


def expected_calibration_error(table: list[dict[str, Any]]) -> float | None:
    """ECE: the count-weighted mean gap between confidence and accuracy over the bins."""
    total = sum(b["count"] for b in table)
    if not total:
        return None
    return sum(b["count"] / total * abs(b["confidence"] - b["accuracy"]) for b in table if b["count"])


def calibration(results: Iterable[FieldResult], n_bins: int = 10) -> dict[str, Any]:
    """Reliability table and ECE of a run's field confidences."""
    pairs = confidence_pairs(results)
    table = reliability_table(pairs, n_bins)
    return {"n": len(pairs), "ece": expected_calibration_error(table), "bins": table}


def plot_reliability(curves: dict[str, dict[str, Any]], path: Path) -> Path:
    """Reliability diagram (one curve per run) with bin counts underneath; writes a PNG."""
    # local: matplotlib costs a second at start-up; only the plots need it
    import matplotlib

    matplotlib.use("Agg")
    # local: matplotlib costs a second at start-up; only the plots need it
    import matplotlib.pyplot as plt

    fig, (ax, axn) = plt.subplots(2, 1, figsize=(6, 6.5), height_ratios=[3, 1], sharex=True)
    ax.plot([0, 1], [0, 1], ls="--", color="grey", lw=1, label="perfectly calibrated")
    width = 1 / max(len(next(iter(curves.values()))["bins"]), 1) if curves else 0.1
    for k, (name, cal) in enumerate(curves.items()):
        pts = [(b["confidence"], b["accuracy"]) for b in cal["bins"] if b["count"]]
        ece = cal.get("ece")
        label = f"{name} (ECE {ece:.3f}, n={cal['n']})" if ece is not None else f"{name} (no confidences)"
        if pts:
            ax.plot(*zip(*pts, strict=True), marker="o", label=label)
        else:
            ax.plot([], [], label=label)
        offset = (k - (len(curves) - 1) / 2) * width / max(len(curves), 1)
        axn.bar(
            [b["lo"] + width / 2 + offset for b in cal["bins"]],
            [b["count"] for b in cal["bins"]],
            width=width / max(len(curves), 1),
            alpha=0.7,
        )
    ax.set(xlim=(0, 1), ylim=(0, 1.02), ylabel="accuracy (strict)", title="Field confidence calibration")
    ax.legend(loc="upper left", fontsize=8)
    axn.set(xlabel="confidence", ylabel="fields")
    axn.set_yscale("symlog")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path
