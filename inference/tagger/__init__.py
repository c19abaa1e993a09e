"""Tagging stage: the trained model (``--model``); ``nianbao.pipeline.load_tagger`` picks it or the rules-only reader.

A tagger has ``tag(docs: list[Document]) -> list[Document]``: it sets ``doc.tags``
(spans on the normalised text) and, for a model, ``doc.char_probs``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from nianbao.document import Document


class Tagger(Protocol):
    """Anything that tags documents in place."""

    def tag(self, docs: list[Document]) -> list[Document]:
        """Set tags (and probabilities, for a model) on each document; return them."""
        ...

