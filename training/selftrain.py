"""``nianbao train self-train``: read the user's crawl, keep the proved readings, fine-tune on them.

Each round reads the corpus with the current model and the rules-only reader, keeps the proved
tables (``pseudo_labels``), measures the precision of the same selection on the labelled *tuning*
documents (gold ``used_for`` naming tune) and masks every tag below ``self_train.min_precision``,
saves the pseudo-labelled corpus, and fine-tunes the current model on it mixed with the config's
synthetic data. Every round's model is scored on the tuning documents; the best one (it must beat
the starting model) is copied to ``out``. Held-out labelled reports are only read at the very end,
for the pseudo-label precision as a final figure; they choose nothing.
"""

from __future__ import annotations

import json
import shutil
from dataclasses import replace
from pathlib import Path
from typing import Any

from nianbao.evaluation.tagger_eval import evaluate_tagger
from nianbao.labels.gold import GoldDoc, default_corpus_root, load_gold, refuse_labelled
from nianbao.normalise import normalise_text
from nianbao.tagger.runtime import ModelTagger
from nianbao.training.pseudo_labels import (
    PseudoDoc,
    Readers,
    gold_items,
    pseudo_precision,
    read_corpus_items,
    select,
    tags_to_mask,
)
from nianbao.training.train import DataSource, TrainConfig, fit


def save_pseudo(docs: list[PseudoDoc], masked: list[str], out: Path) -> int:
    """Save the kept documents as a training dataset (``text``, ``labels`` with IGNORE); returns how many."""
    # local: datasets costs seconds at start-up
    from datasets import Dataset, Features, Sequence, Value

    kept = [d for d in docs if d.kept]
    features = Features({"text": Value("string"), "labels": Sequence(Value("int32")), "source": Value("string")})
    Dataset.from_dict({"text": [d.text for d in kept], "labels": [d.label_ids(masked) for d in kept],
                       "source": [d.source for d in kept]}, features=features).save_to_disk(str(out))
    return len(kept)


def check_corpus(items: list[Any], golds: list[GoldDoc]) -> None:
    """Refuse a corpus holding any labelled report (tuning or held out): those are never trained on."""
    refuse_labelled(((it.source, it.data or (it.text or "").encode("utf-8")) for it in items), golds,
                    " (self-train on crawl-series/ or your own crawl)")


def tuning_scores(model_dir: str | Path, golds: list[GoldDoc], corpus_root: Path) -> dict[str, Any]:
    """Entity scores of a tagger on the tuning documents (as ``nianbao eval --tagger``)."""
    texts = {g.name: g.load_text(corpus_root) for g in golds}
    summary = evaluate_tagger(golds, ModelTagger(Path(model_dir), runtime="torch"), normalise_text, texts).summary
    return {t: round(v["f1"], 4) for t, v in summary["entity"].items() if "avg" not in t} | {
        "micro": round(summary["entity"]["micro avg"]["f1"], 4)}


def self_train(cfg: TrainConfig, corpus: str | Path, corpus_root: Path | None = None) -> dict[str, Any]:
    """Run ``cfg.self_train.rounds`` rounds from ``cfg.base_model``; write the best tuning model to ``cfg.out``."""
    if not cfg.base_model:
        raise ValueError("E_CONFIG: self-train starts from a trained tagger: set base_model")
    st = cfg.self_train
    root = corpus_root or default_corpus_root()
    golds = load_gold(Path(st.tuning_gold))
    tuning = [g for g in golds if g.tuning]
    if not tuning:
        raise ValueError(f"E_DATA: no tuning documents (used_for: tune) in {st.tuning_gold}")
    items = read_corpus_items(corpus)
    check_corpus(items, golds)
    work = Path(cfg.work_dir)
    work.mkdir(parents=True, exist_ok=True)
    reader, init = st.reader_model or cfg.base_model, cfg.base_model  # who reads the corpus; whose weights train
    report: dict[str, Any] = {"corpus": str(corpus), "min_precision": st.min_precision, "weight": st.weight,
                              "start": {"model": reader, "init": init,
                                        "tuning_f1": tuning_scores(reader, tuning, root)},
                              "rounds": []}
    for r in range(1, st.rounds + 1):
        readers = Readers(reader, cfg.threads)
        pseudo = select(readers, items)
        precision = pseudo_precision(select(readers, gold_items(tuning, root)), tuning, root)
        masked = tags_to_mask(precision, st.min_precision)
        data_dir = work / f"round-{r}" / "pseudo"
        kept = save_pseudo(pseudo, masked, data_dir)
        row = {"round": r, "read_with": reader, "init": init, "pages": len(pseudo), "kept_pages": kept,
               "kept_tables": sum(len(p.kept_tables) for p in pseudo), "tuning_precision": precision,
               "masked": masked, "taught_chars": sum(1 for p in pseudo for x in p.label_ids(masked) if x >= 0)}
        model_dir = work / f"round-{r}" / "model"
        if kept:
            round_cfg = replace(cfg, base_model=init, out=str(model_dir), work_dir=str(work / f"round-{r}"),
                                datasets=[*cfg.datasets, DataSource(str(data_dir), st.weight)])
            result = fit(round_cfg)
            row |= {"model": str(model_dir), "train_seconds": result["train_seconds"],
                    "synthetic_test_f1": round(result["test"]["overall"]["f1"], 4),
                    "tuning_f1": tuning_scores(model_dir, tuning, root)}
            reader = init = str(model_dir)
        report["rounds"].append(row)
        (work / "self_train.json").write_text(json.dumps(report, indent=2, ensure_ascii=False) + "\n",
                                              encoding="utf-8")
        if not kept:
            break
    trained = [x for x in report["rounds"] if "tuning_f1" in x]
    best = max(trained, key=lambda x: x["tuning_f1"]["micro"], default=None)
    start_f1 = report["start"]["tuning_f1"]["micro"]
    report["chosen"] = best["model"] if best and best["tuning_f1"]["micro"] > start_f1 else None
    held = [g for g in golds if g.held_out]
    if held:  # a final figure only: it chooses nothing above
        # the reader whose pseudo-labels the last round taught (an MLM start cannot read: its reader_model did)
        readers = Readers(report["rounds"][-1]["read_with"] if report["rounds"] else reader, cfg.threads)
        report["held_out_precision"] = pseudo_precision(select(readers, gold_items(held, root)), held, root)
    for row in trained:  # each round's own card says what it was trained on, chosen or not
        record_self_train(Path(row["model"]), report)
    if report["chosen"]:
        _publish(Path(report["chosen"]), Path(cfg.out), report)
    (work / "self_train.json").write_text(json.dumps(report, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return report


def _publish(src: Path, out: Path, report: dict[str, Any]) -> None:
    """Copy the chosen round's tagger to ``out`` (its card already records the self-training)."""
    if src.resolve() != out.resolve():
        if out.exists():
            shutil.rmtree(out)
        shutil.copytree(src, out)


def record_self_train(out: Path, report: dict[str, Any]) -> None:
    """Put the self-training report (rounds, kept pages, pseudo-label precision) into a tagger's metrics and card."""
    # local: start-up: the card writer is only needed once a round is trained
    from nianbao.training.card import write_card

    metrics_path = out / "training_metrics.json"
    metrics = json.loads(metrics_path.read_text(encoding="utf-8"))
    metrics["self_train"] = {k: v for k, v in report.items() if k != "start"} | {"start": report["start"]}
    metrics_path.write_text(json.dumps(metrics, indent=2, ensure_ascii=False, default=str) + "\n", encoding="utf-8")
    tradeoff = Path(str(metrics["config"].get("tradeoff") or ""))
    write_card(out, metrics, json.loads(tradeoff.read_text(encoding="utf-8")) if tradeoff.is_file() else None)
