"""Optional domain pre-training: masked-LM on a folder of unlabeled report texts, before fine-tuning.

    nianbao train pretrain --corpus DIR --out runs/pretrained
    nianbao train fit --base-model runs/pretrained

Texts are normalised exactly as at run time and cut into the tagger's windows;
15% of the characters are chosen (80% -> ``[MASK]``, 10% -> a random character,
10% kept). The result is a ``BertForMaskedLM`` folder with the tagger's
charmap, which ``fit --base-model`` fine-tunes. Never point it at the labelled
reports the accuracy figures are computed on.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from nianbao.labels.gold import GOLD_DIR, load_gold, refuse_labelled
from nianbao.normalise import normalise_text
from nianbao.tagger.charmap import CharMap
from nianbao.training.tagger_data import IGNORE, WindowDataset, make_windows
from nianbao.training.train import TimeBudget, TrainConfig


def read_corpus(folder: str | Path, normalise: bool = True) -> list[str]:
    """Every ``.txt``/``.html`` file under ``folder``, decoded and (by default) normalised."""
    folder = Path(folder)
    files = sorted(p for p in folder.rglob("*") if p.suffix.lower() in (".txt", ".html", ".htm") and p.is_file())
    if not files:
        raise FileNotFoundError(f"E_DATA: no .txt/.html files under {folder}")
    texts = []
    for p in files:
        raw = p.read_text(encoding="utf-8", errors="replace")
        kind = "html" if p.suffix.lower() in (".html", ".htm") else "text"
        texts.append(normalise_text(raw, kind)[0] if normalise else raw)
    return texts


def check_unlabelled(folder: str | Path) -> None:
    """Refuse a corpus holding a labelled report (``labels/gold``, tuning or held out): never trained on."""
    files = sorted(p for p in Path(folder).rglob("*") if p.is_file() and p.suffix.lower() in (".txt", ".html", ".htm"))
    refuse_labelled(((str(p), p.read_bytes()) for p in files), load_gold(GOLD_DIR))


class MaskingCollator:
    """Pads a batch and masks characters for masked-LM (labels = original ids at masked positions)."""

    def __init__(self, charmap: CharMap, mask_prob: float = 0.15) -> None:
        self.charmap, self.mask_prob = charmap, mask_prob
        self.first_char_id = max(charmap.vocab[t] for t in charmap.vocab if t.startswith("[") and len(t) > 1) + 1

    def __call__(self, items: list[dict[str, np.ndarray]]) -> dict[str, Any]:
        # local: torch costs seconds at start-up; only the model path needs it
        import torch

        cm = self.charmap
        width = max(len(it["input_ids"]) for it in items)
        ids = torch.full((len(items), width), cm.pad_id, dtype=torch.long)
        mask = torch.zeros((len(items), width), dtype=torch.long)
        for r, it in enumerate(items):
            n = len(it["input_ids"])
            ids[r, :n] = torch.from_numpy(it["input_ids"].astype(np.int64))
            mask[r, :n] = 1
        special = (ids == cm.cls_id) | (ids == cm.sep_id) | (mask == 0)
        chosen = (torch.rand(ids.shape) < self.mask_prob) & ~special
        labels = torch.where(chosen, ids, torch.full_like(ids, IGNORE))
        roll = torch.rand(ids.shape)
        ids = torch.where(chosen & (roll < 0.8), torch.full_like(ids, cm.mask_id), ids)
        random_ids = torch.randint(self.first_char_id, cm.size, ids.shape)
        ids = torch.where(chosen & (roll >= 0.8) & (roll < 0.9), random_ids, ids)
        return {"input_ids": ids, "attention_mask": mask, "labels": labels}


@dataclass
class PretrainResult:
    """What a pre-training run did."""

    out: str
    docs: int
    windows: int
    steps: int
    seconds: float
    train_loss: float


def pretrain(cfg: TrainConfig, corpus: str | Path, out: str | Path, mask_prob: float = 0.15,
             base_model: str | Path | None = None, extra_texts: list[str] | None = None) -> PretrainResult:
    """Masked-LM pre-training on ``corpus`` (plus ``extra_texts``, already normalised); saves to ``out``.

    The network is ``cfg.model`` from scratch, or the encoder of ``base_model`` (a tagger folder: its
    char map is kept, the masked-LM head starts fresh). A corpus holding a labelled report is refused.
    """
    # local: torch costs seconds at start-up; only the model path needs it
    import torch

    started = time.time()
    threads = torch.get_num_threads()
    torch.set_num_threads(cfg.threads)
    try:
        return _pretrain(cfg, corpus, out, mask_prob, started, base_model, extra_texts or [])
    finally:
        torch.set_num_threads(threads)


def _pretrain(cfg: TrainConfig, corpus: str | Path, out: str | Path, mask_prob: float, started: float,
              base_model: str | Path | None, extra_texts: list[str]) -> PretrainResult:
    # local: transformers costs seconds at start-up
    from transformers import BertConfig, BertForMaskedLM, Trainer, TrainingArguments, set_seed

    set_seed(cfg.seed)
    check_unlabelled(corpus)
    texts = read_corpus(corpus) + list(extra_texts)
    if base_model:
        charmap = CharMap.load(base_model)
        model = BertForMaskedLM.from_pretrained(str(base_model), use_safetensors=True, trust_remote_code=False)
    else:
        charmap = CharMap.default()
        m = cfg.model
        model = BertForMaskedLM(BertConfig(
            vocab_size=charmap.size, hidden_size=m.hidden, num_hidden_layers=m.layers, num_attention_heads=m.heads,
            intermediate_size=m.intermediate, max_position_embeddings=m.max_positions,
            hidden_dropout_prob=m.dropout, attention_probs_dropout_prob=m.attention_dropout, type_vocab_size=1,
            pad_token_id=charmap.pad_id))
    windows = make_windows(texts, [[0] * len(t) for t in texts], charmap, cfg.window, 0, 1.0, cfg.seed)
    args = TrainingArguments(
        output_dir=str(Path(cfg.work_dir) / "pretrain"), per_device_train_batch_size=cfg.batch_size,
        learning_rate=cfg.learning_rate, num_train_epochs=cfg.epochs, max_steps=cfg.max_steps,
        weight_decay=cfg.weight_decay, save_strategy="no", logging_steps=cfg.logging_steps, report_to=[],
        seed=cfg.seed, use_cpu=True, remove_unused_columns=False, disable_tqdm=True)
    trainer = Trainer(model=model, args=args, data_collator=MaskingCollator(charmap, mask_prob),
                      train_dataset=WindowDataset(windows), callbacks=[TimeBudget(cfg.time_budget_minutes, evaluate=False)])
    output = trainer.train()
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    model.save_pretrained(str(out), safe_serialization=True)
    charmap.save(out)
    return PretrainResult(out=str(out), docs=len(texts), windows=len(windows.ids), steps=trainer.state.global_step,
                          seconds=round(time.time() - started, 1), train_loss=float(output.training_loss))
