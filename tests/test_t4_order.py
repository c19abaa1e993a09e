"""Table 4 printed as blocks out of the table's order (plain pdftotext): put back by the sums and the headers
that interrupt the values, never where nothing interrupts them (a report's own broken sum stays broken)."""

from __future__ import annotations

import doctest

from test_tables import T4_HEAD, flagged, mk, values

from nianbao.labels import catalogue as cat
from nianbao.rules import t4_order
from nianbao.rules.events import Event
from nianbao.rules.t4_order import CANON, t4_reading
from nianbao.rules.tables import build, rebuild_tables
from nianbao.training import synth_corpus as sc

SEC4 = "[S:四、政府信息公开行政复议、行政诉讼情况]\n"


def _events(text: str) -> list[Event]:
    """Every line that is a number, as a value event."""
    out, at = [], 0
    for line in text.split("\n"):
        if line.isdigit():
            out.append(Event("VAL", at, at + len(line), line))
        at += len(line) + 1
    return out


def _lines(*parts: object) -> str:
    return "\n".join(str(p) for p in parts) + "\n"


# review 7 = 2+3+1+1, direct 5 = 1+1+1+2, after review 9 = 4+0+3+2
REVIEW, DIRECT, AFTER = [2, 3, 1, 1, 7], [1, 1, 1, 2, 5], [4, 0, 3, 2, 9]
HEAD = _lines("行政复议", "行政诉讼", "未经复议直接起诉", "结果", "维持", "结果", "纠正", "其他", "结果", "尚未", "审结", "总计")


def _blocks(after_head: str = "复议后起诉") -> str:
    """The layout seen in a real plain-pdftotext report: 行政复议's results; 复议后起诉's results under their
    header; 总计 and 行政复议's total; 未经复议直接起诉's results and total; 总计 and 复议后起诉's total."""
    return (HEAD + _lines(*REVIEW[:4]) + _lines("结果", after_head, "维持", "审结") + _lines(*AFTER[:4])
            + _lines("总计", REVIEW[4], "维持", "纠正", "结果", "审结") + _lines(*DIRECT) + _lines("总计", AFTER[4]))


def test_doctests() -> None:
    assert doctest.testmod(t4_order).failed == 0


def test_blocks_out_of_order_are_put_back() -> None:
    text = _blocks()
    r = t4_reading(text, _events(text), list(CANON), 0)
    assert r is not None and not r.disputed
    assert [r.values[f"review.{c}"] for c, _ in cat.T4_COLS] == REVIEW
    assert [r.values[f"suit_direct.{c}"] for c, _ in cat.T4_COLS] == DIRECT
    assert [r.values[f"suit_after_review.{c}"] for c, _ in cat.T4_COLS] == AFTER


def test_the_lone_group_header_decides_between_equally_close_orders() -> None:
    """Without 复议后起诉 before the second block, reading it as 未经复议直接起诉's is as close to the table's
    order: the two readings differ, so those fields are disputed."""
    text = _blocks(after_head="")
    r = t4_reading(text, _events(text), list(CANON), 0)
    assert r is not None and r.disputed
    assert {f.split(".")[0] for f in r.disputed} == {"suit_direct", "suit_after_review"}


def test_printed_order_that_holds_is_kept() -> None:
    text = HEAD + _lines(*REVIEW, *DIRECT, *AFTER)
    assert t4_reading(text, _events(text), list(CANON), 0) is None


def test_an_uninterrupted_stream_with_a_broken_sum_is_not_reordered() -> None:
    """Nothing interrupts the values, so no block can have moved: the report's own sum is wrong."""
    broken = [2, 3, 1, 1, 9]
    text = HEAD + _lines(*broken, *DIRECT, *AFTER)
    assert t4_reading(text, _events(text), list(CANON), 0) is None


def test_a_wrong_value_count_gives_no_reading() -> None:
    text = _blocks()
    assert t4_reading(text, _events(text)[:-1], list(CANON), 0) is None


def _markup(text: str) -> str:
    """Mark up a plain table-4 text: numbers as values, other lines as headers."""
    return "".join(f"[V:{line}]\n" if line.isdigit() else f"[C:{line}]\n" for line in text.split("\n") if line)


def test_rebuild_places_the_blocks_and_flags_nothing() -> None:
    doc = mk(SEC4 + _markup(_blocks()))
    evidence = build(doc).evidence
    rebuild_tables(doc)
    got = values(doc, "t4.")
    assert [got[f"t4.review.{c}"] for c, _ in cat.T4_COLS] == REVIEW
    assert [got[f"t4.suit_direct.{c}"] for c, _ in cat.T4_COLS] == DIRECT
    assert [got[f"t4.suit_after_review.{c}"] for c, _ in cat.T4_COLS] == AFTER
    assert not flagged(doc)
    assert evidence["t4.review.total"].stream


def test_rebuild_flags_the_disputed_groups() -> None:
    doc = mk(SEC4 + _markup(_blocks(after_head="")))
    rebuild_tables(doc)
    codes = {f.code: set(f.fields) for f in doc.flags}
    assert codes["table.stream_ambiguous"] >= {"t4.suit_direct.total", "t4.suit_after_review.total"}


def test_tidy_table4_is_unchanged() -> None:
    doc = mk(SEC4 + T4_HEAD + "".join(f"[V:{v}]\n" for v in REVIEW + DIRECT + AFTER))
    rebuild_tables(doc)
    assert [values(doc)[f"t4.{f}"] for f in CANON] == REVIEW + DIRECT + AFTER
    assert not flagged(doc)


def test_synthetic_pdf_raw_renders_the_block_order() -> None:
    """The pdf_raw generator prints table 4 this way in some documents, with every value's gold field."""
    blocks = 0
    for i in range(40):
        d = sc.generate_one(13, i, "pdf_raw")
        vals = [s.field for s in d.spans if s.tag == "VAL" and s.field and s.field.startswith("t4.")]
        blocks += vals != cat.t4_fields()
    assert blocks > 0
