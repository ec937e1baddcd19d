"""End to end against a Moodle-shaped fake platform (../shared/lti.md §7), through the tool's Flask test client.

Moodle differs from the PyPI peer in ways the tool must survive: the issuer is the site's wwwroot, the
deployment id is the tool type id ("3"), every course-level tool is a new deployment nobody registered, the
login initiation carries `lti_message_hint` JSON and `lti_deployment_id`, the auth endpoint is strict about
its parameters and the exact redirect URI, line items are `…/lineitem?type_id=3` (the query must survive
building the scores URL), a score is refused with 409 unless its timestamp is strictly later at one-second
resolution, and a score not FullyGraded is stored as null."""

from __future__ import annotations

import html
import json
import time
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from click.testing import CliRunner
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from exporter.cli import main
from exporter.lti import api, services
from exporter.lti.app import PLATFORM_HTTP, create_app
from exporter.lti.context import EXTENSION, ToolContext
from exporter.lti.models import Attempt, GradeOutbox, Launch
from tests.lti import factories
from tests.lti.platform import LESSONS, MODULE, JsonAdapter, PlatformKey, login_page
from tests.lti.test_grades import FakePlatform

WWWROOT = factories.ISSUER  # https://moodle.school.example; FakePlatform answers token.php under it
CLIENT_ID = "Xq3ZkP9bT2wLm7a"  # Moodle's client ids are random per tool
TYPE_ID = "3"  # the site-level tool: its lti_types.id is the deployment id
COURSE_TYPE_ID = "5"  # a teacher's course-level tool: a new deployment of the same client
COURSE = "2"
GRADE_ITEM = "7"
TOOL = "http://localhost"
TARGET = f"{TOOL}/modules/{MODULE}"
REDIRECT_URI = f"{TOOL}/lti/launch"  # the tool's only registered "Redirection URI(s)"
CLAIM = "https://purl.imsglobal.org/spec/lti/claim/"
AGS = "https://purl.imsglobal.org/spec/lti-ags/claim/endpoint"
LEARNER = "http://purl.imsglobal.org/vocab/lis/v2/membership#Learner"
SCOPES = ["https://purl.imsglobal.org/spec/lti-ags/scope/lineitem",
          "https://purl.imsglobal.org/spec/lti-ags/scope/lineitem.readonly",
          "https://purl.imsglobal.org/spec/lti-ags/scope/result.readonly",
          "https://purl.imsglobal.org/spec/lti-ags/scope/score"]
SECRET = b"moodle-test-secret"


def lineitem(type_id: str = TYPE_ID) -> str:
    return f"{WWWROOT}/mod/lti/services.php/{COURSE}/lineitems/{GRADE_ITEM}/lineitem?type_id={type_id}"


@dataclass
class Moodle:
    """mod/lti as the browser and the tool meet it: the login initiation form, auth.php, certs.php, and
    (through test_grades.FakePlatform) token.php and the gradebookservices scores endpoint."""

    key: PlatformKey = field(default_factory=lambda: PlatformKey(kid="moodle-kid-1"))
    services: FakePlatform = field(default_factory=FakePlatform)
    jwks_fetches: list[str] = field(default_factory=list)

    def certs(self, url: str) -> dict[str, Any]:
        assert url == f"{WWWROOT}/mod/lti/certs.php"
        self.jwks_fetches.append(url)
        return self.key.jwks()

    def initiate_login(self, user_id: str, cmid: int, type_id: str = TYPE_ID) -> dict[str, str]:
        """What lti_build_login_request() auto-posts to the tool's login URL."""
        return {"iss": WWWROOT, "target_link_uri": TARGET, "login_hint": user_id,
                "lti_message_hint": json.dumps({"cmid": cmid, "launchid": f"ltilaunch{uuid.uuid4().hex[:8]}_1"}),
                "client_id": CLIENT_ID, "lti_deployment_id": type_id}

    def auth(self, location: str, user_id: str, type_id: str, roles: list[str]) -> dict[str, str]:
        """mod/lti/auth.php: refuses what Moodle refuses, then form-posts the signed id_token back."""
        url = urlsplit(location)
        assert f"{url.scheme}://{url.netloc}{url.path}" == f"{WWWROOT}/mod/lti/auth.php"
        query = {name: values[0] for name, values in parse_qs(url.query).items()}
        assert query["scope"] == "openid"
        assert query["response_type"] == "id_token"
        assert query["response_mode"] == "form_post"
        assert query.get("prompt", "none") in ("", "none")
        assert query["client_id"] == CLIENT_ID
        assert query["login_hint"] == user_id  # must be the logged-in Moodle user
        assert query["redirect_uri"] == REDIRECT_URI  # exact match, else "invalidrequest"
        hint = json.loads(query["lti_message_hint"])  # handed back untouched, as Moodle needs it
        now = int(time.time())
        claims = {
            "iss": WWWROOT, "aud": CLIENT_ID, "sub": user_id, "iat": now, "exp": now + 60,
            "nonce": query["nonce"], "given_name": "Оксана", "family_name": "Коваль",
            CLAIM + "version": "1.3.0",
            CLAIM + "message_type": "LtiResourceLinkRequest",
            CLAIM + "deployment_id": type_id,
            CLAIM + "target_link_uri": TARGET,
            CLAIM + "resource_link": {"id": str(hint["cmid"]), "title": "Не ведусь", "description": ""},
            CLAIM + "context": {"id": COURSE, "label": "7A", "title": "7-А клас",
                                "type": ["CourseSection"]},
            CLAIM + "roles": roles,
            CLAIM + "tool_platform": {"product_family_code": "moodle", "version": "2024042200",
                                      "guid": "moodle.school.example", "name": "Школа"},
            CLAIM + "launch_presentation": {"locale": "uk", "document_target": "iframe",
                                            "return_url": f"{WWWROOT}/mod/lti/return.php?course={COURSE}"},
            CLAIM + "custom": {"module": MODULE},
            AGS: {"scope": SCOPES, "lineitems": f"{WWWROOT}/mod/lti/services.php/{COURSE}/lineitems?type_id={type_id}",
                  "lineitem": lineitem(type_id)},
        }
        return {"state": query["state"], "id_token": self.key.sign(claims)}

    def launch(self, client: FlaskClient, user_id: str = "42", *, cmid: int = 17, type_id: str = TYPE_ID,
               roles: list[str] | None = None) -> Any:
        """The browser: Moodle's login form → tool /lti/login → auth.php → tool /lti/launch."""
        login = client.post("/lti/login", data=self.initiate_login(user_id, cmid, type_id))
        return client.post("/lti/launch", data=self.auth(login_page(login)["auth-url"], user_id, type_id,
                                                         [LEARNER] if roles is None else roles))


def tool(database_url: str, moodle: Moodle) -> Flask:
    """The tool with Moodle registered as `stopsexting lti add-platform` writes it, deployment 3 only; the
    platform's key set and services are answered in-process."""
    app = create_app(database_url, secret=SECRET, lessons=LESSONS, testing=True)
    context: ToolContext = app.extensions[EXTENSION]
    with context.sessions.begin() as session:
        factories.registration(session, CLIENT_ID, deployment_ids=(TYPE_ID,))
    app.config[PLATFORM_HTTP].mount(WWWROOT, JsonAdapter(moodle.certs))
    context.grades.http.mount(WWWROOT, moodle.services)
    context.grades.tokens = services.MemoryTokenCache()  # not the process-wide cache other tests' platforms filled
    return app


def session_token(response: Any) -> str:
    page = html.unescape(response.get_data(as_text=True))
    assert response.status_code == 200, page
    embedded = json.loads(page.split('id="lti-session">', 1)[1].split("</script>", 1)[0])
    token: str = embedded["token"]
    return token


def counts(app: Flask) -> tuple[int, int, int]:
    """(launches, attempts, outbox rows) stored."""
    context: ToolContext = app.extensions[EXTENSION]
    with context.sessions() as session:
        return tuple(session.scalar(select(func.count()).select_from(table)) or 0  # type: ignore[return-value]
                     for table in (Launch, Attempt, GradeOutbox))


@pytest.fixture
def moodle() -> Moodle:
    return Moodle()


@pytest.fixture
def app(database_url: str, moodle: Moodle) -> Flask:
    return tool(database_url, moodle)


def test_a_learner_launch_and_finished_module_reach_the_moodle_gradebook(app: Flask, moodle: Moodle) -> None:
    """The whole Moodle path: its login hint JSON and deployment 3 are accepted, the launch keeps the
    `?type_id=3` line item, and the score the page reports through the API lands at `…/lineitem/scores?type_id=3`
    as a FullyGraded grade for `sub` (Moodle would store null otherwise)."""
    client = app.test_client()
    token = session_token(moodle.launch(client, "42"))
    context: ToolContext = app.extensions[EXTENSION]
    with context.sessions() as session:
        launch = session.scalars(select(Launch)).one()
        assert (launch.sub, launch.resource_link_id, launch.context_id) == ("42", "17", COURSE)
        assert launch.ags_lineitem == lineitem() and launch.ags_scopes.split() == SCOPES
    auth = {"Authorization": f"Bearer {token}"}
    assert client.post("/lti/api/state", json={"state": '{"v":1}'}, headers=auth).status_code == 200
    response = client.post("/lti/api/score", json={"status": "passed", "raw": 87, "progress": 1}, headers=auth)
    assert response.status_code == 200 and response.json == {"graded": True}
    [(url, body)] = moodle.services.scores
    assert url == f"{WWWROOT}/mod/lti/services.php/{COURSE}/lineitems/{GRADE_ITEM}/lineitem/scores?type_id={TYPE_ID}"
    assert body["userId"] == "42" and body["gradingProgress"] == "FullyGraded"
    assert (body["scoreGiven"], body["scoreMaximum"], body["activityProgress"]) == (87.0, 100, "Completed")
    assert moodle.services.grades[(lineitem(), "42")] == 87.0
    assert moodle.jwks_fetches == [f"{WWWROOT}/mod/lti/certs.php"]
    with context.sessions() as session:
        assert session.scalars(select(GradeOutbox.status)).all() == ["sent"]


def test_scores_within_one_second_are_not_refused_by_moodle(app: Flask, moodle: Moodle,
                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    """A learner who finishes again within the same second (a retake, a second tab) sends a second score;
    Moodle answers 409 to a timestamp not strictly later at one-second resolution, so the tool must step it."""
    frozen = datetime.now(UTC).replace(microsecond=100000)
    monkeypatch.setattr(api, "utcnow", lambda: frozen)
    client = app.test_client()
    auth = {"Authorization": f"Bearer {session_token(moodle.launch(client, '42'))}"}
    assert client.post("/lti/api/score", json={"status": "failed", "raw": 40}, headers=auth).json == {"graded": True}
    assert client.post("/lti/api/score", json={"status": "passed", "raw": 95}, headers=auth).json == {"graded": True}
    stamps = [datetime.fromisoformat(str(body["timestamp"])) for _, body in moodle.services.scores]
    assert len(stamps) == 2 and stamps[1] > stamps[0]
    assert moodle.services.refused == 0 and moodle.services.grades[(lineitem(), "42")] == 95.0


def test_a_409_from_moodle_is_answered_with_a_later_timestamp(app: Flask, moodle: Moodle,
                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    """Moodle already holds a score from this very second (our earlier post went through but its answer
    was lost): it refuses the post with 409 and the tool must send a later timestamp, not give up."""
    frozen = datetime.now(UTC).replace(microsecond=500000)
    monkeypatch.setattr(api, "utcnow", lambda: frozen)
    moodle.services.last[(lineitem(), "42")] = int(frozen.timestamp())
    client = app.test_client()
    auth = {"Authorization": f"Bearer {session_token(moodle.launch(client, '42'))}"}
    assert client.post("/lti/api/score", json={"status": "passed", "raw": 70}, headers=auth).json == {"graded": True}
    assert moodle.services.refused == 1
    [(_, body)] = moodle.services.scores
    assert datetime.fromisoformat(str(body["timestamp"])).timestamp() == int(frozen.timestamp()) + 1
    assert moodle.services.grades[(lineitem(), "42")] == 70.0


def test_an_unfinished_module_posts_nothing_to_moodle(app: Flask, moodle: Moodle) -> None:
    """Moodle stores a score that is not FullyGraded as null, wiping the column: progress reports while the
    learner is still working must not reach the gradebook at all."""
    client = app.test_client()
    auth = {"Authorization": f"Bearer {session_token(moodle.launch(client, '42'))}"}
    response = client.post("/lti/api/score", json={"status": "incomplete", "raw": None, "progress": 0.5},
                           headers=auth)
    assert response.json == {"graded": False}
    assert moodle.services.scores == [] and (lineitem(), "42") not in moodle.services.grades
    assert counts(app)[2] == 0


def test_a_course_level_tool_is_refused_until_an_admin_adds_its_deployment(
        app: Flask, moodle: Moodle, database_url: str) -> None:
    """A teacher's course-level tool is deployment 5, which nobody registered: the login is refused with a
    4xx page naming it, before Moodle is asked to sign a launch, and nothing is written (a launch naming an
    unknown deployment is refused too: row D2 of test_launch_security). After `stopsexting lti add-platform …
    --deployment-id 5` (re-adding the same platform keeps deployment 3) the same launch works and grades go to
    that tool's line item."""
    client = app.test_client()
    refused = client.post("/lti/login", data=moodle.initiate_login("42", 17, COURSE_TYPE_ID))
    assert refused.status_code == 403
    assert f"--deployment-id {COURSE_TYPE_ID}" in html.unescape(refused.get_data(as_text=True))  # what to add
    assert counts(app) == (0, 0, 0)

    result = CliRunner().invoke(main, [
        "lti", "add-platform", "--issuer", WWWROOT, "--client-id", CLIENT_ID,
        "--auth-login-url", f"{WWWROOT}/mod/lti/auth.php", "--auth-token-url", f"{WWWROOT}/mod/lti/token.php",
        "--key-set-url", f"{WWWROOT}/mod/lti/certs.php", "--deployment-id", COURSE_TYPE_ID,
        "--database-url", database_url])
    assert result.exit_code == 0, result.output
    assert result.output.endswith(f"deployments: {TYPE_ID}, {COURSE_TYPE_ID} (1 new).\n")

    auth = {"Authorization": f"Bearer {session_token(moodle.launch(client, '42', type_id=COURSE_TYPE_ID))}"}
    assert client.post("/lti/api/score", json={"status": "passed", "raw": 60}, headers=auth).json == {"graded": True}
    assert moodle.services.grades == {(lineitem(COURSE_TYPE_ID), "42"): 60.0}
    session_token(moodle.launch(client, "43"))  # the site-level tool still launches
    assert counts(app) == (2, 1, 1)
