"""The tagger: char ids (whitespace kept), windows, a tiny training run, --base-model, ONNX, safe loading."""

from __future__ import annotations

import json
import random
from pathlib import Path

import numpy as np
import pytest

from nianbao.document import Document
from nianbao.labels.tags import LABELS, spans_to_bio
from nianbao.pipeline import PipelineConfig, StageError
from nianbao.tagger import runtime
from nianbao.tagger.charmap import CharMap, add_reserved_tokens
from nianbao.tagger.runtime import (
    ModelTagger,
    choose_runtime,
    file_sha256,
    load_model_tagger,
    load_torch_model,
)
from nianbao.tagger.windows import _softmax_reference, plan_windows, softmax, stitch
from nianbao.training.train import load_config

CONFIGS = Path(__file__).resolve().parents[1] / "training" / "configs"
ROWS = ("行政许可", "行政处罚", "行政强制", "行政事业性收费", "规章", "规范性文件")
COLS = ("自然人", "商业企业", "科研机构", "社会公益组织", "法律服务机构", "其他", "总计")


# ---------------------------------------------------------------- literal fixtures (synthetic, invented)
def toy_doc(rng: random.Random) -> tuple[str, list[int]]:
    """A small report in the style of flattened tables: headings, tab/pipe/space rows, blank cells."""
    parts: list[tuple[str, str | None]] = [("二、主动公开政府信息情况", "SEC"), ("\n", None)]
    style = rng.choice(["tab", "pipe", "space"])
    for col in rng.sample(COLS, 3):
        parts += [(col, "COL"), ("\t" if style == "tab" else " | " if style == "pipe" else "    ", None)]
    parts.append(("\n", None))
    for row in rng.sample(ROWS, 4):
        parts += [(row, "ROW")]
        for _ in range(3):
            if rng.random() < 0.2 and style == "tab":
                parts += [("\t", None), ("\t", "BLANK")]
                continue
            sep = "\t" if style == "tab" else " | " if style == "pipe" else "  " * rng.randint(1, 3)
            parts += [(sep, None), (str(rng.randint(0, 999)), "VAL")]
        parts.append(("\n", None))
    parts += [("本机关全年未发生相关情况。", None), ("\n", None)]
    text, spans, pos = "", [], 0
    for chunk, tag in parts:
        if tag:
            spans.append((pos, pos + (1 if tag == "BLANK" else len(chunk)), tag))
        text += chunk
        pos += len(chunk)
    return text, [LABELS.index(x) for x in spans_to_bio(len(text), spans)]


def toy_corpus(folder: Path, n: int, seed: int) -> Path:
    """A DatasetDict in the synthetic generator's layout (id, style, template, text, labels)."""
    from datasets import ClassLabel, Dataset, DatasetDict, Features, List, Value

    rng = random.Random(seed)
    rows = {"id": [], "style": [], "template": [], "text": [], "labels": []}
    for i in range(n):
        text, labels = toy_doc(rng)
        for k, v in (("id", f"toy-{i}"), ("style", "tsv_markdown"), ("template", "v2021"), ("text", text),
                     ("labels", labels)):
            rows[k].append(v)
    features = Features({"id": Value("string"), "style": Value("string"), "template": Value("string"),
                         "text": Value("string"), "labels": List(ClassLabel(names=list(LABELS)))})
    DatasetDict({"train": Dataset.from_dict(rows, features=features)}).save_to_disk(str(folder))
    return folder


def smoke_config(tmp: Path, data: Path, **over):  # noqa: ANN003, ANN201
    return load_config(CONFIGS / "smoke.yaml", {"data": str(data), "out": str(tmp / "model"),
                                                "work_dir": str(tmp / "work"), **over})


@pytest.fixture(scope="module")
def trained(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict]:
    """The smoke config trained for a few epochs on 30 toy documents (one shared run for several tests)."""
    from nianbao.training.train import fit

    tmp = tmp_path_factory.mktemp("smoke")
    data = toy_corpus(tmp / "data", 30, seed=1)
    result = fit(smoke_config(tmp, data, epochs=6))
    return tmp / "model", result


# ---------------------------------------------------------------- char ids
def test_whitespace_kinds_are_distinct_ids_one_per_char(tmp_path: Path) -> None:
    cm = CharMap.default()
    text = "21    0\t0\n"
    ids = cm.encode(text)
    assert len(ids) == len(text)
    sp, tab, nl = cm.token_id("[SP]"), cm.token_id("[TAB]"), cm.token_id("[NL]")
    assert ids == [cm.char_to_id["2"], cm.char_to_id["1"], sp, sp, sp, sp, cm.char_to_id["0"], tab,
                   cm.char_to_id["0"], nl]
    assert len({sp, tab, nl, cm.unk_id, cm.char_to_id["0"]}) == 5
    assert cm.encode("\u00a0\u3000\u2003\u200b") == [cm.token_id(t) for t in ("[NBSP]", "[IDSP]", "[WS]", "[ZW]")]
    assert cm.encode("𠀀") == [cm.unk_id]
    cm.save(tmp_path)
    assert CharMap.load(tmp_path).encode(text) == ids
    from transformers import AutoTokenizer

    tok = AutoTokenizer.from_pretrained(str(tmp_path))  # the saved tokenizer shares the vocabulary
    assert tok.convert_tokens_to_ids(["[SP]", "[TAB]", "[NL]", "政"]) == [sp, tab, nl, cm.char_to_id["政"]]


def test_text_reaches_the_model_with_its_whitespace(trained: tuple[Path, dict]) -> None:
    folder, _ = trained
    tagger = ModelTagger(folder, runtime="torch")
    seen: list[np.ndarray] = []
    inner = tagger.backend.logits
    tagger.backend.logits = lambda ids, mask: (seen.append(ids.copy()), inner(ids, mask))[1]
    tagger.tag([Document(norm_text="21    0\t0\n")])
    cm = tagger.charmap
    assert seen[0][0].tolist() == [cm.cls_id, *cm.encode("21    0\t0\n"), cm.sep_id]


def test_foreign_vocab_gets_reserved_rows() -> None:
    vocab = {"[PAD]": 0, "[unused1]": 1, "[unused2]": 2, "[UNK]": 3, "[CLS]": 4, "[SEP]": 5, "[MASK]": 6,
             "0": 7, "a": 8}
    slots = add_reserved_tokens(vocab)
    cm = CharMap.from_vocab(vocab, slots)
    assert cm.encode("\n\t") == [1, 2]  # the [unusedN] rows, renamed
    assert cm.encode(" ") == [9] and cm.size == 9 + 6  # the rest on new rows
    assert cm.encode("A0") == [8, 7]  # uncased vocabulary: uppercase falls back


# ---------------------------------------------------------------- windows
@pytest.mark.parametrize("cols", [1, 2, 7, 8, 9, 12, 16, 17, 23, 40])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_softmax_is_the_reference_to_the_last_bit(cols: int, dtype: type) -> None:
    """The column-wise softmax gives numpy's own values bit for bit (a change of numpy's summation order
    would show here first), NaN rows and a non-contiguous input included."""
    rng = np.random.default_rng(cols)
    x = (rng.standard_normal((301, cols)) * 6).astype(dtype)
    x[7, 0] = np.nan
    for arr in (x, x[::2], np.asfortranarray(x), x[:0]):
        got, want = softmax(arr), _softmax_reference(arr)
        assert got.dtype == want.dtype == np.float32
        assert np.array_equal(got, want, equal_nan=True)


@pytest.mark.parametrize(("n", "size", "overlap"), [(1, 8, 2), (8, 8, 2), (9, 8, 2), (100, 8, 3), (1000, 126, 32)])
def test_windows_cover_and_overlap(n: int, size: int, overlap: int) -> None:
    w = plan_windows(n, size, overlap)
    assert w[0][0] == 0 and w[-1][1] == n and all(e - s == min(size, n) for s, e in w)
    assert all(b[0] <= a[1] - overlap for a, b in zip(w, w[1:], strict=False))


def test_stitch_restores_position_logits() -> None:
    n, labels = 300, 4
    truth = np.random.default_rng(0).normal(size=(n, labels)).astype(np.float32)
    windows = plan_windows(n, 64, 16)
    out = stitch(n, windows, [truth[s:e] for s, e in windows])
    np.testing.assert_allclose(out, truth, atol=1e-6)
    shifted = [truth[s:e] + k for k, (s, e) in enumerate(windows)]  # disagreeing windows: weighted blend
    blended = stitch(n, windows, shifted)
    assert np.all(blended >= truth - 1e-5) and np.all(blended <= truth + len(windows))


def test_long_document_is_tagged_through_windows(trained: tuple[Path, dict]) -> None:
    folder, _ = trained
    tagger = ModelTagger(folder, runtime="torch")
    text = toy_doc(random.Random(5))[0] * 6
    assert len(text) > 3 * tagger.spec.window
    doc = tagger.tag([Document(norm_text=text), Document(norm_text="")])
    probs = doc[0].char_probs
    assert probs.dtype == np.float32 and probs.shape == (len(text), len(LABELS))
    np.testing.assert_allclose(probs.sum(axis=1), 1.0, atol=1e-5)
    assert doc[1].char_probs.shape == (0, len(LABELS)) and doc[1].tags == []
    assert all(0 <= t.start < t.end <= len(text) and 0 < t.score <= 1 for t in doc[0].tags)


def test_windows_are_packed_before_the_network_runs(trained: tuple[Path, dict],
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    """Every batch is packed before the first network call: between the calls no Python runs that the
    network's weights would have pushed out of the caches. The probabilities are those of packing
    each batch just before its call."""
    folder, _ = trained
    tagger = ModelTagger(folder, runtime="torch", window_batch=2)
    texts = [toy_doc(random.Random(7))[0] * 4, toy_doc(random.Random(8))[0] * 3]
    expected = []
    for text in texts:  # one window a call, packed just before it: the reference
        ids = tagger.charmap.encode_array(text)
        windows = plan_windows(len(ids), tagger.spec.window, tagger.spec.overlap)
        logits = [tagger.backend.logits(*runtime.pack([ids[s:e]], tagger.charmap))[0, 1:1 + e - s] for s, e in windows]
        expected.append(softmax(stitch(len(ids), windows, logits)))
    log: list[str] = []
    real_pack, real_logits = runtime.pack, tagger.backend.logits
    monkeypatch.setattr(runtime, "pack", lambda w, cm: (log.append("pack"), real_pack(w, cm))[1])
    monkeypatch.setattr(tagger.backend, "logits", lambda ids, mask: (log.append("run"), real_logits(ids, mask))[1])
    got = tagger.probabilities(texts)
    runs = log.count("run")
    assert runs > 2 and log == ["pack"] * runs + ["run"] * runs
    for a, b in zip(got, expected, strict=True):
        np.testing.assert_allclose(a, b, atol=1e-6)


# ---------------------------------------------------------------- training
def test_smoke_training_learns_and_writes_a_model(trained: tuple[Path, dict]) -> None:
    folder, result = trained
    for name in ("model.safetensors", "config.json", "charmap.json", "tokenizer.json", "tagger.json",
                 "README.md", "training_metrics.json"):
        assert (folder / name).is_file(), name
    assert result["history"] and result["steps"] > 0
    assert result["test"]["overall"]["f1"] >= 0.6  # a floor a broken pipeline cannot reach
    card = (folder / "README.md").read_text(encoding="utf-8")
    assert "entity F1" in card and "chars/s" in card and "## Trade-off" in card
    doc = ModelTagger(folder, runtime="torch").tag([Document(norm_text=toy_doc(random.Random(9))[0])])[0]
    assert {t.tag for t in doc.tags} & {"VAL", "ROW"}
    assert doc.model is not None and doc.model.sha256 == file_sha256(folder / "model.safetensors")
    assert doc.model.name == "nianbao-tagger-smoke"


def test_config_rejects_unknown_keys_and_bad_types(tmp_path: Path) -> None:
    assert load_config(CONFIGS / "default.yaml").model.layers >= 1
    bad = tmp_path / "bad.yaml"
    bad.write_text("epochs: 2\nlerning_rate: 0.1\n", encoding="utf-8")
    with pytest.raises(ValueError, match="E_CONFIG.*lerning_rate"):
        load_config(bad)
    bad.write_text("epochs: many\n", encoding="utf-8")
    with pytest.raises(ValueError, match="E_CONFIG"):
        load_config(bad)


def test_base_model_from_a_local_checkpoint(tmp_path: Path) -> None:
    """``--base-model``: a tiny BERT with its own (foreign) vocabulary, built and saved here, is fine-tuned."""
    from transformers import BertConfig, BertForMaskedLM, BertTokenizerFast

    from nianbao.training.train import fit

    chars = sorted(set("".join(toy_doc(random.Random(s))[0] for s in range(20))) - set(" \t\n"))
    vocab = {t: i for i, t in enumerate(["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]
                                        + [f"[unused{k}]" for k in range(1, 5)] + chars)}
    base = tmp_path / "base"
    BertTokenizerFast(vocab=vocab).save_pretrained(str(base))
    BertForMaskedLM(BertConfig(vocab_size=len(vocab), hidden_size=32, num_hidden_layers=1, num_attention_heads=2,
                               intermediate_size=64, max_position_embeddings=130)).save_pretrained(str(base))
    data = toy_corpus(tmp_path / "data", 12, seed=2)
    result = fit(smoke_config(tmp_path, data, base_model=str(base), epochs=1, export_onnx=False, bench_docs=0))
    out = tmp_path / "model"
    cm = CharMap.load(out)
    assert cm.encode("\n\t ") == [vocab["[unused1]"], vocab["[unused2]"], vocab["[unused3]"]]
    assert load_torch_model(out).config.vocab_size == len(vocab) + 4  # 8 reserved tokens, 4 unused rows
    assert result["test"]["docs"] > 0


def test_pretrain_then_fine_tune(tmp_path: Path) -> None:
    from nianbao.training.pretrain import pretrain
    from nianbao.training.train import fit

    corpus = tmp_path / "corpus"
    corpus.mkdir()
    for i in range(3):
        (corpus / f"r{i}.txt").write_text(toy_doc(random.Random(i))[0] * 3, encoding="utf-8")
    cfg = smoke_config(tmp_path, tmp_path / "unused", max_steps=3)
    res = pretrain(cfg, corpus, tmp_path / "pre")
    assert res.steps == 3 and res.train_loss > 0
    data = toy_corpus(tmp_path / "data", 8, seed=3)
    result = fit(smoke_config(tmp_path, data, base_model=str(tmp_path / "pre"), max_steps=2, export_onnx=False,
                              bench_docs=0))
    assert result["steps"] == 2


# ---------------------------------------------------------------- ONNX and runtime choice
def test_onnx_equals_torch_within_tolerance(trained: tuple[Path, dict]) -> None:
    folder, result = trained
    verdict = json.loads((folder / "onnx_verify.json").read_text(encoding="utf-8"))
    assert verdict["passed"] and verdict["max_abs_diff_probs"] <= 1e-5 and verdict["max_abs_diff_logits"] < 1e-3
    texts = [toy_doc(random.Random(s))[0] * 3 for s in range(3)]
    a = ModelTagger(folder, runtime="torch").probabilities(texts)
    b = ModelTagger(folder, runtime="onnx").probabilities(texts)
    for x, y in zip(a, b, strict=True):
        assert np.abs(x - y).max() <= 1e-5
    assert choose_runtime(folder, "auto") == "onnx"
    assert load_model_tagger(PipelineConfig(model_dir=folder, runtime="auto")).runtime == "onnx"


def test_stale_onnx_is_not_used(trained: tuple[Path, dict], tmp_path: Path) -> None:
    import shutil

    folder = tmp_path / "copy"
    shutil.copytree(trained[0], folder)
    with open(folder / "model.onnx", "ab") as f:
        f.write(b"\0")
    assert choose_runtime(folder, "auto") == "torch"
    with pytest.raises(StageError, match="E_ONNX_UNVERIFIED"):
        choose_runtime(folder, "onnx")


# ---------------------------------------------------------------- safe loading
def test_load_refuses_pickled_weights(trained: tuple[Path, dict], tmp_path: Path) -> None:
    import shutil

    import torch

    folder = tmp_path / "pickled"
    shutil.copytree(trained[0], folder)
    state = load_torch_model(folder).state_dict()
    (folder / "model.safetensors").unlink()
    torch.save(state, folder / "pytorch_model.bin")
    with pytest.raises(StageError, match="E_MODEL_PICKLE"):
        ModelTagger(folder, runtime="torch")
    from nianbao.training.model import load_base_model

    with pytest.raises(StageError, match="E_MODEL_PICKLE"):
        load_base_model(folder)


def test_missing_model_folder_says_what_to_do(tmp_path: Path) -> None:
    with pytest.raises(StageError, match="E_MODEL_MISSING.*--no-model"):
        load_model_tagger(PipelineConfig(model_dir=tmp_path / "nope"))


@pytest.mark.parametrize("module", ["nianbao.tagger.charmap", "nianbao.tagger.windows", "nianbao.tagger.runtime",
                                    "nianbao.tagger.onnx_export", "nianbao.training.tagger_data",
                                    "nianbao.training.card"])
def test_docstring_examples(module: str) -> None:
    import doctest
    import importlib

    result = doctest.testmod(importlib.import_module(module))
    assert result.attempted > 0 and result.failed == 0
