"""One test per row K1…TL1 and C1 of ../shared/lti.md section 5 (the certification's known bad payloads and the
Security Framework's id_token rules; C1, third-party cookies blocked): each launch is refused with a 4xx page a
person can read, and nothing is written to launches or attempts. R2 and A2 are valid launches the tool must
accept. C1 in a real browser, cross-site over https: tests/browser/test_lti_cookies.py.

The table's other rows are about what the tool sends, so their tests sit with that code: DL1 and DL2 in
test_deep_linking.py (`test_dl1_bad_requests_are_refused`, and the response lti1p3platform accepts), SV1 in
test_nrps.py (the NRPS media type and scope, paging, against lti1p3platform too), SV2 in test_grades.py and
test_moodle.py (scores, 409, token cache).

Tokens are signed here with a generated platform key whose JWKS the tool fetches through a socket-less
requests adapter, after a real OIDC login against the tool (its state cookie and signed nonce)."""

from __future__ import annotations

import html
import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from flask import Flask
from flask.testing import FlaskClient

from tests.lti.platform import (
    CLAIM,
    CLIENT_ID,
    DEPLOYMENT_ID,
    ISSUER,
    MODULE,
    REFUSAL_TITLE,
    PlatformKey,
    claims,
    login,
    login_page,
    rows,
    tool_app,
    unsigned,
)


@dataclass
class Platform:
    app: Flask
    client: FlaskClient
    key: PlatformKey

    def launch(self, mutate: Callable[[dict[str, Any]], None] = lambda body: None, *,
               sign: Callable[[dict[str, Any]], str] | None = None,
               form: Callable[[dict[str, str]], None] = lambda fields: None) -> Any:
        """Log in, build a valid launch, apply the row's mutation, post it."""
        auth = login(self.client)
        body = claims(auth["nonce"])
        mutate(body)
        fields = {"id_token": (sign or self.key.sign)(body), "state": auth["state"]}
        form(fields)
        return self.client.post("/lti/launch", data=fields)


@pytest.fixture
def platform(database_url: str) -> Platform:
    key = PlatformKey()
    app = tool_app(database_url, lambda url: key.jwks())
    return Platform(app, app.test_client(), key)


def refused(platform: Platform, response: Any, status: int, reason: str) -> None:
    page = html.unescape(response.get_data(as_text=True))
    assert response.status_code == status, page
    assert REFUSAL_TITLE in page
    assert reason in page
    assert rows(platform.app) == (0, 0)


def accepted(platform: Platform, response: Any) -> None:
    assert response.status_code == 200, response.get_data(as_text=True)
    assert rows(platform.app) == (1, 0)


def drop(claim: str) -> Callable[[dict[str, Any]], None]:
    return lambda body: body.pop(claim)


def put(claim: str, value: Any) -> Callable[[dict[str, Any]], None]:
    return lambda body: body.update({claim: value})


def test_k1_no_kid(platform: Platform) -> None:
    refused(platform, platform.launch(sign=lambda body: platform.key.sign(body, kid=False)), 403,
            "JWT KID not found")


def test_k2_unknown_kid(platform: Platform) -> None:
    response = platform.launch(sign=lambda body: platform.key.sign(body, headers={"kid": "nope"}))
    refused(platform, response, 403, "Unable to find public key")


def test_v1_wrong_version(platform: Platform) -> None:
    refused(platform, platform.launch(put(CLAIM + "version", "1.2.0")), 403, "Incorrect version")


def test_v2_no_version(platform: Platform) -> None:
    refused(platform, platform.launch(drop(CLAIM + "version")), 403, "Incorrect version")


def test_m1_not_a_jwt(platform: Platform) -> None:
    refused(platform, platform.launch(form=lambda fields: fields.update(id_token="garbage")), 403,
            "JWT must contain 3 parts")


def test_m2_no_target_link_uri(platform: Platform) -> None:
    refused(platform, platform.launch(drop(CLAIM + "target_link_uri")), 403, "no target_link_uri")


def test_t1_timestamps_incorrect(platform: Platform) -> None:
    refused(platform, platform.launch(lambda body: body.update(iat=11111, exp=22222)), 403, "expired")


def test_t2_exp_in_past(platform: Platform) -> None:
    refused(platform, platform.launch(put("exp", int(time.time()) - 3600)), 403, "expired")


def test_t3_no_exp(platform: Platform) -> None:
    refused(platform, platform.launch(drop("exp")), 403, "exp")


def test_t4_no_iat(platform: Platform) -> None:
    refused(platform, platform.launch(drop("iat")), 403, "iat")


def test_t5_iat_in_future(platform: Platform) -> None:
    refused(platform, platform.launch(put("iat", int(time.time()) + 3600)), 403, "iat")


def test_t6_iat_too_old(platform: Platform) -> None:
    refused(platform, platform.launch(put("iat", int(time.time()) - 86400)), 403, "too old")


def test_mt1_no_message_type(platform: Platform) -> None:
    refused(platform, platform.launch(drop(CLAIM + "message_type")), 403, "Invalid message type")


def test_mt2_unknown_message_type(platform: Platform) -> None:
    refused(platform, platform.launch(put(CLAIM + "message_type", "LtiFooRequest")), 403,
            "Unrecognized message type")


def test_r1_no_roles(platform: Platform) -> None:
    refused(platform, platform.launch(drop(CLAIM + "roles")), 403, "Missing Roles Claim")


def test_r2_empty_roles_accepted(platform: Platform) -> None:
    accepted(platform, platform.launch(put(CLAIM + "roles", [])))


def test_r3_roles_not_a_list(platform: Platform) -> None:
    refused(platform, platform.launch(put(CLAIM + "roles", "Learner")), 403, "roles are not a list")


def test_d1_no_deployment_id(platform: Platform) -> None:
    refused(platform, platform.launch(drop(CLAIM + "deployment_id")), 403, "deployment_id is not set")


def test_d2_unknown_deployment(platform: Platform) -> None:
    refused(platform, platform.launch(put(CLAIM + "deployment_id", "deploy-999")), 403,
            "Unable to find deployment")


def test_l1_no_resource_link_id(platform: Platform) -> None:
    refused(platform, platform.launch(drop(CLAIM + "resource_link")), 403, "Missing Resource Link Id")


def test_u1_no_sub(platform: Platform) -> None:
    refused(platform, platform.launch(drop("sub")), 403, "Must have a user (sub)")


def test_s1_bad_signature(platform: Platform) -> None:
    impostor = PlatformKey(kid=platform.key.kid)
    refused(platform, platform.launch(sign=impostor.sign), 403, "Signature verification failed")


def test_s2_alg_none(platform: Platform) -> None:
    response = platform.launch(sign=lambda body: unsigned(body, {"alg": "none", "kid": platform.key.kid}))
    refused(platform, response, 403, "only RS256 is accepted")


def test_s3_hs256_with_public_key(platform: Platform) -> None:
    secret = platform.key.public_pem.encode()
    response = platform.launch(sign=lambda body: unsigned(body, {"alg": "HS256", "kid": platform.key.kid}, secret))
    refused(platform, response, 403, "only RS256 is accepted")


def test_s4_rs512_refused_even_when_the_jwks_allows_it(platform: Platform) -> None:
    platform.key.alg = "RS512"
    refused(platform, platform.launch(sign=lambda body: platform.key.sign(body, algorithm="RS512")), 403,
            "only RS256 is accepted")


def test_i1_unknown_issuer(platform: Platform) -> None:
    refused(platform, platform.launch(put("iss", "https://evil.example")), 403, "unknown platform")


def test_a1_aud_not_our_client(platform: Platform) -> None:
    refused(platform, platform.launch(lambda body: body.update(aud="other", azp="other")), 403, "unknown platform")


def test_a2_aud_array_with_us_second_accepted(platform: Platform) -> None:
    accepted(platform, platform.launch(lambda body: body.update(aud=["other", CLIENT_ID], azp=CLIENT_ID)))


def test_a3_aud_array_without_azp(platform: Platform) -> None:
    response = platform.launch(lambda body: (body.update(aud=[CLIENT_ID, "x"]), body.pop("azp")))
    refused(platform, response, 403, "no authorized party (azp)")


def test_a4_azp_not_our_client(platform: Platform) -> None:
    refused(platform, platform.launch(put("azp", "x")), 403, "not one of its audiences")


def test_n1_no_nonce(platform: Platform) -> None:
    refused(platform, platform.launch(drop("nonce")), 403, '"nonce" is empty')


def test_n2_nonce_never_issued(platform: Platform) -> None:
    refused(platform, platform.launch(put("nonce", "a-random-nonce")), 403, "Invalid Nonce")


@pytest.fixture(params=["database", "redis"])
def replay_platform(request: pytest.FixtureRequest, database_url: str) -> Platform:
    """Replays are refused whichever store keeps the used nonces and states (REDIS_URL or the database)."""
    key = PlatformKey()
    redis_url = request.getfixturevalue("redis_url") if request.param == "redis" else None
    app = tool_app(database_url, lambda url: key.jwks(), redis_url)
    return Platform(app, app.test_client(), key)


def test_n3_nonce_replayed_with_a_new_state(replay_platform: Platform) -> None:
    platform = replay_platform
    first = login(platform.client)
    body = claims(first["nonce"])
    accepted(platform, platform.client.post("/lti/launch", data={"id_token": platform.key.sign(body),
                                                                   "state": first["state"]}))
    second = login(platform.client)
    response = platform.client.post("/lti/launch", data={"id_token": platform.key.sign(claims(first["nonce"])),
                                                          "state": second["state"]})
    assert response.status_code == 403
    assert "already used" in response.get_data(as_text=True)
    assert rows(platform.app) == (1, 0)


def test_n4_same_id_token_and_state_twice(replay_platform: Platform) -> None:
    platform = replay_platform
    auth = login(platform.client)
    fields = {"id_token": platform.key.sign(claims(auth["nonce"])), "state": auth["state"]}
    accepted(platform, platform.client.post("/lti/launch", data=fields))
    response = platform.client.post("/lti/launch", data=fields)
    assert response.status_code == 403
    assert "already used" in response.get_data(as_text=True)
    assert rows(platform.app) == (1, 0)


def test_st1_forged_state(platform: Platform) -> None:
    refused(platform, platform.launch(form=lambda fields: fields.update(state="state-forged")), 403,
            "State not found")


def test_st2_no_state(platform: Platform) -> None:
    refused(platform, platform.launch(form=lambda fields: fields.pop("state")), 403, "Missing state param")


def test_tl1_target_link_uri_elsewhere(platform: Platform) -> None:
    refused(platform, platform.launch(put(CLAIM + "target_link_uri", "https://evil.example/x")), 403,
            "differs from the one the login asked for")


def test_c1_launch_without_the_state_cookie(platform: Platform) -> None:
    """The browser did not send the login's state cookie back (it refused it in the platform's iframe, or dropped
    it since): the learner reads what to do, the administrator the reason, and nothing is written or used up."""
    auth = login(platform.client)
    fields = {"id_token": platform.key.sign(claims(auth["nonce"])), "state": auth["state"]}
    response = platform.app.test_client().post("/lti/launch", data=fields)  # a browser without the login's cookie
    refused(platform, response, 403, "State not found")
    page = html.unescape(response.get_data(as_text=True))
    assert "Відкрийте модуль ще раз зі сторінки курсу" in page
    assert "браузер блокує файли cookie для цього сайту" in page
    accepted(platform, platform.client.post("/lti/launch", data=fields))  # neither state nor nonce was spent


def test_c1_login_page_with_the_state_cookie(platform: Platform) -> None:
    """On https the login answers with its page and the state cookie a third-party iframe can keep; the page's
    test cookie has the same attributes, and it carries the auth URL and the new window's login URL, escaped."""
    query = {"iss": ISSUER, "login_hint": 'user "7" <b>', "target_link_uri": f"https://tool.example/modules/{MODULE}",
             "client_id": CLIENT_ID, "lti_deployment_id": DEPLOYMENT_ID,
             "lti_message_hint": '{"cmid": 17, "launchid": "</main><script>&"}'}
    response = platform.client.get("/lti/login", query_string=query, base_url="https://tool.example")
    data = login_page(response)
    (cookie,) = [c for c in response.headers.getlist("Set-Cookie") if c.startswith("lti1p3-state-")]
    assert {"Secure", "HttpOnly", "Partitioned", "SameSite=None"} <= {part.strip() for part in cookie.split(";")}
    assert data["cookie-attributes"] == "; Secure; SameSite=None; Partitioned"
    auth = urlsplit(data["auth-url"])
    sent = {name: values[0] for name, values in parse_qs(auth.query).items()}
    assert f"{auth.scheme}://{auth.netloc}{auth.path}" == f"{ISSUER}/mod/lti/auth.php"
    assert cookie.startswith(f"lti1p3-{sent['state']}={sent['state']};")
    assert (sent["login_hint"], sent["lti_message_hint"]) == (query["login_hint"], query["lti_message_hint"])
    assert sent["redirect_uri"] == "https://tool.example/lti/launch"
    again = urlsplit(data["login-url"])
    assert (again.scheme, again.netloc, again.path) == ("", "", "/lti/login")
    assert {name: values[0] for name, values in parse_qs(again.query).items()} == query
    raw = response.get_data(as_text=True)
    assert "<script>&" not in raw and "<b>" not in raw
    for name in ("auth-url", "login-url"):  # every & of the query is written &amp; in the attribute
        (value,) = re.findall(rf'data-{name}="([^"]*)"', raw)
        assert "&amp;" in value and not re.search(r"&(?!amp;)", value), value


def test_login_refuses_a_target_on_another_host(platform: Platform) -> None:
    response = platform.client.get("/lti/login", query_string={
        "iss": "https://moodle.school.example", "login_hint": "u", "target_link_uri": "https://evil.example/x"})
    assert response.status_code == 400
    assert "is not on this tool" in response.get_data(as_text=True)


def test_login_refuses_an_unknown_platform(platform: Platform) -> None:
    response = platform.client.get("/lti/login", query_string={
        "iss": "https://evil.example", "login_hint": "u", "target_link_uri": "http://localhost/modules/m1"})
    assert response.status_code == 403
    assert "unknown platform" in response.get_data(as_text=True)
