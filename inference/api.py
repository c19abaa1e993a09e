"""The Python API for notebooks: ``nianbao.Parser`` (loads the model once), ``nianbao.parse_text`` and
``nianbao.parse_file`` (one-off shortcuts). Each returns the ``Document``; ``doc.to_record()`` is the
record the CLI writes, ``doc.table("t3")`` a pandas DataFrame laid out like the printed table."""

from __future__ import annotations

import hashlib
from pathlib import Path

from nianbao.document import Document
from nianbao.inputs import InputItem, iter_inputs
from nianbao.pipeline import Pipeline, PipelineConfig


class Parser:
    """A parse pipeline kept in memory: the model is loaded on first use and reused."""

    def __init__(self, model: str | Path | None = None, runtime: str = "auto", no_model: bool = False) -> None:

        self.pipeline = Pipeline(PipelineConfig(model_dir=Path(model) if model else None, runtime=runtime,
                                                use_model=not no_model))

    def parse_text(self, text: str, source: str = "<text>") -> Document:
        """Parse one report given as a string (a page source is rendered as HTML, as in the CLI)."""
        data = text.encode("utf-8")
        return self.pipeline.process(InputItem(source=source, data=data, text=text))

    def parse_file(self, path: str | Path) -> Document:
        """Parse one report file (txt, html); for a JSONL file, its first record."""
        for item in iter_inputs([path]):
            return self.pipeline.process(item)
        raise FileNotFoundError(f"no input document in {path}")


def parse_text(text: str, **kwargs: object) -> Document:
    """Parse one report string with a fresh ``Parser(**kwargs)`` (use a ``Parser`` for many)."""
    return Parser(**kwargs).parse_text(text)  # type: ignore[arg-type]


def parse_file(path: str | Path, **kwargs: object) -> Document:
    """Parse one report file with a fresh ``Parser(**kwargs)`` (use a ``Parser`` for many)."""
    return Parser(**kwargs).parse_file(path)  # type: ignore[arg-type]


def text_id(text: str) -> str:
    """The ``doc_id`` a string gets: the sha256 of its UTF-8 bytes (as for the same text in a file)."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()
