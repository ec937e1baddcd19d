"""Every package our build writes passes the checker without errors, in every format the build knows."""

from __future__ import annotations

from exporter.check import check_package
from exporter.loader import Course
from exporter.targets import registry
from tests.check.packages import every_package


def test_every_package_we_build_has_no_errors(course: Course) -> None:
    packages = every_package(course)
    assert {package.target for package in packages} == set(registry())
    for package in packages:
        errors = [str(f) for f in check_package(package.filename, package.data) if f.severity == "error"]
        assert errors == [], f"{package.filename}:\n" + "\n".join(errors)
