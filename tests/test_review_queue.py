"""The Label Studio review queue: tasks for reports with open flags, answers back as corrections, applied.
The last test runs against a REAL Label Studio server (the fixture of tests/test_studio_server.py)."""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from nianbao.labels.review import corrections_from_task, doubtful_fields, parse_answer, review_task
from nianbao.review.source import read_record, source_text

REPO = Path(__file__).resolve().parents[1]
NIANBAO = str(Path(sys.executable).parent / "nianbao")


@pytest.fixture(scope="module")
def parsed(parsed_examples: tuple[Path, Path]) -> tuple[Path, Path]:
    """The examples parsed rules-only from a folder of their own (``conftest.parsed_examples``)."""
    return parsed_examples


def _answer(task: dict, picks: dict[str, str], typed: dict[str, str]) -> list[dict]:
    """A reviewer's annotation result: ticked options (field -> value) and typed values per region."""
    data = task["data"]
    rid = {f: r for r, f in data["fields"].items()}
    result = []
    options = [o["value"] for o in data["options"]]
    chosen = [o for o in options if any(o in (f"{f} = {v}", f"{f} = {v} (now)") for f, v in picks.items())]
    assert len(chosen) == len(picks), (picks, options)
    if chosen:
        result.append({"from_name": "pick", "to_name": "text", "type": "choices", "value": {"choices": chosen}})
    for f, v in typed.items():
        a, b = data["spans"][rid[f]]
        result.append({"id": rid[f], "from_name": "answer", "to_name": "text", "type": "textarea",
                       "value": {"start": a, "end": b, "text": [v]}})
    return result


def test_parse_answer_rejects_words() -> None:
    assert parse_answer("-1") == (-1, None)
    with pytest.raises(ValueError):
        parse_answer("twelve")


def test_review_task_regions_and_options(parsed: tuple[Path, Path]) -> None:
    root, out = parsed
    rec = read_record(f"{out}#1")
    text = source_text(rec, root)
    task = review_task(rec, text)
    data = task["data"]
    doubtful = doubtful_fields(rec)
    assert sorted(data["fields"].values()) == sorted(doubtful[:60])
    regions = task["predictions"][0]["result"]
    for r in regions:  # each pre-selected region is its cell's span in the source around it
        f = data["fields"][r["id"]]
        a, b = rec["fields"][f]["span"]
        if a < b:
            assert text[a:b] == r["value"]["text"] == data["text"][r["value"]["start"]:r["value"]["end"]]
    opts = [o["value"] for o in data["options"]]
    assert "t2.normative_docs.issued = 2 (now)" in opts and "t2.normative_docs.issued = 20" in opts
    # no flag, no task (unless under --min-confidence)
    calm = next(json.loads(x) for x in out.read_text(encoding="utf-8").splitlines() if not json.loads(x)["flags"])
    assert review_task(calm, source_text(calm, root)) is None
    assert review_task(calm, source_text(calm, root), min_confidence=1.01) is not None


def test_corrections_from_task_typed_wins_untouched_stays(parsed: tuple[Path, Path]) -> None:
    root, out = parsed
    rec = read_record(f"{out}#1")
    task = review_task(rec, source_text(rec, root))
    task["id"] = 9
    result = _answer(task, {"t2.normative_docs.issued": "20", "t2.normative_docs.repealed": "0"},
                     {"t2.normative_docs.repealed": "2", "t2.normative_docs.in_force": "/"})
    task["annotations"] = [{"id": 1, "result": result, "completed_by": {"email": "rev@example.org"}}]
    got = {c["field"]: c for c in corrections_from_task(task)}
    assert set(got) == {"t2.normative_docs.issued", "t2.normative_docs.repealed", "t2.normative_docs.in_force"}
    assert got["t2.normative_docs.issued"]["value"] == 20
    assert got["t2.normative_docs.repealed"]["value"] == 2  # typed wins over the ticked option
    assert got["t2.normative_docs.in_force"]["value"] is None and got["t2.normative_docs.in_force"]["raw"] == "/"
    assert got["t2.normative_docs.issued"]["reviewer"] == "rev@example.org" and got["t2.normative_docs.issued"]["task"] == 9


@pytest.mark.integration
@pytest.mark.slow
def test_review_queue_real_server(parsed: tuple[Path, Path], label_studio: str, tmp_path: Path) -> None:
    """Push a flagged report, answer it through the API as a reviewer would, pull, apply, check."""
    from nianbao.labels.cli import app as label_app
    from nianbao.labels.studio_client import connect
    from nianbao.review.apply import Resolver, apply_file

    root, out = parsed
    runner = CliRunner()
    r = runner.invoke(label_app, ["push", "--review", str(out), "--root", str(root), "--url", label_studio,
                                  "--token", LS_TOKEN, "--project-title", "nianbao review"])
    assert r.exit_code == 0, r.output
    pid = int(re.search(r"review project (\d+)", r.output).group(1))
    records = [json.loads(x) for x in out.read_text(encoding="utf-8").splitlines()]
    flagged = [x for x in records if x["flags"]]
    client = connect(label_studio, LS_TOKEN)
    tasks = list(client.tasks.list(project=pid))
    assert sorted(t.data["doc_id"] for t in tasks) == sorted(x["doc_id"] for x in flagged)
    rec = records[0]
    task = next(t for t in tasks if t.data["doc_id"] == rec["doc_id"])
    preds = list(client.predictions.list(task=task.id))
    assert {r_["value"]["labels"][0] for p in preds for r_ in p.result} == {"doubtful"}
    result = _answer({"data": task.data}, {"t2.normative_docs.issued": "20"},
                     {"t2.normative_docs.repealed": "2", "t2.normative_docs.in_force": "91"})
    client.annotations.create(id=task.id, result=result, was_cancelled=False, ground_truth=False, lead_time=5.0)
    corr = tmp_path / "corr.jsonl"
    r = runner.invoke(label_app, ["pull", "--url", label_studio, "--token", LS_TOKEN, "--project", str(pid),
                                  "--corrections", str(corr)])
    assert r.exit_code == 0, r.output
    answers = [json.loads(x) for x in corr.read_text(encoding="utf-8").splitlines()]
    assert {a["field"]: a["value"] for a in answers} == {"t2.normative_docs.issued": 20,
                                                         "t2.normative_docs.repealed": 2,
                                                         "t2.normative_docs.in_force": 91}
    dst = tmp_path / "resolved.jsonl"
    apply_file(out, corr, dst, Resolver(root))
    before, after = out.read_bytes().splitlines(), dst.read_bytes().splitlines()
    assert before[1:] == after[1:]
    new = json.loads(after[0])
    assert [new["fields"][f]["value"] for f in ("t2.normative_docs.issued", "t2.normative_docs.repealed",
                                                "t2.normative_docs.in_force")] == [20, 2, 91]
    assert "split.ambiguous" not in [fl["code"] for fl in new["flags"]]
    res = [x for x in new["resolutions"] if x["evidence"]["kind"] == "review"]
    assert len(res) == 3 and all(x["evidence"]["reviewer"] == "lead@example.com" for x in res)


try:  # the real server, started once for this module (skips without .venv-ls, fails in CI)
    from test_studio_server import LS_TOKEN, label_studio  # noqa: F401
except ImportError:  # pragma: no cover - the studio test module moved
    LS_TOKEN = ""
