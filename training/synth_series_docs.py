"""Synthetic agency series rendered as documents: consecutive years of one agency in a style, with truth.

``training.synth_series`` builds series as records that mimic the parser; here the same kind of series
goes through the document generator (``synth_content`` / ``synth_render``) so that the real pipeline
(model + rules) reads it and ``nianbao link`` links it. Per agency: one ``Agency``, one style, a URL
folder (``series.identity`` keys a series by it) and consecutive years whose cross-year ties are kept or
broken at ``HOLD_RATES``: 上年结转 (Y+1) = 结转下年度 (Y) per applicant column, v2021 现行有效 (Y+1) =
现行有效 (Y) + 本年制发 (Y+1) - 本年废止 (Y+1) per 规章 / 规范性文件 row, v2019 上一年项目数量 (Y+1) =
上一年项目数量 (Y) + 本年增/减 (Y) per item row and 对外公开总数量 (Y+1) = 对外公开总数量 (Y) + 本年新公开
(Y+1). A share of reports also states part of its v2021 规范性文件 row in a prose sentence of section 一
(the phrasings of ``synth_series.CLAIM_SENTENCES``), so claims and ties are measured together.

>>> docs = agency_docs(5, 0, 3, "glued_lines")
>>> [d.gold.meta["year"] for d in docs] == [docs[0].gold.meta["year"] + k for k in range(3)]
True
>>> from nianbao.series.identity import folder_key
>>> len({folder_key(d.url) for d in docs}), docs[0].plain.count("\\n") <= docs[0].gold.text.count("\\n")
(1, True)
"""

from __future__ import annotations

import hashlib
import random
from dataclasses import dataclass, field
from typing import Any

from nianbao.labels import catalogue as cat
from nianbao.labels.gold import GoldDoc
from nianbao.training.synth_content import Agency, make_agency, make_content
from nianbao.training.synth_corpus import STYLE_CLASSES, make_script, to_gold
from nianbao.training.synth_render import Builder
from nianbao.training.synth_series import CLAIM_SENTENCES, HOLD_RATES, claim_sentence

T3_APPLICANTS = tuple(c for c, _ in cat.T3_COLS[:6])
DOC_ROWS = ("regulations", "normative_docs")
ITEMS_V2019 = ("licensing", "other_services", "punishment", "enforcement", "fees")
CLAIM_SHARE = 0.3
BREAKS = (-30, -7, -2, -1, 1, 3, 25)  # how a re-count moves a figure that breaks its tie


@dataclass
class SeriesDoc:
    """One rendered report of a series: the gold (text as parsed, true values), its URL, the text
    without the claim sentence (``plain``) and the figures that sentence states."""

    gold: GoldDoc
    url: str
    plain: str
    said: dict[str, Any] = field(default_factory=dict)

    @property
    def truth(self) -> dict[str, Any]:
        """Every field's true value."""
        return {f: v.value for f, v in self.gold.fields.items()}


@dataclass
class _State:
    """Last year's figures that the next year's ties read."""

    template: str | None = None
    carried: dict[str, int] | None = None
    figures: dict[str, int | float | None] = field(default_factory=dict)


def _kept(rng: random.Random, tie: str) -> bool:
    return rng.random() < HOLD_RATES[tie]


def _moved(rng: random.Random, v: int) -> int:
    return max(0, v + rng.choice(BREAKS))


def _tie_values(rng: random.Random, state: _State, template: str, vals: dict[str, int | float]) -> None:
    """Make this year's drawn numbers keep (or break) the ties with last year's, in place."""
    if state.template != template:
        return
    last = state.figures
    if template == "v2021":
        for row in DOC_ROWS:
            prev = last.get(f"t2.{row}.in_force")
            if prev is None:
                continue
            issued = int(vals[f"t2.{row}.issued"])
            repealed = min(int(vals[f"t2.{row}.repealed"]), int(prev) + issued)
            vals[f"t2.{row}.repealed"] = repealed
            kept = int(prev) + issued - repealed
            vals[f"t2.{row}.in_force"] = kept if _kept(rng, "in_force") else _moved(rng, kept)
        return
    for item in ITEMS_V2019:
        prev, change = last.get(f"t2.{item}.prev_count"), last.get(f"t2.{item}.change")
        if prev is None or change is None:
            continue
        kept = max(0, int(prev) + int(change))
        now = kept if _kept(rng, "items") else _moved(rng, kept)
        vals[f"t2.{item}.prev_count"] = now
        vals[f"t2.{item}.change"] = max(int(vals[f"t2.{item}.change"]), -now)
    for row in DOC_ROWS:
        prev = last.get(f"t2.{row}.total_published")
        if prev is None:
            continue
        kept = int(prev) + int(vals[f"t2.{row}.new_published"])
        vals[f"t2.{row}.total_published"] = kept if _kept(rng, "published") else _moved(rng, kept)


def _claim(rng: random.Random, gold: GoldDoc) -> tuple[GoldDoc, dict[str, Any]]:
    """The gold with a sentence after section 一's first stating part of its v2021 规范性文件 row (offsets moved)."""
    values = {f: gold.fields[f].value for f in CLAIM_SENTENCES if f in gold.fields}
    avail = [f for f, v in values.items() if v is not None]
    text = gold.text or ""
    s1 = next((s for s in gold.sections if s.id == "s1"), None)
    if gold.template != "v2021" or not avail or s1 is None:
        return gold, {}
    sentence, said = claim_sentence(values, rng)
    at = text.find("。", s1.start) + 1  # after the first sentence of section 一, outside every span
    if not 0 < at < s1.end or any(sp.start < at < sp.end for sp in gold.spans):
        return gold, {}
    n = len(sentence)

    def shift(x: int, end: bool = False) -> int:
        return x + n if x > at or (x == at and not end) else x

    data = gold.model_dump(by_alias=True)
    data["text"] = text[:at] + sentence + text[at:]
    for sp in data["spans"]:
        sp["start"], sp["end"] = shift(sp["start"]), shift(sp["end"], end=True)
    for sec in data["sections"]:
        sec["start"], sec["end"] = shift(sec["start"]), shift(sec["end"], end=True)
    for fv in data["fields"].values():
        fv["span"] = (shift(fv["span"][0]), shift(fv["span"][1], end=True))
    data["notes"] = [*data.get("notes", []), f"states {sorted(said)} in section 一"]
    data["sha256"] = hashlib.sha256(data["text"].encode("utf-8")).hexdigest()
    return GoldDoc.model_validate(data), said


def agency_docs(seed: int, agency: int, n_years: int, style: str, first_year: int | None = None,
                claim_share: float = CLAIM_SHARE) -> list[SeriesDoc]:
    """Agency ``agency``'s consecutive reports (the corpus of ``seed``) rendered in ``style``."""
    rng = random.Random(f"series:{seed}:{agency}")
    cls = STYLE_CLASSES[style]
    who: Agency = make_agency(rng)
    first = first_year if first_year is not None else rng.randint(2019, 2025 - n_years + 1)
    host = f"www.s{seed}a{agency}.gov.cn"
    state = _State()
    out = []
    for k in range(n_years):
        year = first + k
        template = "v2019" if year <= 2020 else "v2021"
        doc_rng = random.Random(f"series:{seed}:{agency}:{year}")
        content = make_content(doc_rng, cls.traits, agency=who, year=year, template=template,
                               carried_over=state.carried,
                               adjust=lambda vals, t=template, s=state: _tie_values(rng, s, t, vals))
        renderer = cls(content, Builder(make_script(doc_rng, style)), doc_rng)
        renderer.render()
        gold = to_gold(f"series-{seed}-{agency:05d}-{year}-{style}", style, content, renderer, truncate=False)
        plain = gold.text or ""
        said: dict[str, Any] = {}
        if rng.random() < claim_share:
            gold, said = _claim(rng, gold)
        day = 10 + rng.randint(0, 18)
        url = f"https://{host}/zwgk/xxgk/zfxxgknb/{year + 1}01/t{year + 1}01{day}_{rng.randint(10000, 99999)}.htm"
        out.append(SeriesDoc(gold=gold, url=url, plain=plain, said=said))
        printed = {f: c.value for f, c in content.cells.items()}
        state = _State(template=template, figures=printed,
                       carried={c: int(printed.get(f"t3.carried_forward.{c}") or 0) for c in T3_APPLICANTS})
    return out


def series_corpus(seed: int, n_agencies: int, n_years: int, styles: tuple[str, ...]) -> list[list[SeriesDoc]]:
    """``n_agencies`` series, agency ``a`` rendered in ``styles[a % len(styles)]``."""
    return [agency_docs(seed, a, n_years, styles[a % len(styles)]) for a in range(n_agencies)]
