"""``nianbao apply OUT.jsonl corr.jsonl -o resolved.jsonl``: settle fields with a reviewer's answers.

A correction is one JSON line ``{"doc_id", "source"?, "field", "value", "raw"?, "reviewer", "task"?}``
(``value`` null with ``raw`` a mark such as ``/``, or null alone for a blank). For each record it touches,
the answers replace the values, each is recorded in ``resolutions`` (evidence kind ``review``, the
reviewer), the field leaves ``flags``, and validation, flags and confidences are run again: the source is
re-read (sha256 checked) and re-parsed as the record was (model or rules only) to recover the tables'
evidence, which must reproduce the record's values; the record's own flags are kept but for the settled
fields, and the invariants are checked anew on the corrected values (a reviewer's value that breaks a sum
is flagged again, never silenced). A reviewer's answer has confidence 1.0. Every other record is copied
byte for byte.
"""

from __future__ import annotations

import json
from collections import defaultdict
from pathlib import Path
from typing import Any

import typer

from nianbao.document import Flag, Resolution
from nianbao.labels.gold import GoldDoc, GoldField, GoldSection, GoldSpan, document_name
from nianbao.pipeline import Pipeline, PipelineConfig
from nianbao.review.source import SourceError, source_item
from nianbao.rules import run_rules
from nianbao.rules.claims import settled_confidence
from nianbao.rules.confidence import assign_confidence
from nianbao.rules.validate import validate


class ApplyError(Exception):
    """A correction cannot be applied (unknown field, a source that does not reproduce the record)."""


def load_corrections(path: str | Path) -> dict[str, list[dict[str, Any]]]:
    """doc_id -> its corrections, in file order (a later answer for the same field wins)."""
    out: dict[str, list[dict[str, Any]]] = defaultdict(list)
    with open(path, encoding="utf-8") as fh:
        for n, line in enumerate(fh, 1):
            if not line.strip():
                continue
            c = json.loads(line)
            if not c.get("doc_id") or not c.get("field") or "value" not in c:
                raise ApplyError(f"{path}:{n}: a correction needs doc_id, field and value: {line.strip()[:200]}")
            out[c["doc_id"]].append(c)
    return out


def recut(text: str, spans: dict[str, list[int]], answers: dict[str, Any]) -> dict[str, list[int]]:
    """New spans for answered cells of one glued digit run: where answered cells sit side by side and their
    values, written out, are exactly the run's characters, the run is cut there instead.

    >>> recut("ab20291cd", {"x": [2, 3], "y": [3, 4], "z": [4, 7]}, {"x": 20, "y": 2, "z": 91})
    {'x': [2, 4], 'y': [4, 5], 'z': [5, 7]}
    """
    out: dict[str, list[int]] = {}
    cells = sorted((spans[f][0], spans[f][1], f) for f in answers if f in spans)
    runs: list[list[tuple[int, int, str]]] = []
    for c in cells:
        if runs and runs[-1][-1][1] == c[0] and c[0] < c[1]:
            runs[-1].append(c)
        else:
            runs.append([c])
    for run in runs:
        if len(run) < 2:
            continue
        lo, hi = run[0][0], run[-1][1]
        words = []
        for _, _, f in run:
            v = answers[f]
            if v is None:
                break
            words.append(str(int(v)) if isinstance(v, float) and v.is_integer() else str(v))
        else:
            if "".join(words) == text[lo:hi]:
                pos = lo
                for (_, _, f), w in zip(run, words, strict=True):
                    out[f] = [pos, pos + len(w)]
                    pos += len(w)
    return out


class Resolver:
    """Re-runs validation and confidence for touched records; one pipeline per mode, loaded once."""

    def __init__(self, root: str | Path | None = None, model: str | Path | None = None,
                 runtime: str = "auto") -> None:
        self.root, self.model, self.runtime = root, model, runtime
        self._pipes: dict[bool, Any] = {}

    def _pipeline(self, use_model: bool) -> Any:

        if use_model not in self._pipes:
            self._pipes[use_model] = Pipeline(PipelineConfig(
                use_model=use_model, model_dir=Path(self.model) if self.model else None, runtime=self.runtime))
        return self._pipes[use_model]

    def resolve(self, record: dict[str, Any], corrections: list[dict[str, Any]]) -> dict[str, Any]:
        """The record with the corrections applied, flags and confidences re-run."""

        fields = record.get("fields") or {}
        answers: dict[str, dict[str, Any]] = {}
        for c in corrections:
            if c["field"] not in fields:
                raise ApplyError(f"{record.get('source')}: no field {c['field']!r} in the record (a review settles "
                                 "fields the parse found)")
            answers[c["field"]] = c
        pipe = self._pipeline(record.get("model") is not None)
        doc = pipe.start(source_item(record, self.root))
        if doc.status != "error":
            pipe.tagger.tag([doc])
        doc, evidence = run_rules(doc, cross_read_tables=pipe.config.cross_read)
        settled = {r.get("field") for r in record.get("resolutions") or []}  # e.g. by `nianbao link`, after the parse
        again = {f: fv.value for f, fv in doc.fields.items() if f not in settled}
        if evidence is None or set(doc.fields) != set(fields) or \
                again != {f: it.get("value") for f, it in fields.items() if f not in settled}:
            differ = sorted(f for f in set(again) | set(fields) if again.get(f) != (fields.get(f) or {}).get("value"))
            raise ApplyError(f"{record.get('source')}: re-parsing the source does not reproduce the record "
                             f"({len(differ)} fields differ, e.g. {differ[:3]}): apply with the model it was parsed "
                             "with (--model, or the record's model null: rules only)")
        before = {f: [fl.get("code") for fl in record.get("flags") or [] if f in fl.get("fields", [])]
                  for f in answers}
        flags = []
        for fl in record.get("flags") or []:
            if fl.get("code", "").startswith("invariant."):
                continue  # checked anew below, on the corrected values
            kept = [f for f in fl.get("fields", []) if f not in answers]
            if kept:
                flags.append(Flag(**{**fl, "fields": kept}))
        doc.flags = flags
        for f in settled & set(fields):  # the record's own settlements stand
            doc.fields[f].value = fields[f].get("value")
            doc.fields[f].raw = fields[f].get("raw")
        for f, c in answers.items():
            doc.fields[f].value = c["value"]
            doc.fields[f].raw = c.get("raw") if c["value"] is None else None
        doc = validate(doc, evidence.evidence)
        doc = settled_confidence(assign_confidence(doc, evidence))
        moved = recut(doc.text, {f: it.get("span") or [0, 0] for f, it in fields.items()},
                      {f: c["value"] for f, c in answers.items()})
        out = dict(record)
        new_fields = {}
        for f, item in fields.items():
            fv = doc.fields[f]
            new = {k: v for k, v in item.items() if k not in ("value", "raw", "confidence", "span")}
            new = {"value": fv.value, **({"raw": fv.raw} if fv.raw is not None else {}), **new,
                   "confidence": 1.0 if f in answers else (item.get("confidence") if f in settled
                                                             else round(float(fv.confidence), 6)),
                   "span": moved.get(f, item.get("span"))}
            new_fields[f] = new
        out["fields"] = new_fields
        out["flags"] = [fl.model_dump(exclude_none=True) for fl in doc.flags]
        resolutions = list(record.get("resolutions") or [])
        for f, c in answers.items():
            codes = [x for x in before[f] if x and not x.startswith("invariant.")] or [x for x in before[f] if x]
            evidence_ = {"kind": "review", "reviewer": c.get("reviewer") or "unknown"}
            if c.get("task") is not None:
                evidence_["task"] = c["task"]
            resolutions.append(Resolution(field=f, previous=fields[f].get("value"), value=c["value"],
                                          code=codes[0] if codes else None,
                                          evidence=evidence_).model_dump(exclude_none=True))
        out["resolutions"] = resolutions
        self.last_doc = doc
        return out

    def gold(self, resolved: dict[str, Any], style: str) -> Any:
        """A reviewed report as a gold file (``labels/gold`` format) from the last resolved record: its
        fields and sections, the parse's tag spans; ``used_for: ["review"]`` (not held out: every cell
        nobody reviewed is the parser's own reading, so it must never measure that parser)."""

        doc = self.last_doc
        spans = []
        for t in doc.tags:  # labels from the parse's tags; value cells from the fields (one span per cell,
            if t.tag not in ("VAL", "BLANK"):  # also where a glued run holds several)
                a, b = doc.to_source(t.start, t.end)
                spans.append(GoldSpan(start=a, end=b, tag=t.tag))
        for f, it in resolved["fields"].items():
            a, b = it["span"]
            if a < b:
                kind = "VAL" if it["value"] is not None or it.get("raw") else "BLANK"
                spans.append(GoldSpan(start=a, end=b, tag=kind, field=f))
        spans.sort(key=lambda s_: (s_.start, s_.end))
        reviewed = [r for r in resolved.get("resolutions") or [] if (r.get("evidence") or {}).get("kind") == "review"]
        who = sorted({str(r["evidence"].get("reviewer")) for r in reviewed})
        return GoldDoc(
            name=document_name(resolved["source"]), source=resolved["source"], sha256=resolved["doc_id"],
            style=style, template=resolved.get("template") or "none", used_for=["review"],
            meta=resolved.get("meta") or {},
            sections=[GoldSection(**s) for s in resolved.get("sections") or []], spans=spans,
            fields={f: GoldField(value=it["value"], raw=it.get("raw"), unit=it.get("unit"), span=tuple(it["span"]))
                    for f, it in resolved["fields"].items()},
            notes=[f"review queue: {len(reviewed)} cells settled by {', '.join(who)} "
                   f"({', '.join(r['field'] for r in reviewed)}); every other cell is nianbao "
                   f"{resolved.get('nianbao')}'s reading ({(resolved.get('model') or {}).get('version') or 'rules only'}), "
                   "not checked by a person"])


def apply_file(src: str | Path, corrections: str | Path, dst: str | Path, resolver: Resolver,
               gold_dir: str | Path | None = None, style: str = "crawl") -> dict[str, int]:
    """Write ``dst``: touched records resolved, every other line copied byte for byte; with ``gold_dir``,
    each reviewed report also as a gold file there; returns counts."""
    todo = load_corrections(corrections)
    seen: set[str] = set()
    counts = {"records": 0, "touched": 0, "fields": 0}
    with open(src, "rb") as fin, open(dst, "wb") as fout:
        for raw in fin:
            counts["records"] += raw.strip() != b""
            if not raw.strip():
                fout.write(raw)
                continue
            rec = json.loads(raw)
            mine = [c for c in todo.get(rec.get("doc_id"), []) if c.get("source") in (None, rec.get("source"))]
            if not mine:
                fout.write(raw)
                continue
            resolved = resolver.resolve(rec, mine)
            if gold_dir is not None:
                gold = resolver.gold(resolved, style)
                Path(gold_dir).mkdir(parents=True, exist_ok=True)
                gold.dump(Path(gold_dir) / f"{gold.name}.json")
            fout.write(json.dumps(resolved, ensure_ascii=False).encode("utf-8") + b"\n")
            seen.add(rec["doc_id"])
            counts["touched"] += 1
            counts["fields"] += len({c["field"] for c in mine})
    missing = set(todo) - seen
    if missing:
        raise ApplyError(f"corrections for {len(missing)} doc_id(s) not in {src}, e.g. {sorted(missing)[0][:16]}...")
    return counts


def apply(
    src: Path = typer.Argument(..., help="A parse output (JSONL)."),
    corrections: Path = typer.Argument(..., help="The reviewers' answers (JSONL, e.g. from `label pull --corrections`)."),
    output: Path = typer.Option(..., "-o", "--output", help="The resolved parse output (JSONL)."),
    root: Path | None = typer.Option(None, "--root", help="Where relative record sources lie (the parse's folder)."),
    model: Path | None = typer.Option(None, "--model", help="The model the records were parsed with (default: shipped)."),
    runtime: str = typer.Option("auto", help="Tagger runtime: auto | torch | onnx."),
    gold: Path | None = typer.Option(None, "--gold", help="Also write each reviewed report as a gold file here "
                                     "(used_for: review; for training, never to measure the parser)."),
    style: str = typer.Option("crawl", "--style", help="With --gold: the reports' input style."),
) -> None:
    """Settle reviewed fields: replace their values, record the resolutions, re-run flags and confidence."""

    try:
        counts = apply_file(src, corrections, output, Resolver(root, model, runtime), gold, style)
    except (ApplyError, SourceError, OSError) as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from exc
    typer.echo(f"{counts['fields']} fields settled in {counts['touched']} of {counts['records']} records -> {output}"
               " (the others copied unchanged)")
