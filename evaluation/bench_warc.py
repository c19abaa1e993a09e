"""WARC benchmark: a crawl where 9 pages in 10 are not reports against one made only of reports, per page.

    python -m nianbao.evaluation.bench_warc --n 50 --json out/bench-warc.json

Two gzipped WARCs of ``--n`` HTML pages each are written to a temporary folder: ``reports`` (synthetic
reports of every style, each given as an HTML page) and ``mixed`` (the same kind of reports for one
page in ten, the rest ordinary article pages of a government site, ``training/synth_html.py``). Both
are parsed in the same run, in-process through the local engine with the shipped model (records
consumed and serialised as the CLI does), after one warm-up batch. Printed: seconds per page of each
and the ratio reports-only / mixed (target >= 5: a page that is not a report skips the model).
"""

from __future__ import annotations

import json
import random
import tempfile
import time
from pathlib import Path

import typer

from nianbao.batch.engine import LocalEngine
from nianbao.evaluation.robustness import _page
from nianbao.inputs import iter_inputs
from nianbao.labels.gold import STYLES
from nianbao.pipeline import PipelineConfig
from nianbao.training.synth_corpus import generate_one
from nianbao.training.synth_html import article_page, write_warc

app = typer.Typer(add_completion=False)


def make_warcs(folder: Path, n: int, seed: int = 77) -> dict[str, Path]:
    """The two WARCs of ``n`` pages each: reports only, and one report in ten among article pages."""
    styles = sorted(STYLES)

    def report(i: int) -> tuple[str, str]:
        g = generate_one(seed, i, styles[i % len(styles)])
        return f"https://www.example.gov.cn/ndbg/{i}.htm", _page(g.text, random.Random(i))

    def article(i: int) -> tuple[str, str]:
        return f"https://www.example.gov.cn/gzdt/{i}.htm", article_page(random.Random(seed * 1000 + i))

    paths = {"reports": folder / "reports.warc.gz", "mixed": folder / "mixed.warc.gz"}
    write_warc(paths["reports"], (report(i) for i in range(n)))
    write_warc(paths["mixed"], (report(i) if i % 10 == 0 else article(i) for i in range(n)))
    return paths


def time_parse(path: Path, config: PipelineConfig) -> tuple[float, int, dict[str, int]]:
    """Seconds to parse one WARC in-process (1 worker), pages, and records by status."""
    engine = LocalEngine(config, workers=1)
    statuses: dict[str, int] = {}
    t0 = time.perf_counter()
    n = 0
    for rec in engine.run(iter_inputs([path])):
        json.dumps(rec, ensure_ascii=False)
        statuses[rec["status"]] = statuses.get(rec["status"], 0) + 1
        n += 1
    return time.perf_counter() - t0, n, statuses


@app.command()
def main(n: int = typer.Option(50, help="Pages per WARC."),
         no_model: bool = typer.Option(False, "--no-model", help="Rules-only reader."),
         json_out: Path = typer.Option(None, "--json", help="Write the figures here.")) -> None:
    """Parse both WARCs and print seconds per page and the ratio reports-only / mixed."""
    config = PipelineConfig(use_model=not no_model)
    with tempfile.TemporaryDirectory() as tmp:
        paths = make_warcs(Path(tmp), n)
        warm = Path(tmp) / "warm.warc.gz"
        write_warc(warm, [("https://www.example.gov.cn/w.htm", _page(generate_one(1, 0, "pipe_cells").text,
                                                                     random.Random(0)))])
        time_parse(warm, config)
        out = {}
        for name, path in paths.items():
            secs, pages, statuses = time_parse(path, config)
            out[name] = {"pages": pages, "seconds": round(secs, 3), "s_per_page": round(secs / pages, 5),
                         "statuses": statuses}
    ratio = out["reports"]["s_per_page"] / out["mixed"]["s_per_page"]
    out["ratio_reports_over_mixed"] = round(ratio, 2)
    for name in ("reports", "mixed"):
        o = out[name]
        typer.echo(f"{name:8s} {o['pages']} pages  {o['seconds']:.2f}s  {1000 * o['s_per_page']:.1f} ms/page  "
                   f"{o['statuses']}")
    typer.echo(f"per page, reports-only / mixed (9 in 10 not reports): {ratio:.1f}x (target >= 5)")
    if json_out:
        json_out.parent.mkdir(parents=True, exist_ok=True)
        json_out.write_text(json.dumps(out, indent=1) + "\n", encoding="utf-8")


if __name__ == "__main__":
    app()
