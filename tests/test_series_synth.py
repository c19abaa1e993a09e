"""Synthetic agency series rendered as documents, parsed by the pipeline and linked: settlement acceptance."""

from __future__ import annotations

import doctest

from nianbao.evaluation import series_synth
from nianbao.rules.values import fold_digits, to_number
from nianbao.series.identity import folder_key
from nianbao.series.ties import checks
from nianbao.training import synth_series_docs
from nianbao.training.synth_series import HOLD_RATES
from nianbao.training.synth_series_docs import agency_docs


def test_doctests() -> None:
    for mod in (synth_series_docs, series_synth):
        assert doctest.testmod(mod).failed == 0


def test_series_documents_keep_their_ties_at_the_hold_rates() -> None:
    held = {t: [0, 0] for t in HOLD_RATES}
    for a in range(40):
        docs = agency_docs(11, a, 5, ("glued_lines", "crawl", "pipe_cells")[a % 3])
        assert len({folder_key(d.url) for d in docs}) == 1
        assert [d.gold.meta["year"] for d in docs] == list(range(docs[0].gold.meta["year"], docs[0].gold.meta["year"] + 5))
        for x, y in zip(docs, docs[1:], strict=False):
            for c in checks(x.gold.template, y.gold.template):
                h = c.holds(x.truth, y.truth)
                if h is not None:
                    held[c.tie][0] += h
                    held[c.tie][1] += 1
        for d in docs:  # a claim sentence states the truth, and the spans still point at the values
            assert all(d.truth[f] == v for f, v in d.said.items())
            text = d.gold.text or ""
            assert all(to_number(fold_digits(text[v.span[0]:v.span[1]])) == v.value for v in d.gold.fields.values()
                       if isinstance(v.value, int) and v.raw is None and v.unit is None)
    assert held["carry"][0] == held["carry"][1] > 100
    for t in ("items", "in_force"):
        assert held[t][1] > 20 and 0.6 < held[t][0] / held[t][1] < 1.0, (t, held[t])


def test_glued_series_settle_what_the_evidence_pins_and_nothing_wrong() -> None:
    out = series_synth.run(12, 5, seed=4, use_model=False)
    assert out["docs"] == 60 and out["errors"] == 0
    assert out["pinned_tie"] > 5 and out["pinned_claim"] > 5  # cannot pass with nothing pinned
    assert out["settled_wrong"] == 0 and out["unflagged_changed"] == 0
    assert out["settled_pinned"] >= 0.9 * out["pinned"], out
