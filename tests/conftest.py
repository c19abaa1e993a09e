"""Shared fixtures: where the real corpus and gold labels are, skipping clearly when absent."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("NIANBAO_SHARED", REPO.parent / "shared"))
CORPUS = SHARED / "corpus"
SPEC = SHARED / "spec"
GOLD_DIR = REPO / "labels" / "gold"


@pytest.fixture(scope="session")
def corpus_root() -> Path:
    """``../shared/corpus``; tests that need the real reports skip where it is absent (a user's clone)."""
    if not (CORPUS / "seeds").is_dir():
        pytest.skip(f"real corpus not found at {CORPUS} (set NIANBAO_SHARED); CI has it beside the repo")
    return CORPUS


@pytest.fixture(scope="session")
def spec_dir() -> Path:
    """``../shared/spec`` (fields.yaml, output.md), skipping where absent."""
    if not (SPEC / "fields.yaml").is_file():
        pytest.skip(f"spec not found at {SPEC} (set NIANBAO_SHARED)")
    return SPEC
