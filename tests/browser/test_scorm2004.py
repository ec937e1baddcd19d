"""SCORM 2004 4th Edition tracking, end to end: each module's 2004 package in an iframe under scorm-again's
`Scorm2004API` (window.API_1484_11), launched with the data its manifest gives an LMS.

For every module, as for SCORM 1.2: all right → completed + passed (the session: completed) with raw 100,
scaled 1; all wrong → the model's status and score, then «Спробувати ще раз»; leaving half-way suspends,
and a relaunch with cmi.entry = resume, cmi.location and cmi.suspend_data resumes at the same screen with
the same answers. harness.check_calls holds every launch to the 2004 rules and Moodle's stricter ones:
one Initialize and one Terminate, nothing after it, no refused SetValue, interactions appended with `id`
first and `type` before the responses, 2004 response, time and timespan formats, raw/min/max/scaled, and
at every Commit scorm-again's own evaluation of completion (progress_measure against the manifest's
completion threshold) must agree with the status the module reported.
"""

from __future__ import annotations

import json

import pytest
from playwright.sync_api import Page

from exporter.render import correct_answer
from exporter.scoring import questions
from tests.browser.conftest import SCOS, Watch, sco_id
from tests.browser.harness import (
    SCORM2004,
    Call,
    Player,
    Sco,
    Server,
    assert_holds,
    check_calls,
    expected_interactions,
    expected_result,
    same_interactions,
    set_values,
    snapshot,
    stop_midway,
    to_resume,
)

pytestmark = pytest.mark.browser


@pytest.fixture(params=SCOS, ids=sco_id)
def sco(request: pytest.FixtureRequest) -> Sco:
    sco: Sco = request.param
    return sco


def progress(calls: list[Call]) -> list[float]:
    return [float(value) for value in set_values(calls, "cmi.progress_measure")]


def test_right_answers_complete_and_pass(page: Page, server: Server, watch: Watch, sco: Sco) -> None:
    player = Player(page, server, SCORM2004)
    data = player.item(sco).data
    assert float(data["cmi.completion_threshold"]) == 1, "completed by measure, at a progress of 1"
    # Passing needs the mastery score *and* every critical question right: no measure alone decides it.
    assert "cmi.scaled_passing_score" not in data
    learner = player.start(sco)
    learner.run_to_end(right=True)
    calls, cmi = player.leave()
    found = check_calls(SCORM2004, sco.module, calls)
    same_interactions(expected_interactions(sco.module, True, SCORM2004.wrong), found)
    status, raw = expected_result(sco.module, True)
    assert_holds(cmi, SCORM2004.final(status, raw))
    assert (cmi["cmi.completion_status"], cmi["cmi.success_status"]) == \
        (("completed", "passed") if sco.module.mastery is not None else ("completed", "unknown"))
    if raw is not None:
        assert (cmi["cmi.score.raw"], cmi["cmi.score.scaled"]) == ("100", "1")
    steps = progress(calls)
    assert steps == sorted(steps) and steps[-1] == 1, "progress only grows, and reaches 1"
    assert set_values(calls, "cmi.exit") == ["normal"]
    state = json.loads(cmi["cmi.suspend_data"])
    assert state["a"] == {q.id: correct_answer(q) for _, q in questions(sco.module)}
    assert state["n"] == 1 and state["s"] == state["m"] == len(sco.module.screens) - 1
    watch.check()


def test_wrong_answers_then_a_new_attempt(page: Page, server: Server, watch: Watch, sco: Sco) -> None:
    player = Player(page, server, SCORM2004)
    learner = player.start(sco)
    learner.run_to_end(right=False)
    status, raw = expected_result(sco.module, False)
    assert_holds(player.cmi(), SCORM2004.final(status, raw))
    if status == "failed":
        learner.frame.locator("#retry").click()
        learner.frame.locator("section.screen[data-screen='0']").wait_for(state="visible")
        cmi = player.cmi()
        assert_holds(cmi, SCORM2004.final("incomplete", None))
        assert float(cmi["cmi.progress_measure"]) < 1
        learner.run_to_end(right=True)
        assert_holds(player.cmi(), SCORM2004.final("passed", 100))
    calls, _ = player.leave()
    found = check_calls(SCORM2004, sco.module, calls)
    wrong_rows = expected_interactions(sco.module, False, SCORM2004.wrong)
    same_interactions(wrong_rows, dict(list(sorted(found.items()))[: len(wrong_rows)]))
    assert set_values(calls, "cmi.exit") == ["normal"]
    watch.check()


def test_leave_midway_and_resume(page: Page, server: Server, watch: Watch, sco: Sco) -> None:
    player = Player(page, server, SCORM2004)
    learner = player.start(sco)
    stop = stop_midway(learner)
    before, state = to_resume(learner.frame), learner.state()
    calls, cmi = player.leave()
    first = check_calls(SCORM2004, sco.module, calls)
    assert set_values(calls, "cmi.exit") == ["suspend"]
    assert_holds(cmi, SCORM2004.final("incomplete", None))
    assert float(cmi["cmi.progress_measure"]) < 1
    assert cmi["cmi.location"] == sco.module.screens[stop].id

    # Relaunch in the same browser: private notes live on this device, everything else comes from the LMS.
    learner = player.start(sco, SCORM2004.resume(cmi))
    assert learner.screen() == stop
    assert snapshot(learner.frame) == before
    assert learner.state() == state
    learner.run_to_end(right=True)
    calls, cmi = player.leave()
    check_calls(SCORM2004, sco.module, calls, first_interaction=len(first))
    assert_holds(cmi, SCORM2004.final(*expected_result(sco.module, True)))
    assert set_values(calls, "cmi.exit") == ["normal"]
    watch.check()
