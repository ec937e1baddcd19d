"""A hint and a second try, end to end, by pointer and by keyboard alone, in every standard.

The fixture lesson's critical multiple-choice question has a hint (its ordering question has one too, answered
right at once here). Answered wrong, the question shows the hint, not the explanations, and stays open; the
next check locks it. The model (exporter.scoring.score_state) says what the attempt is worth: right at once
100 (full credit), right on the second try 90 (half of that question's point), wrong twice 80 and failed (the
critical question is wrong). Every LMS must receive exactly that score and one interaction per try, with the
same id: scorm-again's SCORM 1.2 and 2004 APIs, the cmi5 test LRS (an `answered` statement per try) and the
LTI tool (the score through /score, the state with `w` kept by the tool's API).
"""

from __future__ import annotations

import io
import json
import uuid
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Frame, Page

from exporter.build import build_packages, select_targets
from exporter.loader import load_course
from exporter.model import Module
from exporter.scoring import AnyQuestion, correct_answer, questions
from tests.browser import test_cmi5 as cmi5
from tests.browser import test_lti as lti_tests
from tests.browser.conftest import SCOS, Watch, new_page
from tests.browser.harness import (
    FIXTURE_COURSE,
    INTERACTION_TYPE,
    STANDARDS,
    Learner,
    Player,
    Server,
    Standard,
    assert_holds,
    axe,
    check_calls,
    expected_status,
    same_interactions,
    tries,
)
from tests.browser.lrs import Lms, serve_lms
from tests.browser.test_accessibility import Keyboard, keyboard_answer

pytestmark = pytest.mark.browser

HINTED = "q_multi"
SCO = next(sco for sco in SCOS if sco.key == "fixture" and sco.module.id == "lesson")
MODULE = SCO.module
QUESTION = next(q for _, q in questions(MODULE) if q.id == HINTED)
RIGHT = correct_answer(QUESTION)
WRONG, WRONG_AGAIN = tries(QUESTION, right=False)
# What the learner checks for the hinted question, and the (status, raw) the model gives for the attempt.
OUTCOMES = {
    "right-at-once": ([RIGHT], ("passed", 100)),
    "right-after-hint": ([WRONG, RIGHT], ("passed", 90)),
    "wrong-twice": ([WRONG, WRONG_AGAIN], ("failed", 80)),
}
# (outcome, by keyboard): every outcome by pointer, and by keyboard alone the one that differs, the second try.
CASES = [("right-at-once", False), ("right-after-hint", False), ("wrong-twice", False), ("right-after-hint", True)]
CASE_IDS = [f"{outcome}-{'keyboard' if keyboard else 'pointer'}" for outcome, keyboard in CASES]
SAME = "Це та сама відповідь"


def expected(answers: list[str]) -> tuple[str, int | None]:
    """The model's result of the fixture lesson with `answers` for the hinted question and every other right."""
    state = {"a": {q.id: correct_answer(q) for _, q in questions(MODULE)} | {HINTED: answers[-1]},
             "w": {HINTED: answers[0]} if len(answers) == 2 else {}}
    return expected_status(MODULE, state)


def test_the_outcomes_are_what_the_model_says() -> None:
    assert QUESTION.hint and QUESTION.critical
    for answers, result in OUTCOMES.values():
        assert expected(answers) == result


class Hand:
    """The learner's hand on one module page: by pointer (the harness's Learner) or by keyboard alone."""

    def __init__(self, page: Page, learner: Learner, keyboard: bool) -> None:
        self.learner = learner
        self.keys = Keyboard(page, learner.frame) if keyboard else None

    @property
    def frame(self) -> Frame:
        return self.learner.frame

    def check(self, question: AnyQuestion, answer: str) -> None:
        if self.keys:
            keyboard_answer(self.keys, question, answer)
        else:
            self.learner.check(question, answer)

    def next(self) -> None:
        if self.keys:
            self.keys.next_screen()
        else:
            self.learner.next()


def seen(frame: Frame) -> dict[str, object]:
    """What the hinted question shows."""
    result: dict[str, object] = frame.evaluate("""id => {
      const q = document.getElementById('q-' + id), hint = document.getElementById('q-' + id + '-hint');
      return {hint: !hint.hidden, hintText: hint.innerText, focus: document.activeElement.id,
              feedback: q.querySelectorAll('.fb:not([hidden])').length, tags: q.querySelectorAll('.tag').length,
              locked: q.querySelectorAll('input:disabled, .card:disabled').length,
              button: q.querySelector('.check').hidden ? '' : q.querySelector('.check').textContent,
              verdict: q.querySelector('.verdict').textContent,
              checked: [...q.querySelectorAll('input:checked, .card[aria-pressed=true]')]
                .map(i => i.value || i.dataset.v).join('')};
    }""", HINTED)
    return result


def assert_open_with_hint(frame: Frame, first: str) -> None:
    """After a first wrong try: the hint with its calm lead line, nothing that tells right from wrong, the
    answer as the learner left it, open for the second try."""
    shown = seen(frame)
    assert shown["hint"], shown
    assert str(shown["hintText"]).startswith("Поки що не так — і це нормально. Ось підказка:"), shown
    assert (shown["feedback"], shown["tags"], shown["locked"], shown["verdict"]) == (0, 0, 0, ""), shown
    assert (shown["button"], shown["checked"]) == ("Перевірити ще раз", first), shown
    state = frame.evaluate("StopRuntime.state()")
    assert state["w"] == {HINTED: first} and HINTED not in state["a"]


def assert_locked(frame: Frame, final: str) -> None:
    """After the last try: locked, with the explanations and the verdict, the hint gone."""
    shown = seen(frame)
    assert not shown["hint"] and shown["button"] == "" and shown["feedback"] > 0, shown
    assert shown["locked"] == len(QUESTION.options) and shown["checked"] == final, shown
    assert shown["verdict"] == ("Правильно! Молодець." if final == RIGHT else
                                "Не зовсім так, і це нормально: прочитай пояснення, воно допоможе."), shown


def play(hand: Hand, answers: list[str]) -> None:
    """The whole fixture lesson: the hinted question with `answers`, one check each (the first wrong try also
    checked once more unchanged, which must not count), every other question right at once."""
    module: Module = hand.learner.module
    for index, screen in enumerate(module.screens):
        for block in screen.blocks:
            if block.kind != "question":
                continue
            if block.id != HINTED:
                hand.check(block, correct_answer(block))
                continue
            for n, answer in enumerate(answers):
                hand.check(block, answer)
                if n == 0 and len(answers) == 2:
                    assert seen(hand.frame)["focus"] == f"q-{HINTED}-hint", "the hint is read where the learner is"
                    assert_open_with_hint(hand.frame, answer)
                    hand.check(block, answer)  # the same answer again: refused, the second try stays
                    assert str(seen(hand.frame)["verdict"]).startswith(SAME)
                    shown = seen(hand.frame)
                    assert shown["hint"] and shown["button"] == "Перевірити ще раз", shown
            assert_locked(hand.frame, answers[-1])
        if index < len(module.screens) - 1:
            hand.next()


def interactions_of(answers: list[str], wrong: str) -> list[tuple[str, str, str]]:
    """(id, type, result) the run records: one per try, the hinted question's tries with the same id."""
    rows = []
    for _, question in questions(MODULE):
        checked = answers if question.id == HINTED else [correct_answer(question)]
        rows += [(question.id, INTERACTION_TYPE[question.type],
                  "correct" if answer == correct_answer(question) else wrong) for answer in checked]
    return rows


# ---- SCORM 1.2 and 2004 under scorm-again -------------------------------------------------------

@pytest.fixture(params=STANDARDS, ids=lambda s: s.name)
def standard(request: pytest.FixtureRequest) -> Standard:
    standard: Standard = request.param
    return standard


@pytest.mark.parametrize(("outcome", "keyboard"), CASES, ids=CASE_IDS)
def test_scorm_receives_each_try_and_the_score(page: Page, server: Server, watch: Watch, standard: Standard,
                                                outcome: str, keyboard: bool) -> None:
    answers, (status, raw) = OUTCOMES[outcome]
    player = Player(page, server, standard)
    learner = player.start(SCO)
    play(Hand(page, learner, keyboard), answers)
    assert_holds(player.cmi(), standard.final(status, raw))
    if status == "failed":  # a new attempt forgets the first tries too
        learner.frame.locator("#retry").click()
        assert learner.state()["w"] == {} and not seen(learner.frame)["hint"]
        assert seen(learner.frame)["button"] == "Перевірити"
    calls, cmi = player.leave()
    found = check_calls(standard, MODULE, calls)
    same_interactions(interactions_of(answers, standard.wrong), found)
    response = standard.responses[1]
    hinted = [i[response] for _, i in sorted(found.items()) if i["id"] == HINTED]
    assert len(hinted) == len(answers) and len(set(hinted)) == len(answers), hinted
    state = json.loads(cmi["cmi.suspend_data"])
    if status != "failed":
        assert (state["a"][HINTED], state["w"]) == (answers[-1], {HINTED: answers[0]} if len(answers) == 2 else {})
    watch.check()


def test_scorm_resumes_between_the_two_tries(page: Page, server: Server, watch: Watch, standard: Standard) -> None:
    """Left after the first wrong try: the relaunch shows the hint and the answer, open for the second try."""
    player = Player(page, server, standard)
    learner = player.start(SCO)
    learner.complete_screen(0, right=True)
    learner.next()
    learner.check(QUESTION, WRONG)
    calls, cmi = player.leave()
    first = check_calls(standard, MODULE, calls)
    assert [i["id"] for i in first.values()] == [HINTED]
    assert json.loads(cmi["cmi.suspend_data"])["w"] == {HINTED: WRONG}
    learner = player.start(SCO, standard.resume(cmi))
    assert learner.screen() == 1
    shown = seen(learner.frame)
    assert shown["hint"] and shown["checked"] == WRONG and shown["button"] == "Перевірити ще раз", shown
    found: list[str] = []
    axe(learner.frame, "the hint shown", found)
    assert not found, found
    learner.check(QUESTION, RIGHT)
    assert_locked(learner.frame, RIGHT)
    learner.run_to_end(right=True)
    calls, cmi = player.leave()
    found = check_calls(standard, MODULE, calls, first_interaction=len(first))
    assert found[min(found)]["id"] == HINTED, "the second try comes first in the relaunch"
    assert_holds(cmi, standard.final("passed", 90))
    watch.check()


def test_load_keeps_only_first_tries_the_runtime_could_have_saved(page: Page, server: Server, watch: Watch) -> None:
    """`w` is validated like `a`: only questions with a hint, only answers that fit and are wrong."""
    player = Player(page, server, STANDARDS[0])
    saved = {"v": 1, "n": 1, "s": 1, "m": 1, "a": {}, "p": "", "k": {},
             "w": {HINTED: WRONG, "q_single": "b", "q_order": "abc", "q_match": "zz", "nope": "a"}}
    for w, kept in ((saved["w"], {HINTED: WRONG}), ({HINTED: RIGHT}, {}), ({HINTED: "ca"}, {}), ("a", {}),
                    ([1], {}), ({HINTED: 7}, {})):
        learner = player.start(SCO, {"cmi.core.entry": "resume", "cmi.suspend_data": json.dumps({**saved, "w": w}),
                                     "cmi.core.lesson_location": "check"})
        assert learner.screen() == 1 and learner.state()["w"] == kept, w
        assert seen(learner.frame)["hint"] is bool(kept)
        player.leave()
    watch.check()


# ---- cmi5 ----------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def package() -> bytes:
    """The fixture course's cmi5 package."""
    course = load_course(FIXTURE_COURSE)
    (built,) = build_packages(course, course.modules, select_targets(["cmi5"]))
    return built.data


@pytest.fixture(scope="module")
def lms(package: bytes, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Lms]:
    root = tmp_path_factory.mktemp("cmi5-hints")
    with zipfile.ZipFile(io.BytesIO(package)) as archive:
        archive.extractall(root / "fixture")
    (root / "left.html").write_text('<!doctype html><html lang="uk"><title>LMS</title><link rel="icon" href="data:,">')
    yield from serve_lms(root)


@pytest.fixture()
def cmi5_tab(browser: Browser, lms: Lms) -> Iterator[cmi5.Tab]:
    watch = cmi5.Cmi5Watch(lms.origin)
    tab = cmi5.Tab(new_page(browser, watch), watch, [])
    yield tab
    tab.page.context.close()


@pytest.mark.parametrize(("outcome", "keyboard"), CASES, ids=CASE_IDS)
def test_cmi5_answers_once_per_try(cmi5_tab: cmi5.Tab, lms: Lms, package: bytes, outcome: str,
                                   keyboard: bool) -> None:
    answers, (status, raw) = OUTCOMES[outcome]
    au = cmi5.imported("fixture", load_course(FIXTURE_COURSE), package)[MODULE.id]
    registration = str(uuid.uuid4())
    run = cmi5.start(cmi5_tab, lms, au, registration)
    play(Hand(cmi5_tab.page, run.learner, keyboard), answers)
    statements = cmi5.leave(lms, cmi5_tab, run)
    cmi5.check_session(au, run.launch, statements)
    answered = [s for s in statements if cmi5.verb(s) == "answered"]
    got = [(s["object"]["id"].rsplit("/", 1)[1], s["result"]["success"]) for s in answered]
    assert got == [(i, result == "correct") for i, _, result in interactions_of(answers, "wrong")]
    (verdict,) = (s for s in statements if cmi5.verb(s) in ("passed", "failed"))
    assert cmi5.verb(verdict) == status
    if status == "passed":
        assert verdict["result"]["score"]["raw"] == raw
    else:  # at the mastery score, failed by the critical question: cmi5 allows no score there
        assert raw is not None and raw / 100 >= (au.mastery_score or 0) and "score" not in verdict["result"]
    saved = json.loads(cmi5.saved_document(lms, run.launch)["state"])
    assert saved["w"] == ({HINTED: answers[0]} if len(answers) == 2 else {})


# ---- the LTI tool --------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def lti(tmp_path_factory: pytest.TempPathFactory) -> Iterator[lti_tests.Lti]:
    with lti_tests.serving(Path(tmp_path_factory.mktemp("lti-hints"))) as served:
        yield served


@pytest.fixture()
def lti_tab(browser: Browser, lti: lti_tests.Lti) -> Iterator[lti_tests.Tab]:
    watch = Watch(lti.platform.origin)
    page = new_page(browser, watch)
    yield lti_tests.Tab(page, watch)
    page.context.close()


@pytest.mark.parametrize(("outcome", "keyboard"), CASES, ids=CASE_IDS)
def test_lti_grades_the_two_tries(lti_tab: lti_tests.Tab, lti: lti_tests.Lti, outcome: str, keyboard: bool) -> None:
    answers, (status, raw) = OUTCOMES[outcome]
    assert raw is not None
    user = f"student-{outcome}-{'keyboard' if keyboard else 'pointer'}"
    learner = lti_tests.launch(lti_tab, lti, user)
    play(Hand(lti_tab.page, learner, keyboard), answers)
    lti_tests.until(lti_tab, lambda: lti.platform.scores_for(user), "the score at the platform")
    lti_tests.leave(lti_tab, lti)
    lti_tests.until(lti_tab, lambda: lti_tests.outbox(lti, user) == ["sent"], "the outbox row to be sent")
    (score,) = lti.platform.scores_for(user)
    lti_tests.check_score(score, lti, user, raw)
    row = lti_tests.attempt(lti, user)
    assert row is not None and (row.success_status, row.score) == (status, raw / 100)
    assert json.loads(row.state)["w"] == ({HINTED: answers[0]} if len(answers) == 2 else {})
    lti_tests.check(lti_tab, lti)

