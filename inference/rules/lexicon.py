"""The template's printed vocabulary (row labels, column headers) and its fuzzy search in flattened text.

Labels are searched in a *squeezed* view of the text: whitespace, quotes and (optionally)
digits removed, full-width punctuation folded, 其它 -> 其他, with a map back to the text.
So a label split by spaces or line breaks (``商业 企业``, ``结果\\n维持``), printed with
full-width brackets, or wrapped around the values of its row (PDF layout) is still one
contiguous match. A label that lost a character to the crawl is found through its
one-deletion variants; a long one that lost more, through its head and tail.

>>> sq, pos = squeeze("商业\\n企业  | 0")
>>> sq, [pos[i] for i in range(len(sq))]
('商业企业|', [0, 1, 3, 4, 7])
>>> [(c.entry.key, c.start, c.end) for c in find_label_matches("1.属于国家秘密00000002.其他法律行政法规禁止公开")]
[('t3.denied.state_secret', 0, 8), ('t3.denied.law_forbidden', 15, 29)]
"""

from __future__ import annotations

import re
from bisect import bisect_left
from dataclasses import dataclass
from functools import cache
from typing import Any

import ahocorasick

from nianbao.labels.catalogue import (
    T2_V2019_COLS,
    T2_V2019_ITEM_COLS,
    T2_V2021_COLS,
    T3_ROWS,
    T4_COLS,
)

CN = "一二三四五六七八九十"
_FOLD = str.maketrans({"（": "(", "）": ")", "，": ",", "：": ":", "．": ".", "它": "他", "／": "/", "［": "(",
                       "］": ")", "【": "(", "】": ")", "〔": "(", "〕": ")"})
_KEEP_WITH_DIGITS = re.compile(r"[^\s“”\"'‘’「」『』]+")
_KEEP_NO_DIGITS = re.compile(r"[^\s“”\"'‘’「」『』0-9０-９]+")
_NUMBERING = re.compile(rf"^(?:([{CN}]{{1,2}})、|\(([{CN}]{{1,2}})\)|(\d{{1,2}})\.)")
_CELL_END = re.compile(r"[|\t\n]| {2,}")
_CLOSING_QUOTES = frozenset("”\"’'」』")
_PAREN_NUMBER = re.compile(rf"\(\s*(?:[{CN}]{{1,3}}|\d{{1,2}})\s*\)")


_FOLD_PAIRS = tuple((chr(k), v) for k, v in _FOLD.items())  # no pair's output is another's input


def _fold_long(text: str) -> str:
    """``text.translate(_FOLD)`` for a whole report: a few replaces beat a table lookup per character.

    >>> _fold_long("（六）其它：１") == "（六）其它：１".translate(_FOLD)
    True
    """
    for a, b in _FOLD_PAIRS:
        if a in text:
            text = text.replace(a, b)
    return text


def fold(text: str) -> str:
    """Fold a label for searching like ``squeeze`` does: ASCII brackets/colons/commas, 其它 -> 其他, no quotes.

    >>> fold("（六）其它处理"), fold("3.危及“三安全一稳定”")
    ('(六)其他处理', '3.危及三安全一稳定')
    """
    return "".join(_KEEP_WITH_DIGITS.findall(text)).translate(_FOLD)


def squeeze(text: str, start: int = 0, end: int | None = None, drop_digits: bool = True) -> tuple[str, list[int]]:
    """The folded text without whitespace/quotes (and digits), and each kept character's offset."""
    pattern = _KEEP_NO_DIGITS if drop_digits else _KEEP_WITH_DIGITS
    parts: list[str] = []
    pos: list[int] = []
    for m in pattern.finditer(text, start, len(text) if end is None else end):
        parts.append(m.group())
        pos.extend(range(m.start(), m.end()))
    return _fold_long("".join(parts)), pos


def squeezed(text: str, drop_digits: bool = True) -> str:
    """``squeeze(text)``'s text alone (without the offsets).

    >>> squeezed("商业\\n企业  | 0"), squeezed("商业\\n企业  | 0", drop_digits=False)
    ('商业企业|', '商业企业|0')
    """
    pattern = _KEEP_NO_DIGITS if drop_digits else _KEEP_WITH_DIGITS
    return _fold_long("".join(pattern.findall(text)))


@dataclass(frozen=True)
class Entry:
    """One printed label of the template that the reader looks for.

    ``numbering`` is the numbering the template prints before it (``一``, ``(一)``, ``1``);
    ``numbered`` True/False restricts the entry to occurrences with/without one (``(七)总计``
    is a row, ``总计`` a column header); ``cells`` is the number of value cells that follow
    the label in a row of v2021 / v2019 (0 for group labels and most headers).
    """

    kind: str
    key: str
    core: str
    numbering: str | None = None
    numbered: bool | None = None
    cells: tuple[int, int] = (0, 0)
    anchor: bool = False
    table: str = ""


def _split_numbering(zh: str) -> tuple[str | None, str]:
    """(numbering, rest) of a catalogue label.

    >>> _split_numbering("(三)不予公开"), _split_numbering("2.重复申请"), _split_numbering("规章")
    (('(三)', '不予公开'), ('2', '重复申请'), (None, '规章'))
    """
    m = _NUMBERING.match(zh)
    if not m:
        return None, zh
    cn, pcn, ar = m.groups()
    return cn or (f"({pcn})" if pcn else ar), zh[m.end():]


def _t3_entries() -> list[Entry]:
    out: list[Entry] = []
    groups: dict[str, None] = {}
    for r in T3_ROWS:
        if r.group:
            groups.setdefault(r.group)
        if r.key in ("total", "other.other", "other"):
            continue
        num, rest = _split_numbering(r.zh)
        core = fold(rest)
        out.append(Entry("ROW", f"t3.{r.key}", core, num, None, (7, 7), len(core) >= 6, "t3"))
        if "(" in core:
            out.append(Entry("ROW", f"t3.{r.key}", core.split("(")[0], num, None, (7, 7), True, "t3"))
    for g in groups:
        num, rest = _split_numbering(g)
        if rest == "其他处理":
            continue
        out.append(Entry("ROW", f"t3.g.{rest}", fold(rest), num, None, (0, 0), len(rest) >= 6, "t3"))
    out += [
        # v2021 prints (六)其他处理 as a group over three sub-rows, v2019 as one row of 7 cells;
        # the reader decides per report from the label that follows (cells=(-1, -1)).
        Entry("ROW", "t3.other", "其他处理", "(六)", None, (-1, -1), False, "t3"),
        Entry("ROW", "t3.other.other", "其他", "3", True, (7, 7), False, "t3"),
        Entry("ROW", "t3.total", "总计", "(七)", True, (7, 7), False, "t3"),
    ]
    return out


def _t2_entries() -> list[Entry]:
    rows = [("regulations", "规章", (3, 3), False), ("normative_docs", "行政规范性文件", (3, 3), True),
            ("normative_docs", "规范性文件", (3, 3), False), ("licensing", "行政许可", (1, 3), False),
            ("other_services", "其他对外管理服务事项", (3, 3), True), ("punishment", "行政处罚", (1, 3), False),
            ("enforcement", "行政强制", (1, 3), False), ("fees", "行政事业性收费", (1, 2), True),
            ("procurement", "政府集中采购", (2, 2), True)]
    out = [Entry("ROW", f"t2.{k}", core, None, None, cells, anchor, "t2") for k, core, cells, anchor in rows]
    heads = [("info", "信息内容")] + list(T2_V2021_COLS) + list(T2_V2019_COLS) + list(T2_V2019_ITEM_COLS)
    heads += [("decisions", "本年处理决定数量"), ("amount", "本年收费金额"), ("count", "采购项目数量"),
              ("amount", "采购总金额")]
    seen: set[str] = set()
    for key, zh in heads:
        if zh not in seen:
            seen.add(zh)
            out.append(Entry("COL", f"t2.col.{key}", fold(zh), None, None, (0, 0), len(zh) >= 5, "t2"))
    return out


def _head_entries() -> list[Entry]:
    t3 = [("applicant", "申请人情况", True), ("natural_person", "自然人", False), ("legal", "法人或其他组织", True),
          ("commercial", "商业企业", False), ("research", "科研机构", False), ("social_welfare", "社会公益组织", True),
          ("legal_service", "法律服务机构", True)]
    out = [Entry("COL", f"t3.col.{k}", zh, None, None, (0, 0), a, "t3") for k, zh, a in t3]
    out += [Entry("COL", "t3.col.note", "本列数据的勾稽关系", None, None, (0, 0), True, "t3"),
            Entry("COL", "t3.col.other_org", "其他", None, False, (0, 0), False, "t3"),
            Entry("COL", "t4.col.total", "总计", None, False, (15, 15), False, "t4")]
    t4 = [("review", "行政复议", False), ("suit", "行政诉讼", False), ("suit_direct", "未经复议直接起诉", True),
          ("suit_after_review", "复议后起诉", True)]
    out += [Entry("COL", f"t4.col.{k}", zh, None, None, (15, 15), a, "t4") for k, zh, a in t4]
    out += [Entry("COL", f"t4.col.{k}", zh, None, None, (15, 15), zh != "其他结果", "t4")
            for k, zh in T4_COLS if k != "total"]
    return out


ENTRIES: tuple[Entry, ...] = tuple(_t2_entries() + _t3_entries() + _head_entries())


@dataclass(slots=True, unsafe_hash=True)
class Match:
    """One label found in the text: its entry and span (numbering and remark included)."""

    entry: Entry
    start: int
    end: int
    exact: bool = True

    def __init__(self, entry: Entry, start: int, end: int, exact: bool = True) -> None:
        """Written out so that mypyc compiles it (``nianbao.rules._native``)."""
        self.entry, self.start, self.end, self.exact = entry, start, end, exact


def numbering_start(text: str, start: int, expected: str | None) -> int | None:
    """Start of the numbering printed right before ``start`` (``一、`` ``(一)`` ``1.``), or None.

    Inside a glued digit run only the expected number is taken: in ``00000002.其他`` the
    numbering of row 2 is ``2.``, not ``00000002.``.

    >>> t = "00000002.其他法律"
    >>> numbering_start(t, 9, "2"), numbering_start("(一) 予以公开", 4, "(一)"), numbering_start("规章", 0, None)
    (7, 0, None)
    """
    i = start
    while i > 0 and text[i - 1] in " \t":
        i -= 1
    if i == 0:
        return None
    c = text[i - 1]
    if c == ")":
        j = text.rfind("(", max(0, i - 7), i - 1)
        return j if j >= 0 and _PAREN_NUMBER.fullmatch(text, j, i) else None
    if c not in "、.,":
        return None
    k = i - 1
    while k > 0 and text[k - 1] == " ":
        k -= 1
    if k > 0 and text[k - 1] in CN:
        j = k - 1
        if j > 0 and text[j - 1] in CN and text[j - 1:k] in ("十一", "十二", "二十"):
            j -= 1
        return j
    if expected and expected.isdigit() and text.endswith(expected, 0, k):
        return k - len(expected)
    j = k
    while j > 0 and text[j - 1].isdigit() and k - j < 2:
        j -= 1
    if j == k or (j > 0 and text[j - 1].isdigit()):
        return None
    return j


def has_numbering_before(text: str, start: int) -> bool:
    """Whether any numbering (``(七)``, ``3.``, ``一、``) is printed right before ``start``, even in a digit run.

    >>> has_numbering_before("00000003.其他", 9), has_numbering_before("机构 其他", 3)
    (True, False)
    """
    i = start
    while i > 0 and text[i - 1] in " \t":
        i -= 1
    if i < 2:
        return False
    c = text[i - 1]
    j = i - 1
    while j > 0 and text[j - 1] == " ":
        j -= 1
    d = text[j - 1] if j > 0 else ""
    if c == ")":
        j = text.rfind("(", max(0, i - 7), i - 1)
        return j >= 0 and _PAREN_NUMBER.fullmatch(text, j, i) is not None
    return c in "、.," and (d.isdigit() or d in CN)


def note_span(text: str, start: int, end: int, limit: int) -> tuple[int, int]:
    """The whole corner note of table 3 around its head ``本列数据的勾稽关系``: to its ``)``, with its ``(``.

    >>> t = "(本列数据的勾稽关系为:第一项加第二项之和,等于第三项加第四项之和)  |"
    >>> note_span(t, 1, 10, len(t))
    (0, 34)
    """
    close = text.find(")", end, min(limit, end + 60))
    if close >= 0:
        end = close + 1
    else:  # the crawl lost the ")": the note runs to its cell's end or to the next label
        stop = _CELL_END.search(text, end, min(limit, end + 60))
        cut = stop.start() if stop else (limit if limit <= end + 60 else end)
        end = max(end, len(text[:cut].rstrip()))
    i = start
    while i > 0 and text[i - 1] in " \t":
        i -= 1
    return (i - 1 if i > 0 and text[i - 1] == "(" else start), end


def remark_end(text: str, end: int, limit: int) -> int:
    """End of a parenthetical remark printed right after a label (``(单位:万元)``), else ``end``.

    >>> t = "本年收费金额(单位:万元)  |"
    >>> remark_end(t, 6, len(t)), remark_end("予以公开(二)部分公开", 4, 12), remark_end("本年收费金额(单位:万元  |", 6, 16)
    (13, 4, 12)
    """
    j = end
    while j < limit and text[j] in " \t":
        j += 1
    if j >= limit or text[j] != "(":
        return end
    close = text.find(")", j, min(limit, j + 42))
    if close < 0:  # the crawl lost the ")": the remark runs to its cell's end
        stop = _CELL_END.search(text, j, min(limit, j + 30))
        cut = stop.start() if stop else (limit if limit <= j + 30 else -1)
        if cut < 0 or any(c.isdigit() for c in text[j:cut]):
            return end
        return len(text[:cut].rstrip())
    if "\n" in text[j:close] or _PAREN_NUMBER.fullmatch(text, j, close + 1) or "勾稽" in text[j:close]:
        return end  # no remark: another row's numbering, or table 3's corner note
    return close + 1


@cache
def deletion_variants(core: str) -> tuple[str, ...]:
    """A label with one character lost: any one for 5+ characters, only the last for a 4-character one.

    >>> deletion_variants("结果纠正"), len(deletion_variants("申请人情况")), deletion_variants("规章")
    (('结果纠',), 5, ())
    """
    if len(core) < 4:
        return ()
    if len(core) == 4:
        return (core[:-1],)
    return tuple(dict.fromkeys(core[:i] + core[i + 1:] for i in range(len(core))))


def _find_all(haystack: str, needle: str, lo: int = 0, hi: int | None = None) -> list[int]:
    out, i = [], haystack.find(needle, lo, hi)
    while i >= 0:
        out.append(i)
        i = haystack.find(needle, i + 1, hi)
    return out


View = tuple[str, list[int]]
Owner = tuple[int, int]  # (index in ENTRIES, index in its deletion_variants; -1 for the core itself)


@cache
def _automaton(variants: bool) -> Any:
    """The entries' cores (or, with ``variants``, their one-character-lost variants) in one Aho-Corasick
    automaton (pyahocorasick): one pass over a region finds what a ``str.find`` per string (72 cores, about
    470 variants) found. Each word's value is its length and the (entry, variant) pairs it stands for."""
    owners: dict[str, list[Owner]] = {}
    for k, e in enumerate(ENTRIES):
        words = list(enumerate(deletion_variants(e.core))) if variants else [(-1, e.core)]
        for j, word in words:
            owners.setdefault(word, []).append((k, j))
    automaton = ahocorasick.Automaton()
    for word, who in owners.items():
        automaton.add_word(word, (len(word), tuple(who)))
    automaton.make_automaton()
    return automaton


def _hits(sq: str, lo: int, hi: int, variants: bool) -> dict[int, list[tuple[int, int]]]:
    """Each entry's occurrences in ``sq[lo:hi]`` as squeezed spans, by entry index: its core's, or with
    ``variants`` its deletion variants', variant by variant, in text order."""
    found: list[tuple[int, int, int, int]] = []
    if hi > lo:
        for last, (length, who) in _automaton(variants).iter(sq, lo, hi):
            for k, j in who:
                found.append((k, j, last + 1 - length, last + 1))
    found.sort()
    out: dict[int, list[tuple[int, int]]] = {}
    for k, _j, a, b in found:
        out.setdefault(k, []).append((a, b))
    return out


def raw_matches(text: str, view: View | None = None, start: int = 0, end: int | None = None,
                fuzzy_for: frozenset[str] | None = None) -> list[Match]:
    """Every occurrence of every entry's core in ``text[start:end]``: exact, or (for the entries whose
    keys are in ``fuzzy_for``) with one character lost, or by head and tail for a long label.

    ``view`` is ``squeeze(text)``, passed in to search several regions of one text at once.
    """
    sq, pos = view if view is not None else squeeze(text)
    lo = bisect_left(pos, start)
    hi = len(sq) if end is None else bisect_left(pos, end)
    out: list[Match] = []
    found = _hits(sq, lo, hi, fuzzy_for is not None)
    for k, e in enumerate(ENTRIES):
        if fuzzy_for is not None and e.key not in fuzzy_for:  # its hits, if any, are not asked for
            continue
        hits = found.get(k, [])
        if fuzzy_for is not None and not hits:
            hits = head_tail_hits(sq, e.core, lo, hi)
        out += span_matches(text, pos, e, hits, fuzzy_for is None)
    return out


def head_tail_hits(sq: str, core: str, lo: int, hi: int) -> list[tuple[int, int]]:
    """A long label (12+ characters) that lost more than one character, in ``sq[lo:hi]``: its first six
    characters, then its last six no further than four characters past its length."""
    hits: list[tuple[int, int]] = []
    if len(core) >= 12:
        head, tail = core[:6], core[-6:]
        for i in _find_all(sq, head, lo, hi):
            j = sq.find(tail, i + 6, min(hi, i + len(core) + 4))
            if j >= 0:
                hits.append((i, j + 6))
    return hits


def span_matches(text: str, pos: list[int], entry: Entry, hits: list[tuple[int, int]], exact: bool) -> list[Match]:
    """An entry's spans in the squeezed view as matches in ``text`` (closing quotes after a label included)."""
    out: list[Match] = []
    for a, b in hits:
        end = pos[b - 1] + 1
        while end < len(text) and text[end] in _CLOSING_QUOTES:
            end += 1
        out.append(Match(entry, pos[a], end, exact))
    return out


def resolve(matches: list[Match], text: str) -> list[Match]:
    """Non-overlapping matches (longest core first), with numbering and remarks attached."""
    order = sorted(matches, key=lambda m: (-len(m.entry.core), not m.exact, m.entry.numbered is not True, m.start))
    taken: list[Match] = []
    used = bytearray(len(text) + 1)
    for m in order:
        a = m.start
        if m.entry.numbering is not None:
            n = numbering_start(text, m.start, m.entry.numbering)
            if m.entry.numbered is True and n is None:
                continue
            a = m.start if n is None else n
        elif m.entry.numbered is False and has_numbering_before(text, m.start):
            continue
        if 1 in used[a:m.end]:
            continue
        used[a:m.end] = b"\x01" * (m.end - a)
        taken.append(m if a == m.start else Match(m.entry, a, m.end, m.exact))
    taken.sort(key=lambda m: m.start)
    out = []
    for k, m in enumerate(taken):
        limit = taken[k + 1].start if k + 1 < len(taken) else len(text)
        if m.entry.key == "t3.col.note":
            a, b = note_span(text, m.start, m.end, limit)
            out.append(Match(m.entry, a, b, m.exact))
        else:
            end = remark_end(text, m.end, limit)
            out.append(m if end == m.end else Match(m.entry, m.start, end, m.exact))
    return out


def find_label_matches(text: str) -> list[Match]:
    """Exact label matches over the whole text, overlaps resolved (no context rules)."""
    return resolve(raw_matches(text), text)
