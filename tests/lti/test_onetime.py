"""A nonce or OIDC state is accepted once, even when many requests present it at the same moment, in the
database (both kinds) and in Redis."""

from __future__ import annotations

import threading
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from exporter.lti.models import Nonce, OidcState, utcnow
from exporter.lti.onetime import DatabaseOneTime, OneTime, RedisOneTime, store

RACERS = 16


@pytest.fixture(params=["database", "redis"])
def once(request: pytest.FixtureRequest, sessions: sessionmaker[Session]) -> OneTime:
    if request.param == "database":
        return store(sessions, None)
    return store(sessions, request.getfixturevalue("redis_url"))


def test_the_store_follows_redis_url(sessions: sessionmaker[Session], redis_url: str) -> None:
    assert isinstance(store(sessions, None), DatabaseOneTime)
    assert isinstance(store(sessions, redis_url), RedisOneTime)


@pytest.mark.parametrize("kind", [Nonce, OidcState])
def test_a_value_is_consumed_once(once: OneTime, kind: type[Nonce | OidcState]) -> None:
    expires = utcnow() + timedelta(minutes=10)
    first, second = f"value-{uuid.uuid4()}", f"value-{uuid.uuid4()}"
    assert once.consume(kind, first, expires)
    assert not once.consume(kind, first, expires)
    assert once.consume(kind, second, expires)
    assert once.consume(OidcState if kind is Nonce else Nonce, first, expires), "kinds do not share values"


@pytest.mark.parametrize("kind", [Nonce, OidcState])
def test_concurrent_replays_let_exactly_one_request_through(once: OneTime, sessions: sessionmaker[Session],
                                                           kind: type[Nonce | OidcState]) -> None:
    start = threading.Barrier(RACERS)
    expires = utcnow() + timedelta(minutes=10)
    value = f"raced-{uuid.uuid4()}"

    def attempt(_: int) -> bool:
        start.wait()
        return once.consume(kind, value, expires)

    with ThreadPoolExecutor(RACERS) as pool:
        outcomes = list(pool.map(attempt, range(RACERS)))
    assert outcomes.count(True) == 1
    with sessions() as session:
        stored = session.scalar(select(func.count()).select_from(kind))
    assert stored == (1 if isinstance(once, DatabaseOneTime) else 0), "Redis keeps them off the database"
