"""Common Cartridges: CC 1.1 valid for Moodle's own schemas and detection, CC 1.3 by the same structure,
LTI links to the tool, teacher pages that learners never see, and a tool URL that must be usable."""

from __future__ import annotations

import io
import re
import shutil
import zipfile
from pathlib import Path, PurePosixPath

import lxml.html
import pytest
from lxml import etree

from exporter.build import build_packages, select_targets
from exporter.errors import ProblemReport
from exporter.loader import Course, load_course
from exporter.markdown import to_html
from exporter.targets import BuildOptions, Package
from tests.conftest import FIXTURE_COURSE, SCHEMAS

TOOL = "https://lti.example.org"
CC11 = SCHEMAS / "cc11"
BLTI = "http://www.imsglobal.org/xsd/imsbasiclti_v1p0"
LTICM = "http://www.imsglobal.org/xsd/imslticm_v1p0"
LTICP = "http://www.imsglobal.org/xsd/imslticp_v1p0"
VERSIONS = {  # file label → (schemaversion, manifest ns, resource LOM ns, LTI descriptor ns, LTI resource type)
    "cc11": ("1.1.0", "http://www.imsglobal.org/xsd/imsccv1p1/imscp_v1p1",
             "http://ltsc.ieee.org/xsd/imsccv1p1/LOM/resource", "http://www.imsglobal.org/xsd/imslticc_v1p0",
             "imsbasiclti_xmlv1p0"),
    "cc13": ("1.3.0", "http://www.imsglobal.org/xsd/imsccv1p3/imscp_v1p1",
             "http://ltsc.ieee.org/xsd/imsccv1p3/LOM/resource", "http://www.imsglobal.org/xsd/imslticc_v1p3",
             "imsbasiclti_xmlv1p3"),
}
AGE_GROUPS = {  # program id → section titles in program order
    "stop_sexting": ["4–6 років", "1–2 класи", "3–4 класи", "5–6 класи", "7–8 класи", "7–11 класи", "9–11 класи"],
    "fixture": ["5–6 класи", "7–8 класи"],
}


class LocalSchemas(etree.Resolver):
    """No network: the W3C xml namespace schema resolves to the copy in cc11/ (see schemas/NOTICE.md)."""

    def resolve(self, url: str | None, pubid: str | None, context: object) -> object:
        if url == "http://www.w3.org/2001/xml.xsd":
            return self.resolve_filename(str(CC11 / "xml.xsd"), context)
        return None


def cc11_schema(entry: str) -> etree.XMLSchema:
    parser = etree.XMLParser(no_network=True)
    parser.resolvers.add(LocalSchemas())
    return etree.XMLSchema(etree.parse(str(CC11 / entry), parser))


@pytest.fixture(scope="session")
def manifest_schema() -> etree.XMLSchema:
    return cc11_schema("cc11libxml2validator.xsd")


@pytest.fixture(scope="session")
def link_schema() -> etree.XMLSchema:
    return cc11_schema("imslticc_v1p0p1.xsd")


@pytest.fixture(scope="session")
def cartridges(course: Course) -> list[Package]:
    return build(course, TOOL)


def build(course: Course, tool_url: str | None) -> list[Package]:
    return build_packages(course, course.modules, select_targets(["cc"]), BuildOptions(tool_url))


def unzip(package: Package) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(package.data)) as archive:
        return {info.filename: archive.read(info) for info in archive.infolist()}


def label(package: Package) -> str:
    return package.filename.split(".")[-2]


def manifest(package: Package) -> etree._Element:
    return etree.fromstring(unzip(package)["imsmanifest.xml"])


def links(package: Package) -> dict[str, etree._Element]:
    """Each module's LTI descriptor, by module id, found through the manifest's resources."""
    files = unzip(package)
    ns = {"cp": VERSIONS[label(package)][1]}
    resources = manifest(package).xpath("cp:resources/cp:resource[@type!='webcontent']", namespaces=ns)
    descriptors = [etree.fromstring(files[r.find("cp:file", ns).get("href")]) for r in resources]
    return {d.findtext(f"{{{BLTI}}}custom/{{{LTICM}}}property[@name='module']"): d for d in descriptors}


def test_one_cartridge_per_version(course: Course, cartridges: list[Package]) -> None:
    assert [p.filename for p in cartridges] == [f"{course.program.id}.cc11.imscc", f"{course.program.id}.cc13.imscc"]
    assert all(p.target == "cc" and p.modules == course.modules for p in cartridges)


def test_cc11_manifest_is_schema_valid(cartridges: list[Package], manifest_schema: etree.XMLSchema) -> None:
    assert manifest_schema.validate(manifest(cartridges[0])), manifest_schema.error_log


def test_cc11_links_are_schema_valid(course: Course, cartridges: list[Package], link_schema: etree.XMLSchema) -> None:
    descriptors = links(cartridges[0])
    assert sorted(descriptors) == sorted(m.id for m in course.modules)
    for module_id, descriptor in descriptors.items():
        assert link_schema.validate(descriptor), f"{module_id}: {link_schema.error_log}"


def test_cc11_schemas_refuse_broken_files(cartridges: list[Package], manifest_schema: etree.XMLSchema,
                                          link_schema: etree.XMLSchema) -> None:
    """The validation above is real: a 1.3 resource type in a 1.1 manifest, and a link without its vendor."""
    raw = unzip(cartridges[0])["imsmanifest.xml"]
    assert b'type="imsbasiclti_xmlv1p0"' in raw
    assert not manifest_schema.validate(etree.fromstring(raw.replace(b"imsbasiclti_xmlv1p0", b"imsbasiclti_xmlv1p3")))
    descriptor = next(iter(links(cartridges[0]).values()))
    descriptor.remove(descriptor.find(f"{{{BLTI}}}vendor"))
    assert not link_schema.validate(descriptor)


def moodle_snippet(package: Package) -> str:
    """What Moodle's CC converters look at: the manifest's first 500 bytes, lowercased, no spaces or quotes."""
    head = unzip(package)["imsmanifest.xml"][:500].decode("utf-8", "ignore").lower()
    return re.sub(r"\s", "", head).replace("'", "").replace('"', "")


def test_moodle_detects_cc11_and_not_cc13(cartridges: list[Package]) -> None:
    cc11, cc13 = (moodle_snippet(p) for p in cartridges)
    assert "xmlns=http://www.imsglobal.org/xsd/imsccv1p1/imscp_v1p1" in cc11
    assert "xmlns=http://www.imsglobal.org/xsd/imsccv1p3/imscp_v1p1" in cc13
    assert "imsccv1p1" not in cc13 and "xmlns=http://www.imsglobal.org/xsd/imscc/imscp_v1p1" not in cc13


def test_versions_namespaces_and_types(cartridges: list[Package]) -> None:
    for package in cartridges:
        version, cp, lom, lticc, lti_type = VERSIONS[label(package)]
        root = manifest(package)
        assert root.tag == f"{{{cp}}}manifest" and root.nsmap[None] == cp and root.nsmap["lom"] == lom
        assert root.findtext(f"{{{cp}}}metadata/{{{cp}}}schema") == "IMS Common Cartridge"
        assert root.findtext(f"{{{cp}}}metadata/{{{cp}}}schemaversion") == version
        types = {r.get("type") for r in root.iter(f"{{{cp}}}resource")}
        assert types == {lti_type, "webcontent"}
        for descriptor in links(package).values():
            assert descriptor.tag == f"{{{lticc}}}cartridge_basiclti_link"
            assert descriptor.nsmap == {None: lticc, "blti": BLTI, "lticm": LTICM, "lticp": LTICP,
                                        "xsi": "http://www.w3.org/2001/XMLSchema-instance"}


def test_manifest_metadata_is_ukrainian(course: Course, cartridges: list[Package]) -> None:
    for package in cartridges:
        general = manifest(package).xpath("*[local-name()='metadata']/*[local-name()='lom']/*[local-name()='general']")
        title = general[0].xpath("*[local-name()='title']/*[local-name()='string']")[0]
        assert title.text == course.program.title and title.get("language") == "uk"
        assert general[0].xpath("*[local-name()='language']/text()") == ["uk"]


def test_modules_grouped_by_age_in_program_order(course: Course, cartridges: list[Package]) -> None:
    """One root item; under it a folder per audience in order of first appearance; in each, per module in
    program order, its LTI link and then its teacher page."""
    audiences = list(dict.fromkeys(m.audience for m in course.modules))
    groups = [(title, [m for m in course.modules if m.audience == audience])
              for title, audience in zip(AGE_GROUPS[course.program.id], audiences, strict=True)]
    for package in cartridges:
        lti_type = VERSIONS[label(package)][4]
        expected = [(title, [entry for m in members for entry in ((m.title, lti_type, f"{TOOL}/modules/{m.id}"),
                                                                  (f"Для вчителя: {m.title}", "webcontent", m.title))])
                    for title, members in groups]
        ns = {"cp": VERSIONS[label(package)][1]}
        root = manifest(package)
        files = unzip(package)
        resources = {r.get("identifier"): r for r in root.iterfind("cp:resources/cp:resource", ns)}
        (organization,) = root.iterfind("cp:organizations/cp:organization", ns)
        assert organization.get("structure") == "rooted-hierarchy"
        (top,) = organization.iterfind("cp:item", ns)
        assert top.get("identifierref") is None
        actual = []
        for group in top.iterfind("cp:item", ns):
            assert group.get("identifierref") is None
            entries = []
            for item in group.iterfind("cp:item", ns):
                assert item.find("cp:item", ns) is None
                resource = resources[item.get("identifierref")]
                entries.append((item.findtext("cp:title", namespaces=ns), resource.get("type"),
                                subject(resource, files, ns)))
            actual.append((group.findtext("cp:title", namespaces=ns), entries))
        assert actual == expected


def test_module_without_audience_gets_a_section(tmp_path: Path) -> None:
    lessons = tmp_path / "lessons"
    shutil.copytree(FIXTURE_COURSE, lessons)
    lesson = lessons / "lesson.yaml"
    lesson.write_text(lesson.read_text(encoding="utf-8").replace('audience:\n  grades: "5–6"', "audience: {}"),
                      encoding="utf-8")
    course = load_course(lessons)
    assert course.module("lesson").audience.grades is None
    ns = {"cp": VERSIONS["cc11"][1]}
    groups = manifest(build(course, TOOL)[0]).xpath("//cp:organization/cp:item/cp:item/cp:title/text()",
                                                    namespaces=ns)
    assert groups == ["Для всіх вікових груп", "7–8 класи"]


def subject(resource: etree._Element, files: dict[str, bytes], ns: dict[str, str]) -> str | None:
    """Which module a resource is for: the URL a link launches, or the heading of a teacher page."""
    href = resource.find("cp:file", ns).get("href")
    if resource.get("type") == "webcontent":
        return lxml.html.fromstring(files[href]).findtext(".//h1")
    return etree.fromstring(files[href]).findtext(f"{{{BLTI}}}launch_url")


def test_links_launch_the_module_on_the_tool(course: Course, cartridges: list[Package]) -> None:
    for package in cartridges:
        for module_id, descriptor in links(package).items():
            module = course.module(module_id)
            url = f"{TOOL}/modules/{module_id}"
            assert descriptor.findtext(f"{{{BLTI}}}launch_url") == url
            assert descriptor.findtext(f"{{{BLTI}}}secure_launch_url") == url
            assert descriptor.findtext(f"{{{BLTI}}}title") == module.title
            assert module.objectives[0].text in descriptor.findtext(f"{{{BLTI}}}description")
            vendor = descriptor.find(f"{{{BLTI}}}vendor")
            assert vendor.findtext(f"{{{LTICP}}}code") == "stopsexting"
            assert vendor.findtext(f"{{{LTICP}}}name") == "#stop_sexтинг"


def test_teacher_pages_are_for_instructors_only(cartridges: list[Package]) -> None:
    """The query Moodle's cc112moodle runs to hide a resource: its LOM role Instructor (or Mentor)."""
    for package in cartridges:
        _, cp, lom, _, _ = VERSIONS[label(package)]
        ns = {"cp": cp, "lom": lom}
        for resource in manifest(package).iterfind("cp:resources/cp:resource", ns):
            roles = resource.xpath(".//lom:intendedEndUserRole/lom:value/text()", namespaces=ns)
            assert roles == (["Instructor"] if resource.get("type") == "webcontent" else [])


def page_text(markdown: str) -> str:
    return " ".join(lxml.html.fromstring(to_html(markdown)).text_content().split())


def test_teacher_pages_have_notes_and_contacts(course: Course, cartridges: list[Package]) -> None:
    """The notes learners never see, what the module holds, and its help contacts, which are the only links."""
    contacts = {c.id: c for c in course.program.contacts}
    files = unzip(cartridges[0])
    for module in course.modules:
        page = lxml.html.fromstring(files[f"{module.id}/teacher.html"])
        assert page.get("lang") == "uk"
        assert page.findtext(".//h1") == module.title
        text = " ".join(page.text_content().split())
        for note in (module.teacher.preparation, module.teacher.running, module.teacher.disclosure):
            assert page_text(note) in text, f"{module.id}: a teacher note is missing"
        for objective in module.objectives:
            assert " ".join(objective.text.split()) in text
        assert f"Екранів {len(module.screens)}" in text and "LTI" in text
        shown = [contacts[contact_id] for contact_id in module.help]
        for contact in shown:
            assert contact.name in text and " ".join(contact.what.split()) in text
        assert set(page.xpath("//a/@href")) == \
            {f"tel:{c.phone.replace(' ', '')}" for c in shown if c.phone} | {c.url for c in shown if c.url}


def test_teacher_pages_load_nothing(cartridges: list[Package]) -> None:
    """Self-contained: no scripts, stylesheets, images, frames or fonts, whatever the LMS does with the page."""
    for name, data in unzip(cartridges[0]).items():
        if name.endswith(".html"):
            page = lxml.html.fromstring(data)
            assert not page.xpath("//script | //link | //img | //iframe | //object | //embed | //*[@src]"), name
            assert b"url(" not in data and b"@import" not in data, name


def test_files_and_manifest_agree(cartridges: list[Package]) -> None:
    for package in cartridges:
        files = unzip(package)
        ns = {"cp": VERSIONS[label(package)][1]}
        root = manifest(package)
        listed = root.xpath("cp:resources/cp:resource/cp:file/@href", namespaces=ns)
        assert len(listed) == len(set(listed))
        assert sorted(listed) == sorted(name for name in files if name != "imsmanifest.xml")
        for resource in root.iterfind("cp:resources/cp:resource[@href]", ns):
            assert resource.get("href") in resource.xpath("cp:file/@href", namespaces=ns)
        identifiers = root.xpath("//@identifier")
        assert len(identifiers) == len(set(identifiers))
        refs = root.xpath("//cp:item/@identifierref", namespaces=ns)
        assert sorted(refs) == sorted(r.get("identifier") for r in root.iterfind("cp:resources/cp:resource", ns))
        for name in files:
            path = PurePosixPath(name)
            assert not path.is_absolute() and ".." not in path.parts and "\\" not in name


def test_builds_are_byte_identical(course: Course, cartridges: list[Package]) -> None:
    again = build(load_course(course.folder), TOOL)
    assert [p.data for p in again] == [p.data for p in cartridges]


@pytest.mark.parametrize(("tool_url", "reason"), [
    (None, "missing"), ("", "missing"), ("https://lti.example.org/a b", "spaces"),
    ("lti.example.org", "absolute https"), ("/lti", "absolute https"), ("//lti.example.org", "absolute https"),
    ("http://lti.example.org", "absolute https"), ("ftp://lti.example.org", "absolute https"),
    ("http://127.0.0.1.example.org", "absolute https"), ("http://localhost@example.org", "absolute https"),
    ("https://lti.example.org/?deployment=1", "no query"), ("https://lti.example.org/lti?", "no query"),
    ("https://lti.example.org/#x", "no query"), ("https://user:secret@lti.example.org", "user name"),
    ("https://lti.example.org:port", "not a valid URL"),
])
def test_unusable_tool_url_is_refused(tool_url: str | None, reason: str) -> None:
    with pytest.raises(ProblemReport) as raised:
        build(load_course(FIXTURE_COURSE), tool_url)
    (problem,) = raised.value.problems
    assert (problem.file, problem.code) == ("--tool-url", "E-TOOL-URL")
    assert reason in problem.message


@pytest.mark.parametrize(("tool_url", "base"), [
    ("https://lti.example.org/", "https://lti.example.org"),
    ("https://lti.example.org/tools/stop/", "https://lti.example.org/tools/stop"),
    ("http://127.0.0.1:8000", "http://127.0.0.1:8000"),
    ("http://localhost:8000/", "http://localhost:8000"),
])
def test_tool_url_is_normalised(tool_url: str, base: str) -> None:
    course = load_course(FIXTURE_COURSE)
    for package in build(course, tool_url):
        urls = {d.findtext(f"{{{BLTI}}}launch_url") for d in links(package).values()}
        assert urls == {f"{base}/modules/{m.id}" for m in course.modules}
