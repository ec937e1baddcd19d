"""How a saved state scores over two tries (SPEC, "Hint and second try"): the model's definition, which the
runtime and every LMS report must match."""

from __future__ import annotations

import json

import pytest

from exporter.loader import load_course
from exporter.render import answer_length
from exporter.scoring import Score, correct_answer, credit, questions, score_state
from exporter.state import encode, worst_case_size, worst_case_state
from tests.conftest import FIXTURE_COURSE

LESSON = load_course(FIXTURE_COURSE).module("lesson")
QUESTIONS = {q.id: q for _, q in questions(LESSON)}
RIGHT = {q_id: correct_answer(q) for q_id, q in QUESTIONS.items()}


def test_the_fixture_lesson_has_hints_on_a_critical_and_a_plain_question() -> None:
    assert {q_id for q_id, q in QUESTIONS.items() if q.hint} == {"q_multi", "q_order"}
    assert QUESTIONS["q_multi"].critical and QUESTIONS["q_multi"].weight == 1


@pytest.mark.parametrize(("answer", "first_wrong", "earned"), [
    ("ab", None, 1), ("ab", "c", 0.5), ("c", None, 0), ("a", "c", 0), (None, "c", 0), (None, None, 0)])
def test_credit_over_two_tries(answer: str | None, first_wrong: str | None, earned: float) -> None:
    assert credit(QUESTIONS["q_multi"], answer, first_wrong) == earned


def test_right_at_once_is_full_credit() -> None:
    assert score_state(LESSON, {"a": RIGHT, "w": {}}) == Score(100, True)


def test_right_on_the_second_try_is_half_and_counts_as_right_for_critical() -> None:
    assert score_state(LESSON, {"a": RIGHT, "w": {"q_multi": "c"}}) == Score(90, True)


def test_both_tries_wrong_earn_nothing_and_fail_a_critical_question() -> None:
    assert score_state(LESSON, {"a": {**RIGHT, "q_multi": "a"}, "w": {"q_multi": "c"}}) == Score(80, False)


def test_raw_rounds_halves_up_as_javascript_does() -> None:
    """With four one-point questions a half gives x.5 percent: 2.5 / 4 → 62.5 → 63 (Python's round() says
    62), 3.5 / 4 → 87.5 → 88."""
    four = LESSON.model_copy(update={"screens": [*LESSON.screens[:2], LESSON.screens[2].model_copy(
        update={"blocks": LESSON.screens[2].blocks[:1]})]})
    assert [q.id for _, q in questions(four)] == ["q_single", "q_multi", "q_tf", "q_order"]
    halves = {"w": {"q_multi": "c"}}
    assert score_state(four, {"a": RIGHT, **halves}).raw == 88
    assert score_state(four, {"a": {**RIGHT, "q_tf": "t"}, **halves}).raw == 63


def test_a_module_without_questions_has_no_raw() -> None:
    quest = load_course(FIXTURE_COURSE).module("quest")
    empty = quest.model_copy(update={"screens": quest.screens[:2]})
    assert score_state(empty, {"a": {}, "w": {}}) == Score(None, True)


def test_worst_case_state_holds_a_first_wrong_answer_for_each_hinted_question() -> None:
    state = worst_case_state(LESSON)
    assert state["w"] == {"q_multi": "z" * answer_length(QUESTIONS["q_multi"]), "q_order": "zzz"}
    assert list(state) == ["v", "n", "s", "m", "a", "w", "p", "k", "g"]
    assert worst_case_size(LESSON) == len(encode(state)) == len(json.dumps(state, separators=(",", ":")))
