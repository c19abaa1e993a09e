"""Corpus passes over parse output: agency identity and series (``identity``), cross-year ties (``ties``),
the DuckDB grouping (``store``), ``nianbao link`` (``link``) and ``nianbao audit`` (``audit``)."""
