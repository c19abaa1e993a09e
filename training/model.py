"""The tagger network: a small BERT for token classification built from the tag set, or a local checkpoint.

Labels come from ``nianbao.labels.tags`` (``id2label``/``label2id``), so the
model config, the dataset features and the runtime agree by construction.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from nianbao.labels.tags import id2label, label2id
from nianbao.tagger.charmap import CharMap, add_reserved_tokens
from nianbao.tagger.runtime import TaggerSpec, check_weights


@dataclass
class ModelConfig:
    """Shape of a from-scratch tagger (ignored with ``--base-model``)."""

    layers: int = field(default=2, metadata={"help": "transformer layers"})
    hidden: int = field(default=128, metadata={"help": "hidden size"})
    heads: int = field(default=4, metadata={"help": "attention heads (hidden must divide by it)"})
    intermediate: int = field(default=512, metadata={"help": "feed-forward size"})
    max_positions: int = field(default=512, metadata={"help": "position embeddings (>= window + 2)"})
    dropout: float = field(default=0.1, metadata={"help": "hidden dropout"})
    attention_dropout: float = field(default=0.1, metadata={"help": "attention dropout"})


def build_model(cfg: ModelConfig, charmap: CharMap):  # noqa: ANN201 - BertForTokenClassification
    """A randomly initialised ``BertForTokenClassification`` over ``charmap``'s vocabulary and the tag set."""
    # local: transformers costs seconds at start-up
    from transformers import BertConfig, BertForTokenClassification

    if cfg.hidden % cfg.heads:
        raise ValueError(f"E_CONFIG: hidden {cfg.hidden} is not a multiple of heads {cfg.heads}")
    config = BertConfig(
        vocab_size=charmap.size, hidden_size=cfg.hidden, num_hidden_layers=cfg.layers,
        num_attention_heads=cfg.heads, intermediate_size=cfg.intermediate,
        max_position_embeddings=cfg.max_positions, hidden_dropout_prob=cfg.dropout,
        attention_probs_dropout_prob=cfg.attention_dropout, type_vocab_size=1,
        pad_token_id=charmap.pad_id, id2label=dict(id2label), label2id=dict(label2id),
    )
    return BertForTokenClassification(config)


def charmap_for_checkpoint(folder: str | Path) -> tuple[CharMap, int]:
    """The char map of a local checkpoint and the embedding rows it needs.

    A nianbao folder carries ``charmap.json``; any other checkpoint's tokenizer
    vocabulary is used as is, with the whitespace kinds put on its ``[unusedN]``
    rows (or on new rows).
    """
    # local: transformers costs seconds at start-up
    from transformers import AutoTokenizer

    folder = Path(folder)
    if (folder / "charmap.json").is_file():
        cm = CharMap.load(folder)
        return cm, cm.size
    tok = AutoTokenizer.from_pretrained(str(folder), trust_remote_code=False)
    vocab = tok.get_vocab()
    cm = CharMap.from_vocab(vocab, add_reserved_tokens(vocab))
    return cm, cm.size


def load_base_model(folder: str | Path):  # noqa: ANN201 - (model, CharMap)
    """Fine-tune start point from a local HF checkpoint (safetensors only): a fresh tag-set head on it."""
    # local: transformers costs seconds at start-up
    from transformers import AutoModelForTokenClassification

    folder = Path(folder)
    check_weights(folder)  # refuses pickled-only checkpoints
    charmap, rows = charmap_for_checkpoint(folder)
    model = AutoModelForTokenClassification.from_pretrained(
        str(folder), num_labels=len(id2label), id2label=dict(id2label), label2id=dict(label2id),
        ignore_mismatched_sizes=True, use_safetensors=True, trust_remote_code=False,
        attn_implementation="eager")
    if rows > model.config.vocab_size:
        model.resize_token_embeddings(rows)
    return model, charmap


def save_tagger(model, charmap: CharMap, spec: TaggerSpec, folder: str | Path) -> Path:  # noqa: ANN001
    """Write a runtime-ready tagger folder: safetensors weights, config, charmap + tokenizer, tagger.json."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    for stale in ("model.onnx", "onnx_verify.json"):  # an old export no longer matches these weights
        (folder / stale).unlink(missing_ok=True)
    model.save_pretrained(str(folder), safe_serialization=True)
    charmap.save(folder)
    spec.save(folder)
    return folder


def tie_unseen_to_unk(model, charmap: CharMap, seen_ids: set[int]) -> int:  # noqa: ANN001
    """Copy the ``[UNK]`` embedding onto character rows never seen in training; returns how many.

    A row no training text touched is still random: at run time such a
    character should look like any other unknown character, which training did
    teach (characters are replaced by ``[UNK]`` at random).
    """
    # local: torch costs seconds at start-up; only the model path needs it
    import torch

    emb = model.get_input_embeddings().weight
    keep = set(seen_ids) | {charmap.vocab[t] for t in charmap.vocab if t.startswith("[")}
    rows = [i for i in range(emb.shape[0]) if i not in keep]
    if rows:
        with torch.no_grad():
            emb[torch.tensor(rows)] = emb[charmap.unk_id].clone()
    return len(rows)
