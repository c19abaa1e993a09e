"""The per-release accuracy report: JSON of every score, Markdown, plots, a diff vs the last release.

The JSON and Markdown are committed, so they hold field IDs, numbers, document
names and offsets only: never text quoted from a real report (meta org/title
are reported as right/wrong, not printed).

>>> version_key("0.10.1") > version_key("0.9.3")
True
"""

from __future__ import annotations

import datetime as dt
import json
import re
from pathlib import Path
from typing import Any

from nianbao import __version__
from nianbao.evaluation.calibration import calibration, plot_reliability
from nianbao.evaluation.heatmap import plot_error_heatmap
from nianbao.evaluation.markdown import render_markdown
from nianbao.evaluation.rows import pack_rows
from nianbao.evaluation.score import (
    RunResult,
    doc_summary,
    error_list,
    per_field,
    slices,
    summarise,
)
from nianbao.labels.gold import GoldDoc

REPORT_SCHEMA = "nianbao.eval/1"
REPORT_DIR = Path(__file__).resolve().parent / "reports"


def rounded(obj: Any, ndigits: int = 6) -> Any:
    """Round every float in a JSON-like structure (stable, diffable files).

    >>> rounded({"a": [0.1234567891, 2]})
    {'a': [0.123457, 2]}
    """
    if isinstance(obj, float):
        return round(obj, ndigits)
    if isinstance(obj, dict):
        return {k: rounded(v, ndigits) for k, v in obj.items()}
    if isinstance(obj, list | tuple):
        return [rounded(v, ndigits) for v in obj]
    return obj


def dump_json(obj: Any, indent: int = 0, width: int = 110) -> str:
    """JSON with short containers on one line and long ones one item per line (compact, diffable).

    >>> print(dump_json({"a": [1, 2], "b": {"c": "x"}}, width=12))
    {
     "a": [1, 2],
     "b": {"c": "x"}
    }
    """
    flat = json.dumps(obj, ensure_ascii=False)
    if not isinstance(obj, dict | list) or not obj or len(flat) + indent <= width:
        return flat
    pad = " " * (indent + 1)
    if isinstance(obj, dict):
        items = [
            f"{pad}{json.dumps(k, ensure_ascii=False)}: {dump_json(v, indent + 1, width)}"
            for k, v in obj.items()
        ]
        return "{\n" + ",\n".join(items) + "\n" + " " * indent + "}"
    return "[\n" + ",\n".join(pad + dump_json(v, indent + 1, width) for v in obj) + "\n" + " " * indent + "]"


def run_report(run: RunResult, with_errors: bool = True) -> dict[str, Any]:
    """Everything scored for one prediction run, as JSON-ready data."""
    return {
        "name": run.name,
        "overall": summarise(run.docs),
        "slices": slices(run),
        "docs": [doc_summary(d) for d in run.docs],
        "per_field": per_field(run),
        "calibration": calibration(run.field_results()),
        "unpredicted": [d.name for d in run.docs if not d.predicted],
        "unmatched_records": run.unmatched_records,
        "duplicate_records": run.duplicate_records,
        "errors": pack_rows(error_list(run)) if with_errors else None,
    }


def gold_summary(gold_docs: list[GoldDoc], gold_dir: str) -> dict[str, Any]:
    """What the gold set holds: counts per style/template, held-out and seed counts."""
    count: dict[str, dict[str, int]] = {"style": {}, "template": {}}
    for g in gold_docs:
        count["style"][g.style] = count["style"].get(g.style, 0) + 1
        count["template"][g.template] = count["template"].get(g.template, 0) + 1
    return {
        "dir": gold_dir,
        "docs": len(gold_docs),
        "held_out": sum(g.held_out for g in gold_docs),
        "seeds": sum((g.source or "").startswith("seeds/") for g in gold_docs),
        "fields": sum(len(g.fields) for g in gold_docs),
        "style": dict(sorted(count["style"].items())),
        "template": dict(sorted(count["template"].items())),
    }


def build_report(
    version: str,
    gold_docs: list[GoldDoc],
    gold_dir: str,
    runs: list[RunResult],
    baseline: RunResult,
    inputs: dict[str, str],
    tagger: dict[str, Any] | None = None,
    runtimes: dict[str, list[str]] | None = None,
) -> dict[str, Any]:
    """The release report's JSON: every run (first = primary), the baseline, the tagger scores, and which
    tagger runtime produced each run's records."""
    return rounded(
        {
            "schema": REPORT_SCHEMA,
            "version": version,
            "nianbao": __version__,
            "created": dt.date.today().isoformat(),
            "gold": gold_summary(gold_docs, gold_dir),
            "inputs": inputs,
            "primary": runs[0].name if runs else None,
            "runs": {r.name: run_report(r) for r in runs},
            "baseline": run_report(baseline, with_errors=False),
            "tagger": tagger,
            "runtimes": runtimes or {},
        }
    )


def record_runtimes(records: list[dict[str, Any]]) -> list[str]:
    """The tagger runtimes named by records' ``model.runtime`` (``rules-only`` without a model).

    >>> record_runtimes([{"model": {"runtime": "onnx-int8"}}, {"model": None}, {"model": {"name": "t"}}])
    ['onnx-int8', 'rules-only', 'unrecorded']
    """
    return sorted({(r.get("model") or {}).get("runtime") or ("unrecorded" if r.get("model") else "rules-only")
                   for r in records})


# ----------------------------------------------------------------- previous release and diff
def version_key(name: str) -> tuple[int, ...]:
    """Sort key of a version-like name (``v0.2.0`` -> (0, 2, 0))."""
    return tuple(int(x) for x in re.findall(r"\d+", name))


def find_previous(report_dir: Path, version: str) -> Path | None:
    """The newest report JSON in ``report_dir`` older than ``version`` (by version number)."""
    here = version_key(version)
    kind = re.sub(r"^v?[0-9.]+", "", version)  # "-synthetic" reports diff only against their own kind
    found = []
    for p in report_dir.glob("*.json"):
        if p.stem == version:
            continue
        try:
            data = json.loads(p.read_text(encoding="utf-8"))
        except (OSError, json.JSONDecodeError):
            continue
        if (isinstance(data, dict) and data.get("schema") == REPORT_SCHEMA and version_key(p.stem) < here
                and re.sub(r"^v?[0-9.]+", "", p.stem) == kind):
            found.append(p)
    return max(found, key=lambda p: version_key(p.stem)) if found else None


def _get(d: dict[str, Any] | None, *path: str) -> Any:
    for k in path:
        if not isinstance(d, dict):
            return None
        d = d.get(k)
    return d


HEADLINE = (
    ("strict accuracy", ("overall", "fields", "accuracy")),
    ("lenient accuracy", ("overall", "fields", "accuracy_lenient")),
    ("silent errors", ("overall", "fields", "silent")),
    ("missing fields", ("overall", "fields", "missing")),
    ("spurious fields", ("overall", "fields", "spurious")),
    ("flag precision", ("overall", "fields", "flag_precision")),
    ("flag recall", ("overall", "fields", "flag_recall")),
    ("exact-match reports", ("overall", "exact_match_rate")),
    ("template accuracy", ("overall", "template_accuracy")),
    ("section F1", ("overall", "sections", "f1")),
    ("meta accuracy", ("overall", "meta", "all", "accuracy")),
    ("ECE", ("calibration", "ece")),
)
LOWER_IS_BETTER = {"silent errors", "missing fields", "spurious fields", "ECE"}


def _delta(name: str, before: Any, after: Any) -> dict[str, Any]:
    change = None if before is None or after is None else after - before
    verdict = "same"
    if change is None:
        verdict = "n/a"
    elif abs(change) > 1e-9:
        verdict = "better" if (change < 0) == (name in LOWER_IS_BETTER) else "worse"
    return {"name": name, "before": before, "after": after, "change": change, "verdict": verdict}


def diff_reports(prev: dict[str, Any], cur: dict[str, Any]) -> dict[str, Any]:
    """What got better or worse between two report JSONs (primary runs compared)."""
    p = _get(prev, "runs", str(prev.get("primary"))) or {}
    c = _get(cur, "runs", str(cur.get("primary"))) or {}
    out: dict[str, Any] = {
        "previous": prev.get("version"),
        "current": cur.get("version"),
        "gold_docs": (_get(prev, "gold", "docs"), _get(cur, "gold", "docs")),
        "headline": [_delta(n, _get(p, *path), _get(c, *path)) for n, path in HEADLINE],
    }
    out["slices"] = []
    for kind in ("table", "template", "style", "held_out"):
        keys = sorted(set(_get(p, "slices", kind) or {}) | set(_get(c, "slices", kind) or {}))
        for k in keys:
            d = _delta(
                "strict accuracy",
                _get(p, "slices", kind, k, "fields", "accuracy"),
                _get(c, "slices", kind, k, "fields", "accuracy"),
            )
            out["slices"].append({"slice": f"{kind}={k}", **d})
    fields_before, fields_after = p.get("per_field") or {}, c.get("per_field") or {}
    better, worse = [], []
    for fid in sorted(set(fields_before) | set(fields_after)):
        b = (fields_before.get(fid) or {}).get("errors", 0)
        a = (fields_after.get(fid) or {}).get("errors", 0)
        if a < b:
            better.append({"field": fid, "errors_before": b, "errors_after": a})
        elif a > b:
            worse.append({"field": fid, "errors_before": b, "errors_after": a})
    out["fields_better"], out["fields_worse"] = better, worse
    tb, ta = (
        _get(prev, "tagger", "entity", "micro avg", "f1"),
        _get(cur, "tagger", "entity", "micro avg", "f1"),
    )
    out["tagger_entity_f1"] = _delta("tagger entity F1", tb, ta)
    return out


# ----------------------------------------------------------------- writing
def write_release(
    report: dict[str, Any], md_path: Path, runs: list[RunResult], baseline: RunResult, previous: Path | None
) -> dict[str, Path]:
    """Write ``<version>.md``, ``.json``, ``.calibration.png``, ``.heatmap.png`` next to each other."""
    md_path.parent.mkdir(parents=True, exist_ok=True)
    stem = str(md_path)[: -len(md_path.suffix)] if md_path.suffix else str(md_path)  # 0.1.0.md -> 0.1.0
    paths = {
        "json": Path(f"{stem}.json"),
        "calibration": Path(f"{stem}.calibration.png"),
        "heatmap": Path(f"{stem}.heatmap.png"),
        "markdown": md_path,
    }
    curves = {name: r["calibration"] for name, r in report["runs"].items()}
    curves["baseline"] = report["baseline"]["calibration"]
    plot_reliability(curves, paths["calibration"])
    plot_error_heatmap(runs[0] if runs else baseline, paths["heatmap"])
    diff = None
    if previous is not None:
        diff = rounded(diff_reports(json.loads(previous.read_text(encoding="utf-8")), report))
        report = {**report, "diff": diff}
    paths["json"].write_text(dump_json(report) + "\n", encoding="utf-8")
    md_path.write_text(render_markdown(report, diff, {k: p.name for k, p in paths.items()}), encoding="utf-8")
    return paths
