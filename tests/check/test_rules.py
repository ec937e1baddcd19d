"""Every rule id the checker can report is documented in exporter/check/README.md, and nothing else is."""

from __future__ import annotations

import re
from pathlib import Path

import exporter.check

CHECK = Path(exporter.check.__file__).parent
RULE_IN_CODE = re.compile(r'"([A-Z]{1,2}-[A-Z0-9-]+)"')
RULE_IN_TABLE = re.compile(r"^\| `([A-Z]{1,2}-[A-Z0-9-]+)` \|", re.MULTILINE)


def test_the_readme_documents_exactly_the_rules_in_the_code() -> None:
    in_code = {rule for module in CHECK.glob("*.py") for rule in RULE_IN_CODE.findall(module.read_text())}
    documented = set(RULE_IN_TABLE.findall((CHECK / "README.md").read_text(encoding="utf-8")))
    assert len(in_code) > 30
    assert in_code == documented
