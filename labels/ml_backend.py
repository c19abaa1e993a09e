"""A Label Studio ML backend serving the nianbao pipeline (FastAPI).

Speaks the protocol Label Studio's ``ml/api_connector.py`` uses:

* ``GET /health`` (and ``GET /``) -> ``{"status": "UP", "model_class": .., "model_version": ..}``
* ``POST /setup`` ``{"project", "schema", "hostname", "access_token", "extra_params"}``
  -> ``{"model_version": ..}``; refuses (422) a labeling config that lacks our controls;
* ``POST /predict`` ``{"tasks": [{"id", "data": {"text"}}], "project", "label_config", "params"}``
  -> ``{"results": [prediction per task, in order], "model_version": ..}``;
* ``GET /metrics`` -> request counters.

Every route needs the token: ``Authorization: Bearer <token>``, or HTTP Basic auth
with the token as password (Label Studio's "Basic Authentication" connection
setting: any user name, the token as password). Input limits answer 413: the
request body, the number of tasks and the characters of one task's text.
"""

from __future__ import annotations

import base64
import binascii
import hmac
import json
import logging
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

from fastapi import Depends, FastAPI, HTTPException, Request
from fastapi.concurrency import run_in_threadpool

from nianbao.inputs import InputItem
from nianbao.labels.studio import TAG, TEXT, document_to_prediction, model_version_of
from nianbao.labels.tags import ENTITY_TYPES
from nianbao.pipeline import Pipeline

if TYPE_CHECKING:
    from nianbao.document import Document
    from nianbao.pipeline import PipelineConfig

log = logging.getLogger(__name__)

PROBE_TEXT = "一、总体情况\n本年度无。\n"


@dataclass(frozen=True)
class Limits:
    """Input size limits of the backend (413 beyond them)."""

    max_body_bytes: int = 32 * 1024 * 1024
    max_tasks: int = 500
    max_text_chars: int = 2_000_000


class Predictor(Protocol):
    """What the backend serves: documents for texts, and the version their predictions carry."""

    model_version: str

    def predict(self, texts: list[str]) -> list[Document]:
        """One processed document per text, in order."""
        ...


class PipelinePredictor:
    """The shipped pipeline (model, or rules only) behind the backend; warmed up and versioned at start."""

    def __init__(self, config: PipelineConfig) -> None:
        self.pipeline = Pipeline(config.model_copy(update={"fail_fast": False}))
        probe = self.predict([PROBE_TEXT])[0]
        if probe.status == "error" and probe.error is not None:
            raise RuntimeError(
                f"the pipeline cannot process a probe text: {probe.error.code} "
                f"[{probe.error.stage}] {probe.error.message}"
            )
        self.model_version = model_version_of(probe)

    def predict(self, texts: list[str]) -> list[Document]:
        """Run the pipeline over decoded texts (each an in-memory input)."""
        items = [
            InputItem(source=f"label-studio#{i}", data=t.encode("utf-8"), text=t) for i, t in enumerate(texts)
        ]
        return self.pipeline.process_batch(items)


def token_matches(header: str | None, token: str) -> bool:
    """Whether an Authorization header carries the token (Bearer, or Basic with the token as password).

    >>> token_matches("Bearer s3cret", "s3cret"), token_matches("Basic " + "dTpzM2NyZXQ=", "s3cret")
    (True, True)
    >>> token_matches("Bearer wrong", "s3cret"), token_matches(None, "s3cret")
    (False, False)
    """
    if not header:
        return False
    scheme, _, cred = header.partition(" ")
    cred = cred.strip()
    if scheme.lower() == "basic":
        try:
            cred = base64.b64decode(cred, validate=True).decode("utf-8").partition(":")[2]
        except (binascii.Error, UnicodeDecodeError):
            return False
    elif scheme.lower() != "bearer":
        return False
    return hmac.compare_digest(cred.encode("utf-8"), token.encode("utf-8"))


def config_problem(schema: str) -> str | None:
    """Why a labeling config cannot take our predictions, or None when it can.

    >>> config_problem("<View><Text name='text' value='$text'/></View>")
    "the labeling config has no <Labels name='tag' toName='text'>: use `nianbao label config`"
    """
    try:
        root = ET.fromstring(schema)
    except ET.ParseError as exc:
        return f"the labeling config is not XML: {exc}"
    labels = next(
        (el for el in root.iter("Labels") if el.get("name") == TAG and el.get("toName") == TEXT), None
    )
    if labels is None:
        return f"the labeling config has no <Labels name='{TAG}' toName='{TEXT}'>: use `nianbao label config`"
    missing = set(ENTITY_TYPES) - {el.get("value") for el in labels.iter("Label")}
    if missing:
        return f"the labeling config lacks labels {sorted(missing)}: use `nianbao label config`"
    return None


async def read_json_limited(request: Request, max_bytes: int) -> Any:
    """The request's JSON body, refusing (413) more than ``max_bytes`` before reading it all."""
    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > max_bytes:
        raise HTTPException(413, f"request body of {declared} bytes exceeds the limit of {max_bytes}")
    body = bytearray()
    async for chunk in request.stream():
        body.extend(chunk)
        if len(body) > max_bytes:
            raise HTTPException(413, f"request body exceeds the limit of {max_bytes} bytes")
    try:
        return json.loads(body)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise HTTPException(400, f"request body is not JSON: {exc}") from exc


def task_texts(payload: Any, limits: Limits) -> list[str]:
    """The texts of a /predict payload's tasks, checked against the limits (413) and the shape (422)."""
    tasks = payload.get("tasks") if isinstance(payload, dict) else None
    if not isinstance(tasks, list):
        raise HTTPException(422, 'expected {"tasks": [{"data": {"text": ...}}, ...]}')
    if len(tasks) > limits.max_tasks:
        raise HTTPException(413, f"{len(tasks)} tasks exceed the limit of {limits.max_tasks} per request")
    texts = []
    for i, task in enumerate(tasks):
        text = (task.get("data") or {}).get(TEXT) if isinstance(task, dict) else None
        if not isinstance(text, str):
            raise HTTPException(
                422,
                f"task {i} (id {task.get('id') if isinstance(task, dict) else None}) "
                f"has no data.{TEXT} string",
            )
        if len(text) > limits.max_text_chars:
            raise HTTPException(
                413, f"task {i} text has {len(text)} characters; the limit is {limits.max_text_chars}"
            )
        texts.append(text)
    return texts


def prediction_for(doc: Document, text: str, model_version: str) -> dict:
    """The prediction for one task; a failed document gets an empty one (and an error in the log)."""
    if doc.status == "error" or doc.text != text:
        why = (
            f"{doc.error.code} {doc.error.message}"
            if doc.error
            else "decoded text differs from the task text"
        )
        log.error("no prediction for %s: %s", doc.source, why)
        return {"model_version": model_version, "score": 0.0, "result": []}
    return document_to_prediction(doc, model_version)


def create_app(predictor: Predictor, token: str, limits: Limits | None = None) -> FastAPI:
    """The backend app; ``token`` is required (an empty token is refused)."""
    if not token:
        raise ValueError("the ML backend needs a token (set NIANBAO_ML_TOKEN or pass --token)")
    limits = limits or Limits()
    counters = {"predict_requests": 0, "tasks": 0, "failed_tasks": 0}

    def require_token(request: Request) -> None:
        if not token_matches(request.headers.get("authorization"), token):
            raise HTTPException(401, "missing or wrong token", headers={"WWW-Authenticate": "Bearer"})

    app = FastAPI(title="nianbao ML backend for Label Studio", dependencies=[Depends(require_token)])

    @app.get("/")
    @app.get("/health")
    def health() -> dict:
        return {"status": "UP", "model_class": "nianbao", "model_version": predictor.model_version}

    @app.post("/setup")
    async def setup(request: Request) -> dict:
        payload = await read_json_limited(request, limits.max_body_bytes)
        schema = payload.get("schema") if isinstance(payload, dict) else None
        problem = (
            config_problem(schema) if isinstance(schema, str) else "setup needs the labeling config (schema)"
        )
        if problem:
            raise HTTPException(422, problem)
        return {"model_version": predictor.model_version}

    @app.post("/predict")
    async def predict(request: Request) -> dict:
        payload = await read_json_limited(request, limits.max_body_bytes)
        texts = task_texts(payload, limits)
        docs = await run_in_threadpool(predictor.predict, texts) if texts else []
        results = [prediction_for(d, t, predictor.model_version) for d, t in zip(docs, texts, strict=True)]
        counters["predict_requests"] += 1
        counters["tasks"] += len(texts)
        counters["failed_tasks"] += sum(1 for r in results if not r["result"])
        return {"results": results, "model_version": predictor.model_version}

    @app.get("/metrics")
    def metrics() -> dict:
        return dict(counters)

    return app


def serve(
    predictor: Predictor, token: str, host: str = "127.0.0.1", port: int = 9090, limits: Limits | None = None
) -> None:
    """Run the backend with uvicorn until interrupted."""
    # local: uvicorn loads only to serve
    import uvicorn

    uvicorn.run(create_app(predictor, token, limits), host=host, port=port, log_level="info")
