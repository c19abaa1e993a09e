"""Tagger throughput in characters per second, torch vs ONNX Runtime, measured in one run (best of 3 passes).

    python -m nianbao.evaluation.bench_tagger --model models/nianbao-tagger --texts data/synth
    python -m nianbao.evaluation.bench_tagger --architectures runs/tradeoff.json --texts data/synth

The second form times randomly initialised networks of several shapes (speed
does not depend on the weights) to chart the size/speed trade-off.
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
import time
from pathlib import Path
from typing import Any

from nianbao.tagger.charmap import CharMap
from nianbao.tagger.onnx_export import export_onnx
from nianbao.tagger.runtime import ModelTagger, TaggerSpec, onnx_verified
from nianbao.training.model import ModelConfig, build_model, save_tagger

DEFAULT_SHAPES: tuple[tuple[int, int, int, int], ...] = (
    (1, 128, 4, 512),
    (2, 128, 4, 512),
    (2, 192, 6, 768),
    (3, 192, 6, 768),
    (4, 256, 8, 1024),
)


def time_tagger(tagger: Any, texts: list[str], docs_per_batch: int = 8) -> dict[str, float]:
    """Chars/s and docs/s of one pass of ``tagger.probabilities`` over ``texts`` in batches of documents."""
    start = time.perf_counter()
    for i in range(0, len(texts), docs_per_batch):
        tagger.probabilities(texts[i:i + docs_per_batch])
    seconds = time.perf_counter() - start
    chars = sum(len(t) for t in texts)
    return {"seconds": round(seconds, 3), "chars_per_s": round(chars / seconds, 1),
            "docs_per_s": round(len(texts) / seconds, 2)}


def bench_folder(folder: str | Path, texts: list[str], docs_per_batch: int = 8, repeats: int = 3) -> dict[str, Any]:
    """Torch and (when verified) ONNX throughput of one tagger folder on the same texts, and their ratio.

    After a warm-up batch each, the runtimes take turns for ``repeats`` passes
    (so a noisy neighbour hits both alike); each keeps its fastest pass.
    """
    # local: torch costs seconds at start-up; only the model path needs it
    import torch

    out: dict[str, Any] = {"docs": len(texts), "chars": sum(len(t) for t in texts),
                           "mean_chars_per_doc": round(sum(len(t) for t in texts) / max(1, len(texts))),
                           "torch_threads": torch.get_num_threads(), "cpus": os.cpu_count(), "repeats": repeats}
    taggers = {"torch": ModelTagger(folder, runtime="torch")}
    ok, why = onnx_verified(folder)
    if ok:
        taggers["onnx"] = ModelTagger(folder, runtime="onnx")
    else:
        out["onnx"] = {"skipped": why}
    for tagger in taggers.values():
        tagger.probabilities(texts[:docs_per_batch])
    passes: dict[str, list[dict[str, float]]] = {name: [] for name in taggers}
    for _ in range(repeats):
        for name, tagger in taggers.items():
            passes[name].append(time_tagger(tagger, texts, docs_per_batch))
    for name, runs in passes.items():
        out[name] = {**max(runs, key=lambda r: r["chars_per_s"]), "all_chars_per_s": [r["chars_per_s"] for r in runs]}
    if ok:
        out["onnx_over_torch"] = round(out["onnx"]["chars_per_s"] / out["torch"]["chars_per_s"], 2)
    return out


def bench_architectures(
    texts: list[str], shapes: tuple[tuple[int, int, int, int], ...] = DEFAULT_SHAPES, window: int = 254,
    overlap: int = 64,
) -> list[dict[str, Any]]:
    """Size and speed of randomly initialised taggers of each (layers, hidden, heads, intermediate) shape."""
    rows = []
    charmap = CharMap.default()
    for layers, hidden, heads, inter in shapes:
        model = build_model(
            ModelConfig(layers=layers, hidden=hidden, heads=heads, intermediate=inter), charmap
        )
        with tempfile.TemporaryDirectory() as tmp:
            save_tagger(model, charmap, TaggerSpec(window=window, overlap=overlap), tmp)
            verdict = export_onnx(tmp, texts=texts)
            speed = bench_folder(tmp, texts)
            size = (Path(tmp) / "model.safetensors").stat().st_size
        rows.append(
            {
                "layers": layers,
                "hidden": hidden,
                "heads": heads,
                "intermediate": inter,
                "parameters": int(sum(p.numel() for p in model.parameters())),
                "safetensors_mb": round(size / 2**20, 2),
                "onnx_max_abs_diff_probs": verdict.max_abs_diff_probs,
                "torch_chars_per_s": speed["torch"]["chars_per_s"],
                "onnx_chars_per_s": speed["onnx"].get("chars_per_s"),
                "onnx_over_torch": speed.get("onnx_over_torch"),
            }
        )
    return rows


def load_texts(path: str | Path, limit: int) -> list[str]:
    """Texts to time: a folder of ``.txt`` files (recursively) or a saved dataset (its test split if any)."""
    path = Path(path)
    if (path / "dataset_dict.json").is_file() or (path / "dataset_info.json").is_file():
        # local: datasets costs seconds at start-up
        from datasets import DatasetDict, load_from_disk

        ds = load_from_disk(str(path))
        if isinstance(ds, DatasetDict):
            ds = ds["test"] if "test" in ds else ds[next(iter(ds))]
        return list(ds.select(range(min(limit, len(ds))))["text"])
    files = sorted(p for p in path.rglob("*.txt") if p.name.lower() != "readme.txt")
    if not files:
        raise FileNotFoundError(f"no .txt files or saved dataset under {path}")
    return [p.read_text(encoding="utf-8", errors="replace") for p in files[:limit]]


def main(argv: list[str] | None = None) -> None:
    """Command line: time one tagger folder, or chart architectures."""
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--model", type=Path, help="tagger folder to time (torch and ONNX)")
    ap.add_argument("--texts", type=Path, required=True, help="folder of .txt files or a saved dataset")
    ap.add_argument("--limit", type=int, default=40, help="number of documents")
    ap.add_argument("--architectures", type=Path, help="write the shape/speed table as JSON here")
    ap.add_argument("--threads", type=int, default=0, help="torch threads (0: torch default)")
    args = ap.parse_args(argv)
    if args.threads:
        # local: torch costs seconds at start-up; only the model path needs it
        import torch

        torch.set_num_threads(args.threads)
    texts = load_texts(args.texts, args.limit)
    if args.architectures:
        rows = bench_architectures(texts)
        args.architectures.parent.mkdir(parents=True, exist_ok=True)
        args.architectures.write_text(json.dumps(rows, indent=2) + "\n", encoding="utf-8")
        print(json.dumps(rows, indent=2))
    if args.model:
        print(json.dumps(bench_folder(args.model, texts), indent=2))


if __name__ == "__main__":
    main()
