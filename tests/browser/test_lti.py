"""The LTI tool in a browser, as a school's LMS shows it: the platform's course page (tests/browser/lti_platform.py,
the PyPI platform `lti1p3platform` on its own port) frames the tool, the login and launch run inside that
cross-origin iframe, a learner plays the fixture course's graded lesson there, and the score travels to the
platform's AGS line item the way Moodle would receive it.

The two origins differ only by port, so they are one *site*: the login's pylti1p3 state cookie is set and sent
as a first-party cookie here. A cross-site iframe over https (platform and tool on different sites, the tool's
cookies third-party) is test_lti_cookies.py."""

from __future__ import annotations

import json
import ssl
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, ElementHandle, Frame, Page
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from exporter.loader import load_course
from exporter.lti.app import create_app
from exporter.lti.context import EXTENSION, ToolContext
from exporter.lti.models import Attempt, Deployment, GradeOutbox, Launch, Registration
from exporter.model import Module
from tests.browser.conftest import Watch, new_page
from tests.browser.harness import FIXTURE_COURSE, Learner, expected_result, snapshot, stop_midway, to_resume
from tests.browser.lti_platform import CLIENT_ID, DEPLOYMENT_ID, Platform, platform_app, running
from tests.lti.platform import PlatformKey

pytestmark = pytest.mark.browser

MODULE = "lesson"  # the fixture course's graded lesson


@dataclass
class Lti:
    """The tool and the platform, each served on its own 127.0.0.1 port, registered with each other."""

    tool: str
    platform: Platform
    sessions: sessionmaker[Session]
    module: Module


@contextmanager
def serving(folder: Path, *, tls: ssl.SSLContext | None = None, tool_host: str = "127.0.0.1",
            platform_host: str = "127.0.0.1", module_id: str = MODULE) -> Iterator[Lti]:
    """The tool on the fixture course and the platform, registered with each other, the platform's link
    opening `module_id`; over https with `tls`, named by hosts that lead to 127.0.0.1 (test_lti_cookies.py)."""
    app = create_app(f"sqlite:///{folder / 'lti.sqlite3'}", lessons=FIXTURE_COURSE, testing=True)
    context: ToolContext = app.extensions[EXTENSION]
    with running(app, tool_host, tls) as tool:
        platform = Platform(origin="", target=f"{tool}/modules/{module_id}", key=PlatformKey())
        with running(platform_app(platform, tool), platform_host, tls) as origin:
            platform.origin = origin
            with context.sessions.begin() as session:  # what `stopsexting lti add-platform` stores
                session.add(Registration(
                    issuer=origin, client_id=CLIENT_ID, auth_login_url=f"{origin}/auth",
                    auth_token_url=f"{origin}/token", key_set_url=f"{origin}/jwks",
                    deployments=[Deployment(deployment_id=DEPLOYMENT_ID)]))
            yield Lti(tool, platform, context.sessions, load_course(FIXTURE_COURSE).module(module_id))


@pytest.fixture(scope="module")
def lti(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Lti]:
    with serving(tmp_path_factory.mktemp("lti-browser")) as served:
        yield served


@dataclass
class Tab:
    page: Page
    watch: Watch


@pytest.fixture()
def tab(browser: Browser, lti: Lti) -> Iterator[Tab]:
    watch = Watch(lti.platform.origin)
    page = new_page(browser, watch)
    yield Tab(page, watch)
    page.context.close()


def launch(tab: Tab, lti: Lti, user: str) -> Learner:
    """The learner opens the course page; the tool's login and launch run in its iframe; the module is ready."""
    tab.page.goto(lti.platform.course_url(user))
    element: ElementHandle | None = tab.page.wait_for_selector("#tool")
    frame = element.content_frame() if element else None
    assert isinstance(frame, Frame)
    frame.wait_for_url(f"{lti.tool}/lti/launch")
    learner = Learner(frame, lti.module)
    learner.wait_ready()
    return learner


def leave(tab: Tab, lti: Lti) -> None:
    """The platform navigates its iframe to one of its own pages: the module sees a real pagehide."""
    tab.page.evaluate("url => { document.getElementById('tool').src = url; }", f"{lti.platform.origin}/left")
    tab.page.frame_locator("#tool").locator("text=Back in the course.").wait_for()


def until(tab: Tab, condition: Callable[[], Any], what: str) -> None:
    """Wait up to 5 s for `condition`, letting the browser's events through meanwhile."""
    for _ in range(100):
        if condition():
            return
        tab.page.wait_for_timeout(50)
    raise AssertionError(f"timed out waiting for {what}")


def attempt(lti: Lti, user: str) -> Attempt | None:
    with lti.sessions() as session:
        return session.scalars(select(Attempt).where(Attempt.sub == user)).one_or_none()


def outbox(lti: Lti, user: str) -> list[str]:
    with lti.sessions() as session:
        return list(session.scalars(select(GradeOutbox.status).join(Attempt, Attempt.id == GradeOutbox.attempt_id)
                                    .where(Attempt.sub == user)))


def launches(lti: Lti, user: str) -> list[Launch]:
    with lti.sessions() as session:
        return list(session.scalars(select(Launch).where(Launch.sub == user)))


def check(tab: Tab, lti: Lti) -> None:
    """No console error, and no request to anything but the two test origins."""
    assert not tab.watch.errors, f"console errors: {tab.watch.errors}"
    origins = (f"{lti.platform.origin}/", f"{lti.tool}/", "data:")
    foreign = [url for url in tab.watch.requests if not url.startswith(origins)]
    assert not foreign, f"requests that left the platform and the tool: {foreign}"


def finish_and_grade(tab: Tab, lti: Lti, learner: Learner, user: str, right: bool) -> dict[str, Any]:
    """Play to the end, leave, and return the one score the platform received, once its outbox row is sent."""
    learner.run_to_end(right=right)
    until(tab, lambda: lti.platform.scores_for(user), "the score at the platform")
    leave(tab, lti)
    until(tab, lambda: outbox(lti, user) == ["sent"], "the outbox row to be sent")
    (score,) = lti.platform.scores_for(user)  # the pagehide flush sends nothing the tool already has
    return score


def check_score(score: dict[str, Any], lti: Lti, user: str, raw: int) -> None:
    """The AGS score of a finished attempt, for the `sub` of the launch that finished it."""
    sub = launches(lti, user)[-1].sub
    assert {name: value for name, value in score.items() if name != "timestamp"} == {
        "userId": sub, "scoreGiven": raw, "scoreMaximum": 100,
        "activityProgress": "Completed", "gradingProgress": "FullyGraded"}
    assert datetime.fromisoformat(score["timestamp"]).tzinfo is not None, score["timestamp"]


def test_right_answers_send_one_full_score_to_the_platform(tab: Tab, lti: Lti) -> None:
    user = "student-right"
    assert expected_result(lti.module, right=True) == ("passed", 100)
    score = finish_and_grade(tab, lti, launch(tab, lti, user), user, right=True)
    check_score(score, lti, user, 100)
    row = attempt(lti, user)
    assert row is not None
    assert (row.completion_status, row.success_status, row.score) == ("completed", "passed", 1.0)
    check(tab, lti)


def test_wrong_answers_send_the_failed_score(tab: Tab, lti: Lti) -> None:
    user = "student-wrong"
    status, raw = expected_result(lti.module, right=False)
    assert status == "failed" and raw is not None
    score = finish_and_grade(tab, lti, launch(tab, lti, user), user, right=False)
    check_score(score, lti, user, raw)
    row = attempt(lti, user)
    assert row is not None
    assert (row.completion_status, row.success_status, row.score) == ("completed", "failed", raw / 100)
    check(tab, lti)


def test_leaving_midway_and_relaunching_resumes_from_the_tool(tab: Tab, lti: Lti) -> None:
    """The state lives in the tool's database, reached with the new launch's token: the relaunch shows the
    same screen with the same answers, nothing is graded until the end, and the end grades once."""
    user = "student-resume"
    learner = launch(tab, lti, user)
    stop = stop_midway(learner)
    state, seen = learner.state(), to_resume(learner.frame)
    leave(tab, lti)

    def saved() -> bool:
        row = attempt(lti, user)
        return row is not None and bool(row.state) and json.loads(row.state) == state
    until(tab, saved, "the tool to hold the state the learner left")
    assert lti.platform.scores_for(user) == [] and outbox(lti, user) == []
    again = launch(tab, lti, user)
    assert len(launches(lti, user)) == 2
    assert again.screen() == stop and again.state() == state
    assert snapshot(again.frame) == seen
    score = finish_and_grade(tab, lti, again, user, right=True)
    check_score(score, lti, user, 100)
    check(tab, lti)


def test_young_tap_to_place_by_keyboard_sends_the_score(tab: Tab, lti: Lti) -> None:
    """The fixture lesson is band B: its cards and tap-to-place, worked by the keyboard alone inside the
    platform's iframe, give the tool the state and the platform the full score."""
    user = "student-young"
    assert lti.module.age_band == "B"
    learner = launch(tab, lti, user)
    learner.how = "keys"
    score = finish_and_grade(tab, lti, learner, user, right=True)
    check_score(score, lti, user, 100)
    check(tab, lti)
