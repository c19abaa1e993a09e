"""Reviewing parse output: re-read a record's source (``source``), show its tables in the terminal
(``show``) or as one self-contained HTML page (``page``), and settle flagged fields with a reviewer's
answers (``apply``)."""
