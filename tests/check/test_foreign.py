"""Well-formed packages in other authors' styles pass: the checker knows the standards, not just our output."""

from __future__ import annotations

import pytest

from exporter.check import check_package
from tests.check.packages import FOREIGN, outcome, zipped

# What is left to say about a correct package: what the checker could not verify.
EXPECTED = {
    "scorm12": {"warning X-SCHEMA-PARTIAL"},  # inline IMS MD metadata: libxml2 cannot compile its schema
    "scorm2004": set(),
    "cmi5": set(),
    "cc11": set(),
    "cc13": {"warning X-SCHEMA-SKIPPED"},  # no CC 1.3 schema is bundled
}


@pytest.mark.parametrize("name", FOREIGN)
def test_a_correct_package_from_another_author_passes(name: str) -> None:
    findings = check_package(f"{name}.zip", zipped(FOREIGN[name]))
    assert outcome(findings) == EXPECTED[name], "\n".join(map(str, findings))
