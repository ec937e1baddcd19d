"""The official XSDs shipped in `exporter/schemas/` (see its NOTICE.md), compiled once per process, offline.

Each schema is an in-memory wrapper importing the namespaces to validate against (standards.md §5.5).
A resolver maps the W3C `xml.xsd` (imported by URL in SCORM 2004, as `ims_xml.xsd` in SCORM 1.2, which
libxml2 refuses) to the local W3C file; the parser fetches nothing from the network.
"""

from __future__ import annotations

import copy
import functools
import re
from pathlib import Path

from lxml import etree

from exporter.check import namespaces as ns
from exporter.check.findings import Report, Where, line_of
from exporter.check.xmlfiles import XmlFile, parser

SCHEMAS = Path(__file__).resolve().parent.parent / "schemas"
XML_XSD = SCHEMAS / "scorm2004" / "xml.xsd"
W3C_XML_XSD = "http://www.w3.org/2001/xml.xsd"

# Schema name → the (namespace, file) pairs its wrapper imports.
IMPORTS: dict[str, tuple[tuple[str, str], ...]] = {
    "scorm12": ((ns.CP12, "scorm12/imscp_rootv1p1p2.xsd"), (ns.ADLCP12, "scorm12/adlcp_rootv1p2.xsd")),
    "scorm2004": ((ns.CP2004, "scorm2004/imscp_v1p1.xsd"), (ns.ADLCP2004, "scorm2004/adlcp_v1p3.xsd"),
                  (ns.ADLSEQ, "scorm2004/adlseq_v1p3.xsd"), (ns.ADLNAV, "scorm2004/adlnav_v1p3.xsd"),
                  (ns.IMSSS, "scorm2004/imsss_v1p0.xsd")),
    "cmi5": ((ns.CMI5, "cmi5/CourseStructure.xsd"),),
    "cc11": (("http://dummy.libxml2.validator", "cc11/cc11libxml2validator.xsd"),),
    "cc11-lti": ((ns.LTICC11, "cc11/imslticc_v1p0p1.xsd"),),
    "cc11-weblink": ((ns.WEBLINK11, "cc11/ccv1p1_imswl_v1p1.xsd"),),
    "cc11-discussion": ((ns.DISCUSSION11, "cc11/ccv1p1_imsdt_v1p1.xsd"),),
    "cc11-qti": ((ns.QTI12, "cc11/ccv1p1_qtiasiv1p2p1_v1p0.xsd"),),
}
# libxml2 cannot compile IMS MD 1.2.1 (schemas/NOTICE.md), yet SCORM 1.2's strict wildcards demand a
# schema for it: its metadata elements are set aside before validation, with a warning saying so.
UNCOMPILABLE = {"scorm12": (ns.IMSMD12, "IMS MD 1.2.1 metadata")}
QUALIFIED = re.compile(r"\{([^}]*)\}")


class LocalXmlSchema(etree.Resolver):
    """Resolves the W3C xml namespace schema, however it is named, to the local copy."""

    # lxml-stubs omit the `context` argument and `resolve_filename`, both part of lxml's documented API.
    def resolve(self, system_url: str, public_id: str, context: object) -> object:  # type: ignore[override]
        if system_url and (system_url == W3C_XML_XSD or system_url.endswith("ims_xml.xsd")):
            return self.resolve_filename(str(XML_XSD), context)  # type: ignore[attr-defined]
        return None


@functools.cache
def schema(name: str) -> etree.XMLSchema:
    """The compiled schema; compiling takes tens of milliseconds, so a process does it once per schema."""
    imports = "".join(f'<xs:import namespace="{namespace}" schemaLocation="{(SCHEMAS / path).as_uri()}"/>'
                      for namespace, path in IMPORTS[name])
    wrapper = f'<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema">{imports}</xs:schema>'
    schema_parser = parser()
    schema_parser.resolvers.add(LocalXmlSchema())
    return etree.XMLSchema(etree.fromstring(wrapper.encode(), schema_parser))


def validate(name: str, document: XmlFile, report: Report) -> None:
    """One `X-SCHEMA` error per schema violation, at its line, with namespaces written as prefixes."""
    compiled = schema(name)
    if compiled.validate(_checkable(name, document, report)):
        return
    for entry in compiled.error_log:  # type: ignore[attr-defined]  # iterable in lxml, not in its stubs
        report.error("X-SCHEMA", Where(document.name, entry.line), QUALIFIED.sub(_prefixed, entry.message))


def _checkable(name: str, document: XmlFile, report: Report) -> etree._Element:
    """The document, or a copy without the elements no bundled schema can check (lines are kept)."""
    if name not in UNCOMPILABLE:
        return document.root
    namespace, what = UNCOMPILABLE[name]
    unchecked = list(document.root.iter(f"{{{namespace}}}*"))
    if not unchecked:
        return document.root
    report.warning("X-SCHEMA-PARTIAL", Where(document.name, line_of(unchecked[0])),
                   f"{what} was not schema-checked: libxml2 cannot compile its schema")
    root = copy.deepcopy(document.root)
    for element in list(root.iter(f"{{{namespace}}}*")):
        parent = element.getparent()
        if parent is not None and etree.QName(parent).namespace != namespace:
            parent.remove(element)
    return root


def _prefixed(match: re.Match[str]) -> str:
    prefix = ns.PREFIXES.get(match.group(1))
    if prefix is None:
        return match.group(0)
    return f"{prefix}:" if prefix else ""
