"""Acceptance of prose-claim settlement on synthetic reports in the glued styles (known truth).

Reports of the synthetic generator in a glued style get one prose sentence stating part of their
v2021 规范性文件 row (``training.synth_series.with_claims``) and go through the pipeline. A flagged row
is *pinned* when the true cut is the only cut of its glued digits that agrees with the stated figures.
Printed: pinned fields, how many were settled, settled values that are wrong (must be 0), and unflagged
values that differ from a parse of the same text without the sentence... (must be 0)::

    .venv/bin/python -m nianbao.evaluation.evidence_synth [N] [SEED]
"""

from __future__ import annotations

import json
import random
import sys
from collections.abc import Sequence
from typing import Any

from nianbao.inputs import InputItem
from nianbao.pipeline import Pipeline, PipelineConfig
from nianbao.rules.claims import cuts
from nianbao.training.synth_corpus import generate_one
from nianbao.training.synth_series import with_claims

ROW = ("t2.normative_docs.issued", "t2.normative_docs.repealed", "t2.normative_docs.in_force")
STYLES = ("glued_lines", "crawl")


def run(n: int, seed: int, use_model: bool = False) -> dict[str, Any]:
    """Parse ``n`` glued-style synthetic v2021 reports with a claim sentence; count pinned/settled/wrong."""

    pipe = Pipeline(PipelineConfig(use_model=use_model, fail_fast=True))
    rng = random.Random(seed)
    out = {"docs": 0, "flagged_rows": 0, "pinned": 0, "settled_pinned": 0, "settled": 0, "settled_wrong": 0,
           "unflagged_changed": 0}
    k = 0
    while out["docs"] < n:
        g = generate_one(seed, k, STYLES[k % len(STYLES)])
        k += 1
        if g.template != "v2021" or any(f not in g.fields for f in ROW):
            continue
        truth = {f: g.fields[f].value for f in ROW}
        text, said = with_claims(g.load_text(), truth, rng)
        recs = [pipe.process(InputItem(source=f"{g.name}{s}", data=t.encode("utf-8"))).to_record()
                for s, t in (("", text), ("-plain", g.load_text()))]
        rec, plain = recs
        out["docs"] += 1
        doubted = {f for fl in plain["flags"] for f in fl["fields"]}
        for f, v in rec["fields"].items():  # with or without the sentence, undoubted values are the same
            if f not in doubted and f in plain["fields"] and v["value"] != plain["fields"][f]["value"]:
                out["unflagged_changed"] += 1
        settled = {r["field"] for r in rec.get("resolutions") or []}
        out["settled"] += len(settled)
        out["settled_wrong"] += sum(rec["fields"][f]["value"] != g.fields[f].value for f in settled)
        was_flagged = [f for f in ROW if f in settled or any(f in fl["fields"] for fl in rec["flags"])]
        if not was_flagged or None in truth.values():
            continue
        out["flagged_rows"] += 1
        run_ = "".join(str(truth[f]) for f in ROW)
        agree = [p for p in cuts(run_, 3) if all(int(p[ROW.index(f)]) == v for f, v in said.items())]
        if len(agree) == 1:
            out["pinned"] += len(was_flagged)
            out["settled_pinned"] += len(set(was_flagged) & settled)
    return out


def main(argv: Sequence[str] | None = None) -> None:
    """Print the acceptance counts as JSON."""
    args = list(sys.argv[1:] if argv is None else argv)
    n = int(args[0]) if args else 200
    seed = int(args[1]) if len(args) > 1 else 17
    print(json.dumps(run(n, seed, use_model="--model" in args)))


if __name__ == "__main__":
    main()
