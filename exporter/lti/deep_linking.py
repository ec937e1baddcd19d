"""Deep Linking 2.0: a teacher adding our activity in the LMS picks modules, and the platform gets one LTI
resource link per module, each with a line item of maximum 100 (../shared/lti.md 1.4, section 5 DL1/DL2, 7).

A choice takes two requests: the validated LtiDeepLinkingRequest shows the picker; the picker's POST makes the
signed LtiDeepLinkingResponse. What the second request needs from the first (platform, deployment, return URL,
the platform's `data`, our public address) travels in the form, signed with the tool's secret and valid for
SELECTION_TTL_SECONDS: the picker runs in the platform's iframe, where a cookie would not come back, and a page
on another site can neither read nor forge the field, so it is also the CSRF token. The token is burned when a
response is made (exporter.lti.onetime), so one request from the platform adds the modules once."""

from __future__ import annotations

import secrets
from collections.abc import Collection, Sequence
from dataclasses import asdict, dataclass
from datetime import timedelta
from functools import cache
from typing import Any
from urllib.parse import urlsplit

from flask import Response
from itsdangerous import BadData, SignatureExpired, URLSafeTimedSerializer
from markupsafe import Markup
from pylti1p3.deep_link import DeepLink
from sqlalchemy import Engine
from werkzeug.datastructures import MultiDict

from exporter.loader import Course
from exporter.lti import validation
from exporter.lti.context import ToolContext
from exporter.lti.launch import DEPLOYMENT_ID, MessageLaunch
from exporter.lti.models import utcnow
from exporter.lti.onetime import OneTime
from exporter.lti.toolconf import DbToolConf
from exporter.lti.validation import LaunchRefused
from exporter.model import Module
from exporter.render import TEMPLATES, Renderer

DL_CLAIM = "https://purl.imsglobal.org/spec/lti-dl/claim/"
SETTINGS = DL_CLAIM + "deep_linking_settings"
CONTENT_ITEMS = DL_CLAIM + "content_items"
DATA = DL_CLAIM + "data"
RESOURCE_LINK = "ltiResourceLink"
TARGETS = ("iframe", "window")  # how a module can be shown; "embed" alone is for HTML fragments, not pages
SELECTION_TTL_SECONDS = 1800  # time to read eight descriptions and choose, not long enough to matter if leaked
SCORE_MAXIMUM = 100  # Moodle makes it the activity's maximum grade (lti.md 7); scores are scaled to it
LINE_ITEM_TAG = "stopsexting"  # lets AGS find our line items among the course's (find_lineitem_by_tag)
ROUTE = "/lti/deep-link"  # where the picker posts the teacher's choice
FIELD_TOKEN = "request"
FIELD_MODULE = "module"
KINDS = {"session": "заняття з дорослим", "lesson": "урок", "quest": "квест"}


@dataclass(frozen=True)
class Selection:
    """What the picker's POST needs from the Deep Linking request; `id` makes the response single-use."""

    issuer: str
    client_id: str
    deployment_id: str
    return_url: str
    accept_multiple: bool
    data: Any  # the platform's opaque `data`, echoed back; None when it sent none
    tool: str  # our public address, as the platform knows us: the base of the links we return
    id: str


def selection(message: MessageLaunch, script_root: str) -> Selection:
    """The request's deep_linking_settings, checked (DL1). pylti1p3 has already refused (403) a request without
    settings, without ltiResourceLink in accept_types, or with no presentation target; this adds what it does
    not check and we rely on: a return URL, and a target a whole page can be shown in. Its three checks are
    repeated because the response depends on them, not on which pylti1p3 version ran before."""
    body = message.body()
    settings = body.get(SETTINGS)
    if not isinstance(settings, dict):
        raise LaunchRefused(400, "the Deep Linking request has no deep_linking_settings")
    types = settings.get("accept_types")
    if not isinstance(types, list) or RESOURCE_LINK not in types:
        raise LaunchRefused(400, "the platform does not accept LTI resource links (accept_types)")
    targets = settings.get("accept_presentation_document_targets")
    if not isinstance(targets, list) or not set(TARGETS) & set(targets):
        raise LaunchRefused(400, "the platform accepts no presentation target a module can be shown in "
                                 "(iframe or window)")
    return_url = settings.get("deep_link_return_url")
    if not isinstance(return_url, str) or urlsplit(return_url).scheme not in ("http", "https") or not urlsplit(
            return_url).netloc:
        raise LaunchRefused(400, "the Deep Linking request has no valid deep_link_return_url")
    # The launch went where the login said, and the login checked that is this host (validation.target).
    target = urlsplit(str(body[validation.TARGET_LINK_URI]))
    return Selection(issuer=str(body["iss"]), client_id=message.get_client_id(),
                     deployment_id=str(body[DEPLOYMENT_ID]), return_url=return_url,
                     accept_multiple=settings.get("accept_multiple") not in (False, "false"),
                     data=settings.get("data"), tool=f"{target.scheme}://{target.netloc}{script_root}",
                     id=secrets.token_urlsafe(16))


def start(tool: ToolContext, message: MessageLaunch, script_root: str) -> Response:
    """The launch route's answer to a validated LtiDeepLinkingRequest: the picker, or LaunchRefused (DL1, or
    a learner: platforms send content selection to teachers, and a learner must not add activities)."""
    if not message.check_teacher_access():
        raise LaunchRefused(403, "only a teacher or an administrator can add modules to a course")
    chosen = selection(message, script_root)
    return picker(tool.renderer, tool.course, chosen, sign(tool.secret, chosen), action=f"{script_root}{ROUTE}")


def choose(tool: ToolContext, tool_conf: DbToolConf, form: MultiDict[str, str], action: str) -> Response:
    """The picker's POST: the response to the platform, the picker again with what is wrong, or LaunchRefused
    for a token we did not sign, an expired one, or one already used."""
    token = form.get(FIELD_TOKEN, "")
    chosen = verify(tool.secret, token)
    ids = form.getlist(FIELD_MODULE)
    picked = modules(tool.course, chosen, ids)
    if isinstance(picked, str):
        return picker(tool.renderer, tool.course, chosen, token, action=action, error=picked, checked=ids)
    return respond(tool.renderer, tool_conf, tool.autocommit, tool.once, chosen, picked)


def sign(secret: bytes, chosen: Selection) -> str:
    return _signer(secret).dumps(asdict(chosen))


def verify(secret: bytes, token: str) -> Selection:
    try:
        data = _signer(secret).loads(token, max_age=SELECTION_TTL_SECONDS)
        return Selection(**data)
    except SignatureExpired as error:
        raise LaunchRefused(403, "the module choice has expired: add the activity again from your course") from error
    except (BadData, TypeError) as error:
        raise LaunchRefused(403, "the module choice was not made on our page") from error


def picker(renderer: Renderer, course: Course, chosen: Selection, token: str, *, action: str,
           error: str | None = None, checked: Collection[str] = ()) -> Response:
    """The teacher's page: the modules grouped by audience in program order, to tick and send."""
    groups: dict[str, list[Module]] = {}
    for module in course.modules:
        groups.setdefault(module.audience.label, []).append(module)
    return _page(renderer, {"groups": groups, "kinds": KINDS, "multiple": chosen.accept_multiple,
                            "token": token, "field_token": FIELD_TOKEN, "field_module": FIELD_MODULE,
                            "action": action, "error": error, "checked": set(checked), "response": None})


def modules(course: Course, chosen: Selection, ids: Sequence[str]) -> list[Module] | str:
    """The modules ticked, in program order, or the reason to show the picker again."""
    by_id = {module.id: module for module in course.modules}
    if not ids:
        return "Позначте хоча б один модуль."
    if any(value not in by_id for value in ids):
        return "Такого модуля немає в програмі: оновіть сторінку курсу й спробуйте ще раз."
    if len(set(ids)) > 1 and not chosen.accept_multiple:
        return "Платформа дозволяє додати лише один модуль за раз: позначте один."
    return [module for module in course.modules if module.id in ids]


def respond(renderer: Renderer, tool_conf: DbToolConf, database: Engine, once: OneTime,
            chosen: Selection, picked: Sequence[Module]) -> Response:
    """The LtiDeepLinkingResponse for `picked`, signed with our active key (pylti1p3's DeepLink gives the
    envelope: iss = client_id, aud = [issuer], exp/iat, nonce, deployment, type, version), in a form the
    browser posts to the platform. The items are written here because pylti1p3's always carry `"custom": {}`
    and null title/url and its `data` is null when the platform sent none (DL2)."""
    if not once.consume(database, f"deep-link:{chosen.id}", utcnow() + timedelta(seconds=SELECTION_TTL_SECONDS)):
        raise LaunchRefused(403, "these modules were already sent to the platform: add the activity again")
    registration = tool_conf.find_registration_by_params(chosen.issuer, chosen.client_id)
    deep_link = DeepLink(registration, chosen.deployment_id, {"deep_link_return_url": chosen.return_url})
    message: dict[str, Any] = deep_link.get_message_jwt([])
    message[CONTENT_ITEMS] = [content_item(chosen.tool, module) for module in picked]
    message.pop(DATA)
    if chosen.data is not None:
        message[DATA] = chosen.data
    token: str = deep_link.encode_jwt(message)  # type: ignore[no-untyped-call]
    return _page(renderer, {"response": {"url": chosen.return_url, "jwt": token, "count": len(picked)}})


def content_item(tool: str, module: Module) -> dict[str, Any]:
    """One module as Moodle makes an activity of it (lti.md 7): the same URL our cartridges use, the module id
    as a custom parameter for links a platform rewrites, and a line item so the gradebook has a column."""
    return {
        "type": RESOURCE_LINK,
        "title": module.title,
        "text": module.summary,
        "url": f"{tool}/modules/{module.id}",
        "custom": {"module": module.id},
        "lineItem": {"scoreMaximum": SCORE_MAXIMUM, "label": module.title, "resourceId": module.id,
                     "tag": LINE_ITEM_TAG},
    }


def _page(renderer: Renderer, context: dict[str, Any]) -> Response:
    page = renderer.page("lti_deep_link.html.j2", {"style": _style(), **context})
    response = Response(page, mimetype="text/html")
    response.headers["Cache-Control"] = "no-store"  # the page carries a signed choice token or response
    return response


@cache
def _style() -> Markup:
    """The module pages' stylesheet, inlined: the page must load nothing else, and there is no module route
    to serve it from before a module is chosen."""
    return Markup((TEMPLATES / "style.css").read_text(encoding="utf-8"))


def _signer(secret: bytes) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(secret, salt="stopsexting-lti-deep-link")
