"""Agency identity: the key that ties one agency's reports across years, and duplicate recognition.

The series key is the site and the page's folder in the URL where one is known (a renamed agency keeps
its folder), else the normalised agency name (short and full forms of one body folded to the name
without its region prefix).
"""

from __future__ import annotations

import re
import unicodedata
from typing import Any
from urllib.parse import urlsplit

_DATE_DIR = re.compile(r"^(?:19|20)\d{2}(?:0[1-9]|1[0-2])(?:\d{2})?$")
_SPACE = re.compile(r"\s+")


def folder_key(url: str) -> str | None:
    """``host/folder`` of a report page's URL: the file name and a trailing date folder dropped.

    >>> folder_key("https://www.pingtan.gov.cn/zwgk/a/ptzhsyqhzs/zfxxgknb/202201/t20220119_80609.htm")
    'www.pingtan.gov.cn/zwgk/a/ptzhsyqhzs/zfxxgknb'
    >>> folder_key("not a url") is None
    True
    """
    parts = urlsplit(url.strip())
    if not parts.netloc:
        return None
    segs = [s for s in parts.path.split("/") if s]
    if segs and "." in segs[-1]:
        segs = segs[:-1]
    while segs and _DATE_DIR.match(segs[-1]):
        segs = segs[:-1]
    return "/".join([parts.netloc.lower(), *segs])


def norm_name(name: str) -> str:
    """An agency name folded for comparison: NFKC, no spaces or brackets.

    >>> norm_name(" 平潭综合实验区 行政审批局（本级）")
    '平潭综合实验区行政审批局本级'
    """
    s = unicodedata.normalize("NFKC", name)
    return _SPACE.sub("", re.sub(r"[()（）【】\[\]]", "", s))


def series_key(record: dict[str, Any]) -> str | None:
    """The key that groups one agency's reports: ``url:host/folder`` where the URL is known, else
    ``org:<normalised name>``; None for a record with neither.

    >>> series_key({"url": "https://x.gov.cn/a/b/202101/t1.htm", "meta": {"org": "某局"}})
    'url:x.gov.cn/a/b'
    >>> series_key({"meta": {"org": "某县 人民政府"}})
    'org:某县人民政府'
    """
    url = record.get("url")
    if url:
        key = folder_key(url)
        if key:
            return "url:" + key
    org = (record.get("meta") or {}).get("org")
    return "org:" + norm_name(org) if org else None


def content_signature(record: dict[str, Any]) -> tuple[Any, ...]:
    """What makes two records the same report: template, year and every field value."""
    fields = record.get("fields") or {}
    return (record.get("template"), (record.get("meta") or {}).get("year"),
            tuple(sorted((f, v.get("value")) for f, v in fields.items())))
