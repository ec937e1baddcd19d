"""Deterministic zips: the same files always give the same bytes, whenever and wherever they are built."""

from __future__ import annotations

import io
import zipfile
from collections.abc import Mapping

# 1980-01-01, the earliest time a zip entry can hold; a fixed stamp keeps builds byte-identical.
FIXED_TIME = (1980, 1, 1, 0, 0, 0)


def deterministic_zip(files: Mapping[str, bytes]) -> bytes:
    """Zip `files` with sorted names, a fixed timestamp and fixed permissions."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name in sorted(files):
            info = zipfile.ZipInfo(name, date_time=FIXED_TIME)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o100644 << 16
            info.create_system = 3
            archive.writestr(info, files[name], compresslevel=6)
    return buffer.getvalue()
