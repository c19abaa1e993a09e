"""The ONE place where text becomes token ids: one id per character, whitespace included.

The tagger reads characters, not words: every digit of ``0000000`` is its own
token, and every whitespace character is kept as a reserved token of its kind
(``[NL]`` newline, ``[TAB]`` tab, ``[SP]`` space, ``[NBSP]``, ``[IDSP]``
ideographic space, ``[CR]``, ``[WS]`` any other space, ``[ZW]`` zero-width),
because whitespace IS the layout of a flattened table. A BERT tokenizer would
drop it, so text is never passed through one: ``CharMap.encode`` maps each
character through a plain dict. A ``BertTokenizerFast`` with the same vocabulary
is saved beside it (``save_pretrained``) so that Hugging Face tools can load the
vocabulary and its special tokens.

>>> cm = CharMap.default()
>>> ids = cm.encode("21  0\\t0\\n")
>>> len(ids), ids[2] == ids[3] == cm.token_id("[SP]"), ids[5] == cm.token_id("[TAB]")
(8, True, True)
"""

from __future__ import annotations

import json
import unicodedata
from collections.abc import Iterable, Mapping
from pathlib import Path

import numpy as np

CHARMAP_FILE = "charmap.json"
CHARMAP_SCHEMA = "nianbao.charmap/1"

SPECIAL_TOKENS: tuple[str, ...] = ("[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]")
# One reserved token per whitespace kind; characters not listed here that are
# whitespace (str.isspace) map to [WS].
WHITESPACE_TOKENS: dict[str, str] = {
    "\n": "[NL]",
    "\t": "[TAB]",
    " ": "[SP]",
    "\u00a0": "[NBSP]",
    "\u3000": "[IDSP]",
    "\r": "[CR]",
}
OTHER_SPACE_TOKEN = "[WS]"
ZERO_WIDTH_TOKEN = "[ZW]"
ZERO_WIDTH_CHARS = "\u200b\u200c\u200d\u2060\ufeff"
RESERVED_TOKENS: tuple[str, ...] = (*WHITESPACE_TOKENS.values(), OTHER_SPACE_TOKEN, ZERO_WIDTH_TOKEN)


def _other_spaces() -> list[str]:
    """Whitespace characters without a kind of their own (they all map to ``[WS]``)."""
    return [chr(cp) for cp in range(0x3001) if chr(cp).isspace() and chr(cp) not in WHITESPACE_TOKENS]


def _gb2312_chars() -> list[str]:
    """All characters of GB2312 (6,763 hanzi plus symbols, full-width forms and punctuation).

    >>> chars = _gb2312_chars(); len(chars), "政" in chars
    (7445, True)
    """
    out = []
    for hi in range(0xA1, 0xF8):
        for lo in range(0xA1, 0xFF):
            try:
                out.append(bytes([hi, lo]).decode("gb2312"))
            except UnicodeDecodeError:
                continue
    return out


def default_characters() -> list[str]:
    """The default vocabulary's characters, in a fixed order (no whitespace: that has reserved tokens).

    ASCII printable, Latin-1 punctuation, general punctuation, CJK punctuation
    (U+3001-303F), full-width forms (U+FF01-FF65), enclosed numerals and GB2312.
    """
    ranges = [(0x21, 0x7F), (0xA1, 0x100), (0x2010, 0x2060), (0x2100, 0x2200), (0x2460, 0x2500),
              (0x3001, 0x3040), (0xFF01, 0xFF66)]
    seen: dict[str, None] = {}
    for lo, hi in ranges:
        for cp in range(lo, hi):
            c = chr(cp)
            if unicodedata.category(c)[0] != "C" and not c.isspace():
                seen.setdefault(c, None)
    for c in _gb2312_chars():
        if not c.isspace():
            seen.setdefault(c, None)
    for c in ZERO_WIDTH_CHARS:
        seen.pop(c, None)
    return list(seen)


class CharMap:
    """Character -> id map of a tagger's vocabulary, with whitespace kinds as reserved tokens."""

    def __init__(self, vocab: Mapping[str, int], char_to_id: Mapping[str, int]) -> None:
        self.vocab: dict[str, int] = dict(vocab)  # token string -> id (the tokenizer's vocabulary)
        self.char_to_id: dict[str, int] = dict(char_to_id)
        for tok in (*SPECIAL_TOKENS, *RESERVED_TOKENS):
            if tok not in self.vocab:
                raise ValueError(f"E_CHARMAP: vocabulary lacks the reserved token {tok}")
        for c, tok in WHITESPACE_TOKENS.items():
            if self.char_to_id.get(c) != self.vocab[tok]:
                raise ValueError(f"E_CHARMAP: whitespace {c!r} must map to its reserved token {tok}")
        self.unk_id = self.vocab["[UNK]"]
        self.pad_id = self.vocab["[PAD]"]
        self.cls_id = self.vocab["[CLS]"]
        self.sep_id = self.vocab["[SEP]"]
        self.mask_id = self.vocab["[MASK]"]

    # ------------------------------------------------------------ building
    @classmethod
    def default(cls) -> CharMap:
        """The from-scratch vocabulary: specials, whitespace kinds, then ``default_characters()``."""
        tokens = [*SPECIAL_TOKENS, *RESERVED_TOKENS, *default_characters()]
        vocab = {t: i for i, t in enumerate(tokens)}
        return cls(vocab, _char_ids(vocab))

    @classmethod
    def from_vocab(cls, vocab: Mapping[str, int], whitespace_slots: Mapping[str, int] | None = None) -> CharMap:
        """A char map over an existing (e.g. a Chinese BERT's) vocabulary.

        Single-character tokens map to themselves; uppercase ASCII falls back to
        lowercase where the vocabulary is uncased. Reserved tokens missing from
        ``vocab`` must be given ids in ``whitespace_slots`` (token -> id, e.g. a
        checkpoint's ``[unused1]`` rows, or new rows after resizing embeddings).
        """
        slots = dict(whitespace_slots or {})
        taken = set(slots.values())
        full = {t: i for t, i in vocab.items() if i not in taken}  # an [unusedN] row is renamed, not shared
        full.update(slots)
        return cls(full, _char_ids(full))

    # ------------------------------------------------------------ encoding
    def token_id(self, token: str) -> int:
        """Id of a token string (``[NL]``, ``[CLS]``, ``政``)."""
        return self.vocab[token]

    def encode(self, text: str) -> list[int]:
        """One id per character of ``text``; unknown characters become ``[UNK]``."""
        get, unk = self.char_to_id.get, self.unk_id
        return [get(c, unk) for c in text]

    def encode_array(self, text: str) -> np.ndarray:
        """``encode(text)`` as an int64 array, looked up by code point in one table (same ids).

        >>> cm = CharMap.default()
        >>> text = "政府" + chr(10) + chr(0x1F600)
        >>> cm.encode_array(text).tolist() == cm.encode(text)
        True
        """
        try:
            points = np.frombuffer(text.encode("utf-32-le"), dtype=np.uint32)
        except UnicodeEncodeError:  # a lone surrogate: the dictionary path
            return np.asarray(self.encode(text), dtype=np.int64)
        table = self._table()
        return table[np.minimum(points, len(table) - 1)]

    def _table(self) -> np.ndarray:
        """Id by code point up to the highest mapped one, plus a last ``[UNK]`` slot for every code point above."""
        if getattr(self, "_by_point", None) is None:
            top = max((ord(c) for c in self.char_to_id if len(c) == 1), default=0)
            table = np.full(top + 2, self.unk_id, dtype=np.int64)
            for c, i in self.char_to_id.items():
                if len(c) == 1:
                    table[ord(c)] = i
            self._by_point = table
        return self._by_point

    def unknown_rate(self, text: str) -> float:
        """Share of ``text``'s characters that map to ``[UNK]``."""
        return sum(1 for c in text if c not in self.char_to_id) / max(1, len(text))

    @property
    def size(self) -> int:
        """Number of rows the embedding matrix needs."""
        return max(self.vocab.values()) + 1

    # ------------------------------------------------------------ saving
    def save(self, folder: str | Path) -> None:
        """Write ``charmap.json`` and a ``BertTokenizerFast`` (same vocabulary) into ``folder``."""
        folder = Path(folder)
        folder.mkdir(parents=True, exist_ok=True)
        data = {"schema": CHARMAP_SCHEMA, "vocab": self.vocab,
                "char_to_id": {c: i for c, i in self.char_to_id.items() if self.vocab.get(c) != i}}
        (folder / CHARMAP_FILE).write_text(json.dumps(data, ensure_ascii=False, indent=0), encoding="utf-8")
        hf_tokenizer(self).save_pretrained(str(folder))

    @classmethod
    def load(cls, folder: str | Path) -> CharMap:
        """Read ``charmap.json`` from a model folder."""
        path = Path(folder) / CHARMAP_FILE
        if not path.is_file():
            raise FileNotFoundError(f"E_CHARMAP: {path} missing; a nianbao tagger folder carries its charmap.json")
        data = json.loads(path.read_text(encoding="utf-8"))
        if data.get("schema") != CHARMAP_SCHEMA:
            raise ValueError(f"E_CHARMAP: {path} has schema {data.get('schema')!r}, expected {CHARMAP_SCHEMA}")
        vocab = {t: int(i) for t, i in data["vocab"].items()}
        return cls(vocab, _char_ids(vocab) | {c: int(i) for c, i in data["char_to_id"].items()})


def _char_ids(vocab: Mapping[str, int]) -> dict[str, int]:
    """Char -> id: single-char tokens, whitespace kinds to their reserved tokens, uncased fallback."""
    out = {t: i for t, i in vocab.items() if len(t) == 1 and not t.isspace() and t not in ZERO_WIDTH_CHARS}
    for c, tok in WHITESPACE_TOKENS.items():
        out[c] = vocab[tok]
    for c in _other_spaces():
        out[c] = vocab[OTHER_SPACE_TOKEN]
    for c in ZERO_WIDTH_CHARS:
        out[c] = vocab[ZERO_WIDTH_TOKEN]
    for cp in range(ord("A"), ord("Z") + 1):
        up = chr(cp)
        if up not in out and up.lower() in out:
            out[up] = out[up.lower()]
    return out


def hf_tokenizer(charmap: CharMap):  # noqa: ANN201 - transformers.BertTokenizerFast
    """A ``BertTokenizerFast`` over the char map's vocabulary (built with ``vocab=``, not ``vocab_file=``).

    It knows the vocabulary and special tokens; it is NOT used to encode text
    (it would drop whitespace): ``CharMap.encode`` is.
    """
    # local: transformers costs seconds at start-up
    from transformers import BertTokenizerFast

    return BertTokenizerFast(vocab=dict(charmap.vocab), do_lower_case=False, tokenize_chinese_chars=True,
                             strip_accents=False, additional_special_tokens=list(RESERVED_TOKENS))


def add_reserved_tokens(vocab: Mapping[str, int]) -> dict[str, int]:
    """Ids for the reserved tokens a foreign vocabulary lacks: its ``[unusedN]`` rows, else new rows.

    >>> add_reserved_tokens({"[PAD]": 0, "[unused1]": 1, "[UNK]": 2, "[CLS]": 3, "[SEP]": 4, "[MASK]": 5})["[NL]"]
    1
    """
    have = dict(vocab)
    unused = iter(sorted((i for t, i in have.items() if t.startswith("[unused")), reverse=False))
    next_row = max(have.values()) + 1
    out: dict[str, int] = {}
    for tok in RESERVED_TOKENS:
        if tok in have:
            continue
        slot = next(unused, None)
        if slot is None:
            slot, next_row = next_row, next_row + 1
        out[tok] = slot
    return out


def characters_of(texts: Iterable[str]) -> set[str]:
    """The set of characters occurring in ``texts`` (for coverage reports)."""
    out: set[str] = set()
    for t in texts:
        out.update(t)
    return out
