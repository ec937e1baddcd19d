"""The XSDs the checker ships are the official files, byte for byte, and each compiles once per process.

SHA256SUMS beside them was made from the project's shared schema set (whose hashes standards.md §5.2
also lists in part); where that set is beside the checkout, the files are compared with it too."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from exporter.check import schemas
from tests.conftest import ROOT

SHARED = ROOT.parent / "shared" / "schemas"


def files(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in folder.rglob("*")
            if p.is_file() and p.name != "SHA256SUMS"}


def test_the_bundled_schemas_are_the_official_files() -> None:
    sums = (schemas.SCHEMAS / "SHA256SUMS").read_text().splitlines()
    recorded = {name: digest for digest, name in (line.split("  ", 1) for line in sums)}
    bundled = files(schemas.SCHEMAS)
    assert {name: hashlib.sha256(data).hexdigest() for name, data in bundled.items()} == recorded
    assert recorded["scorm2004/imscp_v1p1.xsd"].startswith("37d9a70b")  # standards.md §5.2
    if SHARED.is_dir():
        assert bundled == files(SHARED)


@pytest.mark.parametrize("name", schemas.IMPORTS)
def test_each_schema_compiles_once(name: str) -> None:
    assert schemas.schema(name) is schemas.schema(name)
