"""Quest casts, chats, flags, meters and gender variants: each mistake gives its own code at its place."""

from __future__ import annotations

from pathlib import Path

import pytest

from exporter.gender import both, form, text_html
from exporter.loader import load_course
from exporter.markdown import to_html, to_inline_html
from exporter.scoring import best_is_longest, decision_scenes, ending_paths, next_scenes
from exporter.state import worst_case_size, worst_case_state
from tests.unit.test_loader import FIXTURE, course_dir, edit, line_of, only, problems_of

__all__ = ["course_dir"]  # the fixture, used by name


def test_message_from_an_undeclared_person(course_dir: Path) -> None:
    text = edit(course_dir, "quest.yaml", "{from: me, time", "{from: stranger, time")
    problem = only(course_dir)
    assert (problem.code, problem.path) == ("E-CHAT-FROM", "scenes[0].chat.messages[1].from")
    assert problem.message == "no person 'stranger' in this module's `people` (or `me`, the player)"
    assert problem.line == line_of(text, "from: stranger")
    assert problem.column == text.splitlines()[problem.line - 1].index("stranger") + 1


def test_nobody_may_be_called_me(course_dir: Path) -> None:
    edit(course_dir, "quest.yaml", "{id: mama, name: Мама}", "{id: me, name: Мама}")
    codes = {(p.code, p.path) for p in problems_of(course_dir)}
    assert ("E-CHAT-FROM", "people[1].id") in codes


def test_chat_with_an_undeclared_person(course_dir: Path) -> None:
    text = edit(course_dir, "quest.yaml", "with: mama", "with: papa")
    problem = only(course_dir)
    assert (problem.code, problem.path, problem.line) == ("E-CHAT-WITH", "scenes[2].chat.with", line_of(text, "papa"))


def test_a_flag_no_choice_sets(course_dir: Path) -> None:
    text = edit(course_dir, "quest.yaml", "text: \"О, 7-Б! Я живу зовсім поруч.\", if: gave_school}",
                "text: \"О, 7-Б! Я живу зовсім поруч.\", if: gave_scool}")
    problem = only(course_dir)
    assert (problem.code, problem.path) == ("E-FLAG", "scenes[1].chat.messages[0].if")
    assert problem.message == "no choice `sets` the flag 'gave_scool'"
    assert problem.line == line_of(text, "gave_scool")


def test_points_for_an_undeclared_meter(course_dir: Path) -> None:
    text = edit(course_dir, "quest.yaml", "points: {shields: 0}", "points: {shield: 0}")
    problem = only(course_dir)
    assert (problem.code, problem.path) == ("E-METER", "scenes[0].choices[1].points.shield")
    assert problem.message == "no meter 'shield' in this module's `meters`"
    assert problem.line == line_of(text, "shield: 0")


def test_points_are_per_meter_and_at_most_ten(course_dir: Path) -> None:
    edit(course_dir, "quest.yaml", "points: {shields: 0}", "points: {shields: 11}")
    problem = only(course_dir)
    assert (problem.code, problem.path) == ("E-VALUE", "scenes[0].choices[1].points.shields")


@pytest.mark.parametrize("old,new", [
    ("  - {id: danylo, name: Данило, gender: m}\n", ""),
    ("{id: danylo, name: Данило, gender: m}", "{id: danylo, name: Данило, gender: f}"),
], ids=["one role", "one gender"])
def test_roles_need_both_genders(course_dir: Path, old: str, new: str) -> None:
    edit(course_dir, "quest.yaml", old, new)
    problem = only(course_dir)
    assert (problem.code, problem.path) == ("E-ROLES", "roles")


def test_roles_belong_to_quests(course_dir: Path) -> None:
    edit(course_dir, "lesson.yaml", "screens:\n", "roles: [{id: a, name: А, gender: f}]\nscreens:\n")
    problem = only(course_dir)
    assert (problem.code, problem.path) == ("E-QUEST", "roles")


def test_a_scene_needs_blocks_or_a_chat(course_dir: Path) -> None:
    edit(course_dir, "quest.yaml", "    title: Заблоковано\n    ending: true\n    blocks:\n      - kind: text\n"
         "        md: Розмову зупинено. Розкажи дорослому, що сталося.\n", "    title: Заблоковано\n    ending: true\n")
    problem = only(course_dir)
    assert (problem.code, problem.path) == ("E-FIELD-MISSING", "scenes[5].blocks")


@pytest.mark.parametrize("variant,why", [
    ("{сам|сама малюєш?", "unbalanced braces"),
    ("сам|сама} малюєш?", "unbalanced braces"),
    ("{сам|сама|саме} малюєш?", "exactly one '|'"),
    ("{сам} малюєш?", "exactly one '|'"),
    ("{|сама} малюєш?", "both forms"),
    ("{сам| } малюєш?", "both forms"),
    ("{с{а|б}м|сама} малюєш?", "nested"),
])
def test_malformed_gender_variants(course_dir: Path, variant: str, why: str) -> None:
    text = edit(course_dir, "quest.yaml", "{сам|сама} малюєш?", variant)
    problem = only(course_dir)
    assert (problem.code, problem.path) == ("E-GENDER", "scenes[0].chat.messages[0].text")
    assert why in problem.message and problem.line == line_of(text, variant)


def test_gender_variants_need_roles(course_dir: Path) -> None:
    edit(course_dir, "lesson.yaml", "md: Привіт! Сьогодні", "md: Ти {готовий|готова}? Сьогодні")
    problem = only(course_dir)
    assert problem.code == "E-GENDER" and "without `roles`" in problem.message


def test_gender_variants_stay_out_of_what_the_lms_lists(course_dir: Path) -> None:
    edit(course_dir, "quest.yaml", "title: Тестовий квест", "title: Тестовий квест для {учня|учениці}")
    problem = only(course_dir)
    assert (problem.code, problem.path) == ("E-GENDER", "title")


def test_gender_rendering() -> None:
    span = '<span class="g"><span data-g="m">сам</span><span data-g="f">сама</span></span>'
    assert to_html("Ти **{сам|сама}** <обираєш>") == f"<p>Ти <strong>{span}</strong> &lt;обираєш&gt;</p>\n"
    assert to_inline_html("{сам|сама}") == span
    assert str(text_html("<{сам|сама}>")) == f"&lt;{span}&gt;"
    assert both("Ти {сам|сама}") == "Ти сам/сама"
    assert (form("{сам|сама}", "m"), form("{сам|сама}", "f")) == ("сам", "сама")
    assert to_html("{a<b|c&d}") == \
        '<p><span class="g"><span data-g="m">a&lt;b</span><span data-g="f">c&amp;d</span></span></p>\n'


def test_what_a_content_test_measures() -> None:
    quest = load_course(FIXTURE).module("quest")
    assert [s.id for s in decision_scenes(quest)] == ["s1", "s2", "told"]
    assert [next_scenes(s) for s in decision_scenes(quest)] == [{"s2"}, {"told", "blocked", "silent"}, {"good", "ok"}]
    assert ending_paths(quest) == {"good": "aaa", "ok": "aab", "blocked": "ab", "silent": "ac"}
    assert [best_is_longest(s) for s in decision_scenes(quest)] == [False, False, False]



def test_worst_case_state_counts_the_role() -> None:
    course = load_course(FIXTURE)
    quest, lesson = course.module("quest"), course.module("lesson")
    assert worst_case_state(quest)["g"] == "z" and worst_case_state(lesson)["g"] == ""
    assert worst_case_state(quest)["p"] == "zzz", "the longest path"
    assert worst_case_size(quest) <= 4096
