"""A nonce or OIDC state is accepted once, even when many requests present it at the same moment."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from exporter.lti.models import Nonce, OidcState, utcnow
from exporter.lti.onetime import consume

RACERS = 16


@pytest.mark.parametrize("kind", [Nonce, OidcState])
def test_a_value_is_consumed_once(sessions: sessionmaker[Session], kind: type[Nonce | OidcState]) -> None:
    expires = utcnow() + timedelta(minutes=10)
    assert consume(sessions, kind, "value-1", expires)
    assert not consume(sessions, kind, "value-1", expires)
    assert consume(sessions, kind, "value-2", expires)


@pytest.mark.parametrize("kind", [Nonce, OidcState])
def test_concurrent_replays_let_exactly_one_request_through(sessions: sessionmaker[Session],
                                                           kind: type[Nonce | OidcState]) -> None:
    start = threading.Barrier(RACERS)
    expires = utcnow() + timedelta(minutes=10)

    def attempt(_: int) -> bool:
        start.wait()
        return consume(sessions, kind, "raced-value", expires)

    with ThreadPoolExecutor(RACERS) as pool:
        outcomes = list(pool.map(attempt, range(RACERS)))
    assert outcomes.count(True) == 1
    with sessions() as session:
        assert session.scalar(select(func.count()).select_from(kind)) == 1
