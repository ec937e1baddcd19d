"""Output formats, one module each, behind one small protocol and registered by name."""

from __future__ import annotations

from typing import Protocol

from exporter.errors import Problem
from exporter.loader import Course
from exporter.model import Module
from exporter.render import Site


class Target(Protocol):
    """A package format. `check` runs for every module before anything is rendered or written."""

    name: str
    adapters: tuple[str, ...]

    def check(self, course: Course, module: Module) -> list[Problem]: ...

    def package(self, course: Course, module: Module, site: Site) -> bytes: ...


def registry() -> dict[str, Target]:
    from exporter.targets.scorm12 import Scorm12

    targets: list[Target] = [Scorm12()]
    return {target.name: target for target in targets}
