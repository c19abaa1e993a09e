"""``nianbao export``: parse output (JSONL) -> DuckDB, Parquet/CSV per table, or a spreadsheet, streaming.

``tables`` turns one record into rows of the reports, fields, flags and resolutions tables and of one
wide table per report table (``t2``, ``t3``, ``t4``); ``duckdb_out`` and ``files_out`` write them.
"""
