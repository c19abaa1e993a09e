"""The cheap not-a-report decision, before the tagger: a page with no report cue anywhere skips the model.

``is_report`` (``template.py``) decides after tagging: a document is a report when it has a
standard section heading, a template table title (``第二十条第(一)项``) or a row label,
read from the tags and, where tags have none, from the text itself. ``has_report_cues`` is
that same rule read from the text alone, before any tagger runs:

- a table title: ``TTL_RE`` anywhere;
- a template row label (the table-3 anchors ``is_report`` reads in untagged text);
- a standard heading: ``find_headings`` (whole lines, and numbered titles inside glued text).

A document without any cue is tagged by nobody (``Pipeline.process_batch``): the rules then
run on it untagged and decide ``not_a_report`` by the same rule, the record only lacking the
model's time. Documents with a cue are tagged as always. ``tests/test_prefilter.py`` checks
that every labelled real report, every crawl-series page and every synthetic style has cues,
and that ordinary article pages get the same record with and without the model.

>>> has_report_cues("区政府召开常务会议\\n会议研究了城市更新工作。"), has_report_cues("一、总体情况\\n全年...")
(False, True)
"""

from __future__ import annotations

from nianbao.rules.sections import find_headings
from nianbao.rules.template import TTL_RE, _table_label_matches


def has_report_cues(text: str) -> bool:
    """Whether ``text`` holds a table title, a template row label or a standard section heading."""
    return bool(TTL_RE.search(text) or _table_label_matches(text) or find_headings(text))
