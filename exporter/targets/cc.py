"""IMS Common Cartridge: per module, an LTI link to our tool and a page for teachers, grouped by age.

One format, two cartridges. Moodle imports only CC 1.0 and 1.1 (standards.md §4.3), Canvas and others
take 1.3, and the two differ only in namespaces, version strings and the LTI resource type, so both come
from the same code. The CC LTI binding has no LTI 1.3 fields (no client id, no login URL): a link becomes an
LTI 1.3 launch because the platform already has our tool registered and matches the link's URL to it, so
every launch URL is `<tool url>/modules/<module id>` on the tool's own host, which the tool then receives
as the `target_link_uri`; the module id also travels as a custom parameter for platforms that pass those.

Each age group is a folder item under the root, which Moodle turns into a course section. Teacher pages
carry LOM `intendedEndUserRole` Instructor in their resource metadata: Moodle's importer hides such
resources from learners (`cc112moodle::get_module_visible`), and teacher notes must never reach them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from lxml import etree

from exporter.errors import Problem, ProblemReport
from exporter.loader import Course
from exporter.model import Module
from exporter.render import Renderer
from exporter.scoring import questions
from exporter.targets import BuildOptions, Package
from exporter.targets.ziputil import deterministic_zip
from exporter.urls import secure_url_fault

XSI = "http://www.w3.org/2001/XMLSchema-instance"
BLTI = "http://www.imsglobal.org/xsd/imsbasiclti_v1p0"
LTICM = "http://www.imsglobal.org/xsd/imslticm_v1p0"
LTICP = "http://www.imsglobal.org/xsd/imslticp_v1p0"
LTI_SCHEMAS = "http://www.imsglobal.org/xsd/lti/ltiv1p0"
PAGE_TEMPLATE = "cc_page.html.j2"
EXAMPLE = "e.g. https://lti.school.example"
VENDOR_CODE = "stopsexting"
VENDOR_NAME = "#stop_sexтинг"
VENDOR_DESCRIPTION = ("Освітній проєкт для дітей і підлітків: як розпізнати секстинг, кібергрумінг і сексторшн, "
                      "протидіяти їм і де шукати допомоги.")


@dataclass(frozen=True)
class Version:
    """What differs between the cartridge versions: namespaces, version strings and the LTI resource type."""

    label: str
    schema_version: str
    manifest_ns: str
    lom_manifest_ns: str
    lom_resource_ns: str
    manifest_schemas: str
    lti_ns: str
    lti_type: str
    lti_schema: str


CC11 = Version(
    label="cc11",
    schema_version="1.1.0",
    manifest_ns="http://www.imsglobal.org/xsd/imsccv1p1/imscp_v1p1",
    lom_manifest_ns="http://ltsc.ieee.org/xsd/imsccv1p1/LOM/manifest",
    lom_resource_ns="http://ltsc.ieee.org/xsd/imsccv1p1/LOM/resource",
    manifest_schemas=(
        "http://www.imsglobal.org/xsd/imsccv1p1/imscp_v1p1 "
        "http://www.imsglobal.org/profile/cc/ccv1p1/ccv1p1_imscp_v1p2_v1p0.xsd "
        "http://ltsc.ieee.org/xsd/imsccv1p1/LOM/manifest "
        "http://www.imsglobal.org/profile/cc/ccv1p1/LOM/ccv1p1_lommanifest_v1p0.xsd "
        "http://ltsc.ieee.org/xsd/imsccv1p1/LOM/resource "
        "http://www.imsglobal.org/profile/cc/ccv1p1/LOM/ccv1p1_lomresource_v1p0.xsd"
    ),
    lti_ns="http://www.imsglobal.org/xsd/imslticc_v1p0",
    lti_type="imsbasiclti_xmlv1p0",
    lti_schema="http://www.imsglobal.org/xsd/lti/ltiv1p0/imslticc_v1p0p1.xsd",
)
CC13 = Version(
    label="cc13",
    schema_version="1.3.0",
    manifest_ns="http://www.imsglobal.org/xsd/imsccv1p3/imscp_v1p1",
    lom_manifest_ns="http://ltsc.ieee.org/xsd/imsccv1p3/LOM/manifest",
    lom_resource_ns="http://ltsc.ieee.org/xsd/imsccv1p3/LOM/resource",
    manifest_schemas=(
        "http://www.imsglobal.org/xsd/imsccv1p3/imscp_v1p1 "
        "http://www.imsglobal.org/profile/cc/ccv1p3/ccv1p3_imscp_v1p2_v1p0.xsd "
        "http://ltsc.ieee.org/xsd/imsccv1p3/LOM/manifest "
        "http://www.imsglobal.org/profile/cc/ccv1p3/LOM/ccv1p3_lommanifest_v1p0.xsd "
        "http://ltsc.ieee.org/xsd/imsccv1p3/LOM/resource "
        "http://www.imsglobal.org/profile/cc/ccv1p3/LOM/ccv1p3_lomresource_v1p0.xsd"
    ),
    lti_ns="http://www.imsglobal.org/xsd/imslticc_v1p3",
    lti_type="imsbasiclti_xmlv1p3",
    lti_schema="http://www.imsglobal.org/xsd/lti/ltiv1p3/imslticc_v1p3.xsd",
)
VERSIONS = (CC11, CC13)


class Cc:
    """`cc`: the selected modules in two cartridges, CC 1.1 for Moodle and CC 1.3 for other platforms."""

    name = "cc"

    def check(self, course: Course, module: Module, options: BuildOptions) -> list[Problem]:
        """Nothing to refuse per module: a link and a page fit any module."""
        return []

    def packages(self, course: Course, modules: Sequence[Module], renderer: Renderer,
                 options: BuildOptions) -> list[Package]:
        tool_url = tool_base_url(options.tool_url)
        pages = {page_path(module): teacher_page(renderer, module) for module in modules}
        packages = []
        for version in VERSIONS:
            files = {**pages, "imsmanifest.xml": manifest(version, course, modules)}
            files.update({link_path(module): lti_link(version, module, tool_url) for module in modules})
            packages.append(Package(f"{course.program.id}.{version.label}.imscc", self.name, tuple(modules),
                                    deterministic_zip(files)))
        return packages


def tool_base_url(url: str | None) -> str:
    """The tool's base URL without a trailing slash; refused unless links built on it can reach the tool."""
    url = url or ""
    fault = _tool_url_fault(url)
    if fault:
        raise ProblemReport([Problem("--tool-url", 0, 0, "E-TOOL-URL", "", fault)])
    return url.rstrip("/")


def _tool_url_fault(url: str) -> str | None:
    """Why `url` cannot be the base of launch URLs, or None. Plain http would send launches in clear text,
    so it is only for a tool on this machine (`make serve`)."""
    if not url:
        return f"missing: give the address of your deployed LTI tool, {EXAMPLE}"
    fault = secure_url_fault(url)
    if fault:
        return f"{fault}, {EXAMPLE}"
    parts = urlsplit(url)
    if "?" in url or "#" in url:
        return f"'{url}' must have no query or fragment: launch URLs append /modules/<module id> to it"
    if parts.username is not None:
        return f"'{url}' must not carry a user name or password: cartridges are shared with every course"
    return None


def launch_url(tool_url: str, module: Module) -> str:
    return f"{tool_url}/modules/{module.id}"


def age_groups(modules: Sequence[Module]) -> dict[str, list[Module]]:
    """Modules by audience label, groups in the program order of their first module."""
    groups: dict[str, list[Module]] = {}
    for module in modules:
        groups.setdefault(module.audience.label, []).append(module)
    return groups


def page_path(module: Module) -> str:
    return f"{module.id}/teacher.html"


def link_path(module: Module) -> str:
    return f"{module.id}/lti_link.xml"


def teacher_page(renderer: Renderer, module: Module) -> bytes:
    """Rendered once and shared by both cartridges; the contacts are the ones the module shows learners."""
    by_id = {contact.id: contact for contact in renderer.course.program.contacts}
    context: dict[str, Any] = {
        "program": renderer.course.program,
        "module": module,
        "audience": module.audience.label,
        "questions": [question for _, question in questions(module)],
        "contacts": [by_id[contact_id] for contact_id in module.help],
    }
    return renderer.page(PAGE_TEMPLATE, context)

def lti_link(version: Version, module: Module, tool_url: str) -> bytes:
    """The link descriptor, in the schema's element order. Both launch URLs, as importers read one or the
    other (Moodle `launch_url`, Open edX `secure_launch_url`)."""
    namespaces = {None: version.lti_ns, "blti": BLTI, "lticm": LTICM, "lticp": LTICP, "xsi": XSI}
    root = etree.Element(f"{{{version.lti_ns}}}cartridge_basiclti_link", nsmap=namespaces)  # type: ignore[arg-type]
    root.set(f"{{{XSI}}}schemaLocation",
             f"{version.lti_ns} {version.lti_schema} {BLTI} {LTI_SCHEMAS}/imsbasiclti_v1p0p1.xsd "
             f"{LTICM} {LTI_SCHEMAS}/imslticm_v1p0.xsd {LTICP} {LTI_SCHEMAS}/imslticp_v1p0.xsd")
    _sub(root, BLTI, "title", module.title)
    _sub(root, BLTI, "description", module.summary)
    _sub(_sub(root, BLTI, "custom"), LTICM, "property", module.id).set("name", "module")
    url = launch_url(tool_url, module)
    _sub(root, BLTI, "launch_url", url)
    _sub(root, BLTI, "secure_launch_url", url)
    vendor = _sub(root, BLTI, "vendor")
    _sub(vendor, LTICP, "code", VENDOR_CODE)
    _sub(vendor, LTICP, "name", VENDOR_NAME)
    _sub(vendor, LTICP, "description", VENDOR_DESCRIPTION)
    # The program's public domain is not settled (content brief, open question 1); the tool is ours.
    _sub(vendor, LTICP, "url", tool_url)
    return _xml(root)


def manifest(version: Version, course: Course, modules: Sequence[Module]) -> bytes:
    """The default namespace is declared first: Moodle recognises CC 1.1 by it in the first 500 bytes."""
    namespaces = {None: version.manifest_ns, "lomimscc": version.lom_manifest_ns, "lom": version.lom_resource_ns,
                  "xsi": XSI}
    root = etree.Element(f"{{{version.manifest_ns}}}manifest", nsmap=namespaces)  # type: ignore[arg-type]
    root.set("identifier", course.program.id)
    root.set(f"{{{XSI}}}schemaLocation", version.manifest_schemas)
    _manifest_metadata(root, version, course)
    organization = _sub(_sub(root, version.manifest_ns, "organizations"), version.manifest_ns, "organization")
    organization.set("identifier", "ORG")
    organization.set("structure", "rooted-hierarchy")
    top = _sub(organization, version.manifest_ns, "item")
    top.set("identifier", "ROOT")
    resources = _sub(root, version.manifest_ns, "resources")
    for number, (label, members) in enumerate(age_groups(modules).items(), start=1):
        group = _item(top, version, f"GROUP_{number}", label)
        for module in members:
            _item(group, version, f"ITEM_{module.id}_link", module.title).set("identifierref", f"RES_{module.id}_link")
            _item(group, version, f"ITEM_{module.id}_page", f"Для вчителя: {module.title}") \
                .set("identifierref", f"RES_{module.id}_page")
            _link_resource(resources, version, module)
            _page_resource(resources, version, module)
    return _xml(root)


def _manifest_metadata(root: etree._Element, version: Version, course: Course) -> None:
    metadata = _sub(root, version.manifest_ns, "metadata")
    _sub(metadata, version.manifest_ns, "schema", "IMS Common Cartridge")
    _sub(metadata, version.manifest_ns, "schemaversion", version.schema_version)
    general = _sub(_sub(metadata, version.lom_manifest_ns, "lom"), version.lom_manifest_ns, "general")
    language = course.program.language
    _langstring(general, version.lom_manifest_ns, "title", course.program.title, language)
    _sub(general, version.lom_manifest_ns, "language", language)
    _langstring(general, version.lom_manifest_ns, "description",
                "Модулі програми за віковими групами: посилання LTI для учнів і сторінка для вчителя до кожного.",
                language)


def _item(parent: etree._Element, version: Version, identifier: str, title: str) -> etree._Element:
    item = _sub(parent, version.manifest_ns, "item")
    item.set("identifier", identifier)
    _sub(item, version.manifest_ns, "title", title)
    return item


def _link_resource(resources: etree._Element, version: Version, module: Module) -> None:
    resource = _sub(resources, version.manifest_ns, "resource")
    resource.set("identifier", f"RES_{module.id}_link")
    resource.set("type", version.lti_type)
    _sub(resource, version.manifest_ns, "file").set("href", link_path(module))


def _page_resource(resources: etree._Element, version: Version, module: Module) -> None:
    """A web page for instructors only: the LOM role is what hides it from learners on import."""
    resource = _sub(resources, version.manifest_ns, "resource")
    resource.set("identifier", f"RES_{module.id}_page")
    resource.set("type", "webcontent")
    resource.set("href", page_path(module))
    lom = _sub(_sub(resource, version.manifest_ns, "metadata"), version.lom_resource_ns, "lom")
    role = _sub(_sub(lom, version.lom_resource_ns, "educational"), version.lom_resource_ns, "intendedEndUserRole")
    _sub(role, version.lom_resource_ns, "source", "IMSGLC_CC_Rolesv1p1")
    _sub(role, version.lom_resource_ns, "value", "Instructor")
    _sub(resource, version.manifest_ns, "file").set("href", page_path(module))


def _langstring(parent: etree._Element, namespace: str, tag: str, text: str, language: str) -> None:
    _sub(_sub(parent, namespace, tag), namespace, "string", text).set("language", language)


def _sub(parent: etree._Element, namespace: str, tag: str, text: str | None = None) -> etree._Element:
    child = etree.SubElement(parent, f"{{{namespace}}}{tag}")
    child.text = text
    return child


def _xml(root: etree._Element) -> bytes:
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)
