"""Packages for the checker's tests: ours as the build makes them, and small ones in other authors' styles.

The hand-made ones follow what other tools write (ADL's and Rustici's golf samples, Articulate, CATAPULT's
course examples, Canvas and Moodle cartridges): other identifiers, shared assets behind a dependency,
`xml:base`, embedded metadata, files in folders with spaces in their names.
"""

from __future__ import annotations

import io
import zipfile
from collections.abc import Iterable, Mapping

from exporter.build import build_packages, select_targets
from exporter.check import Finding
from exporter.loader import Course
from exporter.targets import BuildOptions, Package, registry
from exporter.targets.ziputil import deterministic_zip

Files = dict[str, bytes]
TOOL_URL = "https://lti.school.example"


def every_package(course: Course) -> list[Package]:
    """Every format the build knows, so formats added later are checked without touching these tests."""
    return build_packages(course, course.modules, select_targets(list(registry())), BuildOptions(tool_url=TOOL_URL))


def unzip(data: bytes) -> Files:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return {info.filename: archive.read(info) for info in archive.infolist()}


def zipped(files: Mapping[str, bytes | str]) -> bytes:
    return deterministic_zip({name: data.encode() if isinstance(data, str) else data for name, data in files.items()})


def outcome(findings: Iterable[Finding]) -> set[str]:
    """What a test compares: each rule that fired, with its severity."""
    return {f"{finding.severity} {finding.rule}" for finding in findings}


SCORM12_SCHEMAS = ("imscp_rootv1p1p2.xsd", "adlcp_rootv1p2.xsd", "imsmd_rootv1p2p1.xsd", "ims_xml.xsd")

# In the style of Rustici's golf samples and Articulate exports: inline IMS MD metadata, two SCOs sharing an
# asset resource, an `xml:base`, a launch href with a query, a file name with a space, the schemas at the root.
SCORM12 = {
    "imsmanifest.xml": """<?xml version="1.0" encoding="utf-8" standalone="no" ?>
<manifest identifier="MANIFEST-5A1E0C2D" version="1.3"
  xmlns="http://www.imsproject.org/xsd/imscp_rootv1p1p2"
  xmlns:adlcp="http://www.adlnet.org/xsd/adlcp_rootv1p2"
  xmlns:imsmd="http://www.imsglobal.org/xsd/imsmd_rootv1p2p1"
  xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"
  xsi:schemaLocation="http://www.imsproject.org/xsd/imscp_rootv1p1p2 imscp_rootv1p1p2.xsd
                      http://www.imsglobal.org/xsd/imsmd_rootv1p2p1 imsmd_rootv1p2p1.xsd
                      http://www.adlnet.org/xsd/adlcp_rootv1p2 adlcp_rootv1p2.xsd">
  <metadata>
    <schema>ADL SCORM</schema>
    <schemaversion>1.2</schemaversion>
    <imsmd:lom>
      <imsmd:general>
        <imsmd:title><imsmd:langstring xml:lang="en-US">Golf Explained</imsmd:langstring></imsmd:title>
      </imsmd:general>
    </imsmd:lom>
  </metadata>
  <organizations default="TOC1">
    <organization identifier="TOC1">
      <title>Golf Explained &amp; Etiquette</title>
      <item identifier="I_SCO0" identifierref="SCO0">
        <title>Playing the Game</title>
        <adlcp:datafromlms>mode=quiz</adlcp:datafromlms>
        <adlcp:masteryscore>75.5</adlcp:masteryscore>
      </item>
      <item identifier="I_SCO1" identifierref="SCO1" parameters="?page=2">
        <title>Etiquette</title>
      </item>
    </organization>
  </organizations>
  <resources>
    <resource identifier="SCO0" type="webcontent" adlcp:scormtype="sco"
              href="shared/launchpage.html?content=playing">
      <file href="shared/launchpage.html"/>
      <dependency identifierref="common_files"/>
    </resource>
    <resource identifier="SCO1" type="webcontent" adlcp:scormtype="sco" xml:base="etiquette/" href="course.html">
      <file href="course.html"/>
      <dependency identifierref="common_files"/>
    </resource>
    <resource identifier="common_files" type="webcontent" adlcp:scormtype="asset">
      <file href="shared/scormfunctions.js"/>
      <file href="shared/golf%20ball.png"/>
    </resource>
  </resources>
</manifest>
""",
    "shared/launchpage.html": "<!doctype html><title>Golf</title><script src='scormfunctions.js'></script>",
    "etiquette/course.html": "<!doctype html><title>Etiquette</title>",
    "shared/scormfunctions.js": "var API = null;",
    "shared/golf ball.png": "not really a png",
    **{name: "<!-- the official schema file ships here -->" for name in SCORM12_SCHEMAS},
}

# In the style of ADL's 4th Edition test packages: LOM metadata, forced-sequential flow, hidden LMS navigation.
SCORM2004 = {
    "imsmanifest.xml": """<?xml version="1.0" encoding="UTF-8"?>
<manifest identifier="com.scorm.golfsamples.sequencing.forcedsequential.20044th" version="1"
  xmlns="http://www.imsglobal.org/xsd/imscp_v1p1"
  xmlns:adlcp="http://www.adlnet.org/xsd/adlcp_v1p3"
  xmlns:adlseq="http://www.adlnet.org/xsd/adlseq_v1p3"
  xmlns:adlnav="http://www.adlnet.org/xsd/adlnav_v1p3"
  xmlns:imsss="http://www.imsglobal.org/xsd/imsss"
  xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"
  xsi:schemaLocation="http://www.imsglobal.org/xsd/imscp_v1p1 imscp_v1p1.xsd
                      http://www.adlnet.org/xsd/adlcp_v1p3 adlcp_v1p3.xsd
                      http://www.adlnet.org/xsd/adlseq_v1p3 adlseq_v1p3.xsd
                      http://www.adlnet.org/xsd/adlnav_v1p3 adlnav_v1p3.xsd
                      http://www.imsglobal.org/xsd/imsss imsss_v1p0.xsd">
  <metadata>
    <schema>ADL SCORM</schema>
    <schemaversion>2004 4th Edition</schemaversion>
    <lom xmlns="http://ltsc.ieee.org/xsd/LOM">
      <general><title><string language="en">Golf Explained</string></title></general>
    </lom>
  </metadata>
  <organizations default="golf_sample_default_org">
    <organization identifier="golf_sample_default_org" adlseq:objectivesGlobalToSystem="false">
      <title>Golf Explained - Forced Sequential</title>
      <item identifier="playing_item" identifierref="playing_resource">
        <title>Playing the Game</title>
        <imsss:sequencing>
          <imsss:objectives>
            <imsss:primaryObjective objectiveID="playing_passed" satisfiedByMeasure="true">
              <imsss:minNormalizedMeasure>0.6</imsss:minNormalizedMeasure>
            </imsss:primaryObjective>
          </imsss:objectives>
          <imsss:deliveryControls completionSetByContent="true" objectiveSetByContent="true"/>
        </imsss:sequencing>
        <adlcp:completionThreshold completedByMeasure="true" minProgressMeasure="0.75"/>
        <adlnav:presentation>
          <adlnav:navigationInterface>
            <adlnav:hideLMSUI>continue</adlnav:hideLMSUI>
            <adlnav:hideLMSUI>previous</adlnav:hideLMSUI>
          </adlnav:navigationInterface>
        </adlnav:presentation>
      </item>
      <item identifier="etiquette_item" identifierref="etiquette_resource">
        <title>Etiquette</title>
      </item>
      <imsss:sequencing>
        <imsss:controlMode choice="false" flow="true"/>
      </imsss:sequencing>
    </organization>
  </organizations>
  <resources>
    <resource identifier="playing_resource" type="webcontent" adlcp:scormType="sco" href="Playing/Playing.html">
      <file href="Playing/Playing.html"/>
      <dependency identifierref="common_files"/>
    </resource>
    <resource identifier="etiquette_resource" type="webcontent" adlcp:scormType="sco" href="Etiquette/Course.html">
      <file href="Etiquette/Course.html"/>
      <dependency identifierref="common_files"/>
    </resource>
    <resource identifier="common_files" type="webcontent" adlcp:scormType="asset">
      <file href="shared/scormfunctions.js"/>
      <file href="shared/background.jpg"/>
    </resource>
  </resources>
</manifest>
""",
    "Playing/Playing.html": "<!doctype html><title>Playing</title>",
    "Etiquette/Course.html": "<!doctype html><title>Etiquette</title>",
    "shared/scormfunctions.js": "var API_1484_11 = null;",
    "shared/background.jpg": "not really a jpeg",
}

# In the style of CATAPULT's course examples: a block with an objective, an AU inside the zip, an external AU.
CMI5 = {
    "cmi5.xml": """<?xml version="1.0" encoding="utf-8"?>
<courseStructure xmlns="https://w3id.org/xapi/profiles/cmi5/v1/CourseStructure.xsd">
  <course id="https://w3id.org/xapi/cmi5/catapult/lts/course/001">
    <title><langstring lang="en-US">Catapult test course</langstring></title>
    <description><langstring lang="en-US">One block, two AUs.</langstring></description>
  </course>
  <objectives>
    <objective id="https://example.org/objectives/safe-sharing">
      <title><langstring lang="en-US">Safe sharing</langstring></title>
      <description><langstring lang="en-US">Knows what not to share.</langstring></description>
    </objective>
  </objectives>
  <block id="https://example.org/blocks/1">
    <title><langstring lang="en-US">Block one</langstring></title>
    <description><langstring lang="en-US">The first block.</langstring></description>
    <objectives><objective idref="https://example.org/objectives/safe-sharing"/></objectives>
    <au id="https://example.org/aus/1" moveOn="CompletedAndPassed" masteryScore="0.8" launchMethod="AnyWindow">
      <title><langstring lang="en-US">Lesson</langstring></title>
      <description><langstring lang="en-US">A lesson packaged in the zip.</langstring></description>
      <url>au1/index.html?lang=en</url>
    </au>
  </block>
  <au id="https://example.org/aus/2" moveOn="Completed">
    <title><langstring lang="en-US">Survey</langstring></title>
    <description><langstring lang="en-US">Hosted elsewhere.</langstring></description>
    <url>https://au.example.org/survey/</url>
  </au>
</courseStructure>
""",
    "au1/index.html": "<!doctype html><title>Lesson</title>",
    "au1/app.js": "// cmi5 lists only launch urls, so this file is not referenced anywhere",
}

# In the style of Canvas and Moodle exports: LOM metadata, a rooted hierarchy, a web link and an LTI link.
CC11 = {
    "imsmanifest.xml": """<?xml version="1.0" encoding="UTF-8"?>
<manifest identifier="cctd0001" xmlns="http://www.imsglobal.org/xsd/imsccv1p1/imscp_v1p1"
  xmlns:lomimscc="http://ltsc.ieee.org/xsd/imsccv1p1/LOM/manifest"
  xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"
  xsi:schemaLocation="http://www.imsglobal.org/xsd/imsccv1p1/imscp_v1p1 http://www.imsglobal.org/profile/cc/ccv1p1/ccv1p1_imscp_v1p2_v1p0.xsd">
  <metadata>
    <schema>IMS Common Cartridge</schema>
    <schemaversion>1.1.0</schemaversion>
    <lomimscc:lom>
      <lomimscc:general>
        <lomimscc:title><lomimscc:string language="en-US">Links</lomimscc:string></lomimscc:title>
      </lomimscc:general>
    </lomimscc:lom>
  </metadata>
  <organizations>
    <organization identifier="org_1" structure="rooted-hierarchy">
      <item identifier="root">
        <item identifier="week1">
          <title>Week 1</title>
          <item identifier="i_link" identifierref="r_link"><title>A safety site</title></item>
          <item identifier="i_lti" identifierref="r_lti"><title>Quiz tool</title></item>
        </item>
      </item>
    </organization>
  </organizations>
  <resources>
    <resource identifier="r_link" type="imswl_xmlv1p1"><file href="r_link/weblink.xml"/></resource>
    <resource identifier="r_lti" type="imsbasiclti_xmlv1p0"><file href="r_lti/lti.xml"/></resource>
  </resources>
</manifest>
""",
    "r_link/weblink.xml": """<?xml version="1.0" encoding="UTF-8"?>
<webLink xmlns="http://www.imsglobal.org/xsd/imsccv1p1/imswl_v1p1">
  <title>Safety site</title>
  <url href="https://example.org/safety" target="_blank"/>
</webLink>
""",
    "r_lti/lti.xml": """<?xml version="1.0" encoding="UTF-8"?>
<cartridge_basiclti_link xmlns="http://www.imsglobal.org/xsd/imslticc_v1p0"
  xmlns:blti="http://www.imsglobal.org/xsd/imsbasiclti_v1p0"
  xmlns:lticm="http://www.imsglobal.org/xsd/imslticm_v1p0"
  xmlns:lticp="http://www.imsglobal.org/xsd/imslticp_v1p0">
  <blti:title>Quiz tool</blti:title>
  <blti:description>Practice quizzes.</blti:description>
  <blti:custom><lticm:property name="module">m1</lticm:property></blti:custom>
  <blti:launch_url>https://tool.example.org/launch</blti:launch_url>
  <blti:secure_launch_url>https://tool.example.org/launch</blti:secure_launch_url>
  <blti:vendor>
    <lticp:code>example</lticp:code>
    <lticp:name>Example Tools</lticp:name>
  </blti:vendor>
</cartridge_basiclti_link>
""",
}

CC13_RENAMES = (("imsccv1p1", "imsccv1p3"), ("imswl_v1p1", "imswl_v1p3"), ("imswl_xmlv1p1", "imswl_xmlv1p3"),
                ("imsbasiclti_xmlv1p0", "imsbasiclti_xmlv1p3"), ("imslticc_v1p0", "imslticc_v1p3"),
                ("1.1.0", "1.3.0"), ("ccv1p1", "ccv1p3"))


def cc13() -> dict[str, str]:
    """The CC 1.1 cartridge as 1.3: the same structure under 1.3's namespaces, types and version."""
    def renamed(text: str) -> str:
        for old, new in CC13_RENAMES:
            text = text.replace(old, new)
        return text
    return {name: renamed(text) for name, text in CC11.items()}


FOREIGN = {"scorm12": SCORM12, "scorm2004": SCORM2004, "cmi5": CMI5, "cc11": CC11, "cc13": cc13()}
