"""The label search (``lexicon.raw_matches``): one Aho-Corasick pass finds what a ``str.find`` per core and
per one-character-lost variant found, in the same order."""

from __future__ import annotations

import random

from hypothesis import example, given, settings
from hypothesis import strategies as st

from nianbao.rules.lexicon import (
    ENTRIES,
    Match,
    _find_all,
    deletion_variants,
    head_tail_hits,
    raw_matches,
    span_matches,
    squeeze,
)

ALL_KEYS = frozenset(e.key for e in ENTRIES)
SOME_KEYS = frozenset(e.key for e in ENTRIES[::3])


def _reference(text: str, view: tuple[str, list[int]], start: int = 0, end: int | None = None,
               fuzzy_for: frozenset[str] | None = None) -> list[Match]:
    """``raw_matches`` as it was before the automaton: ``str.find`` for each core and each variant."""
    sq, pos = view
    lo = next((i for i, p in enumerate(pos) if p >= start), len(pos))
    hi = len(sq) if end is None else next((i for i, p in enumerate(pos) if p >= end), len(pos))
    out: list[Match] = []
    for e in ENTRIES:
        if fuzzy_for is not None and e.key not in fuzzy_for:
            continue
        hits: list[tuple[int, int]] = []
        if fuzzy_for is None:
            hits = [(i, i + len(e.core)) for i in _find_all(sq, e.core, lo, hi)]
        else:
            for v in deletion_variants(e.core):
                hits += [(i, i + len(v)) for i in _find_all(sq, v, lo, hi)]
            hits = hits or head_tail_hits(sq, e.core, lo, hi)  # unchanged by the automaton
        out += span_matches(text, pos, e, hits, fuzzy_for is None)
    return out


def _spans(matches: list[Match]) -> list[tuple[str, int, int, bool]]:
    return [(m.entry.key, m.start, m.end, m.exact) for m in matches]


def _damaged(core: str, rnd: random.Random) -> str:
    """A core as a crawl leaves it: whole, one or two characters lost, or split by a space or line break."""
    roll = rnd.random()
    if roll < 0.3 or len(core) < 3:
        return core
    i = rnd.randrange(len(core))
    if roll < 0.6:
        return core[:i] + core[i + 1:]
    if roll < 0.75:
        j = rnd.randrange(len(core))
        return "".join(c for k, c in enumerate(core) if k not in (i, j))
    return core[:i] + rnd.choice([" ", "\n", "  | ", "\t", "”"]) + core[i:]


FILLER = ["\n", " | ", "\t", "0", "12", "0000000", "“", "”", "（一）", "1.", "本年度", "，", "。", "其它"]


@settings(max_examples=300, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), n=st.integers(0, 25), cut=st.tuples(st.floats(0, 1), st.floats(0, 1)))
@example(seed=0, n=0, cut=(0.0, 1.0))  # an empty text
@example(seed=1, n=1, cut=(0.5, 0.5))  # an empty region
def test_automaton_finds_what_each_find_found(seed: int, n: int, cut: tuple[float, float]) -> None:
    rnd = random.Random(seed)
    pieces = []
    for _ in range(n):
        pieces.append(_damaged(rnd.choice(ENTRIES).core, rnd))
        pieces.extend(rnd.choices(FILLER, k=rnd.randrange(3)))
    text = "".join(pieces)
    view = squeeze(text)
    a, b = sorted(int(c * len(text)) for c in cut)
    for start, end in ((0, None), (a, b)):
        for keys in (None, ALL_KEYS, SOME_KEYS):
            assert _spans(raw_matches(text, view, start, end, fuzzy_for=keys)) == \
                _spans(_reference(text, view, start, end, fuzzy_for=keys))


def test_a_damaged_label_is_found_by_its_variants_and_the_exact_search_misses_it() -> None:
    text = "行政复议 | 结果维 | 0"  # 结果维持 lost its last character
    exact = {m.entry.key for m in raw_matches(text)}
    fuzzy = [m for m in raw_matches(text, fuzzy_for=ALL_KEYS) if text[m.start:m.end] == "结果维"]
    assert fuzzy and all(not m.exact for m in fuzzy)
    assert not any(k in exact for k in {m.entry.key for m in fuzzy})
