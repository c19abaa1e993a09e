"""Pydantic models built from values already known valid, without validating them again.

The rule layer builds a few hundred cells, field values and tag spans per report; validating each costs
more than the rest of its work on it. ``built`` fills a model's slots as validation would have, from a
complete field dict (``nianbao.document.built``, compiled with the rule layer: the rules call it for
every cell, field value and tag span they make); ``tag_span`` builds a ``TagSpan`` exactly as
``TagSpan(start=..., end=..., tag=...)`` does (``score`` left to its default).

>>> from nianbao.document import Cell, built as document_built
>>> v = {"table": "t2", "row": 1, "col": 2, "row_end": None, "col_end": None, "text": "3", "column_header": False,
...      "row_header": False, "start": 4, "end": 5, "field": None}
>>> a, b = built(Cell, dict(v)), document_built(Cell, dict(v))
>>> a == b and a.model_fields_set == b.model_fields_set and a.__pydantic_extra__ == b.__pydantic_extra__
True

>>> tag_span(3, 5, "VAL") == TagSpan(start=3, end=5, tag="VAL")
True
>>> tag_span(3, 5, "VAL").model_fields_set == TagSpan(start=3, end=5, tag="VAL").model_fields_set
True
"""

from __future__ import annotations

from typing import Any

from nianbao.document import SLOT_SETTERS, TagSpan

_TAG_FIELDS = frozenset(("start", "end", "tag"))
_SET_DICT: Any = SLOT_SETTERS[0]  # one name each: mypy 1.13 cannot cache a module-level unpacking of them
_SET_FIELDS: Any = SLOT_SETTERS[1]
_SET_EXTRA: Any = SLOT_SETTERS[2]
_SET_PRIVATE: Any = SLOT_SETTERS[3]


def built(cls: type, values: dict[str, Any], fields_set: set[str] | None = None) -> Any:
    """``nianbao.document.built``: a pydantic model instance from a complete, already valid field dict in field
    order; every field counts as set unless ``fields_set`` says which were given."""
    obj: Any = object.__new__(cls)
    _SET_DICT(obj, values)
    _SET_FIELDS(obj, set(values) if fields_set is None else fields_set)
    _SET_EXTRA(obj, None)
    _SET_PRIVATE(obj, None)
    return obj


def tag_span(start: int, end: int, tag: str) -> TagSpan:
    """``TagSpan(start=start, end=end, tag=tag)`` for Python ints and a tag name, unvalidated."""
    return built(TagSpan, {"start": start, "end": end, "tag": tag, "score": 1.0}, set(_TAG_FIELDS))
