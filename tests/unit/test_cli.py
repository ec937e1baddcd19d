"""The schema command and the author preview server."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import threading
import urllib.request
from collections.abc import Iterator
from http.server import ThreadingHTTPServer
from pathlib import Path

import jsonschema
import pytest
import yaml
from click.testing import CliRunner

from exporter import render
from exporter.cli import main
from exporter.loader import load_course
from exporter.preview import make_server
from tests.conftest import FIXTURE_COURSE


@pytest.mark.parametrize("which", ["module", "program"])
def test_schema_describes_the_lesson_files(which: str) -> None:
    result = CliRunner().invoke(main, ["schema", which])
    assert result.exit_code == 0
    schema = json.loads(result.output)
    jsonschema.Draft202012Validator.check_schema(schema)
    files = ["program.yaml"] if which == "program" else ["lesson.yaml", "quest.yaml"]
    for name in files:
        jsonschema.validate(yaml.safe_load((FIXTURE_COURSE / name).read_text(encoding="utf-8")), schema)
    if which == "module":
        image = schema["$defs"]["ImageBlock"]
        assert "alt" in image["required"] and image["properties"]["alt"]["description"]
        assert image["additionalProperties"] is False


def test_help_is_available_everywhere() -> None:
    for command in ([], ["build"], ["validate"], ["preview"], ["schema"]):
        result = CliRunner().invoke(main, [*command, "--help"])
        assert result.exit_code == 0 and "Usage:" in result.output


@pytest.fixture
def preview() -> Iterator[str]:
    server: ThreadingHTTPServer = make_server(load_course(FIXTURE_COURSE), "127.0.0.1", 0)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def fetch(url: str) -> tuple[int, str, bytes]:
    try:
        with urllib.request.urlopen(url) as response:
            return response.status, response.headers["Content-Type"], response.read()
    except urllib.error.HTTPError as error:
        return error.code, "", b""


def test_preview_serves_modules_and_teacher_pages(preview: str) -> None:
    status, kind, body = fetch(preview + "/")
    assert status == 200 and kind.startswith("text/html")
    assert "/lesson/index.html" in body.decode() and "/quest/teacher.html" in body.decode()
    status, _, page = fetch(preview + "/lesson/index.html")
    assert status == 200 and b'lang="uk"' in page and b"assets/standalone.js" in page
    status, _, notes = fetch(preview + "/lesson/teacher.html")
    assert status == 200 and "Вислухайте дитину спокійно." in notes.decode()
    assert "Вислухайте дитину спокійно." not in page.decode()
    status, kind, _ = fetch(preview + "/lesson/images/shield.svg")
    assert status == 200 and kind == "image/svg+xml"
    assert fetch(preview + "/lesson/../../etc/passwd")[0] == 404
    assert fetch(preview + "/nothing/index.html")[0] == 404


def test_missing_template_is_a_clear_refusal(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    templates = tmp_path / "templates"
    shutil.copytree(render.TEMPLATES, templates)
    (templates / "module.html.j2").unlink()
    monkeypatch.setattr(render, "TEMPLATES", templates)
    result = CliRunner().invoke(main, ["build", "--lessons", str(FIXTURE_COURSE), "--out", str(tmp_path / "dist")])
    assert result.exit_code == 2
    assert "E-TEMPLATES template error: 'module.html.j2' not found" in result.output
    assert "Traceback" not in result.output and not (tmp_path / "dist").exists()


def test_missing_templates_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(render, "TEMPLATES", tmp_path / "gone")
    result = CliRunner().invoke(main, ["build", "--lessons", str(FIXTURE_COURSE), "--out", str(tmp_path / "dist")])
    assert result.exit_code == 2
    assert "E-TEMPLATES templates folder not found" in result.output


def test_the_compiler_starts_without_the_lti_tool() -> None:
    """`build` and `check` must not pay for SQLAlchemy and Flask: the LTI commands load only when run."""
    probe = "import sys, exporter.cli; print([m for m in ('sqlalchemy', 'flask', 'pylti1p3') if m in sys.modules])"
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "[]"
    help_text = CliRunner().invoke(main, ["lti", "--help"]).output
    assert "add-platform" in help_text and "jwks" in help_text
