"""Every LTI storage test runs twice: on an SQLite file and on PostgreSQL, the two databases the tool supports.

PostgreSQL is required, not optional: the tests create one uniquely named database for the session (dropped at
the end) and empty it before each test, so parallel sessions and earlier runs never interfere."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator

import pytest
import redis
from flask import Flask
from flask.testing import FlaskClient
from jwcrypto.jwk import JWK
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session, sessionmaker

from exporter.lti import db
from tests.lti.platform import PlatformKey, tool_app

POSTGRES_ADMIN_URL = os.environ.get("LTI_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")


@pytest.fixture(scope="session")
def postgres_database() -> Iterator[str]:
    admin_url = make_url(POSTGRES_ADMIN_URL)
    name = f"stopsexting_test_{uuid.uuid4().hex[:12]}"
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
    except OperationalError as error:
        admin.dispose()
        reason = str(error.orig).strip().splitlines()[0]
        pytest.fail(f"PostgreSQL at {admin_url.render_as_string(hide_password=True)} is not reachable ({reason}); "
                    "the LTI tests need it: start the service, or point LTI_TEST_POSTGRES_URL at one", pytrace=False)
    try:
        yield admin_url.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path_factory.mktemp('lti') / 'lti.sqlite3'}"
    url: str = request.getfixturevalue("postgres_database")
    engine = create_engine(url)
    with engine.begin() as connection:
        connection.execute(text("DROP SCHEMA public CASCADE"))
        connection.execute(text("CREATE SCHEMA public"))
    engine.dispose()
    return url


@pytest.fixture
def sessions(database_url: str) -> Iterator[sessionmaker[Session]]:
    db.migrate(database_url)
    engine = db.make_engine(database_url)
    yield db.session_factory(engine)
    engine.dispose()


@pytest.fixture
def autocommit(sessions: sessionmaker[Session], database_url: str) -> Iterator[Engine]:
    """The tool's engine for single-statement writes (ToolContext.autocommit), on the migrated database."""
    engine = db.make_engine(database_url, autocommit=True)
    yield engine
    engine.dispose()


REDIS_URL = os.environ.get("LTI_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")


@pytest.fixture(scope="session")
def redis_url() -> str:
    """Redis is required like PostgreSQL: the tool keeps nonces and states there when REDIS_URL is set.
    Tests write only keys with values of their own (random), which expire by themselves."""
    client = redis.Redis.from_url(REDIS_URL)
    try:
        client.ping()
    except redis.RedisError as error:
        pytest.fail(f"Redis at {REDIS_URL} is not reachable ({error}); the LTI tests need it: start the service, "
                    "or point LTI_TEST_REDIS_URL at one", pytrace=False)
    finally:
        client.close()
    return REDIS_URL


@pytest.fixture
def tool(database_url: str) -> tuple[Flask, FlaskClient, PlatformKey]:
    """The tool with one registered platform whose key lti1p3platform signs with: lti1p3platform names its key
    by its RFC 7638 thumbprint."""
    key = PlatformKey()
    key.kid = JWK.from_pem(key.public_pem.encode()).thumbprint()
    app = tool_app(database_url, lambda url: key.jwks())
    return app, app.test_client(), key
