"""The cheap not-a-report path: pages without a report cue skip the tagger and get the same record."""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from nianbao.inputs import InputItem, iter_inputs
from nianbao.labels.gold import STYLES
from nianbao.normalise import normalise_text
from nianbao.pipeline import Pipeline, PipelineConfig
from nianbao.rules.prefilter import has_report_cues
from nianbao.training.synth_corpus import generate_one
from nianbao.training.synth_html import article_page


def _records(items: list[InputItem], **config: object) -> list[dict]:
    pipe = Pipeline(PipelineConfig(**config))  # type: ignore[arg-type]
    return [d.to_record() for d in pipe.process_batch(items)]


def test_every_real_text_has_report_cues(corpus_root: Path) -> None:
    """No real report (labelled or crawl-series) would be decided before the model."""
    items = [i for i in iter_inputs([corpus_root]) if i.error is None]
    assert len(items) >= 40
    for item in items:
        text, _ = normalise_text(item.data.decode("utf-8"), item.kind)
        assert has_report_cues(text), item.source


def test_synthetic_reports_keep_their_decision() -> None:
    """Every style: the decision with the prefilter equals today's (rules-only, both ways)."""
    items = []
    for style in STYLES:
        for i in range(6):
            g = generate_one(4242, i, style)
            items.append(InputItem(source=g.name, data=g.text.encode("utf-8"), text=g.text))
    on = _records(items, use_model=False)
    off = _records(items, use_model=False, prefilter=False)
    assert [r["status"] for r in on] == [r["status"] for r in off]
    assert on == off


def test_article_pages_skip_the_model_with_the_same_record() -> None:
    items = [InputItem(source=f"a{i}.html", data=article_page(random.Random(i)).encode("utf-8"), kind="html")
             for i in range(4)]
    pipe = Pipeline(PipelineConfig())
    calls = []
    real_tag = pipe.tagger.tag
    pipe.tagger.tag = lambda docs: calls.append(len(docs)) or real_tag(docs)  # type: ignore[method-assign]
    on = [d.to_record() for d in pipe.process_batch(items)]
    assert calls == []  # the model never ran
    off = _records(items, prefilter=False)
    assert on == off and {r["status"] for r in on} == {"not_a_report"}
    assert on[0]["model"] is not None and on[0]["meta"]  # the model named, meta read as before


@pytest.mark.parametrize("text", ["一、总体情况\n本年度...", "第二十条第(一)项", "（一）本年新收政府信息公开申请数量"])
def test_a_single_cue_is_enough(text: str) -> None:
    assert has_report_cues(text)


def test_bench_warc_mix(tmp_path: Path) -> None:
    """The benchmark's WARCs: reports only, and one report in ten among article pages (rules-only here)."""
    from nianbao.evaluation.bench_warc import make_warcs, time_parse

    paths = make_warcs(tmp_path, 10)
    config = PipelineConfig(use_model=False)
    _, n, statuses = time_parse(paths["mixed"], config)
    assert n == 10 and statuses == {"ok": 1, "not_a_report": 9}
    _, n, statuses = time_parse(paths["reports"], config)
    assert n == 10 and statuses == {"ok": 10}
