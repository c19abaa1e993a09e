"""Tagging stage: the trained model (``--model``) or the rules-only reader (``--no-model``).

A tagger has ``tag(docs: list[Document]) -> list[Document]``: it sets ``doc.tags``
(spans on the normalised text) and, for a model, ``doc.char_probs``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from nianbao.document import Document
    from nianbao.pipeline import PipelineConfig


class Tagger(Protocol):
    """Anything that tags documents in place."""

    def tag(self, docs: list[Document]) -> list[Document]:
        """Set tags (and probabilities, for a model) on each document; return them."""
        ...


def load_tagger(config: PipelineConfig) -> Tagger:
    """The tagger a run asked for: rules-only reader, or the model via torch / ONNX Runtime."""
    if not config.use_model:
        from nianbao.rules.reader import RuleReader

        return RuleReader()
    from nianbao.tagger.runtime import load_model_tagger

    return load_model_tagger(config)
