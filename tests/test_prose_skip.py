"""Prose-only windows left untagged: which windows, the probabilities that must not move, the records."""

from __future__ import annotations

import numpy as np
import pytest

from nianbao.inputs import InputItem
from nianbao.labels.tags import LABELS
from nianbao.pipeline import Pipeline, PipelineConfig
from nianbao.tagger.prose import MARGIN, candidate_mask, needed_windows
from nianbao.tagger.runtime import ModelTagger, default_model_dir, onnx_verified
from nianbao.tagger.windows import plan_windows
from nianbao.training.synth_corpus import generate_one

PROSE = "本机关坚持以习近平新时代中国特色社会主义思想为指导，认真贯彻落实党中央决策部署，持续深化政务公开工作。" * 6
TABLE = "\n（一）本年新收政府信息公开申请数量\n3\n0\n0\n0\n0\n0\n3\n"


def test_prose_windows_are_left_out_and_table_windows_kept() -> None:
    text = PROSE + "\n一、总体情况\n" + PROSE + TABLE + PROSE
    windows = plan_windows(len(text), 64, 16)
    keep = needed_windows(text, windows)
    assert not all(keep) and any(keep)
    heading, table = text.index("一、总体情况"), text.index("本年新收")
    for (s, e), kept in zip(windows, keep, strict=True):
        if s <= heading < e or s <= table < e:
            assert kept, (s, e)
        if not kept:  # a skipped window is prose: nothing a table or heading could be within the margin
            assert not candidate_mask(text)[s:e].any()


@pytest.mark.parametrize("cue", ["总计", "| 0 | 0 |", "0000000", "  3  ", "收费3\n四、政府信息公开行政复议"])
def test_table_and_heading_cues_are_candidates(cue: str) -> None:
    text = PROSE + cue + PROSE
    at = len(PROSE)
    mask = candidate_mask(text)
    assert mask[at:at + len(cue)].any(), cue
    assert not mask[:at - MARGIN - 1].any()


@pytest.fixture(scope="module")
def taggers() -> dict[bool, ModelTagger]:
    folder = default_model_dir()
    if not onnx_verified(folder)[0]:
        pytest.skip(f"the shipped model has no verified ONNX export: {onnx_verified(folder)[1]}")
    return {skip: ModelTagger(folder, runtime="onnx", threads=1, skip_prose=skip) for skip in (True, False)}


def test_candidate_probabilities_are_the_full_runs(taggers: dict[bool, ModelTagger]) -> None:
    """Every window covering a candidate is tagged, so a candidate's probabilities are exactly the full run's;
    a character no tagged window covers reads O with probability 1."""
    text = generate_one(5, 3).text.replace("\n\n", "\n" + PROSE + "\n", 3)
    skip, full = (taggers[s].probabilities([text])[0] for s in (True, False))
    mask = candidate_mask(text)
    assert np.array_equal(skip[mask], full[mask])
    windows = plan_windows(len(text), taggers[True].spec.window, taggers[True].spec.overlap)
    kept = [w for w, k in zip(windows, needed_windows(text, windows), strict=True) if k]
    assert len(kept) < len(windows), "the test text must hold a prose-only window"
    covered = np.zeros(len(text), dtype=bool)
    for s, e in kept:
        covered[s:e] = True
    assert (~covered).any()
    onehot = np.zeros(len(LABELS), dtype=np.float32)
    onehot[0] = 1.0
    assert (skip[~covered] == onehot).all()


def test_records_are_the_same_with_and_without_the_skip(taggers: dict[bool, ModelTagger]) -> None:
    items = [InputItem(source=f"s{i}.txt", data=generate_one(11, i).text.encode()) for i in range(12)]
    records = {}
    for skip in (True, False):
        pipe = Pipeline(PipelineConfig(skip_prose=skip, runtime="onnx", threads=1))
        records[skip] = [d.to_record() for d in pipe.process_batch(items)]
    assert records[True] == records[False]
    assert sum(r["status"] == "ok" for r in records[True]) >= 10
