"""The XML namespaces of the formats the checker knows, and the literal prefixes Moodle expects for them.

Moodle reads SCORM manifests without namespace processing (standards.md §1.2, §2.1), so for SCORM the
prefix is part of the contract: `adlcp:`, `imsss:`, `adlseq:`, `adlnav:`, and none for IMS CP.
"""

from __future__ import annotations

XML = "http://www.w3.org/XML/1998/namespace"

CP12 = "http://www.imsproject.org/xsd/imscp_rootv1p1p2"
ADLCP12 = "http://www.adlnet.org/xsd/adlcp_rootv1p2"
IMSMD12 = "http://www.imsglobal.org/xsd/imsmd_rootv1p2p1"

CP2004 = "http://www.imsglobal.org/xsd/imscp_v1p1"
ADLCP2004 = "http://www.adlnet.org/xsd/adlcp_v1p3"
ADLSEQ = "http://www.adlnet.org/xsd/adlseq_v1p3"
ADLNAV = "http://www.adlnet.org/xsd/adlnav_v1p3"
IMSSS = "http://www.imsglobal.org/xsd/imsss"

CMI5 = "https://w3id.org/xapi/profiles/cmi5/v1/CourseStructure.xsd"

CC11 = "http://www.imsglobal.org/xsd/imsccv1p1/imscp_v1p1"
CC12 = "http://www.imsglobal.org/xsd/imsccv1p2/imscp_v1p1"
CC13 = "http://www.imsglobal.org/xsd/imsccv1p3/imscp_v1p1"
BLTI = "http://www.imsglobal.org/xsd/imsbasiclti_v1p0"
LTICC11 = "http://www.imsglobal.org/xsd/imslticc_v1p0"
LTICP = "http://www.imsglobal.org/xsd/imslticp_v1p0"
LTICM = "http://www.imsglobal.org/xsd/imslticm_v1p0"
WEBLINK11 = "http://www.imsglobal.org/xsd/imsccv1p1/imswl_v1p1"
DISCUSSION11 = "http://www.imsglobal.org/xsd/imsccv1p1/imsdt_v1p1"
QTI12 = "http://www.imsglobal.org/xsd/ims_qtiasiv1p2"

# How people write these namespaces; schema messages use the prefixes instead of `{uri}` to stay readable.
PREFIXES = {
    CP12: "", CP2004: "", ADLCP12: "adlcp", ADLCP2004: "adlcp", ADLSEQ: "adlseq", ADLNAV: "adlnav",
    IMSSS: "imsss", IMSMD12: "imsmd", CMI5: "", CC11: "", CC12: "", CC13: "", BLTI: "blti", XML: "xml",
    LTICC11: "", LTICP: "lticp", LTICM: "lticm", WEBLINK11: "", DISCUSSION11: "", QTI12: "",
}
