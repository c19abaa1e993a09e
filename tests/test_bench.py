"""The throughput benchmark: one tiny run end to end, and the bare model's batches are the pipeline's batches."""

from __future__ import annotations

import doctest
import json
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from nianbao.batch.engine import chunked
from nianbao.evaluation import bench_pipeline
from nianbao.evaluation.bench_pipeline import app, budget_of, cpu_model, make_corpus, plan_batches
from nianbao.inputs import iter_inputs
from nianbao.pipeline import Pipeline, PipelineConfig
from nianbao.tagger.runtime import int8_verified

MODEL = Path(__file__).resolve().parents[1] / "models" / "nianbao-tagger"

needs_model = pytest.mark.skipif(not (MODEL / "model.onnx").is_file(), reason=f"shipped model not at {MODEL}")


def test_doctests() -> None:
    assert doctest.testmod(bench_pipeline).failed == 0


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict]:
    path = tmp_path_factory.mktemp("bench") / "corpus.jsonl"
    return path, make_corpus(5, 11, path)


def test_corpus_stats(corpus: tuple[Path, dict]) -> None:
    path, stats = corpus
    lengths = sorted(len(json.loads(line)["text"]) for line in path.open(encoding="utf-8"))
    assert stats["docs"] == len(lengths) == 5 and stats["chars"] == sum(lengths)
    assert stats["min"] == lengths[0] <= stats["p10"] <= stats["median"] <= stats["p90"] <= stats["max"] == lengths[-1]
    assert stats["min"] <= stats["mean"] <= stats["max"]


@needs_model
def test_bare_batches_are_the_pipelines(corpus: tuple[Path, dict]) -> None:
    """The ceiling runs exactly the forward passes the pipeline makes (same windows, same packing)."""
    path, _ = corpus
    batch_size = 2  # several chunks from 5 documents, the last one short
    plan = plan_batches(path, MODEL, batch_size)
    pipe = Pipeline(PipelineConfig(model_dir=MODEL, runtime="onnx", threads=1))  # as a worker sets it up
    seen: list[tuple[np.ndarray, np.ndarray]] = []
    backend = pipe.tagger.backend
    real = backend.logits

    def spy(ids: np.ndarray, mask: np.ndarray) -> np.ndarray:
        seen.append((ids.copy(), mask.copy()))
        return real(ids, mask)

    backend.logits = spy
    for chunk in chunked(iter_inputs([path]), batch_size):
        pipe.process_batch(chunk)
    assert len(seen) == len(plan["batches"]) > 0
    for (ids, mask), (pids, pmask) in zip(seen, plan["batches"], strict=True):
        assert np.array_equal(ids, pids.astype(np.int64)) and np.array_equal(mask, pmask.astype(np.int64))
    assert plan["windows"] == sum(len(m) for m, _ in seen)


@needs_model
def test_bench_tiny_run(tmp_path: Path) -> None:
    out = tmp_path / "bench.json"
    res = CliRunner().invoke(app, ["--n", "6", "--workers", "2", "--skip-ray", "--skip-torch", "--rss-n", "0",
                                   "--profile-n", "4", "--glued-n", "2", "--rounds", "2", "--model", str(MODEL),
                                   "--json", str(out)])
    assert res.exit_code == 0, res.output
    r = json.loads(out.read_text(encoding="utf-8"))
    assert r["corpus"]["docs"] == 6 and {"p10", "p90", "mean"} <= r["corpus"].keys()
    assert r["machine"]["cpu_count"] and r["machine"]["platform"]
    runs = r["runs"]
    for name in ("bare_onnx", "bare_onnx_1proc", "model_onnx", "no_model"):
        assert "error" not in runs[name], runs[name]
        assert runs[name]["reports_per_s"] > 0 and runs[name]["chars_per_s"] > 0
    assert runs["bare_onnx"]["procs"] == 2 and runs["bare_onnx"]["torch_threads"] == 1
    assert runs["bare_onnx"]["ort_intra_op_threads"] == 1
    assert r["pipeline_threads"]["torch_per_worker"] == 1
    assert runs["bare_onnx_1proc"]["procs"] == 1
    assert runs["bare_onnx"]["runtime"] == "onnx" and runs["bare_onnx"]["windows"] == r["windows"]["windows"]
    assert sum(runs["model_onnx"]["statuses"].values()) == 6 and "error" not in runs["model_onnx"]["statuses"]
    assert runs["model_onnx"]["parent_cpu_ms_per_report"] > 0  # reading, scheduling and writing: the 2 cores' third user
    assert {"model_onnx/bare_onnx", "model_onnx/no_model"} <= r["ratios"].keys()
    assert all(v > 0 for v in r["ratios"].values())
    int8 = int8_verified(MODEL)[0]
    if int8:  # the quantised run beside the float one, on the same windows
        assert "error" not in runs["bare_onnx_int8"] and runs["bare_onnx_int8"]["windows"] == r["windows"]["windows"]
        assert runs["bare_onnx_int8"]["runtime"] == "onnx-int8"
        assert sum(runs["model_onnx_int8"]["statuses"].values()) == 6
        assert {"model_onnx_int8/bare_onnx_int8", "bare_onnx_int8/bare_onnx"} <= r["ratios"].keys()
    assert r["glued_corpus"]["docs"] == 2 and sum(runs["glued_model_onnx"]["statuses"].values()) == 2
    assert "error" not in runs["glued_bare_onnx"] and "glued_model_onnx/glued_bare_onnx" in r["ratios"]
    assert r["runtime_auto"].startswith("tagger runtime: ")
    assert set(r["targets"]) == {"reports_per_s_ge_20", "ratio_ge_0.8", "glued_reports_per_s_ge_20",
                                 "glued_ratio_ge_0.8"}
    assert all(isinstance(v, bool) for v in r["targets"].values())
    # a second round of the default runtime's pairs; the verdict on the medians of both rounds
    key = r["default_runtime"].replace("-", "_")
    pairs = [f"model_{key}/bare_{key}", f"glued_model_{key}/glued_bare_{key}"]
    (again,) = r["rounds"]
    assert set(again["ratios"]) == set(pairs) == set(r["median_of_rounds"]["ratios"])
    for k in pairs:
        both = sorted([r["ratios"][k], again["ratios"][k]])
        assert r["median_of_rounds"]["ratios"][k] == pytest.approx(sum(both) / 2)
    assert sum(again["runs"][f"model_{key}"]["statuses"].values()) == 6
    assert r["targets"]["ratio_ge_0.8"] == (r["median_of_rounds"]["ratios"][pairs[0]] >= 0.8)
    for name in ("model", "no_model"):
        prof = r["profile"][name]
        assert prof["docs"] == 4
        assert set(prof["stages"]) == {"decode+normalise", "tag", "rules", "serialise"}
        assert all(s["seconds"] > 0 and s["ms_per_report"] > 0 for s in prof["stages"].values())
        assert abs(sum(s["share"] for s in prof["stages"].values()) - 1) < 1e-6
    hot = r["profile"]["model"]["rules_hot_spots"]
    assert 0 < len(hot) <= 15 and all(h["tottime"] >= 0 and h["calls"] > 0 for h in hot)
    # the glued-only corpus profiled too; each model profile says what the rest of the pipeline may spend
    glued = r["profile"]["glued_model"]
    assert glued["docs"] == 2 and set(glued["stages"]) == {"decode+normalise", "tag", "rules", "serialise"}
    for name in ("model", "glued_model"):
        prof = r["profile"][name]
        assert 0 < prof["stages"]["rules"]["cross_read_ms_per_report"] < prof["stages"]["rules"]["ms_per_report"]
        b = prof["budget"]
        assert b["network_ms_per_report"] == prof["stages"]["tag"]["forward_ms_per_report"]
        assert b["allowed_rest_ms_per_report"] == pytest.approx(b["network_ms_per_report"] * 0.25)
        assert b["rest_ms_per_report"] == pytest.approx(sum(b["rest_by_stage"].values()))
    assert "budget" not in r["profile"]["no_model"]  # no network: nothing to measure the rest against
    assert "ratio model_onnx/bare_onnx" in res.output


def test_paired_rounds_alternate_the_order_of_each_pair() -> None:
    """Each later round times a pair back to back, pipeline first in round 2, bare first in round 3."""
    seen: list[str] = []

    def run(name: str) -> object:
        def go() -> dict:
            seen.append(name)
            if name == "p2":
                raise RuntimeError("boom")
            return {"chars_per_s": 2.0 if name.startswith("p") else 4.0, "reports_per_s": 1.0, "seconds": 1.0}
        return go

    measure = {"p1/b1": ("p1", "b1", run("p1"), run("b1")), "p2/b2": ("p2", "b2", run("p2"), run("b2"))}
    got = bench_pipeline.paired_rounds(measure, 3)
    assert seen == ["p1", "b1", "p2", "b2", "b1", "p1", "b2", "p2"]
    assert [r["ratios"] for r in got] == [{"p1/b1": 0.5}, {"p1/b1": 0.5}]
    assert got[0]["runs"]["p2"] == {"error": "RuntimeError: boom"}


def test_bench_tail_tiny_run(tmp_path: Path) -> None:
    """The cost-tail benchmark on a tiny corpus and stress set: quantiles, slowest documents, budget share."""
    from nianbao.evaluation import bench_tail

    assert doctest.testmod(bench_tail).failed == 0
    out = tmp_path / "tail.json"
    res = CliRunner().invoke(bench_tail.app, ["--n", "3", "--stress-n", "2", "--per-kind", "1", "--no-model",
                                              "--no-e2e", "--json", str(out)])
    assert res.exit_code == 0, res.output
    r = json.loads(out.read_text())
    assert r["bench"]["docs"] == 3 and r["stress"]["docs"] == sum(r["stress_set"].values())
    assert r["stress"]["error_records"] == 0 and r["stress"]["seconds"]["max"] >= r["stress"]["seconds"]["p50"]
    assert r["stress"]["slowest"] and {"source", "chars", "seconds", "slowest_stage"} <= r["stress"]["slowest"][0].keys()
    assert set(r["verdict"]) == {"no_error_records", "rules_le_1s", "doc_le_2s", "rss_lt_600mib", "budget_le_2pct"}


def test_cpu_per_report_counts_the_network_within_the_whole() -> None:
    """bench_cpu: CPU ms per report of the whole parse and of the network calls inside it (0 without a model)."""
    from nianbao.evaluation.bench_cpu import cpu_per_report
    from nianbao.inputs import InputItem
    from nianbao.pipeline import Pipeline, PipelineConfig
    from nianbao.training.synth_corpus import generate_one

    items = [InputItem(source=f"d{k}.txt", data=generate_one(3, k).text.encode("utf-8")) for k in range(2)]
    total, net = cpu_per_report(Pipeline(PipelineConfig(runtime="onnx", threads=1)), items, 2)
    assert 0 < net < total
    assert cpu_per_report(Pipeline(PipelineConfig(use_model=False)), items, 2)[1] == 0.0


def test_bench_rules_counts_the_rule_stage(tmp_path: Path) -> None:
    """``bench_rules count`` (what cachegrind runs) reads the tagged reports it is given: the first ``warm`` always,
    the rest only when measuring; the cachegrind line parses (doctest)."""
    import pickle

    from nianbao.evaluation import bench_rules

    assert doctest.testmod(bench_rules).failed == 0
    corpus = tmp_path / "c.jsonl"
    make_corpus(3, 5, corpus)
    pipe = Pipeline(PipelineConfig(use_model=False))  # the rules-only reader tags
    docs = pipe.tagger.tag([pipe.start(item) for item in iter_inputs([corpus])])
    tagged = tmp_path / "t.pkl"
    tagged.write_bytes(pickle.dumps(docs))
    for measure, read in (("0", 1), ("1", 3)):
        seen: list[str] = []
        real = bench_rules.apply_rules
        bench_rules.apply_rules = lambda d, _seen=seen, _real=real: _seen.append(d.norm_text) or _real(d)
        try:
            res = CliRunner().invoke(bench_rules.app, ["count", str(tagged), "1", measure])
        finally:
            bench_rules.apply_rules = real
        assert res.exit_code == 0, res.output
        assert seen == [d.norm_text for d in docs[:read]]


def test_cpu_model_reads_the_first_processor_and_its_int8_flags(tmp_path: Path) -> None:
    info = tmp_path / "cpuinfo"
    info.write_text("processor\t: 0\nmodel name\t: Some CPU @ 2.0GHz\nflags\t\t: fpu sse avx2 avx512_vnni\n\n"
                    "processor\t: 1\nmodel name\t: Other\nflags\t\t: fpu\n", encoding="utf-8")
    assert cpu_model(info) == {"cpu_model": "Some CPU @ 2.0GHz", "avx2": True, "avx512_vnni": True}
    assert cpu_model(tmp_path / "absent") == {}


def test_budget_sets_the_rest_against_the_network() -> None:
    """At a target of 0.8 of the bare model, everything but the network may take a quarter of the network's
    time; the budget says what each stage spends and by how much the rest is over."""
    stages = {"decode+normalise": {"ms_per_report": 1.0},
              "tag": {"ms_per_report": 44.0, "forward_ms_per_report": 40.0, "rest_ms_per_report": 4.0},
              "rules": {"ms_per_report": 9.0, "cross_read_ms_per_report": 4.0}, "serialise": {"ms_per_report": 0.5}}
    b = budget_of(stages, 0.8)
    assert b["network_ms_per_report"] == 40.0 and b["allowed_rest_ms_per_report"] == pytest.approx(10.0)
    assert b["rest_by_stage"] == {"decode+normalise": 1.0, "rest of tagging": 4.0, "rules": 9.0, "serialise": 0.5}
    assert b["rest_ms_per_report"] == pytest.approx(14.5) and b["over_ms_per_report"] == pytest.approx(4.5)
    assert b["ratio_in_process"] == pytest.approx(40.0 / 54.5)
    assert budget_of({"rules": {"ms_per_report": 1.0}}, 0.8) is None  # no network timed


def test_no_cross_read_reaches_every_model_pipeline(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """``--no-cross-read`` runs every model pipeline (end to end, profiled, and the RSS runs' CLI) without the
    rules-only reader's second reading, and the JSON says so; the rules-only pipeline is left as it is."""
    seen: list[tuple[str, bool]] = []

    def fake_run(path: Path, cfg: PipelineConfig, engine: str = "local", workers: int = 1) -> dict:
        seen.append(("run" if cfg.use_model else "no_model", cfg.cross_read))
        return {"seconds": 1.0, "reports_per_s": 1.0, "chars_per_s": 1.0, "statuses": {"ok": 1}}

    def fake_profile(path: Path, cfg: PipelineConfig, n: int, **_: object) -> dict:
        seen.append(("profile" if cfg.use_model else "no_model", cfg.cross_read))
        return {"docs": n, "tagger": "x", "stages": {}, "total_seconds": 1.0, "reports_per_s_one_core": 1.0}

    def fake_rss(*args: object) -> dict:
        seen.append(("rss", args[-1]))
        return {"1": {"peak_rss_mib": 1.0, "reports_per_s": 1.0, "seconds": 1.0, "rc": 0}}

    monkeypatch.setattr(bench_pipeline, "end_to_end", fake_run)
    monkeypatch.setattr(bench_pipeline, "profile_stages", fake_profile)
    monkeypatch.setattr(bench_pipeline, "rss_runs", fake_rss)
    monkeypatch.setattr(bench_pipeline, "_bare_runs", lambda *a, **k: {})
    out = tmp_path / "bench.json"
    res = CliRunner().invoke(app, ["--n", "2", "--glued-n", "2", "--skip-ray", "--skip-torch", "--rss-n", "10",
                                   "--profile-n", "2", "--model", str(MODEL), "--no-cross-read", "--json", str(out)])
    assert res.exit_code == 0, res.output
    assert json.loads(out.read_text(encoding="utf-8"))["cross_read"] is False
    model_runs = [off for kind, off in seen if kind != "no_model"]
    assert len(model_runs) >= 5 and not any(model_runs)  # float mixed and glued, both profiles, the RSS runs
    assert ("rss", False) in seen and ("profile", False) in seen
