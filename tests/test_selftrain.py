"""Self-training: proved readings -> pseudo-labels (unproved masked), weighted dataset mixtures, the command."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from nianbao.document import Cell, Document, FieldValue, Flag, Table, TagSpan
from nianbao.labels.tags import label2id
from nianbao.training.pseudo_labels import entities, kept_tables, pseudo_labels, tags_to_mask
from nianbao.training.tagger_data import IGNORE
from nianbao.training.train import DataSource, load_config, mix_datasets

ROOT = Path(__file__).resolve().parents[1]
SHIPPED = ROOT / "models" / "nianbao-tagger"

# 0         1
# 0123456789012345
TEXT = "总体情况\n规章\t5\t\t7\n说明"


def reading(tags: list[tuple[int, int, str]], fields: dict[str, tuple], flags: list[Flag] = ()) -> Document:
    """A hand-made reading of TEXT: tags, fields (value, norm span) and one table t2 over the row."""
    doc = Document(text=TEXT, norm_text=TEXT, template="v2021", status="ok")
    doc.tags = [TagSpan(start=a, end=b, tag=t) for a, b, t in tags]
    doc.fields = {k: FieldValue(value=v, norm_span=s) for k, (v, s) in fields.items()}
    doc.tables = [Table(id="t2", cells=[Cell(table="t2", row=0, col=0, start=5, end=7, row_header=True),
                                        Cell(table="t2", row=0, col=1, start=8, end=9),
                                        Cell(table="t2", row=0, col=3, start=11, end=12)])]
    doc.flags = list(flags)
    return doc


FIELDS = {"t2.regulations.issued": (5, (8, 9)), "t2.regulations.repealed": (None, (10, 11)),
          "t2.regulations.in_force": (7, (11, 12))}


def test_proved_table_teaches_values_agreed_labels_and_masks_the_rest() -> None:
    model = reading([(0, 4, "SEC"), (5, 7, "ROW"), (8, 9, "VAL"), (10, 11, "BLANK"), (11, 12, "VAL"),
                     (13, 15, "COL")], FIELDS)
    rules = reading([(0, 4, "SEC"), (5, 7, "ROW"), (8, 9, "VAL"), (11, 12, "VAL")], FIELDS)
    p = pseudo_labels(model, rules)
    assert p.kept_tables == ["t2"]
    lab = dict(enumerate(p.labels))
    assert [lab[i] for i in range(4)] == ["B-SEC", "I-SEC", "I-SEC", "I-SEC"]  # agreed heading in prose
    assert (lab[5], lab[6]) == ("B-ROW", "I-ROW")  # agreed row label inside the proved table
    assert (lab[8], lab[10], lab[11]) == ("B-VAL", "B-BLANK", "B-VAL")  # from the fields (blank: value None)
    assert lab[7] == "O" and lab[9] == "O"  # no reader tagged these separators
    assert lab[13] is None and lab[14] is None  # one reader's COL: not taught
    ids = p.label_ids(masked=["ROW"])
    assert ids[5] == IGNORE and ids[8] == label2id["B-VAL"]
    assert entities(p.labels)[:2] == [(0, 4, "SEC"), (5, 7, "ROW")]


def test_flag_or_disagreement_keeps_nothing_of_that_table() -> None:
    model = reading([(5, 7, "ROW")], FIELDS)
    flagged = reading([(5, 7, "ROW")], FIELDS, [Flag(code="invariant.row_total", fields=["t2.regulations.issued"])])
    assert kept_tables(model, flagged)[0] == []
    other = dict(FIELDS) | {"t2.regulations.issued": (6, (8, 9))}
    assert kept_tables(model, reading([(5, 7, "ROW")], other))[0] == []
    doc_flag = reading([(5, 7, "ROW")], FIELDS, [Flag(code="template.unknown")])
    p = pseudo_labels(model, doc_flag)
    assert not p.kept and all(x is None for x in p.labels) and "document flag" in p.reason


def test_tags_below_the_precision_bar_or_unmeasured_are_masked() -> None:
    prec = {"per_tag": {"VAL": {"precision": 1.0}, "ROW": {"precision": 0.985}, "TTL": {"precision": None},
                        "O": {"precision": 0.9995}}}
    assert tags_to_mask(prec, 0.99) == ["ROW", "TTL"]


def _dataset(folder: Path, texts: list[str], labels: list[list[int]]) -> Path:
    from datasets import Dataset, Features, Sequence, Value

    Dataset.from_dict({"text": texts, "labels": labels},
                      features=Features({"text": Value("string"), "labels": Sequence(Value("int32"))})
                      ).save_to_disk(str(folder))
    return folder


def test_mixture_weights_copy_and_sample(tmp_path: Path) -> None:
    a = _dataset(tmp_path / "a", [f"x{i}" for i in range(4)], [[0, IGNORE]] * 4)
    train = {"text": ["ab"], "labels": [[0, 0]]}
    texts, labels, mix = mix_datasets(train, [DataSource(str(a), 2.5)], seed=1)
    assert len(texts) == 1 + 10 and [m["copies"] for m in mix] == [1, 10]
    assert labels[-1] == [0, IGNORE]


def test_fit_takes_several_weighted_datasets(tmp_path: Path) -> None:
    from test_tagger import smoke_config, toy_corpus

    from nianbao.training.train import fit

    data = toy_corpus(tmp_path / "synth", 10, seed=5)
    extra = toy_corpus(tmp_path / "extra", 3, seed=6)
    cfg = smoke_config(tmp_path, data, max_steps=2, export_onnx=False, bench_docs=0,
                       datasets=[{"path": str(extra), "weight": 2}])
    result = fit(cfg)
    assert result["steps"] == 2
    assert [m["copies"] for m in result["data"]["mixture"]][1] == 6


def test_config_keeps_the_single_data_key() -> None:
    cfg = load_config(ROOT / "training" / "configs" / "continue-0.3.yaml")
    assert cfg.datasets == [] and cfg.self_train.rounds == 1


@pytest.mark.skipif(not (SHIPPED / "model.safetensors").is_file(), reason="the shipped tagger is not in this tree")
def test_self_train_command_runs_a_round_and_writes_a_model(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from nianbao.training.cli import app
    from nianbao.training.synth_corpus import build_dataset, generate

    docs = generate(9, seed=21, styles=["tsv_markdown", "pipe_cells", "glued_lines"])
    corpus = tmp_path / "crawl"
    corpus.mkdir()
    for g in docs[:5]:
        (corpus / f"{g.name}.txt").write_text(g.text, encoding="utf-8")
    gold = tmp_path / "gold"
    gold.mkdir()
    for i, g in enumerate(docs[5:]):
        g.used_for = ["tune"] if i < 3 else []
        g.dump(gold / f"{g.name}.json")
    synth = tmp_path / "synth"
    build_dataset(generate(6, seed=22), synth)
    cfg = yaml.safe_load((ROOT / "training" / "configs" / "selftrain-0.4.yaml").read_text(encoding="utf-8"))
    cfg |= {"data": str(synth), "base_model": str(SHIPPED), "out": str(tmp_path / "out"),
            "work_dir": str(tmp_path / "work"), "max_steps": 2, "batch_size": 4, "eval_docs": 2, "test_docs": 2,
            "export_onnx": False, "bench_docs": 0, "tradeoff": None, "val_fraction": 0.2, "test_fraction": 0.2,
            "self_train": {"rounds": 1, "weight": 2, "min_precision": 0.99, "tuning_gold": str(gold)}}
    (tmp_path / "cfg.yaml").write_text(yaml.safe_dump(cfg, allow_unicode=True), encoding="utf-8")
    res = CliRunner().invoke(app, ["self-train", "--corpus", str(corpus), "--config", str(tmp_path / "cfg.yaml")])
    assert res.exit_code == 0, res.output
    assert "round 1: kept" in res.output and "pseudo-label precision on tuning docs" in res.output
    import json

    report = json.loads((tmp_path / "work" / "self_train.json").read_text(encoding="utf-8"))
    r1 = report["rounds"][0]
    assert r1["pages"] == 5 and r1["kept_pages"] >= 1 and r1["kept_tables"] >= 1
    assert r1["tuning_precision"]["per_tag"]["VAL"]["taught"] > 0
    assert (tmp_path / "work" / "round-1" / "model" / "model.safetensors").is_file()
    assert "tuning_f1" in r1 and len(report["held_out_precision"]["docs"]) == 1

    (corpus / "labelled.txt").write_text(docs[5].text, encoding="utf-8")  # a labelled report in the corpus
    res = CliRunner().invoke(app, ["self-train", "--corpus", str(corpus), "--config", str(tmp_path / "cfg.yaml")])
    assert res.exit_code != 0 and "E_DATA" in str(res.exception)


@pytest.mark.skipif(not (SHIPPED / "model.safetensors").is_file(), reason="the shipped tagger is not in this tree")
def test_pretrain_command_continues_a_tagger_and_refuses_labelled_reports(tmp_path: Path) -> None:
    import json
    import random

    from test_tagger import toy_corpus, toy_doc
    from typer.testing import CliRunner

    from nianbao.labels.gold import GOLD_DIR, default_corpus_root, load_gold
    from nianbao.training.cli import app

    corpus = tmp_path / "crawl"
    corpus.mkdir()
    for i in range(3):
        (corpus / f"r{i}.txt").write_text(toy_doc(random.Random(i))[0] * 3, encoding="utf-8")
    synth = toy_corpus(tmp_path / "synth", 4, seed=2)
    res = CliRunner().invoke(app, ["pretrain", "--corpus", str(corpus), "--out", str(tmp_path / "pre"),
                                   "--config", str(ROOT / "training" / "configs" / "smoke.yaml"),
                                   "--base-model", str(SHIPPED), "--synthetic", str(synth), "--max-steps", "2"])
    assert res.exit_code == 0, res.output
    out = json.loads(res.output[res.output.index("{\n  \"out\""):])
    assert out["steps"] == 2 and out["docs"] == 3 + 4
    assert (tmp_path / "pre" / "charmap.json").is_file()

    res = CliRunner().invoke(app, ["pretrain", "--corpus", str(corpus), "--out", str(tmp_path / "pre-t"),
                                   "--config", str(ROOT / "training" / "configs" / "smoke.yaml"),
                                   "--max-steps", "50", "--minutes", "0.0001"])  # the time budget stops it
    assert res.exit_code == 0, res.output
    assert json.loads(res.output[res.output.index("{\n  \"out\""):])["steps"] < 50

    gold = next((g for g in load_gold(GOLD_DIR) if g.source), None)
    root = default_corpus_root()
    if gold is None or not (root / gold.source).is_file():
        pytest.skip("../shared/corpus is absent: the labelled-report refusal needs a labelled text")
    (corpus / "labelled.txt").write_bytes((root / gold.source).read_bytes())
    res = CliRunner().invoke(app, ["pretrain", "--corpus", str(corpus), "--out", str(tmp_path / "pre2"),
                                   "--config", str(ROOT / "training" / "configs" / "smoke.yaml"), "--max-steps", "1"])
    assert res.exit_code != 0 and "E_DATA" in str(res.exception)


def test_docstring_examples() -> None:
    import doctest

    import nianbao.training.pseudo_labels as module

    result = doctest.testmod(module)
    assert result.attempted > 0 and result.failed == 0


def test_compare_sets_and_a_model_against_itself(tmp_path: Path) -> None:
    import json

    from nianbao.evaluation.tagger_compare import gold_set, main
    from nianbao.labels.gold import GOLD_DIR, default_corpus_root, load_gold

    golds = load_gold(GOLD_DIR)
    assert all(not g.held_out for g in gold_set(golds, "tune"))
    assert all(g.held_out and g.name.startswith("crawl") for g in gold_set(golds, "held:crawl"))
    with pytest.raises(ValueError, match="E_ARGS"):
        gold_set(golds, "train")
    seed = next(g for g in golds if g.name == "seeds-000")
    if not (default_corpus_root() / (seed.source or "")).is_file():
        pytest.skip("../shared/corpus is absent")
    if not (SHIPPED / "model.safetensors").is_file():
        pytest.skip("the shipped tagger is not in this tree")
    out = tmp_path / "cmp.json"
    main(["--old", str(SHIPPED), "--new", str(SHIPPED), "--set", "one=tune:seeds-000", "--json", str(out)])
    res = json.loads(out.read_text(encoding="utf-8"))["one"]
    assert res["docs"] == 1 and res["old"] == res["new"]
    assert res["old"]["fields"]["gold"] > 0 and res["old"]["tagger"]["VAL"]["support"] > 0


def test_record_trials_writes_the_runs_into_metrics_and_card(tmp_path: Path) -> None:
    """`nianbao train record-trials`: runs not adopted go into the start model's metrics and card; a run
    that chose a round is refused (its own model's card records it)."""
    import json
    import shutil

    from typer.testing import CliRunner

    from nianbao.tagger.runtime import default_model_dir
    from nianbao.training.cli import app

    folder = tmp_path / "tagger"
    folder.mkdir()
    for name in ("README.md", "training_metrics.json"):
        shutil.copy(default_model_dir() / name, folder / name)
    tag = {"taught": 4, "right": 4, "precision": 1.0}
    report = {"corpus": "crawl-dir", "min_precision": 0.99, "weight": 4.0, "chosen": None,
              "start": {"model": "m", "tuning_f1": {"micro": 0.98}},
              "rounds": [{"round": 1, "pages": 3, "kept_pages": 2, "kept_tables": 5, "masked": [],
                          "tuning_precision": {"per_tag": {"ROW": tag, "VAL": tag}}, "tuning_f1": {"micro": 0.97}}]}
    run = tmp_path / "run-a" / "self_train.json"
    run.parent.mkdir()
    run.write_text(json.dumps(report), encoding="utf-8")
    res = CliRunner().invoke(app, ["record-trials", str(folder), str(run)])
    assert res.exit_code == 0, res.output
    card = (folder / "README.md").read_text(encoding="utf-8")
    assert card.count("## Self-training trials") == 1 and "### run-a" in card and "ROW 100.00 (4)" in card
    assert json.loads((folder / "training_metrics.json").read_text(encoding="utf-8"))["self_train_trials"][0]["label"] == "run-a"
    CliRunner().invoke(app, ["record-trials", str(folder), str(run)])  # again: replaced, not appended
    assert (folder / "README.md").read_text(encoding="utf-8").count("## Self-training trials") == 1
    run.write_text(json.dumps(report | {"chosen": "x"}), encoding="utf-8")
    assert CliRunner().invoke(app, ["record-trials", str(folder), str(run)]).exit_code != 0
