"""SCORM tracking, end to end, for both versions: each module's package in an iframe under scorm-again, as
Moodle would launch it, with the launch data its manifest gives an LMS.

For every module and standard: all right → passed (or completed) with 100; all wrong → the status and score
the model gives, then «Спробувати ще раз» starts a new attempt; leaving half-way suspends, and relaunching
with what the LMS kept (entry = resume, the location, suspend_data) resumes at the same screen with the same
answers. harness.check_calls holds every launch to its version's rules and Moodle's stricter ones: one
initialize and one terminate, nothing after it, no refused call, interactions appended with `id` first and
`type` before the responses, the version's data formats, the suspend_data size against the compiler's worst
case, no private note sent; for 2004 also scorm-again's own evaluation of completion and success at every
Commit. Every run also checks there is no console error and no request off the page's origin.
"""

from __future__ import annotations

import json

import pytest
from playwright.sync_api import Page

from exporter.render import runtime_data
from exporter.scoring import correct_answer, questions
from tests.browser.conftest import SCOS, Watch, sco_id
from tests.browser.harness import (
    SCORM12,
    SCORM2004,
    STANDARDS,
    Call,
    Learner,
    Player,
    Sco,
    Server,
    Standard,
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

# Per standard: the exit value of a launch that is done (not suspended), and where the SCO keeps its screen.
DONE = {SCORM12.name: "", SCORM2004.name: "normal"}
LOCATION = {SCORM12.name: "cmi.core.lesson_location", SCORM2004.name: "cmi.location"}


@pytest.fixture(params=STANDARDS, ids=lambda s: s.name)
def standard(request: pytest.FixtureRequest) -> Standard:
    standard: Standard = request.param
    return standard


@pytest.fixture(params=SCOS, ids=sco_id)
def sco(request: pytest.FixtureRequest) -> Sco:
    sco: Sco = request.param
    return sco


def progress(calls: list[Call]) -> list[float]:
    return [float(value) for value in set_values(calls, "cmi.progress_measure")]


def test_runtime_data_follows_the_contract(sco: Sco) -> None:
    """maxScore is question weights + quest.best (templates/runtime/README.md); the runtime scores by it."""
    assert runtime_data(sco.module)["maxScore"] == contract_max(sco.module)


def test_right_answers_pass(page: Page, server: Server, watch: Watch, standard: Standard, sco: Sco) -> None:
    player = Player(page, server, standard)
    if standard is SCORM2004:
        data = player.item(sco).data
        assert float(data["cmi.completion_threshold"]) == 1, "completed by measure, at a progress of 1"
        # Passing needs the mastery score *and* every critical question right: no measure alone decides it.
        assert "cmi.scaled_passing_score" not in data
    learner = player.start(sco)
    learner.run_to_end(right=True)
    status, raw = expected_result(sco.module, True)
    assert status == ("passed" if sco.module.mastery is not None else "completed")
    assert raw in (100, None)
    assert learner.frame.locator("#result").is_visible() and learner.frame.locator("#retry").is_hidden()
    notes = {r["id"]: Learner.saved_note(r["max"]) for r in runtime_data(sco.module)["reflections"]}
    assert learner.frame.evaluate("StopRuntime.notes()") == notes
    calls, cmi = player.leave()
    found = check_calls(standard, sco.module, calls)  # also: no private note reached the LMS
    same_interactions(expected_interactions(sco.module, True, standard.wrong), found)
    assert_holds(cmi, standard.final(status, raw))  # 2004: completed + passed/unknown, raw 100, scaled 1
    steps = progress(calls)
    assert steps == sorted(steps), "progress only grows"
    if standard is SCORM2004:
        assert steps[-1] == 1, "progress reaches 1"
    assert set_values(calls, standard.exit) == [DONE[standard.name]]
    state = json.loads(cmi["cmi.suspend_data"])
    assert state["a"] == {q.id: correct_answer(q) for _, q in questions(sco.module)}
    assert state["n"] == 1 and state["s"] == state["m"] == len(sco.module.screens) - 1
    watch.check()


def test_wrong_answers_then_a_new_attempt(page: Page, server: Server, watch: Watch, standard: Standard,
                                          sco: Sco) -> None:
    player = Player(page, server, standard)
    learner = player.start(sco)
    learner.run_to_end(right=False)
    status, raw = expected_result(sco.module, False)
    assert_holds(player.cmi(), standard.final(status, raw))
    text = learner.frame.locator("#result-text").inner_text()
    if status == "failed":
        assert (f"{raw}\u00a0%" in text) == (sco.module.age_band == "C"), "bands A and B show stars, no percentage"
        assert "не пройдено" not in text
        learner.frame.locator("#retry").click()
        learner.frame.locator("section.screen[data-screen='0']").wait_for(state="visible")
        state = learner.state()
        assert (state["n"], state["s"], state["a"], state["w"], state["p"]) == (2, 0, {}, {}, "")
        cmi = player.cmi()
        assert_holds(cmi, standard.final("incomplete", None))
        if standard is SCORM2004:
            assert float(cmi["cmi.progress_measure"]) < 1
        assert learner.frame.locator("button.check:visible").count() == 0 or learner.screen() == 0
        learner.run_to_end(right=True)
        assert_holds(player.cmi(), standard.final("passed", 100))
    calls, _ = player.leave()
    found = check_calls(standard, sco.module, calls)
    wrong_rows = expected_interactions(sco.module, False, standard.wrong)
    same_interactions(wrong_rows, dict(list(sorted(found.items()))[: len(wrong_rows)]))
    assert set_values(calls, standard.exit) == [DONE[standard.name]]
    watch.check()


def test_leave_midway_and_resume(page: Page, server: Server, watch: Watch, standard: Standard, sco: Sco) -> None:
    player = Player(page, server, standard)
    learner = player.start(sco)
    stop = stop_midway(learner)
    before, state = to_resume(learner.frame), learner.state()
    calls, cmi = player.leave()
    first = check_calls(standard, sco.module, calls)
    assert set_values(calls, standard.exit) == ["suspend"]
    assert_holds(cmi, standard.final("incomplete", None))
    if standard is SCORM2004:
        assert float(cmi["cmi.progress_measure"]) < 1
    assert cmi[LOCATION[standard.name]] == sco.module.screens[stop].id

    # Relaunch in the same browser: private notes live on this device, everything else comes from the LMS.
    learner = player.start(sco, standard.resume(cmi))
    assert learner.screen() == stop
    assert snapshot(learner.frame) == before
    assert learner.state() == state
    learner.run_to_end(right=True)
    calls, cmi = player.leave()
    check_calls(standard, sco.module, calls, first_interaction=len(first))
    assert_holds(cmi, standard.final(*expected_result(sco.module, True)))
    assert set_values(calls, standard.exit) == [DONE[standard.name]]
    watch.check()


def test_commits_when_hidden_and_ignores_broken_saved_data(page: Page, server: Server, watch: Watch,
                                                           standard: Standard) -> None:
    """A tab going to the background commits; unusable suspend_data starts afresh instead of breaking."""
    sco = SCOS[0]
    player = Player(page, server, standard)
    # What a suspend leaves (2004 refuses reads of a location never set), with suspend_data no runtime wrote.
    learner = player.start(sco, {standard.entry: "resume", **standard.final("incomplete", None),
                                 LOCATION[standard.name]: sco.module.screens[0].id,
                                 "cmi.suspend_data": '{"v":1,"n":"x","s":99,"a":{"zz":"q"},"p":7}'})
    assert learner.screen() == 0
    assert learner.state() == {"v": 1, "n": 1, "s": 0, "m": 0, "a": {}, "w": {}, "p": "", "k": {}, "g": ""}
    commits = count(player.calls(), "commit")
    learner.frame.evaluate("""() => {
      Object.defineProperty(document, 'visibilityState', {value: 'hidden', configurable: true});
      document.dispatchEvent(new Event('visibilitychange'));
    }""")
    assert count(player.calls(), "commit") == commits + 1
    calls, _ = player.leave()
    check_calls(standard, sco.module, calls)
    assert set_values(calls, standard.exit) == ["suspend"]
    watch.check()


def test_popup_finds_the_api_through_its_opener(page: Page, server: Server, watch: Watch,
                                                standard: Standard) -> None:
    """Moodle's "new window" display: the SCO runs in a popup and finds the API via window.opener."""
    sco = SCOS[0]
    player = Player(page, server, standard)
    popup = player.popup(sco)
    popup.on("console", watch.console)
    popup.on("request", watch.request)
    popup.wait_for_function("window.StopRuntime !== undefined")
    assert popup.evaluate("StopRuntime.host") == standard.name
    Learner(popup.main_frame, sco.module).complete_screen(0, right=True)
    popup.close(run_before_unload=False)
    page.wait_for_function("calls.some(c => c.name === 'terminate')")
    check_calls(standard, sco.module, player.calls())
    assert_holds(player.cmi(), standard.final("incomplete", None))
    watch.check()
