"""`stopsexting screens`: one contact sheet per module of the fixture course, every state in it, none blank."""

from __future__ import annotations

import hashlib
import json
from io import BytesIO
from pathlib import Path
from urllib.parse import urlencode

import pytest
from click.testing import CliRunner
from PIL import Image
from playwright.sync_api import Browser

from exporter.cli import main
from exporter.loader import load_course
from exporter.model import Module
from exporter.scoring import scene_paths
from exporter.screens import INIT_SCRIPT, STATE_PARAM, Sheet, serving, shots, write_sheets
from tests.browser.harness import FIXTURE_COURSE

pytestmark = pytest.mark.browser
COURSE = load_course(FIXTURE_COURSE)


@pytest.fixture(scope="module")
def sheets(browser: Browser, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[Sheet]]:
    out = tmp_path_factory.mktemp("screens")
    return out, write_sheets(COURSE, COURSE.modules, out, browser)


def test_one_sheet_per_module_with_every_state_at_both_widths(sheets: tuple[Path, list[Sheet]]) -> None:
    out, written = sheets
    assert sorted(p.name for p in out.iterdir()) == sorted(f"{m.id}.png" for m in COURSE.modules)
    for sheet in written:
        module = sheet.module
        assert len(sheet.cells) == (len(module.screens) + len(module.scenes) + 2) * 2, module.id
        assert not sheet.warnings
        with Image.open(out / f"{module.id}.png") as image:
            assert image.format == "PNG"
            assert 1000 < image.width < 4000 and 500 < image.height < 20_000, (module.id, image.size)
            image.verify()


def test_cells_show_different_pages(sheets: tuple[Path, list[Sheet]]) -> None:
    """No cell is blank, and each screen, each scene and the help dialog is a picture of its own."""
    _, written = sheets
    for sheet in written:
        module = sheet.module
        for cell in sheet.cells:
            colours = Image.open(BytesIO(cell.png)).convert("RGB").getcolors(maxcolors=1 << 16)
            assert colours is None or len(colours) > 20, f"{module.id}: {cell.label} is nearly blank"
        for width in (360, 1280):
            # cells go state by state, each state's widths in turn: screens, scenes, help, result
            pictures = [digest(cell.png) for cell in sheet.cells if cell.width == width]
            screens, rest = pictures[:len(module.screens)], pictures[len(module.screens):]
            scenes, help_dialog = rest[:len(module.scenes)], rest[len(module.scenes)]
            assert len(set(screens)) == len(screens), (module.id, width)
            assert len(set(scenes)) == len(scenes), (module.id, width)
            assert help_dialog != screens[0], (module.id, width)


def digest(png: bytes) -> str:
    """The pixels' hash: the PNG bytes could differ for one picture."""
    return hashlib.sha256(Image.open(BytesIO(png)).convert("RGB").tobytes()).hexdigest()


def test_scene_paths_are_shortest_choice_letters_from_the_start() -> None:
    quest = next(m for m in COURSE.modules if m.kind == "quest")
    assert scene_paths(quest) == {"s1": "", "s2": "a", "told": "aa", "blocked": "ab", "silent": "ac", "good": "aaa",
                                  "ok": "aab"}


@pytest.mark.parametrize("module", COURSE.modules, ids=lambda m: m.id)
def test_the_result_state_is_accepted_whole_and_passes(browser: Browser, module: Module) -> None:
    """The result cell shows a finished module, not failed: the runtime keeps every key of the state the sheet
    gives it (the answers are the right ones)."""
    done = shots(module)[-1]
    context = browser.new_context()
    context.add_init_script(INIT_SCRIPT)
    page = context.new_page()
    try:
        with serving(COURSE) as origin:
            page.goto(f"{origin}/{module.id}/index.html?{urlencode({STATE_PARAM: json.dumps(done.state)})}")
            page.wait_for_function("window.StopRuntime !== undefined")
            kept = page.evaluate("window.StopRuntime.state()")
            assert {key: kept[key] for key in done.state} == done.state
            assert page.is_visible("#result") and page.is_hidden("#retry")  # «try again» is only for a failure
    finally:
        context.close()


def test_an_unknown_module_is_refused_before_any_browser_starts() -> None:
    result = CliRunner().invoke(main, ["screens", "nosuch", "--lessons", str(FIXTURE_COURSE)])
    assert result.exit_code == 2
    assert "E-MODULE" in result.output
