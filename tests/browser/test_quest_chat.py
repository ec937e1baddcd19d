"""The quest engine in a browser, on the fixture quest: chats whose messages arrive one by one with
«друкує…» (all at once, without any animation, under reduced motion), the role's grammatical gender,
the reply as the player's own bubble, meters moving, a flag changing a later scene, resume refusing a
path through a choice not offered, and every ending reached by pointer and by keyboard alone, with what
the LMS receives: neutral decisions under scorm-again's SCORM 1.2 and 2004, the cmi5 LRS and the LTI tool.
"""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from playwright.sync_api import Browser, Frame, Page

from exporter.scoring import ending_paths
from tests.browser.conftest import SCOS, Watch, new_page
from tests.browser.harness import (
    SCORM12,
    STANDARDS,
    Learner,
    Player,
    Server,
    Standard,
    check_calls,
    has_quest,
    path_steps,
)
from tests.browser.test_cmi5 import Tab, aus, check_session, lms, packages, start, tab, verb
from tests.browser.test_cmi5 import leave as leave_lms
from tests.browser.test_lti import Lti, attempt, check, finish_and_grade, launch, serving, until

pytestmark = pytest.mark.browser
__all__ = ["aus", "lms", "packages", "tab"]  # the cmi5 fixtures, used by name

SCO = next(sco for sco in SCOS if sco.key == "fixture" and sco.module.id == "quest")
QUEST = SCO.module
ENDINGS = ending_paths(QUEST)  # ending scene id → the letters of a path to it
PLAY = next(i for i in range(len(QUEST.screens)) if has_quest(QUEST, i))
VARIANT = re.compile(r"\{[^{}]*\|[^{}]*\}")
STEPS = ["СТОП", "РОЗКАЖИ", "СКРІН", "СКАРГА", "БЛОК"]
MESSAGES = "#sc-{} .msg:not([data-reply]):not([hidden])"


def test_the_fixture_quest_has_what_these_tests_need() -> None:
    assert set(ENDINGS) == {s.id for s in QUEST.scenes if s.ending} and len(ENDINGS) >= 3
    assert {role.gender for role in QUEST.roles} == {"m", "f"} and QUEST.meters and QUEST.people


def standalone(browser: Browser, watch: Watch, server: Server, **options: Any) -> Page:
    page = new_page(browser, watch, **options)
    page.goto(server.origin + SCO.path)
    page.wait_for_function("window.StopRuntime !== undefined")
    return page


def to_quest(frame: Frame) -> None:
    while int(frame.evaluate("StopRuntime.state().s")) < PLAY:
        frame.locator("#next").click()
    frame.locator(f"section.screen[data-screen='{PLAY}']").wait_for(state="visible")


def visible_text(frame: Frame) -> str:
    return str(frame.evaluate("document.body.innerText"))


def meters(frame: Frame) -> dict[str, tuple[float, str]]:
    found: dict[str, tuple[float, str]] = {}
    for row in frame.evaluate("""() => [...document.querySelectorAll('.meter')].map(li =>
      [li.dataset.meter, li.querySelector('meter').value, li.querySelector('.meter-value').textContent])"""):
        found[row[0]] = (row[1], row[2])
    return found


def no_motion(frame: Frame) -> None:
    """Nothing moves: no running CSS animation or transition anywhere on the page."""
    assert frame.evaluate("document.getAnimations().length") == 0


def test_messages_arrive_one_by_one_with_typing(browser: Browser, watch: Watch, server: Server) -> None:
    page = standalone(browser, watch, server, reduced_motion="no-preference")
    frame = page.main_frame
    to_quest(frame)
    page.locator("button.role[data-v='a']").click()
    scene = page.locator("#sc-s1")
    assert scene.locator(".choices").is_hidden(), "reply buttons wait for the chat"
    seen = []
    for count in (1, 2, 3):
        page.wait_for_function(f"document.querySelectorAll('{MESSAGES.format('s1')}').length >= {count}")
        seen.append(frame.evaluate(f"document.querySelectorAll('{MESSAGES.format('s1')}').length"))
        if count < 3:
            assert scene.locator(".choices").is_hidden()
    assert seen == [1, 2, 3], "one message at a time"
    scene.locator(".choices").wait_for(state="visible")
    assert scene.locator(".typing").is_hidden()
    # The typing line names who types before the next message of someone else.
    scene.locator("button.choice[data-v='a']").click()
    scene.locator("button.go").click()
    typing = page.locator("#sc-s2 .typing")
    typing.wait_for(state="visible")
    assert typing.inner_text().strip() == "Ліза_13 друкує…"
    page.locator("#sc-s2 .choices").wait_for(state="visible")
    page.context.close()
    watch.check()


def test_a_chat_left_half_played_plays_again_in_full(browser: Browser, watch: Watch, server: Server) -> None:
    page = standalone(browser, watch, server, reduced_motion="no-preference")
    to_quest(page.main_frame)
    page.locator("button.role[data-v='a']").click()
    page.wait_for_function(f"document.querySelectorAll('{MESSAGES.format('s1')}').length === 1")
    page.locator("#prev").click()
    page.locator("#next").click()
    page.locator("#sc-s1 .choices").wait_for(state="visible")
    assert page.evaluate(f"document.querySelectorAll('{MESSAGES.format('s1')}').length") == 3
    page.context.close()
    watch.check()


def test_reduced_motion_shows_every_message_at_once(browser: Browser, watch: Watch, server: Server) -> None:
    page = standalone(browser, watch, server, reduced_motion="reduce")
    frame = page.main_frame
    to_quest(frame)
    page.locator("button.role[data-v='a']").click()
    for scene, letter in (("s1", "b"), ("s2", "c")):
        waiting = f"#sc-{scene} .msg:not([data-reply]):not([data-if]):not([data-unless])[hidden]"
        assert frame.evaluate(f"document.querySelectorAll('{waiting}').length") == 0, "every message is there"
        assert page.locator(f"#sc-{scene} .choices").is_visible() and page.locator(f"#sc-{scene} .typing").is_hidden()
        no_motion(frame)
        page.locator(f"#sc-{scene} button.choice[data-v='{letter}']").click()
        no_motion(frame)
        page.locator(f"#sc-{scene} button.go").click()
        no_motion(frame)
    page.context.close()
    watch.check()


@pytest.mark.parametrize("role,gender,own,other", [("a", "f", "сама", "сам "), ("b", "m", "сам", "сама")],
                         ids=["Дана", "Данило"])
def test_the_role_picks_the_grammatical_gender(browser: Browser, watch: Watch, server: Server,
                                               role: str, gender: str, own: str, other: str) -> None:
    page = standalone(browser, watch, server)
    frame = page.main_frame
    # Before the role is picked: both forms, as «сам/сама» (the slash is the stylesheet's).
    assert frame.evaluate("""() => {
      const g = document.querySelector('#s-intro .g');
      return [...g.children].map(s => s.offsetWidth > 0).join() + getComputedStyle(g.children[0], '::after').content;
    }""") == 'true,true"/"'
    to_quest(frame)
    assert page.locator(".scene:not([hidden])").count() == 0 and page.locator(".roles").is_visible()
    assert page.locator("#next").get_attribute("aria-disabled") == "true"
    page.locator(f"button.role[data-v='{role}']").click()
    assert frame.evaluate("document.documentElement.dataset.gender") == gender
    assert frame.evaluate("StopRuntime.state().g") == role
    assert page.locator(".roles").is_hidden()
    assert frame.evaluate("document.activeElement.id") == "sc-s1-t", "focus goes to the scene"
    message = page.locator("#sc-s1 .msg-text").first.inner_text()
    assert message == f"Привіт! Бачила твої малюнки. Ти {own} малюєш?"
    assert other not in page.locator("#sc-s1").inner_text()
    Learner(frame, QUEST).play_path(path_steps(QUEST, ENDINGS["good"]), role=role)
    text = visible_text(frame)
    assert ("Ти отримала допомогу" if gender == "f" else "Ти отримав допомогу") in text
    for shown in (text, str(frame.evaluate("document.documentElement.textContent"))):
        assert not VARIANT.search(shown), VARIANT.search(shown)
    page.reload()
    page.wait_for_function("window.StopRuntime !== undefined")
    assert frame.evaluate("document.documentElement.dataset.gender") == gender, "the role is resumed"
    page.context.close()
    watch.check()


def test_reply_bubble_meters_and_flags(browser: Browser, watch: Watch, server: Server) -> None:
    page = standalone(browser, watch, server)
    frame = page.main_frame
    to_quest(frame)
    page.locator("button.role[data-v='a']").click()
    assert meters(frame) == {"shields": (0, "0"), "support": (0, "0")}
    s1 = page.locator("#sc-s1")
    s1.locator("button.choice[data-v='a']").click()
    reply = s1.locator(".chat-log [data-reply='a']")
    assert reply.is_visible() and "msg-me" in (reply.get_attribute("class") or "")
    assert reply.inner_text().endswith("Зачекай, я спершу гляну твій профіль")
    assert s1.locator("[data-reply='b']").is_hidden()
    theirs, mine = s1.locator(".msg-them .bubble").first.bounding_box(), reply.locator(".bubble").bounding_box()
    assert theirs and mine and mine["x"] + mine["width"] > theirs["x"] + theirs["width"], "my bubbles on the other side"
    assert frame.evaluate("document.activeElement.dataset.fb") == "a", "focus on the feedback"
    assert meters(frame) == {"shields": (2, "2"), "support": (0, "0")}
    s1.locator("button.go").click()
    s2 = page.locator("#sc-s2")
    # `checked` set: the narrator notices the profile and blocking is offered, as `b`; no school message.
    assert s2.locator(".text[data-if='checked']").is_visible()
    assert s2.locator("button.choice[data-v='b']").is_visible()
    assert "7-Б" not in s2.inner_text()
    s2.locator("button.choice[data-v='a']").click()
    assert meters(frame) == {"shields": (4, "4"), "support": (3, "3")}
    page.reload()
    page.wait_for_function("window.StopRuntime !== undefined")
    assert meters(frame) == {"shields": (4, "4"), "support": (3, "3")}, "meters come from the saved path"
    # Another path: the school named, so Ліза mentions it and blocking is not offered; `c` stays `c`.
    frame.evaluate("localStorage.clear()")
    page.reload()
    page.wait_for_function("window.StopRuntime !== undefined")
    to_quest(frame)
    page.locator("button.role[data-v='a']").click()
    s1.locator("button.choice[data-v='b']").click()
    s1.locator("button.go").click()
    assert "О, 7-Б! Я живу зовсім поруч." in s2.inner_text()
    assert s2.locator(".text[data-if='checked']").is_hidden() and s2.locator("button.choice[data-v='b']").is_hidden()
    s2.locator("button.choice[data-v='c']").click()
    assert frame.evaluate("StopRuntime.state().p") == "bc"
    page.context.close()
    watch.check()


@pytest.mark.parametrize("path,kept", [("bb", ""), ("ab", "ab"), ("aad", ""), ("abx", "")])
def test_resume_refuses_a_choice_not_offered(browser: Browser, watch: Watch, server: Server,
                                             path: str, kept: str) -> None:
    """`bb` blocks after naming the school, where blocking is not offered; `ab` blocks after checking."""
    page = standalone(browser, watch, server)
    state = {"v": 1, "n": 1, "s": PLAY, "m": PLAY, "a": {}, "p": path, "k": {}, "g": "a"}
    page.evaluate("s => localStorage.setItem('stopsexting.quest', JSON.stringify(s))", state)
    page.reload()
    page.wait_for_function("window.StopRuntime !== undefined")
    assert page.evaluate("StopRuntime.state().p") == kept
    page.context.close()
    watch.check()


def test_no_path_without_a_role(browser: Browser, watch: Watch, server: Server) -> None:
    page = standalone(browser, watch, server)
    state = {"v": 1, "n": 1, "s": PLAY, "m": PLAY, "a": {}, "p": "ab", "k": {}, "g": "z"}
    page.evaluate("s => localStorage.setItem('stopsexting.quest', JSON.stringify(s))", state)
    page.reload()
    page.wait_for_function("window.StopRuntime !== undefined")
    assert page.evaluate("[StopRuntime.state().g, StopRuntime.state().p]") == ["", ""]
    assert page.locator(".roles").is_visible()
    page.context.close()
    watch.check()


# ---- every ending, by pointer and by keyboard, and what the LMS receives -----------------------------

def tab_to(frame: Frame, page: Page, wanted: str, limit: int = 60) -> None:
    """Tab (the keyboard alone) until `wanted` has focus, in the module's frame."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        if frame.evaluate("sel => !!document.activeElement && document.activeElement.matches(sel)", wanted):
            return
    raise AssertionError(f"Tab never reached {wanted}")


def play_to(frame: Frame, page: Page, ending: str, keyboard: bool) -> None:
    """From the first screen to `ending`, playing the second role, with the mouse or with Tab and Enter."""
    letters = ENDINGS[ending]
    if not keyboard:
        to_quest(frame)
        Learner(frame, QUEST).play_path(path_steps(QUEST, letters), role="b")
    else:
        while int(frame.evaluate("StopRuntime.state().s")) < PLAY:
            tab_to(frame, page, "#next")
            page.keyboard.press("Enter")
        tab_to(frame, page, "button.role[data-v='b']")
        page.keyboard.press("Enter")
        for scene_id, letter, _ in path_steps(QUEST, letters):
            assert frame.evaluate("document.activeElement.id") == f"sc-{scene_id}-t", "focus on the new scene"
            tab_to(frame, page, f"#sc-{scene_id} button.choice[data-v='{letter}']")
            page.keyboard.press("Enter")
            assert frame.evaluate("document.activeElement.dataset.fb") == letter, "focus on the feedback"
            tab_to(frame, page, f"#sc-{scene_id} button.go")
            page.keyboard.press("Enter")
    at = frame.locator(f"#sc-{ending}")
    assert at.is_visible()
    assert [li.split(" ")[0] for li in at.locator(".steps li").all_inner_texts()] == STEPS
    assert at.locator(".contact-phone").all_inner_texts() == ["116 111", "102"]
    assert frame.evaluate("StopRuntime.state()")["p"] == letters


ENDING_IDS = sorted(ENDINGS)
INPUTS = pytest.mark.parametrize("keyboard", [False, True], ids=["pointer", "keyboard"])


@INPUTS
@pytest.mark.parametrize("ending", ENDING_IDS)
@pytest.mark.parametrize("standard", STANDARDS, ids=lambda s: s.name)
def test_every_ending_under_scorm(page: Page, server: Server, watch: Watch, standard: Standard, ending: str,
                                  keyboard: bool) -> None:
    player = Player(page, server, standard)
    learner = player.start(SCO)
    play_to(learner.frame, page, ending, keyboard)
    calls, _ = player.leave()
    found = check_calls(standard, QUEST, calls)
    response = standard.responses[1]
    got = [(i["id"], i["type"], i[response], i["result"]) for _, i in sorted(found.items())]
    assert got == [(scene, "choice", letter, "neutral") for scene, letter, _ in path_steps(QUEST, ENDINGS[ending])]
    assert all("correct_responses.0.pattern" not in i for i in found.values()), "a decision has no right answer"
    assert all(float(i["weighting"]) == 0 for i in found.values())
    watch.check()


@INPUTS
@pytest.mark.parametrize("ending", ENDING_IDS)
def test_every_ending_under_cmi5(tab: Tab, lms: Any, aus: dict[str, Any], ending: str, keyboard: bool) -> None:
    au = aus["fixture-quest"]
    run = start(tab, lms, au, str(uuid.uuid4()))
    play_to(tab.page.main_frame, tab.page, ending, keyboard)
    statements = leave_lms(lms, tab, run)
    check_session(au, run.launch, statements)
    answered = [s for s in statements if verb(s) == "answered"]
    got = [(s["object"]["id"].rsplit("/", 1)[1], s["object"]["definition"]["interactionType"], s["result"]["response"])
           for s in answered]
    assert got == [(scene, "choice", letter) for scene, letter, _ in path_steps(QUEST, ENDINGS[ending])]
    for statement in answered:
        assert "success" not in statement["result"]
        assert "correctResponsesPattern" not in statement["object"]["definition"]


@pytest.fixture(scope="module")
def lti_quest(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Lti]:
    with serving(tmp_path_factory.mktemp("lti-quest"), module_id="quest") as served:
        yield served


def test_an_ending_in_the_lti_tool(browser: Browser, lti_quest: Lti) -> None:
    """The quest played in the platform's iframe: the tool keeps role and path; the check question grades."""
    from tests.browser.test_lti import Tab as LtiTab

    watch = Watch(lti_quest.platform.origin)
    page = new_page(browser, watch)
    lti_tab = LtiTab(page, watch)
    user = "quest-player"
    learner = launch(lti_tab, lti_quest, user)
    play_to(learner.frame, page, "blocked", keyboard=False)

    def saved() -> bool:
        row = attempt(lti_quest, user)
        return row is not None and bool(row.state) and json.loads(row.state)["p"] == ENDINGS["blocked"]
    until(lti_tab, saved, "the tool to hold the quest path")
    row = attempt(lti_quest, user)
    assert row is not None and json.loads(row.state)["g"] == "b"
    score = finish_and_grade(lti_tab, lti_quest, learner, user, right=True)
    assert score["scoreGiven"] == 100
    check(lti_tab, lti_quest)
    page.context.close()



# ---- every ending of the program's own quests (m5, m8) ---------------------------------------------------

PROGRAM_ENDINGS = [(sco, ending, letters) for sco in SCOS if sco.key == "lessons" and sco.module.kind == "quest"
                   for ending, letters in ending_paths(sco.module).items()]


@pytest.mark.parametrize("sco,ending,letters", PROGRAM_ENDINGS,
                         ids=[f"{sco.module.id}-{ending}" for sco, ending, _ in PROGRAM_ENDINGS])
def test_every_ending_of_the_program_quests(page: Page, server: Server, watch: Watch, sco: Any, ending: str,
                                            letters: str) -> None:
    """Each ending of the program's quests, played under scorm-again's SCORM 1.2 with each role in turn: the
    ending shows the five steps and the module's help contacts, no `{…|…}` is left on the page, and the LMS
    receives exactly the path's decisions, neutral."""
    module = sco.module
    role = "ab"[sorted(ending_paths(module)).index(ending) % 2]
    player = Player(page, server, SCORM12)
    learner = player.start(sco)
    play = next(i for i in range(len(module.screens)) if has_quest(module, i))
    while learner.screen() < play:
        learner.complete_screen(learner.screen(), right=True)
        learner.next()
    learner.play_path(path_steps(module, letters), role)
    frame = learner.frame
    at = frame.locator(f"#sc-{ending}")
    assert at.is_visible()
    assert [li.split(" ")[0] for li in at.locator(".steps li").all_inner_texts()] == STEPS
    assert at.locator(".contact").count() == len(module.help)
    assert not VARIANT.search(frame.locator("body").inner_text())
    calls, _ = player.leave()
    found = check_calls(SCORM12, module, calls)
    got = [(i["id"], i["student_response"], i["result"]) for _, i in sorted(found.items()) if i["id"] in
           {scene.id for scene in module.scenes}]
    assert got == [(scene, letter, "neutral") for scene, letter, _ in path_steps(module, letters)]
    watch.check()
