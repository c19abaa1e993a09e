"""The local batch engine: streams inputs, batches documents for the model, uses all cores, keeps input order.

Memory stays bounded: at most ``workers * 2 + 1`` batches are in flight; the
input iterator is consumed only as results are written. A worker that dies
(crash, out of memory) costs only the documents it held: they are retried one by
one in a fresh pool and, if they kill it again, written as error records.
"""

from __future__ import annotations

import hashlib
import os
from collections import deque
from collections.abc import Iterable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from itertools import islice
from multiprocessing import get_context
from typing import Any

from nianbao.document import Document
from nianbao.inputs import InputItem
from nianbao.pipeline import Pipeline, PipelineConfig

_PIPELINE: Pipeline | None = None


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


def _init_worker(config: PipelineConfig, threads: int) -> None:
    global _PIPELINE
    try:
        # local: torch costs seconds at start-up; only the model path needs it
        import torch

        torch.set_num_threads(threads)
    except ImportError:  # pragma: no cover - torch is a dependency
        pass
    _PIPELINE = Pipeline(config.model_copy(update={"threads": threads}))


def _process_chunk(items: list[InputItem]) -> list[dict[str, Any]]:
    assert _PIPELINE is not None, "worker not initialised"
    return [d.to_record() for d in _PIPELINE.process_batch(items)]


def crash_record(item: InputItem, reason: str) -> dict[str, Any]:
    """The error record for a document whose worker process died while parsing it."""
    doc = Document(source=item.source, doc_id=hashlib.sha256(item.data).hexdigest() if item.data else "")
    return doc.fail("E_WORKER_CRASH", "worker", f"the worker process died while parsing this document ({reason}); "
                    "it was retried alone and failed again").to_record()


class LocalEngine:
    """Runs the pipeline over a stream of inputs in-process (1 worker) or in a process pool."""

    def __init__(self, config: PipelineConfig, workers: int = 0, batch_size: int | None = None) -> None:
        self.config = config
        self.workers = workers or default_workers()
        self.batch_size = batch_size or config.batch_size

    def run(self, items: Iterable[InputItem]) -> Iterator[dict[str, Any]]:
        """Output records in input order, one per input."""
        chunks = chunked(items, self.batch_size)
        if self.workers <= 1:
            pipe = Pipeline(self.config)
            for chunk in chunks:
                for doc in pipe.process_batch(chunk):
                    yield doc.to_record()
            return
        yield from self._run_pool(chunks)

    def _pool(self) -> ProcessPoolExecutor:
        return ProcessPoolExecutor(self.workers, mp_context=get_context("spawn"),
                                   initializer=_init_worker, initargs=(self.config, 1))

    def _run_pool(self, chunks: Iterator[list[InputItem]]) -> Iterator[dict[str, Any]]:
        pool = self._pool()
        pending: deque[tuple[list[InputItem], Future]] = deque()
        try:
            for chunk in chunks:
                pending.append((chunk, pool.submit(_process_chunk, chunk)))
                while len(pending) > self.workers * 2:
                    chunk0, fut = pending.popleft()
                    records, pool = self._result(chunk0, fut, pool)
                    yield from records
            while pending:
                chunk0, fut = pending.popleft()
                records, pool = self._result(chunk0, fut, pool)
                yield from records
        finally:
            pool.shutdown(cancel_futures=True)

    def _result(self, chunk: list[InputItem], fut: Future,
                pool: ProcessPoolExecutor) -> tuple[list[dict[str, Any]], ProcessPoolExecutor]:
        try:
            return fut.result(), pool
        except Exception as exc:  # noqa: BLE001 - a dead worker: retry its documents one by one
            if self.config.fail_fast:
                raise
            records = []
            for item in chunk:
                try:
                    retry = self._pool()
                    try:
                        records.extend(retry.submit(_process_chunk, [item]).result())
                    finally:
                        retry.shutdown(cancel_futures=True)
                except Exception as exc2:  # noqa: BLE001
                    records.append(crash_record(item, f"{type(exc2).__name__}: {exc2}"))
            if "Broken" in type(exc).__name__:
                pool.shutdown(cancel_futures=False)
                pool = self._pool()
            return records, pool
