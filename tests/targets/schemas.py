"""The official schemas, compiled offline for the package tests (recipes in exporter/schemas/NOTICE.md).

The files are the copies `stopsexting check` ships, which tests/check proves byte-identical to
../shared/schemas; the compiling here is the tests' own, independent of the checker's."""

from __future__ import annotations

from functools import cache
from pathlib import Path

from lxml import etree

from exporter.check.schemas import SCHEMAS


class LocalSchemas(etree.Resolver):
    """No network: the W3C xml namespace schema resolves to the local copy."""

    def resolve(self, url: str | None, pubid: str | None, context: object) -> object:
        if url and (url.endswith("ims_xml.xsd") or url.endswith("/xml.xsd")):
            return self.resolve_filename(str(SCHEMAS / "scorm2004" / "xml.xsd"), context)
        return None


def compile_wrapper(imports: dict[str, Path]) -> etree.XMLSchema:
    """One schema importing each namespace from its local file, as no single official file does."""
    lines = "".join(f'<xs:import namespace="{ns}" schemaLocation="{path.as_uri()}"/>' for ns, path in imports.items())
    wrapper = f'<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema">{lines}</xs:schema>'
    parser = etree.XMLParser(no_network=True)
    parser.resolvers.add(LocalSchemas())
    return etree.XMLSchema(etree.fromstring(wrapper.encode(), parser))


@cache
def scorm12() -> etree.XMLSchema:
    folder = SCHEMAS / "scorm12"
    return compile_wrapper({"http://www.imsproject.org/xsd/imscp_rootv1p1p2": folder / "imscp_rootv1p1p2.xsd",
                            "http://www.adlnet.org/xsd/adlcp_rootv1p2": folder / "adlcp_rootv1p2.xsd"})


@cache
def scorm2004() -> etree.XMLSchema:
    folder = SCHEMAS / "scorm2004"
    return compile_wrapper({"http://www.imsglobal.org/xsd/imscp_v1p1": folder / "imscp_v1p1.xsd",
                            "http://www.adlnet.org/xsd/adlcp_v1p3": folder / "adlcp_v1p3.xsd",
                            "http://www.adlnet.org/xsd/adlseq_v1p3": folder / "adlseq_v1p3.xsd",
                            "http://www.adlnet.org/xsd/adlnav_v1p3": folder / "adlnav_v1p3.xsd",
                            "http://www.imsglobal.org/xsd/imsss": folder / "imsss_v1p0.xsd"})
