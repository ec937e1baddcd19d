"""Output formats, one module each, behind one small protocol and registered by name."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from exporter.check import Finding
from exporter.errors import Problem
from exporter.loader import Course
from exporter.model import Module
from exporter.render import Renderer


@dataclass(frozen=True)
class Package:
    """One file a build writes: a zip (or cartridge), the modules inside it in program order, and the
    warnings `stopsexting check` gave it."""

    filename: str
    target: str
    modules: tuple[Module, ...]
    data: bytes
    warnings: tuple[Finding, ...] = ()


@dataclass(frozen=True)
class BuildOptions:
    """Settings that are not in the lessons: where the deployed LTI tool lives (for cartridges)."""

    tool_url: str | None = None


class Target(Protocol):
    """A package format. `check` runs for every module before anything is rendered or written; `packages`
    builds in memory, so a problem found there still leaves the output folder untouched."""

    name: str

    def check(self, course: Course, module: Module, options: BuildOptions) -> list[Problem]: ...

    def packages(self, course: Course, modules: Sequence[Module], renderer: Renderer,
                 options: BuildOptions) -> list[Package]: ...


def registry() -> dict[str, Target]:
    from exporter.targets.cc import Cc
    from exporter.targets.cmi5 import Cmi5
    from exporter.targets.scorm12 import Scorm12
    from exporter.targets.scorm2004 import Scorm2004

    targets: list[Target] = [Scorm12(whole=False), Scorm2004(whole=False), Scorm12(whole=True),
                             Scorm2004(whole=True), Cmi5(), Cc()]
    return {target.name: target for target in targets}
