"""Sliding windows over long documents and the stitching of their logits back into one array.

A document of ``n`` characters is cut into windows of at most ``size``
characters that overlap by ``overlap``; the last window is aligned to the end
of the text, so every window but a short document's only one is full. Each
character's logits are the average of the windows that cover it, weighted by
how far the character sits from its window's edges (a tent), so a character
is judged mostly by the window that sees context on both sides of it.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache

import numpy as np


def plan_windows(n: int, size: int, overlap: int) -> list[tuple[int, int]]:
    """(start, end) character windows covering ``range(n)``; consecutive ones overlap by >= ``overlap``.

    >>> plan_windows(10, 4, 2)
    [(0, 4), (2, 6), (4, 8), (6, 10)]
    >>> plan_windows(9, 4, 1)
    [(0, 4), (3, 7), (5, 9)]
    >>> plan_windows(3, 4, 1), plan_windows(0, 4, 1)
    ([(0, 3)], [])
    """
    if size <= 0 or not 0 <= overlap < size:
        raise ValueError(f"window size {size} and overlap {overlap}: need 0 <= overlap < size")
    if n <= size:
        return [(0, n)] if n else []
    stride = size - overlap
    starts = list(range(0, n - size, stride)) + [n - size]
    return [(s, s + size) for s in starts]


@lru_cache(maxsize=64)
def tent_weights(length: int) -> np.ndarray:
    """Weight of each position of a window: 1 at the edges, rising to the middle (read-only: shared).

    >>> tent_weights(5).tolist()
    [1.0, 2.0, 3.0, 2.0, 1.0]
    """
    i = np.arange(length, dtype=np.float32)
    w = np.minimum(i, length - 1 - i) + 1.0
    w.flags.writeable = False
    return w


def stitch(n: int, windows: Sequence[tuple[int, int]], logits: Sequence[np.ndarray],
           fill: np.ndarray | None = None) -> np.ndarray:
    """Per-character logits [n, L] from each window's logits [end - start, L] (tent-weighted mean).

    With ``fill`` (logits [L]), characters no window covers take it (windows left out as prose);
    without, every character must be covered.

    >>> w = plan_windows(5, 3, 1)
    >>> out = stitch(5, w, [np.full((3, 1), float(k)) for k in range(len(w))])
    >>> out[:, 0].round(2).tolist()
    [0.0, 0.0, 0.5, 1.0, 1.0]
    >>> stitch(5, w[:1], [np.full((3, 1), 2.0)], fill=np.array([-1.0]))[:, 0].tolist()
    [2.0, 2.0, 2.0, -1.0, -1.0]
    """
    if len(windows) != len(logits):
        raise ValueError(f"{len(windows)} windows but {len(logits)} logit arrays")
    if not windows and fill is None:
        return np.zeros((n, 0), dtype=np.float32)
    n_labels = logits[0].shape[-1] if logits else len(fill)  # type: ignore[arg-type]
    total = np.zeros((n, n_labels), dtype=np.float32)
    weight = np.zeros((n, 1), dtype=np.float32)
    for (start, end), lg in zip(windows, logits, strict=True):
        if lg.shape[0] != end - start:
            raise ValueError(f"window ({start}, {end}) got logits for {lg.shape[0]} characters")
        w = tent_weights(end - start)[:, None]
        total[start:end] += lg * w
        weight[start:end] += w
    bare = weight[:, 0] == 0
    if bare.any():
        if fill is None:
            raise ValueError("windows do not cover every character")
        total[bare], weight[bare] = fill, 1.0
    return total / weight


def softmax(logits: np.ndarray) -> np.ndarray:
    """Row-wise softmax in float32 of a C-contiguous [n, L] array: exactly ``_softmax_reference``'s values, sooner.

    numpy reduces each row of a short last axis with a call of its own (a [6000, 12] array: a quarter of a
    millisecond for ``max``); here the reductions run column by column over all rows at once, the sum in
    the order numpy's pairwise sum adds a row's elements, so every value is the same to the last bit.

    >>> softmax(np.array([[0.0, 0.0]])).tolist()
    [[0.5, 0.5]]
    """
    if logits.ndim != 2 or not logits.shape[1] or not logits.flags.c_contiguous:
        return _softmax_reference(logits)  # numpy's order of summation depends on the layout: its own values
    cols = logits.shape[1]
    top = logits[:, 0].copy()
    for j in range(1, cols):
        np.maximum(top, logits[:, j], out=top)
    z = logits - top[:, None]
    e = np.exp(z, dtype=np.float32)
    e /= _row_sums(e)[:, None]
    return e


def _row_sums(e: np.ndarray) -> np.ndarray:
    """``e.sum(axis=1)`` of a C-contiguous float32 [n, L] array, added in numpy's pairwise order: one by one
    below 8 columns; else 8 partial sums over blocks of 8, combined pairwise, then the rest one by one."""
    cols = e.shape[1]
    if cols < 8:
        out = np.zeros(len(e), dtype=e.dtype)
        for j in range(cols):
            out += e[:, j]
        return out
    part = [e[:, j].copy() for j in range(8)]
    i = 8
    while i < cols - cols % 8:
        for j in range(8):
            part[j] += e[:, i + j]
        i += 8
    out = ((part[0] + part[1]) + (part[2] + part[3])) + ((part[4] + part[5]) + (part[6] + part[7]))
    for j in range(i, cols):
        out += e[:, j]
    return out


def _softmax_reference(logits: np.ndarray) -> np.ndarray:
    """The plain numpy softmax along the last axis, float32 (the definition ``softmax`` reproduces)."""
    z = logits - logits.max(axis=-1, keepdims=True)
    e = np.exp(z, dtype=np.float32)
    return (e / e.sum(axis=-1, keepdims=True)).astype(np.float32)
