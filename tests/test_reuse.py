"""The cross-read takes over tables no probability decided: the same reading, the same tally, or no take-over."""

from __future__ import annotations

from typing import Any

import pytest

from nianbao.document import Document, TagSpan
from nianbao.inputs import InputItem
from nianbao.labels.catalogue import table_of
from nianbao.pipeline import Pipeline, PipelineConfig
from nianbao.rules.budget import Budget, Spent, mark, replay, spent_since, tally
from nianbao.rules.crossread import reader_document
from nianbao.rules.meta import extract_meta
from nianbao.rules.reuse import Certificate, event_keys
from nianbao.rules.sections import detect_sections
from nianbao.rules.tables import build
from nianbao.rules.template import detect_template
from nianbao.tagger.runtime import default_model_dir, onnx_verified
from nianbao.training.synth_corpus import generate_one

STYLES = ("glued_lines", "crawl", "pipe_cells", "tsv_markdown", "pdf_layout", "pdf_raw")


@pytest.fixture(scope="module")
def tagged() -> list[Document]:
    """Synthetic reports of several styles, tagged by the shipped model and through the stages before tables."""
    if not onnx_verified(default_model_dir())[0]:
        pytest.skip("the shipped model has no verified ONNX export")
    pipe = Pipeline(PipelineConfig(runtime="onnx", threads=1))
    items = [InputItem(source=f"r{i}.txt", data=generate_one(23, i, STYLES[i % len(STYLES)]).text.encode())
             for i in range(18)]
    docs = [pipe.start(item) for item in items]
    pipe.tagger.tag(docs)
    out = []
    for d in docs:
        d = extract_meta(detect_sections(d))
        d.template = detect_template(d)  # type: ignore[assignment]
        out.append(d)
    return out


def _second_reading(doc: Document, reuse: bool) -> tuple[Document, Any, Any]:
    """The model's build (certifying) and the reader's, with or without taking tables over, in one tally."""
    mine = doc.model_copy(deep=True)
    mine.char_probs = doc.char_probs
    with tally() as steps:
        built = build(mine, certify=True)
        twin = reader_document(mine)
        build(twin, reuse=built.certified if reuse else None)
    return twin, steps, built


def test_taking_tables_over_reads_what_reading_them_again_reads(tagged: list[Document]) -> None:
    taken = 0
    for doc in tagged:
        again, steps_again, built = _second_reading(doc, reuse=False)
        took, steps_took, _ = _second_reading(doc, reuse=True)
        assert {f: (v.value, v.raw, v.unit) for f, v in took.fields.items()} == \
               {f: (v.value, v.raw, v.unit) for f, v in again.fields.items()}, doc.source
        for f, v in took.fields.items():  # a table read again keeps its own spans; a taken-over one, the model's
            if table_of(f) not in built.certified:
                assert v.norm_span == again.fields[f].norm_span
        assert (steps_took.steps, steps_took.by_search, steps_took.peak) == \
               (steps_again.steps, steps_again.by_search, steps_again.peak)
        taken += len(built.certified)
    assert taken >= len(tagged), "most tables of these reports have one reading per row"


def test_records_are_the_same_with_and_without_taking_over(tagged: list[Document],
                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    items = [InputItem(source=d.source, data=d.text.encode()) for d in tagged]
    pipe = Pipeline(PipelineConfig(runtime="onnx", threads=1))
    records = [d.to_record() for d in pipe.process_batch(items)]
    monkeypatch.setattr(Certificate, "fits", lambda *a, **k: False)
    assert [d.to_record() for d in pipe.process_batch(items)] == records


def _certified(text: str, tags: list[tuple[int, int, str]]) -> tuple[Document, Any]:
    doc = Document(norm_text=text, text=text)
    doc.tags = [TagSpan(start=s, end=e, tag=t) for s, e, t in tags]
    doc.template = "v2021"
    doc = detect_sections(doc)
    doc.char_probs = None
    return doc, build(doc, certify=True)


T2 = "二、主动公开政府信息情况\n第二十条第(一)项\n信息内容\t本年制发件数\t本年废止件数\t现行有效件数\n规章\t{}\n"


def _t2_doc(*values: str) -> tuple[Document, Any]:
    """Table 2 with one row, ``规章``, whose values are printed tab-separated, each one VAL tag."""
    text = T2.format("\t".join(values))
    head = text.index("二、")
    row = text.index("规章")
    tags = [(head, head + len("二、主动公开政府信息情况"), "SEC"), (row, row + 2, "ROW")]
    at = row + 3
    for value in values:
        tags.append((at, at + len(value), "VAL"))
        at += len(value) + 1
    cols = [(text.index(c), text.index(c) + len(c), "COL") for c in ("本年制发件数", "本年废止件数", "现行有效件数")]
    return _certified(text, sorted(tags + cols))


def test_a_row_with_one_reading_is_certified_and_a_glued_row_with_several_is_not() -> None:
    doc, plain = _t2_doc("3", "0", "5")
    assert set(plain.certified["t2"].fields) == {f for f in doc.fields if f.startswith("t2.")} != set()
    _, glued = _t2_doc("3055")  # three cells glued: 3|0|55 or 30|5|5, which only a probability could rank
    assert "t2" not in glued.certified


def test_a_certificate_fits_only_the_same_events_answers_and_budget() -> None:
    doc, built = _t2_doc("3", "0", "5")
    cert = built.certified["t2"]
    from nianbao.rules.events import collect_events, split_tables

    evs = split_tables(collect_events(doc))["t2"]
    starts = sorted(t.start for t in doc.tags)
    n = len(doc.norm_text)
    assert event_keys(evs) == cert.events
    assert cert.fits(evs, starts, n, 10_000)
    assert not cert.fits(evs[:-1], starts, n, 10_000)  # a value fewer
    moved = Certificate(cert.events, ((0, n + 1),), cert.spent, cert.fields)  # another answer to a question
    assert not moved.fits(evs, starts, n, 10_000)
    costly = Certificate(cert.events, cert.queries, Spent(5, {"digits.row": 5}), cert.fields)
    with tally():
        Budget("digits.row", 100).spend(8)
        assert costly.fits(evs, starts, n, 13) and not costly.fits(evs, starts, n, 12)  # 5 steps left, or 4


def test_replay_counts_the_same_steps_and_peaks() -> None:
    with tally() as first:
        m = mark()
        Budget("digits.row", 100).spend(7)
        Budget("digits.row", 100).spend(3)
        Budget("stream.segment", 100).spend(2)
        spent = spent_since(m)
    with tally() as second:
        Budget("digits.row", 100).spend(5)
        replay(spent)
    assert second.by_search == {"digits.row": 15, "stream.segment": 2} and second.steps == 17
    assert second.peak == first.peak == {"digits.row": 7, "stream.segment": 2}
    with tally():
        m = mark()
        Budget("digits.row", 1).spend(2)
        ran_out = spent_since(m)
    assert ran_out.exhausted
    with pytest.raises(ValueError):
        replay(ran_out)


def test_a_reading_that_looked_past_its_tags_fits_only_where_the_next_tag_is_the_same() -> None:
    """A row with no value tags is read from the untagged text up to the next tag: the certificate holds that
    question, and tags that put the next tag elsewhere are told apart."""
    text = T2.format("3\t0\t5")
    head, row = text.index("二、"), text.index("规章")
    cols = [(text.index(c), text.index(c) + len(c), "COL") for c in ("本年制发件数", "本年废止件数", "现行有效件数")]
    doc, built = _certified(text, sorted([(head, head + 12, "SEC"), (row, row + 2, "ROW"), *cols]))
    assert [doc.fields[f"t2.regulations.{c}"].value for c in ("issued", "repealed", "in_force")] == [3, 0, 5]
    cert = built.certified["t2"]
    assert (row + 2, len(text)) in cert.queries
    from nianbao.rules.events import collect_events, split_tables

    evs = split_tables(collect_events(doc))["t2"]
    starts = sorted(t.start for t in doc.tags)
    assert cert.fits(evs, starts, len(text), 10_000)
    assert not cert.fits(evs, sorted([*starts, row + 5]), len(text), 10_000)  # a tag inside the row's values
