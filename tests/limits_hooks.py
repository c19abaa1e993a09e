"""Test-only worker setups for tests/test_batch_limits.py: make chosen inputs stall, hog memory or crash.

Each is passed to ``LocalEngine(worker_setup=partial(hook, pattern=...))`` and runs in every spawned worker
(pickled by reference: the worker finds this module on the sys.path it inherits). They wrap ``Pipeline.finish``
for the documents whose ``source`` contains ``pattern``.
"""

from __future__ import annotations

import os
import time

from nianbao.pipeline import Pipeline


def _wrap(pipe: Pipeline, pattern: str, act) -> None:  # noqa: ANN001
    finish = pipe.finish

    def hooked(doc):  # noqa: ANN001, ANN202
        if pattern in doc.source:
            act()
        return finish(doc)

    pipe.finish = hooked


def stall(pipe: Pipeline, pattern: str) -> None:
    """Documents matching ``pattern`` never finish (sleep for an hour)."""
    _wrap(pipe, pattern, lambda: time.sleep(3600))


def hog(pipe: Pipeline, pattern: str, mb: int) -> None:
    """Documents matching ``pattern`` take ``mb`` MB of resident memory, then wait."""
    held = []

    def act() -> None:
        held.append(b"\x01" * (mb * 2**20))  # written, so resident
        time.sleep(3600)

    _wrap(pipe, pattern, act)


def crash(pipe: Pipeline, pattern: str) -> None:
    """Documents matching ``pattern`` kill their worker."""
    _wrap(pipe, pattern, lambda: os._exit(3))


def collector_off(pipe: Pipeline) -> None:
    """Every document fails where the cyclic garbage collector is on while its task runs (it is paused per task:
    the task's objects die by their reference counts, and collections would only walk them)."""
    import gc

    def check() -> None:
        if gc.isenabled():
            raise RuntimeError("the garbage collector ran during a task")

    _wrap(pipe, "", check)


def record_modules(pipe: Pipeline, path: str) -> None:
    """Write to ``path`` whether the worker ran its parent's main again, and holds the CLI and the pipeline."""
    import json
    import sys

    with open(path, "w", encoding="utf-8") as fh:
        json.dump({"main_rerun": sys.modules["__main__"].__name__ == "__mp_main__",
                   "cli": "nianbao.cli" in sys.modules, "pipeline": "nianbao.pipeline" in sys.modules}, fh)
