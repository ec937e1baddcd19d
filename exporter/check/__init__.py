"""`stopsexting check`: validate any SCORM 1.2, SCORM 2004, cmi5 or Common Cartridge package, ours or not.

Works on the zip's bytes in memory and never extracts anything, so a hostile zip cannot write anywhere.
The rules and their ids are listed in README.md beside this file.
"""

from __future__ import annotations

from exporter.check.detect import check_root_manifest, root_manifests
from exporter.check.findings import Finding, Report
from exporter.check.zipsafety import open_archive

__all__ = ["Finding", "check_package"]


def check_package(name: str, data: bytes) -> list[Finding]:
    """Every finding for the package `data`, sorted by file and line; `name` only labels them."""
    report = Report(name)
    archive = open_archive(data, report)
    if archive is not None:
        for manifest in root_manifests(archive, report):
            check_root_manifest(archive, manifest, report)
    return sorted(report.findings)
