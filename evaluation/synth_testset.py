"""Write a synthetic test set for the release report: gold JSON files + the texts as one JSONL.

    python -m nianbao.evaluation.synth_testset --per-style 30 --seed 99 --out out/synth-test
    nianbao parse out/synth-test/docs.jsonl -o out/synth-model.jsonl
    nianbao eval --gold out/synth-test/gold --pred model=out/synth-model.jsonl ...

The seed must differ from the tagger's training seed (13, ``training/configs/default.yaml``) and from
the calibrator's (2027), so no test report was seen in training or calibration. Every style of
``labels.gold.STYLES`` gets the same number of reports, so per-style slices are comparable.
"""

from __future__ import annotations

import hashlib
import json
import random
from collections.abc import Callable
from pathlib import Path

import typer

from nianbao.labels.gold import STYLES, GoldDoc
from nianbao.training.synth_corpus import generate_one
from nianbao.training.synth_html import word_page

app = typer.Typer(add_completion=False)
RESERVED_SEEDS = (13, 14, 15, 555, 2027)  # tagger training corpora (0.1.0, 0.2.0, 0.3.0), SURE_CUT tuning, calibration


def _write(out: Path, per_style: int, seed: int, render: Callable[[GoldDoc], tuple[str, str]]) -> int:
    """Generate ``per_style`` reports of every style, pass each through ``render`` (which may change its text
    and gold in place and returns the JSONL key and the document), write ``gold/*.json`` and ``docs.jsonl``."""
    if seed in RESERVED_SEEDS:
        raise ValueError(f"seed {seed} is used for training or calibration; pick another")
    gold_dir = out / "gold"
    gold_dir.mkdir(parents=True, exist_ok=True)
    for old in gold_dir.glob("*.json"):
        old.unlink()
    n = 0
    with open(out / "docs.jsonl", "w", encoding="utf-8") as fh:
        for style in STYLES:
            for i in range(per_style):
                doc = generate_one(seed, i, style)
                doc.used_for = []
                key, body = render(doc)
                doc.dump(gold_dir / f"{doc.name}.json")
                fh.write(json.dumps({"id": doc.name, key: body}, ensure_ascii=False) + "\n")
                n += 1
    return n


def write_testset(out: Path, per_style: int, seed: int) -> int:
    """Generate ``per_style`` reports of every style; write ``gold/*.json`` and ``docs.jsonl``; return the count."""
    return _write(out, per_style, seed, lambda doc: ("text", doc.text))


def write_html_testset(out: Path, per_style: int, seed: int) -> int:
    """The same reports as Word-exported HTML pages (``training/synth_html.word_page``): ``docs.jsonl`` of
    ``{"id", "html"}`` and gold keyed by the page's sha256, values as in the text's gold (the HTML slice of the
    release report; spans and sections are not carried over, so only values and meta are scored)."""


    def render(doc: GoldDoc) -> tuple[str, str]:
        page = word_page(doc.text, random.Random(doc.name))
        doc.text, doc.sha256 = page, hashlib.sha256(page.encode("utf-8")).hexdigest()
        doc.spans, doc.sections = [], []
        for f in doc.fields.values():
            f.span = (0, 0)
        return "html", page

    return _write(out, per_style, seed, render)


@app.command()
def main(out: Path = typer.Option(Path("out/synth-test")), per_style: int = typer.Option(30),
         seed: int = typer.Option(99),
         html: bool = typer.Option(False, "--html", help="Write the reports as Word-exported HTML pages.")) -> None:
    """Write the synthetic test set."""
    n = (write_html_testset if html else write_testset)(out, per_style, seed)
    typer.echo(f"{n} synthetic test reports -> {out}/docs.jsonl, gold in {out}/gold")


if __name__ == "__main__":
    app()
