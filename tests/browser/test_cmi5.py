"""cmi5 tracking, end to end: AUs of the built cmi5 package launched in headless Chromium by a small LMS+LRS.

Every session is checked statement by statement against standards.md §3.3: `launched` by the LMS, then the
AU's `initialized` first and `terminated` last, ids, actor, object, the LMS's context template with the
registration, categories, results, durations; and across a registration's sessions, at most one
`completed` and one `passed`, no `failed` after `passed`. Right answers pass, wrong answers fail; leaving
half-way sends `terminated` and a relaunch resumes at the same screen; a used fetch URL gives no token (the
module then runs on its own); Browse mode sends `initialized` and `terminated` only.
"""

from __future__ import annotations

import io
import json
import re
import urllib.request
import uuid
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from lxml import etree
from playwright.sync_api import Browser, ConsoleMessage, Page

from exporter.build import build_packages, select_targets
from exporter.loader import Course, load_course
from exporter.model import Module
from exporter.scoring import questions
from tests.browser.conftest import Watch, new_page
from tests.browser.harness import (
    FIXTURE_COURSE,
    LESSONS,
    Learner,
    expected_result,
    quest_path,
    snapshot,
    stop_midway,
    to_resume,
)
from tests.browser.lrs import SESSION_ID, Launch, Lms, serve_lms, state_key

pytestmark = pytest.mark.browser

VERBS = "http://adlnet.gov/expapi/verbs/"
CATEGORY = "https://w3id.org/xapi/cmi5/context/categories/cmi5"
MOVEON = "https://w3id.org/xapi/cmi5/context/categories/moveon"
MASTERY = "https://w3id.org/xapi/cmi5/context/extensions/masteryscore"
INTERACTION = "http://adlnet.gov/expapi/activities/cmi.interaction"
STATE_ID = "https://w3id.org/stopsexting/xapi/state"
NS = {"c": "https://w3id.org/xapi/profiles/cmi5/v1/CourseStructure.xsd"}
RE_UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$")
RE_DURATION = re.compile(r"^PT(\d+H)?(\d+M)?\d+(\.\d{1,2})?S$")
ACTOR = {"objectType": "Agent", "name": "Учень Тест", "account": {"homePage": "https://lms.test", "name": "learner-1"}}
COURSES = {"fixture": FIXTURE_COURSE, "lessons": LESSONS}


@dataclass(frozen=True)
class Au:
    """One AU as an LMS imports it from cmi5.xml, and the module behind it."""

    key: str
    module: Module
    publisher_id: str
    move_on: str
    mastery_score: float | None

    @property
    def path(self) -> str:
        return f"/{self.key}/{self.module.id}/index.html"


def imported(key: str, course: Course, package: bytes) -> dict[str, Au]:
    """The AUs of a cmi5.xml, read as an LMS does: ids, moveOn, masteryScore, urls."""
    with zipfile.ZipFile(io.BytesIO(package)) as archive:
        structure = etree.fromstring(archive.read("cmi5.xml"))
    aus = {}
    for element in structure.iterfind("c:au", NS):
        module = course.module((element.findtext("c:url", namespaces=NS) or "").split("/")[0])
        score = element.get("masteryScore")
        aus[module.id] = Au(key, module, element.get("id") or "", element.get("moveOn") or "",
                            None if score is None else float(score))
    return aus


@pytest.fixture(scope="session")
def packages() -> dict[str, tuple[Course, bytes]]:
    """The fixture course's and the program's cmi5 packages, by course key."""
    built = {}
    for key, folder in COURSES.items():
        course = load_course(folder)
        (package,) = build_packages(course, course.modules, select_targets(["cmi5"]))
        built[key] = (course, package.data)
    return built


@pytest.fixture(scope="session")
def lms(packages: dict[str, tuple[Course, bytes]], tmp_path_factory: pytest.TempPathFactory) -> Iterator[Lms]:
    """The packages unzipped side by side, served with the LMS, and a page of the LMS to go back to."""
    root = tmp_path_factory.mktemp("cmi5")
    for key, (_, data) in packages.items():
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            archive.extractall(root / key)
    (root / "left.html").write_text('<!doctype html><html lang="uk"><title>LMS</title><link rel="icon" href="data:,">')
    yield from serve_lms(root)


@pytest.fixture(scope="session")
def aus(packages: dict[str, tuple[Course, bytes]]) -> dict[str, Au]:
    """Every AU, named `<course key>-<module id>`."""
    return {f"{key}-{module_id}": au for key, (course, data) in packages.items()
            for module_id, au in imported(key, course, data).items()}


class Cmi5Watch(Watch):
    """No console errors, except the browser's own log line for a 404 that xAPI defines as "no such document
    yet": the learner preferences nobody set, and this AU's state before its first save."""

    def console(self, message: ConsoleMessage) -> None:
        url = urlsplit(message.location.get("url", ""))
        query = parse_qs(url.query)
        absent = (url.path == "/xapi/agents/profile" and query.get("profileId") == ["cmi5LearnerPreferences"]) or \
            (url.path == "/xapi/activities/state" and query.get("stateId") == [STATE_ID])
        if not (absent and message.text.startswith("Failed to load resource: the server responded with a status "
                                                    "of 404")):
            super().console(message)


@dataclass
class Tab:
    """The test's browser tab, where every launch of the test happens (a relaunch finds the private notes
    the first launch kept in this browser), and what the page did there."""

    page: Page
    watch: Cmi5Watch
    warnings: list[str]


@pytest.fixture()
def tab(browser: Browser, lms: Lms) -> Iterator[Tab]:
    watch = Cmi5Watch(lms.origin)
    page = new_page(browser, watch)
    warnings: list[str] = []
    page.on("console", lambda message: warnings.append(message.text) if message.type == "warning" else None)
    yield Tab(page, watch, warnings)
    page.context.close()


@dataclass(frozen=True)
class Run:
    """One launched AU: the learner on the page and what the LMS set up."""

    learner: Learner
    launch: Launch


def start(tab: Tab, lms: Lms, au: Au, registration: str, **options: Any) -> Run:
    """The LMS launches the AU in the tab with the five launch parameters; the module is ready."""
    launch = lms.launch(au.path, au.publisher_id, registration, ACTOR,
                        **{"move_on": au.move_on, "mastery_score": au.mastery_score, **options})
    tab.page.goto(launch.url)
    learner = Learner(tab.page.main_frame, au.module)
    learner.wait_ready()
    return Run(learner, launch)


def terminated(lms: Lms, tab: Tab, launch: Launch) -> list[dict[str, Any]]:
    """What the session sent, once `terminated` has come and anything sent after it would have too."""
    lms.wait_for(lambda: any(verb(s) == "terminated" for s in lms.sent_by(launch)))
    tab.page.wait_for_timeout(300)
    tab.watch.check()
    return lms.sent_by(launch)


def leave(lms: Lms, tab: Tab, run: Run) -> list[dict[str, Any]]:
    """The learner goes back to the LMS: a real pagehide."""
    tab.page.goto(f"{lms.origin}/left.html")
    return terminated(lms, tab, run.launch)


def verb(statement: dict[str, Any]) -> str:
    return str(statement["verb"]["id"]).removeprefix(VERBS)


def categories(statement: dict[str, Any]) -> list[str]:
    return [a["id"] for a in statement["context"].get("contextActivities", {}).get("category", [])]


def cmi5_verbs(statements: list[dict[str, Any]]) -> list[str]:
    return [verb(s) for s in statements if CATEGORY in categories(s)]


def check_session(au: Au, launch: Launch, statements: list[dict[str, Any]]) -> None:
    """Every statement of one session, against cmi5 §9 (standards.md §3.3)."""
    verbs = [verb(s) for s in statements]
    assert verbs[0] == "initialized" and verbs[-1] == "terminated", verbs
    defined = cmi5_verbs(statements)
    assert len(defined) == len(set(defined)), f"a cmi5 verb twice in a session: {defined}"
    assert len({"passed", "failed"} & set(defined)) <= 1, defined
    ids = [s["id"] for s in statements]
    assert len(ids) == len(set(ids)) and all(RE_UUID.match(i) for i in ids)
    for statement in statements:
        name = verb(statement)
        assert statement["actor"] == launch.actor
        assert datetime.fromisoformat(statement["timestamp"]).utcoffset() is not None
        context = statement["context"]
        assert context["registration"] == launch.registration
        assert context["extensions"][SESSION_ID] == launch.session_id
        assert context["contextActivities"]["grouping"] == launch.context_template["contextActivities"]["grouping"]
        assert {"id": au.publisher_id} in context["contextActivities"]["grouping"]
        result = statement.get("result", {})
        if name == "answered":  # a cmi5 "allowed" statement: an interaction, no cmi5 categories
            assert categories(statement) == []
            assert statement["object"]["id"].startswith(launch.activity_id + "/interactions/")
            assert statement["object"]["definition"]["type"] == INTERACTION
            assert RE_DURATION.match(result["duration"])
            definition = statement["object"]["definition"]
            if statement["object"]["id"].rsplit("/", 1)[1] in {scene.id for scene in au.module.scenes}:
                assert "success" not in result and "correctResponsesPattern" not in definition, "a decision is neutral"
            else:
                assert isinstance(result["success"], bool) and definition["correctResponsesPattern"]
            continue
        assert name in {"initialized", "completed", "passed", "failed", "terminated"}
        assert statement["object"]["id"] == launch.activity_id
        moves_on = "success" in result or "completion" in result
        assert categories(statement) == [CATEGORY, MOVEON] if moves_on else [CATEGORY]
        assert ("score" in result) <= (name in {"passed", "failed"}), "only passed/failed may carry a score"
        if name == "initialized":
            assert result == {}
        elif name == "completed":
            assert result.keys() == {"completion", "duration"} and result["completion"] is True
        elif name == "terminated":
            assert result.keys() == {"duration"}
        else:
            check_verdict(launch, statement)
        if name != "initialized":
            assert RE_DURATION.match(result["duration"]), result["duration"]


def check_verdict(launch: Launch, statement: dict[str, Any]) -> None:
    """Judged against the LMS's mastery score, which the statement names."""
    result, passed = statement["result"], verb(statement) == "passed"
    assert result["success"] is passed and "completion" not in result
    mastery = statement["context"]["extensions"][MASTERY]
    assert mastery == launch.mastery_score is not None
    if passed or "score" in result:
        score = result["score"]
        assert score["min"] == 0 and score["max"] == 100 and 0 <= score["raw"] <= 100
        assert score["scaled"] == score["raw"] / 100
        assert (score["scaled"] >= mastery) is passed


def check_registration(lms: Lms, registration: str) -> list[list[str]]:
    """cmi5 §9.3 across sessions; returns each session's cmi5 verbs, `launched` first, in order."""
    sessions: dict[str, list[str]] = {}
    for received in lms.of_registration(registration):
        session = received.statement["context"]["extensions"][SESSION_ID]
        if CATEGORY in categories(received.statement):
            sessions.setdefault(session, []).append(verb(received.statement))
    every = [v for verbs in sessions.values() for v in verbs]
    assert every.count("completed") <= 1 and every.count("passed") <= 1, every
    if "passed" in every:
        assert "failed" not in every[every.index("passed"):], every
    assert not lms.refused, lms.refused
    return list(sessions.values())


def own_state(lms: Lms, launch: Launch) -> bytes | None:
    """The AU's State document for this registration, as stored."""
    return lms.document(state_key(launch.activity_id, json.dumps(launch.actor), launch.registration, STATE_ID))


def saved_document(lms: Lms, launch: Launch) -> dict[str, Any]:
    raw = own_state(lms, launch)
    assert raw is not None, "the AU saved no state"
    document: dict[str, Any] = json.loads(raw)
    return document


def decisions(module: Module, right: bool) -> int:
    return len(quest_path(module, right)) if module.kind == "quest" else 0


PLAYED = ["fixture-lesson", "fixture-quest", "lessons-m1_podorozh", "lessons-m4_ne_vedus", "lessons-m5_quest"]


@pytest.mark.parametrize("name", PLAYED)
def test_right_answers_pass_and_complete(tab: Tab, lms: Lms, aus: dict[str, Au], name: str) -> None:
    au = aus[name]
    registration = str(uuid.uuid4())
    run = start(tab, lms, au, registration)
    run.learner.run_to_end(right=True)
    status, raw = expected_result(au.module, right=True)
    statements = leave(lms, tab, run)
    check_session(au, run.launch, statements)
    graded = ["passed"] if au.module.mastery is not None else []
    assert check_registration(lms, registration) == [["launched", "initialized", *graded, "completed", "terminated"]]
    answered = [s for s in statements if verb(s) == "answered"]
    assert len(answered) == len(list(questions(au.module))) + decisions(au.module, right=True)
    assert all(s["result"].get("success", True) for s in answered)
    if graded:
        (passed,) = (s for s in statements if verb(s) == "passed")
        assert status == "passed" and passed["result"]["score"]["raw"] == raw
    document = saved_document(lms, run.launch)
    assert document["reported"] == {"verdict": "passed" if graded else "", "completed": True}
    assert json.loads(document["state"])["m"] == len(au.module.screens) - 1


@pytest.mark.parametrize("name", ["fixture-lesson", "lessons-m4_ne_vedus"])
def test_wrong_answers_fail_then_a_pass_waits_for_the_next_session(tab: Tab, lms: Lms, aus: dict[str, Au],
                                                                   name: str) -> None:
    """failed (score below the mastery score) and completed; «Спробувати ще раз» and a pass in the same
    session send nothing more (one of passed/failed per session); the next session sends passed alone."""
    au = aus[name]
    registration = str(uuid.uuid4())
    run = start(tab, lms, au, registration)
    run.learner.run_to_end(right=False)
    assert expected_result(au.module, right=False)[0] == "failed"
    tab.page.locator("#retry").click()
    run.learner.run_to_end(right=True)
    first = leave(lms, tab, run)
    check_session(au, run.launch, first)
    (failed,) = (s for s in first if verb(s) == "failed")
    if "score" in failed["result"]:
        assert failed["result"]["score"]["scaled"] < (au.mastery_score or 0)
    again = start(tab, lms, au, registration)
    assert tab.page.locator("#result-text").inner_text().endswith("Вітаємо, модуль пройдено!")
    check_session(au, again.launch, leave(lms, tab, again))
    assert check_registration(lms, registration) == [
        ["launched", "initialized", "failed", "completed", "terminated"],
        ["launched", "initialized", "passed", "terminated"],
    ]


@pytest.mark.parametrize("name", ["fixture-quest", "lessons-m4_ne_vedus", "lessons-m5_quest"])
def test_leaving_midway_terminates_and_a_relaunch_resumes(tab: Tab, lms: Lms, aus: dict[str, Au], name: str) -> None:
    """A new session (new session id, new fetch token) of the same registration resumes from the State
    resource: the same screen, the same answers, the same quest scene; then the module can be finished."""
    au = aus[name]
    registration = str(uuid.uuid4())
    run = start(tab, lms, au, registration)
    stop = stop_midway(run.learner)
    state, seen = run.learner.state(), to_resume(tab.page.main_frame)
    statements = leave(lms, tab, run)
    check_session(au, run.launch, statements)
    assert json.loads(saved_document(lms, run.launch)["state"]) == state
    again = start(tab, lms, au, registration)
    assert again.launch.session_id != run.launch.session_id and again.launch.fetch != run.launch.fetch
    assert again.learner.screen() == stop and again.learner.state() == state
    assert snapshot(tab.page.main_frame) == seen
    again.learner.run_to_end(right=True)
    check_session(au, again.launch, leave(lms, tab, again))
    graded = ["passed"] if au.module.mastery is not None else []
    assert check_registration(lms, registration) == [["launched", "initialized", "terminated"],
                                                     ["launched", "initialized", *graded, "completed", "terminated"]]


def test_a_used_fetch_url_gives_no_token_and_the_module_still_runs(tab: Tab, lms: Lms, aus: dict[str, Au]) -> None:
    """cmi5 §8.2: a fetch URL is one-shot. An AU opened again with the same launch URL gets error 1 and runs
    offline, sending nothing, with a warning in the console but no error."""
    au = aus["fixture-lesson"]
    run = start(tab, lms, au, str(uuid.uuid4()))
    request = urllib.request.Request(run.launch.fetch, method="POST")
    with urllib.request.urlopen(request, timeout=5) as response:
        assert response.status == 200 and json.loads(response.read())["error-code"] == "1"
    sent = leave(lms, tab, run)
    tab.page.goto(run.launch.url)
    learner = Learner(tab.page.main_frame, au.module)
    learner.wait_ready()
    assert tab.page.evaluate("StopRuntime.host") == "standalone"
    learner.run_to_end(right=True)
    assert tab.page.locator("#result-text").inner_text().endswith("Вітаємо, модуль пройдено!")
    tab.page.goto(f"{lms.origin}/left.html")
    tab.watch.check()
    assert any("cmi5 did not start" in w for w in tab.warnings), tab.warnings
    assert lms.sent_by(run.launch) == sent and not lms.refused


def test_browse_mode_sends_only_initialized_and_terminated(tab: Tab, lms: Lms, aus: dict[str, Au]) -> None:
    au = aus["fixture-lesson"]
    run = start(tab, lms, au, str(uuid.uuid4()), mode="Browse")
    run.learner.run_to_end(right=True)
    statements = leave(lms, tab, run)
    check_session(au, run.launch, statements)
    assert [verb(s) for s in statements] == ["initialized", "terminated"]
    assert own_state(lms, run.launch) is None, "Browse mode must not change the learner's state"


def test_return_url_after_terminate(tab: Tab, lms: Lms, aus: dict[str, Au]) -> None:
    """With a returnURL in the launch data the page goes there once `terminated` is sent."""
    au = aus["fixture-quest"]
    back = f"{lms.origin}/left.html?from=cmi5"
    run = start(tab, lms, au, str(uuid.uuid4()), return_url=back)
    run.learner.complete_screen(0, right=True)
    with tab.page.expect_navigation(url=back):
        tab.page.evaluate("window.dispatchEvent(new PageTransitionEvent('pagehide'))")
    statements = terminated(lms, tab, run.launch)
    check_session(au, run.launch, statements)
    assert [verb(s) for s in statements].count("terminated") == 1


def test_the_lms_mastery_score_decides(tab: Tab, lms: Lms, aus: dict[str, Au]) -> None:
    """cmi5 §10: passed/failed are judged against the LaunchData masteryScore when the LMS changed it."""
    au = aus["fixture-lesson"]
    run = start(tab, lms, au, str(uuid.uuid4()), mastery_score=0.9)
    run.learner.run_to_end(right=False)
    # band B (the fixture lesson) says the pass mark in words: 90 % of 5 questions is all 5
    assert "щонайменше на 5 із 5 запитань" in tab.page.locator("#result-text").inner_text()
    statements = leave(lms, tab, run)
    check_session(au, run.launch, statements)
    (failed,) = (s for s in statements if verb(s) == "failed")
    assert failed["context"]["extensions"][MASTERY] == 0.9


@pytest.mark.parametrize("how", ["drag", "keys"])
def test_young_cards_and_tap_to_place_send_their_responses(tab: Tab, lms: Lms, aus: dict[str, Au], how: str) -> None:
    """Band B's controls (the fixture lesson), by drag and drop or by the keyboard alone: one `answered` per
    question with the xAPI response pattern of its answer, then passed with the full score."""
    au = aus["fixture-lesson"]
    assert au.module.age_band == "B"
    run = start(tab, lms, au, str(uuid.uuid4()))
    run.learner.how = how
    run.learner.run_to_end(right=True)
    statements = leave(lms, tab, run)
    check_session(au, run.launch, statements)
    answered = [s for s in statements if verb(s) == "answered"]
    assert [s["result"]["response"] for s in answered] == ["a", "a[,]b", "false", "a[,]b[,]c", "a[.]a[,]b[.]b"]
    assert all(s["result"]["success"] for s in answered)
    (passed,) = (s for s in statements if verb(s) == "passed")
    assert passed["result"]["score"]["raw"] == 100
