"""SCORM 1.2: one SCO per module, `imsmanifest.xml` at the zip root listing every file.

Moodle's importer reads the manifest without namespace processing, so the prefixes are literal:
`adlcp:` for ADL elements and attributes, no prefix for IMS CP (standards.md §1.2).
"""

from __future__ import annotations

from collections.abc import Sequence

from lxml import etree

from exporter.errors import Problem
from exporter.loader import Course
from exporter.model import Module
from exporter.render import Renderer
from exporter.targets import BuildOptions, Package
from exporter.targets.scorm import Contents, scorm_packages, state_fits

IMSCP = "http://www.imsproject.org/xsd/imscp_rootv1p1p2"
ADLCP = "http://www.adlnet.org/xsd/adlcp_rootv1p2"
XSI = "http://www.w3.org/2001/XMLSchema-instance"
IMSMD = "http://www.imsglobal.org/xsd/imsmd_rootv1p2p1"
SCHEMA_LOCATION = (
    f"{IMSCP} imscp_rootv1p1p2.xsd {IMSMD} imsmd_rootv1p2p1.xsd {ADLCP} adlcp_rootv1p2.xsd"
)
SUSPEND_DATA_LIMIT = 4096


class Scorm12:
    """`scorm12`: a zip per module; `scorm12-program`: the whole program in one zip."""

    def __init__(self, whole: bool) -> None:
        self.whole = whole
        self.name = "scorm12-program" if whole else "scorm12"

    def check(self, course: Course, module: Module, options: BuildOptions) -> list[Problem]:
        return state_fits(course, module, SUSPEND_DATA_LIMIT, "SCORM 1.2")

    def packages(self, course: Course, modules: Sequence[Module], renderer: Renderer,
                 options: BuildOptions) -> list[Package]:
        return scorm_packages(self.name, "scorm12", self.whole, course, modules, renderer, manifest)


def manifest(contents: Contents) -> bytes:
    namespaces = {None: IMSCP, "adlcp": ADLCP, "xsi": XSI}
    root = etree.Element(f"{{{IMSCP}}}manifest", nsmap=namespaces)  # type: ignore[arg-type]
    root.set("identifier", contents.identifier)
    root.set("version", "1.0")
    root.set(f"{{{XSI}}}schemaLocation", SCHEMA_LOCATION)
    metadata = _sub(root, "metadata")
    _sub(metadata, "schema", "ADL SCORM")
    _sub(metadata, "schemaversion", "1.2")
    organizations = _sub(root, "organizations")
    organizations.set("default", "ORG")
    organization = _sub(organizations, "organization")
    organization.set("identifier", "ORG")
    _sub(organization, "title", contents.title)
    resources = _sub(root, "resources")
    for sco in contents.scos:
        module = sco.module
        item = _sub(organization, "item")
        item.set("identifier", f"ITEM_{module.id}")
        item.set("identifierref", f"RES_{module.id}")
        item.set("isvisible", "true")
        _sub(item, "title", module.title)
        if module.mastery is not None:
            etree.SubElement(item, f"{{{ADLCP}}}masteryscore").text = str(module.mastery)
        resource = _sub(resources, "resource")
        resource.set("identifier", f"RES_{module.id}")
        resource.set("type", "webcontent")
        resource.set(f"{{{ADLCP}}}scormtype", "sco")
        resource.set("href", sco.href)
        for name in sco.files:
            _sub(resource, "file").set("href", name)
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)


def _sub(parent: etree._Element, tag: str, text: str | None = None) -> etree._Element:
    child = etree.SubElement(parent, f"{{{IMSCP}}}{tag}")
    child.text = text
    return child
