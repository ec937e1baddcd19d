"""Cross-reference rules the field types cannot express: unique ids, references, quest graph shape."""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from typing import TYPE_CHECKING, Any

from exporter.errors import Loc, Problem, format_loc
from exporter.gender import variant_problem
from exporter.model import (
    ChoiceQuestion,
    MatchingQuestion,
    Module,
    OrderingQuestion,
    QuestBlock,
    Scene,
    TrueFalseQuestion,
)
from exporter.scoring import AnyQuestion, offered, points_ahead, quest_states, questions, scene_index
from exporter.walk import audios, images, screen_blocks

if TYPE_CHECKING:
    from exporter.loader import Course, Source

# Words of praise a wrong answer must never be met with (learner-experience.md, "Feedback that teaches"): as
# the first word of the text, after any punctuation or Markdown emphasis, in any case.
PRAISE = re.compile(r"^[\W_]*(так|правильно|молодець|чудово|супер|добре|вірно|клас)(?!\w)", re.IGNORECASE)


def check_course(course: Course) -> list[Problem]:
    problems = list(_duplicates(course.program_source, "modules", course.program.modules, ("modules",)))
    problems += _duplicates(course.program_source, "contacts",
                            [c.id for c in course.program.contacts], ("contacts",), "id")
    contacts = {c.id for c in course.program.contacts}
    for module in course.modules:
        source = course.sources[module.id]
        problems += _module_rules(module, source, contacts)
        problems += _image_rules(module, source, course)
        problems += _gender_rules(module, source)
        problems += _audio_rules(module, source, course)
        if module.age_band == "A":
            problems += _one_task_per_screen(module, source)
        if module.kind == "quest":
            problems += _quest_rules(module, source)
            problems += _cast_rules(module, source)
    return problems


def _duplicates(
    source: Source, what: str, ids: Iterable[str], loc: Loc, key: str | None = None
) -> Iterator[Problem]:
    seen: dict[str, int] = {}
    for index, item_id in enumerate(ids):
        if item_id in seen:
            at = (*loc, index, key) if key else (*loc, index)
            yield source.problem(at, "E-ID-DUP", f"duplicate id '{item_id}' in {what} (first at index {seen[item_id]})")
        else:
            seen[item_id] = index


def _module_rules(module: Module, source: Source, contacts: set[str]) -> Iterator[Problem]:
    yield from _duplicates(source, "objectives", [o.id for o in module.objectives], ("objectives",), "id")
    yield from _duplicates(source, "screens", [s.id for s in module.screens], ("screens",), "id")
    yield from _duplicates(source, "help", module.help, ("help",))
    for index, contact in enumerate(module.help):
        if contact not in contacts:
            yield source.problem(("help", index), "E-REF", f"no contact '{contact}' in program.yaml contacts")
    objectives = {o.id for o in module.objectives}
    seen_blocks: dict[str, Loc] = {}
    for loc, block in screen_blocks(module):
        block_id = getattr(block, "id", None)
        if block_id is not None:
            if block_id in seen_blocks:
                first = format_loc(seen_blocks[block_id])
                message = f"duplicate question/reflection id '{block_id}' (first at {first})"
                yield source.problem((*loc, "id"), "E-ID-DUP", message)
            seen_blocks.setdefault(block_id, loc)
    for loc, question in questions(module):
        if question.objective is not None and question.objective not in objectives:
            yield source.problem((*loc, "objective"), "E-REF", f"no objective '{question.objective}' in this module")
        yield from _question_rules(question, loc, source)
    yield from _praise_rules(module, source)
    yield from _kind_rules(module, source)


def _question_rules(question: AnyQuestion, loc: Loc, source: Source) -> Iterator[Problem]:
    two_answers = isinstance(question, TrueFalseQuestion) or (
        isinstance(question, ChoiceQuestion) and question.type == "single" and len(question.options) == 2)
    if two_answers and question.hint is not None:
        yield source.problem((*loc, "hint"), "E-HINT-KIND",
                             f"a {question.type} question with two answers: a second try after a hint would give "
                             "the answer away; remove the hint")
    if isinstance(question, ChoiceQuestion):
        yield from _duplicates(source, "options", [o.id for o in question.options], (*loc, "options"), "id")
        right = sum(o.correct for o in question.options)
        if question.type == "single" and right != 1:
            yield source.problem((*loc, "options"), "E-QUESTION",
                                 f"a single-choice question needs exactly one correct option, found {right}")
        if question.type == "multiple" and right == 0:
            yield source.problem((*loc, "options"), "E-QUESTION",
                                 "a multiple-choice question needs at least one correct option")
    elif isinstance(question, MatchingQuestion):
        yield from _duplicates(source, "targets", [t.id for t in question.targets], (*loc, "targets"), "id")
        yield from _duplicates(source, "pairs", [p.id for p in question.pairs], (*loc, "pairs"), "id")
        targets = {t.id for t in question.targets}
        for index, pair in enumerate(question.pairs):
            if pair.target not in targets:
                yield source.problem((*loc, "pairs", index, "target"), "E-REF",
                                     f"no target '{pair.target}' in this question's targets")
    elif isinstance(question, OrderingQuestion):
        yield from _duplicates(source, "items", [i.id for i in question.items], (*loc, "items"), "id")


def _praise_rules(module: Module, source: Source) -> Iterator[Problem]:
    for loc, text in _wrong_feedback(module):
        if found := PRAISE.match(text):
            yield source.problem(loc, "E-FEEDBACK-PRAISE",
                                 f"feedback of a wrong answer starts with praise «{found[1]}»: begin with what "
                                 "happened and why, calmly")


def _wrong_feedback(module: Module) -> Iterator[tuple[Loc, str]]:
    """The feedback a learner reads after a wrong answer: options that are not correct, the true-false
    answer that is not, and the risky quest choices: those earning nothing where another choice earns
    points (a safe choice that earns less than the best one is no wrong answer, and may be praised)."""
    for loc, question in questions(module):
        if isinstance(question, ChoiceQuestion):
            for o, option in enumerate(question.options):
                if not option.correct:
                    yield (*loc, "options", o, "feedback"), option.feedback
        elif isinstance(question, TrueFalseQuestion):
            if question.answer:
                yield (*loc, "feedback_false"), question.feedback_false
            else:
                yield (*loc, "feedback_true"), question.feedback_true
    for s, scene in enumerate(module.scenes):
        best = max((choice.total for choice in scene.choices), default=0)
        for c, choice in enumerate(scene.choices):
            if choice.total == 0 < best:
                yield ("scenes", s, "choices", c, "feedback"), choice.feedback


def _kind_rules(module: Module, source: Source) -> Iterator[Problem]:
    quest_blocks = [loc for loc, block in screen_blocks(module) if isinstance(block, QuestBlock)]
    graded = module.kind != "session"
    if graded and module.mastery is None:
        yield source.problem(("kind",), "E-MASTERY", f"a {module.kind} needs a `mastery` percentage")
    if not graded and module.mastery is not None:
        yield source.problem(("mastery",), "E-MASTERY", "a session is not graded; remove `mastery`")
    if graded and not any(True for _ in questions(module)):
        yield source.problem(("screens",), "E-MASTERY", f"a {module.kind} needs at least one question to be graded")
    if module.kind == "quest":
        if len(quest_blocks) != 1:
            yield source.problem(("screens",), "E-QUEST",
                                 f"a quest needs exactly one `kind: quest` block, found {len(quest_blocks)}")
        if module.start is None:
            yield source.problem(("start",), "E-FIELD-MISSING", "missing required field 'start' for a quest")
        if not module.scenes:
            yield source.problem(("scenes",), "E-FIELD-MISSING", "missing required field 'scenes' for a quest")
    else:
        for loc in quest_blocks:
            yield source.problem((*loc, "kind"), "E-QUEST", f"a {module.kind} cannot have a quest block")
        for name in ("start", "scenes", "roles", "meters", "people"):
            if name in source.data:
                yield source.problem((name,), "E-QUEST", f"`{name}` belongs to quests only")


def _image_rules(module: Module, source: Source, course: Course) -> Iterator[Problem]:
    for loc, src in images(module):
        if not (course.folder / src).is_file():
            yield source.problem(loc, "E-IMAGE-MISSING", f"image file {src} not found in lessons/")


# Where gender variants may stand: what the player reads while playing. The LMS's catalogue (title,
# objectives) and the teacher's pages show the other texts to people who picked no role.
GENDERED = ("screens", "scenes")


def _gender_rules(module: Module, source: Source) -> Iterator[Problem]:
    """E-GENDER: malformed `{m|f}` variants, variants without roles, variants outside screens and scenes."""
    for loc, text in _strings(source.data, ()):
        inside = bool(module.roles) and loc[0] in GENDERED
        problem = variant_problem(text, inside)
        if problem and module.roles and not inside:
            problem = f"gender variants belong in screens and scenes, which the player reads; not in `{loc[0]}`"
        if problem:
            yield source.problem(loc, "E-GENDER", problem)


def _strings(data: Any, loc: Loc) -> Iterator[tuple[Loc, str]]:
    if isinstance(data, str):
        yield loc, data
    elif isinstance(data, dict):
        for key, value in data.items():
            yield from _strings(value, (*loc, key))
    elif isinstance(data, list):
        for index, value in enumerate(data):
            yield from _strings(value, (*loc, index))


def _cast_rules(module: Module, source: Source) -> Iterator[Problem]:
    """Roles, meters, people and chats, and the flags that make parts of scenes conditional."""
    yield from _duplicates(source, "roles", [r.id for r in module.roles], ("roles",), "id")
    yield from _duplicates(source, "meters", [m.id for m in module.meters], ("meters",), "id")
    yield from _duplicates(source, "people", [p.id for p in module.people], ("people",), "id")
    genders = {role.gender for role in module.roles}
    if module.roles and (len(module.roles) < 2 or genders != {"m", "f"}):
        yield source.problem(("roles",), "E-ROLES",
                             "give at least two roles, at least one of each gender (m and f), or none")
    meters = {meter.id for meter in module.meters}
    people = {person.id for person in module.people}
    for index, person in enumerate(module.people):
        if person.id == "me":
            yield source.problem(("people", index, "id"), "E-CHAT-FROM",
                                 "`me` is the player; give the person another id")
    flags = {flag for scene in module.scenes for choice in scene.choices for flag in choice.sets}
    for s, scene in enumerate(module.scenes):
        at: Loc = ("scenes", s)
        if scene.chat is None and not scene.blocks:
            yield source.problem((*at, "blocks"), "E-FIELD-MISSING",
                                 f"scene '{scene.id}' needs narrator `blocks` or a `chat`")
        parts: list[tuple[Loc, Any]] = [((*at, "blocks", b), block) for b, block in enumerate(scene.blocks)]
        if scene.chat is not None:
            if scene.chat.with_ not in people:
                yield source.problem((*at, "chat", "with"), "E-CHAT-WITH",
                                     f"no person '{scene.chat.with_}' in this module's `people`")
            for m, message in enumerate(scene.chat.messages):
                parts.append(((*at, "chat", "messages", m), message))
                if message.from_ != "me" and message.from_ not in people:
                    yield source.problem((*at, "chat", "messages", m, "from"), "E-CHAT-FROM",
                                         f"no person '{message.from_}' in this module's `people` (or `me`, the player)")
        for c, choice in enumerate(scene.choices):
            parts.append(((*at, "choices", c), choice))
            for meter in choice.points:
                if meter not in meters:
                    yield source.problem((*at, "choices", c, "points", meter), "E-METER",
                                         f"no meter '{meter}' in this module's `meters`")
        for loc, part in parts:
            for key, flag in (("if", part.if_), ("unless", part.unless)):
                if flag is not None and flag not in flags:
                    yield source.problem((*loc, key), "E-FLAG", f"no choice `sets` the flag '{flag}'")


AUDIO_PATH = re.compile(r"audio/[a-z0-9_-]+\.(mp3|ogg|wav)")
# How each format's files begin: an ID3 tag or an MPEG audio frame header; an Ogg page; a RIFF header (WAVE at 8).
AUDIO_MAGIC = {"mp3": (b"ID3", b"\xff\xfb", b"\xff\xfa", b"\xff\xf3", b"\xff\xf2", b"\xff\xe3"),
               "ogg": (b"OggS",), "wav": (b"RIFF",)}


def _audio_rules(module: Module, source: Source, course: Course) -> Iterator[Problem]:
    """A recording ships inside the package: it must be one of the lessons' own files (never a path or a symlink
    that leads out of lessons/, which would put any file of the author's machine in a package) and really be
    audio a browser plays, told by its first bytes, since a renamed file would fail only on a child's device."""
    root = course.folder.resolve()
    for loc, src in audios(module):
        path = course.folder / src
        if not AUDIO_PATH.fullmatch(src) or not path.resolve().is_relative_to(root):
            yield source.problem(loc, "E-AUDIO-PATH",
                                 f"audio {src} must be a file audio/<name>.mp3, .ogg or .wav inside lessons/")
        elif not path.is_file():
            yield source.problem(loc, "E-AUDIO-MISSING", f"audio file {src} not found in lessons/")
        else:
            with path.open("rb") as file:
                head = file.read(12)
            kind = src.rsplit(".", 1)[1]
            if not head.startswith(AUDIO_MAGIC[kind]) or (kind == "wav" and head[8:12] != b"WAVE"):
                yield source.problem(loc, "E-AUDIO-FORMAT", f"audio file {src} is not {kind.upper()} audio")


def _one_task_per_screen(module: Module, source: Source) -> Iterator[Problem]:
    """Band A: a child of four to eight does one thing at a time, so a screen holds at most one question or
    checklist (the learner-experience brief)."""
    first: dict[int, str] = {}
    for loc, block in screen_blocks(module):
        kind = getattr(block, "kind", "")
        if kind not in ("question", "checklist"):
            continue
        screen = int(loc[1])
        if screen in first:
            yield source.problem((*loc, "kind"), "E-BAND-TASK",
                                 f"a band-A screen holds one task; '{getattr(block, 'id', '')}' follows "
                                 f"'{first[screen]}' on screen '{module.screens[screen].id}': "
                                 "give it a screen of its own")
        else:
            first[screen] = getattr(block, "id", "")


def _quest_rules(module: Module, source: Source) -> Iterator[Problem]:
    by_id = scene_index(module)
    yield from _duplicates(source, "scenes", [s.id for s in module.scenes], ("scenes",), "id")
    objectives = {o.id for o in module.objectives}
    for s, scene in enumerate(module.scenes):
        yield from _duplicates(source, "choices", [c.id for c in scene.choices], ("scenes", s, "choices"), "id")
        if scene.ending and scene.choices:
            yield source.problem(("scenes", s, "choices"), "E-QUEST", f"ending scene '{scene.id}' cannot have choices")
        if not scene.ending and not scene.choices:
            yield source.problem(("scenes", s), "E-QUEST-DEADEND",
                                 f"scene '{scene.id}' has no choices and is not an ending (add `ending: true`)")
        for c, choice in enumerate(scene.choices):
            if choice.next not in by_id:
                yield source.problem(("scenes", s, "choices", c, "next"), "E-QUEST-NEXT", f"no scene '{choice.next}'")
            if choice.objective is not None and choice.objective not in objectives:
                yield source.problem(("scenes", s, "choices", c, "objective"), "E-REF",
                                     f"no objective '{choice.objective}' in this module")
    if module.start is None or not module.scenes:
        return
    if module.start not in by_id:
        yield source.problem(("start",), "E-QUEST-NEXT", f"no scene '{module.start}'")
        return
    yield from _graph_rules(module, source, by_id)


def _graph_rules(module: Module, source: Source, by_id: dict[str, tuple[int, Scene]]) -> Iterator[Problem]:
    states = quest_states(module)
    reachable = {scene_id for scene_id, _ in states}
    ends = {s.id for s in module.scenes if s.ending}
    if not ends:
        yield source.problem(("scenes",), "E-QUEST-NOEND", "the quest has no ending scene (`ending: true`)")
        return
    leads_to_end = _leads_to(ends, module.scenes)
    for index, scene in enumerate(module.scenes):
        if scene.id not in reachable:
            yield source.problem(("scenes", index, "id"), "E-QUEST-UNREACHABLE",
                                 f"scene '{scene.id}' cannot be reached from start '{module.start}'")
        elif scene.id not in leads_to_end and scene.choices:
            yield source.problem(("scenes", index, "id"), "E-QUEST-NOEND",
                                 f"scene '{scene.id}' has no way to an ending")
    cycle = _find_cycle(module.start or "", by_id)
    if cycle:
        yield source.problem(("scenes", by_id[cycle[0]][0], "id"), "E-QUEST-CYCLE",
                             f"scenes form a loop: {' → '.join(cycle)}; quests must move forward")
    else:
        yield from _every_path_goes_on(module, source, by_id)
        yield from _telling_never_costs(module, source, by_id)


def _every_path_goes_on(module: Module, source: Source, by_id: dict[str, tuple[int, Scene]]) -> Iterator[Problem]:
    """A scene whose choices are all conditional must offer one on every path that reaches it."""
    for scene_id, flags in quest_states(module):
        index, scene = by_id[scene_id]
        if scene.choices and not offered(scene, flags):
            which = ", ".join(sorted(flags)) or "no flag"
            yield source.problem(("scenes", index, "choices"), "E-QUEST-DEADEND",
                                 f"scene '{scene_id}' offers no choice on a path that has set {which}")


def _telling_never_costs(module: Module, source: Source, by_id: dict[str, tuple[int, Scene]]) -> Iterator[Problem]:
    """Program rule: at every decision, telling an adult earns as much as any other choice could (points
    summed over the meters, on every path: conditional choices count only where they are offered)."""
    ahead = points_ahead(module)
    reported: set[tuple[int, int]] = set()
    for scene_id, flags in ahead:
        s, scene = by_id[scene_id]
        totals = {c: choice.total + ahead[(choice.next, flags | set(choice.sets))]
                  for c, choice in offered(scene, flags) if choice.next in by_id}
        if not totals:
            continue
        best = max(totals, key=lambda c: totals[c])
        for c, total in totals.items():
            if scene.choices[c].tells_adult and total < totals[best] and (s, c) not in reported:
                reported.add((s, c))
                yield source.problem(
                    ("scenes", s, "choices", c, "points"), "E-QUEST-TELL",
                    f"telling an adult must never cost points: '{scene.choices[c].id}' can earn {total} from here, "
                    f"'{scene.choices[best].id}' {totals[best]}")


def _leads_to(ends: set[str], scenes: list[Scene]) -> set[str]:
    good = set(ends)
    changed = True
    while changed:
        changed = False
        for scene in scenes:
            if scene.id not in good and any(c.next in good for c in scene.choices):
                good.add(scene.id)
                changed = True
    return good


def _find_cycle(start: str, by_id: dict[str, tuple[int, Scene]]) -> list[str]:
    """Depth-first search with colours from the start, then from every scene not yet seen, so that a loop
    among unreachable scenes is found too; returns the first loop, closed on itself."""
    colour: dict[str, int] = {}
    path: list[str] = []

    def visit(scene_id: str) -> list[str]:
        colour[scene_id] = 1
        path.append(scene_id)
        for choice in by_id[scene_id][1].choices:
            if choice.next not in by_id:
                continue
            if colour.get(choice.next) == 1:
                return [*path[path.index(choice.next):], choice.next]
            if choice.next not in colour and (found := visit(choice.next)):
                return found
        colour[scene_id] = 2
        path.pop()
        return []

    for scene_id in [start, *by_id]:
        if scene_id not in colour and (found := visit(scene_id)):
            return found
    return []
