"""Which of a document's windows hold only prose, so the tagger can leave them untagged.

A report's prose (总体情况, 存在的主要问题, …) fills about half of its windows, and the
model tags nothing there. A character is a *candidate* when something the network must see
could be there: a short line (cells one per line, headings, titles), a line holding a tab, a
``|`` or a run of two spaces (tables laid out with separators or spaces), a number standing
alone between spaces (``0``, ``/``), a run of six or more digits (glued cells), a numbered
heading and the words after it (``五、存在的主要问题…``, also right after a table's last
number), or a word of the tables' own vocabulary (row labels, column headers, table
titles). Candidates are widened by ``MARGIN`` characters on each side (a row label beside
its glued digits), and a window is tagged when it holds one.

Why a skipped window cannot change what the rules read: a candidate character's
probabilities are the tent-weighted mean over the windows that cover it, and every window
that covers a candidate is tagged, so those probabilities are exactly the full run's.
Only characters far from any candidate change: a character covered by no tagged window
reads as ``O`` with probability 1, one also covered by a tagged window takes that window's
logits alone. The release report's records, compared with and without the skip
(``evaluation/skip_check.py``), show where that would have mattered.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

import numpy as np

from nianbao.tagger.decode import BLOCK_ENDS, before_decoration

MARGIN = 96  # characters a table candidate is widened by on each side (row labels, headers, titles)
HEADING_REACH = 30  # characters after a heading's number that may still be its words

# words only the three tables use: column headers, result rows, titles (prose rarely holds them)
TABLE_WORDS = (
    "自然人", "商业企业", "科研机构", "社会公益", "法律服务", "其他组织", "总计", "尚未审结", "其他结果",
    "未经复议", "复议后起诉", "第二十条", "第二十一条", "本年新收", "上年结转", "结转下年", "予以公开",
    "部分公开", "不予公开", "无法提供", "不予处理", "其他处理", "本年制发", "本年废止", "现行有效件数",
    "处理决定数量", "信息内容", "采购总金额",
)
# words of the six section headings, for a heading printed without its number
SECTION_WORDS = ("总体情况", "主动公开政府信息", "收到和处理", "行政复议", "存在的主要问题", "其他需要报告")

# the characters the table cues are made of, named once: the cue pattern and its guard are built from them
SEPARATORS = "|\t"
SPACES = " \u3000\xa0"
DIGITS = "0123456789０１２３４５６７８９"
NUMBER_CHARS = DIGITS + "./／-—"


def _chars(chars: str) -> str:
    """A character class of exactly ``chars``."""
    return f"[{re.escape(chars)}]"


TABLE_CUE = re.compile(
    _chars(SEPARATORS)  # cells split by separators
    + "|" + _chars(SPACES) + r"{2,}\S"  # cells laid out with spaces
    + r"|(?<![^\s|])" + _chars(NUMBER_CHARS) + r"+(?![^\s|])"  # a number standing alone (between spaces or line ends)
    + "|" + _chars(DIGITS) + "{5,}"  # glued cells
    + "|" + "|".join(re.escape(w) for w in TABLE_WORDS)
)
# every character a TABLE_CUE match can begin with: each alternative's first characters, from the same names
CUE_STARTS = SEPARATORS + SPACES + NUMBER_CHARS + "".join(dict.fromkeys(w[0] for w in TABLE_WORDS))
# TABLE_CUE behind a look at the character first: the same matches (a position no alternative can begin at
# fails either way), but ``re`` tries the alternatives only where one can begin, not at every character
# (its own first-character skip does not cover this alternation): a third of the time
GUARDED_CUE = re.compile(f"(?={_chars(CUE_STARTS)})(?:{TABLE_CUE.pattern})")
HEADING_CUE = re.compile(r"[一二三四五六七八九十]+[、.．]")
# a short line (1 to 24 characters) that holds a section's words
SECTION_LINE = re.compile(r"(?m)^(?=[^\n]{1,24}$)(?=[^\n]*(?:" + "|".join(SECTION_WORDS) + "))[^\n]*")


def _heading_at(text: str, pos: int) -> bool:
    """Whether a heading number at ``pos`` may begin a block: at least where ``decode.starts_block`` says so
    (a ``|`` or any digit before it also counts here), since the decoder keeps no other ``SEC``."""
    i = before_decoration(text, pos)
    return i < 0 or text[i] in "\n\r|" or text[i] in BLOCK_ENDS or text[i].isdigit()


def candidate_mask(text: str, margin: int = MARGIN) -> np.ndarray:
    """A bool per character of ``text``: whether it is a candidate or within ``margin`` of one.

    >>> m = candidate_mask("本报告所列数据的统计期限为全年。" * 3 + "\\n总计 3 0", margin=2)
    >>> bool(m[:40].any()), bool(m[-3:].all())
    (False, True)
    """
    n = len(text)
    spans = [(m.start() - margin, m.end() + margin) for m in GUARDED_CUE.finditer(text)]
    spans += [(m.start(), m.end() + HEADING_REACH) for m in HEADING_CUE.finditer(text) if _heading_at(text, m.start())]
    spans += [m.span() for m in SECTION_LINE.finditer(text)]
    if not spans:
        return np.zeros(n, dtype=bool)
    at = np.clip(np.asarray(spans, dtype=np.int64), 0, n)
    marks = np.bincount(at[:, 0], minlength=n + 1) - np.bincount(at[:, 1], minlength=n + 1)  # +1 opens, -1 closes
    return np.cumsum(marks[:-1]) > 0


def needed_windows(text: str, windows: Sequence[tuple[int, int]], margin: int = MARGIN) -> list[bool]:
    """Whether each ``(start, end)`` window of ``text`` holds a candidate character (see the module docstring).

    >>> text = "全年工作平稳有序。" * 20 + "\\n一、总体情况\\n"
    >>> needed_windows(text, [(0, 60), (60, 120), (120, len(text))], margin=4)
    [False, False, True]
    """
    mask = candidate_mask(text, margin)
    seen = np.concatenate(([0], np.cumsum(mask, dtype=np.int64)))
    return [bool(seen[e] > seen[s]) for s, e in windows]
