"""``nianbao audit``: a corpus summary of (linked) parse output, and per agency its series of key figures.

Writes Markdown (``--report audit.md``), the same as HTML beside it (``audit.html``) and one PNG of
small multiples (``audit.png``: one panel per agency, applications received / answered / carried
over by year). The summary: reports per year, template and status, the flag rate, the cross-year tie
hold rates; per agency (the top N by number of reports, or those ``--agency`` names): key figures by
year (applications received, carried over, answered, carried forward, share granted, table-2 counts),
cross-year breaks and open flags.
"""

from __future__ import annotations

import html
import json
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from nianbao.series.identity import series_key
from nianbao.series.ties import TIES, checks

KEY_FIGURES = (  # (column title, field id or a computed key)
    ("received", "t3.new_received.total"),
    ("carried over", "t3.carried_over.total"),
    ("answered", "t3.total.total"),
    ("carried fwd", "t3.carried_forward.total"),
    ("granted %", "share:t3.granted.total/t3.total.total"),
    ("规范性 issued", "t2.normative_docs.issued|t2.normative_docs.new_made"),
    ("规范性 in force", "t2.normative_docs.in_force|t2.normative_docs.total_published"),
)


@dataclass
class Agency:
    """One series: its key, the names it used, and its reports by year."""

    key: str
    names: Counter[str] = field(default_factory=Counter)
    years: dict[int, dict[str, Any]] = field(default_factory=dict)

    @property
    def name(self) -> str:
        """The name of its latest report (a renamed agency goes by its new name; the key when none)."""
        for y in sorted(self.years, reverse=True):
            org = (self.years[y].get("meta") or {}).get("org")
            if org:
                return str(org)
        return self.key


def figure(rec: dict[str, Any], spec: str) -> float | int | None:
    """A key figure of a record: a field, the first present of ``a|b``, or ``share:a/b`` in percent.

    >>> figure({"fields": {"x": {"value": 1}, "y": {"value": 4}}}, "share:x/y")
    25.0
    """
    vals = {f: v.get("value") for f, v in (rec.get("fields") or {}).items()}
    if spec.startswith("share:"):
        a, b = spec[6:].split("/")
        return round(100.0 * vals[a] / vals[b], 1) if vals.get(a) is not None and vals.get(b) else None
    for f in spec.split("|"):
        if vals.get(f) is not None:
            return vals[f]
    return None


def _needed() -> frozenset[str]:
    """The fields the audit reads (key figures and tie columns): all a kept record holds."""
    out = {f for _, spec in KEY_FIGURES for f in spec.removeprefix("share:").replace("/", "|").split("|")}
    for ta, tb in (("v2021", "v2021"), ("v2019", "v2019")):
        for c in checks(ta, tb):
            out.update(c.earlier + c.later)
    return frozenset(out)


def slim(rec: dict[str, Any], needed: frozenset[str]) -> dict[str, Any]:
    """The part of a record the audit keeps per agency and year (so a large corpus fits in memory)."""
    return {"template": rec.get("template"), "meta": {"org": (rec.get("meta") or {}).get("org")},
            "fields": {f: {"value": v.get("value")} for f, v in (rec.get("fields") or {}).items() if f in needed},
            "flags": [{"code": x.get("code"), "fields": [f for f in x.get("fields") or [] if f in needed]}
                      for x in rec.get("flags") or []],
            "resolutions": [{}] * len(rec.get("resolutions") or [])}


def collect(records: Iterable[dict[str, Any]]) -> tuple[dict[str, Any], dict[str, Agency]]:
    """The corpus summary and the agencies (duplicates left out) of records (any iterable: streamed)."""
    needed = _needed()
    n_records = 0
    per_year: Counter[Any] = Counter()
    per_template: Counter[str] = Counter()
    per_status: Counter[str] = Counter()
    fields = flagged = settled = with_flags = 0
    agencies: dict[str, Agency] = {}
    for r in records:
        n_records += 1
        per_status[r.get("status", "?")] += 1
        if r.get("status") != "ok":
            continue
        per_year[(r.get("meta") or {}).get("year")] += 1
        per_template[r.get("template", "none")] += 1
        fl = {f for x in r.get("flags") or [] for f in x.get("fields") or []}
        fields += len(r.get("fields") or {})
        flagged += len(fl & set(r.get("fields") or {}))
        settled += len(r.get("resolutions") or [])
        with_flags += bool(r.get("flags"))
        key, year = series_key(r), (r.get("meta") or {}).get("year")
        if key is None or year is None or r.get("duplicate_of"):
            continue
        ag = agencies.setdefault(key, Agency(key))
        ag.names[(r.get("meta") or {}).get("org") or key] += 1
        ag.years.setdefault(int(year), slim(r, needed))
    checked: Counter[str] = Counter()
    held: Counter[str] = Counter()
    for ag in agencies.values():
        for y, a in ag.years.items():
            b = ag.years.get(y + 1)
            if b is None:
                continue
            doubted = {f for x in (a.get("flags") or []) + (b.get("flags") or [])
                       if not str(x.get("code", "")).startswith("crossyear.") for f in x.get("fields") or []}
            va = {f: v.get("value") for f, v in a["fields"].items()}
            vb = {f: v.get("value") for f, v in b["fields"].items()}
            for c in checks(a.get("template", "none"), b.get("template", "none")):
                if (set(c.earlier) | set(c.later)) & doubted:
                    continue
                h = c.holds(va, vb)
                if h is not None:
                    checked[c.tie] += 1
                    held[c.tie] += h
    summary = {"records": n_records, "per_year": dict(sorted(per_year.items(), key=lambda kv: str(kv[0]))),
               "per_template": dict(per_template), "per_status": dict(per_status), "fields": fields,
               "flagged_fields": flagged, "settled_fields": settled, "records_with_flags": with_flags,
               "ties": {t: (held[t], checked[t]) for t in TIES}, "agencies": len(agencies)}
    return summary, agencies


def _agency_rows(ag: Agency) -> list[list[str]]:
    rows = []
    for y in sorted(ag.years):
        r = ag.years[y]
        cells = [str(y), r.get("template", "")]
        for _, spec in KEY_FIGURES:
            v = figure(r, spec)
            cells.append("" if v is None else f"{v:g}")
        breaks = sorted({x["code"].removeprefix("crossyear.") for x in r.get("flags") or []
                         if str(x.get("code", "")).startswith("crossyear.")})
        open_ = sum(1 for x in r.get("flags") or [] if not str(x.get("code", "")).startswith("crossyear."))
        cells += [", ".join(breaks), str(open_), str(len(r.get("resolutions") or []))]
        rows.append(cells)
    return rows


HEAD = ["year", "template", *[t for t, _ in KEY_FIGURES], "cross-year breaks", "open flags", "settled"]


def _md_table(head: list[str], rows: list[list[str]]) -> list[str]:
    return ["| " + " | ".join(head) + " |", "|" + "---|" * len(head), *("| " + " | ".join(r) + " |" for r in rows)]


def _html_table(head: list[str], rows: list[list[str]]) -> str:
    th = "".join(f"<th>{html.escape(h)}</th>" for h in head)
    body = "".join("<tr>" + "".join(f"<td>{html.escape(c)}</td>" for c in r) + "</tr>" for r in rows)
    return f"<table><tr>{th}</tr>{body}</table>"


def pick(agencies: dict[str, Agency], top: int, names: list[str] | None) -> list[Agency]:
    """The agencies to show: those whose key or a name contains one of ``names``, else the ``top`` largest."""
    if names:
        return [a for a in agencies.values() if any(n in a.key or any(n in m for m in a.names) for n in names)]
    return sorted(agencies.values(), key=lambda a: (-len(a.years), a.key))[:top]


def plot(chosen: list[Agency], path: Path) -> None:
    """Small multiples: one panel per agency, received / answered / carried over by year."""
    # local: matplotlib costs start-up time; only this path needs it
    import matplotlib

    matplotlib.use("Agg")
    # local: matplotlib costs start-up time; only this path needs it
    import matplotlib.pyplot as plt

    n = max(1, len(chosen))
    cols = min(4, n)
    rows = (n + cols - 1) // cols
    fig, axes = plt.subplots(rows, cols, figsize=(3.2 * cols, 2.4 * rows), squeeze=False, sharex=True)
    for k, ag in enumerate(chosen):
        ax = axes[k // cols][k % cols]
        ys = sorted(ag.years)
        for label, spec in KEY_FIGURES[:3]:
            vals = [figure(ag.years[y], spec) for y in ys]
            ax.plot(ys, [float("nan") if v is None else v for v in vals], marker="o", label=label)
        ax.set_title(f"#{k + 1}", fontsize=9)
        ax.tick_params(labelsize=7)
    for k in range(len(chosen), rows * cols):
        axes[k // cols][k % cols].axis("off")
    axes[0][0].legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(path, dpi=90)
    plt.close(fig)


def write_audit(records: Iterable[dict[str, Any]], report: Path, top: int = 10, names: list[str] | None = None,
                plots: bool = True) -> dict[str, Any]:
    """Write ``report`` (Markdown), its ``.html`` twin and ``.png`` plots; returns the corpus summary."""
    summary, agencies = collect(records)
    report.parent.mkdir(parents=True, exist_ok=True)
    chosen = pick(agencies, top, names)
    rate = summary["flagged_fields"] / summary["fields"] if summary["fields"] else 0.0
    md = ["# nianbao audit", "", f"{summary['records']} records, {summary['agencies']} agencies (series).", "",
          "## Corpus", ""]
    corpus_rows = [["reports per year", ", ".join(f"{y}: {n}" for y, n in summary["per_year"].items())],
                   ["templates", ", ".join(f"{t}: {n}" for t, n in summary["per_template"].items())],
                   ["status", ", ".join(f"{s}: {n}" for s, n in summary["per_status"].items())],
                   ["flag rate", f"{rate:.4f} of {summary['fields']} fields ({summary['records_with_flags']} "
                                 f"records with a flag); {summary['settled_fields']} fields settled"]]
    for t, (h, c) in summary["ties"].items():
        corpus_rows.append([f"tie {t}", f"{h}/{c} held" + (f" ({h / c:.2f})" if c else "")])
    md += _md_table(["", ""], corpus_rows)
    png = report.with_suffix(".png")
    if plots and chosen:
        plot(chosen, png)
        md += ["", f"![key figures by year]({png.name})"]
    parts = [f"<h1>nianbao audit</h1><p>{summary['records']} records, {summary['agencies']} agencies.</p>",
             "<h2>Corpus</h2>", _html_table(["", ""], corpus_rows)]
    if plots and chosen:
        parts.append(f'<img src="{html.escape(png.name)}" alt="key figures by year">')
    for k, ag in enumerate(chosen, 1):
        names_used = ", ".join(n for n, _ in ag.names.most_common())
        rows = _agency_rows(ag)
        md += ["", f"## #{k} {ag.name}", "", f"series key `{ag.key}`; names used: {names_used}", ""]
        md += _md_table(HEAD, rows)
        parts += [f"<h2>#{k} {html.escape(ag.name)}</h2><p>series key <code>{html.escape(ag.key)}</code>; names "
                  f"used: {html.escape(names_used)}</p>", _html_table(HEAD, rows)]
    report.write_text("\n".join(md) + "\n", encoding="utf-8")
    report.with_suffix(".html").write_text(
        "<!DOCTYPE html><html><head><meta charset='utf-8'><title>nianbao audit</title><style>"
        "table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:2px 6px}</style></head><body>"
        + "".join(parts) + "</body></html>\n", encoding="utf-8")
    return summary


def audit_cli(inp: Path, report: Path, top: int, agency: list[str] | None, plots: bool) -> None:
    """``nianbao audit OUT.jsonl --report audit.md``."""

    with inp.open(encoding="utf-8") as fh:
        s = write_audit((json.loads(line) for line in fh if line.strip()), report, top, agency, plots)
    print(f"{s['records']} records, {s['agencies']} agencies -> {report} (+ .html" + (", .png)" if plots else ")"))
