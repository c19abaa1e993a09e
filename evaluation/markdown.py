"""Render a release report JSON (``nianbao.evaluation.report``) as Markdown: numbers, IDs, offsets only.

>>> md_table(["a", "b"], [[1, None], [0.5, "x"]])
'| a | b |\\n|---|---|\\n| 1 | n/a |\\n| 0.500 | x |'
"""

from __future__ import annotations

from typing import Any

from nianbao.evaluation.rows import unpack_rows

MAX_ERRORS = 300

LEGEND = """\
How to read: **strict** accuracy counts a blank (`null`) as different from 0; **lenient** counts them
equal. Accuracy = right fields / gold fields (a missing field is wrong). **missing**: gold has the field,
the parser did not output it; **spurious**: the parser output a field the report does not have.
**silent**: a wrong or spurious value that no flag names (the worst kind). **flag precision**: share of
flagged fields that are really wrong (flagging everything scores low); **flag recall**: share of errors
that carry a flag; **flagged-correct**: share of right fields that were flagged anyway. **exact**:
reports with every field right. Sections: a predicted heading start within ±2 characters of the gold
start, matched by id. ECE: expected calibration error of field confidence (lower is better). The
**baseline** outputs 0 for every field of the gold template and nothing else."""


def fmt(v: Any) -> str:
    """A table cell: floats to 3 decimals, None as n/a."""
    if v is None:
        return "n/a"
    if isinstance(v, bool):
        return "yes" if v else "no"
    if isinstance(v, float):
        return f"{v:.3f}"
    return str(v)


def value_cell(error: dict[str, Any], side: str) -> str:
    """An error's gold or predicted value: ``null`` for a blank, ``absent`` where that side has no field.

    >>> value_cell({"status": "missing", "gold": None, "pred": None}, "gold"), value_cell(
    ...     {"status": "missing", "gold": None, "pred": None}, "pred")
    ('null', 'absent')
    """
    absent = {"gold": "spurious", "pred": "missing"}[side]
    if error["status"] == absent:
        return "absent"
    v = error[side]
    return "null" if v is None else str(v)


def md_table(head: list[str], rows: list[list[Any]]) -> str:
    """A GitHub Markdown table."""
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    lines += ["| " + " | ".join(fmt(c) for c in row) + " |" for row in rows]
    return "\n".join(lines)


def _g(d: Any, *path: str) -> Any:
    for k in path:
        if not isinstance(d, dict):
            return None
        d = d.get(k)
    return d


SUMMARY_HEAD = [
    "run",
    "docs",
    "gold fields",
    "strict",
    "lenient",
    "missing",
    "spurious",
    "silent",
    "flag precision",
    "flag recall",
    "flagged-correct",
    "exact",
    "template",
    "section P",
    "section R",
    "meta",
    "ECE",
]


def summary_row(name: str, s: dict[str, Any], cal: dict[str, Any] | None) -> list[Any]:
    """One row of the summary table from a ``summarise`` result."""
    f = s["fields"]
    return [
        name,
        s["docs"],
        f["gold"],
        f["accuracy"],
        f["accuracy_lenient"],
        f["missing"],
        f["spurious"],
        f["silent"],
        f["flag_precision"],
        f["flag_recall"],
        f["flag_rate_correct"],
        f"{s['exact_match']}/{s['docs']}",
        s.get("template_accuracy"),
        _g(s, "sections", "precision"),
        _g(s, "sections", "recall"),
        _g(s, "meta", "all", "accuracy"),
        _g(cal, "ece"),
    ]


SLICE_HEAD = [
    "slice",
    "docs",
    "gold fields",
    "strict",
    "lenient",
    "missing",
    "spurious",
    "silent",
    "flag precision",
    "exact",
]


def slice_rows(slices: dict[str, dict[str, Any]], label: str = "") -> list[list[Any]]:
    """Rows of a slice table."""
    rows = []
    for k, s in slices.items():
        f = s["fields"]
        rows.append(
            [
                f"{label}{k}",
                s["docs"],
                f["gold"],
                f["accuracy"],
                f["accuracy_lenient"],
                f["missing"],
                f["spurious"],
                f["silent"],
                f["flag_precision"],
                f"{s['exact_match']}/{s['docs']}",
            ]
        )
    return rows


DOC_HEAD = [
    "doc",
    "style",
    "template",
    "pred template",
    "held out",
    "status",
    "gold fields",
    "strict",
    "lenient",
    "missing",
    "spurious",
    "silent",
    "flagged",
    "exact",
    "sections",
    "meta right",
]


def doc_rows(docs: list[dict[str, Any]]) -> list[list[Any]]:
    """Rows of a per-document table."""
    rows = []
    for d in docs:
        f, s = d["fields"], d["sections"]
        meta = d["meta"]
        rows.append(
            [
                d["name"],
                d["style"],
                d["template"],
                d["pred_template"],
                d["held_out"],
                d["status"],
                f["gold"],
                f["accuracy"],
                f["accuracy_lenient"],
                f["missing"],
                f["spurious"],
                f["silent"],
                f["flagged"],
                d["exact"],
                f"{s['matched']}/{s['gold']} (pred {s['pred']})",
                f"{sum(meta.values())}/{len(meta)}",
            ]
        )
    return rows


def _section_meta(run: dict[str, Any]) -> list[str]:
    o = run["overall"]
    sec = o["sections"]
    out = [
        "### Section boundaries and meta",
        "",
        md_table(
            ["gold sections", "predicted", "matched (±2)", "precision", "recall", "F1"],
            [[sec["gold"], sec["pred"], sec["matched"], sec["precision"], sec["recall"], sec["f1"]]],
        ),
        "",
        md_table(
            ["meta key", "gold", "right", "spurious", "accuracy"],
            [[k, v["gold"], v["correct"], v["spurious"], v["accuracy"]] for k, v in o["meta"].items()],
        ),
    ]
    return out + [""]


def _calibration(report: dict[str, Any], files: dict[str, str]) -> list[str]:
    out = ["## Confidence calibration", "", f"![reliability diagram]({files['calibration']})", ""]
    for name, run in report["runs"].items():
        cal = run["calibration"]
        out += [
            f"**{name}**: {cal['n']} fields with a confidence, ECE {fmt(cal['ece'])}",
            "",
            md_table(
                ["confidence bin", "fields", "mean confidence", "accuracy"],
                [
                    [
                        f"[{b['lo']:.1f}, {b['hi']:.1f}{']' if b['hi'] >= 1 else ')'}",
                        b["count"],
                        b["confidence"],
                        b["accuracy"],
                    ]
                    for b in cal["bins"]
                    if b["count"]
                ],
            ),
            "",
        ]
    return out


def tagger_rows(tagger: dict[str, Any]) -> list[list[Any]]:
    """Per tag: entity P/R/F1 (seqeval), per-char P/R/F1, per-char F1 of its B- label, entity support."""
    ent, char, lab = tagger["entity"], tagger["char"], tagger.get("char_label") or {}
    rows = []
    for tag in [t for t in char if t != "micro"] + ["micro"]:
        e = ent.get("micro avg" if tag == "micro" else tag) or {}
        c = char.get(tag) or {}
        b = (lab.get(f"B-{tag}") or {}).get("f1") if tag != "micro" else None
        rows.append(
            [
                tag,
                e.get("precision"),
                e.get("recall"),
                e.get("f1"),
                c.get("precision"),
                c.get("recall"),
                c.get("f1"),
                b,
                e.get("support"),
            ]
        )
    return rows


TAGGER_HEAD = [
    "tag",
    "entity P",
    "entity R",
    "entity F1",
    "char P",
    "char R",
    "char F1",
    "B- char F1",
    "entities",
]


def _tagger(tagger: dict[str, Any] | None) -> list[str]:
    if not tagger or not tagger.get("entity"):
        return []
    dropped = sum(d["dropped"] for d in tagger["docs"])
    return [
        f"## Tagger on the gold documents ({tagger.get('name', 'tagger')})",
        "",
        "Entity level: seqeval (exact span and type). Per character: B and I together; `B- char F1` scores "
        "the characters where an entity starts (for VAL: where each cell of a glued run starts).",
        "",
        md_table(TAGGER_HEAD, tagger_rows(tagger)),
        "",
        f"{len(tagger['docs'])} documents tagged; {dropped} gold spans could not be projected onto the "
        f"normalised text; skipped (no text): {', '.join(tagger['skipped']) or 'none'}.",
        "",
        *_tagger_held_out(tagger),
    ]


def _tagger_held_out(tagger: dict[str, Any]) -> list[str]:
    """The entity scores on the held-out documents alone (those no model or rule was trained or tuned on)."""
    held = tagger.get("held_out")
    if not held:
        return []
    ent = held["entity"]
    types = [t for t in ent if not t.endswith(" avg")]
    cells = " | ".join(f"{t} {ent[t]['f1']:.3f}" for t in types)
    return [f"Held-out documents only ({held['docs']}): entity micro F1 **{ent['micro avg']['f1']:.4f}** "
            f"(P {ent['micro avg']['precision']:.3f}, R {ent['micro avg']['recall']:.3f}); per type: {cells}.", ""]


def _diff(diff: dict[str, Any] | None) -> list[str]:
    if not diff:
        return [
            "## Changes since the previous release",
            "",
            "No previous release report to compare with.",
            "",
        ]
    out = [
        f"## Changes since {diff['previous']}",
        "",
        f"Gold documents: {diff['gold_docs'][0]} then, {diff['gold_docs'][1]} now "
        "(a changed gold set changes the numbers too).",
        "",
        md_table(
            ["metric", "before", "after", "change", ""],
            [
                [d["name"], d["before"], d["after"], d["change"], d["verdict"]]
                for d in diff["headline"] + [diff["tagger_entity_f1"]]
            ],
        ),
        "",
    ]
    moved = [s for s in diff["slices"] if s["verdict"] != "same"]
    if moved:
        out += [
            "Slices whose strict accuracy moved:",
            "",
            md_table(
                ["slice", "before", "after", "change", ""],
                [[s["slice"], s["before"], s["after"], s["change"], s["verdict"]] for s in moved],
            ),
            "",
        ]
    for key, title in (
        ("fields_worse", "Fields with more errors"),
        ("fields_better", "Fields with fewer errors"),
    ):
        rows = diff[key]
        out += [f"{title}: {len(rows)}" + (":" if rows else "."), ""]
        if rows:
            out += [
                md_table(
                    ["field", "errors before", "errors after"],
                    [[r["field"], r["errors_before"], r["errors_after"]] for r in rows],
                ),
                "",
            ]
    return out


def _errors(run: dict[str, Any]) -> list[str]:
    errors = unpack_rows(run.get("errors"))
    out = [
        f"## Error list ({run['name']})",
        "",
        f"{len(errors)} wrong, missing or spurious fields. Values and offsets only (offsets into the "
        "original text); `nianbao eval ... --gallery PATH.html` shows each in context.",
    ]
    if len(errors) > MAX_ERRORS:
        out.append(f"The first {MAX_ERRORS} are listed; the JSON holds all.")
    out.append("")
    if errors:
        out.append(
            md_table(
                ["doc", "field", "status", "gold", "pred", "gold span", "pred span", "flagged", "confidence"],
                [
                    [
                        e["doc"],
                        e["field"],
                        e["status"],
                        value_cell(e, "gold"),
                        value_cell(e, "pred"),
                        None if e["gold_span"] is None else tuple(e["gold_span"]),
                        None if e["pred_span"] is None else tuple(e["pred_span"]),
                        e["flagged"],
                        e["confidence"],
                    ]
                    for e in errors[:MAX_ERRORS]
                ],
            )
        )
    return out + [""]


def render_markdown(report: dict[str, Any], diff: dict[str, Any] | None, files: dict[str, str]) -> str:
    """The full release report."""
    g = report["gold"]
    out = [
        f"# nianbao accuracy report {report['version']}",
        "",
        f"nianbao {report['nianbao']}, {report['created']}. Gold: `{g['dir']}`, {g['docs']} documents "
        f"({g['held_out']} held out, {g['seeds']} seeds), {g['fields']} table fields; styles "
        + ", ".join(f"{k} {v}" for k, v in g["style"].items())
        + "; templates "
        + ", ".join(f"{k} {v}" for k, v in g["template"].items())
        + ".",
        "",
    ]
    rts = report.get("runtimes") or {}
    out += [f"- `{name}`: `{path}`" + (f" (tagger runtime: {', '.join(rts[name])})" if rts.get(name) else "")
            for name, path in report["inputs"].items()] + [
        "",
        LEGEND,
        "",
        "## Summary",
        "",
    ]
    rows = [summary_row(n, r["overall"], r["calibration"]) for n, r in report["runs"].items()]
    rows.append(
        summary_row("baseline (all zeros)", report["baseline"]["overall"], report["baseline"]["calibration"])
    )
    out += [md_table(SUMMARY_HEAD, rows), ""]
    out += [
        "## Held-out reports vs reports used for training or tuning",
        "",
        md_table(
            SLICE_HEAD,
            [
                [f"{n}: {r[0]}", *r[1:]]
                for n, run in [*report["runs"].items(), ("baseline", report["baseline"])]
                for r in slice_rows(run["slices"]["held_out"])
            ],
        ),
        "",
    ]
    if len(report["runs"]) > 1:
        tables = sorted({t for r in report["runs"].values() for t in r["slices"]["table"]})
        out += [
            "## Ablation: strict accuracy per table",
            "",
            md_table(
                ["run", *tables, "all"],
                [
                    [
                        n,
                        *(_g(r, "slices", "table", t, "fields", "accuracy") for t in tables),
                        r["overall"]["fields"]["accuracy"],
                    ]
                    for n, r in report["runs"].items()
                ],
            ),
            "",
        ]
    for name, run in report["runs"].items():
        out += [f"## Run `{name}`", ""]
        for kind, title in (
            ("table", "Per table"),
            ("template", "Per template version (gold)"),
            ("style", "Per input style"),
        ):
            out += [f"### {title}", "", md_table(SLICE_HEAD, slice_rows(run["slices"][kind])), ""]
        seeds = [d for d in run["docs"] if d["seed"]]
        if seeds:
            out += ["### Seed reports", "", md_table(DOC_HEAD, doc_rows(seeds)), ""]
        out += ["### Per document", "", md_table(DOC_HEAD, doc_rows(run["docs"])), ""]
        if run["unpredicted"]:
            out += [f"No prediction (scored as all missing): {', '.join(run['unpredicted'])}.", ""]
        if run["unmatched_records"]:
            out += [f"{len(run['unmatched_records'])} records matched no gold document (not scored).", ""]
        out += _section_meta(run)
    out += _calibration(report, files)
    out += [
        "## Per-field error heat map",
        "",
        f"![error heat map]({files['heatmap']})",
        "",
        "Rows: table rows (table-2 items, table-3 rows, table-4 groups); columns: documents; colour: share "
        "of that row's fields wrong, missing or spurious (grey: no such fields).",
        "",
    ]
    out += _tagger(report.get("tagger"))
    out += _diff(diff)
    if report["primary"]:
        out += _errors(report["runs"][report["primary"]])
    return "\n".join(out).rstrip() + "\n"
