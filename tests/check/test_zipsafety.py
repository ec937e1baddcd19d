"""Zips the checker refuses or flags, read from memory: corrupt, unsafe names, over the limits, bombs."""

from __future__ import annotations

import zipfile
from typing import Any

import pytest

from exporter.check import check_package, zipsafety
from tests.check.packages import outcome, zipped
from tests.check.zips import cp437_named, entry_zip, named_twice, with_declared_size, zeros_zip

STORED = zipfile.ZIP_STORED


def zip_rules(data: bytes) -> set[str]:
    """The zip-level rules that fired (these zips have no manifest, which is not the point here)."""
    return {rule for rule in outcome(check_package("test.zip", data)) if " Z-" in rule}


@pytest.mark.parametrize(("data", "expected"), [
    pytest.param(b"this is not a zip", {"error Z-CORRUPT"}, id="not-a-zip"),
    pytest.param(zipped({"index.html": "<p>hello</p>"})[:-30], {"error Z-CORRUPT"}, id="truncated"),
    pytest.param(entry_zip("a.txt", b"hello world", compress_type=STORED).replace(b"hello world", b"hellO world"),
                 {"error Z-CORRUPT"}, id="damaged-entry"),
    pytest.param(with_declared_size(entry_zip("a.txt", b"0123456789", compress_type=STORED), 5), {"error Z-CORRUPT"},
                 id="header-lies-about-size"),
    pytest.param(entry_zip("images\\a.png"), {"error Z-PATH"}, id="backslash"),
    pytest.param(entry_zip("C:/evil.txt"), {"error Z-PATH"}, id="drive-letter"),
    pytest.param(named_twice("a.html"), {"error Z-DUP"}, id="duplicate-name"),
    pytest.param(entry_zip("a_b.txt").replace(b"a_b.txt", b"a\0b.txt"), {"error Z-PATH"}, id="nul-in-name"),
    pytest.param(cp437_named(), {"error Z-NAME-ENCODING"}, id="name-not-utf-8"),
    pytest.param(entry_zip("лекція.html"), set(), id="name-in-utf-8"),
    pytest.param(entry_zip("a.txt", after_write={"flag_bits": 0x1}), {"error Z-ENCRYPTED"}, id="encrypted"),
    pytest.param(entry_zip("a.txt", compress_type=zipfile.ZIP_BZIP2), {"error Z-METHOD"}, id="bzip2"),
])
def test_zip_problems(data: bytes, expected: set[str]) -> None:
    assert zip_rules(data) == expected


def test_too_many_entries(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(zipsafety, "MAX_ENTRIES", 3)
    assert zip_rules(zipped({f"{i}.txt": b"x" for i in range(4)})) == {"error Z-LIMIT"}


def test_too_large_uncompressed(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(zipsafety, "MAX_TOTAL_SIZE", 1000)
    assert zip_rules(zeros_zip([2000])) == {"error Z-LIMIT"}


@pytest.mark.parametrize("sizes", [pytest.param([200_000], id="one-entry"),
                                   pytest.param([99_000] * 20, id="many-small-entries")])
def test_a_bomb_is_refused_without_inflating_anything(sizes: list[int], monkeypatch: pytest.MonkeyPatch) -> None:
    """Scaled down: bombs count from 100 kB here, so entries of 99 kB are each harmless and together a bomb."""
    data = zeros_zip(sizes)

    def never(*args: Any, **kwargs: Any) -> None:
        raise AssertionError("an entry was opened")

    monkeypatch.setattr(zipsafety, "RATIO_FLOOR", 100_000)
    monkeypatch.setattr(zipfile.ZipFile, "open", never)
    assert zip_rules(data) == {"error Z-BOMB"}
