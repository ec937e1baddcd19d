"""Diagnostics for people: every problem names the file, the position, the field path and a stable code."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

Loc = tuple[str | int, ...]


@dataclass(frozen=True, order=True)
class Problem:
    """One finding; `line` and `column` are 1-based, 0 when the problem concerns the whole file."""

    file: str
    line: int
    column: int
    code: str
    path: str
    message: str

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}:{self.column}" if self.line else self.file
        field = f" {self.path}:" if self.path else ""
        return f"{where} {self.code}{field} {self.message}"


class ProblemReport(Exception):
    """Raised once with every problem of a run, so authors fix them all in one go."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = sorted(set(problems))
        super().__init__("\n".join(str(p) for p in self.problems))


def display_path(path: Path) -> str:
    """Paths relative to the working directory read better in messages; others stay absolute."""
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)


def format_loc(loc: Loc) -> str:
    """A field path as authors write it: `screens[2].blocks[0].md`."""
    text = ""
    for part in loc:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else part)
    return text
