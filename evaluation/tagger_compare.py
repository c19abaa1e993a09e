"""Two taggers side by side on labelled reports: tagger entity F1 per tag and the parse's field accuracy.

    python -m nianbao.evaluation.tagger_compare --old models/nianbao-tagger --new runs/nianbao-tagger-0.4.0 \\
        --set tuning=tune --json runs/compare-tuning.json
    python -m nianbao.evaluation.tagger_compare ... --set crawl=held:crawl --set pdf=held:pdf  # once, at the end

A set is ``tune`` (gold ``used_for`` names tune) or ``held`` (``used_for: []``), optionally narrowed to
gold names starting with a prefix (``held:crawl``). Each model tags the gold texts (``nianbao eval
--tagger``) and parses them with the rule layer (``nianbao parse --model``), scored as ``nianbao eval``
scores a run (field accuracy, silent errors, flags).
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from nianbao.config import PipelineConfig
from nianbao.evaluation.score import score_run, summarise
from nianbao.evaluation.tagger_eval import evaluate_tagger
from nianbao.labels.gold import GOLD_DIR, GoldDoc, default_corpus_root, load_gold
from nianbao.normalise import normalise_text
from nianbao.pipeline import Pipeline
from nianbao.tagger.runtime import ModelTagger
from nianbao.training.pseudo_labels import gold_items


def gold_set(golds: list[GoldDoc], spec: str) -> list[GoldDoc]:
    """The gold documents of a set spec: ``tune`` / ``held``, optionally ``:prefix`` of the name."""
    kind, _, prefix = spec.partition(":")
    if kind not in ("tune", "held"):
        raise ValueError(f"E_ARGS: set {spec!r}: use tune or held, optionally :name-prefix")
    chosen = [g for g in golds if (g.held_out if kind == "held" else g.tuning)]
    return [g for g in chosen if g.name.startswith(prefix)]


def score_model(model_dir: Path, golds: list[GoldDoc], corpus_root: Path, threads: int = 2) -> dict[str, Any]:
    """Tagger entity scores per tag and the parse's field scores of one model on ``golds``."""
    texts = {g.name: g.load_text(corpus_root) for g in golds}
    tagger = ModelTagger(model_dir, runtime="torch")
    entity = evaluate_tagger(golds, tagger, normalise_text, texts).summary["entity"]
    docs = Pipeline(PipelineConfig(model_dir=model_dir, threads=threads)).process_batch(gold_items(golds, corpus_root))
    records = [d.to_record() for d in docs]
    for rec, g in zip(records, golds, strict=True):
        rec["doc_id"] = g.sha256  # the bytes given are the decoded text re-encoded: match by the gold's hash
    fields = summarise(score_run(golds, records, model_dir.name).docs)["fields"]
    return {"tagger": {t: {k: round(v[k], 4) for k in ("precision", "recall", "f1")} | {"support": v["support"]}
                       for t, v in entity.items() if "avg" not in t or t == "micro avg"},
            "fields": {k: fields[k] for k in ("gold", "correct", "accuracy", "silent", "flagged", "wrong", "missing")}}


def render(results: dict[str, dict[str, Any]]) -> str:
    """Markdown tables, one per set: tagger F1 per tag and field accuracy, old vs new."""
    lines = []
    for name, res in results.items():
        old, new = res["old"], res["new"]
        lines += [f"### {name} ({res['docs']} reports)", "", "| | old | new |", "|---|---|---|"]
        for t in old["tagger"]:
            lines.append(f"| {t} F1 | {100 * old['tagger'][t]['f1']:.2f} | {100 * new['tagger'][t]['f1']:.2f} |")
        for k in ("accuracy", "silent", "flagged"):
            fmt = (lambda x: f"{100 * x:.2f}%") if k == "accuracy" else str
            lines.append(f"| fields {k} | {fmt(old['fields'][k])} | {fmt(new['fields'][k])} |")
        lines.append("")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    """Command line: compare two tagger folders on named gold sets."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--old", type=Path, required=True)
    ap.add_argument("--new", type=Path, required=True)
    ap.add_argument("--set", action="append", required=True, help="NAME=SPEC, SPEC tune|held[:prefix]")
    ap.add_argument("--gold", type=Path, default=GOLD_DIR)
    ap.add_argument("--corpus", type=Path, default=default_corpus_root())
    ap.add_argument("--json", type=Path)
    args = ap.parse_args(argv)
    golds = load_gold(args.gold)
    results = {}
    for item in args.set:
        name, _, spec = item.partition("=")
        docs = gold_set(golds, spec)
        results[name] = {"spec": spec, "docs": len(docs), "names": [g.name for g in docs],
                         "old": score_model(args.old, docs, args.corpus),
                         "new": score_model(args.new, docs, args.corpus)}
    print(render(results))
    if args.json:
        args.json.write_text(json.dumps(results, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
