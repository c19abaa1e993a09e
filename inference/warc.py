"""WARC and WET input: crawl archives streamed as documents, one ``InputItem`` per page.

Library: warcio (``ArchiveIterator``): pure Python, streams gzip-per-record and
plain WARC/WET files, and undoes the HTTP transfer (chunked) and content
(gzip, deflate, br) encodings of a payload (``record.content_stream()``).

What each record becomes:

- ``response`` (and ``resource``) with a 2xx status and an HTML or text type
  -> a document: ``source = <path>#<WARC-Record-ID>`` (the id without its
  angle brackets), ``url`` = ``WARC-Target-URI``, ``data`` = the payload
  after transfer- and content-decoding (so ``doc_id`` is its sha256);
- a PDF, DOC(X), XLS(X), WPS or ZIP response (annual reports are often
  attachments) -> one error item ``E_UNSUPPORTED_TYPE`` naming the type, so
  the crawl team sees which reports need another tool;
- ``conversion`` records (Common Crawl's WET extracted text) -> text documents;
- non-2xx responses, ``revisit``, ``request``, ``metadata``, ``warcinfo``,
  images and other types (CSS, scripts, JSON) are skipped and counted in
  ``InputStats.warc_skipped`` by reason;
- a truncated or corrupt record -> one error item (``E_WARC_RECORD``); the
  reader finds the next record start (gzip member or ``WARC/`` line) and goes on.

Charset: the HTTP ``charset`` is used when the payload decodes cleanly with
it (ISO-8859-1/Windows-1252/ASCII are what unconfigured servers send, and
decode any bytes, so they are not trusted); otherwise the page's own
``<meta charset>``, otherwise the same detection as for files
(``nianbao.normalise.decode.decode_bytes``: government sites often mislabel GBK).
"""

from __future__ import annotations

import codecs
import os
import re
from collections.abc import Iterator
from pathlib import Path

from nianbao.document import ErrorInfo
from nianbao.items import WARC_SUFFIXES, InputItem, InputStats

HTML_TYPES = ("text/html", "application/xhtml+xml", "application/xml", "text/xml")
TEXT_TYPES = ("text/plain",)
UNTRUSTED_CHARSETS = frozenset({"iso8859-1", "cp1252", "ascii", "latin-1", "latin_1"})
# attachment types a report is published as, by MIME type and by URL suffix: (name for the message)
UNSUPPORTED_MIME = {
    "application/pdf": "PDF", "application/x-pdf": "PDF",
    "application/msword": "DOC",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": "DOCX",
    "application/vnd.ms-excel": "XLS",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": "XLSX",
    "application/vnd.ms-works": "WPS", "application/kswps": "WPS", "application/wps-office.wps": "WPS",
    "application/zip": "ZIP", "application/x-zip-compressed": "ZIP", "application/x-rar-compressed": "RAR",
    "application/vnd.oasis.opendocument.text": "ODT",
}
UNSUPPORTED_SUFFIX = {".pdf": "PDF", ".doc": "DOC", ".docx": "DOCX", ".xls": "XLS", ".xlsx": "XLSX",
                      ".wps": "WPS", ".et": "ET", ".zip": "ZIP", ".rar": "RAR", ".odt": "ODT"}
_SNIFF = ((b"%PDF-", "PDF"), (b"\xd0\xcf\x11\xe0", "DOC/XLS"), (b"PK\x03\x04", "DOCX/XLSX/ZIP"))
_META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([-\w.:]+)""", re.I)
_RECORD_START = re.compile(rb"(?:^|\n)WARC/\d\.\d+\r?\n")


def is_warc(name: str) -> bool:
    """Whether a file name denotes a WARC, WET or ARC archive.

    >>> [is_warc(n) for n in ("a.warc.gz", "CC-MAIN-1.warc.wet.gz", "b.WARC", "c.jsonl.gz")]
    [True, True, True, False]
    """
    return name.lower().endswith(WARC_SUFFIXES)


def iter_warc(path: Path, source: str, stats: InputStats, max_read_bytes: int) -> Iterator[InputItem]:
    """Yield one item per document record of a WARC/WET file, streaming; see the module docstring."""
    # local: warcio costs start-up time; only this path needs it
    from warcio.archiveiterator import ArchiveIterator

    try:
        fh = open(path, "rb")  # noqa: SIM115 - closed below; the iterator is restarted after a corrupt record
    except OSError as exc:
        stats.unreadable += 1
        yield _error(source, "E_READ", f"cannot read {source}: {exc.strerror or exc}")
        return
    gz = fh.read(2) == b"\x1f\x8b"
    pos, n = 0, 0
    with fh:
        while pos is not None:
            fh.seek(pos)
            it = ArchiveIterator(fh)
            start = pos
            try:
                for record in it:
                    start = it.offset
                    n += 1
                    item = _record_item(record, source, stats, max_read_bytes, n)
                    it.read_to_end()
                    if item is not None:
                        yield item
                    start = it.offset
                pos = None
                size = os.fstat(fh.fileno()).st_size
                if fh.seek(start) is not None and fh.read(min(size - start, 1 << 16)).strip():  # the file ends inside a record
                    n += 1
                    stats.warc_errors += 1
                    yield _error(f"{source}#@{start}", "E_WARC_RECORD", f"{source} ends inside a record: the "
                                 f"last {size - start:,} bytes (from byte {start}) are a truncated record")
            except Exception as exc:  # noqa: BLE001 - warcio, zlib, EOF: one error item, then resynchronise
                n += 1
                stats.warc_errors += 1
                yield _error(f"{source}#@{start}", "E_WARC_RECORD",
                             f"corrupt or truncated WARC record at byte {start} of {source}: "
                             f"{type(exc).__name__}: {str(exc).strip()[:200]}")
                pos = _next_record_start(fh, start + 1, gz)


def _record_item(record, source: str, stats: InputStats, max_read_bytes: int,  # noqa: ANN001 - warcio record
                 n: int) -> InputItem | None:
    """One WARC record -> an item, an error item, or None (skipped, counted)."""
    rtype = record.rec_type
    headers = record.rec_headers
    rid = (headers.get_header("WARC-Record-ID") or f"record-{n}").strip().strip("<>")
    name = f"{source}#{rid}"
    url = headers.get_header("WARC-Target-URI")
    if rtype not in ("response", "resource", "conversion"):
        _skip(stats, rtype or "unknown")
        return None
    ctype = ""
    charset = None
    if record.http_headers is not None and rtype == "response":
        status = record.http_headers.get_statuscode()
        if not (status or "").startswith("2"):
            _skip(stats, f"http {status or '?'}")
            return None
        ctype, charset = _content_type(record.http_headers.get_header("Content-Type"))
    else:
        ctype, charset = _content_type(headers.get_header("Content-Type"))
        if rtype == "conversion" and not ctype:
            ctype = "text/plain"
    truncated = headers.get_header("WARC-Truncated")
    try:
        payload = record.content_stream().read(max_read_bytes + 1)
    except Exception as exc:  # noqa: BLE001 - a payload that does not decompress or de-chunk
        stats.warc_errors += 1
        return InputItem(source=name, url=url, error=ErrorInfo(
            code="E_WARC_RECORD", stage="read", message=f"the payload of {rid} cannot be decoded "
            f"({type(exc).__name__}: {str(exc)[:200]})"))
    left = getattr(record.raw_stream, "limit", 0) if len(payload) <= max_read_bytes else 0
    short = left - len(record.raw_stream.read()) if left > 0 else 0  # bytes the record says it has but the file lacks
    if truncated or short > 0:
        stats.warc_errors += 1
        why = f"marked WARC-Truncated: {truncated}" if truncated else f"the file ends {short:,} bytes short of it"
        return InputItem(source=name, url=url, error=ErrorInfo(
            code="E_WARC_RECORD", stage="read", message=f"record {rid} is truncated ({why}): the page is incomplete"))
    if len(payload) > max_read_bytes:
        stats.unreadable += 1
        return InputItem(source=name, url=url, error=ErrorInfo(
            code="E_TOO_LARGE", stage="read", message=f"the payload of {rid} is over the "
            f"{max_read_bytes:,}-byte read limit"))
    unsupported = _unsupported(ctype, url, payload)
    if unsupported:
        stats.kinds["warc_unsupported"] += 1
        return InputItem(source=name, url=url, error=ErrorInfo(
            code="E_UNSUPPORTED_TYPE", stage="read", message=f"a {unsupported} document ({ctype or 'no type'}) "
            f"at {url or rid}: extract its text with another tool first"))
    if rtype == "conversion" or ctype in TEXT_TYPES:
        kind = "text"
    elif ctype in HTML_TYPES or (not ctype and _looks_html(payload)):
        kind = "html"
    else:
        _skip(stats, _skip_reason(ctype))
        return None
    stats.kinds["warc" if rtype != "conversion" else "wet"] += 1
    return InputItem(source=name, data=payload, kind=kind, text=decode_payload(payload, charset, kind), url=url)


def decode_payload(payload: bytes, http_charset: str | None, kind: str) -> str | None:
    """The payload's text by its HTTP charset, else its ``<meta charset>``; None: detect as for files.

    >>> decode_payload("报告".encode("gbk"), "gbk", "html"), decode_payload("报告".encode("gbk"), "utf-8", "text")
    ('报告', None)
    >>> decode_payload('<meta charset="gbk"><p>报告'.encode("gbk"), "utf-8", "html")[-2:]
    '报告'
    """
    if not payload or payload.startswith((codecs.BOM_UTF8, codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return None  # the file decoder strips BOMs and reports empty input
    candidates = [http_charset]
    if kind == "html":
        m = _META_CHARSET.search(payload, 0, 4096)
        candidates.append(m.group(1).decode("ascii", "replace") if m else None)
    for label in candidates:
        codec = _codec(label)
        if codec is None:
            continue
        try:
            return payload.decode(codec)
        except (UnicodeDecodeError, LookupError):
            continue
    return None


def _codec(label: str | None) -> str | None:
    """A charset label -> the Python codec to decode with (GBK/GB2312 -> GB18030, their superset); None if unknown
    or one of the Western defaults servers send unconfigured.

    >>> _codec("GB2312"), _codec("utf8"), _codec("ISO-8859-1"), _codec("x-nonsense")
    ('gb18030', 'utf-8', None, None)
    """
    if not label:
        return None
    try:
        name = codecs.lookup(label.strip().strip("\"'")).name
    except LookupError:
        return None
    if name in UNTRUSTED_CHARSETS:
        return None
    return "gb18030" if name in ("gbk", "gb2312") else name


def _content_type(value: str | None) -> tuple[str, str | None]:
    """``text/html; charset=GBK`` -> ("text/html", "GBK").

    >>> _content_type('text/html; charset="GBK"'), _content_type(None)
    (('text/html', 'GBK'), ('', None))
    """
    if not value:
        return "", None
    parts = value.split(";")
    charset = None
    for p in parts[1:]:
        k, _, v = p.partition("=")
        if k.strip().lower() == "charset" and v.strip():
            charset = v.strip().strip("\"'")
    return parts[0].strip().lower(), charset


def _unsupported(ctype: str, url: str | None, payload: bytes) -> str | None:
    """The name of an attachment type nianbao cannot read (PDF, DOC...), by MIME type, payload or URL suffix."""
    if ctype in UNSUPPORTED_MIME:
        return UNSUPPORTED_MIME[ctype]
    for sig, what in _SNIFF:
        if payload.startswith(sig):
            return what
    if ctype in HTML_TYPES or ctype in TEXT_TYPES:
        return None
    path = (url or "").split("?", 1)[0].split("#", 1)[0].lower()
    for suffix, what in UNSUPPORTED_SUFFIX.items():
        if path.endswith(suffix):
            return what
    return None


def _looks_html(payload: bytes) -> bool:
    head = payload[:1024].lstrip().lower()
    return head.startswith((b"<!doctype html", b"<html", b"<head", b"<body", b"<?xml"))


def _skip_reason(ctype: str) -> str:
    if ctype.startswith("image/"):
        return "image"
    return f"type {ctype or 'unknown'}"


def _skip(stats: InputStats, reason: str) -> None:
    stats.warc_skipped[reason] += 1


def _next_record_start(fh, after: int, gz: bool) -> int | None:  # noqa: ANN001 - a binary file
    """Offset of the next record start at or after ``after``: a gzip member, or a ``WARC/1.x`` line."""
    chunk_size = 1 << 20
    pos = after
    while True:
        fh.seek(pos)
        chunk = fh.read(chunk_size + 16)
        if not chunk:
            return None
        if gz:
            i = chunk.find(b"\x1f\x8b\x08")
            if 0 <= i < chunk_size:
                return pos + i
        else:
            m = _RECORD_START.search(chunk)
            if m is not None and m.start() < chunk_size:
                return pos + m.start() + (1 if chunk[m.start():m.start() + 1] == b"\n" else 0)
        if len(chunk) <= chunk_size:
            return None
        pos += chunk_size


def _error(source: str, code: str, message: str) -> InputItem:
    return InputItem(source=source, error=ErrorInfo(code=code, stage="read", message=message))
