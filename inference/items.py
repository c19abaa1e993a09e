"""What an input is before decoding: ``InputItem`` (a document's source name and bytes) and ``InputStats``
(what input discovery saw), shared by the readers of files, JSONL and WARC archives."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Literal

from nianbao.document import ErrorInfo

Kind = Literal["text", "html"]

TEXT_SUFFIXES = (".txt",)
HTML_SUFFIXES = (".html", ".htm")
JSONL_SUFFIXES = (".jsonl", ".jsonl.gz")
WARC_SUFFIXES = (".warc", ".warc.gz", ".wet", ".wet.gz", ".arc.gz")  # crawl archives (nianbao.warc)
MAX_READ_BYTES = 256 * 1024 * 1024  # never read more than this into memory; the decoder's own limit is lower


@dataclass
class InputItem:
    """One input document before decoding: its ``source`` name and raw bytes (or text from JSONL)."""

    source: str
    data: bytes | None = None  # raw bytes (files), or the UTF-8 bytes of a JSONL text/html value
    kind: Kind = "text"
    text: str | None = None  # already-decoded text (JSONL records)
    error: ErrorInfo | None = None  # could not even be read (unreadable file, bad JSON line)
    url: str | None = None  # the page's address where the input knows it (a WARC record's WARC-Target-URI)


@dataclass
class InputStats:
    """What input discovery saw: skipped non-input files, unreadable entries, documents per kind."""

    skipped: int = 0  # files in directories that are not inputs (README.md, images...)
    unreadable: int = 0  # files or directories that could not be read (each still yields an error item)
    bad_lines: int = 0  # JSONL lines that are not {"id", "text"|"html"} objects (each yields an error item)
    kinds: Counter[str] = field(default_factory=Counter)  # documents by origin: text, html, jsonl
    skipped_examples: list[str] = field(default_factory=list)  # the first few skipped paths, for the summary
    warc_skipped: Counter[str] = field(default_factory=Counter)  # WARC records that are no documents, by reason
    warc_errors: int = 0  # truncated or corrupt WARC records (each yields an error item)
