"""Benchmark of ``nianbao link`` + ``nianbao audit`` on synthetic series built from the generator's truth
(``training.synth_series``; no parsing)::

    .venv/bin/python -m nianbao.evaluation.bench_link [N_AGENCIES] [N_YEARS] [WORKDIR]

20,000 agencies x 5 years = 10^5 records (README "Evidence" has the figures).
"""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Sequence
from pathlib import Path

from nianbao.series.audit import audit_cli
from nianbao.series.link import link_file
from nianbao.training.synth_series import generate


def run(n_agencies: int, n_years: int, workdir: Path, seed: int = 11) -> dict[str, float | int]:
    """Write the records, then time the streaming link and the audit over them."""

    workdir.mkdir(parents=True, exist_ok=True)
    inp, out = workdir / "series.jsonl", workdir / "linked.jsonl"
    t = time.perf_counter()
    with inp.open("w", encoding="utf-8") as fh:
        for _, rec in generate(seed, n_agencies, n_years, glued_share=0.3):
            fh.write(json.dumps(rec, ensure_ascii=False) + "\n")
    gen_s = time.perf_counter() - t
    t = time.perf_counter()
    s = link_file(inp, out, workdir=workdir)
    link_s = time.perf_counter() - t
    t = time.perf_counter()
    audit_cli(out, workdir / "audit.md", 10, None, True)
    audit_s = time.perf_counter() - t
    return {"records": s.records, "pairs": s.pairs, "settled": sum(s.settled.values()),
            "generate_s": round(gen_s, 1), "link_s": round(link_s, 1), "audit_s": round(audit_s, 1)}


def main(argv: Sequence[str] | None = None) -> None:
    """Print the timings as JSON."""
    args = list(sys.argv[1:] if argv is None else argv)
    n = int(args[0]) if args else 20_000
    years = int(args[1]) if len(args) > 1 else 5
    workdir = Path(args[2]) if len(args) > 2 else Path("out/bench-link")
    print(json.dumps(run(n, years, workdir)))


if __name__ == "__main__":
    main()
