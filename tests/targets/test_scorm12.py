"""SCORM 1.2 packages: schema-valid manifests, the semantic rules schemas miss, and byte-identical builds."""

from __future__ import annotations

import io
import re
import shutil
import zipfile
from pathlib import Path, PurePosixPath

import lxml.html
import pytest
from click.testing import CliRunner
from lxml import etree

from exporter.build import build_packages, select_targets
from exporter.cli import main
from exporter.loader import Course, load_course
from exporter.state import worst_case_size
from exporter.targets import Package
from tests.conftest import FIXTURE_COURSE
from tests.targets import schemas

CP = "http://www.imsproject.org/xsd/imscp_rootv1p1p2"
ADLCP = "http://www.adlnet.org/xsd/adlcp_rootv1p2"
NS = {"cp": CP, "adlcp": ADLCP}


@pytest.fixture(scope="session")
def scorm12_schema() -> etree.XMLSchema:
    return schemas.scorm12()


def unzip(package: Package) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(package.data)) as archive:
        return {info.filename: archive.read(info) for info in archive.infolist()}


def test_every_module_has_a_package(course: Course, scorm12_packages: list[Package]) -> None:
    assert [p.filename for p in scorm12_packages] == [f"{m.id}.scorm12.zip" for m in course.modules]


def test_manifests_are_schema_valid(scorm12_packages: list[Package], scorm12_schema: etree.XMLSchema) -> None:
    for package in scorm12_packages:
        manifest = etree.fromstring(unzip(package)["imsmanifest.xml"])
        assert scorm12_schema.validate(manifest), f"{package.filename}: {scorm12_schema.error_log}"


def test_schema_catches_a_broken_manifest(scorm12_packages: list[Package], scorm12_schema: etree.XMLSchema) -> None:
    """The validation above is real: the wrong scormtype case is refused."""
    text = unzip(scorm12_packages[0])["imsmanifest.xml"].replace(b'adlcp:scormtype="sco"', b'adlcp:scormtype="SCO"')
    assert not scorm12_schema.validate(etree.fromstring(text))


def test_manifest_semantics(course: Course, scorm12_packages: list[Package]) -> None:
    """The rules of standards.md §1.2 and §7 that the XSD lets through."""
    for package in scorm12_packages:
        files = unzip(package)
        raw = files["imsmanifest.xml"]
        assert raw.startswith(b"<?xml version='1.0' encoding='UTF-8'?>\n<manifest ")
        # Moodle matches literal qualified names: the adlcp prefix and unprefixed CP elements.
        assert b' xmlns="http://www.imsproject.org/xsd/imscp_rootv1p1p2"' in raw
        assert b'xmlns:adlcp="http://www.adlnet.org/xsd/adlcp_rootv1p2"' in raw
        manifest = etree.fromstring(raw)
        assert manifest.findtext("cp:metadata/cp:schema", namespaces=NS) == "ADL SCORM"
        assert manifest.findtext("cp:metadata/cp:schemaversion", namespaces=NS) == "1.2"
        ids = manifest.xpath("//@identifier")
        assert len(ids) == len(set(ids)), "identifiers must be unique"
        assert all(re.fullmatch(r"[A-Za-z_][\w.-]*", i) for i in ids)
        default = manifest.find("cp:organizations", NS).get("default")
        assert manifest.xpath("cp:organizations/cp:organization/@identifier", namespaces=NS) == [default]
        resources = {r.get("identifier"): r for r in manifest.iterfind("cp:resources/cp:resource", NS)}
        items = manifest.xpath("//cp:item", namespaces=NS)
        assert items and all(item.get("identifierref") in resources for item in items)
        module = course.module(package.modules[0].id)
        for item in items:
            mastery = item.findtext("adlcp:masteryscore", namespaces=NS)
            if module.mastery is None:
                assert mastery is None
            else:
                assert mastery is not None and 0 <= int(mastery) <= 100 and int(mastery) == module.mastery
            assert item.findtext("cp:title", namespaces=NS) == module.title
        (resource,) = resources.values()
        assert resource.get(f"{{{ADLCP}}}scormtype") == "sco" and resource.get("type") == "webcontent"
        assert resource.get("href") in files
        listed = [f.get("href") for f in resource.iterfind("cp:file", NS)]
        assert sorted(listed) == sorted(name for name in files if name != "imsmanifest.xml"), "every file listed"
        for name in files:
            path = PurePosixPath(name)
            assert not path.is_absolute() and ".." not in path.parts and "\\" not in name


def test_zip_entries_are_fixed(scorm12_packages: list[Package]) -> None:
    for package in scorm12_packages:
        with zipfile.ZipFile(io.BytesIO(package.data)) as archive:
            infos = archive.infolist()
        assert [i.filename for i in infos] == sorted(i.filename for i in infos)
        assert {i.date_time for i in infos} == {(1980, 1, 1, 0, 0, 0)}
        assert {i.external_attr >> 16 for i in infos} == {0o100644}


def test_learner_package_has_no_teacher_notes(course: Course, scorm12_packages: list[Package]) -> None:
    for package in scorm12_packages:
        notes = course.module(package.modules[0].id).teacher
        text = b"".join(unzip(package).values()).decode("utf-8", "replace")
        for note in (notes.preparation, notes.running, notes.disclosure):
            first_line = note.strip().splitlines()[0][:60]
            assert first_line not in text, f"teacher note leaked into {package.filename}: {first_line!r}"


def test_pages_reference_nothing_outside_the_package(scorm12_packages: list[Package]) -> None:
    """Only links a learner clicks (help contacts) may leave the package; everything loaded is inside it."""
    for package in scorm12_packages:
        files = unzip(package)
        page = lxml.html.fromstring(files["index.html"])
        assert page.get("lang") == "uk"
        for element in page.iter():
            for attribute in ("src", "href"):
                ref = element.get(attribute)
                if ref is None or ref.startswith("#") or ref == "data:,":
                    continue
                if element.tag == "a" and ref.startswith(("tel:", "mailto:", "https://")):
                    assert "noopener" in (element.get("rel") or "") or ref.startswith(("tel:", "mailto:"))
                    continue
                assert ref in files, f"{package.filename}: <{element.tag} {attribute}> refers to missing {ref}"
        for name, data in files.items():
            if name.endswith((".css", ".js")):
                assert not re.search(rb"(?:https?:)?//[a-z0-9.-]+\.[a-z]{2,}/", data), f"{name} names a host"
                assert b"@import" not in data and b"url(" not in data


def test_builds_are_byte_identical(course: Course, scorm12_packages: list[Package]) -> None:
    again = build_packages(load_course(course.folder), course.modules, select_targets(["scorm12"]))
    assert [p.data for p in again] == [p.data for p in scorm12_packages]


def test_cli_builds_identical_files_twice(tmp_path: Path) -> None:
    outputs = []
    for run in ("one", "two"):
        result = CliRunner().invoke(main, ["build", "--format", "scorm12", "--lessons", str(FIXTURE_COURSE),
                                           "--out", str(tmp_path / run)])
        assert result.exit_code == 0, result.output
        assert "Built 2 packages" in result.output and "lesson.scorm12.zip" in result.output
        outputs.append({p.name: p.read_bytes() for p in sorted((tmp_path / run).iterdir())})
    assert outputs[0] == outputs[1]
    assert sorted(outputs[0]) == ["lesson.scorm12.zip", "quest.scorm12.zip"]


def test_worst_case_state_fits(course: Course) -> None:
    for module in course.modules:
        assert worst_case_size(module) <= 4096


def test_state_that_could_overflow_is_refused(tmp_path: Path) -> None:
    """Seventy ten-option questions with long ids could save more than 4,096 characters: no build."""
    lessons = tmp_path / "lessons"
    shutil.copytree(FIXTURE_COURSE, lessons)
    options = "".join(f"          - {{id: o{i}, text: Варіант, correct: true, feedback: Так.}}\n" for i in range(10))
    questions = "".join(
        f"      - kind: question\n        id: q_{i:02}_{'x' * 40}\n        type: multiple\n"
        f"        prompt: Питання?\n        options:\n{options}" for i in range(70))
    lesson = lessons / "lesson.yaml"
    lesson.write_text(lesson.read_text(encoding="utf-8") + questions, encoding="utf-8")
    (tmp_path / "dist").mkdir()
    result = CliRunner().invoke(main, ["build", "--lessons", str(lessons), "--out", str(tmp_path / "dist")])
    assert result.exit_code == 2, result.output
    assert "lesson.yaml:" in result.output
    assert "E-STATE-SIZE screens: the learner's saved state can reach 4" in result.output
    assert "over SCORM 1.2's 4096" in result.output
    assert list((tmp_path / "dist").iterdir()) == [], "nothing may be written when a check fails"
