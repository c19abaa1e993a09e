"""nianbao link: series grouping, duplicates, cross-year ties; acceptance on synthetic series with known truth."""

from __future__ import annotations

import copy
import doctest
import json
import subprocess
import sys
from pathlib import Path

import pytest

from nianbao.series import identity, link, store, ties
from nianbao.series.link import link as run_link
from nianbao.training.synth_series import generate

CORPUS = Path(__file__).resolve().parents[2] / "shared" / "corpus"


def test_doctests() -> None:
    for mod in (identity, store, ties, link):
        assert doctest.testmod(mod).failed == 0


def _pins(truth: list[dict], parsed: list[dict]) -> set[tuple[int, str]]:
    """(record, field) pairs flagged in ``parsed`` that a consistent tie pins: the other year is unflagged,
    the tie holds in truth for every column of the pair, and exactly one offered reading satisfies it."""
    pinned = set()
    by_key = {(r["url"].rsplit("/", 2)[0], r["meta"]["year"]): i for i, r in enumerate(truth)}
    for i, p in enumerate(parsed):
        for fl in p["flags"]:
            if fl["code"] != "split.ambiguous":
                continue
            rows = {f.rsplit(".", 1)[0] for f in fl["fields"]}
            key = truth[i]["url"].rsplit("/", 2)[0]
            year = truth[i]["meta"]["year"]
            for j in (by_key.get((key, year - 1)), by_key.get((key, year + 1))):
                if j is None or parsed[j]["flags"]:
                    continue
                a, b = (j, i) if j < i else (i, j)
                va = {f: v["value"] for f, v in truth[a]["fields"].items()}
                vb = {f: v["value"] for f, v in truth[b]["fields"].items()}
                cols = list(ties.checks("v2021", "v2021"))
                mine = [c for c in cols if {x.rsplit(".", 1)[0] for x in (c.earlier if a == i else c.later)} & rows]
                tie = mine[0].tie
                if not all(c.holds(va, vb) for c in cols if c.tie == tie):
                    continue
                fits = 0
                cur = {f: p["fields"][f]["value"] for f in fl["fields"]}
                for reading in [cur] + [dict(cur, **alt) for alt in fl["alternatives"]]:
                    wa, wb = (dict(va, **reading), vb) if a == i else (va, dict(vb, **reading))
                    fits += all(c.holds(wa, wb) for c in mine)
                if fits == 1:
                    pinned.update((i, f) for f in fl["fields"])
    return pinned


def test_synthetic_series_ties_settle_flagged_fields_and_never_touch_the_rest(tmp_path: Path) -> None:
    pairs = list(generate(seed=7, n_agencies=300, n_years=5, glued_share=0.3))
    truth = [t for t, _ in pairs]
    parsed = [p for _, p in pairs]
    before = copy.deepcopy(parsed)
    pinned = _pins(truth, parsed)
    assert len(pinned) > 100
    summary = run_link(parsed, workdir=tmp_path)
    assert len(summary.series) == 300 and summary.pairs == 300 * 4
    settled = {(i, r["field"]) for i, p in enumerate(parsed) for r in p.get("resolutions") or []}
    for i, f in settled:  # every settled value equals the truth
        assert parsed[i]["fields"][f]["value"] == truth[i]["fields"][f]["value"], (i, f)
        # the doubt it carried left; only another year's broken tie (crossyear.*) may still name it
        assert not any(f in fl["fields"] and not fl["code"].startswith("crossyear.") for fl in parsed[i]["flags"])
    assert len(pinned & settled) >= 0.9 * len(pinned), (len(pinned & settled), len(pinned))
    for i, (p, b) in enumerate(zip(parsed, before, strict=True)):  # no value that nothing doubted changes
        doubted = {f for fl in b["flags"] for f in fl["fields"]}
        for f, v in p["fields"].items():
            if f not in doubted:
                assert v["value"] == b["fields"][f]["value"], (i, f)


def test_duplicates_and_renamed_agency_keep_one_series(tmp_path: Path) -> None:
    recs = [t for t, _ in generate(seed=3, n_agencies=1, n_years=3, glued_share=0.0)]
    recs[2]["meta"]["org"] = "改名后的局"  # renamed: same URL folder
    recs.append(copy.deepcopy(recs[1]))  # the same report crawled twice
    recs[3]["doc_id"] = "other-bytes"
    summary = run_link(recs, workdir=tmp_path)
    assert len(summary.series) == 1 and summary.pairs == 2
    assert recs[3]["duplicate_of"] == recs[1]["doc_id"] and "duplicate_of" not in recs[1]


def test_a_broken_tie_of_unflagged_values_is_flagged_on_both_reports(tmp_path: Path) -> None:
    recs = [t for t, _ in generate(seed=5, n_agencies=1, n_years=2, glued_share=0.0)]
    recs[1]["fields"]["t3.carried_over.natural_person"]["value"] = recs[0]["fields"]["t3.carried_forward.natural_person"]["value"] + 3
    values = [{f: v["value"] for f, v in r["fields"].items()} for r in recs]
    run_link(recs, workdir=tmp_path)
    assert any(fl["code"] == "crossyear.carry" for fl in recs[0]["flags"])
    assert any(fl["code"] == "crossyear.carry" for fl in recs[1]["flags"])
    assert [{f: v["value"] for f, v in r["fields"].items()} for r in recs] == values


@pytest.mark.skipif(not (CORPUS / "crawl-series").is_dir(), reason="../shared/corpus/crawl-series is absent")
def test_link_cli_lists_series_and_ties(tmp_path: Path) -> None:
    out = subprocess.run([sys.executable, "-m", "nianbao", "parse", str(CORPUS / "crawl-series"), "-o",
                          str(tmp_path / "p.jsonl"), "--workers", "1", "--no-progress", "--no-model"],
                         capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr
    res = subprocess.run([sys.executable, "-m", "nianbao", "link", str(tmp_path / "p.jsonl"), "-o",
                          str(tmp_path / "l.jsonl"), "--summary", str(tmp_path / "s.json")],
                         capture_output=True, text=True, timeout=300)
    assert res.returncode == 0, res.stderr
    assert "ptzhsyqgyz/zfxxgknb: 2019, 2020, 2021, 2022, 2023, 2024, 2025" in res.stdout  # renamed in 2024
    s = json.loads((tmp_path / "s.json").read_text(encoding="utf-8"))
    assert s["ties"]["carry"]["checked"] > 0
    assert len((tmp_path / "l.jsonl").read_text(encoding="utf-8").splitlines()) == 30
    # meta (org, title, year) and url right on every labelled crawl-series page (labels/series_gold.yaml)
    import yaml

    gold = yaml.safe_load((Path(__file__).resolve().parents[1] / "labels" / "series_gold.yaml").read_text(encoding="utf-8"))
    recs = {r["source"].split("corpus/")[-1]: r for r in map(json.loads, (tmp_path / "p.jsonl").read_text(encoding="utf-8").splitlines())}
    wrong = [(p["file"], k) for p in gold["pages"] for k in ("org", "title", "year")
             if "".join(str(p["meta"][k]).split()) != "".join(str(recs[p["file"]]["meta"].get(k)).split())]
    assert wrong == [] and all(recs[p["file"]].get("url") == p["url"] for p in gold["pages"])


def test_streaming_link_file_equals_the_in_memory_pass(tmp_path: Path) -> None:
    """link_file (DuckDB on disk, one series in memory at a time) writes what link does, in input order."""
    from nianbao.series.link import link_file, write_jsonl

    recs = [p for _, p in generate(seed=21, n_agencies=40, n_years=4, glued_share=0.4)]
    recs.insert(5, {"doc_id": "bad", "source": "x", "status": "error", "fields": {}, "flags": []})
    recs.append(copy.deepcopy(recs[7]))
    recs[-1]["doc_id"] = "again"
    write_jsonl(recs, tmp_path / "in.jsonl")
    with (tmp_path / "in.jsonl").open("a", encoding="utf-8") as fh:
        fh.write("{not json\n")
    s_file = link_file(tmp_path / "in.jsonl", tmp_path / "out.jsonl", workdir=tmp_path, batch=17)
    s_mem = run_link(recs, workdir=tmp_path)
    lines = (tmp_path / "out.jsonl").read_text(encoding="utf-8").splitlines()
    assert lines[-1] == "{not json" and [json.loads(x) for x in lines[:-1]] == recs
    assert (s_file.pairs, s_file.duplicates, s_file.checked, s_file.settled) == \
        (s_mem.pairs, s_mem.duplicates, s_mem.checked, s_mem.settled)


def test_parse_link_links_the_output_in_place(tmp_path: Path) -> None:
    """`nianbao parse --link` = `nianbao parse` then `nianbao link` over its output."""
    from nianbao.training.synth_corpus import generate_one

    corpus = tmp_path / "corpus"
    corpus.mkdir()
    for i in range(3):
        d = generate_one(61, i, "glued_lines")
        (corpus / f"{d.name}.txt").write_text(d.text, encoding="utf-8")
    base = [sys.executable, "-m", "nianbao", "parse", str(corpus), "--no-model", "--workers", "1", "--no-progress"]
    subprocess.run([*base, "-o", str(tmp_path / "plain.jsonl")], check=True, capture_output=True)
    subprocess.run([sys.executable, "-m", "nianbao", "link", str(tmp_path / "plain.jsonl"), "-o",
                    str(tmp_path / "linked.jsonl"), "--quiet"], check=True, capture_output=True)
    subprocess.run([*base, "-o", str(tmp_path / "direct.jsonl"), "--link"], check=True, capture_output=True)
    assert (tmp_path / "direct.jsonl").read_text() == (tmp_path / "linked.jsonl").read_text()
    assert not list(tmp_path.glob("*.linking"))


ND = ("t2.normative_docs.issued", "t2.normative_docs.repealed", "t2.normative_docs.in_force")


def _report(year: int, nd: tuple[int, int, int], alts: list[tuple[int, int, int]] | None = None) -> dict:
    """A v2021 record of one agency: 规章 (0, 0, 5) unflagged, 规范性文件 ``nd`` glued side by side in the
    text; flagged with ``alts`` as the other cuts when given."""
    fields = {f"t2.regulations.{c}": {"value": v, "span": [10 + k, 11 + k]}
              for k, (c, v) in enumerate(zip(("issued", "repealed", "in_force"), (0, 0, 5), strict=True))}
    at = 100
    for f, v in zip(ND, nd, strict=True):
        fields[f] = {"value": v, "span": [at, at + len(str(v))]}
        at += len(str(v))
    flags = [{"code": "split.ambiguous", "fields": list(ND), "alternatives": [dict(zip(ND, a, strict=True)) for a in alts]}] if alts else []
    return {"doc_id": f"d{year}", "status": "ok", "template": "v2021", "url": f"https://x.gov.cn/nb/{year + 1}01/t{year}.htm",
            "meta": {"year": year, "org": "某局"}, "fields": fields, "flags": flags}


def test_a_tie_met_by_one_offered_cut_but_by_other_cuts_too_settles_nothing(tmp_path: Path) -> None:
    # 2021 printed "11036110" (110, 36, 110); the flag offers five cuts, not the true one, and of them only
    # (1, 1036, 110) meets the tie with 2022 (110 + 5 - 0 = 115). The cuts (110, 36, 110), (1103, 6, 110)
    # meet it too: the offered readings are not all there are, so the row stays flagged.
    offered = [(1, 103, 6110), (1, 1036, 110), (1, 10361, 10), (1, 103611, 0), (11, 0, 36110)]
    recs = [_report(2021, (1, 10, 36110), offered), _report(2022, (5, 0, 115))]
    run_link(recs, workdir=tmp_path)
    assert not recs[0].get("resolutions") and recs[0]["flags"][0]["code"] == "split.ambiguous"
    assert [recs[0]["fields"][f]["value"] for f in ND] == [1, 10, 36110]


def test_a_value_a_tie_settled_settles_the_year_before_it(tmp_path: Path) -> None:
    # 2021 and 2022 both doubted (nothing to lean on between them); 2023 is not: its tie settles 2022
    # (42 + 0 - 0 = 42, the one cut of "3142" with 现行有效 42), which then settles 2021 (40 + 3 - 1 = 42).
    recs = [_report(2021, (5, 24, 0), [(5, 2, 40), (52, 4, 0)]), _report(2022, (31, 4, 2), [(3, 1, 42), (3, 14, 2)]),
            _report(2023, (0, 0, 42))]
    summary = run_link(recs, workdir=tmp_path)
    assert [[r["fields"][f]["value"] for f in ND] for r in recs] == [[5, 2, 40], [3, 1, 42], [0, 0, 42]]
    assert all(not r["flags"] for r in recs) and summary.settled["in_force"] == 2
    assert {x["evidence"]["doc_id"] for x in recs[0]["resolutions"]} == {"d2022"}
