"""Decoding: raw input bytes -> the original text, or a coded ``StageError``.

Order of decisions (first that applies):

1. too large (``> max_bytes``)                                  -> ``E_TOO_LARGE``
2. no bytes at all                                              -> ``E_EMPTY``
3. a byte-order mark: UTF-8 (stripped), UTF-32, UTF-16          -> that encoding
4. a known binary signature (PDF, ZIP/DOCX, images, gzip...)    -> ``E_BINARY``
5. NUL bytes: UTF-16 without a BOM if one byte order decodes
   to plausible Chinese/ASCII text, else                        -> ``E_BINARY``
6. strict UTF-8 (almost every input)                            -> UTF-8
7. the encodings Chinese sites use, GB18030 (a superset of GBK
   and GB2312) and Big5, each decoded strictly; when both
   decode, the text with more frequent characters wins, and a
   tie goes to charset-normalizer's detection                   -> that encoding
8. none decodes                                                 -> ``E_DECODE``

After decoding, a text with a NUL or more than ``MAX_CONTROL_RATIO``
control characters is ``E_BINARY``, and one that is blank (whitespace and
invisible characters only) is ``E_EMPTY``. A JSONL record arrives already
decoded (``item.text``) and only gets the size, Unicode, binary and empty checks.
"""

from __future__ import annotations

import codecs
import re
from functools import cache

from nianbao.document import Document
from nianbao.errors import StageError
from nianbao.inputs import InputItem
from nianbao.normalise.script import to_traditional
from nianbao.normalise.unicode import invisible_free

STAGE = "decode"
MAX_CONTROL_RATIO = 0.05
CJK_ENCODINGS = ("gb18030", "big5")  # GB18030 decodes GBK and GB2312 too
# Frequent characters of Chinese prose and of these reports (for telling GB18030 from Big5 apart).
COMMON_CHARS = (
    "的一是在不了有和人这中大为上个国我以要他时来用们生到作地于出就分对成会可主发年动同工也能下过子说产种面而方后"
    "多定行学法所民得经十三之进着等部度家电力里如水化高自二理起小物现实加量都两体制机当使点从业本去把性好应开它合还"
    "因由其些然前外天政四日那社义事平形相全表间样与关各重新线内数正心反你明看原又么利比或但质气第向道命此变条只没结"
    "解问意建月公无系军很情者最立代想已通并提直题党程展五果料象员革位入常文总次品式活设及管特件长求老头基资边流路级"
    "少图山统接知较将组见计别她手角期根论运农指几九区强放决西被干做必战先回则任取据处队南给色光门即保治北造百规热领"
    "七海口东导器压志世金增争济阶油思术极交受联什认六共权收证改清己美再采转更单风切打白教速花带安场身车例真务具万每"
    "目至达走积示议声报斗完类八离华名确才科张信马节话米整空元况今集温传土许步群广石记需段研界拉林律叫且究观越织装影"
    "算低持音众书布复容儿须际商非验连断深难近矿千周委素技备半办青省列习响约支般史感劳便团往酸历市克何除消构府称太准"
    "精值号率族维划选标写存候毛亲快效斯院查江型眼王按格养易置派层片始却专状育厂京识适属圆包火住调满县局照参红细引听"
    "该铁价严龙飞申请息予审诉讼复议维持纠尚未结办理镇乡街道政务网站")

_BOMS: tuple[tuple[bytes, str], ...] = (
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF32_LE, "utf-32-le"),
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)
_SIGNATURES: tuple[tuple[bytes, str], ...] = (
    (b"%PDF-", "a PDF file: extract its text layer first (pdftotext -layout)"),
    (b"PK\x03\x04", "a ZIP archive (or DOCX/XLSX): extract the document text first"),
    (b"\xd0\xcf\x11\xe0", "an old Office document (DOC/XLS): convert it to text first"),
    (b"\x1f\x8b", "gzip data: only .jsonl.gz inputs are decompressed"),
    (b"\x89PNG", "a PNG image"),
    (b"\xff\xd8\xff", "a JPEG image"),
    (b"GIF8", "a GIF image"),
    (b"\x7fELF", "an executable"),
)
_SURROGATE = re.compile("[\ud800-\udfff]")
_CONTROL = re.compile("[\x00-\x08\x0e-\x1f\x7f-\x84\x86-\x9f]")  # not \t \n \v \f \r, not NEL (U+0085)


def decode_item(item: InputItem, doc: Document, max_bytes: int) -> Document:
    """Set ``doc.text`` to the decoded input (and ``doc.kind``); raise ``StageError`` when it cannot be."""
    if item.text is not None:
        size = len(item.data) if item.data is not None else len(item.text.encode("utf-8", "surrogatepass"))
        _check_size(size, max_bytes)
        text = item.text
        bad = _SURROGATE.search(text)
        if bad is not None:
            raise StageError("E_DECODE", STAGE, f"the text holds an unpaired surrogate (U+{ord(bad.group()):04X}) at "
                             f"character {bad.start()}: not valid Unicode; fix the producer of this record")
    elif item.data is not None:
        _check_size(len(item.data), max_bytes)
        text = decode_bytes(item.data)
    else:
        raise StageError("E_READ", STAGE, "the input carries neither bytes nor text (a reader bug: please report it)")
    check_text(text)
    doc.text = text
    doc.kind = item.kind
    return doc


def _check_size(size: int, max_bytes: int) -> None:
    if size > max_bytes:
        raise StageError("E_TOO_LARGE", STAGE, f"input is {size:,} bytes, over the {max_bytes:,}-byte limit; "
                         "split it or raise PipelineConfig.max_bytes")


def decode_bytes(data: bytes) -> str:
    """Decode raw bytes by the rules in the module docstring.

    >>> decode_bytes("报告".encode("gbk")), decode_bytes(codecs.BOM_UTF8 + "报告".encode())
    ('报告', '报告')
    """
    if not data:
        raise StageError("E_EMPTY", STAGE, "the input is empty (0 bytes)")
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            try:
                return data[len(bom):].decode(encoding)
            except UnicodeDecodeError as exc:
                raise StageError("E_DECODE", STAGE, f"starts with a {encoding} byte-order mark but is not "
                                 f"valid {encoding} at byte {exc.start + len(bom)}") from None
    for signature, what in _SIGNATURES:
        if data.startswith(signature):
            raise StageError("E_BINARY", STAGE, f"binary input: {what}")
    if b"\x00" in data:
        text = _utf16_without_bom(data)
        if text is None:
            raise StageError("E_BINARY", STAGE, f"binary input: {data.count(0)} NUL bytes and not UTF-16 text "
                             "(not a text file)")
        return text
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        utf8_error = exc
    decoded = {}
    for encoding in CJK_ENCODINGS:
        try:
            decoded[encoding] = data.decode(encoding)
        except UnicodeDecodeError:
            continue
    if not decoded:
        raise StageError("E_DECODE", STAGE, f"not UTF-8 (invalid byte at {utf8_error.start}), UTF-16 with a BOM, "
                         "GB18030/GBK/GB2312 or Big5: re-encode the file as UTF-8")
    return decoded[pick_encoding(data, decoded)]


def pick_encoding(data: bytes, decoded: dict[str, str]) -> str:
    """Choose among strict decodings: the one whose text reads most like Chinese prose, ties to charset-normalizer.

    Short GBK snippets are often valid Big5 too, and charset-normalizer alone
    guesses Big5 for them; the share of frequent characters decides first.

    >>> data = "政府信息公开".encode("gbk")
    >>> pick_encoding(data, {e: data.decode(e) for e in CJK_ENCODINGS})
    'gb18030'
    """
    if len(decoded) == 1:
        return next(iter(decoded))
    scores = {enc: common_share(text) for enc, text in decoded.items()}
    top = max(scores.values())
    leaders = [enc for enc in CJK_ENCODINGS if enc in scores and scores[enc] == top]
    if len(leaders) == 1:
        return leaders[0]
    from charset_normalizer import from_bytes  # local: only ties between GB18030 and Big5 need it

    best = from_bytes(data, cp_isolation=leaders).best()
    return best.encoding if best is not None and best.encoding in leaders else leaders[0]


def common_share(text: str) -> float:
    """Share of CJK characters in ``text`` that are frequent in these reports (simplified or traditional).

    >>> common_share("政府信息"), common_share("惆豢")
    (1.0, 0.0)
    """
    common = _common_chars()
    cjk = [ch for ch in text[:20_000] if "\u3400" <= ch <= "\u9fff"]  # a sample decides
    return sum(ch in common for ch in cjk) / len(cjk) if cjk else 0.0


@cache
def _common_chars() -> frozenset[str]:
    return frozenset(COMMON_CHARS) | frozenset(to_traditional(COMMON_CHARS))


def _utf16_without_bom(data: bytes) -> str | None:
    """UTF-16 text that lost its BOM: the byte order whose text is plausible Chinese/ASCII; else None.

    >>> _utf16_without_bom("一、年报2021".encode("utf-16-le")), _utf16_without_bom(b"ab\\x00\\x00cd")
    ('一、年报2021', None)
    """
    if len(data) % 2:
        return None
    best, best_share = None, 0.0
    for encoding in ("utf-16-le", "utf-16-be"):
        try:
            text = data.decode(encoding)
        except UnicodeDecodeError:
            continue
        share = plausible_share(text)
        if share > best_share:
            best, best_share = text, share
    return best if best_share >= 0.9 else None


def plausible_share(text: str) -> float:
    """Share of characters that a Chinese report is made of: CJK, CJK punctuation, printable ASCII, layout.

    >>> plausible_share("一、年报 2021\\n"), plausible_share("\\u4e09\\u0900\\u0a00\\u0b00")
    (1.0, 0.25)
    """
    if not text:
        return 0.0
    ok = sum(1 for ch in text if " " <= ch <= "~" or ch in "\t\n\r" or "\u3000" <= ch <= "\u9fff"
             or "\uff00" <= ch <= "\uffef")
    return ok / len(text)


def control_ratio(text: str) -> float:
    """Share of control characters (not tab/newline/CR/FF/VT) in ``text``.

    >>> control_ratio("ab\\x00\\x01")
    0.5
    """
    if not text:
        return 0.0
    if _CONTROL.search(text) is None:  # the common case, at regex speed
        return 0.0
    return len(_CONTROL.findall(text)) / len(text)


def check_text(text: str) -> None:
    """Raise ``E_BINARY`` for text made of control characters and ``E_EMPTY`` for blank text."""
    if "\x00" in text:
        raise StageError("E_BINARY", STAGE, "the text contains NUL characters: binary data, not a report")
    ratio = control_ratio(text)
    if ratio > MAX_CONTROL_RATIO:
        raise StageError("E_BINARY", STAGE, f"{ratio:.0%} of the characters are control characters: "
                         "binary data, not a report")
    if not invisible_free(text).strip():
        raise StageError("E_EMPTY", STAGE, f"the input holds no visible text ({len(text)} whitespace or "
                         "invisible characters)")
