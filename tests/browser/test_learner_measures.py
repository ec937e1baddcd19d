"""What a test can measure of the pages children see (learner-experience.md), on every state of every module
that a contact sheet shows (`exporter.screens.shots`: each screen, each quest scene, the help dialog, the
result), at 360×640 and 1280×800:

- every tap target at least the band's size: 96 px (A), 64 px (B), 48 px (C), both ways; a link inside a
  sentence is no target of its own (WCAG 2.5.8's inline exception), a radio button or checkbox is measured
  by its label, which is what a finger presses;
- no `<select>` and no checkbox or radio list in bands A and B;
- under `prefers-reduced-motion: reduce`, nothing animates or transitions.

axe-core at both widths and keyboard-only completion are in test_accessibility.py.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import ExitStack
from urllib.parse import urlencode

import pytest
from playwright.sync_api import Browser, Page

from exporter.model import Module
from exporter.screens import INIT_SCRIPT, STATE_PARAM, VIEWPORTS, Shot, serving, shots
from tests.browser.harness import courses

pytestmark = pytest.mark.browser
COURSES = courses()
MODULES = [(key, module) for key, course in COURSES.items() if key != "session" for module in course.modules]
TAP = {"A": 96, "B": 64, "C": 48}
# Every target a finger can press, each as the element whose box it presses; visible ones only.
TARGETS = """() => {
  const seen = new Set();
  return [...document.querySelectorAll('button, a[href], input, select, textarea, [role=button]')]
    .map(e => e.closest('label') || e)
    .filter(e => !seen.has(e) && seen.add(e))
    .filter(e => e.getClientRects().length && getComputedStyle(e).visibility !== 'hidden')
    .filter(e => !(e.matches('a') && e.closest('p, li') && !e.closest('.contact')))
    .map(e => {
      const r = e.getBoundingClientRect();
      const name = (e.getAttribute('aria-label') || e.textContent || e.className).trim().slice(0, 40);
      return [e.tagName.toLowerCase() + '.' + [...e.classList].join('.') + ' «' + name + '»',
              Math.round(r.width), Math.round(r.height)];
    });
}"""
FORM_CONTROLS = """() => [...document.querySelectorAll('select, input[type=checkbox], input[type=radio]')]
  .map(e => e.outerHTML.slice(0, 80))"""
MOVING = """() => [...document.querySelectorAll('*')].filter(e => {
  const s = getComputedStyle(e);
  const seconds = v => v.split(',').reduce((most, t) => Math.max(most, parseFloat(t) || 0), 0);
  return (s.animationName !== 'none' && seconds(s.animationDuration) > 0) || seconds(s.transitionDuration) > 0;
}).map(e => e.tagName.toLowerCase() + '.' + [...e.classList].join('.'))"""


@pytest.fixture(scope="module")
def origins() -> Iterator[dict[str, str]]:
    """Each course's preview sites on a loopback port of their own."""
    with ExitStack() as stack:
        yield {key: stack.enter_context(serving(course)) for key, course in COURSES.items() if key != "session"}


def each_state(browser: Browser, origin: str, module: Module, viewport: tuple[int, int]) -> Iterator[tuple[str, Page]]:
    """The page opened at every shot of the module, as the contact sheet opens it, with reduced motion on."""
    context = browser.new_context(viewport={"width": viewport[0], "height": viewport[1]}, reduced_motion="reduce")
    context.set_default_timeout(15_000)
    context.add_init_script(INIT_SCRIPT)
    page = context.new_page()
    try:
        for shot in shots(module):
            open_shot(page, f"{origin}/{module.id}/index.html", shot)
            yield f"{module.id} {shot.label} at {viewport[0]}px", page
    finally:
        context.close()


def open_shot(page: Page, url: str, shot: Shot) -> None:
    page.goto(f"{url}?{urlencode({STATE_PARAM: json.dumps(shot.state, ensure_ascii=False)})}")
    page.wait_for_function("window.StopRuntime !== undefined")
    if shot.kind == "help":
        page.click("#help-open")


@pytest.mark.parametrize("key,module", MODULES, ids=[f"{k}-{m.id}" for k, m in MODULES])
def test_tap_targets_controls_and_motion(browser: Browser, origins: dict[str, str], key: str, module: Module) -> None:
    band, small, controls, moving = module.age_band, [], [], []
    for viewport in VIEWPORTS:
        for where, page in each_state(browser, origins[key], module, viewport):
            small += [f"{where}: {name} is {w}×{h}" for name, w, h in page.evaluate(TARGETS)
                      if min(w, h) < TAP[band]]
            if band != "C":
                controls += [f"{where}: {html}" for html in page.evaluate(FORM_CONTROLS)]
            moving += [f"{where}: {element}" for element in page.evaluate(MOVING)]
    assert not small, f"band {band} needs {TAP[band]} px targets:\n" + "\n".join(small)
    assert not controls, "bands A and B have no <select> and no checkbox or radio list:\n" + "\n".join(controls)
    assert not moving, "things move under reduced motion:\n" + "\n".join(moving)

