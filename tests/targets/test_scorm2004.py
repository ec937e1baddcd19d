"""SCORM 2004 4th Edition packages and the whole-program packages of both SCORM versions: schema-valid
manifests, the rules of standards.md §2 the schemas let through, and files that match the manifest."""

from __future__ import annotations

import io
import zipfile
from posixpath import dirname, normpath

import lxml.html
import pytest
from lxml import etree

from exporter.build import build_packages, select_targets
from exporter.loader import Course, load_course
from exporter.targets import Package
from tests.targets import schemas

CP = "http://www.imsglobal.org/xsd/imscp_v1p1"
ADLCP = "http://www.adlnet.org/xsd/adlcp_v1p3"
IMSSS = "http://www.imsglobal.org/xsd/imsss"
ADLSEQ = "http://www.adlnet.org/xsd/adlseq_v1p3"
NS = {"cp": CP, "adlcp": ADLCP, "imsss": IMSSS, "cp12": "http://www.imsproject.org/xsd/imscp_rootv1p1p2"}


def unzip(package: Package) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(package.data)) as archive:
        return {info.filename: archive.read(info) for info in archive.infolist()}


@pytest.fixture(scope="session")
def packages(course: Course) -> list[Package]:
    return build_packages(course, course.modules, select_targets(["scorm2004", "scorm2004-program"]))


@pytest.fixture(scope="session")
def program_packages(course: Course) -> list[Package]:
    return build_packages(course, course.modules, select_targets(["scorm12-program", "scorm2004-program"]))


def test_one_package_per_module_and_one_for_the_program(course: Course, packages: list[Package]) -> None:
    assert [p.filename for p in packages] == [
        *(f"{m.id}.scorm2004.zip" for m in course.modules), f"{course.program.id}.scorm2004-program.zip"]
    assert packages[-1].modules == course.modules


def test_manifests_are_schema_valid(packages: list[Package]) -> None:
    schema = schemas.scorm2004()
    for package in packages:
        manifest = etree.fromstring(unzip(package)["imsmanifest.xml"])
        assert schema.validate(manifest), f"{package.filename}: {schema.error_log}"


def test_schema_catches_a_broken_manifest(packages: list[Package]) -> None:
    """The validation above is real: a progress threshold over 1 is refused."""
    text = unzip(packages[0])["imsmanifest.xml"].replace(b'minProgressMeasure="1.0"', b'minProgressMeasure="1.5"')
    assert b"1.5" in text and not schemas.scorm2004().validate(etree.fromstring(text))


def test_manifest_semantics(course: Course, packages: list[Package]) -> None:
    """standards.md §2.1–2.2: literal prefixes, exact version text, content-set status, flow, item order."""
    for package in packages:
        raw = unzip(package)["imsmanifest.xml"]
        for declaration in (f'xmlns="{CP}"', f'xmlns:adlcp="{ADLCP}"', f'xmlns:imsss="{IMSSS}"',
                            f'xmlns:adlseq="{ADLSEQ}"'):
            assert declaration.encode() in raw, declaration
        assert b'adlcp:scormType="sco"' in raw and b"scormtype" not in raw
        manifest = etree.fromstring(raw)
        assert manifest.findtext("cp:metadata/cp:schema", namespaces=NS) == "ADL SCORM"
        assert manifest.findtext("cp:metadata/cp:schemaversion", namespaces=NS) == "2004 4th Edition"
        (organization,) = manifest.iterfind("cp:organizations/cp:organization", NS)
        assert organization.get("identifier") == manifest.find("cp:organizations", NS).get("default")
        control = organization.find("imsss:sequencing/imsss:controlMode", NS)
        assert (control.get("choice"), control.get("flow")) == ("true", "true")
        assert organization[-1].tag == f"{{{IMSSS}}}sequencing", "organization sequencing comes after the items"
        items = organization.findall("cp:item", NS)
        assert [item.get("identifier") for item in items] == [f"ITEM_{m.id}" for m in package.modules]
        for item, module in zip(items, package.modules, strict=True):
            assert [etree.QName(child).localname for child in item] == ["title", "sequencing", "completionThreshold"]
            assert item.findtext("cp:title", namespaces=NS) == module.title
            controls = item.find("imsss:sequencing/imsss:deliveryControls", NS)
            assert (controls.get("completionSetByContent"), controls.get("objectiveSetByContent")) == ("true", "true")
            threshold = item.find("adlcp:completionThreshold", NS)
            assert (threshold.get("completedByMeasure"), threshold.get("minProgressMeasure")) == ("true", "1.0")
            objective = item.find("imsss:sequencing/imsss:objectives/imsss:primaryObjective", NS)
            if module.mastery is None:
                assert objective is None
            else:
                # Success stays the content's call (critical questions), so not satisfied by measure.
                assert objective.get("satisfiedByMeasure") == "false"
                measure = float(objective.findtext("imsss:minNormalizedMeasure", namespaces=NS))
                assert measure == module.mastery / 100
        ids = manifest.xpath("//@identifier")
        assert len(ids) == len(set(ids))


@pytest.mark.parametrize("standard", ["scorm12", "scorm2004"])
def test_program_package_holds_every_module_in_order(course: Course, program_packages: list[Package],
                                                     standard: str) -> None:
    """One organization, one SCO per module in program order, each module's site whole in its own folder."""
    package = next(p for p in program_packages if p.target == f"{standard}-program")
    assert package.filename == f"{course.program.id}.{standard}-program.zip"
    files = unzip(package)
    manifest = etree.fromstring(files["imsmanifest.xml"])
    prefix = "cp" if standard == "scorm2004" else "cp12"
    (organization,) = manifest.iterfind(f"{prefix}:organizations/{prefix}:organization", NS)
    assert organization.findtext(f"{prefix}:title", namespaces=NS) == course.program.title
    resources = {r.get("identifier"): r for r in manifest.iterfind(f"{prefix}:resources/{prefix}:resource", NS)}
    items = organization.findall(f"{prefix}:item", NS)
    assert [i.get("identifierref") for i in items] == [f"RES_{m.id}" for m in course.modules]
    listed: list[str] = []
    for item, module in zip(items, course.modules, strict=True):
        resource = resources[item.get("identifierref")]
        assert resource.get("href") == f"{module.id}/index.html"
        own = [f.get("href") for f in resource.iterfind(f"{prefix}:file", NS)]
        assert all(name.startswith(f"{module.id}/") for name in own)
        listed += own
        page = lxml.html.fromstring(files[f"{module.id}/index.html"])
        loaded = [ref for element in page.iter() for ref in (element.get("src"), element.get("href"))
                  if ref and ref != "data:," and element.tag in ("script", "link", "img")]
        assert loaded and all(normpath(f"{module.id}/{ref}") in own for ref in loaded), "loads only its own files"
    assert sorted(listed) == sorted(name for name in files if name != "imsmanifest.xml")
    assert {dirname(name).split("/")[0] for name in listed} == {m.id for m in course.modules}
    schema = schemas.scorm2004() if standard == "scorm2004" else schemas.scorm12()
    assert schema.validate(manifest), schema.error_log


def test_builds_are_byte_identical(course: Course, packages: list[Package]) -> None:
    targets = select_targets(["scorm2004", "scorm2004-program"])
    again = build_packages(load_course(course.folder), course.modules, targets)
    assert [p.data for p in again] == [p.data for p in packages]
