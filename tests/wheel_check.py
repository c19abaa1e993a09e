"""The installed wheel parses like the checkout: run by ``make wheel-check`` after it builds the wheel
and installs it into a fresh venv.

Parses ``SEEDS`` with the wheel venv's ``nianbao`` (run from an empty folder, NIANBAO_MODEL_DIR unset,
so the shipped model must come from the installed package) and with the editable install's, and
compares the records (parsed JSON, so key order aside they must be equal)::

    python tests/wheel_check.py build/wheel-venv .venv ../shared/corpus/seeds

Exits 0 with a clear message where the seeds are absent (a user's clone without ../shared).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path


def parse(venv: Path, seeds: Path, out: Path, cwd: Path) -> list[dict]:
    """Records of ``seeds`` parsed by ``venv``'s ``nianbao`` with the shipped model, one process."""
    env = {k: v for k, v in os.environ.items() if k not in ("NIANBAO_MODEL_DIR", "PYTHONPATH")}
    cmd = [str(venv / "bin" / "nianbao"), "parse", str(seeds), "-o", str(out), "--workers", "1", "--no-progress"]
    subprocess.run(cmd, cwd=cwd, env=env, check=True)
    return [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines() if line.strip()]


def installed_models_dir(venv: Path, cwd: Path) -> str:
    """Where ``venv``'s nianbao finds its shipped models."""
    code = "from nianbao.resources import models_dir; print(models_dir())"
    return subprocess.run([str(venv / "bin" / "python"), "-c", code], cwd=cwd, check=True, capture_output=True,
                          text=True).stdout.strip()


def main(wheel_venv: Path, editable_venv: Path, seeds: Path) -> int:
    """Compare the two installs' records on ``seeds``; 0 when they agree (or the seeds are absent)."""
    if not seeds.is_dir():
        print(f"wheel-check: SKIPPED the parse comparison, {seeds} not found (the real corpus sits in ../shared)")
        return 0
    seeds, wheel_venv, editable_venv = seeds.resolve(), wheel_venv.absolute(), editable_venv.absolute()
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        where = installed_models_dir(wheel_venv, work)
        if "site-packages" not in where:
            print(f"wheel-check: FAILED, the wheel's models resolve to {where}, not to the installed package")
            return 1
        wheel = parse(wheel_venv, seeds, work / "wheel.jsonl", work)
        editable = parse(editable_venv, seeds, work / "editable.jsonl", work)
    errors = [r["source"] for r in wheel if r["status"] == "error" or not r.get("model")]
    if errors:
        print(f"wheel-check: FAILED, the wheel gave errors or no model on {errors}")
        return 1
    if wheel != editable:
        diff = [w["source"] for w, e in zip(wheel, editable, strict=False) if w != e]
        print(f"wheel-check: FAILED, {len(diff)} records differ from the editable install's (first: {diff[:3]}; "
              f"{len(wheel)} vs {len(editable)} records)")
        return 1
    print(f"wheel-check: ok, {len(wheel)} seed records from the wheel (models in {where}) equal the editable "
          "install's")
    return 0


if __name__ == "__main__":
    sys.exit(main(Path(sys.argv[1]), Path(sys.argv[2]), Path(sys.argv[3])))
