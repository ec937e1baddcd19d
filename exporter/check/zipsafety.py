"""Reading a zip from memory without trusting it: nothing is ever extracted to disk.

Sizes come from the central directory and are checked before a single byte is inflated; entries are then
read with a cap at their declared size, so a header that lies about its size cannot inflate past the limits.
"""

from __future__ import annotations

import io
import re
import zipfile
import zlib
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass

from exporter.check.findings import Report, Where

MAX_ENTRIES = 10_000
MAX_TOTAL_SIZE = 500 * 1024 * 1024  # uncompressed bytes, all entries together
MAX_RATIO = 100  # uncompressed : compressed, per entry and for the whole zip …
RATIO_FLOOR = 1024 * 1024  # … counted only above 1 MB, where a bomb starts to matter
CHUNK = 1024 * 1024

SYMLINK = 0o120000
FILE_TYPE_MASK = 0o170000
UTF8_FLAG = 0x800
ENCRYPTED_FLAG = 0x1
METHODS = {zipfile.ZIP_STORED: "stored", zipfile.ZIP_DEFLATED: "deflated"}
DRIVE = re.compile(r"^[A-Za-z]:")
# What zipfile raises on a damaged zip or entry (NotImplementedError: versions and flags it does not support).
UNREADABLE = (zipfile.BadZipFile, zlib.error, EOFError, OSError, ValueError, NotImplementedError)


@dataclass(frozen=True)
class Archive:
    """A zip's file entries (directories left out). `names` holds every file; `read` returns only intact ones."""

    zip: zipfile.ZipFile
    entries: dict[str, zipfile.ZipInfo]
    names: frozenset[str]

    def read(self, name: str) -> bytes | None:
        """The entry's bytes, or None when it is absent, damaged, encrypted or in an unknown compression."""
        info = self.entries.get(name)
        return None if info is None else b"".join(_chunks(self.zip, info))


def open_archive(data: bytes, report: Report) -> Archive | None:
    """The zip, or None when it cannot be read safely (not a zip, over the limits, a bomb)."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except UNREADABLE as error:
        report.error("Z-CORRUPT", Where(), f"not a readable zip file ({error}); LMSs refuse it (Moodle: badarchive)")
        return None
    infos = archive.infolist()
    if not _within_limits(infos, len(data), report):
        return None
    files = [info for info in infos if not info.filename.endswith("/")]  # ZipInfo.is_dir fails on empty names
    for info in files:
        _check_name(info, report)
    for name, count in Counter(info.filename for info in infos).items():
        if count > 1:
            report.error("Z-DUP", Where(path=name), f"the zip holds {count} entries with this name; which one an "
                                                    "LMS unpacks is unpredictable")
    readable = [info for info in files if _readable(info, report)]
    intact = {info.filename: info for info in readable if _intact(archive, info, report)}
    return Archive(archive, intact, frozenset(info.filename for info in files))


def _within_limits(infos: list[zipfile.ZipInfo], zip_size: int, report: Report) -> bool:
    """Entry count, total size and compression ratios, all from the central directory, before inflating."""
    total = sum(info.file_size for info in infos)
    if len(infos) > MAX_ENTRIES:
        report.error("Z-LIMIT", Where(), f"{len(infos)} entries, over the limit of {MAX_ENTRIES}")
        return False
    if total > MAX_TOTAL_SIZE:
        report.error("Z-LIMIT", Where(), f"{total // 2**20} MB uncompressed, over the limit of "
                                          f"{MAX_TOTAL_SIZE // 2**20} MB")
        return False
    bombs = [info for info in infos if _suspicious(info.file_size, info.compress_size)]
    for info in bombs:
        report.error("Z-BOMB", Where(path=info.filename),
                     f"{info.compress_size} bytes inflate to {info.file_size} (over {MAX_RATIO}:1): refused as a "
                     "zip bomb, nothing was inflated")
    if not bombs and _suspicious(total, zip_size):
        report.error("Z-BOMB", Where(), f"a {zip_size}-byte zip inflates to {total} bytes (over {MAX_RATIO}:1): "
                                        "refused as a zip bomb, nothing was inflated")
        return False
    return not bombs


def _suspicious(size: int, compressed: int) -> bool:
    return size > RATIO_FLOOR and size > MAX_RATIO * max(compressed, 1)


def _check_name(info: zipfile.ZipInfo, report: Report) -> None:
    """Names that would write outside the folder an LMS unpacks into, or that read differently elsewhere."""
    name = info.filename
    where = Where(path=name)
    if not name or "\0" in info.orig_filename:
        report.error("Z-PATH", Where(path=repr(info.orig_filename)), "empty name, or a NUL byte in the name: tools "
                                                                     "read different names, or none")
    if name.startswith("/") or DRIVE.match(name):
        report.error("Z-PATH", where, "absolute path: unpacking would write outside the package folder")
    if ".." in name.replace("\\", "/").split("/"):
        report.error("Z-PATH", where, "'..' in the path: unpacking would write outside the package folder")
    if "\\" in name:
        report.error("Z-PATH", where, "backslash in the name: zip paths use '/', other systems read a different name")
    if (info.external_attr >> 16) & FILE_TYPE_MASK == SYMLINK:
        report.error("Z-SYMLINK", where, "symbolic link: unpacking it could point anywhere on the LMS's disk")
    if not info.flag_bits & UTF8_FLAG and not name.isascii():
        report.error("Z-NAME-ENCODING", where, "non-ASCII name without the zip's UTF-8 flag: LMSs decode it "
                                               "differently (re-zip with a tool that writes UTF-8 names)")


def _readable(info: zipfile.ZipInfo, report: Report) -> bool:
    where = Where(path=info.filename)
    if info.flag_bits & ENCRYPTED_FLAG:
        report.error("Z-ENCRYPTED", where, "encrypted entry: an LMS cannot unpack it")
        return False
    if info.compress_type not in METHODS:
        report.error("Z-METHOD", where, f"compression method {info.compress_type}: not every LMS unpacks it; "
                                        "use deflate")
        return False
    return True


def _intact(archive: zipfile.ZipFile, info: zipfile.ZipInfo, report: Report) -> bool:
    """Inflate the entry in chunks and compare its CRC, keeping nothing."""
    try:
        for _ in _chunks(archive, info):
            pass
    except UNREADABLE as error:
        report.error("Z-CORRUPT", Where(path=info.filename), f"damaged entry ({error}); LMSs fail to unpack it")
        return False
    return True


def _chunks(archive: zipfile.ZipFile, info: zipfile.ZipInfo) -> Iterator[bytes]:
    """The entry's bytes, never more than its declared size: one byte more is an error, not more memory."""
    left = info.file_size
    with archive.open(info) as stream:
        while chunk := stream.read(min(CHUNK, left + 1)):
            left -= len(chunk)
            if left < 0:
                raise zipfile.BadZipFile("the entry inflates past the size its header declares")
            yield chunk
