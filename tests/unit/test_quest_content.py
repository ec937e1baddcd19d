"""Content rules for every quest in lessons/ (SPEC «Quests (band C)», learner-experience «What a test can
measure»): the safe choice is not given away by its length, choices really branch, several endings are
reachable, earlier choices change later scenes, telling an adult never costs points on any meter along
any real path, risky choices are never met with praise, and the old «(-ла)» forms are gone.

It measures with the engine's own helpers (exporter/scoring.py), so the test and the compiler agree on
what a decision scene, a reachable ending and "the longest text" are.
"""

from __future__ import annotations

import re
from functools import cache

import pytest

from exporter.gender import VARIANT
from exporter.loader import Course, load_course
from exporter.model import Choice, Module
from exporter.scoring import (
    Flags,
    best_is_longest,
    decision_scenes,
    ending_paths,
    next_scenes,
    offered,
    quest_states,
    scene_index,
)
from tests.conftest import LESSONS

COURSE: Course = load_course(LESSONS)
QUESTS = {m.id: m for m in COURSE.modules if m.kind == "quest"}
MAX_DECISIONS = 20  # one playthrough's path is saved; the spec's budget
# SPEC «Feedback of a wrong option … never starts with praise», applied to the risky choices of a scene.
PRAISE = re.compile(r"^\W*(так|правильно|молодець|чудово|супер|добре|вірно|клас)\b", re.IGNORECASE)


@pytest.fixture(params=list(QUESTS), ids=list(QUESTS))
def quest(request: pytest.FixtureRequest) -> Module:
    return QUESTS[request.param]


def test_the_best_choice_is_not_given_away_by_its_length(quest: Module) -> None:
    """(a) A highest-scoring choice is the strictly longest text in at most a third of decision scenes."""
    scenes = decision_scenes(quest)
    giveaways = [scene.id for scene in scenes if best_is_longest(scene)]
    assert 3 * len(giveaways) <= len(scenes), f"{quest.id}: the best choice is the longest in {giveaways}"


def test_choices_really_branch(quest: Module) -> None:
    """(b) At least half of the decision scenes lead to more than one distinct next scene."""
    scenes = decision_scenes(quest)
    branching = [scene.id for scene in scenes if len(next_scenes(scene)) > 1]
    assert 2 * len(branching) >= len(scenes), f"{quest.id}: only {branching} of {len(scenes)} scenes branch"


def test_several_endings_are_reachable(quest: Module) -> None:
    """(c) At least three endings are reached by real paths (flags honoured)."""
    endings = ending_paths(quest)
    assert len(endings) >= 3, f"{quest.id}: endings reached: {sorted(endings)}"


def decisions_to_an_end(quest: Module) -> tuple[int, int]:
    """Fewest and most decisions on a playthrough from the start to an ending."""
    by_id = scene_index(quest)

    @cache
    def span(scene_id: str, flags: Flags) -> tuple[int, int]:
        nexts = [span(c.next, flags | set(c.sets)) for _, c in offered(by_id[scene_id][1], flags)]
        if not nexts:
            return (0, 0)
        return (1 + min(n[0] for n in nexts), 1 + max(n[1] for n in nexts))

    return span(quest.start or "", frozenset())


def test_every_path_has_a_reasonable_length(quest: Module) -> None:
    """Rubric check 12: 6–10 decision points on the main line; each risky detour adds a scene of its own,
    and the saved path must stay small."""
    fewest, most = decisions_to_an_end(quest)
    assert fewest >= 6, f"{quest.id}: a path with only {fewest} decisions"
    assert most <= MAX_DECISIONS, f"{quest.id}: a path with {most} decisions"


def test_earlier_choices_change_later_scenes(quest: Module) -> None:
    """Every flag a choice sets is tested by some later message, block or choice (the compiler already
    refuses a test of a flag nobody sets)."""
    tested = set()
    for scene in quest.scenes:
        parts = [*(scene.chat.messages if scene.chat else []), *scene.blocks, *scene.choices]
        tested |= {flag for part in parts for flag in (part.if_, part.unless) if flag}
    set_by_choices = {flag for scene in quest.scenes for choice in scene.choices for flag in choice.sets}
    assert tested, f"{quest.id}: no scene depends on an earlier choice"
    assert set_by_choices <= tested, f"{quest.id}: flags set but never used: {sorted(set_by_choices - tested)}"


def test_telling_never_costs_on_any_meter(quest: Module) -> None:
    """Seeking help always adds, and from every point of play a tells_adult choice can still earn at least
    as much as any other choice offered there: in sum (the compiler's E-QUEST-TELL) and on each meter."""
    assert quest.meters, f"{quest.id}: no meters"
    by_id = scene_index(quest)

    @cache
    def best(scene_id: str, flags: Flags, meter: str | None) -> int:
        return max((gain(c, flags, meter) for _, c in offered(by_id[scene_id][1], flags)), default=0)

    def gain(choice: Choice, flags: Flags, meter: str | None) -> int:
        here = choice.total if meter is None else choice.points.get(meter, 0)
        return here + best(choice.next, flags | set(choice.sets), meter)

    for scene_id, flags in quest_states(quest):
        choices = [c for _, c in offered(by_id[scene_id][1], flags)]
        for telling in [c for c in choices if c.tells_adult]:
            assert telling.total > 0, (quest.id, scene_id, telling.id, "telling adds points")
            for meter in [None, *(m.id for m in quest.meters)]:
                top = max(gain(c, flags, meter) for c in choices)
                assert gain(telling, flags, meter) >= top, (quest.id, scene_id, telling.id, meter)


def test_risky_choices_are_never_met_with_praise(quest: Module) -> None:
    """A risky choice (no points where another choice earns some) gets support, never «Так, …»."""
    for scene in quest.scenes:
        top = max((c.total for c in scene.choices), default=0)
        for choice in scene.choices:
            if choice.total == 0 < top:
                assert not PRAISE.match(choice.feedback), (scene.id, choice.id, choice.feedback[:40])


def test_no_old_gender_forms_in_learner_text(quest: Module) -> None:
    """With roles, «розповів(-ла)», «не винен (не винна)» give way to {masculine|feminine} variants."""
    text = VARIANT.sub("", quest.model_dump_json(exclude={"teacher"}))
    old = re.findall(r"\w+\((?:-\w+)\)|\w+ \((?:не )?\w+\)", text)
    old = [o for o in old if not re.search(r"\((?:хеш|діпфейк)\)", o)]
    assert not old, f"{quest.id}: old gender forms left: {old[:5]}"
