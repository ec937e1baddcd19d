"""The module page an LTI launch shows: the packaged page, with the `lti` runtime adapter, the session the
adapter needs, and for instructors the teacher notes and a link to the class view; and the page the OIDC login
answers with (`login_page`).

The page is served from the launch URL but its assets are not, so `<base href>` points relative `assets/…`,
`images/…` and `audio/…` at the tool's static route for the module. Those assets come from `asset()`, which never serves
teacher notes: a learner can fetch any static URL."""

from __future__ import annotations

import functools
import hashlib
import json
import re

from markupsafe import escape

from exporter.model import Module
from exporter.render import Renderer, runtime_data, runtime_scripts

ADAPTERS = ("standalone", "queue", "lti")


TOKEN_MARK = "stopsexting-session-token-mark"
CLASS_MARK = "/stopsexting-class-view-mark"
AUTH_URL_MARK = "stopsexting-auth-url-mark"
LOGIN_URL_MARK = "stopsexting-login-url-mark"
URL_SAFE = re.compile(r"[A-Za-z0-9_.~%-]+")


def module_page(renderer: Renderer, module: Module, *, token: str, api: str, base: str, instructor: bool,
                class_url: str | None = None) -> bytes:
    """`token`: the launch's session token (exporter.lti.session.issue); `api`: where the API blueprint is
    mounted; `base`: the module's static route, ending in a slash; `class_url`: the class view, shown to
    instructors.

    Launches of a module differ only in the token and the class link, so the page is rendered once per
    module, route and role and those two are put in: rendering is most of a launch's cost (bench/lti_load.py).
    Both must be URL-safe text, which JSON and HTML escaping leave as it is: the substitution relies on it."""
    if not URL_SAFE.fullmatch(token) or not URL_SAFE.fullmatch((class_url or "x").replace("/", "")):
        raise ValueError("the session token and the class link must be URL-safe text")
    page = _rendered(renderer, module.id, api, base, instructor, class_url is not None)
    page = page.replace(TOKEN_MARK.encode(), token.encode())
    return page.replace(CLASS_MARK.encode(), (class_url or "").encode())


@functools.lru_cache(maxsize=512)
def _rendered(renderer: Renderer, module_id: str, api: str, base: str, instructor: bool, linked: bool) -> bytes:
    module = renderer.course.module(module_id)
    by_id = {contact.id: contact for contact in renderer.course.program.contacts}
    context = {
        "program": renderer.course.program,
        "module": module,
        "contacts": [by_id[contact_id] for contact_id in module.help],
        "scripts": [f"assets/{name}.js" for name in runtime_scripts(module, ADAPTERS)],
        "data_json": _script_json(runtime_data(module)),
        "lti": {"base": base, "session_json": _script_json({"api": api, "token": TOKEN_MARK}),
                "instructor": instructor, "class_url": CLASS_MARK if linked else None},
    }
    return renderer.page("module.html.j2", context)


@functools.lru_cache(maxsize=64)
def assets(renderer: Renderer, module_id: str) -> tuple[dict[str, bytes], str]:
    """The files a module's page fetches (`assets/…`, `images/…`, `audio/…`) and their content version, which is in
    their URL so that browsers keep them for good. Never the packaged page (it lacks the session and would run
    unsaved) nor teacher notes: a learner can fetch any static URL."""
    site = renderer.render(renderer.course.module(module_id), ADAPTERS)
    public = {path: data for path, data in site.items() if path.startswith(("assets/", "images/", "audio/"))}
    digest = hashlib.sha256()
    for path in sorted(public):
        digest.update(path.encode() + b"\0" + hashlib.sha256(public[path]).digest())
    return public, digest.hexdigest()[:16]


def login_page(renderer: Renderer, *, auth_url: str, login_url: str, secure: bool) -> bytes:
    """The page /lti/login answers with (templates/lti_login.html.j2). Its script checks that the browser keeps,
    in this frame, a cookie like the login's state cookie (`secure`: Secure, SameSite=None and Partitioned, as
    launch.PartitionedCookies sets it on https), then goes on to `auth_url`, the platform's auth endpoint; if not,
    it explains and offers `login_url`, the same login, in a new window.

    Every launch passes here, so the template is rendered once per scheme and the two URLs are put in,
    HTML-escaped for the attributes that hold them: in one pass, so that neither URL can bring in a mark."""
    before, between, after = _login_parts(renderer, secure)
    return "".join((before, escape(auth_url), between, escape(login_url), after)).encode()


@functools.lru_cache(maxsize=8)
def _login_parts(renderer: Renderer, secure: bool) -> tuple[str, str, str]:
    page = renderer.page("lti_login.html.j2", {"auth_url": AUTH_URL_MARK, "login_url": LOGIN_URL_MARK,
                                               "secure": secure}).decode()
    before, rest = page.split(AUTH_URL_MARK)
    between, after = rest.split(LOGIN_URL_MARK)
    return before, between, after


def _script_json(value: object) -> str:
    """JSON safe inside <script>: the same form render.py uses for the module data."""
    return json.dumps(value, ensure_ascii=False, sort_keys=True, separators=(",", ":")).replace("</", "<\\/")
