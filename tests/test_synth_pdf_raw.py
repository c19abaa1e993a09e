"""The ``pdf_raw`` style prints tables 3 and 4 as plain ``pdftotext`` reads a real report's content
stream: interleaved header fragments, values in row order mixing row-major rows and column-major
blocks (with the exact blank-line pattern), row labels displaced from their values, page footers
inside the table, table 4's last header cell printed just before the last value or its blocks out of order -- and in other
documents the tidy order. These tests fail if a phenomenon disappears or a span goes wrong.

The reader here (``read_t3``) finds table 3's cells from the layout alone: the values come in
template row order, a run of values on consecutive lines is one column of a block, a value followed
by a blank line is a cell of a row-major row (or a one-row column)."""

from __future__ import annotations

import doctest
import re
from dataclasses import dataclass

import pytest

from nianbao.labels import catalogue as cat
from nianbao.labels.gold import GoldDoc
from nianbao.labels.gold import GoldSpan as Span
from nianbao.training import synth_corpus as sc
from nianbao.training import synth_pdf
from nianbao.training.synth_render import T3_HEADER, T4_HEADER

SEEDS = (13, 29)
PER_SEED = 15
_FW = str.maketrans("（）：，", "():,")
HEADER_TEXTS = [h.replace("|", "") for hr in T3_HEADER + T4_HEADER for h in hr]
MARKS = ("/", "—", "-", "无")


def norm(text: str) -> str:
    """Compare labels modulo whitespace (stray spaces, wraps) and full-width punctuation."""
    return re.sub(r"\s+", "", text).translate(_FW)


T3_LABEL = {norm(r.zh): r.key for r in cat.T3_ROWS}
T3_GROUPS = {norm(r.group) for r in cat.T3_ROWS if r.group}
ROW_ORDER = [r.key for r in cat.T3_ROWS]


def parse_value(text: str) -> tuple[int | float | None, str | None, str | None]:
    """A VAL cell's (value, raw mark, unit)."""
    if text in MARKS:
        return None, text, None
    unit = None
    for printed in ("万元", "元"):
        if text.endswith(printed):
            unit, text = printed, text[: -len(printed)]
            break
    text = text.replace(",", "").translate(str.maketrans("０１２３４５６７８９", "0123456789")).replace("〇", "0")
    return (float(text) if "." in text else int(text)), None, unit


@dataclass
class Unit:
    """A printing unit of table 3: ``k`` rows, row-major (k == 1) or a column-major block; its
    value spans in printed order and the row keys they belong to."""

    rows: list[str]
    values: list[Span]


@dataclass
class T3:
    """Table 3 as read from one report: its units, the label and group spans, and the region."""

    units: list[Unit]
    labels: dict[str, Span]  # row key -> its label span
    groups: list[Span]
    start: int
    end: int


def region(d: GoldDoc, sid: str) -> tuple[int, int]:
    """Where a section runs (to the next one's start)."""
    secs = sorted(d.sections, key=lambda s: s.start)
    i = next(k for k, s in enumerate(secs) if s.id == sid)
    return secs[i].start, secs[i + 1].start if i + 1 < len(secs) else len(d.text or "")


def spans_in(d: GoldDoc, tag: str, lo: int, hi: int) -> list[Span]:
    return sorted((s for s in d.spans if s.tag == tag and lo <= s.start < hi), key=lambda s: s.start)


def read_t3(d: GoldDoc) -> T3:
    """Table 3 from its layout: rows = the printed labels in template order; the values cut into
    runs of consecutive lines; a run of one opens a row-major row (7 runs of one), a run of k > 1 a
    block (7 runs of k), taking the next rows in order."""
    text = d.text or ""
    lo, hi = region(d, "s3")
    labels: dict[str, Span] = {}
    groups: list[Span] = []
    subrows = any(T3_LABEL.get(norm(text[s.start:s.end]), "").startswith("other.") for s in spans_in(d, "ROW", lo, hi))
    for s in spans_in(d, "ROW", lo, hi):
        key = norm(text[s.start:s.end])
        if key in T3_LABEL and not (key == norm("(六)其他处理") and subrows):
            labels[T3_LABEL[key]] = s
        else:
            assert key in T3_GROUPS, f"{d.name}: ROW {key!r} is no table-3 label"
            groups.append(s)
    rows = [k for k in ROW_ORDER if k in labels]
    vals = spans_in(d, "VAL", lo, hi)
    runs: list[list[Span]] = []
    for i, s in enumerate(vals):
        if i and text[vals[i - 1].end:s.start] == "\n":
            runs[-1].append(s)
        else:
            runs.append([s])
    ncols = len(cat.T3_COLS)
    n_rows = sum(len(c) for c in runs) // ncols
    if n_rows > len(rows) and "s4" not in {s.id for s in d.sections}:
        # cut off inside table 3 (a truncated report): labels still deferred at the cut are lost with the
        # rest, so the rows are the template's first ones
        rows = [r.key for r in cat.t3_rows(d.template)][:n_rows]  # type: ignore[arg-type]
    units: list[Unit] = []
    r = 0
    while runs:
        k = len(runs[0])
        cols, runs = runs[:ncols], runs[ncols:]
        assert [len(c) for c in cols] == [k] * ncols, f"{d.name}: runs {[len(c) for c in cols]} are no unit"
        units.append(Unit(rows[r:r + k], [s for c in cols for s in c]))
        r += k
    assert r == len(rows), f"{d.name}: {r} rows of values, {len(rows)} labels"
    return T3(units, labels, groups, lo, hi)


def t3_fields(u: Unit) -> list[str]:
    """The fields of a unit's values in printed order (column-major within a block)."""
    return [f"t3.{row}.{c}" for c, _ in cat.T3_COLS for row in u.rows]


@pytest.fixture(scope="module")
def docs() -> list[GoldDoc]:
    out = [sc.generate_one(seed, i, "pdf_raw") for seed in SEEDS for i in range(PER_SEED)]
    return [d for d in out if not any("breaks off" in n for n in d.notes) and d.template != "none"]


def test_doctests() -> None:
    assert doctest.testmod(synth_pdf).failed == 0


def test_every_val_span_is_its_gold_value(docs: list[GoldDoc]) -> None:
    for d in docs:
        text = d.text or ""
        for s in d.spans:
            if s.tag == "VAL":
                g = d.fields[s.field or ""]
                assert parse_value(text[s.start:s.end]) == (g.value, g.raw, g.unit), (d.name, s)
                assert tuple(g.span) == (s.start, s.end)
            assert s.tag != "BLANK", f"{d.name}: pdf_raw keeps no trace of blank cells"


def test_t3_values_in_row_order_with_exact_blank_lines(docs: list[GoldDoc]) -> None:
    """Every value's field follows from the layout; inside a unit values are separated by exactly one
    line break (within a block's column) or one blank line, and a blank line follows a unit."""
    text_of = {d.name: d.text or "" for d in docs}
    for d in docs:
        t3 = read_t3(d)
        text = text_of[d.name]
        for u in t3.units:
            assert [s.field for s in u.values] == t3_fields(u), f"{d.name}: unit {u.rows} misread"
            k = len(u.rows)
            for i, s in enumerate(u.values):
                gap = text[s.end:s.end + 2] if i == len(u.values) - 1 else text[s.end:u.values[i + 1].start]
                assert gap == ("\n" if k > 1 and i % k < k - 1 else "\n\n"), (d.name, u.rows, i, gap)
        printed = {f for u in t3.units for f in t3_fields(u)}
        assert printed == {f for f in d.fields if f.startswith("t3.")}


T4 = cat.t4_fields()
T4_BLOCKS = T4[0:4] + T4[10:14] + T4[4:5] + T4[5:10] + T4[14:15]  # the blocks out of the table's order


def test_t4_values_in_template_or_block_order(docs: list[GoldDoc]) -> None:
    for d in docs:
        lo, hi = region(d, "s4")
        vals = spans_in(d, "VAL", lo, hi)
        assert [s.field for s in vals] in (T4, T4_BLOCKS), d.name


def test_header_pieces_are_col_spans(docs: list[GoldDoc]) -> None:
    for d in docs:
        text = d.text or ""
        for sid in ("s3", "s4"):
            for s in spans_in(d, "COL", *region(d, sid)):
                piece = norm(text[s.start:s.end])
                assert piece and any(piece in norm(h) for h in HEADER_TEXTS), (d.name, piece)


# ----------------------------------------------------------------- the phenomena
def phenomena(d: GoldDoc) -> set[str]:
    """Which of the real layout's phenomena this report shows ("tidy" when labels sit next to their
    values everywhere: before a row-major row, right after a block, in order)."""
    text = d.text or ""
    t3 = read_t3(d)
    found: set[str] = set()
    label_pos = {k: s.start for k, s in t3.labels.items()}
    by_pos = sorted((p, k) for k, p in label_pos.items())
    tidy = True
    for i, u in enumerate(t3.units):
        first, last = u.values[0].start, u.values[-1].end
        prev = t3.units[i - 1].values[-1].end if i else t3.start
        nxt = t3.units[i + 1].values[0].start if i + 1 < len(t3.units) else t3.end
        if len(u.rows) > 1:
            block = text[first:last + 2]
            cols = block.split("\n\n")[:-1]
            if len(cols) == len(cat.T3_COLS) and all(c.count("\n") == len(u.rows) - 1 for c in cols):
                found.add("column-major block")
            before = [r for r in u.rows if label_pos[r] < first]
            if len(before) == 1 and len(u.rows) > 1:
                found.add("one label before its block")
            tidy &= [k for p, k in by_pos if last <= p < nxt][:len(u.rows)] == u.rows  # its labels right after it
        else:
            found.add("row-major row")
            tidy &= [k for p, k in by_pos if prev <= p < first][-1:] == u.rows  # its label right before it
            if label_pos[u.rows[0]] > last:
                found.add("row label after its values")
        for r in u.rows:
            if label_pos[r] > nxt:
                found.add("label after a later unit")
    for g in t3.groups:
        gkey = norm(text[g.start:g.end])
        first_row = next(r.key for r in cat.T3_ROWS if r.group and norm(r.group) == gkey and r.key in t3.labels)
        if label_pos[first_row] < g.start:
            found.add("group label between its rows' labels")
        if gkey.startswith("三") and text[g.start:g.end].count(" ") >= 2:
            found.add("letter-spaced group label")
    for s in t3.labels.values():
        piece = text[s.start:s.end]
        found |= {"wrapped label"} if "\n" in piece else set()
        found |= {"stray space in a label"} if " " in piece else set()
    lo = min(s.start for s in t3.labels.values())
    hi = max(s.end for s in t3.labels.values())
    if re.search(r"\n-\d+-\n\n\f", text[lo:hi]):
        found.add("page footer inside table 3")
    for sid in ("s3", "s4"):
        cols = spans_in(d, "COL", *region(d, sid))
        if any(a.end + 1 == b.start and text[a.end] == " " for a, b in zip(cols, cols[1:], strict=False)):
            found.add(f"interleaved header fragments ({sid})")
    lo4, hi4 = region(d, "s4")
    vals4 = spans_in(d, "VAL", lo4, hi4)
    if any(vals4[-2].end < s.start < vals4[-1].start and norm(text[s.start:s.end]) == "总计"
           for s in spans_in(d, "COL", lo4, hi4)):
        found.add("table-4 total before the last value")
    if [s.field for s in vals4] == T4_BLOCKS:
        found.add("table-4 blocks out of order")
    if tidy:
        found.add("tidy")
    return found


PHENOMENA = ("column-major block", "row-major row", "one label before its block", "row label after its values",
             "label after a later unit", "group label between its rows' labels", "letter-spaced group label",
             "wrapped label", "stray space in a label", "page footer inside table 3",
             "interleaved header fragments (s3)", "interleaved header fragments (s4)",
             "table-4 total before the last value", "table-4 blocks out of order", "tidy")


def test_real_layout_phenomena_occur(docs: list[GoldDoc]) -> None:
    seen = {p: [d.name for d in docs if p in phenomena(d)] for p in PHENOMENA}
    missing = [p for p, names in seen.items() if not names]
    assert not missing, f"never produced: {missing}"
    n = len(docs)
    tidy = len(seen["tidy"])
    assert 0.15 * n <= tidy <= 0.75 * n, f"{tidy} of {n} reports in the tidy order: both forms should be common"


def test_first_row_label_can_come_far_later() -> None:
    """The first data row's label sometimes comes only after a later unit's values (next to 三、…)."""
    hits = 0
    for i in range(40):
        d = sc.generate_one(31, i, "pdf_raw")
        if d.template == "none" or any("breaks off" in n for n in d.notes):
            continue
        t3 = read_t3(d)
        first = t3.units[0]
        if len(t3.units) > 1 and t3.labels["new_received"].start > t3.units[1].values[0].start:
            assert first.rows[0] == "new_received"
            hits += 1
    assert hits >= 2


def test_deterministic() -> None:
    a = sc.generate_one(13, 3, "pdf_raw")
    b = sc.generate_one(13, 3, "pdf_raw")
    assert a.model_dump_json() == b.model_dump_json()
