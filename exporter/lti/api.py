"""The module runtime's JSON API (templates/runtime/lti.js): load and save the attempt, report the score.

Every call carries the launch's session token as `Authorization: Bearer` (exporter.lti.session); no cookie,
because the module runs in the platform's iframe where third-party cookies are dropped. A refused call
(401, 400, 413) writes nothing. A final score updates the attempt and enters the grade outbox in one
transaction, then is posted to the platform right away; the outbox retries it if the platform is down."""

from __future__ import annotations

import json
import math
from datetime import datetime
from functools import cache
from typing import Any, NoReturn

from flask import Blueprint, Response, abort, jsonify, request
from sqlalchemy import Connection, Insert, Text, bindparam, select
from sqlalchemy.orm import Session

from exporter.lti import grades
from exporter.lti.context import tool
from exporter.lti.db import DirectStatement, insert
from exporter.lti.models import Attempt, Launch, UTCDateTime, utcnow
from exporter.lti.session import SessionError, verify

MAX_BODY = 64 * 1024
MAX_STATE_CHARS = 16 * 1024  # the compiler keeps a module's state under 4,096 characters (exporter/state.py)
STATUSES = ("incomplete", "completed", "passed", "failed")
FINAL = ("completed", "passed", "failed")
LEARNER = "http://purl.imsglobal.org/vocab/lis/v2/membership#Learner"

blueprint = Blueprint("lti_api", __name__)


@blueprint.get("/state")
def load_state() -> Response:
    with tool().sessions() as session:
        launch = _launch(session, _launch_id())
        state = session.scalar(select(Attempt.state).where(*_attempt_key(launch)))
    return jsonify(state=state or "")


@blueprint.route("/state", methods=["PUT", "POST"])
def save_state() -> Response:
    """The hot path (a module saves after every screen): one statement, INSERT … SELECT from the launch, which
    also proves the launch still valid, run directly (db.DirectStatement); only a save it refuses reads the
    launch to say why."""
    context, launch_id = tool(), _launch_id()
    state = _body().get("state")
    if not isinstance(state, str) or len(state) > MAX_STATE_CHARS or not _is_json_object(state):
        _refuse(400, f"state must be the module's saved state: a JSON object of at most {MAX_STATE_CHARS} "
                     "characters, as a string")
    saved = SAVE.run(context.autocommit, {"launch_id": launch_id, "now": utcnow(), "state": state}) is not None
    if not saved:
        with context.sessions() as session:
            _launch(session, launch_id)
        _refuse(401, "the launch has expired: relaunch the activity from the course")
    return jsonify(saved=True)


@blueprint.post("/score")
def report_score() -> Response:
    context, now, launch_id = tool(), utcnow(), _launch_id()
    with context.sessions.begin() as session:
        launch = _launch(session, launch_id)
        status, score = _score(_body())
        attempt_id = _upsert_attempt(session.connection(), launch_id, now)
        attempt = session.get_one(Attempt, attempt_id, with_for_update=True)
        final = status in FINAL
        outcome = ("completed" if final else "incomplete", status if status in ("passed", "failed") else "unknown",
                   score if final else None)
        changed = outcome != (attempt.completion_status, attempt.success_status, attempt.score)
        attempt.completion_status, attempt.success_status, attempt.score = outcome
        graded = final and changed and _is_learner(launch) and grades.gradable(launch)
        row_id = grades.enqueue(session, attempt, launch, now).id if graded else None
    if row_id is not None:
        context.grades.deliver(context.sessions, row_id, now)
    return jsonify(graded=graded)


def _launch_id() -> str:
    """The launch named by the request's bearer token, whose signature and expiry need no database."""
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        _refuse(401, "missing session token: send Authorization: Bearer <token> from the launch page")
    try:
        return verify(tool().secret, token.strip())
    except SessionError as error:
        _refuse(401, str(error))


def _launch(session: Session, launch_id: str) -> Launch:
    """The launch, still valid and for a module."""
    launch = session.get(Launch, launch_id)
    if launch is None or launch.expires_at <= utcnow():
        _refuse(401, "the launch has expired: relaunch the activity from the course")
    if launch.module_id is None or launch.resource_link_id is None:
        _refuse(403, "this launch is not for a module")
    return launch


def _body() -> dict[str, Any]:
    """The JSON object sent, read to at most MAX_BODY bytes whatever Content-Length claims."""
    if (request.content_length or 0) > MAX_BODY:
        _refuse(413, f"request body over {MAX_BODY} bytes")
    raw = request.stream.read(MAX_BODY + 1)
    if len(raw) > MAX_BODY:
        _refuse(413, f"request body over {MAX_BODY} bytes")
    try:
        value = json.loads(raw)
    except ValueError:
        _refuse(400, "request body is not JSON")
    if not isinstance(value, dict):
        _refuse(400, "request body must be a JSON object")
    return value


def _score(body: dict[str, Any]) -> tuple[str, float | None]:
    """(status, score 0..1 or None) from the runtime's report {status, raw 0–100 or null, progress 0–1}."""
    status, raw, progress = body.get("status"), body.get("raw"), body.get("progress")
    if status not in STATUSES:
        _refuse(400, f"status must be one of {', '.join(STATUSES)}")
    if raw is not None and not (_is_number(raw) and 0 <= raw <= 100):
        _refuse(400, "raw must be null or a number from 0 to 100")
    if progress is not None and not (_is_number(progress) and 0 <= progress <= 1):
        _refuse(400, "progress must be a number from 0 to 1")
    if status == "incomplete" and raw is not None:
        _refuse(400, "an incomplete module has no score yet: send raw null")
    return status, None if raw is None else raw / 100


def _upsert_attempt(connection: Connection, launch_id: str, now: datetime) -> int | None:
    """The attempt's id, created on first use from the launch (with an empty state) and left as it is
    otherwise, or None when the launch is unknown, expired or not for a module. One atomic INSERT … ON
    CONFLICT, so that a score and a first save racing from two tabs cannot both insert."""
    statement = _upsert_statement(connection.dialect.name, False)
    attempt_id: int | None = connection.execute(
        statement, {"launch_id": launch_id, "now": now, "state": ""}).scalar_one_or_none()
    return attempt_id


@cache
def _upsert_statement(dialect: str, saves_state: bool) -> Insert:
    """Built once per database and kind: building the statement costs more than running it."""
    columns = ("registration_id", "deployment_id", "sub", "context_id", "resource_link_id", "module_id")
    now = bindparam("now", type_=UTCDateTime())
    state = bindparam("state", type_=Text())
    source = select(*(getattr(Launch, name) for name in columns), state, now, now).where(
        Launch.id == bindparam("launch_id"), Launch.expires_at > now, Launch.module_id.is_not(None),
        Launch.resource_link_id.is_not(None))
    statement = insert(dialect, Attempt).from_select([*columns, "state", "created_at", "updated_at"], source)
    changes: dict[str, Any] = {"updated_at": now, "state": state} if saves_state else {"updated_at": now}
    return statement.on_conflict_do_update(
        index_elements=[Attempt.registration_id, Attempt.sub, Attempt.resource_link_id, Attempt.module_id],
        set_=changes).returning(Attempt.id)


SAVE = DirectStatement(lambda dialect: _upsert_statement(dialect, True))


def _attempt_key(launch: Launch) -> tuple[Any, ...]:
    return (Attempt.registration_id == launch.registration_id, Attempt.sub == launch.sub,
            Attempt.resource_link_id == launch.resource_link_id, Attempt.module_id == launch.module_id)


def _is_learner(launch: Launch) -> bool:
    """Only learners are graded: a teacher trying the module is not in the gradebook (Moodle answers 400)."""
    roles = json.loads(launch.roles)
    return isinstance(roles, list) and LEARNER in roles


def _is_json_object(text: str) -> bool:
    try:
        return isinstance(json.loads(text), dict)
    except ValueError:
        return False


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def _refuse(status: int, message: str) -> NoReturn:
    response = jsonify(error=message)
    response.status_code = status
    if status == 401:
        response.headers["WWW-Authenticate"] = 'Bearer error="invalid_token"'
    abort(response)
