"""What the checker reports: findings with a place (file, line, element path) and a stable rule id."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal, cast

from lxml import etree

Severity = Literal["error", "warning"]


@dataclass(frozen=True, order=True)
class Finding:
    """One problem. `file` is a path inside the package, "" for the zip itself; `line` is 0 when unknown."""

    package: str
    file: str
    line: int
    severity: Severity
    rule: str
    path: str
    message: str

    def __str__(self) -> str:
        where = f" {self.file}:{self.line}:" if self.line else (f" {self.file}:" if self.file else "")
        path = f" {self.path}:" if self.path else ""
        return f"{self.package}:{where} {self.severity} {self.rule}{path} {self.message}"


@dataclass(frozen=True)
class Where:
    """The place a finding points at: a file in the package, a line in it, an element path or entry name."""

    file: str = ""
    line: int = 0
    path: str = ""


def at(file: str, element: etree._Element) -> Where:
    """The place of an XML element, as `organizations/organization/item[2]` below the root element."""
    return Where(file, line_of(element), element_path(element))


def line_of(element: etree._Element) -> int:
    """The element's line, 0 when lxml does not know it (lxml-stubs leave `sourceline` untyped)."""
    return cast("int | None", element.sourceline) or 0


def element_path(element: etree._Element) -> str:
    """Local names from below the root down to `element`, with a 1-based index where siblings share a name."""
    parts: list[str] = []
    parent = element.getparent()
    while parent is not None:
        same = list(parent.iterchildren(element.tag))
        name = etree.QName(element).localname
        parts.append(f"{name}[{same.index(element) + 1}]" if len(same) > 1 else name)
        element, parent = parent, parent.getparent()
    return "/".join(reversed(parts))


@dataclass
class Report:
    """Collects the findings of one package, so every rule module can add to it."""

    package: str
    findings: list[Finding] = field(default_factory=list)

    def error(self, rule: str, where: Where, message: str) -> None:
        self.findings.append(Finding(self.package, where.file, where.line, "error", rule, where.path, message))

    def warning(self, rule: str, where: Where, message: str) -> None:
        self.findings.append(Finding(self.package, where.file, where.line, "warning", rule, where.path, message))
