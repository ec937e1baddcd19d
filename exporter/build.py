"""The build in two phases: check and produce every package in memory, then write them all.

Nothing touches the output folder unless the whole first phase succeeded, and each file is written to a
temporary name and moved into place, so a failed or interrupted build never leaves half a package.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import replace
from pathlib import Path

from exporter.check import check_package
from exporter.errors import Problem, ProblemReport
from exporter.loader import Course
from exporter.model import Module
from exporter.render import Renderer
from exporter.targets import BuildOptions, Package, Target, registry


def select_modules(course: Course, wanted: Sequence[str]) -> list[Module]:
    """The modules asked for, in program order; all of them when none are named."""
    known = {m.id for m in course.modules}
    unknown = [w for w in wanted if w not in known]
    if unknown:
        raise ProblemReport([Problem("program.yaml", 0, 0, "E-MODULE", "",
                                     f"no module '{name}'; known: {', '.join(sorted(known))}") for name in unknown])
    return [m for m in course.modules if not wanted or m.id in wanted]


def select_targets(names: Sequence[str]) -> list[Target]:
    targets = registry()
    unknown = [n for n in names if n not in targets]
    if unknown:
        raise ProblemReport([Problem("--format", 0, 0, "E-FORMAT", "",
                                     f"unknown format '{name}'; known: {', '.join(targets)}") for name in unknown])
    return [targets[n] for n in (names or list(targets))]


def build_packages(course: Course, modules: Sequence[Module], targets: Sequence[Target],
                   options: BuildOptions | None = None) -> list[Package]:
    """Phase one: every check of every target for every module, then render and zip in memory."""
    options = options or BuildOptions()
    problems = [p for target in targets for module in modules for p in target.check(course, module, options)]
    if problems:
        raise ProblemReport(problems)
    renderer = Renderer(course)
    return [checked(package) for target in targets for package in target.packages(course, modules, renderer, options)]


def checked(package: Package) -> Package:
    """The package as `stopsexting check` sees it, like anyone else's: an error there is a compiler bug, and
    stops the build before anything is written; warnings travel with the package for the CLI to show."""
    findings = check_package(package.filename, package.data)
    errors = [f for f in findings if f.severity == "error"]
    if errors:
        raise ProblemReport([Problem(f"{f.package}:{f.file}", f.line, 0, f.rule, f.path, f.message) for f in errors])
    return replace(package, warnings=tuple(findings))


def write_packages(packages: Sequence[Package], out: Path, progress: Callable[[Package], None]) -> None:
    """Phase two: each package goes to a temporary file in `out` and is renamed into place."""
    out.mkdir(parents=True, exist_ok=True)
    for package in packages:
        handle, temporary = tempfile.mkstemp(prefix=".partial-", dir=out)
        try:
            with os.fdopen(handle, "wb") as stream:
                stream.write(package.data)
            os.chmod(temporary, 0o644)
            os.replace(temporary, out / package.filename)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise
        progress(package)
