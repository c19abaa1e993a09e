"""Free labels from the user's own crawl: the readings the template's arithmetic proves, as character tags.

Every document is read twice, by the model (with the rule layer) and by the rules-only reader
(``--no-model``). A table is *kept* when the document has a template, no document-wide flag, no flag
on any of the table's fields, and both readings give every field of the table the same value and the
same span: the rule layer flags any table-3 row that does not sum to its 总计, any column that does not
balance and a table 4 that does not add up, so such a table's values and blanks are proved.

The labels of a document with a kept table (``IGNORE`` where nothing is proved):

- **VAL/BLANK** on the fields of kept tables (their spans, the converter gold uses: ``bio_labels``);
- **ROW/COL/TTL** inside kept tables and **SEC** in prose only where both readers placed exactly the
  same span; **O** where neither reader put any tag;
- every other character (a span only one reader has, a VAL no field claims, unkept tables) is
  ``IGNORE``: it is not taught.

A tag whose pseudo-label precision measured on labelled tuning documents is below the threshold is
masked too (``mask_tags``). The precision is measured by running this same selection on labelled
documents and comparing each kept pseudo-entity to the gold entities (``pseudo_precision``).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from nianbao.config import PipelineConfig
from nianbao.document import Document
from nianbao.evaluation.tagger_eval import bio_labels, project_spans
from nianbao.inputs import iter_inputs
from nianbao.items import InputItem
from nianbao.labels.gold import GoldDoc
from nianbao.labels.tags import ENTITY_TYPES, label2id
from nianbao.normalise import normalise_text
from nianbao.pipeline import Pipeline
from nianbao.training.tagger_data import IGNORE

TABLES = ("t2", "t3", "t4")
AGREED_IN_TABLES = ("ROW", "COL", "TTL")  # taught inside a kept table where both readers agree exactly
AGREED_IN_PROSE = ("SEC",)  # taught outside every table where both readers agree exactly


@dataclass
class PseudoDoc:
    """One document's pseudo-labels: BIO names (None = not taught) on the normalised text."""

    source: str
    text: str
    labels: list[str | None]
    kept_tables: list[str] = field(default_factory=list)
    reason: str = ""

    @property
    def kept(self) -> bool:
        """True when at least one table of the document was proved."""
        return bool(self.kept_tables)

    def label_ids(self, masked: Iterable[str] = ()) -> list[int]:
        """Label ids for training; untaught characters and ``masked`` tags (B and I) are ``IGNORE``."""
        masked = set(masked)
        return [IGNORE if lab is None or (lab.partition("-")[2] or lab) in masked else label2id[lab]
                for lab in self.labels]


class Readers:
    """The two readers of the selection: the model (with the rule layer) and the rules-only reader."""

    def __init__(self, model_dir: str | Path | None, threads: int = 2) -> None:
        self.model = Pipeline(PipelineConfig(model_dir=Path(model_dir) if model_dir else None, use_model=True,
                                             threads=threads))
        self.rules = Pipeline(PipelineConfig(use_model=False))

    def read(self, items: list[InputItem]) -> list[tuple[Document, Document]]:
        """Both readings of each input, in input order."""
        return list(zip(self.model.process_batch(items), self.rules.process_batch(items), strict=True))


def table_of(fid: str) -> str:
    """The table a field belongs to (``t3.granted.total`` -> ``t3``)."""
    return fid.split(".", 1)[0]


def kept_tables(m: Document, r: Document) -> tuple[list[str], str]:
    """The tables of a document whose reading is proved, and why the others are not."""
    if m.status != "ok" or r.status != "ok" or m.template == "none" or m.template != r.template:
        return [], f"status {m.status}/{r.status}, template {m.template}/{r.template}"
    flagged: set[str] = set()
    for f in [*m.flags, *r.flags]:
        if not f.fields:
            return [], f"document flag {f.code}"
        flagged.update(table_of(fid) for fid in f.fields)
    if m.resolutions or r.resolutions:  # a settled doubt is evidence from outside the arithmetic
        flagged.update(table_of(x.field) for x in [*m.resolutions, *r.resolutions])
    keep = []
    for t in TABLES:
        fm = {k: (v.value, v.raw, v.unit, tuple(v.norm_span)) for k, v in m.fields.items() if table_of(k) == t}
        fr = {k: (v.value, v.raw, v.unit, tuple(v.norm_span)) for k, v in r.fields.items() if table_of(k) == t}
        if t not in flagged and fm and fm == fr:
            keep.append(t)
    return keep, "" if keep else "every table flagged or read differently"


def _zones(doc: Document) -> dict[str, tuple[int, int]]:
    """Each rebuilt table's extent on the normalised text (its cells' first start to last end)."""
    out = {}
    for t in doc.tables:
        spans = [(c.start, c.end) for c in t.cells if c.end > c.start]
        if spans:
            out[t.id] = (min(a for a, _ in spans), max(b for _, b in spans))
    return out


def pseudo_labels(m: Document, r: Document) -> PseudoDoc:
    """The proved labels of one document read by both readers (see the module docstring)."""
    text = m.norm_text
    keep, reason = kept_tables(m, r)
    labels: list[str | None] = [None] * len(text)
    if not keep:
        return PseudoDoc(m.source, text, labels, [], reason)
    zones_m, zones_r = _zones(m), _zones(r)
    zones = {t: (min(zones_m[t][0], zones_r.get(t, zones_m[t])[0]), max(zones_m[t][1], zones_r.get(t, zones_m[t])[1]))
             for t in zones_m}
    in_table = [False] * len(text)
    in_kept = [False] * len(text)
    for t, (a, b) in zones.items():
        for i in range(a, min(b, len(text))):
            in_table[i] = True
            in_kept[i] = in_kept[i] or t in keep
    tagged = [False] * len(text)
    for t in [*m.tags, *r.tags]:
        for i in range(max(t.start, 0), min(t.end, len(text))):
            tagged[i] = True
    for i in range(len(text)):
        if not tagged[i] and (in_kept[i] or not in_table[i]):
            labels[i] = "O"
    agreed = {(t.start, t.end, t.tag) for t in m.tags} & {(t.start, t.end, t.tag) for t in r.tags}
    spans = []
    for a, b, tag in sorted(agreed):
        inside = all(in_kept[i] for i in range(a, b))
        outside = not any(in_table[i] for i in range(a, b))
        if (tag in AGREED_IN_TABLES and inside) or (tag in AGREED_IN_PROSE and outside):
            spans.append((a, b, tag))
    for fid, fv in m.fields.items():
        a, b = fv.norm_span
        if table_of(fid) in keep and b > a:
            spans.append((a, b, "BLANK" if fv.value is None and fv.raw is None else "VAL"))
    bio, _ = bio_labels(len(text), spans)
    for a, b, _tag in spans:
        for i in range(a, min(b, len(text))):
            labels[i] = bio[i]
    return PseudoDoc(m.source, text, labels, keep)


def read_corpus_items(folder: str | Path) -> list[InputItem]:
    """Every input under ``folder`` the way ``nianbao parse`` reads it."""
    return list(iter_inputs([str(folder)]))


def select(readers: Readers, items: list[InputItem], batch: int = 8) -> list[PseudoDoc]:
    """Pseudo-labels of every input (documents with no kept table have no taught character)."""
    out = []
    for i in range(0, len(items), batch):
        out.extend(pseudo_labels(m, r) for m, r in readers.read(items[i:i + batch]))
    return out


# ------------------------------------------------------------------ precision on labelled documents
def gold_items(golds: Sequence[GoldDoc], corpus_root: Path) -> list[InputItem]:
    """Labelled documents as parse inputs (their original bytes)."""
    items = []
    for g in golds:
        text = g.load_text(corpus_root)
        kind = "html" if (g.source or "").lower().endswith((".html", ".htm")) else "text"
        items.append(InputItem(source=g.source or g.name, data=text.encode("utf-8"), kind=kind))
    return items


def entities(labels: Sequence[str | None]) -> list[tuple[int, int, str]]:
    """Entities of a BIO sequence with holes (None): a B- and the I- of the same type after it.

    >>> entities(["B-VAL", "I-VAL", None, "B-ROW", "O", "B-BLANK"])
    [(0, 2, 'VAL'), (3, 4, 'ROW'), (5, 6, 'BLANK')]
    """
    out: list[tuple[int, int, str]] = []
    i = 0
    while i < len(labels):
        lab = labels[i]
        if lab and lab.startswith("B-"):
            tag, j = lab[2:], i + 1
            while j < len(labels) and labels[j] == f"I-{tag}":
                j += 1
            out.append((i, j, tag))
            i = j
        else:
            i += 1
    return out


def pseudo_precision(pseudo: Sequence[PseudoDoc], golds: Sequence[GoldDoc], corpus_root: Path) -> dict[str, Any]:
    """Entity precision per tag of the kept pseudo-labels against gold (and char precision of taught O)."""
    counts = {t: [0, 0] for t in ENTITY_TYPES}  # [right, taught]
    o_right = o_taught = 0
    docs = []
    for p, g in zip(pseudo, golds, strict=True):
        text = g.load_text(corpus_root)
        norm, omap = normalise_text(text, "html" if (g.source or "").endswith((".html", ".htm")) else "text")
        if norm != p.text:
            docs.append({"name": g.name, "kept_tables": p.kept_tables, "skipped": "normalised texts differ"})
            continue
        projected, _ = project_spans(((s.start, s.end, s.tag) for s in g.spans), omap)
        gold_bio, _ = bio_labels(len(norm), projected)
        gold_ents = set(entities(gold_bio))
        mine = entities(p.labels)
        for e in mine:
            counts[e[2]][1] += 1
            counts[e[2]][0] += e in gold_ents
        for lab, gl in zip(p.labels, gold_bio, strict=True):
            if lab == "O":
                o_taught += 1
                o_right += gl == "O"
        docs.append({"name": g.name, "kept_tables": p.kept_tables, "reason": p.reason,
                     "wrong": sorted({f"{t}:{norm[a:b]!r}" for a, b, t in mine if (a, b, t) not in gold_ents})[:20]})
    per_tag = {t: {"taught": n, "right": k, "precision": (k / n) if n else None} for t, (k, n) in counts.items()}
    per_tag["O"] = {"taught": o_taught, "right": o_right, "precision": (o_right / o_taught) if o_taught else None}
    return {"docs": docs, "kept_docs": sum(1 for p in pseudo if p.kept), "per_tag": per_tag}


def tags_to_mask(precision: dict[str, Any], threshold: float) -> list[str]:
    """Tags not taught: precision below ``threshold``, or never measured (no kept entity on tuning docs)."""
    return sorted(t for t, row in precision["per_tag"].items()
                  if row["precision"] is None or row["precision"] < threshold)
