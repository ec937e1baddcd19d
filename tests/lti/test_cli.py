"""`stopsexting lti …` on both databases: registering platforms, listing them, keys, and refusals for people."""

from __future__ import annotations

import json

import jwt
import pytest
from click.testing import CliRunner, Result
from sqlalchemy.exc import OperationalError

from exporter.cli import main
from exporter.lti import cli as lti_cli

MOODLE = "https://moodle.school.example"
PLATFORM = ["--issuer", MOODLE, "--client-id", "abc123", "--auth-login-url", f"{MOODLE}/mod/lti/auth.php",
            "--auth-token-url", f"{MOODLE}/mod/lti/token.php", "--key-set-url", f"{MOODLE}/mod/lti/certs.php"]


def run(database_url: str, *args: str) -> Result:
    return CliRunner().invoke(main, ["lti", *args, "--database-url", database_url])


def registered(database_url: str) -> list[str]:
    result = run(database_url, "list")
    assert result.exit_code == 0, result.output
    return result.output.splitlines()


def test_add_platform_then_list_shows_it_with_its_deployments(database_url: str) -> None:
    assert registered(database_url) == ["No platform is registered; add one with `stopsexting lti add-platform`."]
    result = run(database_url, "add-platform", *PLATFORM, "--deployment-id", "2", "--deployment-id", "5")
    assert result.exit_code == 0, result.output
    assert result.output == f"Added platform {MOODLE} (client id abc123); deployments: 2, 5 (2 new).\n"
    run(database_url, "add-platform", *PLATFORM, "--client-id", "other", "--deployment-id", "9", "--default")
    assert registered(database_url) == [
        f"{'ISSUER':{len(MOODLE)}}  CLIENT ID  DEFAULT  DEPLOYMENTS  KEY SET URL",
        f"{MOODLE}  abc123              2, 5         {MOODLE}/mod/lti/certs.php",
        f"{MOODLE}  other      yes      9            {MOODLE}/mod/lti/certs.php",
    ]


def test_adding_again_updates_urls_and_adds_deployments(database_url: str) -> None:
    run(database_url, "add-platform", *PLATFORM, "--deployment-id", "2")
    moved = [*PLATFORM, "--key-set-url", "https://keys.school.example/certs"]
    result = run(database_url, "add-platform", *moved, "--deployment-id", "2", "--deployment-id", "3", "--default")
    assert result.exit_code == 0, result.output
    assert result.output == f"Updated platform {MOODLE} (client id abc123, default); deployments: 2, 3 (1 new).\n"
    assert registered(database_url)[1:] == [f"{MOODLE}  abc123     yes      2, 3         https://keys.school.example/certs"]
    again = run(database_url, "add-platform", *moved, "--deployment-id", "3")
    assert again.output.endswith("deployments: 2, 3.\n")


def test_default_moves_to_the_latest_registration_marked_default(database_url: str) -> None:
    run(database_url, "add-platform", *PLATFORM, "--deployment-id", "1", "--default")
    run(database_url, "add-platform", *PLATFORM, "--client-id", "second", "--deployment-id", "1", "--default")
    rows = registered(database_url)[1:]
    assert ["yes" in row for row in rows] == [False, True]


@pytest.mark.parametrize(("change", "line"), [
    (["--issuer", "http://moodle.school.example"],
     "--issuer E-LTI-URL 'http://moodle.school.example' must be an absolute https URL "
     "(http only for localhost or 127.0.0.1)"),
    (["--auth-login-url", "moodle/auth.php"],
     "--auth-login-url E-LTI-URL 'moodle/auth.php' must be an absolute https URL "
     "(http only for localhost or 127.0.0.1)"),
    (["--key-set-url", "https://moodle:port/certs"],
     "--key-set-url E-LTI-URL 'https://moodle:port/certs' is not a valid URL "
     "(Port could not be cast to integer value as 'port')"),
    (["--auth-audience", "https://a b"], "--auth-audience E-LTI-URL 'https://a b' must not contain spaces"),
    (["--client-id", ""], "--client-id E-LTI-MISSING required; see `stopsexting lti add-platform --help`"),
    (["--client-id", " abc"], "--client-id E-LTI-ID ' abc' has leading or trailing spaces"),
    (["--deployment-id", ""], "--deployment-id E-LTI-ID must not be empty"),
    (["--deployment-id", "x" * 256], "--deployment-id E-LTI-ID longer than 255 characters"),
])
def test_a_bad_field_is_one_clear_line_exit_2_and_nothing_written(database_url: str, change: list[str],
                                                                   line: str) -> None:
    result = run(database_url, "add-platform", *PLATFORM, "--deployment-id", "1", *change)
    assert result.exit_code == 2
    assert result.output == line + "\n"
    assert "Traceback" not in result.output
    assert len(registered(database_url)) == 1


def test_every_missing_field_is_reported_at_once(database_url: str) -> None:
    result = run(database_url, "add-platform")
    assert result.exit_code == 2
    assert [line.split()[0] for line in result.output.splitlines()] == [
        "--issuer", "--auth-login-url", "--auth-token-url", "--key-set-url", "--client-id", "--deployment-id"]


def test_http_is_accepted_for_a_platform_on_this_machine(database_url: str) -> None:
    local = ["--issuer", "http://localhost:8080", "--client-id", "dev", "--auth-login-url", "http://127.0.0.1:8080/auth",
             "--auth-token-url", "http://localhost/token", "--key-set-url", "http://localhost/certs"]
    assert run(database_url, "add-platform", *local, "--deployment-id", "1").exit_code == 0


def test_a_database_failure_leaves_nothing_half_written(database_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(**_: object) -> None:
        raise OperationalError("INSERT INTO lti_deployment", {}, Exception("disk I/O error"))

    monkeypatch.setattr(lti_cli, "Deployment", broken)
    result = run(database_url, "add-platform", *PLATFORM, "--deployment-id", "1")
    assert result.exit_code == 1
    assert result.output.endswith(": disk I/O error\n") and len(result.output.splitlines()) == 1
    monkeypatch.undo()
    assert len(registered(database_url)) == 1


def test_an_unreachable_database_is_one_line_not_a_traceback() -> None:
    result = run("postgresql+psycopg://postgres@127.0.0.1:1/none", "list")
    assert result.exit_code == 1
    assert result.output.startswith("Error: database postgresql+psycopg://postgres@127.0.0.1:1/none: ")
    assert len(result.output.splitlines()) == 1


def test_rotate_publishes_both_keys_and_jwks_prints_them(database_url: str) -> None:
    first = json.loads(run(database_url, "jwks").output)["keys"]
    assert len(first) == 1
    rotated = run(database_url, "keys", "rotate")
    assert rotated.exit_code == 0
    new_kid = rotated.output.split()[2]
    assert f"Retired key: {first[0]['kid']}, published until " in rotated.output
    published = json.loads(run(database_url, "jwks").output)
    assert [key["kid"] for key in published["keys"]] == [new_kid, first[0]["kid"]]
    assert all(key["alg"] == "RS256" and key["use"] == "sig" for key in published["keys"])
    assert set(jwt.PyJWKSet.from_dict(published).keys) != set()
