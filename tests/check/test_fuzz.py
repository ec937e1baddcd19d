"""Whatever bytes arrive, the checker answers with findings and never raises."""

from __future__ import annotations

import functools

from hypothesis import given, settings
from hypothesis import strategies as st

from exporter.check import check_package
from tests.check.packages import FOREIGN, zipped


@functools.cache
def good() -> bytes:
    return zipped(FOREIGN["cc11"])


@settings(max_examples=150, deadline=None)
@given(st.lists(st.tuples(st.integers(min_value=0), st.integers(min_value=0, max_value=255)), min_size=1,
                max_size=8))
def test_a_damaged_package_gives_findings_not_exceptions(changes: list[tuple[int, int]]) -> None:
    data = bytearray(good())
    for position, value in changes:
        data[position % len(data)] = value
    findings = check_package("fuzzed.zip", bytes(data))
    assert all(f.severity in ("error", "warning") and f.rule for f in findings)


@settings(max_examples=50, deadline=None)
@given(st.binary(max_size=2048))
def test_any_bytes_give_findings_not_exceptions(data: bytes) -> None:
    assert check_package("random.zip", data)


@settings(max_examples=100, deadline=None)
@given(st.sampled_from(sorted(FOREIGN)), st.integers(min_value=0), st.binary(min_size=1, max_size=24))
def test_a_damaged_manifest_gives_findings_not_exceptions(name: str, position: int, junk: bytes) -> None:
    files = FOREIGN[name]
    manifest = "cmi5.xml" if "cmi5.xml" in files else "imsmanifest.xml"
    text = files[manifest].encode()
    at = position % len(text)
    findings = check_package("fuzzed.zip", zipped({**files, manifest: text[:at] + junk + text[at + len(junk):]}))
    assert all(str(finding).startswith("fuzzed.zip: ") for finding in findings)
