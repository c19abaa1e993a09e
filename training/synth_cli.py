"""``nianbao train synth``: generate the synthetic training corpus (and the committed examples).

    nianbao train synth generate --n 1000 --seed 13 --out data/synth [--ls-tasks tasks.json]

writes ``OUT/gold/part-*.jsonl`` (GoldDocs, one per line), the ``DatasetDict`` at ``OUT``
(``datasets.load_from_disk(OUT)``: train/validation/test) and optionally Label Studio tasks.
``python -m nianbao.training.synth_cli examples`` rewrites ``examples/`` from the generator.
"""

from __future__ import annotations

import json
import time
from collections import Counter
from pathlib import Path

import typer

from nianbao.labels.gold import STYLES, GoldDoc
from nianbao.training import synth_corpus as sc

synth_app = typer.Typer(help="Synthetic labelled reports in every flattening style.", no_args_is_help=True,
                        add_completion=False)

EXAMPLES_DIR = Path(__file__).resolve().parents[1] / "examples"
EXAMPLE_SEED = 2024


def parse_styles(styles: str | None) -> list[str] | None:
    """``"crawl,pdf_raw"`` -> a checked list of style names (None: all, mixed by weight)."""
    if not styles:
        return None
    out = [s.strip() for s in styles.split(",") if s.strip()]
    unknown = [s for s in out if s not in STYLES]
    if unknown:
        raise typer.BadParameter(f"unknown style(s) {unknown}; choose from {', '.join(STYLES)}")
    return out


@synth_app.command()
def generate(
    n: int = typer.Option(1000, "--n", min=1, help="Number of reports."),
    seed: int = typer.Option(13, help="Corpus seed: the same seed gives the same corpus, byte for byte."),
    out: Path = typer.Option(Path("data/synth"), help="Output folder (gold/ JSONL + the DatasetDict)."),
    styles: str = typer.Option(None, help="Comma-separated styles to cycle through (default: all, mixed)."),
    dataset: bool = typer.Option(True, "--dataset/--no-dataset", help="Also write the normalised DatasetDict."),
    ls_tasks: Path = typer.Option(None, "--ls-tasks", help="Also write Label Studio tasks (JSON list) here."),
    shard: int = typer.Option(1000, min=1, help="Reports per gold JSONL file."),
) -> None:
    """Generate N labelled reports: gold JSONL, the training DatasetDict, optionally Label Studio tasks."""
    chosen = parse_styles(styles)
    t0 = time.perf_counter()
    counts: Counter[str] = Counter()

    def stream():  # noqa: ANN202
        for d in sc.iter_docs(n, seed, chosen):
            counts[d.style] += 1
            yield d

    paths = sc.write_gold_jsonl(stream(), out / "gold", shard)
    t1 = time.perf_counter()
    typer.echo(f"wrote {n} reports to {out / 'gold'} ({len(paths)} files) in {t1 - t0:.1f}s: "
               + ", ".join(f"{s} {counts[s]}" for s in STYLES if counts[s]))
    if dataset:
        stats: Counter[str] = Counter()
        names = [sc.doc_name(seed, i, chosen[i % len(chosen)] if chosen else None) for i in range(n)]
        sc.build_dataset(_read_stream(paths), out, stats, names=names)
        lost = {k: v for k, v in stats.items() if k.startswith("lost_")}
        typer.echo(f"wrote DatasetDict to {out} in {time.perf_counter() - t1:.1f}s"
                   + (f"; spans lost in normalisation: {lost}" if lost else ""))
    if ls_tasks is not None:
        count = sc.write_ls_tasks(_read_stream(paths), ls_tasks)
        typer.echo(f"wrote {count} Label Studio tasks to {ls_tasks}")


def _read_stream(paths: list[Path]):  # noqa: ANN202
    for p in paths:
        with p.open(encoding="utf-8") as fh:
            for line in fh:
                if line.strip():
                    yield GoldDoc.model_validate_json(line)


# ----------------------------------------------------------------- committed examples
def _good_example(d: GoldDoc) -> bool:
    """An example worth showing for its style: complete, tabled, and showing the style's quirks."""
    text = d.text or ""
    if any("breaks off" in x for x in d.notes) or len(text) > 12000:
        return False
    if d.style == "prose":
        return True
    tags = Counter(s.tag for s in d.spans)
    nonzero = sum(1 for f in d.fields.values() if f.value not in (0, None))
    wanted = {
        "pipe_cells": tags["BLANK"] > 0 and "\u00a0" in text,
        "tsv_markdown": tags["BLANK"] > 0,
        "markdown_table": tags["BLANK"] > 0,
        "pipe_lines": "(zh" in text or "(j" in text,
    }
    return d.template != "none" and nonzero >= 10 and wanted.get(d.style, True)


def example_docs() -> list[GoldDoc]:
    """One report per style (the first good one of the example seed), as committed in ``examples/``."""
    out = []
    for k, style in enumerate(STYLES):  # each style from its own index range: different agencies
        d = next(d for i in range(k * 50, k * 50 + 400) if _good_example(d := sc.generate_one(EXAMPLE_SEED, i, style)))
        d.source = f"examples/synth-{style}.txt"
        out.append(d)
    return out


def example_jsonl_docs(k: int = 3) -> list[GoldDoc]:
    """A few mixed-style reports for the committed ``examples/synth-few.jsonl``."""
    docs = sc.generate(k, EXAMPLE_SEED + 1)
    for d in docs:
        d.source = f"examples/synth-few.jsonl#{d.name}"
    return docs


@synth_app.command()
def examples(out: Path = typer.Option(EXAMPLES_DIR, help="Folder to (re)write the sample into.")) -> None:
    """Rewrite the committed sample: one ``synth-<style>.txt`` per style, ``synth-few.jsonl``, and gold."""
    (out / "gold").mkdir(parents=True, exist_ok=True)
    for stale in [*out.glob("synth-*.txt"), *out.glob("synth-*.jsonl"), *(out / "gold").glob("synth-*.json")]:
        stale.unlink()  # only the generator's own files: anything else in examples/ is left alone
    for d in example_docs():
        (out / f"synth-{d.style}.txt").write_text(d.text or "", encoding="utf-8")
        d.dump(out / "gold" / f"synth-{d.style}.json")
    few = example_jsonl_docs()
    with (out / "synth-few.jsonl").open("w", encoding="utf-8") as fh:
        for d in few:
            fh.write(json.dumps({"id": d.name, "text": d.text}, ensure_ascii=False) + "\n")
            d.dump(out / "gold" / f"{d.name}.json")
    typer.echo(f"wrote {len(STYLES)} example reports, synth-few.jsonl ({len(few)}) and their gold to {out}")


if __name__ == "__main__":
    synth_app()
