"""Label Studio round trip: config, gold -> task -> export -> gold, predictions, ML backend."""

from __future__ import annotations

import base64
import json
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from studio_fixtures import REPORT, TOKEN, FakePredictor, find, make_gold, simulate_export

from nianbao.document import Cell, Document, Section, Table, TagSpan
from nianbao.labels.gold import GoldDoc, GoldField, GoldSpan
from nianbao.labels.ml_backend import Limits, create_app
from nianbao.labels.studio import (
    ID_BOX,
    VALUE_BOX,
    document_to_prediction,
    gold_to_task,
    label_config,
)
from nianbao.labels.studio_export import ExportError, convert_export, export_to_gold, gold_to_examples
from nianbao.labels.tags import ENTITY_TYPES, LABELS
from nianbao.offsets import OffsetBuilder


# ------------------------------------------------------------------ config
def test_config_parses_and_lists_every_tag() -> None:
    root = ET.fromstring(label_config())
    labels = root.find(".//Labels[@name='tag']")
    assert labels is not None and labels.get("toName") == "text"
    assert [el.get("value") for el in labels.iter("Label")] == list(ENTITY_TYPES)
    text = root.find(".//Text[@name='text']")
    assert text is not None and text.get("granularity") == "symbol" and text.get("value") == "$text"
    assert [c.get("value") for c in root.find(".//Choices[@name='template']").iter("Choice")] == [
        "v2021",
        "v2019",
        "none",
    ]
    per_region = {el.get("name") for el in root.iter("TextArea") if el.get("perRegion") == "true"}
    assert per_region == {ID_BOX, VALUE_BOX}
    names = [el.get("name") for el in root.iter() if el.get("name")]
    assert len(names) == len(set(names))


def test_config_valid_for_the_sdk() -> None:
    from label_studio_sdk.label_interface import LabelInterface

    interface = LabelInterface(label_config())
    interface.validate()  # raises on an invalid config
    assert set(interface.get_control("tag").labels) == set(ENTITY_TYPES)


# ------------------------------------------------------------------ gold -> task -> export -> gold
@pytest.mark.parametrize("gold_as", ["annotation", "prediction"])
def test_round_trip_inline_gold_is_lossless(gold_as: str) -> None:
    gold = make_gold()
    task = gold_to_task(gold, gold_as=gold_as)
    assert task["data"]["text"] == REPORT and task["data"]["sha256"] == gold.sha256
    back = export_to_gold(simulate_export([task], accept_predictions=gold_as == "prediction"))
    assert back == [gold]


def test_round_trip_corpus_gold_keeps_source_and_no_text() -> None:
    gold = make_gold(inline=False)
    with pytest.raises(ValueError, match="no inline text"):
        gold_to_task(gold)
    task = gold_to_task(gold, text=REPORT)
    assert task["data"]["inline"] is False
    (back,) = export_to_gold(simulate_export([task]))
    assert back == gold and back.text is None and back.source == "synthetic/pipe-1.txt"


def test_offsets_survive_exactly() -> None:
    gold = make_gold()
    (back,) = export_to_gold(simulate_export([gold_to_task(gold)]))
    for span in back.spans:
        assert (span.start, span.end) in {(s.start, s.end) for s in gold.spans}
    blank = back.fields["t3.new_received.research"]
    assert REPORT[blank.span[0] : blank.span[1]] == "|" and blank.value is None and blank.raw is None
    assert back.fields["t3.carried_over.natural_person"].span == (len(REPORT) - 4, len(REPORT) - 4)


def test_values_come_from_the_annotator() -> None:
    """Without a value box the value is the marked characters' reading; a typed value wins."""
    gold = make_gold()
    export = simulate_export([gold_to_task(gold)])
    result = export[0]["annotations"][0]["result"]
    boxes = [r for r in result if r["from_name"] == VALUE_BOX]
    by_field = {r["value"]["start"]: r for r in boxes}
    result[:] = [r for r in result if r["from_name"] != VALUE_BOX or r["value"]["start"] == -1]
    corrected = dict(by_field[gold.fields["t3.new_received.total"].span[0]])
    corrected["value"] = {**corrected["value"], "text": ["13"]}  # the annotator corrects a misprint
    result.append(corrected)
    (back,) = export_to_gold(export)
    assert back.fields["t2.regulations.repealed"].value == 0  # read from the full-width '０'
    assert back.fields["t2.fees.amount"].model_dump() == {
        "value": 8.3,
        "raw": None,
        "unit": "万元",
        "span": gold.fields["t2.fees.amount"].span,
    }
    assert back.fields["t3.new_received.social_welfare"].raw == "/"
    assert back.fields["t3.new_received.legal_service"].value == 1203  # thousands separator dropped
    assert back.fields["t3.new_received.legal_service"].raw is None
    assert back.fields["t3.new_received.total"].value == 13


def test_export_problems_are_reported_not_dropped() -> None:
    gold = make_gold()
    export = simulate_export([gold_to_task(gold), gold_to_task(gold)])
    first = export[0]["annotations"][0]["result"]
    first[:] = [r for r in first if r["from_name"] != "template"]
    for r in first:
        if r["from_name"] == ID_BOX and r["value"]["text"] == ["t3.new_received.commercial"]:
            r["value"]["text"] = ["t3.new_received.nonsense"]
    a, b = find(REPORT, "8.3万元")
    first.append(
        {
            "id": "x1",
            "from_name": "tag",
            "to_name": "text",
            "type": "labels",
            "value": {"start": a, "end": b + 1, "text": REPORT[a : b + 1], "labels": ["ROW"]},
        }
    )
    first.append(
        {
            "id": "x2",
            "from_name": "tag",
            "to_name": "text",
            "type": "labels",
            "value": {"start": 0, "end": 2, "text": "別的", "labels": ["ROW"]},
        }
    )
    export[1]["annotations"][0]["was_cancelled"] = True
    golds, problems = convert_export(export)
    codes = {p.code for p in problems}
    assert golds == []
    assert {"E_LS_TEMPLATE", "E_LS_FIELD", "E_LS_OVERLAP", "E_LS_OFFSET", "W_LS_UNANNOTATED"} <= codes
    with pytest.raises(ExportError) as err:
        export_to_gold(export)
    assert all(p.code.startswith("E_") for p in err.value.problems)


def test_utf16_offsets_are_converted() -> None:
    text = "𠀀某镇\n| 规章 | 7 |"
    a = text.index("7")
    export = [
        {
            "id": 1,
            "data": {"text": text, "name": "astral", "sha256": "0", "style": "pipe_lines", "inline": True},
            "annotations": [
                {
                    "id": 1,
                    "result": [
                        {
                            "id": "t",
                            "from_name": "template",
                            "to_name": "text",
                            "type": "choices",
                            "value": {"choices": ["v2021"]},
                        },
                        {
                            "id": "r",
                            "from_name": "tag",
                            "to_name": "text",
                            "type": "labels",
                            "value": {"start": a + 1, "end": a + 2, "text": "7", "labels": ["VAL"]},
                        },
                        {
                            "id": "r",
                            "from_name": "field",
                            "to_name": "text",
                            "type": "textarea",
                            "value": {"start": a + 1, "end": a + 2, "text": ["t2.regulations.issued"]},
                        },
                    ],
                }
            ],
        }
    ]
    (gold,) = export_to_gold(export)
    assert gold.spans[0].start == a and gold.fields["t2.regulations.issued"].value == 7


# ------------------------------------------------------------------ predictions
def _tag(doc: Document, sub: str, tag: str, score: float = 0.9, nth: int = 0) -> TagSpan:
    a, b = find(doc.norm_text, sub, nth)
    return TagSpan(start=a, end=b, tag=tag, score=score)


def test_prediction_maps_tags_to_original_text_hand_built_map() -> None:
    """A traditional + pinyin original, normalised by a hand-built map: regions land on the original."""
    b = OffsetBuilder()
    original = "三、收到和處(chù)理政府信息公開申請情況\n| 自然人 | 5 |"
    norm = "三、收到和处理政府信息公开申请情况\n| 自然人 | 5 |"
    i = 0
    for ch in norm:
        if original.startswith("(chù)", i):
            i += len("(chù)")
        b.emit(ch, i, i + 1)
        i += 1
    built, omap = b.build(len(original))
    assert built == norm
    doc = Document(text=original, norm_text=norm, template="v2019")
    doc.offsets = omap
    doc.tags = [
        _tag(doc, "三、收到和处理政府信息公开申请情况", "SEC"),
        _tag(doc, "自然人", "COL"),
        _tag(doc, "5", "VAL", 0.8),
    ]
    pred = document_to_prediction(doc, model_version="test-1")
    regions = {r["value"]["labels"][0]: r for r in pred["result"] if r["type"] == "labels"}
    assert regions["SEC"]["value"]["text"] == "三、收到和處(chù)理政府信息公開申請情況"
    for r in regions.values():
        v = r["value"]
        assert original[v["start"] : v["end"]] == v["text"]
    assert regions["VAL"]["value"]["text"] == "5" and regions["VAL"]["score"] == 0.8
    assert pred["model_version"] == "test-1" and 0 < pred["score"] <= 1
    assert [r for r in pred["result"] if r["type"] == "choices"][0]["value"]["choices"] == ["v2019"]


def test_prediction_through_the_real_normaliser() -> None:
    from nianbao.normalise import normalise_text

    original = (
        "## 三、收到和處(chù)理政府信息公開申請情況\n| 一、本年新收政府信息公開申請數(shù)量 | １２ | 0 |\n"
    )
    norm, omap = normalise_text(original)
    assert len(norm) < len(original)
    doc = Document(
        text=original,
        norm_text=norm,
        template="v2021",
        sections=[
            Section(
                id="s3", title="三、收到和处理政府信息公开申请情况", start=norm.index("三"), end=len(norm)
            )
        ],
    )
    doc.offsets = omap
    doc.tags = [
        _tag(doc, "三、收到和处理政府信息公开申请情况", "SEC"),
        _tag(doc, "一、本年新收政府信息公开申请数量", "ROW"),
        _tag(doc, "12", "VAL"),
        _tag(doc, "0", "VAL"),
    ]
    val = doc.tags[2]
    doc.tables = [
        Table(
            id="t3",
            cells=[
                Cell(
                    table="t3",
                    row=0,
                    col=0,
                    start=val.start,
                    end=val.end,
                    field="t3.new_received.natural_person",
                )
            ],
        )
    ]
    pred = document_to_prediction(doc)
    labels = [r for r in pred["result"] if r["type"] == "labels"]
    texts = {r["value"]["labels"][0] + ":" + r["value"]["text"] for r in labels}
    assert "ROW:一、本年新收政府信息公開申請數(shù)量" in texts
    assert "VAL:１２" in texts and "VAL:0" in texts
    assert all(original[r["value"]["start"] : r["value"]["end"]] == r["value"]["text"] for r in labels)
    boxes = {r["value"]["text"][0]: r for r in pred["result"] if r["from_name"] == ID_BOX}
    assert set(boxes) == {"s3", "t3.new_received.natural_person"}
    assert not [r for r in pred["result"] if r["from_name"] == VALUE_BOX]  # values never pre-filled
    from label_studio_sdk.label_interface import LabelInterface

    assert LabelInterface(label_config()).validate_prediction(pred)


def test_prediction_prefers_the_rule_layers_cells() -> None:
    """A glued run the rule layer split differently from the tags is offered as the rule layer's cells."""
    text = "| 规章 | 202 |"
    doc = Document(text=text, norm_text=text)
    a = text.index("202")
    doc.tags = [TagSpan(start=a, end=a + 3, tag="VAL", score=0.4)]
    doc.tables = [
        Table(
            id="t2",
            cells=[
                Cell(table="t2", row=0, col=0, start=a, end=a + 2, field="t2.regulations.issued"),
                Cell(table="t2", row=0, col=1, start=a + 2, end=a + 3, field="t2.regulations.repealed"),
            ],
        )
    ]
    pred = document_to_prediction(doc)
    vals = sorted((r["value"]["start"], r["value"]["end"]) for r in pred["result"] if r["type"] == "labels")
    assert vals == [(a, a + 2), (a + 2, a + 3)]


# ------------------------------------------------------------------ training examples
def test_gold_to_examples_labels_normalised_characters() -> None:
    text = "## 三、收到和處(chù)理政府信息公開申請情況\n| 自然人 | 7 |\n"
    a, b = find(text, "三、收到和處(chù)理政府信息公開申請情況")
    v = text.index("7")
    gold = GoldDoc(
        name="trad",
        sha256="0",
        text=text,
        style="pipe_lines",
        template="v2019",
        spans=[
            GoldSpan(start=a, end=b, tag="SEC"),
            GoldSpan(start=v, end=v + 1, tag="VAL", field="t3.new_received.natural_person"),
        ],
        fields={"t3.new_received.natural_person": GoldField(value=7, span=(v, v + 1))},
    )
    ds = gold_to_examples([gold])
    names = ds.features["ner_tags"].feature.names
    assert names == list(LABELS)
    row = ds[0]
    tags = [names[i] for i in row["ner_tags"]]
    assert len(row["tokens"]) == len(row["text"]) == len(tags)
    norm = row["text"]
    s = norm.index("三、")
    assert tags[s] == "B-SEC" and tags[norm.index("情况") + 1] == "I-SEC" and "(chù)" not in norm
    assert tags[norm.index("7")] == "B-VAL" and tags.count("B-VAL") == 1


# ------------------------------------------------------------------ ML backend
@pytest.fixture()
def backend() -> TestClient:
    return TestClient(
        create_app(FakePredictor(), TOKEN, Limits(max_body_bytes=200_000, max_tasks=3, max_text_chars=5_000))
    )


def _auth(token: str = TOKEN) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def test_backend_requires_the_token(backend: TestClient) -> None:
    assert backend.get("/health").status_code == 401
    assert backend.get("/health", headers=_auth("wrong")).status_code == 401
    assert backend.post("/predict", json={"tasks": []}).status_code == 401
    r = backend.get("/health", headers=_auth())
    assert r.status_code == 200 and r.json()["status"] == "UP" and r.json()["model_version"] == "fake-1"
    basic = base64.b64encode(f"labelstudio:{TOKEN}".encode()).decode()
    assert backend.get("/health", headers={"Authorization": f"Basic {basic}"}).status_code == 200
    with pytest.raises(ValueError, match="token"):
        create_app(FakePredictor(), "")


def test_backend_setup_checks_the_config(backend: TestClient) -> None:
    r = backend.post("/setup", headers=_auth(), json={"project": "1.1700000000", "schema": label_config()})
    assert r.status_code == 200 and r.json() == {"model_version": "fake-1"}
    bad = (
        "<View><Text name='text' value='$text'/>"
        "<Labels name='tag' toName='text'><Label value='VAL'/></Labels></View>"
    )
    r = backend.post("/setup", headers=_auth(), json={"project": "1.1700000000", "schema": bad})
    assert r.status_code == 422 and "lacks labels" in r.json()["detail"]


def test_backend_predict_shape(backend: TestClient) -> None:
    tasks = [{"id": 7, "data": {"text": REPORT}}, {"id": 8, "data": {"text": "一、总体情况\n共12件"}}]
    r = backend.post(
        "/predict",
        headers=_auth(),
        json={"tasks": tasks, "project": "1.1700000000", "label_config": label_config(), "params": {}},
    )
    assert r.status_code == 200
    body = r.json()
    assert body["model_version"] == "fake-1" and len(body["results"]) == 2
    for task, pred in zip(tasks, body["results"], strict=True):
        assert pred["model_version"] == "fake-1" and isinstance(pred["score"], float)
        regions = [x for x in pred["result"] if x["type"] == "labels"]
        assert regions and all(
            x["from_name"] == "tag" and x["to_name"] == "text" and x["id"] for x in regions
        )
        for x in regions:
            v = x["value"]
            assert task["data"]["text"][v["start"] : v["end"]] == v["text"] and 0 <= x["score"] <= 1


def test_backend_size_limits(backend: TestClient) -> None:
    r = backend.post("/predict", headers=_auth(), json={"tasks": [{"data": {"text": "0" * 5_001}}]})
    assert r.status_code == 413 and "5000" in r.json()["detail"]
    r = backend.post("/predict", headers=_auth(), json={"tasks": [{"data": {"text": "1"}}] * 4})
    assert r.status_code == 413
    r = backend.post(
        "/predict",
        headers=_auth(),
        content=b'{"tasks": [' + b" " * 200_001 + b"]}",
    )
    assert r.status_code == 413
    r = backend.post("/predict", headers=_auth(), json={"tasks": [{"data": {"html": "x"}}]})
    assert r.status_code == 422


def test_backend_serves_the_rules_only_pipeline() -> None:
    from nianbao.labels.ml_backend import PipelinePredictor
    from nianbao.pipeline import PipelineConfig

    predictor = PipelinePredictor(PipelineConfig(use_model=False))
    client = TestClient(create_app(predictor, TOKEN))
    r = client.post("/predict", headers=_auth(), json={"tasks": [{"id": 1, "data": {"text": REPORT}}]})
    assert r.status_code == 200
    (pred,) = r.json()["results"]
    assert pred["model_version"] == predictor.model_version and pred["result"]
    for x in pred["result"]:
        if x["type"] == "labels":
            assert REPORT[x["value"]["start"] : x["value"]["end"]] == x["value"]["text"]


# ------------------------------------------------------------------ CLI
def test_cli_config_and_tasks(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from nianbao.labels.cli import app

    runner = CliRunner()
    r = runner.invoke(app, ["config"])
    assert r.exit_code == 0 and ET.fromstring(r.output).tag == "View"
    gold = make_gold()
    gold.dump(tmp_path / "g.json")
    r = runner.invoke(
        app,
        [
            "tasks",
            str(tmp_path / "g.json"),
            "-o",
            str(tmp_path / "tasks.json"),
            "--no-predictions",
            "--gold-as",
            "annotation",
        ],
    )
    assert r.exit_code == 0, r.output
    tasks = json.loads((tmp_path / "tasks.json").read_text(encoding="utf-8"))
    assert export_to_gold(simulate_export(tasks)) == [gold]


def test_orphan_box_is_a_warning_and_the_gold_still_comes() -> None:
    gold = make_gold()
    export = simulate_export([gold_to_task(gold)])
    export[0]["annotations"][0]["result"].append(
        {
            "id": "gone",
            "from_name": ID_BOX,
            "to_name": "text",
            "type": "textarea",
            "value": {"start": 0, "end": 1, "text": ["t3.total.total"]},
        }
    )
    golds, problems = convert_export(export)
    assert golds == [gold] and [p.code for p in problems] == ["W_LS_ORPHAN_BOX"]


@pytest.mark.parametrize("module", ["studio", "studio_values", "studio_export", "ml_backend", "gold"])
def test_docstring_examples(module: str) -> None:
    import doctest
    import importlib

    mod = importlib.import_module(f"nianbao.labels.{module}")
    failed, attempted = doctest.testmod(mod)
    assert failed == 0 and attempted > 0


def test_every_committed_gold_round_trips_and_makes_examples(corpus_root: Path) -> None:
    """The labelled real reports in labels/gold survive gold -> task -> export -> gold, and train."""
    from nianbao.labels.gold import GOLD_DIR, load_gold

    golds = load_gold(GOLD_DIR)
    if not golds:
        pytest.skip(f"no gold files in {GOLD_DIR} yet")
    tasks = [gold_to_task(g, None if g.text is not None else g.load_text(corpus_root)) for g in golds]
    assert export_to_gold(simulate_export(tasks)) == golds
    ds = gold_to_examples(golds, corpus_root)
    names = ds.features["ner_tags"].feature.names
    for gold, row in zip(golds, ds, strict=True):
        starts = sum(1 for i in row["ner_tags"] if names[i].startswith("B-"))
        assert starts == len(gold.spans), gold.name  # every span lands on its own normalised characters
