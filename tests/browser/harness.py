"""What the browser tests share: the modules under test, a loopback web server, and a learner that
answers from the course model.

Nothing here knows a particular lesson: answers come from the model (right ones from `correct`, wrong
ones by picking options that are not), so the suite covers whatever modules lessons/ holds.
"""

from __future__ import annotations

import json
import math
import re
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from playwright.sync_api import Frame

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
from exporter.render import LETTERS, correct_answer, initial_order
from exporter.scoring import AnyQuestion, questions

ROOT = Path(__file__).resolve().parents[2]
LESSONS = ROOT / "lessons"
FIXTURE_COURSE = ROOT / "tests" / "fixtures" / "course"
NODE_MODULES = ROOT / "node_modules"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]

# SCORM 1.2 formats (standards.md §1.5; Moodle's scorm_12.js where it is stricter than scorm-again).
RE_TIMESPAN = re.compile(r"^([0-9]{2,4}):([0-9]{2}):([0-9]{2})(\.[0-9]{1,2})?$")
RE_TIME = re.compile(r"^(?:[01]\d|2[0123]):(?:[012345]\d):(?:[012345]\d)(\.\d{1,2})?$")
RE_ID = re.compile(r"^[A-Za-z0-9_-]{1,255}$")
RE_RESPONSE = {
    "choice": re.compile(r"^[0-9a-z](,[0-9a-z])*$"),
    "true-false": re.compile(r"^[01tf]$"),
    "sequencing": re.compile(r"^[0-9a-z](,[0-9a-z])*$"),
    "matching": re.compile(r"^[0-9a-z]\.[0-9a-z](,[0-9a-z]\.[0-9a-z])*$"),
}
SCORM_TYPE = {"single": "choice", "multiple": "choice", "true-false": "true-false", "ordering": "sequencing",
              "matching": "matching"}


@dataclass(frozen=True)
class Sco:
    """One module under test: where its course came from and where its unzipped package is served."""

    key: str
    course: Course
    module: Module

    @property
    def path(self) -> str:
        return f"/pkg/{self.key}/{self.module.id}/index.html"


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


def all_scos() -> list[Sco]:
    return [Sco(key, course, module) for key, course in courses().items() for module in course.modules]


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


def quest_path(module: Module, best: bool, steps: int | None = None) -> list[tuple[str, str, int]]:
    """(scene id, choice letter, points) along the path that takes the most (or fewest) points each step."""
    scenes = {s.id: s for s in module.scenes}
    path: list[tuple[str, str, int]] = []
    scene = scenes[module.start or ""]
    while not scene.ending and (steps is None or len(path) < steps):
        pick = (max if best else min)(c.points for c in scene.choices)
        index = next(i for i, c in enumerate(scene.choices) if c.points == pick)
        path.append((scene.id, LETTERS[index], pick))
        scene = scenes[scene.choices[index].next]
    return path


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
    """(lesson_status, score.raw) after answering every question right or wrong and the best or worst path."""
    earned = sum(q.weight for _, q in questions(module) if answer_for(q, right) == correct_answer(q))
    top = contract_max(module)
    raw = min(100, math.floor(100 * earned / top + 0.5)) if top else None  # JS Math.round: halves go up
    if module.mastery is None:
        return "completed", raw
    critical_ok = all(answer_for(q, right) == correct_answer(q) for _, q in questions(module) if q.critical)
    assert raw is not None
    return ("passed" if raw >= module.mastery and critical_ok else "failed"), raw


# ---- the learner ----------------------------------------------------------------------------------

class Learner:
    """Drives one module page (a frame) the way a child would: clicks, selects, buttons."""

    NOTE = 'Скажу: «Ні, дякую» і "стоп".\nПотім розповім мамі.'

    def __init__(self, frame: Frame, module: Module) -> None:
        self.frame = frame
        self.module = module

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
        answer = answer_for(question, right)
        box = self.frame.locator(f"#q-{question.id}")
        if isinstance(question, OrderingQuestion):
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
        else:
            for letter in answer:
                box.locator(f".opt[data-v='{letter}'] input").check()
        box.locator("button.check").click()
        return answer

    def play_quest(self, best: bool, steps: int | None = None) -> list[tuple[str, str, int]]:
        """Take the best (or worst) choice at each scene, from wherever the saved path has got to."""
        path = quest_path(self.module, best, steps)
        taken = self.state()["p"]
        if scene_after(self.module, taken).ending:
            return path
        assert taken == "".join(letter for _, letter, _ in path[: len(taken)]), "resumed on another path"
        for scene_id, letter, _ in path[len(taken):]:
            scene = self.frame.locator(f"#sc-{scene_id}")
            scene.locator(f"button.choice[data-v='{letter}']").click()
            scene.locator("button.go").click()
        return path

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
                checklist.locator("input").first.check()
                checklist.locator("button.save-checklist").click()

    def next(self) -> None:
        before = self.screen()
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


# ---- the web server -----------------------------------------------------------------------------

PLAYER = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>SCORM 1.2 test player</title><link rel="icon" href="data:,">
<script src="/scorm-again/scorm12.js"></script>
<style>html,body{margin:0;height:100%}iframe{display:block;width:100%;height:100vh;border:0}</style>
</head><body>
<script>
"use strict";
window.calls = [];
window.launch = function (src, cmi) {
  var api = new Scorm12API({lmsCommitUrl: false, logLevel: 5, mastery_override: false, autocommit: false});
  api.loadFromFlattenedJSON(cmi || {});
  ["LMSInitialize", "LMSFinish", "LMSGetValue", "LMSSetValue", "LMSCommit"].forEach(function (name) {
    var original = api[name].bind(api);
    api[name] = function () {
      var args = Array.prototype.slice.call(arguments);
      var result = original.apply(null, args);
      calls.push({name: name, args: args, result: String(result), error: String(api.LMSGetLastError())});
      return result;
    };
  });
  window.API = api;
  var frame = document.createElement("iframe");
  frame.id = "sco";
  frame.title = "module";
  frame.src = src;
  document.body.appendChild(frame);
};
window.leave = function () { document.getElementById("sco").remove(); };
window.cmi = function () { return window.API.getFlattenedCMI(); };
</script>
</body></html>
"""


class Handler(SimpleHTTPRequestHandler):
    """Static files from the server's root, plus the player page; quiet."""

    def do_GET(self) -> None:
        if self.path.split("?")[0] == "/player.html":
            body = PLAYER.encode()
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
            return
        super().do_GET()

    def end_headers(self) -> None:
        self.send_header("Cache-Control", "no-store")
        super().end_headers()

    def log_message(self, format: str, *args: Any) -> None:
        pass


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


def interactions(calls: list[dict[str, Any]]) -> dict[int, dict[str, str]]:
    """cmi.interactions.n.* as set by the SCO, by n."""
    found: dict[int, dict[str, str]] = {}
    for call in calls:
        if call["name"] != "LMSSetValue":
            continue
        match = re.match(r"^cmi\.interactions\.(\d+)\.(.+)$", call["args"][0])
        if match:
            found.setdefault(int(match[1]), {})[match[2]] = call["args"][1]
    return found


def set_values(calls: list[dict[str, Any]], element: str) -> list[str]:
    return [c["args"][1] for c in calls if c["name"] == "LMSSetValue" and c["args"][0] == element]


def count(calls: list[dict[str, Any]], name: str) -> int:
    return sum(1 for c in calls if c["name"] == name)


def dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False)
