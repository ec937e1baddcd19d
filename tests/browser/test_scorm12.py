"""SCORM 1.2 tracking, end to end: each package in an iframe under scorm-again, as Moodle would launch it.

For every module: all right → passed (or completed) with 100; all wrong → the status and score the model
gives, then «Спробувати ще раз» starts a new attempt; leaving half-way and relaunching with the stored
CMI data resumes at the same screen with the same answers. Every run also checks the 1.2 data formats,
one LMSInitialize and one LMSFinish per launch, no console error, no request off the page's origin, and
the suspend_data size against the compiler's worst case (harness.check_calls).
"""

from __future__ import annotations

import json

import pytest
from playwright.sync_api import Page

from exporter.render import correct_answer, runtime_data
from exporter.scoring import questions
from tests.browser.conftest import SCOS, Watch, sco_id
from tests.browser.harness import (
    SCORM12,
    Learner,
    Player,
    Sco,
    Server,
    assert_holds,
    check_calls,
    contract_max,
    count,
    expected_interactions,
    expected_result,
    same_interactions,
    set_values,
    snapshot,
    stop_midway,
    to_resume,
)

pytestmark = pytest.mark.browser


def test_runtime_data_follows_the_contract(sco: Sco) -> None:
    """maxScore is question weights + quest.best (templates/runtime/README.md); the runtime scores by it."""
    assert runtime_data(sco.module)["maxScore"] == contract_max(sco.module)


@pytest.fixture(params=SCOS, ids=sco_id)
def sco(request: pytest.FixtureRequest) -> Sco:
    sco: Sco = request.param
    return sco


def test_right_answers_pass(page: Page, server: Server, watch: Watch, sco: Sco) -> None:
    player = Player(page, server, SCORM12)
    learner = player.start(sco)
    learner.run_to_end(right=True)
    status, raw = expected_result(sco.module, True)
    assert status in ("passed", "completed")
    assert raw in (100, None)
    result = learner.frame.locator("#result")
    assert result.is_visible() and learner.frame.locator("#retry").is_hidden()
    notes = {r["id"]: Learner.saved_note(r["max"]) for r in runtime_data(sco.module)["reflections"]}
    assert learner.frame.evaluate("StopRuntime.notes()") == notes
    calls, cmi = player.leave()
    found = check_calls(SCORM12, sco.module, calls)  # also: no private note reached the LMS
    same_interactions(expected_interactions(sco.module, True, SCORM12.wrong), found)
    assert cmi["cmi.core.lesson_status"] == status
    if raw is not None:
        assert (cmi["cmi.core.score.raw"], cmi["cmi.core.score.min"], cmi["cmi.core.score.max"]) == ("100", "0", "100")
    assert set_values(calls, "cmi.core.exit") == [""]
    state = json.loads(cmi["cmi.suspend_data"])
    assert state["a"] == {q.id: correct_answer(q) for _, q in questions(sco.module)}
    assert state["n"] == 1 and state["s"] == state["m"] == len(sco.module.screens) - 1
    watch.check()


def test_wrong_answers_then_a_new_attempt(page: Page, server: Server, watch: Watch, sco: Sco) -> None:
    player = Player(page, server, SCORM12)
    learner = player.start(sco)
    learner.run_to_end(right=False)
    status, raw = expected_result(sco.module, False)
    assert_holds(player.cmi(), SCORM12.final(status, raw))
    text = learner.frame.locator("#result-text").inner_text()
    if status == "failed":
        assert f"{raw}\u00a0%" in text
        learner.frame.locator("#retry").click()
        learner.frame.locator("section.screen[data-screen='0']").wait_for(state="visible")
        state = learner.state()
        assert (state["n"], state["s"], state["a"], state["p"]) == (2, 0, {}, "")
        assert player.cmi()["cmi.core.lesson_status"] == "incomplete"
        assert learner.frame.locator("button.check:visible").count() == 0 or learner.screen() == 0
        learner.run_to_end(right=True)
        cmi = player.cmi()
        assert (cmi["cmi.core.lesson_status"], cmi["cmi.core.score.raw"]) == ("passed", "100")
    calls, cmi = player.leave()
    found = check_calls(SCORM12, sco.module, calls)
    wrong_rows = expected_interactions(sco.module, False, SCORM12.wrong)
    same_interactions(wrong_rows, dict(list(sorted(found.items()))[: len(wrong_rows)]))
    assert set_values(calls, "cmi.core.exit") == [""]
    watch.check()


def test_leave_midway_and_resume(page: Page, server: Server, watch: Watch, sco: Sco) -> None:
    player = Player(page, server, SCORM12)
    learner = player.start(sco)
    stop = stop_midway(learner)
    before, state = to_resume(learner.frame), learner.state()
    calls, cmi = player.leave()
    first = check_calls(SCORM12, sco.module, calls)
    assert set_values(calls, "cmi.core.exit") == ["suspend"] and cmi["cmi.core.lesson_status"] == "incomplete"
    assert cmi["cmi.core.lesson_location"] == sco.module.screens[stop].id

    # Relaunch in the same browser: private notes live on this device, everything else comes from the LMS.
    learner = player.start(sco, SCORM12.resume(cmi))
    assert learner.screen() == stop
    assert snapshot(learner.frame) == before
    assert learner.state() == state
    learner.run_to_end(right=True)
    calls, cmi = player.leave()
    check_calls(SCORM12, sco.module, calls, first_interaction=len(first))
    status, raw = expected_result(sco.module, True)
    assert cmi["cmi.core.lesson_status"] == status and set_values(calls, "cmi.core.exit") == [""]
    if raw is not None:
        assert cmi["cmi.core.score.raw"] == "100"
    watch.check()


def test_commits_when_hidden_and_ignores_broken_saved_data(page: Page, server: Server, watch: Watch) -> None:
    """A tab going to the background commits; unusable suspend_data starts afresh instead of breaking."""
    sco = SCOS[0]
    player = Player(page, server, SCORM12)
    learner = player.start(sco, {"cmi.core.entry": "resume", "cmi.core.lesson_status": "incomplete",
                                 "cmi.suspend_data": '{"v":1,"n":"x","s":99,"a":{"zz":"q"},"p":7}'})
    assert learner.screen() == 0 and learner.state() == {"v": 1, "n": 1, "s": 0, "m": 0, "a": {}, "p": "", "k": {}}
    commits = count(player.calls(), "commit")
    learner.frame.evaluate("""() => {
      Object.defineProperty(document, 'visibilityState', {value: 'hidden', configurable: true});
      document.dispatchEvent(new Event('visibilitychange'));
    }""")
    assert count(player.calls(), "commit") == commits + 1
    calls, _ = player.leave()
    check_calls(SCORM12, sco.module, calls)
    assert set_values(calls, "cmi.core.exit") == ["suspend"]
    watch.check()


def test_popup_finds_the_api_through_its_opener(page: Page, server: Server, watch: Watch) -> None:
    """Moodle's "new window" display: the SCO runs in a popup and finds the API via window.opener."""
    sco = SCOS[0]
    player = Player(page, server, SCORM12)
    popup = player.popup(sco)
    popup.on("console", watch.console)
    popup.on("request", watch.request)
    popup.wait_for_function("window.StopRuntime !== undefined")
    assert popup.evaluate("StopRuntime.host") == "scorm12"
    Learner(popup.main_frame, sco.module).complete_screen(0, right=True)
    popup.close(run_before_unload=False)
    page.wait_for_function("calls.some(c => c.name === 'terminate')")
    check_calls(SCORM12, sco.module, player.calls())
    assert player.cmi()["cmi.core.lesson_status"] == "incomplete"
    watch.check()
