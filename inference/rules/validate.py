"""Check the template's arithmetic on the rebuilt tables; every broken identity becomes a flag.

Values are never changed: a report that breaks its own sums is reported as printed, with a flag
naming every field of the identity (a blank counts as 0 in the sums). Where the break is surely the
report's own, the flag names only the identity's left-hand side (``t3.new_received.<col>`` +
``t3.carried_over.<col>``, ``t3.total.<col>``, ``t4.<group>.total``, as in the output contract's
example) and the message lists the rest. Surely the report's own: the table was read without doubt
(no split, table or cross-reading flag), every cell of the identity is printed plainly (or is the
only cut of a glued run), placed by its label rather than by its position in a value stream, and read
the same by the model and the rules-only reader; and the break cannot be a misplaced value — for a
column identity of table 3, every row of the table adds up; for a table-4 group, its five cells are
printed on one line. A row total that breaks always names every field.

    >>> from nianbao.document import Document, FieldValue
    >>> d = Document(template="v2021")
    >>> d.fields = {f"t4.review.{c}": FieldValue(value=v) for c, v in
    ...             zip(["upheld", "corrected", "other", "pending", "total"], [1, 0, 0, 0, 2], strict=True)}
    >>> [f.code for f in validate(d).flags]
    ['invariant.t4_total']
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from functools import lru_cache
from typing import TYPE_CHECKING

from nianbao.document import Document, Flag
from nianbao.labels.catalogue import Invariant, invariants_for, table_of

if TYPE_CHECKING:
    from nianbao.rules.evidence import Evidence

_DOUBT = ("split.", "table.", "crosscheck.tagger_reader")
_COLUMN_IDENTITIES = ("invariant.balance", "invariant.outcome_total")


def broken_sums(values: Mapping[str, float | int | None], inv: Invariant) -> tuple[float, float] | None:
    """(lhs, rhs) sums of an identity over a field -> value mapping when they differ (a blank or an absent
    field counts as 0); None when it holds."""
    lhs = sum(values.get(f) or 0 for f in inv.lhs)
    rhs = sum(values.get(f) or 0 for f in inv.rhs)
    if math.isclose(lhs, rhs, abs_tol=1e-6):
        return None
    return lhs, rhs


def check(doc: Document, inv: Invariant) -> tuple[float, float] | None:
    """(lhs, rhs) sums of an identity when it is broken; None when it holds or cannot be checked."""
    if any(f not in doc.fields for f in inv.fields):
        return None
    return broken_sums({f: doc.fields[f].value for f in inv.fields}, inv)


@lru_cache(maxsize=64)
def applicable(fields: frozenset[str]) -> tuple[Invariant, ...]:
    """``invariants_for`` a set of fields, memoised (validation and the confidences ask for the same set)."""
    return tuple(invariants_for(fields))


def broken_invariants(doc: Document) -> list[tuple[Invariant, float, float]]:
    """Every applicable identity the document's fields break, with both sides' sums."""
    out = []
    for inv in applicable(frozenset(doc.fields)):
        res = check(doc, inv)
        if res is not None:
            out.append((inv, *res))
    return out


def validate(doc: Document, evidence: dict[str, Evidence] | None = None) -> Document:
    """Pipeline stage: append an ``invariant.*`` flag for each broken identity (values untouched);
    ``evidence`` (from the table rebuild) tells which breaks are the report's own (module docstring)."""
    doubted = {table_of(f) for fl in doc.flags if fl.code.startswith(_DOUBT) for f in fl.fields}
    broken = broken_invariants(doc)
    rows_add_up = not any(inv.code == "invariant.row_total" for inv, _, _ in broken)
    for inv, lhs, rhs in broken:
        sums = f"{' + '.join(inv.lhs)} = {_fmt(lhs)} but {_describe(inv.rhs)} = {_fmt(rhs)}"
        if evidence is not None and _own_break(doc, inv, evidence, doubted, rows_add_up):
            doc.flags.append(Flag(code=inv.code, fields=list(inv.lhs), message=(
                f"{sums}; every cell of the identity ({', '.join(inv.fields)}) is printed plainly, in place, and "
                "read the same by the model and the rules-only reader: the report's own figures disagree")))
            continue
        doc.flags.append(Flag(code=inv.code, fields=list(inv.fields), message=(
            f"{sums}; values are kept as printed: check these cells in the source")))
    return doc


def _own_break(doc: Document, inv: Invariant, evidence: dict[str, Evidence], doubted: set[str],
               rows_add_up: bool) -> bool:
    """Whether a broken identity is surely the report's own arithmetic (module docstring)."""
    if table_of(inv.lhs[0]) in doubted or not _read_for_sure(inv, evidence):
        return False
    if inv.code in _COLUMN_IDENTITIES:
        return rows_add_up
    if inv.code == "invariant.t4_total":
        spans = [doc.fields[f].norm_span for f in inv.fields]
        lo, hi = min(a for a, _ in spans), max(b for _, b in spans)
        return "\n" not in doc.norm_text[lo:hi]
    return False


def _read_for_sure(inv: Invariant, evidence: dict[str, Evidence]) -> bool:
    """Every field of the identity is a plainly printed cell (or the only cut of a glued run), placed by its
    row label, that both readings agree on."""
    return all((ev := evidence.get(f)) is not None and ev.agree is True and not ev.rescued and not ev.stream
               and (ev.kind == "cell" or (ev.kind == "split" and ev.alternatives == 1)) for f in inv.fields)


def _fmt(x: float) -> str:
    return str(int(x)) if float(x).is_integer() else f"{x:g}"


def _describe(fields: tuple[str, ...]) -> str:
    if len(fields) <= 3:
        return " + ".join(fields)
    return f"the sum of {len(fields)} fields ({fields[0]} … {fields[-1]})"
