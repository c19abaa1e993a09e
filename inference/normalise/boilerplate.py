"""Site boilerplate (navigation, share buttons, page counters) marked as spans of the normalised text.

Nothing is deleted: later stages skip the spans (a page counter such as
``阅读数: 22次`` must never be read as a table value) while the offsets of
everything else stay untouched. Patterns work on the *normalised* text
(half-width ``:``), and come in three kinds:

- **whole lines** made only of site furniture: ``首页``, ``收藏``, ``打印``,
  ``分享:``, ``字号:大 中 小``, ``温馨提示:``, ``【打印】【关闭】``, the
  WeChat share hint (``打开微信,点击底部的“发现”,使用“扫一扫”...``);
- **runs of two or more share/view tokens** inside a line, as crawls glue
  them: ``微信 微博 QQ空间 全真版 文字版``;
- **labelled counters and breadcrumbs** anywhere: ``阅读数: 22次`` (label and
  count), ``当前位置: 首页 > 政务公开 > 年报`` (label and trail), and the bare
  labels ``来源:`` / ``字号:`` (their values, such as the publishing office,
  are kept for the metadata stage).

The date line and ``发布时间:``/``发布机构:`` are metadata, never boilerplate.

>>> text = "首页\\n某县2023年政府信息公开工作年度报告\\n阅读数:\\n31次\\n字号:\\n一、总体情况"
>>> [text[a:b] for a, b in find_boilerplate(text)]
['首页', '阅读数:\\n31次', '字号:']
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# Tokens that are site furniture wherever they stand alone on a line or in a run of such tokens.
TOKENS = (
    "首页", "网站首页", "返回首页", "收藏", "打印", "打印本页", "关闭", "关闭窗口", "关闭本页", "分享", "分享到",
    "分享到朋友圈", "扫一扫", "微信", "微博", "QQ空间", "QQ", "朋友圈", "新浪微博", "腾讯微博", "微信扫一扫",
    "手机扫一扫", "返回顶部", "返回", "顶部", "上一篇", "下一篇", "全真版", "文字版", "文件下载", "相关链接",
    "相关附件", "【大】", "【中】", "【小】", "[大]", "[中]", "[小]", "【打印】", "【关闭】", "【收藏】", "[打印]",
    "[关闭]", "[收藏]", "-->", "<!--", "无障碍", "长者模式", "字号", "字体",
)
_TOK = "(?:" + "|".join(re.escape(t) for t in sorted(TOKENS, key=len, reverse=True)) + ")(?:[ \t]*:)?"
_SP = "[ \t]"
_TOKEN_RUN = rf"{_TOK}(?:{_SP}+{_TOK})+(?=[ \t]|$)"  # two or more tokens, a space or the line's end after
_BREADCRUMB = "当前位置|您当前的位置|您的位置|你的位置|您所在的位置|当前页面"
_COUNTER = "阅读数|阅读次数|阅读量|浏览次数|浏览量|浏览数|访问量|访问次数|点击数|点击量|点击率"

PATTERNS: tuple[re.Pattern[str], ...] = (
    # a whole line of furniture tokens (one or more)
    re.compile(rf"^{_SP}*{_TOK}(?:{_SP}*{_TOK})*{_SP}*$", re.M),
    # a run of at least two tokens inside a line, bounded by spaces or the line's ends
    re.compile(rf"(?:(?<=[ \t])|^){_TOKEN_RUN}", re.M),
    # page counters: label and count (the count possibly on the next line); without a colon, a whole line
    re.compile(rf"(?:{_COUNTER})[ \t]*:[ \t]*(?:\n[ \t]*)?(?:\d+[ \t]*次?)?"),
    re.compile(rf"^[ \t]*(?:{_COUNTER})[ \t]*(?:\d+[ \t]*次?)?[ \t]*$", re.M),
    # breadcrumb: label and the trail (parts joined by > or »)
    re.compile(rf"(?:{_BREADCRUMB})[ \t]*:[ \t]*"
               r"(?:[^\s>»]+(?:[ \t]*[>»][ \t]*[^\s>»]+)*[ \t]*[>»]?)?"),
    # bare labels whose values are kept
    re.compile(r"(?:来源|信息来源|字号|字体|分享到|分享)[ \t]*:(?:[ \t]*(?:大[ \t]*中[ \t]*小|[【\[]?[ \t]*大[ \t]*[】\]]?"
               r"[ \t]*[【\[]?[ \t]*中[ \t]*[】\]]?[ \t]*[【\[]?[ \t]*小[ \t]*[】\]]?|T[ \t]*\|[ \t]*T))?"),
    # the share / login hints
    re.compile(r"^[^\n]{0,40}(?:扫一扫|朋友圈)[^\n]{0,40}(?:分享|朋友圈)[^\n]{0,40}$", re.M),
    re.compile(r"^[ \t]*温馨提示[ \t]*:?[ \t]*$", re.M),
    re.compile(r"^[ \t]*请[^\n]{0,12}登录[^\n]{0,16}$", re.M),
)


@dataclass(frozen=True)
class _Search:
    """How ``find_boilerplate`` runs one of ``PATTERNS`` (same matches, less work)."""

    pattern: re.Pattern[str]
    needles: tuple[str, ...] = ()  # it cannot match unless one of these occurs in the text (none: always run)
    left: str | None = None  # run without its left boundary: the character before a match must be one of these


# PATTERNS in the order they are searched: a pattern whose words are absent is not run, and the token run's
# left boundary (a lookbehind tried at every character) is checked on the matches instead
_SEARCHES = (
    _Search(PATTERNS[0]),
    _Search(re.compile(_TOKEN_RUN, re.M), left=" \t\n"),
    _Search(PATTERNS[2], tuple(_COUNTER.split("|"))),
    _Search(PATTERNS[3], tuple(_COUNTER.split("|"))),
    _Search(PATTERNS[4], tuple(_BREADCRUMB.split("|"))),
    _Search(PATTERNS[5], ("来源", "字号", "字体", "分享")),
    _Search(PATTERNS[6], ("扫一扫", "朋友圈")),
    _Search(PATTERNS[7], ("温馨提示",)),
    _Search(PATTERNS[8], ("登录",)),
)


def find_boilerplate(text: str) -> list[tuple[int, int]]:
    """Sorted, merged ``(start, end)`` spans of boilerplate in a normalised text (whitespace trimmed)."""
    spans: list[tuple[int, int]] = []
    for search in _SEARCHES:
        if search.needles and not any(n in text for n in search.needles):
            continue
        for a, b in _matches(search, text):
            a, b = _trim(text, a, b)
            if a < b:
                spans.append((a, b))
    return merge_spans(spans)


def _matches(search: _Search, text: str) -> list[tuple[int, int]]:
    """The spans ``finditer`` gives, the left boundary checked here: the leftmost match whose boundary holds,
    then the next from its end, as the lookbehind would have it."""
    if search.left is None:
        return [m.span() for m in search.pattern.finditer(text)]
    out: list[tuple[int, int]] = []
    pos = 0
    while (m := search.pattern.search(text, pos)) is not None:
        a = m.start()
        if a == 0 or text[a - 1] in search.left:
            out.append((a, m.end()))
            pos = m.end()
        else:
            pos = a + 1
    return out


def _trim(text: str, a: int, b: int) -> tuple[int, int]:
    while a < b and text[a].isspace():
        a += 1
    while b > a and text[b - 1].isspace():
        b -= 1
    return a, b


def merge_spans(spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """Sort spans and merge those that overlap or touch.

    >>> merge_spans([(5, 7), (0, 2), (2, 3), (6, 9)])
    [(0, 3), (5, 9)]
    """
    out: list[tuple[int, int]] = []
    for a, b in sorted(spans):
        if out and a <= out[-1][1]:
            out[-1] = (out[-1][0], max(out[-1][1], b))
        else:
            out.append((a, b))
    return out
