"""Worker processes with limits: each task runs in a spawned process under a deadline and a memory cap.

``LimitedPool`` is a small process pool that, unlike ``ProcessPoolExecutor``,
can kill one stuck worker. Each worker parses one task (a chunk of inputs) at
a time; the parent knows when each task started and polls each worker's RSS.

- A task over its deadline (``doc_timeout`` seconds per document in it) or a
  worker over ``max_worker_mb`` is killed and its worker replaced by a fresh
  one. A chunk's documents are then retried one by one, each with the
  per-document limit; one that exceeds it alone becomes an ``E_TIMEOUT`` or
  ``E_MEMORY`` record (stage ``worker``). A document that kills its worker
  (crash) twice becomes ``E_WORKER_CRASH``.
- Output keeps input order; at most ``window`` chunks are held at once, so
  memory does not grow with the corpus.
- Workers die with their parent, SIGKILL included (``die_with_parent``).
"""

from __future__ import annotations

import ctypes
import gc
import hashlib
import heapq
import itertools
import os
import pickle
import select
import signal
import sys
import threading
import time
import traceback
import types
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from multiprocessing import get_context
from multiprocessing.connection import Connection
from typing import Any

import psutil

from nianbao.document import Document
from nianbao.inputs import InputItem
from nianbao.pipeline import Pipeline, PipelineConfig
from nianbao.rules import gc_paused

POLL_S = 0.1  # how often deadlines and memory are checked
STARTUP_TIMEOUT_S = 600.0  # a worker that has not loaded its pipeline by then is a broken setup, not a bad document
EXIT_WAIT_S = 1.0  # a worker whose pipe broke is ending: how long to wait for its exit code
Setup = Callable[[Pipeline], None]  # run in each worker once its pipeline is built (tests use it to plant a slow input)


class WorkerSetupError(RuntimeError):
    """A worker could not start (model missing, pipeline over the memory limit at rest...): the run cannot go on."""


class DocumentLimitError(RuntimeError):
    """With ``fail_fast``: a document exceeded a limit or killed its worker."""


def error_record(item: InputItem, code: str, message: str) -> dict[str, Any]:
    """The error record (stage ``worker``) for a document its worker could not finish."""

    doc = Document(source=item.source, doc_id=hashlib.sha256(item.data).hexdigest() if item.data else "")
    return doc.fail(code, "worker", message).to_record()


def die_with_parent(parent_pid: int) -> None:
    """Make this process exit when ``parent_pid`` dies (SIGKILL included): PR_SET_PDEATHSIG plus a watchdog thread.

    Linux sends the signal when the *thread* that started this process exits, so a pool must be run from a
    thread that outlives its workers (the main thread, a Ray actor's task thread); the watchdog covers other OSes.
    """
    if sys.platform.startswith("linux"):
        try:

            ctypes.CDLL(None, use_errno=True).prctl(1, int(signal.SIGKILL), 0, 0, 0)  # 1 = PR_SET_PDEATHSIG
        except (OSError, AttributeError):  # pragma: no cover - no libc prctl: the watchdog alone
            pass
    if os.getppid() != parent_pid:  # the parent died before the signal was armed
        os._exit(1)

    def watch() -> None:
        while os.getppid() == parent_pid:
            time.sleep(0.5)
        os._exit(1)

    threading.Thread(target=watch, name="nianbao-parent-watchdog", daemon=True).start()


def build_pipeline(config: PipelineConfig, threads: int = 1) -> Pipeline:
    """A pipeline as a worker runs it: ``threads`` runtime threads (torch is imported only by the torch runtime,
    which sets its own), the tagger and rule modules loaded up front, and what they loaded frozen out of the
    garbage collector's reach (``gc.freeze``): a full collection then walks only what the documents made,
    not the modules, the model and the tables loaded once (a few ms a report here: evaluation/bench_pipeline)."""
    pipe = Pipeline(config.model_copy(update={"threads": threads}))

    try:
        _ = pipe.tagger
    except Exception:  # noqa: BLE001 - e.g. E_MODEL_MISSING: each document's record says so, as in-process
        pass
    gc.collect()
    gc.freeze()
    return pipe


def task_records(pipe: Pipeline, items: list[InputItem]) -> list[dict[str, Any]]:
    """The records of one task (a chunk of inputs), parsed and serialised with the cyclic garbage collector
    paused: the task's objects die by their reference counts when it ends, and collections while it runs
    would only walk them (serialising included: paused around the parse alone, it saves next to nothing)."""
    with gc_paused():
        return [d.to_record() for d in pipe.process_batch(items)]


def worker_main(conn: Connection, config: PipelineConfig, setup: Setup | None, parent_pid: int) -> None:
    """A worker's life: build the pipeline, say ready, then parse tasks until told to stop (``None``) or EOF."""
    die_with_parent(parent_pid)
    try:
        pipe = build_pipeline(config)
        if setup is not None:
            setup(pipe)
    except BaseException:  # noqa: BLE001 - reported to the parent, which stops the run
        conn.send(("init_error", traceback.format_exc()))
        return
    finish = pipe.finish

    def announced_finish(doc: Document) -> Document:  # tells the parent which document is in the rule stages
        conn.send(("at", doc.source))
        return finish(doc)

    pipe.finish = announced_finish  # type: ignore[method-assign]
    conn.send(("ready", os.getpid()))
    while True:
        try:
            msg = conn.recv()
        except (EOFError, OSError):
            return
        if msg is None:
            return
        tid, items = msg
        try:
            # pickled here: the parent hands this worker its next task before it unpickles the records
            reply = (tid, "ok", pickle.dumps(task_records(pipe, items), protocol=pickle.HIGHEST_PROTOCOL))
        except Exception as exc:  # noqa: BLE001 - fail_fast, or a bug outside the pipeline's own guard
            reply = (tid, "error", f"{type(exc).__name__}: {exc}")
        conn.send(reply)


def needs_main(setup: Setup | None) -> bool:
    """Whether a worker must run the program's ``__main__`` to unpickle ``setup`` (it refers to it, or it cannot
    be pickled here at all and the worker's own attempt should meet the usual error)."""
    if setup is None:
        return False
    try:
        return b"__main__" in pickle.dumps(setup)
    except Exception:  # noqa: BLE001 - e.g. a lambda: leave the start as it always was
        return True


_MAIN_SWAP = threading.Lock()


@contextmanager
def main_left_alone(keep: bool = False) -> Iterator[None]:
    """While a worker process starts: the child does not run the program's ``__main__`` again.

    A spawned child runs its parent's main module again (as ``__mp_main__``) so that objects pickled from it
    can be found. For ``nianbao parse`` that main is the CLI, which imports every subcommand's modules:
    about 0.4 s of CPU a worker (0.8 s of imports against the 0.4 s a worker needs) that the worker never
    uses, at every start and every replacement. multiprocessing leaves the child's main alone when the
    parent's has neither a module spec nor a file, so ``start`` is shown such a stand-in for its duration.
    ``keep`` (a setup hook that lives in ``__main__``) starts the child as before."""
    if keep:
        yield
        return
    with _MAIN_SWAP:  # pools starting workers from several threads at once must not restore each other's stand-in
        main = sys.modules.get("__main__")
        if main is None:
            yield
            return
        sys.modules["__main__"] = types.ModuleType("__main__")
        try:
            yield
        finally:
            sys.modules["__main__"] = main


@dataclass
class _Slot:
    """One chunk of inputs and its records, filled as tasks finish."""

    items: list[InputItem]
    records: list[dict[str, Any] | None]
    left: int

    def done(self) -> bool:
        return self.left == 0


@dataclass
class _Task:
    slot: _Slot
    indices: list[int]
    alone: bool  # a retry of one document after its chunk failed
    seq: int  # the chunk's place in input order (tasks are handed out earliest first)
    started: float = 0.0


class _Worker:
    """One spawned worker process and what it is doing."""

    def __init__(self, ctx: Any, config: PipelineConfig, setup: Setup | None) -> None:
        self.conn, child = ctx.Pipe(duplex=True)
        self.proc = ctx.Process(target=worker_main, args=(child, config, setup, os.getpid()), daemon=True,
                                name="nianbao-worker")
        with main_left_alone(keep=needs_main(setup)):
            self.proc.start()
        child.close()
        self.born = time.monotonic()
        self.ps = psutil.Process(self.proc.pid)
        self.rss_at = 0.0  # when its memory was last read (monotonic)
        self._inbox = select.poll()  # kept: Connection.poll builds a selector on every call, and the parent
        self._inbox.register(self.conn.fileno(), select.POLLIN)  # polls once per message the worker sends
        self.ready = False
        self.task: _Task | None = None
        self.current: tuple[str, float] | None = None  # (source, since) of the document being parsed

    def has_message(self) -> bool:
        """Whether a message, or the end of the pipe (the worker died), waits to be read."""
        return bool(self._inbox.poll(0))

    def rss_mb(self) -> float:
        """The worker's resident memory in MB (0 if it is gone)."""
        try:
            return self.ps.memory_info().rss / 2**20
        except psutil.Error:
            return 0.0

    def kill(self) -> None:
        """Kill the process and reap it."""
        if self.proc.is_alive():
            self.proc.kill()
        self.proc.join(5)
        self.conn.close()


@dataclass
class LimitedPool:
    """Parses chunks of inputs in ``size`` worker processes under per-document time and memory limits."""

    config: PipelineConfig
    size: int = 1
    doc_timeout: float = 0.0  # seconds per document (0 = no limit)
    max_worker_mb: float = 0.0  # RSS cap per worker (0 = no limit)
    setup: Setup | None = None
    _workers: list[_Worker] = field(default_factory=list, init=False)
    _ready: list[tuple[int, int, int, _Task]] = field(default_factory=list, init=False)
    _order: Iterator[int] = field(default_factory=itertools.count, init=False)
    started_workers: int = field(default=0, init=False)
    _watch: Any = field(default=None, init=False)  # select.poll of every worker's pipe and sentinel
    _watching: int = field(default=-1, init=False)  # started_workers when _watch was made
    _finished: list[tuple[_Task, bytes]] = field(default_factory=list, init=False)  # results not unpickled yet

    # ------------------------------------------------------------ public
    def run(self, chunks: Iterable[list[InputItem]], window: int | None = None,
            close: bool = True) -> Iterator[dict[str, Any]]:
        """Records for every input of every chunk, in input order; at most ``window`` chunks held at once.

        ``close=False`` keeps the workers for the next call (a Ray actor's pool); they are stopped on any error.
        """
        window = window or self.size * 2 + 1
        slots: deque[tuple[int, _Slot]] = deque()
        chunk_iter = iter(chunks)
        seq = itertools.count()
        exhausted = False
        try:
            while True:
                while not exhausted and len(slots) < window:
                    chunk = next(chunk_iter, None)
                    if chunk is None:
                        exhausted = True
                        break
                    slot = _Slot(chunk, [None] * len(chunk), len(chunk))
                    n = next(seq)
                    slots.append((n, slot))
                    self._push(_Task(slot, list(range(len(chunk))), alone=False, seq=n))
                while slots and slots[0][1].done():
                    _, slot = slots.popleft()
                    yield from slot.records  # type: ignore[misc]
                if exhausted and not slots:
                    break
                self._step()
        except BaseException:
            self.close()
            raise
        if close:
            self.close()

    def in_flight(self) -> list[tuple[str, float]]:
        """(source, seconds) of each document being parsed now, the longest-running first."""
        now = time.monotonic()
        out = [(cur[0], now - cur[1]) for w in list(self._workers) if w.task is not None and (cur := w.current)]
        return sorted(out, key=lambda x: -x[1])

    def close(self) -> None:
        """Stop every worker (politely, then by force)."""
        for w in self._workers:
            try:
                w.conn.send(None)
            except (OSError, ValueError):
                pass
        deadline = time.monotonic() + 2
        for w in self._workers:
            w.proc.join(max(0.0, deadline - time.monotonic()))
            w.kill()
        self._workers = []

    # ------------------------------------------------------------ scheduling
    def _push(self, task: _Task) -> None:
        heapq.heappush(self._ready, (task.seq, task.indices[0], next(self._order), task))

    def _start_worker(self) -> _Worker:
        self.started_workers += 1
        return _Worker(get_context("spawn"), self.config, self.setup)

    def _step(self) -> None:
        """Start missing workers, hand tasks to idle ones, wait a little, handle what happened."""
        while len(self._workers) < self.size:
            self._workers.append(self._start_worker())
        self._hand_out()
        self._wait()
        for i, w in enumerate(list(self._workers)):
            if not self._drain(w) or not w.proc.is_alive():
                w.proc.join(EXIT_WAIT_S)  # its pipe closes a moment before it can be reaped: the code, not None
                self._replace(i, "crash", f"exit code {w.proc.exitcode}")
                continue
            self._check_limits(i, w)
        self._hand_out()  # before the records are unpickled, the next inputs read and records yielded
        self._unpack()

    def _unpack(self) -> None:
        """Unpickle the records of the tasks that finished in this step into their slots."""
        done, self._finished = self._finished, []
        for task, payload in done:
            for i, rec in zip(task.indices, pickle.loads(payload), strict=True):
                task.slot.records[i] = rec
            task.slot.left -= len(task.indices)

    def _hand_out(self) -> None:
        """Give the earliest ready tasks to the workers that are ready and idle."""
        for w in self._workers:
            if w.ready and w.task is None and self._ready:
                *_, task = heapq.heappop(self._ready)
                self._send(w, task)

    def _wait(self) -> None:
        """Until a worker sends something or exits, or ``POLL_S`` passes. One poll object serves while the
        workers stay the same (``multiprocessing.connection.wait`` builds a selector on every call)."""
        if self._watching != self.started_workers:
            self._watch = select.poll()
            for w in self._workers:
                self._watch.register(w.conn.fileno(), select.POLLIN)
                self._watch.register(w.proc.sentinel, select.POLLIN)
            self._watching = self.started_workers
        self._watch.poll(POLL_S * 1000)

    def _send(self, w: _Worker, task: _Task) -> None:
        task.started = time.monotonic()
        w.task = task
        w.current = (task.slot.items[task.indices[0]].source, task.started)
        try:
            w.conn.send((id(task), [task.slot.items[i] for i in task.indices]))
        except (OSError, ValueError):  # the worker is gone: noticed by _step
            pass

    def _drain(self, w: _Worker) -> bool:
        """Read every message the worker has sent; False when its pipe broke (it died)."""
        try:
            while w.has_message():
                msg = w.conn.recv()
                if msg[0] == "at":
                    w.current = (msg[1], time.monotonic())
                elif msg[0] == "ready":
                    self._on_ready(w)
                elif msg[0] == "init_error":
                    raise WorkerSetupError(f"a parse worker could not start:\n{msg[1]}")
                else:
                    self._on_result(w, msg)
        except (EOFError, OSError):
            return False
        return True

    def _on_ready(self, w: _Worker) -> None:
        w.ready = True
        rss = w.rss_mb()
        if self.max_worker_mb and rss > self.max_worker_mb:
            raise WorkerSetupError(f"a parse worker uses {rss:.0f} MB as soon as its pipeline is loaded, over the "
                                   f"{self.max_worker_mb:g} MB limit (--max-worker-mb): raise the limit")

    def _on_result(self, w: _Worker, msg: tuple[int, str, Any]) -> None:
        task = w.task
        w.task, w.current = None, None
        if task is None or msg[0] != id(task):  # pragma: no cover - a late reply of a task already given up on
            return
        if msg[1] == "ok":
            self._finished.append((task, msg[2]))  # unpickled by _unpack once idle workers have new tasks
        else:
            if self.config.fail_fast:
                raise DocumentLimitError(f"{task.slot.items[task.indices[0]].source}: {msg[2]}")
            self._failed(task, "crash", msg[2])

    def _check_limits(self, i: int, w: _Worker) -> None:
        now = time.monotonic()
        if not w.ready:
            if now - w.born > STARTUP_TIMEOUT_S:
                raise WorkerSetupError(f"a parse worker did not load its pipeline in {STARTUP_TIMEOUT_S:.0f}s")
            return
        if w.task is None:
            return
        spent = now - w.task.started
        if self.doc_timeout and spent > self.doc_timeout * len(w.task.indices):
            self._replace(i, "timeout", f"{spent:.1f}")
        elif self.max_worker_mb and now - w.rss_at >= POLL_S:  # read once per POLL_S, not on every message
            w.rss_at = now
            if (rss := w.rss_mb()) > self.max_worker_mb:
                self._replace(i, "memory", f"{rss:.0f}")

    def _replace(self, i: int, kind: str, detail: str) -> None:
        """Kill worker ``i``, start a fresh one, and deal with the task it held."""
        w = self._workers[i]
        if not w.ready and kind == "crash":
            raise WorkerSetupError(f"a parse worker died while loading its pipeline ({detail})")
        w.kill()
        self._workers[i] = self._start_worker()
        if w.task is not None:
            self._failed(w.task, kind, detail)

    def _failed(self, task: _Task, kind: str, detail: str) -> None:
        """A task that did not finish: retry its documents one by one, or write the document's error record."""
        first = task.slot.items[task.indices[0]]
        if self.config.fail_fast:
            raise DocumentLimitError(f"{first.source}: worker {kind} ({detail})")
        if len(task.indices) > 1 or (kind != "timeout" and not task.alone):
            for i in task.indices:
                self._push(_Task(task.slot, [i], alone=True, seq=task.seq))
            return
        i = task.indices[0]
        task.slot.records[i] = error_record(first, *self._error(kind, detail))
        task.slot.left -= 1

    def _error(self, kind: str, detail: str) -> tuple[str, str]:
        if kind == "timeout":
            return "E_TIMEOUT", (f"parsing this document alone took over the {self.doc_timeout:g}s limit "
                                 f"(--doc-timeout): stopped after {detail}s, its worker was replaced")
        if kind == "memory":
            return "E_MEMORY", (f"its worker used {detail} MB while parsing this document alone, over the "
                                f"{self.max_worker_mb:g} MB limit (--max-worker-mb); the worker was replaced")
        return "E_WORKER_CRASH", (f"the worker process died while parsing this document ({detail}); "
                                  "it was retried alone and failed again")
