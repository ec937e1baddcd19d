"""cmi5 course structures (`cmi5.xml`): the rules of standards.md §3.1 that CourseStructure.xsd misses.

The XSD types ids as any URI and urls as any string; LMSs also refuse relative ids, ids used twice, AU
urls that point at nothing in the zip, and AU urls that already carry the launch parameters (CATAPULT's
LMS test packages `2xx-*` list these refusals).
"""

from __future__ import annotations

import re
from collections import Counter
from urllib.parse import parse_qs, urlsplit

from lxml import etree

from exporter.check import namespaces as ns
from exporter.check.findings import Report, at
from exporter.check.hrefs import package_path
from exporter.check.schemas import validate
from exporter.check.xmlfiles import XmlFile, children, descendants
from exporter.check.zipsafety import Archive

ABSOLUTE_IRI = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:\S+$")
LAUNCH_PARAMETERS = ("endpoint", "fetch", "actor", "registration", "activityId")


def check(archive: Archive, file: XmlFile, report: Report) -> None:
    validate("cmi5", file, report)
    check_ids(file, report)
    check_objective_refs(file, report)
    check_urls(archive, file, report)


def check_ids(file: XmlFile, report: Report) -> None:
    """Course, block, AU and objective ids are absolute IRIs, each used once (the LMS trims them first)."""
    seen: Counter[str] = Counter()
    for element in file.root.iter(*(f"{{{ns.CMI5}}}{name}" for name in ("course", "block", "au", "objective"))):
        raw = element.get("id")
        if raw is None:
            continue  # an objective reference (idref), or an id the schema already demands
        identifier = raw.strip()
        kind = etree.QName(element).localname
        if not ABSOLUTE_IRI.match(identifier):
            report.error("C-ID-IRI", at(file.name, element),
                         f"{kind} id '{identifier}' is not an absolute IRI (like https://example.org/course/1)")
        seen[identifier] += 1
        if seen[identifier] == 2:
            report.error("C-ID-DUP", at(file.name, element), f"{kind} id '{identifier}' is used more than once")


def check_objective_refs(file: XmlFile, report: Report) -> None:
    """Blocks and AUs name objectives the course declares."""
    declared = {(o.get("id") or "").strip() for o in descendants(file.root, ns.CMI5, "objective") if o.get("id")}
    for reference in descendants(file.root, ns.CMI5, "objective"):
        idref = reference.get("idref")
        if idref is not None and idref.strip() not in declared:
            report.error("C-IDREF", at(file.name, reference), f"idref '{idref}' names no objective of the course")


def check_urls(archive: Archive, file: XmlFile, report: Report) -> None:
    """A relative AU url must name a file in the zip; no url may carry the parameters the LMS adds at launch."""
    for au in descendants(file.root, ns.CMI5, "au"):
        for element in children(au, ns.CMI5, "url"):
            url = (element.text or "").strip()
            taken = [name for name in LAUNCH_PARAMETERS if name in parse_qs(urlsplit(url).query)]
            if taken:
                report.error("C-URL-QUERY", at(file.name, element),
                             f"the url already has {', '.join(taken)}: the LMS adds these launch parameters itself")
            path = package_path(url)  # None for an AU hosted elsewhere (an absolute URL)
            if url and path is not None and path not in archive.names:
                report.error("C-URL-MISSING", at(file.name, element), f"AU url '{url}' names no file in the zip")
