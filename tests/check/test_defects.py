"""A corpus of broken packages, each a good one with ONE defect, and the exact rules each defect fires.

The good ones are our own SCORM 1.2 and 2004 packages as the build makes them, and the hand-made cmi5 and
Common Cartridge packages of packages.py. An edit that no longer applies fails loudly instead of testing
nothing.
"""

from __future__ import annotations

import functools
from collections.abc import Callable

import pytest

from exporter.build import build_packages, select_targets
from exporter.check import check_package
from exporter.loader import load_course
from tests.check.packages import FOREIGN, Files, cc13, outcome, unzip, zipped
from tests.conftest import FIXTURE_COURSE

Defect = Callable[[Files], Files]
MANIFEST = "imsmanifest.xml"
LTI = "r_lti/lti.xml"
S12, S2004, CMI5, CC11, CC13 = "ours scorm12", "ours scorm2004-program", "cmi5", "cc11", "cc13"


@functools.cache
def good(base: str) -> Files:
    if base.startswith("ours "):
        course = load_course(FIXTURE_COURSE)
        package = build_packages(course, course.modules, select_targets([base.removeprefix("ours ")]))[0]
        return unzip(package.data)
    files = cc13() if base == CC13 else FOREIGN[base]
    return unzip(zipped(files))


def edit(name: str, old: str, new: str, count: int = 1) -> Defect:
    """Replace text in one file (`count=-1`: every occurrence)."""
    def apply(files: Files) -> Files:
        text = files[name].decode()
        assert old in text, f"{name} no longer contains {old!r}: update this defect"
        return {**files, name: text.replace(old, new, count).encode()}
    return apply


def drop(name: str) -> Defect:
    def apply(files: Files) -> Files:
        assert name in files
        return {n: data for n, data in files.items() if n != name}
    return apply


def add(name: str, data: bytes) -> Defect:
    return lambda files: {**files, name: data}


def rename(old: str, new: str) -> Defect:
    return lambda files: {new if name == old else name: data for name, data in files.items()}


def both(first: Defect, second: Defect) -> Defect:
    """One defect that takes two edits to make (a prefix is declared and used)."""
    return lambda files: second(first(files))


def nest(folder: str) -> Defect:
    return lambda files: {folder + name: data for name, data in files.items()}


LONG_COMMENT = "<!-- " + "exported by a tool that writes a long header; " * 12 + "-->\n"
BLTI_LAUNCH = "  <blti:launch_url>https://tool.example.org/launch</blti:launch_url>\n"
BLTI_SECURE = "  <blti:secure_launch_url>https://tool.example.org/launch</blti:secure_launch_url>\n"
BLTI_VENDOR = """  <blti:vendor>
    <lticp:code>example</lticp:code>
    <lticp:name>Example Tools</lticp:name>
  </blti:vendor>
"""
LTI_RESOURCE = '<resource identifier="r_lti" type="imsbasiclti_xmlv1p0"><file href="r_lti/lti.xml"/></resource>'

DEFECTS = [
    # Where the manifest is, and what it is.
    pytest.param(S12, nest("lesson/"), {"error D-MANIFEST-LOCATION"}, id="manifest-in-a-folder"),
    pytest.param(S12, drop(MANIFEST), {"error D-NO-MANIFEST"}, id="no-manifest"),
    pytest.param(S12, rename(MANIFEST, "IMSManifest.xml"), {"error D-MANIFEST-NAME"}, id="manifest-misnamed"),
    pytest.param(S12, edit(MANIFEST, 'xmlns="http://www.imsproject.org/xsd/imscp_rootv1p1p2"',
                           'xmlns="http://example.org/cp"'), {"error D-FORMAT"}, id="unknown-namespace"),
    pytest.param(S12, edit(MANIFEST, "</title>", "</titel>"), {"error X-MALFORMED"}, id="malformed-xml"),
    # SCORM 1.2.
    pytest.param(S12, edit(MANIFEST, 'adlcp:scormtype="sco"', 'adlcp:scormtype="SCO"'),
                 {"error X-SCHEMA", "error S-SCORMTYPE"}, id="12-scormtype-upper-case"),
    pytest.param(S12, edit(MANIFEST, "adlcp:scormtype=", "adlcp:scormType="),
                 {"error X-SCHEMA", "error S-SCORMTYPE"}, id="12-scormType-spelled-as-2004"),
    pytest.param(S12, edit(MANIFEST, "<schemaversion>1.2<", "<schemaversion>1.3<"), {"error M-VERSION"},
                 id="12-schemaversion-1.3"),
    pytest.param(S12, edit(MANIFEST, "<schemaversion>1.2<", "<schemaversion>1.2\n<"), {"error M-VERSION-SPACE"},
                 id="12-schemaversion-trailing-newline"),
    pytest.param(S12, edit(MANIFEST, ' default="ORG"', ""), {"error S-DEFAULT"}, id="12-no-default-organization"),
    pytest.param(S12, edit(MANIFEST, 'default="ORG"', 'default="ORG_MAIN"'), {"error S-DEFAULT-REF"},
                 id="12-default-names-no-organization"),
    pytest.param(S12, edit(MANIFEST, 'identifierref="RES_lesson"', 'identifierref="RES_x"'), {"error M-IDREF"},
                 id="12-dangling-identifierref"),
    pytest.param(S12, edit(MANIFEST, 'identifier="ITEM_lesson"', 'identifier="RES_lesson"'),
                 {"error X-SCHEMA", "error M-ID-DUP"}, id="12-duplicate-identifier"),
    pytest.param(S12, edit(MANIFEST, "<adlcp:masteryscore>80<", "<adlcp:masteryscore>150<"), {"error S-MASTERY"},
                 id="12-masteryscore-150"),
    pytest.param(S12, drop("assets/style.css"), {"error M-FILE-MISSING"}, id="12-listed-file-missing"),
    pytest.param(S12, add("notes/todo.txt", b"remove before release"), {"warning M-FILE-UNREFERENCED"},
                 id="12-unlisted-extra-file"),
    pytest.param(S12, edit(MANIFEST, 'adlcp:scormtype="sco" href="index.html"', 'adlcp:scormtype="sco"'),
                 {"error S-LAUNCH"}, id="12-launched-resource-without-href"),
    pytest.param(S12, edit(MANIFEST, 'adlcp:scormtype="sco"', 'adlcp:scormtype="asset"'),
                 {"warning S-LAUNCH-ASSET"}, id="12-item-launches-an-asset"),
    pytest.param(S12, both(edit(MANIFEST, "adlcp:", "adl:", -1), edit(MANIFEST, "xmlns:adlcp=", "xmlns:adl=")),
                 {"error S-PREFIX"}, id="12-adlcp-under-another-prefix"),
    # SCORM 2004 (the whole program: several SCOs).
    pytest.param(S2004, edit(MANIFEST, "adlcp:scormType=", "adlcp:scormtype=", -1), {"error S-SCORMTYPE"},
                 id="2004-scormtype-spelled-as-1.2"),
    pytest.param(S2004, edit(MANIFEST, "2004 4th Edition", "2004 4th edition"), {"error M-VERSION"},
                 id="2004-schemaversion-lower-case"),
    pytest.param(S2004, edit(MANIFEST, "2004 4th Edition", "2004 3rd Edition"), {"warning M-VERSION-OLD"},
                 id="2004-third-edition"),
    pytest.param(S2004, edit(MANIFEST, "<imsss:minNormalizedMeasure>0.80<", "<imsss:minNormalizedMeasure>1.5<"),
                 {"error X-SCHEMA"}, id="2004-minNormalizedMeasure-1.5"),
    pytest.param(S2004, edit(MANIFEST, 'minProgressMeasure="1.0"', 'minProgressMeasure="1.5"'), {"error X-SCHEMA"},
                 id="2004-minProgressMeasure-1.5"),
    pytest.param(S2004, edit(MANIFEST, ' flow="true"', ""), {"warning S-FLOW"}, id="2004-several-scos-without-flow"),
    pytest.param(S2004, both(edit(MANIFEST, "imsss:", "ss:", -1), edit(MANIFEST, "xmlns:imsss=", "xmlns:ss=")),
                 {"error S-PREFIX"}, id="2004-imsss-under-another-prefix"),
    pytest.param(S2004, drop("quest/assets/style.css"), {"error M-FILE-MISSING"}, id="2004-listed-file-missing"),
    # cmi5.
    pytest.param(CMI5, edit("cmi5.xml", 'masteryScore="0.8"', 'masteryScore="80"'), {"error X-SCHEMA"},
                 id="cmi5-masteryScore-80"),
    pytest.param(CMI5, edit("cmi5.xml", 'au id="https://example.org/aus/2"', 'au id="https://example.org/aus/1"'),
                 {"error C-ID-DUP"}, id="cmi5-duplicate-au-id"),
    pytest.param(CMI5, edit("cmi5.xml", 'block id="https://example.org/blocks/1"', 'block id="block-1"'),
                 {"error C-ID-IRI"}, id="cmi5-relative-block-id"),
    pytest.param(CMI5, drop("au1/index.html"), {"error C-URL-MISSING"}, id="cmi5-au-url-missing"),
    pytest.param(CMI5, edit("cmi5.xml", "?lang=en<", "?lang=en&amp;endpoint=https://lrs.example.org/<"),
                 {"error C-URL-QUERY"}, id="cmi5-au-url-with-endpoint"),
    pytest.param(CMI5, edit("cmi5.xml", 'idref="https://example.org/objectives/safe-sharing"',
                            'idref="https://example.org/objectives/other"'), {"error C-IDREF"},
                 id="cmi5-unknown-objective"),
    pytest.param(CMI5, edit("cmi5.xml", "</course>", "</corse>"), {"error X-MALFORMED"}, id="cmi5-malformed"),
    # Common Cartridge 1.1 and 1.3.
    pytest.param(CC11, edit(MANIFEST, "?>\n", "?>\n" + LONG_COMMENT), {"error CC-NAMESPACE-EARLY"},
                 id="cc11-namespace-after-500-bytes"),
    pytest.param(CC11, edit(MANIFEST, "<schemaversion>1.1.0<", "<schemaversion>1.1<"),
                 {"error X-SCHEMA", "error M-VERSION"}, id="cc11-schemaversion-1.1"),
    pytest.param(CC11, edit(LTI, BLTI_LAUNCH, ""), {"warning CC-LTI-URL"}, id="cc11-lti-without-launch_url"),
    pytest.param(CC11, both(edit(LTI, BLTI_LAUNCH, ""), edit(LTI, BLTI_SECURE, "")), {"error CC-LTI-URL"},
                 id="cc11-lti-without-any-url"),
    pytest.param(CC11, edit(LTI, BLTI_VENDOR, ""), {"error X-SCHEMA", "error CC-LTI-VENDOR"},
                 id="cc11-lti-without-vendor"),
    pytest.param(CC11, edit(LTI, "<blti:title>Quiz tool</blti:title>", ""), {"error X-SCHEMA", "error CC-LTI-TITLE"},
                 id="cc11-lti-without-title"),
    pytest.param(CC11, drop(LTI), {"error M-FILE-MISSING"}, id="cc11-lti-descriptor-missing"),
    pytest.param(CC11, edit(MANIFEST, LTI_RESOURCE, '<resource identifier="r_lti" type="imsbasiclti_xmlv1p0"/>'),
                 {"error CC-DESCRIPTOR", "warning M-FILE-UNREFERENCED"}, id="cc11-lti-resource-without-file"),
    pytest.param(CC11, lambda files: {**files, LTI: files["r_link/weblink.xml"]},
                 {"error X-SCHEMA", "error CC-DESCRIPTOR"}, id="cc11-lti-descriptor-is-a-weblink"),
    pytest.param(CC11, edit("r_link/weblink.xml", "<url href=", "<link href="), {"error X-SCHEMA"},
                 id="cc11-weblink-schema-invalid"),
    pytest.param(CC13, edit(LTI, BLTI_VENDOR, ""), {"warning X-SCHEMA-SKIPPED", "error CC-LTI-VENDOR"},
                 id="cc13-lti-without-vendor"),
]


@pytest.mark.parametrize(("base", "defect", "expected"), DEFECTS)
def test_one_defect_fires_exactly_its_rules(base: str, defect: Defect, expected: set[str]) -> None:
    assert outcome(check_package("good.zip", zipped(good(base)))) <= {"warning X-SCHEMA-SKIPPED"}
    findings = check_package("broken.zip", zipped(defect(good(base))))
    assert outcome(findings) == expected, "\n".join(map(str, findings))
