"""The `stopsexting` command. Thin on purpose: it maps library errors to messages and exit codes."""

from __future__ import annotations

import importlib
import json
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, NoReturn, TypeVar

import click

from exporter.build import build_packages, select_modules, select_targets, write_packages
from exporter.check import check_package
from exporter.errors import ProblemReport
from exporter.loader import load_course
from exporter.model import Module, Program
from exporter.targets import BuildOptions, Package, registry

F = TypeVar("F", bound=Callable[..., Any])
EXIT_INVALID = 2
CARTRIDGE = "cc"


def lessons_option(command: F) -> F:
    return click.option(
        "--lessons", "lessons", type=click.Path(path_type=Path), default=Path("lessons"), show_default=True,
        help="Folder with program.yaml, the module files and images/.",
    )(command)


def _fail(report: ProblemReport) -> NoReturn:
    for problem in report.problems:
        click.echo(str(problem), err=True)
    count = len(report.problems)
    click.echo(f"{count} problem{'s' if count != 1 else ''}; nothing was written.", err=True)
    sys.exit(EXIT_INVALID)


class LazyGroup(click.Group):
    """A group whose heavier subcommands are imported only when used: the LTI tool's commands bring
    SQLAlchemy, Flask and cryptography, which a build never needs and would double its start-up time."""

    def __init__(self, *args: Any, lazy: dict[str, str], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.lazy = lazy

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted([*super().list_commands(ctx), *self.lazy])

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        if name not in self.lazy:
            return super().get_command(ctx, name)
        module, attribute = self.lazy[name].rsplit(".", 1)
        command: click.Command = getattr(importlib.import_module(module), attribute)
        return command


@click.group(cls=LazyGroup, lazy={"lti": "exporter.lti.cli.lti", "serve": "exporter.lti.serve.serve"},
             context_settings={"help_option_names": ["-h", "--help"]})
def main() -> None:
    """Compile the #stop_sexтинг lessons into packages for learning platforms."""


@main.command()
@click.argument("modules", nargs=-1)
@click.option("--format", "formats", multiple=True, type=click.Choice(sorted(registry())),
              help="Package format; repeat for several. Default: every format.")
@click.option("--out", type=click.Path(path_type=Path), default=Path("dist"), show_default=True,
              help="Folder the packages are written to.")
@click.option("--tool-url", envvar="STOPSEXTING_TOOL_URL",
              help="Base URL of your deployed LTI tool (https); the Common Cartridges (cc) link to it. "
              "Also read from STOPSEXTING_TOOL_URL.")
@lessons_option
def build(modules: tuple[str, ...], formats: tuple[str, ...], out: Path, tool_url: str | None, lessons: Path) -> None:
    """Build MODULES (default: all) into a zip per module and format, plus whole-program packages."""
    started = time.perf_counter()
    if not formats and not tool_url:
        formats = tuple(name for name in registry() if name != CARTRIDGE)
        click.echo(f"Skipping {CARTRIDGE}: it links to your LTI tool, so it needs --tool-url.", err=True)
    try:
        course = load_course(lessons)
        packages = build_packages(course, select_modules(course, modules), select_targets(formats),
                                  BuildOptions(tool_url))
    except ProblemReport as report:
        _fail(report)

    def progress(package: Package) -> None:
        click.echo(f"  {package.filename:<40} {len(package.data) / 1024:8.1f} KB")
        for warning in package.warnings:
            click.echo(f"    {warning}")

    write_packages(packages, out, progress)
    total = sum(len(p.data) for p in packages) / 1024
    click.echo(f"Built {len(packages)} package{'s' if len(packages) != 1 else ''} ({total:.1f} KB) "
               f"into {out} in {time.perf_counter() - started:.2f} s.")


@main.command()
@lessons_option
def validate(lessons: Path) -> None:
    """Check the lessons without building anything."""
    try:
        course = load_course(lessons)
        for target in registry().values():
            problems = [p for m in course.modules for p in target.check(course, m, BuildOptions())]
            if problems:
                raise ProblemReport(problems)
    except ProblemReport as report:
        _fail(report)
    click.echo(f"{len(course.modules)} modules are valid.")


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, show_default=True, type=int)
@lessons_option
def preview(host: str, port: int, lessons: Path) -> None:
    """Serve every module for authors to try in a browser (progress stays in the browser)."""
    from exporter.preview import make_server

    try:
        course = load_course(lessons)
        server = make_server(course, host, port)
    except ProblemReport as report:
        _fail(report)
    except OSError as error:
        raise click.ClickException(f"cannot listen on {host}:{port}: {error.strerror}") from error
    click.echo(f"Preview on http://{host}:{port}/ (Ctrl+C stops it)")
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        server.server_close()


@main.command()
@click.argument("modules", nargs=-1)
@click.option("--out", type=click.Path(path_type=Path), default=Path("dist/screens"), show_default=True,
              help="Folder the sheets are written to, one <module>.png each.")
@lessons_option
def screens(modules: tuple[str, ...], out: Path, lessons: Path) -> None:
    """Photograph every screen, scene, the help dialog and the result of MODULES (default: all) at 360×640
    and 1280×800 in headless Chromium, one contact sheet per module. Needs the test extras (Playwright,
    Pillow) and Debian's chromium: `make screens` installs them."""
    started = time.perf_counter()
    try:
        from exporter.screens import Sheet, contact_sheets
    except ImportError as error:
        raise click.ClickException(f"{error.name} is missing: `make screens` installs what this needs") from error
    try:
        course = load_course(lessons)
        chosen = select_modules(course, modules)
    except ProblemReport as report:
        _fail(report)

    def progress(path: Path, sheet: Sheet) -> None:
        click.echo(f"  {path}  {len(sheet.cells)} cells  {path.stat().st_size / 1024:8.1f} KB")
        for warning in sheet.warnings:
            click.echo(f"    {warning}", err=True)

    contact_sheets(course, chosen, out, progress)
    click.echo(f"Wrote {len(chosen)} sheet{'s' if len(chosen) != 1 else ''} into {out} "
               f"in {time.perf_counter() - started:.1f} s.")


@main.command()
@click.argument("which", type=click.Choice(["module", "program"]), default="module")
def schema(which: str) -> None:
    """Print the JSON Schema of a module file (or of program.yaml), for editor autocompletion."""
    model = Module if which == "module" else Program
    click.echo(json.dumps(model.model_json_schema(), ensure_ascii=False, indent=2))


@main.command()
@click.argument("packages", nargs=-1, required=True,
                type=click.Path(exists=True, dir_okay=False, readable=True, path_type=Path))
def check(packages: tuple[Path, ...]) -> None:
    """Check SCORM 1.2/2004, cmi5 and Common Cartridge PACKAGES (zips), ours or anyone's.

    One line per finding; exit code 1 when any is an error, 0 when there are only warnings."""
    findings = [finding for path in packages for finding in check_package(str(path), path.read_bytes())]
    for finding in findings:
        click.echo(str(finding))
    errors = sum(finding.severity == "error" for finding in findings)
    warnings = len(findings) - errors
    click.echo(f"{len(packages)} package{'s' if len(packages) != 1 else ''} checked: "
               f"{errors} error{'s' if errors != 1 else ''}, {warnings} warning{'s' if warnings != 1 else ''}.")
    sys.exit(1 if errors else 0)


if __name__ == "__main__":
    main()
