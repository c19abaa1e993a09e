"""From per-character probabilities to tag spans, with the tag set's structural constraints.

The network labels each character on its own; a few things it says cannot be
true of the template (``labels/TAGS.md``), so decoding enforces them:

* A section heading (``SEC``) begins a block: it starts the line (after indent,
  ``#`` marks, NBSP or bullets), or follows the end of a sentence, a closing
  bracket, or a table's last number in text whose line breaks were lost
  (``…收费0三、收到和处理…``). A ``SEC`` fragment inside a sentence
  (``实现了“[一]般事项公开``) is prose.
* A heading is at least ``MIN_HEADING`` characters (``一、总体情况`` is six); a
  lone ``一`` or ``二、`` at the start of a subsection line is not one.
* A heading that opens its line runs to the line's end when the rest is short
  and holds no sentence end (``一、总体[情况]``, a remark such as
  ``(各单位据实填写)`` printed after it): a heading is a whole line.
* Pieces of one heading split by a short hole (``四、政府信息公开行政复[议(]行政…``)
  are one heading when nothing but the hole separates them on the line.
"""

from __future__ import annotations

from bisect import bisect_right
from itertools import accumulate

import numpy as np

from nianbao.document import TagSpan, built
from nianbao.labels.catalogue import SECTION_NUMERALS
from nianbao.labels.tags import ENTITY_TYPES, LABELS

MIN_HEADING = 4
MERGE_GAP = 2
MAX_TAIL = 30
SENTENCE_ENDS = "。；;！!？?"
HEADING_NUMBERS = frozenset(n + "、" for n in SECTION_NUMERALS)
LINE_DECOR = " \t\u3000\xa0#*>-•·"
BLOCK_ENDS = "。；;：:！!？?)）】」』\"”"


def argmax_spans(probs: np.ndarray) -> list[TagSpan]:
    """Tag spans from per-character probabilities: argmax label, BIO -> spans, score = mean probability.

    The same spans as ``bio_to_spans`` over the argmax labels (an orphan ``I-`` starts a span), found
    with array operations; each span's score is ``mean()`` of its own slice, so the float32 rounding
    is that of a per-span mean.

    >>> p = np.zeros((3, len(LABELS)), dtype=np.float32)
    >>> p[0, LABELS.index("B-VAL")] = p[1, LABELS.index("I-VAL")] = 0.9; p[2, 0] = 1.0
    >>> [(t.start, t.end, t.tag, round(t.score, 2)) for t in argmax_spans(p)]
    [(0, 2, 'VAL', 0.9)]
    """
    if len(probs) == 0:
        return []
    best = probs.argmax(axis=1)
    best_p = probs[np.arange(len(probs)), best]
    kind, begins = _KIND[best], _BEGINS[best]
    prev = np.concatenate(([0], kind[:-1]))
    starts = np.flatnonzero((kind != 0) & (begins | (kind != prev)))
    if not len(starts):
        return []
    breaks = np.flatnonzero((kind == 0) | begins | (kind != prev))  # where any span ends
    nxt = np.searchsorted(breaks, starts, side="right")
    ends = np.append(breaks, len(best))[nxt]
    scores = _span_means(best_p, starts, ends)
    return [built(TagSpan, {"start": s, "end": e, "tag": _TYPES[k], "score": sc})
            for s, e, k, sc in zip(starts.tolist(), ends.tolist(), kind[starts].tolist(), scores, strict=True)]


def _label_kinds() -> tuple[np.ndarray, np.ndarray, tuple[str, ...]]:
    """Per label id: its entity kind (0 for ``O``), whether it is a ``B-`` label, and the kinds' names."""
    types = ("",) + ENTITY_TYPES
    kind = np.array([types.index(lab.partition("-")[2]) for lab in LABELS], dtype=np.int64)
    begins = np.array([lab.startswith("B-") for lab in LABELS], dtype=bool)
    return kind, begins, types


_KIND, _BEGINS, _TYPES = _label_kinds()


def _span_means(values: np.ndarray, starts: np.ndarray, ends: np.ndarray) -> list[float]:
    """``float(values[s:e].mean())`` for each span, one ``mean`` call per span length (same rounding: each row
    of a C-contiguous [k, length] block is reduced like a 1-D slice)."""
    out = [0.0] * len(starts)
    lengths = ends - starts
    for length in np.unique(lengths).tolist():
        rows = np.flatnonzero(lengths == length)
        block = values[starts[rows][:, None] + np.arange(length)]
        for r, m in zip(rows.tolist(), block.mean(axis=1).tolist(), strict=True):
            out[r] = m
    return out


def before_decoration(text: str, pos: int) -> int:
    """Index of the last character before ``pos`` that is not line decoration (-1 at the text's start)."""
    i = pos - 1
    while i >= 0 and text[i] in LINE_DECOR:
        i -= 1
    return i


def opens_line(text: str, pos: int) -> bool:
    """Whether only decoration stands between the line start and ``pos``."""
    i = before_decoration(text, pos)
    return i < 0 or text[i] in "\n\r"


def starts_block(text: str, pos: int) -> bool:
    """Whether ``pos`` begins a block: line start (after decoration), or after a sentence end or a digit.

    >>> starts_block("## 一、总体情况", 3), starts_block("实现了“一般事项", 4), starts_block("收费0三、收到", 3)
    (True, False, True)
    """
    if opens_line(text, pos):
        return True
    i = before_decoration(text, pos)
    if text[i] in BLOCK_ENDS or (i < pos - 1 and text[i] == "|"):
        return True
    # text whose line breaks were lost: a numbered heading right after a table's last number
    return text[i].isdigit() and text[pos:pos + 2] in HEADING_NUMBERS


def line_tail(text: str, end: int) -> int:
    """Where a heading ending at ``end`` may extend to: the line's content end if the rest is a short remark.

    >>> line_tail("一、总体情况\\n正文", 4), line_tail("一、总体情况。全年共受理", 6)
    (6, 6)
    """
    stop = text.find("\n", end)
    stop = len(text) if stop < 0 else stop
    rest = text[end:stop].rstrip()
    if not rest or len(rest) > MAX_TAIL or any(c in SENTENCE_ENDS for c in rest):
        return end
    return end + len(rest)


def constrain_sections(text: str, spans: list[TagSpan]) -> list[TagSpan]:
    """Merge a heading's pieces split by a short hole on one line; drop SEC spans that are not headings.

    >>> mk = lambda a, b, t="SEC": TagSpan(start=a, end=b, tag=t, score=0.9)
    >>> text = "一、总体情况\\n实现了“一般事项公开\\n### 一、加强组织领导"
    >>> [(s.start, s.end) for s in constrain_sections(text, [mk(0, 4), mk(11, 12), mk(22, 23)])]
    [(0, 6)]
    """
    out: list[TagSpan] = []
    pending: list[TagSpan] = []

    def flush() -> None:
        if not pending:
            return
        first, last = pending[0], pending[-1]
        start, end = first.start, last.end
        if end - start >= MIN_HEADING and starts_block(text, start):
            if opens_line(text, start):
                end = line_tail(text, end)
            out.append(TagSpan(start=start, end=end, tag="SEC", score=float(np.mean([p.score for p in pending]))))
        pending.clear()

    for span in sorted(spans, key=lambda s: (s.start, s.end)):
        if span.tag != "SEC":
            out.append(span)
            continue
        if pending:
            gap = text[pending[-1].end:span.start]
            if len(gap) > MERGE_GAP or "\n" in gap:
                flush()
        pending.append(span)
    flush()
    # spans swallowed by a merged or extended heading go; everything else stays as tagged
    heads = sorted((s.start, s.end) for s in out if s.tag == "SEC")
    starts = [h[0] for h in heads]
    reach = list(accumulate((h[1] for h in heads), max))  # the furthest end of the heads starting at or before
    kept = [s for s in out if s.tag == "SEC" or not _swallowed(s, starts, reach)]
    return sorted(kept, key=lambda s: (s.start, s.end))


def _swallowed(span: TagSpan, starts: list[int], reach: list[int]) -> bool:
    """Whether some heading (sorted ``starts``, prefix-max ends ``reach``) covers ``span`` whole."""
    i = bisect_right(starts, span.start)
    return i > 0 and reach[i - 1] >= span.end


def decode(text: str, probs: np.ndarray) -> list[TagSpan]:
    """The tag spans of a text from the model's per-character probabilities (argmax + constraints)."""
    return constrain_sections(text, argmax_spans(probs))
