"""Bounded cost per document: time and memory limits, worker replacement, no orphan workers, the slow-document bar.

A document is made slow, hungry or fatal deterministically by a test-only worker setup (tests/limits_hooks.py)
that matches its source; every other document must still be parsed and written in input order.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from functools import partial
from pathlib import Path

import psutil
import pytest
from limits_hooks import crash, hog, stall
from test_batch import NIANBAO, REPO, _corpus

from nianbao.batch.cli import SlowColumn, slow_note
from nianbao.batch.engine import LocalEngine, chunked
from nianbao.batch.workers import DocumentLimitError, LimitedPool
from nianbao.inputs import iter_inputs
from nianbao.pipeline import PipelineConfig

RULES = PipelineConfig(use_model=False)


def _reference(src: Path) -> list[dict]:
    return list(LocalEngine(RULES, workers=1, doc_timeout=0, max_worker_mb=0).run(iter_inputs([src])))


def _check_only(records: list[dict], reference: list[dict], bad: str, code: str) -> dict:
    """Same records as the reference, in the same order, except the one for ``bad``, which is returned."""
    assert [r["source"] for r in records] == [r["source"] for r in reference]
    hit = None
    for got, want in zip(records, reference, strict=True):
        if got["source"].endswith(bad):
            hit = got
            assert got["status"] == "error" and got["error"]["code"] == code and got["error"]["stage"] == "worker"
        else:
            assert got == want
    assert hit is not None
    return hit


def test_slow_document_times_out_and_its_batch_and_neighbours_are_parsed(tmp_path: Path) -> None:
    src = _corpus(tmp_path / "in.jsonl", 12)
    eng = LocalEngine(RULES, workers=2, batch_size=3, doc_timeout=2, max_worker_mb=0,
                      worker_setup=partial(stall, pattern="#d3"))
    recs = list(eng.run(iter_inputs([src])))
    hit = _check_only(recs, _reference(src), "#d3", "E_TIMEOUT")
    assert "2s limit" in hit["error"]["message"] and "stopped after 2." in hit["error"]["message"]
    assert eng.pool is not None and eng.pool.started_workers >= 4  # two replacements: the batch's, then d3's own


def test_one_worker_with_a_limit_parses_in_a_subprocess(tmp_path: Path) -> None:
    src = _corpus(tmp_path / "in.jsonl", 5)
    eng = LocalEngine(RULES, workers=1, batch_size=1, doc_timeout=2, max_worker_mb=0,
                      worker_setup=partial(stall, pattern="#d1"))
    assert not eng.in_process
    recs = list(eng.run(iter_inputs([src])))
    _check_only(recs, _reference(src), "#d1", "E_TIMEOUT")


def test_no_limit_and_one_worker_stays_in_process(tmp_path: Path) -> None:
    src = _corpus(tmp_path / "in.jsonl", 3)
    pids: list[int] = []
    eng = LocalEngine(RULES, workers=1, doc_timeout=0, max_worker_mb=0, worker_setup=lambda _pipe: pids.append(os.getpid()))
    assert eng.in_process
    assert len(list(eng.run(iter_inputs([src])))) == 3
    assert pids == [os.getpid()]


def test_worker_over_memory_limit_gives_e_memory(tmp_path: Path) -> None:
    src = _corpus(tmp_path / "in.jsonl", 8)
    eng = LocalEngine(RULES, workers=2, batch_size=3, doc_timeout=0, max_worker_mb=250,
                      worker_setup=partial(hog, pattern="#d2", mb=400))
    hit = _check_only(list(eng.run(iter_inputs([src]))), _reference(src), "#d2", "E_MEMORY")
    assert "250 MB limit" in hit["error"]["message"]


def test_crashing_document_is_retried_alone_then_recorded(tmp_path: Path) -> None:
    src = _corpus(tmp_path / "in.jsonl", 8)
    eng = LocalEngine(RULES, workers=2, batch_size=4, worker_setup=partial(crash, pattern="#d4"))
    hit = _check_only(list(eng.run(iter_inputs([src]))), _reference(src), "#d4", "E_WORKER_CRASH")
    assert "exit code 3" in hit["error"]["message"]


def test_fail_fast_stops_at_a_timeout(tmp_path: Path) -> None:
    src = _corpus(tmp_path / "in.jsonl", 4)
    eng = LocalEngine(RULES.model_copy(update={"fail_fast": True}), workers=1, batch_size=1, doc_timeout=1,
                      worker_setup=partial(stall, pattern="#d1"))
    with pytest.raises(DocumentLimitError, match="#d1"):
        list(eng.run(iter_inputs([src])))


def test_in_flight_names_the_slow_document(tmp_path: Path) -> None:
    src = _corpus(tmp_path / "in.jsonl", 4)
    eng = LocalEngine(RULES, workers=1, batch_size=1, doc_timeout=3, worker_setup=partial(stall, pattern="#d2"))
    seen: list[tuple[str, float]] = []
    done = threading.Event()

    def watch() -> None:
        while not done.is_set():
            seen.extend(eng.in_flight())
            time.sleep(0.05)

    t = threading.Thread(target=watch)
    t.start()
    try:
        recs = list(eng.run(iter_inputs([src])))
    finally:
        done.set()
        t.join()
    assert recs[2]["error"]["code"] == "E_TIMEOUT"
    assert max(s for src_, s in seen if src_.endswith("#d2")) >= 2.0
    assert all(s < 2.0 for src_, s in seen if not src_.endswith("#d2"))
    assert eng.in_flight() == []


def test_slow_note_names_the_longest_running_document() -> None:
    assert slow_note([]) == ""
    assert slow_note([("a.txt", 3.0)]) == ""
    assert slow_note([("in.jsonl#d7", 12.4), ("b.txt", 6.0)]) == "slow: in.jsonl#d7 12s (+1)"
    column = SlowColumn(lambda: [("in.jsonl#d7", 7.2)])
    assert column.render(None).plain == "slow: in.jsonl#d7 7s"  # type: ignore[arg-type]
    assert SlowColumn(None).render(None).plain == ""  # type: ignore[arg-type]


def test_cli_limit_options_and_error_record(tmp_path: Path) -> None:
    src = _corpus(tmp_path / "in.jsonl", 4)
    out = tmp_path / "o.jsonl"
    r = subprocess.run([*NIANBAO, "parse", str(src), "-o", str(out), "--no-model", "--workers", "1",
                        "--doc-timeout", "5", "--max-worker-mb", "1024", "--no-progress"],
                       cwd=REPO, capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    recs = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert [x["source"] for x in recs] == [x["source"] for x in _reference(src)]


DRIVER = """
import sys, threading, time
from functools import partial
from limits_hooks import stall
from nianbao.batch.engine import LocalEngine
from nianbao.inputs import iter_inputs
from nianbao.pipeline import PipelineConfig
eng = LocalEngine(PipelineConfig(use_model=False), workers=2, batch_size=1, doc_timeout=600,
                  worker_setup=partial(stall, pattern="#d"))
def tell_when_busy():
    while not (len(f := eng.in_flight()) == 2 and min(s for _, s in f) > 0.5):
        time.sleep(0.05)
    print("busy", flush=True)
threading.Thread(target=tell_when_busy, daemon=True).start()
for rec in eng.run(iter_inputs([sys.argv[1]])):
    pass
"""


def test_workers_die_with_a_sigkilled_parent(tmp_path: Path) -> None:
    """Every document stalls, so the workers are busy (not waiting on their pipe) when the parent is killed."""
    src = _corpus(tmp_path / "in.jsonl", 20)
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(Path(__file__).parent), os.environ.get("PYTHONPATH", "")])}
    proc = subprocess.Popen([sys.executable, "-c", DRIVER, str(src)], cwd=REPO, env=env, start_new_session=True,
                            stdout=subprocess.PIPE, text=True)
    kids: list[psutil.Process] = []
    try:
        assert proc.stdout is not None and proc.stdout.readline() == "busy\n"  # both workers inside a document
        kids = psutil.Process(proc.pid).children(recursive=True)
        assert len(kids) >= 2 and proc.poll() is None, "the workers must be running when the parent is killed"
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
        deadline = time.time() + 5
        while time.time() < deadline and any(_alive(k) for k in kids):
            time.sleep(0.1)
        assert not [k.pid for k in kids if _alive(k)], "a worker outlived its SIGKILLed parent"
    finally:
        for k in kids:
            if _alive(k):
                k.kill()


def _alive(p: psutil.Process) -> bool:
    try:
        return p.is_running() and p.status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False


@pytest.mark.slow
def test_ray_engine_times_out_a_slow_document(tmp_path: Path) -> None:
    pytest.importorskip("ray")
    import ray

    from nianbao.batch.ray_engine import RayEngine

    src = _corpus(tmp_path / "in.jsonl", 8)
    sys.path.insert(0, str(Path(__file__).parent))  # the hook module, for Ray's workers too
    try:
        ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False,
                 runtime_env={"env_vars": {"PYTHONPATH": os.pathsep.join(sys.path)}})
        eng = RayEngine(RULES, workers=2, batch_size=3, doc_timeout=2, max_worker_mb=0,
                        worker_setup=partial(stall, pattern="#d4"))
        recs = list(eng.run(iter_inputs([src])))
    finally:
        ray.shutdown()
    _check_only(recs, _reference(src), "#d4", "E_TIMEOUT")


@pytest.mark.parametrize("limited", [False, True])
def test_the_collector_is_paused_while_a_task_runs_and_back_on_after(tmp_path: Path, limited: bool) -> None:
    """In a worker (limits on) and in process (one worker, no limits): every task runs with the collector off,
    so no record fails, and the collector is on again between tasks."""
    import gc

    from limits_hooks import collector_off

    src = _corpus(tmp_path / "c.jsonl", 5)
    eng = LocalEngine(RULES, workers=1, batch_size=2, doc_timeout=60 if limited else 0, max_worker_mb=0,
                      worker_setup=collector_off)
    assert eng.in_process is not limited
    records = []
    for rec in eng.run(iter_inputs([src])):
        assert gc.isenabled()  # between the in-process tasks, as in this process all along
        records.append(rec)
    assert records == _reference(src)
    assert len(records) == 5 and all(r["status"] != "error" for r in records)


def test_a_worker_does_not_run_the_programs_main_again(tmp_path: Path) -> None:
    """A program whose main imports the CLI (as the ``nianbao`` console script does) starts its workers without
    running that main again: they hold neither it nor the CLI, and parse as before."""
    src = _corpus(tmp_path / "c.jsonl", 3)
    seen = tmp_path / "modules.json"
    script = tmp_path / "prog.py"
    script.write_text(f"""import sys
sys.path.insert(0, {str(Path(__file__).parent)!r})
from functools import partial
from pathlib import Path

import nianbao.cli  # what a re-run main would pull into every worker
from limits_hooks import record_modules
from nianbao.batch.engine import LocalEngine
from nianbao.inputs import iter_inputs
from nianbao.pipeline import PipelineConfig

if __name__ == "__main__":
    eng = LocalEngine(PipelineConfig(use_model=False), workers=1, batch_size=2, doc_timeout=60, max_worker_mb=0,
                      worker_setup=partial(record_modules, path=sys.argv[2]))
    print(sum(1 for r in eng.run(iter_inputs([Path(sys.argv[1])])) if r["status"] != "error"))
""", encoding="utf-8")
    out = subprocess.run([sys.executable, str(script), str(src), str(seen)], capture_output=True, text=True,
                         timeout=300, check=True)
    assert out.stdout.split() == ["3"]
    assert json.loads(seen.read_text(encoding="utf-8")) == {"main_rerun": False, "cli": False, "pipeline": True}


def test_a_setup_from_main_keeps_main_in_the_worker() -> None:
    """A setup hook that only ``__main__`` can give back (or that cannot be pickled) starts the worker as before."""
    from limits_hooks import record_modules

    from nianbao.batch.workers import needs_main

    def from_main(pipe: object) -> None:  # pragma: no cover - never called
        pass

    from_main.__module__ = "__main__"
    assert needs_main(None) is False
    assert needs_main(partial(record_modules, path="x")) is False
    assert needs_main(from_main) is True


def test_main_is_restored_when_workers_start_from_several_threads() -> None:
    """Worker starts from several threads at once each see the stand-in main, and the real one is back after."""
    from nianbao.batch.workers import main_left_alone

    real = sys.modules["__main__"]
    seen: list[bool] = []

    def start() -> None:
        for _ in range(200):
            with main_left_alone():
                seen.append(sys.modules["__main__"] is not real and not getattr(sys.modules["__main__"], "__file__", None))

    interval = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)  # switch threads as often as possible: inside the swaps too
    try:
        threads = [threading.Thread(target=start) for _ in range(4)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    finally:
        sys.setswitchinterval(interval)
    assert sys.modules["__main__"] is real
    assert len(seen) == 800 and all(seen)


def test_idle_workers_get_their_next_task_before_records_are_yielded(tmp_path: Path) -> None:
    """While the pool hands records to its caller (reading the next inputs, writing), no worker that is ready
    and idle waits with a task ready for it: tasks go out as soon as results come in."""
    items = list(iter_inputs([_corpus(tmp_path / "in.jsonl", 24)]))
    pool = LimitedPool(RULES, size=2)
    idle_with_work = 0
    records = []
    for rec in pool.run(chunked(items, 2), window=8):
        records.append(rec)
        idle_with_work += any(w.ready and w.task is None for w in pool._workers) and bool(pool._ready)
    assert [r["source"] for r in records] == [i.source for i in items]
    assert idle_with_work == 0
