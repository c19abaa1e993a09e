"""Tagged spans as an ordered event stream, split by table (t2, t3, t4).

Contiguous digit ``VAL`` spans merge into one glued run (the rule layer re-cuts it); a row label
that starts with the ``.`` of its numbering takes back the digit a run swallowed
(``00000002.其他…`` -> run ``0000000``, label ``2.其他…``).

    >>> from nianbao.document import Document, TagSpan
    >>> d = Document(norm_text="规章000")
    >>> d.tags = [TagSpan(start=0, end=2, tag="ROW")] + [TagSpan(start=i, end=i + 1, tag="VAL") for i in (2, 3, 4)]
    >>> [(e.tag, e.text, e.run) for e in collect_events(d)]
    [('ROW', '规章', False), ('VAL', '000', True)]
"""

from __future__ import annotations

import re
from bisect import bisect_left, bisect_right
from dataclasses import dataclass, field
from functools import cache, lru_cache

from nianbao.document import Document, TagSpan
from nianbao.rules.labels_match import ROW_TARGETS, fold, match_col, match_row

_RUN = re.compile(r"^(?:-?[0-9]+(?:\.[0-9]+)?|[-—/无])+$")
_GLUE_MARKS = frozenset("-—/无")
_DIGITS = set("0123456789０１２３４５６７８９〇")
TABLE_OF_SECTION = {"主动公开政府信息情况": "t2", "收到和处理政府信息公开申请情况": "t3", "行政复议": "t4"}


@dataclass(slots=True)
class Event:
    """One tagged span in text order; a ``VAL`` with ``run`` set is a glued digit run."""

    tag: str
    start: int
    end: int
    text: str
    line: int = 0
    run: bool = False
    parts: list[tuple[int, int]] = field(default_factory=list)  # the tagger's own cells inside a run
    rescued: bool = False  # a value the tagger left untagged, read from the text by ``untagged_values``

    def __init__(self, tag: str, start: int, end: int, text: str, line: int = 0, run: bool = False,
                 parts: list[tuple[int, int]] | None = None, rescued: bool = False) -> None:
        """Written out so that mypyc compiles it (``nianbao.rules._native``)."""
        self.tag, self.start, self.end, self.text, self.line, self.run = tag, start, end, text, line, run
        self.parts = [] if parts is None else parts
        self.rescued = rescued

    @property
    def digits(self) -> str:
        """A run's text with full-width digits folded (same length as ``text``)."""
        return fold_digits_keep(self.text)


_KEEP = str.maketrans("０１２３４５６７８９〇．－", "01234567890.-")


def fold_digits_keep(text: str) -> str:
    """Fold full-width digits and 〇 one-for-one (keeps the length, unlike ``fold_digits``).

    >>> fold_digits_keep("１〇")
    '10'
    """
    return text.translate(_KEEP)


@lru_cache(maxsize=1 << 16)
def is_run_text(text: str) -> bool:
    """Whether a value's text is a plain digit string (possibly several glued cells).

    >>> is_run_text("0000000"), is_run_text("7-3799"), is_run_text("——1"), is_run_text("8.3万元"), is_run_text("/")
    (True, True, True, False, False)
    """
    t = fold_digits_keep(text)
    return bool(_RUN.match(t)) and len(t) > 1 and any(c.isdigit() for c in t) or (
        len(t) > 1 and set(t) <= _GLUE_MARKS and len(set(t)) > 1)


_PROSE_NEXT = re.compile(r"[ \t]*(?:[,，。;；:：、]?[\u4e00-\u9fff])")


def _tagged_positions(tags: list, text: str) -> bytearray:
    """1 for every character inside a tag span."""
    marks = bytearray(len(text) + 1)
    for t in tags:
        marks[t.start:t.end] = b"\x01" * (t.end - t.start)
    return marks


def _in_prose(text: str, start: int, end: int, tagged: bytearray) -> bool:
    """A number inside running text (``2024年,我局…``, ``2023,我局共收到…``): the digits around it,
    tagged or not, are followed by untagged words and preceded by nothing tagged on their line."""
    while end < len(text) and text[end].isdigit():
        end += 1
    while start > 0 and text[start - 1].isdigit():
        start -= 1
    m = _PROSE_NEXT.match(text, end)
    if m is None or tagged[m.end() - 1]:
        return False
    k = start - 1
    while k >= 0 and text[k] in " \t":
        k -= 1
    return k < 0 or text[k] == "\n" or not (tagged[k] or text[k] in "|\t")


_PAGE = re.compile(r"^(?:[-—] ?\d{1,3} ?[-—]|第 ?\d{1,3} ?页(?:共 ?\d{1,3} ?页)?)$")


def _page_number(text: str, start: int, end: int) -> bool:
    """A page mark standing alone on its line (``-3-``, ``第 3 页``) around a tagged number.

    >>> _page_number("表\\n -3-\\n", 4, 5), _page_number("—\\t0\\t—", 2, 3)
    (True, False)
    """
    a = text.rfind("\n", 0, start) + 1
    b = text.find("\n", end)
    return bool(_PAGE.match(text[a:b if b >= 0 else len(text)].strip()))


def _lost_sign(text: str, start: int, end: int, tagged: bytearray) -> bool:
    """An untagged ``-`` glued before a number, not part of a range or a page mark (``-3-``)."""
    if start < 1 or text[start - 1] != "-" or tagged[start - 1] or not text[start:end][:1].isdigit():
        return False
    before = text[start - 2] if start >= 2 else " "
    return not before.isdigit() and before != "-" and text[end:end + 1] != "-"


_SENTENCE_END = frozenset("。；;！!？?，,")


def _after_sentence(text: str, start: int, tagged: bytearray) -> bool:
    """A row label right after the end of a sentence on its line is a phrase of running text
    (``…提出公开意见。政府集中采购\n项目的…``), not a table's row label.

    >>> _after_sentence("意见。政府集中采购", 3, bytearray(10)), _after_sentence("0\t政府集中采购", 2, bytearray(9))
    (True, False)
    """
    k = start - 1
    while k >= 0 and text[k] in " \t\u3000":
        k -= 1
    return k >= 0 and text[k] in _SENTENCE_END and not tagged[k]


@lru_cache(maxsize=1 << 16)
def _plain_cell(text: str) -> bool:
    """A single number or glue-able mark (may join a glued run)."""
    t = fold_digits_keep(text)
    return t in _GLUE_MARKS or t.isdigit()


def collect_events(doc: Document) -> list[Event]:
    """The document's tag spans as events in text order, glued digit runs merged."""
    text = doc.norm_text
    newlines = _newlines(text)
    page_lines: dict[tuple[int, int], bool] = {}  # _page_number per line (a long line holds many values)
    out: list[Event] = []
    tags = sorted(doc.tags, key=lambda t: (t.start, t.end))
    sec_starts = {t.start for t in tags if t.tag == "SEC"}
    extra = [TagSpan(start=s.start, end=min(s.start + len(s.title), s.end), tag="SEC") for s in doc.sections
             if s.start not in sec_starts and s.end > s.start]
    if extra:  # headings the sections stage found where the tagger marked none
        tags = sorted(tags + extra, key=lambda t: (t.start, t.end))
    tagged = _tagged_positions(tags, text)
    n_newlines = len(newlines)
    for t in tags:
        tag, t_start, t_end = t.tag, t.start, t.end
        if tag not in _EVENT_TAGS or t_end <= t_start:
            continue
        start = t_start
        if tag == "VAL":
            if _in_prose(text, t_start, t_end, tagged):
                continue
            k = bisect_right(newlines, t_start - 1) - 1
            m = bisect_left(newlines, t_end)
            line = (newlines[k] if k >= 0 else -1, newlines[m] if m < n_newlines else -1)
            page = page_lines.get(line)
            if page is None:
                page = page_lines[line] = _page_number(text, t_start, t_end)
            if page:
                continue
            if _lost_sign(text, t_start, t_end, tagged):
                start -= 1  # a minus sign the tagger left out of the cell
        elif tag == "ROW" and _after_sentence(text, t_start, tagged):
            continue
        ev = Event(tag, start, t_end, text[start:t_end], bisect_right(newlines, start - 1))
        if tag == "VAL":
            ev.run = is_run_text(ev.text)
            ev.parts = [(start, t_end)]
            prev = out[-1] if out else None
            glue = ev.run or _plain_cell(ev.text)
            # an untagged minus sign between two glued numbers belongs to the run ("4" "-" "43")
            bridge = prev is not None and prev.end + 1 == ev.start and text[prev.end] == "-" and not tagged[prev.end]
            if glue and prev is not None and prev.tag == "VAL" and (prev.run or _plain_cell(prev.text)) \
                    and (prev.end == ev.start or bridge) and is_run_text(text[prev.start:ev.end]):
                prev.end = ev.end
                prev.text = text[prev.start:prev.end]
                prev.parts.append((t_start, t_end))
                prev.run = is_run_text(prev.text)
                continue
        elif tag == "ROW" and out and _steal_numbering(out[-1], ev, text):
            if out[-1].end <= out[-1].start:
                out.pop()
        out.append(ev)
    return _rescue_labels(_join_label_pieces(out, text), text)


def _newlines(text: str) -> list[int]:
    """Positions of the text's line breaks.

    >>> _newlines("a\\nb\\n")
    [1, 3]
    """
    out = []
    k = text.find("\n")
    while k >= 0:
        out.append(k)
        k = text.find("\n", k + 1)
    return out


def _join_label_pieces(events: list[Event], text: str) -> list[Event]:
    """A row label the tagger cut into touching pieces (``行政`` ROW + ``处`` COL + ``罚`` ROW) becomes one
    ROW where the joined pieces match a catalogue row clearly better than any piece alone."""
    out: list[Event] = []
    i = 0
    n = len(events)
    while i < n:
        e = events[i]
        j = i
        if e.tag in _LABEL_TAGS:
            while j + 1 < n and events[j + 1].tag in _LABEL_TAGS and events[j + 1].start == events[j].end:
                j += 1
        if j == i:
            out.append(e)
            i += 1
            continue
        chain = events[i:j + 1]
        best: tuple[float, int, int] | None = None
        for a in range(len(chain)):
            for b in range(a + 1, len(chain)):
                if not any(c.tag == "ROW" for c in chain[a:b + 1]):
                    continue
                m = match_row("".join(c.text for c in chain[a:b + 1]))
                alone = max((match_row(c.text)[0].score for c in chain[a:b + 1] if match_row(c.text)), default=0)
                if m and m[0].score >= 0.95 and m[0].score > alone + 0.05 and (best is None or m[0].score > best[0]):
                    best = (m[0].score, a, b)
        if best is None:
            out.extend(chain)
        else:
            _, a, b = best
            out.extend(chain[:a])
            start, end = chain[a].start, chain[b].end
            out.append(Event("ROW", start, end, text[start:end], chain[a].line))
            out.extend(chain[b + 1:])
        i = j + 1
    return out


_TABLE_TAGS = frozenset({"TTL", "ROW", "COL", "VAL", "BLANK"})
_EVENT_TAGS = frozenset({"SEC", "TTL", "ROW", "COL", "VAL", "BLANK"})
_LABEL_TAGS = frozenset({"ROW", "COL"})


@cache
def _label_finder() -> re.Pattern[str]:
    """One pattern for every catalogue row label as printed (longest first)."""
    labels = sorted({t.text for t in ROW_TARGETS if t.kind == "row"} | {t.body for t in ROW_TARGETS
                                                                        if t.kind == "row" and len(t.body) >= 4},
                    key=len, reverse=True)
    return re.compile("|".join(re.escape(x) for x in labels))


@lru_cache(maxsize=1 << 14)
def _labels_in(gap: str) -> tuple[tuple[int, int], ...]:
    """Spans of the catalogue labels in a short gap between two table tags (none where it holds a sentence's
    punctuation); memoised, as the gaps between cells repeat."""
    if _SENTENCE.search(gap):
        return ()
    return tuple(m.span() for m in _label_finder().finditer(gap))


def _rescue_labels(events: list[Event], text: str) -> list[Event]:
    """Row labels the tagger left untagged between two table tags (``行政许可0行政处罚0``): a short
    stretch without sentence punctuation that holds a catalogue label word for word."""
    out: list[Event] = []
    for a, b in zip(events, [*events[1:], None], strict=False):  # no events: nothing to pair
        out.append(a)
        if b is None or a.tag not in _TABLE_TAGS or b.tag not in _TABLE_TAGS or b.start - a.end < 2:
            continue
        gap = text[a.end:b.start]
        if len(gap) > 80:
            continue
        for m_start, m_end in _labels_in(gap):
            start, end = a.end + m_start, a.end + m_end
            num = re.search(r"(?:\([一二三四五六七八九十]\)|[一二三四五六七八九十]、|\d{1,2}[.、])$", text[max(a.end, start - 4):start])
            if num:
                start -= len(num.group())
            out.append(Event("ROW", start, end, text[start:end], a.line + text.count("\n", a.end, start), rescued=True))
    return out


_NUMBERING_VAL = re.compile(r"^\d{1,2}[.、．]$")


def _steal_numbering(prev: Event, row: Event, text: str) -> bool:
    """Give a label back the numbering digit that a glued run swallowed (``…0002`` + ``.重复申请``)."""
    if prev.tag == "VAL" and prev.end == row.start and _NUMBERING_VAL.match(prev.text):  # "2." + "重复申请"
        row.start = prev.start
        row.text = text[row.start:row.end]
        prev.end = prev.start
        return True
    if prev.tag != "VAL" or not prev.text[-1:].isdigit() or prev.end != row.start or row.text[:1] not in (".", "、", "．"):
        return False
    k = prev.end
    while k > prev.start and text[k - 1] in _DIGITS and prev.end - k < 2:
        k -= 1
    if k == prev.end:
        return False
    row.start = k
    row.text = text[row.start:row.end]
    prev.end = k
    prev.text = text[prev.start:prev.end]
    prev.parts = [(s, min(e, k)) for s, e in prev.parts if s < k]
    return True


def section_table(title: str) -> str | None:
    """The table a standard section holds (s2 -> t2, s3 -> t3, s4 -> t4), from its heading text.

    >>> section_table("## 三、收到和处理政府信息公开申请情况"), section_table("五、存在的主要问题及改进情况")
    ('t3', None)
    """
    f = fold(title)
    for key, table in TABLE_OF_SECTION.items():
        if key in f:
            return table
    return None


_T4_ONLY = frozenset({"review", "suit", "suit_direct", "suit_after_review", "upheld", "corrected", "pending"})
ROW_MIN_SCORE = 0.55


def split_tables(events: list[Event]) -> dict[str, list[Event]]:
    """Events of each table, by the section they sit in and by what their labels name."""
    out: dict[str, list[Event]] = {"t2": [], "t3": [], "t4": []}
    current: str | None = None
    for ev in events:
        if ev.tag == "SEC":
            current = section_table(ev.text)
            continue
        if ev.tag == "TTL":
            if "第二十条" in fold(ev.text) or current is None:
                current = "t2"
        elif ev.tag == "ROW":
            m = match_row(ev.text)
            if m and m[0].score >= ROW_MIN_SCORE and m[0].table != current:
                if not (current == "t4" and m[0].table == "t3" and m[0].score < 0.9):
                    current = m[0].table
        elif ev.tag == "COL":
            m = match_col(ev.text)
            if m and m[0].score >= 0.8:
                best = m[0]
                if best.key in _T4_ONLY and best.table == "t4":
                    current = "t4"
                elif best.table == "t3" and current not in ("t3", "t4") and best.score >= 0.9:
                    current = "t3" if best.key != "total" else current
                elif best.table == "t2" and best.target.kind == "col" and current != "t2":
                    current = "t2"
        if current is not None:
            out[current].append(ev)
    return out


_CELL = r"(?:[0-9０-９〇]+(?:\.[0-9]+)?(?:万元|元)?|[/—无])"
_CLUSTER = re.compile(rf"{_CELL}(?:[ \t|]*{_CELL})*")
_CELL_RE = re.compile(_CELL)
_SENTENCE = re.compile(r"[。，,；;：:！!？?]")
_COUNTERS = frozenset("件条项个人次年月日号份篇期家%")


def untagged_values(text: str, start: int, end: int) -> list[Event]:
    """The first cluster of values in an untagged stretch, when only a short label remnant precedes it.

    Used for a row (or table 4) whose values the tagger missed entirely: the cluster must hold a
    digit, and what comes before it must be short and no sentence (a damaged header, not prose)::

        >>> [(e.text, e.run) for e in untagged_values("数量0000000二、", 2, 9)]
        [('0000000', True)]
        >>> [e.text for e in untagged_values("尚未审总计000 00 0本年度无", 0, 18)]
        ['000', '00', '0']
        >>> untagged_values("本年度共收到申请,共3件", 0, 12)
        []
    """
    gap = text[start:end]
    m = next((c for c in _CLUSTER.finditer(gap) if any(ch.isdigit() for ch in c.group())), None)
    if m is None:
        return []
    pre = gap[:m.start()].strip()
    if gap[m.end():m.end() + 1] in _COUNTERS or len(pre) > 60 or _SENTENCE.search(pre):
        return []
    line = text.count("\n", 0, start + m.start())
    out = []
    for c in _CELL_RE.finditer(m.group()):
        a, b = start + m.start() + c.start(), start + m.start() + c.end()
        out.append(Event("VAL", a, b, c.group(), line + m.group().count("\n", 0, c.start()),
                         run=is_run_text(c.group()), parts=[(a, b)], rescued=True))
    return out
