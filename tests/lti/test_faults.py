"""Fault tests of issue 5, on SQLite and PostgreSQL: a worker killed mid-request leaves no half-written
attempt, and a platform whose AGS endpoint is down loses no grade; on PostgreSQL, the database refusing the
tool's connections gives a 503 the runtime retries, not a bare 500.

The third fault, a platform rotating its signing key, is covered by
tests/lti/test_key_sets.py::test_launches_reuse_the_key_set_and_survive_a_platform_key_rotation (both
databases; the launch signed with the new key re-fetches the key set once and succeeds)."""

from __future__ import annotations

import json
import multiprocessing
import os
import signal
import time
from collections.abc import Iterator
from datetime import timedelta
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

import psycopg
import pytest
import requests
from flask import Flask
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker
from werkzeug.serving import make_server

from exporter.lti import db, delivery, grades, services, session
from exporter.lti.app import create_app
from exporter.lti.context import EXTENSION, ToolContext
from exporter.lti.models import Attempt, GradeOutbox, Launch, utcnow
from tests.lti import factories
from tests.lti.conftest import POSTGRES_ADMIN_URL
from tests.lti.platform import LESSONS, MODULE
from tests.lti.test_grades import FakePlatform
from tests.lti.test_moodle import Moodle, lineitem, session_token, tool

SECRET = b"fault-test-secret"
LEARNER = "http://purl.imsglobal.org/vocab/lis/v2/membership#Learner"
SCORE = {"status": "passed", "raw": 87, "progress": 1}
STATE = '{"v":1,"n":1}'


def healthy_app(database_url: str, platform: FakePlatform) -> Flask:
    app = create_app(database_url, secret=SECRET, lessons=LESSONS, testing=True)
    context: ToolContext = app.extensions[EXTENSION]
    context.grades.http.mount(factories.ISSUER, platform)
    context.grades.tokens = services.MemoryTokenCache()
    return app


def learner_launch(sessions: sessionmaker[Session]) -> str:
    """A Learner's launch row with a Moodle line item, as the launch view records it; its bearer token."""
    with sessions.begin() as db:
        registration = factories.registration(db, "client-1", deployment_ids=("3",))
        row = Launch(id="launch-killed", registration_id=registration.id, deployment_id=registration.deployments[0].id,
                     sub="42", context_id="2", resource_link_id="17", roles=json.dumps([LEARNER]), module_id=MODULE,
                     message_type="LtiResourceLinkRequest", expires_at=utcnow() + timedelta(hours=1),
                     ags_lineitem=lineitem(), ags_scopes=grades.SCORE_SCOPE)
        db.add(row)
    return session.issue(SECRET, "launch-killed")


def stored(sessions: sessionmaker[Session]) -> tuple[list[tuple[Any, ...]], int]:
    """(attempts as (state, score, completion, success), outbox rows)."""
    with sessions() as db:
        attempts = [tuple(row) for row in db.execute(select(
            Attempt.state, Attempt.score, Attempt.completion_status, Attempt.success_status))]
        return attempts, db.scalar(select(func.count()).select_from(GradeOutbox)) or 0


def worker(database_url: str, moment: str, marker: str, ready: Connection) -> None:
    """A tool worker (a werkzeug server in a forked process) that dies by SIGKILL inside the score's
    transaction: `before` once the attempt's update is flushed to the database and the outbox row is about
    to be written, `after` once the outbox row is inserted too. Nothing is committed in either case."""
    app = create_app(database_url, secret=SECRET, lessons=LESSONS, testing=True)
    enqueue = grades.enqueue

    def killed(db: Session, attempt: Attempt, launch: Launch, now: Any) -> GradeOutbox:
        db.flush()  # the attempt's UPDATE reaches the database, inside the open transaction
        row = enqueue(db, attempt, launch, now) if moment == "after" else None
        Path(marker).write_text(f"{moment}: attempt score {attempt.score}, outbox row {row and row.id}")
        os.kill(os.getpid(), signal.SIGKILL)
        raise AssertionError("unreachable")

    grades.enqueue = killed  # type: ignore[assignment]  # api.py calls grades.enqueue inside the transaction
    server = make_server("127.0.0.1", 0, app)
    ready.send(server.server_port)
    server.serve_forever()


@pytest.mark.parametrize("moment", ["before", "after"])
def test_a_worker_killed_mid_score_leaves_no_half_written_attempt(
        database_url: str, sessions: sessionmaker[Session], tmp_path: Path, moment: str) -> None:
    """The score updates the attempt and writes the outbox row in one transaction. A worker killed between
    the two (or after both, before the commit) must leave the attempt as it was and no outbox row, else a
    grade would be lost (attempt finished, nothing to post) or posted for an attempt that never finished.
    The learner's retry on a healthy worker then writes both, and the grade reaches the platform."""
    token = learner_launch(sessions)
    platform = FakePlatform()
    auth = {"Authorization": f"Bearer {token}"}
    healthy = healthy_app(database_url, platform).test_client()
    assert healthy.post("/lti/api/state", json={"state": STATE}, headers=auth).status_code == 200
    before = stored(sessions)
    assert before == ([(STATE, None, "not attempted", "unknown")], 0)

    marker = tmp_path / "killed"
    fork = multiprocessing.get_context("fork")
    receive, send = fork.Pipe(duplex=False)
    child = fork.Process(target=worker, args=(database_url, moment, str(marker), send))
    child.start()
    try:
        assert receive.poll(60), "the worker did not start"
        port = receive.recv()
        with pytest.raises(requests.ConnectionError):
            requests.post(f"http://127.0.0.1:{port}/lti/api/score", json=SCORE, headers=auth, timeout=60)
        child.join(30)
        assert child.exitcode == -signal.SIGKILL
    finally:
        if child.is_alive():
            child.kill()
            child.join()
    assert marker.read_text().startswith(f"{moment}: attempt score 0.87")  # killed where we meant, score in hand

    assert stored(sessions) == before  # rolled back: no score, no status change, no outbox row
    assert platform.scores == []

    retry = healthy.post("/lti/api/score", json=SCORE, headers=auth)
    assert retry.status_code == 200 and retry.json == {"graded": True}
    assert stored(sessions) == ([(STATE, 0.87, "completed", "passed")], 1)
    [(_, body)] = platform.scores
    assert (body["userId"], body["scoreGiven"]) == ("42", 87.0)


def test_a_score_sent_while_moodle_is_down_waits_in_the_outbox_and_arrives_when_it_is_back(
        database_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """The learner finishes while the platform's AGS endpoint is unreachable: the API still answers (the
    attempt is saved and the score kept in the outbox with its error and backoff), and once the platform is
    back the worker's delivery loop posts it, with no action from the learner."""
    moodle = Moodle()
    app = tool(database_url, moodle)
    context: ToolContext = app.extensions[EXTENSION]
    client = app.test_client()
    auth = {"Authorization": f"Bearer {session_token(moodle.launch(client, '42'))}"}
    moodle.services.down = True
    response = client.post("/lti/api/score", json=SCORE, headers=auth)
    assert response.status_code == 200 and response.json == {"graded": True}
    assert moodle.services.scores == []
    with context.sessions() as db:
        attempt = db.scalars(select(Attempt)).one()
        row = db.scalars(select(GradeOutbox)).one()
        assert (attempt.score, attempt.completion_status) == (0.87, "completed")
        assert (row.status, row.tries) == ("pending", 1)
        assert row.last_error is not None and "connection refused" in row.last_error
        assert row.next_try_at > utcnow()  # backing off, not hammering the platform
        row_id, due = row.id, row.next_try_at

    moodle.services.down = False
    monkeypatch.setattr(delivery, "utcnow", lambda: due + timedelta(seconds=1))  # the backoff has passed
    stop = delivery.start(context.sessions, context.grades, interval=0.05)  # what each worker runs (serve.py)
    try:
        deadline = time.monotonic() + 20
        while moodle.services.scores == [] and time.monotonic() < deadline:
            time.sleep(0.05)
    finally:
        stop.set()
    [(url, body)] = moodle.services.scores
    assert url.endswith("/lineitem/scores?type_id=3") and body["userId"] == "42"
    assert moodle.services.grades[(lineitem(), "42")] == 87.0
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        with context.sessions() as db:
            row = db.get_one(GradeOutbox, row_id)
            if row.status == "sent":
                break
        time.sleep(0.05)
    assert (row.status, row.tries, row.last_error) == ("sent", 2, None)


ADMIN_URL = POSTGRES_ADMIN_URL.replace("postgresql+psycopg://", "postgresql://")


@pytest.fixture
def own_database() -> Iterator[str]:
    """A PostgreSQL database of its own, so that refusing or cutting its connections disturbs no other test."""
    name = f"stopsexting_outage_{os.getpid()}_{int(time.time() * 1000)}"
    with psycopg.connect(ADMIN_URL, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    try:
        yield name
    finally:
        with psycopg.connect(ADMIN_URL, autocommit=True) as admin:
            admin.execute(f'ALTER DATABASE "{name}" WITH ALLOW_CONNECTIONS true')
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def cut_connections(name: str, *, refuse: bool = False) -> None:
    """Ends every backend of the database, as a restart or a failover does; `refuse` keeps it refusing new ones."""
    with psycopg.connect(ADMIN_URL, autocommit=True) as admin:
        if refuse:
            admin.execute(f'ALTER DATABASE "{name}" WITH ALLOW_CONNECTIONS false')
        admin.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s", (name,))


@pytest.fixture
def outage_app(own_database: str) -> Iterator[tuple[Flask, ToolContext, dict[str, str]]]:
    """The tool on its own database, with a Learner's launch; the save's Authorization header. Its engines'
    connections are closed afterwards, before the database is dropped."""
    app = healthy_app(POSTGRES_ADMIN_URL.rsplit("/", 1)[0] + f"/{own_database}", FakePlatform())
    context: ToolContext = app.extensions[EXTENSION]
    yield app, context, {"Authorization": f"Bearer {learner_launch(context.sessions)}"}
    for engine in (context.sessions.kw["bind"], context.autocommit):
        engine.dispose()


def test_the_database_going_down_gives_a_503_the_runtime_retries_and_saves_resume_when_it_is_back(
        own_database: str, outage_app: tuple[Flask, ToolContext, dict[str, str]]) -> None:
    """PostgreSQL refusing the tool's connections (a restart, a failover): the runtime's save gets a JSON 503
    with Retry-After, which templates/runtime/lti.js retries, a launch gets a page asking to come back, never
    a bare 500; once the database is back the next save is stored."""
    app, context, auth = outage_app
    client = app.test_client()
    assert client.post("/lti/api/state", json={"state": STATE}, headers=auth).status_code == 200

    cut_connections(own_database, refuse=True)
    refused = client.post("/lti/api/state", json={"state": '{"v":1,"n":2}'}, headers=auth)
    assert (refused.status_code, refused.headers["Retry-After"]) == (503, "30")
    assert "database is not reachable" in refused.json["error"]
    page = client.get("/lti/login", query_string={  # the registration is read from the database
        "iss": factories.ISSUER, "login_hint": "42", "target_link_uri": f"http://localhost/modules/{MODULE}",
        "client_id": "client-1", "lti_deployment_id": "3"})
    assert page.status_code == 503 and "Сервіс модулів зараз недоступний" in page.get_data(as_text=True)

    with psycopg.connect(ADMIN_URL, autocommit=True) as admin:
        admin.execute(f'ALTER DATABASE "{own_database}" WITH ALLOW_CONNECTIONS true')
    assert client.post("/lti/api/state", json={"state": '{"v":1,"n":3}'}, headers=auth).status_code == 200
    assert stored(context.sessions)[0] == [('{"v":1,"n":3}', None, "not attempted", "unknown")]


def test_a_pooled_connection_cut_while_idle_is_replaced_before_the_save_uses_it(
        own_database: str, outage_app: tuple[Flask, ToolContext, dict[str, str]],
        monkeypatch: pytest.MonkeyPatch) -> None:
    """The pool checks only connections idle for IDLE_PING_SECONDS (db._ping_when_idle). One cut while idle is
    replaced unseen; one cut a moment after use costs that one save a 503 (which lti.js retries), and the
    worker's pool is renewed for the next."""
    app, context, auth = outage_app
    client = app.test_client()
    assert client.post("/lti/api/state", json={"state": STATE}, headers=auth).status_code == 200

    cut_connections(own_database)  # a moment after the save: not checked, so the save meets the cut connection
    assert client.post("/lti/api/state", json={"state": '{"v":1,"n":2}'}, headers=auth).status_code == 503
    assert client.post("/lti/api/state", json={"state": '{"v":1,"n":3}'}, headers=auth).status_code == 200

    cut_connections(own_database)
    monkeypatch.setattr(db, "IDLE_PING_SECONDS", 0.0)  # as if the connection had sat idle that long
    assert client.post("/lti/api/state", json={"state": '{"v":1,"n":4}'}, headers=auth).status_code == 200
    assert stored(context.sessions)[0] == [('{"v":1,"n":4}', None, "not attempted", "unknown")]
