"""SCORM 1.2: one SCO per module, `imsmanifest.xml` at the zip root listing every file.

Moodle's importer reads the manifest without namespace processing, so the prefixes are literal:
`adlcp:` for ADL elements and attributes, no prefix for IMS CP (standards.md §1.2).
"""

from __future__ import annotations

from lxml import etree

from exporter.errors import Problem
from exporter.loader import Course
from exporter.model import Module
from exporter.render import Site
from exporter.state import worst_case_size
from exporter.targets.ziputil import deterministic_zip

IMSCP = "http://www.imsproject.org/xsd/imscp_rootv1p1p2"
ADLCP = "http://www.adlnet.org/xsd/adlcp_rootv1p2"
XSI = "http://www.w3.org/2001/XMLSchema-instance"
IMSMD = "http://www.imsglobal.org/xsd/imsmd_rootv1p2p1"
SCHEMA_LOCATION = (
    f"{IMSCP} imscp_rootv1p1p2.xsd {IMSMD} imsmd_rootv1p2p1.xsd {ADLCP} adlcp_rootv1p2.xsd"
)
SUSPEND_DATA_LIMIT = 4096


class Scorm12:
    name = "scorm12"
    adapters: tuple[str, ...] = ("standalone", "scorm12")

    def check(self, course: Course, module: Module) -> list[Problem]:
        """Refuse a module whose saved state could overflow `cmi.suspend_data`."""
        size = worst_case_size(module)
        if size <= SUSPEND_DATA_LIMIT:
            return []
        return [course.sources[module.id].problem(
            ("screens",), "E-STATE-SIZE",
            f"the learner's saved state can reach {size} characters, over SCORM 1.2's {SUSPEND_DATA_LIMIT}; "
            "use fewer or shorter reflections, or split the module")]

    def package(self, course: Course, module: Module, site: Site) -> bytes:
        files = dict(site)
        files["imsmanifest.xml"] = manifest(course, module, sorted(site))
        return deterministic_zip(files)


def manifest(course: Course, module: Module, files: list[str]) -> bytes:
    """The manifest of one module's package; `files` are every file beside it."""
    namespaces = {None: IMSCP, "adlcp": ADLCP, "xsi": XSI}
    root = etree.Element(f"{{{IMSCP}}}manifest", nsmap=namespaces)  # type: ignore[arg-type]
    root.set("identifier", f"{course.program.id}.{module.id}")
    root.set("version", "1.0")
    root.set(f"{{{XSI}}}schemaLocation", SCHEMA_LOCATION)
    metadata = _sub(root, "metadata")
    _sub(metadata, "schema", "ADL SCORM")
    _sub(metadata, "schemaversion", "1.2")
    organizations = _sub(root, "organizations")
    organizations.set("default", f"ORG_{module.id}")
    organization = _sub(organizations, "organization")
    organization.set("identifier", f"ORG_{module.id}")
    _sub(organization, "title", module.title)
    item = _sub(organization, "item")
    item.set("identifier", f"ITEM_{module.id}")
    item.set("identifierref", f"RES_{module.id}")
    item.set("isvisible", "true")
    _sub(item, "title", module.title)
    if module.mastery is not None:
        etree.SubElement(item, f"{{{ADLCP}}}masteryscore").text = str(module.mastery)
    resources = _sub(root, "resources")
    resource = _sub(resources, "resource")
    resource.set("identifier", f"RES_{module.id}")
    resource.set("type", "webcontent")
    resource.set(f"{{{ADLCP}}}scormtype", "sco")
    resource.set("href", "index.html")
    for name in files:
        _sub(resource, "file").set("href", name)
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)


def _sub(parent: etree._Element, tag: str, text: str | None = None) -> etree._Element:
    child = etree.SubElement(parent, f"{{{IMSCP}}}{tag}")
    child.text = text
    return child
