"""The runtime budget: every module's page, in every format, loads under 40,000 bytes of runtime JavaScript
(unminified, the scripts its <script src> tags name), so that the optional parts (young.js, speech.js,
quest.js) stay out of the pages that do not need them."""

from __future__ import annotations

import io
import re
import zipfile
from pathlib import PurePosixPath

import pytest

from exporter.build import build_packages, select_targets
from exporter.loader import Course
from exporter.lti.pages import assets, module_page
from exporter.preview import preview_sites
from exporter.render import Renderer

BUDGET = 40_000
SCRIPT = re.compile(r'<script src="([^"]+)"')


def loaded(page: bytes, files: dict[str, bytes], folder: str = "") -> int:
    """Bytes of the runtime scripts `page` loads, looked up in `files` relative to the page's `folder`."""
    names = SCRIPT.findall(page.decode())
    assert names and names[-1].endswith("core.js")
    return sum(len(files[str(PurePosixPath(folder) / name)]) for name in names)


@pytest.mark.parametrize("target", ["scorm12", "scorm2004", "cmi5"])
def test_every_packaged_page_stays_under_the_budget(course: Course, target: str) -> None:
    pages = 0
    for package in build_packages(course, course.modules, select_targets([target])):
        with zipfile.ZipFile(io.BytesIO(package.data)) as z:
            files = {name: z.read(name) for name in z.namelist()}
        for path, data in files.items():
            if PurePosixPath(path).name == "index.html":
                pages += 1
                size = loaded(data, files, str(PurePosixPath(path).parent))
                assert size < BUDGET, f"{package.filename} {path}: {size} bytes of runtime JS"
    assert pages >= len(course.modules)


def test_every_lti_and_preview_page_stays_under_the_budget(course: Course) -> None:
    renderer = Renderer(course)
    previews = preview_sites(course)
    for module in course.modules:
        public, _ = assets(renderer, module.id)
        page = module_page(renderer, module, token="t", api="/api/", base=f"/m/{module.id}/", instructor=False)
        size = loaded(page, public)
        assert size < BUDGET, f"LTI {module.id}: {size} bytes of runtime JS"
        site = previews[module.id]
        size = loaded(site["index.html"], site)
        assert size < BUDGET, f"preview {module.id}: {size} bytes of runtime JS"
