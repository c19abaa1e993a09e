"""Span-level precision/recall of the rules-only reader against synthetic gold, per tag and style.

Run: ``.venv/bin/python tests/reader_spans.py [N_PER_STYLE] [SEED]`` (prints a table).

Gold spans (on the original text) are projected onto the normalised text with the
normaliser's offset map, as the tagger's training labels are. A span counts when start, end
and tag agree. ``VAL~`` merges touching VAL spans on both sides first: the reader tags a glued
digit run as one span where the gold has one span per cell, by design (the table stage splits
runs), so ``VAL~`` is the fair measure of finding the value runs.
"""

from __future__ import annotations

import sys
from collections import Counter, defaultdict

from nianbao.labels.gold import STYLES, GoldDoc
from nianbao.normalise import normalise_text
from nianbao.rules.reader import read_tags

TAGS = ("SEC", "TTL", "ROW", "COL", "VAL", "VAL~", "BLANK")


def merge_touching(spans: set[tuple[int, int]]) -> set[tuple[int, int]]:
    """Merge spans that touch (end == next start) into runs.

    >>> sorted(merge_touching({(0, 1), (1, 2), (4, 5)}))
    [(0, 2), (4, 5)]
    """
    out: list[list[int]] = []
    for a, b in sorted(spans):
        if out and out[-1][1] == a:
            out[-1][1] = b
        else:
            out.append([a, b])
    return {(a, b) for a, b in out}


def doc_spans(doc: GoldDoc) -> tuple[dict[str, set[tuple[int, int]]], dict[str, set[tuple[int, int]]]]:
    """(gold, predicted) spans per tag on the normalised text of one document."""
    text = doc.load_text()
    norm, omap = normalise_text(text)
    gold: dict[str, set[tuple[int, int]]] = defaultdict(set)
    for sp in doc.spans:
        a, b = omap.span_from_source(sp.start, sp.end)
        if sp.tag == "BLANK" and b > a:
            b = a + 1
        if b > a:
            gold[sp.tag].add((a, b))
    pred: dict[str, set[tuple[int, int]]] = defaultdict(set)
    for t in read_tags(norm):
        pred[t.tag].add((t.start, t.end))
    gold["VAL~"], pred["VAL~"] = merge_touching(gold["VAL"]), merge_touching(pred["VAL"])
    return gold, pred


def evaluate(n: int, seed: int) -> dict[str, dict[str, Counter[str]]]:
    """Counts tp/fp/fn per style and tag over ``n`` generated reports of each style."""
    from nianbao.training.synth_corpus import generate_one

    out: dict[str, dict[str, Counter[str]]] = {}
    for style in STYLES:
        per_tag: dict[str, Counter[str]] = defaultdict(Counter)
        for i in range(n):
            gold, pred = doc_spans(generate_one(seed, i, style))
            for tag in TAGS:
                g, p = gold.get(tag, set()), pred.get(tag, set())
                per_tag[tag]["tp"] += len(g & p)
                per_tag[tag]["fp"] += len(p - g)
                per_tag[tag]["fn"] += len(g - p)
        out[style] = per_tag
    return out


def fmt(c: Counter[str]) -> str:
    """``P/R`` in percent, ``-`` where there is nothing to score."""
    tp, fp, fn = c["tp"], c["fp"], c["fn"]
    if tp + fp + fn == 0:
        return "     -     "
    p = 100 * tp / (tp + fp) if tp + fp else 0.0
    r = 100 * tp / (tp + fn) if tp + fn else 0.0
    return f"{p:5.1f}/{r:5.1f}"


def main() -> None:
    """Print the P/R table."""
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 20
    seed = int(sys.argv[2]) if len(sys.argv) > 2 else 7
    res = evaluate(n, seed)
    print(f"reader span P/R (%) on {n} synthetic reports per style, seed {seed}")
    print("style".ljust(16) + "".join(t.center(13) for t in TAGS))
    for style, per_tag in res.items():
        print(style.ljust(16) + "".join(fmt(per_tag[t]).center(13) for t in TAGS))


if __name__ == "__main__":
    main()
