"""Synthetic-corpus generation speed: N reports end to end against content generation alone.

    python -m nianbao.evaluation.bench_synth --n 10000 --seed 13

Three timings in one run on the same reports: the baseline (``make_content`` only: numbers and
prose, no rendering), full generation (content, rendering in the drawn style, spans and the
validated ``GoldDoc``), and full generation plus JSON serialisation (what ``nianbao train synth
generate`` writes). Prints seconds, reports/s, the ratio to the baseline, and whether the
budget (10,000 reports in 120 s) holds; exits 1 when it does not.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sys
import time
from typing import Any

from nianbao.training.synth_content import Traits, make_content
from nianbao.training.synth_corpus import gc_paused, iter_docs

BUDGET_S_PER_10K = 120.0


def time_content(n: int, seed: int) -> float:
    """Seconds to draw the content (agency, numbers, prose) of ``n`` reports, nothing rendered."""
    start = time.perf_counter()
    for i in range(n):
        with gc_paused():
            make_content(random.Random(f"{seed}:{i}"), Traits())
    return time.perf_counter() - start


def time_generate(n: int, seed: int, serialise: bool) -> tuple[float, int]:
    """Seconds to generate ``n`` GoldDocs (and serialise them to JSON lines) and the characters made."""
    chars = 0
    start = time.perf_counter()
    for d in iter_docs(n, seed):
        chars += len(d.text or "")
        if serialise:
            d.model_dump_json(by_alias=True)
    return time.perf_counter() - start, chars


def run_bench(n: int, seed: int) -> dict[str, Any]:
    """All three timings and the verdict against the budget, as a JSON-able dict (after a warm-up that
    loads the script converter's dictionaries and fills the caches)."""
    time_generate(min(n, 200), seed + 1, serialise=True)
    base = time_content(n, seed)
    full, chars = time_generate(n, seed, serialise=False)
    dump, _ = time_generate(n, seed, serialise=True)
    budget = BUDGET_S_PER_10K * n / 10000

    def row(seconds: float) -> dict[str, float]:
        return {"seconds": round(seconds, 2), "reports_per_s": round(n / seconds, 1),
                "ratio_to_baseline": round(seconds / base, 2)}

    return {"reports": n, "seed": seed, "chars": chars, "cpus": os.cpu_count(),
            "baseline_content_only": row(base), "generate": row(full), "generate_and_serialise": row(dump),
            "budget_seconds": round(budget, 1), "within_budget": dump <= budget}


def main(argv: list[str] | None = None) -> int:
    """Command line: print the timings as JSON; exit 1 when over budget."""
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--n", type=int, default=10000, help="number of reports (default 10000)")
    ap.add_argument("--seed", type=int, default=13, help="corpus seed (default 13)")
    args = ap.parse_args(argv)
    result = run_bench(args.n, args.seed)
    print(json.dumps(result, indent=2))
    g = result["generate_and_serialise"]
    print(f"{args.n} reports in {g['seconds']} s ({g['reports_per_s']} reports/s), "
          f"{g['ratio_to_baseline']}x content generation alone; budget {result['budget_seconds']} s: "
          f"{'OK' if result['within_budget'] else 'OVER BUDGET'}", file=sys.stderr)
    return 0 if result["within_budget"] else 1


if __name__ == "__main__":
    sys.exit(main())
