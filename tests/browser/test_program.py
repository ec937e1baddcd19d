"""Whole-program packages (`scorm12-program`, `scorm2004-program`): one zip whose manifest lists every module
as a SCO in program order. An LMS plays them one after another in one player page, a fresh API instance
(its own CMI data) per SCO, each launched with the data of its own manifest item. Every module must end
with its own status, score and saved state, every launch within the standard's rules (harness.check_calls).
"""

from __future__ import annotations

import json

import pytest
from playwright.sync_api import Page

from exporter.scoring import correct_answer, questions
from tests.browser.conftest import COURSES, PROGRAM, Watch
from tests.browser.harness import (
    STANDARDS,
    Learner,
    Player,
    Server,
    Standard,
    assert_holds,
    check_calls,
    expected_result,
    manifest_items,
)

pytestmark = pytest.mark.browser


@pytest.mark.parametrize("standard", STANDARDS, ids=lambda s: s.program)
def test_the_program_plays_module_after_module(page: Page, server: Server, watch: Watch, standard: Standard) -> None:
    course = COURSES[PROGRAM]
    folder = f"{standard.program}/{PROGRAM}"
    items = manifest_items(standard, server.root / folder / "imsmanifest.xml")
    assert [item.href for item in items] == [f"{m.id}/index.html" for m in course.modules], \
        "the organization lists every module, in program order, each in its own folder"
    player = Player(page, server, standard)
    for item, module in zip(items, course.modules, strict=True):
        learner = Learner(player.launch(f"/{folder}/{item.href}", item.data), module)
        assert learner.frame.evaluate("StopRuntime.data.module") == module.id
        learner.run_to_end(right=True)
        calls, _ = player.leave()
        check_calls(standard, module, calls)
    results = page.evaluate("results()")  # each launch's LMS data, in launch order
    for module, cmi in zip(course.modules, results, strict=True):
        assert_holds(cmi, standard.final(*expected_result(module, True)))
        assert json.loads(cmi["cmi.suspend_data"])["a"] == {q.id: correct_answer(q) for _, q in questions(module)}
    watch.check()
