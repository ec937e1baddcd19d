"""The build across formats: every format of every module, byte-identical twice, checked before writing."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from exporter.cli import main
from exporter.targets import scorm12
from tests.conftest import FIXTURE_COURSE

TOOL = "https://lti.school.example"
EVERY_FILE = sorted(["lesson.scorm12.zip", "lesson.scorm2004.zip", "quest.scorm12.zip", "quest.scorm2004.zip",
                     "fixture.cc11.imscc", "fixture.cc13.imscc", "fixture.cmi5.zip",
                     "fixture.scorm12-program.zip", "fixture.scorm2004-program.zip"])


def build(out: Path, *args: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, ["build", "--lessons", str(FIXTURE_COURSE), "--out", str(out), *args])
    return result.exit_code, result.output


def test_every_format_builds_byte_identical_twice(tmp_path: Path) -> None:
    outputs = []
    for run in ("one", "two"):
        code, output = build(tmp_path / run, "--tool-url", TOOL)
        assert code == 0, output
        assert f"Built {len(EVERY_FILE)} packages" in output
        outputs.append({p.name: p.read_bytes() for p in sorted((tmp_path / run).iterdir())})
    assert sorted(outputs[0]) == EVERY_FILE
    assert outputs[0] == outputs[1]


def test_without_a_tool_url_the_cartridges_are_skipped_and_said_so(tmp_path: Path,
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("STOPSEXTING_TOOL_URL", raising=False)
    code, output = build(tmp_path)
    assert code == 0, output
    assert "Skipping cc: it links to your LTI tool, so it needs --tool-url." in output
    assert sorted(p.name for p in tmp_path.iterdir()) == [n for n in EVERY_FILE if not n.endswith(".imscc")]


def test_the_tool_url_can_come_from_the_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("STOPSEXTING_TOOL_URL", TOOL)
    code, output = build(tmp_path, "--format", "cc")
    assert code == 0, output
    assert sorted(p.name for p in tmp_path.iterdir()) == [n for n in EVERY_FILE if n.endswith(".imscc")]


def test_a_package_the_checker_rejects_is_never_written(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The build checks each package like anyone else's: a manifest pointing at no resource stops it."""
    original = scorm12.manifest

    def dangling(contents: scorm12.Contents) -> bytes:
        return original(contents).replace(b'identifierref="RES_', b'identifierref="GONE_')

    monkeypatch.setattr(scorm12, "manifest", dangling)
    code, output = build(tmp_path, "--tool-url", TOOL)
    assert code == 2, output
    assert "lesson.scorm12.zip:imsmanifest.xml:" in output and "M-IDREF" in output
    assert "nothing was written" in output
    assert list(tmp_path.iterdir()) == []
