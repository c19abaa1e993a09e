"""Input discovery: files, directories (recursive, sorted) and JSONL records -> ``InputItem``s.

``iter_inputs(paths)`` yields one item per input document, streaming, in a
fixed order: paths in the order given; inside a directory, files sorted by
path (depth first, names compared part by part); inside a JSONL file, lines
in order. What counts as an input:

- inside a directory: ``*.txt`` (kind text), ``*.html``/``*.htm`` (kind
  html), ``*.jsonl``/``*.jsonl.gz`` (one document per non-blank line,
  ``{"id": ..., "text": ...}`` or ``{"id": ..., "html": ...}``),
  ``*.warc(.gz)``/``*.wet(.gz)`` (one document per page record, ``nianbao.warc``); any other
  file is skipped and counted in ``InputStats.skipped`` (a README, images);
- a file named on the command line is always read, whatever its suffix
  (``.jsonl``/``.jsonl.gz`` as JSONL, ``.htm(l)`` as HTML, anything else as
  text), so that every path asked for yields a record.

``source`` is the path as given or joined (``dir/sub/a.txt``); a JSONL
record's is ``path#<id>``, or ``path#<line number>`` (1-based) without an
id. A JSONL record's ``data`` is the UTF-8 bytes of its text, so its
``doc_id`` (sha256 of ``data``) equals that of the same text read from a
file. Anything that cannot be read still yields one item, carrying
``error`` (``E_READ``: missing or unreadable file or directory, too big to
read; ``E_JSONL``: a line that is not such an object), so it becomes one
error record and the run goes on.
"""

from __future__ import annotations

import gzip
import json
import os
import zlib
from collections.abc import Iterator
from pathlib import Path

from nianbao.document import ErrorInfo
from nianbao.items import (
    HTML_SUFFIXES,
    JSONL_SUFFIXES,
    MAX_READ_BYTES,
    TEXT_SUFFIXES,
    WARC_SUFFIXES,
    InputItem,
    InputStats,
    Kind,
)
from nianbao.warc import iter_warc


def input_kind(name: str) -> str | None:
    """The kind of input a file name denotes inside a directory: text, html, jsonl, or None (skip).

    >>> [input_kind(n) for n in ("a.TXT", "b.htm", "c.jsonl.gz", "README.md", "d.warc.gz")]
    ['text', 'html', 'jsonl', None, 'warc']
    """
    low = name.lower()
    if low.endswith(WARC_SUFFIXES):
        return "warc"
    if low.endswith(JSONL_SUFFIXES):
        return "jsonl"
    if low.endswith(HTML_SUFFIXES):
        return "html"
    if low.endswith(TEXT_SUFFIXES):
        return "text"
    return None


def iter_inputs(paths: list[str | Path], stats: InputStats | None = None,
                max_read_bytes: int = MAX_READ_BYTES) -> Iterator[InputItem]:
    """Yield one ``InputItem`` per input document under ``paths``, streaming, in input order."""
    stats = stats if stats is not None else InputStats()
    for p in paths:
        source = str(p)
        path = Path(p)
        if path.is_dir():
            yield from _walk(path, source, stats, max_read_bytes, set())
        elif path.exists() or path.is_symlink():
            yield from _read_file(path, source, input_kind(path.name) or "text", stats, max_read_bytes)
        else:
            stats.unreadable += 1
            yield _error(source, "E_READ", f"no such file or directory: {source}")


def _walk(folder: Path, source: str, stats: InputStats, max_read_bytes: int,
          seen: set[tuple[int, int]]) -> Iterator[InputItem]:
    """Depth first, entries sorted by name: the same order as sorting all file paths part by part."""
    try:
        st = folder.stat()
        if (st.st_dev, st.st_ino) in seen:  # a symlink loop: already being walked
            return
        seen = seen | {(st.st_dev, st.st_ino)}
        with os.scandir(folder) as it:
            entries = sorted(it, key=lambda e: e.name)
    except OSError as exc:
        stats.unreadable += 1
        yield _error(source, "E_READ", f"cannot list directory {source}: {exc.strerror or exc}")
        return
    for entry in entries:
        child = os.path.join(source, entry.name)
        try:
            is_dir = entry.is_dir()
        except OSError:
            is_dir = False
        if is_dir:
            yield from _walk(Path(entry.path), child, stats, max_read_bytes, seen)
            continue
        kind = input_kind(entry.name)
        if kind is None:
            stats.skipped += 1
            if len(stats.skipped_examples) < 5:
                stats.skipped_examples.append(child)
            continue
        yield from _read_file(Path(entry.path), child, kind, stats, max_read_bytes)


def _read_file(path: Path, source: str, kind: str, stats: InputStats, max_read_bytes: int) -> Iterator[InputItem]:
    if kind == "jsonl":
        yield from _read_jsonl(path, source, stats, max_read_bytes)
        return
    if kind == "warc":
        yield from iter_warc(path, source, stats, max_read_bytes)
        return
    try:
        size = path.stat().st_size
        if size > max_read_bytes:
            stats.unreadable += 1
            yield _error(source, "E_TOO_LARGE", f"{source} is {size:,} bytes, over the {max_read_bytes:,}-byte "
                         "read limit: split it", stage="read")
            return
        data = path.read_bytes()
    except OSError as exc:
        stats.unreadable += 1
        yield _error(source, "E_READ", f"cannot read {source}: {exc.strerror or exc}")
        return
    stats.kinds[kind] += 1
    yield InputItem(source=source, data=data, kind="html" if kind == "html" else "text")


def _read_jsonl(path: Path, source: str, stats: InputStats, max_read_bytes: int) -> Iterator[InputItem]:
    n = 0
    try:
        opener = gzip.open if path.name.lower().endswith(".gz") else open
        with opener(path, "rb") as fh:
            for n, line in enumerate(fh, start=1):  # noqa: B007 - n is reported after the loop on a read error
                if not line.strip():
                    continue
                item = parse_jsonl_line(line, source, n, max_read_bytes)
                if item.error is not None:
                    stats.bad_lines += 1
                else:
                    stats.kinds["jsonl"] += 1
                yield item
    except (OSError, EOFError, zlib.error) as exc:
        stats.unreadable += 1
        where = f" after line {n}" if n else ""
        yield _error(f"{source}#{n + 1}" if n else source, "E_READ", f"cannot read {source}{where}: {exc}")


def parse_jsonl_line(line: bytes | str, source: str, n: int, max_bytes: int = MAX_READ_BYTES) -> InputItem:
    """One JSONL line -> an item (``path#id`` or ``path#n``), or an ``E_JSONL`` error item.

    >>> parse_jsonl_line(b'{"id": "r7", "html": "<p>x</p>"}', "a.jsonl", 3).source
    'a.jsonl#r7'
    >>> parse_jsonl_line(b'[1, 2]', "a.jsonl", 4).error.code
    'E_JSONL'
    """
    if len(line) > max_bytes:
        return _error(f"{source}#{n}", "E_TOO_LARGE", f"line {n} is {len(line):,} bytes, over the "
                      f"{max_bytes:,}-byte read limit", stage="read")
    try:
        obj = json.loads(line)
    except ValueError as exc:  # JSONDecodeError and UnicodeDecodeError
        return _error(f"{source}#{n}", "E_JSONL", f"line {n} is not valid JSON: {exc}")
    if not isinstance(obj, dict):
        return _error(f"{source}#{n}", "E_JSONL", f"line {n} is a JSON {type(obj).__name__}, expected an object "
                      '{"id": ..., "text": ...} or {"id": ..., "html": ...}')
    rid = obj.get("id")
    name = f"{source}#{rid if rid is not None and rid != '' else n}"
    kind: Kind = "html" if "html" in obj else "text"
    value = obj.get(kind)
    if not isinstance(value, str):
        what = "has no text or html key" if value is None else f'has a non-string "{kind}" ({type(value).__name__})'
        return _error(name, "E_JSONL", f"line {n} {what}: expected a string under \"text\" or \"html\"")
    try:
        data = value.encode("utf-8")
    except UnicodeEncodeError as exc:
        return _error(name, "E_JSONL", f"line {n}: the {kind} holds an unpaired surrogate at character "
                      f"{exc.start}: not valid Unicode text")
    return InputItem(source=name, data=data, kind=kind, text=value)


def _error(source: str, code: str, message: str, stage: str = "read") -> InputItem:
    return InputItem(source=source, error=ErrorInfo(code=code, stage=stage, message=message))
