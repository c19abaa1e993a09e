"""Precision of each prose claim phrasing (``labels/claims.yaml``): claims agreeing with the reference values
over all claims, on the labelled reports, the crawl-series meta gold, parsed records and synthetic reports.

    python -m nianbao.evaluation.claims_precision measure 400 4321 /tmp/series.jsonl   # per phrasing: agree / n

Only phrasings measured at >= 0.99 on tuning data may settle a value (``rules.claims``); the rest only flag.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any

import yaml

from nianbao.labels.gold import decode_utf8, default_corpus_root, load_gold
from nianbao.rules.claims import CLAIMS_PATH, TABLE_TAGS, Phrasing, extract_claims, load_catalogue, same_value
from nianbao.training.synth_corpus import generate_one


def measure(docs: Iterable[tuple[str, str, str, dict[str, Any], list[tuple[int, int]]]],
            catalogue: Sequence[Phrasing] | None = None) -> dict[str, dict[str, int]]:
    """Per phrasing: claims (n) and claims agreeing with the reference values (agree), over
    (name, text, template, {field: value}, table spans) documents. A claim on a field the reference
    lacks is not counted."""
    out: dict[str, dict[str, int]] = {p.id: {"n": 0, "agree": 0} for p in (catalogue or load_catalogue())}
    for _name, text, template, values, spans in docs:
        def inside(pos: int, spans: list[tuple[int, int]] = spans) -> bool:
            return any(a <= pos < b for a, b in spans)

        for c in extract_claims(text, template, inside, catalogue):
            if c.field not in values:
                continue
            out[c.phrasing.id]["n"] += 1
            out[c.phrasing.id]["agree"] += int(same_value(values[c.field], c.value))
    return out


def gold_documents(gold_dir: Path, used_for: str | None) -> Iterator[tuple[str, str, str, dict[str, Any], list[tuple[int, int]]]]:
    """The labelled real reports as measurement documents (``used_for``: "tune", "held_out" or None = all)."""

    for path in sorted(gold_dir.glob("*.json")):
        for g in load_gold(path):
            if used_for == "tune" and "tune" not in g.used_for or used_for == "held_out" and not g.held_out:
                continue
            try:
                text = g.load_text(default_corpus_root())
            except (FileNotFoundError, OSError, ValueError):
                continue
            spans = [(s.start, s.end) for s in g.spans if s.tag in TABLE_TAGS]
            yield g.name, text, g.template, {f: v.value for f, v in g.fields.items()}, spans


SERIES_GOLD = CLAIMS_PATH.parent / "series_gold.yaml"


def series_gold_documents(path: Path = SERIES_GOLD) -> Iterator[tuple[str, str, str, dict[str, Any], list[tuple[int, int]]]]:
    """The crawl-series/ pages with values read by eye (``labels/series_gold.yaml``) as measurement documents;
    the table region (from the first table-2 heading to section 五) is left out."""

    for page in yaml.safe_load(path.read_text(encoding="utf-8"))["pages"]:
        if not page.get("fields"):
            continue
        try:
            text = decode_utf8((default_corpus_root() / page["file"]).read_bytes())
        except OSError:
            continue
        template = "v2021" if "本年制发件数" in text else "v2019"
        a = text.find("第二十条")
        b = text.find("五、", a)
        yield page["file"], text, template, dict(page["fields"]), [(a, b if b > a else len(text))] if a >= 0 else []


def synthetic_documents(n: int, seed: int) -> Iterator[tuple[str, str, str, dict[str, Any], list[tuple[int, int]]]]:
    """``n`` reports of the synthetic generator (its decoy sentences included) as measurement documents."""

    for i in range(n):
        g = generate_one(seed, i)
        spans = [(s.start, s.end) for s in g.spans if s.tag in TABLE_TAGS]
        yield g.name, g.load_text(), g.template, {f: v.value for f, v in g.fields.items()}, spans


def parsed_documents(jsonl: Path) -> Iterator[tuple[str, str, str, dict[str, Any], list[tuple[int, int]]]]:
    """Parse records of unlabelled reports (crawl-series/) as measurement documents: the reference is each
    unflagged value (a proxy for gold: unflagged values are right on every labelled report)."""

    for line in jsonl.read_text(encoding="utf-8").splitlines():
        rec = json.loads(line)
        if rec.get("status") != "ok" or not rec.get("fields"):
            continue
        try:
            text = decode_utf8(Path(rec["source"]).read_bytes())
        except OSError:
            continue
        flagged = {f for fl in rec.get("flags") or [] for f in fl.get("fields") or []}
        values = {f: v["value"] for f, v in rec["fields"].items() if f not in flagged}
        spans = [tuple(v["span"]) for v in rec["fields"].values()]
        yield rec["source"], text, rec["template"], values, spans  # type: ignore[misc]


def main(argv: Sequence[str] | None = None) -> None:
    """``python -m nianbao.evaluation.claims_precision measure [N_SYNTH] [SEED] [SERIES_PARSE.jsonl]``: per-phrasing precision, printed as JSON."""

    args = list(sys.argv[1:] if argv is None else argv)
    if not args or args[0] != "measure":
        raise SystemExit("usage: python -m nianbao.evaluation.claims_precision measure [N_SYNTH] [SEED] [SERIES_PARSE.jsonl]")
    n = int(args[1]) if len(args) > 1 else 300
    seed = int(args[2]) if len(args) > 2 else 4321
    gold_dir = CLAIMS_PATH.parent / "gold"
    series = Path(args[3]) if len(args) > 3 else None
    result = {"tune": measure(gold_documents(gold_dir, "tune")),
              "series_gold": measure(series_gold_documents()),
              "series_unflagged": measure(parsed_documents(series)) if series else {},
              "synthetic": measure(synthetic_documents(n, seed)),
              "held_out": measure(gold_documents(gold_dir, "held_out"))}
    print(json.dumps(result, ensure_ascii=False, indent=1))


if __name__ == "__main__":
    main()
