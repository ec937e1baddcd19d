"""Parsing XML from a package safely: no network, no entity expansion, one finding with the line when malformed."""

from __future__ import annotations

from dataclasses import dataclass

from lxml import etree

from exporter.check.findings import Report, Where
from exporter.check.zipsafety import Archive


@dataclass(frozen=True)
class XmlFile:
    """A parsed file of the package: its zip path, its raw bytes and its root element."""

    name: str
    data: bytes
    root: etree._Element


def parser() -> etree.XMLParser:
    """A parser that fetches nothing and expands no entities, so a hostile file cannot reach out or blow up."""
    return etree.XMLParser(no_network=True, resolve_entities=False, load_dtd=False, huge_tree=False)


def read_xml(archive: Archive, name: str, report: Report) -> XmlFile | None:
    """The parsed file, or None (with a finding) when it is unreadable or not well-formed."""
    data = archive.read(name)
    if data is None:
        return None  # its zip entry was already reported damaged or unreadable
    try:
        root = etree.fromstring(data, parser())
    except etree.XMLSyntaxError as error:
        report.error("X-MALFORMED", Where(name, error.lineno or 0), f"not well-formed XML: {error.msg}")
        return None
    return XmlFile(name, data, root)


def children(element: etree._Element, namespace: str, name: str) -> list[etree._Element]:
    """The element's children named `{namespace}name`, in document order."""
    return list(element.iterchildren(f"{{{namespace}}}{name}"))


def descendants(element: etree._Element, namespace: str, name: str) -> list[etree._Element]:
    """Every element named `{namespace}name` below `element`, in document order."""
    return list(element.iterdescendants(f"{{{namespace}}}{name}"))
