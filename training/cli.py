"""``nianbao train``: fit the tagger, pre-train it (masked LM), export it to ONNX, generate synthetic data."""

from __future__ import annotations

import json
from dataclasses import asdict
from pathlib import Path

import typer

from nianbao.evaluation.bench_tagger import load_texts
from nianbao.evaluation.int8_verify import verify_int8
from nianbao.tagger.onnx_export import export_onnx
from nianbao.training.card import real_scores, record_trials, write_int8_section

app = typer.Typer(help="Generate synthetic data and train the tagger.", no_args_is_help=True, add_completion=False)

try:
    from nianbao.training.synth_cli import synth_app
except ModuleNotFoundError as exc:
    if exc.name != "nianbao.training.synth_cli":
        raise
    synth_app = typer.Typer(help="(unavailable: nianbao.training.synth_cli is missing from this install)")
app.add_typer(synth_app, name="synth", help="Synthetic labelled reports: `nianbao train synth generate`.")

CONFIG_DIR = Path(__file__).resolve().parent / "configs"
DEFAULT_CONFIG = CONFIG_DIR / "default.yaml"


@app.command()
def fit(
    config: Path = typer.Option(DEFAULT_CONFIG, "--config", "-c", help="YAML config (training/configs/*.yaml)."),
    data: str = typer.Option(None, help="Labelled DatasetDict folder (overrides the config)."),
    out: str = typer.Option(None, help="Tagger folder to write (overrides the config)."),
    base_model: str = typer.Option(None, "--base-model", help="Local HF checkpoint to fine-tune instead."),
    seed: int = typer.Option(None, help="Seed (overrides the config)."),
    max_steps: int = typer.Option(None, "--max-steps", help="Stop after this many steps (overrides)."),
) -> None:
    """Train the tagger from a config; writes the model folder, its scores and its card."""
    # local: start-up: training.train imports transformers
    from nianbao.training.train import fit as run_fit
    from nianbao.training.train import load_config

    cfg = load_config(config, {"data": data, "out": out, "base_model": base_model, "seed": seed,
                               "max_steps": max_steps})
    result = run_fit(cfg)
    overall = result["test"]["overall"]
    typer.echo(f"wrote {cfg.out}: test entity F1 {overall['f1']:.4f} on {result['test']['docs']} docs; "
               f"{result['train_seconds'] / 60:.1f} min")


@app.command()
def pretrain(
    corpus: Path = typer.Option(..., "--corpus", help="Folder of unlabeled .txt/.html reports (never the "
                                                    "labelled evaluation reports)."),
    out: Path = typer.Option(Path("runs/pretrained"), help="Folder for the masked-LM checkpoint."),
    config: Path = typer.Option(DEFAULT_CONFIG, "--config", "-c", help="Config giving the network shape."),
    max_steps: int = typer.Option(None, "--max-steps", help="Stop after this many steps."),
    epochs: float = typer.Option(None, help="Epochs (overrides the config)."),
    base_model: Path = typer.Option(None, "--base-model", help="Start from this tagger's encoder (else from "
                                                             "scratch, shaped by the config)."),
    synthetic: Path = typer.Option(None, help="Also read the texts of this synthetic DatasetDict's train split."),
    synthetic_docs: int = typer.Option(300, "--synthetic-docs", help="How many of its documents."),
    minutes: float = typer.Option(None, help="Time budget in minutes (overrides the config)."),
) -> None:
    """Masked-LM domain pre-training; then `nianbao train fit --base-model OUT` (or self-train from it)."""
    # local: start-up: training.pretrain and training.train import transformers
    from nianbao.training.pretrain import pretrain as run_pretrain
    from nianbao.training.train import DataSource, load_config, load_source

    cfg = load_config(config, {"max_steps": max_steps, "epochs": epochs, "time_budget_minutes": minutes})
    extra = load_source(DataSource(str(synthetic)))[0][:synthetic_docs] if synthetic else []
    typer.echo(json.dumps(asdict(run_pretrain(cfg, corpus, out, base_model=base_model, extra_texts=extra)), indent=2))


@app.command("self-train")
def self_train_cmd(
    corpus: Path = typer.Option(..., "--corpus", help="Folder of unlabelled real reports (your crawl; never the "
                                                    "labelled evaluation reports)."),
    config: Path = typer.Option(CONFIG_DIR / "selftrain-0.4.yaml", "--config", "-c",
                                help="YAML config: base_model, synthetic data, self_train.rounds/weight."),
    out: str = typer.Option(None, help="Tagger folder for the chosen model (overrides the config)."),
    max_steps: int = typer.Option(None, "--max-steps", help="Stop each round after this many steps."),
) -> None:
    """Fine-tune on the proved readings of a corpus (unproved tags masked), mixed with synthetic data."""
    # local: start-up: training.selftrain imports transformers and the pipeline
    from nianbao.training.selftrain import self_train
    from nianbao.training.train import load_config

    cfg = load_config(config, {"out": out, "max_steps": max_steps})
    report = self_train(cfg, corpus)
    for r in report["rounds"]:
        prec = ", ".join(f"{t} {v['precision']:.4f}({v['taught']})" if v["precision"] is not None else f"{t} -"
                         for t, v in r["tuning_precision"]["per_tag"].items())
        typer.echo(f"round {r['round']}: kept {r['kept_pages']}/{r['pages']} pages, {r['kept_tables']} tables; "
                   f"pseudo-label precision on tuning docs: {prec}; masked {r['masked'] or '-'}; "
                   f"tuning entity F1 {r.get('tuning_f1', {}).get('micro', '-')}")
    typer.echo(f"start model tuning entity F1 {report['start']['tuning_f1']['micro']}; chosen: "
               f"{report['chosen'] or 'none (no round beat the start model on the tuning documents)'}"
               + (f" -> {cfg.out}" if report["chosen"] else ""))


@app.command("record-trials")
def record_trials_cmd(
    model_dir: Path = typer.Argument(..., help="The tagger folder the runs started from (e.g. models/nianbao-tagger)."),
    reports: list[Path] = typer.Argument(..., help="`self_train.json` of each run (written by `self-train`)."),
) -> None:
    """Record self-training runs that were not adopted in a tagger's metrics and card (pseudo-label precision
    per tag, kept pages, tuning scores); the weights are not touched."""
    loaded = []
    for p in reports:
        r = json.loads(p.read_text(encoding="utf-8"))
        if r.get("chosen"):
            raise typer.BadParameter(f"{p}: a round was chosen; that model's own card records it")
        loaded.append({**r, "label": p.parent.name})
    typer.echo(f"{record_trials(model_dir, loaded)}: {len(loaded)} trial(s) recorded")


@app.command("export-onnx")
def export_onnx_cmd(
    model_dir: Path = typer.Argument(..., help="Tagger folder (model.safetensors, config.json, charmap.json)."),
    no_optimize: bool = typer.Option(False, "--no-optimize", help="Skip the ONNX Runtime attention fusion."),
    texts: Path = typer.Option(None, help="Folder of .txt files or a saved dataset whose windows the check "
                                          "runs on (besides random ids)."),
    limit: int = typer.Option(20, help="Documents of --texts to use."),
    int8: bool = typer.Option(True, "--int8/--no-int8", help="Also quantise to model.int8.onnx and verify it "
                                                          "on real text (nianbao.evaluation.int8_verify)."),
    corpus: Path = typer.Option(None, help="Corpus root holding the labelled real reports' texts "
                                           "(default ../shared/corpus)."),
) -> None:
    """Export a tagger to ONNX (opset 17, fused attention); verify its probabilities against torch's; quantise
    it to int8 and verify that on the labelled real reports and the synthetic test set."""
    verdict = export_onnx(model_dir, optimize=not no_optimize, texts=load_texts(texts, limit) if texts else ())
    typer.echo(json.dumps(asdict(verdict), indent=2))
    if not verdict.passed:
        typer.echo(f"E_ONNX_MISMATCH: export's probabilities differ from torch's by "
                   f"{verdict.max_abs_diff_probs:.2e}; "
                   "--runtime auto keeps using torch", err=True)
        raise typer.Exit(1)
    if int8:
        v8 = verify_int8(model_dir, corpus)
        write_int8_section(model_dir)
        typer.echo(json.dumps({k: v for k, v in v8.items() if k != "probe"}, indent=2))
        if not v8["passed"]:
            typer.echo(f"E_INT8_MISMATCH: {v8['why']}; --runtime auto keeps the float ONNX model", err=True)
            raise typer.Exit(1)


@app.command()
def finalize(
    model_dir: Path = typer.Argument(..., help="A tagger folder written by `fit` (with training_metrics.json)."),
    texts: Path = typer.Option(None, help="Folder of .txt files or a saved dataset to time (default: the "
                                          "training data's test split)."),
    limit: int = typer.Option(60, help="Documents to time (0: skip timing)."),
    tradeoff: Path = typer.Option(None, help="Shape/speed JSON for the card (default: the config's)."),
    no_export: bool = typer.Option(False, "--no-export", help="Keep the existing ONNX export."),
    config: Path = typer.Option(None, "--config", "-c", help="Take the card's `notes` and `tradeoff` from this "
                                                          "config (training settings are left as trained)."),
    real_eval: Path = typer.Option(None, "--real-eval", help="`nianbao eval --tagger DIR --json FILE` output: "
                                                            "its tagger scores on labelled real reports go "
                                                            "into the card."),
) -> None:
    """Re-export ONNX, re-time torch vs ONNX and rewrite the card of a trained folder."""
    # local: start-up: training.train imports transformers
    from nianbao.training.train import finalize as run_finalize
    from nianbao.training.train import load_config

    result = json.loads((model_dir / "training_metrics.json").read_text(encoding="utf-8"))
    if config:
        fresh = load_config(config)
        result["config"].update(notes=fresh.notes, tradeoff=fresh.tradeoff)
    if real_eval:
        result["real"] = real_scores(json.loads(real_eval.read_text(encoding="utf-8")))
    bench = load_texts(texts or result["config"]["data"], limit) if limit else []
    result = run_finalize(model_dir, result, bench, not no_export, str(tradeoff or result["config"].get("tradeoff")))
    onnx = result.get("onnx") or {}
    typer.echo(f"{model_dir}: onnx verified={onnx.get('passed')}; speed {json.dumps(result.get('speed'))}")
