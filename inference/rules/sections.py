"""The six standard sections: heading detection on the normalised text and ``detect_sections``.

A heading is found in one of two ways, and the best ordered set of candidates wins:

- **line**: a line that, without its ``#``/``*`` marks, indent, numbering (``一、``, ``第一部分``,
  a bare ``、`` when the numeral was lost) and parenthetical remarks, reads like a standard
  title. Wording variants fold together (其它/其他; 和, 及, 与 and 、), a few dropped
  characters are tolerated (bigram Dice similarity). Parenthesised numbering (``(一)...``)
  and long lines are subsections or prose, never sections;
- **stream**: in text whose lines were glued together (a tag-stripped crawl), a standard
  title preceded by a Chinese numeral and ``、``: ``...工作。二、主动公开政府信息情况第二十条...``.

Candidates are then chained in document order with strictly increasing section numbers
(dynamic programming over their scores), so an intro sentence listing all six titles or a
subsection named like a section cannot displace the real headings.

The SEC span covers the heading from its numbering to the end of the title; a remark the
site appended (``(按实际情况填报)``) is outside it. A section runs from its heading to the
next standard heading; the last one ends before the signature (or at the end of the text).

>>> text = "# 某县2023年报告\\n## 一、总体情况\\n正文。\\n### 一、加强领导\\n、存在的主要问题和改进情况\\n"
>>> [(h.sid, text[h.start:h.end]) for h in find_headings(text)]
[('s1', '一、总体情况'), ('s5', '、存在的主要问题和改进情况')]
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from nianbao.document import Document, Section
from nianbao.labels.catalogue import SECTION_NUMERALS, SECTIONS
from nianbao.rules.meta import signature_start

CN = "一二三四五六七八九十"
_CJK = "\u3400-\u4dbf\u4e00-\u9fff"
_TITLE_FOLD = str.maketrans({"它": "他", "和": "、", "及": "、", "与": "、", ",": "、", "，": "、",
                             "（": "(", "）": ")", "：": ":"})
_DROP = re.compile(r"[\s“”\"'‘’「」『』《》*#]+")
_PARENS = re.compile(r"\([^()]{0,40}\)")
_TRAILING_REMARK = re.compile(r"(?:\s*\([^()\n]{0,40}\))+[\s*#:：]*$")
_NUMBERING = re.compile(rf"^(?:第[{CN}]{{1,2}}部分\s*[、.:]?|[{CN}]{{1,2}}\s*[、.,:]|[{CN}]{{1,2}}(?=\s)|、|\d{{1,2}}\s*[、.])\s*")
_SUB_NUMBERING = re.compile(rf"^\(\s*(?:[{CN}]{{1,3}}|\d{{1,2}})\s*\)")
_LINE_LEAD = re.compile(r"^[\s#*>]*")
_KEYWORDS = ("情况", "事项", "问题", "改进", "公开")
_KEYWORD_RE = re.compile("|".join(_KEYWORDS))
MAX_HEADING_LINE = 80


def fold_title(text: str) -> str:
    """Fold a heading's wording for comparison: no whitespace/quotes/marks, variants unified.

    >>> fold_title("其它需要报告的 事项") == fold_title("其他需要报告的事项")
    True
    >>> fold_title("政府信息公开行政复议和行政诉讼情况")
    '政府信息公开行政复议、行政诉讼情况'
    """
    return _DROP.sub("", text.translate(_TITLE_FOLD))


FOLDED_TITLES: dict[str, str] = {sid: fold_title(t) for sid, t in SECTIONS.items()}
# Wordings common enough to compare against as well (the standard title is always one of them).
TITLE_VARIANTS: dict[str, tuple[str, ...]] = {
    sid: (t,) + tuple(fold_title(v) for v in {"s4": ("行政复议、行政诉讼情况",),
                                             "s5": ("政府信息公开工作存在的主要问题及改进情况",)}.get(sid, ()))
    for sid, t in FOLDED_TITLES.items()
}


def bigrams(text: str) -> set[str]:
    """The character bigrams of a string (a single character counts as its own bigram).

    >>> sorted(bigrams("总体情况"))
    ['体情', '总体', '情况']
    """
    if len(text) < 2:
        return {text} if text else set()
    return {text[i:i + 2] for i in range(len(text) - 1)}


_TITLE_BIGRAMS = [(sid, bigrams(v)) for sid, vs in TITLE_VARIANTS.items() for v in vs]


def dice(a: str, b: str) -> float:
    """Bigram Dice similarity of two folded strings, in [0, 1].

    >>> dice("存在的主要问题、改进情况", "存在的主要问题、改进情况")
    1.0
    >>> round(dice("存在主要问题、改进情况", "存在的主要问题、改进情况"), 2)
    0.86
    """
    ba, bb = bigrams(a), bigrams(b)
    if not ba or not bb:
        return 0.0
    return 2 * len(ba & bb) / (len(ba) + len(bb))


def best_title(folded: str) -> tuple[str, float]:
    """The standard section a folded heading text is closest to, and the similarity.

    >>> best_title(fold_title("政府信息公开工作存在的主要问题及改进情况"))[0]
    's5'
    """
    bg = bigrams(folded)
    best, score = "", 0.0
    if not bg:
        return best, score
    for sid, tb in _TITLE_BIGRAMS:
        s = 2 * len(bg & tb) / (len(bg) + len(tb))
        if s > score:
            best, score = sid, s
    return best, score


@dataclass(frozen=True)
class Heading:
    """A standard-section heading candidate: section id, SEC span on the text, and its score."""

    sid: str
    start: int
    end: int
    score: float


def classify_heading(text: str) -> tuple[str, float, int] | None:
    """Section id, score and how the numbering fits, for one heading text (no line context).

    The third value is 1 when a Chinese numeral matches the section's place, 0 when no
    numeral (or a lost one) is printed, -1 when another numeral or arabic numbering is.
    Returns None for subsection numbering (``(一)``) and text that reads like no title.

    >>> classify_heading("## 四、政府信息公开行政复议(各相关单位)、行政诉讼情况(请市法院填报)")[:1]
    ('s4',)
    >>> classify_heading("(二)主动公开政府信息情况") is None
    True
    """
    return _classified(text) if len(text) <= 200 else _classify(text)  # headings repeat across reports


@lru_cache(maxsize=1 << 14)
def _classified(text: str) -> tuple[str, float, int] | None:
    return _classify(text)


def _classify(text: str) -> tuple[str, float, int] | None:
    t = _LINE_LEAD.sub("", text).strip()
    if not t or _SUB_NUMBERING.match(t):
        return None
    m = _NUMBERING.match(t)
    numeral = ""
    if m:
        numeral = m.group().strip().rstrip("、.,:").removeprefix("第").removesuffix("部分")
        t = t[m.end():]
    body = fold_title(_PARENS.sub("", t))
    if not body or len(body) > 44:
        return None
    sid, score = best_title(body)
    if not sid:
        return None
    expected = SECTION_NUMERALS[int(sid[1]) - 1]
    fit = 1 if numeral == expected else (0 if numeral in ("", "、") else -1)
    return sid, score, fit


def _accept(score: float, fit: int, bare: bool) -> bool:
    """Whether a classified heading is similar enough, given how its numbering fits."""
    if bare:
        return score >= 0.85
    return score >= (0.6 if fit == 1 else 0.75 if fit == 0 else 0.85)


def line_headings(text: str) -> list[Heading]:
    """Heading candidates from whole lines (the common case)."""
    return list(_line_headings(text))


@lru_cache(maxsize=8)
def _line_headings(text: str) -> tuple[Heading, ...]:
    """``line_headings`` memoised for the few texts read last (the sections stage and the reader read the same)."""
    out: list[Heading] = []
    pos = 0
    for line in text.split("\n"):
        start, pos = pos, pos + len(line) + 1
        stripped = line.strip()
        if not stripped or len(stripped) > MAX_HEADING_LINE or _KEYWORD_RE.search(stripped) is None:
            continue
        c = classify_heading(line)
        if c is None:
            continue
        sid, score, fit = c
        lead = len(_LINE_LEAD.match(line).group())  # type: ignore[union-attr]  # it matches the empty string
        body = line[lead:]
        bare = _NUMBERING.match(body) is None
        if not _accept(score, fit, bare):
            continue
        tail = _TRAILING_REMARK.search(body)
        end = lead + (tail.start() if tail else len(body.rstrip(" \t*#")))
        out.append(Heading(sid, start + lead, start + end, score + (1.0 if fit == 1 else 0.5)))
    return tuple(out)


_STREAM_NUMBERING = re.compile(rf"(?:[{CN}]{{1,2}}\s*[、.]|第[{CN}]部分\s*|(?:^|(?<=[^{_CJK}]))、)\s*$")


def stream_headings(text: str, skip: set[str] | frozenset[str] = frozenset()) -> list[Heading]:
    """Heading candidates inside glued text: a numeral and ``、`` right before a standard title (but for the
    sections in ``skip``)."""
    return [h for h in _stream_headings(text) if h.sid not in skip]


@lru_cache(maxsize=8)
def _stream_headings(text: str) -> tuple[Heading, ...]:
    """Every section's ``stream_headings``, memoised for the few texts read last (the sections stage and the
    reader read the same text, each skipping the sections its line headings found)."""
    keep = [m.span() for m in re.finditer(r"[^\s“”\"'‘’「」『』《》*#]+", text)]
    pos: list[int] = []
    for a, b in keep:
        pos.extend(range(a, b))
    squeezed = "".join(text[a:b] for a, b in keep).translate(_TITLE_FOLD)
    out: list[Heading] = []
    for sid, variants in TITLE_VARIANTS.items():
        for variant in variants:
            i = squeezed.find(variant)
            while i >= 0:
                a, b = pos[i], pos[i + len(variant) - 1] + 1
                m = _STREAM_NUMBERING.search(text, max(0, a - 12), a)
                if m:
                    out.append(Heading(sid, m.start(), b, 0.8 if m.group().strip() != "、" else 0.6))
                i = squeezed.find(variant, i + 1)
    return tuple(out)


def chain_headings(cands: list[Heading]) -> list[Heading]:
    """The best subsequence in text order with strictly increasing section ids (max total score).

    >>> hs = [Heading("s2", 0, 5, 1.0), Heading("s1", 10, 15, 1.0), Heading("s2", 20, 25, 1.0)]
    >>> [(h.sid, h.start) for h in chain_headings(hs)]
    [('s1', 10), ('s2', 20)]
    """
    cands = sorted(cands, key=lambda h: (h.start, -h.score))
    n = len(cands)
    if not n:
        return []
    best = [h.score for h in cands]
    back = [-1] * n
    for j in range(n):
        for i in range(j):
            if cands[i].end <= cands[j].start and cands[i].sid < cands[j].sid and best[i] + cands[j].score > best[j]:
                best[j], back[j] = best[i] + cands[j].score, i
    j = max(range(n), key=lambda k: best[k])
    out = []
    while j >= 0:
        out.append(cands[j])
        j = back[j]
    return out[::-1]


def find_headings(text: str, extra: list[Heading] | None = None) -> list[Heading]:
    """The standard headings of a text (plus ``extra`` candidates, e.g. from tags), in order."""
    cands = line_headings(text) + list(extra or [])
    found = {h.sid for h in cands}
    if len(found) < len(SECTIONS):
        cands += stream_headings(text, skip=found)
    return chain_headings(cands)


def content_end(text: str, limit: int, start: int = 0) -> int:
    """End of the content before ``limit``: after the last non-blank character and its newline.

    >>> content_end("ab\\n\\n  \\nsig", 7)
    3
    """
    i = limit
    while i > start and text[i - 1].isspace():
        i -= 1
    if i < limit and text[i] == "\n":
        i += 1
    return i


def detect_sections(doc: Document) -> Document:
    """Set ``doc.sections`` from SEC tags (model or reader) and, where tags miss some, from the text."""
    text = doc.norm_text
    extra: list[Heading] = []
    for t in doc.tags:
        if t.tag != "SEC":
            continue
        c = classify_heading(text[t.start:t.end])
        if c is not None and c[1] >= 0.5:
            extra.append(Heading(c[0], t.start, t.end, c[1] + 3.0))
    heads = find_headings(text, extra)
    last = trailing_limit(text, heads[-1].end if heads else 0, doc.boilerplate)
    doc.sections = []
    for k, h in enumerate(heads):
        end = heads[k + 1].start if k + 1 < len(heads) else content_end(text, last, h.end)
        doc.sections.append(Section(id=h.sid, title=text[h.start:h.end].strip(), start=h.start,
                                    end=max(end, h.end)))
    return doc


def trailing_limit(text: str, after: int, boilerplate: list[tuple[int, int]]) -> int:
    """Where the last section's content stops: the signature, else trailing site boilerplate, else the end."""
    sig = signature_start(text, after)
    limit = sig if sig is not None else len(text)
    for a, b in sorted(boilerplate, reverse=True):
        if a >= after and b <= limit and not text[b:limit].strip():
            limit = a
    return limit
