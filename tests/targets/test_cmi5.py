"""cmi5 packages: a schema-valid cmi5.xml, the rules of standards.md §3.1 the XSD misses, byte-identical builds."""

from __future__ import annotations

import io
import re
import zipfile
from pathlib import PurePosixPath

import pytest
from lxml import etree

from exporter.build import build_packages, select_targets
from exporter.loader import Course
from exporter.render import Renderer
from exporter.targets import Package
from tests.conftest import SCHEMAS

NS = {"c": "https://w3id.org/xapi/profiles/cmi5/v1/CourseStructure.xsd"}
COURSE_STRUCTURE = SCHEMAS / "cmi5" / "CourseStructure.xsd"


@pytest.fixture(scope="session")
def cmi5_schema() -> etree.XMLSchema:
    return etree.XMLSchema(etree.parse(str(COURSE_STRUCTURE), etree.XMLParser(no_network=True)))


@pytest.fixture(scope="session")
def cmi5_package(course: Course) -> Package:
    (package,) = build_packages(course, course.modules, select_targets(["cmi5"]))
    return package


def unzip(package: Package) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(package.data)) as archive:
        return {info.filename: archive.read(info) for info in archive.infolist()}


def test_one_package_for_the_program(course: Course, cmi5_package: Package) -> None:
    assert cmi5_package.filename == f"{course.program.id}.cmi5.zip"
    assert cmi5_package.modules == course.modules


def test_course_structure_is_schema_valid(cmi5_package: Package, cmi5_schema: etree.XMLSchema) -> None:
    structure = etree.fromstring(unzip(cmi5_package)["cmi5.xml"])
    assert cmi5_schema.validate(structure), cmi5_schema.error_log


@pytest.mark.parametrize(("pattern", "broken"), [(rb'masteryScore="[^"]*"', b'masteryScore="80"'),
                                                  (rb'moveOn="[^"]*"', b'moveOn="completed"'),
                                                  (rb"<url>[^<]*</url>", b"<url></url>")])
def test_schema_catches_a_broken_course_structure(cmi5_package: Package, cmi5_schema: etree.XMLSchema,
                                                  pattern: bytes, broken: bytes) -> None:
    """The validation above is real: a percent mastery score, a lower-case moveOn, an empty url are refused."""
    text, count = re.subn(pattern, broken, unzip(cmi5_package)["cmi5.xml"], count=1)
    assert count == 1
    assert not cmi5_schema.validate(etree.fromstring(text))


def test_course_structure_semantics(course: Course, cmi5_package: Package) -> None:
    """standards.md §3.1: unique absolute IRIs, one AU per module in program order, moveOn and masteryScore
    from the module, relative launch urls that exist in the zip, Ukrainian text."""
    files = unzip(cmi5_package)
    raw = files["cmi5.xml"]
    assert raw.startswith(b"<?xml version='1.0' encoding='UTF-8'?>\n<courseStructure ")
    structure = etree.fromstring(raw)
    ids = structure.xpath("//@id")
    assert len(ids) == len(set(ids)), "ids must be unique"
    assert all(re.fullmatch(r"https://w3id\.org/stopsexting/[a-z0-9_/]+", i) for i in ids), ids
    assert structure.find("c:course", NS).get("id") == f"https://w3id.org/stopsexting/{course.program.id}"
    assert set(structure.xpath("//c:langstring/@lang", namespaces=NS)) == {"uk"}
    assert all(text.strip() for text in structure.xpath("//c:langstring/text()", namespaces=NS))
    aus = structure.findall("c:au", NS)
    assert len(aus) == len(course.modules)
    for au, module in zip(aus, course.modules, strict=True):
        assert au.get("id") == f"https://w3id.org/stopsexting/{course.program.id}/{module.id}"
        assert au.findtext("c:title/c:langstring", namespaces=NS) == module.title
        description = au.findtext("c:description/c:langstring", namespaces=NS) or ""
        assert f"{module.duration_minutes} хв" in description and module.objectives[0].text in description
        assert au.get("launchMethod") == "AnyWindow"
        if module.mastery is None:
            assert au.get("moveOn") == "Completed" and au.get("masteryScore") is None
        else:
            assert au.get("moveOn") == "CompletedAndPassed"
            score = au.get("masteryScore") or ""
            assert re.fullmatch(r"(0\.\d{1,4}|1(\.0{1,4})?)", score) and round(float(score) * 100) == module.mastery
        url = au.findtext("c:url", namespaces=NS)
        assert url == f"{module.id}/index.html" and url in files


def test_every_file_of_every_module(course: Course, cmi5_package: Package) -> None:
    """Each module's site, rendered with the cmi5 adapter, is in its folder; nothing else is in the zip."""
    files = unzip(cmi5_package)
    renderer = Renderer(course)
    expected = {"cmi5.xml": files["cmi5.xml"]}
    for module in course.modules:
        site = renderer.render(module, ("standalone", "interactions", "queue", "cmi5"))
        assert "teacher.html" not in site
        young = module.age_band != "C"
        parts = [*(["assets/young.js"] if young else []),  # bands A and B only
                 *(["assets/speech.js"] if young or module.read_aloud else []),  # listen or read-aloud buttons
                 *(["assets/quest.js"] if module.kind == "quest" else [])]
        assert re.findall(r'<script src="([^"]+)"', site["index.html"].decode()) == [
            "assets/standalone.js", "assets/interactions.js", "assets/queue.js", "assets/cmi5.js", *parts,
            "assets/core.js"]
        expected.update({f"{module.id}/{path}": data for path, data in site.items()})
    assert files == expected
    for name in files:
        path = PurePosixPath(name)
        assert not path.is_absolute() and ".." not in path.parts and "\\" not in name


def test_selected_modules_only(course: Course) -> None:
    """A build of some modules lists only those, in program order."""
    chosen = course.modules[-1:]
    (package,) = build_packages(course, chosen, select_targets(["cmi5"]))
    structure = etree.fromstring(unzip(package)["cmi5.xml"])
    assert [u.rsplit("/", 1)[1] for u in structure.xpath("c:au/@id", namespaces=NS)] == [chosen[0].id]
    assert {name.split("/")[0] for name in unzip(package)} == {"cmi5.xml", chosen[0].id}


def test_builds_are_byte_identical(course: Course, cmi5_package: Package) -> None:
    (again,) = build_packages(course, course.modules, select_targets(["cmi5"]))
    assert again.data == cmi5_package.data
    with zipfile.ZipFile(io.BytesIO(again.data)) as archive:
        infos = archive.infolist()
    assert [i.filename for i in infos] == sorted(i.filename for i in infos)
    assert {i.date_time for i in infos} == {(1980, 1, 1, 0, 0, 0)}
