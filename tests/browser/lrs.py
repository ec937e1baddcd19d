"""A small LMS with its LRS, for the cmi5 browser tests: what standards.md §3.2 says an AU meets at launch.

The LMS side writes `LMS.LaunchData`, records `launched` and hands out one-shot fetch URLs; the LRS side
keeps statements (who sent them, in the order they arrived), State documents and Agent Profiles, and
refuses any xAPI call without a fetched token. It serves the unzipped packages too, so the AU talks to its
own origin, as behind an LMS's proxy, and needs no CORS.
"""

from __future__ import annotations

import json
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import partial
from http.server import ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

from tests.browser.harness import QuietHandler

XAPI = "/xapi/"
CMI5 = "https://w3id.org/xapi/cmi5/context/"
SESSION_ID = CMI5 + "extensions/sessionid"
LAUNCH_DATA = "LMS.LaunchData"


@dataclass(frozen=True)
class Launch:
    """One AU session as the LMS set it up: what went into the launch URL and LMS.LaunchData."""

    url: str
    fetch: str
    session_id: str
    token: str
    actor: dict[str, Any]
    registration: str
    activity_id: str
    publisher_id: str
    context_template: dict[str, Any]
    mastery_score: float | None


@dataclass(frozen=True)
class Received:
    """A statement as the LRS stored it: `sender` is the session id of the token that sent it, or `lms`."""

    sender: str
    statement: dict[str, Any]


def agent_key(agent: str) -> str:
    """Agents compare as JSON values, whatever their spacing or key order."""
    return json.dumps(json.loads(agent), sort_keys=True)


class Lms:
    """The state of the LMS and LRS, shared by the request threads."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.origin = ""
        self.statements: list[Received] = []
        self.documents: dict[tuple[str, ...], bytes] = {}
        self.fetches: dict[str, Launch] = {}
        self.fetched: set[str] = set()
        self.tokens: dict[str, str] = {}  # auth-token → session id, once fetched
        self.refused: list[str] = []  # xAPI calls without a valid token or version header

    def launch(self, path: str, publisher_id: str, registration: str, actor: dict[str, Any], *,
               mode: str = "Normal", move_on: str = "Completed", mastery_score: float | None = None,
               return_url: str | None = None) -> Launch:
        """What a cmi5 LMS does before opening an AU (cmi5 §8.1, §10): a new session, its token, the launch
        data, the `launched` statement; the activity id is the LMS's own, stable for the registration."""
        session_id, fetch_id, token = str(uuid.uuid4()), uuid.uuid4().hex, uuid.uuid4().hex
        activity_id = f"https://lms.test/activities/{registration}/{publisher_id.rsplit('/', 1)[1]}"
        template = {"contextActivities": {"grouping": [{"id": publisher_id}]}, "extensions": {SESSION_ID: session_id}}
        launch_data: dict[str, Any] = {"contextTemplate": template, "launchMode": mode, "moveOn": move_on}
        if mastery_score is not None:
            launch_data["masteryScore"] = mastery_score
        if return_url is not None:
            launch_data["returnURL"] = return_url
        fetch = f"{self.origin}/fetch/{fetch_id}"
        query = {"endpoint": self.origin + XAPI, "fetch": fetch, "actor": json.dumps(actor),
                 "registration": registration, "activityId": activity_id}
        launch = Launch(f"{self.origin}{path}?{urlencode(query)}", fetch, session_id, token, actor, registration,
                        activity_id, publisher_id, template, mastery_score)
        extensions = {**template["extensions"], CMI5 + "extensions/launchmode": mode,
                      CMI5 + "extensions/launchurl": f"{self.origin}{path}", CMI5 + "extensions/moveon": move_on}
        if mastery_score is not None:
            extensions[CMI5 + "extensions/masteryscore"] = mastery_score
        launched = {
            "id": str(uuid.uuid4()), "timestamp": datetime.now(UTC).isoformat(), "actor": actor,
            "verb": {"id": "http://adlnet.gov/expapi/verbs/launched", "display": {"en-US": "launched"}},
            "object": {"objectType": "Activity", "id": activity_id},
            "context": {"registration": registration, "extensions": extensions, "contextActivities": {
                **template["contextActivities"], "category": [{"id": CMI5 + "categories/cmi5"}]}},
        }
        with self.lock:
            self.documents[state_key(activity_id, json.dumps(actor), registration, LAUNCH_DATA)] = \
                json.dumps(launch_data).encode()
            self.statements.append(Received("lms", launched))
            self.fetches[fetch_id] = launch
        return launch

    def sent_by(self, launch: Launch) -> list[dict[str, Any]]:
        with self.lock:
            return [r.statement for r in self.statements if r.sender == launch.session_id]

    def of_registration(self, registration: str) -> list[Received]:
        with self.lock:
            return [r for r in self.statements if r.statement["context"]["registration"] == registration]

    def document(self, key: tuple[str, ...]) -> bytes | None:
        with self.lock:
            return self.documents.get(key)

    def wait_for(self, condition: Callable[[], bool], timeout: float = 10.0) -> None:
        deadline = time.monotonic() + timeout
        while not condition():
            assert time.monotonic() < deadline, "the LRS did not get what the test waited for"
            time.sleep(0.05)


def state_key(activity_id: str, agent: str, registration: str, state_id: str) -> tuple[str, ...]:
    return ("state", activity_id, agent_key(agent), registration, state_id)


class Handler(QuietHandler):
    """The packages as static files, plus `POST /fetch/<id>` and the xAPI resources under /xapi/."""

    lms: Lms

    def do_POST(self) -> None:
        path = urlsplit(self.path).path
        if path.startswith("/fetch/"):
            self.fetch(path.removeprefix("/fetch/"))
        else:
            self.xapi("POST")

    def do_PUT(self) -> None:
        self.xapi("PUT")

    def do_DELETE(self) -> None:
        self.xapi("DELETE")

    def do_GET(self) -> None:
        if self.path.startswith(XAPI):
            self.xapi("GET")
        else:
            super().do_GET()

    def fetch(self, fetch_id: str) -> None:
        """cmi5 §8.2: the token once; any later POST gets 200 with error code 1."""
        lms = self.lms
        with lms.lock:
            launch = lms.fetches.get(fetch_id)
            first = launch is not None and fetch_id not in lms.fetched
            if launch is not None and first:
                lms.fetched.add(fetch_id)
                lms.tokens[launch.token] = launch.session_id
        if launch is None:
            self.reply(404, b"")
        elif first:
            self.reply(200, json.dumps({"auth-token": launch.token}).encode(), "application/json")
        else:
            self.reply(200, json.dumps({"error-code": "1", "error-text": "already used"}).encode(),
                       "application/json")

    def xapi(self, method: str) -> None:
        lms = self.lms
        url = urlsplit(self.path)
        resource = url.path.removeprefix(XAPI)
        query = {k: v[0] for k, v in parse_qs(url.query).items()}
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        token = (self.headers.get("Authorization") or "").removeprefix("Basic ")
        with lms.lock:
            sender = lms.tokens.get(token)
            if sender is None or not (self.headers.get("X-Experience-API-Version") or "").startswith("1.0"):
                lms.refused.append(f"{method} {self.path}")
                sender = None
        if sender is None:
            self.reply(401, b"")
        elif resource == "statements" and method in {"POST", "PUT"}:
            self.statements(sender, json.loads(body))
        elif resource == "activities/state":
            key = state_key(query["activityId"], query["agent"], query.get("registration", ""), query["stateId"])
            self.document(method, key, body)
        elif resource == "agents/profile":
            self.document(method, ("profile", agent_key(query["agent"]), query["profileId"]), body)
        else:
            self.reply(400, b"")

    def statements(self, sender: str, body: Any) -> None:
        batch = body if isinstance(body, list) else [body]
        with self.lms.lock:
            self.lms.statements.extend(Received(sender, s) for s in batch)
        self.reply(200, json.dumps([s["id"] for s in batch]).encode(), "application/json")

    def document(self, method: str, key: tuple[str, ...], body: bytes) -> None:
        """xAPI documents: GET (404 when absent), PUT replaces, POST merges JSON objects, DELETE."""
        lms = self.lms
        with lms.lock:
            found = lms.documents.get(key)
            if method == "GET":
                status = 200 if found is not None else 404
            elif method == "PUT":
                lms.documents[key], status = body, 204
            elif method == "POST":
                merged = {**json.loads(found or b"{}"), **json.loads(body)}
                lms.documents[key], status = json.dumps(merged).encode(), 204
            else:
                lms.documents.pop(key, None)
                status = 204
        if status == 200 and found is not None:
            self.reply(200, found, "application/json")
        else:
            self.reply(status, b"")

    def reply(self, status: int, body: bytes, content_type: str = "text/plain") -> None:
        self.send_response(status)
        if status != 204:
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if status != 204:
            self.wfile.write(body)


def serve_lms(root: Path) -> Iterator[Lms]:
    """Serve `root` and the LMS on 127.0.0.1 from a thread until the generator is closed."""
    lms = Lms()
    handler = type("LmsHandler", (Handler,), {"lms": lms})
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), partial(handler, directory=str(root)))
    lms.origin = f"http://127.0.0.1:{httpd.server_address[1]}"
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield lms
    finally:
        httpd.shutdown()
        httpd.server_close()
