"""Cross-year ties of the template: soft evidence between consecutive years of one agency.

Each tie is checked per column: it names, for a pair of reports (year Y, year Y+1), the fields of each
report it reads and whether their values agree. Real reports break ties often (clean-up campaigns,
re-counted items), so a tie never overrides a value: it settles a flagged one only where exactly one
offered reading satisfies it and the same tie holds, unflagged, in every other column of the pair
(``nianbao.series.link``), and a broken tie is a ``crossyear.<tie>`` flag.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from nianbao.labels.catalogue import T3_COLS

ITEMS_V2019 = ("licensing", "other_services", "punishment", "enforcement", "fees")
DOC_ROWS = ("regulations", "normative_docs")


@dataclass(frozen=True)
class TieCheck:
    """One column of one tie: the fields it reads in the earlier and the later report."""

    tie: str
    column: str
    earlier: tuple[str, ...]
    later: tuple[str, ...]

    def holds(self, a: dict[str, Any], b: dict[str, Any]) -> bool | None:
        """Whether the tie holds for values ``a`` (earlier report) and ``b`` (later); None when a value is
        missing or blank (nothing to check)."""
        va = [a.get(f) for f in self.earlier]
        vb = [b.get(f) for f in self.later]
        if any(v is None for v in va + vb):
            return None
        return _holds(self.tie, va, vb)


def _holds(tie: str, va: list[Any], vb: list[Any]) -> bool:
    if tie == "carry":  # 结转下年度 of Y = 上年结转 of Y+1
        return math.isclose(va[0], vb[0])
    if tie == "items":  # 上一年项目数量(Y+1) = 上一年项目数量(Y) + 本年增/减(Y)
        return math.isclose(va[0] + va[1], vb[0])
    if tie == "in_force":  # 现行有效(Y+1) = 现行有效(Y) + 本年制发(Y+1) - 本年废止(Y+1)
        return math.isclose(va[0] + vb[1] - vb[2], vb[0])
    if tie == "published":  # 对外公开总数量(Y+1) = 对外公开总数量(Y) + 本年新公开(Y+1)
        return math.isclose(va[0] + vb[1], vb[0])
    raise ValueError(f"unknown tie {tie!r}")


TIES = ("carry", "items", "in_force", "published")
SETTLING = frozenset({"carry", "items", "in_force"})  # "published" grows only about so: it flags, never settles


def checks(template_a: str, template_b: str) -> Iterator[TieCheck]:
    """Every tie column that applies to a pair of consecutive reports of these templates.

    >>> sorted({c.tie for c in checks("v2021", "v2021")}), sorted({c.tie for c in checks("v2019", "v2019")})
    (['carry', 'in_force'], ['carry', 'items', 'published'])
    """
    if template_a == "none" or template_b == "none":
        return
    for c, _ in T3_COLS:
        yield TieCheck("carry", c, (f"t3.carried_forward.{c}",), (f"t3.carried_over.{c}",))
    if template_a == template_b == "v2019":
        for item in ITEMS_V2019:
            yield TieCheck("items", item, (f"t2.{item}.prev_count", f"t2.{item}.change"), (f"t2.{item}.prev_count",))
        for row in DOC_ROWS:
            yield TieCheck("published", row, (f"t2.{row}.total_published",),
                           (f"t2.{row}.total_published", f"t2.{row}.new_published"))
    if template_a == template_b == "v2021":
        for row in DOC_ROWS:
            yield TieCheck("in_force", row, (f"t2.{row}.in_force",),
                           (f"t2.{row}.in_force", f"t2.{row}.issued", f"t2.{row}.repealed"))
