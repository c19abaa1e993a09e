"""Synthetic agency series with known truth, for ``nianbao link`` and ``nianbao audit``.

Each agency gets consecutive report years whose cross-year ties (``nianbao.series.ties``) are kept or
broken at the hold rates measured on crawled series (README "Evidence"). ``parsed`` records mimic
the parser on glued table rows: where a glued row of table 2 (or 结转/上年结转 of table 3) can be cut
more than one way, the record holds one cut (not always the true one) flagged ``split.ambiguous`` with
the other cuts as alternatives, exactly the shape the pipeline writes. Benchmarks build their records
here, from the truth, not by parsing; ``synth_series_docs`` renders series as documents for the parser.
"""

from __future__ import annotations

import copy
import random
from collections.abc import Iterator
from typing import Any

from nianbao.labels.catalogue import T3_COLS
from nianbao.rules.claims import cuts

# measured over crawl/ + crawl-series/ consecutive pairs (nianbao link summary; README "Evidence")
HOLD_RATES = {"carry": 1.00, "items": 0.83, "in_force": 0.82, "published": 0.80}
T3_APPLICANTS = tuple(c for c, _ in T3_COLS if c != "total")


def _t3(rng: random.Random, carried_over: dict[str, int]) -> dict[str, int]:
    vals: dict[str, int] = {}
    for c in T3_APPLICANTS:
        new = rng.choice((0, 0, 0, 1, 2, 5, 12)) if c in ("natural_person", "commercial") else rng.choice((0, 0, 1))
        over = carried_over[c]
        fwd = rng.choice((0, 0, 0, 1)) if new + over else 0
        fwd = min(fwd, new + over)
        vals[f"t3.new_received.{c}"] = new
        vals[f"t3.carried_over.{c}"] = over
        vals[f"t3.total.{c}"] = new + over - fwd
        vals[f"t3.carried_forward.{c}"] = fwd
    for r in ("new_received", "carried_over", "total", "carried_forward"):
        vals[f"t3.{r}.total"] = sum(vals[f"t3.{r}.{c}"] for c in T3_APPLICANTS)
    return vals


def agency_series(rng: random.Random, agency: int, first_year: int, n_years: int) -> list[dict[str, Any]]:
    """The true records of one agency's consecutive v2021 reports (ties kept at ``HOLD_RATES``)."""
    url = f"https://www.example.gov.cn/zwgk/bm/dept{agency:06d}/zfxxgknb/"
    in_force = {"regulations": 0, "normative_docs": rng.randint(5, 400)}
    carried = dict.fromkeys(T3_APPLICANTS, 0)
    out = []
    for k in range(n_years):
        year = first_year + k
        fields: dict[str, Any] = {}
        for row in in_force:
            issued = rng.randint(0, 40) if row == "normative_docs" else 0
            repealed = rng.randint(0, min(in_force[row], 12)) if row == "normative_docs" else 0
            new = in_force[row] + issued - repealed
            if k and rng.random() > HOLD_RATES["in_force"]:
                new = max(0, new + rng.choice((-30, -7, -1, 3, 25)))  # a clean-up campaign re-counts
            fields[f"t2.{row}.issued"], fields[f"t2.{row}.repealed"], fields[f"t2.{row}.in_force"] = issued, repealed, new
            in_force[row] = new
        if k and rng.random() > HOLD_RATES["carry"]:
            c = rng.choice(T3_APPLICANTS)
            carried[c] += 1
        t3 = _t3(rng, carried)
        fields.update(t3)
        carried = {c: t3[f"t3.carried_forward.{c}"] for c in T3_APPLICANTS}
        doc_id = f"synth-{agency:06d}-{year}"
        out.append({"doc_id": doc_id, "source": f"synth/{doc_id}.txt", "status": "ok", "template": "v2021",
                    "url": f"{url}{year + 1}01/t{year + 1}0120_{agency}.htm",
                    "meta": {"org": f"示例县第{agency}局", "year": year, "title": f"示例县第{agency}局{year}年政府信息公开工作年度报告"},
                    "fields": {f: {"value": v, "confidence": 0.99, "span": [0, 0]} for f, v in fields.items()},
                    "flags": []})
    return out


def glue(rng: random.Random, truth: dict[str, Any], row: str, cols: tuple[str, ...]) -> dict[str, Any]:
    """The parser's view of a glued row: one cut of the digits (the true one or not), flagged with the others."""
    rec = copy.deepcopy(truth)
    fids = [f"{row}.{c}" for c in cols]
    run = "".join(str(rec["fields"][f]["value"]) for f in fids)
    options = [tuple(int(x) for x in p) for p in cuts(run, len(fids))]
    if len(options) < 2:
        return rec
    chosen = rng.choice(options)
    at = 1000 if row.startswith("t2.") else 2000  # the cells lie side by side in the text, as parsed
    for f, v in zip(fids, chosen, strict=True):
        rec["fields"][f]["value"] = v
        rec["fields"][f]["span"] = [at, at + len(str(v))]
        at += len(str(v))
    alts = [dict(zip(fids, o, strict=True)) for o in options if o != chosen][:5]
    true_vals = tuple(truth["fields"][f]["value"] for f in fids)
    if true_vals != chosen and dict(zip(fids, true_vals, strict=True)) not in alts:
        alts[-1] = dict(zip(fids, true_vals, strict=True))
    rec["flags"].append({"code": "split.ambiguous", "fields": fids, "alternatives": alts,
                         "message": "synthetic: other cuts of the glued digits fit equally well"})
    return rec


def generate(seed: int, n_agencies: int, n_years: int = 5, glued_share: float = 0.3,
             first_year: int = 2021) -> Iterator[tuple[dict[str, Any], dict[str, Any]]]:
    """(truth, parsed) record pairs of ``n_agencies`` series; ``glued_share`` of reports have a glued row."""
    rng = random.Random(seed)
    for a in range(n_agencies):
        for truth in agency_series(rng, a, first_year, n_years):
            rec = truth
            if rng.random() < glued_share:
                if rng.random() < 0.5:
                    rec = glue(rng, truth, "t2.normative_docs", ("issued", "repealed", "in_force"))
                else:
                    rec = glue(rng, truth, "t3.carried_forward", T3_APPLICANTS + ("total",))
            yield truth, rec


# ----------------------------------------------------------------- prose claims on glued texts
CLAIM_SENTENCES = {  # the phrasings of labels/claims.yaml that may settle, as a report would write them
    "t2.normative_docs.issued": "本年度制发规范性文件{v}件",
    "t2.normative_docs.repealed": "废止规范性文件{v}件",
    "t2.normative_docs.in_force": "现行有效规范性文件{v}件",
}


def with_claims(text: str, values: dict[str, Any], rng: random.Random) -> tuple[str, dict[str, Any]]:
    """The text with one prose sentence stating a random non-empty subset of the v2021 规范性文件 row's
    true figures (inserted after the first line of section 一), and the figures it states.

    >>> t, said = with_claims("标题\\n一、总体情况\\n正文。", {"t2.normative_docs.in_force": 5}, random.Random(1))
    >>> said, "现行有效规范性文件5件" in t
    ({'t2.normative_docs.in_force': 5}, True)
    """
    if not any(values.get(f) is not None for f in CLAIM_SENTENCES):
        return text, {}
    sentence, said = claim_sentence(values, rng)
    at = text.find("一、")
    at = text.find("\n", at) if at >= 0 else -1
    at = len(text) if at < 0 else at
    return text[:at] + "\n" + sentence + text[at:], said


def claim_sentence(values: dict[str, Any], rng: random.Random) -> tuple[str, dict[str, Any]]:
    """A sentence stating a random non-empty subset of the known figures of ``CLAIM_SENTENCES``' fields in
    ``values`` (at least one must be known), and the figures it states."""
    avail = [f for f in CLAIM_SENTENCES if values.get(f) is not None]
    said = {f: values[f] for f in rng.sample(avail, rng.randint(1, len(avail)))}
    return "，".join(CLAIM_SENTENCES[f].format(v=said[f]) for f in CLAIM_SENTENCES if f in said) + "。", said
