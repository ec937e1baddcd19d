"""cmi5: one zip for the program, `cmi5.xml` at its root and each module's site in a folder, one AU each.

Identifiers are IRIs under `https://w3id.org/stopsexting/`: cmi5 wants globally unique, permanent IRIs
(standards.md §3.1) and an LMS keys a learner's records by them, so they must outlive any web domain. The
program's own domain is not settled (content-brief: stop-sexting.in.ua may have become dignityonline.in.ua),
while w3id.org is a permanent-identifier service whose namespaces their owner claims and redirects; the
subtree is ours, not ADL's `w3id.org/xapi/` one for xAPI profiles. The course is `<base>/<program id>`, an
AU `<base>/<program id>/<module id>`: the same lessons always give the same ids, so a re-import updates
the course instead of starting it afresh.

The module decides passed/failed itself (mastery score *and* every critical question), so a graded AU moves
on when `CompletedAndPassed`; `masteryScore` still tells the LMS the pass mark. A guided session has no grade
and moves on when `Completed`.
"""

from __future__ import annotations

from collections.abc import Sequence

from lxml import etree

from exporter.errors import Problem
from exporter.loader import Course
from exporter.model import Module
from exporter.render import Renderer
from exporter.targets import BuildOptions, Package
from exporter.targets.ziputil import deterministic_zip

NAMESPACE = "https://w3id.org/xapi/profiles/cmi5/v1/CourseStructure.xsd"
IRI_BASE = "https://w3id.org/stopsexting"


class Cmi5:
    """`cmi5`: the selected modules as AUs of one course, in program order."""

    name = "cmi5"

    def check(self, course: Course, module: Module, options: BuildOptions) -> list[Problem]:
        """Nothing to refuse: the xAPI State resource that keeps the saved state has no size limit."""
        return []

    def packages(self, course: Course, modules: Sequence[Module], renderer: Renderer,
                 options: BuildOptions) -> list[Package]:
        files: dict[str, bytes] = {}
        for module in modules:
            site = renderer.render(module, ("standalone", "interactions", "queue", "cmi5"))
            files.update({f"{module.id}/{path}": data for path, data in site.items()})
        files["cmi5.xml"] = course_structure(course, modules)
        return [Package(f"{course.program.id}.cmi5.zip", self.name, tuple(modules), deterministic_zip(files))]


def course_iri(course: Course) -> str:
    return f"{IRI_BASE}/{course.program.id}"


def au_iri(course: Course, module: Module) -> str:
    return f"{course_iri(course)}/{module.id}"


def course_structure(course: Course, modules: Sequence[Module]) -> bytes:
    root = etree.Element(f"{{{NAMESPACE}}}courseStructure", nsmap={None: NAMESPACE})  # type: ignore[dict-item]
    element = _sub(root, "course")
    element.set("id", course_iri(course))
    language = course.program.language
    _text(element, "title", course.program.title, language)
    _text(element, "description", "Модулі програми: " + "; ".join(f"«{m.title}»" for m in modules) + ".",
          language)
    for module in modules:
        au = _sub(root, "au")
        au.set("id", au_iri(course, module))
        if module.mastery is None:
            au.set("moveOn", "Completed")
        else:
            au.set("moveOn", "CompletedAndPassed")
            au.set("masteryScore", f"{module.mastery / 100:.2f}")
        au.set("launchMethod", "AnyWindow")
        _text(au, "title", module.title, language)
        _text(au, "description", module.summary, language)
        _sub(au, "url").text = f"{module.id}/index.html"
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)


def _sub(parent: etree._Element, tag: str) -> etree._Element:
    return etree.SubElement(parent, f"{{{NAMESPACE}}}{tag}")


def _text(parent: etree._Element, tag: str, text: str, language: str) -> None:
    """A cmi5 text element: one `langstring`, in the program's language (every learner-facing text is)."""
    langstring = _sub(_sub(parent, tag), "langstring")
    langstring.set("lang", language)
    langstring.text = text
