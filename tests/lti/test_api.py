"""The runtime's API on both databases: state saved and resumed, final scores graded through the outbox,
and every refused call (401, 400, 413) leaving the database as it was."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import timedelta
from functools import cache
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session, sessionmaker

from exporter.loader import Course, load_course
from exporter.lti import api, grades, session
from exporter.lti.context import EXTENSION, ToolContext
from exporter.lti.models import Attempt, GradeOutbox, Launch, utcnow
from exporter.render import Renderer
from tests.conftest import ROOT
from tests.lti import factories
from tests.lti.test_grades import LINEITEM, FakePlatform, sender

SECRET = b"k" * 32
LEARNER = ["http://purl.imsglobal.org/vocab/lis/v2/membership#Learner"]
INSTRUCTOR = ["http://purl.imsglobal.org/vocab/lis/v2/membership#Instructor"]
STATE = json.dumps({"v": 1, "n": 1, "s": 2, "m": 2, "a": {"q1": "b"}, "p": "", "k": {}})


@cache
def course() -> Course:
    return load_course(ROOT / "lessons")


@pytest.fixture
def platform() -> FakePlatform:
    return FakePlatform()


@pytest.fixture
def client(sessions: sessionmaker[Session], autocommit: Engine, platform: FakePlatform) -> Iterator[FlaskClient]:
    app = Flask(__name__)
    app.extensions[EXTENSION] = ToolContext(sessions, autocommit, SECRET, Renderer(course()), course(),
                                            grades=sender(platform))
    app.register_blueprint(api.blueprint, url_prefix="/lti/api")
    with app.test_client() as test_client:
        yield test_client


def launch(sessions: sessionmaker[Session], *, roles: list[str] = LEARNER, lineitem: str | None = LINEITEM,
           launch_id: str = "launch-1", sub: str = "user-7") -> str:
    """A launch row as the launch view writes it; the bearer header for it."""
    with sessions.begin() as db:
        registration = db.scalar(select(factories.Registration)) or factories.registration(db)
        db.add(Launch(id=launch_id, registration_id=registration.id, deployment_id=registration.deployments[0].id,
                      sub=sub, context_id="course-2", resource_link_id="rl-1", roles=json.dumps(roles),
                      module_id="m4_ne_vedus", message_type="LtiResourceLinkRequest",
                      expires_at=utcnow() + timedelta(hours=2), ags_lineitem=lineitem,
                      ags_scopes=f"{grades.SCORE_SCOPE} https://purl.imsglobal.org/spec/lti-ags/scope/lineitem"))
    return f"Bearer {session.issue(SECRET, launch_id)}"


def snapshot(sessions: sessionmaker[Session]) -> list[tuple[Any, ...]]:
    with sessions() as db:
        attempts = db.execute(select(Attempt.state, Attempt.score, Attempt.completion_status)).all()
        return [*map(tuple, attempts), ("outbox", db.scalar(select(func.count()).select_from(GradeOutbox)))]


def test_state_is_saved_and_resumed(client: FlaskClient, sessions: sessionmaker[Session]) -> None:
    auth = launch(sessions)
    assert client.get("/lti/api/state", headers={"Authorization": auth}).json == {"state": ""}
    assert client.put("/lti/api/state", json={"state": "{}"}, headers={"Authorization": auth}).status_code == 200
    assert client.post("/lti/api/state", json={"state": STATE}, headers={"Authorization": auth}).status_code == 200
    assert client.get("/lti/api/state", headers={"Authorization": auth}).json == {"state": STATE}
    # Another launch of the same learner and resource link (a new day) resumes the same attempt.
    again = launch(sessions, launch_id="launch-2")
    assert client.get("/lti/api/state", headers={"Authorization": again}).json == {"state": STATE}
    assert snapshot(sessions) == [(STATE, None, "not attempted"), ("outbox", 0)]


def test_a_final_score_is_written_with_its_outbox_row_and_posted(client: FlaskClient, sessions: sessionmaker[Session],
                                                                  platform: FakePlatform) -> None:
    auth = launch(sessions)
    client.put("/lti/api/state", json={"state": STATE}, headers={"Authorization": auth})
    progress = client.post("/lti/api/score", json={"status": "incomplete", "raw": None, "progress": 0.5},
                           headers={"Authorization": auth})
    assert progress.json == {"graded": False} and snapshot(sessions) == [(STATE, None, "incomplete"), ("outbox", 0)]
    final = {"status": "passed", "raw": 87, "progress": 1}
    assert client.post("/lti/api/score", json=final, headers={"Authorization": auth}).json == {"graded": True}
    with sessions() as db:
        attempt = db.scalars(select(Attempt)).one()
        assert (attempt.score, attempt.completion_status, attempt.success_status) == (0.87, "completed", "passed")
        row = db.scalars(select(GradeOutbox)).one()
        assert (row.attempt_id, row.line_item_url, row.status) == (attempt.id, LINEITEM, "sent")
    assert platform.grades[(LINEITEM, "user-7")] == 87.0
    # core.js reports on every save: the same result again is not graded again.
    assert client.post("/lti/api/score", json=final, headers={"Authorization": auth}).json == {"graded": False}
    assert snapshot(sessions)[-1] == ("outbox", 1)


def test_a_score_waits_in_the_outbox_when_the_platform_is_down(client: FlaskClient, sessions: sessionmaker[Session],
                                                               platform: FakePlatform) -> None:
    platform.down = True
    auth = launch(sessions)
    reply = client.post("/lti/api/score", json={"status": "failed", "raw": 40, "progress": 1},
                        headers={"Authorization": auth})
    assert reply.status_code == 200 and reply.json == {"graded": True}
    with sessions() as db:
        row = db.scalars(select(GradeOutbox)).one()
        assert (row.status, row.tries) == ("pending", 1)


def test_attempt_and_outbox_row_are_one_transaction(client: FlaskClient, sessions: sessionmaker[Session],
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    auth = launch(sessions)
    client.put("/lti/api/state", json={"state": STATE}, headers={"Authorization": auth})
    before = snapshot(sessions)

    def crash(*args: Any) -> GradeOutbox:
        raise RuntimeError("worker killed while writing the outbox row")

    monkeypatch.setattr(grades, "enqueue", crash)
    reply = client.post("/lti/api/score", json={"status": "passed", "raw": 90, "progress": 1},
                        headers={"Authorization": auth})
    assert reply.status_code == 500
    assert snapshot(sessions) == before


@pytest.mark.parametrize(("roles", "lineitem"), [(INSTRUCTOR, LINEITEM), (LEARNER, None)],
                         ids=["instructor", "no-line-item"])
def test_no_grade_for_instructors_or_without_a_line_item(client: FlaskClient, sessions: sessionmaker[Session],
                                                         roles: list[str], lineitem: str | None) -> None:
    auth = launch(sessions, roles=roles, lineitem=lineitem)
    reply = client.post("/lti/api/score", json={"status": "passed", "raw": 100, "progress": 1},
                        headers={"Authorization": auth})
    assert reply.json == {"graded": False}
    assert snapshot(sessions) == [("", 1.0, "completed"), ("outbox", 0)]


@pytest.mark.parametrize("header", [None, "Basic abc", "Bearer ", "Bearer nonsense", "bad-signature", "expired",
                                    "unknown-launch", "expired-launch"])
def test_unauthorised_calls_are_refused_and_write_nothing(client: FlaskClient, sessions: sessionmaker[Session],
                                                          header: str | None) -> None:
    auth = launch(sessions)
    client.put("/lti/api/state", json={"state": STATE}, headers={"Authorization": auth})
    before = snapshot(sessions)
    token = auth.removeprefix("Bearer ")
    if header == "bad-signature":
        header = f"Bearer {session.issue(b'x' * 32, 'launch-1')}"
    elif header == "expired":
        header = f"Bearer {session.issue(SECRET, 'launch-1', -1)}"
    elif header == "unknown-launch":
        header = f"Bearer {session.issue(SECRET, 'launch-404')}"
    elif header == "expired-launch":
        with sessions.begin() as db:
            db.get_one(Launch, "launch-1").expires_at = utcnow() - timedelta(seconds=1)
        header = f"Bearer {token}"
    headers = {} if header is None else {"Authorization": header}
    for method, path, body in (("GET", "state", None), ("PUT", "state", {"state": "{}"}),
                               ("POST", "score", {"status": "passed", "raw": 90, "progress": 1})):
        reply = client.open(f"/lti/api/{path}", method=method, json=body, headers=headers)
        assert reply.status_code == 401, (method, path)
        assert reply.headers["WWW-Authenticate"].startswith("Bearer") and reply.json and reply.json["error"]
    assert snapshot(sessions) == before


@pytest.mark.parametrize(("path", "body"), [
    ("state", b"{not json"),
    ("state", b'["a list"]'),
    ("state", b'{"state": 3}'),
    ("state", b'{"state": "not json"}'),
    ("state", json.dumps({"state": json.dumps({"x": "y" * api.MAX_STATE_CHARS})}).encode()),
    ("score", b'{"status": "done", "raw": 1, "progress": 1}'),
    ("score", b'{"status": "passed", "raw": 101, "progress": 1}'),
    ("score", b'{"status": "passed", "raw": true, "progress": 1}'),
    ("score", b'{"status": "passed", "raw": 50, "progress": 2}'),
    ("score", b'{"status": "incomplete", "raw": 50, "progress": 0.5}'),
])
def test_malformed_calls_are_refused_and_write_nothing(client: FlaskClient, sessions: sessionmaker[Session],
                                                       path: str, body: bytes) -> None:
    auth = launch(sessions)
    before = snapshot(sessions)
    reply = client.post(f"/lti/api/{path}", data=body, headers={"Authorization": auth,
                                                                 "Content-Type": "application/json"})
    assert reply.status_code == 400 and reply.json and reply.json["error"]
    assert snapshot(sessions) == before


def test_an_oversized_body_is_refused_and_writes_nothing(client: FlaskClient, sessions: sessionmaker[Session]) -> None:
    auth = launch(sessions)
    body = json.dumps({"state": STATE, "padding": "x" * api.MAX_BODY}).encode()
    reply = client.put("/lti/api/state", data=body, headers={"Authorization": auth,
                                                              "Content-Type": "application/json"})
    assert reply.status_code == 413
    assert snapshot(sessions) == [("outbox", 0)]
