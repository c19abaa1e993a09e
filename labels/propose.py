"""Draft gold labels for a real report: a span proposer independent of the pipeline.

It reads the ORIGINAL text, builds a private reading view (pinyin glosses dropped,
traditional characters and full-width punctuation folded, each view character
remembering its source offset), finds the six section headings, scans the three
table zones for titles, headers, row labels, value cells and blank cells, and
writes a draft :class:`~nianbao.labels.gold.GoldDoc`. It imports nothing from the
pipeline (``nianbao.normalise``/``rules``/``tagger``), so gold is never the
parser's output. Every draft is then checked by eye (``python -m
nianbao.labels.goldcheck review``) and corrected in its JSON; notes starting
with ``DRAFT`` list what the proposer could not decide.

    python -m nianbao.labels.propose ../shared/corpus/seeds/004_x.txt --style glued_lines -o draft.json
"""

from __future__ import annotations

import argparse
import hashlib
import itertools
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from nianbao.labels.catalogue import (
    T2_V2019_COLS,
    T2_V2019_ITEM_COLS,
    T2_V2021_COLS,
    T3_COLS,
    T4_COLS,
    Row,
    is_money,
    t3_rows,
    t4_fields,
)
from nianbao.labels.gold import STYLES, GoldDoc, GoldField, GoldSection, GoldSpan, decode_utf8

# ------------------------------------------------------------------ reading view
PINYIN = re.compile(r"\([a-zāáǎàēéěèīíǐìōóǒòūúǔùǖǘǚǜü]+\)")
_TRAD = ("個傳內創劃動務區參員問單國執報夠實審將專對導屬崗廢廳強後從復徹態應採揮據數於時會東條業極構標機檢欄權決沒況"
         "減準滾為無爲獨獲現當發監眾確祕種積穩範糾納級組結統經維網總織繳繼續罰職臺與舉萬處號補規計訓訟訪設許訴詢認誤請"
         "論證議護讀負財貫責費購載輿轉辦這進過鎮門開關電項預領題額類體點黨")
_SIMP = ("个传内创划动务区参员问单国执报够实审将专对导属岗废厅强后从复彻态应采挥据数于时会东条业极构标机检栏权决没况"
         "减准滚为无为独获现当发监众确秘种积稳范纠纳级组结统经维网总织缴继续罚职台与举万处号补规计训讼访设许诉询认误请"
         "论证议护读负财贯责费购载舆转办这进过镇门开关电项预领题额类体点党")
T2S = dict(zip(_TRAD, _SIMP, strict=True))
FOLD = {"（": "(", "）": ")", "：": ":", "，": ",", "．": ".", "／": "/", "\u3000": " ", "\xa0": " ",
        "\u2003": " ", "\x0c": " ", "\r": " "}


@dataclass
class View:
    """The folded reading text and, for each of its characters, the offset in the original."""

    orig: str
    text: str
    src: list[int]

    def to_orig(self, a: int, b: int) -> tuple[int, int]:
        """Original span of view span [a, b); a pinyin gloss right after the last character joins it."""
        start, end = self.src[a], self.src[b - 1] + 1
        m = PINYIN.match(self.orig, end)
        return start, m.end() if m else end


def build_view(orig: str) -> View:
    """Fold the original text for reading.

    >>> v = build_view("開(kāi)放（一）")
    >>> v.text, v.to_orig(0, 1)
    ('开放(一)', (0, 6))
    """
    chars: list[str] = []
    src: list[int] = []
    i = 0
    while i < len(orig):
        m = PINYIN.match(orig, i)
        if m and i > 0 and "\u4e00" <= orig[i - 1] <= "\u9fff":
            i = m.end()
            continue
        ch = FOLD.get(orig[i], T2S.get(orig[i], orig[i]))
        chars.append(ch)
        src.append(i)
        i += 1
    return View(orig, "".join(chars), src)


# ------------------------------------------------------------------ fuzzy label patterns
_CLASSES = {"、": "[、,.]", ".": "[.、]", ",": "[,、]", "“": "[“\"]", "”": "[”\"]", "/": "/", "他": "[他它]"}


def fuzzy(label: str) -> str:
    """A regex for a printed label: any whitespace between characters, punctuation variants.

    >>> bool(re.fullmatch(fuzzy("商业企业"), "商业\\n\\n企业"))
    True
    """
    parts = [_CLASSES.get(ch, re.escape(ch)) for ch in label if not ch.isspace()]
    return r"\s*".join(parts)


TTL_RE = re.compile(r"第\s*二\s*十\s*条\s*第\s*\(\s*([一二三四五六七八九])\s*\)\s*项")
SEC_NAMES = {
    "s1": fuzzy("总体情况"),
    "s2": fuzzy("主动公开政府信息情况"),
    "s3": fuzzy("收到和处理政府信息公开申请情况"),
    "s4": fuzzy("政府信息公开行政复议") + r"(?:\([^)\n]*\))?\s*[、和与及]\s*" + fuzzy("行政诉讼情况"),
    "s5": fuzzy("存在的主要问题及改进情况"),
    "s6": fuzzy("其他需要报告的事项"),
}
TRAILING_NOTE = r"(?:\([^)\n]*\)(?=[ \t]*(?:\n|$)))?"
VALUE_RE = re.compile(r"-?\d+(?:\.\d+)?(?:万元|元)?|[/—–]|-(?!\d)|(?<![\u4e00-\u9fff)])无(?![\u4e00-\u9fff])")
PAGE_NO = re.compile(r"(?m)^[ \t]*-\s*\d+\s*-[ \t]*$")
MONEY_UNITS = ("万元", "元")

T2_LABELS = {"regulations": "规章", "normative_docs": "规范性文件", "licensing": "行政许可",
             "other_services": "其他对外管理服务事项", "punishment": "行政处罚", "enforcement": "行政强制",
             "fees": "行政事业性收费", "procurement": "政府集中采购"}
T2_COLS = ["信息内容", "本年制发件数", "本年废止件数", "现行有效件数", "本年处理决定数量", "本年收费金额(单位:万元)",
           "本年新制作数量", "本年新公开数量", "对外公开总数量", "上一年项目数量", "本年增/减", "处理决定数量",
           "采购项目数量", "采购总金额"]
T3_HEAD = ["(本列数据的勾稽关系为:第一项加第二项之和,等于第三项加第四项之和)", "申请人情况", "自然人", "法人或其他组织",
           "商业企业", "科研机构", "社会公益组织", "法律服务机构", "其他", "总计"]
T3_GROUPS = ["三、本年度办理结果", "(三)不予公开", "(四)无法提供", "(五)不予处理", "(六)其他处理"]
T4_HEAD = ["行政复议", "行政诉讼", "结果维持", "结果纠正", "其他结果", "尚未审结", "总计", "未经复议直接起诉", "复议后起诉"]


def t2_row_fields(template: str) -> dict[str, list[str]]:
    """Row key of table 2 -> its field IDs in printed column order."""
    if template == "v2019":
        out = {r: [f"t2.{r}.{c}" for c, _ in T2_V2019_COLS] for r in ("regulations", "normative_docs")}
        out |= {r: [f"t2.{r}.{c}" for c, _ in T2_V2019_ITEM_COLS]
                for r in ("licensing", "other_services", "punishment", "enforcement")}
        return out | {"fees": ["t2.fees.prev_count", "t2.fees.change"],
                      "procurement": ["t2.procurement.count", "t2.procurement.amount"]}
    out = {r: [f"t2.{r}.{c}" for c, _ in T2_V2021_COLS] for r in ("regulations", "normative_docs")}
    return out | {r: [f"t2.{r}.decisions"] for r in ("licensing", "punishment", "enforcement")} | {
        "fees": ["t2.fees.amount"]}


# ------------------------------------------------------------------ cell values
def parse_cell(text: str) -> tuple[int | float | None, str | None, str | None]:
    """(value, raw mark, unit) of one printed value cell per the fields.yaml value rules.

    >>> parse_cell("547.9659万元"), parse_cell("-1"), parse_cell("/"), parse_cell("0")
    ((547.9659, None, '万元'), (-1, None, None), (None, '/', None), (0, None, None))
    """
    t = "".join(text.split()).replace(",", "").translate(str.maketrans("０１２３４５６７８９〇", "01234567890"))
    unit = next((u for u in MONEY_UNITS if t.endswith(u)), None)
    if unit:
        t = t[: -len(unit)]
    if re.fullmatch(r"-?\d+", t):
        return int(t), None, unit
    if re.fullmatch(r"-?\d+\.\d+", t):
        return float(t), None, unit
    return None, text.strip(), None


def split_token(tok: str, n: int) -> list[list[tuple[int, int]]]:
    """Every way to cut a glued value token into ``n`` valid cells (offsets within the token).

    >>> [[tok[a:b] for a, b in s] for tok in ["8801"] for s in split_token(tok, 3)]
    [['8', '80', '1'], ['88', '0', '1']]
    """
    out = []
    for cuts in itertools.combinations(range(1, len(tok)), n - 1):
        bounds = list(zip((0, *cuts), (*cuts, len(tok)), strict=True))
        if all(_valid_part(tok[a:b], last=b == len(tok)) for a, b in bounds):
            out.append(bounds)
    return out


def _valid_part(part: str, last: bool) -> bool:
    """A cut-out cell: a number without a leading zero; decimals and a unit only on the token's last cell
    (money is always a row's last column)."""
    m = re.fullmatch(r"-?(\d+)(\.\d+)?(万元|元)?", part)
    if not m or ((m.group(2) or m.group(3)) and not last):
        return False
    return m.group(1) == "0" or not m.group(1).startswith("0")


# ------------------------------------------------------------------ scanning
@dataclass
class Item:
    """One recognised piece of a table zone, in view offsets."""

    kind: str  # TTL COL ROW VAL EMPTY UNK
    a: int
    b: int
    key: str = ""


@dataclass
class Draft:
    """What the proposer collects: spans, fields and notes for hand review."""

    view: View
    spans: list[GoldSpan] = field(default_factory=list)
    fields: dict[str, GoldField] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)

    def tag(self, a: int, b: int, tag: str, fid: str | None = None) -> tuple[int, int]:
        """Add a span given in view offsets; returns its original offsets."""
        s, e = self.view.to_orig(a, b)
        self.spans.append(GoldSpan(start=s, end=e, tag=tag, field=fid))
        return s, e

    def cell(self, a: int, b: int, fid: str, blank: bool = False, unit: str | None = None) -> None:
        """A value cell (or the placeholder character of a blank cell) filling field ``fid``."""
        s, e = self.tag(a, b, "BLANK" if blank else "VAL", fid)
        if blank:
            self.fields[fid] = GoldField(value=None, span=(s, e))
            return
        value, raw, own_unit = parse_cell(self.view.orig[s:e])
        self.fields[fid] = GoldField(value=value, raw=raw, unit=(own_unit or unit) if is_money(fid) else None,
                                     span=(s, e))


def scan(view: View, a: int, b: int, patterns: list[tuple[str, str, re.Pattern[str]]],
         delims: str) -> list[Item]:
    """Items of view[a:b]: the longest label match wins, then a value token, else an unknown chunk."""
    text, items, i, content = view.text, [], a, False
    pages = [(m.start(), m.end()) for m in PAGE_NO.finditer(text, a, b)]

    def at(j: int) -> Item | None:
        best = None
        for kind, key, pat in patterns:
            m = pat.match(text, j, b)
            if m and (best is None or m.end() > best.b):
                best = Item(kind, j, m.end(), key or (m.group(1) if m.groups() else ""))
        if best:
            return best
        m = VALUE_RE.match(text, j, b)
        if not m:
            return None
        end = m.end()
        if re.fullmatch(r"\d+", m.group()) and re.match(r"[.、]\s*[\u4e00-\u9fff“]", text[end:end + 3]):
            end -= 1  # the last digit numbers the next row label ("00000002.其他法律…")
        return Item("VAL", j, end) if end > j else None

    while i < b:
        page = next((p for p in pages if p[0] <= i < p[1]), None)
        if page:
            i = page[1]
            continue
        ch = text[i]
        if ch in delims:
            if not content:
                items.append(Item("EMPTY", i, i + 1))
            content, i = False, i + 1
            continue
        if ch.isspace() or ch == "#":  # markdown heading marks are decoration
            i += 1
            continue
        item = at(i)
        if item is None:
            j = i + 1
            while j < b and not text[j].isspace() and text[j] not in delims and at(j) is None:
                j += 1
            item = Item("UNK", i, j)
        items.append(item)
        content, i = True, item.b
    return items


def _pats(kind: str, labels: dict[str, str] | list[str]) -> list[tuple[str, str, re.Pattern[str]]]:
    pairs = labels.items() if isinstance(labels, dict) else ((lab, lab) for lab in labels)
    return [(kind, key, re.compile(fuzzy(lab))) for key, lab in pairs]


def _groups(items: list[Item], view: View) -> list[list[Item]]:
    """Runs of VAL items with only whitespace between them (a glued or spaced row of cells)."""
    runs: list[list[Item]] = []
    prev: Item | None = None
    for it in items:
        if it.kind != "VAL":
            prev = None
            continue
        if prev is not None and not view.text[prev.b:it.a].strip():
            runs[-1].append(it)
        else:
            runs.append([it])
        prev = it
    return runs


def cells_of(run: list[Item], n: int, view: View, score) -> tuple[list[tuple[int, int]], list[str]]:
    """Cut a run of value tokens into ``n`` cells; the best-scoring split wins, ties are noted."""
    if n == len(run):
        return [(it.a, it.b) for it in run], []
    options: list[list[list[tuple[int, int]]]] = []
    for it in run:
        tok = view.text[it.a:it.b]
        options.append([[(it.a + x, it.a + y) for x, y in s] for k in range(1, min(len(tok), n) + 1)
                        for s in split_token(tok, k)])
    cands = [sum(c, []) for c in itertools.product(*options) if sum(len(x) for x in c) == n]
    if not cands:
        return [(it.a, it.b) for it in run], [f"DRAFT no split of {_show(run, view)} into {n} cells"]
    scored = sorted(cands, key=lambda c: -score([view.text[x:y] for x, y in c]))
    best = score([view.text[x:y] for x, y in scored[0]])
    ties = [c for c in scored if score([view.text[x:y] for x, y in c]) == best]
    notes = []
    if len(ties) > 1:
        alts = "; ".join("|".join(view.text[x:y] for x, y in c) for c in ties)
        notes.append(f"DRAFT ambiguous split of {_show(run, view)}: {alts} (took the first)")
    return scored[0], notes


def _show(run: list[Item], view: View) -> str:
    return repr(" ".join(view.text[it.a:it.b] for it in run))


# ------------------------------------------------------------------ sections and zones
def find_sections(view: View) -> list[tuple[str, int, int]]:
    """(section id, view start, view end) of each standard heading found, in order."""
    out: list[tuple[str, int, int]] = []
    start = 0
    for sid, name in SEC_NAMES.items():
        numbered = re.compile(r"[一二三四五六]\s*、\s*" + name + TRAILING_NOTE)
        bare = re.compile(r"(?m)^[ \t#]*(、\s*" + name + TRAILING_NOTE + ")")
        hits = [(m.start(), m.end()) for m in [numbered.search(view.text, start)] if m]
        hits += [(m.start(1), m.end(1)) for m in [bare.search(view.text, start)] if m]
        if hits:
            a, b = min(hits)
            out.append((sid, a, b))
            start = b
    return out


def _find(pattern: str, text: str, a: int, b: int) -> int | None:
    m = re.compile(pattern).search(text, a, b)
    return m.start() if m else None


GLUED = frozenset({"crawl", "glued_lines"})
DELIMS = {"pipe_cells": "|", "pipe_lines": "|", "tsv_markdown": "\t"}


def fill_t2(d: Draft, items: list[Item], template: str, style: str, header_unit: str | None) -> None:
    """Table 2: a row label opens its cells; values (cut to the row's width when glued) fill them.
    ``header_unit`` is the money unit a column header prints (本年收费金额(单位:万元))."""
    rows, cur, header = t2_row_fields(template), [], True
    runs = {id(r[0]): r for r in _groups(items, d.view)}
    skip: set[int] = set()
    wanted = {f for fs in rows.values() for f in fs}
    for it in items:
        if wanted <= d.fields.keys():
            break  # table 2 complete: what follows is prose
        if id(it) in skip:
            continue
        if it.kind == "TTL":
            d.tag(it.a, it.b, "TTL")
            cur, header = [], True
        elif it.kind == "COL" or (it.kind == "UNK" and header):
            d.tag(it.a, it.b, "COL")
        elif it.kind == "ROW":
            d.tag(it.a, it.b, "ROW")
            cur, header = [f for f in rows.get(it.key, []) if f not in d.fields], False
        elif it.kind == "EMPTY" and cur:
            d.cell(it.a, it.b, cur.pop(0), blank=True)
        elif it.kind == "UNK":
            d.notes.append(f"DRAFT t2: untagged text {d.view.text[it.a:it.b]!r} at {d.view.src[it.a]}")
        elif it.kind == "VAL":
            run = runs[id(it)]
            skip.update(id(x) for x in run)
            digits = sum(len(re.sub(r"\D", "", d.view.text[x.a:x.b])) for x in run)
            n = len(cur) if style in GLUED and cur and digits >= len(cur) > len(run) else len(run)
            cells, notes = cells_of(run, n, d.view, lambda _cells: 0)
            d.notes.extend(notes)
            for (a, b) in cells:
                if cur:
                    d.cell(a, b, cur.pop(0), unit=header_unit)
                else:
                    d.notes.append(f"DRAFT t2: value {d.view.text[a:b]!r} at {d.view.src[a]} has no open row")


def t3_row_set(template: str, zone: str) -> tuple[Row, ...]:
    """Rows of table 3 as printed: a v2021 report may keep the single (六)其他处理 row of v2019."""
    rows = t3_rows("v2021" if template == "none" else template)  # type: ignore[arg-type]
    if template == "v2021" and not re.search(fuzzy("逾期不补正"), zone):
        rows = t3_rows("v2019")
    return rows


def _row_total_score(width: int, start: int) -> Callable[[list[str]], int]:
    """Score of a candidate split: how many complete rows in it satisfy last cell == sum of the others."""
    def score(cells: list[str]) -> int:
        vals = [parse_cell(c)[0] or 0 for c in cells]
        ok = 0
        for k in range((-start) % width, len(vals) - width + 1, width):
            row = vals[k:k + width]
            ok += sum(row[:-1]) == row[-1]
        return ok
    return score


def _merge_fragments(items: list[Item], view: View) -> list[Item]:
    """After the first row label, touching label pieces that include an unknown chunk form one row label
    ("2." + "其他" + "法律行政止公开" is one misprinted label, not a header between two fragments)."""
    out: list[Item] = []
    body = False
    for it in items:
        body = body or it.kind == "ROW"
        prev = out[-1] if out else None
        if (body and prev is not None and prev.kind in ("ROW", "UNK", "COL") and it.kind in ("ROW", "UNK", "COL")
                and prev.b == it.a and "UNK" in (prev.kind, it.kind)):
            out[-1] = Item("UNK", prev.a, it.b)
            continue
        out.append(it)
    return out


def fill_grid(d: Draft, items: list[Item], fids: list[str], width: int, style: str,
              row_index: dict[str, int], run_width: int = 0) -> None:
    """Tables 3 and 4: value cells fill the fields in template order, ``width`` cells per checked row;
    a glued run is cut to complete a printed row of ``run_width`` cells (default ``width``)."""
    run_width = run_width or width
    items = _merge_fragments(items, d.view)
    pos, header, label_since = 0, True, False
    runs = {id(r[0]): r for r in _groups(items, d.view)}
    skip: set[int] = set()
    for it in items:
        if id(it) in skip:
            continue
        if it.kind == "COL" or (it.kind == "UNK" and header):
            d.tag(it.a, it.b, "COL")
        elif it.kind in ("ROW", "UNK"):
            d.tag(it.a, it.b, "ROW")
            header, label_since = False, True
            idx = row_index.get(it.key)
            if style != "pdf_raw" and idx is not None and pos % width == 0 and idx * width > pos:
                d.notes.append(f"DRAFT row label {d.view.text[it.a:it.b]!r} skips to row {idx}")
                pos = idx * width
        elif it.kind == "EMPTY":
            partial = pos % width != 0
            if pos < len(fids) and (partial or (label_since and style != "tsv_markdown")):
                d.cell(it.a, it.b, fids[pos], blank=True)
                pos += 1
                label_since = label_since and pos % width != 0
        elif it.kind == "VAL":
            run = runs[id(it)]
            skip.update(id(x) for x in run)
            digits = sum(len(re.sub(r"\D", "", d.view.text[x.a:x.b])) for x in run)
            n = len(run)
            if style in GLUED:
                need = n + (-(pos + n)) % run_width
                n = need if need <= digits else n
            cells, notes = cells_of(run, n, d.view, _row_total_score(width, pos))
            d.notes.extend(notes)
            for (a, b) in cells:
                if pos < len(fids):
                    d.cell(a, b, fids[pos])
                    pos += 1
                else:
                    d.notes.append(f"DRAFT extra value {d.view.text[a:b]!r} at {d.view.src[a]}")
            label_since = label_since and pos % width != 0
    if pos < len(fids):
        d.notes.append(f"DRAFT {len(fids) - pos} cells unfilled from {fids[pos]}")


# ------------------------------------------------------------------ meta
DATE_RE = r"(\d{4})\s*年\s*(\d{1,2})\s*月\s*(\d{1,2})\s*日"


def find_meta(orig: str, view: View, sections: list[tuple[str, int, int]]) -> dict[str, object]:
    """Title, year, date and org per the fields.yaml notes (a key is left out rather than guessed)."""
    meta: dict[str, object] = {}
    lines = orig.split("\n")
    for k, line in enumerate(lines[:15]):
        t = re.sub(r"^[#\s]*(?:标题|名\s*称)?\s*[:：]?\s*", "", line).strip()
        if 8 < len(t) < 60 and t.endswith("年度报告") and "年" in t[:-4] and not t.startswith("本"):
            if re.match(r"\d", t):
                prev = next((p.strip() for p in reversed(lines[:k]) if p.strip()), "")
                t = prev + t
            meta["title"] = t
            break
    body = view.text[sections[0][1]:] if sections else view.text
    m = re.search(r"(\d{4})\s*年", str(meta.get("title", ""))) or re.search(r"(20\d\d)\s*年", body)
    if m:
        meta["year"] = int(m.group(1))
    m = re.search(r"(?:发布时间|发文日期)\s*[:：]\s*(\d{4})-(\d\d)-(\d\d)", orig) or re.search(
        r"(?m)^(\d{4})-(\d\d)-(\d\d) \d\d:\d\d", "\n".join(lines[:12]))
    sig = list(re.finditer(r"([\u4e00-\u9fff]+)\s*" + DATE_RE, orig[-400:]))
    if not m and sig:
        m = re.search(DATE_RE, sig[-1].group(0))
    if m:
        meta["date"] = f"{int(m.group(1)):04d}-{int(m.group(2)):02d}-{int(m.group(3)):02d}"
    pub = re.search(r"发布机构\s*[:：][ \t]*([\u4e00-\u9fff]+)(?![:：\u4e00-\u9fff])", orig)
    title_org = re.match(r"(.+?)\s*\d{4}\s*年", str(meta.get("title", "")))
    org = sig[-1].group(1) if sig else pub.group(1) if pub else title_org.group(1) if title_org else None
    if org:
        meta["org"] = org
    return meta


# ------------------------------------------------------------------ the proposer
def propose(data: bytes, style: str, name: str, source: str | None = None,
            used_for: list[str] | None = None) -> GoldDoc:
    """A draft gold document for one report's bytes (checked and corrected by hand afterwards)."""
    if style not in STYLES:
        raise ValueError(f"E_STYLE: unknown style {style!r}; expected one of {sorted(STYLES)}")
    orig = decode_utf8(data)
    view = build_view(orig)
    d = Draft(view)
    secs = find_sections(view)
    sections = []
    for k, (sid, a, b) in enumerate(secs):
        s, e = d.tag(a, b, "SEC")
        end = view.src[secs[k + 1][1]] if k + 1 < len(secs) else len(orig)
        sections.append(GoldSection(id=sid, title=orig[s:e], start=s, end=end))
    at = {sid: a for sid, a, _ in secs}
    n = len(view.text)
    t2a = _find(TTL_RE.pattern, view.text, at.get("s2", 0), n)
    t3a = _find(fuzzy(T3_HEAD[0]) + "|" + fuzzy("申请人情况"), view.text, at.get("s3", t2a or 0), n)
    t4a = _find(fuzzy("行政复议") + r"[\s|]*" + fuzzy("行政诉讼"), view.text, at.get("s4", t3a or 0), n)
    template = "none"
    if t2a is not None:
        zone2 = view.text[t2a:t3a or at.get("s3", n)]
        template = "v2019" if re.search(fuzzy("上一年项目数量") + "|" + fuzzy("本年新制作数量"), zone2) else "v2021"
    delims = DELIMS.get(style, "")
    if t2a is not None:
        end2 = min(x for x in (t3a, at.get("s3"), n) if x is not None and x > t2a)
        pats = [("TTL", "", TTL_RE)] + _pats("COL", T2_COLS) + [
            ("ROW", k, re.compile(("(?:行政\\s*)?" if k == "normative_docs" else "") + fuzzy(lab)))
            for k, lab in T2_LABELS.items()]
        unit = next((u for u in MONEY_UNITS if re.search(r"单位\s*:?\s*" + u, view.text[t2a:end2])), None)
        fill_t2(d, scan(view, t2a, end2, pats, delims), template, style, unit)
    if t3a is not None:
        end3 = min(x for x in (t4a, at.get("s4"), n) if x is not None and x > t3a)
        rows = t3_row_set(template, view.text[t3a:end3])
        groups = [g for g in T3_GROUPS if not any(r.zh == g for r in rows)]
        pats = _pats("COL", T3_HEAD) + _pats("ROW", {r.key: r.zh for r in rows}) + _pats(
            "ROW", {f"group{k}": g for k, g in enumerate(groups)})
        fids = [f"t3.{r.key}.{c}" for r in rows for c, _ in T3_COLS]
        fill_grid(d, scan(view, t3a, end3, pats, delims), fids, len(T3_COLS), style,
                  {r.key: k for k, r in enumerate(rows)})
    if t4a is not None:
        end4 = min([at[s] for s in ("s5", "s6") if at.get(s, -1) > t4a] or [n])
        fill_grid(d, scan(view, t4a, end4, _pats("COL", T4_HEAD), delims), t4_fields(), len(T4_COLS),
                  style, {}, run_width=len(t4_fields()))
    d.spans.sort(key=lambda s: (s.start, s.end))
    return GoldDoc(name=name, source=source, sha256=hashlib.sha256(data).hexdigest(), style=style,
                   template=template, used_for=used_for or [], meta=find_meta(orig, view, secs),
                   sections=sections, spans=d.spans, fields=d.fields, notes=d.notes)


def main(argv: list[str] | None = None) -> None:
    """CLI: write a draft gold JSON for one report file."""
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("file", type=Path)
    p.add_argument("--style", required=True, choices=sorted(STYLES))
    p.add_argument("-o", "--out", type=Path, required=True)
    p.add_argument("--name", help="gold name (default: the file stem)")
    p.add_argument("--corpus-root", type=Path, help="to record `source` relative to it")
    p.add_argument("--used-for", action="append", default=[], help="e.g. tune (repeatable); none = held out")
    a = p.parse_args(argv)
    source = str(a.file.resolve().relative_to(a.corpus_root.resolve())) if a.corpus_root else None
    doc = propose(a.file.read_bytes(), a.style, a.name or a.file.stem, source, a.used_for)
    doc.dump(a.out)
    print(f"{a.out}: template {doc.template}, {len(doc.sections)} sections, {len(doc.spans)} spans, "
          f"{len(doc.fields)} fields, {sum(n.startswith('DRAFT') for n in doc.notes)} draft notes")


if __name__ == "__main__":
    main()
