"""What SCORM 1.2 and 2004 packages share: modules as SCOs, one per module or all of them in one zip.

A module's package holds its site at the zip root. A whole-program package holds each module's site
in a folder named after the module, one SCO each, in program order, so an admin can add the program
as a single activity.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from exporter.errors import Problem
from exporter.loader import Course
from exporter.model import Module
from exporter.render import Renderer
from exporter.state import worst_case_size
from exporter.targets import Package
from exporter.targets.ziputil import deterministic_zip


@dataclass(frozen=True)
class Sco:
    """One module inside a package: its launch page and every file of its site, as zip paths."""

    module: Module
    href: str
    files: tuple[str, ...]


@dataclass(frozen=True)
class Contents:
    """What a manifest describes: the package's identifier and title, and its SCOs in order."""

    identifier: str
    title: str
    scos: tuple[Sco, ...]


Manifest = Callable[[Contents], bytes]


def scorm_packages(name: str, adapter: str, whole: bool, course: Course, modules: Sequence[Module],
                   renderer: Renderer, manifest: Manifest) -> list[Package]:
    """One zip per module, or (`whole`) one zip with every module, each with `imsmanifest.xml` at its root."""
    groups = [tuple(modules)] if whole else [(module,) for module in modules]
    packages = []
    for group in groups:
        files: dict[str, bytes] = {}
        scos = []
        for module in group:
            folder = f"{module.id}/" if whole else ""
            site = renderer.render(module, ("standalone", "scorm", "interactions", adapter))
            files.update({folder + path: data for path, data in site.items()})
            scos.append(Sco(module, folder + "index.html", tuple(sorted(folder + path for path in site))))
        if whole:
            contents = Contents(course.program.id, course.program.title, tuple(scos))
            filename = f"{course.program.id}.{name}.zip"
        else:
            contents = Contents(f"{course.program.id}.{group[0].id}", group[0].title, tuple(scos))
            filename = f"{group[0].id}.{name}.zip"
        files["imsmanifest.xml"] = manifest(contents)
        packages.append(Package(filename, name, group, deterministic_zip(files)))
    return packages


def state_fits(course: Course, module: Module, limit: int, standard: str) -> list[Problem]:
    """Refuse a module whose saved state could overflow the standard's `suspend_data`."""
    size = worst_case_size(module)
    if size <= limit:
        return []
    return [course.sources[module.id].problem(
        ("screens",), "E-STATE-SIZE",
        f"the learner's saved state can reach {size} characters, over {standard}'s {limit}; "
        "use fewer or shorter reflections, or split the module")]
