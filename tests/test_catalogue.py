"""The field catalogue (``labels/catalogue.py``) agrees with ``shared/spec/fields.yaml`` field for field;
the tag set (``labels/tags.py``) round-trips."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from nianbao.labels import catalogue as cat
from nianbao.labels import tags


@pytest.fixture(scope="module")
def spec(spec_dir: Path) -> dict:
    return yaml.safe_load((spec_dir / "fields.yaml").read_text(encoding="utf-8"))


def yaml_fields(spec: dict, template: str) -> list[str]:
    """The field IDs of one template, in printed order, built from the YAML alone."""
    t2 = spec["t2"][template]
    out = [f"t2.{r}.{c}" for r in t2["rows"] for c in t2["cols"]]
    if template == "v2019":
        out += [f"t2.{r}.{c}" for r in t2["items"] for c in t2["item_cols"]]
    out += list(t2["single"])
    rows = [r for r, v in spec["t3"]["rows"].items() if v.get("only") in (None, template)]
    out += [f"t3.{r}.{c}" for r in rows for c in spec["t3"]["cols"]]
    out += [f"t4.{g}.{c}" for g in spec["t4"]["groups"] for c in spec["t4"]["cols"]]
    return out


@pytest.mark.parametrize("template", ["v2021", "v2019"])
def test_field_ids_agree_in_set_and_order(spec: dict, template: str) -> None:
    expected = yaml_fields(spec, template)
    got = list(cat.fields_for(template))
    assert set(got) == set(expected), (sorted(set(got) - set(expected)), sorted(set(expected) - set(got)))
    assert got == expected
    assert len(got) == len(set(got))


def test_counts_stated_in_the_spec(spec: dict) -> None:
    assert len(cat.t3_fields("v2021")) == 175 and len(cat.t3_fields("v2019")) == 161
    assert len(cat.t4_fields()) == 15
    assert cat.all_field_ids() == frozenset(yaml_fields(spec, "v2021")) | frozenset(yaml_fields(spec, "v2019"))


def test_sections_and_meta_agree(spec: dict) -> None:
    assert cat.SECTIONS == {k: v["zh"] for k, v in spec["sections"].items()}
    assert list(cat.SECTIONS) == ["s1", "s2", "s3", "s4", "s5", "s6"]
    assert tuple(k.split(".", 1)[1] for k in spec["meta"]) == cat.META_KEYS


def zh(entry: dict) -> str:
    """An entry's label. fields.yaml writes ``{zh: (二)部分公开(区分处理的,只计这一情形,...)}`` unquoted in a flow
    mapping, so YAML splits it at the commas into extra keys with null values; join them back.

    >>> zh({"zh": "(二)部分公开(区分处理的", "只计这一情形": None, "不计其他情形)": None})
    '(二)部分公开(区分处理的,只计这一情形,不计其他情形)'
    """
    extra = [k for k, v in entry.items() if k not in ("zh", "only", "type", "note") and v is None]
    return ",".join([entry["zh"], *extra])


def test_printed_labels_agree(spec: dict) -> None:
    """Each catalogue label is how the YAML's label ends (the YAML prefixes group names)."""
    for row in cat.T3_ROWS:
        entry = spec["t3"]["rows"][row.key]
        assert zh(entry).endswith(row.zh), row.key
        assert entry.get("only") == row.only, row.key
    for key, label in cat.T3_COLS:
        assert spec["t3"]["cols"][key]["zh"].endswith(label), key
    for key, label in cat.T4_COLS:
        assert spec["t4"]["cols"][key]["zh"] == label
    for key, label in cat.T4_GROUPS:
        assert spec["t4"]["groups"][key]["zh"] == label
    for template, rows, cols in (("v2021", cat.T2_V2021_ROWS, cat.T2_V2021_COLS),
                                 ("v2019", cat.T2_V2019_ROWS, cat.T2_V2019_COLS)):
        assert [(r.key, r.zh) for r in rows] == [(k, v["zh"]) for k, v in spec["t2"][template]["rows"].items()]
        assert list(cols) == [(k, v["zh"]) for k, v in spec["t2"][template]["cols"].items()]
    assert list(cat.T2_V2019_ITEM_COLS) == [(k, v["zh"]) for k, v in spec["t2"]["v2019"]["item_cols"].items()]
    assert [r.key for r in cat.T2_V2019_ITEMS] == list(spec["t2"]["v2019"]["items"])


def test_group_labels_start_each_group(spec: dict) -> None:
    """The first row of a group carries the group label in the YAML (``(三)不予公开 1.属于国家秘密``)."""
    seen: set[str] = set()
    for row in cat.T3_ROWS:
        if row.group and row.group not in seen and row.key != "other":
            seen.add(row.group)
            assert row.group in zh(spec["t3"]["rows"][row.key]), row.key


def test_money_fields_are_the_amounts() -> None:
    assert cat.MONEY_FIELDS == {"t2.fees.amount", "t2.procurement.amount"}
    assert all(f in cat.all_field_ids() for f in cat.MONEY_FIELDS)


# ------------------------------------------------------------------ invariants
@pytest.mark.parametrize("template, n_rows", [("v2021", 25), ("v2019", 23)])
def test_invariants_per_template(template: str, n_rows: int) -> None:
    fields = set(cat.fields_for(template))
    inv = cat.invariants_for(fields)
    by_code: dict[str, list[cat.Invariant]] = {}
    for i in inv:
        by_code.setdefault(i.code, []).append(i)
        assert set(i.fields) <= fields, i
    assert len(by_code["invariant.row_total"]) == n_rows
    assert len(by_code["invariant.balance"]) == 7 and len(by_code["invariant.outcome_total"]) == 7
    assert len(by_code["invariant.t4_total"]) == 3


def test_invariant_contents_match_the_spec_text() -> None:
    fields = set(cat.fields_for("v2021"))
    inv = {(i.code, i.lhs[0]): i for i in cat.invariants_for(fields)}
    row = inv[("invariant.row_total", "t3.granted.total")]
    assert row.rhs == tuple(f"t3.granted.{c}" for c in ("natural_person", "commercial", "research",
                                                           "social_welfare", "legal_service", "other_org"))
    bal = inv[("invariant.balance", "t3.new_received.research")]
    assert bal.lhs == ("t3.new_received.research", "t3.carried_over.research")
    assert bal.rhs == ("t3.total.research", "t3.carried_forward.research")
    out = inv[("invariant.outcome_total", "t3.total.total")]
    prefixes = {f.split(".")[1] for f in out.rhs}
    assert prefixes == {"granted", "partial", "denied", "unable", "not_processed", "other"}
    assert len(out.rhs) == 2 + 8 + 3 + 5 + 3
    t4 = inv[("invariant.t4_total", "t4.review.total")]
    assert t4.rhs == ("t4.review.upheld", "t4.review.corrected", "t4.review.other", "t4.review.pending")


def test_mixed_template_uses_rows_as_printed() -> None:
    """A v2021 report that keeps the single v2019 (六)其他处理 row: outcome totals use that row."""
    fields = (set(cat.fields_for("v2021")) - {f for f in cat.fields_for("v2021") if f.startswith("t3.other.")}) \
        | {f"t3.other.{c}" for c, _ in cat.T3_COLS}
    out = next(i for i in cat.invariants_for(fields) if i.code == "invariant.outcome_total" and i.lhs[0] == "t3.total.total")
    assert "t3.other.total" in out.rhs and not any(f.startswith("t3.other.other") for f in out.rhs)


# ------------------------------------------------------------------ tag set
def test_zh_rejoins_split_labels() -> None:
    split = {"zh": "(二)部分公开(区分处理的", "只计这一情形": None, "不计其他情形)": None}
    assert zh(split) == "(二)部分公开(区分处理的,只计这一情形,不计其他情形)"
    assert zh({"zh": "规章", "only": "v2021"}) == "规章"


def test_label_maps_are_one_to_one() -> None:
    assert tags.LABELS[0] == "O" and len(tags.LABELS) == 12
    assert {tags.label2id[lab]: lab for lab in tags.LABELS} == tags.id2label
    assert "I-BLANK" not in tags.label2id and "B-BLANK" in tags.label2id
    assert set(tags.TAG_DESCRIPTIONS) == set(tags.ENTITY_TYPES) == set(tags.TAG_COLORS)


@st.composite
def span_sets(draw: st.DrawFn) -> tuple[int, list[tuple[int, int, str]]]:
    """Non-overlapping typed spans over a random length (BLANK spans one character)."""
    length = draw(st.integers(0, 40))
    spans, pos = [], 0
    while pos < length:
        pos += draw(st.integers(0, 3))
        typ = draw(st.sampled_from(tags.ENTITY_TYPES))
        width = 1 if typ in tags.SINGLE_CHAR_TYPES else draw(st.integers(1, 5))
        if pos + width > length:
            break
        spans.append((pos, pos + width, typ))
        pos += width
    return length, spans


@given(span_sets())
@settings(max_examples=200, deadline=None)
def test_spans_bio_round_trip(case: tuple[int, list[tuple[int, int, str]]]) -> None:
    length, spans = case
    labels = tags.spans_to_bio(length, spans)
    assert len(labels) == length and all(lab in tags.label2id for lab in labels)
    assert tags.bio_to_spans(labels) == spans


def test_glued_digit_run_is_seven_cells() -> None:
    spans = [(i, i + 1, "VAL") for i in range(7)]
    labels = tags.spans_to_bio(7, spans)
    assert labels == ["B-VAL"] * 7 and tags.bio_to_spans(labels) == spans


@pytest.mark.parametrize("bad", [[(0, 2, "BLANK")], [(0, 1, "XYZ")], [(3, 9, "VAL")], [(2, 2, "ROW")]])
def test_bad_spans_are_refused(bad: list[tuple[int, int, str]]) -> None:
    with pytest.raises(ValueError):
        tags.spans_to_bio(5, bad)
