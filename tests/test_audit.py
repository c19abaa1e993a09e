"""nianbao audit: corpus summary and per-agency series over linked synthetic records with known truth."""

from __future__ import annotations

import doctest
from pathlib import Path

from nianbao.series import audit
from nianbao.series.audit import collect, write_audit
from nianbao.series.link import link
from nianbao.training.synth_series import generate


def test_doctests() -> None:
    assert doctest.testmod(audit).failed == 0


def test_audit_of_synthetic_series(tmp_path: Path) -> None:
    recs = [p for _, p in generate(seed=9, n_agencies=12, n_years=4, glued_share=0.3)]
    recs[0]["status"] = "error"
    link(recs, workdir=tmp_path)
    summary, agencies = collect(recs)
    assert summary["per_status"] == {"error": 1, "ok": 47} and summary["agencies"] == 12
    assert summary["ties"]["carry"][1] > 0
    report = tmp_path / "a" / "audit.md"
    s = write_audit(recs, report, top=3)
    text = report.read_text(encoding="utf-8")
    assert s["records"] == 48 and text.count("\n## #") == 3 and "tie in_force" in text
    assert report.with_suffix(".html").read_text(encoding="utf-8").count("<table>") == 4
    assert report.with_suffix(".png").stat().st_size > 1000
    one = write_audit(recs, tmp_path / "b.md", names=["dept000005"], plots=False)
    assert one["agencies"] == 12 and (tmp_path / "b.md").read_text(encoding="utf-8").count("\n## #") == 1
    # the year rows of an agency are its truth where nothing was doubted: received figures match
    ag = next(a for a in agencies.values() if "dept000005" in a.key)
    assert sorted(ag.years) == [2021, 2022, 2023, 2024]
