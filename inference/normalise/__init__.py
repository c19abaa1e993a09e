"""The normaliser: original input -> normalised text, with an offset map back to the original.

Steps, each ``text -> (text, map to its input)`` and composed into one map:

1. ``html.html_to_text``     HTML page -> layout text (kind ``html``, or a text that ``looks_like_html``)
2. ``unicode.clean_unicode`` spaces, full-width forms, radical look-alikes, invisibles
3. ``script.to_simplified``  traditional -> simplified (OpenCC ``t2s``), same length
4. ``script.strip_pinyin``   ``鎮(zhèn)`` -> ``鎮``, real parentheses kept

then ``boilerplate.find_boilerplate`` marks site furniture as spans (nothing
is deleted). A step that changes no length returns ``None`` for its map
(identity), so a clean simplified-Chinese text costs a few ``translate`` and
regex passes and one identity map.

>>> norm, m = normalise_text("一、總體情況\\n乳山口鎮(zhèn)（一）１２")
>>> norm
'一、总体情况\\n乳山口镇(一)12'
>>> m.span_to_source(7, 12)
(7, 18)
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from nianbao.normalise.boilerplate import find_boilerplate
from nianbao.normalise.decode import decode_bytes, decode_item
from nianbao.normalise.html import html_to_text, looks_like_html
from nianbao.normalise.script import strip_pinyin, to_simplified
from nianbao.normalise.unicode import clean_unicode
from nianbao.offsets import OffsetMap, chain

if TYPE_CHECKING:
    from nianbao.document import Document

__all__ = ["decode_bytes", "decode_item", "normalise_document", "normalise_text", "OffsetMap"]


def normalise_text(text: str, kind: str = "text") -> tuple[str, OffsetMap]:
    """Normalise one text (``kind="html"``: a page source); returns it and its map to ``text``."""
    maps: list[OffsetMap | None] = []
    cur = text
    if kind == "html":
        cur, m = html_to_text(cur)
        maps.append(m)
    for step in (clean_unicode, to_simplified, strip_pinyin):
        cur, m = step(cur)
        maps.append(m)
    result: OffsetMap | None = None
    for m in reversed(maps):  # the last step's map first: each maps its output onto the step before
        if m is not None:
            result = m if result is None else chain(result, m)
    return cur, result if result is not None else OffsetMap.identity(len(text))


def normalise_document(doc: Document) -> Document:
    """Set ``doc.norm_text``, ``doc.offsets`` (norm -> ``doc.text``) and ``doc.boilerplate``; a page source
    given as text (a crawl's ``.txt`` or JSONL ``text``) is read as HTML (``doc.kind`` says so)."""
    if doc.kind == "text" and looks_like_html(doc.text):
        doc.kind = "html"
    doc.norm_text, doc.offsets = normalise_text(doc.text, doc.kind)
    doc.boilerplate = find_boilerplate(doc.norm_text)
    return doc
