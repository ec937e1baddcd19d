"""The page an LTI launch shows: the module with the lti adapter and its session, assets through the tool's
static route, teacher notes for instructors only; packages keep the page they always had."""

from __future__ import annotations

import json
import re

import pytest

from exporter.loader import Course
from exporter.lti import pages
from exporter.render import Renderer

BASE = "/lti/static/m4_ne_vedus/"
TOKEN = "eyJsYXVuY2giOiJsLTEifQ.c2lnbmF0dXJl"  # base64url payload and signature, as session.issue makes


def page(course: Course, instructor: bool) -> str:
    module = course.modules[0]
    return pages.module_page(Renderer(course), module, token=TOKEN, api="/lti/api", base=BASE,
                             instructor=instructor, class_url="/lti/class/rl-1").decode()


def test_the_page_carries_the_lti_adapter_its_session_and_the_static_base(course: Course) -> None:
    html = page(course, instructor=False)
    assert f'<base href="{BASE}">' in html.split('<meta name="viewport"')[0]  # before any relative URL
    scripts = re.findall(r'<script src="([^"]+)"', html)
    module = course.modules[0]
    young = module.age_band != "C"
    parts = [*(["assets/young.js"] if young else []),  # bands A and B only
             *(["assets/speech.js"] if young or module.read_aloud else []),  # listen or read-aloud buttons
             *(["assets/quest.js"] if module.kind == "quest" else [])]
    assert scripts == ["assets/standalone.js", "assets/queue.js", "assets/lti.js", *parts, "assets/core.js"]
    found = re.search(r'<script type="application/json" id="lti-session">(.*?)</script>', html, re.S)
    assert found and json.loads(found[1]) == {"api": "/lti/api", "token": TOKEN}
    assert "://" not in re.sub(r'href="https://[^"]+"', "", html).split("<body>")[0]  # no external request


def test_teacher_notes_and_the_class_view_link_are_for_instructors_only(course: Course) -> None:
    module = course.modules[0]
    learner, teacher = page(course, instructor=False), page(course, instructor=True)
    assert "teacher-notes" not in learner and "/lti/class/" not in learner
    assert "teacher-notes" in teacher and 'href="/lti/class/rl-1"' in teacher
    assert module.objectives[0].text in teacher


def test_assets_come_from_the_lti_site_without_the_page_or_teacher_notes(course: Course) -> None:
    files, version = pages.assets(Renderer(course), course.modules[0].id)
    assert {"assets/queue.js", "assets/lti.js", "assets/core.js", "assets/style.css"} <= files.keys()
    assert "index.html" not in files and "teacher.html" not in files
    assert all(path.startswith(("assets/", "images/", "audio/")) for path in files)
    assert len(version) == 16


def test_packages_never_get_the_lti_parts(course: Course) -> None:
    for adapters in (("standalone", "scorm", "interactions", "scorm12"),
                     ("standalone", "scorm", "interactions", "scorm2004"),
                     ("standalone", "interactions", "queue", "cmi5")):
        html = Renderer(course).render(course.modules[0], adapters)["index.html"].decode()
        assert "lti-session" not in html and "<base" not in html and "teacher-notes" not in html


def test_launches_of_a_module_render_it_once(course: Course, monkeypatch: pytest.MonkeyPatch) -> None:
    """Only the token and the class link differ from launch to launch; rendering is most of a launch's cost."""
    renderer, module = Renderer(course), course.modules[0]
    rendered: list[str] = []
    original = renderer.page
    monkeypatch.setattr(renderer, "page", lambda template, context: rendered.append(template) or original(
        template, context))
    first, second = (pages.module_page(renderer, module, token=token, api="/lti/api", base=BASE, instructor=True,
                                       class_url=f"/lti/class/{link}").decode()
                     for token, link in (("a.b", "rl-1"), ("c.d", "rl-2")))
    assert rendered == ["module.html.j2"]
    assert first.replace('"a.b"', '"c.d"').replace("/lti/class/rl-1", "/lti/class/rl-2") == second


def test_a_token_that_is_not_url_safe_is_refused(course: Course) -> None:
    with pytest.raises(ValueError, match="URL-safe"):
        pages.module_page(Renderer(course), course.modules[0], token="x</script>", api="/lti/api", base=BASE,
                          instructor=False)
