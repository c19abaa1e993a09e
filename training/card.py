"""The model card (``models/<name>/README.md``), written by the training run from what it measured."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import yaml

from nianbao.labels.tags import ENTITY_TYPES

REPORT_CHARS = 8000  # a mid-sized report (they run from 3k to 20k characters)


def reports_per_s(chars_per_s: float, chars: int = REPORT_CHARS) -> float:
    """Reports per second at a tagging speed.

    >>> reports_per_s(80000.0)
    10.0
    """
    return chars_per_s / chars


def folder_sizes(folder: str | Path) -> dict[str, float]:
    """Size in MB of each file of a tagger folder, plus ``total``."""
    folder = Path(folder)
    sizes = {p.name: round(p.stat().st_size / 2**20, 2) for p in sorted(folder.iterdir()) if p.is_file()}
    sizes["total"] = round(sum(sizes.values()), 2)
    return sizes


def _pct(x: float | None) -> str:
    return "-" if x is None else f"{100 * x:.2f}"


def _table(header: list[str], rows: list[list[Any]]) -> list[str]:
    out = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    out += ["| " + " | ".join(str(c) for c in row) + " |" for row in rows]
    return out


def render_card(result: dict[str, Any], sizes: dict[str, float],
                tradeoff: list[dict[str, Any]] | None = None) -> str:
    """Markdown of the card from a training result (``training_metrics.json``)."""
    cfg, data, test = result["config"], result["data"], result["test"]
    overall = test["overall"]
    lines = [f"# {cfg['name']} {cfg['version']}", "",
             "Character-level BIO tagger for flattened government information-disclosure annual reports "
             "(政府信息公开工作年度报告): section headings (SEC), table titles (TTL), row labels (ROW), column "
             "headers (COL), value cells (VAL) and blank-cell placeholders (BLANK), one label per character of "
             "the normalised text (`labels/TAGS.md`). Written by `nianbao train fit`; do not edit by hand.", "",
             "## Data", "",
             f"- Synthetic reports from `{data['path']}` (`nianbao train synth generate`); no labelled real report "
             "is trained on: all labelled real reports are kept for measurement.",
             f"- Train {data['train_docs']} docs ({data['train_chars']:,} chars, {data['train_windows']} windows), "
             f"validation {data['validation_docs']} docs, held-out test {data['test_docs']} docs.",
             f"- Styles (train): {data.get('styles') or '-'}",
             f"- Templates (train): {data.get('templates') or '-'}",
             f"- Unknown-character rate on test: {100 * data.get('unk_rate_test', 0):.3f}%", ""]
    lines += _mixture_lines(data.get("mixture") or [])
    lines += _self_train_lines(result.get("self_train"))
    lines += ["## Metrics", "",
             f"Held-out synthetic test set, whole documents tagged as at run time (sliding windows of "
             f"{cfg['window']} chars, overlap {cfg['overlap']}, stitched logits), seqeval entity scores:", "",
             f"**entity F1 {_pct(overall['f1'])}** (precision {_pct(overall['precision'])}, recall "
             f"{_pct(overall['recall'])}) over {test['docs']} docs, {test['chars']:,} chars.", ""]
    lines += _table(["type", "F1 %"], [[t, _pct(overall.get(f"f1_{t}"))] for t in ENTITY_TYPES])
    if test.get("per_style"):
        lines += ["", "Per input style:", ""]
        lines += _table(["style", "docs", "F1 %"],
                        [[s, v["docs"], _pct(v["f1"])] for s, v in test["per_style"].items()])
    real = result.get("real")
    if real:
        lines += ["", f"Labelled real reports (`nianbao eval --tagger`, {real['docs']} reports from "
                  f"`{real['gold']}`, none of them trained on; {real['created']}): **entity F1 "
                  f"{_pct(real['micro']['f1'])}** (precision {_pct(real['micro']['precision'])}, recall "
                  f"{_pct(real['micro']['recall'])}).", ""]
        lines += _table(["type", "P %", "R %", "F1 %", "entities"],
                        [[t, _pct(v["precision"]), _pct(v["recall"]), _pct(v["f1"]), v["support"]]
                         for t, v in real["per_type"].items()])
        held = real.get("held_out")
        if held:
            lines += ["", f"Of these, the {held['docs']} reports no model or rule was trained or tuned on (gold "
                      f"`used_for: []`): **entity F1 {_pct(held['micro']['f1'])}** (precision "
                      f"{_pct(held['micro']['precision'])}, recall {_pct(held['micro']['recall'])}); per type: "
                      + ", ".join(f"{t} {_pct(v['f1'])}" for t, v in held["per_type"].items()) + "."]
    else:
        lines += ["", "Real reports: measured separately with `nianbao eval --tagger` on labelled reports the model "
                  "never saw; `nianbao train finalize DIR --real-eval FILE` puts the scores here."]
    lines += ["", "Validation per epoch (seqeval on windows):", ""]
    lines += _table(["epoch", "loss", "F1 %"],
                    [[round(e.get("epoch", 0), 2), round(e.get("eval_loss", 0), 4), _pct(e.get("eval_f1"))]
                     for e in result["history"]])
    lines += ["", f"Training: {result['steps']} steps in {result['train_seconds'] / 60:.1f} min on "
              f"{cfg['threads']} CPU threads; best checkpoint `{result.get('best_checkpoint')}`; "
              f"{result.get('rows_tied_to_unk', 0)} vocabulary rows never seen in training tied to `[UNK]`.", ""]
    lines += ["## Size", "", f"{result['parameters']:,} parameters.", ""]
    lines += _table(["file", "MB"], [[k, v] for k, v in sizes.items()])
    lines += ["", "## Speed", ""]
    speed, onnx = result.get("speed"), result.get("onnx")
    if speed:
        rows = [["torch", speed["torch"]["chars_per_s"], speed["torch"]["docs_per_s"]]]
        if "chars_per_s" in speed.get("onnx", {}):
            rows.append(["onnx", speed["onnx"]["chars_per_s"], speed["onnx"]["docs_per_s"]])
        lines += [f"{speed['docs']} test docs (mean {speed['mean_chars_per_doc']} chars), batches of 8 docs, "
                  f"{speed['torch_threads']} torch threads on {speed['cpus']} CPUs, one run: best of "
                  f"{speed.get('repeats', 1)} passes, the runtimes taking turns:", ""]
        lines += _table(["runtime", "chars/s", "docs/s"], rows)
        if speed.get("onnx_over_torch"):
            lines += ["", f"ONNX / torch: {speed['onnx_over_torch']}x."]
    if onnx:
        lines += ["", f"ONNX export (opset {onnx['opset']}, fused attention) vs torch on {onnx.get('windows', 0)} "
                  f"document windows plus random ids: max |probability difference| {onnx['max_abs_diff_probs']:.2e} "
                  f"(tolerance {onnx['tolerance']:.0e}; torch float32 vs float64 on the same inputs: "
                  f"{onnx.get('fp32_noise_probs', float('nan')):.2e}), max |logit difference| "
                  f"{onnx['max_abs_diff_logits']:.2e}, same argmax on {100 * onnx.get('argmax_agreement', 0):.3f}% "
                  f"of positions, within 1e-5: {'yes' if onnx.get('within_strict_1e_5') else 'no'}: "
                  f"{'verified, used by --runtime auto' if onnx['passed'] else 'NOT verified, torch is used'}."]
    lines += ["", "## Trade-off", ""]
    if speed:
        best = max(v["chars_per_s"] for k, v in speed.items() if k in ("torch", "onnx") and "chars_per_s" in v)
        lines += [f"Tagging alone runs at {best:,.0f} chars/s here, i.e. {reports_per_s(best):.1f} reports/s of "
                  f"{REPORT_CHARS:,} chars (the batch target of >= 10 reports/s end to end needs >= "
                  f"{10 * REPORT_CHARS:,} chars/s of tagging before the other stages).", ""]
    if tradeoff:
        lines += ["Measured speed of the same vocabulary at other shapes (random weights: speed does not depend "
                  "on them), same machine, same texts:", ""]
        lines += _table(["layers", "hidden", "params", "MB", "torch chars/s", "onnx chars/s",
                         f"reports/s ({REPORT_CHARS:,} chars, best runtime)"],
                        [[r["layers"], r["hidden"], f"{r['parameters']:,}", r["safetensors_mb"],
                          r["torch_chars_per_s"], r["onnx_chars_per_s"],
                          f"{reports_per_s(max(r['torch_chars_per_s'], r['onnx_chars_per_s'] or 0)):.1f}"]
                         for r in tradeoff])
        lines.append("")
    else:
        lines += ["Not measured for this run: `python -m nianbao.evaluation.bench_tagger --architectures FILE "
                  "--texts DATA` writes the table; point the config's `tradeoff` at it.", ""]
    if cfg.get("notes"):
        lines += [cfg["notes"], ""]
    shown = {k: v for k, v in cfg.items() if k != "notes"}  # the notes are printed above
    lines += ["## Config", "", "```yaml", yaml.safe_dump(shown, sort_keys=False, allow_unicode=True).rstrip(), "```",
              "", "## Files", "",
              "`model.safetensors` + `config.json` (transformers, labels from `nianbao.labels.tags`), "
              "`charmap.json` + tokenizer files (one id per character, a reserved id per whitespace kind), "
              "`tagger.json` (window, overlap), `model.onnx` + `onnx_verify.json`, `training_metrics.json`. "
              "Weights load with safetensors only.", ""]
    return "\n".join(lines)


def _mixture_lines(mixture: list[dict[str, Any]]) -> list[str]:
    """The training mixture (only when more than the synthetic set was mixed in)."""
    if len(mixture) < 2:
        return []
    lines = ["Training mixture (weight: copies of each document per epoch):", ""]
    lines += _table(["source", "kind", "weight", "docs", "copies"],
                    [[f"`{m['path']}`", m["kind"], m["weight"], m["docs"], m["copies"]] for m in mixture])
    return [*lines, ""]


def _self_train_lines(st: dict[str, Any] | None) -> list[str]:
    """What self-training kept per round and how precise its pseudo-labels were (``nianbao train self-train``)."""
    if not st:
        return []
    lines = ["## Self-training", "",
             f"Pseudo-labels from the readings of `{st['corpus']}` that the template's arithmetic proves "
             "(`nianbao.training.pseudo_labels`): a table is kept when no flag touches it and the model's and the "
             "rules-only reader's readings give every field the same value and span; VAL/BLANK come from its "
             "fields, ROW/COL/TTL/SEC only where both readers place exactly the same span, every other character "
             f"is masked from the loss. A tag whose pseudo-label precision on the tuning documents is below "
             f"{st['min_precision']} is masked too. Per round:", ""]
    rows = []
    for r in st["rounds"]:
        prec = r["tuning_precision"]["per_tag"]
        rows.append([r["round"], r["pages"], r["kept_pages"], r["kept_tables"],
                     ", ".join(f"{t} {_pct(v['precision'])} ({v['taught']})" for t, v in prec.items()),
                     ", ".join(r["masked"]) or "-", _pct((r.get("tuning_f1") or {}).get("micro"))])
    lines += _table(["round", "pages", "kept pages", "kept tables",
                     "pseudo-label precision % on tuning docs (entities taught; O: characters)", "masked",
                     "tuning entity F1 %"], rows)
    start = st.get("start") or {}
    if start.get("tuning_f1"):
        lines += ["", f"Start model `{start['model']}`: tuning entity F1 {_pct(start['tuning_f1']['micro'])}; "
                  f"chosen: {st.get('chosen') or 'none (no round beat the start model on the tuning documents)'}."]
    held = st.get("held_out_precision")
    if held:
        lines += ["", f"Final figure (chose nothing): the same selection on the {len(held['docs'])} held-out labelled "
                  "reports kept " + f"{held['kept_docs']} of them; pseudo-label precision: "
                  + ", ".join(f"{t} {_pct(v['precision'])} ({v['taught']})" for t, v in held["per_tag"].items())
                  + "."]
    return [*lines, ""]


def real_scores(eval_json: dict[str, Any]) -> dict[str, Any]:
    """The tagger scores of a ``nianbao eval --json`` result, aggregates only (no report text).

    >>> e = {"created": "t", "gold": {"dir": "g"}, "tagger": {"docs": [1, 2], "entity": {
    ...     "micro avg": {"precision": 1, "recall": 1, "f1": 1, "support": 3},
    ...     "VAL": {"precision": 1, "recall": 1, "f1": 1, "support": 3}}}}
    >>> real_scores(e)["per_type"]["VAL"]["support"], real_scores(e)["docs"]
    (3, 2)
    """
    tagger = eval_json.get("tagger")
    if not tagger or not tagger.get("entity"):
        raise ValueError("E_EVAL_JSON: no tagger scores in this file; run `nianbao eval --tagger DIR --json FILE`")
    entity = tagger["entity"]
    out = {"docs": len(tagger.get("docs", [])), "gold": (eval_json.get("gold") or {}).get("dir", "?"),
           "created": eval_json.get("created", "?"), "micro": entity["micro avg"],
           "per_type": {t: entity[t] for t in ENTITY_TYPES if t in entity}}
    if tagger.get("held_out"):
        held = tagger["held_out"]["entity"]
        out["held_out"] = {"docs": tagger["held_out"]["docs"], "micro": held["micro avg"],
                           "per_type": {t: held[t] for t in ENTITY_TYPES if t in held}}
    return out


def write_card(folder: str | Path, result: dict[str, Any], tradeoff: list[dict[str, Any]] | None = None) -> Path:
    """Write ``README.md`` into the tagger folder; returns its path."""
    folder = Path(folder)
    path = folder / "README.md"
    path.write_text(render_card(result, folder_sizes(folder), tradeoff), encoding="utf-8")
    if result.get("self_train_trials"):
        replace_section(path, TRIALS_HEADING, trials_section(result["self_train_trials"]))
    return write_int8_section(folder)


INT8_HEADING = "## int8 runtime"


def int8_section(verdict: dict[str, Any]) -> str:
    """The card's section on the int8 model: the criterion, what was measured, whether ``auto`` uses it."""
    lines = [INT8_HEADING, "",
             "`model.int8.onnx`: `model.onnx` quantised by ONNX Runtime (dynamic, 7-bit int8 weights per channel), "
             "written and verified by `nianbao train export-onnx` (`int8_verify.json`, onnxruntime "
             f"{verdict.get('onnxruntime', '?')}).", "",
             f"Criterion: {verdict.get('criterion', '?')}.", "",
             "| set | docs | records read differently | silent errors float / int8 | entity F1 float / int8 | "
             "records with other changes | max confidence change |",
             "|---|---|---|---|---|---|---|"]
    for s in verdict.get("sets", []):
        keys = ", ".join(f"{k} {v}" for k, v in s["differing_keys"].items())
        other = ", ".join(f"{k} {v}" for k, v in s.get("other_keys", {}).items())
        lines.append(f"| {s['name']} | {s['docs']} | {s['records_differing']}{f' ({keys})' if keys else ''} | "
                     f"{s.get('silent_float', '?')} / {s.get('silent_int8', '?')} | {s['f1_float']:.4f} / "
                     f"{s['f1_int8']:.4f} | {s.get('records_other_changes', 0)}{f' ({other})' if other else ''} | "
                     f"{s.get('max_confidence_diff', 0):.4f} |")
    verdict_line = ("Passed: `--runtime auto` uses it where this CPU reproduces the stored tags of the "
                    f"{len(verdict.get('probe', {}).get('windows', []))} probe windows on load (else float ONNX)."
                    if verdict.get("passed") else
                    f"Not passed ({verdict.get('why')}): `--runtime auto` uses the float ONNX model; "
                    "`--runtime onnx-int8` refuses it.")
    return "\n".join([*lines, "", verdict_line, ""])


def replace_section(path: Path, heading: str, section: str) -> Path:
    """Put ``section`` (starting with ``heading``) at the end of the card, replacing an older one."""
    text = path.read_text(encoding="utf-8")
    if heading in text:
        head, _, rest = text.partition(heading)
        nxt = rest.find("\n## ")
        text = head.rstrip("\n") + "\n\n" + (rest[nxt + 1:] if nxt >= 0 else "")
    path.write_text(text.rstrip("\n") + "\n\n" + section, encoding="utf-8")
    return path


def write_int8_section(folder: str | Path) -> Path:
    """Put the int8 section into the card (replacing an older one) when ``int8_verify.json`` exists."""
    folder = Path(folder)
    path, verify = folder / "README.md", folder / "int8_verify.json"
    if not path.is_file() or not verify.is_file():
        return path
    return replace_section(path, INT8_HEADING, int8_section(json.loads(verify.read_text(encoding="utf-8"))))


TRIALS_HEADING = "## Self-training trials (measured, not adopted)"


def trials_section(trials: list[dict[str, Any]]) -> str:
    """The card's record of self-training runs that did not replace this model: per run, what it kept, the
    pseudo-label precision per tag and the tuning scores against this model's."""
    lines = [TRIALS_HEADING, "",
             "Runs of `nianbao train self-train` (README \"Learning from your own crawl\") that started from this "
             "model and were measured but not adopted: no round beat it on the tuning documents. They read only "
             "the unlabelled corpus named and synthetic reports; `crawl/`, the held-out PDF texts and every "
             "report declared held out stayed out of training and selection.", ""]
    for t in trials:
        body = _self_train_lines(t)[2:]  # the section's text without its own heading
        init = (t.get("start") or {}).get("init")
        lines += [f"### {t.get('label') or t['corpus']}" + (f" (encoder first pre-trained: `{init}`)" if init else ""),
                  "", *body]
    return "\n".join(lines).rstrip("\n") + "\n"


def record_trials(folder: str | Path, reports: list[dict[str, Any]]) -> Path:
    """Keep self-training reports that were not adopted in ``training_metrics.json`` (``self_train_trials``)
    and in the card's trials section; returns the card's path."""
    folder = Path(folder)
    metrics_path = folder / "training_metrics.json"
    metrics = json.loads(metrics_path.read_text(encoding="utf-8"))
    metrics["self_train_trials"] = reports
    metrics_path.write_text(json.dumps(metrics, indent=2, ensure_ascii=False, default=str) + "\n", encoding="utf-8")
    return replace_section(folder / "README.md", TRIALS_HEADING, trials_section(reports))
