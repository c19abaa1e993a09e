"""Character offset maps between a transformed text and the text it came from.

A map stores, for every character ``i`` of the new text, the half-open range
``[starts[i], ends[i])`` of source characters it came from. Maps compose, so a
chain of normalisation steps still maps any span back to the original input.

>>> m = OffsetMap.identity(3)
>>> m.span_to_source(0, 2)
(0, 2)
>>> b = OffsetBuilder()
>>> b.keep(0, "鎮"); b.drop(1, 7); b.keep(7, "x")
>>> text, m = b.build(8)
>>> text, m.span_to_source(0, 2)
('鎮x', (0, 8))
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from dataclasses import dataclass, field


@dataclass
class OffsetMap:
    """For each target character, the source range it came from; plus the source length."""

    starts: list[int]
    ends: list[int]
    source_len: int

    @classmethod
    def identity(cls, n: int) -> OffsetMap:
        """The map of an unchanged text of ``n`` characters (``IdentityMap``: its lists made only if read)."""
        return IdentityMap(n)

    def __len__(self) -> int:
        return len(self.starts)

    def position_to_source(self, i: int) -> int:
        """Source position of target position ``i`` (a boundary, 0..len)."""
        if i < len(self.starts):
            return self.starts[i]
        return self.source_len

    def span_to_source(self, start: int, end: int) -> tuple[int, int]:
        """Map a target span to the source span that covers it (empty spans stay empty)."""
        if not 0 <= start <= end <= len(self.starts):
            raise ValueError(f"span ({start}, {end}) outside 0..{len(self.starts)}")
        if start == end:
            p = self.position_to_source(start)
            return p, p
        return self.starts[start], self.ends[end - 1]

    def span_from_source(self, start: int, end: int) -> tuple[int, int]:
        """The target span whose characters come from inside source span ``[start, end)``.

        >>> OffsetMap([0, 7], [7, 8], 8).span_from_source(0, 8)
        (0, 2)
        """
        i0 = bisect_left(self.starts, start)
        i1 = bisect_right(self.ends, end)
        return i0, max(i0, i1)

    def compose(self, inner: OffsetMap) -> OffsetMap:
        """Chain maps: ``self`` maps C->B and ``inner`` maps B->A; the result maps C->A."""
        starts: list[int] = []
        ends: list[int] = []
        for s, e in zip(self.starts, self.ends, strict=True):
            a, b = inner.span_to_source(s, e)
            starts.append(a)
            ends.append(b)
        return OffsetMap(starts, ends, inner.source_len)

    def is_monotonic(self) -> bool:
        """Whether starts and ends never decrease, each range is ordered, and all lie in ``0..source_len``.

        >>> OffsetMap([0, 7], [7, 8], 8).is_monotonic(), OffsetMap([3, 1], [4, 2], 4).is_monotonic()
        (True, False)
        """
        s, e, n = self.starts, self.ends, self.source_len
        if not s:
            return True
        return (all(a <= b for a, b in zip(s, s[1:], strict=False))
                and all(a <= b for a, b in zip(e, e[1:], strict=False))
                and all(a <= b for a, b in zip(s, e, strict=True)) and s[0] >= 0 and e[-1] <= n)

    def to_json(self) -> dict[str, object]:
        """A compact JSON form (run-length encoded where the map is the identity)."""
        return {"starts": self.starts, "ends": self.ends, "source_len": self.source_len}


class IdentityMap(OffsetMap):
    """``OffsetMap(list(range(n)), list(range(1, n + 1)), n)`` that answers span queries without its lists.

    Most reports need no normalising step, and their map is only asked for a few hundred spans; two lists
    of a report's length in int objects cost more than all those queries. ``starts`` and ``ends`` are built
    on first use, and the map equals the explicit one.

    >>> m = IdentityMap(4)
    >>> m.span_to_source(1, 3), m.span_from_source(-2, 9), m.position_to_source(4), m == OffsetMap.identity(4)
    ((1, 3), (0, 4), 4, True)
    >>> m.starts, m == OffsetMap([0, 1, 2, 3], [1, 2, 3, 4], 4)
    ([0, 1, 2, 3], True)
    """

    def __init__(self, n: int) -> None:  # noqa: D107 - the class says it
        self.source_len = n
        self._lists: tuple[list[int], list[int]] | None = None

    def _materialised(self) -> tuple[list[int], list[int]]:
        if self._lists is None:
            n = self.source_len
            self._lists = (list(range(n)), list(range(1, n + 1)))
        return self._lists

    @property  # type: ignore[override]
    def starts(self) -> list[int]:
        """Each character's source start: its own position."""
        return self._materialised()[0]

    @property  # type: ignore[override]
    def ends(self) -> list[int]:
        """Each character's source end: its position plus one."""
        return self._materialised()[1]

    def __len__(self) -> int:
        return self.source_len

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, OffsetMap):
            return NotImplemented
        if isinstance(other, IdentityMap):
            return self.source_len == other.source_len
        return (self.starts, self.ends, self.source_len) == (other.starts, other.ends, other.source_len)

    def __repr__(self) -> str:
        return f"IdentityMap({self.source_len})"

    def position_to_source(self, i: int) -> int:
        """Source position of target position ``i``: itself, up to the text's length."""
        return i if i < self.source_len else self.source_len

    def span_to_source(self, start: int, end: int) -> tuple[int, int]:
        """The same span (empty spans stay empty)."""
        if not 0 <= start <= end <= self.source_len:
            raise ValueError(f"span ({start}, {end}) outside 0..{self.source_len}")
        return start, end

    def span_from_source(self, start: int, end: int) -> tuple[int, int]:
        """The source span clipped to the text."""
        n = self.source_len
        i0, i1 = min(max(start, 0), n), min(max(end, 0), n)
        return i0, max(i0, i1)


def chain(outer: OffsetMap, inner: OffsetMap | None) -> OffsetMap:
    """``outer.compose(inner)`` computed in list comprehensions (several times faster); None = identity.

    >>> chain(OffsetMap([0, 1], [1, 3], 3), OffsetMap([0, 2, 4], [2, 4, 5], 5)).starts
    [0, 2]
    """
    if inner is None:
        return outer
    if outer.starts and (outer.starts[0] < 0 or outer.ends[-1] > len(inner.starts)):
        raise ValueError(f"outer map reaches past the {len(inner.starts)} characters of the inner text")
    ist = inner.starts + [inner.source_len]
    iend = inner.ends
    starts = [ist[s] for s in outer.starts]
    ends = [iend[e - 1] if e > s else ist[s] for s, e in zip(outer.starts, outer.ends, strict=True)]
    return OffsetMap(starts, ends, inner.source_len)


@dataclass
class OffsetBuilder:
    """Build a new text piece by piece while recording where each character came from."""

    chars: list[str] = field(default_factory=list)
    starts: list[int] = field(default_factory=list)
    ends: list[int] = field(default_factory=list)

    def keep(self, pos: int, text: str, src_end: int | None = None) -> None:
        """Emit ``text`` for the source range ``[pos, src_end)`` (default: one char per char)."""
        if src_end is None and len(text) > 1:
            for k, ch in enumerate(text):
                self.emit(ch, pos + k, pos + k + 1)
            return
        end = pos + 1 if src_end is None else src_end
        for ch in text:
            self.emit(ch, pos, end)

    def keep_run(self, pos: int, text: str) -> None:
        """Emit ``text`` unchanged, character ``k`` coming from source position ``pos + k`` (fast path)."""
        n = len(text)
        self.chars.extend(text)
        self.starts.extend(range(pos, pos + n))
        self.ends.extend(range(pos + 1, pos + n + 1))

    def emit(self, ch: str, start: int, end: int) -> None:
        """Emit one character coming from source range ``[start, end)``."""
        self.chars.append(ch)
        self.starts.append(start)
        self.ends.append(end)

    def drop(self, start: int, end: int) -> None:
        """Record that source range ``[start, end)`` produced nothing (kept for symmetry)."""

    def build(self, source_len: int) -> tuple[str, OffsetMap]:
        """The new text and its map to the source."""
        return "".join(self.chars), OffsetMap(self.starts, self.ends, source_len)
