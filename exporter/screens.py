"""Contact sheets: every screen, quest scene, the help dialog and the result of a module, at a phone's
360×640 and a laptop's 1280×800, in one labelled PNG per module, so that authors and reviewers see the
whole program at a glance without clicking through it.

Each module's preview site (exporter/preview.py: the standalone runtime, progress in localStorage) is served
on a loopback port and opened in headless Chromium once per state. A state is the runtime's own saved state
(templates/runtime/README.md) written to localStorage under `stopsexting.<module id>` by an init script,
before core.js reads it: setting it and reloading would race the page, which saves its own state again when
it is hidden. The sheet relies only on that saved-state format, `window.StopRuntime`, `#help-open`, `#result` and a
scene's `data-scene`, so new blocks, bands and interactions appear in it without changes here.

What a cell shows: a screen from the page's top, a scene from its own top, down to at most three viewport
heights (the task and its options often lie below a phone's fold; red ticks in the margins mark one
viewport's height, and «далі обрізано» under a picture says the page goes on); the help dialog and the
result as the learner sees them: the viewport (scrolled to the result). Pictures shrink to fit: phone
shots stay readable, laptop shots show the layout.
"""

from __future__ import annotations

import json
import os
import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from io import BytesIO
from pathlib import Path
from typing import Any, Literal
from urllib.parse import urlencode

from PIL import Image, ImageDraw, ImageFont
from playwright.sync_api import Browser, Page, Playwright, sync_playwright

from exporter.loader import Course
from exporter.model import Module, QuestBlock
from exporter.preview import make_server
from exporter.scoring import LETTERS, correct_answer, questions, scene_paths

# Debian's Chromium (the `chromium` package), as the browser tests drive it: test tools download no browser.
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
VIEWPORTS = ((360, 640), (1280, 800))
PAGE_HEIGHTS = 3  # a page cell shows at most this many viewport heights
# How much each width's shots shrink on the sheet: phone shots stay readable, laptop shots show the layout.
SCALES = {360: 0.75, 1280: 0.375}
STATES_PER_ROW = 3
FONT = Path("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf")  # Debian's fonts-dejavu-core: has Cyrillic
STATE_PARAM = "screens-state"
INIT_SCRIPT = f"""(() => {{
  const state = new URLSearchParams(location.search).get('{STATE_PARAM}');
  if (state !== null) localStorage.setItem('stopsexting.' + location.pathname.split('/')[1], state);
}})();"""
# Where a page picture starts (8 px above the element, else the top) and the page's height, in CSS pixels.
PAGE_EXTENT = """(selector) => {
  const element = selector && document.querySelector(selector);
  const top = element ? Math.max(0, Math.round(element.getBoundingClientRect().top + scrollY) - 8) : 0;
  return [top, document.documentElement.scrollHeight];
}"""
GAP, PAD, LABEL = 16, 24, 26
BACKGROUND, INK, FRAME, FOLD = (238, 240, 243), (30, 34, 40), (170, 176, 186), (214, 64, 69)


@dataclass(frozen=True)
class Shot:
    """One state of a module's page: its label on the sheet, the saved state that opens it, and what to do
    before the picture (`page`: nothing, `help`: open the dialog, `result`: scroll to the result). A page
    picture starts at the element `top` selects when there is one: a scene's own text and choices then fit
    in the cell, while the screen around it is the quest screen's cell."""

    label: str
    state: dict[str, Any]
    kind: Literal["page", "help", "result"] = "page"
    top: str | None = None


@dataclass(frozen=True)
class Cell:
    label: str  # the shot's and the viewport's width
    width: int
    png: bytes
    cut: bool = False  # the page goes on below the picture


@dataclass
class Sheet:
    """A module's pictures, in the order of its shots, and the shots the page did not open as asked."""

    module: Module
    cells: list[Cell] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


def shots(module: Module) -> list[Shot]:
    """Every screen, then the quest screen at each scene, the help dialog on the first screen, and the result
    (every question right, every checklist ticked, the nearest ending reached) on the last screen.

    Screens are shown as a learner who has seen them all finds them, with nothing answered; scenes and the
    result as the first role plays them when the quest has roles (state key `g`), so that the quest screen
    itself still shows the role picker."""
    last = len(module.screens) - 1

    def state(screen: int, **more: Any) -> dict[str, Any]:
        return {"v": 1, "n": 1, "s": screen, "m": last, "a": {}, "p": "", "k": {}, **more}

    role = {"g": "a"} if module.roles else {}
    paths = scene_paths(module)
    found = [Shot(f"{i + 1} · {screen.id}", state(i)) for i, screen in enumerate(module.screens)]
    quest = next((i for i, screen in enumerate(module.screens)
                  if any(isinstance(block, QuestBlock) for block in screen.blocks)), None)
    if quest is not None:
        found += [Shot(f"сцена {scene.id}", state(quest, p=paths[scene.id], **role), top=f'[data-scene="{scene.id}"]')
                  for scene in module.scenes]
    found.append(Shot("допомога", state(0), "help"))
    endings = [paths[scene.id] for scene in module.scenes if scene.ending]
    done = state(last, a={q.id: correct_answer(q) for _, q in questions(module)},
                 p=min(endings, key=len, default=""), **role,
                 k={b.id: LETTERS[: len(b.items)] for s in module.screens for b in s.blocks if b.kind == "checklist"})
    found.append(Shot("результат", done, "result"))
    return found


def capture(page: Page, url: str, shot: Shot, viewport: tuple[int, int]) -> Cell:
    """One state's picture; the page is opened afresh with the state in its address for the init script."""
    width, height = viewport
    page.goto(f"{url}?{urlencode({STATE_PARAM: json.dumps(shot.state, ensure_ascii=False)})}")
    page.wait_for_function("window.StopRuntime !== undefined")
    if shot.kind == "help":
        page.click("#help-open")
        return Cell(f"{shot.label} · {width}", width, page.screenshot())
    if shot.kind == "result":
        page.locator("#result").scroll_into_view_if_needed()
        return Cell(f"{shot.label} · {width}", width, page.screenshot())
    top, full = page.evaluate(PAGE_EXTENT, shot.top)
    tall = min(full - top, PAGE_HEIGHTS * height)
    png = page.screenshot(full_page=True, clip={"x": 0, "y": top, "width": width, "height": tall})
    return Cell(f"{shot.label} · {width}", width, png, cut=top + tall < full)


def photograph(browser: Browser, origin: str, module: Module) -> Sheet:
    """Every shot of `module` at every viewport, one browser context per viewport."""
    sheet = Sheet(module)
    url = f"{origin}/{module.id}/index.html"
    states = shots(module)
    taken: dict[tuple[int, int], Cell] = {}
    for viewport in VIEWPORTS:
        context = browser.new_context(viewport={"width": viewport[0], "height": viewport[1]},
                                      reduced_motion="reduce")
        context.set_default_timeout(15_000)
        context.add_init_script(INIT_SCRIPT)
        page = context.new_page()
        try:
            for index, shot in enumerate(states):
                taken[index, viewport[0]] = capture(page, url, shot, viewport)
                if shot.state["p"] and page.evaluate("window.StopRuntime.state().p") != shot.state["p"]:
                    sheet.warnings.append(f"{module.id}: {shot.label} at {viewport[0]}: the page dropped "
                                          f"the path {shot.state['p']!r}")
        finally:
            context.close()
    sheet.cells = [taken[index, width] for index in range(len(states)) for width, _ in VIEWPORTS]
    return sheet


def _font(size: int) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    """DejaVu Sans for the Cyrillic labels; Pillow's own font (Latin only) where it is not installed."""
    return ImageFont.truetype(str(FONT), size) if FONT.is_file() else ImageFont.load_default(size)


def compose(sheet: Sheet) -> Image.Image:
    """The sheet: a title, then the cells in order, each state's two widths side by side, a few states a row."""
    label_font, title_font = _font(16), _font(22)
    pictures = []
    for cell in sheet.cells:
        shot = Image.open(BytesIO(cell.png)).convert("RGB")
        scale = SCALES[cell.width]
        size = (round(shot.width * scale), round(shot.height * scale))
        pictures.append((cell, shot.resize(size, Image.Resampling.LANCZOS)))
    per_row = STATES_PER_ROW * len(VIEWPORTS)
    widths = [round(w * SCALES[w]) for w, _ in VIEWPORTS] * STATES_PER_ROW
    rows = [pictures[i:i + per_row] for i in range(0, len(pictures), per_row)]
    heights = [2 * LABEL + max(picture.height for _, picture in row) for row in rows]
    title = f"{sheet.module.id} · {sheet.module.title} · станів: {len(pictures) // len(VIEWPORTS)}"
    top = PAD + 40
    image = Image.new("RGB", (2 * PAD + sum(widths) + GAP * (per_row - 1),
                              top + sum(heights) + GAP * (len(rows) - 1) + PAD), BACKGROUND)
    draw = ImageDraw.Draw(image)
    draw.text((PAD, PAD), title, font=title_font, fill=INK)
    y = top
    for row, height in zip(rows, heights, strict=True):
        x = PAD
        for (cell, picture), column in zip(row, widths, strict=False):
            draw.text((x, y), fit(draw, cell.label, label_font, column), font=label_font, fill=INK)
            image.paste(picture, (x, y + LABEL))
            draw.rectangle((x - 1, y + LABEL - 1, x + picture.width, y + LABEL + picture.height), outline=FRAME)
            if cell.cut:
                draw.text((x, y + LABEL + picture.height + 4), "↓ далі обрізано", font=label_font, fill=FOLD)
            fold = y + LABEL + round(dict(VIEWPORTS)[cell.width] * SCALES[cell.width])
            if fold < y + LABEL + picture.height - 1:  # ticks in the margins, not over the text
                draw.line((x - 8, fold, x - 2, fold), fill=FOLD, width=3)
                draw.line((x + picture.width + 1, fold, x + picture.width + 7, fold), fill=FOLD, width=3)
            x += column + GAP
        y += height + GAP
    return image


def fit(draw: ImageDraw.ImageDraw, text: str, font: ImageFont.FreeTypeFont | ImageFont.ImageFont,
        width: int) -> str:
    """`text`, shortened with an ellipsis to `width` pixels, so a long id does not run into the next label."""
    while draw.textlength(text, font=font) > width and len(text) > 1:
        text = text[:-2] + "…"
    return text


def write_png(image: Image.Image, path: Path) -> None:
    """Through a temporary file renamed into place, so a sheet is never seen half written. In 256 colours: the
    pages are flat colour, and the sheet is a fifth of its size in full colour (a few hundred KB, not MB)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.tmp")
    image.quantize(256, method=Image.Quantize.FASTOCTREE).save(temporary, "PNG", optimize=True)
    os.replace(temporary, path)


@contextmanager
def serving(course: Course) -> Iterator[str]:
    """The course's preview sites on a free loopback port, for as long as the block runs; yields the origin."""
    server = make_server(course, "127.0.0.1", 0)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def write_sheets(course: Course, modules: Sequence[Module], out: Path, browser: Browser,
                 progress: Callable[[Path, Sheet], None] = lambda path, sheet: None) -> list[Sheet]:
    """`out/<module id>.png` for each module, in program order; `progress` hears of each sheet written."""
    sheets = []
    with serving(course) as origin:
        for module in modules:
            sheet = photograph(browser, origin, module)
            path = out / f"{module.id}.png"
            write_png(compose(sheet), path)
            progress(path, sheet)
            sheets.append(sheet)
    return sheets


def launch(playwright: Playwright) -> Browser:
    """Debian's Chromium, headless, with the browser tests' flags: Playwright's own browsers are never fetched."""
    return playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)


def contact_sheets(course: Course, modules: Sequence[Module], out: Path,
                   progress: Callable[[Path, Sheet], None] = lambda path, sheet: None) -> list[Sheet]:
    """`write_sheets` in a headless Chromium of its own."""
    with sync_playwright() as playwright:
        browser = launch(playwright)
        try:
            return write_sheets(course, modules, out, browser, progress)
        finally:
            browser.close()

