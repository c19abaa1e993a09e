"""The rule layer: from tags to sections, meta, template, tables, fields, flags and confidences.

``apply_rules`` is the pipeline's stage after tagging::

    detect_sections -> extract_meta -> detect_template -> is_report (else status not_a_report)
    -> rebuild_tables (+ the reader's second reading where a model tagged) -> validate -> crosscheck
    -> settle by prose claims (``claims.py``) -> confidences (a settled field: its phrasing's precision)
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager

from nianbao.document import Document
from nianbao.rules import _native  # noqa: F401 - first: compiled rule modules or their sources
from nianbao.rules.budget import tally
from nianbao.rules.claims import settle_by_claims, settled_confidence
from nianbao.rules.confidence import assign_confidence
from nianbao.rules.crosscheck import crosscheck
from nianbao.rules.crossread import cross_read
from nianbao.rules.meta import extract_meta
from nianbao.rules.sections import detect_sections
from nianbao.rules.tables import TableBuild, build
from nianbao.rules.template import detect_template, is_report
from nianbao.rules.validate import validate


def run_rules(doc: Document, cross_read_tables: bool = True) -> tuple[Document, TableBuild | None]:
    """Every rule stage but the confidences; returns the document and the tables' evidence (None when
    the document is not a report). ``cross_read_tables=False`` reads a model's tags alone."""
    doc = detect_sections(doc)
    doc = extract_meta(doc)
    doc.template = detect_template(doc)  # type: ignore[assignment]
    if not is_report(doc):
        doc.status = "not_a_report"
        return doc, None
    certify = cross_read_tables and doc.char_probs is not None  # the cross-read may take these tables over
    evidence = cross_read(doc, build(doc, certify=certify), enabled=cross_read_tables)
    doc = validate(doc, evidence.evidence)
    doc = crosscheck(doc)
    doc = settle_by_claims(doc)
    return doc, evidence


@contextmanager
def gc_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector for one report's work (the rules reading it; the synthetic
    generator building it) or one task's (``batch.workers.task_records``): it allocates many small, short-lived, acyclic objects, and the collections
    those trigger (each one walking every object the process holds, the batch's other reports included)
    cost a fifth of the rule stage."""
    was = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was:
            gc.enable()


def apply_rules(doc: Document, cross_read_tables: bool = True) -> Document:
    """Run every rule stage on a tagged document (in place), confidences included; returns it."""
    with gc_paused():
        with tally() as steps:
            doc, evidence = run_rules(doc, cross_read_tables)
        if evidence is not None:
            doc = settled_confidence(assign_confidence(doc, evidence))
    doc.search = steps
    return doc
