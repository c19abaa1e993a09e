"""Adversarial documents for the cost bounds of the rule layer (issue: bounded cost per document).

Each maker takes a synthetic report (``generate_one``) and returns a text the ordinary generator never
writes but crawls do: table 3's glued runs with the report's own sums broken, whole rows glued onto
their labels with no separator, hundreds of table-like rows, a megabyte of digits, the table titles
repeated fifty times, one table after another. The same ``(seed, index, kind)`` always gives the same
text. They carry no gold values (their arithmetic is broken on purpose): they test that a document
parses within its search budgets to exactly one record, never what it reads.

>>> a = make_adversarial(5, 0, "broken_sums")
>>> a.kind, a.text == make_adversarial(5, 0, "broken_sums").text
('broken_sums', True)
"""

from __future__ import annotations

import random
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from nianbao.training.synth_corpus import generate_one

T3_HEAD = "三、收到和处理政府信息公开申请情况"
T4_HEAD = "四、政府信息公开行政复议"
T2_HEAD = "二、主动公开政府信息情况"
_RUN = re.compile(r"\d{6,}")
GLUED_STYLES = ("glued_lines", "crawl")


@dataclass(frozen=True)
class Adversarial:
    """One adversarial text: its name, kind and the synthetic report it was made from."""

    name: str
    kind: str
    base: str
    text: str


def _base(seed: int, index: int, style: str = "glued_lines") -> tuple[str, str]:
    doc = generate_one(seed, index, style)
    return doc.name, doc.text


def _t3_bounds(text: str) -> tuple[int, int]:
    i = text.find(T3_HEAD)
    j = text.find(T4_HEAD, max(i, 0))
    if i < 0:
        i = len(text) // 3
    if j < 0:
        j = min(len(text), i + 3000)
    return i, j


def _perturb(rng: random.Random) -> Callable[[re.Match[str]], str]:
    def sub(m: re.Match[str]) -> str:
        s = list(m.group(0))
        k = rng.randrange(len(s))
        s[k] = str((int(s[k]) + rng.randint(1, 9)) % 10)
        if k == 0 and s[0] == "0" and len(s) > 1:
            s[0] = str(rng.randint(1, 9))
        return "".join(s)
    return sub


def _glued(text: str) -> str:
    """Cells separated by single spaces (a crawled page) glued into one digit run per row."""
    return re.sub(r"(?<=\d)[ \t](?=\d)", "", text)


def broken_sums(rng: random.Random, text: str) -> str:
    """Table 3's rows glued into one digit run each, each run with one digit changed: the report's own row
    and column sums do not hold."""
    i, j = _t3_bounds(text)
    return text[:i] + _RUN.sub(_perturb(rng), _glued(text[i:j])) + text[j:]


def glued_rows(rng: random.Random, text: str) -> str:
    """Every table-3 row label glued onto its digits with no separator, blank lines gone, sums broken."""
    i, j = _t3_bounds(text)
    seg = _RUN.sub(_perturb(rng), _glued(text[i:j]))
    seg = re.sub(r"\n\s*\n", "\n", seg)
    seg = re.sub(r"\n(?=\d)", "", seg)
    return text[:i] + seg + text[j:]


def many_rows(rng: random.Random, text: str, rows: int = 300) -> str:
    """Hundreds of table-like rows (row labels of table 3 with glued runs) inside table 3."""
    i, j = _t3_bounds(text)
    labels = re.findall(r"(?m)^[（(一二三四五六七1-9][^\n]{1,30}$", text[i:j]) or ["(一)予以公开"]
    lines = []
    for _ in range(rows):
        digits = "".join(str(rng.randint(0, 9)) for _ in range(rng.randint(7, 14)))
        lines.append(f"{rng.choice(labels)}\n\n{digits.lstrip('0') or '0'}\n")
    return text[:j] + "\n".join(lines) + text[j:]


def digits_mb(rng: random.Random, text: str, size: int = 1_000_000) -> str:
    """A megabyte of digits in one run inside table 3."""
    i, j = _t3_bounds(text)
    blob = "".join(rng.choice("0123456789") for _ in range(size))
    return text[:j] + "\n" + blob + "\n" + text[j:]


def titles_x50(rng: random.Random, text: str) -> str:
    """The three table titles repeated fifty times, each with a broken glued row after it."""
    parts = []
    for _ in range(50):
        for head in (T2_HEAD, T3_HEAD, T4_HEAD):
            digits = "".join(str(rng.randint(0, 9)) for _ in range(rng.randint(7, 15)))
            parts.append(f"{head}\n\n{digits}\n")
    i, _ = _t3_bounds(text)
    return text[:i] + "\n".join(parts) + text[i:]


def table_chain(rng: random.Random, text: str, copies: int = 12) -> str:
    """One table after another: table 3 printed again and again, each copy's sums broken differently."""
    i, j = _t3_bounds(text)
    copies_text = "".join(_RUN.sub(_perturb(rng), _glued(text[i:j])) for _ in range(copies))
    return text[:i] + copies_text + text[j:]


KINDS: dict[str, Callable[[random.Random, str], str]] = {
    "broken_sums": broken_sums, "glued_rows": glued_rows, "many_rows": many_rows, "digits_mb": digits_mb,
    "titles_x50": titles_x50, "table_chain": table_chain,
}
STRESS_KINDS = ("broken_sums", "glued_rows", "many_rows", "titles_x50", "table_chain")  # <= ~20k characters


def make_adversarial(seed: int, index: int, kind: str, style: str = "glued_lines") -> Adversarial:
    """The adversarial text of ``kind`` made from synthetic report ``(seed, index)`` of ``style``."""
    base, text = _base(seed, index, style)
    rng = random.Random(f"adv:{seed}:{index}:{kind}")
    return Adversarial(f"adv-{kind}-{base}", kind, base, KINDS[kind](rng, text))


def iter_stress(seed: int, per_kind: int, kinds: tuple[str, ...] = STRESS_KINDS) -> Iterator[Adversarial]:
    """``per_kind`` adversarial texts of every kind, from glued-style reports (both glued styles in turn)."""
    for kind in kinds:
        for i in range(per_kind):
            yield make_adversarial(seed, i, kind, GLUED_STYLES[i % len(GLUED_STYLES)])
