"""Config-driven training of the tagger: windows -> HF ``Trainer`` -> tagger folder, test scores, card.

Every hyper-parameter lives in a YAML file (``training/configs/*.yaml``) loaded
into ``TrainConfig``; the same config and seed give the same model. Evaluation
runs each epoch (seqeval entity F1 on validation windows), early stopping keeps
the best epoch, and the final scores are computed the way the runtime tags: on
whole held-out documents, with sliding windows and stitched logits.
"""

from __future__ import annotations

import json
import time
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Any

import numpy as np
import yaml
from pydantic import TypeAdapter, ValidationError
from transformers import TrainerCallback

from nianbao.evaluation.bench_tagger import bench_folder
from nianbao.labels.tags import LABELS, label2id
from nianbao.tagger.charmap import CharMap
from nianbao.tagger.onnx_export import export_onnx
from nianbao.tagger.runtime import ModelTagger, TaggerSpec
from nianbao.training.card import write_card
from nianbao.training.model import ModelConfig, build_model, load_base_model, save_tagger, tie_unseen_to_unk
from nianbao.training.tagger_data import (
    Collator,
    WindowDataset,
    check_features,
    label_sequences,
    load_corpus,
    make_windows,
    seqeval_scores,
)

CONFIG_DIR = Path(__file__).resolve().parent / "configs"


@dataclass
class DataSource:
    """One training dataset of a mixture, with its weight (copies of each document; a fraction samples)."""

    path: str
    weight: float = 1.0
    kind: str = "dataset"  # dataset: a save_to_disk folder (synthetic, self-train); label-studio: a JSON export


@dataclass
class SelfTrainConfig:
    """How ``nianbao train self-train`` reads the user's corpus and mixes its proved readings in."""

    rounds: int = 1  # read -> select -> fine-tune, each round reading with the previous round's model
    weight: float = 1.0  # weight of the pseudo-labelled corpus beside ``data``/``datasets``
    min_precision: float = 0.99  # a tag whose pseudo-label precision on the tuning documents is lower is masked
    tuning_gold: str = "labels/gold"  # gold folder; only documents whose used_for says tune are read
    reader_model: str | None = None  # the tagger that reads the corpus in round 1 (default: base_model)


@dataclass
class TrainConfig:
    """Everything a training run is told; loaded from YAML, every key checked."""

    name: str = field(default="nianbao-tagger", metadata={"help": "model name (ModelInfo.name)"})
    version: str = field(default="0.1.0", metadata={"help": "model version (ModelInfo.version)"})
    data: str = field(default="data/synth", metadata={"help": "labelled DatasetDict (save_to_disk folder)"})
    datasets: list[DataSource] = field(default_factory=list, metadata={
        "help": "more training data mixed with `data` (which alone gives validation and test): {path, weight, kind}"})
    self_train: SelfTrainConfig = field(default_factory=SelfTrainConfig, metadata={"help": "self-train settings"})
    out: str = field(default="models/nianbao-tagger", metadata={"help": "tagger folder to write"})
    work_dir: str = field(default="runs/tagger", metadata={"help": "checkpoints and logs"})
    seed: int = field(default=13, metadata={"help": "seed for splits, windows, init and order"})
    base_model: str | None = field(default=None, metadata={"help": "local HF checkpoint to fine-tune"})
    model: ModelConfig = field(default_factory=ModelConfig, metadata={"help": "from-scratch network shape"})
    window: int = field(default=510, metadata={"help": "characters per window (runtime and training)"})
    overlap: int = field(default=128, metadata={"help": "runtime window overlap"})
    train_overlap: int = field(default=32, metadata={"help": "overlap of training windows"})
    keep_empty: float = field(default=0.25, metadata={"help": "share of entity-free windows kept"})
    unk_prob: float = field(default=0.02, metadata={"help": "share of CJK chars replaced by [UNK] in training"})
    max_train_docs: int | None = field(default=None, metadata={"help": "cap on training documents"})
    eval_docs: int = field(default=200, metadata={"help": "validation documents scored each epoch"})
    test_docs: int = field(default=600, metadata={"help": "held-out documents scored at the end"})
    val_fraction: float = field(default=0.05, metadata={"help": "validation share if the data has none"})
    test_fraction: float = field(default=0.1, metadata={"help": "test share if the data has none"})
    epochs: float = field(default=4, metadata={"help": "maximum epochs"})
    max_steps: int = field(default=-1, metadata={"help": "stop after this many steps (-1: epochs decide)"})
    batch_size: int = field(default=16, metadata={"help": "windows per step"})
    learning_rate: float = field(default=1e-3, metadata={"help": "peak learning rate"})
    warmup_ratio: float = field(default=0.05, metadata={"help": "share of steps warming up"})
    weight_decay: float = field(default=0.01, metadata={"help": "AdamW weight decay"})
    early_stopping_patience: int = field(default=2, metadata={"help": "epochs without F1 gain before stop"})
    time_budget_minutes: float = field(default=0, metadata={"help": "stop training after this (0: none)"})
    threads: int = field(default=2, metadata={"help": "torch CPU threads"})
    logging_steps: int = field(default=50, metadata={"help": "log every n steps"})
    export_onnx: bool = field(default=True, metadata={"help": "export + verify ONNX after training"})
    bench_docs: int = field(default=40, metadata={"help": "test documents timed for the card (0: skip)"})
    tradeoff: str | None = field(default=None, metadata={"help": "JSON of measured alternatives for the card"})
    notes: str = field(default="", metadata={"help": "free text for the model card"})


def load_config(path: str | Path, overrides: dict[str, Any] | None = None) -> TrainConfig:
    """A ``TrainConfig`` from YAML plus ``overrides``; unknown keys and wrong types fail with ``E_CONFIG``."""
    raw = yaml.safe_load(Path(path).read_text(encoding="utf-8")) or {}
    raw.update({k: v for k, v in (overrides or {}).items() if v is not None})
    known = {f.name for f in fields(TrainConfig)}
    unknown = sorted(set(raw) - known) + sorted(
        f"model.{k}" for k in set(raw.get("model") or {}) - {f.name for f in fields(ModelConfig)})
    if unknown:
        raise ValueError(f"E_CONFIG: {path}: unknown keys {unknown}; see training/train.py TrainConfig")
    try:
        return TypeAdapter(TrainConfig).validate_python(raw)
    except ValidationError as exc:
        raise ValueError(f"E_CONFIG: {path}: {exc}") from exc


def fit(cfg: TrainConfig) -> dict[str, Any]:
    """Train, save the tagger folder, score it on held-out documents, export ONNX, write the card."""
    # local: torch costs seconds at start-up; only the model path needs it
    import torch

    threads = torch.get_num_threads()
    torch.set_num_threads(cfg.threads)
    try:
        return _fit(cfg)
    finally:
        torch.set_num_threads(threads)


def _fit(cfg: TrainConfig) -> dict[str, Any]:
    # local: transformers costs seconds at start-up
    from transformers import EarlyStoppingCallback, Trainer, TrainingArguments, set_seed

    started = time.time()
    set_seed(cfg.seed)
    data = load_corpus(cfg.data, cfg.seed, cfg.val_fraction, cfg.test_fraction)
    train = data["train"]
    if cfg.max_train_docs:
        train = train.select(range(min(cfg.max_train_docs, len(train))))
    texts, labels, mixture = mix_datasets(train, cfg.datasets, cfg.seed)
    val = data["validation"].select(range(min(cfg.eval_docs, len(data["validation"]))))
    test = data["test"].select(range(min(cfg.test_docs, len(data["test"]))))

    if cfg.base_model:
        model, charmap = load_base_model(cfg.base_model)
    else:
        charmap = CharMap.default()
        model = build_model(cfg.model, charmap)
    max_pos = int(getattr(model.config, "max_position_embeddings", 512))
    if cfg.window + 2 > max_pos:
        raise ValueError(f"E_CONFIG: window {cfg.window} + 2 exceeds the model's {max_pos} positions")

    train_w = make_windows(texts, labels, charmap, cfg.window, cfg.train_overlap,
                           cfg.keep_empty, cfg.seed)
    val_w = make_windows(val["text"], val["labels"], charmap, cfg.window, cfg.train_overlap, 1.0, cfg.seed)
    steps_per_epoch = max(1, -(-len(train_w.ids) // cfg.batch_size))
    total_steps = cfg.max_steps if cfg.max_steps > 0 else int(steps_per_epoch * cfg.epochs)
    work = Path(cfg.work_dir) / cfg.name
    args = TrainingArguments(
        output_dir=str(work), per_device_train_batch_size=cfg.batch_size,
        per_device_eval_batch_size=cfg.batch_size * 2, learning_rate=cfg.learning_rate,
        num_train_epochs=cfg.epochs, max_steps=cfg.max_steps, warmup_steps=int(cfg.warmup_ratio * total_steps),
        weight_decay=cfg.weight_decay, eval_strategy="epoch", save_strategy="epoch", save_total_limit=2,
        load_best_model_at_end=True, metric_for_best_model="f1", greater_is_better=True,
        logging_steps=cfg.logging_steps, report_to=[], seed=cfg.seed, data_seed=cfg.seed, use_cpu=True,
        remove_unused_columns=False, dataloader_num_workers=0, save_only_model=True, disable_tqdm=True,
    )
    trainer = Trainer(
        model=model, args=args, data_collator=Collator(charmap, cfg.unk_prob),
        train_dataset=WindowDataset(train_w), eval_dataset=WindowDataset(val_w),
        compute_metrics=_compute_metrics, preprocess_logits_for_metrics=_argmax,
        callbacks=[EarlyStoppingCallback(cfg.early_stopping_patience), TimeBudget(cfg.time_budget_minutes)],
    )
    trainer.train()
    train_seconds = time.time() - started
    model = trainer.model
    tied = 0 if cfg.base_model else tie_unseen_to_unk(model, charmap, train_w.seen_ids)
    spec = TaggerSpec(name=cfg.name, version=cfg.version, window=cfg.window, overlap=cfg.overlap)
    out = save_tagger(model, charmap, spec, cfg.out)

    test_scores = score_documents(ModelTagger(out, runtime="torch"), test["text"], test["labels"],
                                  test["style"] if "style" in test.column_names else None)
    result = {
        "config": asdict(cfg),
        "data": {"path": cfg.data, "train_docs": len(texts), "mixture": mixture, "validation_docs": len(val), "test_docs": len(test),
                 "train_windows": len(train_w.ids), "validation_windows": len(val_w.ids),
                 "train_chars": int(sum(len(t) for t in texts)),
                 "styles": _counts(train, "style"), "templates": _counts(train, "template"),
                 "unk_rate_test": float(np.mean([charmap.unknown_rate(t) for t in test["text"]] or [0.0]))},
        "history": [e for e in trainer.state.log_history if "eval_f1" in e],
        "best_checkpoint": trainer.state.best_model_checkpoint,
        "steps": trainer.state.global_step,
        "train_seconds": round(train_seconds, 1),
        "rows_tied_to_unk": tied,
        "test": test_scores,
        "parameters": int(sum(p.numel() for p in model.parameters())),
    }
    return finalize(out, result, list(test["text"][: cfg.bench_docs]), cfg.export_onnx, cfg.tradeoff)


def mix_datasets(train: Any, sources: list[DataSource], seed: int) -> tuple[list[str], list[list[int]], list[dict]]:
    """The training documents of ``train`` plus each weighted source (``weight`` 2.5: every document twice,
    half of them a third time, chosen by ``seed``); returns texts, label ids and what each source gave."""
    texts, labels = list(train["text"]), [list(x) for x in train["labels"]]
    mixture = [{"path": "data", "kind": "dataset", "weight": 1.0, "docs": len(texts), "copies": len(texts)}]
    rng = np.random.default_rng(seed)
    for src in sources:
        s_texts, s_labels = load_source(src)
        whole, frac = int(src.weight), src.weight - int(src.weight)
        picks = list(range(len(s_texts))) * whole
        picks += sorted(rng.choice(len(s_texts), int(round(frac * len(s_texts))), replace=False).tolist())
        texts += [s_texts[i] for i in picks]
        labels += [s_labels[i] for i in picks]
        mixture.append({"path": src.path, "kind": src.kind, "weight": src.weight, "docs": len(s_texts),
                        "copies": len(picks)})
    return texts, labels, mixture


def load_source(src: DataSource) -> tuple[list[str], list[list[int]]]:
    """Texts and label ids of one mixture source (every split of a dataset folder; a Label Studio export)."""
    if src.kind == "label-studio":
        return _label_studio(Path(src.path))
    if src.kind != "dataset":
        raise ValueError(f"E_CONFIG: dataset kind {src.kind!r} (known: dataset, label-studio)")
    # local: datasets costs seconds at start-up
    from datasets import DatasetDict, load_from_disk

    data = load_from_disk(src.path)
    parts = list(data.values()) if isinstance(data, DatasetDict) else [data]
    for part in parts:
        check_features(part)
    return ([t for p in parts for t in p["text"]], [list(x) for p in parts for x in p["labels"]])


def _label_studio(path: Path) -> tuple[list[str], list[list[int]]]:
    """Reviewed reports from a Label Studio JSON export, as normalised texts and BIO ids.

    A report that is labelled held out in ``labels/gold`` (same text) is refused: held-out reports are
    never trained on.
    """
    # local: start-up: the Label Studio converter loads only for this source kind
    from nianbao.labels.gold import GOLD_DIR, default_corpus_root, load_gold
    from nianbao.labels.studio_export import export_to_gold, gold_example

    held = {g.sha256 for g in load_gold(GOLD_DIR) if g.held_out}
    texts, labels = [], []
    for g in export_to_gold(json.loads(path.read_text(encoding="utf-8"))):
        if g.sha256 in held:
            raise ValueError(f"E_DATA: {path}: {g.name} is a held-out report of labels/gold; never train on it")
        ex = gold_example(g, g.load_text(default_corpus_root()))
        texts.append(ex["text"])
        labels.append([label2id[name] for name in ex["ner_tags"]])
    return texts, labels


def finalize(out: str | Path, result: dict[str, Any], bench_texts: list[str], export: bool = True,
             tradeoff: str | None = None) -> dict[str, Any]:
    """Export + verify ONNX, time torch vs ONNX, write ``training_metrics.json`` and the card.

    Also re-runs on an existing folder (``nianbao train finalize DIR``): the
    training result is read back from its ``training_metrics.json``.
    """
    out = Path(out)
    result = dict(result)
    if export:
        result["onnx"] = asdict(export_onnx(out, texts=bench_texts))
    if bench_texts:
        result["speed"] = bench_folder(out, bench_texts)
    (out / "training_metrics.json").write_text(json.dumps(result, indent=2, ensure_ascii=False, default=str) + "\n",
                                               encoding="utf-8")

    write_card(out, result, _load_tradeoff(tradeoff))
    return result


def score_documents(tagger: ModelTagger, texts: list[str], labels: list[list[int]],
                    styles: list[str] | None = None) -> dict[str, Any]:
    """seqeval entity scores of whole documents tagged as at run time, overall and per input style."""
    probs = tagger.probabilities(texts)
    gold = [[LABELS[i] for i in lab] for lab in labels]
    pred = [[LABELS[i] for i in p.argmax(axis=1).tolist()] for p in probs]
    out: dict[str, Any] = {"docs": len(texts), "chars": int(sum(len(t) for t in texts)),
                           "overall": seqeval_scores(gold, pred)}
    if styles is not None:
        out["per_style"] = {}
        for style in sorted(set(styles)):
            idx = [i for i, s in enumerate(styles) if s == style]
            out["per_style"][style] = {"docs": len(idx), **seqeval_scores([gold[i] for i in idx],
                                                                          [pred[i] for i in idx])}
    return out


def _compute_metrics(pred: Any) -> dict[str, float]:
    gold, guess = label_sequences(np.asarray(pred.predictions), np.asarray(pred.label_ids))
    return seqeval_scores(gold, guess)


def _argmax(logits: Any, labels: Any) -> Any:
    return logits.argmax(dim=-1)


def _counts(ds: Any, column: str) -> dict[str, int]:
    if column not in ds.column_names:
        return {}
    out: dict[str, int] = {}
    for v in ds[column]:
        out[str(v)] = out.get(str(v), 0) + 1
    return dict(sorted(out.items()))


def _load_tradeoff(path: str | None) -> list[dict[str, Any]] | None:
    """The measured shape/speed table for the card; None (the card then says how to measure it) if absent."""
    if not path or not Path(path).is_file():
        return None
    return json.loads(Path(path).read_text(encoding="utf-8"))


class TimeBudget(TrainerCallback):
    """Stops training (after evaluating and saving) once ``minutes`` of wall clock are spent (0: never)."""

    def __init__(self, minutes: float, evaluate: bool = True) -> None:
        self.seconds = minutes * 60
        self.evaluate = evaluate  # False where the run has no evaluation set (masked-LM pre-training)
        self.start = time.time()

    def on_train_begin(self, args, state, control, **kwargs):  # noqa: ANN001, ANN201
        self.start = time.time()

    def on_step_end(self, args, state, control, **kwargs):  # noqa: ANN001, ANN201
        if self.seconds and time.time() - self.start > self.seconds and not control.should_training_stop:
            control.should_training_stop = True
            control.should_evaluate = self.evaluate
            control.should_save = self.evaluate
        return control
