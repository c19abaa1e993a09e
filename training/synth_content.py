"""What a synthetic report says: agency, year, template, table numbers and prose (before rendering).

Numbers follow the template invariants (``labels.catalogue.invariants_for``) except in a small
share of reports that break exactly one, recorded in ``Content.notes`` as
``"breaks invariant.<code> at <field>: printed X, identity gives Y"``. Most small agencies print
all-zero tables; city governments have four-digit totals; money has decimals; v2019 ``本年增/减``
may be negative. How a cell is printed (``0``/``０``, blank, a mark ``/ — - 无``, a unit, a
thousands separator) is decided here too, within what the rendering style can show
(``Traits``): a style that keeps no trace of a blank cell never gets one.

>>> import random
>>> c = make_content(random.Random(1), Traits())
>>> c.template in ("v2021", "v2019") and len(c.cells) > 100
True
"""

from __future__ import annotations

import math
import random
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
    """Fill ``{slot}`` and ``{n:a-b}`` placeholders of a phrase-bank sentence.

    >>> fill("{me}召开会议{n:3-3}次", {"me": "我局"}, random.Random(0))
    '我局召开会议3次'
    """
    out = []
    i = 0
    while True:
        j = template.find("{", i)
        if j < 0:
            out.append(template[i:])
            return "".join(out)
        k = template.index("}", j)
        out.append(template[i:j])
        slot = template[j + 1:k]
        if slot.startswith("n:"):
            lo, hi = slot[2:].split("-")
            out.append(str(rng.randint(int(lo), int(hi))))
        else:
            out.append(str(ctx[slot]))
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
def t3_numbers(rng: random.Random, level: str, rows: tuple[cat.Row, ...]) -> dict[str, int]:
    """Consistent table-3 counts: row totals, balance and outcome totals all hold."""
    p_zero, lo, hi = APPS[level]
    apps = 0 if rng.random() < p_zero else log_uniform(rng, lo, hi)
    colw = [w * rng.uniform(0.3, 2.0) for w in T3_COL_WEIGHTS]
    new = split_count(apps, colw, rng)
    carried_n = 0 if apps < 5 or rng.random() < 0.5 else int(apps * rng.uniform(0.0, 0.08))
    carried = split_count(carried_n, colw, rng)
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
def sentences(rng: random.Random, bank: tuple[str, ...], k: int, ctx: dict[str, object]) -> str:
    """``k`` distinct sentences of a bank, filled and joined into one paragraph."""
    return "".join(fill(s, ctx, rng) for s in rng.sample(bank, min(k, len(bank))))


def make_body(rng: random.Random, ctx: dict[str, object], figures: dict[str, int],
              tables: bool) -> dict[str, list[tuple[str, str]]]:
    """Prose of the six sections as ("h", subheading) / ("p", paragraph) blocks."""
    body: dict[str, list[tuple[str, str]]] = {sid: [] for sid in cat.SECTIONS}
    s1 = body["s1"]
    topics = (ph.S1_ACTIVE, ph.S1_APPLY, ph.S1_MANAGE, ph.S1_PLATFORM, ph.S1_SUPERVISE)
    if rng.random() < 0.6:
        s1.append(("p", fill(rng.choice(ph.S1_OPENING), ctx, rng)))
        heads = ph.S1_SUBHEADINGS if rng.random() < 0.7 else ph.S1_SUBHEADINGS_ALT
        first = (ph.S1_LEADERSHIP,) if heads is ph.S1_SUBHEADINGS_ALT else ()
        for head, bank in zip(heads, first + topics, strict=False):
            s1.append(("h", head))
            s1.append(("p", sentences(rng, bank, rng.randint(1, 3), ctx)))
    else:
        s1.append(("p", fill(rng.choice(ph.S1_OPENING), ctx, rng) + sentences(rng, ph.S1_LEADERSHIP, 2, ctx)))
        for bank in rng.sample(topics, rng.randint(1, 3)):
            s1.append(("p", sentences(rng, bank, rng.randint(2, 3), ctx)))
    if not tables or rng.random() < 0.5:
        body["s2"].append(("p", fill(rng.choice(ph.S2_LEAD), ctx, rng)))
    if not tables or rng.random() < 0.7:
        bank = ph.S3_LEAD_SOME if figures["apps"] else ph.S3_LEAD_NONE
        body["s3"].append(("p", fill(rng.choice(bank), ctx, rng)))
    if not tables or rng.random() < 0.6:
        bank = ph.S4_SOME if figures["review"] + figures["suits"] else ph.S4_NONE
        body["s4"].append(("p", fill(rng.choice(bank), ctx, rng)))
    problems = [ph.ORDINALS[i] + p for i, p in enumerate(rng.sample(ph.S5_PROBLEMS, rng.randint(2, 4)))]
    fixes = [ph.ORDINALS[i] + p for i, p in enumerate(rng.sample(ph.S5_FIXES, rng.randint(2, 4)))]
    if rng.random() < 0.5:
        h1, h2 = rng.choice(ph.S5_SUBHEADINGS)
        body["s5"] += [("h", h1), ("p", "；".join(problems) + "。"), ("h", h2), ("p", "；".join(fixes) + "。")]
    else:
        body["s5"].append(("p", fill(rng.choice(ph.S5_LEADS), ctx, rng) + "；".join(problems) + "。"))
        body["s5"].append(("p", fill(rng.choice(ph.S5_FIX_LEADS), ctx, rng) + "；".join(fixes) + "。"))
    body["s6"].append(("p", fill(rng.choice(ph.S6), ctx, rng)))
    return body


def pick_template(rng: random.Random, year: int) -> str:
    """The table version printed: v2019 for 2019-2020 reports, v2021 after (with a few laggards)."""
    if year <= 2020:
        return "v2019" if rng.random() < 0.92 else "v2021"
    return "v2021" if rng.random() < 0.96 else "v2019"


def make_content(rng: random.Random, traits: Traits) -> Content:
    """One report's content; ``traits`` says what the chosen rendering style can print."""
    agency = make_agency(rng)
    year = rng.randint(2019, 2025)
    table_template = pick_template(rng, year)
    rows = cat.t3_rows(table_template)  # type: ignore[arg-type]
    notes: list[str] = []
    if traits.tables and table_template == "v2021" and rng.random() < 0.08:
        single = next(r for r in cat.T3_ROWS if r.key == "other")
        rows = tuple(single if r.key == "other.overdue_correction" else r for r in rows
                     if r.key not in ("other.unpaid_fee", "other.other"))
        notes.append("mixed template: v2021 tables with the single v2019 (六)其他处理 row")
    vals: dict[str, int | float] = {**t2_numbers(rng, agency.level, table_template),
                                    **t3_numbers(rng, agency.level, rows)}
    vals.update(t4_numbers(rng, int(vals["t3.new_received.total"])))
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
    ctx: dict[str, object] = {"me": agency.me, "org": agency.name, "year": year, "ny": year + 1, **figures}
    title = None
    if rng.random() < 0.92:
        title = rng.choice(ph.TITLE_FORMS).format(org=agency.title_name, year=year)
    signed, page = make_dates(rng, year)
    headings = {sid: rng.choice(ph.SECTION_VARIANTS[sid]) for sid in cat.SECTIONS}
    remarks = {sid: rng.choice(ph.HEADING_REMARKS) for sid in ("s3", "s4") if rng.random() < 0.04}
    intro = [sentences(rng, ph.INTRO, rng.randint(2, 4), ctx)] if rng.random() < 0.6 else []
    return Content(agency=agency, year=year, template=table_template if traits.tables else "none",
                   table_template=table_template, t3_rows=rows, cells=cells, title=title, sign_date=signed,
                   page_date=page, headings=headings, remarks=remarks, intro=intro,
                   body=make_body(rng, ctx, figures, traits.tables), notes=notes, figures=figures)
