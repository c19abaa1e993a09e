"""``nianbao eval``: score predictions (and the tagger) against gold labels; write the release report.

    nianbao eval --gold labels/gold --pred out.jsonl
    nianbao eval --pred rules=rules.jsonl --pred model=model.jsonl --tagger models/tagger \\
        --report evaluation/reports/0.1.0.md --gallery /tmp/gallery.html
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import typer
from rich.console import Console

from nianbao import __version__
from nianbao.evaluation import tagger_eval
from nianbao.evaluation.baseline import baseline_records
from nianbao.evaluation.gallery import write_gallery
from nianbao.evaluation.report import build_report, dump_json, find_previous, record_runtimes, write_release
from nianbao.evaluation.score import PredictionFormatError, load_predictions, score_run
from nianbao.evaluation.terminal import print_report
from nianbao.labels.gold import GOLD_DIR, GoldDoc, default_corpus_root, load_gold

REPO_ROOT = GOLD_DIR.parents[1]
app = typer.Typer(add_completion=False, help="Score predictions against gold labels; write release reports.")
err = Console(stderr=True)


def parse_pred_spec(spec: str) -> tuple[str, Path]:
    """``NAME=PATH`` or ``PATH`` (named after the file) -> (name, path).

    >>> parse_pred_spec("rules=out/r.jsonl"), parse_pred_spec("out/model.jsonl")
    (('rules', PosixPath('out/r.jsonl')), ('model', PosixPath('out/model.jsonl')))
    """
    name, sep, path = spec.partition("=")
    if sep and name and "/" not in name:
        return name, Path(path)
    return Path(spec).stem, Path(spec)


def shown_path(path: Path) -> str:
    """A path as the committed report shows it: relative to the repository when inside it."""
    try:
        return str(path.resolve().relative_to(REPO_ROOT))
    except ValueError:
        return str(path)


def load_texts(gold_docs: list[GoldDoc], corpus_root: Path) -> tuple[dict[str, str], list[str]]:
    """Original texts by gold name (inline or from the corpus), and why the others could not be read."""
    texts: dict[str, str] = {}
    problems: list[str] = []
    for g in gold_docs:
        try:
            texts[g.name] = g.load_text(corpus_root)
        except (OSError, ValueError) as e:
            problems.append(f"{g.name}: {e}")
    return texts, problems


def _fail(message: str) -> typer.Exit:
    err.print(f"[red]{message}[/red]")
    return typer.Exit(2)


@app.callback(invoke_without_command=True)
def evaluate(
    gold: Path = typer.Option(GOLD_DIR, help="Gold label directory (or one gold JSON)."),
    pred: list[str] = typer.Option(
        [],
        "--pred",
        help="Predictions JSONL, as PATH or NAME=PATH; repeat to "
        "compare runs (the first is the primary one).",
    ),
    corpus: Path = typer.Option(
        default_corpus_root(), help="Corpus root that real gold documents point into."
    ),
    report: Path | None = typer.Option(
        None,
        help="Write the release report here (evaluation/reports/<version>.md)"
        " with its .json, .calibration.png and .heatmap.png.",
    ),
    json_out: Path | None = typer.Option(None, "--json", help="Write the machine-readable scores here."),
    gallery: Path | None = typer.Option(
        None, help="Write the HTML error gallery here (quotes report text: do not commit it)."
    ),
    tagger: Path | None = typer.Option(None, help="Evaluate this tagger model directory on the gold texts."),
    no_model: bool = typer.Option(False, "--no-model", help="Evaluate the rules-only reader as the tagger."),
    previous: Path | None = typer.Option(
        None, help="Previous release JSON to diff against (default: the newest older report beside --report)."
    ),
    release: str | None = typer.Option(
        None, help="Version named in the report (default: --report's file name)."
    ),
    max_errors: int = typer.Option(20, help="Errors listed in the terminal."),
) -> None:
    """Score predictions against gold labels; print tables; write JSON, report and gallery on request."""
    if not pred and tagger is None and not no_model:
        raise _fail("E_EVAL_ARGS: nothing to evaluate; give --pred PATH and/or --tagger DIR / --no-model")
    if tagger is not None and no_model:
        raise _fail("E_EVAL_ARGS: --tagger and --no-model exclude each other")
    gold_docs = load_gold(gold) if gold.exists() else []
    if not gold_docs:
        raise _fail(f"E_NO_GOLD: no gold labels (*.json) at {gold}")
    runs, inputs, runtimes = [], {}, {}
    for spec in pred:
        name, path = parse_pred_spec(spec)
        if name in inputs or name == "baseline":
            raise _fail(f"E_EVAL_ARGS: run name {name!r} used twice or reserved; use NAME=PATH")
        try:
            records = load_predictions(path)
            runs.append(score_run(gold_docs, records, name))
            runtimes[name] = record_runtimes(records)
        except (OSError, PredictionFormatError) as e:
            raise _fail(f"E_PRED_FORMAT: cannot read {path}: {e}") from e
        inputs[name] = shown_path(path)
    baseline = score_run(gold_docs, baseline_records(gold_docs), "baseline")
    texts, problems = load_texts(gold_docs, corpus)
    for p in problems:
        err.print(f"[yellow]W_NO_TEXT {p} (gallery, tagger and snippets skip it)[/yellow]")
    tagger_summary, tags, tag_source = None, {}, "gold tags"
    if tagger is not None or no_model:
        tagger_summary, tags = _tagger_eval(gold_docs, texts, tagger, no_model)
        tag_source = f"{tagger_summary['name']} tags"
    version = release or (report.stem if report else __version__)
    data = build_report(version, gold_docs, shown_path(gold), runs, baseline, inputs, tagger_summary, runtimes)
    if json_out is not None:
        json_out.parent.mkdir(parents=True, exist_ok=True)
        json_out.write_text(dump_json(data) + "\n", encoding="utf-8")
    print_report(data, texts, max_errors=max_errors)
    if report is not None:
        prev = previous or find_previous(report.parent, version)
        paths = write_release(data, report, runs, baseline, prev)
        err.print(
            f"report: {', '.join(str(p) for p in paths.values())}" + (f" (diff vs {prev})" if prev else "")
        )
    if gallery is not None:
        if not tags:
            tags = {g.name: [(s.start, s.end, s.tag) for s in g.spans] for g in gold_docs}
        n = write_gallery(gallery, runs[0] if runs else baseline, texts, tags, tag_source)
        err.print(f"gallery: {gallery} ({n} entries; regenerate, do not commit)")


def _tagger_eval(
    gold_docs: list[GoldDoc], texts: dict[str, str], model_dir: Path | None, no_model: bool
) -> tuple[dict[str, Any], dict[str, list[tuple[int, int, str]]]]:
    tagger, normalise = tagger_eval.load_eval_tagger(model_dir, use_model=not no_model)
    result = tagger_eval.evaluate_tagger(gold_docs, tagger, normalise, texts)
    name = "rules-only reader" if no_model else f"model {model_dir.name if model_dir else '(default)'}"
    return {"name": name, **result.summary}, result.source_tags
