"""Errors shared by every stage: ``StageError``, the coded per-document failure (ground layer)."""

from __future__ import annotations


class StageError(Exception):
    """A coded, per-document failure (``E_DECODE``, ``E_TOO_LARGE``...) raised by a stage."""

    def __init__(self, code: str, stage: str, message: str) -> None:
        super().__init__(f"{code} [{stage}] {message}")
        self.code, self.stage, self.message = code, stage, message
