"""`stopsexting check`: one line per finding, a summary, and exit codes 0 (at most warnings), 1, 2."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from exporter.cli import main
from tests.check.packages import FOREIGN, SCORM12, zipped


def run(*arguments: str) -> tuple[int, list[str]]:
    result = CliRunner().invoke(main, ["check", *arguments])
    return result.exit_code, result.output.splitlines()


def test_a_good_package_with_warnings_exits_0(tmp_path: Path) -> None:
    package = tmp_path / "links.cc13.imscc"
    package.write_bytes(zipped(FOREIGN["cc13"]))
    code, lines = run(str(package))
    assert code == 0
    assert lines[-1] == "1 package checked: 0 errors, 1 warning."


def test_a_finding_is_one_line_naming_package_file_line_rule_and_element(tmp_path: Path,
                                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    manifest = SCORM12["imsmanifest.xml"].replace('identifierref="SCO1"', 'identifierref="RES_x"')
    (tmp_path / "m1.scorm12.zip").write_bytes(zipped({**SCORM12, "imsmanifest.xml": manifest}))
    (tmp_path / "ok.zip").write_bytes(zipped(FOREIGN["scorm2004"]))
    monkeypatch.chdir(tmp_path)
    code, lines = run("m1.scorm12.zip", "ok.zip")
    assert code == 1
    assert lines == [
        f"m1.scorm12.zip: imsmanifest.xml:{line_of(manifest, '<imsmd:lom>')}: warning X-SCHEMA-PARTIAL IMS MD 1.2.1 "
        "metadata was not schema-checked: libxml2 cannot compile its schema",
        f"m1.scorm12.zip: imsmanifest.xml:{line_of(manifest, 'RES_x')}: error M-IDREF "
        "organizations/organization/item[2]: identifierref 'RES_x' names no resource",
        "2 packages checked: 1 error, 1 warning.",
    ]


def line_of(text: str, part: str) -> int:
    return text[: text.index(part)].count("\n") + 1


def test_a_path_that_does_not_exist_exits_2(tmp_path: Path) -> None:
    code, lines = run(str(tmp_path / "nowhere.zip"))
    assert code == 2
    assert "does not exist" in lines[-1]
