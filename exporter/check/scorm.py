"""SCORM 1.2 and SCORM 2004 manifests: the rules of standards.md §1.2, §2.1 and §7 that the XSDs miss."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from lxml import etree

from exporter.check import namespaces as ns
from exporter.check.findings import Report
from exporter.check.manifest import Manifest, Versions, check_manifest
from exporter.check.schemas import validate
from exporter.check.xmlfiles import XmlFile, children, descendants
from exporter.check.zipsafety import Archive

Rule = Callable[[Manifest, Report], None]


@dataclass(frozen=True)
class Scorm:
    """One SCORM version: its namespaces, how it spells `scormtype`, and the rules only it has."""

    label: str
    cp: str
    adlcp: str
    scormtype: str
    schema: str
    versions: Versions
    prefixes: Mapping[str, str | None]  # namespace → the literal prefix Moodle matches (None: unprefixed)
    rules: tuple[Rule, ...]

    def check(self, archive: Archive, file: XmlFile, report: Report) -> None:
        manifest = Manifest(file, self.cp)
        validate(self.schema, file, report)
        check_manifest(archive, manifest, self.versions, report)
        check_default(manifest, report)
        self.check_scormtype(manifest, report)
        self.check_prefixes(manifest, report)
        self.check_launch(manifest, report)
        for rule in self.rules:
            rule(manifest, report)

    def check_scormtype(self, manifest: Manifest, report: Report) -> None:
        """Spelled per version (case matters to most LMSs), and `sco` or `asset` in lower case."""
        for resource in manifest.all("resource"):
            found = self.scormtypes(resource)
            if not found:
                report.error("S-SCORMTYPE", manifest.at(resource),
                             f"no adlcp:{self.scormtype}: LMSs cannot tell a SCO from an asset")
            for name, value in found.items():
                if name != self.scormtype:
                    report.error("S-SCORMTYPE", manifest.at(resource),
                                 f"adlcp:{name} is spelled adlcp:{self.scormtype} in {self.label}")
                if value not in ("sco", "asset"):
                    report.error("S-SCORMTYPE", manifest.at(resource),
                                 f"adlcp:{name}=\"{value}\": the value is 'sco' or 'asset', in lower case")

    def scormtypes(self, resource: etree._Element) -> dict[str, str]:
        """The resource's `adlcp:scormtype` attributes in any letter case, by their spelling."""
        names = {key: etree.QName(key) for key in resource.attrib}
        return {name.localname: resource.get(key, "") for key, name in names.items()
                if name.namespace == self.adlcp and name.localname.lower() == "scormtype"}

    def check_prefixes(self, manifest: Manifest, report: Report) -> None:
        """Moodle reads the manifest without namespaces: `adlcp:` etc. literally, IMS CP without a prefix."""
        wrong: dict[tuple[str, str | None], etree._Element] = {}
        for element in manifest.file.root.iter():
            if not isinstance(element.tag, str):
                continue
            namespace = etree.QName(element).namespace or ""
            if namespace in self.prefixes and element.prefix != self.prefixes[namespace]:
                wrong.setdefault((namespace, element.prefix), element)
            for key in element.attrib:
                namespace = etree.QName(key).namespace or ""
                expected = self.prefixes.get(namespace)
                if expected and element.nsmap.get(expected) != namespace:
                    used = next((p for p, uri in element.nsmap.items() if uri == namespace), None)
                    wrong.setdefault((namespace, used), element)
        for (namespace, prefix), element in wrong.items():
            expected = self.prefixes[namespace]
            message = (f"'{prefix}:' on IMS CP elements: Moodle matches unprefixed names (MANIFEST, ITEM …), so keep "
                       "them in the default namespace" if expected is None else
                       f"'{prefix}:' names {namespace}; Moodle matches the literal '{expected}:' and ignores other "
                       "prefixes")
            report.error("S-PREFIX", manifest.at(element), message)

    def check_launch(self, manifest: Manifest, report: Report) -> None:
        """An item with an identifierref is launched: its resource needs an `href`, and is tracked if a SCO."""
        resources = manifest.resources()
        for item in manifest.all("item"):
            resource = resources.get(item.get("identifierref", ""))
            if resource is None:
                continue  # no identifierref (a cluster), or a dangling one (M-IDREF)
            identifier = resource.get("identifier")
            if not resource.get("href"):
                report.error("S-LAUNCH", manifest.at(item),
                             f"the item launches resource '{identifier}', which has no href: nothing to open")
            elif "sco" not in (value.lower() for value in self.scormtypes(resource).values()):
                report.warning("S-LAUNCH-ASSET", manifest.at(item),
                               f"the item launches asset '{identifier}': the LMS opens it but tracks nothing")


def check_default(manifest: Manifest, report: Report) -> None:
    """`organizations/@default` names an organization: LMSs open the course from it."""
    for organizations in manifest.all("organizations"):
        identifiers = {o.get("identifier") for o in children(organizations, manifest.cp, "organization")}
        default = organizations.get("default")
        if not identifiers:
            continue  # a resource package: nothing to launch, nothing to default to
        if default is None:
            report.error("S-DEFAULT", manifest.at(organizations),
                         "no default attribute: name the organization LMSs open (Moodle guesses the first)")
        elif default not in identifiers:
            report.error("S-DEFAULT-REF", manifest.at(organizations), f"default '{default}' names no organization")


def check_masteryscore(manifest: Manifest, report: Report) -> None:
    """SCORM 1.2's XSD types `adlcp:masteryscore` as any string; LMSs compare it with a 0–100 raw score."""
    for element in descendants(manifest.file.root, ns.ADLCP12, "masteryscore"):
        text = element.text or ""
        if not _within(text, Decimal(0), Decimal(100)):
            report.error("S-MASTERY", manifest.at(element), f"masteryscore '{text}' is not a number from 0 to 100")


def check_flow(manifest: Manifest, report: Report) -> None:
    """Several SCOs need `flow="true"` on the organization, or a conformant LMS offers no Continue/Previous."""
    for organization in manifest.all("organization"):
        launched = [i for i in descendants(organization, manifest.cp, "item") if i.get("identifierref")]
        controls = [c for s in children(organization, ns.IMSSS, "sequencing")
                    for c in children(s, ns.IMSSS, "controlMode")]
        if len(launched) > 1 and not any(c.get("flow") in ("true", "1") for c in controls):
            report.warning("S-FLOW", manifest.at(organization),
                           f"{len(launched)} items launch content but the organization has no imsss:controlMode "
                           "flow=\"true\": flow defaults to false, so learners get no Continue/Previous between them")


def _within(text: str, low: Decimal, high: Decimal) -> bool:
    try:
        value = Decimal(text.strip())
    except InvalidOperation:
        return False
    return value.is_finite() and low <= value <= high


OLDER_2004 = "LMSs play it as SCORM 2004, but it was checked against the 4th Edition's schemas and rules"
SCORM12 = Scorm(
    label="SCORM 1.2", cp=ns.CP12, adlcp=ns.ADLCP12, scormtype="scormtype", schema="scorm12",
    versions=Versions("SCORM 1.2", "1.2", {}),
    prefixes={ns.CP12: None, ns.ADLCP12: "adlcp"},
    rules=(check_masteryscore,),
)
SCORM2004 = Scorm(
    label="SCORM 2004", cp=ns.CP2004, adlcp=ns.ADLCP2004, scormtype="scormType", schema="scorm2004",
    versions=Versions("SCORM 2004 4th Edition", "2004 4th Edition", {
        "2004 3rd Edition": f"SCORM 2004 3rd Edition: {OLDER_2004}",
        "CAM 1.3": f"SCORM 2004 2nd Edition: {OLDER_2004}",
        "1.3": f"SCORM 2004 2nd Edition: {OLDER_2004}",
    }),
    prefixes={ns.CP2004: None, ns.ADLCP2004: "adlcp", ns.ADLSEQ: "adlseq", ns.ADLNAV: "adlnav", ns.IMSSS: "imsss"},
    rules=(check_flow,),
)
