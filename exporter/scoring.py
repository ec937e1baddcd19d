"""What counts towards a module's grade (its questions, over one or two tries), how a saved state scores, and
the points along a quest's paths."""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from functools import cache
from typing import Any, Protocol

from exporter.gender import form
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


Flags = frozenset[str]
State = tuple[str, Flags]  # a point of play: the scene, and the flags the path to it has set


class Conditioned(Protocol):
    @property
    def if_(self) -> str | None: ...
    @property
    def unless(self) -> str | None: ...


def shown(part: Conditioned, flags: Flags) -> bool:
    """Whether a message, block or choice with `if`/`unless` is shown on a path that has set `flags`."""
    return (part.if_ is None or part.if_ in flags) and (part.unless is None or part.unless not in flags)


def offered(scene: Scene, flags: Flags) -> list[tuple[int, Choice]]:
    """The choices a scene offers on such a path, each with its index in the YAML list, which is its letter:
    letters never move when a conditional choice is left out."""
    return [(index, choice) for index, choice in enumerate(scene.choices) if shown(choice, flags)]


def _first_paths(module: Module) -> dict[State, str]:
    """Every point of play some path reaches, each with the letters of the first path to it (breadth first,
    fewest decisions; a conditional choice is taken only where it is offered)."""
    by_id = scene_index(module)
    if module.start not in by_id:
        return {}
    first: State = (module.start or "", frozenset())
    paths: dict[State, str] = {first: ""}
    todo = [first]
    while todo:
        state = todo.pop(0)
        for index, choice in offered(by_id[state[0]][1], state[1]):
            after = (choice.next, state[1] | set(choice.sets))
            if choice.next in by_id and after not in paths:
                paths[after] = paths[state] + letter(index)
                todo.append(after)
    return paths


def quest_states(module: Module) -> list[State]:
    """Every point of play some path reaches, from the start, in a fixed order; the flags are what decides
    which conditional parts show, so rules and tests look at the states, not at the bare scene graph."""
    order = {scene.id: index for index, scene in enumerate(module.scenes)}
    return sorted(_first_paths(module), key=lambda state: (order[state[0]], sorted(state[1])))


def points_ahead(module: Module) -> dict[State, int]:
    """For each point of play, the most points (summed over the meters) a path can still earn from it on,
    counting only the choices offered there; the graph is acyclic (rules refuse loops before anything asks)."""
    by_id = scene_index(module)

    @cache
    def most_from(scene_id: str, flags: Flags) -> int:
        return max((choice.total + most_from(choice.next, flags | set(choice.sets))
                    for _, choice in offered(by_id[scene_id][1], flags) if choice.next in by_id), default=0)

    return {state: most_from(*state) for state in quest_states(module)}


def meter_max(module: Module, meter: str) -> int:
    """The most a path can move one meter: the top of that meter on the page."""
    return _most_from_each_scene(module, lambda choice: choice.points.get(meter, 0)).get(module.start or "", 0)


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


# ---- what a content test measures of a quest (tests/unit/test_quest_content.py) -------------------------

def decision_scenes(module: Module) -> list[Scene]:
    """The scenes where the player decides: those with choices that some path reaches."""
    reached = {scene_id for scene_id, _ in quest_states(module)}
    return [scene for scene in module.scenes if scene.choices and scene.id in reached]


def next_scenes(scene: Scene) -> set[str]:
    """The distinct scenes a scene's choices lead to: one means its choices do not change the story."""
    return {choice.next for choice in scene.choices}


def scene_paths(module: Module) -> dict[str, str]:
    """For each scene some path reaches, the letters of the first path to it (breadth first, fewest
    decisions, over the points of play, so that a conditional choice is taken only where it is offered): how
    a test or a contact sheet gets to each scene."""
    found: dict[str, str] = {}
    for (scene_id, _), path in _first_paths(module).items():  # in the order they were reached
        found.setdefault(scene_id, path)
    return found


def ending_paths(module: Module) -> dict[str, str]:
    """For each ending some path reaches, in the YAML's order, the letters of the first path to it."""
    paths = scene_paths(module)
    return {scene.id: paths[scene.id] for scene in module.scenes if scene.ending and scene.id in paths}


def best_is_longest(scene: Scene) -> bool:
    """Whether the strictly longest choice text (as a masculine-role player reads it) is one of the
    highest-scoring choices: a giveaway when it happens too often. Ties for the longest are no giveaway."""
    lengths = sorted((len(form(choice.text, "m")), choice.total) for choice in scene.choices)
    if len(lengths) < 2 or lengths[-1][0] == lengths[-2][0]:
        return False
    return lengths[-1][1] == max(choice.total for choice in scene.choices)


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
