"""Re-read a record's source text: a record does not hold it. Relative sources resolve against a root;
a JSONL (or WARC) record by its id after ``#``. A text whose sha256 is not the record's ``doc_id`` is
refused, since every span of the record points into the text that was parsed."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

from nianbao.document import Document
from nianbao.inputs import InputItem, iter_inputs
from nianbao.normalise import decode_item
from nianbao.pipeline import MAX_INPUT_BYTES


class SourceError(Exception):
    """The source of a record cannot be re-read, or is not the text that was parsed."""


def source_item(record: dict[str, Any], root: str | Path | None = None) -> InputItem:
    """The input item a record was parsed from, checked against its ``doc_id`` (SourceError otherwise)."""
    source = record.get("source") or ""
    base, hash_, rid = source.partition("#")
    path = Path(base)
    if not path.is_absolute() and root is not None:
        path = Path(root) / path
    if not path.exists():
        raise SourceError(f"the source of record {source!r} is not at {path}: give --root DIR, the folder "
                          "the parse was run from")
    for item in iter_inputs([path]):
        if hash_ and item.source.rpartition("#")[2] != rid:
            continue
        if item.error is not None or item.data is None:
            raise SourceError(f"cannot re-read {source!r}: {item.error.message if item.error else 'no data'}")
        digest = hashlib.sha256(item.data).hexdigest()
        if digest != record.get("doc_id"):
            raise SourceError(f"the text at {path}{hash_}{rid} has sha256 {digest[:12]}..., the record's doc_id is "
                              f"{str(record.get('doc_id'))[:12]}...: the source changed since it was parsed, so "
                              "the record's spans do not point into it; parse it again")
        item.source = source
        return item
    raise SourceError(f"no record {rid!r} in {path}" if hash_ else f"no input document in {path}")


def source_text(record: dict[str, Any], root: str | Path | None = None) -> str:
    """The decoded original text of a record's source (its spans index into it)."""

    return decode_item(source_item(record, root), Document(), MAX_INPUT_BYTES).text


def read_record(ref: str) -> dict[str, Any]:
    """``OUT.jsonl#N``: the N-th (1-based) non-blank record of a parse output; ``OUT.jsonl``: the first."""
    path, _, n = ref.rpartition("#") if "#" in ref else (ref, "", "1")
    want = int(n)
    k = 0
    with open(path, encoding="utf-8") as fh:
        for line in fh:
            if line.strip():
                k += 1
                if k == want:
                    return json.loads(line)
    raise SourceError(f"{path} holds {k} records, not {want}")
