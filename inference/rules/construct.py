"""Pydantic models built from values already known valid, without validating them again.

The rule layer builds a few hundred cells, field values and tag spans per report; validating each costs
more than the rest of its work on it. ``built`` fills a model's slots as validation would have, from
a complete field dict (``__dict__`` in field order, every field counted as set), and ``tag_span`` builds
a ``TagSpan`` exactly as ``TagSpan(start=..., end=..., tag=...)`` does (``score`` left to its default).

>>> tag_span(3, 5, "VAL") == TagSpan(start=3, end=5, tag="VAL")
True
>>> tag_span(3, 5, "VAL").model_fields_set == TagSpan(start=3, end=5, tag="VAL").model_fields_set
True
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel

from nianbao.document import TagSpan

_SLOTS = BaseModel.__dict__
_SET_DICT = _SLOTS["__dict__"].__set__  # the slots' own setters: BaseModel.__setattr__ would validate
_SET_FIELDS = _SLOTS["__pydantic_fields_set__"].__set__
_SET_EXTRA = _SLOTS["__pydantic_extra__"].__set__
_SET_PRIVATE = _SLOTS["__pydantic_private__"].__set__
_new = object.__new__
_TAG_FIELDS = ("start", "end", "tag")


def built(cls: type, values: dict[str, Any], fields_set: set[str] | None = None) -> Any:
    """A pydantic model instance from a complete, already valid field dict in field order (what
    ``model_construct`` does, without its per-field default handling); every field counts as set unless
    ``fields_set`` says which were given."""
    obj = _new(cls)
    _SET_DICT(obj, values)
    _SET_FIELDS(obj, set(values) if fields_set is None else fields_set)
    _SET_EXTRA(obj, None)
    _SET_PRIVATE(obj, None)
    return obj


def tag_span(start: int, end: int, tag: str) -> TagSpan:
    """``TagSpan(start=start, end=end, tag=tag)`` for Python ints and a tag name, unvalidated."""
    obj = _new(TagSpan)
    _SET_DICT(obj, {"start": start, "end": end, "tag": tag, "score": 1.0})
    _SET_FIELDS(obj, set(_TAG_FIELDS))
    _SET_EXTRA(obj, None)
    _SET_PRIVATE(obj, None)
    return obj
