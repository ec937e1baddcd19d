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
from exporter.walk import screen_blocks

AnyQuestion = ChoiceQuestion | TrueFalseQuestion | OrderingQuestion | MatchingQuestion
QUESTION_TYPES = (ChoiceQuestion, TrueFalseQuestion, OrderingQuestion, MatchingQuestion)


def questions(module: Module) -> Iterator[tuple[tuple[str | int, ...], AnyQuestion]]:
    """Every question with its path in the module file, in the order the learner meets them."""
    for loc, block in screen_blocks(module):
        if isinstance(block, QUESTION_TYPES):
            yield loc, block


def scene_index(module: Module) -> dict[str, tuple[int, Scene]]:
    return {scene.id: (index, scene) for index, scene in enumerate(module.scenes)}


def points_ahead(module: Module) -> dict[str, int]:
    """For each scene, the most points a path can still earn from it on."""
    return _most_from_each_scene(module, lambda choice: choice.points)


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
