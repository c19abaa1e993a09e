"""The metamorphic robustness check: tuning reports perturbed the ways crawled copies differ keep every value."""

from __future__ import annotations

import random

import pytest
from conftest import GOLD_DIR

from nianbao.evaluation import robustness
from nianbao.evaluation.robustness import PERTURBATIONS, markdown, run

DOCS = ["seeds-000", "seeds-003", "seeds-004", "pdf-hongze-2024-raw"]  # blanks, v2019 + pinyin, glued runs, pdf


def digits(text: str) -> str:
    """The text's digits in order, full-width ones folded."""
    return "".join(str(int(c)) for c in text if c.isdigit())


def test_perturbations_keep_every_digit() -> None:
    text = "一、总体情况\n自然人\t3\t0\t12\n|1|0|2|\n共收到申请15件。\n"
    from nianbao.normalise.html import html_to_text

    for name, (fn, kind) in PERTURBATIONS.items():
        out = fn(text, random.Random(1))
        if kind == "html":  # a page's markup holds digits of its own (widths, font sizes): read the page
            out = html_to_text(out)[0]
        assert digits(text) in digits(out), name


@pytest.mark.usefixtures("corpus_root")
def test_tuning_reports_survive_every_perturbation(corpus_root) -> None:
    scores = run(GOLD_DIR, corpus_root, docs=DOCS)
    table = markdown(scores)
    for name, s in scores.items():
        assert s.docs == len(DOCS), name
        assert (s.accuracy, s.silent, s.template_wrong, s.failed) == (1.0, 0, 0, 0), f"{name}\n{table}"
        if name != "dropped_chars":  # a dropped character may be one of the title's
            assert s.meta_right == s.meta, f"{name}\n{table}"
    assert robustness.Score().accuracy is None
