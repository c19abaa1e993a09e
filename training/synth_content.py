"""What a synthetic report says: agency, year, template, table numbers and prose (before rendering).

Numbers follow the template invariants (``labels.catalogue.invariants_for``) except in a small
share of reports that break exactly one, recorded in ``Content.notes`` as
``"breaks invariant.<code> at <field>: printed X, identity gives Y"``. Most small agencies print
all-zero tables; city governments have four-digit totals; money has decimals; v2019 ``本年增/减``
may be negative. How a cell is printed (``0``/``０``, blank, a mark ``/ — - 无``, a unit, a
thousands separator) is decided here too, within what the rendering style can show
(``Traits``): a style that keeps no trace of a blank cell never gets one.

Prose volume varies like real reports' (most 3-8k characters in all, a tail to about 20k): each
report draws a prose target (``prose_target``, log-normal, longer for cities) and ``ProseWriter``
grows a short base report to it with more sentences per paragraph, more topics, paragraphs and key
areas in section 一, and more paragraphs in sections 二 to 六. A share of reports also gets hard
negatives (``pick_negatives``): prose that looks like rows, values or section headings but is O.

>>> import random
>>> c = make_content(random.Random(1), Traits())
>>> c.template in ("v2021", "v2019") and len(c.cells) > 100
True
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, timedelta
from functools import lru_cache

from nianbao.labels import catalogue as cat
from nianbao.training import synth_phrases as ph

MARKS = ("/", "—", "-", "无")
LEVELS = ("town", "county_dept", "county", "city_dept", "city", "province")
LEVEL_WEIGHTS = (35, 25, 12, 15, 6, 7)
# (probability of no applications, low, high) of new applications per level
APPS = {"town": (0.78, 1, 8), "county_dept": (0.45, 1, 40), "county": (0.1, 5, 400),
        "city_dept": (0.2, 3, 600), "city": (0.0, 300, 4500), "province": (0.1, 10, 900)}
ACTIVE = {"town": (10, 200), "county_dept": (20, 600), "county": (100, 3000), "city_dept": (50, 1500),
          "city": (800, 20000), "province": (200, 5000)}
T3_COL_WEIGHTS = (0.9, 0.06, 0.003, 0.005, 0.02, 0.012)
OUTCOME_WEIGHTS = {
    "granted": 0.45, "partial": 0.08, "denied.state_secret": 0.002, "denied.law_forbidden": 0.005,
    "denied.three_safety": 0.003, "denied.third_party": 0.02, "denied.internal_affairs": 0.01,
    "denied.process_info": 0.015, "denied.enforcement_file": 0.005, "denied.query_matter": 0.01,
    "unable.not_held": 0.2, "unable.need_creation": 0.03, "unable.unclear": 0.015,
    "not_processed.complaint": 0.04, "not_processed.duplicate": 0.02, "not_processed.publication": 0.005,
    "not_processed.excessive": 0.005, "not_processed.confirm": 0.01, "other.overdue_correction": 0.03,
    "other.unpaid_fee": 0.001, "other.other": 0.04, "other": 0.07,
}


@dataclass(frozen=True)
class Traits:
    """What a rendering style can show: blank cells, the ``-`` mark, thousands separators, tables."""

    blanks: bool = True
    dash_mark: bool = True
    thousands: bool = True
    tables: bool = True


@dataclass(frozen=True)
class CellValue:
    """One printed table cell: its text ('' for blank) and its gold value per the value rules."""

    text: str
    value: int | float | None
    raw: str | None = None
    unit: str | None = None


BLANK = CellValue("", None)
ZERO = CellValue("0", 0)


@dataclass
class Agency:
    """The issuing body: full name, the name used in the title, self-reference and level."""

    name: str
    title_name: str
    me: str
    level: str


@dataclass
class Content:
    """Everything a renderer needs: meta, printed headings, prose blocks, table cells, notes."""

    agency: Agency
    year: int
    template: str  # v2021 | v2019 | none (no tables)
    table_template: str  # the version whose tables are printed (v2021 | v2019)
    t3_rows: tuple[cat.Row, ...]
    cells: dict[str, CellValue]
    title: str | None
    sign_date: date | None
    page_date: date | None
    headings: dict[str, str]
    remarks: dict[str, str]
    intro: list[str]
    body: dict[str, list[tuple[str, str]]]  # sid -> [("h" | "p", text)]
    notes: list[str] = field(default_factory=list)
    figures: dict[str, int] = field(default_factory=dict)
    negatives: tuple[str, ...] = ()  # kinds of hard negative in the prose (NEGATIVE_KINDS)


# ----------------------------------------------------------------- small helpers
def log_uniform(rng: random.Random, lo: int, hi: int) -> int:
    """An integer spread evenly on a log scale in [lo, hi].

    >>> 5 <= log_uniform(random.Random(0), 5, 400) <= 400
    True
    """
    return int(round(math.exp(rng.uniform(math.log(lo), math.log(hi)))))


def split_count(n: int, weights: tuple[float, ...] | list[float], rng: random.Random) -> list[int]:
    """Split ``n`` items over bins by weight (exact multinomial for small n, rounded for large).

    >>> sum(split_count(3119, (0.9, 0.1), random.Random(0)))
    3119
    """
    k = len(weights)
    out = [0] * k
    if n <= 0:
        return out
    if n <= 40:
        for i in rng.choices(range(k), weights, k=n):
            out[i] += 1
        return out
    total = sum(weights)
    for i, w in enumerate(weights):
        out[i] = int(n * w / total * rng.uniform(0.85, 1.15))
    rest = n - sum(out)
    while rest < 0:  # jitter overshot: take back from the largest bins
        i = max(range(k), key=out.__getitem__)
        take = min(out[i], -rest)
        out[i] -= take
        rest += take
    for i in rng.choices(range(k), weights, k=min(rest, 40)):
        out[i] += 1
    out[0] += n - sum(out)
    return out


def fill(template: str, ctx: dict[str, object], rng: random.Random) -> str:
    """Fill ``{slot}``, ``{n:a-b}`` (a number) and ``{c:x|y}`` (a choice) placeholders of a phrase-bank
    sentence.

    >>> fill("{me}召开会议{n:3-3}次，获评{c:优秀}等次", {"me": "我局"}, random.Random(0))
    '我局召开会议3次，获评优秀等次'
    """
    pieces = _parse_template(template)
    if len(pieces) == 1 and pieces[0][1] is None:
        return template
    out = []
    for text, kind, arg in pieces:
        out.append(text)
        if kind == "n":
            out.append(str(rng.randint(*arg)))  # type: ignore[misc]
        elif kind == "c":
            out.append(rng.choice(arg))  # type: ignore[arg-type]
        elif kind == "slot":
            out.append(str(ctx[arg]))  # type: ignore[index]
    return "".join(out)


@lru_cache(maxsize=8192)
def _parse_template(template: str) -> tuple[tuple[str, str | None, object], ...]:
    """A template cut into (literal text, slot kind, slot argument) pieces (parsed once per template)."""
    pieces: list[tuple[str, str | None, object]] = []
    i = 0
    while True:
        j = template.find("{", i)
        if j < 0:
            if template[i:] or not pieces:
                pieces.append((template[i:], None, None))
            return tuple(pieces)
        k = template.index("}", j)
        slot = template[j + 1:k]
        if slot.startswith("n:"):
            lo, hi = slot[2:].split("-")
            pieces.append((template[i:j], "n", (int(lo), int(hi))))
        elif slot.startswith("c:"):
            pieces.append((template[i:j], "c", tuple(slot[2:].split("|"))))
        else:
            pieces.append((template[i:j], "slot", slot))
        i = k + 1


# ----------------------------------------------------------------- agency, dates
def place(rng: random.Random) -> str:
    """A fictional two-character place name."""
    return rng.choice(ph.PLACE_HEAD) + rng.choice(ph.PLACE_TAIL)


def make_agency(rng: random.Random) -> Agency:
    """An agency of a random level with its name, title name and self-reference."""
    level = rng.choices(LEVELS, LEVEL_WEIGHTS)[0]
    if level == "town":
        unit = rng.choice(("乡", "镇", "镇", "街道"))
        base = place(rng) + unit
        name = base + ("办事处" if unit == "街道" else "人民政府")
        title_name = rng.choice((base, name, name))
    elif level in ("county", "city"):
        unit = {"county": rng.choice(("县", "区")), "city": "市"}[level]
        base = place(rng) + unit
        name = base + "人民政府"
        title_name = rng.choice((base, name, base + "人民政府"))
    elif level == "province":
        name = rng.choice(ph.PROVINCES) + "省" + rng.choice(ph.PROVINCE_DEPTS)
        title_name = name
    else:
        unit = "市" if level == "city_dept" else rng.choice(("县", "区"))
        dept = rng.choice(ph.CITY_DEPTS if level == "city_dept" else ph.COUNTY_DEPTS)
        name = place(rng) + unit + dept
        title_name = name
    me = next((m for suffix, m in ph.SELF_REF if name.endswith(suffix)), "本机关")
    if rng.random() < 0.15:
        me = "本机关"
    return Agency(name, title_name, me, level)


def make_dates(rng: random.Random, year: int) -> tuple[date, date | None]:
    """Signature date (mostly January of the next year) and, sometimes, a later page date."""
    if rng.random() < 0.8:
        signed = date(year + 1, 1, rng.randint(1, 31))
    else:
        signed = date(year, 12, rng.randint(15, 31)) if rng.random() < 0.4 else date(year + 1, 2, rng.randint(1, 28))
    page = signed + timedelta(days=rng.randint(0, 9)) if rng.random() < 0.6 else None
    return signed, page


# ----------------------------------------------------------------- table numbers
def t3_numbers(rng: random.Random, level: str, rows: tuple[cat.Row, ...],
               carried_over: dict[str, int] | None = None) -> dict[str, int]:
    """Consistent table-3 counts: row totals, balance and outcome totals all hold (上年结转 per applicant
    column as given: a series carries last year's 结转下年度)."""
    p_zero, lo, hi = APPS[level]
    apps = 0 if rng.random() < p_zero else log_uniform(rng, lo, hi)
    colw = [w * rng.uniform(0.3, 2.0) for w in T3_COL_WEIGHTS]
    new = split_count(apps, colw, rng)
    carried_n = 0 if apps < 5 or rng.random() < 0.5 else int(apps * rng.uniform(0.0, 0.08))
    carried = split_count(carried_n, colw, rng)
    if carried_over is not None:  # drawn above all the same, so a report's numbers do not depend on it
        carried = [carried_over.get(c, 0) for c, _ in cat.T3_COLS[:6]]
    outcome_rows = [r.key for r in rows if r.key not in ("new_received", "carried_over", "total", "carried_forward")]
    ow = [OUTCOME_WEIGHTS[k] * rng.uniform(0.2, 2.5) for k in outcome_rows]
    vals: dict[str, int] = {}
    for ci, (col, _) in enumerate(cat.T3_COLS[:6]):
        avail = new[ci] + carried[ci]
        fwd = 0 if avail == 0 or rng.random() < 0.55 else min(avail, int(avail * rng.uniform(0.0, 0.08)) + 1)
        parts = split_count(avail - fwd, ow, rng)
        vals[f"t3.new_received.{col}"] = new[ci]
        vals[f"t3.carried_over.{col}"] = carried[ci]
        vals[f"t3.total.{col}"] = avail - fwd
        vals[f"t3.carried_forward.{col}"] = fwd
        for key, v in zip(outcome_rows, parts, strict=True):
            vals[f"t3.{key}.{col}"] = v
    for r in rows:
        vals[f"t3.{r.key}.total"] = sum(vals[f"t3.{r.key}.{c}"] for c in cat.T3_APPLICANT_COLS)
    return vals


def t4_numbers(rng: random.Random, apps: int) -> dict[str, int]:
    """Table-4 counts; each group's total is the sum of its four outcomes."""
    vals: dict[str, int] = {}
    for (g, _), share in zip(cat.T4_GROUPS, (0.04, 0.02, 0.01), strict=True):
        n = 0 if apps == 0 or rng.random() < 0.5 else int(apps * rng.uniform(0, share) + rng.random())
        parts = split_count(n, (0.6, 0.1, 0.15, 0.15), rng)
        for (c, _), v in zip(cat.T4_COLS[:4], parts, strict=True):
            vals[f"t4.{g}.{c}"] = v
        vals[f"t4.{g}.total"] = n
    return vals


def money(rng: random.Random, level: str) -> float | int:
    """An amount of money as printed: mostly decimals (8.3, 7730.28), sometimes whole."""
    if level == "town" and rng.random() < 0.7:
        return 0
    v = round(math.exp(rng.uniform(math.log(0.5), math.log({"city": 90000, "province": 50000}.get(level, 2000)))),
              rng.choice((1, 2, 2, 4)))
    return int(v) if rng.random() < 0.15 else v


def t2_numbers(rng: random.Random, level: str, template: str) -> dict[str, int | float]:
    """Table-2 values of one template version, scaled by agency level."""
    big = {"town": 0.05, "county_dept": 0.3, "county": 1.0, "city_dept": 1.0, "city": 20.0, "province": 5.0}[level]

    def count(hi: float, p_zero: float = 0.5) -> int:
        return 0 if rng.random() < p_zero else log_uniform(rng, 1, max(1, int(hi * big) + 1))

    vals: dict[str, int | float] = {}
    if template == "v2021":
        for r in cat.T2_V2021_ROWS:
            issued = count(3 if r.key == "regulations" else 20, 0.7 if r.key == "regulations" else 0.4)
            repealed = count(5, 0.7)
            vals[f"t2.{r.key}.issued"] = issued
            vals[f"t2.{r.key}.repealed"] = repealed
            vals[f"t2.{r.key}.in_force"] = issued + count(40, 0.4)
        vals["t2.licensing.decisions"] = count(20000, 0.5)
        vals["t2.punishment.decisions"] = count(4000, 0.5)
        vals["t2.enforcement.decisions"] = count(200, 0.7)
        vals["t2.fees.amount"] = money(rng, level)
        return vals
    for r in cat.T2_V2019_ROWS:
        made = count(3 if r.key == "regulations" else 20, 0.6)
        vals[f"t2.{r.key}.new_made"] = made
        vals[f"t2.{r.key}.new_published"] = made if rng.random() < 0.8 else count(20)
        vals[f"t2.{r.key}.total_published"] = made + count(60, 0.3)
    for r in cat.T2_V2019_ITEMS:
        prev = count(60, 0.5)
        vals[f"t2.{r.key}.prev_count"] = prev
        vals[f"t2.{r.key}.change"] = 0 if rng.random() < 0.5 else rng.randint(-min(prev, 6), 6)
        vals[f"t2.{r.key}.decisions"] = count(5000 if r.key in ("licensing", "punishment") else 100, 0.5)
    prev = count(15, 0.5)
    vals["t2.fees.prev_count"] = prev
    vals["t2.fees.change"] = 0 if rng.random() < 0.6 else rng.randint(-min(prev, 3), 3)
    vals["t2.procurement.count"] = count(200, 0.5)
    vals["t2.procurement.amount"] = money(rng, level) if vals["t2.procurement.count"] else 0
    return vals


def break_invariant(rng: random.Random, vals: dict[str, int | float]) -> str:
    """Change one printed number (as real reports do by mistake); return the field changed."""
    kind = rng.choice(("row", "column", "carried", "t4"))
    col = rng.choice([c for c, _ in cat.T3_COLS[:6]])
    if kind == "row":
        fid = f"t3.{rng.choice(('new_received', 'granted', 'total', 'unable.not_held'))}.total"
    elif kind == "column":
        fid = f"t3.granted.{col}"
    elif kind == "carried":
        fid = f"t3.carried_forward.{col}"
    else:
        fid = f"t4.{rng.choice(cat.T4_GROUPS)[0]}.total"
    d = rng.choice((-2, -1, 1, 1, 2, 3))
    old = vals[fid]
    vals[fid] = old + d if old + d >= 0 else old + abs(d)
    if kind in ("column", "carried"):  # keep that row's total right: only column identities fail
        vals[f"{fid.rsplit('.', 1)[0]}.total"] += vals[fid] - old
    return fid


def failing_invariants(vals: dict[str, int | float | None]) -> list[str]:
    """Codes and left-hand fields of the identities that do not hold (blank counts as 0).

    >>> failing_invariants({"t4.review.total": 2, **{f"t4.review.{c}": 0 for c, _ in cat.T4_COLS[:4]}})
    ['invariant.t4_total t4.review.total']
    """
    out = []
    for inv in cat.invariants_for(frozenset(vals)):
        if not all(f in vals for f in inv.fields):
            continue
        lhs = sum(vals[f] or 0 for f in inv.lhs)
        rhs = sum(vals[f] or 0 for f in inv.rhs)
        if lhs != rhs:
            out.append(f"{inv.code} {inv.lhs[0]}")
    return out


# ----------------------------------------------------------------- how cells are printed
def fmt_number(v: int | float, thousands: bool = False) -> str:
    """A number as a report prints it.

    >>> fmt_number(3119, thousands=True), fmt_number(8.3), fmt_number(-1)
    ('3,119', '8.3', '-1')
    """
    if isinstance(v, float):
        return f"{v:,}" if thousands else repr(v)
    return f"{v:,}" if thousands and v >= 1000 else str(v)


def print_cells(rng: random.Random, vals: dict[str, int | float], traits: Traits,
                rows: tuple[cat.Row, ...]) -> dict[str, CellValue]:
    """Decide how each value is printed: zeros, blanks, marks, units, separators."""
    fw_zero = "０" if rng.random() < 0.05 else ("〇" if rng.random() < 0.01 else "")
    fw_share = rng.choice((0.5, 1.0))
    blank_rows = traits.blanks and rng.random() < 0.18
    blank_share = 0.15 if traits.blanks and rng.random() < 0.08 else 0.0
    marks = [m for m in MARKS if traits.dash_mark or m != "-"]
    mark = rng.choice(marks) if rng.random() < 0.06 else ""
    thousands = traits.thousands and rng.random() < 0.03
    empty_rows: set[str] = set()
    mark_rows: set[str] = set()
    for r in rows:
        if all(vals[f"t3.{r.key}.{c}"] == 0 for c, _ in cat.T3_COLS):
            if blank_rows and r.key not in ("new_received", "carried_over", "total", "carried_forward"):
                empty_rows.add(r.key)
            elif mark and rng.random() < 0.3:
                mark_rows.add(r.key)
    out: dict[str, CellValue] = {}
    special = bool(empty_rows or mark_rows or mark or blank_share)
    for fid, v in vals.items():
        table, row, money = _field_info(fid)
        if special and table == "t3" and row in empty_rows:
            out[fid] = BLANK
        elif special and table == "t3" and row in mark_rows:
            out[fid] = CellValue(mark, None, raw=mark)
        elif special and v == 0 and table == "t2" and mark and rng.random() < 0.5:
            out[fid] = CellValue(mark, None, raw=mark)
        elif special and v == 0 and blank_share and rng.random() < blank_share:
            out[fid] = BLANK
        elif money:
            out[fid] = print_money(rng, fid, v, thousands)
        elif v == 0:
            out[fid] = CellValue(fw_zero, 0) if fw_zero and rng.random() < fw_share else ZERO
        else:
            out[fid] = CellValue(fmt_number(v, thousands), v)
    return out


@lru_cache(maxsize=1024)
def _field_info(fid: str) -> tuple[str, str, bool]:
    """(table, row key, is money) of a field ID."""
    parts = fid.split(".")
    return parts[0], ".".join(parts[1:-1]), cat.is_money(fid)


def print_money(rng: random.Random, fid: str, v: int | float, thousands: bool) -> CellValue:
    """A money cell: bare number, or with a printed unit (元 / 万元) that the gold keeps."""
    if v == 0:
        text = rng.choice(("0", "0", "0.00", "0.0"))
        return CellValue(text, 0 if text == "0" else 0.0)
    r = rng.random()
    if fid == "t2.procurement.amount" and r < 0.25:  # printed in yuan: scale up
        yuan = round(v * 10000, 1) if isinstance(v, float) else v * 10000
        yuan = int(yuan) if float(yuan).is_integer() else yuan
        return CellValue(fmt_number(yuan, thousands) + "元", yuan, unit="元")
    if r < (0.35 if fid == "t2.procurement.amount" else 0.08):
        return CellValue(fmt_number(v, thousands) + "万元", v, unit="万元")
    return CellValue(fmt_number(v, thousands), v)


# ----------------------------------------------------------------- prose
# Prose volume per report: a log-normal draw around PROSE_MEDIAN characters, scaled by level
# (cities write longer reports than towns), floored so that a report without tables still reaches
# about 2.5k characters and capped so that the longest rendering stays near 20k.
PROSE_MEDIAN = 2500
PROSE_SIGMA = 0.85
PROSE_MAX = 12500
LEVEL_LENGTH = {"town": 0.85, "county_dept": 0.9, "county": 1.15, "city_dept": 1.0, "city": 1.45, "province": 1.3}
# Hard negatives: prose the tagger must leave O although it looks like a section heading, a row
# label or a value. A share P_HARD of reports gets some, each kind with probability P_KIND (at least
# one): counts in table words (行政许可4项、…), a sentence naming the six sections, subsection
# headings numbered like sections (一、加强组织领导 / 1、…), quoted slogans (“五公开”).
NEGATIVE_KINDS = ("counts", "sections", "subheads", "slogans")
P_HARD = 0.6
P_KIND = 0.5
P_CHANNEL_COUNTS = 0.12  # counts by channel (no table words): any report
P_SUBSECTIONS = 0.6  # section 一 in subsections with heading lines (else run-on paragraphs)
# The order in which section 一 discusses its topics (keys of ``ph.S1_BANKS`` and the key areas).
S1_ORDER = ("lead", "active", "areas", "policy", "apply", "manage", "docs", "platform", "service", "participation",
            "basic", "supervise")


def pick_negatives(rng: random.Random) -> tuple[str, ...]:
    """The kinds of hard negative a report gets (none in 1 - P_HARD of reports).

    >>> set(pick_negatives(random.Random(5))) <= set(NEGATIVE_KINDS)
    True
    """
    if rng.random() >= P_HARD:
        return ()
    kinds = tuple(k for k in NEGATIVE_KINDS if rng.random() < P_KIND)
    return kinds or (rng.choice(NEGATIVE_KINDS),)


def prose_target(rng: random.Random, level: str, tables: bool) -> int:
    """How many characters of prose a report gets (headings and paragraphs, intro included).

    >>> 2500 <= prose_target(random.Random(3), "town", False) <= PROSE_MAX
    True
    """
    t = PROSE_MEDIAN * LEVEL_LENGTH[level] * math.exp(rng.gauss(0.0, PROSE_SIGMA))
    floor = (1500 if tables else 2500) + rng.uniform(0, 700)
    return int(min(max(t, floor), PROSE_MAX))


def sentences(rng: random.Random, bank: tuple[str, ...], k: int, ctx: dict[str, object]) -> str:
    """``k`` distinct sentences of a bank, filled and joined into one paragraph."""
    return "".join(fill(s, ctx, rng) for s in rng.sample(bank, min(k, len(bank))))


class Para:
    """A paragraph being written: an opening (run-in heading, lead sentence) and sentences drawn from
    ``bank`` (each at most once in this paragraph, at most ``cap`` of them)."""

    __slots__ = ("lead", "bank", "cap", "parts", "free", "prefer")

    def __init__(self, lead: str = "", bank: tuple[str, ...] = (), cap: int = 0, prefer: int = 0):
        self.lead, self.bank, self.cap = lead, bank, cap
        self.prefer = prefer  # the bank's first ``prefer`` sentences are drawn before the others
        self.parts: list[str] = []
        self.free = list(range(len(bank)))  # bank sentences not yet in this paragraph (ascending)

    def text(self) -> str:
        """The paragraph as printed."""
        return self.lead + "".join(self.parts)


class ProseWriter:
    """The prose of one report, grown until it reaches the report's target length.

    A base report is laid out first (as short reports are written); then, until the target is
    reached, a paragraph gets another sentence or a section gets another topic, key area,
    paragraph or list item. No sentence of a bank repeats within a paragraph, and none repeats
    within the report until every bank the report draws on is used up (only the longest reports
    get there; they then add paragraphs that reuse sentences of earlier ones).
    """

    def __init__(self, rng: random.Random, ctx: dict[str, object], figures: dict[str, int], tables: bool,
                 target: int, negatives: tuple[str, ...] = ()):
        self.rng, self.ctx, self.figures, self.tables, self.target = rng, ctx, figures, tables, target
        self.negatives = negatives
        self.size = 0  # characters written so far (numbering and joins approximated)
        self.seen: set[tuple[int, int]] = set()  # (bank id, index) used anywhere in the report
        self.left: dict[int, int] = {}  # bank id -> its sentences not yet used anywhere in the report
        self.reuse = False  # every bank is used up: sentences may now recur in other paragraphs
        self.paras: list[tuple[str, Para]] = []  # every growable paragraph with its section
        self.pools: tuple[list[Para], list[Para]] = ([], [])  # those that may still grow: s1, others
        # section 一
        numeral = "subheads" in negatives  # subsection headings numbered like sections
        self.s1_sub = rng.random() < (0.75 if numeral else P_SUBSECTIONS)
        self.numbering = rng.choice(ph.S1_NUMBERING_NUMERAL if numeral else ph.S1_NUMBERING)
        self.runin = rng.choice(ph.S1_RUNIN) if rng.random() < 0.5 else ""
        self.area_item = rng.choice(ph.AREA_ITEM_NUMBERED if numeral else ph.AREA_ITEM)
        self.max_areas = rng.randint(5, len(ph.AREAS))
        self.opening = Para()
        self.topics: dict[str, list[Para]] = {}
        self.heads: dict[str, str] = {}
        self.areas: list[Para] = []
        self.events = 0  # paragraphs of S1_EVENTS
        self.max_events = 1 + target // 2500
        # sections 二 to 六
        self.s2: list[Para] = []
        self.s3: list[Para] = []
        self.s4: list[Para] = []
        if not numeral:
            self.s5_form = rng.choices(("inline", "sub"), (55, 45))[0]
        elif self.s1_sub:
            self.s5_form = rng.choices(("inline", "sub", "numbered"), (45, 30, 25))[0]
        else:  # the numbered headings must show somewhere
            self.s5_form = rng.choice(("sub", "numbered"))
        self.s5_heads = rng.choice(ph.S5_SUBHEADINGS_NUMERAL if numeral else ph.S5_SUBHEADINGS)
        self.s5_leads = (fill(rng.choice(ph.S5_LEADS), ctx, rng), fill(rng.choice(ph.S5_FIX_LEADS), ctx, rng))
        self.problems: list[Para] = []
        self.fixes: list[Para] = []
        self.s5_before: list[Para] = []  # how last year's problems were dealt with
        self.s5_after: list[Para] = []  # details after this year's problems
        self.s5_closing: list[Para] = []  # details after the improvements
        self.s6: list[Para] = []
        self.s6_fee = True
        self.s6_topics = list(ph.S6_TOPICS)
        rng.shuffle(self.s6_topics)
        self.s6_topics.insert(0, ph.S6_NOTES)  # taken last: the notes on the data close a report

    # -- writing pieces
    def fresh(self, bank: tuple[str, ...]) -> bool:
        """Whether the bank still has a sentence the report has not used (or reuse is allowed)."""
        return self.reuse or self.left.get(id(bank), len(bank)) > 0

    def can_grow(self, para: Para) -> bool:
        """Whether the paragraph can take another sentence now."""
        return len(para.parts) < para.cap and bool(para.free) and self.fresh(para.bank)

    def add(self, para: Para, k: int = 1) -> int:
        """Add up to ``k`` sentences of the paragraph's bank; returns the characters added."""
        added = 0
        rng, seen, free, bid = self.rng, self.seen, para.free, id(para.bank)
        for _ in range(k):
            if len(para.parts) >= para.cap or not free:
                break
            pool = [i for i in free if i < para.prefer] if free[0] < para.prefer else free
            i = pool[rng.randrange(len(pool))]
            fresh = (bid, i) not in seen
            if not fresh:  # look for one the report has not used yet
                unused = [j for j in free if (bid, j) not in seen]
                if unused:
                    i, fresh = rng.choice(unused), True
                elif not self.reuse:
                    break
            free.remove(i)
            if fresh:
                seen.add((bid, i))
                self.left[bid] = self.left.get(bid, len(para.bank)) - 1
            s = fill(para.bank[i], self.ctx, rng)
            para.parts.append(s)
            added += len(s)
        self.size += added
        return added

    def new(self, sid: str, bank: tuple[str, ...], k: int, lead: str = "", cap: int | None = None) -> Para:
        """A new paragraph of section ``sid`` with ``k`` sentences of ``bank`` (growable to ``cap``)."""
        if cap is None:
            cap = self.rng.randint(3, 5 + self.target // 4000)
        para = Para(lead, bank, max(cap, k))
        self.size += len(lead)
        self.add(para, k)
        self.track(sid, para)
        return para

    def fixed(self, text: str) -> Para:
        """A paragraph that does not grow."""
        para = Para(text)
        self.size += len(text)
        return para

    def track(self, sid: str, para: Para) -> None:
        """Remember a growable paragraph of section ``sid``."""
        self.paras.append((sid, para))
        self.pools[sid != "s1"].append(para)

    def insert(self, para: Para, text: str, at: int | None = None) -> None:
        """Put a sentence that is no bank's into a paragraph (at the end, or before part ``at``)."""
        para.parts.insert(len(para.parts) if at is None else at, text)
        self.size += len(text)

    # -- the base report
    def base(self) -> None:
        """The report as a short one is written: an opening, a few topics, leads, problems, fees."""
        rng, ctx = self.rng, self.ctx
        self.opening = Para(fill(rng.choice(ph.S1_OPENING), ctx, rng), ph.S1_LEADERSHIP, rng.randint(2, 5))
        self.size += len(self.opening.lead)
        others = [k for k in ph.S1_BANKS if k != "lead"]
        if self.s1_sub:
            if rng.random() < 0.5:
                keys = list(ph.S1_CLASSIC)
                self.heads = dict(ph.S1_CLASSIC_HEADS)
            else:
                keys = ["lead"] + sorted(rng.sample(others, rng.randint(3, 4)), key=S1_ORDER.index)
            for key in keys:
                self.topic(key, rng.randint(1, 3))
        else:
            self.add(self.opening, 2)  # run-on reports open with leadership sentences
            self.track("s1", self.opening)
            for key in rng.sample(others, rng.randint(1, 3)):
                self.topic(key, rng.randint(2, 3))
        if not self.tables or rng.random() < 0.5:
            self.s2.append(self.new("s2", ph.S2_MORE, 0, lead=fill(rng.choice(ph.S2_LEAD), ctx, rng)))
        if not self.tables or rng.random() < 0.7:
            bank = ph.S3_LEAD_SOME if self.figures["apps"] else ph.S3_LEAD_NONE
            more = ph.S3_MORE if self.figures["apps"] else ph.S3_MORE_NONE
            self.s3.append(self.new("s3", more, 0, lead=fill(rng.choice(bank), ctx, rng)))
        if not self.tables or rng.random() < 0.6:
            bank = ph.S4_SOME if self.figures["review"] + self.figures["suits"] else ph.S4_NONE
            self.s4.append(self.new("s4", ph.S4_MORE, 0, lead=fill(rng.choice(bank), ctx, rng)))
        for _ in range(rng.randint(2, 4)):
            self.s5_item(self.problems, ph.S5_PROBLEMS)
        for _ in range(rng.randint(2, 4)):
            self.s5_item(self.fixes, ph.S5_FIXES)
        if self.s5_form != "numbered":
            self.size += len(self.s5_leads[0]) + len(self.s5_leads[1])
        fee = rng.choice(ph.S6)
        self.s6_fee = fee in ph.S6_FEE
        self.s6.append(self.fixed(fill(fee, ctx, rng)))

    def topic(self, key: str, k: int) -> None:
        """Open topic ``key`` of section 一 with ``k`` sentences (the key areas: with one area)."""
        if key not in self.heads:
            self.heads[key] = self.rng.choice(ph.S1_HEADS[key])
        self.size += len(self.heads[key]) + 4
        self.topics[key] = []
        if key == "areas":
            self.area()
        else:
            self.topics[key].append(self.new("s1", ph.S1_BANKS[key], k))

    def area(self) -> bool:
        """Another key area (under the key-areas topic of section 一); False when no more are wanted."""
        done = {p.lead for p in self.areas}
        left = [(name, bank) for name, bank in ph.AREAS if name not in done]
        if not left or len(self.areas) >= self.max_areas:
            return False
        name, bank = self.rng.choice(left)
        generic = tuple(s.replace("{area}", name) for s in ph.AREA_ANY)
        para = Para(name, bank + generic, self.rng.randint(2, 4 + self.target // 6000), prefer=len(bank))
        self.size += len(name) + 4
        self.add(para, self.rng.randint(1, 2))
        self.track("s1", para)
        self.areas.append(para)  # the item's numbering and name are printed when the report is composed
        return True

    def s5_item(self, items: list[Para], bank: tuple[str, ...]) -> bool:
        """Another problem or fix (a clause; in the numbered form it may get detail sentences)."""
        used = {p.lead for p in items}
        left = [s for s in bank if s not in used]
        if not left or len(items) >= 8:
            return False
        details = ph.S5_PROBLEM_DETAILS if bank is ph.S5_PROBLEMS else ph.S5_FIX_DETAILS
        para = Para(self.rng.choice(left), details, self.rng.randint(1, 2) if self.s5_form == "numbered" else 0)
        items.append(para)
        self.size += len(para.lead) + 3
        if para.cap:
            self.track("s5", para)
        return True

    # -- hard negatives
    def hard_negatives(self) -> None:
        """Sentences a tagger must leave O although they look like rows and values (counts in table
        words) or are quoted slogans; the numbered subsection headings are chosen in ``__init__``."""
        rng, ctx, f = self.rng, self.ctx, self.figures
        active = int(f["active"])
        if "slogans" in self.negatives:  # in the opening or a general topic
            paras = [self.opening] + [p for k in ("lead", "active", "policy", "supervise") for p in self.topics.get(k, [])]
            for text in rng.sample(ph.SLOGANS, 1 + (self.target > 6000)):
                para = rng.choice(paras)
                self.insert(para, fill(text, ctx, rng), rng.randint(0, len(para.parts)))
        if rng.random() < P_CHANNEL_COUNTS:
            web, media, board = split_count(active, (0.6, 0.3, 0.1), rng)
            text = fill(rng.choice(ph.CHANNEL_COUNTS), {**ctx, "web": web, "media": media, "board": board}, rng)
            if self.s2:
                self.insert(self.s2[-1], text)
            else:
                self.s2.append(self.fixed(text))
        if "counts" not in self.negatives:
            return
        options = ["categories", "power"]
        if f["apps"]:
            options += ["outcomes", "applicants"]
        if not f["review"] + f["suits"]:
            options.append("appeals")
        chosen = rng.sample(options, rng.randint(1, 2))
        if "categories" in chosen:
            cats = sorted(rng.sample(range(len(ph.COUNT_CATEGORIES)), rng.randint(3, 6)))
            parts = "、".join(f"{ph.COUNT_CATEGORIES[i]}类信息{log_uniform(rng, 1, max(2, active // 3))}条"
                             for i in cats)
            self.s2.append(self.fixed(fill(rng.choice(ph.COUNT_LEADS), {**ctx, "parts": parts}, rng)))
        if "power" in chosen:
            items = sorted(rng.sample(range(len(ph.POWER_LIST_ITEMS)), rng.randint(5, len(ph.POWER_LIST_ITEMS))))
            counts = [rng.randint(10, 120) if ph.POWER_LIST_ITEMS[i] == "其他类" else log_uniform(rng, 1, 60)
                      for i in items]
            parts = "、".join(f"{ph.POWER_LIST_ITEMS[i]}{n}项" for i, n in zip(items, counts, strict=True))
            text = fill(rng.choice(ph.POWER_LIST), {**ctx, "parts": parts, "total": sum(counts)}, rng)
            home = self.topics.get("active")
            if home:
                self.insert(home[0], text)
            else:
                self.s2.append(self.fixed(text))
        extra = [fill(rng.choice(bank), ctx, rng) for kind, bank in (("outcomes", ph.S3_OUTCOMES),
                                                                      ("applicants", ph.S3_APPLICANTS))
                 if kind in chosen]
        if extra and self.s3:
            self.insert(self.s3[0], "".join(extra), 0)
        elif extra:
            self.s3.append(self.fixed(fill(rng.choice(ph.S3_LEAD_SOME), ctx, rng) + "".join(extra)))
        if "appeals" in chosen:
            text = rng.choice(ph.S4_NONE_COUNTS)
            if self.s4:
                self.size += len(text) - len(self.s4[0].lead)
                self.s4[0].lead = text
            else:
                self.s4.append(self.fixed(text))

    # -- growing to the target
    def grow(self) -> None:
        """Add sentences, paragraphs, topics and list items until the target length is reached."""
        rng = self.rng
        ops: dict[str, float] = {"topic": 4, "topic_para": 1.2, "events": 0.6, "area": 2.5, "s2": 0.8, "s3": 0.5,
                                 "s4": 0.25, "problem": 0.8, "fix": 1.0, "s5_para": 0.6, "s6": 0.9}
        while self.size < self.target:
            para = self.pick_open() if rng.random() < 0.55 else None
            if para is None and ops:
                op = rng.choices(list(ops), list(ops.values()))[0]
                if not self.grow_by(op):
                    del ops[op]
                continue
            para = para or self.pick_open()
            if para is not None:
                self.add(para)
                continue
            if self.reuse:
                return
            if self.max_events < len(ph.S1_EVENTS):  # still short: all key areas, more events
                self.max_areas, self.max_events = len(ph.AREAS), len(ph.S1_EVENTS)
                ops = {"area": 2.0, "events": 1.0}
                continue
            # every bank is used up: later paragraphs reuse sentences of earlier ones (mostly the
            # S1_EVENTS templates, whose alternatives make a reused one read differently)
            self.reuse = True
            self.max_events = 10**6
            self.pools = ([p for sid, p in self.paras if sid == "s1"], [p for sid, p in self.paras if sid != "s1"])
            ops = {"topic_para": 1.0, "events": 3.0}

    def pick_open(self) -> Para | None:
        """A paragraph that can take another sentence (one of section 一 three times as likely)."""
        s1, rest = self.pools
        while s1 or rest:
            pool = s1 if self.rng.random() * (3 * len(s1) + len(rest)) < 3 * len(s1) else rest
            i = self.rng.randrange(len(pool))
            if self.can_grow(pool[i]):
                return pool[i]
            pool[i] = pool[-1]  # full (for this phase): drop it
            pool.pop()
        return None

    def grow_by(self, op: str) -> bool:
        """One structural step; False when that kind of step is used up."""
        rng = self.rng
        if op == "topic":
            left = [k for k in S1_ORDER if k not in self.topics]
            if not left:
                return False
            self.topic(rng.choice(left), rng.randint(2, 3))
        elif op == "topic_para":
            most = 5 if self.reuse else 4  # paragraphs of the topic's own bank
            keys = [k for k, ps in self.topics.items() if ps and k != "areas" and self.fresh(ph.S1_BANKS[k])
                    and (sum(p.bank is ph.S1_BANKS[k] for p in ps) < most or self.can_grow(ps[-1]))]
            if not keys:
                return False
            key = rng.choice(keys)
            last = self.topics[key][-1]
            if last.bank is ph.S1_BANKS[key] and self.can_grow(last):
                self.add(last)
            else:
                self.topics[key].append(self.new("s1", ph.S1_BANKS[key], 2))
        elif op == "events":
            keys = [k for k, ps in self.topics.items() if ps and k != "areas"]
            if not keys or self.events >= self.max_events or not self.fresh(ph.S1_EVENTS):
                return False
            self.topics[rng.choice(keys)].append(self.new("s1", ph.S1_EVENTS, 2))
            self.events += 1
        elif op == "area":
            if "areas" not in self.topics:
                self.topic("areas", 0)
                return True
            return self.area()
        elif op in ("s2", "s3", "s4"):
            paras = {"s2": self.s2, "s3": self.s3, "s4": self.s4}[op]
            bank = {"s2": ph.S2_MORE, "s3": ph.S3_MORE if self.figures["apps"] else ph.S3_MORE_NONE,
                    "s4": ph.S4_MORE}[op]
            if len(paras) >= (3 if op == "s2" else 2) or not self.fresh(bank):
                return False
            paras.append(self.new(op, bank, 2 if op != "s4" else 1))
        elif op == "problem":
            return self.s5_item(self.problems, ph.S5_PROBLEMS)
        elif op == "fix":
            return self.s5_item(self.fixes, ph.S5_FIXES)
        elif op == "s5_para":
            if not self.s5_before:
                self.s5_before.append(self.new("s5", ph.S5_PREVIOUS, 2))
            elif not self.s5_after and self.s5_form != "numbered" and self.fresh(ph.S5_PROBLEM_DETAILS):
                self.s5_after.append(self.new("s5", ph.S5_PROBLEM_DETAILS, 2))
            elif not self.s5_closing and self.s5_form != "numbered" and self.fresh(ph.S5_FIX_DETAILS):
                self.s5_closing.append(self.new("s5", ph.S5_FIX_DETAILS, 2))
            else:
                return False
        elif op == "s6":
            if not self.s6_topics:
                return False
            if not self.s6_fee:  # "nothing else to report" no longer holds: say that no fee was charged
                first = fill(rng.choice(ph.S6_FEE), self.ctx, rng)
                self.size += len(first) - len(self.s6[0].lead)
                self.s6[0] = Para(first)
                self.s6_fee = True
            self.s6.append(self.new("s6", self.s6_topics.pop(), 2))
        return True

    # -- the blocks
    def blocks(self) -> dict[str, list[tuple[str, str]]]:
        """The six sections' prose as ("h", heading line) / ("p", paragraph) blocks."""
        body: dict[str, list[tuple[str, str]]] = {sid: [] for sid in cat.SECTIONS}
        s1 = body["s1"]
        s1.append(("p", self.opening.text()))
        order = [k for k in S1_ORDER if self.topics.get(k) or (k == "areas" and self.areas)]
        for i, key in enumerate(order):
            head = self.heads[key]
            numbers = {"c": ph.CN_NUMERALS[i], "a": i + 1, "o": ph.ORDINALS[i], "h": head}
            if self.s1_sub:
                s1.append(("h", self.numbering.format(**numbers) + head))
            elif self.runin and key == "areas":
                s1.append(("p", self.runin.format(**numbers)))
            if key == "areas":
                s1 += [("p", self.area_item.format(a=j + 1, area=p.lead) + "".join(p.parts))
                       for j, p in enumerate(self.areas)]
                continue
            for j, p in enumerate(self.topics[key]):
                text = p.text()
                if j == 0 and not self.s1_sub and self.runin:
                    text = self.runin.format(**numbers) + text
                s1.append(("p", text))
        body["s2"] = [("p", p.text()) for p in self.s2 if p.text()]
        body["s3"] = [("p", p.text()) for p in self.s3 if p.text()]
        body["s4"] = [("p", p.text()) for p in self.s4 if p.text()]
        s5 = body["s5"]
        s5 += [("p", p.text()) for p in self.s5_before if p.text()]
        h1, h2 = self.s5_heads
        if self.s5_form == "numbered":
            s5.append(("h", h1))
            s5 += [("p", f"{i + 1}、{p.lead}。" + "".join(p.parts)) for i, p in enumerate(self.problems)]
            s5.append(("h", h2))
            s5 += [("p", f"{i + 1}、{p.lead}。" + "".join(p.parts)) for i, p in enumerate(self.fixes)]
        else:
            problems = "；".join(ph.ORDINALS[i] + p.lead for i, p in enumerate(self.problems)) + "。"
            fixes = "；".join(ph.ORDINALS[i] + p.lead for i, p in enumerate(self.fixes)) + "。"
            after = [("p", p.text()) for p in self.s5_after if p.text()]
            closing = [("p", p.text()) for p in self.s5_closing if p.text()]
            if self.s5_form == "sub":
                s5 += [("h", h1), ("p", problems)] + after + [("h", h2), ("p", fixes)] + closing
            else:
                s5 += [("p", self.s5_leads[0] + problems)] + after + [("p", self.s5_leads[1] + fixes)] + closing
        body["s6"] = [("p", p.text()) for p in self.s6]
        return body


def restated(vals: dict[str, int | float]) -> dict[str, int]:
    """Table-3 figures a report may repeat in its prose: outcomes by group and applicants by kind."""
    groups = {"granted": 0, "partial": 0, "denied": 0, "unable": 0, "not_processed": 0, "other": 0}
    for k, v in vals.items():
        if k.startswith("t3.") and k.endswith(".total"):
            group = k[3:k.find(".", 3)]
            if group in groups:
                groups[group] += int(v)
    natural = int(vals["t3.new_received.natural_person"])
    return {"granted": groups["granted"], "partial": groups["partial"], "denied": groups["denied"],
            "unable": groups["unable"], "np": groups["not_processed"], "other": groups["other"],
            "natural": natural, "legal": int(vals["t3.new_received.total"]) - natural}


def section_list(rng: random.Random, ctx: dict[str, object]) -> str:
    """A sentence naming the report's six parts (prose, not headings)."""
    names = [rng.choice(ph.SECTION_VARIANTS[sid] + ph.SECTION_SHORT.get(sid, ())) for sid in cat.SECTIONS]
    parts = "、".join(names[:-1]) + rng.choice(("、", "、", "以及", "和")) + names[-1]
    return fill(rng.choice(ph.SECTION_LIST), {**ctx, "parts": parts}, rng)


def make_intro(rng: random.Random, ctx: dict[str, object], name_sections: bool = False) -> list[str]:
    """The preface before section 一 (in a share of reports), with a sentence naming the six parts
    when ``name_sections``."""
    intro = sentences(rng, ph.INTRO, rng.randint(2, 4), ctx) if rng.random() < 0.6 else ""
    if name_sections:
        cut = intro.find("。") + 1 if intro and rng.random() < 0.7 else 0
        intro = intro[:cut] + section_list(rng, ctx) + intro[cut:]
    return [intro] if intro else []


def make_body(rng: random.Random, ctx: dict[str, object], figures: dict[str, int], tables: bool,
              target: int = 0, negatives: tuple[str, ...] = ()) -> dict[str, list[tuple[str, str]]]:
    """Prose of the six sections as ("h", subheading) / ("p", paragraph) blocks, about ``target``
    characters in all (a short report when 0), with the hard negatives of the kinds ``negatives``."""
    w = ProseWriter(rng, ctx, figures, tables, target, negatives)
    w.base()
    w.hard_negatives()
    w.grow()
    return w.blocks()


def pick_template(rng: random.Random, year: int) -> str:
    """The table version printed: v2019 for 2019-2020 reports, v2021 after (with a few laggards)."""
    if year <= 2020:
        return "v2019" if rng.random() < 0.92 else "v2021"
    return "v2021" if rng.random() < 0.96 else "v2019"


def make_content(rng: random.Random, traits: Traits, agency: Agency | None = None, year: int | None = None,
                 template: str | None = None, carried_over: dict[str, int] | None = None,
                 adjust: Callable[[dict[str, int | float]], None] | None = None) -> Content:
    """One report's content; ``traits`` says what the chosen rendering style can print. A series
    (``training.synth_series_docs``) fixes the agency, year and template, last year's 结转下年度 and
    ``adjust``s the drawn numbers in place (its cross-year ties) before they are printed."""
    agency = agency or make_agency(rng)
    year = rng.randint(2019, 2025) if year is None else year
    table_template = template or pick_template(rng, year)
    rows = cat.t3_rows(table_template)  # type: ignore[arg-type]
    notes: list[str] = []
    if traits.tables and table_template == "v2021" and rng.random() < 0.08:
        single = next(r for r in cat.T3_ROWS if r.key == "other")
        rows = tuple(single if r.key == "other.overdue_correction" else r for r in rows
                     if r.key not in ("other.unpaid_fee", "other.other"))
        notes.append("mixed template: v2021 tables with the single v2019 (六)其他处理 row")
    vals: dict[str, int | float] = {**t2_numbers(rng, agency.level, table_template),
                                    **t3_numbers(rng, agency.level, rows, carried_over)}
    vals.update(t4_numbers(rng, int(vals["t3.new_received.total"])))
    if adjust is not None:
        adjust(vals)
    cells: dict[str, CellValue] = {}
    if traits.tables:
        if rng.random() < 0.06:
            changed = break_invariant(rng, vals)
            notes += [f"breaks {f} (printed {changed} = {vals[changed]})" for f in failing_invariants(vals)]
        cells = print_cells(rng, vals, traits, rows)
    lo, hi = ACTIVE[agency.level]
    figures = {"apps": int(vals["t3.new_received.total"]), "done": int(vals["t3.total.total"]),
               "review": int(vals["t4.review.total"]), "active": log_uniform(rng, lo, hi),
               "suits": int(vals["t4.suit_direct.total"] + vals["t4.suit_after_review.total"])}
    ctx: dict[str, object] = {"me": agency.me, "org": agency.name, "year": year, "ny": year + 1, "py": year - 1,
                              **figures, **restated(vals)}
    title = None
    if rng.random() < 0.92:
        title = rng.choice(ph.TITLE_FORMS).format(org=agency.title_name, year=year)
    signed, page = make_dates(rng, year)
    headings = {sid: rng.choice(ph.SECTION_VARIANTS[sid]) for sid in cat.SECTIONS}
    remarks = {sid: rng.choice(ph.HEADING_REMARKS) for sid in ("s3", "s4") if rng.random() < 0.04}
    negatives = pick_negatives(rng)
    intro = make_intro(rng, ctx, "sections" in negatives)
    target = prose_target(rng, agency.level, traits.tables) - sum(len(p) for p in intro)
    return Content(agency=agency, year=year, template=table_template if traits.tables else "none",
                   table_template=table_template, t3_rows=rows, cells=cells, title=title, sign_date=signed,
                   page_date=page, headings=headings, remarks=remarks, intro=intro,
                   body=make_body(rng, ctx, figures, traits.tables, target, negatives), notes=notes,
                   figures=figures, negatives=negatives)
