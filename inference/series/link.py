"""``nianbao link``: a corpus pass over parse output that uses the same agency's other years as evidence.

Records are grouped into series (``identity.series_key``: URL folder, else normalised org) on disk
(``store.group``, DuckDB); the same report crawled twice gets ``duplicate_of``. For each pair of
consecutive years every cross-year tie (``ties``) is checked:

- all its fields unflagged and the tie broken: a ``crossyear.<tie>`` flag on both reports (soft: real
  reports break ties often; the values are kept);
- a flagged field on one side: the reading its flags offer (the chosen one or an alternative) that
  satisfies the tie settles it, but only when exactly one reading does and the same tie holds,
  unflagged, in every other column of that pair (the pair shows it keeps its ties). A glued row's
  flags offer only some cuts of its digits, so there the tie must also be met by no other cut
  (``_cut_readings``; a row whose cuts cannot all be listed is not settled). The settled field leaves
  ``flags``; ``resolutions`` names the tie, the other report's ``doc_id`` and fields; its confidence is
  the tie's hold rate in this pass ((held + 1) / (checked + 2)).

Settling repeats over a series' pairs until nothing more settles (a settled year is evidence for the
years on both sides); then ties are counted and broken ones flagged. A value that nothing doubted is
never changed. Records are written in input order.
"""

from __future__ import annotations

import hashlib
import json
import math
import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from nianbao.rules.claims import MAX_CUTS, chunk_cuts
from nianbao.series.identity import content_signature, series_key
from nianbao.series.store import DiskStore, Grouping, group
from nianbao.series.ties import SETTLING, TIES, TieCheck, checks


@dataclass
class LinkSummary:
    """What a pass found: series, pairs, per tie the columns checked and held, settlements, breaks."""

    records: int = 0
    series: dict[str, list[tuple[int, str]]] = field(default_factory=dict)  # key -> [(year, source)]
    pairs: int = 0
    duplicates: int = 0
    clashes: list[tuple[str, int]] = field(default_factory=list)
    checked: Counter[str] = field(default_factory=Counter)
    held: Counter[str] = field(default_factory=Counter)
    settled: Counter[str] = field(default_factory=Counter)
    breaks: list[dict[str, Any]] = field(default_factory=list)

    def hold_rate(self, tie: str) -> float | None:
        """Share of unflagged tie columns that held (None: none checked)."""
        return self.held[tie] / self.checked[tie] if self.checked[tie] else None

    def to_json(self) -> dict[str, Any]:
        """A JSON view (series listed with their years and sources)."""
        return {"records": self.records, "series": {k: v for k, v in self.series.items()}, "pairs": self.pairs,
                "duplicates": self.duplicates, "clashes": self.clashes,
                "ties": {t: {"checked": self.checked[t], "held": self.held[t], "hold_rate": self.hold_rate(t),
                             "settled": self.settled[t]} for t in TIES},
                "breaks": self.breaks}


def _values(rec: dict[str, Any]) -> dict[str, Any]:
    return {f: v.get("value") for f, v in (rec.get("fields") or {}).items()}


def doubted_fields(rec: dict[str, Any]) -> set[str]:
    """Fields a flag of a record doubts (a crossyear.* flag questions a tie, not the reading)."""
    return {f for fl in rec.get("flags") or [] if not str(fl.get("code", "")).startswith("crossyear.")
            for f in fl.get("fields") or []}


def _row_of(fid: str) -> str:
    return fid.rsplit(".", 1)[0]


def _readings(rec: dict[str, Any], row: list[str]) -> list[dict[str, Any]]:
    """The row's readings its flags offer: the chosen one and each alternative (projected on the row)."""
    vals = _values(rec)
    current = {f: vals.get(f) for f in row}
    out = [current]
    for fl in rec.get("flags") or []:
        if not set(fl.get("fields") or []) & set(row):
            continue
        for alt in fl.get("alternatives") or []:
            r = dict(current)
            r.update({f: v for f, v in alt.items() if f in r})
            if r not in out:
                out.append(r)
    return out


_NUMBER = re.compile(r"-?[0-9０-９]+")


def _cut_readings(rec: dict[str, Any], row: list[str], doubted: set[str]) -> list[dict[str, Any]] | None:
    """Every reading of the row that a cut of its digit runs gives (the runs as printed, glued cells side by
    side, apart where the text parts them; undoubted cells kept), or None when a cell is not a whole
    number (a minus sign is kept), a run's edge touches another doubted cell, or there are more than ``MAX_CUTS`` cuts (then the
    offered readings cannot be shown to be all there are).

    >>> f = {"r.a": {"value": 1, "span": [0, 1]}, "r.b": {"value": 10, "span": [1, 3]}, "r.c": {"value": 36, "span": [4, 6]}}
    >>> sorted(list(r.values()) for r in _cut_readings({"fields": f}, ["r.a", "r.b", "r.c"], {"r.a", "r.b", "r.c"}))
    [[1, 10, 36], [11, 0, 36], [110, 3, 6]]
    """
    fields = rec.get("fields") or {}
    cells = []
    for f in row:
        item = fields.get(f) or {}
        v, span = item.get("value"), item.get("span") or [0, 0]
        text = item.get("raw") if item.get("raw") is not None else (str(v) if isinstance(v, int) else None)
        if text is None or not _NUMBER.fullmatch(text) or span[1] - span[0] != len(text):
            return None
        cells.append((span[0], span[1], f, text))
    cells.sort()
    chunks: list[list[Any]] = []  # [start, end, digits] of each run of cells side by side
    for start, end, _, text in cells:
        if chunks and chunks[-1][1] == start:
            chunks[-1][1:] = [end, chunks[-1][2] + text]
        elif chunks and chunks[-1][1] > start:
            return None
        else:
            chunks.append([start, end, text])
    edges = {x for c in chunks for x in c[:2]}
    flagged = doubted_fields(rec)
    touching = [f for f, item in fields.items() if f not in row and f in flagged
                and {*(item.get("span") or [])} & edges]
    digits = sum(len(c[2]) for c in chunks)
    if touching or math.comb(digits - 1, len(cells) - 1) > MAX_CUTS:
        return None
    order = [f for _, _, f, _ in cells]
    out = []
    for parts in chunk_cuts([c[2] for c in chunks], len(order)):
        r = {f: int(p) for f, p in zip(order, parts, strict=True)}
        if all(r[f] == fields[f].get("value") for f in order if f not in doubted):
            out.append(r)
    return out


def _try_settle(a: dict[str, Any], b: dict[str, Any], cols: list[TieCheck], c: TieCheck,
                summary: LinkSummary) -> bool:
    """Settle the flagged side of tie column ``c`` between earlier ``a`` and later ``b``; True if settled."""
    if c.tie not in SETTLING:
        return False
    fa, fb = doubted_fields(a), doubted_fields(b)
    side_a = [f for f in c.earlier if f in fa]
    side_b = [f for f in c.later if f in fb]
    if bool(side_a) == bool(side_b):
        return False  # both sides doubted (or neither): nothing to lean on
    rec, doubted, other = (a, side_a, b) if side_a else (b, side_b, a)
    rows = {_row_of(f) for f in doubted}
    row = sorted(f for f in (rec.get("fields") or {}) if _row_of(f) in rows)
    # the other columns of this tie in this pair must hold, unflagged, and there must be at least one
    others = [o for o in cols if o.tie == c.tie and o is not c
              and not {_row_of(f) for f in (o.earlier if rec is a else o.later)} & rows]
    seen = 0
    for o in others:
        if set(o.earlier) & fa or set(o.later) & fb:
            return False
        h = o.holds(_values(a), _values(b))
        if h is False:
            return False
        seen += h is True
    doubted_row = {f for f in row if f in (fa if rec is a else fb)}
    mine = [o for o in cols if o.tie == c.tie and {_row_of(f) for f in (o.earlier if rec is a else o.later)} & rows]
    if not seen and len(mine) < 2:
        return False  # no column outside the doubted row shows the pair keeps this tie, nor do several inside
    fits = []
    for reading in _readings(rec, row):
        if any(reading[f] != _values(rec).get(f) for f in row if f not in doubted_row):
            continue  # a reading that moves an undoubted value is not taken
        va, vb = (dict(_values(a), **reading), _values(b)) if rec is a else (_values(a), dict(_values(b), **reading))
        if all(o.holds(va, vb) is True for o in mine):
            fits.append(reading)
    if len(fits) != 1:
        return False
    # the offered readings may be only some cuts of a glued run: the tie must pin one cut of them all
    glued = any(str(fl.get("code", "")).startswith("split.") and set(fl.get("fields") or []) & doubted_row
                for fl in rec.get("flags") or [])
    every = _cut_readings(rec, row, doubted_row) if glued else None
    if glued:
        if every is None:
            return False
        every += [r for r in _readings(rec, row) if r not in every]  # a glued "-" read as the mark: blank
        va_vb = [(dict(_values(a), **r), _values(b)) if rec is a else (_values(a), dict(_values(b), **r)) for r in every]
        if [r for r, (va, vb) in zip(every, va_vb, strict=True) if all(o.holds(va, vb) is True for o in mine)] != fits:
            return False
    _apply(rec, fits[0], doubted_row, c, other)
    summary.settled[c.tie] += 1
    return True


def _apply(rec: dict[str, Any], reading: dict[str, Any], doubted: set[str], c: TieCheck,
           other: dict[str, Any]) -> None:
    codes: dict[str, str] = {}
    for fl in rec.get("flags") or []:
        for f in fl.get("fields") or []:
            codes.setdefault(f, fl.get("code"))
    other_fields = list(c.later if other is not rec and c.earlier[0] in rec.get("fields", {}) else c.earlier)
    res = rec.setdefault("resolutions", [])
    for f in sorted(doubted):
        item = rec["fields"][f]
        res.append({"field": f, "previous": item.get("value"), "value": reading[f], "code": codes.get(f),
                    "evidence": {"kind": "crossyear", "tie": c.tie, "doc_id": other.get("doc_id"),
                                 "fields": other_fields}})
        item["value"] = reading[f]
    kept = []
    for fl in rec.get("flags") or []:
        rest = [f for f in fl.get("fields") or [] if f not in doubted]
        if rest:
            if len(rest) < len(fl.get("fields") or []):
                fl = dict(fl, fields=rest)
                alts = [{k: v for k, v in a.items() if k not in doubted} for a in fl.get("alternatives") or []]
                fl["alternatives"] = [x for x in alts if x] or None
                if fl["alternatives"] is None:
                    del fl["alternatives"]
            kept.append(fl)
    rec["flags"] = kept


def _flag_break(a: dict[str, Any], b: dict[str, Any], c: TieCheck, summary: LinkSummary) -> None:
    va, vb = _values(a), _values(b)
    for rec, mine, other, other_fields in ((a, c.earlier, b, c.later), (b, c.later, a, c.earlier)):
        rec.setdefault("flags", []).append({
            "code": f"crossyear.{c.tie}", "fields": list(mine),
            "message": f"the {c.tie} tie with report {other.get('doc_id', '')[:12]} ({list(other_fields)}) does not "
                       f"hold: {[va.get(f) for f in c.earlier]} then {[vb.get(f) for f in c.later]}; values kept"})
    summary.breaks.append({"tie": c.tie, "column": c.column, "earlier": a.get("doc_id"), "later": b.get("doc_id")})


def link(records: list[dict[str, Any]], workdir: Path | None = None) -> LinkSummary:
    """Link a corpus of parse records in place (input order kept); returns what was found."""
    summary = LinkSummary(records=len(records))
    ok = [i for i, r in enumerate(records) if r.get("status") == "ok"]
    keys = [series_key(records[i]) for i in ok]
    years = [(records[i].get("meta") or {}).get("year") for i in ok]
    sigs = [_content_hash(records[i]) for i in ok]
    g: Grouping = group(ok, keys, years, [str(records[i].get("doc_id") or i) for i in ok], sigs, workdir)
    for i, first in g.duplicates.items():
        records[i]["duplicate_of"] = records[first].get("doc_id") or records[first].get("source")
    summary.duplicates = len(g.duplicates)
    summary.clashes = g.clashes
    summary.series = {k: [(y, records[i].get("source", "")) for y, i in v] for k, v in g.series.items()}
    summary.pairs = len(g.pairs)
    link_pairs([(records[ia], records[ib]) for ia, ib in g.pairs], summary)
    for r in records:
        set_settled_confidence(r, summary)
    return summary


def link_pairs(pairs: list[tuple[dict[str, Any], dict[str, Any]]], summary: LinkSummary) -> list[bool]:
    """Settle, check and flag every tie of consecutive pairs (earlier, later), in place; per pair, True
    when either record changed. Settling repeats over all the pairs until none settles more (a value a
    tie settled is evidence for the pair on its other side, in either direction); then the ties left are
    counted and broken ones flagged."""
    changed = [False] * len(pairs)
    more = True
    while more:
        more = False
        for k, (a, b) in enumerate(pairs):
            if settle_pair(a, b, summary):
                changed[k] = more = True
    for k, (a, b) in enumerate(pairs):
        changed[k] |= check_pair(a, b, summary)
    return changed


def link_pair(a: dict[str, Any], b: dict[str, Any], summary: LinkSummary) -> bool:
    """``link_pairs`` for one pair: settle, check and flag its ties; True when either record changed."""
    return link_pairs([(a, b)], summary)[0]


def settle_pair(a: dict[str, Any], b: dict[str, Any], summary: LinkSummary) -> bool:
    """Settle what the ties of one pair (earlier ``a``, later ``b``) pin, in place; True if any settled."""
    changed = False
    cols = list(checks(a.get("template", "none"), b.get("template", "none")))
    for c in cols:
        changed |= _try_settle(a, b, cols, c, summary)
    return changed


def check_pair(a: dict[str, Any], b: dict[str, Any], summary: LinkSummary) -> bool:
    """Count the ties of one pair whose values nothing doubts and flag the broken ones on both reports;
    True when a flag was added."""
    changed = False
    fa, fb = doubted_fields(a), doubted_fields(b)
    for c in checks(a.get("template", "none"), b.get("template", "none")):
        if set(c.earlier) & fa or set(c.later) & fb:
            continue
        h = c.holds(_values(a), _values(b))
        if h is None:
            continue
        summary.checked[c.tie] += 1
        summary.held[c.tie] += h
        if not h:
            _flag_break(a, b, c, summary)
            changed = True
    return changed


def set_settled_confidence(rec: dict[str, Any], summary: LinkSummary) -> None:
    """A value settled by a tie gets the tie's hold rate in this pass ((held + 1) / (checked + 2))."""
    for res in rec.get("resolutions") or []:
        ev = res.get("evidence") or {}
        if ev.get("kind") == "crossyear" and res.get("field") in (rec.get("fields") or {}):
            t = ev.get("tie")
            rec["fields"][res["field"]]["confidence"] = round((summary.held[t] + 1) / (summary.checked[t] + 2), 6)


def link_file(inp: Path, output: Path, workdir: Path | None = None, batch: int = 50_000) -> LinkSummary:
    """``link`` for a corpus larger than memory: keys to DuckDB on disk, one series in memory at a time,
    changed records kept on disk, then the input streamed to ``output`` in order."""

    summary = LinkSummary()
    store = DiskStore(workdir)
    try:
        cols: dict[str, list] = {k: [] for k in ("idx", "off", "key", "year", "doc_id", "content", "source")}
        off = 0
        with inp.open("rb") as fh:
            for idx, line in enumerate(fh):
                summary.records += 1
                try:
                    rec = json.loads(line) if line.strip() else {}
                except ValueError:  # a broken line is passed through untouched, never linked
                    rec = {}
                if not isinstance(rec, dict):
                    rec = {}
                if rec.get("status") == "ok":
                    for k, v in (("idx", idx), ("off", off), ("key", series_key(rec)),
                                 ("year", (rec.get("meta") or {}).get("year")), ("doc_id", str(rec.get("doc_id") or idx)),
                                 ("content", _content_hash(rec)), ("source", rec.get("source", ""))):
                        cols[k].append(v)
                off += len(line)
                if len(cols["idx"]) >= batch:
                    store.add(cols)
                    cols = {k: [] for k in cols}
        store.add(cols)
        store.finish()
        summary.clashes = store.clashes()
        with inp.open("rb") as fh:
            def read_at(o: int) -> dict[str, Any]:
                fh.seek(o)
                return json.loads(fh.readline())

            dups = store.duplicates()
            summary.duplicates = len(dups)
            pending: list[tuple[int, str]] = []
            for i, o, first in dups:
                r = read_at(o)
                r["duplicate_of"] = first
                pending.append((i, json.dumps(r, ensure_ascii=False)))
            for key, chain in store.series():
                summary.series[key] = [(y, s) for y, _, _, s, _ in chain]
                recs = {i: read_at(o) for _, i, o, _, _ in chain}
                ids = [(i1, i2) for (y1, i1, _, _, one1), (y2, i2, _, _, one2) in zip(chain, chain[1:], strict=False)
                       if y2 == y1 + 1 and one1 and one2]
                summary.pairs += len(ids)
                done = link_pairs([(recs[i1], recs[i2]) for i1, i2 in ids], summary)
                touched = {i for (i1, i2), ch in zip(ids, done, strict=True) if ch for i in (i1, i2)}
                pending += [(i, json.dumps(recs[i], ensure_ascii=False)) for i in sorted(touched)]
                if len(pending) >= batch:
                    store.put_changed(pending)
                    pending = []
            store.put_changed(pending)
            fh.seek(0)
            changed = store.changed()
            nxt = next(changed, None)
            with output.open("w", encoding="utf-8") as out:
                for idx, line in enumerate(fh):
                    if nxt is not None and nxt[0] == idx:
                        rec = json.loads(nxt[1])
                        set_settled_confidence(rec, summary)
                        out.write(json.dumps(rec, ensure_ascii=False) + "\n")
                        nxt = next(changed, None)
                    else:
                        text = line.decode("utf-8").rstrip("\r\n")
                        if text.strip():
                            out.write(text + "\n")
    finally:
        store.close()
    return summary


def _content_hash(rec: dict[str, Any]) -> str:
    return hashlib.sha1(json.dumps(content_signature(rec), ensure_ascii=False, sort_keys=True,
                                   default=str).encode()).hexdigest()


def read_jsonl(path: Path) -> list[dict[str, Any]]:
    """Parse records from a JSONL file (blank lines skipped)."""
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def write_jsonl(records: Iterable[dict[str, Any]], path: Path) -> None:
    """Write records as JSONL (UTF-8, one per line)."""
    with path.open("w", encoding="utf-8") as fh:
        for r in records:
            fh.write(json.dumps(r, ensure_ascii=False) + "\n")


def link_cli(inp: Path, output: Path, summary_json: Path | None = None, quiet: bool = False) -> LinkSummary:
    """``nianbao link IN.jsonl -o OUT.jsonl``: link, write, print the series and ties found."""
    summary = link_file(inp, output, workdir=output.parent)
    if summary_json:
        summary_json.write_text(json.dumps(summary.to_json(), ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    if not quiet:
        print(f"{summary.records} records, {len(summary.series)} series, {summary.pairs} consecutive-year pairs, "
              f"{summary.duplicates} duplicates")
        for k, v in sorted(summary.series.items()):
            if len(v) > 1:
                print(f"  {k}: {', '.join(str(y) for y, _ in v)}")
        for t in TIES:
            rate = summary.hold_rate(t)
            print(f"  tie {t}: {summary.checked[t]} columns checked, {summary.held[t]} held"
                  f"{f' ({rate:.2f})' if rate is not None else ''}, {summary.settled[t]} settled")
    return summary
