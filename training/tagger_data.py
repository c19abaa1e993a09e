"""Training data for the tagger: labelled documents -> fixed windows of char ids, a padding collator, metrics.

Documents are cut with the runtime's own ``plan_windows`` so training sees the
windows inference will see. Windows without any entity are mostly prose; only
a share of them is kept. The collator pads a batch and replaces a few CJK
characters by ``[UNK]`` so that the model learns what an unknown character is.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from nianbao.labels.tags import LABELS
from nianbao.tagger.charmap import CharMap
from nianbao.tagger.windows import plan_windows

IGNORE = -100
SPLITS = ("train", "validation", "test")


def load_corpus(path: str | Path, seed: int, val_fraction: float, test_fraction: float):  # noqa: ANN201
    """The labelled corpus as a ``DatasetDict`` with train/validation/test (split by seed when absent).

    Expects columns ``text`` (normalised) and ``labels`` (ids into ``LABELS``).
    """
    # local: datasets costs seconds at start-up
    from datasets import DatasetDict, load_from_disk

    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"E_DATA: {path} not found; generate it with "
                                f"`nianbao train synth generate --out {path}`")
    data = load_from_disk(str(path))
    if not isinstance(data, DatasetDict):
        data = DatasetDict({"train": data})
    check_features(data["train"])
    if all(s in data for s in SPLITS):
        return data
    if "train" not in data:
        raise ValueError(f"E_DATA: {path} has splits {list(data)}; need 'train' (and optionally "
                         "'validation', 'test')")
    out = dict(data)
    rest = data["train"]
    if "test" not in out:
        parts = rest.train_test_split(test_size=test_fraction, seed=seed)
        rest, out["test"] = parts["train"], parts["test"]
    if "validation" not in out:
        parts = rest.train_test_split(test_size=val_fraction / (1 - test_fraction), seed=seed + 1)
        rest, out["validation"] = parts["train"], parts["test"]
    out["train"] = rest
    return DatasetDict(out)


def check_features(ds: Any) -> None:
    """Fail loudly when a dataset's label names are not today's tag set."""
    for col in ("text", "labels"):
        if col not in ds.column_names:
            raise ValueError(f"E_DATA: dataset lacks column {col!r} (has {ds.column_names})")
    feature = ds.features["labels"]
    names = getattr(getattr(feature, "feature", None), "names", None)
    if names is not None and tuple(names) != LABELS:
        raise ValueError(f"E_DATA: dataset labels {names} differ from the tag set {list(LABELS)}")


@dataclass
class Windows:
    """Fixed windows for training: ids with [CLS]/[SEP], labels with IGNORE on them."""

    ids: list[np.ndarray]
    labels: list[np.ndarray]
    seen_ids: set[int]


def make_windows(texts: Sequence[str], labels: Sequence[Sequence[int]], charmap: CharMap, window: int,
                 overlap: int, keep_empty: float, seed: int) -> Windows:
    """Windows of every document; all-``O`` windows kept with probability ``keep_empty``.

    >>> w = make_windows(["ab\\ncd"], [[0, 0, 0, 9, 10]], CharMap.default(), 3, 1, 0.0, 0)
    >>> len(w.ids), w.labels[0].tolist()
    (1, [-100, 0, 9, 10, -100])
    """
    rng = random.Random(seed)
    out_ids: list[np.ndarray] = []
    out_labels: list[np.ndarray] = []
    seen: set[int] = set()
    for text, lab in zip(texts, labels, strict=True):
        if len(text) != len(lab):
            raise ValueError(f"E_DATA: text of {len(text)} chars has {len(lab)} labels")
        ids = np.asarray(charmap.encode(text), dtype=np.int32)
        lab_arr = np.asarray(lab, dtype=np.int32)
        seen.update(np.unique(ids).tolist())
        for s, e in plan_windows(len(ids), window, overlap):
            part = lab_arr[s:e]
            if (part == IGNORE).all():  # nothing taught here (a self-train document's unproved stretch)
                continue
            if not (part > 0).any() and rng.random() >= keep_empty:
                continue
            out_ids.append(np.concatenate([[charmap.cls_id], ids[s:e], [charmap.sep_id]]).astype(np.int32))
            out_labels.append(np.concatenate([[IGNORE], lab_arr[s:e], [IGNORE]]).astype(np.int32))
    return Windows(out_ids, out_labels, seen)


class WindowDataset:
    """A torch-style dataset over ``Windows`` (items are dicts of numpy arrays)."""

    def __init__(self, windows: Windows) -> None:
        self.windows = windows

    def __len__(self) -> int:
        return len(self.windows.ids)

    def __getitem__(self, i: int) -> dict[str, np.ndarray]:
        return {"input_ids": self.windows.ids[i], "labels": self.windows.labels[i]}


def cjk_mask(charmap: CharMap) -> np.ndarray:
    """Boolean over ids: True for CJK ideographs (the ids ``[UNK]`` may replace in training)."""
    mask = np.zeros(charmap.size, dtype=bool)
    for c, i in charmap.char_to_id.items():
        if "\u4e00" <= c <= "\u9fff":
            mask[i] = True
    return mask


class Collator:
    """Pads a batch; with ``unk_prob`` > 0 replaces that share of CJK characters by ``[UNK]``."""

    def __init__(self, charmap: CharMap, unk_prob: float = 0.0) -> None:
        self.pad_id, self.unk_id = charmap.pad_id, charmap.unk_id
        self.unk_prob = unk_prob
        self.replaceable = cjk_mask(charmap)

    def __call__(self, items: list[dict[str, np.ndarray]]) -> dict[str, Any]:
        # local: torch costs seconds at start-up; only the model path needs it
        import torch

        width = max(len(it["input_ids"]) for it in items)
        ids = torch.full((len(items), width), self.pad_id, dtype=torch.long)
        labels = torch.full((len(items), width), IGNORE, dtype=torch.long)
        mask = torch.zeros((len(items), width), dtype=torch.long)
        for r, it in enumerate(items):
            n = len(it["input_ids"])
            ids[r, :n] = torch.from_numpy(it["input_ids"].astype(np.int64))
            labels[r, :n] = torch.from_numpy(it["labels"].astype(np.int64))
            mask[r, :n] = 1
        if self.unk_prob > 0:
            can = torch.from_numpy(self.replaceable)[ids]
            hit = can & (torch.rand(ids.shape) < self.unk_prob)
            ids[hit] = self.unk_id
        return {"input_ids": ids, "attention_mask": mask, "labels": labels}


def label_sequences(pred_ids: np.ndarray, label_ids: np.ndarray) -> tuple[list[list[str]], list[list[str]]]:
    """(gold, predicted) label-name sequences of a batch, skipping IGNORE positions.

    >>> label_sequences(np.array([[0, 9, 0]]), np.array([[-100, 9, -100]]))
    ([['B-VAL']], [['B-VAL']])
    """
    gold, pred = [], []
    for p_row, l_row in zip(pred_ids, label_ids, strict=True):
        keep = l_row != IGNORE
        gold.append([LABELS[i] for i in l_row[keep].tolist()])
        pred.append([LABELS[i] for i in p_row[keep].tolist()])
    return gold, pred


def seqeval_scores(gold: list[list[str]], pred: list[list[str]]) -> dict[str, float]:
    """seqeval entity precision/recall/F1 (micro) plus F1 per entity type."""
    # local: seqeval imports scikit-learn (seconds at start-up)
    from seqeval.metrics import classification_report

    report = classification_report(gold, pred, output_dict=True, zero_division=0)
    out = {"precision": float(report["micro avg"]["precision"]), "recall": float(report["micro avg"]["recall"]),
           "f1": float(report["micro avg"]["f1-score"])}
    for key, row in report.items():
        if "avg" not in key:
            out[f"f1_{key}"] = float(row["f1-score"])
    return out
