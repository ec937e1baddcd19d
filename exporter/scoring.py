"""What counts towards a module's grade (its questions, over one or two tries), how a saved state scores, and
the points along a quest's paths."""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from functools import cache
from typing import Any

from exporter.model import (
    Choice,
    ChoiceQuestion,
    MatchingQuestion,
    Module,
    OrderingQuestion,
    Scene,
    TrueFalseQuestion,
)
from exporter.walk import screen_blocks

AnyQuestion = ChoiceQuestion | TrueFalseQuestion | OrderingQuestion | MatchingQuestion
QUESTION_TYPES = (ChoiceQuestion, TrueFalseQuestion, OrderingQuestion, MatchingQuestion)
LETTERS = "abcdefghijklmnopqrstuvwxyz"


def letter(index: int) -> str:
    """Answers are saved as one letter per option, the compact form SCORM 1.2 responses use too."""
    return LETTERS[index]


def correct_answer(question: AnyQuestion) -> str:
    """The right answer in the runtime's saved-answer encoding (see templates/runtime/README.md)."""
    if isinstance(question, ChoiceQuestion):
        return "".join(letter(i) for i, option in enumerate(question.options) if option.correct)
    if isinstance(question, TrueFalseQuestion):
        return "t" if question.answer else "f"
    if isinstance(question, OrderingQuestion):
        return LETTERS[: len(question.items)]
    targets = [t.id for t in question.targets]
    return "".join(letter(targets.index(pair.target)) for pair in question.pairs)


def questions(module: Module) -> Iterator[tuple[tuple[str | int, ...], AnyQuestion]]:
    """Every question with its path in the module file, in the order the learner meets them."""
    for loc, block in screen_blocks(module):
        if isinstance(block, QUESTION_TYPES):
            yield loc, block


def scene_index(module: Module) -> dict[str, tuple[int, Scene]]:
    return {scene.id: (index, scene) for index, scene in enumerate(module.scenes)}


def choice_points(choice: Choice) -> int:
    """The safety points a quest choice earns: the one place that knows how a choice's points are written."""
    return choice.points


def points_ahead(module: Module) -> dict[str, int]:
    """For each scene, the most points a path can still earn from it on."""
    return _most_from_each_scene(module, choice_points)


def longest_path(module: Module) -> int:
    """Most decisions on any path; bounds the size of the saved quest path."""
    return _most_from_each_scene(module, lambda _choice: 1).get(module.start or "", 0)


def _most_from_each_scene(module: Module, gain: Callable[[Choice], int]) -> dict[str, int]:
    """Largest total of `gain` over the choices of one path from each scene; the graph is acyclic (rules
    refuse loops before anything asks)."""
    by_id = scene_index(module)

    @cache
    def most_from(scene_id: str) -> int:
        scene = by_id[scene_id][1]
        return max((gain(c) + most_from(c.next) for c in scene.choices if c.next in by_id), default=0)

    return {scene_id: most_from(scene_id) for scene_id in by_id}


def max_score(module: Module) -> int:
    """Points available: the questions' weights. A quest's story earns no grade: reaching any ending and
    passing its check is the program's rule, so safe choices are never graded down by the path taken."""
    return sum(question.weight for _, question in questions(module))


def credit(question: AnyQuestion, answer: str | None, first_wrong: str | None) -> float:
    """Points one question earns: its weight when the first check was right, half of it when the hint was
    needed (a first wrong answer, then right), nothing otherwise. Halves keep trying worth it without
    rewarding a guess as much as knowing."""
    if answer != correct_answer(question):
        return 0
    return question.weight / 2 if first_wrong is not None else question.weight


@dataclass(frozen=True)
class Score:
    """What a saved state is worth: `raw` 0–100 (None when the module grades nothing) and whether every
    critical question is right, on either try."""

    raw: int | None
    critical: bool


def score_state(module: Module, state: Mapping[str, Any]) -> Score:
    """The score the runtime (core.js `score()`) reports for a saved state ({"a": final answers, "w": first
    wrong answers}, templates/runtime/README.md): the model's definition, from which the tests know what
    every LMS must receive."""
    answers: Mapping[str, str] = state.get("a", {})
    first_wrong: Mapping[str, str] = state.get("w", {})
    graded = [question for _, question in questions(module)]
    earned = sum(credit(q, answers.get(q.id), first_wrong.get(q.id)) for q in graded)
    top = max_score(module)
    raw = min(100, _round_half_up(100 * earned / top)) if top else None
    critical = all(answers.get(q.id) == correct_answer(q) for q in graded if q.critical)
    return Score(raw, critical)


def _round_half_up(value: float) -> int:
    """JavaScript's Math.round, which the runtime uses: halves go up (Python's round() goes to even)."""
    whole = math.floor(value)
    return whole + (value - whole >= 0.5)
