"""Model → a static module site (HTML page, CSS, runtime JS, images), through the Jinja2 templates.

A site is a mapping of relative path → bytes kept in memory, so that packaging can check and zip it
before anything is written to disk.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

import jinja2
from markupsafe import Markup

from exporter.errors import Problem, ProblemReport, display_path
from exporter.gender import both, text_html
from exporter.loader import Course
from exporter.markdown import to_html, to_inline_html
from exporter.model import ChoiceQuestion, MatchingQuestion, Module, OrderingQuestion
from exporter.scoring import AnyQuestion, correct_answer, letter, max_score, meter_max, questions
from exporter.walk import audios, images

Site = dict[str, bytes]
TEMPLATES = Path(__file__).resolve().parent.parent / "templates"


def answer_length(question: AnyQuestion) -> int:
    """Longest saved answer: one letter per option, item or pair."""
    if isinstance(question, ChoiceQuestion):
        return len(question.options) if question.type == "multiple" else 1
    if isinstance(question, OrderingQuestion):
        return len(question.items)
    if isinstance(question, MatchingQuestion):
        return len(question.pairs)
    return 1


def initial_order(question: OrderingQuestion) -> list[int]:
    """A fixed shuffle (never the right order) so that pages are byte-identical from build to build."""
    count = len(question.items)
    order = sorted(range(count), key=lambda i: hashlib.sha256(f"{question.id}:{i}".encode()).digest())
    if order == list(range(count)):
        order = order[1:] + order[:1]
    return order


def initials(name: str) -> str:
    """What a chat shows for a contact without an avatar, as messengers do: the first letters of two words."""
    return "".join(word[0] for word in name.replace("_", " ").split()[:2] if word[0].isalpha()).upper() or "?"


def place_parts(
    question: OrderingQuestion | MatchingQuestion,
) -> tuple[list[tuple[str, str, str]], list[tuple[str, str]]]:
    """Tap-to-place (bands A, B): the cards (letter, text, feedback) in the pool's order and the boxes (letter,
    name). Ordering: the items shuffled as band C shows them, into the places 1..n; matching: the pairs in
    order, into the targets. The letters are the saved answers' (templates/runtime/README.md)."""
    if isinstance(question, OrderingQuestion):
        cards = [(letter(i), question.items[i].text, question.items[i].feedback) for i in initial_order(question)]
        return cards, [(letter(i), f"Місце {i + 1}") for i in range(len(question.items))]
    cards = [(letter(i), pair.text, pair.feedback) for i, pair in enumerate(question.pairs)]
    return cards, [(letter(i), target.text) for i, target in enumerate(question.targets)]


def pass_mark(module: Module) -> str:
    """Band B's pass mark in words (the learner-experience brief: stars, and the pass mark explained). `{e}` is
    left for the runtime, the least score that reaches the mastery, which the host may set (cmi5's masteryScore).
    After «із» a count's noun is genitive: singular after 1 (not 11), else plural."""
    top = max_score(module)
    plain = all(q.weight == 1 for _, q in questions(module))
    one, many = ("запитання", "запитань") if plain else ("бала", "балів")
    noun = one if top % 10 == 1 and top % 100 != 11 else many
    critical = any(q.critical for _, q in questions(module))
    if plain:
        return f"правильно відповісти щонайменше на {{e}} із {top} {noun}" + (" і на всі головні" if critical else "")
    return f"набрати щонайменше {{e}} із {top} {noun}" + (" і правильно відповісти на всі головні" if critical else "")


def runtime_scripts(module: Module, adapters: tuple[str, ...]) -> tuple[str, ...]:
    """The runtime scripts a module's page loads, in order: the adapters, then the optional parts its page needs
    (`young.js`, the picture cards and tap-to-place of bands A and B; `speech.js` for pages with listen buttons,
    bands A and B, or «Прочитати вголос», `read_aloud`; `quest.js` for quests), then `core.js`. The one list:
    packages, the LTI tool and the preview all take it from here, so a page carries only what it runs."""
    young = module.age_band != "C"
    return (*adapters, *(("young",) if young else ()), *(("speech",) if young or module.read_aloud else ()),
            *(("quest",) if module.kind == "quest" else ()), "core")


def runtime_data(module: Module) -> dict[str, Any]:
    """What the runtime needs to score and resume; the page text itself is in the HTML."""
    screen_of = {id(block): s for s, screen in enumerate(module.screens) for block in screen.blocks}
    return {
        "v": 1,
        "module": module.id,
        "kind": module.kind,
        "band": module.age_band,
        "mastery": module.mastery,
        "maxScore": max_score(module),
        "screens": [screen.id for screen in module.screens],
        "questions": [
            {
                "id": q.id,
                "screen": screen_of[id(q)],
                "type": q.type,
                "weight": q.weight,
                "critical": q.critical,
                "objective": q.objective,
                "correct": correct_answer(q),
                "count": answer_length(q),
                "hint": q.hint is not None,
            }
            for _, q in questions(module)
        ],
        "checklists": [
            {"id": block.id, "screen": s, "count": len(block.items)}
            for s, screen in enumerate(module.screens)
            for block in screen.blocks
            if block.kind == "checklist"
        ],
        "reflections": [
            {"id": block.id, "max": block.max_chars}
            for screen in module.screens
            for block in screen.blocks
            if block.kind == "reflection"
        ],
        "quest": None if module.kind != "quest" else {
            "start": module.start,
            "roles": [role.gender for role in module.roles],
            "meters": [meter.id for meter in module.meters],
            "scenes": {
                scene.id: {
                    "ending": scene.ending,
                    "choices": [{"next": c.next, "points": c.points, "sets": c.sets, "if": c.if_, "unless": c.unless,
                                 "objective": c.objective}
                                for c in scene.choices],
                }
                for scene in module.scenes
            },
        },
    }


def _environment() -> jinja2.Environment:
    if not TEMPLATES.is_dir():
        raise ProblemReport([Problem(display_path(TEMPLATES), 0, 0, "E-TEMPLATES", "",
                                     "templates folder not found; is the project checkout complete?")])
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters["md"] = lambda text: Markup(to_html(text))
    env.filters["md_inline"] = lambda text: Markup(to_inline_html(text))
    env.filters["t"] = text_html
    env.filters["both"] = both
    env.filters["letter"] = letter
    env.filters["initials"] = initials
    env.globals["initial_order"] = initial_order
    env.globals["meter_max"] = meter_max
    env.globals["place_parts"] = place_parts
    env.globals["pass_mark"] = pass_mark
    return env


def _read_template_file(name: str) -> bytes:
    path = TEMPLATES / name
    try:
        return path.read_bytes()
    except OSError as error:
        raise ProblemReport([Problem(display_path(path), 0, 0, "E-TEMPLATES", "",
                                     f"cannot read template file: {error.strerror}")]) from error


class Renderer:
    """Renders modules of one course; holds the template environment so it is set up once per build."""

    def __init__(self, course: Course) -> None:
        self.course = course
        self.env = _environment()
        self.sites: dict[tuple[str, tuple[str, ...], bool], Site] = {}

    def render(self, module: Module, adapters: tuple[str, ...], *, teacher: bool = False) -> Site:
        """The module's site; `adapters` name the runtime scripts the page loads before core.js, in order: each
        adapter after the shared scripts it needs (e.g. standalone, scorm, interactions, scorm12; see
        templates/runtime/README.md). The site carries those scripts and no others.

        Teacher notes go to a separate `teacher.html` and only when asked: packages a learner can
        unzip must not carry them. Sites are kept, so formats sharing an adapter render a module once;
        callers copy a site before changing it.
        """
        key = (module.id, adapters, teacher)
        if key not in self.sites:
            self.sites[key] = self._render(module, adapters, teacher)
        return self.sites[key]

    def _render(self, module: Module, adapters: tuple[str, ...], teacher: bool) -> Site:
        runtime = runtime_scripts(module, adapters)
        scripts = [f"assets/{name}.js" for name in runtime]
        by_id = {c.id: c for c in self.course.program.contacts}
        contacts = [by_id[contact_id] for contact_id in module.help]
        context = {
            "program": self.course.program,
            "module": module,
            "contacts": contacts,
            "scripts": scripts,
            "data_json": json.dumps(runtime_data(module), ensure_ascii=False, sort_keys=True,
                                    separators=(",", ":")).replace("</", "<\\/"),
        }
        site: Site = {"index.html": self.page("module.html.j2", context)}
        if teacher:
            site["teacher.html"] = self.page("teacher.html.j2", context)
        site["assets/style.css"] = _read_template_file("style.css")
        for name in runtime:
            site[f"assets/{name}.js"] = _read_template_file(f"runtime/{name}.js")
        for src in sorted({src for _, src in (*images(module), *audios(module))}):
            site[src] = (self.course.folder / src).read_bytes()
        return site

    def page(self, template: str, context: dict[str, Any]) -> bytes:
        """One page from `templates/`; a template mistake becomes a report naming the template, not a traceback."""
        try:
            return self.env.get_template(template).render(context).encode("utf-8")
        except jinja2.TemplateError as error:
            raise ProblemReport([Problem(display_path(TEMPLATES / template), getattr(error, "lineno", 0) or 0, 0,
                                         "E-TEMPLATES", "", f"template error: {error}")]) from error
