"""pylti1p3's Flask login and launch, narrowed to what a school's LMS embedding us in an iframe needs.

Nothing about a login is kept on the server or in a session cookie: the nonce we send the platform is signed
by us and carries the login's target_link_uri and time, so the launch can check that we issued it, for which
resource, and how long ago. pylti1p3's state cookie remains (it binds the launch to the browser that logged
in); it is Partitioned on https so that it survives in the platform's iframe. A used nonce is written once
(exporter.lti.onetime), which is what makes a replayed id_token fail. After a launch the page
gets a session token (exporter.lti.session) bound to the Launch row, instead of pylti1p3's cookie-bound
launch cache."""

from __future__ import annotations

import functools
import json
import secrets
import time
from collections.abc import Mapping
from datetime import timedelta
from typing import Any
from urllib.parse import urlencode, urlsplit

import jwt
import requests
from cryptography.hazmat.primitives.asymmetric.rsa import RSAPublicKey
from flask import Response
from itsdangerous import BadData, URLSafeTimedSerializer
from jwt.algorithms import RSAAlgorithm
from pylti1p3.contrib.flask.cookie import FlaskCookieService
from pylti1p3.contrib.flask.message_launch import FlaskMessageLaunch
from pylti1p3.contrib.flask.oidc_login import FlaskOIDCLogin
from pylti1p3.contrib.flask.request import FlaskRequest
from pylti1p3.contrib.flask.session import FlaskSessionService
from pylti1p3.exception import LtiException
from pylti1p3.registration import TKey
from sqlalchemy import Engine, insert

from exporter.loader import Course
from exporter.lti import nrps, pages, validation
from exporter.lti.db import DirectStatement
from exporter.lti.keysets import KeySet, KeySets
from exporter.lti.models import Launch, utcnow
from exporter.lti.onetime import OneTime
from exporter.lti.toolconf import DbToolConf
from exporter.lti.validation import LaunchRefused
from exporter.model import Module
from exporter.render import Renderer

LOGIN_TTL_SECONDS = 300  # pylti1p3's state cookie lives 5 minutes; a login is finished well within that
AGS = "https://purl.imsglobal.org/spec/lti-ags/claim/endpoint"
CONTEXT = validation.CLAIM + "context"
RESOURCE_LINK = validation.CLAIM + "resource_link"
CUSTOM = validation.CLAIM + "custom"
DEPLOYMENT_ID = validation.CLAIM + "deployment_id"
MESSAGE_TYPE = validation.CLAIM + "message_type"


class Nonces(FlaskSessionService):
    """pylti1p3's session service with signed nonces in place of a server-side or cookie session: Flask's
    session cookie is not sent to a tool in a cross-site iframe, and a per-process cache breaks with several
    workers. Only the nonce methods are used, because our launch never reads pylti1p3's launch cache."""

    def __init__(self, request: FlaskRequest, secret: bytes) -> None:
        super().__init__(request)
        self._signer = _nonce_signer(secret)
        self.login_target: str | None = None

    def issue(self, target_link_uri: str) -> str:
        return self._signer.dumps({"target": target_link_uri, "random": secrets.token_urlsafe(16)})

    def save_nonce(self, nonce: str) -> None:
        """Nothing to store: the nonce proves itself (`check_nonce`)."""

    def check_nonce(self, nonce: str) -> bool:
        """True for a nonce we signed less than LOGIN_TTL_SECONDS ago; single use is enforced on save."""
        try:
            data = self._signer.loads(nonce, max_age=LOGIN_TTL_SECONDS)
        except BadData:
            return False
        self.login_target = str(data["target"])
        return True

    def check_state_is_valid(self, state: str, id_token_hash: str) -> bool:
        """pylti1p3 lets a state whose launch it cached pass again (a page reload); we cache no launch, so
        the state must always match the login's cookie."""
        return False


@functools.lru_cache(maxsize=8)
def _nonce_signer(secret: bytes) -> URLSafeTimedSerializer:
    """One per secret: a serializer keeps no state between uses, and building one costs a login more than
    signing."""
    return URLSafeTimedSerializer(secret, salt="stopsexting-lti-nonce")


class PartitionedCookies(FlaskCookieService):
    """pylti1p3's state cookie, also `Partitioned` (CHIPS) on https: the tool runs in the platform's iframe,
    where browsers that block third-party cookies still keep a cookie partitioned by the top-level site, so
    the login's state comes back with the launch (lti.md §5 C1, §8 item 4). The login page's test cookie
    (templates/lti_login.html.j2) has the same attributes, so that it is kept exactly when this one is."""

    def update_response(self, response: Response) -> None:
        secure = self._request is not None and bool(self._request.is_secure())
        for key, cookie in self._cookie_data_to_set.items():
            response.set_cookie(key, cookie["value"], max_age=cookie["exp"], path="/", httponly=True, secure=secure,
                                samesite="None" if secure else None, partitioned=secure)


class Login(FlaskOIDCLogin):
    """OIDC login initiation whose nonce carries the login's target_link_uri to the launch, answered with our
    login page instead of pylti1p3's redirect (`page`)."""

    # What the platform sent that a new window needs to start the same login (pylti1p3's cookie check keeps these).
    PARAMS = ("iss", "login_hint", "lti_message_hint", "target_link_uri", "client_id", "lti_deployment_id")

    def __init__(self, request: FlaskRequest, tool_conf: DbToolConf, nonces: Nonces, target_link_uri: str) -> None:
        super().__init__(request, tool_conf, session_service=nonces,  # type: ignore[no-untyped-call]
                         cookie_service=PartitionedCookies(request))  # type: ignore[no-untyped-call]
        self._conf = tool_conf
        self._nonces = nonces
        self._target = target_link_uri

    def _generate_nonce(self) -> str:
        return self._nonces.issue(self._target)

    def page(self, launch_url: str, renderer: Renderer, login_path: str) -> Response:
        """The login page (pages.login_page) with the state cookie, where pylti1p3 sends a 302 to the platform.

        In the platform's iframe a browser may refuse the state cookie, and the launch then fails; only a script
        can tell before the platform is asked. The check belongs here, not at the launch: Moodle's
        lti_message_hint names a launch that its auth endpoint forgets once used, so only a login that has not
        gone to the platform yet can be repeated, as a GET of `login_path` in a new window."""
        auth_url = self._prepare_redirect_url(launch_url)
        issuer, client_id = self._get_request_param("iss"), self._get_request_param("client_id")
        deployment = self._get_request_param("lti_deployment_id")
        # Refused here rather than after the platform has signed a launch we would refuse anyway.
        if deployment and self._conf.deployment(issuer, client_id or None, deployment) is None:
            raise unknown_deployment(issuer, client_id, deployment)
        again = {name: value for name in self.PARAMS if (value := self._get_request_param(name))}
        page = pages.login_page(renderer, auth_url=auth_url, login_url=f"{login_path}?{urlencode(again)}",
                                secure=bool(self._request.is_secure()))
        response = Response(page, mimetype="text/html")
        response.headers["Cache-Control"] = "no-store"  # the page carries this login's state and nonce
        self._cookie_service.update_response(response)
        return response


class MessageLaunch(FlaskMessageLaunch):
    """pylti1p3's launch validation plus validation.py's checks."""

    def __init__(self, request: FlaskRequest, tool_conf: DbToolConf, nonces: Nonces,
                 http: requests.Session, key_sets: KeySets) -> None:
        super().__init__(request, tool_conf, session_service=nonces,  # type: ignore[no-untyped-call]
                         requests_session=http)
        self._nonces = nonces
        self._key_sets = key_sets

    def fetch_public_key(self, key_set_url: str) -> KeySet:
        """The platform's key set from the worker's cache (keysets.py), fetched when missing or stale."""
        return self._key_sets.get(key_set_url, lambda: super(MessageLaunch, self).fetch_public_key(key_set_url))

    def signing_key(self) -> RSAPublicKey:
        """The platform's key that signed the token, found by its kid and alg as pylti1p3's get_public_key does,
        as a key object converted once per worker (`public_key`): pylti1p3 converts the JWK to PEM at every
        launch, which cost more than checking the signature. A kid the cached key set lacks gets one fresh copy
        of the set: the platform rotated its keys, and launches signed with the new key must keep working."""
        registration = self._registration
        url = registration.get_key_set_url() if registration else None
        if registration is None or not url:
            raise LtiException("the platform's registration has no key set URL")
        header = self._jwt.get("header", {})
        kid, alg = header.get("kid"), header.get("alg")
        if not kid:
            raise LtiException("JWT KID not found")
        if not alg:
            raise LtiException("JWT ALG not found")
        found = _matching_key(self.fetch_public_key(url), kid, alg)
        if found is None:
            fresh = self._key_sets.refresh(url, lambda: super(MessageLaunch, self).fetch_public_key(url))
            found = None if fresh is None else _matching_key(fresh, kid, alg)
        if found is None:
            raise LtiException("Unable to find public key")
        return public_key(json.dumps(found, sort_keys=True))

    def get_client_id(self) -> str:
        return validation.client_id(self._get_jwt_body())

    def validate_jwt_signature(self) -> MessageLaunch:
        """pylti1p3 accepts any algorithm the platform's key names and no exp/iat; we pin RS256 and bound time."""
        validation.header_algorithm(self._jwt.get("header", {}))
        try:
            jwt.decode(self._get_id_token(), self.signing_key(), algorithms=[validation.ALGORITHM],
                       options={"require": ["exp", "iat"], "verify_aud": False},
                       leeway=validation.LEEWAY_SECONDS)
        except jwt.InvalidTokenError as error:
            raise LtiException(f"Can't decode id_token: {error}") from error
        validation.timestamps(self._get_jwt_body(), time.time())
        return self

    def validate_deployment(self) -> MessageLaunch:
        """pylti1p3 refuses an unknown deployment without naming it; Moodle makes a new one for every
        course-level tool, so the refusal says which, and how an administrator adds it."""
        try:
            super().validate_deployment()
        except LtiException as error:
            if "Unable to find deployment" not in str(error):
                raise
            raise unknown_deployment(self.get_iss(), self.get_client_id(), self._get_deployment_id()) from error
        return self

    def validate_message(self) -> MessageLaunch:
        super().validate_message()
        body = self._get_jwt_body()
        validation.claims(body)
        if self._nonces.login_target is None:  # validate_nonce ran first and set it; kept explicit for mypy
            raise LaunchRefused(403, "the launch's nonce was not checked")
        validation.target(body, self._nonces.login_target)
        return self

    def save_launch_data(self) -> MessageLaunch:
        """pylti1p3 would cache the launch here; we record it ourselves (`accept`), in the transaction that
        uses up the nonce."""
        return self

    def body(self) -> Mapping[str, Any]:
        return self._get_jwt_body()



def _matching_key(key_set: KeySet, kid: str, alg: str) -> TKey | None:
    """pylti1p3's rule: the key with the token's kid whose alg (RS256 when absent) is the token's."""
    for key in key_set.get("keys", []):
        if isinstance(key, dict) and key.get("kid") == kid and key.get("alg", "RS256") == alg:
            return key
    return None


@functools.lru_cache(maxsize=64)
def public_key(jwk: str) -> RSAPublicKey:
    """A platform's JWK (as canonical JSON) as the key object PyJWT verifies with, converted once."""
    try:
        key = RSAAlgorithm.from_jwk(jwk)
    except (jwt.InvalidKeyError, ValueError, TypeError) as error:
        raise LtiException("Can't convert JWT key to PEM format") from error
    if not isinstance(key, RSAPublicKey):
        raise LtiException("the platform's key is not an RSA public key")
    return key


def unknown_deployment(issuer: str, client_id: str, deployment: str) -> LaunchRefused:
    """Moodle makes a new deployment for every course-level tool: the refusal names it, and says how an
    administrator adds it."""
    return LaunchRefused(403, f"Unable to find deployment {deployment!r} of {issuer} (client id {client_id}): "
                              f"an administrator adds it with `stopsexting lti add-platform --issuer {issuer} "
                              f"--client-id {client_id} … --deployment-id {deployment}`")


def module_for(course: Course, body: Mapping[str, Any]) -> Module:
    """The module a resource link opens: `<tool>/modules/<id>` as our cartridges and Deep Linking write it,
    else the custom parameter `module` (links a teacher typed by hand)."""
    by_id = {module.id: module for module in course.modules}
    path = urlsplit(str(body[validation.TARGET_LINK_URI])).path.rstrip("/")
    head, _, last = path.rpartition("/")
    if head.endswith("/modules") and last in by_id:
        return by_id[last]
    custom = body.get(CUSTOM)
    if isinstance(custom, dict) and custom.get("module") in by_id:
        return by_id[str(custom["module"])]
    raise LaunchRefused(404, "this link does not point to one of our modules: ask the teacher to add it again")


def accept(database: Engine, once: OneTime, launch: MessageLaunch) -> None:
    """Use up the launch's nonce, so that this id_token, and any other carrying the same nonce, is never
    accepted again (lti.md §5 N3, N4). The state needs no such record: it only opens a launch together with
    its id_token, whose nonce is gone."""
    expires = utcnow() + timedelta(seconds=LOGIN_TTL_SECONDS)
    if not once.consume(database, str(launch.body()["nonce"]), expires):
        raise LaunchRefused(403, "this launch was already used: open the activity again from your course")


def launch_row(tool_conf: DbToolConf, launch: MessageLaunch, module: Module, ttl_seconds: int) -> Launch:
    """The Launch row the page's session token will point at, with what the grades and API need later; not
    yet written (`record`), so that a refusal here leaves nothing behind."""
    body = launch.body()
    ags, context, members = (body[claim] if isinstance(body.get(claim), dict) else {}
                             for claim in (AGS, CONTEXT, nrps.CLAIM))
    issuer, client_id, deployment_id = str(body["iss"]), launch.get_client_id(), str(body[DEPLOYMENT_ID])
    deployment = tool_conf.deployment(issuer, client_id, deployment_id)
    if deployment is None:  # validate_deployment found it a moment ago; an administrator removed it since
        raise LaunchRefused(403, f"deployment {deployment_id!r} of {issuer} is no longer registered")
    now = utcnow()
    return Launch(
        id=secrets.token_urlsafe(32), registration_id=tool_conf.platform(issuer, client_id).id,
        deployment_id=deployment, sub=str(body["sub"]), context_id=_text(context.get("id")),
        resource_link_id=_text(body[RESOURCE_LINK].get("id")),
        roles=json.dumps(body[validation.ROLES]), module_id=module.id, message_type=str(body[MESSAGE_TYPE]),
        ags_lineitem=_text(ags.get("lineitem")), ags_lineitems=_text(ags.get("lineitems")),
        ags_scopes=" ".join(str(scope) for scope in ags.get("scope", []) if isinstance(scope, str)),
        nrps_memberships_url=_text(members.get("context_memberships_url")),
        created_at=now, expires_at=now + timedelta(seconds=ttl_seconds))


def record(database: Engine, row: Launch) -> None:
    """The row as a plain INSERT, run directly: it is only written, and the ORM's unit of work or even
    SQLAlchemy's execution would cost a launch more than the statement itself."""
    RECORD.run(database, {name: getattr(row, name) for name in LAUNCH_COLUMNS})


LAUNCH_COLUMNS = tuple(Launch.__table__.columns.keys())
RECORD = DirectStatement(lambda dialect: insert(Launch))


def _text(value: Any) -> str | None:
    return None if value is None else str(value)
