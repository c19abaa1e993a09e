"""Shared fixtures: where the real corpus and gold labels are, skipping clearly when absent."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
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


@pytest.fixture(scope="session")
def parsed_examples(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """The bundled examples copied to a folder and parsed from there rules-only (relative sources): the root and
    the output JSONL (for the review, apply and queue tests)."""
    root = tmp_path_factory.mktemp("examples-parsed")
    shutil.copytree(REPO / "examples", root / "examples", ignore=shutil.ignore_patterns("gold"))
    nianbao = str(Path(sys.executable).parent / "nianbao")
    subprocess.run([nianbao, "parse", "examples", "-o", "out.jsonl", "--no-model", "--workers", "1", "--no-progress"],
                   cwd=root, check=True, capture_output=True)
    return root, root / "out.jsonl"
