"""The rule stage compiled (mypyc) against its Python sources, in the same run: ms per report and the ratio.

    python -m nianbao.evaluation.bench_rules main --n 150 --rounds 2

For the benchmark's mixed corpus and its glued-only one (``bench_pipeline.make_corpus``, seed 42), each
round runs one process with the rule layer as installed and one with ``NIANBAO_PURE=1`` (the Python
sources), alternating. A process tags its reports once (int8, one thread, as a worker), then times the rule
stage (``Pipeline.finish``) over all of them, best of 3 passes of CPU time with the collector off, and
hashes the records: the two builds must write the same ones.

    python -m nianbao.evaluation.bench_rules instructions --n 40 --warm 160

counts instructions instead of timing, which this machine's drifting speed does not disturb: valgrind's
cachegrind runs a process that reads ``warm`` tagged reports (the memos warm, as in a worker that has run a
while) and then ``n`` more, and one that stops after the ``warm``; the difference over ``n`` is the rule
stage's instructions per report, for the installed build and the Python sources in the same run. Needs
``valgrind`` (Debian: ``apt-get install valgrind``); a few minutes. The count is not exact: a process's
start-up varies by about 30 M instructions from one run to the next (three runs of one ``count`` process:
3,985, 3,996 and 4,013 M), so ``n`` must be large: at 40 that is under 1 M a report.
"""

from __future__ import annotations

import copy
import gc
import hashlib
import json
import os
import pickle
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import typer

from nianbao.batch.workers import build_pipeline
from nianbao.document import Document
from nianbao.evaluation.bench_pipeline import GLUED_STYLES, make_corpus
from nianbao.inputs import iter_inputs
from nianbao.pipeline import Pipeline, PipelineConfig
from nianbao.rules import _native, apply_rules

app = typer.Typer(add_completion=False)


def tagged_docs(pipe: Pipeline, corpus: Path) -> list[Document]:
    """The corpus's documents normalised, and tagged where they did not fail, as a worker would."""
    docs = [pipe.start(item) for item in iter_inputs([corpus])]
    pipe.tagger.tag([d for d in docs if d.status != "error"])
    return docs


def time_rules(corpus: Path, passes: int = 3) -> dict[str, object]:
    """Tag the corpus once, then the rule stage's best CPU ms per report over ``passes``, and the records' hash."""
    pipe = build_pipeline(PipelineConfig(runtime="onnx-int8"))
    docs = tagged_docs(pipe, corpus)
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


def _env(pure: bool) -> dict[str, str]:
    """This process's environment for a child that runs the rules as installed, or (``pure``) from the sources."""
    env = {k: v for k, v in os.environ.items() if k != "NIANBAO_PURE"}
    if pure:
        env["NIANBAO_PURE"] = "1"
    return env


def _run(corpus: Path, pure: bool) -> dict[str, object]:
    out = subprocess.run([sys.executable, "-m", "nianbao.evaluation.bench_rules", "one", str(corpus)], env=_env(pure),
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


def irefs(stderr: str) -> int:
    """The instruction count cachegrind prints at exit.

    >>> irefs("==7== Collected : 12\\n==7== I   refs:      3,457,482,412\\n")
    3457482412
    """
    m = re.search(r"I\s+refs:\s+([\d,]+)", stderr)
    if m is None:
        raise RuntimeError(f"no instruction count in cachegrind's output: {stderr[-500:]}")
    return int(m.group(1).replace(",", ""))


def _counted(tagged: Path, warm: int, measure: bool, pure: bool) -> int:
    """Instructions of one ``count`` process under cachegrind."""
    cmd = ["valgrind", "--tool=cachegrind", "--cache-sim=no", "--cachegrind-out-file=/dev/null",
           sys.executable, "-m", "nianbao.evaluation.bench_rules", "count", str(tagged), str(warm), str(int(measure))]
    out = subprocess.run(cmd, env=_env(pure), capture_output=True, text=True, check=True)
    return irefs(out.stderr)


@app.command()
def count(tagged: Path, warm: int, measure: int) -> None:
    """(internal) Run the rules on the first ``warm`` tagged reports, then (``measure`` 1) on the rest."""
    with tagged.open("rb") as f:
        docs = pickle.load(f)
    for d in docs[:warm]:
        apply_rules(d)
    gc.collect()
    gc.freeze()
    gc.disable()
    if measure:
        for d in docs[warm:]:
            apply_rules(d)


@app.command()
def instructions(n: int = typer.Option(40, help="Reports counted per corpus."),
                 warm: int = typer.Option(160, help="Reports run first, uncounted, to warm the memos."),
                 seed: int = typer.Option(42),
                 python: bool = typer.Option(True, "--python/--no-python", help="Also count the Python sources.")
                 ) -> None:
    """The rule stage's instructions per report (cachegrind), as installed and from the Python sources."""
    if shutil.which("valgrind") is None:
        raise SystemExit("valgrind is not installed (Debian: apt-get install valgrind)")
    pipe = build_pipeline(PipelineConfig(runtime="onnx-int8"))
    with tempfile.TemporaryDirectory() as tmp:
        for name, styles in (("mixed", ()), ("glued", GLUED_STYLES)):
            corpus, tagged = Path(tmp) / f"{name}.jsonl", Path(tmp) / f"{name}.pkl"
            make_corpus(warm + n, seed, corpus, styles=styles)
            docs = [d for d in tagged_docs(pipe, corpus) if d.status != "error"]
            with tagged.open("wb") as f:
                pickle.dump(docs, f)
            per = {}
            for pure in (False, True) if python else (False,):
                per[pure] = (_counted(tagged, warm, True, pure) - _counted(tagged, warm, False, pure)) / (len(docs) - warm)
            kind = "compiled" if _native.NATIVE else "Python"
            line = f"{name}: rules as installed ({kind}) {per[False] / 1e6:.1f} M instructions/report"
            if python:
                line += f"; Python sources {per[True] / 1e6:.1f} M; Python / installed {per[True] / per[False]:.2f}x"
            print(line)


if __name__ == "__main__":
    app()
