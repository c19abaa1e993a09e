"""Report metadata (``meta.org/year/title/date`` of ``fields.yaml``) from the normalised text.

Where each value comes from, first that applies:

- **title**: the first title line before the first section (a line ending in 报告 that names
  年度报告 or 信息公开, no sentence punctuation, no breadcrumb), as printed in the original
  text; else a ``名称:``/``标题:`` header value; absent when neither exists (never guessed).
- **date**: the page's ``发布时间``/``发布日期``/``发文日期``/``成文日期`` header value, else a bare
  date(-time) line in the page header (``2024-01-10 11:02:31`` under the title), else the date
  under the signature. A date damaged by the crawl (``2020120``) is not a date: absent.
- **org**: the name the title gives the reporting body (the text around the year) where it reads as an
  agency, else the signature's agency line (just above its date, or the last line), else the
  ``发布机构`` header value (often blank or the parent government: it only fills a gap). Title and
  signature naming one body in a short and a full form (``区行政审批局`` / ``平潭综合实验区行政审批局``,
  ``石桥镇`` / ``石桥镇人民政府``) give the full form; a one-character slip (``财政全融局``) or a different
  body (a renamed agency still signing with its old name) gives the title's.
- **url**: a crawler header's ``原文链接:`` value (into ``Document.url``, not meta); ``本地目录:`` and
  the other crawler header lines are header lines, never a title or an org.
- **year**: the year in the title (or the ``名称`` header), else the year the body mentions
  most (``YYYY年``, the reported year, not the publication year), else the year before the
  publication date (reports come out in the first months of the next year; a date after
  June counts for its own year).

>>> doc = Document(norm_text="某乡2021年政府信息公开工作年度报告\\n一、总体情况\\n正文。\\n"
...                          "        某乡人民政府\\n        2022年1月5日")
>>> extract_meta(doc).meta
Meta(org='某乡人民政府', year=2021, title='某乡2021年政府信息公开工作年度报告', date='2022-01-05')
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

from nianbao.document import Document, Meta
from nianbao.normalise.unicode import invisible_free

_CN_DIGIT = {c: i for i, c in enumerate("〇一二三四五六七八九")} | {"零": 0, "○": 0, "O": 0, "Ｏ": 0, "0": 0}
_DATE_NUM = re.compile(r"(?<!\d)((?:19|20)\d{2})\s*([-/.年])\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})(?!\d)\s*(日?)")
_DATE_CN = re.compile(r"([〇零○OＯ0一二三四五六七八九]{4})\s*年\s*([一二三四五六七八九十]{1,3})\s*月\s*"
                      r"([一二三四五六七八九十]{1,3})\s*日")
_YEAR_IN_TITLE = re.compile(r"(?<!\d)((?:19|20)\d{2})(?!\d)")
_YEAR_BODY = re.compile(r"(?<![\d.\-/])(20\d{2})\s*年")
_YEAR_BARE = re.compile(r"(?<![\d.\-/〔\[(])(20\d{2})(?=[,，、\s]*[\u4e00-\u9fff])")
_DATE_LINE = re.compile(r"^\s*(?:(?:19|20)\d{2}\s*[-/.年]\s*\d{1,2}\s*[-/.月]\s*\d{1,2}\s*日?"
                        r"(?:\s+\d{1,2}:\d{2}(?::\d{2})?)?|[〇零○OＯ0一二三四五六七八九]{4}\s*年.{1,8}日)\s*$")
_DAMAGED_DATE_LINE = re.compile(r"^\s*(?:19|20)\d{2}[\d年月日\s]{1,8}\s*$")
_SENTENCE = re.compile(r"[。，,；;！？!?:：、]")
ORG_SUFFIXES = ("人民政府", "政府", "办公室", "办公厅", "办事处", "委员会", "管委会", "局", "厅", "委", "院", "署",
                "中心", "镇", "乡", "街道", "公司", "所", "站", "队", "部", "会", "处", "科", "馆", "社", "区", "县",
                "市", "省", "室", "办", "组")
HEADER_KEYS = ("索引号", "文号", "发文日期", "发布机构", "是否有效", "名称", "标题", "内容概述", "发布时间", "发布日期",
               "成文日期", "生成日期", "来源", "字体", "字号", "主题分类", "发文机关", "信息来源", "公开方式", "公开范围",
               "所属机构", "发布单位", "有效性", "主题词", "信息分类", "文件编号", "公开时限", "浏览次数", "阅读数",
               "发布人", "责任部门", "体裁分类", "组配分类", "服务对象", "关键词",
               # a crawler's own header block (标题/发布时间/文号/发布机构 above, and these)
               "原文链接", "本地目录", "栏目")
_HEADER_KEY = re.compile("(" + "|".join(r"\s*".join(k) for k in sorted(HEADER_KEYS, key=len, reverse=True))
                         + r")\s*[:：]")
DATE_KEYS = ("发布时间", "发布日期", "发文日期", "成文日期")
HEADER_LINES = 40


def cn_year(text: str) -> int:
    """A year written with Chinese digits.

    >>> cn_year("二〇二一"), cn_year("二零二〇")
    (2021, 2020)
    """
    return int("".join(str(_CN_DIGIT[c]) for c in text))


def cn_small(text: str) -> int:
    """A month or day written with Chinese numerals (一..三十一).

    >>> cn_small("十二"), cn_small("二十八"), cn_small("五")
    (12, 28, 5)
    """
    if "十" not in text:
        return _CN_DIGIT[text]
    tens, _, ones = text.partition("十")
    return (_CN_DIGIT[tens] if tens else 1) * 10 + (_CN_DIGIT[ones] if ones else 0)


def _iso(y: int, m: int, d: int) -> str | None:
    try:
        return date(y, m, d).isoformat()
    except ValueError:
        return None


def parse_date(text: str) -> str | None:
    """The first complete date in ``text`` as ISO 8601; damaged dates give None.

    >>> parse_date("发布时间: 2020-01-23 09:31"), parse_date("2021年12月28日")
    ('2020-01-23', '2021-12-28')
    >>> parse_date("二〇二二年一月十日"), parse_date("2020120"), parse_date("2021年12月2")
    ('2022-01-10', None, None)
    """
    for m in _DATE_NUM.finditer(text):
        if m.group(2) == "年" and not m.group(5):
            continue  # 年/月 without 日: a date the crawl cut short
        iso = _iso(int(m.group(1)), int(m.group(3)), int(m.group(4)))
        if iso:
            return iso
    mc = _DATE_CN.search(text)
    if mc:
        return _iso(cn_year(mc.group(1)), cn_small(mc.group(2)), cn_small(mc.group(3)))
    return None


# ----------------------------------------------------------------- lines
def lines_of(text: str, start: int = 0, end: int | None = None) -> list[tuple[int, str]]:
    """(offset, line) for each line of ``text[start:end]`` (offsets into ``text``)."""
    out, pos = [], start
    for line in text[start:end].split("\n"):
        out.append((pos, line))
        pos += len(line) + 1
    return out


def is_org_line(line: str) -> bool:
    """Whether a (stripped) line reads like an agency's name in a signature.

    >>> is_org_line("高峰乡人民政府"), is_org_line("本年度无需要说明事项。"), is_org_line("2021年12月28日")
    (True, False, False)
    """
    s = line.strip()
    return (2 <= len(s) <= 40 and not _SENTENCE.search(s) and not any(c.isdigit() for c in s)
            and s.endswith(ORG_SUFFIXES))


@dataclass
class Signature:
    """The signature block: where it starts, the agency line and the date under it (if readable)."""

    start: int
    org: str | None
    date: str | None


def _in_spans(pos: int, spans: list[tuple[int, int]]) -> bool:
    return any(a <= pos < b for a, b in spans)


def _furniture(line: str) -> bool:
    """A line that may follow a signature: page numbers, links, counters (short, not a sentence).

    >>> _furniture("-4-"), _furniture("上一篇:无"), _furniture("本年度未产生信息处理费。")
    (True, True, False)
    """
    s = line.strip()
    return len(s) <= 40 and "。" not in s and not s.endswith(("事项", "情况"))


SIGNATURE_WINDOW = 8
_PAGE_NUMBER = re.compile(r"^\s*(?:[-—]\s*\d{1,3}\s*[-—]|第\s*\d{1,3}\s*页.{0,6})\s*$")
_ORG_ALT = "|".join(sorted(ORG_SUFFIXES, key=len, reverse=True))
_INLINE_SIG = re.compile(
    rf"(?:[。；;!！]|\s{{2,}})\s*([^\s。，,；;:：、\d]{{2,30}}?(?:{_ORG_ALT}))"
    rf"(?:\s*((?:19|20)\d{{2}}[-/.年]\d{{1,2}}[-/.月]\d{{1,2}}日?|[〇零○OＯ0一二三四五六七八九]{{4}}年[一二三四五六七八九十]{{1,3}}月"
    rf"[一二三四五六七八九十]{{1,3}}日|\d{{5,8}}))?(?=\s|$)")
INLINE_WINDOW = 200


def find_signature(text: str, after: int = 0, boilerplate: list[tuple[int, int]] | None = None) -> Signature | None:
    """The signature at the end of the report (agency line and/or date line), or None.

    It is the lowest agency line (with the date line under it, if any) among the last lines,
    followed by nothing but page furniture (page numbers, links, site footer).

    >>> find_signature("正文。\\n\\n  梭戛乡人民政府\\n\\n  2020120")
    Signature(start=7, org='梭戛乡人民政府', date=None)
    >>> find_signature("正文。\\n某县人民政府\\n2022年1月29日\\n-8-\\n上一篇:无").date
    '2022-01-29'
    """
    skip = boilerplate or []
    tail = [(p, ln) for p, ln in lines_of(text, after)
            if ln.strip() and not _in_spans(p + len(ln) - len(ln.lstrip()), skip)][-SIGNATURE_WINDOW:]
    found = _line_signature(tail)
    if found is None and tail:
        p, ln = tail[-1]
        return inline_signature(text, max(p, p + len(ln) - INLINE_WINDOW))
    return found


def _line_signature(tail: list[tuple[int, str]]) -> Signature | None:
    """The signature among the last non-empty lines (an agency line, the date line under it)."""

    def lead(p: int, ln: str) -> int:
        return p + len(ln) - len(ln.lstrip())

    for k in range(len(tail) - 1, -1, -1):
        p, ln = tail[k]
        is_date = bool(_DATE_LINE.match(ln) or _DAMAGED_DATE_LINE.match(ln))
        j = k - 1
        while is_date and j > 0 and _PAGE_NUMBER.match(tail[j][1]):
            j -= 1  # a page break between the agency and its date
        if is_date and j >= 0 and is_org_line(tail[j][1]):
            q, org = tail[j]
            return Signature(lead(q, org), org.strip(), parse_date(ln))
        if is_date:
            return Signature(lead(p, ln), None, parse_date(ln))
        if is_org_line(ln):
            return Signature(lead(p, ln), ln.strip(), None)
        if not _furniture(ln):
            return None
    return None


def inline_signature(text: str, start: int) -> Signature | None:
    """A signature glued into the last line of a crawl: ``...处理费。  某县人民政府 2022-02-11 相关链接``.

    >>> t = "本年度未收取信息处理费。  玉湾县人民政府 2022-02-11 相关链接"
    >>> inline_signature(t, 0)
    Signature(start=14, org='玉湾县人民政府', date='2022-02-11')
    """
    found = None
    for m in _INLINE_SIG.finditer(text, start):
        found = m
    if found is None:
        return None
    return Signature(found.start(1), found.group(1), parse_date(found.group(2) or ""))


def signature_start(text: str, after: int = 0, boilerplate: list[tuple[int, int]] | None = None) -> int | None:
    """Where the signature block starts (None when there is none)."""
    sig = find_signature(text, after, boilerplate)
    return sig.start if sig else None


# ----------------------------------------------------------------- header and title
def header_fields(text: str, limit: int) -> dict[str, str]:
    """``key: value`` pairs of a page header (索引号/发布机构/发布时间...) before ``limit``.

    A value runs to the next key or the line end; an empty value may stand on the next line.

    >>> header_fields("发布机构: 是否有效:\\n发布时间: 2020-01-23 09:31", 100)
    {'发布机构': '', '是否有效': '', '发布时间': '2020-01-23 09:31'}
    """
    out: dict[str, str] = {}
    head = text[:limit]
    matches = list(_HEADER_KEY.finditer(head))
    for k, m in enumerate(matches):
        key = re.sub(r"\s+", "", m.group(1))
        stop = head.find("\n", m.end())
        stop = len(head) if stop < 0 else stop
        if k + 1 < len(matches):
            stop = min(stop, matches[k + 1].start())
        value = head[m.end():stop].strip()
        if not value and stop < len(head) and head[stop] == "\n":
            nxt = head[stop + 1:].split("\n", 1)[0].strip()
            if nxt and len(nxt) <= 40 and not _HEADER_KEY.match(nxt):
                value = nxt
        out.setdefault(key, value)
    return out


def is_title_line(line: str) -> bool:
    """Whether a stripped line reads like the report's title (not a breadcrumb, not a sentence).

    >>> is_title_line("白玉县人民政府办公室2023年政府信息公开工作年度报告")
    True
    >>> is_title_line("关于做好2019年度政府信息公开工作年度报告编写工作的通知")
    False
    """
    s = line.strip()
    return (8 <= len(s) <= 100 and s.endswith("报告") and ("年度报告" in s or "信息公开" in s or "政务公开" in s)
            and "。" not in s and not s.startswith(("根据", "按照", "现将", "本报告"))
            and not any(m in s for m in ("|", ">", "›", "首页", "当前位置")))


def find_title(text: str, limit: int) -> list[tuple[int, int]]:
    """Spans of the first title before ``limit`` (``#``/``*`` marks and indent excluded): one line, or two
    where the title wraps — the agency's name on a line of its own above a line that starts with the year
    (``淮安市洪泽区人民政府`` / ``2024 年政府信息公开工作年度报告``, as PDF text layers print it), or a
    first line that only the next one completes into a title. Empty when there is none.

    >>> t = "淮安市某区人民政府\\n2024 年政府信息公开工作年度报告\\n一、总体情况"
    >>> ["".join(t[a:b] for a, b in find_title(t, len(t)))]
    ['淮安市某区人民政府2024 年政府信息公开工作年度报告']
    """
    rows = []
    for p, ln in lines_of(text, 0, limit)[:HEADER_LINES]:
        s = ln.strip().strip("#*").strip()
        rows.append((p + ln.index(s) if s else p, s))
    for k, (a, s) in enumerate(rows):
        if not s or _HEADER_KEY.match(s):
            continue
        nxt = rows[k + 1] if k + 1 < len(rows) else (a, "")
        if is_title_line(s):
            prev = rows[k - 1][1] if k else ""
            if prev and s[:1].isdigit() and is_org_line(prev) and not _HEADER_KEY.match(prev):
                return [(rows[k - 1][0], rows[k - 1][0] + len(prev)), (a, a + len(s))]
            return [(a, a + len(s))]
        if nxt[1] and len(nxt[1]) <= 20 and is_title_line(s + nxt[1]) and not is_title_line(nxt[1]):
            return [(a, a + len(s)), (nxt[0], nxt[0] + len(nxt[1]))]
    return []


def year_of(text: str) -> int | None:
    """The year a title names (first plausible four-digit year).

    >>> year_of("平顶山高新技术产业开发区遵化店镇 2023 年政府信息公开工作年度报告")
    2023
    """
    for m in _YEAR_IN_TITLE.finditer(text):
        y = int(m.group(1))
        if 2000 <= y <= 2040:
            return y
    return None


def body_year(text: str) -> int | None:
    """The year the body mentions most as ``YYYY年`` (ties: the first mentioned); failing that, as a
    bare year opening a clause (the crawl dropped its 年: ``2022，在上级部门的指导下``).

    >>> body_year("2020 年,我镇公开信息22条。2020年未收到申请。2021年将继续。"), body_year("2022，我局未发生")
    (2020, 2022)
    >>> body_year("2020，在上级部门的指导下...2021年，本机关将重点做好")
    2020
    """
    counts: dict[int, float] = {}
    first: dict[int, int] = {}
    for pattern in (_YEAR_BODY, _YEAR_BARE):
        for m in pattern.finditer(text):
            y = int(m.group(1))
            if 2000 <= y <= 2040:
                plan = "将" in text[m.end():m.end() + 12]  # 2021年,本机关将...: next year's plans
                counts[y] = counts.get(y, 0) + (0.5 if plan else 1.0)
                first[y] = min(first.get(y, m.start()), m.start())
    if not counts:
        return None
    return max(counts, key=lambda y: (counts[y], -first[y]))


def year_before(iso: str) -> int:
    """The year a report published on ``iso`` covers: the previous year up to June, else the same year.

    >>> year_before("2026-01-18"), year_before("2021-12-28")
    (2025, 2021)
    """
    y, m = int(iso[:4]), int(iso[5:7])
    return y - 1 if m <= 6 else y


_TITLE_TAIL = re.compile(r"(?:关于)?(?:政府信息公开|政务公开|信息公开).*$")


def org_from_title(title: str) -> str | None:
    """The agency as the title names it: the text before the year, else between year and 政府信息公开.

    >>> org_from_title("高峰乡2021年政府信息公开工作年度报告"), org_from_title("某县人民政府关于2021年政府信息公开工作的年度报告")
    ('高峰乡', '某县人民政府')
    >>> org_from_title("2021年某市教育局政府信息公开工作年度报告")
    '某市教育局'
    """
    t = "".join(title.split())
    m = re.search(r"(?<!\d)(?:19|20)\d{2}年?度?", t)
    before, after = (t[:m.start()], t[m.end():]) if m else ("", t)
    before = before.removesuffix("关于")
    if before:
        return before
    org = _TITLE_TAIL.sub("", after)
    return org or None


# ----------------------------------------------------------------- the stage
def _header_limit(doc: Document) -> int:
    """End of the page header: the first section heading, else the first 40 lines."""
    if doc.sections:
        return doc.sections[0].start
    lines = lines_of(doc.norm_text)
    return lines[min(len(lines), HEADER_LINES) - 1][0] if lines else 0


def _page_date_line(text: str, limit: int) -> str | None:
    """A bare date(-time) line in the page header (the page's publication time)."""
    for _, ln in lines_of(text, 0, limit)[:HEADER_LINES]:
        if _DATE_LINE.match(ln):
            iso = parse_date(ln)
            if iso:
                return iso
    return None


def extract_meta(doc: Document) -> Document:
    """Set ``doc.meta`` (org, year, title, date) from title, header, body and signature."""
    text = doc.norm_text
    limit = _header_limit(doc)
    header = header_fields(text, limit)
    spans = find_title(text, limit)
    title = norm_title = None
    if spans:
        norm_title = "".join(text[a:b] for a, b in spans)
        title = "".join(invisible_free(doc.text[slice(*doc.to_source(a, b))]).strip() for a, b in spans) \
            if doc.text else norm_title
    else:
        norm_title = next((header[k] for k in ("标题", "名称") if is_title_line(header.get(k, ""))), None)
        title = norm_title
    after = doc.sections[-1].start if doc.sections else 0
    sig = find_signature(text, after, doc.boilerplate)

    page_date = next((d for k in DATE_KEYS if (d := parse_date(header.get(k, "")))), None)
    page_date = page_date or _page_date_line(text, limit)
    pub = header.get("发布机构", "")
    publisher = pub if pub and not _HEADER_KEY.match(pub) and is_org_line(pub) else None

    year = year_of(norm_title) if norm_title else None
    if year is None:
        body_start = doc.sections[0].start if doc.sections else 0
        body_end = sig.start if sig else len(text)
        year = body_year(text[body_start:body_end]) or body_year(text[:body_end])
    date = page_date or (sig.date if sig else None)
    if year is None and date is not None:
        year = year_before(date)
    org = choose_org(org_from_title(norm_title) if norm_title else None, sig.org if sig else None, publisher)
    doc.meta = Meta(org=org, year=year, title=title, date=date)
    link = header.get("原文链接", "").split()
    if not doc.url and link and re.match(r"https?://", link[0]):
        doc.url = link[0]
    return doc


def same_body(a: str, b: str) -> bool:
    """Whether two names are one body: one holds the other, or they differ by one slip of the pen.

    >>> same_body("区行政审批局", "平潭综合实验区行政审批局"), same_body("财政全融局", "财政金融局"), same_body("公安局", "财政局")
    (True, True, False)
    """
    if a in b or b in a:
        return True
    return len(a) == len(b) >= 4 and sum(x != y for x, y in zip(a, b, strict=True)) == 1


def choose_org(title_org: str | None, sig_org: str | None, publisher: str | None) -> str | None:
    """One name for the reporting body from the title's name, the signature's and the 发布机构 header.

    >>> choose_org("平潭综合实验区行政审批局", "区行政审批局", None), choose_org("石桥镇", "石桥镇人民政府", None)
    ('平潭综合实验区行政审批局', '石桥镇人民政府')
    >>> choose_org("平潭综合实验区投资促进局", "平潭综合实验区国有资产管理局", "平潭综合实验区管委会")
    '平潭综合实验区投资促进局'
    """
    t = title_org if title_org and is_org_line(title_org) else None
    if t and sig_org:
        if sig_org in t or t in sig_org:
            return max(t, sig_org, key=len)
        return t
    return t or sig_org or publisher or title_org
