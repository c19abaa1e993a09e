"""Prose claims as evidence: figures the report's body states, read with the phrasings of ``labels/claims.yaml``.

A claim is (field, stated figure, span) found outside the tables. Inside one report a claim settles a
flagged reading of a glued digit run when exactly one cut of the run agrees with it, that cut is one of
the readings the flags already offered (the chosen one or an alternative) or the prose states every cell
of the row (its figures then spell the run), and the phrasing may settle
(measured precision >= 0.99 on the tuning reports and synthetic data). A settled field leaves
``flags``; the flag moves to ``Document.resolutions`` with the prose span as its evidence::

    >>> from nianbao.document import Document, FieldValue, Flag
    >>> text = "现行有效规范性文件253件。97253"
    >>> d = Document(norm_text=text, template="v2021")
    >>> d.fields = {"t2.normative_docs.issued": FieldValue(value=97, raw="97", norm_span=(14, 16)),
    ...             "t2.normative_docs.repealed": FieldValue(value=2, raw="2", norm_span=(16, 17)),
    ...             "t2.normative_docs.in_force": FieldValue(value=53, raw="53", norm_span=(17, 19))}
    >>> fids = list(d.fields)
    >>> d.flags = [Flag(code="split.unpinned", fields=fids, alternatives=[dict(zip(fids, (9, 7, 253)))])]
    >>> d = settle_by_claims(d)
    >>> [d.fields[f].value for f in fids], d.flags, d.resolutions[0].evidence["kind"]
    ([9, 7, 253], [], 'prose')

Measure each phrasing's precision with ``python -m nianbao.rules.claims measure`` (README "Evidence").
"""

from __future__ import annotations

import bisect
import math
import re
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from functools import cache
from importlib.resources import files
from itertools import combinations
from pathlib import Path
from typing import Any

import yaml  # type: ignore[import-untyped]

from nianbao.document import Document, Flag, Resolution
from nianbao.rules.budget import Budget
from nianbao.rules.values import fold_digits

CLAIMS_PATH = Path(str(files("nianbao.labels") / "claims.yaml"))  # package data: found in a wheel as in the checkout
_NUMBER = r"(?P<n>[0-9０-９][0-9０-９,，]*(?:[.．][0-9０-９]+)?)"
TABLE_TAGS = ("ROW", "COL", "VAL", "BLANK", "TTL")
MAX_CUTS = 20_000  # a run with more cuts than this is not enumerated (it settles nothing; ~20 ms here)


@dataclass(frozen=True)
class Phrasing:
    """One catalogue entry: the figure it states, per template, and whether it may settle."""

    id: str
    family: str
    fields: tuple[tuple[str, str], ...]  # (template or "any", field id)
    pattern: Any  # a compiled re.Pattern (mypyc cannot resolve re.Pattern in a class body)
    settle: bool
    precision: float | None = None  # measured (agree + 1) / (n + 2), the confidence of a settled value

    def field_for(self, template: str) -> str | None:
        """The field this phrasing states in a report of ``template`` (None: not in this template)."""
        for t, f in self.fields:
            if t in (template, "any"):
                return f
        return None


@dataclass(frozen=True)
class Claim:
    """A figure the prose states for a field, where (normalised offsets) and by which phrasing."""

    field: str
    value: int | float
    start: int
    end: int
    phrasing: Phrasing


@cache
def load_catalogue(path: Path = CLAIMS_PATH) -> tuple[Phrasing, ...]:
    """The phrasings of ``labels/claims.yaml`` (a missing or broken file is an error, not an empty list)."""
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    out = []
    seen: set[str] = set()
    for e in data["phrasings"]:
        if e["id"] in seen:
            raise ValueError(f"E_CLAIMS: phrasing id {e['id']!r} appears twice in {path}")
        seen.add(e["id"])
        measured = e.get("measured") or {}
        n, agree = int(measured.get("n", 0)), int(measured.get("agree", 0))
        out.append(Phrasing(id=e["id"], family=e["family"], fields=tuple(e["field"].items()),
                            pattern=re.compile(e["pattern"].replace("N", _NUMBER)), settle=bool(e.get("settle")),
                            precision=(agree + 1) / (n + 2) if n else None))
    return tuple(out)


def _number(text: str) -> int | float | None:
    t = fold_digits(text).replace("．", ".")
    try:
        v = float(t)
    except ValueError:
        return None
    return int(v) if v.is_integer() and "." not in t else v


def extract_claims(text: str, template: str, inside: Callable[[int], bool] = lambda _: False,
                   catalogue: Sequence[Phrasing] | None = None) -> list[Claim]:
    """Every claim the text states outside the tables (``inside(offset)`` true = in a table), in text order.

    >>> [(c.field, c.value) for c in extract_claims("本年度制发规范性文件34件，现行有效规范性文件89件。", "v2021")]
    [('t2.normative_docs.issued', 34), ('t2.normative_docs.in_force', 89)]
    """
    out = []
    for ph in catalogue if catalogue is not None else load_catalogue():
        fid = ph.field_for(template)
        if fid is None:
            continue
        for m in ph.pattern.finditer(text):
            if inside(m.start("n")) or inside(m.start()):
                continue
            v = _number(m.group("n"))
            if v is not None:
                out.append(Claim(fid, v, m.start(), m.end(), ph))
    out.sort(key=lambda c: (c.start, c.end))
    return out


def table_spans(doc: Document) -> Callable[[int], bool]:
    """``inside(offset)`` for the document's table tags (rows, columns, values, blanks, titles)."""
    spans = sorted((t.start, t.end) for t in doc.tags if t.tag in TABLE_TAGS)
    starts = [s for s, _ in spans]

    def inside(pos: int) -> bool:

        k = bisect.bisect_right(starts, pos)
        return any(spans[j][0] <= pos < spans[j][1] for j in range(max(0, k - 3), k))

    return inside


# ----------------------------------------------------------------- cuts of a glued run
def _cell_ok(part: str) -> bool:
    if not part or part.count(".") > 1 or part.startswith(".") or part.endswith("."):
        return False
    body = part[1:] if part.startswith("-") else part
    if not body or "-" in body:
        return False
    whole = body.split(".")[0]
    return whole == "0" or not whole.startswith("0")


def cuts(run: str, k: int) -> Iterator[tuple[str, ...]]:
    """Every way to cut a glued digit run into ``k`` well-formed cells (no leading zeros, one point).

    >>> sorted(cuts("1023", 2))
    [('10', '23'), ('102', '3')]
    """
    n = len(run)
    for pos in combinations(range(1, n), k - 1):
        parts = tuple(run[a:b] for a, b in zip((0, *pos), (*pos, n), strict=True))
        if all(_cell_ok(p) for p in parts):
            yield parts


def chunk_cuts(chunks: Sequence[str], k: int) -> Iterator[tuple[str, ...]]:
    """Every way to fill ``k`` cells from digit runs printed apart (each run cut into one or more cells,
    as ``cuts`` does; the gap between runs is always a cell boundary).

    >>> sorted(chunk_cuts(["3011", "306"], 3))
    [('30', '11', '306'), ('301', '1', '306'), ('3011', '30', '6')]
    """
    if not chunks:
        if k == 0:
            yield ()
        return
    head, rest = chunks[0], chunks[1:]
    for m in range(1, min(len(head), k - len(rest)) + 1):
        for first in cuts(head, m):
            for tail in chunk_cuts(rest, k - m):
                yield first + tail


def same_value(a: Any, b: Any) -> bool:
    """Whether two field values are the same number (or both blank)."""
    if a is None or b is None:
        return a is None and b is None
    return math.isclose(float(a), float(b), rel_tol=0, abs_tol=1e-9)


def _row_of(fid: str) -> str:
    return fid.rsplit(".", 1)[0]


def _run(doc: Document, fids: list[str]) -> tuple[list[tuple[int, str]], list[str]] | None:
    """The digit runs (start, text) of a row whose numeric cells lie glued side by side in the text, or
    apart with only spaces between (the gap is always a cell boundary), and the field order."""
    fvs = [(doc.fields[f].norm_span, f) for f in fids if f in doc.fields]
    if len(fvs) != len(fids) or any(doc.fields[f].value is None for f in fids):
        return None
    fvs.sort()
    chunks: list[list[int]] = []
    for (a, b), _ in fvs:
        if a >= b:
            return None
        if chunks and chunks[-1][1] == a:
            chunks[-1][1] = b
        elif chunks and (chunks[-1][1] > a or doc.norm_text[chunks[-1][1]:a].strip()):
            return None
        else:
            chunks.append([a, b])
    runs = [(a, doc.norm_text[a:b]) for a, b in chunks]
    if not all(re.fullmatch(r"-?[0-9.\-]+", t) for _, t in runs):
        return None
    return runs, [f for _, f in fvs]


def _readings(doc: Document, row: list[str], flags: list[Flag]) -> list[dict[str, Any]]:
    """The row's readings the flags offer: the chosen one and each alternative (projected on the row)."""
    current = {f: doc.fields[f].value for f in row}
    out = [current]
    for fl in flags:
        for alt in fl.alternatives or []:
            r = dict(current)
            r.update({f: v for f, v in alt.items() if f in r})
            if r not in out:
                out.append(r)
    return out


def settle_by_claims(doc: Document, catalogue: Sequence[Phrasing] | None = None) -> Document:
    """Pipeline stage: settle flagged glued rows that a settling prose claim pins to one offered cut."""
    if not doc.fields or not any(f.alternatives for f in doc.flags):
        return doc
    claims = [c for c in extract_claims(doc.norm_text, doc.template, table_spans(doc), catalogue)
              if c.phrasing.settle and c.field in doc.fields]
    by_field: dict[str, list[Claim]] = {}
    for c in claims:
        by_field.setdefault(c.field, []).append(c)
    # a field the prose states two different ways settles nothing
    stated = {f: cs for f, cs in by_field.items() if all(same_value(c.value, cs[0].value) for c in cs)}
    done: set[str] = set()
    for fid in stated:
        row_key = _row_of(fid)
        if row_key in done:
            continue
        flags = [fl for fl in doc.flags if fid in fl.fields and fl.alternatives]
        if not flags:
            continue
        row = sorted({f for fl in flags for f in fl.fields if _row_of(f) == row_key}
                     | {f for f in doc.fields if _row_of(f) == row_key})
        found = _run(doc, row)
        if found is None:
            continue
        runs, order = found
        pinned = {f: stated[f][0].value for f in order if f in stated}
        digits = sum(len(t) for _, t in runs)
        budget = Budget("claims.cuts", MAX_CUTS)
        if not budget.spend(math.comb(max(digits - 1, 0), len(order) - 1)):
            continue  # too many cuts to try: the claim settles nothing, the row stays flagged
        agreeing = [p for p in chunk_cuts([t for _, t in runs], len(order))
                    if all(same_value(_number(p[order.index(f)]), v) for f, v in pinned.items())]
        if len(agreeing) != 1:
            continue
        chosen = dict(zip(order, (_number(x) for x in agreeing[0]), strict=True))
        offered = _readings(doc, order, flags)
        whole = len(pinned) == len(order)  # the prose restates the whole row and its figures spell the run
        if not whole and not any(all(same_value(r[f], chosen[f]) for f in order) for r in offered):
            continue
        done.add(row_key)
        _apply(doc, order, agreeing[0], runs, [c for f in order for c in stated.get(f, [])[:1]])
    return doc


def _apply(doc: Document, order: list[str], parts: tuple[str, ...], runs: list[tuple[int, str]],
           evidence: list[Claim]) -> None:
    """Write the settled cut into the fields, move their flags to resolutions."""
    codes: dict[str, str] = {}
    for fl in doc.flags:
        for f in fl.fields:
            if f in order:
                codes.setdefault(f, fl.code)
    claim = evidence[0]
    span = list(doc.to_source(claim.start, claim.end))
    starts = []  # where each part lies: the runs' characters in order, a part never across two runs
    k, pos, used = 0, runs[0][0], 0
    for part in parts:
        if used == len(runs[k][1]):
            k, used = k + 1, 0
            pos = runs[k][0]
        starts.append(pos)
        pos, used = pos + len(part), used + len(part)
    for f, part, pos in zip(order, parts, starts, strict=True):
        fv = doc.fields[f]
        previous = fv.value
        fv.value = _number(part)
        fv.raw = part
        fv.norm_span = (pos, pos + len(part))
        doc.resolutions.append(Resolution(field=f, previous=previous, value=fv.value, code=codes.get(f),
                                          evidence={"kind": "prose", "phrasing": claim.phrasing.id,
                                                    "claim_field": claim.field, "span": span}))
    settled = set(order)
    kept = []
    for fl in doc.flags:
        rest = [f for f in fl.fields if f not in settled]
        if not rest:
            continue
        if len(rest) < len(fl.fields):
            alts = [{k: v for k, v in a.items() if k not in settled} for a in fl.alternatives or []]
            fl = fl.model_copy(update={"fields": rest, "alternatives": [a for a in alts if a] or None})
        kept.append(fl)
    doc.flags = kept


def settled_confidence(doc: Document, catalogue: Sequence[Phrasing] | None = None) -> Document:
    """Pipeline stage after the confidences: a settled field's confidence is its phrasing's measured
    precision ((agree + 1) / (n + 2) over the tuning reports and synthetic data)."""
    by_id = {p.id: p for p in (catalogue if catalogue is not None else load_catalogue())}
    for r in doc.resolutions:
        ph = by_id.get(str(r.evidence.get("phrasing")))
        if r.evidence.get("kind") == "prose" and ph is not None and ph.precision is not None and r.field in doc.fields:
            doc.fields[r.field].confidence = ph.precision
    return doc
