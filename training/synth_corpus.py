"""Generate a synthetic corpus: N reports from a seed -> ``GoldDoc``s, exported as JSONL gold,
a Hugging Face ``DatasetDict`` (normalised text + one label per character) and Label Studio tasks.

The same ``(seed, index)`` always gives the same report, byte for byte (each report draws from
its own ``random.Random(f"{seed}:{index}")``), so a corpus can be regenerated or extended.

>>> d = generate_one(13, 0)
>>> d.style in STYLES and d.sha256 == hashlib.sha256(d.text.encode("utf-8")).hexdigest()
True
"""

from __future__ import annotations

import hashlib
import json
import random
import shutil
import tempfile
from collections import Counter
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from nianbao.labels.gold import STYLES, GoldDoc
from nianbao.labels.studio import gold_to_task
from nianbao.labels.tags import LABELS, label2id, spans_to_bio
from nianbao.normalise import normalise_text
from nianbao.rules import gc_paused
from nianbao.training.synth_content import Content, make_content
from nianbao.training.synth_crawl import Crawl
from nianbao.training.synth_pdf import PdfLayout, PdfRaw
from nianbao.training.synth_render import Builder, Script, Style
from nianbao.training.synth_tables import GluedLines, MarkdownTable, PipeCells, PipeLines, Prose, TsvMarkdown

STYLE_CLASSES: dict[str, type[Style]] = {
    cls.name: cls for cls in (PipeCells, GluedLines, TsvMarkdown, PipeLines, MarkdownTable, Prose, PdfLayout,
                              PdfRaw, Crawl)
}
assert set(STYLE_CLASSES) == set(STYLES), "every style of labels.gold.STYLES needs a renderer"
STYLE_WEIGHTS: dict[str, float] = {"pipe_cells": 12, "glued_lines": 12, "tsv_markdown": 11, "pipe_lines": 11,
                                   "markdown_table": 11, "prose": 7, "pdf_layout": 12, "pdf_raw": 10, "crawl": 14}
# Per style: share in traditional script, share of those with pinyin glosses, share with dropped characters.
TRADITIONAL = {"pipe_lines": 0.6, "pipe_cells": 0.04, "glued_lines": 0.04, "tsv_markdown": 0.04,
               "markdown_table": 0.04, "prose": 0.04}
GLOSSED = {"pipe_lines": 0.85}
DROPS = {"prose": 0.5, "crawl": 0.1, "glued_lines": 0.15, "pipe_cells": 0.15, "tsv_markdown": 0.05,
         "pipe_lines": 0.05, "markdown_table": 0.05}
TRUNCATE = 0.04
SPLITS = ("train", "validation", "test")


def make_script(rng: random.Random, style: str) -> Script:
    """The document's script transforms for a style (traditional / glosses / dropped characters)."""
    traditional = rng.random() < TRADITIONAL.get(style, 0.0)
    gloss = 0.9 if traditional and rng.random() < GLOSSED.get(style, 0.3) else 0.0
    drop = rng.uniform(0.05, 0.3) if rng.random() < DROPS.get(style, 0.0) else 0.0
    return Script(rng, traditional=traditional, gloss=gloss, drop=drop)


def doc_name(seed: int, index: int, style: str | None = None) -> str:
    """A report's name: ``synth-13-000004``, or with an explicitly requested style
    ``synth-13-000004-crawl`` (so names stay unique across styles).

    >>> doc_name(13, 4), doc_name(13, 4, "crawl")
    ('synth-13-000004', 'synth-13-000004-crawl')
    """
    return f"synth-{seed}-{index:06d}" + (f"-{style}" if style else "")


def generate_one(seed: int, index: int, style: str | None = None) -> GoldDoc:
    """Report ``index`` of the corpus of ``seed``: its style drawn by weight, or as given (then the
    style is part of the name, ``synth-13-000004-crawl``, so names stay unique)."""
    with gc_paused():
        return _generate_one(seed, index, style)


def _generate_one(seed: int, index: int, style: str | None) -> GoldDoc:
    rng = random.Random(f"{seed}:{index}")
    name = doc_name(seed, index, style)
    if style is None:
        style = rng.choices(list(STYLE_WEIGHTS), list(STYLE_WEIGHTS.values()))[0]
    elif style not in STYLE_CLASSES:
        raise ValueError(f"unknown style {style!r}; expected one of {sorted(STYLE_CLASSES)}")
    cls = STYLE_CLASSES[style]
    content = make_content(rng, cls.traits)
    builder = Builder(make_script(rng, style))
    renderer = cls(content, builder, rng)
    renderer.render()
    return to_gold(name, style, content, renderer, truncate=rng.random() < TRUNCATE)


def to_gold(name: str, style: str, c: Content, r: Style, truncate: bool) -> GoldDoc:
    """The GoldDoc of a rendered report (optionally broken off early at a safe place)."""
    b = r.b
    text = b.text()
    notes = list(c.notes)
    cut = len(text)
    if truncate:
        end = r.sig_pos if r.sig_pos >= 0 else len(text)
        options = [p for p in b.breaks if 0.35 * len(text) < p < end]
        if options:
            cut = r.rng.choice(options)
            text = text[:cut]
            notes.append(f"breaks off early at character {cut}")
    spans = [{"start": s, "end": e, "tag": t, "field": f} for s, e, t, f in b.spans if e <= cut]
    fields: dict[str, dict[str, Any]] = {}
    for sp in spans:
        if sp["tag"] in ("VAL", "BLANK"):
            cv = c.cells[sp["field"]]
            raw = text[sp["start"]:sp["end"]] if cv.raw is not None else None  # the mark as printed
            fields[sp["field"]] = {"value": cv.value, "raw": raw, "unit": cv.unit, "span": (sp["start"], sp["end"])}
    sections = [{"id": sid, "title": title, "start": s, "end": min(e if e is not None else cut, cut)}
                for sid, s, e, title in b.sections if s < cut]
    has_table = any(sp["tag"] in ("VAL", "BLANK", "TTL") for sp in spans)
    # one validation of the whole nested document (far faster than a model per span)
    return GoldDoc.model_validate({
        "name": name, "sha256": hashlib.sha256(text.encode("utf-8")).hexdigest(), "text": text, "style": style,
        "template": c.template if has_table else "none", "used_for": ["train"], "meta": meta_of(c, r, cut),
        "sections": sections, "spans": spans, "fields": fields, "notes": notes})


def meta_of(c: Content, r: Style, cut: int) -> dict[str, Any]:
    """meta per fields.yaml: org from the signature or 发布机构 else the title; date from the page
    else the signature; keys the text does not support are left out."""
    signed = 0 <= r.sig_pos < cut
    meta: dict[str, Any] = {"year": c.year}
    if signed or r.publisher_shown:
        meta["org"] = c.agency.name
    elif r.printed_title is not None:
        meta["org"] = c.agency.title_name
    if r.printed_title is not None:
        meta["title"] = r.printed_title
    if r.page_date_shown and c.page_date:
        meta["date"] = c.page_date.isoformat()
    elif signed and r.sign_date_ok and c.sign_date:
        meta["date"] = c.sign_date.isoformat()
    return meta


def generate(n: int, seed: int, styles: Iterable[str] | None = None) -> list[GoldDoc]:
    """``n`` reports of the corpus of ``seed``; with ``styles``, cycle through exactly those."""
    return list(iter_docs(n, seed, styles))


def iter_docs(n: int, seed: int, styles: Iterable[str] | None = None) -> Iterator[GoldDoc]:
    """Like ``generate`` but one report at a time."""
    cycle = list(styles) if styles else None
    for i in range(n):
        yield generate_one(seed, i, cycle[i % len(cycle)] if cycle else None)


# ----------------------------------------------------------------- exports
def split_key(name: str) -> float:
    """A report's fixed place in [0, 1] (from its name), which orders it for the split."""
    return int(hashlib.sha256(name.encode("utf-8")).hexdigest()[:8], 16) / 0xFFFFFFFF


def assign_splits(names: list[str], shares: tuple[float, float] = (0.05, 0.05)) -> list[str]:
    """train / validation / test per report: ranked by ``split_key``, the lowest ``shares[0]`` go to
    validation and the next ``shares[1]`` to test (at least one each), the rest to train.

    >>> assign_splits([f"d{i}" for i in range(40)]).count("train")
    36
    """
    n = len(names)
    if len(set(names)) != n:
        raise ValueError("E_DATA: report names are not unique; splits are assigned by name")
    if n < 3:
        raise ValueError(f"E_DATA: {n} reports cannot fill train/validation/test; generate at least 3")
    n_val = max(1, round(n * shares[0]))
    n_test = max(1, round(n * shares[1]))
    order = sorted(range(n), key=lambda i: (split_key(names[i]), names[i]))
    out = ["train"] * n
    for rank, i in enumerate(order):
        if rank < n_val:
            out[i] = "validation"
        elif rank < n_val + n_test:
            out[i] = "test"
    return out


def write_gold_jsonl(docs: Iterable[GoldDoc], out_dir: Path, shard: int = 1000) -> list[Path]:
    """GoldDocs as JSON lines, ``shard`` per file: ``out_dir/part-00000.jsonl``, … (shards of an
    earlier run in ``out_dir`` are removed first, so a smaller corpus never mixes with a stale one)."""
    out_dir.mkdir(parents=True, exist_ok=True)
    for old in out_dir.glob("part-*.jsonl"):
        old.unlink()
    paths: list[Path] = []
    fh = None
    for i, d in enumerate(docs):
        if i % shard == 0:
            if fh:
                fh.close()
            paths.append(out_dir / f"part-{i // shard:05d}.jsonl")
            fh = paths[-1].open("w", encoding="utf-8")
        assert fh is not None
        fh.write(d.model_dump_json(by_alias=True) + "\n")
    if fh:
        fh.close()
    return paths


def read_gold_jsonl(path: Path) -> list[GoldDoc]:
    """GoldDocs from one JSONL file or every ``*.jsonl`` of a directory (sorted)."""
    files = sorted(path.glob("*.jsonl")) if path.is_dir() else [path]
    return [GoldDoc.model_validate_json(line) for f in files for line in f.read_text(encoding="utf-8").splitlines()
            if line.strip()]


def norm_labels(doc: GoldDoc, stats: Counter[str] | None = None) -> tuple[str, list[str]]:
    """The normalised text the model sees and one BIO label per character of it.

    Spans are projected from the original text with the normaliser's offset map; a span that
    vanishes in normalisation is counted in ``stats["lost_<TAG>"]`` (never silently dropped).
    """
    text = doc.load_text()
    norm, omap = normalise_text(text)
    projected = []
    for sp in doc.spans:
        a, e = omap.span_from_source(sp.start, sp.end)
        if sp.tag == "BLANK" and e > a:
            e = a + 1
        if e <= a:
            if stats is not None:
                stats[f"lost_{sp.tag}"] += 1
            continue
        projected.append((a, e, sp.tag))
    return norm, spans_to_bio(len(norm), projected)


def build_dataset(docs: Iterable[GoldDoc], out_dir: Path | None = None, stats: Counter[str] | None = None,
                  names: list[str] | None = None, chunk: int = 2000) -> Any:
    """A ``DatasetDict`` (train/validation/test) with columns id, style, template, text (normalised)
    and labels (``Sequence(ClassLabel(LABELS))``); saved with ``save_to_disk`` when ``out_dir`` is given.

    ``docs`` may be a stream when ``names`` (the reports' names, in order) is given; rows are then
    written in chunks of ``chunk`` reports under ``out_dir`` so memory stays flat. ``stats`` (if
    given) receives the document count and the spans lost in normalisation.
    """
    # local: datasets costs seconds at start-up
    from datasets import (
        ClassLabel,
        Dataset,
        DatasetDict,
        Features,
        Sequence,
        Value,
        concatenate_datasets,
        load_from_disk,
    )

    features = Features({"id": Value("string"), "style": Value("string"), "template": Value("string"),
                         "text": Value("string"), "labels": Sequence(ClassLabel(names=list(LABELS)))})
    if names is None:
        docs = list(docs)
        names = [d.name for d in docs]
    split_by_name = dict(zip(names, assign_splits(names), strict=True))
    stats = Counter() if stats is None else stats
    tmp = None
    if out_dir is not None:
        out_dir.parent.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(prefix=".chunks-", dir=out_dir.parent))
    parts: dict[str, list[Any]] = {s: [] for s in SPLITS}
    buf: dict[str, dict[str, list[Any]]] = {s: {k: [] for k in features} for s in SPLITS}

    def flush(split: str) -> None:
        if not buf[split]["id"]:
            return
        ds = Dataset.from_dict(buf[split], features=features)
        if tmp is not None:  # keep it on disk, memory-mapped
            path = tmp / f"{split}-{len(parts[split]):05d}"
            ds.save_to_disk(str(path))
            ds = load_from_disk(str(path))
        parts[split].append(ds)
        buf[split] = {k: [] for k in features}

    try:
        for d in docs:
            norm, labels = norm_labels(d, stats)
            split = split_by_name[d.name]
            row = buf[split]
            row["id"].append(d.name)
            row["style"].append(d.style)
            row["template"].append(d.template)
            row["text"].append(norm)
            row["labels"].append([label2id[x] for x in labels])
            stats["docs"] += 1
            if len(row["id"]) >= chunk:
                flush(split)
        for split in SPLITS:
            flush(split)
        missing = [s for s in SPLITS if not parts[s]]
        if missing or stats["docs"] != len(names):
            raise ValueError(f"E_DATA: {stats['docs']} reports for {len(names)} names; empty splits {missing}")
        dd = DatasetDict({s: concatenate_datasets(parts[s]) if len(parts[s]) > 1 else parts[s][0] for s in SPLITS})
        if out_dir is not None:
            dd.save_to_disk(str(out_dir))
            dd = load_from_disk(str(out_dir))
    finally:
        if tmp is not None:
            shutil.rmtree(tmp, ignore_errors=True)
    return dd


def write_ls_tasks(docs: Iterable[GoldDoc], path: Path) -> int:
    """Label Studio tasks (with the gold as predictions to review) as one JSON list; returns the count."""
    tasks = [gold_to_task(d) for d in docs]
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(tasks, ensure_ascii=False), encoding="utf-8")
    return len(tasks)
