"""Browser fixtures: SCORM 1.2 packages built once, served on 127.0.0.1, one headless Chromium per session."""

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
from playwright.sync_api import Browser, ConsoleMessage, Page, Request, sync_playwright

from exporter.build import build_packages, select_targets
from tests.browser.harness import (
    CHROMIUM,
    CHROMIUM_ARGS,
    NODE_MODULES,
    ROOT,
    Sco,
    Server,
    all_scos,
    serve,
)

SCOS = all_scos()


def sco_id(sco: Sco) -> str:
    return f"{sco.key}-{sco.module.id}"


@pytest.fixture(scope="session")
def site_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Every module's SCORM 1.2 zip, built by the real CLI where there is a lessons folder, and unzipped."""
    if not (NODE_MODULES / "scorm-again" / "dist" / "scorm12.js").is_file():
        pytest.fail("node_modules is missing: run `npm ci` in the project root")
    root = tmp_path_factory.mktemp("site")
    zips = tmp_path_factory.mktemp("zips")
    built: dict[tuple[str, str], bytes] = {}
    for sco in SCOS:
        if sco.key in {k for k, _ in built}:
            continue
        if sco.key == "session":  # made in memory from the fixture lesson: built through the library
            for package in build_packages(sco.course, sco.course.modules, select_targets(["scorm12"])):
                built[(sco.key, package.modules[0].id)] = package.data
            continue
        out = zips / sco.key
        subprocess.run([sys.executable, "-m", "exporter.cli", "build", "--format", "scorm12", "--out", str(out),
                        "--lessons", str(sco.course.folder)], check=True, cwd=ROOT, capture_output=True)
        for module in sco.course.modules:
            built[(sco.key, module.id)] = (out / f"{module.id}.scorm12.zip").read_bytes()
    for (key, module_id), data in built.items():
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            archive.extractall(root / "pkg" / key / module_id)
    shutil.copytree(NODE_MODULES / "scorm-again" / "dist", root / "scorm-again")
    shutil.copy(NODE_MODULES / "axe-core" / "axe.min.js", root / "axe.min.js")
    return root


@pytest.fixture(scope="session")
def server(site_root: Path) -> Iterator[Server]:
    yield from serve(site_root)


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    with sync_playwright() as playwright:
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
    context = browser.new_context(viewport={"width": width, "height": height}, **options)
    context.set_default_timeout(10_000)
    page = context.new_page()
    page.on("console", watch.console)
    page.on("pageerror", lambda error: watch.errors.append(f"uncaught: {error}"))
    page.on("request", watch.request)
    return page


@pytest.fixture()
def page(browser: Browser, watch: Watch) -> Iterator[Page]:
    page = new_page(browser, watch)
    yield page
    page.context.close()
