"""Scores reach the platform the way Moodle wants them (lti.md §7), through the outbox, despite outages.

The platform is a `requests` transport adapter: a token endpoint and an AGS score endpoint with Moodle's
rules (409 on a timestamp not strictly later, null grade unless FullyGraded)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs

import jwt
import requests
from requests.adapters import BaseAdapter
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from exporter.lti import grades, keys, services
from exporter.lti.models import Attempt, GradeOutbox, Launch
from tests.lti import factories

LINEITEM = f"{factories.ISSUER}/mod/lti/services.php/2/lineitems/7/lineitem?type_id=1"
NOW = datetime(2026, 12, 1, 9, 30, 15, 400000, tzinfo=UTC)


class FakePlatform(BaseAdapter):
    """Moodle's token.php and gradebookservices scores endpoint, in process."""

    def __init__(self) -> None:
        super().__init__()
        self.down = False
        self.tokens: list[str] = []
        self.assertions: list[str] = []
        self.scores: list[tuple[str, dict[str, object]]] = []  # (url, body) of accepted posts
        self.grades: dict[tuple[str, str], object] = {}  # (line item, user) → grade
        self.last: dict[tuple[str, str], int] = {}  # (line item, user) → last timestamp, whole seconds
        self.refused = 0

    def send(self, request: requests.PreparedRequest, *args: object, **kwargs: object) -> requests.Response:
        if self.down:
            raise requests.ConnectionError("connection refused")
        assert request.url is not None
        if request.url == f"{factories.ISSUER}/mod/lti/token.php":
            return self.token(request)
        return self.score(request)

    def token(self, request: requests.PreparedRequest) -> requests.Response:
        form = {k: v[0] for k, v in parse_qs(str(request.body)).items()}
        assert form["grant_type"] == "client_credentials" and form["scope"] == grades.SCORE_SCOPE
        self.assertions.append(form["client_assertion"])
        self.tokens.append(f"token-{len(self.tokens) + 1}")
        return reply(request, 200, {"access_token": self.tokens[-1], "token_type": "Bearer", "expires_in": 3600})

    def score(self, request: requests.PreparedRequest) -> requests.Response:
        assert request.headers["Authorization"] == f"Bearer {self.tokens[-1]}"
        assert request.headers["Content-Type"] == "application/vnd.ims.lis.v1.score+json"
        body = json.loads(request.body or b"")
        lineitem, user = str(request.url).replace("/scores?", "?"), body["userId"]
        second = int(datetime.fromisoformat(body["timestamp"]).timestamp())
        if second <= self.last.get((lineitem, user), -1):
            self.refused += 1
            return reply(request, 409, {"status": "Refusing score with an earlier timestamp"})
        self.last[(lineitem, user)] = second
        self.grades[(lineitem, user)] = body.get("scoreGiven") if body["gradingProgress"] == "FullyGraded" else None
        self.scores.append((str(request.url), body))
        return reply(request, 200, {})

    def close(self) -> None:
        pass


def reply(request: requests.PreparedRequest, status: int, body: object) -> requests.Response:
    response = requests.Response()
    response.status_code, response.request, response.url = status, request, str(request.url)
    response._content = json.dumps(body).encode()
    response.headers["Content-Type"] = "application/json"
    return response


def sender(platform: FakePlatform) -> grades.GradeSender:
    http = requests.Session()
    http.mount("https://", platform)
    return grades.GradeSender(http, services.MemoryTokenCache())


def finished(sessions: sessionmaker[Session], sub: str = "user-7", score: float | None = 0.87,
             now: datetime = NOW) -> int:
    """An attempt with its final score in the outbox, as the API writes it; the outbox row's id."""
    with sessions.begin() as session:
        registration = session.scalar(select(factories.Registration)) or factories.registration(session)
        launch = Launch(id=f"launch-{sub}-{now.timestamp()}", registration_id=registration.id,
                        deployment_id=registration.deployments[0].id, sub=sub, resource_link_id="rl-1",
                        module_id="m4_ne_vedus", message_type="LtiResourceLinkRequest", expires_at=now,
                        ags_lineitem=LINEITEM, ags_scopes=grades.SCORE_SCOPE)
        attempt = session.scalar(select(Attempt).where(Attempt.sub == sub)) or Attempt(
            registration_id=registration.id, deployment_id=launch.deployment_id, sub=sub, resource_link_id="rl-1",
            module_id="m4_ne_vedus")
        attempt.score, attempt.completion_status = score, "completed"
        session.add_all([launch, attempt])
        session.flush()
        return grades.enqueue(session, attempt, launch, now).id


def outbox(sessions: sessionmaker[Session], row_id: int) -> GradeOutbox:
    with sessions() as session:
        return session.get_one(GradeOutbox, row_id)


def test_the_score_is_posted_with_exactly_the_fields_moodle_needs(sessions: sessionmaker[Session]) -> None:
    platform = FakePlatform()
    row_id = finished(sessions)
    assert grades.deliver_due(sessions, NOW, sender(platform)) == 1
    [(url, body)] = platform.scores
    assert url == f"{factories.ISSUER}/mod/lti/services.php/2/lineitems/7/lineitem/scores?type_id=1"
    assert body == {"userId": "user-7", "scoreGiven": 87.0, "scoreMaximum": 100, "activityProgress": "Completed",
                    "gradingProgress": "FullyGraded", "timestamp": "2026-12-01T09:30:15+00:00"}
    assert platform.grades[(LINEITEM, "user-7")] == 87.0  # FullyGraded: Moodle keeps the grade
    row = outbox(sessions, row_id)
    assert (row.status, row.tries, row.last_error) == ("sent", 1, None)
    assert json.loads(row.payload) == body
    assert row.score_timestamp == NOW.replace(microsecond=0)
    [assertion] = platform.assertions
    key = keys.active_key(sessions)
    assert jwt.get_unverified_header(assertion)["kid"] == key.kid
    claims = jwt.decode(assertion, key.public_pem, algorithms=["RS256"],
                        audience=f"{factories.ISSUER}/mod/lti/token.php",
                        options={"verify_exp": False, "verify_iat": False})  # signed at NOW, not the clock's now
    assert claims["iss"] == claims["sub"] == "client-1" and claims["jti"]


def test_a_session_without_a_score_is_reported_completed_without_a_grade(sessions: sessionmaker[Session]) -> None:
    platform = FakePlatform()
    finished(sessions, score=None)
    grades.deliver_due(sessions, NOW, sender(platform))
    [(_, body)] = platform.scores
    assert "scoreGiven" not in body and "scoreMaximum" not in body
    assert (body["activityProgress"], body["gradingProgress"]) == ("Completed", "FullyGraded")


def test_scores_within_one_second_get_strictly_later_timestamps(sessions: sessionmaker[Session]) -> None:
    platform = FakePlatform()
    first = finished(sessions, score=0.5)
    grades.deliver_due(sessions, NOW, sender(platform))
    second = finished(sessions, score=0.9, now=NOW + timedelta(milliseconds=300))
    grades.deliver_due(sessions, NOW + timedelta(milliseconds=300), sender(platform))
    assert outbox(sessions, second).score_timestamp == outbox(sessions, first).score_timestamp + timedelta(seconds=1)
    assert platform.refused == 0 and platform.grades[(LINEITEM, "user-7")] == 90.0


def test_a_409_is_retried_with_a_later_timestamp(sessions: sessionmaker[Session]) -> None:
    """The platform already holds a score with this timestamp (say our earlier post went through but its
    answer was lost): Moodle refuses the same second again."""
    platform = FakePlatform()
    row_id = finished(sessions)
    platform.last[(LINEITEM, "user-7")] = int(NOW.timestamp())
    assert grades.deliver_due(sessions, NOW, sender(platform)) == 1
    assert platform.refused == 1
    row = outbox(sessions, row_id)
    assert row.status == "sent" and row.score_timestamp == NOW.replace(microsecond=0) + timedelta(seconds=1)
    assert json.loads(row.payload)["timestamp"] == "2026-12-01T09:30:16+00:00"


def test_a_platform_outage_keeps_the_score_pending_with_backoff_until_it_is_back(
        sessions: sessionmaker[Session]) -> None:
    platform = FakePlatform()
    platform.down = True
    post = sender(platform)
    row_id = finished(sessions)
    assert grades.deliver_due(sessions, NOW, post) == 0
    row = outbox(sessions, row_id)
    assert (row.status, row.tries, row.next_try_at) == ("pending", 1, NOW + timedelta(seconds=30))
    assert row.last_error is not None and "connection refused" in row.last_error
    assert grades.deliver_due(sessions, NOW + timedelta(seconds=29), post) == 0  # not due yet: nothing tried
    assert outbox(sessions, row_id).tries == 1
    assert grades.deliver_due(sessions, NOW + timedelta(seconds=30), post) == 0
    assert outbox(sessions, row_id).next_try_at == NOW + timedelta(seconds=90)  # twice the delay
    platform.down = False
    assert grades.deliver_due(sessions, NOW + timedelta(seconds=90), post) == 1
    row = outbox(sessions, row_id)
    assert (row.status, row.tries, row.last_error) == ("sent", 3, None)
    assert platform.grades[(LINEITEM, "user-7")] == 87.0


def test_a_newer_score_replaces_one_still_waiting(sessions: sessionmaker[Session]) -> None:
    platform = FakePlatform()
    platform.down = True
    post = sender(platform)
    first = finished(sessions, score=0.4)
    grades.deliver_due(sessions, NOW, post)
    second = finished(sessions, score=0.95, now=NOW + timedelta(seconds=5))
    platform.down = False
    assert grades.deliver_due(sessions, NOW + timedelta(minutes=5), post) == 1
    with sessions() as session:
        assert session.get(GradeOutbox, first) is None
    assert outbox(sessions, second).status == "sent" and platform.grades[(LINEITEM, "user-7")] == 95.0


def test_the_access_token_is_cached_until_it_expires(sessions: sessionmaker[Session]) -> None:
    platform = FakePlatform()
    post = sender(platform)
    finished(sessions, sub="user-1")
    finished(sessions, sub="user-2")
    assert grades.deliver_due(sessions, NOW, post) == 2
    assert platform.tokens == ["token-1"]
    finished(sessions, sub="user-3", now=NOW + timedelta(seconds=3500))
    grades.deliver_due(sessions, NOW + timedelta(seconds=3500), post)
    assert platform.tokens == ["token-1"]
    finished(sessions, sub="user-4", now=NOW + timedelta(seconds=3600))
    grades.deliver_due(sessions, NOW + timedelta(seconds=3600), post)  # expired (less a safety margin)
    assert platform.tokens == ["token-1", "token-2"]


def test_a_score_that_never_gets_through_is_given_up_after_many_tries(sessions: sessionmaker[Session]) -> None:
    platform = FakePlatform()
    platform.down = True
    post = sender(platform)
    row_id = finished(sessions)
    now = NOW
    for _ in range(grades.MAX_TRIES):
        grades.deliver_due(sessions, now, post)
        now = outbox(sessions, row_id).next_try_at
    row = outbox(sessions, row_id)
    assert (row.status, row.tries) == ("failed", grades.MAX_TRIES)
    assert grades.backoff(grades.MAX_TRIES) == grades.LONGEST_DELAY
