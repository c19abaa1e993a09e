"""Pydantic models built from values already known valid, without validating them again.

The rule layer builds a few hundred cells, field values and tag spans per report; validating each costs
more than the rest of its work on it. ``nianbao.document.built`` fills a model's slots as validation
would have, from a complete field dict; ``tag_span`` builds a ``TagSpan`` exactly as
``TagSpan(start=..., end=..., tag=...)`` does (``score`` left to its default).

>>> tag_span(3, 5, "VAL") == TagSpan(start=3, end=5, tag="VAL")
True
>>> tag_span(3, 5, "VAL").model_fields_set == TagSpan(start=3, end=5, tag="VAL").model_fields_set
True
"""

from __future__ import annotations

from nianbao.document import TagSpan, built

_TAG_FIELDS = frozenset(("start", "end", "tag"))


def tag_span(start: int, end: int, tag: str) -> TagSpan:
    """``TagSpan(start=start, end=end, tag=tag)`` for Python ints and a tag name, unvalidated."""
    return built(TagSpan, {"start": start, "end": end, "tag": tag, "score": 1.0}, set(_TAG_FIELDS))
