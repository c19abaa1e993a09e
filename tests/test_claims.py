"""Prose claims (labels/claims.yaml) and in-report settlement of flagged glued rows (nianbao.rules.claims)."""

from __future__ import annotations

import doctest

from nianbao.document import Document, FieldValue, Flag
from nianbao.rules import claims
from nianbao.rules.claims import extract_claims, load_catalogue, settle_by_claims, settled_confidence

ROW = ("t2.normative_docs.issued", "t2.normative_docs.repealed", "t2.normative_docs.in_force")


def glued(prose: str, run: str, cut: tuple[str, str, str], alt: tuple[int, int, int], code: str = "split.unpinned") -> Document:
    """A v2021 document whose 行政规范性文件 row is the glued ``run`` read as ``cut``, flagged with ``alt``."""
    text = prose + "。表二 行政规范性文件" + run
    start = text.index(run, len(prose))
    d = Document(norm_text=text, template="v2021")
    pos = start
    for f, part in zip(ROW, cut, strict=True):
        d.fields[f] = FieldValue(value=int(part), raw=part, norm_span=(pos, pos + len(part)))
        pos += len(part)
    d.fields["t2.licensing.decisions"] = FieldValue(value=3, raw="3")
    d.flags = [Flag(code=code, fields=list(ROW), alternatives=[dict(zip(ROW, alt, strict=True))])]
    return d


def test_doctests() -> None:
    assert doctest.testmod(claims).failed == 0


def test_catalogue_loads_and_only_measured_phrasings_settle() -> None:
    cat = load_catalogue()
    assert len({p.id for p in cat}) == len(cat)
    for p in cat:
        if p.settle:
            assert p.precision is not None and p.precision > 0.5


def test_a_claim_that_agrees_with_one_alternative_settles_the_row() -> None:
    d = settle_by_claims(glued("现行有效行政规范性文件共253件", "97253", ("97", "2", "53"), (9, 7, 253)))
    assert [d.fields[f].value for f in ROW] == [9, 7, 253]
    assert d.flags == []
    assert {r.field for r in d.resolutions} == set(ROW)
    r = d.resolutions[0]
    assert r.previous == 97 and r.value == 9 and r.code == "split.unpinned" and r.evidence["kind"] == "prose"
    assert d.fields["t2.normative_docs.in_force"].norm_span[1] - d.fields["t2.normative_docs.in_force"].norm_span[0] == 3
    d = settled_confidence(d)
    assert 0.5 < d.fields["t2.normative_docs.issued"].confidence < 1.0
    assert d.to_record()["resolutions"][0]["evidence"]["phrasing"] == "in_force.current"


def test_a_claim_that_confirms_the_chosen_cut_settles_without_change() -> None:
    d = settle_by_claims(glued("本年度制发规范性文件34件", "34089", ("34", "0", "89"), (3, 40, 89)))
    assert [d.fields[f].value for f in ROW] == [34, 0, 89] and d.flags == [] and len(d.resolutions) == 3


def test_a_claim_that_two_cuts_satisfy_settles_nothing() -> None:
    """7744615 reads 774|4|615 as easily as 77|44|615: a claim of 615 in force pins neither."""
    d = settle_by_claims(glued("现行有效规范性文件615件", "7744615", ("774", "4", "615"), (77, 44, 615)))
    assert [d.fields[f].value for f in ROW] == [774, 4, 615] and len(d.flags) == 1 and d.resolutions == []


def test_a_cut_no_flag_offered_is_not_taken() -> None:
    """The one cut the claim allows must be a reading the flags offered, unless the prose states the whole row."""
    d = settle_by_claims(glued("现行有效规范性文件253件", "97253", ("97", "2", "53"), (97, 25, 3)))
    assert d.resolutions == [] and [d.fields[f].value for f in ROW] == [97, 2, 53]
    prose = "本年度制发规范性文件9件，废止规范性文件7件，现行有效规范性文件253件"
    d = settle_by_claims(glued(prose, "97253", ("97", "2", "53"), (97, 25, 3)))
    assert [d.fields[f].value for f in ROW] == [9, 7, 253] and len(d.resolutions) == 3


def test_contradicting_claims_and_flag_only_phrasings_settle_nothing() -> None:
    d = settle_by_claims(glued("制发规范性文件9件，后又制发规范性文件97件", "97253", ("97", "2", "53"), (9, 7, 253)))
    assert d.resolutions == [] and len(d.flags) == 1
    # a phrasing measured below 0.99 only flags: 部分公开 is not allowed to settle
    assert not next(p for p in load_catalogue() if p.id == "partial").settle


def test_an_unflagged_value_is_never_changed() -> None:
    d = glued("现行有效行政规范性文件共253件", "97253", ("97", "2", "53"), (9, 7, 253))
    d.flags = []
    d = settle_by_claims(d)
    assert [d.fields[f].value for f in ROW] == [97, 2, 53] and d.resolutions == []


def test_claims_inside_tables_are_not_read() -> None:
    text = "本年度制发规范性文件34件"
    assert extract_claims(text, "v2021", inside=lambda p: True) == []
    assert [c.value for c in extract_claims(text, "v2021")] == [34]
    assert extract_claims(text, "none") == []


def test_acceptance_on_synthetic_glued_reports() -> None:
    """Glued-style synthetic reports with a claim sentence: >= 90% of pinned flagged fields settled, none wrong,
    no undoubted value changed (the full run: ``python -m nianbao.evaluation.evidence_synth 200 17``)."""
    from nianbao.evaluation.evidence_synth import run

    out = run(60, 17)
    assert out["pinned"] >= 10
    assert out["settled_wrong"] == 0 and out["unflagged_changed"] == 0
    assert out["settled_pinned"] >= 0.9 * out["pinned"], out


def test_the_scorer_counts_a_wrong_settled_value_as_a_silent_error() -> None:
    """A settled field left flags: the harness treats it like any unflagged value."""
    from nianbao.evaluation.score import score_fields
    from nianbao.labels.gold import GoldDoc, GoldField

    gold = GoldDoc(name="g", sha256="0", text="x", style="crawl", template="v2021",
                   fields={"t2.normative_docs.issued": GoldField(value=9)})
    rec = {"fields": {"t2.normative_docs.issued": {"value": 97, "confidence": 0.75, "span": [0, 1]}}, "flags": [],
           "resolutions": [{"field": "t2.normative_docs.issued", "previous": 9, "value": 97,
                            "evidence": {"kind": "prose"}}]}
    (res,), _ = score_fields(gold, rec)
    assert res.silent


def test_a_row_whose_runs_the_text_parts_with_a_space_is_cut_run_by_run() -> None:
    # "31 36": 发布 3, 废止 1 glued, 现行有效 36 apart; read (31, 3, 6), the prose says 废止 1: only (3, 1, 36) agrees
    text = "废止规范性文件1件。表二 行政规范性文件31 36"
    at = text.index("31 36")
    d = Document(norm_text=text, template="v2021")
    for f, v, span in zip(ROW, (31, 3, 6), ((at, at + 2), (at + 3, at + 4), (at + 4, at + 5)), strict=True):
        d.fields[f] = FieldValue(value=v, raw=str(v), norm_span=span)
    d.flags = [Flag(code="split.ambiguous", fields=list(ROW), alternatives=[dict(zip(ROW, (3, 1, 36), strict=True))])]
    d = settle_by_claims(d)
    assert [d.fields[f].value for f in ROW] == [3, 1, 36] and not d.flags
    assert [d.fields[f].norm_span for f in ROW] == [(at, at + 1), (at + 1, at + 2), (at + 3, at + 5)]
    # a letter, not a space, between the cells: not one row's runs, nothing settles
    d2 = Document(norm_text=text.replace("31 36", "31x36"), template="v2021")
    for f, v, span in zip(ROW, (31, 3, 6), ((at, at + 2), (at + 3, at + 4), (at + 4, at + 5)), strict=True):
        d2.fields[f] = FieldValue(value=v, raw=str(v), norm_span=span)
    d2.flags = [Flag(code="split.ambiguous", fields=list(ROW), alternatives=[dict(zip(ROW, (3, 1, 36), strict=True))])]
    assert [settle_by_claims(d2).fields[f].value for f in ROW] == [31, 3, 6]
