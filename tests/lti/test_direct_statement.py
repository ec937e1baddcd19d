"""db.DirectStatement on both databases: what it writes reads back through SQLAlchemy exactly as if SQLAlchemy
had written it (aware UTC datetimes, which SQLite keeps as text; the columns' constant defaults), RETURNING
gives the row, and a statement that leaves a computed default to SQLAlchemy is refused, naming the column.

Its disconnect handling is in tests/lti/test_faults.py (a cut connection: a 503, then the pool renewed)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from sqlalchemy import Engine, bindparam, insert, select
from sqlalchemy.orm import Session, sessionmaker

from exporter.lti.db import DirectStatement
from exporter.lti.models import Launch, Nonce
from tests.lti import factories

KYIV = timezone(timedelta(hours=2))
NONCE = DirectStatement(lambda dialect: insert(Nonce).values(
    value=bindparam("value"), expires_at=bindparam("expires_at")).returning(Nonce.value))
# roles and ags_scopes are left out: their constant defaults ("[]" and "") are filled in.
LAUNCH = DirectStatement(lambda dialect: insert(Launch).values(
    id=bindparam("id"), registration_id=bindparam("registration_id"), deployment_id=bindparam("deployment_id"),
    sub="42", message_type="LtiResourceLinkRequest", created_at=bindparam("at"), expires_at=bindparam("at")))
# created_at is left out: its default is computed (utcnow), which only SQLAlchemy's execution would call.
COMPUTED_DEFAULT = DirectStatement(lambda dialect: insert(Launch).values(
    id=bindparam("id"), registration_id=1, deployment_id=1, sub="42", message_type="x", expires_at=bindparam("at")))


def test_a_row_written_directly_reads_back_as_sqlalchemy_would_have_written_it(
        autocommit: Engine, sessions: sessionmaker[Session]) -> None:
    moment = datetime(2026, 11, 29, 10, 15, 30, 123456, tzinfo=KYIV)
    assert NONCE.run(autocommit, {"value": "n-1", "expires_at": moment}) == ("n-1",)
    with sessions.begin() as session:
        registration = factories.registration(session)
        ids = {"registration_id": registration.id, "deployment_id": registration.deployments[0].id}
    assert LAUNCH.run(autocommit, {"id": "launch-1", "at": moment, **ids}) is None  # no RETURNING, no row
    with sessions() as session:
        assert session.scalar(select(Nonce.expires_at)) == moment.astimezone(UTC)
        launch = session.get_one(Launch, "launch-1")
        assert (launch.roles, launch.ags_scopes, launch.created_at) == ("[]", "", moment.astimezone(UTC))
        # The expiry compares as an instant on both databases (SQLite compares the text it stores).
        assert session.scalar(select(Nonce.value).where(Nonce.expires_at > moment - timedelta(microseconds=1)))


def test_a_statement_that_leaves_a_computed_default_to_sqlalchemy_is_refused(autocommit: Engine) -> None:
    with pytest.raises(ValueError, match=r"lti_launch\.created_at: give its value in the statement"):
        COMPUTED_DEFAULT.run(autocommit, {"id": "launch-2", "at": datetime.now(UTC)})
