"""SCORM 1.2 tracking, end to end: each package in an iframe under scorm-again, as Moodle would launch it.

For every module: all right → passed (or completed) with 100; all wrong → the status and score the model
gives, then «Спробувати ще раз» starts a new attempt; leaving half-way and relaunching with the stored
CMI data resumes at the same screen with the same answers. Every run also checks the 1.2 data formats,
one LMSInitialize and one LMSFinish per launch, no console error, no request off the page's origin, and
the suspend_data size against the compiler's worst case.
"""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from playwright.sync_api import Frame, Page

from exporter.render import correct_answer, runtime_data
from exporter.scoring import questions
from exporter.state import worst_case_size
from tests.browser.conftest import SCOS, Watch, sco_id
from tests.browser.harness import (
    RE_ID,
    RE_RESPONSE,
    RE_TIME,
    RE_TIMESPAN,
    SCORM_TYPE,
    Learner,
    Sco,
    Server,
    contract_max,
    count,
    expected_result,
    has_quest,
    interactions,
    quest_path,
    set_values,
)

pytestmark = pytest.mark.browser
STATE_KEYS = ["v", "n", "s", "m", "a", "p", "k"]
LEARNER = {"cmi.core.student_id": "u1", "cmi.core.student_name": "Учень, Тест",
           "cmi.core.lesson_mode": "normal", "cmi.core.credit": "credit"}


def launch(page: Page, server: Server, sco: Sco, cmi: dict[str, str] | None = None) -> Learner:
    page.goto(f"{server.origin}/player.html")
    data = {**LEARNER, **(cmi or {})}
    if sco.module.mastery is not None:
        data["cmi.student_data.mastery_score"] = str(sco.module.mastery)
    page.evaluate("([src, cmi]) => launch(src, cmi)", [sco.path, data])
    element = page.wait_for_selector("#sco")
    frame = element.content_frame() if element else None
    assert isinstance(frame, Frame)
    learner = Learner(frame, sco.module)
    learner.wait_ready()
    return learner


def leave(page: Page) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """Close the SCO's frame (pagehide) and return the API calls and the LMS's CMI afterwards."""
    page.evaluate("leave()")
    page.wait_for_function("calls.some(c => c.name === 'LMSFinish')", timeout=5000)
    return page.evaluate("calls"), page.evaluate("cmi()")


def check_calls(sco: Sco, calls: list[dict[str, Any]], first_interaction: int = 0) -> dict[int, dict[str, str]]:
    """What every launch must satisfy, whatever the learner did."""
    assert count(calls, "LMSInitialize") == 1
    assert count(calls, "LMSFinish") == 1, "LMSFinish must be called exactly once per launch"
    assert calls[-1]["name"] == "LMSFinish", "nothing may reach the LMS after LMSFinish"
    bad = [c for c in calls if c["name"] != "LMSGetValue" and (c["result"] != "true" or c["error"] != "0")]
    assert not bad, f"calls the LMS refused: {bad}"
    worst = worst_case_size(sco.module)
    for value in set_values(calls, "cmi.suspend_data"):
        assert len(value) <= worst, f"suspend_data {len(value)} > compiler's worst case {worst}: {value}"
        assert list(json.loads(value)) == STATE_KEYS
    for value in set_values(calls, "cmi.core.session_time"):
        assert RE_TIMESPAN.match(value), value
    for value in set_values(calls, "cmi.core.score.raw"):
        assert value.isdigit() and 0 <= int(value) <= 100, value
    assert set(set_values(calls, "cmi.core.lesson_status")) <= {"incomplete", "passed", "failed", "completed"}
    found = interactions(calls)
    assert sorted(found) == list(range(first_interaction, first_interaction + len(found))), "append in order"
    for n, i in found.items():
        assert RE_ID.match(i["id"]), (n, i)
        assert i["type"] in RE_RESPONSE, (n, i)
        assert RE_RESPONSE[i["type"]].match(i["student_response"]), (n, i)
        assert RE_RESPONSE[i["type"]].match(i["correct_responses.0.pattern"]), (n, i)
        assert i["result"] in ("correct", "wrong"), (n, i)
        assert RE_TIME.match(i["time"]), (n, i)
        assert RE_TIMESPAN.match(i["latency"]), (n, i)
        assert -100 <= float(i["weighting"]) <= 100, (n, i)
        if "objectives.0.id" in i:
            assert RE_ID.match(i["objectives.0.id"]), (n, i)
    return found


def expected_interactions(sco: Sco, right: bool) -> list[tuple[str, str, str]]:
    """(id, type, result) of the interactions a full run records, in order (questions and quest decisions)."""
    module, rows = sco.module, []
    for screen in module.screens:
        for block in screen.blocks:
            if block.kind == "quest":
                rows += [(scene, "choice", "correct" if right else "wrong?")
                         for scene, _, _ in quest_path(module, right)]
            elif block.kind == "question":
                rows.append((block.id, SCORM_TYPE[block.type], "correct" if right else "wrong"))
    return rows


def same(rows: list[tuple[str, str, str]], found: dict[int, dict[str, str]]) -> None:
    got = [(i["id"], i["type"], i["result"]) for _, i in sorted(found.items())]
    assert len(got) == len(rows)
    for (gid, gtype, gresult), (eid, etype, eresult) in zip(got, rows, strict=True):
        assert (gid, gtype) == (eid, etype)
        if eresult != "wrong?":  # the quest's worst choice can still be the scene's best (all equal)
            assert gresult == eresult, (gid, gresult, eresult)


def test_runtime_data_follows_the_contract(sco: Sco) -> None:
    """maxScore is question weights + quest.best (templates/runtime/README.md); the runtime scores by it."""
    assert runtime_data(sco.module)["maxScore"] == contract_max(sco.module)


@pytest.fixture(params=SCOS, ids=sco_id)
def sco(request: pytest.FixtureRequest) -> Sco:
    sco: Sco = request.param
    return sco


def test_right_answers_pass(page: Page, server: Server, watch: Watch, sco: Sco) -> None:
    learner = launch(page, server, sco)
    learner.run_to_end(right=True)
    status, raw = expected_result(sco.module, True)
    assert status in ("passed", "completed")
    assert raw in (100, None)
    result = learner.frame.locator("#result")
    assert result.is_visible() and learner.frame.locator("#retry").is_hidden()
    notes = {r["id"]: Learner.saved_note(r["max"]) for r in runtime_data(sco.module)["reflections"]}
    assert learner.frame.evaluate("StopRuntime.notes()") == notes
    calls, cmi = leave(page)
    found = check_calls(sco, calls)
    same(expected_interactions(sco, True), found)
    assert cmi["cmi.core.lesson_status"] == status
    if raw is not None:
        assert (cmi["cmi.core.score.raw"], cmi["cmi.core.score.min"], cmi["cmi.core.score.max"]) == ("100", "0", "100")
    assert set_values(calls, "cmi.core.exit") == [""]
    state = json.loads(cmi["cmi.suspend_data"])
    assert state["a"] == {q.id: correct_answer(q) for _, q in questions(sco.module)}
    assert state["n"] == 1 and state["s"] == state["m"] == len(sco.module.screens) - 1
    sent = json.dumps([c.get("args") for c in calls], ensure_ascii=False)
    assert all(note[:12] not in sent for note in notes.values()), "a private note reached the LMS"
    watch.check()


def test_wrong_answers_then_a_new_attempt(page: Page, server: Server, watch: Watch, sco: Sco) -> None:
    learner = launch(page, server, sco)
    learner.run_to_end(right=False)
    status, raw = expected_result(sco.module, False)
    cmi = page.evaluate("cmi()")
    assert cmi["cmi.core.lesson_status"] == status
    if raw is not None and status != "incomplete":
        assert cmi["cmi.core.score.raw"] == str(raw)
    text = learner.frame.locator("#result-text").inner_text()
    if status == "failed":
        assert f"{raw}\u00a0%" in text
        learner.frame.locator("#retry").click()
        learner.frame.locator("section.screen[data-screen='0']").wait_for(state="visible")
        state = learner.state()
        assert (state["n"], state["s"], state["a"], state["p"]) == (2, 0, {}, "")
        assert page.evaluate("cmi()")["cmi.core.lesson_status"] == "incomplete"
        assert learner.frame.locator("button.check:visible").count() == 0 or learner.screen() == 0
        learner.run_to_end(right=True)
        cmi = page.evaluate("cmi()")
        assert (cmi["cmi.core.lesson_status"], cmi["cmi.core.score.raw"]) == ("passed", "100")
    calls, cmi = leave(page)
    found = check_calls(sco, calls)
    wrong_rows = expected_interactions(sco, False)
    same(wrong_rows, dict(list(sorted(found.items()))[: len(wrong_rows)]))
    assert set_values(calls, "cmi.core.exit") == [""]
    watch.check()


def midway(sco: Sco) -> int:
    """The screen to leave on: the middle one with questions or the quest, else one before the last."""
    last = len(sco.module.screens) - 1
    graded = [i for i, s in enumerate(sco.module.screens)
              if has_quest(sco.module, i) or any(b.kind == "question" for b in s.blocks)]
    if sco.module.mastery is None:
        graded = [i for i in graded if i < last]
    return graded[(len(graded) - 1) // 2] if graded else max(0, last - 1)  # never the last: work stays open


def snapshot(frame: Frame) -> dict[str, Any]:
    """What the learner sees of their answers: checked inputs, orders, selects, visible feedback, scene, notes."""
    seen: dict[str, Any] = frame.evaluate("""() => ({
      screen: document.querySelector('section.screen:not([hidden])').dataset.screen,
      checked: [...document.querySelectorAll('input:checked')].map(i => i.name + '=' + i.value),
      orders: [...document.querySelectorAll('.order')].map(o => [...o.children].map(li => li.dataset.v).join('')),
      selects: [...document.querySelectorAll('select')].map(s => s.value),
      feedback: [...document.querySelectorAll('.q .fb:not([hidden])')].length,
      locked: [...document.querySelectorAll('.q input:disabled, .q select:disabled')].length,
      scene: [...document.querySelectorAll('.scene:not([hidden])')].map(s => s.dataset.scene),
      notes: [...document.querySelectorAll('textarea')].map(t => t.value),
    })""")
    return seen


def test_leave_midway_and_resume(browser: Any, server: Server, watch: Watch, sco: Sco) -> None:
    from tests.browser.conftest import new_page

    page = new_page(browser, watch)
    learner = launch(page, server, sco)
    stop = midway(sco)
    while learner.screen() < stop:
        learner.complete_screen(learner.screen(), right=True)
        learner.next()
    asked = [b for b in sco.module.screens[stop].blocks if b.kind == "question"]
    for block in asked[: max(1, len(asked) // 2)] if len(asked) > 1 else asked[:1]:
        learner.answer(block, right=True)  # part of this screen's questions: at least one stays open
    if has_quest(sco.module, stop):
        learner.play_quest(best=True, steps=max(1, len(quest_path(sco.module, True)) // 2))
    before, state = snapshot(learner.frame), learner.state()
    before["notes"] = [re.sub(r"[\r\n\t]+", " ", note) for note in before["notes"]]  # kept as the runtime cleans it
    calls, cmi = leave(page)
    first = check_calls(sco, calls)
    assert set_values(calls, "cmi.core.exit") == ["suspend"] and cmi["cmi.core.lesson_status"] == "incomplete"
    assert cmi["cmi.core.lesson_location"] == sco.module.screens[stop].id

    # Relaunch in the same browser: private notes live on this device, everything else comes from the LMS.
    stored = {k: v for k, v in cmi.items() if k.startswith("cmi.interactions.") and not k.endswith("_count")}
    learner = launch(page, server, sco, {
        "cmi.core.entry": "resume", "cmi.suspend_data": cmi["cmi.suspend_data"],
        "cmi.core.lesson_location": cmi["cmi.core.lesson_location"], "cmi.core.lesson_status": "incomplete",
        **stored})
    assert learner.screen() == stop
    assert snapshot(learner.frame) == before
    assert learner.state() == state
    learner.run_to_end(right=True)
    calls, cmi = leave(page)
    check_calls(sco, calls, first_interaction=len(first))
    status, raw = expected_result(sco.module, True)
    assert cmi["cmi.core.lesson_status"] == status and set_values(calls, "cmi.core.exit") == [""]
    if raw is not None:
        assert cmi["cmi.core.score.raw"] == "100"
    page.context.close()
    watch.check()


def test_commits_when_hidden_and_ignores_broken_saved_data(page: Page, server: Server, watch: Watch) -> None:
    """A tab going to the background commits; unusable suspend_data starts afresh instead of breaking."""
    sco = SCOS[0]
    learner = launch(page, server, sco, {"cmi.core.entry": "resume", "cmi.core.lesson_status": "incomplete",
                                         "cmi.suspend_data": '{"v":1,"n":"x","s":99,"a":{"zz":"q"},"p":7}'})
    assert learner.screen() == 0 and learner.state() == {"v": 1, "n": 1, "s": 0, "m": 0, "a": {}, "p": "", "k": {}}
    commits = count(page.evaluate("calls"), "LMSCommit")
    learner.frame.evaluate("""() => {
      Object.defineProperty(document, 'visibilityState', {value: 'hidden', configurable: true});
      document.dispatchEvent(new Event('visibilitychange'));
    }""")
    assert count(page.evaluate("calls"), "LMSCommit") == commits + 1
    calls, _ = leave(page)
    check_calls(sco, calls)
    assert set_values(calls, "cmi.core.exit") == ["suspend"]
    watch.check()


def test_popup_finds_the_api_through_its_opener(page: Page, server: Server, watch: Watch) -> None:
    """Moodle's "new window" display: the SCO runs in a popup and finds the API via window.opener."""
    sco = SCOS[0]
    page.goto(f"{server.origin}/player.html")
    page.evaluate("""() => {
      window.API = new Scorm12API({lmsCommitUrl: false, logLevel: 5, mastery_override: false, autocommit: false});
      window.API.loadFromFlattenedJSON({"cmi.core.student_id": "u1"});
    }""")
    with page.expect_popup() as popup_info:
        page.evaluate("src => { window.sco = window.open(src, 'sco'); }", sco.path)
    popup = popup_info.value
    popup.on("console", watch.console)
    popup.on("request", watch.request)
    popup.wait_for_function("window.StopRuntime !== undefined")
    assert popup.evaluate("StopRuntime.host") == "scorm12"
    Learner(popup.main_frame, sco.module).complete_screen(0, right=True)
    popup.close(run_before_unload=False)
    page.wait_for_function("API.isTerminated()")
    assert page.evaluate("API.getFlattenedCMI()['cmi.core.lesson_status']") == "incomplete"
    watch.check()
