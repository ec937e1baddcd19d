"""The schema comes from the hand-written migrations, on both databases, and matches the models."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect, text

from exporter.lti import db
from exporter.lti.models import Base, Launch
from tests.lti import factories

TABLES = {"lti_registration", "lti_deployment", "lti_tool_key", "lti_launch", "lti_attempt", "lti_grade_outbox",
          "lti_nonce"}


def tables(url: str) -> set[str]:
    engine = db.make_engine(url)
    try:
        return set(inspect(engine).get_table_names())
    finally:
        engine.dispose()


def drift(url: str) -> list[object]:
    engine = db.make_engine(url)
    try:
        with engine.connect() as connection:
            context = MigrationContext.configure(connection, opts={"compare_type": True})
            return list(compare_metadata(context, Base.metadata))
    finally:
        engine.dispose()


def test_migrations_build_the_models_schema_from_empty(database_url: str) -> None:
    assert tables(database_url) == set()
    db.migrate(database_url)
    assert tables(database_url) == TABLES | {"alembic_version"}
    assert drift(database_url) == []


def test_downgrade_removes_everything_and_upgrade_restores_it(database_url: str) -> None:
    db.migrate(database_url)
    db.downgrade(database_url, "base")
    assert tables(database_url) == {"alembic_version"}
    db.migrate(database_url)
    db.migrate(database_url)  # a second start finds nothing to do
    assert tables(database_url) == TABLES | {"alembic_version"}
    assert drift(database_url) == []


def launch_columns(url: str) -> set[str]:
    engine = db.make_engine(url)
    try:
        return {column["name"] for column in inspect(engine).get_columns("lti_launch")}
    finally:
        engine.dispose()


def test_0003_adds_the_launch_nrps_url_and_its_downgrade_keeps_the_launches(database_url: str) -> None:
    db.migrate(database_url)
    engine = db.make_engine(database_url)
    with db.session_factory(engine).begin() as session:
        registration = factories.registration(session)
        session.add(Launch(id="launch-1", registration_id=registration.id,
                           deployment_id=registration.deployments[0].id, sub="user-7",
                           message_type="LtiResourceLinkRequest", expires_at=datetime(2026, 12, 1, tzinfo=UTC),
                           nrps_memberships_url="https://moodle.school.example/memberships"))
    engine.dispose()
    db.downgrade(database_url, "0002")
    assert "nrps_memberships_url" not in launch_columns(database_url)
    db.migrate(database_url)
    assert "nrps_memberships_url" in launch_columns(database_url)
    assert drift(database_url) == []
    engine = db.make_engine(database_url)
    with engine.connect() as connection:  # the launch outlived the round trip; its URL did not
        assert connection.execute(text("SELECT id, nrps_memberships_url FROM lti_launch")).all() == [
            ("launch-1", None)]
    engine.dispose()


def test_0004_drops_the_oidc_states_and_its_downgrade_brings_the_table_back(database_url: str) -> None:
    db.migrate(database_url)
    assert "lti_oidc_state" not in tables(database_url)
    db.downgrade(database_url, "0003")
    assert "lti_oidc_state" in tables(database_url)
    db.migrate(database_url)
    assert tables(database_url) == TABLES | {"alembic_version"}
    assert drift(database_url) == []


def test_sqlite_runs_in_wal_mode_with_foreign_keys(tmp_path: Path) -> None:
    engine = db.make_engine(f"sqlite:///{tmp_path / 'nested' / 'lti.sqlite3'}")
    with engine.connect() as connection:
        assert connection.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert connection.execute(text("PRAGMA foreign_keys")).scalar() == 1
    engine.dispose()
    assert (tmp_path / "nested").stat().st_mode & 0o077 == 0


def test_default_url_is_an_sqlite_file_in_the_instance_folder(monkeypatch: pytest.MonkeyPatch,
                                                                tmp_path: Path) -> None:
    monkeypatch.delenv("DATABASE_URL", raising=False)
    monkeypatch.chdir(tmp_path)
    assert db.database_url() == f"sqlite:///{tmp_path / 'instance' / 'stopsexting-lti.sqlite3'}"


@pytest.mark.parametrize(("given", "used"), [
    ("postgres://u@h/d", "postgresql+psycopg://u@h/d"),
    ("postgresql://u@h/d", "postgresql+psycopg://u@h/d"),
    ("postgresql+psycopg://u@h/d", "postgresql+psycopg://u@h/d"),
])
def test_database_url_comes_from_the_environment_with_our_driver(monkeypatch: pytest.MonkeyPatch, given: str,
                                                                 used: str) -> None:
    monkeypatch.setenv("DATABASE_URL", given)
    assert db.database_url() == used
    assert db.database_url("sqlite:///x.sqlite3") == "sqlite:///x.sqlite3"
