"""`stopsexting serve` as `make serve` runs it: gunicorn's threaded workers on the embedded SQLite file in
`instance/` of the folder it starts in, behind the TLS proxy the README asks for.

The proxy terminates https and talks http to 127.0.0.1; gunicorn trusts X-Forwarded-Proto from there, so the
tool still sees https and sets its state cookie Secure, SameSite=None and Partitioned. Without that, every
launch inside Moodle's iframe would lose its cookie (lti.md §5 C1)."""

from __future__ import annotations

import html
import http.client
import os
import re
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest

ROOT = Path(__file__).resolve().parents[2]
PUBLIC = "lti.school.example"
MOODLE = "https://moodle.school.example"
AUTH_URL = re.compile(r'data-auth-url="([^"]*)"')
STARTUP_SECONDS = 60


def stopsexting(*args: str) -> list[str]:
    return [sys.executable, "-m", "exporter.cli", *args]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def get(port: int, path: str, headers: dict[str, str] | None = None) -> tuple[http.client.HTTPResponse, str]:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    connection.request("GET", path, headers=headers or {})
    response = connection.getresponse()
    body = response.read().decode()
    connection.close()
    return response, body


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[int, Path]]:
    """The tool started in an empty folder after an administrator registered Moodle there."""
    folder = tmp_path_factory.mktemp("school")
    subprocess.run(stopsexting(
        "lti", "add-platform", "--issuer", MOODLE, "--client-id", "abc123",
        "--auth-login-url", f"{MOODLE}/mod/lti/auth.php", "--auth-token-url", f"{MOODLE}/mod/lti/token.php",
        "--key-set-url", f"{MOODLE}/mod/lti/certs.php", "--deployment-id", "3"), cwd=folder, check=True,
        capture_output=True, env=_env())
    port = free_port()
    with (folder / "access.log").open("wb") as access_log:
        server = subprocess.Popen(stopsexting("serve", "--port", str(port), "--workers", "2", "--threads", "2",
                                              "--access-log", "--lessons", str(ROOT / "lessons")),
                                  cwd=folder, stdout=access_log, stderr=subprocess.PIPE, env=_env())
    try:
        _wait_until_up(server, port)
        yield port, folder
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=30)


def _env() -> dict[str, str]:
    """The environment without DATABASE_URL or REDIS_URL, so the embedded default is what runs."""
    return {name: value for name, value in os.environ.items() if name not in ("DATABASE_URL", "REDIS_URL")}


def _wait_until_up(server: subprocess.Popen[bytes], port: int) -> None:
    deadline = time.monotonic() + STARTUP_SECONDS
    while time.monotonic() < deadline:
        if server.poll() is not None:
            assert server.stderr is not None
            pytest.fail(f"stopsexting serve exited with {server.returncode}: {server.stderr.read().decode()}")
        try:
            if get(port, "/lti/jwks")[0].status == 200:
                return
        except OSError:
            time.sleep(0.2)
    pytest.fail(f"stopsexting serve did not answer within {STARTUP_SECONDS} s")


def login(port: int, headers: dict[str, str]) -> tuple[http.client.HTTPResponse, str]:
    query = urlencode({"iss": MOODLE, "login_hint": "42", "target_link_uri": f"https://{PUBLIC}/modules/m4_ne_vedus",
                       "client_id": "abc123", "lti_deployment_id": "3", "lti_message_hint": "{}"})
    return get(port, f"/lti/login?{query}", {"Host": PUBLIC, **headers})


def test_make_serve_keeps_its_data_in_the_instance_folder(served: tuple[int, Path]) -> None:
    port, folder = served
    keys, body = get(port, "/lti/jwks")
    assert keys.status == 200 and keys.headers["Content-Type"] == "application/json" and '"keys"' in body
    assert (folder / "instance" / "stopsexting-lti.sqlite3").is_file()


def test_access_log_prints_a_line_per_request_when_asked(served: tuple[int, Path]) -> None:
    """Off by default (gunicorn's own default; the proxy logs requests): `--access-log` turns it on."""
    port, folder = served
    get(port, "/lti/jwks?logged=1")
    deadline = time.monotonic() + 10
    while "GET /lti/jwks?logged=1 " not in (folder / "access.log").read_text() and time.monotonic() < deadline:
        time.sleep(0.1)
    assert "GET /lti/jwks?logged=1 HTTP/1.1\" 200" in (folder / "access.log").read_text()


def test_behind_a_tls_proxy_the_state_cookie_is_partitioned_and_the_launch_url_https(
        served: tuple[int, Path]) -> None:
    response, page = login(served[0], {"X-Forwarded-Proto": "https"})
    assert response.status == 200, page
    cookie = next(value for name, value in response.getheaders()
                  if name.lower() == "set-cookie" and value.startswith("lti1p3-state-"))
    attributes = {part.strip().split("=")[0].lower() for part in cookie.split(";")[1:]}
    assert {"secure", "partitioned", "httponly"} <= attributes and "samesite=none" in cookie.lower()
    found = AUTH_URL.search(page)
    assert found, page
    auth = parse_qs(urlsplit(html.unescape(found.group(1))).query)
    assert auth["redirect_uri"] == [f"https://{PUBLIC}/lti/launch"]


def test_without_the_proxy_header_the_cookie_is_not_marked_secure(served: tuple[int, Path]) -> None:
    """Plain http (local testing): a Secure cookie would be dropped, so it is not asked for."""
    response, page = login(served[0], {})
    assert response.status == 200, page
    cookie = response.getheader("Set-Cookie") or ""
    assert cookie.startswith("lti1p3-state-") and "secure" not in cookie.lower()
