"""Accessibility: axe-core on every screen, every quest scene and the open help dialog, at 1280 and 360 px;
no sideways scrolling on a phone; one screen completed with the keyboard alone, focus always visible."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import Browser, Frame, Page

from exporter.model import MatchingQuestion, OrderingQuestion
from exporter.scoring import LETTERS
from tests.browser.conftest import SCOS, Watch, new_page, sco_id
from tests.browser.harness import (
    Learner,
    Sco,
    Server,
    answer_for,
    axe,
    has_quest,
    pressed_cards,
    quest_path,
    screen_blocks,
    young_steps,
)

pytestmark = pytest.mark.browser
def open_standalone(browser: Browser, watch: Watch, server: Server, sco: Sco, width: int, height: int) -> Page:
    """The package's page on its own: no LMS above it, so the runtime uses the standalone adapter."""
    page = new_page(browser, watch, width, height)
    page.goto(server.origin + sco.path)
    page.wait_for_function("window.StopRuntime !== undefined")
    assert page.evaluate("StopRuntime.host") == "standalone"
    return page


def overflow(frame: Frame) -> int:
    return int(frame.evaluate("document.documentElement.scrollWidth - window.innerWidth"))


@pytest.mark.parametrize("width,height", [(1280, 900), (360, 740)], ids=["1280px", "360px"])
@pytest.mark.parametrize("sco", SCOS, ids=sco_id)
def test_axe_finds_nothing_serious(browser: Browser, server: Server, watch: Watch, sco: Sco,
                                   width: int, height: int) -> None:
    page = open_standalone(browser, watch, server, sco, width, height)
    frame, learner = page.main_frame, Learner(page.main_frame, sco.module)
    found: list[str] = []
    page.locator("#help-open").click()
    axe(frame, "help dialog", found)
    page.keyboard.press("Escape")
    last = len(sco.module.screens) - 1
    for index in range(last + 1):
        where = f"screen {index} ({sco.module.screens[index].id})"
        axe(frame, where, found)
        assert overflow(frame) <= 0, f"{where} scrolls sideways at {width}px"
        if has_quest(sco.module, index):
            if sco.module.roles:
                axe(frame, "role picker", found)
                page.locator("button.role").first.click()
            for scene_id, letter, _ in quest_path(sco.module, best=True):
                scene = page.locator(f"#sc-{scene_id}")
                scene.locator(f"button.choice[data-v='{letter}']").click()
                axe(frame, f"scene {scene_id} with feedback", found)
                scene.locator("button.go").click()
            axe(frame, "quest ending", found)
            # Scenes off the best path: show each (with its feedback) and check its markup too.
            shown = frame.evaluate("""() => {
              const shown = [...document.querySelectorAll('.scene, .scene .fb, .scene .go')].filter(e => !e.hidden);
              document.querySelectorAll('.scene, .scene .fb, .scene .go, .scene .msg, .scene .typing, .scene .choice, '
                + '.scene [data-if], .scene [data-unless]').forEach(e => e.hidden = false);
              return shown.length;
            }""")
            axe(frame, "every scene shown", found)
            assert overflow(frame) <= 0, f"a scene scrolls sideways at {width}px"
            page.reload()  # back to what the runtime shows (the saved state)
            page.wait_for_function("window.StopRuntime !== undefined")
            assert shown == 1 and learner.screen() == index
        learner.complete_screen(index, right=index % 2 == 0)  # both kinds of feedback get checked
        if any(getattr(b, "kind", "") == "question" for b in screen_blocks(sco.module, index)):
            axe(frame, f"{where} with feedback", found)
        if index < last:
            learner.next()
    axe(frame, "result", found)
    page.context.close()
    assert not found, "\n".join(found)
    watch.check()


def focus_info(frame: Frame) -> dict[str, Any]:
    """The focused element and whether its focus ring shows (its own outline or its label's)."""
    result: dict[str, Any] = frame.evaluate("""() => {
      const el = document.activeElement;
      const ring = s => s.outlineStyle !== 'none' && parseFloat(s.outlineWidth) >= 2;
      const label = el.closest('label');
      return {tag: el.tagName, id: el.id, cls: String(el.className), name: el.name || '', value: el.value || '',
              v: (el.closest('[data-v]') || {dataset: {}}).dataset.v || '',
              q: (el.closest('[data-q]') || {dataset: {}}).dataset.q || '',
              ring: ring(getComputedStyle(el)) || !!(label && ring(getComputedStyle(label)))};
    }""")
    return result


class Keyboard:
    """Moves with Tab until a wanted element has focus, checking the focus ring at every stop; `frame` is
    where the module runs (an LMS's iframe, or the page itself)."""

    def __init__(self, page: Page, frame: Frame | None = None) -> None:
        self.page = page
        self.frame = frame or page.main_frame

    def tab_to(self, wanted: str, limit: int = 80) -> dict[str, Any]:
        for _ in range(limit):
            self.page.keyboard.press("Tab")
            info = focus_info(self.frame)
            if info["tag"] != "BODY":
                assert info["ring"], f"no visible focus on {info}"
            if self.frame.evaluate("sel => document.activeElement.matches(sel)", wanted):
                return info
        raise AssertionError(f"Tab never reached {wanted}")

    def press(self, key: str) -> None:
        self.page.keyboard.press(key)

    def next_screen(self) -> None:
        before = int(self.frame.evaluate("StopRuntime.state().s"))
        self.tab_to("#next")
        self.press("Enter")
        assert int(self.frame.evaluate("StopRuntime.state().s")) == before + 1


def keyboard_answer(keys: Keyboard, question: Any, answer: str) -> None:
    """Put `answer` into the question with the keyboard alone, over whatever a try before left, and check it."""
    box = f"#q-{question.id}"
    if keys.frame.locator(f"{box} :is(.card, .place-card)").count():  # bands A and B: cards, tap-to-place
        for card, place in young_steps(question, answer, pressed_cards(keys.frame, question)):
            keys.tab_to(f"{box} {card}")
            keys.press("Space")
            if place:
                keys.tab_to(f"{box} {place}")
                keys.press("Enter")
    elif isinstance(question, OrderingQuestion):
        for place, letter in enumerate(answer):
            order = keys.frame.evaluate(f"[...document.querySelectorAll('{box} li')].map(li => li.dataset.v).join('')")
            for _ in range(order.index(letter) - place):
                keys.tab_to(f"{box} li[data-v='{letter}'] button[data-move='-1']")
                keys.press("Enter")
    elif isinstance(question, MatchingQuestion):
        for index, letter in enumerate(answer):
            select = f"{box} .pair[data-v='{LETTERS[index]}'] select"
            keys.tab_to(select)
            for _ in range(12):
                if keys.frame.evaluate(f"document.querySelector(\"{select}\").value") == letter:
                    break
                keys.press("ArrowDown")
            assert keys.frame.evaluate(f"document.querySelector(\"{select}\").value") == letter
    elif question.type == "multiple":
        for letter in LETTERS[: len(question.options)]:
            option = f"{box} .opt[data-v='{letter}'] input"
            if keys.frame.evaluate(f"document.querySelector(\"{option}\").checked") != (letter in answer):
                keys.tab_to(option)
                keys.press("Space")
    else:  # radios: Tab enters the group, arrows move and choose
        keys.tab_to(f"{box} input")
        for _ in range(12):
            if keys.frame.evaluate("document.activeElement.value") == answer:
                break
            keys.press("ArrowDown")
        keys.press("Space")
    keys.tab_to(f"{box} button.check")
    keys.press("Space")


def keyboard_quest(keys: Keyboard, sco: Sco) -> None:
    if sco.module.roles:
        keys.tab_to("button.role[data-v='a']")
        keys.press("Enter")
    for scene_id, letter, _ in quest_path(sco.module, best=True):
        keys.tab_to(f"#sc-{scene_id} button.choice[data-v='{letter}']")
        keys.press("Enter")
        keys.tab_to(f"#sc-{scene_id} button.go")
        keys.press("Enter")


def first_of_each_kind() -> list[Sco]:
    seen: dict[str, Sco] = {}
    for sco in SCOS:
        seen.setdefault(sco.module.kind, sco)
    return [sco for kind, sco in seen.items() if kind in ("lesson", "quest")]


@pytest.mark.parametrize("sco", first_of_each_kind(), ids=sco_id)
def test_keyboard_only(browser: Browser, server: Server, watch: Watch, sco: Sco) -> None:
    """Reach and complete the first screen with questions (playing the quest on the way) without a mouse."""
    page = open_standalone(browser, watch, server, sco, 1280, 900)
    keys = Keyboard(page)
    for index, screen in enumerate(sco.module.screens):
        asked = [b for b in screen.blocks if b.kind == "question"]
        if has_quest(sco.module, index):
            keyboard_quest(keys, sco)
        for question in asked:
            keyboard_answer(keys, question, answer_for(question, right=True))
            assert question.id in keys.frame.evaluate("StopRuntime.state().a")
        if asked:
            break
        keys.next_screen()
    keys.next_screen()  # the completed screen lets the learner go on
    page.context.close()
    watch.check()
