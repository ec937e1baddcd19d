"""Deep Linking 2.0 end to end: lti1p3platform sends the LtiDeepLinkingRequest, a teacher picks modules on our
page, and the platform accepts the signed LtiDeepLinkingResponse (../shared/lti.md 1.4, section 5 DL1/DL2, 7)."""

from __future__ import annotations

import html
import json
import re
import time
import uuid
from typing import Any
from urllib.parse import urlsplit

import jwt
import pytest
from flask import Flask
from flask import request as flask_request
from flask.testing import FlaskClient
from itsdangerous import URLSafeTimedSerializer
from sqlalchemy import func, select

from exporter.lti import deep_linking
from exporter.lti.context import EXTENSION, ToolContext
from exporter.lti.models import Nonce
from tests.lti.platform import (
    CLAIM,
    CLIENT_ID,
    DEPLOYMENT_ID,
    INSTRUCTOR,
    ISSUER,
    LEARNER,
    REFUSAL_TITLE,
    TOOL,
    FlaskPeerRequest,
    PeerConf,
    PeerLaunch,
    PeerLogin,
    PlatformKey,
    claims,
    login,
    login_page,
    rows,
)

DL_TARGET = f"{TOOL}/lti/launch"  # the tool's content selection URL as a platform registers it
RETURN_URL = f"{ISSUER}/mod/lti/contentitem_return.php?course=2&id=3"
DATA = {"placement": "section-2"}
CHOSEN = ("m2_supersyla", "m7_selfie")


class DeepLinkConf(PeerConf):
    def init_platform_config(self, **kwargs: Any) -> None:
        super().init_platform_config(**kwargs)
        self._registration.set_deeplink_launch_url(DL_TARGET)


class DeepLinkLaunch(PeerLaunch):
    """A teacher choosing content: lti1p3platform's LtiDeepLinkingRequest with `data` to echo."""

    def prepare_launch(self, preflight_response: dict[str, Any]) -> None:
        self.set_user_data(preflight_response["login_hint"], [INSTRUCTOR], full_name="Test")
        self.set_launch_context_claim("course-1", context_title="7-А")
        self.set_dl(RETURN_URL, accept_types={"ltiResourceLink"}, extra_data=DATA)


def peer_deep_link(client: FlaskClient, key: PlatformKey) -> tuple[Any, DeepLinkConf]:
    """Platform login → tool /lti/login → platform auth (a Deep Linking request) → tool /lti/launch."""
    conf = DeepLinkConf(key=key, tool_jwks=client.get("/lti/jwks").get_json())
    peer_login = PeerLogin(None, conf)
    peer_login.set_lti_message_hint(launch=str(uuid.uuid4()))
    peer_login.set_deeplinking_launch_url()
    start = urlsplit(peer_login.initiate_login("teacher-1"))
    auth = urlsplit(login_page(client.get(f"{start.path}?{start.query}"))["auth-url"])
    with Flask("platform").test_request_context(f"{auth.path}?{auth.query}"):
        form = DeepLinkLaunch(FlaskPeerRequest(flask_request), conf).lti_launch()
    launch = urlsplit(form.pop("launch_url"))
    assert f"{launch.scheme}://{launch.netloc}{launch.path}" == DL_TARGET
    return client.post(launch.path, data=form), conf


def token(page: str) -> str:
    found = re.search(rf'name="{deep_linking.FIELD_TOKEN}" value="([^"]+)"', page)
    assert found, page
    return html.unescape(found.group(1))


def returned(page: str) -> tuple[str, str]:
    """The response form's action and JWT."""
    action = re.search(r'<form id="dl-return" action="([^"]+)" method="post">', page)
    value = re.search(r'name="JWT" value="([^"]+)"', page)
    assert action and value, page
    return html.unescape(action.group(1)), value.group(1)


def used_choices(app: Flask) -> int:
    context: ToolContext = app.extensions[EXTENSION]
    with context.sessions() as session:
        return session.scalar(select(func.count()).select_from(Nonce).where(Nonce.value.like("deep-link:%"))) or 0


def item(module_id: str, app: Flask) -> dict[str, Any]:
    module = app.extensions[EXTENSION].course.module(module_id)
    return {"type": "ltiResourceLink", "title": module.title, "text": module.summary,
            "url": f"{TOOL}/modules/{module_id}", "custom": {"module": module_id},
            "lineItem": {"scoreMaximum": 100, "label": module.title, "resourceId": module_id, "tag": "stopsexting"}}


def test_teacher_sees_the_eight_modules_grouped_by_audience(tool: tuple[Flask, FlaskClient, PlatformKey]) -> None:
    app, client, key = tool
    response, _ = peer_deep_link(client, key)
    page = html.unescape(response.get_data(as_text=True))
    assert response.status_code == 200, page
    assert response.headers["Cache-Control"] == "no-store"
    assert '<html lang="uk">' in page and "<style>" in page and "http" not in page.split("<body>", 1)[1].split(
        "</form>", 1)[0].replace(deep_linking.ROUTE, "")  # nothing loaded from elsewhere
    course = app.extensions[EXTENSION].course
    assert len(course.modules) == 8
    labels = list(dict.fromkeys(module.audience.label for module in course.modules))
    legends = re.findall(r"<legend>([^<]+)</legend>", page)
    assert legends == labels
    sections = page.split("<legend>")[1:]
    for module in course.modules:
        section = sections[labels.index(module.audience.label)]
        assert module.title in section and f"{module.duration_minutes} хв" in section
        assert all(objective.text in section for objective in module.objectives)
        assert f'type="checkbox" name="module" value="{module.id}"' in section
    order = [page.index(f'value="{module.id}"') for module in course.modules]
    assert order == sorted(order)  # program order
    assert rows(app) == (0, 0)  # a Deep Linking request is no module launch


def test_two_modules_make_a_response_the_platform_accepts(tool: tuple[Flask, FlaskClient, PlatformKey]) -> None:
    app, client, key = tool
    response, conf = peer_deep_link(client, key)
    answer = client.post(deep_linking.ROUTE, data={deep_linking.FIELD_TOKEN: token(response.get_data(as_text=True)),
                                                   deep_linking.FIELD_MODULE: list(reversed(CHOSEN))})
    assert answer.status_code == 200, answer.get_data(as_text=True)
    assert answer.headers["Cache-Control"] == "no-store"
    action, response_jwt = returned(answer.get_data(as_text=True))
    assert action == RETURN_URL
    expected = [item(module_id, app) for module_id in CHOSEN]
    assert conf.validate_deeplinking_resp({"JWT": response_jwt}) == expected

    header = jwt.get_unverified_header(response_jwt)
    jwks = client.get("/lti/jwks").get_json()
    public = next(jwt.PyJWK(entry) for entry in jwks["keys"] if entry["kid"] == header["kid"])
    body = jwt.decode(response_jwt, public.key, algorithms=["RS256"], audience=ISSUER, issuer=CLIENT_ID,
                      options={"require": ["exp", "iat", "nonce"]})
    assert body["iat"] <= time.time() < body["exp"]
    assert body["aud"] == [ISSUER]
    assert body[CLAIM + "deployment_id"] == DEPLOYMENT_ID
    assert body[CLAIM + "message_type"] == "LtiDeepLinkingResponse"
    assert body[CLAIM + "version"] == "1.3.0"
    assert body[deep_linking.DATA] == DATA
    assert body[deep_linking.CONTENT_ITEMS] == expected
    assert "null" not in json.dumps(body) and '"custom": {}' not in json.dumps(body)

    again = client.post(deep_linking.ROUTE, data={deep_linking.FIELD_TOKEN: token(response.get_data(as_text=True)),
                                                  deep_linking.FIELD_MODULE: list(CHOSEN)})
    assert again.status_code == 403 and 'name="JWT"' not in again.get_data(as_text=True)  # one request, one answer


def test_a_returned_link_opens_its_module(tool: tuple[Flask, FlaskClient, PlatformKey]) -> None:
    app, client, key = tool
    response, _ = peer_deep_link(client, key)
    answer = client.post(deep_linking.ROUTE, data={deep_linking.FIELD_TOKEN: token(response.get_data(as_text=True)),
                                                   deep_linking.FIELD_MODULE: list(CHOSEN)})
    link = jwt.decode(returned(answer.get_data(as_text=True))[1],
                      options={"verify_signature": False})[deep_linking.CONTENT_ITEMS][1]
    auth = login(client, link["url"])
    body = claims(auth["nonce"])
    body[CLAIM + "target_link_uri"] = link["url"]
    body[CLAIM + "custom"] = link["custom"]
    launched = client.post("/lti/launch", data={"id_token": key.sign(body), "state": auth["state"]})
    page = html.unescape(launched.get_data(as_text=True))
    assert launched.status_code == 200, page
    assert app.extensions[EXTENSION].course.module(CHOSEN[1]).title in page
    assert rows(app) == (1, 0)


def test_nothing_chosen_shows_the_page_again(tool: tuple[Flask, FlaskClient, PlatformKey]) -> None:
    app, client, key = tool
    response, _ = peer_deep_link(client, key)
    choice = token(response.get_data(as_text=True))
    empty = client.post(deep_linking.ROUTE, data={deep_linking.FIELD_TOKEN: choice})
    page = empty.get_data(as_text=True)
    assert empty.status_code == 200
    assert 'role="alert"' in page and "Позначте хоча б один модуль." in page and 'name="JWT"' not in page
    assert token(page) == choice and used_choices(app) == 0
    answer = client.post(deep_linking.ROUTE, data={deep_linking.FIELD_TOKEN: choice,
                                                   deep_linking.FIELD_MODULE: CHOSEN[0]})
    assert answer.status_code == 200 and 'name="JWT"' in answer.get_data(as_text=True)


def deep_link_body(nonce: str, settings: dict[str, Any] | None, role: str = INSTRUCTOR) -> dict[str, Any]:
    """A Deep Linking request as a platform signs it, from the raw minter (for the cases peers never send)."""
    body = claims(nonce, roles=[role])
    del body[CLAIM + "resource_link"]
    body[CLAIM + "message_type"] = "LtiDeepLinkingRequest"
    body[CLAIM + "target_link_uri"] = DL_TARGET
    if settings is not None:
        body[deep_linking.SETTINGS] = settings
    return body


def raw_deep_link(client: FlaskClient, key: PlatformKey, settings: dict[str, Any] | None,
                  role: str = INSTRUCTOR) -> Any:
    auth = login(client, DL_TARGET)
    return client.post("/lti/launch", data={"id_token": key.sign(deep_link_body(auth["nonce"], settings, role)),
                                            "state": auth["state"]})


SETTINGS = {"deep_link_return_url": RETURN_URL, "accept_types": ["ltiResourceLink"],
            "accept_presentation_document_targets": ["iframe", "window"]}


def test_a_single_choice_platform_gets_radio_buttons(tool: tuple[Flask, FlaskClient, PlatformKey]) -> None:
    _, client, key = tool
    response = raw_deep_link(client, key, {**SETTINGS, "accept_multiple": False})
    page = response.get_data(as_text=True)
    assert response.status_code == 200, page
    assert 'type="radio"' in page and 'type="checkbox"' not in page
    two = client.post(deep_linking.ROUTE, data={deep_linking.FIELD_TOKEN: token(page),
                                                deep_linking.FIELD_MODULE: list(CHOSEN)})
    assert two.status_code == 200 and 'role="alert"' in two.get_data(as_text=True)
    assert 'name="JWT"' not in two.get_data(as_text=True)


def settings_with(**changes: Any) -> dict[str, Any]:
    """SETTINGS with `changes`; a change to None drops the key."""
    changed = {**SETTINGS, **changes}
    return {name: value for name, value in changed.items() if value is not None}


@pytest.mark.parametrize(("settings", "status"), [
    # pylti1p3's own checks: an LtiException, which the launch route answers with 403
    (None, 403),
    (settings_with(accept_types=["link"]), 403),
    (settings_with(accept_presentation_document_targets=[]), 403),
    # ours: what pylti1p3 lets through
    (settings_with(accept_presentation_document_targets=["embed"]), 400),
    (settings_with(deep_link_return_url=None), 400),
    (settings_with(deep_link_return_url="javascript:alert(1)"), 400),
], ids=["no-settings", "no-resource-link", "no-target", "embed-only", "no-return-url", "bad-return-url"])
def test_dl1_bad_requests_are_refused(tool: tuple[Flask, FlaskClient, PlatformKey],
                                      settings: dict[str, Any] | None, status: int) -> None:
    app, client, key = tool
    response = raw_deep_link(client, key, settings)
    page = response.get_data(as_text=True)
    assert response.status_code == status, page
    assert REFUSAL_TITLE in page and f'name="{deep_linking.FIELD_TOKEN}"' not in page
    assert rows(app) == (0, 0) and used_choices(app) == 0


def test_forged_or_expired_choice_is_refused(tool: tuple[Flask, FlaskClient, PlatformKey],
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    app, client, key = tool
    page = raw_deep_link(client, key, SETTINGS).get_data(as_text=True)
    genuine = token(page)
    signer = URLSafeTimedSerializer(app.extensions[EXTENSION].secret, salt="stopsexting-lti-deep-link")
    payload = signer.loads(genuine)
    with monkeypatch.context() as patch:  # signed by us, but longer ago than a choice may take
        past = time.time() - deep_linking.SELECTION_TTL_SECONDS - 60
        patch.setattr(time, "time", lambda: past)
        expired = signer.dumps(payload)
    forged = URLSafeTimedSerializer(b"not-our-secret", salt="stopsexting-lti-deep-link").dumps(
        {**payload, "return_url": "https://evil.example/steal"})
    # A character inside the signature: the last one may carry only base64 padding bits, which decoders ignore.
    inside = len(genuine) - 5
    tampered = genuine[:inside] + ("Q" if genuine[inside] != "Q" else "g") + genuine[inside + 1:]
    for bad in (expired, forged, tampered, ""):
        response = client.post(deep_linking.ROUTE, data={deep_linking.FIELD_TOKEN: bad,
                                                         deep_linking.FIELD_MODULE: list(CHOSEN)})
        text = response.get_data(as_text=True)
        assert response.status_code == 403, text
        assert 'name="JWT"' not in text and "evil.example" not in text
    assert used_choices(app) == 0 and rows(app) == (0, 0)


def test_a_learner_cannot_pick_modules(tool: tuple[Flask, FlaskClient, PlatformKey]) -> None:
    """Content selection is for teachers: a learner's Deep Linking request is refused, nothing written."""
    app, client, key = tool
    response = raw_deep_link(client, key, SETTINGS, role=LEARNER)
    page = response.get_data(as_text=True)
    assert response.status_code == 403 and "only a teacher or an administrator" in page
    assert f'name="{deep_linking.FIELD_TOKEN}"' not in page and rows(app) == (0, 0) and used_choices(app) == 0
