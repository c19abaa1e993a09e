"""One self-contained review page per report (no network): the source text with every field's span
highlighted, the tables beside it; a click on a cell scrolls to and marks its span; flags listed with
their alternatives, settlements with their evidence."""

from __future__ import annotations

import json
from html import escape
from pathlib import Path
from typing import Any

from nianbao.labels.layout import TABLE_TITLES
from nianbao.review.view import CellView, alternative_diffs, cell_views, fmt_value, layouts

CSS = """
body{margin:0;font:14px/1.5 "Noto Sans CJK SC","Microsoft YaHei",sans-serif;display:flex;height:100vh}
#src{flex:1;overflow:auto;padding:12px;border-right:1px solid #ccc;white-space:pre-wrap;font-family:monospace}
#side{flex:1;overflow:auto;padding:12px}
.fs{background:#dbeafe;border-radius:2px}.fs.flagged{background:#fde68a}.fs.settled{background:#bbf7d0}
.tg{border-bottom:2px solid #a78bfa}.tg-SEC,.tg-TTL{font-weight:bold}
.fs.empty::after{content:"∅";color:#999}.fs.active{outline:3px solid #dc2626;background:#fecaca}
table{border-collapse:collapse;margin:8px 0;font-size:12px}td,th{border:1px solid #ccc;padding:2px 6px}
td[data-field]{cursor:pointer;text-align:right}td.flagged{background:#fde68a;font-weight:bold}
td.settled{background:#bbf7d0}td.blank,td.mark{color:#888}td.active{outline:3px solid #dc2626}
th.row{text-align:left;font-weight:normal;white-space:nowrap}.alt{color:#92400e}h2{font-size:15px}
"""

JS = """
function mark(field){
  document.querySelectorAll('.active').forEach(function(e){e.classList.remove('active');});
  var s=document.getElementById('span-'+field), c=document.getElementById('cell-'+field);
  if(s){s.classList.add('active');s.scrollIntoView({block:'center'});}
  if(c){c.classList.add('active');}
}
document.querySelectorAll('td[data-field]').forEach(function(td){
  td.addEventListener('click',function(){mark(td.dataset.field);});
});
document.querySelectorAll('.fs').forEach(function(s){
  s.addEventListener('click',function(){var c=document.getElementById('cell-'+s.dataset.field);
    mark(s.dataset.field); if(c){c.scrollIntoView({block:'center'});}});
});
document.querySelectorAll('a.field').forEach(function(a){
  a.addEventListener('click',function(ev){ev.preventDefault();mark(a.dataset.field);});
});
"""


def _classes(cv: CellView) -> str:
    return " ".join(c for c in ("flagged" if cv.codes else "", "settled" if cv.settled else "", cv.kind) if c)


def source_html(text: str, cells: dict[str, CellView], tags: list[tuple[int, int, str]] | None = None) -> str:
    """The source text, escaped, with one ``<span class="fs">`` per field span and one ``<span class="tg">``
    per other tagged span (section, title, row and column labels; overlaps kept out, fields first)."""
    items: list[tuple[int, int, int, Any]] = [(cv.span[0], cv.span[1], 0, cv) for cv in cells.values()
                                              if 0 <= cv.span[0] <= cv.span[1] <= len(text)]
    items += [(a, b, 1, tag) for a, b, tag in tags or [] if 0 <= a < b <= len(text)]
    out: list[str] = []
    pos = 0
    for a, b, _, cv in sorted(items, key=lambda t: (t[0], t[2], t[1])):
        if a < pos:  # overlaps the previous span: its cell still links to the nearest place
            continue
        out.append(escape(text[pos:a]))
        if isinstance(cv, str):
            out.append(f'<span class="tg tg-{escape(cv)}" title="{escape(cv)}">{escape(text[a:b])}</span>')
            pos = b
            continue
        cls = "fs " + _classes(cv) + (" empty" if a == b else "")
        out.append(f'<span class="{cls}" id="span-{escape(cv.field)}" data-field="{escape(cv.field)}" '
                   f'title="{escape(cv.field)}">{escape(text[a:b])}</span>')
        pos = b
    out.append(escape(text[pos:]))
    return "".join(out)


def tables_html(record: dict[str, Any], cells: dict[str, CellView]) -> str:
    """The report's tables as printed, one ``<td data-field>`` per field."""
    parts = []
    for lay in layouts(record):
        head = "".join(f"<th>{escape(c)}</th>" for c in lay.cols)
        rows = []
        for r in lay.rows:
            tds = []
            for f in r.cells:
                cv = cells.get(f) if f else None
                if cv is None:
                    tds.append("<td></td>")
                    continue
                tip = f"{cv.field} ({cv.kind}, confidence {cv.confidence})"
                if cv.alternatives:
                    tip += " alternatives: " + ", ".join(fmt_value(a) for a in cv.alternatives)
                tds.append(f'<td id="cell-{escape(f)}" data-field="{escape(f)}" class="{_classes(cv)}" '
                           f'title="{escape(tip)}">{escape(cv.text)}</td>')
            rows.append(f'<tr><th class="row">{escape(r.label)}</th>{"".join(tds)}</tr>')
        parts.append(f'<h2>{escape(TABLE_TITLES[lay.table])}</h2><table data-table="{lay.table}"><tr><th></th>'
                     f'{head}</tr>{"".join(rows)}</table>')
    return "".join(parts)


def _field_link(f: str) -> str:
    return f'<a href="#" class="field" data-field="{escape(f)}">{escape(f)}</a>'


def notes_html(record: dict[str, Any]) -> str:
    """Flags with their alternatives, settlements with their evidence, meta and sections."""
    out = []
    meta = record.get("meta") or {}
    out.append("<h2>Report</h2><ul>" + "".join(f"<li>{escape(k)}: {escape(str(v))}</li>" for k, v in
                                                [("source", record.get("source")), ("status", record.get("status")),
                                                 ("template", record.get("template")), *meta.items()]) + "</ul>")
    if record.get("sections"):
        out.append("<h2>Sections</h2><ul>" + "".join(
            f"<li>{escape(s['id'])} {escape(s['title'])} [{s['start']}:{s['end']}]</li>"
            for s in record["sections"]) + "</ul>")
    flags = record.get("flags") or []
    out.append(f'<h2>Flags ({len(flags)})</h2><ul id="flags">')
    for fl in flags:
        alts = "".join("<li class=alt>" + escape(", ".join(f"{k} = {fmt_value(v)}" for k, v in a.items())) + "</li>"
                       for a in alternative_diffs(record, fl))
        out.append(f"<li><b>{escape(fl.get('code', ''))}</b> " + " ".join(map(_field_link, fl.get("fields", [])))
                   + f"<br><small>{escape(fl.get('message', ''))}</small>"
                   + (f"<ul>alternatives (where they differ):{alts}</ul>" if alts else "") + "</li>")
    out.append("</ul>")
    res = record.get("resolutions") or []
    if res:
        out.append(f'<h2>Settled ({len(res)})</h2><ul id="resolutions">')
        for r in res:
            out.append(f"<li>{_field_link(r['field'])}: {escape(fmt_value(r.get('previous')))} → "
                       f"{escape(fmt_value(r.get('value')))} <small>{escape(json.dumps(r.get('evidence'), ensure_ascii=False))}"
                       "</small></li>")
        out.append("</ul>")
    return "".join(out)


def page_html(record: dict[str, Any], text: str, tags: list[tuple[int, int, str]] | None = None) -> str:
    """The whole self-contained page for one record and its source text (``tags``: other tagged spans,
    source offsets, where a parse gave them)."""
    cells = cell_views(record)
    title = escape((record.get("meta") or {}).get("title") or record.get("source") or "report")
    return (f'<!DOCTYPE html><html lang="zh"><head><meta charset="utf-8"><title>{title}</title>'
            f"<style>{CSS}</style></head><body><div id=\"src\">{source_html(text, cells, tags)}</div>"
            f'<div id="side">{tables_html(record, cells)}{notes_html(record)}</div>'
            f"<script>{JS}</script></body></html>")


def write_page(record: dict[str, Any], text: str, path: str | Path,
               tags: list[tuple[int, int, str]] | None = None) -> Path:
    """Write the review page of a record; returns its path."""
    p = Path(path)
    p.parent.mkdir(parents=True, exist_ok=True)
    p.write_text(page_html(record, text, tags), encoding="utf-8")
    return p
