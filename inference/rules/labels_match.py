"""Fuzzy matching of printed row labels and column headers to the catalogue's rows and columns.

Labels are compared after ``norm_label``: whitespace, quotes and punctuation dropped, full-width
forms folded, 其它 -> 其他, and the leading numbering (``一、`` ``(一)`` ``1.`` ``1、``) split off.
A label that lost characters, carries its group's label in front (``(三)不予公开1.属于国家秘密``)
or is only a fragment of a wrapped label still finds its row::

    >>> match_row("1、属于国家秘")[0].key
    'denied.state_secret'
    >>> match_row("三、本年度办理结果(一)予以公开")[0].key
    'granted'
    >>> match_col("商业 企业")[0].key
    'commercial'
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from difflib import SequenceMatcher
from functools import lru_cache

from nianbao.labels.catalogue import T2_V2019_ITEMS, T3_ROWS

_FOLD = str.maketrans({
    "（": "(", "）": ")", "，": ",", "、": "、", "．": ".", "：": ":", "／": "/", "；": ";",
    "０": "0", "１": "1", "２": "2", "３": "3", "４": "4", "５": "5", "６": "6", "７": "7", "８": "8",
    "９": "9", "【": "(", "】": ")", "〔": "(", "〕": ")", "［": "(", "］": ")", "[": "(", "]": ")",
})
_DROP = re.compile(r"[\s\u00a0\u3000|“”‘’\"'「」『』《》<>]+")
_PUNCT = re.compile(r"[()（）,，、.．:：;；/／\-—_*#]+")
_CN = "一二三四五六七八九十"
_NUMBERING = re.compile(
    rf"^(?:\(([{_CN}]{{1,3}})\)|([{_CN}]{{1,3}})[、.,]|(\d{{1,2}})[.、,)]|\((\d{{1,2}})\))"
)


def cn_int(s: str) -> int:
    """Value of a small Chinese numeral (一..九十九).

    >>> cn_int("七"), cn_int("十二"), cn_int("二十")
    (7, 12, 20)
    """
    digits = {c: i + 1 for i, c in enumerate(_CN[:9])}
    if "十" not in s:
        return digits.get(s, 0)
    tens, _, ones = s.partition("十")
    return (digits.get(tens, 1) if tens else 1) * 10 + (digits.get(ones, 0) if ones else 0)


def fold(text: str) -> str:
    """Fold full-width punctuation/digits, drop whitespace and quotes, 其它 -> 其他.

    >>> fold("（一） 予以公开 ")
    '(一)予以公开'
    """
    return _DROP.sub("", text.translate(_FOLD)).replace("其它", "其他")


def split_numbering(text: str) -> tuple[str | None, str]:
    """Split a folded label into its numbering kind+number and the rest.

    >>> split_numbering("(三)不予公开"), split_numbering("2.重复申请"), split_numbering("规章")
    (('p3', '不予公开'), ('a2', '重复申请'), (None, '规章'))
    """
    m = _NUMBERING.match(text)
    if not m:
        return None, text
    pcn, cn, ar, par = m.groups()
    if pcn:
        num = f"p{cn_int(pcn)}"
    elif cn:
        num = f"c{cn_int(cn)}"
    else:
        num = f"a{int(ar or par)}"
    return num, text[m.end():]


@lru_cache(maxsize=1 << 15)
def body(text: str) -> str:
    """The comparable body of a label: folded, numbering and punctuation removed.

    >>> body("(二)部分公开(区分处理的,只计这一情形)")
    '部分公开区分处理的只计这一情形'
    """
    _, rest = split_numbering(fold(text))
    return _PUNCT.sub("", rest)


# ----------------------------------------------------------------- catalogue of matchable labels
@dataclass(frozen=True)
class Target:
    """A matchable label: the table, its key (row key, column key or group name), kind and numbering."""

    table: str
    key: str
    kind: str  # "row" | "group" | "col" | "colgroup" | "ignore"
    text: str
    numbering: str | None = None

    @property
    def body(self) -> str:
        """The comparable body of the printed label."""
        return body(self.text)


def _t3_row_targets() -> list[Target]:
    out = []
    for r in T3_ROWS:
        num, _ = split_numbering(fold(r.zh))
        out.append(Target("t3", r.key, "row", r.zh, num))
    out += [Target("t3", "g.results", "group", "三、本年度办理结果", "c3"),
            Target("t3", "g.denied", "group", "(三)不予公开", "p3"),
            Target("t3", "g.unable", "group", "(四)无法提供", "p4"),
            Target("t3", "g.not_processed", "group", "(五)不予处理", "p5")]
    return out


def _t2_row_targets() -> list[Target]:
    out = [Target("t2", "regulations", "row", "规章"), Target("t2", "normative_docs", "row", "行政规范性文件"),
           Target("t2", "normative_docs", "row", "规范性文件")]
    out += [Target("t2", r.key, "row", r.zh) for r in T2_V2019_ITEMS]
    out += [Target("t2", "fees", "row", "行政事业性收费"), Target("t2", "procurement", "row", "政府集中采购")]
    return out


ROW_TARGETS: tuple[Target, ...] = tuple(_t2_row_targets() + _t3_row_targets())

# Column headers. t2 column keys are catalogue column keys; `decisions` covers both
# 本年处理决定数量 (v2021) and 处理决定数量 (v2019); fees.amount is `amount`.
COL_TARGETS: tuple[Target, ...] = (
    Target("t2", "info", "ignore", "信息内容"),
    Target("t2", "issued", "col", "本年制发件数"),
    Target("t2", "repealed", "col", "本年废止件数"),
    Target("t2", "in_force", "col", "现行有效件数"),
    Target("t2", "decisions", "col", "本年处理决定数量"),
    Target("t2", "amount", "col", "本年收费金额(单位:万元)"),
    Target("t2", "new_made", "col", "本年新制作数量"),
    Target("t2", "new_published", "col", "本年新公开数量"),
    Target("t2", "total_published", "col", "对外公开总数量"),
    Target("t2", "prev_count", "col", "上一年项目数量"),
    Target("t2", "change", "col", "本年增/减"),
    Target("t2", "decisions", "col", "处理决定数量"),
    Target("t2", "count", "col", "采购项目数量"),
    Target("t2", "amount", "col", "采购总金额"),
    Target("t3", "applicant", "ignore", "申请人情况"),
    Target("t3", "note", "ignore", "(本列数据的勾稽关系为:第一项加第二项之和,等于第三项加第四项之和)"),
    Target("t3", "natural_person", "col", "自然人"),
    Target("t3", "legal", "colgroup", "法人或其他组织"),
    Target("t3", "commercial", "col", "商业企业"),
    Target("t3", "research", "col", "科研机构"),
    Target("t3", "social_welfare", "col", "社会公益组织"),
    Target("t3", "legal_service", "col", "法律服务机构"),
    Target("t3", "other_org", "col", "其他"),
    Target("t3", "total", "col", "总计"),
    Target("t4", "review", "colgroup", "行政复议"),
    Target("t4", "suit", "colgroup", "行政诉讼"),
    Target("t4", "suit_direct", "colgroup", "未经复议直接起诉"),
    Target("t4", "suit_after_review", "colgroup", "复议后起诉"),
    Target("t4", "upheld", "col", "结果维持"),
    Target("t4", "corrected", "col", "结果纠正"),
    Target("t4", "other", "col", "其他结果"),
    Target("t4", "pending", "col", "尚未审结"),
    Target("t4", "total", "col", "总计"),
)

_GROUP_PREFIXES = ("本年度办理结果", "不予公开", "无法提供", "不予处理", "其他处理")


@dataclass(unsafe_hash=True)
class Match:
    """A target with its similarity score in [0, 1]."""

    target: Target
    score: float

    def __init__(self, target: Target, score: float) -> None:
        """Written out so that mypyc compiles it (``nianbao.rules._native``)."""
        self.target, self.score = target, score

    @property
    def key(self) -> str:
        """The matched row/column key."""
        return self.target.key

    @property
    def table(self) -> str:
        """The matched table."""
        return self.target.table


@lru_cache(maxsize=1 << 16)
def similarity(a: str, b: str) -> float:
    """Dice-style similarity of two bodies (2 * matched chars / total chars).

    >>> round(similarity("属于国家秘", "属于国家秘密"), 3)
    0.909
    """
    if not a or not b:
        return 0.0
    if a == b:
        return 1.0
    return SequenceMatcher(None, a, b, autojunk=False).ratio()


@lru_cache(maxsize=1 << 14)
def coverage(fragment: str, full: str) -> float:
    """Share of ``fragment``'s characters found in order inside ``full`` (fragment of a wrapped label).

    >>> coverage("只计这一情形", "部分公开区分处理的只计这一情形不计其他情形")
    1.0
    """
    if not fragment:
        return 0.0
    if fragment in full:
        return 1.0
    blocks = SequenceMatcher(None, fragment, full, autojunk=False).get_matching_blocks()
    return sum(b.size for b in blocks) / len(fragment)


def _variants(label: str) -> list[tuple[str | None, str]]:
    """(numbering, body) readings of a label: as printed, and with a leading group label removed.

    >>> _variants("(三)不予公开1.属于国家秘密")
    [('p3', '不予公开1属于国家秘密'), ('a1', '属于国家秘密')]
    """
    num, rest = split_numbering(fold(label))
    out = [(num, _PUNCT.sub("", rest))]
    for g in _GROUP_PREFIXES:
        if rest.startswith(g) and len(rest) > len(g) + 1:
            n2, rest2 = split_numbering(rest[len(g):])
            out.append((n2, _PUNCT.sub("", rest2)))
    return out


def _rank(label: str, targets: str, table: str | None) -> tuple[Match, ...]:
    """The ``targets`` (``row``: ``ROW_TARGETS``, ``col``: ``COL_TARGETS``) ranked by similarity to ``label``."""
    return _rank_variants(tuple(_variants(label)), targets, table)


@lru_cache(maxsize=1 << 14)
def _rank_variants(variants: tuple[tuple[str | None, str], ...], which: str, table: str | None) -> tuple[Match, ...]:
    """``_rank`` by the label's readings (labels printed with other spaces or brackets read the same)."""
    targets = ROW_TARGETS if which == "row" else COL_TARGETS
    scored: list[Match] = []
    for t in targets:
        if table and t.table != table:
            continue
        tb = t.body
        best = 0.0
        for num, b in variants:
            s = similarity(b, tb)
            if num and t.numbering and num == t.numbering:
                s = min(1.0, s + 0.02)
            best = max(best, s)
        scored.append(Match(t, best))
    scored.sort(key=lambda m: -m.score)
    return tuple(scored)


@lru_cache(maxsize=1 << 14)
def match_row(label: str, table: str | None = None) -> tuple[Match, ...]:
    """Row and group targets ranked by similarity to a printed row label (memoised, bounded).

    >>> m = match_row("(六)其它处理")[0]
    >>> m.key, m.score >= 0.99
    ('other', True)
    """
    return _rank(label, "row", table)


@lru_cache(maxsize=1 << 14)
def match_col(label: str, table: str | None = None) -> tuple[Match, ...]:
    """Column-header targets ranked by similarity to a printed header (memoised, bounded).

    >>> match_col("结果\\n维持", "t4")[0].key
    'upheld'
    """
    return _rank(label, "col", table)


@lru_cache(maxsize=1 << 14)
def is_col_prefix(text: str, table: str | None = None) -> bool:
    """Whether ``text`` is a proper prefix of some column header body (a header split over lines).

    >>> is_col_prefix("商业"), is_col_prefix("商业企业")
    (True, False)
    """
    b = body(text)
    return bool(b) and any(t.body.startswith(b) and t.body != b for t in COL_TARGETS
                           if table is None or t.table == table)
