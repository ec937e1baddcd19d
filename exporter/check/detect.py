"""Which format a package is: its manifest at the zip root, and for `imsmanifest.xml` the default namespace.

SCORM 1.2, SCORM 2004 and Common Cartridge all use `imsmanifest.xml` but each its own IMS CP namespace;
cmi5 uses `cmi5.xml`. A package with both is checked as both.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import PurePosixPath

from lxml import etree

from exporter.check import cc, cmi5
from exporter.check import namespaces as ns
from exporter.check.findings import Report, Where, line_of
from exporter.check.manifest import MANIFESTS
from exporter.check.scorm import SCORM12, SCORM2004
from exporter.check.xmlfiles import XmlFile, read_xml
from exporter.check.zipsafety import Archive

Checker = Callable[[Archive, XmlFile, Report], None]
CMI5_XML = "cmi5.xml"
BY_NAMESPACE: dict[str, Checker] = {
    ns.CP12: SCORM12.check, ns.CP2004: SCORM2004.check, ns.CC11: cc.CC11.check, ns.CC12: cc.CC12.check,
    ns.CC13: cc.CC13.check,
}


def root_manifests(archive: Archive, report: Report) -> list[str]:
    """The manifests at the zip root; when there are none, why (misplaced, misnamed, absent)."""
    found = [name for name in MANIFESTS if name in archive.names]
    if found:
        return found
    nested = sorted(name for name in archive.names if PurePosixPath(name).name in MANIFESTS)
    misnamed = sorted(name for name in archive.names if name.lower() in MANIFESTS)
    if nested:
        report.error("D-MANIFEST-LOCATION", Where(path=nested[0]),
                     "the manifest is in a folder, LMSs look for it at the zip root (Moodle: badimsmanifestlocation); "
                     "zip the folder's contents, not the folder")
    elif misnamed:
        report.error("D-MANIFEST-NAME", Where(path=misnamed[0]),
                     f"the manifest must be named exactly {' or '.join(MANIFESTS)}, in lower case")
    else:
        report.error("D-NO-MANIFEST", Where(), f"no {' or '.join(MANIFESTS)} at the zip root: not a SCORM, cmi5 or "
                                               "Common Cartridge package (Moodle: nomanifest)")
    return []


def check_root_manifest(archive: Archive, name: str, report: Report) -> None:
    """Parse one root manifest and run the rules of the format it declares."""
    file = read_xml(archive, name, report)
    if file is None:
        return
    if name == CMI5_XML:
        cmi5.check(archive, file, report)
        return
    namespace = etree.QName(file.root).namespace or ""
    checker = BY_NAMESPACE.get(namespace)
    if checker is None:
        report.error("D-FORMAT", Where(name, line_of(file.root)),
                     f"default namespace '{namespace}' is none of SCORM 1.2, SCORM 2004 or Common Cartridge 1.1–1.3")
        return
    checker(archive, file, report)
