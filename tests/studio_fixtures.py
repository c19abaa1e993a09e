"""Fixtures shared by the Label Studio tests: a synthetic report written for the tests, its gold, helpers."""

from __future__ import annotations

import copy
import hashlib
import json
import re

from nianbao.document import Document, TagSpan
from nianbao.labels.gold import GoldDoc, GoldField, GoldSection, GoldSpan

# A short report in the pipe-lines style, written for this test (not from any real report).
REPORT = (
    "某县交通运输局2023年政府信息公开工作年度报告\n"
    "## 一、总体情况\n"
    "2023年，我局坚持以公开为常态。\n"
    "## 二、主动公开政府信息情况\n"
    "| 第二十条第(一)项 |\n"
    "| 信息内容 | 本年制发件数 | 本年废止件数 | 现行有效件数 |\n"
    "| 规章 | 0 | ０ | 3 |\n"
    "| 行政事业性收费 | 8.3万元 |\n"
    "## 三、收到和处理政府信息公开申请情况\n"
    "| 一、本年新收政府信息公开申请数量 | 12 | 0 |  | / | 1,203 | 0 | 12 |\n"
    "## 四、政府信息公开行政复议、行政诉讼情况\n"
    "无。\n"
)


def find(text: str, sub: str, nth: int = 0, after: int = 0) -> tuple[int, int]:
    """(start, end) of the nth occurrence of ``sub`` at or after ``after``."""
    i = after - 1
    for _ in range(nth + 1):
        i = text.index(sub, i + 1)
    return i, i + len(sub)


def make_gold(inline: bool = True) -> GoldDoc:
    """A gold document exercising every path: ints, full-width, unit, mark, raw, blank, unplaced, sections."""
    t = REPORT
    spans: list[GoldSpan] = []
    fields: dict[str, GoldField] = {}

    def val(sub: str, field: str, value, raw=None, unit=None, nth=0, after=0, tag="VAL", span=None) -> None:
        a, b = span or find(t, sub, nth, after)
        spans.append(GoldSpan(start=a, end=b, tag=tag, field=field))
        fields[field] = GoldField(value=value, raw=raw, unit=unit, span=(a, b))

    for heading in (
        "一、总体情况",
        "二、主动公开政府信息情况",
        "三、收到和处理政府信息公开申请情况",
        "四、政府信息公开行政复议、行政诉讼情况",
    ):
        a, b = find(t, heading, after=t.index("## "))
        spans.append(GoldSpan(start=a, end=b, tag="SEC"))
    spans.append(
        GoldSpan(start=find(t, "第二十条第(一)项")[0], end=find(t, "第二十条第(一)项")[1], tag="TTL")
    )
    for col in ("信息内容", "本年制发件数", "本年废止件数", "现行有效件数"):
        a, b = find(t, col)
        spans.append(GoldSpan(start=a, end=b, tag="COL"))
    for row in ("规章", "行政事业性收费", "一、本年新收政府信息公开申请数量"):
        a, b = find(t, row, after=t.index("| 规章"))
        spans.append(GoldSpan(start=a, end=b, tag="ROW"))
    row2 = t.index("| 规章")
    val("0", "t2.regulations.issued", 0, after=row2)
    val("０", "t2.regulations.repealed", 0, after=row2)
    val("3", "t2.regulations.in_force", 3, after=row2)
    val("8.3万元", "t2.fees.amount", 8.3, unit="万元")
    row3 = t.index("数量 |")
    val("12", "t3.new_received.natural_person", 12, after=row3)
    val("0", "t3.new_received.commercial", 0, after=row3)
    blank = t.index("|  |", row3) + 3  # the '|' that closes the empty cell
    val("", "t3.new_received.research", None, tag="BLANK", span=(blank, blank + 1))
    val("/", "t3.new_received.social_welfare", None, raw="/", after=row3)
    val("1,203", "t3.new_received.legal_service", 1203, raw="1,203", after=row3)
    val("0", "t3.new_received.other_org", 0, after=t.index("1,203") + 5)
    val("12", "t3.new_received.total", 12, nth=1, after=row3)
    # a blank cell the source kept no trace of: an empty span, typed in the unplaced box
    fields["t3.carried_over.natural_person"] = GoldField(value=None, span=(len(t) - 4, len(t) - 4))
    spans.sort(key=lambda s: (s.start, s.end, s.tag))
    secs = sorted((s for s in spans if s.tag == "SEC"), key=lambda s: s.start)
    sections = [
        GoldSection(
            id=f"s{i + 1}",
            title=t[s.start : s.end],
            start=s.start,
            end=secs[i + 1].start if i + 1 < len(secs) else len(t),
        )
        for i, s in enumerate(secs)
    ]
    sections[-1] = sections[-1].model_copy(update={"end": len(t) - 1})  # not the default end: rides in JSON
    sections.append(
        GoldSection(id="s6", title="六、其他需要报告的事项", start=len(t), end=len(t))
    )  # unplaced
    return GoldDoc(
        name="synthetic-pipe-1",
        source=None if inline else "synthetic/pipe-1.txt",
        sha256=hashlib.sha256(t.encode("utf-8")).hexdigest(),
        text=t if inline else None,
        style="pipe_lines",
        template="v2021",
        used_for=["train"],
        meta={"org": "某县交通运输局", "year": 2023, "title": t.split("\n")[0]},
        sections=sections,
        spans=spans,
        fields=fields,
        notes=["s6 heading missing from the page"],
    )


def simulate_export(tasks: list[dict], accept_predictions: bool = False) -> list[dict]:
    """What Label Studio's JSON export holds for these tasks (ids, wrappers), through a JSON round trip."""
    out = []
    for i, task in enumerate(tasks, start=1):
        anns = copy.deepcopy(task.get("annotations") or [])
        if accept_predictions:  # an annotator opened the task and submitted the first pre-annotation
            anns = [{"result": copy.deepcopy(task["predictions"][0]["result"])}]
        wrapped = [
            {
                "id": 100 * i + k,
                "completed_by": 1,
                "was_cancelled": False,
                "ground_truth": False,
                "created_at": "2026-01-02T03:04:05Z",
                "updated_at": f"2026-01-02T03:04:0{k}Z",
                "lead_time": 9.5,
                "task": i,
                "project": 1,
                **a,
            }
            for k, a in enumerate(anns)
        ]
        out.append(
            {
                "id": i,
                "data": task["data"],
                "annotations": wrapped,
                "predictions": list(range(len(task.get("predictions") or []))),
                "meta": {},
                "inner_id": i,
                "project": 1,
            }
        )
    return json.loads(json.dumps(out, ensure_ascii=False))


class FakePredictor:
    """Tags digit runs as VAL and numbered headings as SEC on an identity-normalised text."""

    model_version = "fake-1"

    def predict(self, texts: list[str]) -> list[Document]:
        docs = []
        for t in texts:
            doc = Document(text=t, norm_text=t)
            doc.tags = [
                TagSpan(start=m.start(), end=m.end(), tag="VAL", score=0.7) for m in re.finditer(r"\d+", t)
            ]
            doc.tags += [
                TagSpan(start=m.start(), end=m.end(), tag="SEC", score=0.9)
                for m in re.finditer(r"[一二三四五六]、[^\n]+", t)
            ]
            docs.append(doc)
        return docs


TOKEN = "test-token-123456"
