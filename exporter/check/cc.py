"""IMS Common Cartridge 1.1–1.3 manifests and their descriptor files (standards.md §4, §7 item 5).

Only 1.1 has a schema set (Moodle's own, which Moodle validates imports against); for 1.2 and 1.3 the
checker says so in one warning and runs the semantic rules alone.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

from lxml import etree

from exporter.check import namespaces as ns
from exporter.check.findings import Report, Where, line_of
from exporter.check.manifest import Manifest, Versions, check_manifest
from exporter.check.schemas import validate
from exporter.check.xmlfiles import XmlFile, children, read_xml
from exporter.check.zipsafety import Archive

MOODLE_SNIFF_BYTES = 500  # Moodle's imscc11 converter recognises a cartridge from this much of the manifest
SNIFF_IGNORED = re.compile(rb"[\s'\"]")
LTI_TYPE_PREFIX = "imsbasiclti_xmlv"
LAUNCH_URLS = ("launch_url", "secure_launch_url")


@dataclass(frozen=True)
class Cartridge:
    """One CC version: its namespace and version text, and the schemas for the manifest and descriptors."""

    label: str
    cp: str
    version: str
    schema: str | None
    descriptor_schemas: Mapping[str, str]  # resource type → schema of its descriptor file
    moodle_imports: bool

    def check(self, archive: Archive, file: XmlFile, report: Report) -> None:
        manifest = Manifest(file, self.cp)
        if self.schema:
            validate(self.schema, file, report)
        else:
            report.warning("X-SCHEMA-SKIPPED", Where(file.name),
                           f"no {self.label} schema is bundled: only well-formedness and the semantic rules were "
                           "checked")
        check_manifest(archive, manifest, Versions(self.label, self.version, {}), report)
        if self.moodle_imports:
            check_namespace_early(file, self.cp, report)
        for resource in manifest.all("resource"):
            self.check_descriptor(archive, manifest, resource, report)

    def check_descriptor(self, archive: Archive, manifest: Manifest, resource: etree._Element,
                         report: Report) -> None:
        """A link, topic or quiz resource is described by its one XML file: valid, and complete for LTI."""
        kind = resource.get("type", "")
        schema = self.descriptor_schemas.get(kind)
        lti = kind.startswith(LTI_TYPE_PREFIX)
        if schema is None and not lti:
            return
        files = [path for element, _, path in manifest.references(resource) if element is not resource]
        if not files:
            report.error("CC-DESCRIPTOR", manifest.at(resource),
                         f"a resource of type {kind} needs a <file> naming its XML")
            return
        descriptor = read_xml(archive, files[0], report) if files[0] in archive.names else None
        if descriptor is None:
            return  # missing (M-FILE-MISSING), damaged (Z-CORRUPT) or malformed (X-MALFORMED): already reported
        if schema:
            validate(schema, descriptor, report)
        if lti:
            check_lti(descriptor, report)


def check_namespace_early(file: XmlFile, namespace: str, report: Report) -> None:
    """Moodle looks for `xmlns="…"` in the manifest's first 500 bytes, lower-cased, without spaces and quotes."""
    head = SNIFF_IGNORED.sub(b"", file.data[:MOODLE_SNIFF_BYTES].lower())
    if f"xmlns={namespace}".lower().encode() not in head:
        report.error("CC-NAMESPACE-EARLY", Where(file.name, 1),
                     f"the default namespace is not declared within the first {MOODLE_SNIFF_BYTES} bytes: Moodle "
                     "reads only those to recognise a cartridge and refuses the import; move comments and other "
                     "attributes after xmlns")


def check_lti(descriptor: XmlFile, report: Report) -> None:
    """An LTI link needs a title, a vendor and a launch URL, and both URLs for LMSs that read only one."""
    root = descriptor.root
    where = Where(descriptor.name, line_of(root))
    if etree.QName(root).localname != "cartridge_basiclti_link":
        report.error("CC-DESCRIPTOR", where, f"the root element is <{etree.QName(root).localname}>, not an LTI link "
                                             "<cartridge_basiclti_link>")
        return
    if not _text(root, "title"):
        report.error("CC-LTI-TITLE", where, "no blti:title: LMSs name the activity after it")
    if not children(root, ns.BLTI, "vendor"):
        report.error("CC-LTI-VENDOR", where, "no blti:vendor: every LTI link names its vendor")
    present = [name for name in LAUNCH_URLS if _text(root, name)]
    if not present:
        report.error("CC-LTI-URL", where, "neither blti:launch_url nor blti:secure_launch_url: nothing to launch")
    elif len(present) == 1:
        missing = next(name for name in LAUNCH_URLS if name not in present)
        report.warning("CC-LTI-URL", where, f"no blti:{missing}: give both (Moodle reads launch_url, Open edX "
                                            "prefers secure_launch_url)")


def _text(root: etree._Element, name: str) -> str:
    return "".join((e.text or "").strip() for e in children(root, ns.BLTI, name))


CC11 = Cartridge("Common Cartridge 1.1", ns.CC11, "1.1.0", "cc11", {
    "imsbasiclti_xmlv1p0": "cc11-lti",
    "imswl_xmlv1p1": "cc11-weblink",
    "imsdt_xmlv1p1": "cc11-discussion",
    "imsqti_xmlv1p2/imscc_xmlv1p1/assessment": "cc11-qti",
    "imsqti_xmlv1p2/imscc_xmlv1p1/question-bank": "cc11-qti",
}, moodle_imports=True)
CC12 = Cartridge("Common Cartridge 1.2", ns.CC12, "1.2.0", None, {}, moodle_imports=False)
CC13 = Cartridge("Common Cartridge 1.3", ns.CC13, "1.3.0", None, {}, moodle_imports=False)
