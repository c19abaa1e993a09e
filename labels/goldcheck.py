"""Checks and eye-review listings for gold files of real reports (``labels/gold/*.json``).

``problems(doc, text)`` lists every way a gold document disagrees with its own
text or with the gold conventions (``labels/TAGS.md``); ``invariant_breaks``
lists the template identities the REPORT's own values break (null counts as 0;
an identity touching an absent field is not checked). The CLI prints a document
span by span with its context, for checking by eye::

    python -m nianbao.labels.goldcheck review labels/gold/seeds-004.json
    python -m nianbao.labels.goldcheck check labels/gold
"""

from __future__ import annotations

import argparse
import re
from pathlib import Path

from nianbao.labels.catalogue import SECTIONS, invariants_for
from nianbao.labels.gold import GoldDoc, GoldField, default_corpus_root, load_gold
from nianbao.labels.propose import PINYIN, T2S, parse_cell

VALUE_TAGS = frozenset({"VAL", "BLANK"})
MARKS = frozenset({"/", "—", "–", "-", "无", "－"})


def invariant_breaks(fields: dict[str, GoldField]) -> list[str]:
    """``code[first lhs field]`` of every identity the values break.

    >>> f = {k: GoldField(value=v) for k, v in {"t4.review.upheld": 1, "t4.review.corrected": 0,
    ...      "t4.review.other": 0, "t4.review.pending": None, "t4.review.total": 2}.items()}
    >>> invariant_breaks(f)
    ['invariant.t4_total[t4.review.total]']
    """
    out = []
    for inv in invariants_for(set(fields)):
        if not all(f in fields for f in inv.fields):
            continue
        lhs = sum(fields[f].value or 0 for f in inv.lhs)
        rhs = sum(fields[f].value or 0 for f in inv.rhs)
        if abs(lhs - rhs) > 1e-9:
            out.append(f"{inv.code}[{inv.lhs[0]}]")
    return out


def plain(s: str) -> str:
    """A heading reduced for comparison: no pinyin, simplified, no spaces/punctuation/remarks.

    >>> plain("四、政府信息公開(kāi)行政復(fù)議(各相关单位)、行政訴訟情況")
    '四政府信息公开行政复议行政诉讼情况'
    """
    s = PINYIN.sub("", s)
    s = "".join(T2S.get(c, c) for c in s)
    s = re.sub(r"[(（][^)）]*[)）]", "", s)
    s = s.replace("其它", "其他")
    return re.sub(r"[\s、,，.。:：和与及]", "", s)


def problems(doc: GoldDoc, text: str) -> list[str]:
    """Everything wrong with a gold document against its text; empty when it is consistent."""
    out: list[str] = []
    n = len(text)
    by_field: dict[str, tuple[int, int]] = {}
    last_end = -1
    for sp in sorted(doc.spans, key=lambda s: (s.start, s.end)):
        piece = text[sp.start:sp.end] if 0 <= sp.start < sp.end <= n else None
        where = f"{sp.tag} {sp.start}-{sp.end}"
        if piece is None:
            out.append(f"{where}: out of range or empty")
            continue
        if sp.start < last_end:
            out.append(f"{where}: overlaps the previous span")
        last_end = max(last_end, sp.end)
        if piece != piece.strip():
            out.append(f"{where}: {piece!r} has outer whitespace")
        if (sp.tag in VALUE_TAGS) != (sp.field is not None):
            out.append(f"{where}: field {sp.field!r} on a {sp.tag} span")
        if sp.tag == "BLANK" and len(piece) != 1:
            out.append(f"{where}: BLANK is not one character")
        if sp.tag == "BLANK":
            out.append(f"{where}: BLANK sits on {piece!r}") if piece.isalnum() else None
        if sp.tag == "VAL" and not (re.search(r"\d", piece) or piece.strip() in MARKS):
            out.append(f"{where}: VAL {piece!r} holds no digit or mark")
        if sp.field is not None:
            if sp.field in by_field:
                out.append(f"{where}: second span for {sp.field}")
            by_field[sp.field] = (sp.start, sp.end)
    names = {plain(v) for v in SECTIONS.values()}
    for sp in (s for s in doc.spans if s.tag == "SEC"):
        p = plain(text[sp.start:sp.end])
        if not any(p.endswith(name) for name in names):
            out.append(f"SEC {sp.start}: {text[sp.start:sp.end]!r} is no standard heading")
    for sec in doc.sections:
        if not any(s.tag == "SEC" and s.start == sec.start for s in doc.spans):
            out.append(f"section {sec.id} start {sec.start} has no SEC span")
        if not text.startswith(sec.title, sec.start):
            out.append(f"section {sec.id}: title {sec.title!r} is not the text at {sec.start}")
    ends = [s.start for s in doc.sections[1:]] + [n]
    for sec, end in zip(doc.sections, ends, strict=True):
        if sec.end != end:
            out.append(f"section {sec.id}: end {sec.end}, expected {end}")
    for fid, f in doc.fields.items():
        out.extend(f"{fid}: {p}" for p in field_problems(f, text, by_field.get(fid)))
    for fid in by_field.keys() - doc.fields.keys():
        out.append(f"span for {fid} but no such field")
    return out


def field_problems(f: GoldField, text: str, span: tuple[int, int] | None) -> list[str]:
    """A field against its span: the span's text must parse to the field's value."""
    a, b = f.span
    if a == b:
        return [] if f.value is None and span is None and 0 <= a <= len(text) else [
            "empty span must be a blank (null, no tagged span)"]
    if span != (a, b):
        return [f"span {f.span} is not its tagged span {span}"]
    piece = text[a:b]
    if b - a == 1 and not piece.strip() or piece in "|\t":
        return [] if f.value is None and f.raw is None else [f"blank {piece!r} carries value {f.value}"]
    value, raw, unit = parse_cell(piece)
    problems_ = []
    if value != f.value or type(value) is not type(f.value) or raw != f.raw:
        problems_.append(f"{piece!r} parses to {value!r}/{raw!r}, gold has {f.value!r}/{f.raw!r}")
    if unit is not None and unit != f.unit:
        problems_.append(f"{piece!r} prints unit {unit}, gold has {f.unit}")
    return problems_


def review(doc: GoldDoc, text: str, width: int = 14) -> str:
    """Every span with its text and context, one line each, for checking by eye."""
    lines = [f"# {doc.name} ({doc.style}, {doc.template}) meta={doc.meta}"]
    lines += [f"  {s.id} {s.start}-{s.end} {s.title!r}" for s in doc.sections]
    for sp in sorted(doc.spans, key=lambda s: (s.start, s.end)):
        before = text[max(0, sp.start - width):sp.start]
        after = text[sp.end:sp.end + width]
        val = ""
        if sp.field:
            g = doc.fields.get(sp.field)
            val = f" = {g.value!r}{' ' + g.raw if g and g.raw else ''}{' ' + g.unit if g and g.unit else ''}" \
                if g else " = ?"
        lines.append(f"{sp.start:6d} {sp.tag:5s} {sp.field or '':38s} {before!r:>30} [{text[sp.start:sp.end]!r}] "
                     f"{after!r}{val}")
    for fid, f in doc.fields.items():
        if f.span[0] == f.span[1]:
            lines.append(f"{f.span[0]:6d} (no trace) {fid} = {f.value!r}")
    lines += [f"note: {n}" for n in doc.notes]
    lines += [f"breaks: {b}" for b in invariant_breaks(doc.fields)]
    return "\n".join(lines)


def grid(doc: GoldDoc, text: str) -> str:
    """Each table row as one line: the nearest row label printed before its first cell, then its cells."""
    rows: dict[str, list[str]] = {}
    for fid, f in doc.fields.items():
        key = fid.rsplit(".", 1)[0]
        shown = "_" if f.value is None and f.raw is None else f.raw or repr(f.value)
        rows.setdefault(key, []).append(shown)
    labels = sorted((s.start, text[s.start:s.end]) for s in doc.spans if s.tag == "ROW")
    out = []
    for key, cells in rows.items():
        first = min(doc.fields[f].span[0] for f in doc.fields if f.rsplit(".", 1)[0] == key)
        label = next((t for a, t in reversed(labels) if a < first), "")
        out.append(f"{key:32s} {' '.join(cells):40s} <- {' '.join(label.split())[:40]}")
    return "\n".join(out)


def main(argv: list[str] | None = None) -> None:
    """CLI: ``review FILE`` prints spans in context; ``grid FILE`` rows; ``check PATH`` lists problems."""
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("command", choices=["review", "grid", "check"])
    p.add_argument("path", type=Path)
    p.add_argument("--corpus-root", type=Path, default=default_corpus_root())
    a = p.parse_args(argv)
    bad = 0
    for doc in load_gold(a.path):
        text = doc.load_text(a.corpus_root)
        if a.command in ("review", "grid"):
            print(review(doc, text) if a.command == "review" else grid(doc, text))
            continue
        found = problems(doc, text)
        bad += bool(found)
        print(f"{doc.name}: {'ok' if not found else f'{len(found)} problems'}; breaks {invariant_breaks(doc.fields)}")
        print("\n".join(f"  {x}" for x in found[:40]))
    raise SystemExit(1 if bad else 0)


if __name__ == "__main__":
    main()
