"""Where the shipped models are: package ``nianbao.models`` (the repository's top-level ``models/``).

Found through ``importlib.resources``, so an installed wheel and an editable checkout resolve to
the files installed with the package, not to a path relative to the source tree.
"""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path

MODELS_PACKAGE = "nianbao.models"


def models_dir() -> Path:
    """The folder that holds the shipped tagger (``nianbao-tagger/``) and ``calibration.json``."""
    return Path(str(files(MODELS_PACKAGE)))
