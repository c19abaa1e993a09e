"""Unicode cleanup: spaces, full-width forms, radical look-alikes, invisible characters.

Two passes, so that the common case costs one ``str.translate``:

1. ``_special``: the few changes that alter the length (``\\r\\n`` -> ``\\n``,
   invisible characters deleted, ``㈠`` -> ``(一)``), built with an offset map
   only when such a character occurs;
2. ``_TABLE``: one-for-one replacements (identity offset map), applied in bulk (``chartable.CharTable``): every space
   kind -> ``" "``; line/page separators -> ``"\\n"``; full-width ASCII
   (``０``, ``（``, ``：``, ``，``, ``｜``) -> ASCII; minus/hyphen variants ->
   ``-``; Kangxi radicals, CJK compatibility ideographs and radical
   look-alikes (``⼀`` -> ``一``, ``⻓`` -> ``长``) -> the unified ideograph.

Newlines and tabs are kept exactly (whitespace is layout: a tab separates
cells, a newline rows). Left alone on purpose: ``、 。 “ ” 《 》 〔 〕 【 】``
(Chinese punctuation that labels print), ``—`` (a blank-cell mark, kept as
printed), ``①`` (a list marker, not the digit 1) and ``〇`` (a digit the rule
layer reads).

>>> clean_unicode("（一）\\u3000１２，３４５：\\u2f00")[0]
'(一) 12,345:一'
"""

from __future__ import annotations

import re
import unicodedata

from nianbao.normalise.chartable import CharTable
from nianbao.offsets import OffsetBuilder, OffsetMap


def _build_table() -> dict[int, str]:
    table: dict[int, str] = {}
    for cp in (0x00A0, 0x1680, *range(0x2000, 0x200B), 0x202F, 0x205F, 0x3000):
        table[cp] = " "
    for cp in (0x0B, 0x0C, 0x85, 0x2028, 0x2029):
        table[cp] = "\n"
    for cp in range(0xFF01, 0xFF5F):  # full-width ASCII
        table[cp] = chr(cp - 0xFEE0)
    for cp in (0x2010, 0x2011, 0x2212, 0xFE63):  # hyphens and the minus sign
        table[cp] = "-"
    ranges = (range(0x2F00, 0x2FD6), range(0x2E80, 0x2EF4), range(0xF900, 0xFB00), range(0x2F800, 0x2FA20),
              range(0xFE10, 0xFE1A), range(0xFE30, 0xFE50), range(0xFE50, 0xFE6C))
    for r in ranges:  # Kangxi radicals, compatibility ideographs, small/vertical forms
        for cp in r:
            ch = chr(cp)
            nf = unicodedata.normalize("NFKC", ch)
            if len(nf) == 1 and nf != ch and not nf.isspace():
                table[cp] = nf
    table.update({ord(a): b for a, b in RADICAL_LOOKALIKES.items()})
    return table


# CJK Radicals Supplement forms drawn exactly like a standalone character (NFKC leaves them alone).
RADICAL_LOOKALIKES: dict[str, str] = dict(zip(
    "⺠⻓⻅⻔⻢⻋⻆⻇⻜⻚⻛⻰⻤⻄⻉⻙⻨⻩⻬⻮⻦⻥⻣⻘⻧⻑⻱⻪⺩⺝⺞⺛⺒⺓⺊⺋⺽⻃",
    "民长见门马车角角飞页风龙鬼西贝韦麦黄齐齿鸟鱼骨青卤長龜黾王月歹旡巳幺卜卩臼襾", strict=True))

_TABLE = _build_table()
_TRANSLATE = CharTable(_TABLE)

# Length-changing characters: deleted invisibles and multi-character expansions.
_DELETE = ("\u00ad\u180e\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u2069\ufe00-\ufe0f\ufeff"
           "\x00-\x08\x0e-\x1f\x7f\x80-\x84\x86-\x9f")
_EXPAND: dict[str, str] = {}
for _cp in (*range(0x3220, 0x322A), *range(0x2474, 0x2488), *range(0x2488, 0x249C)):  # ㈠ ⑴ ⒈
    _EXPAND[chr(_cp)] = unicodedata.normalize("NFKC", chr(_cp))
_SPECIAL_RE = re.compile("\r\n?|[" + _DELETE + "]+|[" + "".join(_EXPAND) + "]")


def _special(text: str) -> tuple[str, OffsetMap | None]:
    """The length-changing pass; ``None`` map when nothing changed (the common case).

    >>> _special("a\\r\\nb\\u200bc㈡")[0]
    'a\\nbc(二)'
    """
    if _SPECIAL_RE.search(text) is None:
        return text, None
    b = OffsetBuilder()
    pos = 0
    for m in _SPECIAL_RE.finditer(text):
        b.keep_run(pos, text[pos:m.start()])
        s = m.group()
        if s[0] == "\r":
            b.emit("\n", m.start(), m.end())  # "\r\n" (both characters) or a lone "\r" -> "\n"
        elif s in _EXPAND:
            b.keep(m.start(), _EXPAND[s], m.end())
        pos = m.end()
    b.keep_run(pos, text[pos:])
    return b.build(len(text))


def clean_unicode(text: str) -> tuple[str, OffsetMap | None]:
    """Clean one text; returns the new text and its map to ``text`` (None = identity)."""
    text2, m = _special(text)
    return _TRANSLATE(text2), m


def invisible_free(text: str) -> str:
    """``text`` without the characters that cleanup deletes (to test for empty input).

    >>> invisible_free("\\ufeff\\u200b ")
    ' '
    """
    return re.sub("[" + _DELETE + "]+", "", text)
