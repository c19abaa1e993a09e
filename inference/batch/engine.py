"""The local batch engine: streams inputs, batches documents for the model, uses all cores, keeps input order.

Memory stays bounded: at most ``workers * 2 + 1`` batches are in flight; the
input iterator is consumed only as results are written. Parsing runs in worker
processes (``nianbao.batch.workers``) unless there is one worker and no limit:
a document over the time limit (``doc_timeout``) or whose worker goes over
``max_worker_mb`` becomes an ``E_TIMEOUT`` / ``E_MEMORY`` record and its worker
is replaced. A worker that dies (crash, out of memory) costs only the
documents it held: they are retried one by one in a fresh worker and, if they
kill it again, written as ``E_WORKER_CRASH`` records.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterable, Iterator
from itertools import islice
from typing import Any

from nianbao.batch.workers import LimitedPool, Setup, error_record, task_records
from nianbao.inputs import InputItem
from nianbao.pipeline import Pipeline, PipelineConfig

DOC_TIMEOUT_S = 60.0  # default per-document time limit (--doc-timeout)
MAX_WORKER_MB = 4096.0  # default per-worker memory limit (--max-worker-mb)


def chunked(items: Iterable[InputItem], size: int) -> Iterator[list[InputItem]]:
    """Consecutive lists of ``size`` items (the last may be shorter).

    >>> [len(c) for c in chunked(range(5), 2)]
    [2, 2, 1]
    """
    it = iter(items)
    while chunk := list(islice(it, size)):
        yield chunk


def default_workers() -> int:
    """One worker per available core."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - non-Linux
        return os.cpu_count() or 1


def crash_record(item: InputItem, reason: str) -> dict[str, Any]:
    """The error record for a document whose worker process died while parsing it."""
    return error_record(item, "E_WORKER_CRASH", f"the worker process died while parsing this document ({reason}); "
                        "it was retried alone and failed again")


class LocalEngine:
    """Runs the pipeline over a stream of inputs in worker processes (in-process: 1 worker and no limits)."""

    def __init__(self, config: PipelineConfig, workers: int = 0, batch_size: int | None = None,
                 doc_timeout: float = DOC_TIMEOUT_S, max_worker_mb: float = MAX_WORKER_MB,
                 worker_setup: Setup | None = None) -> None:
        self.config = config
        self.workers = workers or default_workers()
        self.batch_size = batch_size or config.batch_size
        self.doc_timeout = doc_timeout
        self.max_worker_mb = max_worker_mb
        self.worker_setup = worker_setup  # called in each worker with its Pipeline (tests plant slow inputs with it)
        self.pool: LimitedPool | None = None
        self._current: tuple[str, float] | None = None  # in-process: the document in the rule stages, since when

    @property
    def in_process(self) -> bool:
        """Whether documents are parsed in this process (one worker, no limit: nothing could stop a stuck one)."""
        return self.workers <= 1 and not self.doc_timeout and not self.max_worker_mb

    def run(self, items: Iterable[InputItem]) -> Iterator[dict[str, Any]]:
        """Output records in input order, one per input."""
        chunks = chunked(items, self.batch_size)
        if self.in_process:
            yield from self._run_here(chunks)
            return
        self.pool = LimitedPool(self.config, self.workers, self.doc_timeout, self.max_worker_mb, self.worker_setup)
        yield from self.pool.run(chunks)

    def in_flight(self) -> list[tuple[str, float]]:
        """(source, seconds) of each document being parsed now, the longest-running first."""
        if self.pool is not None:
            return self.pool.in_flight()
        cur = self._current
        return [(cur[0], time.monotonic() - cur[1])] if cur else []

    def _run_here(self, chunks: Iterator[list[InputItem]]) -> Iterator[dict[str, Any]]:
        pipe = Pipeline(self.config)
        if self.worker_setup is not None:
            self.worker_setup(pipe)
        finish = pipe.finish

        def announced_finish(doc: Any) -> Any:
            self._current = (doc.source, time.monotonic())
            return finish(doc)

        pipe.finish = announced_finish  # type: ignore[method-assign]
        for chunk in chunks:
            self._current = (chunk[0].source, time.monotonic())
            records = task_records(pipe, chunk)  # as a worker does
            self._current = None
            yield from records
