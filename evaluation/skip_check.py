"""What leaving prose-only windows untagged changes: each input parsed with and without the skip, records compared.

    python -m nianbao.evaluation.skip_check ../shared/corpus out/synth-test/docs.jsonl \\
        --markdown evaluation/reports/0.7.0-skip.md --json out/skip-check.json

For each input path it counts the windows the tagger would run and those it runs with the
skip (``ModelTagger.plan``), parses every document both ways in this process (default model
and runtime), and compares the two records key by key (every key; fields, sections and meta
are named). The skip is sound on a set when every record is identical; a difference is listed
by source and key, never hidden.
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Any

import typer

from nianbao.batch.engine import chunked
from nianbao.inputs import iter_inputs
from nianbao.pipeline import Pipeline, PipelineConfig
from nianbao.tagger.windows import plan_windows

app = typer.Typer(add_completion=False)


def compare_records(a: dict[str, Any], b: dict[str, Any]) -> list[str]:
    """The top-level keys whose values differ between two records (sorted).

    >>> compare_records({"fields": {"x": 1}, "meta": {}}, {"fields": {"x": 2}, "meta": {}})
    ['fields']
    """
    return sorted(k for k in a.keys() | b.keys() if a.get(k) != b.get(k))


def check_path(path: Path, model_dir: Path | None = None, batch_size: int = 8) -> dict[str, Any]:
    """Windows, skipped windows and record differences for one input path (with the skip against without)."""
    pipes = {skip: Pipeline(PipelineConfig(model_dir=model_dir, skip_prose=skip, threads=1)) for skip in (True, False)}
    tagger = pipes[True].tagger
    windows = tagged = docs = 0
    differ: list[dict[str, Any]] = []
    keys: Counter[str] = Counter()
    for chunk in chunked(iter_inputs([path]), batch_size):
        parsed = {skip: pipe.process_batch(chunk) for skip, pipe in pipes.items()}
        records = {skip: [d.to_record() for d in docs] for skip, docs in parsed.items()}
        texts = [d.norm_text for d in parsed[True] if d.norm_text]  # what was normalised (read once, above)
        windows += sum(len(plan_windows(len(t), tagger.spec.window, tagger.spec.overlap)) for t in texts)
        tagged += len(tagger.plan(texts)[1])
        for with_skip, without in zip(records[True], records[False], strict=True):
            docs += 1
            changed = compare_records(with_skip, without)
            if changed:
                keys.update(changed)
                differ.append({"source": with_skip.get("source"), "keys": changed})
    return {"path": str(path), "docs": docs, "windows": windows, "tagged": tagged,
            "skipped_share": 1 - tagged / windows if windows else 0.0, "records_differ": len(differ),
            "keys_differ": dict(keys), "differences": differ}


def markdown(results: list[dict[str, Any]], runtime: str) -> str:
    """The comparison as a Markdown section."""
    lines = ["# Prose windows left untagged: what it changes", "",
             f"Each set parsed twice with the default model ({runtime}), with and without the skip "
             "(`python -m nianbao.evaluation.skip_check`); records compared key by key.", "",
             "| set | reports | windows | tagged | skipped | records that differ | keys that differ |",
             "|---|---|---|---|---|---|---|"]
    for r in results:
        keys = ", ".join(f"{k} {v}" for k, v in sorted(r["keys_differ"].items())) or "none"
        lines.append(f"| {r['path']} | {r['docs']} | {r['windows']} | {r['tagged']} | {100 * r['skipped_share']:.1f}% "
                     f"| {r['records_differ']} | {keys} |")
    for r in results:
        for d in r["differences"]:
            lines.append(f"- {r['path']}: `{d['source']}` differs in {', '.join(d['keys'])}")
    return "\n".join(lines) + "\n"


@app.command()
def main(paths: list[Path] = typer.Argument(..., help="Input files or folders (as `nianbao parse` reads them)."),
         model: Path | None = typer.Option(None, help="Model folder (default: the shipped model)."),
         markdown_out: Path | None = typer.Option(None, "--markdown", help="Write the comparison as Markdown."),
         json_out: Path | None = typer.Option(None, "--json", help="Write the comparison as JSON.")) -> None:
    """Parse each path with and without the prose skip and compare the records; exit 1 if any differ."""
    results = [check_path(p, model) for p in paths]
    runtime = Pipeline(PipelineConfig(model_dir=model, threads=1)).tagger.runtime
    text = markdown(results, runtime)
    print(text)
    for out, body in ((markdown_out, text), (json_out, json.dumps(results, indent=1, ensure_ascii=False) + "\n")):
        if out:
            out.parent.mkdir(parents=True, exist_ok=True)
            out.write_text(body, encoding="utf-8")
    raise typer.Exit(1 if any(r["records_differ"] for r in results) else 0)


if __name__ == "__main__":
    app()
