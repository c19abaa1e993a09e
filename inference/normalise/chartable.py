"""One-for-one character replacement in bulk: ``str.translate`` without its per-character dict lookup.

``str.translate`` with a dict table looks every character of a Chinese text up in the dict (about 50 ns
a character: half a millisecond for a report). A ``CharTable`` holds the same replacements as a lookup
array over the code points and applies it to the whole text at once with numpy: the same string, about
ten times sooner. Only one-character replacements fit (the offsets stay the identity).

>>> t = CharTable({ord("，"): ",", ord("鎮"): "镇"})
>>> t("乳山口鎮，𠀀")
'乳山口镇,𠀀'
"""

from __future__ import annotations

import numpy as np


class CharTable:
    """``str.translate`` with a table of one-character replacements, applied with a code-point lookup array."""

    def __init__(self, table: dict[int, str]) -> None:
        if any(len(v) != 1 for v in table.values()):
            raise ValueError("a CharTable replaces one character with one character")
        self.table = table
        self._top = max(table, default=-1) + 1  # code points from here on are never replaced
        self._lut = np.arange(self._top, dtype=np.uint32)
        for k, v in table.items():
            self._lut[k] = ord(v)

    def __call__(self, text: str) -> str:
        """``text.translate(self.table)``."""
        if not text or not self._top:
            return text
        cps = np.frombuffer(text.encode("utf-32-le", "surrogatepass"), dtype=np.uint32)
        if int(cps.max()) < self._top:
            out = self._lut[cps]
        else:
            out = np.where(cps < self._top, self._lut[np.minimum(cps, self._top - 1)], cps)
        return out.tobytes().decode("utf-32-le", "surrogatepass")
