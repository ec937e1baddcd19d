"""Test peers for the LTI tool: a platform signing key whose JWKS the tool fetches without sockets, a raw
id_token minter for the negative tests, and the PyPI platform `lti1p3platform` wired in-process."""

from __future__ import annotations

import base64
import hmac
import html
import json
import re
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import jwt
import requests
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from flask import Flask
from flask import request as flask_request
from flask.testing import FlaskClient
from jwcrypto.jwk import JWK
from lti1p3platform.ltiplatform import LTI1P3PlatformConfAbstract
from lti1p3platform.message_launch import LTIAdvantageMessageLaunchAbstract
from lti1p3platform.oidc_login import OIDCLoginAbstract
from lti1p3platform.registration import Registration as PeerRegistration
from lti1p3platform.request import Request as PeerRequest
from sqlalchemy import func, select

from exporter.lti.app import PLATFORM_HTTP, create_app
from exporter.lti.context import EXTENSION, ToolContext
from exporter.lti.models import Attempt, Launch
from tests.lti import factories

LESSONS = Path(__file__).resolve().parents[2] / "lessons"
ISSUER = factories.ISSUER
CLIENT_ID = "client-1"
DEPLOYMENT_ID = "1"
TOOL = "http://localhost"  # the Flask test client's host
MODULE = "m4_ne_vedus"
TARGET = f"{TOOL}/modules/{MODULE}"
CLAIM = "https://purl.imsglobal.org/spec/lti/claim/"
LEARNER = "http://purl.imsglobal.org/vocab/lis/v2/membership#Learner"
INSTRUCTOR = "http://purl.imsglobal.org/vocab/lis/v2/membership#Instructor"
REFUSAL_TITLE = "Не вдалося відкрити модуль"
MEMBERSHIPS = f"{ISSUER}/mod/lti/services.php/CourseSection/1/bindings/1/memberships?type_id=1"
LOGIN_PAGE = re.compile(r'<main id="lti-login"([^>]*)>')
LOGIN_DATA = re.compile(r'\bdata-([a-z-]+)="([^"]*)"')


@dataclass
class PlatformKey:
    """An RSA key as a platform signs id_tokens with it; `alg` is what its JWKS entry claims."""

    kid: str = "platform-kid-1"
    alg: str = "RS256"
    private: rsa.RSAPrivateKey = field(default_factory=lambda: rsa.generate_private_key(65537, 2048))

    @property
    def private_pem(self) -> str:
        return self.private.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                          serialization.NoEncryption()).decode()

    @property
    def public_pem(self) -> str:
        return self.private.public_key().public_bytes(serialization.Encoding.PEM,
                                                      serialization.PublicFormat.SubjectPublicKeyInfo).decode()

    def jwks(self) -> dict[str, Any]:
        jwk = json.loads(JWK.from_pem(self.public_pem.encode()).export_public())
        jwk.update(kid=self.kid, alg=self.alg, use="sig")
        return {"keys": [jwk]}

    def sign(self, claims: dict[str, Any], *, algorithm: str = "RS256", headers: dict[str, Any] | None = None,
             kid: bool = True) -> str:
        header = {"kid": self.kid} if kid else {}
        header.update(headers or {})
        return jwt.encode(claims, self.private_pem, algorithm=algorithm, headers=header or None)


def unsigned(claims: dict[str, Any], header: dict[str, Any], key: bytes | None = None) -> str:
    """A token PyJWT refuses to make: `alg: none`, or HS256 keyed with a public key (algorithm confusion)."""
    def part(data: dict[str, Any]) -> str:
        return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()
    signing_input = f"{part(header)}.{part(claims)}"
    signature = b"" if key is None else hmac.new(key, signing_input.encode(), "sha256").digest()
    return f"{signing_input}.{base64.urlsafe_b64encode(signature).rstrip(b'=').decode()}"


class JsonAdapter(requests.adapters.BaseAdapter):
    """Answers the tool's GETs (platform JWKS) from a callable: no sockets in tests."""

    def __init__(self, answer: Callable[[str], dict[str, Any]]) -> None:
        super().__init__()
        self.answer = answer

    def send(self, request: requests.PreparedRequest, *args: Any, **kwargs: Any) -> requests.Response:
        response = requests.Response()
        response.status_code = 200
        response.url = str(request.url)
        response.headers["Content-Type"] = "application/json"
        response._content = json.dumps(self.answer(str(request.url))).encode()
        return response

    def close(self) -> None:
        """Nothing to release."""


def tool_app(database_url: str, jwks: Callable[[str], dict[str, Any]], redis_url: str | None = None) -> Flask:
    """The tool with one registered platform (ISSUER, CLIENT_ID, deployment DEPLOYMENT_ID) whose key set
    comes from `jwks`; nonces and states in Redis when `redis_url` is given, else in the database."""
    app = create_app(database_url, secret=b"test-secret", lessons=LESSONS, testing=True, redis_url=redis_url)
    context: ToolContext = app.extensions[EXTENSION]
    with context.sessions.begin() as session:
        factories.registration(session, CLIENT_ID, deployment_ids=(DEPLOYMENT_ID,))
    http: requests.Session = app.config[PLATFORM_HTTP]
    http.mount(ISSUER, JsonAdapter(jwks))
    return app


def rows(app: Flask) -> tuple[int, int]:
    """(launches, attempts) stored: a refused launch must leave both unchanged."""
    context: ToolContext = app.extensions[EXTENSION]
    with context.sessions() as session:
        return (session.scalar(select(func.count()).select_from(Launch)) or 0,
                session.scalar(select(func.count()).select_from(Attempt)) or 0)


def login(client: FlaskClient, target: str = TARGET) -> dict[str, str]:
    """Run the OIDC login initiation; the platform auth request's parameters (state, nonce, redirect_uri…)."""
    response = client.get("/lti/login", query_string={
        "iss": ISSUER, "login_hint": "user-7", "target_link_uri": target, "client_id": CLIENT_ID,
        "lti_deployment_id": DEPLOYMENT_ID, "lti_message_hint": "hint"})
    return {name: values[0] for name, values in parse_qs(urlsplit(login_page(response)["auth-url"]).query).items()}


def login_page(response: Any) -> dict[str, str]:
    """The `data-` attributes of the tool's login page as its script reads them (HTML-unescaped): `auth-url`,
    where the page sends the browser (the platform's auth endpoint, as pylti1p3's 302 would), `login-url`, the
    same login for a new window, and `cookie-attributes`, those of its test cookie."""
    page = response.get_data(as_text=True)
    assert response.status_code == 200, page
    assert response.headers["Cache-Control"] == "no-store"
    found = LOGIN_PAGE.search(page)
    assert found, page
    return {name: html.unescape(value) for name, value in LOGIN_DATA.findall(found.group(1))}


def claims(nonce: str, *, roles: list[str] | None = None, now: float | None = None) -> dict[str, Any]:
    """A valid resource link launch of MODULE for the login that issued `nonce`."""
    issued = int(time.time() if now is None else now)
    return {
        "iss": ISSUER, "aud": CLIENT_ID, "azp": CLIENT_ID, "sub": "user-7", "iat": issued, "exp": issued + 300,
        "nonce": nonce,
        CLAIM + "version": "1.3.0",
        CLAIM + "message_type": "LtiResourceLinkRequest",
        CLAIM + "deployment_id": DEPLOYMENT_ID,
        CLAIM + "target_link_uri": TARGET,
        CLAIM + "resource_link": {"id": "rl-1"},
        CLAIM + "roles": [LEARNER] if roles is None else roles,
        CLAIM + "context": {"id": "course-1", "title": "7-А"},
        "https://purl.imsglobal.org/spec/lti-ags/claim/endpoint": {
            "scope": ["https://purl.imsglobal.org/spec/lti-ags/scope/score"],
            "lineitems": f"{ISSUER}/ctx/course-1/lineitems",
            "lineitem": f"{ISSUER}/ctx/course-1/lineitems/7/lineitem?type_id=1"},
    }


# The PyPI platform, driven through Flask test clients: the tool's requests never leave the process.

class FlaskPeerRequest(PeerRequest):
    def build_metadata(self, request: Any) -> Any:
        return {"method": request.method, "form_data": request.form.to_dict(), "get_data": request.args.to_dict(),
                "headers": request.headers, "content_type": request.content_type, "path": request.path,
                "json": request.get_json(silent=True)}


class PeerConf(LTI1P3PlatformConfAbstract):
    def init_platform_config(self, **kwargs: Any) -> None:
        key: PlatformKey = kwargs["key"]
        self._registration = (
            PeerRegistration().set_iss(ISSUER).set_client_id(CLIENT_ID).set_deployment_id(DEPLOYMENT_ID)
            .set_launch_url(TARGET).set_oidc_login_url(f"{TOOL}/lti/login")
            .set_tool_key_set_url(f"{TOOL}/lti/jwks").set_tool_key_set(kwargs["tool_jwks"])
            .set_platform_public_key(key.public_pem).set_platform_private_key(key.private_pem))

    def get_registration_by_params(self, **kwargs: Any) -> PeerRegistration:
        return self._registration


class PeerLogin(OIDCLoginAbstract):
    def set_lti_message_hint(self, **kwargs: Any) -> None:
        self._lti_message_hint = json.dumps(kwargs)

    def get_redirect(self, url: str) -> str:
        return url


class PeerLaunch(LTIAdvantageMessageLaunchAbstract):
    """A resource link launch by a Learner or an Instructor (the login_hint says which)."""

    def prepare_launch(self, preflight_response: dict[str, Any]) -> None:
        user = preflight_response["login_hint"]
        self.set_user_data(user, [INSTRUCTOR if user.startswith("teacher") else LEARNER], full_name="Test")
        self.set_resource_link_claim("rl-1")
        self.set_launch_context_claim("course-1", context_title="7-А")
        self.set_ags(lineitems_url=f"{ISSUER}/ctx/course-1/lineitems",
                     lineitem_url=f"{ISSUER}/ctx/course-1/lineitems/7/lineitem")
        self.set_nrps(MEMBERSHIPS)

    def render_launch_form(self, launch_data: dict[str, Any], **kwargs: Any) -> dict[str, Any]:
        return launch_data


def peer_launch(tool: FlaskClient, key: PlatformKey, user: str) -> Any:
    """Platform login → tool /lti/login → platform auth → tool /lti/launch, as a browser would follow them."""
    conf = PeerConf(key=key, tool_jwks=tool.get("/lti/jwks").get_json())
    auth = urlsplit(login_page(tool.get(_login_url(conf, user)))["auth-url"])
    assert f"{auth.scheme}://{auth.netloc}{auth.path}" == f"{ISSUER}/mod/lti/auth.php"
    with Flask("platform").test_request_context(f"{auth.path}?{auth.query}"):
        form = PeerLaunch(FlaskPeerRequest(flask_request), conf).lti_launch()
    launch = urlsplit(form.pop("launch_url"))
    return tool.post(launch.path, data=form)


def _login_url(conf: PeerConf, user: str) -> str:
    login = PeerLogin(None, conf)
    login.set_lti_message_hint(launch=str(uuid.uuid4()))
    url: str = login.initiate_login(user)
    parts = urlsplit(url)
    return f"{parts.path}?{parts.query}"
