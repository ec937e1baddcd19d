"""What the browser tests share: the modules under test, a learner that answers from the course model,
the two SCORM versions as the tests see them, a loopback web server with a scorm-again player page for
each, and the checks every launch must pass.

Nothing here knows a particular lesson: answers come from the model (right ones from `correct`, wrong
ones by picking options that are not), so the suite covers whatever modules lessons/ holds. Nothing here
trusts the packages either: launch data comes from each package's own imsmanifest.xml, read as an LMS
reads it, and the formats are checked against the standards (standards.md §1, §2) and Moodle's stricter
rules, not against scorm-again's more lenient ones.
"""

from __future__ import annotations

import functools
import itertools
import json
import re
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, ClassVar

from lxml import etree
from playwright.sync_api import Frame, Page

from exporter.loader import Course, load_course
from exporter.model import (
    ChoiceQuestion,
    MatchingQuestion,
    Module,
    OrderingQuestion,
    QuestBlock,
    Scene,
    TrueFalseQuestion,
)
from exporter.render import initial_order
from exporter.scoring import LETTERS, AnyQuestion, correct_answer, offered, questions, score_state

# The browser the contact sheets use (`stopsexting screens`) is the one the tests drive; re-exported for them.
from exporter.screens import CHROMIUM as CHROMIUM
from exporter.screens import CHROMIUM_ARGS as CHROMIUM_ARGS
from exporter.state import worst_case_size

ROOT = Path(__file__).resolve().parents[2]
LESSONS = ROOT / "lessons"
FIXTURE_COURSE = ROOT / "tests" / "fixtures" / "course"
NODE_MODULES = ROOT / "node_modules"
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa", "best-practice"]
AXE_RUN = """async (tags) => {
  const result = await axe.run(document, {runOnly: {type: 'tag', values: tags}, resultTypes: ['violations']});
  return result.violations.filter(v => v.impact === 'serious' || v.impact === 'critical')
    .map(v => v.id + ' (' + v.impact + '): ' + v.help + ' at ' + v.nodes.map(n => n.target.join(' ')).join(', '));
}"""


@dataclass(frozen=True)
class Sco:
    """One module under test: where its course came from and where its unzipped package is served."""

    key: str
    course: Course
    module: Module

    def folder(self, standard: Standard) -> str:
        """Where this module's own package of `standard` is served, unzipped, from the site's root."""
        return f"{standard.folder}/{self.key}/{self.module.id}"

    @property
    def path(self) -> str:
        """The module's page in its SCORM 1.2 package: what the tests that need no LMS open on its own."""
        return f"/{self.folder(SCORM12)}/index.html"


def session_module(fixture: Course) -> Module:
    """An ungraded guided session made from the fixture lesson, for the `completed` path: read aloud, a
    picture option, and the adult's checklist that completion waits for."""
    lesson = next(m for m in fixture.modules if m.kind == "lesson")
    data = lesson.model_dump(mode="python", exclude_none=True)
    data.update(id="session_demo", kind="session", title="Тестове заняття з дорослим", read_aloud=True)
    data.pop("mastery", None)
    data["screens"][1]["blocks"][0]["options"][0]["image"] = "images/shield.svg"
    data["screens"].append({"id": "adult", "title": "Для дорослого", "blocks": [{
        "kind": "checklist", "id": "adult_check", "prompt": "Що дитина зробила?",
        "items": [{"id": "helpers", "text": "Назвала двох дорослих-помічників"},
                  {"id": "rule", "text": "Сказала правило своїми словами"}]}]})
    return Module.model_validate(data)


def courses() -> dict[str, Course]:
    """The real program (when lessons/ has one), the small fixture course, and an ungraded variant."""
    found: dict[str, Course] = {}
    if (LESSONS / "program.yaml").is_file():
        found["lessons"] = load_course(LESSONS)
    fixture = load_course(FIXTURE_COURSE)
    found["fixture"] = fixture
    found["session"] = Course(fixture.folder, fixture.program, (session_module(fixture),), fixture.program_source,
                              fixture.sources)
    return found


# ---- expected results from the model ------------------------------------------------------------------

def screen_blocks(module: Module, index: int) -> list[Any]:
    return list(module.screens[index].blocks)


def has_quest(module: Module, index: int) -> bool:
    return any(isinstance(b, QuestBlock) for b in module.screens[index].blocks)


def answer_for(question: AnyQuestion, right: bool) -> str:
    """The saved answer the learner gives: the right one, or a wrong one built from non-correct options."""
    correct = correct_answer(question)
    if right:
        return correct
    if isinstance(question, ChoiceQuestion):
        wrong = [LETTERS[i] for i, o in enumerate(question.options) if not o.correct]
        if question.type == "single" or wrong:
            return wrong[0]
        return correct[0]  # every option is right: choosing only one is wrong
    if isinstance(question, TrueFalseQuestion):
        return "f" if question.answer else "t"
    if isinstance(question, OrderingQuestion):
        return "".join(LETTERS[i] for i in initial_order(question))  # never the right order
    assert isinstance(question, MatchingQuestion)
    first = (LETTERS.index(correct[0]) + 1) % len(question.targets)
    return LETTERS[first] + correct[1:]


def accepted_answers(question: AnyQuestion) -> Iterator[str]:
    """Every answer the page lets a learner check, in a fixed order."""
    if isinstance(question, ChoiceQuestion):
        letters = LETTERS[: len(question.options)]
        sizes = range(1, len(letters) + 1) if question.type == "multiple" else (1,)
        yield from ("".join(chosen) for size in sizes for chosen in itertools.combinations(letters, size))
    elif isinstance(question, OrderingQuestion):
        yield from ("".join(order) for order in itertools.permutations(LETTERS[: len(question.items)]))
    elif isinstance(question, MatchingQuestion):
        targets = LETTERS[: len(question.targets)]
        yield from ("".join(picks) for picks in itertools.product(targets, repeat=len(question.pairs)))
    else:
        yield from "tf"


def tries(question: AnyQuestion, right: bool) -> list[str]:
    """The answers a learner checks, in order: the right one at once; or a wrong one and, where a hint offers
    a second try, another wrong one."""
    first = answer_for(question, right)
    if right or question.hint is None:
        return [first]
    second = next((a for a in accepted_answers(question) if a not in (first, correct_answer(question))), None)
    assert second is not None, f"{question.id}: a hint on a question with a single wrong answer gives it away"
    return [first, second]


def played_state(module: Module, right: bool) -> dict[str, dict[str, str]]:
    """The answers (`a`) and first wrong tries (`w`) of the saved state after answering every question right
    or wrong (templates/runtime/README.md)."""
    played = {q.id: tries(q, right) for _, q in questions(module)}
    return {"a": {q_id: answers[-1] for q_id, answers in played.items()},
            "w": {q_id: answers[0] for q_id, answers in played.items() if len(answers) == 2}}


def expected_status(module: Module, state: dict[str, dict[str, str]]) -> tuple[str, int | None]:
    """(lesson_status, score.raw) of a module whose every question is answered as `state` says, by the
    model's scoring (exporter.scoring.score_state)."""
    score = score_state(module, state)
    if module.mastery is None:
        return "completed", score.raw
    assert score.raw is not None
    return ("passed" if score.raw >= module.mastery and score.critical else "failed"), score.raw


def quest_path(module: Module, best: bool, steps: int | None = None) -> list[tuple[str, str, int]]:
    """(scene id, choice letter, points over every meter) along the path that takes, of the choices each scene
    offers on it, the most (or fewest) points each step."""
    scenes = {s.id: s for s in module.scenes}
    letters = ""
    scene, flags = scenes[module.start or ""], frozenset[str]()
    while not scene.ending and (steps is None or len(letters) < steps):
        choices = offered(scene, flags)
        pick = (max if best else min)(c.total for _, c in choices)
        index, choice = next((i, c) for i, c in choices if c.total == pick)
        letters += LETTERS[index]
        scene, flags = scenes[choice.next], flags | set(choice.sets)
    return path_steps(module, letters)


def path_steps(module: Module, letters: str) -> list[tuple[str, str, int]]:
    """(scene id, choice letter, points over every meter) of each decision of a saved quest path."""
    scenes = {s.id: s for s in module.scenes}
    scene, steps = scenes[module.start or ""], []
    for letter in letters:
        choice = scene.choices[LETTERS.index(letter)]
        steps.append((scene.id, letter, choice.total))
        scene = scenes[choice.next]
    return steps


def scene_after(module: Module, taken: str) -> Scene:
    """The scene a saved quest path (choice letters from the start) leads to."""
    scenes = {s.id: s for s in module.scenes}
    scene = scenes[module.start or ""]
    for letter in taken:
        scene = scenes[scene.choices[LETTERS.index(letter)].next]
    return scene


def contract_max(module: Module) -> int:
    """templates/runtime/README.md: maxScore = the questions' weights; a quest's path earns no grade."""
    return sum(q.weight for _, q in questions(module))


def expected_result(module: Module, right: bool) -> tuple[str, int | None]:
    """(lesson_status, score.raw) after answering every question right (or wrong on every try) and the best
    or worst path."""
    return expected_status(module, played_state(module, right))


def young_steps(question: AnyQuestion, answer: str, pressed: str = "") -> list[tuple[str, str | None]]:
    """How a learner of bands A and B gives `answer` (saved letters): the cards to press in the question's box,
    each with the tap-to-place box it then goes into (None for picture cards, which are only pressed). A
    multiple choice's cards toggle: those to press are the ones whose state differs from `pressed`, the cards
    a try before left pressed."""
    if isinstance(question, OrderingQuestion):
        return [(f".place-item[data-v='{letter}'] .place-card", f".place-slot[data-box='{LETTERS[place]}'] .place-box")
                for place, letter in enumerate(answer)]
    if isinstance(question, MatchingQuestion):
        return [(f".place-item[data-v='{LETTERS[pair]}'] .place-card", f".place-slot[data-box='{letter}'] .place-box")
                for pair, letter in enumerate(answer)]
    if isinstance(question, ChoiceQuestion) and question.type == "multiple":
        return [(f".card[data-v='{letter}']", None) for letter in LETTERS[: len(question.options)]
                if (letter in answer) != (letter in pressed)]
    return [(f".card[data-v='{letter}']", None) for letter in answer]


def pressed_cards(frame: Frame, question: AnyQuestion) -> str:
    """The letters of a question's picture cards that are pressed now."""
    letters: str = frame.locator(f"#q-{question.id} .card[aria-pressed='true']").evaluate_all(
        "cards => cards.map(c => c.dataset.v).join('')")
    return letters


# ---- the learner ----------------------------------------------------------------------------------

class Learner:
    """Drives one module page (a frame) the way a child would: clicks, selects, buttons. In bands A and B `how`
    says how the cards are moved: "tap" (pointer clicks), "drag" (tap-to-place cards dragged into their boxes)
    or "keys" (the keyboard alone: Tab and Shift+Tab to each control, Enter or Space on it)."""

    NOTE = 'Скажу: «Ні, дякую» і "стоп".\nПотім розповім мамі.'

    def __init__(self, frame: Frame, module: Module, how: str = "tap") -> None:
        self.frame = frame
        self.module = module
        self.how = how

    @classmethod
    def saved_note(cls, limit: int) -> str:
        """What the runtime keeps of NOTE: line breaks become spaces, at most `limit` characters."""
        return re.sub(r"[\r\n\t]+", " ", cls.NOTE)[:limit]

    def state(self) -> dict[str, Any]:
        result: dict[str, Any] = self.frame.evaluate("StopRuntime.state()")
        return result

    def screen(self) -> int:
        return int(self.frame.locator("section.screen:not([hidden])").get_attribute("data-screen") or -1)

    def wait_ready(self) -> None:
        self.frame.wait_for_function("window.StopRuntime !== undefined")

    def answer(self, question: AnyQuestion, right: bool) -> str:
        """Answer right, or wrong on every try the question gives; returns the final answer."""
        answers = tries(question, right)
        for answer in answers:
            self.check(question, answer)
        return answers[-1]

    def check(self, question: AnyQuestion, answer: str) -> None:
        """Put `answer` into the question with the learner's way of input (`how`: tap, drag or keys; cards and
        tap-to-place in bands A and B), over whatever a try before left, and check it."""
        box = self.frame.locator(f"#q-{question.id}")
        if self.module.age_band != "C":
            for card, place in young_steps(question, answer, pressed_cards(self.frame, question)):
                if self.how == "keys":
                    self.key(f"#q-{question.id} {card}", "Space")
                    if place:
                        self.key(f"#q-{question.id} {place}", "Enter")
                elif self.how == "drag" and place:
                    box.locator(card).drag_to(box.locator(place))
                else:
                    box.locator(card).click()
                    if place:
                        box.locator(place).click()
            if self.how == "keys":
                self.key(f"#q-{question.id} button.check", "Enter")
                return
        elif isinstance(question, OrderingQuestion):
            for place, letter in enumerate(answer):
                item = box.locator(f"li[data-v='{letter}']")
                while True:
                    order = box.locator("li").evaluate_all("items => items.map(i => i.dataset.v).join('')")
                    if order.index(letter) <= place:
                        break
                    item.locator("button[data-move='-1']").click()
        elif isinstance(question, MatchingQuestion):
            for index, letter in enumerate(answer):
                box.locator(f".pair[data-v='{LETTERS[index]}'] select").select_option(letter)
        elif question.type == "multiple":
            for option in box.locator(".opt").all():
                option.locator("input").set_checked(option.get_attribute("data-v") in answer)
        else:
            box.locator(f".opt[data-v='{answer}'] input").check()
        box.locator("button.check").click()

    def key(self, wanted: str, key: str) -> None:
        """Tab (or Shift+Tab, when `wanted` comes earlier in the page) until the focus is on `wanted`, then press
        `key` there."""
        keyboard = self.frame.page.keyboard
        for _ in range(120):
            if self.frame.evaluate("s => document.activeElement.matches(s)", wanted):
                keyboard.press(key)
                return
            back = self.frame.evaluate("""s => { const at = document.activeElement;
              return at !== document.body && !!(document.querySelector(s).compareDocumentPosition(at) & 4); }""",
                                       wanted)
            keyboard.press("Shift+Tab" if back else "Tab")
        raise AssertionError(f"the keyboard never reached {wanted}")

    def play_quest(self, best: bool, steps: int | None = None) -> list[tuple[str, str, int]]:
        """Take the best (or worst) choice at each scene, from wherever the saved path has got to."""
        path = quest_path(self.module, best, steps)
        self.play_path(path)
        return path

    def play_path(self, path: list[tuple[str, str, int]], role: str = "a") -> None:
        """Pick the role (where the quest has roles and none is picked), then take the path's choices from
        wherever the saved path has got to, each reply button once the chat has shown it."""
        if self.module.roles and not self.state()["g"]:
            self.frame.locator(f"button.role[data-v='{role}']").click()
        taken = self.state()["p"]
        if scene_after(self.module, taken).ending:
            return
        assert taken == "".join(letter for _, letter, _ in path[: len(taken)]), "resumed on another path"
        for scene_id, letter, _ in path[len(taken):]:
            scene = self.frame.locator(f"#sc-{scene_id}")
            scene.locator(f"button.choice[data-v='{letter}']").click()
            scene.locator("button.go").click()

    def complete_screen(self, index: int, right: bool) -> None:
        for block in screen_blocks(self.module, index):
            if getattr(block, "kind", "") == "reflection":
                area = self.frame.locator(f"#r-{block.id}")
                if not area.input_value():
                    area.fill(self.NOTE)
                    area.blur()
            elif isinstance(block, QuestBlock):
                self.play_quest(right)
            elif getattr(block, "kind", "") == "question" and block.id not in self.state()["a"]:
                self.answer(block, right)
            elif getattr(block, "kind", "") == "checklist" and block.id not in self.state()["k"]:
                checklist = self.frame.locator(f"#k-{block.id}")
                checklist.locator("input, .card").first.click()
                checklist.locator("button.save-checklist").click()

    def next(self) -> None:
        before = self.screen()
        if self.how == "keys":
            self.key("#next", "Enter")
        else:
            self.frame.locator("#next").click()
        self.frame.locator(f"section.screen[data-screen='{before + 1}']").wait_for(state="visible")

    def run_to_end(self, right: bool) -> None:
        """From the current screen: complete each screen, then go on, up to and including the last."""
        last = len(self.module.screens) - 1
        while True:
            index = self.screen()
            self.complete_screen(index, right)
            if index == last:
                return
            self.next()


def expected_interactions(module: Module, right: bool, wrong: str) -> list[tuple[str, str, str]]:
    """(id, type, result) of the interactions a full run records, in order: questions and quest decisions.
    `wrong` is the standard's word for a wrong answer; a quest decision is neutral, never right or wrong."""
    rows: list[tuple[str, str, str]] = []
    for screen in module.screens:
        for block in screen.blocks:
            if isinstance(block, QuestBlock):
                rows += [(scene, "choice", "neutral") for scene, _, _ in quest_path(module, right)]
            elif block.kind == "question":  # one interaction per try
                row = (block.id, INTERACTION_TYPE[block.type], "correct" if right else wrong)
                rows += [row] * len(tries(block, right))
    return rows


def same_interactions(rows: list[tuple[str, str, str]], found: dict[int, dict[str, str]]) -> None:
    got = [(i["id"], i["type"], i["result"]) for _, i in sorted(found.items())]
    assert got == rows
    for n, i in found.items():  # a neutral interaction (a quest decision) has no right answer to record
        assert ("correct_responses.0.pattern" in i) == (i["result"] != "neutral"), (n, i)


def midway(module: Module) -> int:
    """The screen to leave on: the middle one with questions or the quest, else one before the last."""
    last = len(module.screens) - 1
    graded = [i for i, s in enumerate(module.screens)
              if has_quest(module, i) or any(b.kind == "question" for b in s.blocks)]
    if module.mastery is None:
        graded = [i for i in graded if i < last]
    return graded[(len(graded) - 1) // 2] if graded else max(0, last - 1)  # never the last: work stays open


def stop_midway(learner: Learner) -> int:
    """Answer right up to the midway screen, then part of it (at least one question or scene stays open)."""
    module = learner.module
    stop = midway(module)
    while learner.screen() < stop:
        learner.complete_screen(learner.screen(), right=True)
        learner.next()
    asked = [b for b in module.screens[stop].blocks if b.kind == "question"]
    for block in asked[: max(1, len(asked) // 2)] if len(asked) > 1 else asked[:1]:
        learner.answer(block, right=True)
    if has_quest(module, stop):
        learner.play_quest(best=True, steps=max(1, len(quest_path(module, True)) // 2))
    return stop


def snapshot(frame: Frame) -> dict[str, Any]:
    """What the learner sees of their answers: checked inputs, orders, selects, visible feedback, scene, notes."""
    seen: dict[str, Any] = frame.evaluate("""() => ({
      screen: document.querySelector('section.screen:not([hidden])').dataset.screen,
      checked: [...document.querySelectorAll('input:checked')].map(i => i.name + '=' + i.value),
      pressed: [...document.querySelectorAll('.q [aria-pressed="true"]')]
        .map(b => b.closest('.q').id + '=' + b.dataset.v),
      placed: [...document.querySelectorAll('.place-slot')]
        .map(s => [...s.querySelectorAll('.opt')].map(o => o.dataset.v).join('')),
      orders: [...document.querySelectorAll('.order')].map(o => [...o.children].map(li => li.dataset.v).join('')),
      selects: [...document.querySelectorAll('select')].map(s => s.value),
      feedback: [...document.querySelectorAll('.q .fb:not([hidden])')].length,
      locked: [...document.querySelectorAll('.q :is(input, select, .card, .place-card):disabled')].length,
      scene: [...document.querySelectorAll('.scene:not([hidden])')].map(s => s.dataset.scene),
      notes: [...document.querySelectorAll('textarea')].map(t => t.value),
    })""")
    return seen


def to_resume(frame: Frame) -> dict[str, Any]:
    """The snapshot a relaunch must show: the same, with private notes as the runtime keeps them."""
    seen = snapshot(frame)
    seen["notes"] = [re.sub(r"[\r\n\t]+", " ", note) for note in seen["notes"]]
    return seen


# ---- the two SCORM versions ---------------------------------------------------------------------

Call = dict[str, Any]  # one API call as the player logged it: name (a role below), args, result, error, evaluated
Cmi = dict[str, str]  # flattened CMI data: {"cmi.core.lesson_status": "passed", …}

INTERACTION_TYPE = {"single": "choice", "multiple": "choice", "true-false": "true-false", "ordering": "sequencing",
                    "matching": "matching"}
STATE_KEYS = ["v", "n", "s", "m", "a", "w", "p", "k", "g"]
RE_INTERACTION = re.compile(r"^cmi\.interactions\.(\d+)\.(.+)$")
RE_SCORE = re.compile(r"^(\d|[1-9]\d|100)$")  # our scores: whole numbers 0–100


@dataclass(frozen=True)
class Item:
    """One SCO of a manifest, as an LMS launches it: its page, and the launch data its item gives."""

    href: str
    data: Cmi


# SCORM 1.2 formats (standards.md §1.5), with Moodle's scorm_12.js where it is stricter than scorm-again.
RE12_TIMESPAN = re.compile(r"^([0-9]{2,4}):([0-9]{2}):([0-9]{2})(\.[0-9]{1,2})?$")
RE12_TIME = re.compile(r"^(?:[01]\d|2[0123]):(?:[012345]\d):(?:[012345]\d)(\.\d{1,2})?$")
RE12_ID = re.compile(r"^[A-Za-z0-9_-]{1,255}$")
RE12_RESPONSE = {
    "choice": re.compile(r"^[0-9a-z](,[0-9a-z])*$"),
    "true-false": re.compile(r"^[01tf]$"),
    "sequencing": re.compile(r"^[0-9a-z](,[0-9a-z])*$"),
    "matching": re.compile(r"^[0-9a-z]\.[0-9a-z](,[0-9a-z]\.[0-9a-z])*$"),
}

# SCORM 2004 4th Edition formats (standards.md §2.3–2.4), with Moodle's scorm_13.js where it is stricter than
# scorm-again: ADL's timespan, CMITime with 1–2 fraction digits (scorm-again accepts more), response ids [\w.].
RE04_TIMESPAN = re.compile(r"^P(?:([0-9]+Y)?([0-9]+M)?([0-9]+D)?)?"
                           r"(?:T([0-9]+H)?([0-9]+M)?([0-9]+(?:\.[0-9]{1,2})?S)?)?$")
RE04_TIME = re.compile(r"^(19[7-9]\d|20[0-2]\d|203[0-8])(-(0[1-9]|1[0-2])(-(0[1-9]|[12]\d|3[01])(T([01]\d|2[0-3])"
                       r"(:[0-5]\d(:[0-5]\d(\.\d{1,2}(Z|[+-]([01]\d|2[0-3])(:?[0-5]\d)?)?)?)?)?)?)?)?$")
RE04_LONG_ID = re.compile(r"^[A-Za-z0-9_.:-]{1,4000}$")
_ID = r"[A-Za-z0-9_.]{1,250}"
RE04_RESPONSE = {
    "choice": re.compile(rf"^{_ID}(\[,\]{_ID})*$"),
    "true-false": re.compile(r"^(true|false)$"),
    "sequencing": re.compile(rf"^{_ID}(\[,\]{_ID})*$"),
    "matching": re.compile(rf"^{_ID}\[\.\]{_ID}(\[,\]{_ID}\[\.\]{_ID})*$"),
}
RE04_PROGRESS = re.compile(r"^(0(\.\d{1,7})?|1(\.0{1,7})?)$")
RE04_DECIMAL = re.compile(r"^-?\d{1,5}(\.\d{1,18})?$")  # Moodle's CMIDecimal: at most 5 integer digits
ADLCP12 = "http://www.adlnet.org/xsd/adlcp_rootv1p2"
ADLCP04 = "http://www.adlnet.org/xsd/adlcp_v1p3"
IMSSS = "http://www.imsglobal.org/xsd/imsss"


@dataclass(frozen=True)
class Standard:
    """One SCORM version as the tests see it: where its packages are served, scorm-again's API for it,
    what an LMS reads from the manifest and gives a relaunch, and the formats every call must keep."""

    name: str  # the package format and the runtime adapter
    folder: str  # where its one-module packages are served, unzipped
    api_class: str  # scorm-again's class, in dist/<name>.js
    api_global: str  # where a SCO looks for it
    methods: dict[str, str]  # role (initialize, terminate, get, set, commit, error) → this version's method
    settings: dict[str, Any]  # scorm-again's: no network, no autocommit, no status the SCO did not set
    imscp: str  # the manifest's content-packaging namespace
    learner: Cmi  # what every launch gets: who the learner is, mode and credit, a first entry
    entry: str  # the element telling a relaunch to resume
    kept: tuple[str, ...]  # what the LMS gives back on relaunch after a suspend (prefixes)
    exit: str  # the element saying how the SCO left: suspended or done
    responses: tuple[str, ...]  # interaction fields that depend on its type (set after it)
    wrong: str  # an interaction's result for a wrong answer
    evaluated: tuple[str, ...] = ()  # elements the LMS computes itself on GetValue

    @property
    def program(self) -> str:
        """The whole-program package format, served unzipped under this name."""
        return f"{self.name}-program"

    def item_data(self, item: etree._Element) -> Cmi:
        """What the LMS hands the SCO of this manifest item."""
        raise NotImplementedError

    def final(self, status: str, raw: int | None) -> Cmi:
        """What the LMS must hold after a run whose runtime status is `status` with score `raw`."""
        raise NotImplementedError

    def check_formats(self, calls: list[Call], found: dict[int, dict[str, str]]) -> None:
        """This version's value formats, for every value the SCO set."""
        raise NotImplementedError

    def resume(self, cmi: Cmi) -> Cmi:
        """The launch data of a relaunch after a suspend: what the LMS kept of `cmi`, and entry = resume."""
        kept = {k: v for k, v in cmi.items() if k.startswith(self.kept) and not k.endswith("._count")}
        return {self.entry: "resume", **kept}


class Scorm12(Standard):
    def item_data(self, item: etree._Element) -> Cmi:
        mastery = item.findtext(f"{{{ADLCP12}}}masteryscore")
        return {"cmi.student_data.mastery_score": mastery} if mastery else {}

    def final(self, status: str, raw: int | None) -> Cmi:
        expected = {"cmi.core.lesson_status": status}
        if raw is not None and status != "incomplete":
            expected.update({"cmi.core.score.raw": str(raw), "cmi.core.score.min": "0", "cmi.core.score.max": "100"})
        return expected

    def check_formats(self, calls: list[Call], found: dict[int, dict[str, str]]) -> None:
        for value in set_values(calls, "cmi.core.session_time"):
            assert RE12_TIMESPAN.match(value), value
        for value in set_values(calls, "cmi.core.score.raw"):
            assert RE_SCORE.match(value), value
        assert set(set_values(calls, "cmi.core.lesson_status")) <= {"incomplete", "passed", "failed", "completed"}
        assert len(set_values(calls, self.exit)) == 1 and set(set_values(calls, self.exit)) <= {"", "suspend"}
        for n, i in found.items():
            assert RE12_ID.match(i["id"]), (n, i)
            assert i["type"] in RE12_RESPONSE, (n, i)
            assert RE12_RESPONSE[i["type"]].match(i["student_response"]), (n, i)
            assert RE12_RESPONSE[i["type"]].match(i.get("correct_responses.0.pattern", "a")), (n, i)
            assert i["result"] in ("correct", "wrong", "neutral"), (n, i)
            assert RE12_TIME.match(i["time"]), (n, i)
            assert RE12_TIMESPAN.match(i["latency"]), (n, i)
            assert -100 <= float(i["weighting"]) <= 100, (n, i)
            if "objectives.0.id" in i:
                assert RE12_ID.match(i["objectives.0.id"]), (n, i)


class Scorm2004(Standard):
    # the runtime's status → (cmi.completion_status, cmi.success_status)
    STATUS: ClassVar[dict[str, tuple[str, str]]] = {
        "incomplete": ("incomplete", "unknown"), "completed": ("completed", "unknown"),
        "passed": ("completed", "passed"), "failed": ("completed", "failed")}

    def item_data(self, item: etree._Element) -> Cmi:
        """RTE 4.2: `completion_threshold` is the item's minProgressMeasure when completion is by measure,
        `scaled_passing_score` its primary objective's minNormalizedMeasure when satisfied by measure."""
        data: Cmi = {}
        threshold = item.find(f"{{{ADLCP04}}}completionThreshold")
        if threshold is not None and threshold.get("completedByMeasure") == "true":
            data["cmi.completion_threshold"] = threshold.get("minProgressMeasure", "1.0")
        objective = item.find(f"{{{IMSSS}}}sequencing/{{{IMSSS}}}objectives/{{{IMSSS}}}primaryObjective")
        if objective is not None and objective.get("satisfiedByMeasure") == "true":
            data["cmi.scaled_passing_score"] = objective.findtext(f"{{{IMSSS}}}minNormalizedMeasure") or "1.0"
        return data

    def final(self, status: str, raw: int | None) -> Cmi:
        completion, success = self.STATUS[status]
        expected = {"cmi.completion_status": completion, "cmi.success_status": success}
        if status != "incomplete":
            expected["cmi.progress_measure"] = "1"
            if raw is not None:
                expected.update({"cmi.score.raw": str(raw), "cmi.score.min": "0", "cmi.score.max": "100",
                                 "cmi.score.scaled": f"{raw / 100:g}"})
        return expected

    def check_formats(self, calls: list[Call], found: dict[int, dict[str, str]]) -> None:
        (session_time,) = set_values(calls, "cmi.session_time")
        assert RE04_TIMESPAN.match(session_time) and session_time[-1] not in "PT", session_time
        assert len(set_values(calls, self.exit)) == 1 and set(set_values(calls, self.exit)) <= {"suspend", "normal"}
        assert set(set_values(calls, "cmi.completion_status")) <= {"incomplete", "completed"}
        assert set(set_values(calls, "cmi.success_status")) <= {"unknown", "passed", "failed"}
        for value in set_values(calls, "cmi.progress_measure"):
            assert RE04_PROGRESS.match(value), value
        raws = set_values(calls, "cmi.score.raw")
        assert all(RE_SCORE.match(raw) for raw in raws), raws
        assert set_values(calls, "cmi.score.min") == ["0"] * len(raws)
        assert set_values(calls, "cmi.score.max") == ["100"] * len(raws)
        assert [float(s) for s in set_values(calls, "cmi.score.scaled")] == [int(r) / 100 for r in raws]
        self.check_evaluation(calls)
        for n, i in found.items():
            assert RE04_LONG_ID.match(i["id"]), (n, i)
            assert i["type"] in RE04_RESPONSE, (n, i)
            assert RE04_RESPONSE[i["type"]].match(i["learner_response"]), (n, i)
            assert RE04_RESPONSE[i["type"]].match(i.get("correct_responses.0.pattern", "a")), (n, i)
            assert i["result"] in ("correct", "incorrect", "neutral"), (n, i)
            assert RE04_TIME.match(i["timestamp"]), (n, i)
            assert RE04_TIMESPAN.match(i["latency"]) and i["latency"][-1] not in "PT", (n, i)
            assert RE04_DECIMAL.match(i["weighting"]), (n, i)
            if "objectives.0.id" in i:
                assert RE04_LONG_ID.match(i["objectives.0.id"]), (n, i)

    def check_evaluation(self, calls: list[Call]) -> None:
        """At every Commit and at Terminate, what the LMS computes from the manifest's thresholds (completion
        from progress_measure ≥ completion_threshold, success from score.scaled ≥ scaled_passing_score, when
        given) must be what the SCO itself reported."""
        reported: Cmi = {}
        for call in calls:
            if call["name"] == "set" and call["args"][0] in self.evaluated:
                reported[call["args"][0]] = call["args"][1]
            elif call["name"] in ("commit", "terminate"):
                assert call["evaluated"] == reported, (call, reported)


SCORM12 = Scorm12(
    name="scorm12", folder="pkg", api_class="Scorm12API", api_global="API",
    methods={"initialize": "LMSInitialize", "terminate": "LMSFinish", "get": "LMSGetValue", "set": "LMSSetValue",
             "commit": "LMSCommit", "error": "LMSGetLastError"},
    settings={"lmsCommitUrl": False, "logLevel": 5, "autocommit": False, "mastery_override": False},
    imscp="http://www.imsproject.org/xsd/imscp_rootv1p1p2",
    learner={"cmi.core.student_id": "u1", "cmi.core.student_name": "Учень, Тест", "cmi.core.lesson_mode": "normal",
             "cmi.core.credit": "credit", "cmi.core.entry": "ab-initio"},
    entry="cmi.core.entry",
    kept=("cmi.suspend_data", "cmi.core.lesson_location", "cmi.core.lesson_status", "cmi.interactions."),
    exit="cmi.core.exit", responses=("correct_responses.0.pattern", "student_response"), wrong="wrong")
SCORM2004 = Scorm2004(
    name="scorm2004", folder="pkg2004", api_class="Scorm2004API", api_global="API_1484_11",
    methods={"initialize": "Initialize", "terminate": "Terminate", "get": "GetValue", "set": "SetValue",
             "commit": "Commit", "error": "GetLastError"},
    settings={"lmsCommitUrl": False, "logLevel": 5, "autocommit": False},
    imscp="http://www.imsglobal.org/xsd/imscp_v1p1",
    learner={"cmi.learner_id": "u1", "cmi.learner_name": "Учень, Тест", "cmi.mode": "normal", "cmi.credit": "credit",
             "cmi.entry": "ab-initio"},
    entry="cmi.entry",
    kept=("cmi.suspend_data", "cmi.location", "cmi.completion_status", "cmi.success_status", "cmi.progress_measure",
          "cmi.score.", "cmi.interactions."),
    exit="cmi.exit", responses=("correct_responses.0.pattern", "learner_response"), wrong="incorrect",
    evaluated=("cmi.completion_status", "cmi.success_status"))
STANDARDS = (SCORM12, SCORM2004)


def manifest_items(standard: Standard, manifest: Path) -> list[Item]:
    """The SCOs of a package in the order an LMS plays them: its default organization's items."""
    ns = {"cp": standard.imscp}
    root = etree.parse(str(manifest)).getroot()
    organizations = root.find("cp:organizations", ns)
    assert organizations is not None, f"no organizations in {manifest}"
    default = organizations.get("default")
    organization = organizations.find(f"cp:organization[@identifier='{default}']", ns)
    assert organization is not None, f"no default organization '{default}'"
    hrefs = {r.get("identifier"): r.get("href") for r in root.iterfind("cp:resources/cp:resource", ns)}
    return [Item(hrefs[item.get("identifierref")] or "", standard.item_data(item))
            for item in organization.iterfind(".//cp:item[@identifierref]", ns)]


# ---- what every launch must satisfy -------------------------------------------------------------

def count(calls: list[Call], name: str) -> int:
    return sum(1 for c in calls if c["name"] == name)


def set_values(calls: list[Call], element: str) -> list[str]:
    return [c["args"][1] for c in calls if c["name"] == "set" and c["args"][0] == element]


def interaction_sets(calls: list[Call]) -> list[tuple[int, str, str]]:
    """(n, field, value) of every cmi.interactions.n.field the SCO set, in call order."""
    rows = []
    for call in calls:
        match = RE_INTERACTION.match(call["args"][0]) if call["name"] == "set" else None
        if match:
            rows.append((int(match[1]), match[2], call["args"][1]))
    return rows


def interactions(calls: list[Call]) -> dict[int, dict[str, str]]:
    """cmi.interactions.n.* as set by the SCO, by n."""
    found: dict[int, dict[str, str]] = {}
    for n, name, value in interaction_sets(calls):
        found.setdefault(n, {})[name] = value
    return found


def check_calls(standard: Standard, module: Module, calls: list[Call],
                first_interaction: int = 0) -> dict[int, dict[str, str]]:
    """What every launch must satisfy, whatever the learner did; returns the interactions it recorded."""
    assert count(calls, "initialize") == 1
    assert count(calls, "terminate") == 1, "the SCO must terminate exactly once per launch"
    assert calls[-1]["name"] == "terminate", "nothing may reach the LMS after Terminate"
    refused = [c for c in calls if c["name"] != "get" and (c["result"] != "true" or c["error"] != "0")]
    assert not refused, f"calls the LMS refused: {refused}"
    failed = [c for c in calls if c["name"] == "get" and c["error"] != "0"]
    assert not failed, f"reads the LMS refused: {failed}"
    worst = worst_case_size(module)
    for value in set_values(calls, "cmi.suspend_data"):
        assert len(value) <= worst, f"suspend_data {len(value)} > compiler's worst case {worst}: {value}"
        assert list(json.loads(value)) == STATE_KEYS
    sent = dumps([c["args"] for c in calls])
    assert Learner.NOTE[:12] not in sent, "a private note reached the LMS"
    rows = interaction_sets(calls)
    numbers = [n for n, _, _ in rows]
    assert numbers == sorted(numbers), "interactions are written one after another"
    assert sorted(set(numbers)) == list(range(first_interaction, first_interaction + len(set(numbers)))), \
        "interactions are appended after those the LMS has"
    for n in set(numbers):
        fields = [name for m, name, _ in rows if m == n]
        assert fields[0] == "id", f"interaction {n}: id must be set first: {fields}"
        assert all(fields.index("type") < i for i, name in enumerate(fields) if name in standard.responses), \
            f"interaction {n}: type must precede the responses: {fields}"
    found = interactions(calls)
    standard.check_formats(calls, found)
    return found


def assert_holds(cmi: Cmi, expected: Cmi) -> None:
    """The LMS's data has these values (and maybe more)."""
    assert {k: cmi.get(k) for k in expected} == expected


def dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False)


# ---- the web server and the player --------------------------------------------------------------

PLAYER = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>SCORM test player</title><link rel="icon" href="data:,">
<script src="/scorm-again/%(name)s.js"></script>
<style>html,body{margin:0;height:100%%}iframe{display:block;width:100%%;height:100vh;border:0}</style>
</head><body>
<script>
"use strict";
var STANDARD = %(config)s;
window.calls = [];  // this launch's API calls, by role
window.apis = [];  // every launch's LMS data, in launch order
// A fresh API on this window, as an LMS makes one per SCO launch, preloaded with the launch data. Every call
// is logged with its result and GetLastError; before Commit and Terminate, the values the LMS would compute
// itself are read through the unlogged GetValue.
window.install = function (cmi) {
  var api = new window[STANDARD.api](STANDARD.settings);
  api.loadFromFlattenedJSON(cmi || {});
  var lastError = api[STANDARD.methods.error].bind(api), read = api[STANDARD.methods.get].bind(api);
  window.calls = [];
  Object.keys(STANDARD.methods).forEach(function (role) {
    if (role === "error") return;
    var original = api[STANDARD.methods[role]].bind(api);
    api[STANDARD.methods[role]] = function () {
      var args = Array.prototype.slice.call(arguments), evaluated = {};
      if (role === "commit" || role === "terminate") {
        STANDARD.evaluated.forEach(function (element) { evaluated[element] = read(element); });
      }
      var result = original.apply(null, args);
      calls.push({name: role, args: args, result: String(result), error: String(lastError()), evaluated: evaluated});
      return result;
    };
  });
  window[STANDARD.global] = api;
  apis.push(api);
};
window.launch = function (src, cmi) {
  install(cmi);
  var frame = document.createElement("iframe");
  frame.id = "sco";
  frame.title = "module";
  frame.src = src;
  document.body.appendChild(frame);
};
window.leave = function () { document.getElementById("sco").remove(); };
window.cmi = function () { return window[STANDARD.global].getFlattenedCMI(); };
window.results = function () { return apis.map(function (api) { return api.getFlattenedCMI(); }); };
</script>
</body></html>
"""


def player_page(standard: Standard) -> str:
    config = {"api": standard.api_class, "global": standard.api_global, "methods": standard.methods,
              "settings": standard.settings, "evaluated": standard.evaluated}
    return PLAYER % {"name": standard.name, "config": json.dumps(config)}


class QuietHandler(SimpleHTTPRequestHandler):
    """Static files from the server's root, never cached (each test builds its own), and no request log."""

    def end_headers(self) -> None:
        self.send_header("Cache-Control", "no-store")
        super().end_headers()

    def log_message(self, format: str, *args: Any) -> None:
        pass


class Handler(QuietHandler):
    """Static files, plus a player page per standard at /player/<name>.html."""

    def do_GET(self) -> None:
        players = {f"/player/{s.name}.html": s for s in STANDARDS}
        standard = players.get(self.path.split("?")[0])
        if standard is None:
            super().do_GET()
            return
        body = player_page(standard).encode()
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


@dataclass
class Server:
    root: Path
    httpd: ThreadingHTTPServer

    @property
    def origin(self) -> str:
        return f"http://127.0.0.1:{self.httpd.server_address[1]}"


def serve(root: Path) -> Iterator[Server]:
    """Serve `root` on 127.0.0.1 from a thread until the generator is closed."""
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), partial(Handler, directory=str(root)))
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield Server(root, httpd)
    finally:
        httpd.shutdown()
        httpd.server_close()


class Player:
    """The LMS's page for one standard, with scorm-again as its API: launches SCOs in an iframe, one at a
    time, each with the launch data its manifest item gives."""

    def __init__(self, page: Page, server: Server, standard: Standard) -> None:
        self.page = page
        self.server = server
        self.standard = standard
        page.goto(f"{server.origin}/player/{standard.name}.html")

    def item(self, sco: Sco) -> Item:
        """The only item of the module's own package."""
        (item,) = manifest_items(self.standard, self.server.root / sco.folder(self.standard) / "imsmanifest.xml")
        return item

    def launch(self, src: str, cmi: Cmi) -> Frame:
        """Start the SCO at `src` (a path on the server) with the learner and `cmi`; wait until it runs."""
        self.page.evaluate("([src, cmi]) => launch(src, cmi)", [src, {**self.standard.learner, **cmi}])
        element = self.page.wait_for_selector("#sco")
        frame = element.content_frame() if element else None
        assert isinstance(frame, Frame)
        frame.wait_for_function("window.StopRuntime !== undefined")
        return frame

    def start(self, sco: Sco, cmi: Cmi | None = None) -> Learner:
        """Launch the module's own package as its manifest says, with `cmi` on top (a resume)."""
        item = self.item(sco)
        return Learner(self.launch(f"/{sco.folder(self.standard)}/{item.href}", {**item.data, **(cmi or {})}),
                       sco.module)

    def leave(self) -> tuple[list[Call], Cmi]:
        """Close the SCO's frame (pagehide) and return this launch's API calls and the LMS's data afterwards."""
        self.page.evaluate("leave()")
        self.page.wait_for_function("calls.some(c => c.name === 'terminate')", timeout=5000)
        return self.calls(), self.cmi()

    def calls(self) -> list[Call]:
        result: list[Call] = self.page.evaluate("calls")
        return result

    def cmi(self) -> Cmi:
        result: Cmi = self.page.evaluate("cmi()")
        return result

    def popup(self, sco: Sco) -> Page:
        """Moodle's "new window" display: the API on this page, the SCO in a popup that finds it via its opener."""
        item = self.item(sco)
        self.page.evaluate("cmi => install(cmi)", {**self.standard.learner, **item.data})
        with self.page.expect_popup() as popup_info:
            self.page.evaluate("src => { window.sco = window.open(src, 'sco'); }",
                               f"/{sco.folder(self.standard)}/{item.href}")
        return popup_info.value


def axe(frame: Frame, where: str, found: list[str]) -> None:
    """axe-core's serious and critical findings in `frame`, added to `found`. The script is evaluated, not
    loaded from a URL: the LTI tool's pages have no copy of it, and a page's Content-Security-Policy does not
    apply to what the test evaluates."""
    if not frame.evaluate("typeof axe !== 'undefined'"):
        frame.evaluate(_axe_source())
    found += [f"{where}: {v}" for v in frame.evaluate(AXE_RUN, AXE_TAGS)]


@functools.cache
def _axe_source() -> str:
    return (NODE_MODULES / "axe-core" / "axe.min.js").read_text(encoding="utf-8")
