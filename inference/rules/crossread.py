"""A second reading of the tables from the rules-only reader's tags, to check the model's reading.

When a model tagged the document, the rules-only reader (``nianbao.rules.reader``) tags it as
well and the tables are rebuilt from both tag sets. Per table:

- both readings agree: the model's reading stands, and every field records the agreement;
- they differ: the reading with fewer problems (broken identities, undecided cuts, unreadable or
  overfull rows, fields the other reading has and it lacks) is kept; where both have as many, the
  model's reading is kept and every field the two read differently is flagged
  ``crosscheck.tagger_reader`` with the reader's value as the alternative — never silently. Where they
  differ only in which cells are blank, on rows split by tabs or ``|``, the reader's reading is kept
  instead (it places blanks by counting separators; the model's reading is the flag's alternative). A field
  only the model read (a row whose label the reader missed) has no second reading: it is not
  flagged for that, and its evidence records no agreement.

Tables that no probability decided in the model's reading (every row had one reading) and that the reader's
tags give the same events are not read a second time: the second reading would read them the same, so the
model's values stand for it (``rules.reuse``; the records and the search tally are the same either way).

Switch it off per run with ``PipelineConfig(cross_read=False)`` / ``nianbao parse --no-cross-read``
(then the model's tags alone are read: the ablation that shows what the model earns by itself).
"""

from __future__ import annotations

from nianbao.document import Document, FieldValue, Flag
from nianbao.labels.catalogue import invariants_for, table_of
from nianbao.rules.reader import RuleReader
from nianbao.rules.tables import Evidence, TableBuild, build
from nianbao.rules.validate import check

_PROBLEM_CODES = ("split.", "table.")


def reader_document(doc: Document) -> Document:
    """A copy of a tagged document (text, template, sections) tagged by the rules-only reader instead."""
    twin = Document(text=doc.text, norm_text=doc.norm_text, template=doc.template, sections=list(doc.sections))
    twin.offsets = doc.offsets
    RuleReader().tag([twin])
    return twin


def _problems(doc: Document, table: str) -> int:
    """Broken identities and doubtful decisions (split.* / table.* flags) of one table; ``split.unpinned``
    (the model unsure of a cut) is left out, since the reader, with no probabilities, never raises it."""
    fields = frozenset(f for f in doc.fields if table_of(f) == table)
    broken = sum(1 for inv in invariants_for(fields) if check(doc, inv) is not None)
    flagged = sum(1 for fl in doc.flags if fl.code.startswith(_PROBLEM_CODES) and fl.code != "split.unpinned"
                  and any(table_of(f) == table for f in fl.fields))
    return broken + flagged


def cross_read(doc: Document, built: TableBuild, enabled: bool = True) -> TableBuild:
    """Check the model's tables against the reader's; keep the sounder per table (see module docstring)."""
    if not enabled or doc.char_probs is None or doc.template == "none":
        return built
    twin = reader_document(doc)
    twin_built = build(twin, reuse=built.certified)  # tables no probability decided, with the same events: as read
    mine_by_table, theirs_by_table = _by_table(doc.fields), _by_table(twin.fields)
    for table in ("t2", "t3", "t4"):
        mine = mine_by_table.get(table, {})
        theirs = theirs_by_table.get(table, {})
        if not mine and not theirs:
            continue
        same = mine.keys() == theirs.keys() and all(_same(mine[f].value, theirs[f].value) for f in mine)
        if same:
            for f in mine:
                built.evidence[f].agree = True
            continue
        p_mine = _problems(doc, table) + sum(1 for f in theirs if f not in mine)
        p_theirs = _problems(twin, table) + sum(1 for f in mine if f not in theirs)
        if p_theirs < p_mine:
            _take(doc, twin, table, built, twin_built)
            continue
        diff = [f for f in mine if f in theirs and not _same(mine[f].value, theirs[f].value)]
        if diff and _blanks_moved(mine, theirs, diff) and _on_separated_lines(doc.norm_text, mine, theirs, diff):
            _take(doc, twin, table, built, twin_built)
            doc.flags.append(Flag(code="crosscheck.tagger_reader", fields=diff,
                                  alternatives=[{f: mine[f].value for f in diff}],
                                  message="the model's tags put blank cells elsewhere than the rules-only reader, "
                                          "which counts the row's separators; check these cells in the source"))
            continue
        for f in mine:  # a field the reader has no reading of (its row label escaped it) is not disputed
            built.evidence[f].agree = (f not in diff) if f in theirs else None
        if diff:
            doc.flags.append(Flag(code="crosscheck.tagger_reader", fields=diff,
                                  alternatives=[{f: theirs[f].value for f in diff if f in theirs}],
                                  message="the model's tags and the rules-only reader read these cells differently; "
                                          "check them in the source"))
    return built


def _by_table(fields: dict[str, FieldValue]) -> dict[str, dict[str, FieldValue]]:
    """A document's fields per table, each in the document's order."""
    out: dict[str, dict[str, FieldValue]] = {}
    for f, v in fields.items():
        out.setdefault(table_of(f), {})[f] = v
    return out


def _take(doc: Document, twin: Document, table: str, built: TableBuild, twin_built: TableBuild) -> None:
    """Replace one table's fields, flags and evidence with the reader's reading."""
    for f in [f for f in doc.fields if table_of(f) == table]:
        del doc.fields[f]
        built.evidence.pop(f, None)
    doc.flags = [fl for fl in doc.flags if not all(table_of(f) == table for f in fl.fields) or not fl.fields]
    for f, v in twin.fields.items():
        if table_of(f) == table:
            doc.fields[f] = v
            ev = twin_built.evidence.get(f) or Evidence(kind="cell")
            ev.model, ev.agree = True, False
            built.evidence[f] = ev
    doc.flags += [fl for fl in twin.flags if fl.fields and all(table_of(f) == table for f in fl.fields)]
    doc.tables = [t for t in doc.tables if t.id != table] + [t for t in twin.tables if t.id == table]


def _blanks_moved(mine: dict[str, FieldValue], theirs: dict[str, FieldValue], diff: list[str]) -> bool:
    """Whether the two readings of the disputed fields hold the same values in the same order and differ only
    in where the blank cells are."""
    def filled(side: dict[str, FieldValue]) -> list[float | int]:
        return [side[f].value for f in diff if side[f].value is not None]  # type: ignore[misc]

    a, b = filled(mine), filled(theirs)
    return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b, strict=True))


def _on_separated_lines(text: str, mine: dict[str, FieldValue], theirs: dict[str, FieldValue],
                        diff: list[str]) -> bool:
    """Whether every disputed cell of both readings sits on a line whose cells are split by tabs or ``|``,
    where the reader places blanks by counting separators."""
    for side in (mine, theirs):
        for f in diff:
            span = side[f].norm_span
            if span is None:
                return False
            at = min(span[0], len(text) - 1)
            start = text.rfind("\n", 0, at) + 1
            end = text.find("\n", at)
            line = text[start:end if end >= 0 else len(text)]
            if line.count("\t") + line.count("|") < 2:
                return False
    return True


def _same(a: float | int | None, b: float | int | None) -> bool:
    if a is None or b is None:
        return a is None and b is None
    return abs(float(a) - float(b)) < 1e-9
