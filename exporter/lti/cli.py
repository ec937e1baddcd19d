"""`stopsexting lti …`: what a school's administrator runs to register platforms and manage the tool's keys.

Every command migrates the database first, so the first command on a fresh machine sets everything up."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, NoReturn, TypeVar

import click
from sqlalchemy import select, update
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, SQLAlchemyError
from sqlalchemy.orm import Session, selectinload, sessionmaker

from exporter.errors import Problem
from exporter.lti import db, keys
from exporter.lti.models import Deployment, Registration, utcnow
from exporter.urls import secure_url_fault

F = TypeVar("F", bound=Callable[..., Any])
EXIT_INVALID = 2
MAX_ID = 255


def database_option(command: F) -> F:
    return click.option(
        "--database-url", envvar="DATABASE_URL",
        help=f"SQLAlchemy URL, e.g. postgresql+psycopg://user@host/db. Also read from DATABASE_URL. "
        f"Default: the embedded SQLite file ./{db.DEFAULT_SQLITE_PATH}.",
    )(command)


@click.group("lti")
def lti() -> None:
    """Register LMS platforms with the LTI 1.3 tool and manage its signing keys."""


@contextmanager
def opened(database_url: str | None) -> Iterator[sessionmaker[Session]]:
    """A migrated database. Its faults (unreachable server, bad URL) become one line for people, not a
    traceback."""
    url = db.database_url(database_url)
    try:
        shown = make_url(url).render_as_string(hide_password=True)
    except ArgumentError:
        raise click.ClickException(f"--database-url: '{url}' is not a database URL") from None
    engine = None
    try:
        db.migrate(url)
        engine = db.make_engine(url)
        yield db.session_factory(engine)
    except SQLAlchemyError as error:
        reason = str(getattr(error, "orig", None) or error).strip().splitlines()[0]
        raise click.ClickException(f"database {shown}: {reason}") from None
    finally:
        if engine is not None:
            engine.dispose()


def id_fault(value: str) -> str | None:
    if value != value.strip():
        return f"'{value}' has leading or trailing spaces"
    if len(value) > MAX_ID:
        return f"longer than {MAX_ID} characters"
    return None


def refuse(problems: list[Problem]) -> NoReturn:
    for problem in problems:
        click.echo(str(problem), err=True)
    sys.exit(EXIT_INVALID)


@lti.command("add-platform")
@click.option("--issuer", help="The platform's issuer (iss); for Moodle its wwwroot, e.g. https://moodle.school.example.")
@click.option("--client-id", help="The client id the platform gave this tool.")
@click.option("--auth-login-url", help="The platform's OIDC authentication URL (Moodle: …/mod/lti/auth.php).")
@click.option("--auth-token-url", help="The platform's OAuth2 token URL (Moodle: …/mod/lti/token.php).")
@click.option("--key-set-url", help="The platform's public keyset URL (Moodle: …/mod/lti/certs.php).")
@click.option("--auth-audience", help="Audience of service-token assertions, when it differs from the token URL.")
@click.option("--deployment-id", "deployment_ids", multiple=True,
              help="A deployment id (Moodle: the tool's id); repeat for several. Re-adding keeps earlier ones.")
@click.option("--default", "is_default", is_flag=True,
              help="Use this client id when a login from this issuer names none.")
@database_option
def add_platform(issuer: str | None, client_id: str | None, auth_login_url: str | None,
                 auth_token_url: str | None, key_set_url: str | None, auth_audience: str | None,
                 deployment_ids: tuple[str, ...], is_default: bool, database_url: str | None) -> None:
    """Register a platform, or update it: running it again with new URLs updates them and adds deployments.

    Required: --issuer, --client-id, --auth-login-url, --auth-token-url, --key-set-url, --deployment-id."""
    urls = {"--issuer": issuer, "--auth-login-url": auth_login_url, "--auth-token-url": auth_token_url,
            "--key-set-url": key_set_url}
    required = {**urls, "--client-id": client_id, "--deployment-id": deployment_ids[0] if deployment_ids else None}
    problems = [Problem(option, 0, 0, "E-LTI-MISSING", "", "required; see `stopsexting lti add-platform --help`")
                for option, value in required.items() if not value]
    checks: list[tuple[str, str | None, Callable[[str], str | None]]] = [
        *((option, value, secure_url_fault)
          for option, value in {**urls, "--auth-audience": auth_audience}.items()),
        ("--client-id", client_id, id_fault),
        *(("--deployment-id", value, id_fault) for value in deployment_ids),
    ]
    problems += [Problem(option, 0, 0, "E-LTI-URL" if check is secure_url_fault else "E-LTI-ID", "", fault)
                 for option, value, check in checks if value and (fault := check(value))]
    problems += [Problem("--deployment-id", 0, 0, "E-LTI-ID", "", "must not be empty")
                 for value in deployment_ids[1:] if not value]
    if problems:
        refuse(problems)
    assert issuer and client_id and auth_login_url and auth_token_url and key_set_url  # checked above
    with opened(database_url) as sessions, sessions.begin() as session:
        row = session.scalars(select(Registration).where(
            Registration.issuer == issuer, Registration.client_id == client_id)).one_or_none()
        verb = "Updated" if row else "Added"
        if row is None:
            row = Registration(issuer=issuer, client_id=client_id)
            session.add(row)
        row.auth_login_url, row.auth_token_url, row.key_set_url = auth_login_url, auth_token_url, key_set_url
        row.auth_audience = auth_audience
        if is_default:
            session.execute(update(Registration).where(Registration.issuer == issuer).values(is_default=False))
            row.is_default = True
        known = {deployment.deployment_id for deployment in row.deployments}
        added = [value for value in dict.fromkeys(deployment_ids) if value not in known]
        row.deployments.extend(Deployment(deployment_id=value) for value in added)
        session.flush()
        every = ", ".join(deployment.deployment_id for deployment in row.deployments)
    click.echo(f"{verb} platform {issuer} (client id {client_id}{', default' if row.is_default else ''}); "
               f"deployments: {every}" + (f" ({len(added)} new)." if added else "."))


@lti.command("list")
@database_option
def list_platforms(database_url: str | None) -> None:
    """Show the registered platforms with their deployments."""
    with opened(database_url) as sessions, sessions() as session:
        rows = list(session.scalars(select(Registration).options(selectinload(Registration.deployments))
                                    .order_by(Registration.issuer, Registration.client_id)))
    if not rows:
        click.echo("No platform is registered; add one with `stopsexting lti add-platform`.")
        return
    table = [("ISSUER", "CLIENT ID", "DEFAULT", "DEPLOYMENTS", "KEY SET URL")] + [
        (row.issuer, row.client_id, "yes" if row.is_default else "",
         ", ".join(deployment.deployment_id for deployment in row.deployments), row.key_set_url)
        for row in rows]
    widths = [max(len(line[column]) for line in table) for column in range(len(table[0]))]
    for line in table:
        click.echo("  ".join(cell.ljust(width) for cell, width in zip(line, widths, strict=True)).rstrip())


@lti.group("keys")
def keys_group() -> None:
    """The tool's signing keys."""


@keys_group.command("rotate")
@database_option
def rotate(database_url: str | None) -> None:
    """Sign with a new key from now on; the old one stays published for platforms that cached it."""
    now = utcnow()
    with opened(database_url) as sessions, sessions.begin() as session:
        new, old = keys.rotate(session, now)
    click.echo(f"Active key: {new.kid}")
    if old is not None:
        click.echo(f"Retired key: {old.kid}, published until {(now + keys.GRACE_PERIOD).isoformat(timespec='seconds')}")


@lti.command("jwks")
@database_option
def jwks(database_url: str | None) -> None:
    """Print the tool's public key set (JSON), for platforms that take keys rather than a key set URL."""
    with opened(database_url) as sessions:
        key_set = keys.jwks(sessions)
    click.echo(json.dumps(key_set, indent=2))
