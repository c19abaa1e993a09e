"""The canonical field catalogue of the national annual-report template, as code.

Mirrors ``shared/spec/fields.yaml`` (a test proves they agree field for field).
Every other stage addresses values by the field IDs built here::

    >>> "t3.new_received.natural_person" in fields_for("v2021")
    True
    >>> len([f for f in fields_for("v2021") if f.startswith("t3.")])
    175
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from typing import Literal

Template = Literal["v2021", "v2019"]
TEMPLATES: tuple[Template, ...] = ("v2021", "v2019")

SECTIONS: dict[str, str] = {
    "s1": "总体情况",
    "s2": "主动公开政府信息情况",
    "s3": "收到和处理政府信息公开申请情况",
    "s4": "政府信息公开行政复议、行政诉讼情况",
    "s5": "存在的主要问题及改进情况",
    "s6": "其他需要报告的事项",
}
SECTION_NUMERALS = ("一", "二", "三", "四", "五", "六")

META_KEYS = ("org", "year", "title", "date")


@dataclass(frozen=True)
class Row:
    """A table row: its key in field IDs, its printed label, and the template it belongs to."""

    key: str
    zh: str
    only: Template | None = None
    group: str | None = None  # printed group label, e.g. (三)不予公开


# ----------------------------------------------------------------- table 2
T2_V2021_ROWS = (Row("regulations", "规章"), Row("normative_docs", "行政规范性文件"))
T2_V2021_COLS = (("issued", "本年制发件数"), ("repealed", "本年废止件数"), ("in_force", "现行有效件数"))
T2_V2021_SINGLE = {
    "t2.licensing.decisions": "行政许可",
    "t2.punishment.decisions": "行政处罚",
    "t2.enforcement.decisions": "行政强制",
    "t2.fees.amount": "行政事业性收费",
}

T2_V2019_ROWS = (Row("regulations", "规章"), Row("normative_docs", "规范性文件"))
T2_V2019_COLS = (("new_made", "本年新制作数量"), ("new_published", "本年新公开数量"),
                 ("total_published", "对外公开总数量"))
T2_V2019_ITEMS = (Row("licensing", "行政许可"), Row("other_services", "其他对外管理服务事项"),
                  Row("punishment", "行政处罚"), Row("enforcement", "行政强制"))
T2_V2019_ITEM_COLS = (("prev_count", "上一年项目数量"), ("change", "本年增/减"), ("decisions", "处理决定数量"))
T2_V2019_SINGLE = {
    "t2.fees.prev_count": "行政事业性收费 上一年项目数量",
    "t2.fees.change": "行政事业性收费 本年增/减",
    "t2.procurement.count": "政府集中采购 采购项目数量",
    "t2.procurement.amount": "政府集中采购 采购总金额",
}
MONEY_FIELDS = frozenset({"t2.fees.amount", "t2.procurement.amount"})

# ----------------------------------------------------------------- table 3
T3_COLS = (
    ("natural_person", "自然人"),
    ("commercial", "商业企业"),
    ("research", "科研机构"),
    ("social_welfare", "社会公益组织"),
    ("legal_service", "法律服务机构"),
    ("other_org", "其他"),
    ("total", "总计"),
)
T3_ROWS = (
    Row("new_received", "一、本年新收政府信息公开申请数量"),
    Row("carried_over", "二、上年结转政府信息公开申请数量"),
    Row("granted", "(一)予以公开", group="三、本年度办理结果"),
    Row("partial", "(二)部分公开(区分处理的,只计这一情形,不计其他情形)"),
    Row("denied.state_secret", "1.属于国家秘密", group="(三)不予公开"),
    Row("denied.law_forbidden", "2.其他法律行政法规禁止公开", group="(三)不予公开"),
    Row("denied.three_safety", "3.危及“三安全一稳定”", group="(三)不予公开"),
    Row("denied.third_party", "4.保护第三方合法权益", group="(三)不予公开"),
    Row("denied.internal_affairs", "5.属于三类内部事务信息", group="(三)不予公开"),
    Row("denied.process_info", "6.属于四类过程性信息", group="(三)不予公开"),
    Row("denied.enforcement_file", "7.属于行政执法案卷", group="(三)不予公开"),
    Row("denied.query_matter", "8.属于行政查询事项", group="(三)不予公开"),
    Row("unable.not_held", "1.本机关不掌握相关政府信息", group="(四)无法提供"),
    Row("unable.need_creation", "2.没有现成信息需要另行制作", group="(四)无法提供"),
    Row("unable.unclear", "3.补正后申请内容仍不明确", group="(四)无法提供"),
    Row("not_processed.complaint", "1.信访举报投诉类申请", group="(五)不予处理"),
    Row("not_processed.duplicate", "2.重复申请", group="(五)不予处理"),
    Row("not_processed.publication", "3.要求提供公开出版物", group="(五)不予处理"),
    Row("not_processed.excessive", "4.无正当理由大量反复申请", group="(五)不予处理"),
    Row("not_processed.confirm", "5.要求行政机关确认或重新出具已获取信息", group="(五)不予处理"),
    Row("other.overdue_correction",
        "1.申请人无正当理由逾期不补正、行政机关不再处理其政府信息公开申请", "v2021", "(六)其他处理"),
    Row("other.unpaid_fee",
        "2.申请人逾期未按收费通知要求缴纳费用、行政机关不再处理其政府信息公开申请", "v2021", "(六)其他处理"),
    Row("other.other", "3.其他", "v2021", "(六)其他处理"),
    Row("other", "(六)其他处理", "v2019"),
    Row("total", "(七)总计"),
    Row("carried_forward", "四、结转下年度继续办理"),
)
T3_APPLICANT_COLS = tuple(c for c, _ in T3_COLS if c != "total")

# ----------------------------------------------------------------- table 4
T4_GROUPS = (("review", "行政复议"), ("suit_direct", "行政诉讼 未经复议直接起诉"),
             ("suit_after_review", "行政诉讼 复议后起诉"))
T4_COLS = (("upheld", "结果维持"), ("corrected", "结果纠正"), ("other", "其他结果"),
           ("pending", "尚未审结"), ("total", "总计"))


def t3_rows(template: Template) -> tuple[Row, ...]:
    """Rows of table 3 in printed order for one template version."""
    return tuple(r for r in T3_ROWS if r.only in (None, template))


def t2_fields(template: Template) -> list[str]:
    """Field IDs of table 2 in printed order."""
    if template == "v2021":
        out = [f"t2.{r.key}.{c}" for r in T2_V2021_ROWS for c, _ in T2_V2021_COLS]
        return out + list(T2_V2021_SINGLE)
    out = [f"t2.{r.key}.{c}" for r in T2_V2019_ROWS for c, _ in T2_V2019_COLS]
    out += [f"t2.{r.key}.{c}" for r in T2_V2019_ITEMS for c, _ in T2_V2019_ITEM_COLS]
    return out + list(T2_V2019_SINGLE)


def t3_fields(template: Template, rows: tuple[Row, ...] | None = None) -> list[str]:
    """Field IDs of table 3 (row-major) for a template, or for an explicit printed row list."""
    return [f"t3.{r.key}.{c}" for r in (rows or t3_rows(template)) for c, _ in T3_COLS]


def t4_fields() -> list[str]:
    """Field IDs of table 4: three groups of five cells, in printed order."""
    return [f"t4.{g}.{c}" for g, _ in T4_GROUPS for c, _ in T4_COLS]


@cache
def fields_for(template: Template) -> tuple[str, ...]:
    """All table field IDs of a template version, in printed order."""
    return tuple(t2_fields(template) + t3_fields(template) + t4_fields())


@cache
def all_field_ids() -> frozenset[str]:
    """Every field ID of either template (mixed reports may combine rows of both)."""
    return frozenset(fields_for("v2021")) | frozenset(fields_for("v2019"))


def table_of(field_id: str) -> str:
    """The table a field belongs to: ``t2``, ``t3`` or ``t4``."""
    return field_id.split(".", 1)[0]


def is_money(field_id: str) -> bool:
    """Whether a field is an amount of money (decimal, may carry a unit)."""
    return field_id in MONEY_FIELDS


# ----------------------------------------------------------------- invariants
@dataclass(frozen=True)
class Invariant:
    """One arithmetic identity of the template: sum(lhs) == sum(rhs)."""

    code: str
    lhs: tuple[str, ...]
    rhs: tuple[str, ...]

    @property
    def fields(self) -> tuple[str, ...]:
        """All fields the identity touches."""
        return self.lhs + self.rhs


def t3_row_keys_present(field_ids: set[str] | frozenset[str]) -> list[str]:
    """Keys of table-3 rows that have at least one field in ``field_ids``, in catalogue order."""
    present = []
    for r in T3_ROWS:
        if any(f"t3.{r.key}.{c}" in field_ids for c, _ in T3_COLS):
            present.append(r.key)
    return present


def invariants_for(field_ids: set[str] | frozenset[str]) -> list[Invariant]:
    """The invariants that apply to a set of fields (rows as printed; mixed templates allowed).

    >>> inv = invariants_for(set(fields_for("v2019")))
    >>> [i.code for i in inv][:2]
    ['invariant.row_total', 'invariant.row_total']
    """
    out: list[Invariant] = []
    rows = t3_row_keys_present(field_ids)
    for r in rows:
        out.append(Invariant("invariant.row_total", (f"t3.{r}.total",),
                             tuple(f"t3.{r}.{c}" for c in T3_APPLICANT_COLS)))
    outcome_rows = [r for r in rows if r not in ("new_received", "carried_over", "total", "carried_forward")]
    for c, _ in T3_COLS:
        if {"new_received", "carried_over", "total", "carried_forward"} <= set(rows):
            out.append(Invariant("invariant.balance", (f"t3.new_received.{c}", f"t3.carried_over.{c}"),
                                 (f"t3.total.{c}", f"t3.carried_forward.{c}")))
        if "total" in rows and outcome_rows:
            out.append(Invariant("invariant.outcome_total", (f"t3.total.{c}",),
                                 tuple(f"t3.{r}.{c}" for r in outcome_rows)))
    for g, _ in T4_GROUPS:
        if f"t4.{g}.total" in field_ids:
            out.append(Invariant("invariant.t4_total", (f"t4.{g}.total",),
                                 tuple(f"t4.{g}.{c}" for c, _ in T4_COLS if c != "total")))
    return out
