"""A test LMS for the browser tests of the LTI tool: the PyPI platform `lti1p3platform` (../shared/lti.md §6.1)
behind a small Flask app on its own loopback port, so that the browser meets the tool in a cross-origin iframe
and the tool talks to the platform over real HTTP (JWKS, access token, AGS scores).

Routes: `/course?user=…` the course page with the tool in an iframe; `/start` the third-party login initiation
(a redirect to the tool's `/lti/login`); `/auth` the platform's auth endpoint, answering with the auto-posted
id_token form; `/jwks`; `/token` (client_credentials); `/lineitems/1/lineitem/scores`, which records every score
it is sent; `/left` a page of the platform to navigate the iframe to."""

from __future__ import annotations

import json
import ssl
import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

import jwt
from flask import Flask, Response, abort, jsonify, redirect, request
from lti1p3platform.ltiplatform import LTI1P3PlatformConfAbstract
from lti1p3platform.message_launch import LTIAdvantageMessageLaunchAbstract
from lti1p3platform.registration import Registration as PeerRegistration
from markupsafe import escape
from werkzeug.serving import BaseWSGIServer, make_server
from werkzeug.wrappers import Response as WerkzeugResponse

from exporter.lti.grades import SCORE_SCOPE, SCORE_TYPE
from tests.lti.platform import LEARNER, FlaskPeerRequest, PeerLogin, PlatformKey

CLIENT_ID = "browser-client"
DEPLOYMENT_ID = "1"
CONTEXT_ID = "course-1"
RESOURCE_LINK_ID = "rl-lesson"
PAGE = """<!doctype html><html lang="en"><head><meta charset="utf-8"><title>%(title)s</title>
<link rel="icon" href="data:,"></head><body>%(body)s</body></html>"""


@contextmanager
def running(app: Flask, host: str = "127.0.0.1", tls: ssl.SSLContext | None = None) -> Iterator[str]:
    """Serve `app` on 127.0.0.1 from a thread, over https with `tls`; yields its origin, named `host` (a name
    the test resolves to 127.0.0.1)."""
    server: BaseWSGIServer = make_server("127.0.0.1", 0, app, threaded=True, ssl_context=tls)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"{'https' if tls else 'http'}://{host}:{server.server_port}"
    finally:
        server.shutdown()
        server.server_close()


class Conf(LTI1P3PlatformConfAbstract):
    """The platform's one registration of the tool: its login URL, launch target and key set URL."""

    def init_platform_config(self, **kwargs: Any) -> None:
        key: PlatformKey = kwargs["key"]
        tool: str = kwargs["tool"]
        self._registration = (
            PeerRegistration().set_iss(kwargs["issuer"]).set_client_id(CLIENT_ID).set_deployment_id(DEPLOYMENT_ID)
            .set_launch_url(kwargs["target"]).set_oidc_login_url(f"{tool}/lti/login")
            .set_tool_key_set_url(f"{tool}/lti/jwks")
            .set_platform_public_key(key.public_pem).set_platform_private_key(key.private_pem))

    def get_registration_by_params(self, **kwargs: Any) -> PeerRegistration:
        return self._registration


class Launch(LTIAdvantageMessageLaunchAbstract):
    """A learner's resource link launch with the AGS claim for the platform's one line item."""

    issuer = ""

    def prepare_launch(self, preflight_response: dict[str, Any]) -> None:
        self.set_user_data(preflight_response["login_hint"], [LEARNER], full_name="Учень Тест")
        self.set_resource_link_claim(RESOURCE_LINK_ID)
        self.set_launch_context_claim(CONTEXT_ID, context_title="7-А")
        self.set_ags(lineitems_url=f"{self.issuer}/lineitems", lineitem_url=f"{self.issuer}/lineitems/1/lineitem")

    def render_launch_form(self, launch_data: dict[str, Any], **kwargs: Any) -> str:
        """The form_post of the id_token to the tool, submitted as soon as it loads."""
        fields = "".join(f'<input type="hidden" name="{name}" value="{escape(launch_data[name])}">'
                         for name in ("state", "id_token"))
        body = (f'<form method="post" action="{escape(launch_data["launch_url"])}">{fields}</form>'
                "<script>document.forms[0].submit();</script>")
        return PAGE % {"title": "Launching", "body": body}


@dataclass
class Platform:
    """What the platform received: every score posted to its line item, in arrival order."""

    origin: str
    target: str
    key: PlatformKey
    scores: list[dict[str, Any]] = field(default_factory=list)

    @property
    def lineitem(self) -> str:
        return f"{self.origin}/lineitems/1/lineitem"

    def course_url(self, user: str) -> str:
        return f"{self.origin}/course?{urlencode({'user': user})}"

    def scores_for(self, user: str) -> list[dict[str, Any]]:
        return [score for score in self.scores if score.get("userId") == user]


def platform_app(platform: Platform, tool: str) -> Flask:
    """The platform's Flask app; `platform.origin` must be set before the first request."""
    app = Flask("lti_test_platform")
    lock = threading.Lock()

    def conf() -> Conf:
        return Conf(key=platform.key, tool=tool, issuer=platform.origin, target=platform.target)

    @app.get("/course")
    def course() -> str:
        start = f"/start?{urlencode({'user': request.args['user']})}"
        body = (f'<h1>7-А</h1><iframe id="tool" title="Модуль" src="{escape(start)}" '
                'style="width:100%;height:90vh;border:0"></iframe>')
        return PAGE % {"title": "Course", "body": body}

    @app.get("/start")
    def start() -> WerkzeugResponse:
        login = PeerLogin(None, conf())
        login.set_lti_message_hint(launch=str(uuid.uuid4()))
        return redirect(login.initiate_login(request.args["user"]))

    @app.get("/auth")
    def auth() -> str:
        launch = Launch(FlaskPeerRequest(request), conf())
        launch.issuer = platform.origin
        form: str = launch.lti_launch()
        return form

    @app.get("/jwks")
    def jwks() -> Response:
        return jsonify(conf().get_jwks())

    @app.post("/token")
    def token() -> Response:
        return jsonify(conf().get_access_token(request.form.to_dict()))

    @app.post("/lineitems/1/lineitem/scores")
    def scores() -> tuple[str, int]:
        scheme, _, bearer = request.headers.get("Authorization", "").partition(" ")
        try:
            valid = scheme.lower() == "bearer" and conf().validate_token(bearer, allowed_scopes=[SCORE_SCOPE])
        except jwt.PyJWTError:
            valid = False
        if not valid:
            abort(401)
        if request.mimetype != SCORE_TYPE:
            abort(415)
        with lock:
            platform.scores.append(json.loads(request.get_data()))
        return "", 204

    @app.get("/left")
    def left() -> str:
        return PAGE % {"title": "Course", "body": "<p>Back in the course.</p>"}

    return app
