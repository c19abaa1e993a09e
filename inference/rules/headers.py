"""Column headers -> the canonical columns in printed order.

Headers split over lines or tags (``商业`` + ``企业``) are joined by maximal munch; a two- or
three-level header flattened row by row (``自然人 | 法人或其他组织 | 总计`` then ``商业企业 …
其他``) is put back in column order by placing sub-columns at their group's position::

    >>> from nianbao.rules.events import Event
    >>> evs = [Event("COL", 0, 0, t) for t in ["自然人", "法人或其他组织", "总计", "商业", "企业", "科研机构",
    ...        "社会公益组织", "法律服务机构", "其他"]]
    >>> t3_columns(evs)
    ['natural_person', 'commercial', 'research', 'social_welfare', 'legal_service', 'other_org', 'total']
"""

from __future__ import annotations

from nianbao.labels.catalogue import T3_COLS, T4_COLS, T4_GROUPS
from nianbao.rules.events import Event
from nianbao.rules.labels_match import Match, is_col_prefix, match_col

T3_CANON = [c for c, _ in T3_COLS]
T4_CANON = [f"{g}.{c}" for g, _ in T4_GROUPS for c, _ in T4_COLS]
_T3_SUB = {"commercial", "research", "social_welfare", "legal_service", "other_org"}
HEADER_MIN_SCORE = 0.75


def join_headers(events: list[Event], table: str) -> list[tuple[Match, str]]:
    """Matched headers in order with their joined printed text, fragments joined (longest exact match wins)."""
    out: list[tuple[Match, str]] = []
    i = 0
    cols = [e for e in events if e.tag == "COL"]
    while i < len(cols):
        best: tuple[int, Match] | None = None
        text = ""
        for j in range(i, min(i + 4, len(cols))):
            text += cols[j].text
            m = match_col(text, table)
            if m and m[0].score >= 0.999:
                best = (j, m[0])
            if not is_col_prefix(text, table):
                break
        if best is None:
            m = match_col(cols[i].text, table)
            if m and m[0].score >= HEADER_MIN_SCORE:
                best = (i, m[0])
        if best is None:
            i += 1
            continue
        j, hit = best
        out.append((hit, "".join(c.text for c in cols[i:j + 1])))
        i = j + 1
    return out


def t3_columns(events: list[Event]) -> list[str]:
    """Table 3's columns in printed order; the canonical order unless the headers clearly say otherwise.

    Two readings of the headers are built: leaves in the order they appear (one header line per
    level, as PDF layout prints them) and leaves with the sub-columns put at their group's place
    (a header flattened row by row). A non-canonical order is used only when both agree.
    """
    keys = [m.key for m, _ in join_headers(events, "t3") if m.target.kind in ("col", "colgroup")]
    leaves: list[str] = []
    for k in keys:
        if k != "legal" and k not in leaves:
            leaves.append(k)
    if sorted(leaves) != sorted(T3_CANON):
        return list(T3_CANON)
    if "legal" in keys:
        gpos = keys.index("legal")
        pos = {k: keys.index(k) for k in leaves}
        nested = sorted(leaves, key=lambda k: ((gpos, pos[k]) if k in _T3_SUB else (pos[k], 0)))
    else:
        nested = leaves
    if leaves == T3_CANON or nested == T3_CANON or leaves != nested:
        return list(T3_CANON)
    return leaves


def t4_columns(events: list[Event]) -> list[str]:
    """Table 4's 15 columns (``group.col``) in printed order; canonical when the headers do not say."""
    heads = [m for m, _ in join_headers(events, "t4")]
    leaves = [m.key for m in heads if m.target.kind == "col"]
    blocks: list[list[str]] = []
    for k in leaves:
        if not blocks or k in blocks[-1] or len(blocks[-1]) == 5:
            blocks.append([])
        blocks[-1].append(k)
    groups = [g for g, _ in T4_GROUPS]
    if len(blocks) != 3 or any(sorted(b) != sorted(c for c, _ in T4_COLS) for b in blocks):
        return list(T4_CANON)
    return [f"{g}.{c}" for g, b in zip(groups, blocks, strict=True) for c in b]


T2_ROW_COLS = {
    "v2021": {"regulations": ["issued", "repealed", "in_force"], "normative_docs": ["issued", "repealed", "in_force"],
              "licensing": ["decisions"], "punishment": ["decisions"], "enforcement": ["decisions"],
              "fees": ["amount"]},
    "v2019": {"regulations": ["new_made", "new_published", "total_published"],
              "normative_docs": ["new_made", "new_published", "total_published"],
              "licensing": ["prev_count", "change", "decisions"],
              "other_services": ["prev_count", "change", "decisions"],
              "punishment": ["prev_count", "change", "decisions"],
              "enforcement": ["prev_count", "change", "decisions"],
              "fees": ["prev_count", "change"], "procurement": ["count", "amount"]},
}


def t2_columns(headers: list[str], row: str, template: str) -> list[str]:
    """Columns of a table-2 row: the sub-table's printed headers when they are a full column set of the
    row (in either template), else the template's.

    >>> t2_columns(["issued", "in_force", "repealed"], "regulations", "v2021")
    ['issued', 'in_force', 'repealed']
    >>> t2_columns([], "fees", "v2019")
    ['prev_count', 'change']
    """
    complete = [cols for t in T2_ROW_COLS.values() if (cols := t.get(row))]
    if any(sorted(headers) == sorted(cols) for cols in complete) and len(set(headers)) == len(headers):
        return list(headers)
    tmpl = template if template in T2_ROW_COLS else "v2021"
    return list(T2_ROW_COLS[tmpl].get(row) or T2_ROW_COLS["v2019"].get(row, []))
