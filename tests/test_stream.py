"""Table 3 read as a value stream (plain pdftotext output): rows in template order, row-major rows and
column-major blocks told apart by the blank lines, the template's sums choosing among the fits."""

from __future__ import annotations

import doctest
import re

import pytest

from nianbao.labels.catalogue import T3_COLS, t3_rows
from nianbao.rules import stream
from nianbao.rules.events import Event
from nianbao.rules.stream import one_per_line, segmentations, stream_reading

COLS = [c for c, _ in T3_COLS]
KEYS = [r.key for r in t3_rows("v2019")]  # 23 rows, single (六)其他处理


def _table() -> dict[str, list[int]]:
    """A v2019 table 3 that satisfies every identity, with distinct non-zero values."""
    rows = {k: [0] * 7 for k in KEYS}
    rows["new_received"] = [5, 2, 0, 0, 1, 0, 8]
    rows["carried_over"] = [1, 0, 0, 0, 0, 0, 1]
    rows["granted"] = [3, 1, 0, 0, 0, 0, 4]
    rows["partial"] = [1, 0, 0, 0, 1, 0, 2]
    rows["unable.not_held"] = [1, 1, 0, 0, 0, 0, 2]
    rows["carried_forward"] = [1, 0, 0, 0, 0, 0, 1]
    rows["total"] = [5, 2, 0, 0, 1, 0, 8]
    return rows


def _render(rows: dict[str, list[int]], plan: list[int]) -> str:
    """pdftotext-raw-like text: segments of ``plan`` rows (1 = row-major, k>1 = k-row column-major block),
    a stray label line between some segments."""
    out, i = [], 0
    for s, k in enumerate(plan):
        seg = [rows[KEYS[i + m]] for m in range(k)]
        if k == 1:
            out.append("\n\n".join(str(v) for v in seg[0]))
        else:
            out.append("\n\n".join("\n".join(str(r[c]) for r in seg) for c in range(7)))
        if s % 3 == 2:
            out.append("（三）不予公开")
        i += k
    assert i == len(KEYS)
    return "\n\n".join(out) + "\n"


def _events(text: str) -> list[Event]:
    return [Event("VAL", m.start(), m.end(), m.group()) for m in re.finditer(r"(?m)^\d+$", text)]


PLAN = [1, 1, 1, 1, 9, 5, 1, 1, 2, 1]


def test_doctests():
    assert doctest.testmod(stream).failed == 0


def test_mixed_rows_and_blocks_read_in_template_order():
    rows = _table()
    text = _render(rows, PLAN)
    reading = stream_reading(text, _events(text), found=KEYS[:3], cols=COLS)
    assert reading is not None and reading.violations == 0 and not reading.disputed
    assert reading.keys == KEYS  # the value count (23 x 7) names the full v2019 row list
    assert {k: [int(e.text) for e in r] for k, r in zip(reading.keys, reading.cells, strict=True)} == rows


def test_the_blank_lines_must_match_a_block_exactly():
    rows = _table()
    text = _render(rows, PLAN)
    # one more blank line inside the 9-row block's first column: no segmentation fits any more
    broken = text.replace("\n".join(str(rows[k][0]) for k in KEYS[4:13]),
                          "\n".join(str(rows[k][0]) for k in KEYS[4:8]) + "\n\n"
                          + "\n".join(str(rows[k][0]) for k in KEYS[8:13]), 1)
    assert broken != text
    assert segmentations(broken, _events(broken), len(KEYS), 7) == []
    assert stream_reading(broken, _events(broken), KEYS, COLS) is None


def test_values_beside_labels_are_not_a_stream():
    text = "（一）予以公开 3\n1\n0\n0\n0\n0\n4\n"
    assert not one_per_line(text, _events(text) + [Event("VAL", 8, 9, "3")])
    evs = [Event("VAL", 8, 9, "3")] + _events(text)
    assert stream_reading(text, evs, ["granted"], COLS) is None


def test_rows_between_labels_stay_rows():
    """Row labels between rows (crawled one-cell-per-line text) leave only the row-by-row reading."""
    rows = _table()
    text = "".join(f"{k}\n" + "\n".join(str(v) for v in rows[k]) + "\n" for k in KEYS)
    evs = _events(text)
    readings = segmentations(text, evs, len(KEYS), 7)
    assert len(readings) == 1
    assert [[int(e.text) for e in r] for r in readings[0]] == [rows[k] for k in KEYS]


def test_a_wrong_value_count_gives_no_reading():
    rows = _table()
    text = _render(rows, PLAN)
    evs = _events(text)[:-1]
    assert stream_reading(text, evs, KEYS, COLS) is None


def test_equally_good_readings_are_disputed(monkeypatch):
    """Seven all-tight groups of seven: seven rows printed row by row, or one 7-row block column by column."""
    keys = KEYS[4:11]
    grid = [[r * 7 + c for c in range(7)] for r in range(7)]
    text = "\n\n".join("\n".join(str(v) for v in row) for row in grid) + "\n"
    monkeypatch.setattr(stream, "violations", lambda values: 0)
    reading = stream_reading(text, _events(text), keys, COLS)
    assert reading is not None
    assert [[int(e.text) for e in r] for r in reading.cells] == grid  # ties keep the row-by-row reading
    f = f"t3.{keys[0]}.commercial"
    assert reading.disputed[f] == [7]  # the block reading puts row 2's first value there


@pytest.mark.parametrize("plan", [[1] * 23, [2] * 11 + [1], [1, 1, 1, 1, 9, 5, 2, 1, 1, 1]])
def test_any_plan_is_recovered(plan):
    rows = _table()
    text = _render(rows, plan)
    reading = stream_reading(text, _events(text), KEYS, COLS)
    assert reading is not None and reading.violations == 0
    assert [[int(e.text) for e in r] for r in reading.cells] == [rows[k] for k in KEYS]
