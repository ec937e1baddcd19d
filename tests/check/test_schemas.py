"""The XSDs the checker ships are the official files, byte for byte, and each compiles once per process."""

from __future__ import annotations

from pathlib import Path

import pytest

from exporter.check import schemas
from tests.conftest import SCHEMAS


def files(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in folder.rglob("*") if p.is_file()}


def test_the_bundled_schemas_are_the_shared_official_files() -> None:
    assert files(schemas.SCHEMAS) == files(SCHEMAS)


@pytest.mark.parametrize("name", schemas.IMPORTS)
def test_each_schema_compiles_once(name: str) -> None:
    assert schemas.schema(name) is schemas.schema(name)
