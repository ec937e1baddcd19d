"""Hand-crafted zips for the zip-safety tests: one entry with chosen attributes, bombs, patched headers."""

from __future__ import annotations

import io
import struct
import warnings
import zipfile
from typing import Any

CENTRAL_HEADER = b"PK\x01\x02"
CENTRAL_FILE_SIZE = 24  # offset of the uncompressed size in a central directory header


def entry_zip(name: str, data: bytes = b"x", *, after_write: dict[str, Any] | None = None, **attributes: Any) -> bytes:
    """A zip with one entry; `attributes` are set on its ZipInfo before writing, `after_write` before the central
    directory is written (how a zip claims what its local header does not, such as encryption)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        info = zipfile.ZipInfo(name)
        for key, value in attributes.items():
            setattr(info, key, value)
        archive.writestr(info, data)
        for key, value in (after_write or {}).items():
            setattr(info, key, value)
    return buffer.getvalue()


def zeros_zip(sizes: list[int]) -> bytes:
    """Entries of zeros, deflated quickly (level 1), streamed so no large buffer is ever built."""
    block = bytes(1024 * 1024)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as archive:
        for index, size in enumerate(sizes):
            with archive.open(f"zeros{index}.bin", "w", force_zip64=size > 2**31) as stream:
                for start in range(0, size, len(block)):
                    stream.write(block[: min(len(block), size - start)])
    return buffer.getvalue()


def with_declared_size(data: bytes, size: int) -> bytes:
    """The zip with its (first) entry's uncompressed size in the central directory replaced: a lying header."""
    at = data.index(CENTRAL_HEADER) + CENTRAL_FILE_SIZE
    return data[:at] + struct.pack("<I", size) + data[at + 4:]


def named_twice(name: str) -> bytes:
    buffer = io.BytesIO()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # zipfile warns about the duplicate it is asked to write
        with zipfile.ZipFile(buffer, "w") as archive:
            archive.writestr(name, b"first")
            archive.writestr(name, b"second")
    return buffer.getvalue()


def cp437_named() -> bytes:
    """An entry named `café.html` in the DOS code page, without the UTF-8 flag, as old Windows tools write."""
    return entry_zip("caf_.html").replace(b"caf_.html", "café.html".encode("cp437"))
