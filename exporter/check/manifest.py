"""Rules every `imsmanifest.xml` shares, SCORM and Common Cartridge alike (IMS Content Packaging).

The schemas let these through (standards.md §5.5): the version text, identifiers named twice (where no
schema runs), references to no resource, files listed but absent, files present but listed nowhere.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass

from lxml import etree

from exporter.check import namespaces as ns
from exporter.check.findings import Report, Where, at, line_of
from exporter.check.hrefs import package_path
from exporter.check.xmlfiles import XmlFile, children, descendants
from exporter.check.zipsafety import Archive

MANIFESTS = ("imsmanifest.xml", "cmi5.xml")
SCHEMA_SUFFIXES = (".xsd", ".dtd")  # schema files ship at the root by convention (standards.md §5.1)
XML_BASE = f"{{{ns.XML}}}base"


@dataclass(frozen=True)
class Manifest:
    """A parsed `imsmanifest.xml` and the IMS CP namespace its flavour (SCORM 1.2, 2004, a CC version) uses."""

    file: XmlFile
    cp: str

    def all(self, name: str) -> list[etree._Element]:
        return descendants(self.file.root, self.cp, name)

    def at(self, element: etree._Element) -> Where:
        return at(self.file.name, element)

    def references(self, resource: etree._Element) -> list[tuple[etree._Element, str, str]]:
        """(element, href, zip path) for the resource's `href` and each `file/@href`, after the `xml:base`s of
        the manifest, the resources and the resource; references outside the package (URLs) are left out."""
        scopes = (self.file.root, resource.getparent(), resource)
        bases = [base for scope in scopes if scope is not None and (base := scope.get(XML_BASE))]
        found = []
        for element in [resource, *children(resource, self.cp, "file")]:
            href = element.get("href")
            path = package_path(href, bases) if href is not None else None
            if href is not None and path is not None:
                found.append((element, href, path))
        return found

    def resources(self) -> dict[str, etree._Element]:
        return {r.get("identifier", ""): r for r in self.all("resource")}


@dataclass(frozen=True)
class Versions:
    """The `metadata/schemaversion` texts of a format: the one to write, and older ones still played."""

    label: str
    exact: str
    tolerated: Mapping[str, str]  # text → why it is only a warning


def check_manifest(archive: Archive, manifest: Manifest, versions: Versions, report: Report) -> None:
    check_version(manifest, versions, report)
    check_identifiers(manifest, report)
    check_files(archive, manifest, report)


def check_version(manifest: Manifest, versions: Versions, report: Report) -> None:
    """The exact, untrimmed text: Moodle matches it raw and plays anything it does not know as SCORM 1.2."""
    metadata = children(manifest.file.root, manifest.cp, "metadata")
    found = [v for m in metadata for v in children(m, manifest.cp, "schemaversion")]
    if not found:
        report.error("M-VERSION", Where(manifest.file.name, line_of(manifest.file.root)),
                     f"no metadata/schemaversion; a {versions.label} manifest says '{versions.exact}'")
        return
    element = found[0]
    text = element.text or ""
    if text == versions.exact:
        return
    if text in versions.tolerated:
        report.warning("M-VERSION-OLD", manifest.at(element), versions.tolerated[text])
    elif text.strip() in (versions.exact, *versions.tolerated):
        report.error("M-VERSION-SPACE", manifest.at(element),
                     f"{text!r} has whitespace around the version: LMSs compare the raw text (Moodle would play the "
                     "package as SCORM 1.2)")
    else:
        report.error("M-VERSION", manifest.at(element),
                     f"{text!r} is not {versions.label}'s version text '{versions.exact}'")


def check_identifiers(manifest: Manifest, report: Report) -> None:
    """Identifiers unique in the manifest; every `identifierref` names a resource (or a sub-manifest)."""
    identified = [e for e in manifest.file.root.iter() if isinstance(e.tag, str) and e.get("identifier") is not None]
    seen: Counter[str] = Counter()
    for element in identified:
        identifier = element.get("identifier", "")
        seen[identifier] += 1
        if seen[identifier] == 2:
            report.error("M-ID-DUP", manifest.at(element), f"identifier '{identifier}' is used more than once")
    targets = set(manifest.resources()) | {m.get("identifier") for m in manifest.all("manifest")}
    for element in manifest.all("item") + manifest.all("dependency"):
        reference = element.get("identifierref")
        if reference is not None and reference not in targets:
            report.error("M-IDREF", manifest.at(element), f"identifierref '{reference}' names no resource")


def check_files(archive: Archive, manifest: Manifest, report: Report) -> None:
    """Every listed file is in the zip (an error: the LMS serves a 404); every file is listed (a warning)."""
    referenced = {path for path in map(package_path, _locations(manifest)) if path}
    for resource in manifest.all("resource"):
        for element, href, path in manifest.references(resource):
            referenced.add(path)
            if path not in archive.names:
                resolved = f" (as '{path}')" if path != href else ""
                report.error("M-FILE-MISSING", manifest.at(element), f"'{href}' is not in the zip{resolved}")
    for name in sorted(archive.names - referenced):
        if not _conventional(name):
            report.warning("M-FILE-UNREFERENCED", Where(path=name),
                           "no resource lists this file; LMSs that copy only listed files will lose it")


def _locations(manifest: Manifest) -> list[str]:
    """Metadata kept in separate files (`adlcp:location`) counts as referenced."""
    elements = [e for adlcp in (ns.ADLCP12, ns.ADLCP2004) for e in descendants(manifest.file.root, adlcp, "location")]
    return [e.text for e in elements if e.text]


def _conventional(name: str) -> bool:
    """Files a package has without listing them: its manifests and the schema files at its root."""
    return name in MANIFESTS or ("/" not in name and name.endswith(SCHEMA_SUFFIXES))
