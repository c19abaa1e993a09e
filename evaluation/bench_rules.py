"""The rule stage compiled (mypyc) against its Python sources, in the same run: ms per report and the ratio.

    python -m nianbao.evaluation.bench_rules main --n 150 --rounds 2

For the benchmark's mixed corpus and its glued-only one (``bench_pipeline.make_corpus``, seed 42), each
round runs one process with the rule layer as installed and one with ``NIANBAO_PURE=1`` (the Python
sources), alternating. A process tags its reports once (int8, one thread, as a worker), then times the rule
stage (``Pipeline.finish``) over all of them, best of 3 passes of CPU time with the collector off, and
hashes the records: the two builds must write the same ones.
"""

from __future__ import annotations

import copy
import gc
import hashlib
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import typer

from nianbao.batch.workers import build_pipeline
from nianbao.evaluation.bench_pipeline import GLUED_STYLES, make_corpus
from nianbao.inputs import iter_inputs
from nianbao.pipeline import PipelineConfig
from nianbao.rules import _native

app = typer.Typer(add_completion=False)


def time_rules(corpus: Path, passes: int = 3) -> dict[str, object]:
    """Tag the corpus once, then the rule stage's best CPU ms per report over ``passes``, and the records' hash."""
    pipe = build_pipeline(PipelineConfig(runtime="onnx-int8"))
    docs = [pipe.start(item) for item in iter_inputs([corpus])]
    pipe.tagger.tag([d for d in docs if d.status != "error"])
    best, digest = float("inf"), ""
    for _ in range(passes):
        batch = [copy.deepcopy(d) for d in docs]
        gc.collect()
        gc.disable()
        t = time.process_time()
        for d in batch:
            pipe.finish(d)
        best = min(best, time.process_time() - t)
        gc.enable()
        digest = hashlib.sha256(json.dumps([d.to_record() for d in batch], ensure_ascii=False, sort_keys=True,
                                           default=str).encode()).hexdigest()
    return {"native": _native.NATIVE, "ms_per_report": 1000 * best / len(docs), "records_sha256": digest}


def _run(corpus: Path, pure: bool) -> dict[str, object]:
    env = {k: v for k, v in os.environ.items() if k != "NIANBAO_PURE"}
    if pure:
        env["NIANBAO_PURE"] = "1"
    out = subprocess.run([sys.executable, "-m", "nianbao.evaluation.bench_rules", "one", str(corpus)], env=env,
                         capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def _ms(runs: list[dict[str, object]]) -> list[float]:
    return [float(r["ms_per_report"]) for r in runs]  # type: ignore[arg-type]


@app.command()
def one(corpus: Path) -> None:
    """(internal) One process's timing, as JSON on the last line."""
    print(json.dumps(time_rules(corpus)))


@app.command()
def main(n: int = typer.Option(150, help="Reports per corpus."), rounds: int = typer.Option(2),
         seed: int = typer.Option(42)) -> None:
    """Compiled against Python rule stage on the mixed and glued-only corpora; prints each round and the ratio."""
    with tempfile.TemporaryDirectory() as tmp:
        for name, styles in (("mixed", ()), ("glued", GLUED_STYLES)):
            corpus = Path(tmp) / f"{name}.jsonl"
            make_corpus(n, seed, corpus, styles=styles)
            built, pure = [], []
            for _ in range(rounds):
                built.append(_run(corpus, pure=False))
                pure.append(_run(corpus, pure=True))
            same = {r["records_sha256"] for r in built + pure}
            b, p = _ms(built), _ms(pure)
            kind = "compiled" if built[0]["native"] else "Python"
            print(f"{name}: rules as installed ({kind}) {' / '.join(f'{x:.2f}' for x in b)} ms/report; "
                  f"Python sources {' / '.join(f'{x:.2f}' for x in p)}; Python / installed {min(p) / min(b):.2f}x; "
                  f"records {'identical' if len(same) == 1 else 'DIFFER'}")


if __name__ == "__main__":
    app()
