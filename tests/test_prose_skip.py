"""Prose-only windows left untagged: which windows, the probabilities that must not move, the records."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from nianbao.inputs import InputItem
from nianbao.labels.tags import LABELS
from nianbao.pipeline import Pipeline, PipelineConfig
from nianbao.tagger.prose import (
    CUE_STARTS,
    GUARDED_CUE,
    HEADING_CUE,
    HEADING_REACH,
    MARGIN,
    SECTION_LINE,
    TABLE_CUE,
    TABLE_WORDS,
    _heading_at,
    candidate_mask,
    needed_windows,
)
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


# characters the cues are made of, with prose and line breaks around them
_ALPHABET = sorted(set(CUE_STARTS + "".join(TABLE_WORDS) + "\n\r一二三、.．本机关年度工作收到申请0Ａ") | {"x", "，", "。"})


@settings(max_examples=400, deadline=None)
@given(st.text(alphabet=_ALPHABET, max_size=80))
def test_the_guarded_cue_finds_what_the_cue_finds(text: str) -> None:
    """The look at the first character only skips positions where no alternative begins."""
    assert [m.span() for m in GUARDED_CUE.finditer(text)] == [m.span() for m in TABLE_CUE.finditer(text)]


@pytest.mark.parametrize("cue", [*TABLE_WORDS, "|", "\t", "  3", "\u3000\u3000表", "\xa0\xa00", " 0 ", "\n/\n",
                                 "\n—\n", "\n-3\n", "\n.5\n", "０００００", "12345"])
def test_every_cue_begins_with_a_guarded_character(cue: str) -> None:
    text = "。" + cue + "\n"
    found = [m.span() for m in TABLE_CUE.finditer(text)]
    assert found and found == [m.span() for m in GUARDED_CUE.finditer(text)], cue


def _reference_mask(text: str, margin: int = MARGIN) -> np.ndarray:
    """``candidate_mask`` as first written: the unguarded pattern, a mark array added to with ``np.add.at``."""
    spans = [(m.start() - margin, m.end() + margin) for m in TABLE_CUE.finditer(text)]
    spans += [(m.start(), m.end() + HEADING_REACH) for m in HEADING_CUE.finditer(text) if _heading_at(text, m.start())]
    spans += [m.span() for m in SECTION_LINE.finditer(text)]
    marks = np.zeros(len(text) + 1, dtype=np.int32)
    if spans:
        at = np.clip(np.asarray(spans, dtype=np.int64), 0, len(text))
        np.add.at(marks, at[:, 0], 1)
        np.add.at(marks, at[:, 1], -1)
    return np.cumsum(marks[:-1]) > 0


@pytest.mark.parametrize("seed", range(6))
def test_candidate_mask_is_the_reference_mask(seed: int) -> None:
    text = generate_one(seed, 2).text.replace("\n\n", "\n" + PROSE + "\n", 4)
    assert np.array_equal(candidate_mask(text), _reference_mask(text))
    assert np.array_equal(candidate_mask(PROSE), _reference_mask(PROSE)) and not candidate_mask(PROSE).any()
    assert candidate_mask("").shape == (0,)


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
