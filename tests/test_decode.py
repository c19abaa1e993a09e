"""Constrained decoding of the tagger's probabilities (nianbao.tagger.decode)."""

from __future__ import annotations

import numpy as np
import pytest

from nianbao.labels.tags import LABELS
from nianbao.tagger.decode import decode, starts_block


def probs_for(text: str, tagged: list[tuple[int, int, str]]) -> np.ndarray:
    """Confident probabilities that put BIO labels of ``tagged`` spans on ``text`` and O elsewhere."""
    p = np.full((len(text), len(LABELS)), 0.01, dtype=np.float32)
    p[:, 0] = 0.9
    for a, b, tag in tagged:
        for i in range(a, b):
            p[i, 0] = 0.01
            p[i, LABELS.index(("B-" if i == a else "I-") + tag)] = 0.9
    return p


def spans(text: str, tagged: list[tuple[int, int, str]]) -> list[tuple[str, str]]:
    return [(t.tag, text[t.start:t.end]) for t in decode(text, probs_for(text, tagged))]


def test_heading_fragment_inside_prose_is_dropped() -> None:
    text = "实现了政务信息“一般事项公开向重点事项公开”转变。"
    i = text.index("一般")
    assert spans(text, [(i, i + 4, "SEC")]) == []


def test_lone_numeral_of_a_subsection_is_not_a_heading() -> None:
    text = "### 一、加强组织领导,压实工作责任\n正文。"
    i = text.index("一")
    assert spans(text, [(i, i + 2, "SEC")]) == []


def test_heading_cut_short_runs_to_the_end_of_its_line() -> None:
    text = "## 一、总体情况\n\n2019年,我区推进公开。"
    i = text.index("一")
    assert spans(text, [(i, i + 4, "SEC")]) == [("SEC", "一、总体情况")]


def test_heading_with_a_remark_keeps_it_and_swallows_inner_tags() -> None:
    text = "四、政府信息公开行政复议(各相关单位)、行政诉讼情况(请市法院填报)\n正文"
    a = text.index("议(")
    b = text.index("行政诉讼")
    got = spans(text, [(0, a, "SEC"), (a + 8, a + 9, "ROW"), (b, b + 6, "SEC")])
    assert got == [("SEC", "四、政府信息公开行政复议(各相关单位)、行政诉讼情况(请市法院填报)")]


def test_heading_does_not_swallow_the_sentence_after_it() -> None:
    text = "一、总体情况。全年共受理申请5件。"
    assert spans(text, [(0, 6, "SEC")]) == [("SEC", "一、总体情况")]


def test_heading_glued_after_a_table_number_is_kept() -> None:
    text = "行政事业性收费0三、收到和处理政府信息公开申请情况全年无申请。"
    a = text.index("三")
    got = spans(text, [(a - 1, a, "VAL"), (a, a + 17, "SEC")])
    assert got == [("VAL", "0"), ("SEC", "三、收到和处理政府信息公开申请情况")]


def test_other_tags_are_left_as_the_model_said() -> None:
    text = "规章\t0\t1\t2\n"
    tagged = [(0, 2, "ROW"), (3, 4, "VAL"), (5, 6, "VAL"), (7, 8, "VAL")]
    assert spans(text, tagged) == [("ROW", "规章"), ("VAL", "0"), ("VAL", "1"), ("VAL", "2")]


@pytest.mark.parametrize(("text", "pos", "expected"), [
    ("一、总体情况", 0, True), ("\n\u3000\u3000二、主动公开", 3, True), ("情况。三、收到", 3, True),
    ("行政强制4项、行政给付", 5, False), ("| 五、存在问题", 2, True), ("信息公开二、主动", 4, False),
])
def test_starts_block(text: str, pos: int, expected: bool) -> None:
    assert starts_block(text, pos) is expected
