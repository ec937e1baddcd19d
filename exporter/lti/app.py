"""The LTI 1.3 tool's Flask app: OIDC login, launch, JWKS, module assets, and the runtime API blueprint.

Everything a worker needs (database, course, renderer, secret) is built once in `create_app`; under gunicorn
the app is created before the workers fork (exporter.lti.serve), so all workers share the same secret."""

from __future__ import annotations

import os
from pathlib import Path
from urllib.parse import quote, urlsplit

import requests
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from flask import Flask, Response, abort, current_app, jsonify, request
from markupsafe import escape
from pylti1p3.contrib.flask.request import FlaskRequest
from pylti1p3.exception import LtiException, OIDCException
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session, sessionmaker

from exporter.loader import load_course
from exporter.lti import api, db, deep_linking, keys, onetime, pages, services, session
from exporter.lti.context import EXTENSION, ToolContext
from exporter.lti.grades import GradeSender
from exporter.lti.keysets import KeySets
from exporter.lti.launch import Login, MessageLaunch, Nonces, accept, launch_row, module_for, record
from exporter.lti.toolconf import DbToolConf
from exporter.lti.validation import LaunchRefused, on_this_host
from exporter.model import Module
from exporter.render import Renderer

API_PREFIX = "/lti/api"
PLATFORM_HTTP = "LTI_PLATFORM_HTTP"  # app.config key: the requests.Session for platform JWKS fetches
KEY_SETS = "LTI_KEY_SETS"  # app.config key: the platforms' key sets, cached (keysets.py)
SESSION_TTL_SECONDS = session.DEFAULT_TTL_SECONDS
IMMUTABLE = "public, max-age=31536000, immutable"
TRY_AGAIN = ("<p>Спробуйте відкрити його ще раз зі сторінки курсу. Якщо не допоможе, перешліть це повідомлення "
             "адміністраторові платформи.</p>")
# pylti1p3's refusal of a launch whose state the browser did not send back in the login's cookie (lti.md §5 C1):
# the login page's check passed, yet the cookie was dropped or outlived its 5 minutes (or the state is forged, ST1).
STATE_NOT_FOUND = "State not found"
TRY_LATER = ("<p>Сервіс модулів зараз недоступний. Спробуйте відкрити модуль ще раз за кілька хвилин; ваші "
             "попередні результати збережено.</p>")
RETRY_AFTER_SECONDS = 30
STATE_LOST = ("<p>Відкрийте модуль ще раз зі сторінки курсу: зазвичай цього досить.</p>"
              "<p>Якщо він знову не відкриється, можливо, браузер блокує файли cookie для цього сайту, а модулю вони "
              "потрібні, щоб відкритися зі сторінки курсу. Спробуйте інший браузер або покажіть це повідомлення "
              "вчителеві чи адміністраторові платформи.</p>")


def create_app(database_url: str | None = None, *, secret: bytes | None = None, lessons: Path = Path("lessons"),
               testing: bool = False, redis_url: str | None = None) -> Flask:
    """`redis_url` (default: REDIS_URL) keeps nonces and the platforms' access tokens in Redis, shared by
    every worker, instead of the database and each process."""
    url = db.database_url(database_url)
    db.migrate(url)
    sessions = db.session_factory(db.make_engine(url))
    course = load_course(lessons)
    app = Flask(__name__, static_folder=None)
    app.testing = testing
    redis = redis_url or os.environ.get("REDIS_URL")
    context = ToolContext(sessions=sessions, autocommit=db.make_engine(url, autocommit=True),
                          secret=secret or session_secret(sessions),
                          renderer=Renderer(course), course=course,
                          grades=GradeSender(tokens=services.token_cache(redis)), once=onetime.store(redis))
    app.extensions[EXTENSION] = context
    http = requests.Session()
    http.headers["User-Agent"] = "stopsexting-lti"
    app.config[PLATFORM_HTTP] = http
    app.config[KEY_SETS] = KeySets()
    app.register_blueprint(api.blueprint, url_prefix=API_PREFIX)
    _routes(app, context)
    app.register_error_handler(OperationalError, _database_unreachable)
    return app


def session_secret(sessions: sessionmaker[Session]) -> bytes:
    """STOPSEXTING_SECRET or SECRET_KEY when set; else derived (HKDF) from the active tool key's private key.

    Deriving needs no extra file or table and is the same in every worker and after restarts, on SQLite and
    on a shared PostgreSQL alike; a key rotation (done after a leak) then also ends open lesson sessions,
    once the tool restarts, which is what a leak calls for. The HKDF `info` keeps the two uses apart."""
    configured = os.environ.get("STOPSEXTING_SECRET") or os.environ.get("SECRET_KEY")
    if configured:
        return configured.encode()
    key = keys.active_key(sessions)
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None,
                info=b"stopsexting-lti-session-token").derive(key.private_pem.encode())


def _routes(app: Flask, tool: ToolContext) -> None:
    tool_conf = DbToolConf(tool.sessions)

    def launch_page(module: Module, script_root: str, token: str, instructor: bool, resource_link_id: str) -> bytes:
        _, version = pages.assets(tool.renderer, module.id)
        return pages.module_page(tool.renderer, module, token=token, api=f"{script_root}{API_PREFIX}",
                                 base=f"{script_root}/lti/static/{module.id}/{version}/", instructor=instructor,
                                 class_url=f"{script_root}/lti/class/{quote(resource_link_id)}")

    # Every page rendered now, before gunicorn forks the workers: no student's launch waits for a rendering.
    for module in tool.course.modules:
        for instructor in (False, True):
            launch_page(module, "", "token", instructor, "link")

    @app.route("/lti/login", methods=["GET", "POST"])
    def login() -> Response:
        """OIDC third-party login initiation: a page that sends the browser on to the platform's auth endpoint
        once it has checked that the state cookie can be kept here (launch.Login.page)."""
        lti_request = FlaskRequest()  # type: ignore[no-untyped-call]
        target = lti_request.get_param("target_link_uri")  # type: ignore[no-untyped-call]
        if not target:
            return refusal(400, "the platform sent no target_link_uri")
        if not on_this_host(target, request.host):
            return refusal(400, f"target_link_uri {target} is not on this tool")
        # The launch URL on the host the platform knows us by: a TLS proxy in front hides the public scheme.
        parts = urlsplit(target)
        launch_url = f"{parts.scheme}://{parts.netloc}{request.script_root}/lti/launch"
        try:
            return Login(lti_request, tool_conf, Nonces(lti_request, tool.secret), target).page(
                launch_url, tool.renderer, f"{request.script_root}{request.path}")
        except LaunchRefused as refused:
            return refusal(refused.status, refused.message)
        except (LtiException, OIDCException) as error:
            return refusal(403 if isinstance(error, LtiException) else 400, str(error))

    @app.post("/lti/launch")
    def launch() -> Response:
        lti_request = FlaskRequest()  # type: ignore[no-untyped-call]
        try:
            message = MessageLaunch(lti_request, tool_conf, Nonces(lti_request, tool.secret),
                                    app.config[PLATFORM_HTTP], app.config[KEY_SETS])
            message.validate()
            deep_link = message.is_deep_link_launch()
            if not deep_link and not message.is_resource_launch():
                raise LaunchRefused(400, "this tool only opens modules (LtiResourceLinkRequest)")
            module = None if deep_link else module_for(tool.course, message.body())
            row = None if module is None else launch_row(tool_conf, message, module, SESSION_TTL_SECONDS)
            # Every check is done: the nonce is used up, then the launch written, a statement each. A worker
            # dying between the two leaves a spent id_token and no launch, as if the page had never arrived.
            accept(tool.autocommit, tool.once, message)
            if row is not None:
                record(tool.autocommit, row)
            if module is None or row is None:  # a Deep Linking request: nothing to record but its nonce
                return deep_linking.start(tool, message, request.script_root)
        except LaunchRefused as refused:
            return refusal(refused.status, refused.message)
        except LtiException as error:
            return refusal(403, str(error), STATE_LOST if str(error) == STATE_NOT_FOUND else TRY_AGAIN)
        page = launch_page(module, request.script_root, session.issue(tool.secret, row.id, SESSION_TTL_SECONDS),
                           message.check_teacher_access(), row.resource_link_id or "")
        response = Response(page, mimetype="text/html")
        response.headers["Cache-Control"] = "no-store"  # the page embeds this launch's session token
        return response

    @app.post(deep_linking.ROUTE)
    def deep_link_choice() -> Response:
        """The teacher's choice on the Deep Linking picker, sent back to the platform as signed resource links."""
        try:
            return deep_linking.choose(tool, tool_conf, request.form, request.path)
        except LaunchRefused as refused:
            return refusal(refused.status, refused.message)
        except LtiException as error:
            return refusal(403, str(error))

    @app.get("/lti/jwks")
    def jwks() -> Response:
        return jsonify(keys.jwks(tool.sessions))

    @app.get("/lti/static/<module_id>/<version>/<path:path>")
    def static_file(module_id: str, version: str, path: str) -> Response:
        if module_id not in {module.id for module in tool.course.modules}:
            abort(404)
        files, current = pages.assets(tool.renderer, module_id)
        if version != current or path not in files:
            abort(404)
        response = Response(files[path], mimetype=_mimetype(path))
        response.headers["Cache-Control"] = IMMUTABLE
        return response


def _mimetype(path: str) -> str:
    types = {".css": "text/css", ".js": "text/javascript", ".svg": "image/svg+xml", ".png": "image/png",
             ".jpg": "image/jpeg", ".jpeg": "image/jpeg", ".webp": "image/webp", ".mp3": "audio/mpeg",
             ".ogg": "audio/ogg", ".wav": "audio/wav"}
    return types.get(Path(path).suffix.lower(), "application/octet-stream")


def _database_unreachable(error: OperationalError) -> Response:
    """The database is down or refuses connections: a page that says to come back (a 503, never a bare 500),
    or for the module's runtime a JSON 503 it retries after a while (templates/runtime/lti.js). The request's
    transaction was rolled back, so nothing is half-written."""
    current_app.logger.error("database unreachable: %s", error)
    if request.path.startswith(f"{API_PREFIX}/"):
        response = jsonify(error="the tool's database is not reachable; the save is retried later")
        response.status_code = 503
    else:
        response = refusal(503, "the tool's database is not reachable", TRY_LATER)
    response.headers["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return response


def refusal(status: int, detail: str, advice: str = TRY_AGAIN) -> Response:
    """A short page for the teacher or student who clicked the link, with the reason for the administrator;
    `advice`, what they can do, is HTML (TRY_AGAIN, or STATE_LOST when the state cookie did not come back)."""
    html = (
        '<!doctype html><html lang="uk"><meta charset="utf-8"><title>Не вдалося відкрити модуль</title>'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<h1>Не вдалося відкрити модуль</h1>{advice}"
        f"<p><small>The launch was refused: {escape(detail)}.</small></p></html>"
    )
    return Response(html, status=status, mimetype="text/html")
