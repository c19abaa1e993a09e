"""A parse run's configuration, ``PipelineConfig``: read by the tagger, the pipeline and the engines."""

from __future__ import annotations

from pathlib import Path

from pydantic import BaseModel

MAX_INPUT_BYTES = 50 * 1024 * 1024


class PipelineConfig(BaseModel):
    """Everything a parse run can be told; one object, passed to every engine."""

    model_dir: Path | None = None  # None + use_model -> the shipped default model
    use_model: bool = True  # False = --no-model (rules-only reader)
    runtime: str = "auto"  # auto | torch | onnx | onnx-int8
    device: str = "cpu"  # cpu | cuda (the torch runtime on a GPU; falls back to the CPU with a note)
    threads: int = 0  # CPU threads of the model runtime per process (0: the library default)
    batch_size: int = 8
    max_bytes: int = MAX_INPUT_BYTES
    fail_fast: bool = False
    cross_read: bool = True  # with a model: also read the tables from the rules-only reader's tags
    skip_prose: bool = True  # the tagger leaves windows that hold only prose untagged (tagger/prose.py)
    prefilter: bool = True  # decide not_a_report before tagging where a page holds no report cue (rules/prefilter.py)
