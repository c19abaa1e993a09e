"""Input discovery: files, directories (recursive, sorted) and JSONL records -> ``InputItem``s.

(Interface fixed here; see ``iter_inputs``.)
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from nianbao.document import ErrorInfo

Kind = Literal["text", "html"]


@dataclass
class InputItem:
    """One input document before decoding: its ``source`` name and raw bytes (or text from JSONL)."""

    source: str
    data: bytes | None = None  # raw bytes (files), or the UTF-8 bytes of a JSONL text/html value
    kind: Kind = "text"
    text: str | None = None  # already-decoded text (JSONL records)
    error: ErrorInfo | None = None  # could not even be read (unreadable file, bad JSON line)
