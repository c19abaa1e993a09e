"""Acceptance of cross-year and prose settlement on synthetic agency series parsed by the real pipeline.

Agencies' consecutive reports (``training.synth_series_docs``: ties kept or broken at the measured hold
rates, a share with a prose sentence stating part of the 规范性文件 row) are rendered in a style, parsed
with ``Pipeline`` (the model unless ``--no-model``), their records written as JSONL and linked with
``link_file`` (what ``nianbao link`` runs). Counted against the generator's truth:

- ``flagged``: fields a flag doubted before the link pass (a prose claim that settled at parse time
  counts: its field was doubted);
- ``pinned``: flagged fields whose true value the evidence determines, worked out here from the truth
  and the record's offered readings, not from what link or the claims rule decided. A cross-year tie
  pins a doubted row when the partner report's side of the tie is undoubted, the tie holds in truth, and
  unflagged, in every other column of that pair, and exactly one offered reading of the row satisfies
  the tie against the partner's true values and that reading is the truth. A claim pins it when exactly
  one reading (the true one when the sentence states the whole row) agrees with the stated figures and
  it is the truth;
- ``settled`` (fields in ``resolutions``), ``settled_pinned``, ``settled_wrong`` (a settled value that
  is not the truth: must be 0) and ``unflagged_changed`` (a value that the parse of the text without
  the sentence, before linking, did not doubt and that claims or link changed: must be 0);
- ``breaks_true`` (tie columns the generator broke), ``breaks_flagged`` (``crossyear.*`` flags on the
  later report of a pair) and ``breaks_flagged_false`` (of those, ties that hold in truth).

``rate`` = settled_pinned / pinned (acceptance: >= 0.90 in the glued styles)::

    .venv/bin/python -m nianbao.evaluation.series_synth [N_AGENCIES] [N_YEARS] [SEED] [--no-model] [--styles all]
"""

from __future__ import annotations

import json
import re
import sys
import tempfile
from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from nianbao.inputs import InputItem
from nianbao.labels.gold import STYLES, GoldDoc
from nianbao.pipeline import Pipeline, PipelineConfig
from nianbao.rules.claims import chunk_cuts
from nianbao.rules.values import fold_digits
from nianbao.series.link import doubted_fields, link_file, read_jsonl, write_jsonl
from nianbao.series.ties import checks
from nianbao.training.synth_series_docs import SeriesDoc, series_corpus

GLUED = ("glued_lines", "crawl")
KEYS = ("docs", "errors", "flagged", "pinned", "pinned_tie", "pinned_claim", "settled", "settled_pinned",
        "breaks_true", "breaks_flagged", "breaks_flagged_false",
        "settled_wrong", "settled_tie", "settled_claim", "unflagged_changed")


def _row(fid: str) -> str:
    return fid.rsplit(".", 1)[0]


def readings(rec: dict[str, Any], row: str) -> list[dict[str, Any]]:
    """The readings of a row the record offers: its values, and each flag alternative laid over them.

    >>> rec = {"fields": {"r.a": {"value": 1}, "r.b": {"value": 23}},
    ...        "flags": [{"code": "split.ambiguous", "fields": ["r.a", "r.b"], "alternatives": [{"r.a": 12, "r.b": 3}]}]}
    >>> readings(rec, "r")
    [{'r.a': 1, 'r.b': 23}, {'r.a': 12, 'r.b': 3}]
    """
    cur = {f: v.get("value") for f, v in (rec.get("fields") or {}).items() if _row(f) == row}
    out = [cur]
    for fl in rec.get("flags") or []:
        for alt in fl.get("alternatives") or []:
            if any(_row(f) == row for f in alt):
                r = {**cur, **{f: v for f, v in alt.items() if f in cur}}
                if r not in out:
                    out.append(r)
    return out


def true_cuts(gold: GoldDoc, row: str) -> list[dict[str, Any]] | None:
    """Every reading of a row of whole numbers that its digits as printed allow (cells glued side by side
    cut any way, a gap in the text always a boundary), or None when a cell is blank or not a whole number
    (then the offered readings are all there is).

    >>> from nianbao.training.synth_series_docs import agency_docs
    >>> g = agency_docs(3, 25, 5, "crawl")[2].gold
    >>> g.meta["year"], len(true_cuts(g, "t2.normative_docs")), {f: v.value for f, v in g.fields.items() if "normative" in f}
    (2021, 16, {'t2.normative_docs.issued': 110, 't2.normative_docs.repealed': 36, 't2.normative_docs.in_force': 110})
    """
    cells = sorted((v.span, f) for f, v in gold.fields.items() if _row(f) == row)
    text = gold.text or ""
    chunks: list[str] = []
    last = -1
    for (a, b), _ in cells:
        piece = fold_digits(text[a:b])
        if not re.fullmatch(r"-?[0-9]+", piece) or len(piece) != b - a:
            return None
        if a == last:
            chunks[-1] += piece
        else:
            chunks.append(piece)
        last = b
    if not cells:
        return None
    return [{f: int(p) for (_, f), p in zip(cells, parts, strict=True)} for parts in chunk_cuts(chunks, len(cells))]


def _candidates(rec: dict[str, Any], row: str, doubted: set[str], every: list[dict[str, Any]] | None) -> list[dict]:
    """The row's possible readings (every cut of its digits as printed, and the offered ones: a glued "-" may
    be the mark) that keep its undoubted cells, on the cells the record has."""
    cur = {f: v.get("value") for f, v in (rec.get("fields") or {}).items() if _row(f) == row}
    out: list[dict[str, Any]] = []
    for r in (every or []) + readings(rec, row):
        r = {f: r.get(f) for f in cur}
        if r not in out and all(r[f] == v for f, v in cur.items() if f not in doubted):
            out.append(r)
    return out


def _offered(rec: dict[str, Any], row: str, truth: dict[str, Any]) -> bool:
    return any(all(r[f] == truth.get(f) for f in r) for r in readings(rec, row))


def tie_pinned(rec: dict[str, Any], other: dict[str, Any], rec_is_earlier: bool, truth: dict[str, Any],
               other_truth: dict[str, Any], templates: tuple[str, str], gold: GoldDoc) -> set[str]:
    """Doubted fields of ``rec`` that a consistent tie with ``other`` (its year before or after) pins: one
    possible reading of the row satisfies it, the true one, and the record offers it."""
    doubted, other_doubted = doubted_fields(rec), doubted_fields(other)
    cols = list(checks(*templates))
    out: set[str] = set()
    for row in sorted({_row(f) for f in doubted}):
        for tie in sorted({c.tie for c in cols}):
            if tie == "published":
                continue  # grows only about so: it flags, never settles
            mine_side = [(c, c.earlier if rec_is_earlier else c.later, c.later if rec_is_earlier else c.earlier)
                         for c in cols if c.tie == tie]
            mine = [(c, o) for c, s, o in mine_side if any(_row(f) == row for f in s)]
            others = [(c, s, o) for c, s, o in mine_side if not any(_row(f) == row for f in s)]
            if not mine or not any(f in doubted for c, _ in mine for f in (c.earlier if rec_is_earlier else c.later)):
                continue
            if any(f in other_doubted for _, o in mine for f in o):
                continue  # the partner's side is doubted too: nothing to lean on
            a_t, b_t = (truth, other_truth) if rec_is_earlier else (other_truth, truth)
            held, broken = 0, False
            for c, s, o in others:
                if any(f in doubted for f in s) or any(f in other_doubted for f in o):
                    broken = True  # the other columns must hold unflagged
                    break
                h = c.holds(a_t, b_t)
                broken |= h is False
                held += h is True
            if broken or (not held and len(mine) < 2):
                continue
            fits = []
            for r in _candidates(rec, row, doubted, true_cuts(gold, row)):
                mine_vals = {**truth, **r}
                a_v, b_v = (mine_vals, other_truth) if rec_is_earlier else (other_truth, mine_vals)
                if all(c.holds(a_v, b_v) is True for c, _ in mine):
                    fits.append(r)
            if len(fits) == 1 and all(fits[0][f] == truth.get(f) for f in fits[0]) and _offered(rec, row, truth):
                out |= {f for f in fits[0] if f in doubted}
    return out


def claim_pinned(plain: dict[str, Any], said: dict[str, Any], truth: dict[str, Any], gold: GoldDoc) -> set[str]:
    """Fields doubted in the parse without the sentence that the stated figures pin: one possible reading
    of the row agrees with them, the true one, offered by the record or spelled whole by the sentence."""
    doubted = doubted_fields(plain)
    out: set[str] = set()
    for row in sorted({_row(f) for f in said}):
        agree = [r for r in _candidates(plain, row, doubted, true_cuts(gold, row))
                 if all(r.get(f) == v for f, v in said.items() if _row(f) == row)]
        whole = all(f in said for f in truth if _row(f) == row)
        if (len(agree) == 1 and all(agree[0][f] == truth.get(f) for f in agree[0])
                and (whole or _offered(plain, row, truth))):
            out |= {f for f in agree[0] if f in doubted}
    return out


def parse(pipe: Pipeline, docs: list[SeriesDoc]) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """(records of the texts as rendered, records of the texts without the claim sentence)."""
    items = [InputItem(source=d.gold.name + ".txt", data=(d.gold.text or "").encode("utf-8"), url=d.url) for d in docs]
    plain_ix = [i for i, d in enumerate(docs) if d.said]
    items += [InputItem(source=docs[i].gold.name + "-plain.txt", data=docs[i].plain.encode("utf-8"), url=docs[i].url)
              for i in plain_ix]
    recs = [d.to_record() for d in pipe.process_batch(items)]
    plain = list(recs[:len(docs)])
    for k, i in enumerate(plain_ix):
        plain[i] = recs[len(docs) + k]
    return recs[:len(docs)], plain


def _known(rec: dict[str, Any], pinned: set[str], truth: dict[str, Any]) -> dict[str, Any]:
    """The record with its pinned fields no longer doubted and at their true values."""
    if not pinned:
        return rec
    fields = {f: dict(v, value=truth.get(f)) if f in pinned else v for f, v in (rec.get("fields") or {}).items()}
    flags = [dict(fl, fields=[f for f in fl.get("fields") or [] if f not in pinned]) for fl in rec.get("flags") or []]
    return {**rec, "fields": fields, "flags": [fl for fl in flags if fl["fields"]]}


def score(series: list[list[SeriesDoc]], parsed: list[dict[str, Any]], plain: list[dict[str, Any]],
          linked: list[dict[str, Any]]) -> tuple[Counter[str], list[str]]:
    """The acceptance counts of one corpus (records in the order of the flattened series) and the
    pinned fields left unsettled (``report:field``)."""
    missed: list[str] = []
    out: Counter[str] = Counter({k: 0 for k in KEYS})
    flat = [d for s in series for d in s]
    truth = [d.truth for d in flat]
    claim = [claim_pinned(plain[n], d.said, truth[n], d.gold) if d.said else set() for n, d in enumerate(flat)]
    tie: list[set[str]] = [set() for _ in flat]
    changed = True
    while changed:  # a field a tie pins is known: it may pin its partner in the next year in turn
        changed = False
        known = [_known(r, p, t) for r, p, t in zip(parsed, tie, truth, strict=True)]
        i = 0
        for s in series:
            for k in range(len(s)):
                if parsed[i + k].get("status") != "ok":
                    continue
                for j, earlier in ((k - 1, False), (k + 1, True)):
                    if not (0 <= j < len(s) and parsed[i + j].get("status") == "ok"):
                        continue
                    tpl = (s[min(j, k)].gold.template, s[max(j, k)].gold.template)
                    new = tie_pinned(known[i + k], known[i + j], earlier, truth[i + k], truth[i + j], tpl, s[k].gold)
                    changed |= bool(new - tie[i + k])
                    tie[i + k] |= new
            i += len(s)
    for n, d in enumerate(flat):
        rec, base, fin = parsed[n], plain[n], linked[n]
        out["docs"] += 1
        out["errors"] += rec.get("status") == "error"
        prose = {r["field"] for r in rec.get("resolutions") or [] if (r.get("evidence") or {}).get("kind") == "prose"}
        flagged = doubted_fields(rec) | prose
        pinned = (claim[n] | tie[n]) & flagged
        out["pinned_tie"] += len(tie[n] & flagged)
        out["pinned_claim"] += len(claim[n] & flagged)
        out["flagged"] += len(flagged)
        out["pinned"] += len(pinned)
        res = {r["field"]: (r.get("evidence") or {}).get("kind") for r in fin.get("resolutions") or []}
        out["settled"] += len(res)
        out["settled_tie"] += sum(k == "crossyear" for k in res.values())
        out["settled_claim"] += sum(k == "prose" for k in res.values())
        out["settled_pinned"] += len(set(res) & pinned)
        missed += [f"{d.gold.name}:{f}" for f in sorted(pinned - set(res))]
        vals = fin.get("fields") or {}
        out["settled_wrong"] += sum((vals.get(f) or {}).get("value") != truth[n].get(f) for f in res)
        undoubted = set(base.get("fields") or {}) - doubted_fields(base)
        out["unflagged_changed"] += sum((vals.get(f) or {}).get("value") != base["fields"][f].get("value")
                                        for f in undoubted)
    out.update(breaks(series, linked))
    return out, missed


def breaks(series: list[list[SeriesDoc]], linked: list[dict[str, Any]]) -> Counter[str]:
    """Tie columns broken in truth (all values printed) and the ``crossyear.*`` flags link put on the
    later report of a pair, with those whose tie holds in truth (a misread value's false alarm)."""
    out: Counter[str] = Counter()
    i = 0
    for s in series:
        for k in range(1, len(s)):
            a, b = s[k - 1], s[k]
            cols = {c.later: c for c in checks(a.gold.template, b.gold.template)}
            out["breaks_true"] += sum(c.holds(a.truth, b.truth) is False for c in cols.values())
            for fl in linked[i + k].get("flags") or []:
                c = cols.get(tuple(fl.get("fields") or ()))
                if str(fl.get("code", "")).startswith("crossyear.") and c is not None:
                    out["breaks_flagged"] += 1
                    out["breaks_flagged_false"] += c.holds(a.truth, b.truth) is True
        i += len(s)
    return out


def run(n_agencies: int, n_years: int, seed: int, styles: Sequence[str] = GLUED, use_model: bool = True,
        pipe: Pipeline | None = None) -> dict[str, Any]:
    """Generate, parse, link and count one corpus of series in ``styles``; the counts and the rate."""
    pipe = pipe or Pipeline(PipelineConfig(use_model=use_model))
    series = series_corpus(seed, n_agencies, n_years, tuple(styles))
    flat = [d for s in series for d in s]
    parsed, plain = [], []
    for a in range(0, len(flat), 16):
        p, q = parse(pipe, flat[a:a + 16])
        parsed += p
        plain += q
    with tempfile.TemporaryDirectory() as tmp:
        src, dst = Path(tmp) / "parsed.jsonl", Path(tmp) / "linked.jsonl"
        write_jsonl(parsed, src)
        link_file(src, dst, workdir=Path(tmp))
        linked = read_jsonl(dst)
    counts, missed = score(series, parsed, plain, linked)
    out: dict[str, Any] = dict(counts)
    out["rate"] = round(out["settled_pinned"] / out["pinned"], 4) if out["pinned"] else None
    out["missed"] = missed[:20]
    return out


def main(argv: Sequence[str] | None = None) -> None:
    """Print the acceptance counts as JSON (per style too with ``--styles all``)."""
    args = list(sys.argv[1:] if argv is None else argv)
    nums = [int(a) for a in args if a.isdigit()]
    n, years, seed = (nums + [20, 5, 17][len(nums):])[:3]
    use_model = "--no-model" not in args
    pipe = Pipeline(PipelineConfig(use_model=use_model))
    report: dict[str, Any] = {"agencies": n, "years": years, "seed": seed, "model": use_model,
                              "glued": run(n, years, seed, GLUED, pipe=pipe)}
    if "all" in args:
        report["by_style"] = {s: run(max(2, n // 4), years, seed, (s,), pipe=pipe) for s in STYLES if s != "prose"}
    print(json.dumps(report, ensure_ascii=False))


if __name__ == "__main__":
    main()
