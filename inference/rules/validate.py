"""Check the template's arithmetic on the rebuilt tables; every broken identity becomes a flag.

Values are never changed: a report that breaks its own sums is reported as printed, with a flag
naming every field of the identity (a blank counts as 0 in the sums).

    >>> from nianbao.document import Document, FieldValue
    >>> d = Document(template="v2021")
    >>> d.fields = {f"t4.review.{c}": FieldValue(value=v) for c, v in
    ...             zip(["upheld", "corrected", "other", "pending", "total"], [1, 0, 0, 0, 2], strict=True)}
    >>> [f.code for f in validate(d).flags]
    ['invariant.t4_total']
"""

from __future__ import annotations

import math

from nianbao.document import Document, Flag
from nianbao.labels.catalogue import Invariant, invariants_for


def check(doc: Document, inv: Invariant) -> tuple[float, float] | None:
    """(lhs, rhs) sums of an identity when it is broken; None when it holds or cannot be checked."""
    if any(f not in doc.fields for f in inv.fields):
        return None
    lhs = sum(doc.fields[f].value or 0 for f in inv.lhs)
    rhs = sum(doc.fields[f].value or 0 for f in inv.rhs)
    if math.isclose(lhs, rhs, abs_tol=1e-6):
        return None
    return lhs, rhs


def broken_invariants(doc: Document) -> list[tuple[Invariant, float, float]]:
    """Every applicable identity the document's fields break, with both sides' sums."""
    out = []
    for inv in invariants_for(frozenset(doc.fields)):
        res = check(doc, inv)
        if res is not None:
            out.append((inv, *res))
    return out


def validate(doc: Document) -> Document:
    """Pipeline stage: append an ``invariant.*`` flag for each broken identity (values untouched)."""
    for inv, lhs, rhs in broken_invariants(doc):
        doc.flags.append(Flag(code=inv.code, fields=list(inv.fields), message=(
            f"{' + '.join(inv.lhs)} = {_fmt(lhs)} but {_describe(inv.rhs)} = {_fmt(rhs)}; "
            "values are kept as printed: check these cells in the source")))
    return doc


def _fmt(x: float) -> str:
    return str(int(x)) if float(x).is_integer() else f"{x:g}"


def _describe(fields: tuple[str, ...]) -> str:
    if len(fields) <= 3:
        return " + ".join(fields)
    return f"the sum of {len(fields)} fields ({fields[0]} … {fields[-1]})"
