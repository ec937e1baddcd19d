"""Browser fixtures: every package the tests play (SCORM 1.2 and 2004, one per module and the whole
program), built once and served unzipped on 127.0.0.1; one headless Chromium per session."""

from __future__ import annotations

import io
import shutil
import subprocess
import sys
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, ConsoleMessage, Page, Playwright, Request, sync_playwright

from exporter.build import build_packages, select_targets
from tests.browser.harness import (
    CHROMIUM,
    CHROMIUM_ARGS,
    NODE_MODULES,
    ROOT,
    STANDARDS,
    Sco,
    Server,
    courses,
    serve,
)

COURSES = courses()
SCOS = [Sco(key, course, module) for key, course in COURSES.items() for module in course.modules]
PROGRAM = next(iter(COURSES))  # the real program when lessons/ has one: whole-program packages are built of it


def sco_id(sco: Sco) -> str:
    return f"{sco.key}-{sco.module.id}"


@pytest.fixture(scope="session")
def site_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Every module's package of each standard, built by the real CLI where there is a lessons folder, and
    unzipped at /<standard's folder>/<course>/<module>/; the program's whole-program packages at
    /<format>/<course>/."""
    if not all((NODE_MODULES / "scorm-again" / "dist" / f"{s.name}.js").is_file() for s in STANDARDS):
        pytest.fail("node_modules is missing: run `npm ci` in the project root")
    root = tmp_path_factory.mktemp("site")
    zips = tmp_path_factory.mktemp("zips")
    for key, course in COURSES.items():
        formats = [s.name for s in STANDARDS] + ([s.program for s in STANDARDS] if key == PROGRAM else [])
        if key == "session":  # made in memory from the fixture lesson: built through the library
            built = {p.filename: p.data for p in build_packages(course, course.modules, select_targets(formats))}
        else:
            out = zips / key
            command = [sys.executable, "-m", "exporter.cli", "build", "--out", str(out),
                       "--lessons", str(course.folder)]
            command += [option for name in formats for option in ("--format", name)]
            subprocess.run(command, check=True, cwd=ROOT, capture_output=True)
            built = {path.name: path.read_bytes() for path in out.iterdir()}
        for standard in STANDARDS:
            for module in course.modules:
                unzip(built[f"{module.id}.{standard.name}.zip"], root / standard.folder / key / module.id)
            if key == PROGRAM:
                unzip(built[f"{course.program.id}.{standard.program}.zip"], root / standard.program / key)
    shutil.copytree(NODE_MODULES / "scorm-again" / "dist", root / "scorm-again")
    return root


def unzip(data: bytes, folder: Path) -> None:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        archive.extractall(folder)


@pytest.fixture(scope="session")
def server(site_root: Path) -> Iterator[Server]:
    yield from serve(site_root)


@pytest.fixture(scope="session")
def playwright() -> Iterator[Playwright]:
    """One Playwright per session: its sync API cannot be started twice in a thread, and tests that need
    Chromium with other flags (test_lti_cookies.py) launch it from here too."""
    with sync_playwright() as started:
        yield started


@pytest.fixture(scope="session")
def browser(playwright: Playwright) -> Iterator[Browser]:
    chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
    yield chromium
    chromium.close()


@dataclass
class Watch:
    """Everything a page did that a test may want to forbid: console errors, requests off the origin."""

    origin: str
    errors: list[str] = field(default_factory=list)
    requests: list[str] = field(default_factory=list)

    def console(self, message: ConsoleMessage) -> None:
        if message.type == "error":
            self.errors.append(message.text)

    def request(self, request: Request) -> None:
        self.requests.append(request.url)

    def check(self) -> None:
        assert not self.errors, f"console errors: {self.errors}"
        foreign = [u for u in self.requests if not u.startswith(self.origin + "/") and not u.startswith("data:")]
        assert not foreign, f"requests that left {self.origin}: {foreign}"


@pytest.fixture()
def watch(server: Server) -> Watch:
    return Watch(server.origin)


def new_page(browser: Browser, watch: Watch, width: int = 1280, height: int = 900, **options: Any) -> Page:
    """A page in a fresh context. Chats show every message at once (reduced motion) unless `options` say
    otherwise: the suites that play every module test tracking, test_quest_chat.py the arriving messages."""
    options.setdefault("reduced_motion", "reduce")
    context = browser.new_context(viewport={"width": width, "height": height}, **options)
    context.set_default_timeout(10_000)
    return watched(context.new_page(), watch)


def watched(page: Page, watch: Watch) -> Page:
    """`page` with its console errors, uncaught errors and requests going to `watch`."""
    page.on("console", watch.console)
    page.on("pageerror", lambda error: watch.errors.append(f"uncaught: {error}"))
    page.on("request", watch.request)
    return page


@pytest.fixture()
def page(browser: Browser, watch: Watch) -> Iterator[Page]:
    page = new_page(browser, watch)
    yield page
    page.context.close()
