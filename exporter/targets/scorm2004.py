"""SCORM 2004 4th Edition: the same SCOs as SCORM 1.2 with the `API_1484_11` adapter and a 2004 manifest.

The literal prefixes matter for Moodle as in 1.2 (standards.md §2.1). Content decides completion and
success (`completionSetByContent`, `objectiveSetByContent`): a learner passes with the mastery score *and*
every critical question right, which a measure alone cannot express, so the primary objective is not
satisfied by measure; `minNormalizedMeasure` still records the pass mark. Completion is by measure at 1.0:
the runtime reports a progress of 1 exactly when the module is done, so an LMS that evaluates it agrees.
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

IMSCP = "http://www.imsglobal.org/xsd/imscp_v1p1"
ADLCP = "http://www.adlnet.org/xsd/adlcp_v1p3"
ADLSEQ = "http://www.adlnet.org/xsd/adlseq_v1p3"
IMSSS = "http://www.imsglobal.org/xsd/imsss"
XSI = "http://www.w3.org/2001/XMLSchema-instance"
SCHEMA_LOCATION = (
    f"{IMSCP} imscp_v1p1.xsd {ADLCP} adlcp_v1p3.xsd {ADLSEQ} adlseq_v1p3.xsd {IMSSS} imsss_v1p0.xsd"
)
SCHEMA_VERSION = "2004 4th Edition"
SUSPEND_DATA_LIMIT = 64000


class Scorm2004:
    """`scorm2004`: a zip per module; `scorm2004-program`: the whole program in one zip, flow enabled."""

    def __init__(self, whole: bool) -> None:
        self.whole = whole
        self.name = "scorm2004-program" if whole else "scorm2004"

    def check(self, course: Course, module: Module, options: BuildOptions) -> list[Problem]:
        return state_fits(course, module, SUSPEND_DATA_LIMIT, "SCORM 2004")

    def packages(self, course: Course, modules: Sequence[Module], renderer: Renderer,
                 options: BuildOptions) -> list[Package]:
        return scorm_packages(self.name, "scorm2004", self.whole, course, modules, renderer, manifest)


def manifest(contents: Contents) -> bytes:
    namespaces = {None: IMSCP, "adlcp": ADLCP, "adlseq": ADLSEQ, "imsss": IMSSS, "xsi": XSI}
    root = etree.Element(f"{{{IMSCP}}}manifest", nsmap=namespaces)  # type: ignore[arg-type]
    root.set("identifier", contents.identifier)
    root.set("version", "1")
    root.set(f"{{{XSI}}}schemaLocation", SCHEMA_LOCATION)
    metadata = _sub(root, IMSCP, "metadata")
    _sub(metadata, IMSCP, "schema", "ADL SCORM")
    _sub(metadata, IMSCP, "schemaversion", SCHEMA_VERSION)
    organizations = _sub(root, IMSCP, "organizations")
    organizations.set("default", "ORG")
    organization = _sub(organizations, IMSCP, "organization")
    organization.set("identifier", "ORG")
    organization.set(f"{{{ADLSEQ}}}objectivesGlobalToSystem", "false")
    _sub(organization, IMSCP, "title", contents.title)
    resources = _sub(root, IMSCP, "resources")
    for sco in contents.scos:
        _item(organization, sco.module)
        resource = _sub(resources, IMSCP, "resource")
        resource.set("identifier", f"RES_{sco.module.id}")
        resource.set("type", "webcontent")
        resource.set(f"{{{ADLCP}}}scormType", "sco")
        resource.set("href", sco.href)
        for name in sco.files:
            _sub(resource, IMSCP, "file").set("href", name)
    # After the items, as the schema orders it: Continue and Previous between SCOs (flow defaults to false).
    control = _sub(_sub(organization, IMSSS, "sequencing"), IMSSS, "controlMode")
    control.set("choice", "true")
    control.set("flow", "true")
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)


def _item(organization: etree._Element, module: Module) -> None:
    """An item in ADL's order: title, sequencing (objectives, then delivery controls), completion threshold."""
    item = _sub(organization, IMSCP, "item")
    item.set("identifier", f"ITEM_{module.id}")
    item.set("identifierref", f"RES_{module.id}")
    _sub(item, IMSCP, "title", module.title)
    sequencing = _sub(item, IMSSS, "sequencing")
    if module.mastery is not None:
        objective = _sub(_sub(sequencing, IMSSS, "objectives"), IMSSS, "primaryObjective")
        objective.set("objectiveID", f"PASS_{module.id}")
        objective.set("satisfiedByMeasure", "false")
        _sub(objective, IMSSS, "minNormalizedMeasure", f"{module.mastery / 100:.2f}")
    controls = _sub(sequencing, IMSSS, "deliveryControls")
    controls.set("completionSetByContent", "true")
    controls.set("objectiveSetByContent", "true")
    threshold = _sub(item, ADLCP, "completionThreshold")
    threshold.set("completedByMeasure", "true")
    threshold.set("minProgressMeasure", "1.0")


def _sub(parent: etree._Element, namespace: str, tag: str, text: str | None = None) -> etree._Element:
    child = etree.SubElement(parent, f"{{{namespace}}}{tag}")
    child.text = text
    return child
