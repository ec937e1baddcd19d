"""Shared fixtures: the real program in lessons/, the small fixture course, and built packages."""

from __future__ import annotations

from pathlib import Path

import pytest

from exporter.build import build_packages, select_targets
from exporter.loader import Course, load_course
from exporter.targets import Package

ROOT = Path(__file__).resolve().parents[1]
LESSONS = ROOT / "lessons"
FIXTURE_COURSE = ROOT / "tests" / "fixtures" / "course"
SCHEMAS = ROOT / "exporter" / "schemas"  # the official files, byte-identical (tests/check/test_schemas.py)


@pytest.fixture(scope="session", params=["lessons", "fixture"])
def course(request: pytest.FixtureRequest) -> Course:
    return load_course(LESSONS if request.param == "lessons" else FIXTURE_COURSE)


@pytest.fixture(scope="session")
def scorm12_packages(course: Course) -> list[Package]:
    return build_packages(course, course.modules, select_targets(["scorm12"]))
