"""Bands A and B (the learner-experience brief): picture cards and tap-to-place instead of form controls, worked
by pointer taps, by drag and drop, and by the keyboard alone, and what the LMS receives from each: the same
interactions, responses, score and status as from today's controls (templates/runtime/README.md).

The fixture lesson is band B (grades 5–6) and holds every question type: single with a picture, multiple,
true-false, ordering and matching. cmi5 and the LTI tool get one run each in test_cmi5.py and test_lti.py."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page

from exporter.model import MatchingQuestion
from exporter.scoring import AnyQuestion, questions
from tests.browser.conftest import SCOS, Watch
from tests.browser.harness import (
    LETTERS,
    SCORM12,
    STANDARDS,
    Learner,
    Player,
    Server,
    Standard,
    assert_holds,
    check_calls,
    expected_interactions,
    expected_result,
    same_interactions,
    tries,
)

pytestmark = pytest.mark.browser

LESSON = next(s for s in SCOS if s.key == "fixture" and s.module.id == "lesson")


def lms_response(standard: Standard, question: AnyQuestion, letters: str) -> str:
    """The learner's response as the standard writes it (SCORM 1.2 `a,c` · `t` · `a.b,b.a`; 2004 `a[,]c` ·
    `true` · `a[.]b[,]b[.]a`), worked out here independently of the adapters."""
    scorm12 = standard is SCORM12
    if question.type == "true-false":
        return letters if scorm12 else {"t": "true", "f": "false"}[letters]
    comma, dot = (",", ".") if scorm12 else ("[,]", "[.]")
    if isinstance(question, MatchingQuestion):
        return comma.join(f"{LETTERS[pair]}{dot}{target}" for pair, target in enumerate(letters))
    return comma.join(letters)


@pytest.mark.parametrize("right", [True, False], ids=["right", "wrong"])
@pytest.mark.parametrize("how", ["tap", "drag", "keys"])
@pytest.mark.parametrize("standard", STANDARDS, ids=lambda s: s.name)
def test_cards_and_tap_to_place_reach_the_lms(page: Page, server: Server, watch: Watch, standard: Standard,
                                              how: str, right: bool) -> None:
    assert LESSON.module.age_band == "B"
    player = Player(page, server, standard)
    learner = player.start(LESSON)
    learner.how = how
    frame = learner.frame
    assert frame.locator("select, input[type=checkbox], input[type=radio]").count() == 0, "no form controls in B"
    assert frame.locator(".card img").count() == 1, "the picture option is a picture card"
    learner.run_to_end(right=right)
    for _, question in questions(LESSON.module):
        box = frame.locator(f"#q-{question.id}")
        assert box.locator(".card:enabled, .place-card:enabled, .place-box:enabled").count() == 0, "locked"
        assert box.locator(".place-pool .opt").count() == 0, "every card placed"
    status, raw = expected_result(LESSON.module, right)
    assert_holds(player.cmi(), standard.final(status, raw))
    text = frame.locator("#result-text").inner_text()
    assert "%" not in text and "не пройдено" not in text
    assert frame.locator("#result-stars").inner_text().startswith("★★★" if right else "★")
    calls, _ = player.leave()
    found = check_calls(standard, LESSON.module, calls)
    same_interactions(expected_interactions(LESSON.module, right, standard.wrong), found)
    sent = [row[standard.responses[1]] for _, row in sorted(found.items())]
    # one interaction per try: a wrong answer to a question with a hint is followed by its second try
    assert sent == [lms_response(standard, q, answer)
                    for _, q in questions(LESSON.module) for answer in tries(q, right)]
    watch.check()


def test_a_placed_card_can_be_picked_up_again_and_ordering_places_swap(page: Page, server: Server,
                                                                       watch: Watch) -> None:
    """Tapping a placed card picks it up; dropping it on a taken place of an ordering puts that place's card
    where the new one came from; the live region says each step."""
    page.goto(server.origin + LESSON.path)
    page.wait_for_function("window.StopRuntime !== undefined")
    learner = Learner(page.main_frame, LESSON.module)
    while learner.screen() < 2:
        learner.complete_screen(learner.screen(), right=True)
        learner.next()
    box = page.locator("#q-q_order")
    box.locator(".place-item[data-v='a'] .place-card").click()
    assert box.locator(".place-item[data-v='a'] .place-card").get_attribute("aria-pressed") == "true"
    box.locator(".place-slot[data-box='a'] .place-box").click()
    assert box.locator(".verdict").inner_text() == "«Зупинись» — Місце 1."
    box.locator(".place-item[data-v='b'] .place-card").click()
    box.locator(".place-slot[data-box='b'] .place-box").click()
    box.locator(".place-item[data-v='a'] .place-card").click()  # picked up again from place 1
    box.locator(".place-slot[data-box='b'] .place-box").click()  # onto place 2: its card goes to place 1
    placed = page.evaluate("""[...document.querySelectorAll('#q-q_order .place-slot')]
      .map(s => [...s.querySelectorAll('.opt')].map(o => o.dataset.v).join(''))""")
    assert placed == ["c", "b", "a", ""]
    box.locator(".place-box").nth(0).click()
    assert box.locator(".verdict").inner_text() == "Спершу торкнися картки."
    box.locator("button.check").click()
    assert box.locator(".verdict").inner_text().startswith("Спершу"), "not every card is placed yet"
    watch.check()
