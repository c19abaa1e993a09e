"""The rules-only reader (``nianbao parse --no-model``): tags the normalised text with rules alone.

It produces the same tag spans as the model (``labels/TAGS.md``), so the rule layer reads
both the same way; ``doc.char_probs`` stays None.

1. **SEC**: the standard headings (``sections.find_headings``).
2. **TTL/ROW/COL**: the template's vocabulary (``lexicon``) searched in a squeezed view of the
   text, so labels split by spaces, line breaks or a PDF wrap still match; numbering
   (``一、`` ``(一)`` ``1.``) and a printed remark (``(单位:万元)``) belong to the label. A label
   is kept only where it stands like a cell (bounded by whitespace, ``|``, digits or another
   label, never inside prose) and in a *table zone*: a chain of labels with no prose between
   them that holds at least one distinctive label (a table title, ``本年新收政府信息公开申请数量``,
   ``结果维持``...). Labels the crawl damaged are then searched fuzzily inside the zones.
3. **VAL/BLANK** (``value_areas``): between a label and the next one, every cell-like number or mark
   (``0``, ``8.3万元``, ``-1``, ``/``, ``—``, ``无``) is a VAL; a digit run glued without
   separators (``0000000``, ``521000053``) is ONE VAL (the table stage splits it); runs split by
   spaces are several. Where cells are separated by ``|`` or tabs, an empty cell's closing
   separator is a BLANK, once the row's expected cell count is known (7 in table 3, 15 in
   table 4, 1 or 3 in table 2): empties beyond it are padding (trailing first, then the
   empty cell a spanning label leaves), TAGS.md decision 4.

The input styles it reads (``labels.gold.STYLES``), shown as normalised text::

    pipe_cells      "   规章  | \\n     0  | \\n   \\n  | "          one cell per line; "|" of an empty cell = BLANK
    glued_lines     "规章\\n\\n000\\n\\n行政规范性文件\\n\\n202"        "000" is one VAL
    tsv_markdown    "规章\\t0\\t\\t0"                             second tab = BLANK
    pipe_lines      "规章 | 0 | 0 | 0 | |"                       last "|" is padding
    markdown_table  "| 规章 | 0 |  | 0 |"                        row-opening "|" is not a cell
    pdf_layout      "(二)部分公开(区分处理的,只计这一    0   0\\n情形,不计其他情形)"   label in two ROW pieces
    pdf_raw         "本年制发件数\\n0\\n0\\n规章\\n行政规范性文件"       values first, labels after
    crawl           "申请数量521000053二、上年结转"                 digits between two labels: one VAL

>>> t = "二、主动公开政府信息情况\\n第二十条第(一)项\\n信息内容\\t本年制发件数\\t本年废止件数\\t现行有效件数\\n规章\\t0\\t\\t5\\n"
>>> [(s.tag, t[s.start:s.end]) for s in read_tags(t)][-5:]
[('COL', '现行有效件数'), ('ROW', '规章'), ('VAL', '0'), ('BLANK', '\\t'), ('VAL', '5')]
"""

from __future__ import annotations

import re
from functools import lru_cache

from nianbao.document import Document, TagSpan
from nianbao.rules.construct import tag_span
from nianbao.rules.lexicon import ENTRIES, Entry, Match, fold, raw_matches, remark_end, resolve, squeeze
from nianbao.rules.sections import Heading, find_headings
from nianbao.rules.template import TTL_RE, template_from_text
from nianbao.rules.value_areas import (
    CHUNK_RE,
    LAYOUT_RE,
    UNIT_RE,
    Item,
    is_value,
    read_values,
)

MD_RULE_RE = re.compile(r"^[ \t]*\|?(?:[ \t]*:?-{3,}:?[ \t]*\|)+(?:[ \t]*:?-{3,}:?[ \t]*)?[ \t]*$", re.M)
SENTENCE_PUNCT = frozenset("。；！？;!?,，")
LEFT_PUNCT = frozenset("。；;:：!！?？")
MARK_CHARS = frozenset("/\\-—–―─无〇")
PROSE_CHARS = 12
TTL_ENTRY = Entry("TTL", "ttl", "第二十条", anchor=True)
ALL_KEYS = frozenset(e.key for e in ENTRIES)


def _left_ok(text: str, i: int, ends: set[int]) -> bool:
    if i == 0 or i in ends:
        return True
    c = text[i - 1]
    return c.isspace() or c in "|*#" or c.isdigit() or c in MARK_CHARS or c in LEFT_PUNCT


def _right_ok(text: str, j: int, starts: set[int]) -> bool:
    if j >= len(text) or j in starts:
        return True
    c = text[j]
    return c.isspace() or c in "|*" or c.isdigit() or c in MARK_CHARS


def cell_like(matches: list[Match], text: str, fixed: list[Item]) -> list[Match]:
    """Labels that stand like table cells: bounded by layout, digits or other labels, never by prose."""
    keep = list(matches)
    for _ in range(3):
        starts = {m.start for m in keep} | {f.start for f in fixed}
        ends = {m.end for m in keep} | {f.end for f in fixed}
        nxt = [m for m in keep if _left_ok(text, m.start, ends) and _right_ok(text, m.end, starts)]
        if len(nxt) == len(keep):
            break
        keep = nxt
    return keep


def is_prose(gap: str) -> bool:
    """Whether the text between two labels is prose (so the labels belong to different zones).

    >>> is_prose("  | \\n   0  | \\n"), is_prose("本年度未收到政府信息公开申请。")
    (False, True)
    """
    return _short_prose(gap) if len(gap) <= 64 else _prose(gap)  # the short gaps between cells repeat


@lru_cache(maxsize=1 << 14)
def _short_prose(gap: str) -> bool:
    return _prose(gap)


def _prose(gap: str) -> bool:
    other = "".join(c for c in CHUNK_RE.findall(gap)
                    if not is_value(c) and not LAYOUT_RE.fullmatch(c) and fold(c) not in FRAGMENTS)
    return len(other) >= PROSE_CHARS or any(ch in SENTENCE_PUNCT for ch in other)


def chains(items: list[Item], text: str) -> list[list[Item]]:
    """Labels grouped into runs with no heading and no prose between neighbours."""
    out: list[list[Item]] = []
    cur: list[Item] = []
    for it in items:
        if it.tag == "SEC":
            if cur:
                out.append(cur)
            cur = []
            continue
        if cur and is_prose(text[cur[-1].end:it.start]):
            out.append(cur)
            cur = []
        cur.append(it)
    if cur:
        out.append(cur)
    return out


def find_labels(text: str, heads: list[Heading]) -> list[Item]:
    """Accepted TTL/ROW/COL labels in table zones, in text order."""
    sec = [(h.start, h.end) for h in heads]
    sec = [(a, remark_end(text, b, len(text))) for a, b in sec]  # a remark after a heading: not a label
    ttl = [Item(m.start(), m.end(), "TTL", TTL_ENTRY) for m in TTL_RE.finditer(text)
           if not any(m.start() < b and a < m.end() for a, b in sec)]
    fixed = ttl + [Item(a, b, "SEC") for a, b in sec]
    blocked = bytearray(len(text) + 1)
    for a, b in sec + [(t.start, t.end) for t in ttl]:
        blocked[a:b] = b"\x01" * (b - a)
    view = squeeze(text)
    matches = [m for m in raw_matches(text, view) if 1 not in blocked[m.start:m.end]]
    zones = _zones(text, matches, fixed)
    if zones:  # labels the crawl damaged, searched where the tables are
        damaged = [m for a, b in _zone_extents(zones, heads, len(text))
                   for m in raw_matches(text, view, a, b, fuzzy_for=ALL_KEYS) if 1 not in blocked[m.start:m.end]]
        if damaged:  # else the zones stand as found
            zones = _zones(text, matches + damaged, fixed)
    out = [it for z in zones for it in z]
    return _split_wrapped(out, text)


def _zones(text: str, matches: list[Match], fixed: list[Item]) -> list[list[Item]]:
    labels = cell_like(resolve(matches, text), text, fixed)
    items = sorted([Item(m.start, m.end, m.entry.kind, m.entry) for m in labels] + fixed,
                   key=lambda i: (i.start, i.end))
    # a zone needs a distinctive label; a table title alone (cited in prose) is not a table
    return [z for z in chains(items, text) if any(i.anchor for i in z) and not (len(z) == 1 and z[0].tag == "TTL")]


def _zone_extents(zones: list[list[Item]], heads: list[Heading], n: int) -> list[tuple[int, int]]:
    """Where to search damaged labels: the whole section around each zone (heading to heading).

    >>> z = [[Item(40, 44, "ROW")], [Item(50, 52, "ROW")]]
    >>> _zone_extents(z, [Heading("s2", 10, 20, 1.0), Heading("s3", 60, 70, 1.0)], 99)
    [(20, 60)]
    """
    out: list[tuple[int, int]] = []
    for z in zones:
        a = max((h.end for h in heads if h.end <= z[0].start), default=0)
        b = min((h.start for h in heads if h.start >= z[-1].end), default=n)
        if out and a < out[-1][1]:
            out[-1] = (out[-1][0], max(b, out[-1][1]))
        else:
            out.append((a, b))
    return out


def _split_wrapped(items: list[Item], text: str) -> list[Item]:
    """Cut labels whose span holds value cells (a PDF row label wrapped around its values) into pieces."""
    out: list[Item] = []
    for it in items:
        chunks = list(CHUNK_RE.finditer(text, it.start, it.end))
        if not any(is_value(c.group()) and c.group()[0].isdigit() for c in chunks):
            out.append(it)
            continue
        piece: list[re.Match[str]] = []
        for c in chunks + [None]:
            if c is None or (is_value(c.group()) and c.group()[0].isdigit()):
                if piece:
                    out.append(Item(piece[0].start(), piece[-1].end(), it.tag, it.entry))
                piece = []
            else:
                piece.append(c)
    return out


# ----------------------------------------------------------------- values and blanks
def _fragment_kinds() -> dict[str, frozenset[str]]:
    """Every piece (2+ characters) of every label, mapped to the kinds of the labels it occurs in."""
    kinds: dict[str, set[str]] = {}
    for e in ENTRIES:
        for i in range(len(e.core)):
            for j in range(i + 2, len(e.core) + 1):
                kinds.setdefault(e.core[i:j], set()).add(e.kind)
    return {frag: frozenset(ks) for frag, ks in kinds.items()}


FRAGMENTS = _fragment_kinds()


def _fragment_kind(chunk: str, prev: str) -> str | None:
    """The kind of a label piece, or None; a piece of both row labels and headers takes ``prev``'s kind."""
    kinds = FRAGMENTS.get(fold(chunk))
    if not kinds or is_value(chunk):
        return None
    if len(kinds) == 1:
        return next(iter(kinds))
    return prev if prev in kinds else None


def read_fragments(text: str, zone: list[Item], limit: int) -> list[Item]:
    """Pieces of labels that a PDF layout printed apart from the rest (``商业`` ... ``企业`` on the next line),
    between the zone's labels and in its tail (until the first chunk that is neither a piece nor a value).

    >>> t = "规章  0\\n商业  科研\\n企业  机构\\n行政规范性文件  0\\n结果  维持\\n0  0\\n说明。"
    >>> z = [Item(0, 2, "ROW"), Item(20, 27, "COL")]
    >>> [(i.tag, t[i.start:i.end]) for i in read_fragments(t, z, len(t))]
    [('COL', '商业'), ('COL', '科研'), ('COL', '企业'), ('COL', '机构'), ('COL', '结果'), ('COL', '维持')]
    """
    out: list[Item] = []
    for k, it in enumerate(zone):
        tail = k + 1 == len(zone)
        prev = it.tag
        for c in CHUNK_RE.finditer(text, it.end, limit if tail else zone[k + 1].start):
            kind = _fragment_kind(c.group(), prev)
            if kind is not None:
                out.append(Item(c.start(), c.end(), kind))
                prev = kind
            elif tail and not (is_value(c.group()) or UNIT_RE.fullmatch(c.group()) or LAYOUT_RE.fullmatch(c.group())):
                break
    return out


def is_markdown(text: str) -> bool:
    """Whether ``|`` rows open with a ``|`` (markdown tables) rather than end with one.

    >>> is_markdown("| 规章 | 0 |\\n| 行政规范性文件 | 0 |"), is_markdown("   规章  | \\n  | ")
    (True, False)
    """
    lines = [ln for ln in text.split("\n") if ln.count("|") >= 2]
    opened = sum(1 for ln in lines if ln.lstrip().startswith("|"))
    return bool(lines) and opened * 2 >= len(lines)


def read_tags(text: str) -> list[TagSpan]:
    """All tags of one normalised text, sorted by position."""
    heads = find_headings(text)
    tags = [tag_span(h.start, h.end, "SEC") for h in heads]
    work = MD_RULE_RE.sub(lambda m: " " * len(m.group()), text)
    # a label running into a heading (``结果维持(二、主动公开…``) is no label: tags never overlap
    labels = [i for i in find_labels(work, heads) if not any(h.start < i.end and i.start < h.end for h in heads)]
    if not labels:
        return tags
    markdown = is_markdown(work)
    template = template_from_text(text) or "v2021"
    tags += [tag_span(i.start, i.end, i.tag) for i in labels]
    starts = sorted([h.start for h in heads] + [i.start for i in labels])
    for zone in _group(labels, work, heads):
        limit = next((s for s in starts if s >= zone[-1].end), len(text))
        frags = read_fragments(work, zone, limit)
        tags += [tag_span(i.start, i.end, i.tag) for i in frags]
        tags += read_values(work, sorted(zone + frags, key=lambda i: i.start), limit, template, markdown)
    return sorted(tags, key=lambda t: (t.start, t.end))


def _group(labels: list[Item], text: str, heads: list[Heading]) -> list[list[Item]]:
    """The accepted labels regrouped into their zones (a heading or prose ends a zone)."""
    items = sorted(labels + [Item(h.start, h.end, "SEC") for h in heads], key=lambda i: (i.start, i.end))
    return chains(items, text)


class RuleReader:
    """The rules-only tagger: ``tag(docs)`` sets ``doc.tags`` on each document; no probabilities."""

    name = "rules"

    def tag(self, docs: list[Document]) -> list[Document]:
        """Tag each document's normalised text in place; documents that already failed are skipped."""
        for doc in docs:
            if doc.status == "error":
                continue
            doc.tags = read_tags(doc.norm_text)
            doc.char_probs = None
        return docs
