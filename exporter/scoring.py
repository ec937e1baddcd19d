"""What counts towards a module's grade (its questions) and the points along a quest's paths."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from functools import cache

from exporter.model import (
    Choice,
    ChoiceQuestion,
    MatchingQuestion,
    Module,
    OrderingQuestion,
    Scene,
    TrueFalseQuestion,
)

AnyQuestion = ChoiceQuestion | TrueFalseQuestion | OrderingQuestion | MatchingQuestion
QUESTION_TYPES = (ChoiceQuestion, TrueFalseQuestion, OrderingQuestion, MatchingQuestion)


def questions(module: Module) -> Iterator[tuple[tuple[str | int, ...], AnyQuestion]]:
    """Every question with its path in the module file, in the order the learner meets them."""
    for s, screen in enumerate(module.screens):
        for b, block in enumerate(screen.blocks):
            if isinstance(block, QUESTION_TYPES):
                yield ("screens", s, "blocks", b), block


def scene_index(module: Module) -> dict[str, tuple[int, Scene]]:
    return {scene.id: (index, scene) for index, scene in enumerate(module.scenes)}


def best_after(module: Module, choice: Choice) -> int:
    """Most points a path can earn from taking `choice` on: its own points and the best of what follows."""
    return choice.points + _most_along_a_path(module, lambda c: c.points, start=choice.next)


def longest_path(module: Module) -> int:
    """Most decisions on any path; bounds the size of the saved quest path."""
    return _most_along_a_path(module, lambda _choice: 1)


def _most_along_a_path(module: Module, gain: Callable[[Choice], int], start: str | None = None) -> int:
    """Largest total of `gain` over the choices of one path; the graph is acyclic (rules refuse loops)."""
    by_id = scene_index(module)

    @cache
    def most_from(scene_id: str) -> int:
        scene = by_id[scene_id][1]
        return max((gain(c) + most_from(c.next) for c in scene.choices if c.next in by_id), default=0)

    first = start or module.start
    return most_from(first) if first in by_id else 0


def max_score(module: Module) -> int:
    """Points available: the questions' weights. A quest's story earns no grade: reaching any ending and
    passing its check is the program's rule, so safe choices are never graded down by the path taken."""
    return sum(question.weight for _, question in questions(module))
