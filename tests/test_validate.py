"""Validation (invariants -> flags, values untouched), prose cross-checks, confidence, and the rule layer
end to end (seeds in rules-only mode, synthetic reports)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from nianbao.document import Document, FieldValue, Flag
from nianbao.labels.catalogue import T3_APPLICANT_COLS, T3_COLS, t3_rows
from nianbao.rules.confidence import FEATURES, assign_confidence, load_calibration, probability
from nianbao.rules.crosscheck import crosscheck, prose_claims
from nianbao.rules.evidence import Evidence
from nianbao.rules.validate import broken_invariants, validate
from nianbao.training.calibrate import fit_calibration


def consistent_t3(template: str = "v2021") -> dict[str, FieldValue]:
    """A table 3 that satisfies every identity: 5 granted + 1 not held, 2 carried forward."""
    vals: dict[str, int] = {}
    for r in t3_rows(template):
        for c, _ in T3_COLS:
            vals[f"t3.{r.key}.{c}"] = 0
    for row, n in (("new_received", 7), ("carried_over", 1), ("granted", 5), ("unable.not_held", 1),
                   ("total", 6), ("carried_forward", 2)):
        vals[f"t3.{row}.natural_person"] = n
        vals[f"t3.{row}.total"] = n
    return {k: FieldValue(value=v) for k, v in vals.items()}


def test_a_consistent_table_raises_no_flag() -> None:
    doc = Document(template="v2021")
    doc.fields = consistent_t3()
    assert validate(doc).flags == []


@pytest.mark.parametrize(("field", "code"), [
    ("t3.granted.commercial", "invariant.row_total"),
    ("t3.carried_forward.total", "invariant.balance"),
])
def test_each_broken_identity_is_flagged_and_values_are_kept(field: str, code: str) -> None:
    doc = Document(template="v2021")
    doc.fields = consistent_t3()
    doc.fields[field] = FieldValue(value=3)
    validate(doc)
    assert code in {f.code for f in doc.flags}
    assert all(field in f.fields for f in doc.flags)
    assert doc.fields[field].value == 3


def test_outcome_total_and_blank_counts_as_zero() -> None:
    doc = Document(template="v2019")
    doc.fields = consistent_t3("v2019")
    doc.fields["t3.denied.third_party.natural_person"] = FieldValue(value=None)  # blank: 0 in the sums
    assert broken_invariants(doc) == []
    doc.fields["t3.other.natural_person"] = FieldValue(value=1)
    codes = {f.code for f in validate(doc).flags}
    assert codes == {"invariant.outcome_total", "invariant.row_total"}


def test_table4_group_total() -> None:
    doc = Document(template="v2021")
    doc.fields = {f"t4.suit_direct.{c}": FieldValue(value=v)
                  for c, v in zip(["upheld", "corrected", "other", "pending", "total"], [2, 1, 0, 0, 3], strict=True)}
    assert validate(doc).flags == []
    doc.fields["t4.suit_direct.pending"] = FieldValue(value=1)
    (flag,) = validate(doc).flags
    assert flag.code == "invariant.t4_total" and "t4.suit_direct.total" in flag.fields


def _balance_break() -> tuple[Document, dict[str, Evidence]]:
    """One application counted both as processed and as carried forward: balance breaks in two columns,
    every row still adds up (a report's own arithmetic, as real reports print it)."""
    doc = Document(template="v2021")
    doc.fields = consistent_t3()
    for c in ("natural_person", "total"):
        doc.fields[f"t3.carried_forward.{c}"] = FieldValue(value=3)
    return doc, {f: Evidence(kind="cell", agree=True, model=True) for f in doc.fields}


def test_a_break_read_for_sure_names_the_identitys_left_side() -> None:
    doc, evidence = _balance_break()
    evidence["t3.carried_over.total"].kind = "split"  # the only cut of a glued run is as plain as a cell
    flags = validate(doc, evidence).flags
    assert [(f.code, f.fields) for f in flags] == [
        ("invariant.balance", [f"t3.new_received.{c}", f"t3.carried_over.{c}"]) for c in ("natural_person", "total")]
    assert "t3.carried_forward.total" in flags[1].message and "report's own figures" in flags[1].message


@pytest.mark.parametrize("doubt", ["split", "disagree", "rescued", "stream", "other_flag", "row_total", "no_evidence"])
def test_a_break_with_any_doubt_names_every_field(doubt: str) -> None:
    doc, evidence = _balance_break()
    f = "t3.carried_forward.natural_person"
    if doubt == "split":  # a glued run that had several cuts
        evidence[f].kind, evidence[f].alternatives = "split", 3
    elif doubt in ("disagree", "rescued", "stream"):
        setattr(evidence[f], {"disagree": "agree"}.get(doubt, doubt), doubt != "disagree")
    elif doubt == "other_flag":
        doc.flags.append(Flag(code="split.ambiguous", fields=["t3.granted.commercial"]))
    elif doubt == "row_total":
        doc.fields["t3.granted.commercial"] = FieldValue(value=4)
    else:
        del evidence[f]
    flag = next(x for x in validate(doc, evidence).flags if x.code == "invariant.balance" and f in x.fields)
    assert len(flag.fields) == 4


@pytest.mark.parametrize(("sep", "sure"), [("\t", True), ("\n", False)])
def test_a_table4_break_is_the_reports_own_only_when_printed_on_one_line(sep: str, sure: bool) -> None:
    """Cells on one printed line keep their order; one value per line (plain pdftotext) may not."""
    cols = ["upheld", "corrected", "other", "pending", "total"]
    text = sep.join(["10", "1", "0", "0", "0"])
    starts = [0, 3, 5, 7, 9]
    doc = Document(template="v2021", text=text, norm_text=text)
    doc.fields = {f"t4.review.{c}": FieldValue(value=int(text[a:a + 2].strip()), norm_span=(a, a + (2 if a == 0 else 1)))
                  for c, a in zip(cols, starts, strict=True)}
    evidence = {f: Evidence(kind="cell", agree=True, model=True) for f in doc.fields}
    (flag,) = validate(doc, evidence).flags
    assert flag.fields == (["t4.review.total"] if sure else [f"t4.review.{c}" for c in ["total", *cols[:4]]])


def test_an_identity_with_a_missing_field_is_not_checked() -> None:
    doc = Document(template="v2021")
    doc.fields = {f"t3.granted.{c}": FieldValue(value=1) for c in T3_APPLICANT_COLS}  # no total printed
    assert validate(doc).flags == []


# ----------------------------------------------------------------- prose vs table
def test_prose_figures_are_found_outside_tables() -> None:
    claims = prose_claims("2023年,本机关共收到政府信息公开申请15件,办结14件。行政复议0件。")
    assert [(f, n) for f, n, _ in claims] == [(("t3.new_received.total",), 15), (("t4.review.total",), 0)]
    assert prose_claims("全年主动公开政府信息83条") == []


def test_a_disagreement_is_flagged_and_the_table_wins() -> None:
    doc = Document(norm_text="本年共收到政府信息公开申请15件。", template="v2021")
    doc.fields = {"t3.new_received.total": FieldValue(value=12), "t4.review.total": FieldValue(value=0)}
    crosscheck(doc)
    assert [(f.code, f.fields) for f in doc.flags] == [("crosscheck.text_table", ["t3.new_received.total"])]
    assert doc.fields["t3.new_received.total"].value == 12
    agree = Document(norm_text="本年共收到政府信息公开申请12件。", template="v2021")
    agree.fields = {"t3.new_received.total": FieldValue(value=12)}
    assert crosscheck(agree).flags == []


# ----------------------------------------------------------------- confidence
def test_calibration_round_trip_and_ordering(tmp_path: Path) -> None:
    good = [0.0, 0.0, 0.0, 1.0, 0, 0, 0, 0, 0.0, 0, 0, 2.0, 0, 0, 0, 0, 0, 0, 0]
    bad = [0.0, 0.0, 0.0, 0.6, 0, 0, 1, 0, -1.0, 1, 0, 0.0, 1, 0, 0, 1, 0, 0, 0]
    samples = [(good, True)] * 95 + [(good, False)] * 2 + [(bad, False)] * 8 + [(bad, True)] * 5
    out = tmp_path / "calibration.json"
    data = fit_calibration(samples, out=out)
    assert json.loads(out.read_text())["features"] == list(FEATURES)
    assert probability(good, data) > 0.9 > probability(bad, data)
    assert load_calibration(out)["coef"] == data["coef"]


def test_assign_confidence_uses_evidence_and_flags() -> None:
    doc = Document(template="v2021")
    doc.fields = consistent_t3()
    evidence = {f: Evidence(kind="cell") for f in doc.fields}
    evidence["t3.granted.natural_person"] = Evidence(kind="split", alternatives=3, posterior=0.34)
    calib = {"features": list(FEATURES), "intercept": 3.0,
             "coef": [1.0 if f == "log_posterior" else 0.0 for f in FEATURES]}
    assign_confidence(doc, evidence, calib)
    assert doc.fields["t3.granted.natural_person"].confidence < doc.fields["t3.granted.total"].confidence
    assert all(0.0 < f.confidence < 1.0 for f in doc.fields.values())


def test_the_shipped_calibration_matches_the_features() -> None:
    data = load_calibration()
    assert tuple(data["features"]) == FEATURES and len(data["coef"]) == len(FEATURES)


# ----------------------------------------------------------------- end to end
def _parse(data: bytes, source: str) -> Document:
    from nianbao.inputs import InputItem
    from nianbao.pipeline import Pipeline, PipelineConfig

    return Pipeline(PipelineConfig(use_model=False, fail_fast=True)).process(InputItem(source=source, data=data))


def test_seeds_rules_only_match_their_gold(corpus_root: Path) -> None:
    """Seed gold (labels/gold/seeds-*.json): every field strictly right, nothing invented, no flag."""
    from nianbao.labels.gold import GOLD_DIR, load_gold

    golds = [g for g in load_gold(GOLD_DIR) if (g.source or "").startswith("seeds/")]
    if not golds:
        pytest.skip("no seed gold labels in labels/gold")
    for g in golds:
        doc = _parse((corpus_root / g.source).read_bytes(), g.source)
        assert doc.template == g.template, g.name
        got = {k: v.value for k, v in doc.fields.items()}
        want = {k: v.value for k, v in g.fields.items()}
        assert got == want, g.name
        assert [f for f in doc.flags if f.code.startswith("split.")] == [], g.name


def test_synthetic_reports_rules_only() -> None:
    """Rules-only on synthetic reports: >= 99.5% strict, and every wrong value flagged."""
    from nianbao.training.synth_corpus import generate_one

    right = wrong = silent = 0
    for i in range(60):
        g = generate_one(4242, i)
        doc = _parse(g.load_text().encode("utf-8"), g.name)
        flagged = {f for fl in doc.flags for f in fl.fields}
        for fid, gf in g.fields.items():
            pv = doc.fields[fid].value if fid in doc.fields else "missing"
            if pv == gf.value and (pv is None) == (gf.value is None):
                right += 1
            else:
                wrong += 1
                silent += fid not in flagged and pv != "missing"
        silent += sum(1 for f in doc.fields if f not in g.fields and f not in flagged)
    assert right / (right + wrong) >= 0.995
    assert silent == 0


def test_synthetic_pdf_raw_table3_read_as_a_value_stream() -> None:
    """Plain pdftotext layouts (row-major rows mixed with column-major blocks, labels displaced): rules only,
    every table-3 value strictly right or flagged, and at least one report needs the stream reading (its
    evidence says so: no spy on the call, which a compiled rule layer makes directly)."""
    from nianbao.inputs import InputItem
    from nianbao.pipeline import Pipeline, PipelineConfig
    from nianbao.rules import run_rules
    from nianbao.training.synth_corpus import generate_one

    pipe = Pipeline(PipelineConfig(use_model=False, fail_fast=True))
    used = []
    right = wrong = 0
    for i in range(12):
        g = generate_one(4343, i, "pdf_raw")
        data = g.load_text().encode("utf-8")
        doc = _parse(data, g.name)
        flagged = {f for fl in doc.flags for f in fl.fields}
        for fid, gf in g.fields.items():
            if not fid.startswith("t3."):
                continue
            pv = doc.fields[fid].value if fid in doc.fields else "missing"
            ok = pv == gf.value and (pv is None) == (gf.value is None)
            right += ok
            wrong += not ok
            assert ok or fid in flagged, f"{g.name}: {fid} silently {pv} (gold {gf.value})"
        twin = pipe.tagger.tag([pipe.start(InputItem(source=g.name, data=data))])[0]
        _, built = run_rules(twin)
        used.append(built is not None and any(ev.stream for f, ev in built.evidence.items() if f.startswith("t3.")))
    assert any(used)
    assert right / (right + wrong) >= 0.995


# ----------------------------------------------------------------- the reader's second reading
def _model_tagged(text: str, spans: list[tuple[str, str]]) -> Document:
    """A document as a (faulty) model tagged it: the given (tag, text) spans, found in order."""
    import numpy as np

    from nianbao.document import TagSpan
    from nianbao.labels.tags import LABELS

    doc = Document(text=text, norm_text=text, template="v2021")
    pos = 0
    for tag, piece in spans:
        start = text.index(piece, pos)
        doc.tags.append(TagSpan(start=start, end=start + len(piece), tag=tag))
        pos = start + len(piece)
    doc.char_probs = np.full((len(text), len(LABELS)), 1.0 / len(LABELS))
    return doc


TSV_T2 = "二、主动公开政府信息情况\n第二十条第(一)项\n信息内容\t本年制发件数\t本年废止件数\t现行有效件数\n规章\t1\t2\t3\n"


def test_the_readers_reading_replaces_a_model_reading_with_problems() -> None:
    from nianbao.rules.crossread import cross_read
    from nianbao.rules.tables import build

    doc = _model_tagged(TSV_T2, [("SEC", "二、主动公开政府信息情况"), ("TTL", "第二十条第(一)项"), ("COL", "本年制发件数"),
                                 ("COL", "本年废止件数"), ("COL", "现行有效件数"), ("ROW", "规章"), ("VAL", "1"), ("VAL", "3")])
    built = cross_read(doc, build(doc))
    assert [doc.fields[f"t2.regulations.{c}"].value for c in ("issued", "repealed", "in_force")] == [1, 2, 3]
    assert built.evidence["t2.regulations.repealed"].agree is False
    assert not doc.flags


def test_an_agreeing_reading_is_recorded_and_a_tie_is_flagged() -> None:
    from nianbao.rules.crossread import cross_read
    from nianbao.rules.tables import build

    spans = [("SEC", "二、主动公开政府信息情况"), ("TTL", "第二十条第(一)项"), ("COL", "本年制发件数"), ("COL", "本年废止件数"),
             ("COL", "现行有效件数"), ("ROW", "规章"), ("VAL", "1"), ("VAL", "2"), ("VAL", "3")]
    doc = _model_tagged(TSV_T2, spans)
    built = cross_read(doc, build(doc))
    assert all(built.evidence[f].agree for f in doc.fields) and not doc.flags
    swapped = _model_tagged(TSV_T2.replace("\t2\t3", "\t23\t"), spans[:-2] + [("VAL", "2"), ("VAL", "3")])
    cross_read(swapped, build(swapped))
    assert {f.code for f in swapped.flags} <= {"crosscheck.tagger_reader", "split.ambiguous", "table.blank_inferred"}
    assert swapped.flags


def test_blanks_on_a_separated_row_are_placed_by_the_reader() -> None:
    """The model puts the blank after the row; the reader counts the tabs: the first cell is the blank one.
    Both readings keep every sum, so the reader's stands and the model's is the flagged alternative."""
    from nianbao.rules.crossread import cross_read
    from nianbao.rules.tables import build

    text = TSV_T2.replace("规章\t1\t2\t3", "规章\t\t2\t3")
    spans = [("SEC", "二、主动公开政府信息情况"), ("TTL", "第二十条第(一)项"), ("COL", "本年制发件数"), ("COL", "本年废止件数"),
             ("COL", "现行有效件数"), ("ROW", "规章"), ("VAL", "2"), ("VAL", "3"), ("BLANK", "\n")]
    doc = _model_tagged(text, spans)
    cross_read(doc, build(doc))
    assert [doc.fields[f"t2.regulations.{c}"].value for c in ("issued", "repealed", "in_force")] == [None, 2, 3]
    (flag,) = doc.flags
    assert flag.code == "crosscheck.tagger_reader" and flag.alternatives == [
        {"t2.regulations.issued": 2, "t2.regulations.repealed": 3, "t2.regulations.in_force": None}]
    spaced = _model_tagged(text.replace("\t", "  "), spans)  # no separators to count: the model's reading stays
    cross_read(spaced, build(spaced))
    assert [spaced.fields[f"t2.regulations.{c}"].value for c in ("issued", "repealed", "in_force")] == [2, 3, None]
    assert [f.code for f in spaced.flags] == ["crosscheck.tagger_reader"]


def test_a_row_only_the_model_read_is_not_disputed() -> None:
    """The reader misses a damaged row label the model tagged: no second reading, so no flag and no agreement."""
    from nianbao.rules.crossread import cross_read, reader_document
    from nianbao.rules.tables import build

    text = TSV_T2 + "行政规范x文件\t4\t5\t6\n"  # a damaged label the reader's lexicon does not take
    spans = [("SEC", "二、主动公开政府信息情况"), ("TTL", "第二十条第(一)项"), ("COL", "本年制发件数"), ("COL", "本年废止件数"),
             ("COL", "现行有效件数"), ("ROW", "规章"), ("VAL", "1"), ("VAL", "2"), ("VAL", "3"),
             ("ROW", "行政规范x文件"), ("VAL", "4"), ("VAL", "5"), ("VAL", "6")]
    doc = _model_tagged(text, spans)
    twin = reader_document(doc)
    build(twin)
    assert "t2.normative_docs.issued" not in twin.fields  # the situation under test
    built = cross_read(doc, build(doc))
    assert doc.fields["t2.normative_docs.issued"].value == 4
    assert not any(f.code == "crosscheck.tagger_reader" for f in doc.flags)
    assert built.evidence["t2.normative_docs.issued"].agree is None
    assert built.evidence["t2.regulations.issued"].agree is True


@pytest.mark.parametrize("sure", [True, False])
def test_a_cut_no_sum_pins_stands_unflagged_only_when_the_model_is_sure(sure: bool) -> None:
    """Table 2 has no sums: ``1023`` may be 10|2|3 or 1|0|23; the model's per-digit start probabilities decide,
    and a decision below ``SURE_CUT`` is flagged ``split.unpinned`` with the other cut."""
    from nianbao.labels.tags import label2id
    from nianbao.rules.tables import build

    text = TSV_T2.replace("1\t2\t3", "1023")
    doc = _model_tagged(text, [("SEC", "二、主动公开政府信息情况"), ("TTL", "第二十条第(一)项"), ("COL", "本年制发件数"),
                               ("COL", "本年废止件数"), ("COL", "现行有效件数"), ("ROW", "规章"), ("VAL", "1023")])
    at = text.index("1023")
    b, i = label2id["B-VAL"], label2id["I-VAL"]
    for k, start in enumerate([True, False, True, True]):  # 10|2|3; the cut before 2 sure, or only 0.7
        p = 0.7 if k == 2 and not sure else 0.999
        doc.char_probs[at + k, b], doc.char_probs[at + k, i] = (p, 1 - p) if start else (1 - p, p)
    build(doc)
    assert [doc.fields[f"t2.regulations.{c}"].value for c in ("issued", "repealed", "in_force")] == [10, 2, 3]
    unpinned = [f for f in doc.flags if f.code == "split.unpinned"]
    if sure:
        assert not unpinned
    else:
        (flag,) = unpinned
        assert flag.alternatives == [{"t2.regulations.issued": 1, "t2.regulations.repealed": 0,
                                      "t2.regulations.in_force": 23}]
