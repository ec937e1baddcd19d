"""The learner page's own behaviour: help dialog, the polite «Далі» gate, the standalone adapter, and what
the built pages contain (and must never contain)."""

from __future__ import annotations

import io
import json
import re
import zipfile
from pathlib import Path

import pytest
from playwright.sync_api import Browser

from exporter.build import build_packages, select_targets
from exporter.render import runtime_data
from exporter.scoring import questions
from tests.browser.conftest import SCOS, Watch, new_page, sco_id
from tests.browser.harness import ROOT, STANDARDS, Learner, Sco, Server, has_quest

RUNTIME = ROOT / "templates" / "runtime"
RUNTIME_BUDGET = 40_000  # the budget for one page; tests/targets/test_runtime_budget.py checks every page


def first_question_screen(sco: Sco) -> int:
    return next(i for i, s in enumerate(sco.module.screens) if any(b.kind == "question" for b in s.blocks)
                and not any(has_quest(sco.module, j) for j in range(i)))


def graded_scos() -> list[Sco]:
    return [s for s in SCOS if any(True for _ in questions(s.module))][:1] + \
        [s for s in SCOS if s.module.kind == "quest"][:1]


@pytest.mark.browser
def test_help_dialog(browser: Browser, server: Server, watch: Watch) -> None:
    """Always there; opens a modal listing the contacts, focus moves in, Esc closes, focus comes back."""
    sco = SCOS[0]
    page = new_page(browser, watch, 360, 740)
    page.goto(server.origin + sco.path)
    page.wait_for_function("window.StopRuntime !== undefined")
    opener, dialog = page.locator("#help-open"), page.locator("#help")
    box = opener.bounding_box()
    assert opener.is_visible() and box and box["height"] >= 44
    opener.focus()
    page.keyboard.press("Enter")
    assert dialog.is_visible()
    assert page.evaluate("document.activeElement.closest('dialog') !== null"), "focus moves into the dialog"
    assert dialog.locator(".contact").count() == len(sco.module.help)
    for link in dialog.locator("a[href^='http']").all():
        assert "noopener" in (link.get_attribute("rel") or "")
    for link in dialog.locator("a[href^='tel:']").all():
        assert re.fullmatch(r"tel:\+?[0-9]+", link.get_attribute("href") or "")
    page.keyboard.press("Escape")
    assert dialog.is_hidden()
    assert page.evaluate("document.activeElement.id") == "help-open", "focus returns to the button"
    page.mouse.wheel(0, 2000)
    assert opener.is_visible() and opener.bounding_box()["y"] < 200, "the header stays on screen"  # type: ignore[index]
    page.locator("#help-open").click()
    page.locator("#help-close").click()
    assert page.locator("#help").is_hidden()
    page.context.close()
    watch.check()


@pytest.mark.browser
@pytest.mark.parametrize("sco", graded_scos(), ids=sco_id)
def test_next_waits_politely_for_answers(browser: Browser, server: Server, watch: Watch, sco: Sco) -> None:
    page = new_page(browser, watch)
    page.goto(server.origin + sco.path)
    page.wait_for_function("window.StopRuntime !== undefined")
    learner = Learner(page.main_frame, sco.module)
    target = next(i for i, _ in enumerate(sco.module.screens) if has_quest(sco.module, i)) \
        if sco.module.kind == "quest" else first_question_screen(sco)
    while learner.screen() < target:
        learner.complete_screen(learner.screen(), right=True)
        learner.next()
    nxt = page.locator("#next")
    assert nxt.get_attribute("aria-disabled") == "true"
    nxt.click(force=True)  # aria-disabled, not disabled: it still answers, with the reason
    assert learner.screen() == target
    message = page.locator("#nav-msg").inner_text()
    assert "«Перевірити»" in message or "дограй" in message
    learner.complete_screen(target, right=False)
    assert nxt.get_attribute("aria-disabled") == "false" and page.locator("#nav-msg").is_hidden()
    learner.next()
    page.context.close()
    watch.check()


@pytest.mark.browser
@pytest.mark.parametrize("sco", graded_scos(), ids=sco_id)
def test_standalone_keeps_progress_in_local_storage(browser: Browser, server: Server, watch: Watch,
                                                    sco: Sco) -> None:
    """Without an LMS the module still runs, and a reload resumes from localStorage (keyed by module id)."""
    page = new_page(browser, watch)
    page.goto(server.origin + sco.path)
    page.wait_for_function("window.StopRuntime !== undefined")
    learner = Learner(page.main_frame, sco.module)
    learner.complete_screen(0, right=True)
    learner.next()
    learner.complete_screen(1, right=True)
    state = learner.state()
    stored = page.evaluate(f"localStorage.getItem('stopsexting.{sco.module.id}')")
    assert json.loads(stored) == state
    page.reload()
    page.wait_for_function("window.StopRuntime !== undefined")
    assert learner.state() == state and learner.screen() == 1
    for qid, answer in state["a"].items():
        assert page.locator(f"#q-{qid} button.check").is_hidden(), f"{qid} {answer} shows as checked"
    page.context.close()
    watch.check()


def test_runtime_fits_its_budget() -> None:
    """The runtime a SCORM package of one module ships (its page's scripts) stays small;
    no runtime file reaches the network or the top window, except cmi5.js and lti.js, whose job is to talk to
    the LRS or the LTI tool the page is launched from."""
    formats = [name for s in STANDARDS for name in (s.name, s.program)]
    for package in build_packages(SCOS[0].course, SCOS[0].course.modules[:1], select_targets(formats)):
        with zipfile.ZipFile(io.BytesIO(package.data)) as archive:
            total = sum(i.file_size for i in archive.infolist() if i.filename.endswith(".js"))
        assert total < RUNTIME_BUDGET, f"{package.target} ships {total} bytes of runtime JS, over {RUNTIME_BUDGET}"
    for path in sorted(RUNTIME.glob("*.js")):
        if path.name in ("cmi5.js", "lti.js"):
            continue
        source = path.read_text()
        assert "'use strict'" in source, path.name
        assert "window.top" not in source and "unload" not in source.replace("pagehide", ""), path.name
        assert "://" not in source and "XMLHttpRequest" not in source and "fetch(" not in source, path.name


def test_stylesheet_needs_no_network() -> None:
    css = (ROOT / "templates" / "style.css").read_text()
    assert "@import" not in css and "url(" not in css and "://" not in css
    assert ":focus-visible" in css and "prefers-reduced-motion" in css


@pytest.mark.parametrize("sco", SCOS, ids=sco_id)
def test_learner_page(site_root: Path, sco: Sco) -> None:
    """What the packaged page carries: language, viewport, the data, scripts in order; no teacher notes."""
    folder = site_root / "pkg" / sco.key / sco.module.id
    page = (folder / "index.html").read_text()
    assert '<html lang="uk">' in page and '<meta name="viewport"' in page and '<meta charset="utf-8">' in page
    data = re.search(r'<script type="application/json" id="module-data">(.*?)</script>', page, re.S)
    assert data and json.loads(data[1]) == json.loads(json.dumps(runtime_data(sco.module)))
    scripts = re.findall(r'<script src="([^"]+)"', page)
    young = sco.module.age_band != "C"
    parts = [*(["assets/young.js"] if young else []),  # bands A and B only
             *(["assets/speech.js"] if young or sco.module.read_aloud else []),  # listen or read-aloud buttons
             *(["assets/quest.js"] if sco.module.kind == "quest" else [])]
    assert scripts == ["assets/standalone.js", "assets/scorm.js", "assets/interactions.js", "assets/scorm12.js",
                       *parts, "assets/core.js"]
    assert not (folder / "teacher.html").exists()
    notes = sco.module.teacher
    for text in (notes.preparation, notes.running, notes.disclosure):
        for line in text.splitlines():
            words = re.sub(r"[*_`#>\-\d.]+", " ", line).split()
            if len(words) >= 6:
                fragment = " ".join(words[:6])
                assert fragment not in re.sub(r"<[^>]+>", " ", page), f"teacher note on the learner page: {line}"
    assert len(re.findall(r'<section class="screen"', page)) == len(sco.module.screens)


@pytest.mark.parametrize("sco", SCOS[:2], ids=sco_id)
def test_teacher_page(sco: Sco) -> None:
    """Teacher notes, objectives, audience and duration go to teacher.html, only when asked for."""
    from exporter.render import Renderer

    site = Renderer(sco.course).render(sco.module, ("standalone",), teacher=True)
    page = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", site["teacher.html"].decode()))
    assert f"{sco.module.duration_minutes} хв" in page
    for objective in sco.module.objectives:
        assert " ".join(objective.text.split()) in page
    for text in (sco.module.teacher.preparation, sco.module.teacher.running, sco.module.teacher.disclosure):
        words = re.sub(r"[*_`#>]+", " ", text).split()
        assert " ".join(words[1:5]) in page


FAKE_SPEECH = """
window.__spoken = [];
const voices = window.__voices || [];
Object.defineProperty(window, 'speechSynthesis', {value: {
  getVoices: () => voices, cancel: () => {}, addEventListener: () => {},
  speak: (u) => window.__spoken.push({text: u.text, lang: u.lang, voice: u.voice && u.voice.name}),
}});
window.SpeechSynthesisUtterance = function (text) { this.text = text; };
"""


@pytest.mark.browser
@pytest.mark.parametrize("voices", [[], [{"lang": "en-US", "name": "English"}],
                                    [{"lang": "en-US", "name": "English"}, {"lang": "uk-UA", "name": "Ukrainian"}]])
def test_read_aloud_uses_a_ukrainian_voice_or_stays_hidden(
    browser: Browser, server: Server, watch: Watch, voices: list[dict[str, str]]
) -> None:
    """Modules for young children offer read-aloud through the browser's speech, only with a Ukrainian voice."""
    sco = next(s for s in SCOS if s.key == "session")
    page = new_page(browser, watch)
    page.add_init_script(f"window.__voices = {json.dumps(voices)};" + FAKE_SPEECH)
    page.goto(server.origin + sco.path)
    page.wait_for_function("window.StopRuntime !== undefined")
    button = page.locator("section.screen:not([hidden]) button.speak")
    if not any(v["lang"].startswith("uk") for v in voices):
        assert button.is_hidden(), "without a Ukrainian voice the page works as it is, without the button"
        page.context.close()
        return
    button.click()
    (spoken,) = page.evaluate("window.__spoken")
    assert spoken["lang"] == "uk-UA" and spoken["voice"] == "Ukrainian"
    shown = page.evaluate("document.querySelector('section.screen:not([hidden])').innerText.replace(/\\s+/g, ' ')")
    assert spoken["text"] == shown and sco.module.screens[0].title in shown, "the screen is read, not the header"
    assert button.get_attribute("aria-pressed") == "true"
    button.click()
    assert button.get_attribute("aria-pressed") == "false" and len(page.evaluate("window.__spoken")) == 1
    page.locator("#help-open").click()
    page.locator("#help button.speak").click()
    help_text = page.evaluate("window.__spoken")[-1]["text"]
    assert all(contact.name in help_text for contact in sco.course.program.contacts if contact.id in sco.module.help)
    page.context.close()
    watch.check()


@pytest.mark.browser
def test_session_completes_only_when_the_adult_saves_the_checklist(
    browser: Browser, server: Server, watch: Watch
) -> None:
    sco = next(s for s in SCOS if s.key == "session")
    page = new_page(browser, watch)
    page.goto(server.origin + sco.path)
    page.wait_for_function("window.StopRuntime !== undefined")
    learner = Learner(page.main_frame, sco.module)
    last = len(sco.module.screens) - 1
    while learner.screen() < last:
        learner.complete_screen(learner.screen(), right=True)
        learner.next()
    assert page.locator("#result").is_hidden(), "every screen seen, but the checklist is not saved yet"
    checklist = page.locator(".checklist")
    checklist.locator("input, .card").nth(1).click()
    checklist.locator("button.save-checklist").click()
    assert learner.state()["k"] == {"adult_check": "b"}
    assert page.locator("#result-text").inner_text().startswith("Вітаємо")
    assert checklist.locator("input, .card").nth(0).is_disabled()
    page.context.close()
    watch.check()
