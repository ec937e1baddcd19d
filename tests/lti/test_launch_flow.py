"""End to end against an independent platform, the PyPI package lti1p3platform (../shared/lti.md 6.1): its
OIDC login initiation, auth endpoint and id_token signing drive the tool's login and launch in-process."""

from __future__ import annotations

import html
import json

from flask import Flask
from flask.testing import FlaskClient

from exporter.lti import session
from exporter.lti.context import EXTENSION, ToolContext
from exporter.lti.models import Launch
from tests.lti.platform import MEMBERSHIPS, MODULE, PlatformKey, peer_launch, rows

TEACHER_NOTES = "Для вчителя: як провести цей модуль"


def test_learner_launch_opens_the_module_with_its_session(tool: tuple[Flask, FlaskClient, PlatformKey]) -> None:
    app, client, key = tool
    response = peer_launch(client, key, "student-1")
    page = html.unescape(response.get_data(as_text=True))
    assert response.status_code == 200, page
    context: ToolContext = app.extensions[EXTENSION]
    assert context.course.module(MODULE).title in page
    with context.sessions() as db:
        launch = db.query(Launch).one()
    assert (launch.sub, launch.module_id, launch.resource_link_id) == ("student-1", MODULE, "rl-1")
    assert launch.ags_lineitem and launch.ags_lineitem.endswith("/lineitems/7/lineitem")
    assert "https://purl.imsglobal.org/spec/lti-ags/scope/score" in launch.ags_scopes.split()
    assert launch.nrps_memberships_url == MEMBERSHIPS  # for the class view's member list, query and all
    embedded = json.loads(page.split('id="lti-session">', 1)[1].split("</script>", 1)[0])
    assert embedded["api"] == "/lti/api"
    assert session.verify(context.secret, embedded["token"]) == launch.id
    assert response.headers["Cache-Control"] == "no-store"
    assert TEACHER_NOTES not in page and "class-view" not in page
    base = page.split('<base href="', 1)[1].split('"', 1)[0]
    asset = client.get(f"{base}assets/style.css")
    assert (asset.status_code, asset.headers["Cache-Control"]) == (200, "public, max-age=31536000, immutable")
    assert client.get(f"{base}index.html").status_code == 404  # the page only comes with a launch
    assert rows(app) == (1, 0)


def test_instructor_sees_the_teacher_notes(tool: tuple[Flask, FlaskClient, PlatformKey]) -> None:
    _, client, key = tool
    response = peer_launch(client, key, "teacher-1")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert TEACHER_NOTES in page
    assert 'class="class-view" href="/lti/class/' in page  # part 2 of issue 5 builds the class view
