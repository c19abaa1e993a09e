"""Integration with a REAL Label Studio server (from ``.venv-ls``, see ``make ls-venv``).

The server starts once for this module on 127.0.0.1, a free port and a fresh data
dir, with a legacy API token set at first start; it is stopped by its process
group in a finalizer. In CI (``CI=true``) a missing server venv fails the tests;
elsewhere they skip with a message.
"""

from __future__ import annotations

import copy
import json
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from studio_fixtures import REPORT, TOKEN, FakePredictor, make_gold
from typer.testing import CliRunner

from nianbao.document import Document, TagSpan
from nianbao.labels.cli import app as label_app
from nianbao.labels.gold import GoldDoc
from nianbao.labels.ml_backend import create_app
from nianbao.labels.studio import VALUE_BOX, document_to_prediction, gold_to_task, label_config
from nianbao.labels.studio_client import connect, push

pytestmark = [pytest.mark.integration, pytest.mark.slow]

REPO = Path(__file__).resolve().parents[1]
LS_BIN = Path(os.environ.get("NIANBAO_LS_VENV", REPO / ".venv-ls")) / "bin" / "label-studio"
LS_TOKEN = "nianbao-lead-token-0123456789"  # the legacy token set for the first user at first start
START_TIMEOUT = float(os.environ.get("NIANBAO_LS_START_TIMEOUT", "420"))


def free_port() -> int:
    """A TCP port nobody listens on right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _log_tail(path: Path, n: int = 3000) -> str:
    return path.read_text(encoding="utf-8", errors="replace")[-n:] if path.exists() else "(no log)"


@pytest.fixture(scope="module")
def label_studio() -> Iterator[str]:
    """The base URL of a fresh Label Studio server (started here, stopped by its PID afterwards)."""
    if not LS_BIN.exists():
        msg = f"Label Studio is not installed at {LS_BIN}: run `make ls-venv` (own venv: it pins pyarrow<25)"
        if os.environ.get("CI") == "true":
            pytest.fail(msg)
        pytest.skip(msg)
    data = Path(tempfile.mkdtemp(prefix="nianbao-ls-"))  # own dir: pytest's basetemp rotation is shared
    port = free_port()
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV")}
    env.update(
        {
            "LABEL_STUDIO_BASE_DATA_DIR": str(data),
            "LABEL_STUDIO_ENABLE_LEGACY_API_TOKEN": "true",
            "LABEL_STUDIO_USERNAME": "lead@example.com",
            "LABEL_STUDIO_PASSWORD": "nianbao-lead-password",
            "LABEL_STUDIO_USER_TOKEN": LS_TOKEN,
            "LATEST_VERSION_CHECK": "false",  # no call to pypi.org at start
            "COLLECT_ANALYTICS": "false",
            "ML_BLOCK_LOCAL_IP": "false",  # our ML backend listens on 127.0.0.1 ...
            "USE_DEFAULT_BANNED_SUBNETS": "false",  # ... and the webhook Label Studio adds checks this
        }
    )
    log = data / "server.log"
    with log.open("wb") as fh:
        proc = subprocess.Popen(
            [str(LS_BIN), "start", "--no-browser", "--internal-host", "127.0.0.1", "--port", str(port)],
            env=env,
            cwd=data,
            stdout=fh,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + START_TIMEOUT
        while True:
            if proc.poll() is not None:
                pytest.fail(f"Label Studio exited with {proc.returncode} while starting:\n{_log_tail(log)}")
            try:
                if httpx.get(f"{url}/health", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                pytest.fail(
                    f"Label Studio did not answer /health within {START_TIMEOUT:.0f}s:\n{_log_tail(log)}"
                )
            time.sleep(1)
        r = httpx.get(f"{url}/api/projects", headers={"Authorization": f"Token {LS_TOKEN}"}, timeout=30)
        assert r.status_code == 200, f"the legacy token was refused ({r.status_code}): {r.text[:300]}"
        yield url
    finally:
        _stop(proc)
        if os.environ.get("NIANBAO_LS_KEEP"):
            print(f"Label Studio data and log kept in {data}")
        else:
            shutil.rmtree(data, ignore_errors=True)


def _stop(proc: subprocess.Popen) -> None:
    """Stop the server's process group (the server and the workers it forked), by its PID."""
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=30)


class _Backend:
    """Our ML backend app in a uvicorn server thread."""

    def __init__(self, predictor: object, token: str) -> None:
        import uvicorn

        self.port = free_port()
        self.server = uvicorn.Server(
            uvicorn.Config(
                create_app(predictor, token), host="127.0.0.1", port=self.port, log_level="warning"
            )
        )
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    def __enter__(self) -> str:
        self.thread.start()
        deadline = time.monotonic() + 30
        while not self.server.started:
            if time.monotonic() > deadline or not self.thread.is_alive():
                raise RuntimeError("the ML backend did not start")
            time.sleep(0.05)
        return f"http://127.0.0.1:{self.port}"

    def __exit__(self, *exc: object) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)


def model_prediction(gold: GoldDoc, text: str) -> dict:
    """A stand-in model's prediction: the gold's tags, one of them wrong, on an identity-normalised text."""
    doc = Document(text=text, norm_text=text, template=gold.template)
    doc.tags = [TagSpan(start=s.start, end=s.end, tag=s.tag, score=0.9) for s in gold.spans]
    doc.tags[0] = doc.tags[0].model_copy(update={"tag": "TTL", "score": 0.41})
    return document_to_prediction(doc, model_version="stand-in-1")


def test_push_annotate_pull(label_studio: str, tmp_path: Path) -> None:
    """Tasks with predictions go in; an annotator's corrected annotation comes back as the right gold."""
    gold = make_gold()
    task = gold_to_task(gold, predictions=[model_prediction(gold, REPORT)], gold_as="prediction")
    report = push(label_studio, LS_TOKEN, "nianbao round trip", label_config(), [task])
    assert report.created and report.imported == 1
    again = push(label_studio, LS_TOKEN, "nianbao round trip", label_config(), [task])
    assert (again.project_id, again.created, again.imported, again.skipped) == (
        report.project_id,
        False,
        0,
        1,
    )

    client = connect(label_studio, LS_TOKEN)
    project = client.projects.get(id=report.project_id)
    assert project.label_config.strip() == label_config().strip()
    (stored,) = list(client.tasks.list(project=report.project_id))
    assert stored.data["text"] == REPORT and stored.data["sha256"] == gold.sha256
    preds = list(client.predictions.list(task=stored.id))
    assert sorted(p.model_version for p in preds) == ["gold", "stand-in-1"]
    stand_in = next(p for p in preds if p.model_version == "stand-in-1")
    assert any(r.get("score") == 0.41 for r in stand_in.result)

    # The annotator opens the task, starts from the gold pre-annotation, corrects one value and submits.
    result = copy.deepcopy(next(p for p in preds if p.model_version == "gold").result)
    total = gold.fields["t3.new_received.total"].span
    for r in result:
        if r["from_name"] == VALUE_BOX and (r["value"]["start"], r["value"]["end"]) == tuple(total):
            r["value"]["text"] = ["13"]
    client.annotations.create(
        id=stored.id, result=result, was_cancelled=False, ground_truth=False, lead_time=42.0
    )

    out = tmp_path / "gold"
    r = CliRunner().invoke(
        label_app,
        [
            "pull",
            "--url",
            label_studio,
            "--token",
            LS_TOKEN,
            "--project",
            str(report.project_id),
            "--out",
            str(out),
            "--export-json",
            str(tmp_path / "export.json"),
        ],
    )
    assert r.exit_code == 0, r.output
    pulled = GoldDoc.model_validate_json((out / f"{gold.name}.json").read_text(encoding="utf-8"))
    expected = gold.model_copy(deep=True)
    expected.fields["t3.new_received.total"].value = 13
    assert pulled == expected
    export = json.loads((tmp_path / "export.json").read_text(encoding="utf-8"))
    assert len(export) == 1 and export[0]["annotations"][0]["lead_time"] == 42.0


def test_ml_backend_connected_to_label_studio(label_studio: str) -> None:
    """Label Studio reaches our backend with Basic auth (token as password), gets predictions, and is refused
    without the token."""
    client = connect(label_studio, LS_TOKEN)
    project = client.projects.create(title="nianbao ml backend", label_config=label_config())
    texts = [REPORT, "## 一、总体情况\n本年度共收到申请12件。\n"]
    client.projects.import_tasks(id=project.id, request=[{"data": {"text": t}} for t in texts])
    with _Backend(FakePredictor(), TOKEN) as url:
        with pytest.raises(Exception, match="authentication"):
            client.ml.create(
                project=project.id,
                url=url,
                title="nianbao",
                auth_method="BASIC_AUTH",
                basic_auth_user="label-studio",
                basic_auth_pass="not-the-token",
            )
        backend = client.ml.create(
            project=project.id,
            url=url,
            title="nianbao",
            auth_method="BASIC_AUTH",
            basic_auth_user="label-studio",
            basic_auth_pass=TOKEN,
        )
        assert client.ml.get(id=backend.id).state == "CO"
        client.actions.create(
            id="retrieve_tasks_predictions", project=project.id, selected_items={"all": True, "excluded": []}
        )
        preds = list(client.predictions.list(project=project.id))
    assert len(preds) == 2
    tasks = {t.id: t.data["text"] for t in client.tasks.list(project=project.id)}
    for p in preds:
        assert p.model_version == FakePredictor.model_version
        labels = [r for r in p.result if r["type"] == "labels"]
        assert labels
        for r in labels:
            v = r["value"]
            assert tasks[p.task][v["start"] : v["end"]] == v["text"]


def test_cli_push_with_pipeline_predictions(label_studio: str, tmp_path: Path) -> None:
    """`nianbao label push` on a report file: the rules-only pipeline's pre-annotations reach the project."""
    report = tmp_path / "report-1.txt"
    report.write_text(REPORT, encoding="utf-8")
    r = CliRunner().invoke(
        label_app,
        [
            "push",
            "--url",
            label_studio,
            "--token",
            LS_TOKEN,
            "--project-title",
            "nianbao cli",
            "--no-model",
            "--style",
            "pipe_lines",
            str(report),
        ],
    )
    assert r.exit_code == 0, r.output
    client = connect(label_studio, LS_TOKEN)
    project = next(p for p in client.projects.list(title="nianbao cli") if p.title == "nianbao cli")
    (task,) = list(client.tasks.list(project=project.id))
    assert (
        task.data["name"] == "report-1"
        and task.data["style"] == "pipe_lines"
        and task.data["inline"] is False
    )
    (pred,) = list(client.predictions.list(task=task.id))
    assert pred.model_version.endswith("-rules")
    for x in pred.result:
        if x["type"] == "labels":
            assert REPORT[x["value"]["start"] : x["value"]["end"]] == x["value"]["text"]
