"""The parse pipeline: an ordered list of small stages, each ``Document -> Document``.

    decode -> normalise -> tag (model, or the rules-only reader) -> sections -> meta
    -> tables (rebuild, split glued runs) -> validate (invariants, confidence) -> status

A stage raises ``StageError`` for a document it cannot handle; ``Pipeline``
turns that (or any unexpected exception) into an error record, so a batch
never dies of one bad document. ``fail_fast=True`` re-raises instead.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable

from nianbao.config import MAX_INPUT_BYTES, PipelineConfig
from nianbao.document import Document
from nianbao.errors import StageError
from nianbao.inputs import InputItem
from nianbao.normalise import decode_item, normalise_document
from nianbao.rules import apply_rules
from nianbao.rules.prefilter import has_report_cues
from nianbao.rules.reader import RuleReader
from nianbao.tagger import Tagger
from nianbao.tagger.runtime import load_model_tagger

# PipelineConfig, MAX_INPUT_BYTES and StageError live in the ground layer; importable from here too.
__all__ = ["MAX_INPUT_BYTES", "Pipeline", "PipelineConfig", "Stage", "StageError", "load_tagger"]

Stage = Callable[[Document], Document]


def load_tagger(config: PipelineConfig) -> Tagger:
    """The tagger a run asked for: rules-only reader, or the model via torch / ONNX Runtime."""
    if not config.use_model:
        return RuleReader()
    return load_model_tagger(config)


class Pipeline:
    """Runs the stages over documents; loads the model once."""

    def __init__(self, config: PipelineConfig | None = None) -> None:
        self.config = config or PipelineConfig()
        self._tagger = None

    @property
    def tagger(self):  # noqa: ANN201 - a nianbao.tagger runtime or the rules-only reader
        """The tagging stage: the model's tagger, or the rules-only reader with --no-model."""
        if self._tagger is None:
            self._tagger = load_tagger(self.config)
        return self._tagger

    def start(self, item: InputItem) -> Document:
        """Decode and normalise one input (the stages before tagging)."""
        doc = Document(source=item.source, url=item.url)
        if item.data is not None:
            doc.doc_id = hashlib.sha256(item.data).hexdigest()
        if item.error is not None:
            return doc.fail(item.error.code, item.error.stage, item.error.message)
        return self._guard(doc, lambda d: normalise_document(decode_item(item, d, self.config.max_bytes)))

    def finish(self, doc: Document) -> Document:
        """The stages after tagging: sections, meta, tables, validation, status."""
        if doc.status == "error":
            return doc
        return self._guard(doc, lambda d: apply_rules(d, cross_read_tables=self.config.cross_read))

    def process_batch(self, items: Iterable[InputItem]) -> list[Document]:
        """Process a batch of inputs; the tagger sees all decodable documents at once."""
        docs = [self.start(item) for item in items]
        live = [d for d in docs if d.status != "error"]
        if self.config.prefilter:  # a page with no report cue is not tagged: the rules find it not a report
            cues = [has_report_cues(d.norm_text) for d in live]
            skipped = [d for d, cue in zip(live, cues, strict=True) if not cue]
            live = [d for d, cue in zip(live, cues, strict=True) if cue]
            try:
                info = getattr(self.tagger, "info", None) if skipped else None  # named in the record, as before
            except Exception:  # the tagger cannot load: every document meets that failure below, as before
                info, live, skipped = None, live + skipped, []
            for d in skipped:
                d.model = info
        if live:
            try:
                self.tagger.tag(live)
            except Exception:  # a tagger failure on one batch: retry one by one
                if self.config.fail_fast:
                    raise
                for d in live:
                    self._guard(d, lambda x: self.tagger.tag([x])[0], stage_name="tag")
        return [self.finish(d) for d in docs]

    def process(self, item: InputItem) -> Document:
        """Process one input into one document (never raises unless fail_fast)."""
        return self.process_batch([item])[0]

    def _guard(self, doc: Document, stage: Stage, stage_name: str = "pipeline") -> Document:
        try:
            return stage(doc)
        except StageError as e:
            if self.config.fail_fast:
                raise
            return doc.fail(e.code, e.stage, e.message)
        except Exception as e:  # noqa: BLE001 - turned into an error record, never silent
            if self.config.fail_fast:
                raise
            return doc.fail("E_INTERNAL", stage_name, f"{type(e).__name__}: {e} (please report this input)")
