"""The program's own content in lessons/: what the content brief requires of every module."""

from __future__ import annotations

import re

import pytest
from lxml import etree

from exporter.loader import Course, load_course
from exporter.model import ImageBlock, Module
from exporter.scoring import longest_path, offered, points_ahead, questions
from tests.conftest import LESSONS

COURSE: Course = load_course(LESSONS)
MODULES = {m.id: m for m in COURSE.modules}

# Section C of the content brief: the contacts a learner may be shown (High / Medium confidence).
APPROVED_PHONES = {"102", "116 111", "0 800 500 225", "1545"}
APPROVED_URLS = {"https://ticket.cyberpolice.gov.ua/", "https://stopcrime.ua/", "https://takeitdown.ncmec.org/uk/"}
# Never shown: unconfirmed (112), outdated (772), status unclear (7333).
NEVER = ["112", "772", "7333"]
# Services that do not serve Ukrainian children: only module 7's removal-tools explainer names them,
# to say so (brief A, module 7, step 7).
NOT_FOR_UKRAINIAN_CHILDREN = ["Report Remove", "StopNCII"]
# Section 0 terminology, for every module's learner-facing text.
NEVER_WORDS_ALL = ["дитяча порнографія", "дитячої порнографії", "порнопомста", "помста порно"]
# Section A "Must NOT" lists for the youngest modules: the words they may not use at all.
NEVER_WORDS = {
    "m1": ["секстинг", "грумінг", "сексторшн", "нюдс", "порно"],
    "m2": ["секстинг", "грумінг", "сексторшн", "нюдс", "порно"],
    "m3": ["секстинг", "сексторшн", "нюдс", "порно"],
}


def learner_text(module: Module) -> str:
    """Everything a learner can see: the module without its teacher notes."""
    return module.model_dump_json(exclude={"teacher"})


def covered_objectives(module: Module) -> set[str]:
    found = {q.objective for _, q in questions(module) if q.objective}
    found |= {c.objective for scene in module.scenes for c in scene.choices if c.objective}
    return found


@pytest.fixture(params=list(MODULES), ids=list(MODULES))
def module(request: pytest.FixtureRequest) -> Module:
    return MODULES[request.param]


def test_every_objective_is_assessed(module: Module) -> None:
    missing = {o.id for o in module.objectives} - covered_objectives(module)
    assert not missing, f"{module.id}: objectives with no question or quest decision: {sorted(missing)}"


def test_lessons_have_real_interactions(module: Module) -> None:
    graded = [q for _, q in questions(module)]
    if module.kind == "lesson":
        assert len(graded) >= 8, f"{module.id}: {len(graded)} graded items"
        assert len({q.type for q in graded}) >= 3
    if module.kind == "quest":
        # Rubric check 12 (6–10 DPs) counts the main line; risky detours add scenes of their own, so the
        # bound is on one playthrough (tests/unit/test_quest_content.py checks the shortest one too).
        assert 6 <= longest_path(module) <= 20, f"{module.id}: {longest_path(module)} decisions on a path"
        assert sum(s.ending for s in module.scenes) >= 3, "several endings"
    assert all(q.objective for q in graded), "every question names its objective"


def test_graded_modules_offer_hints(module: Module) -> None:
    """A first wrong answer should usually get a hint and a second try (learner-experience.md, "Feedback that
    teaches"): a few questions of every graded module have one."""
    if module.mastery is None:
        return
    hinted = [q.id for _, q in questions(module) if q.hint]
    assert len(hinted) >= 3, f"{module.id}: hints on {hinted}"


def test_telling_an_adult_never_costs_points(module: Module) -> None:
    """The compiler refuses it too (E-QUEST-TELL); here: every quest offers telling, and it pays."""
    if module.kind != "quest":
        return
    telling = [(s, c) for s in module.scenes for c in s.choices if c.tells_adult]
    assert telling, f"{module.id}: no choice is marked tells_adult"
    ahead = points_ahead(module)
    scenes = {s.id: s for s in module.scenes}
    for scene_id, flags in ahead:
        choices = offered(scenes[scene_id], flags)
        totals = {c.id: c.total + ahead[(c.next, flags | set(c.sets))] for _, c in choices}
        for _, choice in choices:
            if choice.tells_adult:
                assert totals[choice.id] == max(totals.values()), (scene_id, choice.id)


def test_every_module_ends_with_help_and_recap(module: Module) -> None:
    callouts = [b for s in module.screens for b in s.blocks if b.kind == "callout"]
    assert any(b.tone == "help" and b.contacts for b in callouts), f"{module.id}: no help screen with contacts"
    assert "116 111" in {c.phone for c in COURSE.program.contacts if c.id in module.help}


def test_program_contacts_are_the_approved_ones() -> None:
    contacts = COURSE.program.contacts
    assert {c.phone for c in contacts if c.phone} <= APPROVED_PHONES
    assert {c.url for c in contacts if c.url} <= APPROVED_URLS
    assert {"102", "116 111", "0 800 500 225"} <= {c.phone for c in contacts}
    assert {contact for m in COURSE.modules for contact in m.help} <= {c.id for c in contacts}


def test_no_unapproved_contact_or_term_in_learner_text(module: Module) -> None:
    text = learner_text(module)
    for service in NOT_FOR_UKRAINIAN_CHILDREN if not module.id.startswith("m7_") else []:
        assert service not in text, f"{module.id} names {service}"
    for never in NEVER:
        assert not re.search(rf"(?<![\d ]){re.escape(never)}(?![\d])", text), f"{module.id} mentions {never}"
    lowered = text.lower()
    for word in NEVER_WORDS_ALL + NEVER_WORDS.get(module.id.split("_")[0], []):
        assert word not in lowered, f"{module.id}: learner text uses «{word}»"


def test_illustrations_are_plain_pictures(module: Module) -> None:
    """Our own SVGs: pictures only, no text, scripts, links or anything fetched."""
    blocks = [b for s in module.screens for b in s.blocks] + [b for s in module.scenes for b in s.blocks]
    for image in [b for b in blocks if isinstance(b, ImageBlock)]:
        assert image.alt.strip()
        data = (LESSONS / image.src).read_bytes()
        assert len(data) < 8192, f"{image.src} is {len(data)} bytes"
        svg = etree.fromstring(data, etree.XMLParser(resolve_entities=False, no_network=True))
        assert svg.get("viewBox"), image.src
        tags = {etree.QName(e).localname for e in svg.iter() if isinstance(e.tag, str)}
        assert not tags & {"script", "text", "foreignObject", "image", "a", "use", "style"}, (image.src, tags)
        assert not re.search(rb"(?:href|url\()\s*=?\s*[\"']?(?:https?:|//|data:)", data), image.src
        assert not re.search(rb"\bon[a-z]+\s*=", data), image.src


def test_teacher_notes_carry_the_disclosure_protocol(module: Module) -> None:
    """Section E.0 in every module: no blame, no secrecy promised, never view the image, police."""
    notes = module.teacher.disclosure.lower()
    assert re.search(r"не\s+(?:твоя\s+провина|винн|винен)", notes), "tell the child it is not their fault"
    assert "таємниц" in notes, "do not promise secrecy"
    assert re.search(r"не\s+(?:переглядайте|відкривайте)", notes), "never view the image"
    assert "102" in notes and "поліці" in notes
