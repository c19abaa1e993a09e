"""Talking to a Label Studio server through ``label-studio-sdk`` (2.x): project setup, import, export.

>>> # client = connect("http://127.0.0.1:8080", token)
>>> # pid, created = ensure_project(client, "nianbao gold", label_config())
>>> # push_tasks(client, pid, tasks); export = export_tasks(client, pid)
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass
class PushReport:
    """What a push did: the project, whether it was created, tasks imported and skipped as already present."""

    project_id: int
    created: bool
    config_updated: bool
    imported: int
    skipped: int


def connect(url: str, token: str):  # noqa: ANN201 - label_studio_sdk.LabelStudio
    """An SDK client for the server at ``url`` with a user's API token (legacy or personal)."""
    # local: the Label Studio SDK loads only to talk to a server
    from label_studio_sdk import LabelStudio

    return LabelStudio(base_url=url.rstrip("/"), api_key=token, timeout=120)


def ensure_project(
    client: Any, title: str, config: str, project_id: int | None = None
) -> tuple[int, bool, bool]:
    """(project id, created, config updated): the project with this id or title, created when absent.

    An existing project gets our labeling config when its config differs.
    """
    if project_id is not None:
        project = client.projects.get(id=project_id)
    else:
        project = next((p for p in client.projects.list(title=title) if p.title == title), None)
    if project is None:
        created = client.projects.create(title=title, label_config=config)
        return int(created.id), True, False
    current = getattr(project, "label_config", None)
    if current is None:
        current = client.projects.get(id=project.id).label_config
    if (current or "").strip() != config.strip():
        client.projects.update(id=project.id, label_config=config)
        return int(project.id), False, True
    return int(project.id), False, False


def task_hashes(client: Any, project_id: int) -> set[str]:
    """``data.sha256`` of every task already in the project (a re-push skips those)."""
    out = set()
    for task in client.tasks.list(project=project_id, fields="task_only"):
        data = getattr(task, "data", None) or {}
        if data.get("sha256"):
            out.add(str(data["sha256"]))
    return out


def push_tasks(
    client: Any, project_id: int, tasks: list[dict], skip_existing: bool = True
) -> tuple[int, int]:
    """Import tasks (with their predictions/annotations); returns (imported, skipped as already present)."""
    seen = task_hashes(client, project_id) if skip_existing else set()
    fresh = [t for t in tasks if t["data"].get("sha256") not in seen]
    if fresh:
        client.projects.import_tasks(id=project_id, request=fresh, commit_to_project=True)
    return len(fresh), len(tasks) - len(fresh)


def push(
    url: str,
    token: str,
    title: str,
    config: str,
    tasks: list[dict],
    project_id: int | None = None,
    skip_existing: bool = True,
) -> PushReport:
    """Create or update the project and import the tasks."""
    client = connect(url, token)
    pid, created, updated = ensure_project(client, title, config, project_id)
    imported, skipped = push_tasks(client, pid, tasks, skip_existing)
    return PushReport(pid, created, updated, imported, skipped)


def export_tasks(client: Any, project_id: int) -> list[dict]:
    """The project's full JSON export (every task, its annotations and predictions)."""
    export = client.projects.exports.as_json(project_id)
    if not isinstance(export, list):
        raise RuntimeError(f"unexpected export from Label Studio: {type(export).__name__}")
    return export


def pull(url: str, token: str, project_id: int) -> list[dict]:
    """Export a project as Label Studio JSON."""
    return export_tasks(connect(url, token), project_id)
