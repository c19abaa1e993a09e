"""The distributed engine: the same pipeline on Ray Data (``--engine ray``).

Inputs are fed to Ray in windows (bounded driver memory), parsed by
``map_batches`` with an actor pool whose actors load the model once each, and
come back in input order (``preserve_order``). With a time or memory limit,
each actor parses in a worker process of its own (``nianbao.batch.workers``,
the local engine's pool with one worker): a document over the limit becomes
an ``E_TIMEOUT`` / ``E_MEMORY`` record and the actor's worker is replaced,
while the actor itself stays up. Paths may be local or any URI
that ``pyarrow.fs`` opens (``s3://``, ``gs://``, ``hdfs://``...): see
``open_output`` and ``iter_uri_jsonl``.
"""

from __future__ import annotations

import gzip
import io
import json
from collections.abc import Iterable, Iterator
from typing import Any

from nianbao.batch.engine import DOC_TIMEOUT_S, MAX_WORKER_MB
from nianbao.batch.workers import LimitedPool, Setup
from nianbao.document import ErrorInfo
from nianbao.inputs import InputItem
from nianbao.pipeline import Pipeline, PipelineConfig

WINDOW = 2000


def is_uri(path: str) -> bool:
    """Whether a path names an object-store / filesystem URI rather than a local path."""
    return "://" in str(path)


def iter_uri_jsonl(uri: str) -> Iterator[InputItem]:
    """Stream ``{"id", "text"|"html"}`` lines from a JSONL (or .jsonl.gz) file at a pyarrow.fs URI."""
    # local: pyarrow loads only for Parquet and remote URIs
    from pyarrow import fs

    filesystem, path = fs.FileSystem.from_uri(uri)
    with filesystem.open_input_stream(path) as raw:
        stream = gzip.GzipFile(fileobj=raw) if uri.endswith(".gz") else raw
        for n, line in enumerate(io.TextIOWrapper(stream, encoding="utf-8"), start=1):
            if not line.strip():
                continue
            try:
                obj = json.loads(line)
                kind = "html" if "html" in obj else "text"
                value = obj[kind]
                source = f"{uri}#{obj.get('id', n)}"
                yield InputItem(source=source, data=value.encode("utf-8"), kind=kind, text=value)
            except (json.JSONDecodeError, KeyError, TypeError, AttributeError) as exc:
                yield InputItem(source=f"{uri}#{n}", error=ErrorInfo(
                    code="E_JSONL", stage="read", message=f"line {n} is not a {{id, text|html}} object: {exc}"))


class ParseActor:
    """A Ray actor: loads the pipeline (and model) once, parses batches of inputs.

    With a limit, the pipeline lives in the actor's own worker process instead, which the limits can kill.
    """

    def __init__(self, config: PipelineConfig, doc_timeout: float = 0.0, max_worker_mb: float = 0.0,
                 setup: Setup | None = None) -> None:
        self.pool: LimitedPool | None = None
        if doc_timeout or max_worker_mb:
            self.pool = LimitedPool(config, 1, doc_timeout, max_worker_mb, setup)
            return
        # local: torch costs start-up time; only this path needs it
        import torch

        torch.set_num_threads(1)
        self.pipeline = Pipeline(config.model_copy(update={"threads": 1}))
        if setup is not None:
            setup(self.pipeline)

    def __call__(self, batch: dict[str, Any]) -> dict[str, Any]:
        """Parse one batch of serialised inputs into JSON records (same order)."""
        items = [_item_from_row(batch, i) for i in range(len(batch["source"]))]
        if self.pool is not None:
            records = list(self.pool.run([items], close=False))
        else:
            records = [d.to_record() for d in self.pipeline.process_batch(items)]
        return {"record": [json.dumps(r, ensure_ascii=False) for r in records]}

    def __del__(self) -> None:
        if getattr(self, "pool", None) is not None:
            self.pool.close()


def _item_to_row(item: InputItem) -> dict[str, Any]:
    return {"source": item.source, "data": item.data or b"", "has_data": item.data is not None, "kind": item.kind,
            "text": item.text or "", "has_text": item.text is not None,
            "error": item.error.model_dump_json() if item.error else ""}


def _item_from_row(batch: dict[str, Any], i: int) -> InputItem:
    err = batch["error"][i]
    return InputItem(source=str(batch["source"][i]),
                     data=bytes(batch["data"][i]) if batch["has_data"][i] else None,
                     kind=str(batch["kind"][i]),
                     text=str(batch["text"][i]) if batch["has_text"][i] else None,
                     error=ErrorInfo.model_validate_json(err) if err else None)


class RayEngine:
    """Runs the pipeline on a Ray cluster (or a local Ray started with ``num_cpus=workers``)."""

    def __init__(self, config: PipelineConfig, workers: int = 2, batch_size: int | None = None,
                 address: str | None = None, doc_timeout: float = DOC_TIMEOUT_S,
                 max_worker_mb: float = MAX_WORKER_MB, worker_setup: Setup | None = None) -> None:
        self.config = config
        self.workers = workers
        self.batch_size = batch_size or config.batch_size
        self.address = address
        self.doc_timeout = doc_timeout
        self.max_worker_mb = max_worker_mb
        self.worker_setup = worker_setup

    def in_flight(self) -> list[tuple[str, float]]:
        """What is being parsed now: not known to the driver with Ray (the actors hold it), so always empty."""
        return []

    def _init(self) -> None:
        # local: ray costs seconds at start-up; only the Ray engine needs it
        import ray

        if not ray.is_initialized():
            if self.address:
                ray.init(address=self.address, log_to_driver=False)
            else:
                ray.init(num_cpus=self.workers, include_dashboard=False, log_to_driver=False)
        ctx = ray.data.DataContext.get_current()
        ctx.execution_options.preserve_order = True
        ctx.enable_progress_bars = False

    def run(self, items: Iterable[InputItem]) -> Iterator[dict[str, Any]]:
        """Output records in input order, one per input."""
        # local: ray costs seconds at start-up; only the Ray engine needs it
        import ray

        self._init()
        window: list[dict[str, Any]] = []
        for item in items:
            window.append(_item_to_row(item))
            if len(window) >= WINDOW:
                yield from self._run_window(ray, window)
                window = []
        if window:
            yield from self._run_window(ray, window)

    def _run_window(self, ray: Any, rows: list[dict[str, Any]]) -> Iterator[dict[str, Any]]:
        ds = ray.data.from_items(rows, override_num_blocks=max(1, min(len(rows) // self.batch_size, 4 * self.workers)))
        out = ds.map_batches(ParseActor, fn_constructor_args=(self.config, self.doc_timeout, self.max_worker_mb,
                                                              self.worker_setup), batch_size=self.batch_size,
                             compute=ray.data.ActorPoolStrategy(size=self.workers), num_cpus=1,
                             batch_format="numpy")
        for row in out.iter_rows():
            yield json.loads(row["record"])
