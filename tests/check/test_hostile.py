"""Hostile zips through the real command: refused with the right rule, and nothing written anywhere.

`stopsexting check` runs in a separate process from an empty folder inside the test's temporary folder,
where a traversal or an absolute path would land if anything were extracted.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.check.zips import entry_zip, zeros_zip
from tests.conftest import ROOT

SYMLINK = 0o120777 << 16
MB = 1024 * 1024

HOSTILE: dict[str, tuple[Callable[[Path], bytes], str]] = {
    "path-traversal": (lambda tmp: entry_zip("../evil.txt", b"written outside"), "Z-PATH"),
    "absolute-path": (lambda tmp: entry_zip(str(tmp / "absolute-evil.txt"), b"written anywhere"), "Z-PATH"),
    "symlink": (lambda tmp: entry_zip("passwd", b"../../../../etc/passwd", external_attr=SYMLINK), "Z-SYMLINK"),
    "zip-bomb": (lambda tmp: zeros_zip([200 * MB]), "Z-BOMB"),  # 200 MB of zeros in under 1 MB
}


def tree(folder: Path) -> set[Path]:
    return set(folder.rglob("*"))


@pytest.mark.parametrize("name", HOSTILE)
def test_a_hostile_zip_is_refused_and_nothing_is_written(name: str, tmp_path: Path) -> None:
    make, rule = HOSTILE[name]
    package = tmp_path / f"{name}.zip"
    package.write_bytes(make(tmp_path))
    cwd = tmp_path / "cwd"
    cwd.mkdir()
    before, siblings = tree(tmp_path), set(tmp_path.parent.iterdir())
    result = subprocess.run([sys.executable, "-m", "exporter.cli", "check", str(package)], cwd=cwd,
                            capture_output=True, text=True, env={**os.environ, "PYTHONPATH": str(ROOT)}, check=False)
    assert result.returncode == 1, result.stderr
    assert f" error {rule} " in result.stdout
    assert tree(tmp_path) == before
    assert set(tmp_path.parent.iterdir()) == siblings
