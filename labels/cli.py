"""``nianbao label``: the Label Studio round trip from the command line.

nianbao label config                       # print the labeling config (XML)
nianbao label tasks INPUT... -o tasks.json # documents / gold -> tasks with the model's predictions
nianbao label push --url URL --token TOKEN [--project-title T | --project ID] INPUT...
nianbao label pull --url URL --token TOKEN --project ID --out labels/gold
nianbao label serve --port 9090            # the ML backend (token from NIANBAO_ML_TOKEN)
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import typer

from nianbao.inputs import InputItem, InputStats, iter_inputs
from nianbao.labels.gold import (
    GOLD_DIR,
    GOLD_SCHEMA,
    STYLES,
    GoldDoc,
    default_corpus_root,
    document_name,
    load_gold,
)
from nianbao.labels.review import REVIEW_CONFIG, corrections_from_export, review_tasks
from nianbao.labels.studio import document_task, document_to_prediction, gold_to_task, label_config
from nianbao.labels.studio_client import connect
from nianbao.labels.studio_client import pull as do_pull
from nianbao.labels.studio_client import push as do_push
from nianbao.labels.studio_export import convert_export, gold_to_examples
from nianbao.pipeline import Pipeline, PipelineConfig
from nianbao.review.source import SourceError

app = typer.Typer(
    help="Label Studio round trip: push tasks, pull annotations, serve the model.",
    no_args_is_help=True,
    add_completion=False,
)

URL = typer.Option(
    ..., "--url", envvar="LABEL_STUDIO_URL", help="Label Studio address, e.g. http://127.0.0.1:8080"
)
TOKEN = typer.Option(
    ..., "--token", envvar="LABEL_STUDIO_API_KEY", help="The user's API token (Account & Settings)."
)
INPUTS = typer.Argument(
    ..., help="Gold JSON files or folders, and/or report files or folders (txt, html, jsonl)."
)
NO_MODEL = typer.Option(
    False, "--no-model", help="Pre-annotate with the rules-only reader instead of the model."
)
MODEL = typer.Option(None, "--model", help="Model folder (default: the shipped model).")
NO_PRED = typer.Option(False, "--no-predictions", help="No model pre-annotations (gold and text only).")
STYLE = typer.Option("crawl", "--style", help=f"Input style of report files: {', '.join(STYLES)}.")
CORPUS = typer.Option(
    None, "--corpus-root", help="Where gold `source` paths live (default ../shared/corpus)."
)
GOLD_AS = typer.Option(
    "prediction",
    "--gold-as",
    help="Gold rides as a 'prediction' (annotators review it) or an 'annotation' (already done).",
)


def _is_gold_file(path: Path) -> bool:
    if path.suffix != ".json":
        return False
    try:
        return json.loads(path.read_text(encoding="utf-8")).get("schema") == GOLD_SCHEMA
    except (json.JSONDecodeError, UnicodeDecodeError, AttributeError):
        return False


def split_inputs(paths: list[Path]) -> tuple[list[Path], list[str]]:
    """Gold files (``*.json`` with the gold schema, also in folders) and report inputs (the rest)."""
    gold: list[Path] = []
    docs: list[str] = []
    for p in paths:
        if p.is_dir():
            found = sorted(f for f in p.glob("*.json") if _is_gold_file(f))
            if found:
                gold += found
            else:
                docs.append(str(p))
        elif _is_gold_file(p):
            gold.append(p)
        else:
            docs.append(str(p))
    return gold, docs


def _pipeline(no_model: bool, model: Path | None):  # noqa: ANN202 - nianbao.pipeline.Pipeline
    return Pipeline(PipelineConfig(use_model=not no_model, model_dir=model))


def corpus_source(source: str, corpus_root: Path) -> str:
    """An input's ``source`` relative to the corpus root when it lies there (as gold files name it)."""
    base, hash_, record = source.partition("#")
    try:
        rel = Path(base).resolve().relative_to(corpus_root.resolve())
    except ValueError:
        return source
    return f"{rel.as_posix()}{hash_}{record}"


def build_tasks(
    paths: list[Path],
    no_model: bool = False,
    model: Path | None = None,
    predictions: bool = True,
    style: str = "crawl",
    corpus_root: Path | None = None,
    gold_as: str = "prediction",
) -> list[dict]:
    """Tasks for gold files (gold as prediction or annotation) and report files (model prediction only)."""
    if style not in STYLES:
        raise typer.BadParameter(f"unknown style {style!r}; one of {', '.join(STYLES)}")
    root = corpus_root or default_corpus_root()
    gold_files, doc_inputs = split_inputs(paths)
    pipeline = _pipeline(no_model, model) if predictions or doc_inputs else None
    tasks: list[dict] = []
    for f in gold_files:
        gold = GoldDoc.model_validate_json(f.read_text(encoding="utf-8"))
        text = gold.load_text(root)
        preds = []
        if pipeline is not None and predictions:
            doc = pipeline.process(InputItem(source=gold.name, data=text.encode("utf-8"), text=text))
            if doc.status == "error" or doc.text != text:
                typer.echo(f"warning: no model prediction for {gold.name}: {doc.error}", err=True)
            else:
                preds.append(document_to_prediction(doc))
        tasks.append(gold_to_task(gold, None if gold.text is not None else text, preds, gold_as=gold_as))
    if doc_inputs:
        known_gold = {g.sha256: g for g in load_gold(GOLD_DIR)} if GOLD_DIR.is_dir() else {}
        stats = InputStats()
        for item in iter_inputs(doc_inputs, stats):
            doc = pipeline.process(item)
            if doc.status == "error":
                typer.echo(f"skipped {item.source}: {doc.error.code} {doc.error.message}", err=True)
                continue
            source = corpus_source(item.source, root)
            known = known_gold.get(doc.doc_id)  # a report labelled before keeps its gold name and style
            name, doc_style = (known.name, known.style) if known else (document_name(source), style)
            pred = document_to_prediction(doc) if predictions else None
            tasks.append(document_task(doc, name, doc_style, source, doc.doc_id, pred))
    return tasks


@app.command()
def config(
    output: Path | None = typer.Option(None, "-o", "--output", help="Write to a file instead of stdout."),
) -> None:
    """Print the labeling config (generated from the tag set and the field catalogue)."""
    xml = label_config()
    if output:
        output.write_text(xml + "\n", encoding="utf-8")
    else:
        typer.echo(xml)


@app.command()
def tasks(
    inputs: list[Path] = INPUTS,
    output: Path = typer.Option(..., "-o", "--output", help="Tasks JSON file."),
    no_model: bool = NO_MODEL,
    model: Path | None = MODEL,
    no_predictions: bool = NO_PRED,
    style: str = STYLE,
    corpus_root: Path | None = CORPUS,
    gold_as: str = GOLD_AS,
) -> None:
    """Write Label Studio tasks (import them in the UI, or use `push`)."""
    out = build_tasks(inputs, no_model, model, not no_predictions, style, corpus_root, gold_as)
    output.write_text(json.dumps(out, ensure_ascii=False) + "\n", encoding="utf-8")
    typer.echo(f"{len(out)} tasks -> {output}")


@app.command()
def push(
    inputs: list[Path] | None = typer.Argument(
        None, help="Gold JSON files or folders, and/or report files or folders (txt, html, jsonl)."
    ),
    url: str = URL,
    token: str = TOKEN,
    project_title: str = typer.Option("nianbao", "--project-title", help="Project to create or update."),
    project: int | None = typer.Option(None, "--project", help="Existing project ID (instead of the title)."),
    no_model: bool = NO_MODEL,
    model: Path | None = MODEL,
    no_predictions: bool = NO_PRED,
    style: str = STYLE,
    corpus_root: Path | None = CORPUS,
    gold_as: str = GOLD_AS,
    again: bool = typer.Option(False, "--again", help="Import reports already in the project again."),
    review: Path | None = typer.Option(None, "--review", help="Review queue: a parse output (JSONL) whose "
                                       "reports with open flags go to the project (labels/review.py)."),
    min_confidence: float | None = typer.Option(None, "--min-confidence",
                                                help="With --review: also fields under this confidence."),
    root: Path | None = typer.Option(None, "--root", help="With --review: where relative record sources lie."),
) -> None:
    """Create or update a project with our labeling config and import tasks with pre-annotations."""

    if review is not None:

        with review.open(encoding="utf-8") as fh:
            try:
                queue, calm = review_tasks((json.loads(x) for x in fh if x.strip()), root, min_confidence)
            except SourceError as exc:
                typer.echo(f"error: {exc}", err=True)
                raise typer.Exit(2) from exc
        report = do_push(url, token, project_title, REVIEW_CONFIG, queue, project, skip_existing=not again)
        typer.echo(f"review project {report.project_id}: imported {report.imported} reports with doubtful cells, "
                   f"skipped {report.skipped} already there; {calm} reports with nothing to review")
        return
    if not inputs:
        raise typer.BadParameter("give INPUTS (reports or gold files), or --review OUT.jsonl")
    out = build_tasks(inputs, no_model, model, not no_predictions, style, corpus_root, gold_as)
    report = do_push(url, token, project_title, label_config(), out, project, skip_existing=not again)
    verb = "created" if report.created else ("updated the config of" if report.config_updated else "used")
    typer.echo(
        f"{verb} project {report.project_id}; imported {report.imported} tasks, "
        f"skipped {report.skipped} already there"
    )


@app.command()
def pull(
    url: str = URL,
    token: str = TOKEN,
    project: int = typer.Option(..., "--project", help="Project ID."),
    out: Path = typer.Option(Path("labels/gold"), "--out", help="Gold folder to write."),
    export_json: Path | None = typer.Option(None, "--export-json", help="Also keep the raw export here."),
    overwrite: bool = typer.Option(False, "--overwrite", help="Replace gold files that differ."),
    examples: Path | None = typer.Option(
        None, "--examples", help="Also save training examples (HF datasets)."
    ),
    corpus_root: Path | None = CORPUS,
    corrections: Path | None = typer.Option(None, "--corrections", help="Review queue: write the reviewers' "
                                            "answers here (JSONL for `nianbao apply`) instead of gold."),
) -> None:
    """Export the project's annotations and convert them to gold files (and training examples)."""
    export = do_pull(url, token, project)
    if export_json:
        export_json.write_text(json.dumps(export, ensure_ascii=False), encoding="utf-8")
    if corrections is not None:

        users = {int(u.id): str(u.email) for u in connect(url, token).users.list() if getattr(u, "email", None)}
        answers = corrections_from_export(export, users)
        corrections.write_text("".join(json.dumps(c, ensure_ascii=False) + "\n" for c in answers), encoding="utf-8")
        typer.echo(f"{len(answers)} answers from {len({c['task'] for c in answers})} reviewed reports -> {corrections}")
        return
    golds, problems = convert_export(export)
    for p in problems:
        typer.echo(str(p), err=True)
    out.mkdir(parents=True, exist_ok=True)
    written, kept = 0, []
    for gold in golds:
        path = out / f"{gold.name}.json"
        if (
            path.exists()
            and not overwrite
            and GoldDoc.model_validate_json(path.read_text(encoding="utf-8")) != gold
        ):
            kept.append(path.name)
            continue
        gold.dump(path)
        written += 1
    typer.echo(
        f"{written} gold files -> {out}; {len(kept)} differing files kept (use --overwrite): "
        f"{', '.join(kept) or '-'}; {sum(p.code.startswith('E_') for p in problems)} tasks with errors"
    )
    if examples and golds:
        gold_to_examples(golds, corpus_root or default_corpus_root()).save_to_disk(str(examples))
        typer.echo(f"{len(golds)} training examples -> {examples}")
    if any(p.code.startswith("E_") for p in problems) or kept:
        raise typer.Exit(1)


@app.command()
def serve(
    host: str = typer.Option("127.0.0.1", help="Interface to listen on."),
    port: int = typer.Option(9090, help="Port."),
    token: str = typer.Option(
        ...,
        "--token",
        envvar="NIANBAO_ML_TOKEN",
        help="Token Label Studio must send (Bearer, or Basic auth password).",
    ),
    no_model: bool = NO_MODEL,
    model: Path | None = MODEL,
    max_chars: int = typer.Option(2_000_000, help="Longest task text (characters) accepted."),
    max_tasks: int = typer.Option(500, help="Most tasks per /predict request (a selection comes at once)."),
    max_body_mb: int = typer.Option(32, help="Largest request body (MiB)."),
) -> None:
    """Run the ML backend Label Studio calls for predictions (/health, /setup, /predict)."""
    # local: start-up: labels.ml_backend imports FastAPI
    from nianbao.labels.ml_backend import Limits, PipelinePredictor
    from nianbao.labels.ml_backend import serve as run

    try:
        predictor = PipelinePredictor(PipelineConfig(use_model=not no_model, model_dir=model))
    except RuntimeError as exc:
        typer.echo(f"error: {exc}", err=True)
        sys.exit(1)
    typer.echo(f"serving {predictor.model_version} on http://{host}:{port}")
    run(predictor, token, host, port, Limits(max_body_mb * 1024 * 1024, max_tasks, max_chars))
