"""Each kind of bad lesson gives one precise message at the right place, and the CLI exits with 2."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from exporter.cli import main
from exporter.errors import Problem, ProblemReport
from exporter.loader import load_course
from exporter.model import Audience, Module

FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "course"


@pytest.fixture
def course_dir(tmp_path: Path) -> Path:
    target = tmp_path / "lessons"
    shutil.copytree(FIXTURE, target)
    return target


def edit(folder: Path, name: str, old: str, new: str) -> str:
    path = folder / name
    text = path.read_text(encoding="utf-8")
    assert text.count(old) == 1, f"fixture edit is ambiguous: {old!r}"
    text = text.replace(old, new)
    path.write_text(text, encoding="utf-8")
    return text


def line_of(text: str, needle: str) -> int:
    return next(i for i, line in enumerate(text.splitlines(), 1) if needle in line)


def problems_of(folder: Path) -> list[Problem]:
    with pytest.raises(ProblemReport) as caught:
        load_course(folder)
    return caught.value.problems


def only(folder: Path) -> Problem:
    problems = problems_of(folder)
    assert len(problems) == 1, "\n".join(map(str, problems))
    return problems[0]


def test_fixture_course_is_valid() -> None:
    course = load_course(FIXTURE)
    assert [m.id for m in course.modules] == ["lesson", "quest"]


def test_duplicate_key(course_dir: Path) -> None:
    text = edit(course_dir, "lesson.yaml", "duration_minutes: 20\n", "duration_minutes: 20\nduration_minutes: 25\n")
    problem = only(course_dir)
    assert (problem.code, problem.path) == ("E-YAML-DUPKEY", "duration_minutes")
    assert problem.line == line_of(text, "duration_minutes: 25") and problem.column == 1
    assert problem.message == "duplicate key 'duration_minutes' (first at line 6); keep one"
    assert problem.file.endswith("lesson.yaml")


def test_unknown_key_lists_the_expected_fields(course_dir: Path) -> None:
    text = edit(course_dir, "lesson.yaml", "{id: hello, text: Вітається,", "{id: hello, colour: red, text: Вітається,")
    problem = only(course_dir)
    assert problem.code == "E-FIELD-UNKNOWN"
    assert problem.path == "screens[1].blocks[1].options[2].colour"
    assert problem.message == "unknown field 'colour'; expected one of: id, text, image, correct, feedback, audio"
    assert problem.line == line_of(text, "colour: red")
    assert problem.column == text.splitlines()[problem.line - 1].index("colour") + 1


def test_wrong_type(course_dir: Path) -> None:
    text = edit(course_dir, "lesson.yaml", "duration_minutes: 20", "duration_minutes: двадцять")
    problem = only(course_dir)
    assert (problem.code, problem.path, problem.line, problem.column) == (
        "E-TYPE", "duration_minutes", line_of(text, "двадцять"), 19)
    assert problem.message == "input should be a valid integer, got str 'двадцять'"


def test_value_out_of_range(course_dir: Path) -> None:
    edit(course_dir, "lesson.yaml", "mastery: 80", "mastery: 180")
    problem = only(course_dir)
    assert (problem.code, problem.path) == ("E-VALUE", "mastery")
    assert problem.message == "input should be less than or equal to 100, got int 180"


def test_bad_id(course_dir: Path) -> None:
    edit(course_dir, "lesson.yaml", "id: q_tf", "id: Q-TF")
    problem = only(course_dir)
    assert (problem.code, problem.path) == ("E-VALUE", "screens[1].blocks[2].id")
    assert "should match pattern" in problem.message and "'Q-TF'" in problem.message


def test_dangling_next(course_dir: Path) -> None:
    text = edit(course_dir, "quest.yaml", "next: good,", "next: great,")
    problem, consequence = problems_of(course_dir)
    assert (problem.code, problem.path, problem.message) == (
        "E-QUEST-NEXT", "scenes[2].choices[0].next", "no scene 'great'")
    assert problem.line == line_of(text, "next: great")
    assert consequence.message == "scene 'good' cannot be reached from start 's1'"


def test_unreachable_scene(course_dir: Path) -> None:
    edit(course_dir, "quest.yaml", "next: ok,", "next: good,")
    problem = only(course_dir)
    assert (problem.code, problem.path) == ("E-QUEST-UNREACHABLE", "scenes[4].id")
    assert problem.message == "scene 'ok' cannot be reached from start 's1'"


def test_scene_only_a_flag_never_set_on_its_way_would_reach(course_dir: Path) -> None:
    """Reaching counts the conditions: `blocked` is behind a choice offered only after `checked`."""
    edit(course_dir, "quest.yaml", "next: blocked, points: {shields: 2}, if: checked,",
         "next: blocked, points: {shields: 2}, if: checked, unless: checked,")
    problem = only(course_dir)
    assert (problem.code, problem.message) == (
        "E-QUEST-UNREACHABLE", "scene 'blocked' cannot be reached from start 's1'")


def test_scene_with_no_way_to_an_ending(course_dir: Path) -> None:
    edit(course_dir, "quest.yaml", "  - id: ok\n    title: Ще не пізно\n    ending: true\n",
         "  - id: ok\n    title: Ще не пізно\n")
    problems = problems_of(course_dir)
    assert [(p.code, p.path) for p in problems] == [("E-QUEST-DEADEND", "scenes[4]")]
    assert problems[0].message == "scene 'ok' has no choices and is not an ending (add `ending: true`)"


def test_choices_that_only_lead_to_dead_ends(course_dir: Path) -> None:
    edit(course_dir, "quest.yaml", "next: good,", "next: ok,")
    edit(course_dir, "quest.yaml", "  - id: ok\n    title: Ще не пізно\n    ending: true\n",
         "  - id: ok\n    title: Ще не пізно\n")
    edit(course_dir, "quest.yaml", "  - id: good\n", "  - id: good\n    choices: []\n")
    messages = {(p.code, p.message) for p in problems_of(course_dir)}
    assert ("E-QUEST-NOEND", "scene 'told' has no way to an ending") in messages
    assert ("E-QUEST-UNREACHABLE", "scene 'good' cannot be reached from start 's1'") in messages


def test_a_scene_that_offers_no_choice_on_some_path(course_dir: Path) -> None:
    edit(course_dir, "quest.yaml", "tells_adult: true, feedback: Розповісти",
         "tells_adult: true, if: checked, feedback: Розповісти")
    edit(course_dir, "quest.yaml", "{id: ignore, text: Мовчу,", "{id: ignore, if: checked, text: Мовчу,")
    problem = only(course_dir)
    assert (problem.code, problem.path) == ("E-QUEST-DEADEND", "scenes[1].choices")
    assert problem.message == "scene 's2' offers no choice on a path that has set gave_school"


def test_loop_between_scenes(course_dir: Path) -> None:
    edit(course_dir, "quest.yaml", "{id: ignore, text: Мовчу, next: silent,", "{id: ignore, text: Мовчу, next: s1,")
    problems = [p for p in problems_of(course_dir) if p.code == "E-QUEST-CYCLE"]
    assert len(problems) == 1
    assert problems[0].message == "scenes form a loop: s1 → s2 → s1; quests must move forward"


def test_telling_an_adult_never_costs_points(course_dir: Path) -> None:
    """Points count summed over the meters: reporting with mum earns nothing here, putting it off 1 support."""
    text = edit(course_dir, "quest.yaml", "next: good, points: {shields: 2, support: 2}, tells_adult: true",
                "next: good, points: {}, tells_adult: true")
    problem = only(course_dir)
    assert (problem.code, problem.path) == ("E-QUEST-TELL", "scenes[2].choices[0].points")
    assert problem.message == "telling an adult must never cost points: 'report' can earn 0 from here, 'later' 1"
    assert problem.line == line_of(text, "id: report")


def test_telling_an_adult_counts_only_choices_offered(course_dir: Path) -> None:
    """`block` would earn more than telling, but only where it is offered: after `checked`."""
    edit(course_dir, "quest.yaml", "next: blocked, points: {shields: 2}, if: checked,",
         "next: blocked, points: {shields: 10}, if: checked,")
    problem = only(course_dir)
    assert (problem.code, problem.path) == ("E-QUEST-TELL", "scenes[1].choices[0].points")
    assert problem.message == "telling an adult must never cost points: 'tell' can earn 9 from here, 'block' 10"


def test_a_hint_on_a_matching_question_is_kept(course_dir: Path) -> None:
    edit(course_dir, "lesson.yaml", "        prompt: З'єднай.\n",
         "        prompt: З'єднай.\n        hint: Хто **приїде**, а хто вислухає?\n")
    (question,) = [b for b in load_course(course_dir).module("lesson").screens[2].blocks if b.id == "q_match"]
    assert question.hint == "Хто **приїде**, а хто вислухає?"


def test_a_true_false_question_takes_no_hint(course_dir: Path) -> None:
    text = edit(course_dir, "lesson.yaml", "        answer: false\n",
                "        answer: false\n        hint: Хто насправді обманює?\n")
    problem = only(course_dir)
    assert (problem.code, problem.path) == ("E-HINT-KIND", "screens[1].blocks[2].hint")
    assert (problem.line, problem.column) == (line_of(text, "hint: Хто"), 15)
    assert "second try" in problem.message


def test_a_single_choice_of_two_options_takes_no_hint(course_dir: Path) -> None:
    """With two options, the second try after a hint could only be the other one: the answer given away."""
    text = edit(course_dir, "lesson.yaml", "        prompt: Хтось просить фото. Що робиш?\n",
                "        prompt: Хтось просить фото. Що робиш?\n        hint: Хто тобі допоможе?\n")
    problem = only(course_dir)
    assert (problem.code, problem.path) == ("E-HINT-KIND", "screens[1].blocks[0].hint")
    assert problem.line == line_of(text, "hint: Хто тобі")
    assert problem.message.startswith("a single question with two answers")


@pytest.mark.parametrize("opening", ["Так", "**Правильно**,", "«Молодець»!", "ЧУДОВО.", "супер", "— Добре,",
                                     "Вірно:", "Клас!"])
def test_wrong_feedback_never_starts_with_praise(course_dir: Path, opening: str) -> None:
    text = edit(course_dir, "lesson.yaml", "feedback: Це звичайна річ.}", f"feedback: \"{opening} звичайна річ.\"}}")
    problem = only(course_dir)
    assert (problem.code, problem.path) == ("E-FEEDBACK-PRAISE", "screens[1].blocks[1].options[2].feedback")
    assert problem.line == line_of(text, "звичайна річ")


def test_praise_rule_reads_true_false_and_quest_choices(course_dir: Path) -> None:
    edit(course_dir, "lesson.yaml", "feedback_true: Ні, винен", "feedback_true: Так, винен")
    edit(course_dir, "quest.yaml", "feedback: Назва школи", "feedback: Добре — назва школи")
    found = [(p.code, p.path) for p in problems_of(course_dir)]
    assert found == [("E-FEEDBACK-PRAISE", "screens[1].blocks[2].feedback_true"),
                     ("E-FEEDBACK-PRAISE", "scenes[0].choices[1].feedback")]


def test_praise_is_a_whole_first_word_of_wrong_feedback_only(course_dir: Path) -> None:
    """Right answers may be praised (the fixture's «Так.»); «Таке» or a later «добре» is no praise."""
    edit(course_dir, "lesson.yaml", "feedback: Це звичайна річ.}", "feedback: Таке буває — і це добре знати.}")
    edit(course_dir, "quest.yaml", "feedback: Назва школи", "feedback: Суперечка не допоможе. Назва школи")
    # a safe choice that earns less than the best one is no wrong answer: it may be praised
    edit(course_dir, "quest.yaml", "feedback: Можна ще розповісти.",
         "feedback: \"Добре, що не відповідаєш. Розкажи ще.\"")
    assert load_course(course_dir).module("lesson").id == "lesson"


def test_loop_among_unreachable_scenes(course_dir: Path) -> None:
    text = (course_dir / "quest.yaml").read_text(encoding="utf-8") + "".join(
        f"  - id: lost_{a}\n    title: {a}\n    blocks: [{{kind: text, md: {a}}}]\n"
        f"    choices: [{{id: go, text: go, next: lost_{b}, feedback: ok}}]\n" for a, b in (("a", "b"), ("b", "a")))
    (course_dir / "quest.yaml").write_text(text, encoding="utf-8")
    problems = problems_of(course_dir)
    assert [(p.code, p.path) for p in problems if p.code == "E-QUEST-CYCLE"] == [("E-QUEST-CYCLE", "scenes[7].id")]
    assert sorted(p.code for p in problems) == ["E-QUEST-CYCLE", "E-QUEST-UNREACHABLE", "E-QUEST-UNREACHABLE"]


def test_duplicate_question_id(course_dir: Path) -> None:
    edit(course_dir, "lesson.yaml", "id: q_tf", "id: q_single")
    problem = only(course_dir)
    assert (problem.code, problem.path) == ("E-ID-DUP", "screens[1].blocks[2].id")
    assert problem.message == "duplicate question/reflection id 'q_single' (first at screens[1].blocks[0])"


def test_duplicate_option_id(course_dir: Path) -> None:
    edit(course_dir, "lesson.yaml", "{id: gift,", "{id: secret,")
    problem = only(course_dir)
    assert (problem.code, problem.path) == ("E-ID-DUP", "screens[1].blocks[1].options[1].id")
    assert problem.message == "duplicate id 'secret' in options (first at index 0)"


def test_image_without_alt(course_dir: Path) -> None:
    text = edit(course_dir, "lesson.yaml", "        alt: Синій щит\n", "")
    problem = only(course_dir)
    assert (problem.code, problem.path) == ("E-FIELD-MISSING", "screens[0].blocks[1].alt")
    assert problem.message.startswith("missing required field 'alt' (Ukrainian text alternative")
    assert problem.line == line_of(text, "- kind: image") and problem.column == 9


def test_image_file_missing(course_dir: Path) -> None:
    (course_dir / "images" / "shield.svg").unlink()
    problem, on_option = problems_of(course_dir)
    assert (problem.code, problem.path) == ("E-IMAGE-MISSING", "screens[0].blocks[1].src")
    assert (on_option.code, on_option.path) == ("E-IMAGE-MISSING", "screens[1].blocks[1].options[0].image")
    assert problem.message == "image file images/shield.svg not found in lessons/"


def test_option_picture_must_exist(course_dir: Path) -> None:
    edit(course_dir, "lesson.yaml", "            text: Розповідаю дорослому\n",
         "            text: Розповідаю дорослому\n            image: images/adult.svg\n")
    problem = only(course_dir)
    assert (problem.code, problem.path) == ("E-IMAGE-MISSING", "screens[1].blocks[0].options[0].image")


def test_raw_html_in_markdown(course_dir: Path) -> None:
    edit(course_dir, "lesson.yaml", "про **безпеку**.", "про <b onclick=x>безпеку</b>.")
    problem = only(course_dir)
    assert (problem.code, problem.path) == ("E-MD-HTML", "screens[0].blocks[0].md")
    assert problem.message == "raw HTML is not allowed in Markdown (found '<b onclick=x>')"


def test_yaml_syntax_error(course_dir: Path) -> None:
    text = edit(course_dir, "lesson.yaml", "title: Тестовий урок", "title: [Тестовий урок")
    problem = only(course_dir)
    assert problem.code == "E-YAML" and problem.message.startswith("YAML syntax:")
    assert problem.line > line_of(text, "[Тестовий урок")


def test_unknown_block_kind(course_dir: Path) -> None:
    edit(course_dir, "lesson.yaml", "      - kind: text\n", "      - kind: video\n")
    problem = only(course_dir)
    assert (problem.code, problem.path) == ("E-VALUE", "screens[0].blocks[0].kind")
    assert problem.message.startswith("unknown 'kind' 'video'; expected one of: 'text', 'image'")


def test_single_choice_needs_one_right_option(course_dir: Path) -> None:
    edit(course_dir, "lesson.yaml", "text: Надсилаю\n            correct: false",
         "text: Надсилаю\n            correct: true")
    problem = only(course_dir)
    assert (problem.code, problem.path) == ("E-QUESTION", "screens[1].blocks[0].options")
    assert problem.message == "a single-choice question needs exactly one correct option, found 2"


def test_dangling_objective(course_dir: Path) -> None:
    edit(course_dir, "lesson.yaml", "id: q_tf\n        type: true-false\n        objective: o2",
         "id: q_tf\n        type: true-false\n        objective: o7")
    problem = only(course_dir)
    assert (problem.code, problem.path, problem.message) == (
        "E-REF", "screens[1].blocks[2].objective", "no objective 'o7' in this module")


def test_unknown_help_contact(course_dir: Path) -> None:
    edit(course_dir, "lesson.yaml", "help: [line116111, police]", "help: [line116111, lifeline]")
    problem = only(course_dir)
    assert (problem.code, problem.path, problem.message) == (
        "E-REF", "help[1]", "no contact 'lifeline' in program.yaml contacts")


def test_contact_links_must_be_https(course_dir: Path) -> None:
    edit(course_dir, "program.yaml", "    phone: \"102\"\n", "    phone: \"102\"\n    url: javascript:alert(1)\n")
    problem = only(course_dir)
    assert (problem.code, problem.path) == ("E-VALUE", "contacts[1].url")
    assert "should match pattern '^https://" in problem.message


def test_missing_module_file(course_dir: Path) -> None:
    (course_dir / "quest.yaml").unlink()
    problem = only(course_dir)
    assert (problem.code, problem.path, problem.message) == (
        "E-MODULE-FILE", "modules[1]", "no file quest.yaml for module 'quest'")
    assert problem.file.endswith("program.yaml") and problem.line == 4


def test_module_id_must_match_file(course_dir: Path) -> None:
    edit(course_dir, "quest.yaml", "id: quest\n", "id: quest_two\n")
    problem = only(course_dir)
    assert (problem.code, problem.path) == ("E-MODULE-ID", "id")


def test_python_tag_refused(course_dir: Path) -> None:
    edit(course_dir, "lesson.yaml", "title: Тестовий урок", "title: !!python/object/apply:os.system ['true']")
    problems = problems_of(course_dir)
    assert problems[0].code == "E-YAML-TAG"
    assert "python/object/apply:os.system" in problems[0].message


def test_lesson_needs_mastery(course_dir: Path) -> None:
    edit(course_dir, "lesson.yaml", "mastery: 80\n", "")
    problem = only(course_dir)
    assert (problem.code, problem.message) == ("E-MASTERY", "a lesson needs a `mastery` percentage")


def test_quest_block_outside_quest(course_dir: Path) -> None:
    edit(course_dir, "lesson.yaml", "      - kind: text\n", "      - kind: quest\n      - kind: text\n")
    problem = only(course_dir)
    assert (problem.code, problem.message) == ("E-QUEST", "a lesson cannot have a quest block")


def test_all_problems_are_reported_together(course_dir: Path) -> None:
    edit(course_dir, "lesson.yaml", "duration_minutes: 20", "duration_minutes: 2")
    edit(course_dir, "lesson.yaml", "        alt: Синій щит\n", "")
    edit(course_dir, "quest.yaml", "next: good,", "next: great,")
    codes = sorted(p.code for p in problems_of(course_dir))
    assert codes == ["E-FIELD-MISSING", "E-QUEST-NEXT", "E-QUEST-UNREACHABLE", "E-VALUE"]


def test_missing_lessons_folder(tmp_path: Path) -> None:
    problem = only(tmp_path / "nowhere")
    assert problem.code == "E-LESSONS" and problem.message == "lessons folder not found; pass --lessons DIR"


def test_cli_exit_code_and_message_without_traceback(course_dir: Path, tmp_path: Path) -> None:
    edit(course_dir, "quest.yaml", "next: good,", "next: great,")
    out = tmp_path / "dist"
    for args in (["validate"], ["build", "--out", str(out)]):
        result = CliRunner().invoke(main, [*args, "--lessons", str(course_dir)])
        assert result.exit_code == 2, result.output
        assert "E-QUEST-NEXT scenes[2].choices[0].next: no scene 'great'" in result.output
        assert "quest.yaml:" in result.output
        assert "Traceback" not in result.output
        assert "2 problems; nothing was written." in result.output
    assert not out.exists()


def test_cli_reports_missing_lessons(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["build", "--lessons", str(tmp_path / "none"), "--out", str(tmp_path / "d")])
    assert result.exit_code == 2
    assert "E-LESSONS lessons folder not found" in result.output


# ---- age bands and recordings: the band each audience gets, band A's one task per screen, and the three ways
# an `audio:` file can be wrong, each at its file:line:col, with exit code 2 and nothing written ----

AUDIO_LINE = "        audio: audio/hello.wav\n"


@pytest.mark.parametrize(("audience", "band"), [
    ({"ages": "4–6"}, "A"), ({"grades": "1–2"}, "A"), ({"grades": "3–4"}, "B"), ({"grades": "5–6"}, "B"),
    ({"grades": "7–8"}, "C"), ({"grades": "9–11"}, "C"), ({"ages": "7–9", "grades": "3–4"}, "A"), ({}, "C"),
])
def test_band_follows_the_youngest_learner(audience: dict[str, str], band: str) -> None:
    module = load_course(FIXTURE).module("lesson")
    assert module.model_copy(update={"audience": Audience(**audience)}).age_band == band


def test_band_given_in_the_file_wins(course_dir: Path) -> None:
    edit(course_dir, "lesson.yaml", "audience:\n", "band: C\naudience:\n")
    module: Module = load_course(course_dir).module("lesson")
    assert (module.audience.grades, module.age_band) == ("5–6", "C")


def test_band_a_screen_holds_one_task(course_dir: Path) -> None:
    text = edit(course_dir, "lesson.yaml", "audience:\n", "band: A\naudience:\n")
    problems = problems_of(course_dir)
    assert [(p.code, p.path) for p in problems] == [
        ("E-BAND-TASK", "screens[1].blocks[1].kind"), ("E-BAND-TASK", "screens[1].blocks[2].kind"),
        ("E-BAND-TASK", "screens[2].blocks[1].kind")]
    first = problems[0]
    assert first.line == line_of(text, "id: q_multi") - 1 and first.column == 15
    assert first.message == ("a band-A screen holds one task; 'q_multi' follows 'q_single' on screen 'check': "
                             "give it a screen of its own")


def test_audio_file_missing(course_dir: Path) -> None:
    text = (course_dir / "lesson.yaml").read_text(encoding="utf-8")
    (course_dir / "audio" / "hello.wav").rename(course_dir / "audio" / "other.wav")
    problems = problems_of_code(course_dir, "E-AUDIO-MISSING")
    assert [p.path for p in problems] == ["screens[0].blocks[0].audio", "screens[1].blocks[1].options[0].audio"]
    assert problems[0].message == "audio file audio/hello.wav not found in lessons/"
    assert (problems[0].line, problems[0].column) == (line_of(text, AUDIO_LINE.strip()), 16)


def test_audio_that_is_not_audio(course_dir: Path) -> None:
    (course_dir / "audio" / "hello.wav").write_bytes(b"<svg xmlns='http://www.w3.org/2000/svg'/>")
    problems = problems_of_code(course_dir, "E-AUDIO-FORMAT")
    assert problems[0].message == "audio file audio/hello.wav is not WAV audio"


def test_audio_named_for_another_format(course_dir: Path) -> None:
    (course_dir / "audio" / "hello.wav").rename(course_dir / "audio" / "hello.mp3")
    edit(course_dir, "lesson.yaml", AUDIO_LINE, "        audio: audio/hello.mp3\n")
    edit(course_dir, "lesson.yaml", "             audio: audio/hello.wav}", "             audio: audio/hello.mp3}")
    problems = problems_of_code(course_dir, "E-AUDIO-FORMAT")
    assert problems[0].message == "audio file audio/hello.mp3 is not MP3 audio"


@pytest.mark.parametrize("src", ["../hello.wav", "/etc/hello.wav", "audio/../../hello.wav", "sounds/hello.wav",
                                 "audio/Hello.WAV", "audio/hello.flac"])
def test_audio_path_outside_the_lessons_audio_folder(course_dir: Path, src: str) -> None:
    edit(course_dir, "lesson.yaml", AUDIO_LINE, f"        audio: {src}\n")
    problem = only(course_dir)
    assert (problem.code, problem.path) == ("E-AUDIO-PATH", "screens[0].blocks[0].audio")
    assert problem.message == f"audio {src} must be a file audio/<name>.mp3, .ogg or .wav inside lessons/"


def test_audio_symlink_that_leaves_the_lessons(course_dir: Path, tmp_path: Path) -> None:
    outside = tmp_path / "secret.wav"
    outside.write_bytes((course_dir / "audio" / "hello.wav").read_bytes())
    (course_dir / "audio" / "hello.wav").unlink()
    os.symlink(outside, course_dir / "audio" / "hello.wav")
    problems = problems_of_code(course_dir, "E-AUDIO-PATH")
    assert len(problems) == 2


def test_audio_problems_exit_2_and_write_nothing(course_dir: Path, tmp_path: Path) -> None:
    (course_dir / "audio" / "hello.wav").write_bytes(b"not audio at all")
    out = tmp_path / "dist"
    result = CliRunner().invoke(main, ["build", "--out", str(out), "--lessons", str(course_dir)])
    assert result.exit_code == 2, result.output
    assert "lesson.yaml:" in result.output and "E-AUDIO-FORMAT screens[0].blocks[0].audio" in result.output
    assert "nothing was written." in result.output
    assert not out.exists()


def problems_of_code(folder: Path, code: str) -> list[Problem]:
    problems = problems_of(folder)
    assert {p.code for p in problems} == {code}, problems
    return problems
