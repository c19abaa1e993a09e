"""Fuzzing the parse pipeline: random bytes, random Unicode, random HTML and mutated real reports.

Whatever comes in, one input gives exactly one ``Document``, with status ok,
not_a_report or error; an error carries a code, a stage and a message; and no
stage crashes (``E_INTERNAL`` is a stage's unexpected exception turned into a
record: a bug to fix). Two runners share the cases: ``start`` (decode and
normalise) and ``process`` (the whole pipeline, rules-only reader); the
latter skips while the rule layer is not importable. 1,300 cases per runner,
derandomised so that CI is reproducible.
"""

from __future__ import annotations

import codecs
import importlib.util
from pathlib import Path

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from nianbao.document import Document
from nianbao.inputs import InputItem
from nianbao.pipeline import Pipeline, PipelineConfig

STATUSES = {"ok", "not_a_report", "error"}
RULE_MODULES = ("nianbao.rules.reader", "nianbao.rules.template", "nianbao.rules.sections", "nianbao.rules.tables")


def fuzz(n: int):  # noqa: ANN201 - a hypothesis settings decorator
    """Settings for one fuzz family: ``n`` cases, reproducible, no deadline (the machine is shared)."""
    return settings(max_examples=n, deadline=None, derandomize=True, database=None,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])


def rules_available() -> bool:
    """Whether the rule layer that ``Pipeline.process`` needs is in the tree yet."""
    return all(importlib.util.find_spec(m) is not None for m in RULE_MODULES)


@pytest.fixture(scope="module", params=["start", "process"])
def run(request: pytest.FixtureRequest):  # noqa: ANN201 - Callable[[InputItem], Document]
    pipeline = Pipeline(PipelineConfig(use_model=False, max_bytes=200_000))
    if request.param == "start":
        return pipeline.start
    if not rules_available():
        pytest.skip(f"rule layer not in the tree yet ({', '.join(RULE_MODULES)}): fuzzing start() only")
    return pipeline.process


class Texts(list):
    """The real reports, with a short repr (hypothesis prints a failing case's arguments)."""

    def __repr__(self) -> str:
        return f"<{len(self)} real report texts>"


@pytest.fixture(scope="module")
def seed_texts(corpus_root: Path) -> Texts:
    return Texts(p.read_text(encoding="utf-8") for p in sorted(corpus_root.glob("*/*.txt")))


def check(run, item: InputItem) -> Document:  # noqa: ANN001 - the runner fixture
    """Run one input and check the invariants every record must hold."""
    doc = run(item)
    assert isinstance(doc, Document)
    assert doc.status in STATUSES
    assert doc.source == item.source
    if doc.status == "error":
        assert doc.error is not None and doc.error.code and doc.error.stage and doc.error.message
        assert doc.error.code != "E_INTERNAL", doc.error.message
    else:
        assert doc.error is None
        assert len(doc.offsets) == len(doc.norm_text) and doc.offsets.source_len == len(doc.text)
        assert all(0 <= a < b <= len(doc.norm_text) for a, b in doc.boilerplate)
    record = doc.to_record()
    assert record["status"] == doc.status and record["source"] == item.source
    return doc


@given(data=st.binary(max_size=3000), kind=st.sampled_from(["text", "html"]))
@fuzz(400)
def test_random_bytes(run, data: bytes, kind: str) -> None:  # noqa: ANN001
    check(run, InputItem(source="fuzz.bin", data=data, kind=kind))


@given(text=st.text(max_size=2000), kind=st.sampled_from(["text", "html"]), as_jsonl=st.booleans())
@example(text="第二十条第八项", kind="text", as_jsonl=False)  # a table title alone: no tag for the reader
@fuzz(300)
def test_random_unicode(run, text: str, kind: str, as_jsonl: bool) -> None:  # noqa: ANN001
    try:
        data = text.encode("utf-8")
    except UnicodeEncodeError:  # a lone surrogate: only reachable through a JSONL record's decoded text
        data = text.encode("utf-8", "surrogatepass")
    check(run, InputItem(source="fuzz.jsonl#1", data=data, kind=kind, text=text if as_jsonl else None))


HTML_BITS = ["<p>", "</p>", "<br>", "<table>", "<tr>", "<td>", "</td>", "</tr>", "</table>", "<th>", "<div>",
             "<script>", "</script>", "<style>", "<!--", "-->", "<![CDATA[", "]]>", "<!DOCTYPE html>", "<?xml?>",
             "&nbsp;", "&amp;", "&#0;", "&#xD800;", "&#99999999;", "&", "<", ">", "\"", "'", "=", "</", "<a href='x>",
             "一、总体情况", "(一)予以公开", "0000000", "阅读数:", "首页", "\t", "\n", " ", "鎮(zhèn)"]


@given(st.lists(st.sampled_from(HTML_BITS), max_size=80).map("".join))
@fuzz(200)
def test_random_html(run, page: str) -> None:  # noqa: ANN001
    check(run, InputItem(source="fuzz.html", data=page.encode("utf-8"), kind="html"))


def _mutate(data: st.DataObject, text: str) -> tuple[bytes, str]:
    """One to three random edits of a real report, then one random encoding."""
    for _ in range(data.draw(st.integers(1, 3))):
        op = data.draw(st.sampled_from(["cut", "dup", "insert", "truncate", "swap", "digits", "html"]))
        a = data.draw(st.integers(0, len(text)))
        b = data.draw(st.integers(a, min(len(text), a + 400)))
        if op == "cut":
            text = text[:a] + text[b:]
        elif op == "dup":
            text = text[:b] + text[a:b] + text[b:]
        elif op == "insert":
            text = text[:a] + data.draw(st.text(max_size=20)) + text[a:]
        elif op == "truncate":
            text = text[:a]
        elif op == "swap":
            text = text[a:] + text[:a]
        elif op == "digits":
            text = text[:a] + "".join(data.draw(st.lists(st.sampled_from("0123456789|\t /—"), max_size=30))) + text[b:]
        elif op == "html":
            text = text[:a] + "<td>" + text[a:b] + "</td>" + text[b:]
    encoding = data.draw(st.sampled_from(["utf-8", "utf-8-sig", "utf-16", "gb18030", "big5", "nul"]))
    if encoding == "nul":
        raw = text.encode("utf-8", "surrogatepass")
        k = data.draw(st.integers(0, len(raw)))
        return raw[:k] + b"\x00" + raw[k:], "text"
    try:
        raw = text.encode(encoding)
    except UnicodeEncodeError:
        raw = codecs.BOM_UTF8 + text.encode("utf-8", "surrogatepass")
    return raw, data.draw(st.sampled_from(["text", "html"]))


@given(data=st.data())
@fuzz(400)
def test_mutated_real_reports(run, seed_texts: Texts, data: st.DataObject) -> None:  # noqa: ANN001
    text = seed_texts[data.draw(st.integers(0, len(seed_texts) - 1), label="report")]
    raw, kind = _mutate(data, text)
    check(run, InputItem(source="mutant.txt", data=raw, kind=kind))


def test_real_reports_never_fail(run, corpus_root: Path) -> None:  # noqa: ANN001
    """Every real report (seeds, PDF extractions, crawls) decodes and normalises: no error record."""
    for path in sorted(corpus_root.glob("*/*.txt")):
        doc = check(run, InputItem(source=str(path), data=path.read_bytes()))
        assert doc.status != "error", (path.name, doc.error)
