"""The constraints the tool relies on are enforced by the database itself, on both backends."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError, StatementError
from sqlalchemy.orm import Session, sessionmaker

from exporter.lti.keys import generate_key
from exporter.lti.models import Attempt, Deployment, GradeOutbox, Launch, Registration, ToolKey
from tests.lti.factories import registration

NOW = datetime(2026, 11, 29, 12, 0, tzinfo=UTC)


def refused(sessions: sessionmaker[Session], *rows: object) -> bool:
    with sessions() as session:
        session.add_all(rows)
        try:
            session.commit()
        except IntegrityError:
            return True
    return False


def test_issuer_and_client_id_identify_one_registration(sessions: sessionmaker[Session]) -> None:
    with sessions.begin() as session:
        registration(session, "client-1")
        registration(session, "client-2")  # another client id of the same platform is fine
    with sessions() as session, pytest.raises(IntegrityError):
        registration(session, "client-1")


def test_an_issuer_has_at_most_one_default_registration(sessions: sessionmaker[Session]) -> None:
    with sessions.begin() as session:
        registration(session, "client-1", is_default=True)
        registration(session, "client-2", is_default=True, issuer="https://other.example")
    with sessions() as session, pytest.raises(IntegrityError):
        registration(session, "client-3", is_default=True)


def test_deployment_ids_are_unique_per_registration_only(sessions: sessionmaker[Session]) -> None:
    with sessions.begin() as session:
        first = registration(session, "client-1", deployment_ids=("7",))
        registration(session, "client-2", deployment_ids=("7",))
        first_id = first.id
    assert refused(sessions, Deployment(registration_id=first_id, deployment_id="7"))
    assert refused(sessions, Deployment(registration_id=first_id + 1000, deployment_id="8"))  # no such registration


def test_only_one_tool_key_is_active(sessions: sessionmaker[Session]) -> None:
    assert not refused(sessions, generate_key(NOW))
    assert refused(sessions, generate_key(NOW))
    retired = generate_key(NOW)
    retired.active, retired.retired_at = False, NOW
    assert not refused(sessions, retired)
    with sessions() as session:
        assert session.scalars(select(ToolKey.kid).where(ToolKey.active)).one()


def test_a_key_cannot_be_active_and_retired(sessions: sessionmaker[Session]) -> None:
    key = generate_key(NOW)
    key.retired_at = NOW
    assert refused(sessions, key)


def test_one_attempt_per_learner_resource_link_and_module(sessions: sessionmaker[Session]) -> None:
    with sessions.begin() as session:
        row = registration(session)
        ids = {"registration_id": row.id, "deployment_id": row.deployments[0].id}

    def attempt(module_id: str) -> Attempt:
        return Attempt(**ids, sub="learner", context_id="course", resource_link_id="link", module_id=module_id)

    assert not refused(sessions, attempt("m1_podorozh"), attempt("m2_supersyla"))
    assert refused(sessions, attempt("m1_podorozh"))


def test_outbox_rows_only_take_known_statuses_and_belong_to_an_attempt(sessions: sessionmaker[Session]) -> None:
    with sessions.begin() as session:
        row = registration(session)
        attempt = Attempt(registration_id=row.id, deployment_id=row.deployments[0].id, sub="learner",
                          resource_link_id="link", module_id="m1_podorozh")
        session.add(attempt)
        session.flush()
        attempt_id = attempt.id

    def score(**overrides: object) -> GradeOutbox:
        fields: dict[str, object] = {"attempt_id": attempt_id, "line_item_url": "https://lms/lineitem",
                                     "payload": "{}", "score_timestamp": NOW, **overrides}
        return GradeOutbox(**fields)

    assert not refused(sessions, score())
    assert refused(sessions, score(status="lost"))
    assert refused(sessions, score(attempt_id=attempt_id + 1000))
    with sessions() as session:
        stored = session.scalars(select(GradeOutbox)).one()
        assert (stored.status, stored.tries) == ("pending", 0)


def test_times_come_back_as_aware_utc(sessions: sessionmaker[Session]) -> None:
    naive = NOW.replace(tzinfo=None)
    with sessions.begin() as session:
        row = registration(session)
        session.add(Launch(id="launch-1", registration_id=row.id, deployment_id=row.deployments[0].id, sub="s",
                           message_type="LtiResourceLinkRequest",
                           expires_at=NOW.astimezone(timezone(timedelta(hours=2)))))
    with sessions() as session:
        launch = session.get(Launch, "launch-1")
        assert launch is not None
        assert launch.expires_at == NOW
        assert launch.expires_at.utcoffset() == timedelta(0)
        assert launch.created_at.tzinfo is not None
    with sessions() as session, pytest.raises(StatementError, match="naive datetime"):
        session.add(Registration(issuer="https://x.example", client_id="c", auth_login_url="https://x.example/a",
                                 auth_token_url="https://x.example/t", key_set_url="https://x.example/k",
                                 created_at=naive))
        session.flush()
