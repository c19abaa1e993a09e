"""Script normalisation: traditional -> simplified (OpenCC ``t2s``) and pinyin glosses removed.

**Traditional -> simplified.** The result is exactly OpenCC's
(``opencc.OpenCC("t2s")`` from opencc-python-reimplemented; a test compares
them), computed faster: a text without any character that a ``t2s`` entry
changes is returned as is (one set test); OpenCC never converts across a line
break, so a line without a phrase key is converted by a ``str.translate`` with
``TSCharacters`` (what OpenCC does to it, character by character; applied in bulk,
``chartable.CharTable``), and only
lines holding a phrase key go through OpenCC itself. Every entry maps a key
to a value of the same length, so the output has the input's length and the
step's offset map is the identity; should a dictionary ever break that, the
changed line maps as one block onto its source line (coarse, never wrong).

**Pinyin glosses.** Some sites print the reading after a character:
``鎮(zhèn)``, ``開(kāi)``. A gloss is removed when it directly follows a CJK
ideograph and is one pinyin syllable carrying a tone (a tone mark, or a
tone digit 1-5). Unmarked syllables (neutral tone, ``們(men)``) are removed
only in a text that already has at least ``GLOSS_QUORUM`` marked glosses,
since ``(a)`` or ``(an)`` may be real text elsewhere. Anything else in
parentheses is left alone: ``(一)``, ``(2021)``, ``(单位:万元)``, ``(Ⅱ)``.

>>> strip_pinyin("乳山口鎮(zhèn)(一)(单位:万元)")[0]
'乳山口鎮(一)(单位:万元)'
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from functools import cache

import opencc

from nianbao.normalise.chartable import CharTable
from nianbao.offsets import OffsetBuilder, OffsetMap

GLOSS_QUORUM = 3

_TONED = "āáǎàēéěèīíǐìōóǒòūúǔùǖǘǚǜĀÁǍÀĒÉĚÈĪÍǏÌŌÓǑÒŪÚǓÙǕǗǙǛ"
_VOWEL = "aeiouüvAEIOUÜV"
_INITIAL = "(?:[zcsZCS][hH]|[bpmfdtnlgkhjqxrzcsywBPMFDTNLGKHJQXRZCSYW])"
_CODA = "(?:[nN][gG]|[nNrR])"
_TONED_VOWEL = f"(?:[{_TONED}]|[{_VOWEL}][\u0300\u0301\u0304\u030c])"
_CJK = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0003134f"
# a gloss opens with "(" right after a CJK character: the "(" first, then the look back at both, so that
# ``re`` jumps from "(" to "(" instead of trying the pattern at every character (the same matches)
_AFTER_CJK = rf"\((?<=[{_CJK}]\()"
_MARKED = re.compile(
    rf"{_AFTER_CJK}(?:{_INITIAL}?[{_VOWEL}]*{_TONED_VOWEL}[{_VOWEL}]*{_CODA}?"
    rf"|{_INITIAL}?[{_VOWEL}]+{_CODA}?[1-5])\)")
_UNMARKED = re.compile(rf"{_AFTER_CJK}{_INITIAL}?[{_VOWEL}]{{1,3}}{_CODA}?\)")


def strip_pinyin(text: str) -> tuple[str, OffsetMap | None]:
    """Remove pinyin glosses after characters; the map is None when there were none.

    >>> strip_pinyin("開(kāi)展(2021)年")[0]
    '開展(2021)年'
    >>> strip_pinyin("甲(a)乙")[0]
    '甲(a)乙'
    """
    marked = list(_MARKED.finditer(text))
    if not marked:
        return text, None
    spans = [m.span() for m in marked]
    if len(marked) >= GLOSS_QUORUM:
        spans = sorted(set(spans) | {m.span() for m in _UNMARKED.finditer(text)})
    b = OffsetBuilder()
    pos = 0
    for start, end in spans:
        b.keep_run(pos, text[pos:start])
        pos = end
    b.keep_run(pos, text[pos:])
    return b.build(len(text))


@cache
def _opencc():  # noqa: ANN202 - opencc.OpenCC
    return opencc.OpenCC("t2s")


@dataclass(frozen=True)
class _T2S:
    """OpenCC's ``t2s`` data, arranged for speed."""

    translate: CharTable  # TSCharacters: char -> first candidate, where it differs and has one char (``.table``)
    triggers: frozenset[str]  # every character any entry may change
    phrases: re.Pattern[str]  # keys that only OpenCC itself may convert (TSPhrases, odd-length values)
    separators: re.Pattern[str]  # OpenCC's own segment separators: it converts between them, never across


@cache
def _t2s() -> _T2S:
    folder = os.path.join(os.path.dirname(opencc.__file__), "dictionary")
    separators = _opencc().split_chars_re
    table: dict[int, str] = {}
    triggers: set[str] = set()
    slow_keys: set[str] = set()
    for name in ("TSCharacters.txt", "TSPhrases.txt"):
        with open(os.path.join(folder, name), encoding="utf-8") as fh:
            for line in fh:
                key, _, values = line.rstrip("\n").partition("\t")
                candidates = values.split(" ")
                for value in candidates:
                    triggers.update(k for k, v in zip(key, value, strict=False) if k != v)
                    if len(key) != len(value):
                        triggers.update(key)
                first = candidates[0]
                if name == "TSCharacters.txt" and len(key) == 1 and len(first) == 1:
                    if first != key and not separators.fullmatch(key):  # OpenCC never converts a separator
                        table[ord(key)] = first
                else:
                    slow_keys.add(key)
    alternation = "|".join(re.escape(k) for k in sorted(slow_keys, key=len, reverse=True))
    return _T2S(CharTable(table), frozenset(triggers), re.compile(alternation), separators)


def to_simplified(text: str) -> tuple[str, OffsetMap | None]:
    """Traditional -> simplified, exactly as OpenCC ``t2s``; the map is None unless a line changed length.

    OpenCC converts each segment between its separators (whitespace,
    punctuation) on its own, and a segment without any phrase key character
    by character with the first candidate of ``TSCharacters``: that is a
    ``str.translate``. Only segments holding a phrase key go through OpenCC.

    >>> to_simplified("乳山口鎮認真貫徹落實\\n已是简体")
    ('乳山口镇认真贯彻落实\\n已是简体', None)
    """
    t2s = _t2s()
    if t2s.triggers.isdisjoint(text):  # builds set(text) at C speed: most texts stop here
        return text, None
    pieces: list[tuple[int, str, bool]] = []  # (source start, new text, length changed)
    pos = 0
    for m in t2s.phrases.finditer(text):
        if m.start() < pos:
            continue  # inside a line already converted
        a = text.rfind("\n", 0, m.start()) + 1
        b = text.find("\n", m.end())
        b = len(text) if b < 0 else b
        pieces.append((pos, t2s.translate(text[pos:a]), False))
        conv = _convert_line(t2s, text[a:b])
        pieces.append((a, conv, len(conv) != b - a))
        pos = b
    pieces.append((pos, t2s.translate(text[pos:]), False))
    out = "".join(p for _, p, _ in pieces)
    if not any(changed for _, _, changed in pieces):
        return out, None
    builder = OffsetBuilder()  # a line that changed length maps as a block onto its source line
    ends = [start for start, _, _ in pieces[1:]] + [len(text)]
    for (start, piece, changed), end in zip(pieces, ends, strict=True):
        if changed:
            for ch in piece:
                builder.emit(ch, start, end)
        else:
            builder.keep_run(start, piece)
    return builder.build(len(text))


def _convert_line(t2s: _T2S, line: str) -> str:
    """One line holding a phrase key: OpenCC on the segments that hold one, ``translate`` on the rest."""
    parts = t2s.separators.split(line)  # text, separator, text, ... (the pattern captures its separators)
    for i in range(0, len(parts), 2):
        part = parts[i]
        parts[i] = _opencc().convert(part) if t2s.phrases.search(part) else t2s.translate(part)
    return "".join(parts)


@cache
def _opencc_s2t():  # noqa: ANN202 - opencc.OpenCC
    return opencc.OpenCC("s2t")


def to_traditional(text: str) -> str:
    """Simplified -> traditional (OpenCC ``s2t``), for building character sets that cover both scripts.

    >>> to_traditional("政务公开")
    '政務公開'
    """
    return _opencc_s2t().convert(text)
