"""A nonce is accepted once, even when many requests present it at the same moment, in the database and in
Redis; in the database it is used up only if the caller's transaction, when it has begun one, commits."""

from __future__ import annotations

import threading
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session, sessionmaker

from exporter.lti.models import Nonce, utcnow
from exporter.lti.onetime import DatabaseOneTime, OneTime, RedisOneTime, store

RACERS = 16


@pytest.fixture(params=["database", "redis"])
def once(request: pytest.FixtureRequest) -> OneTime:
    if request.param == "database":
        return store(None)
    return store(request.getfixturevalue("redis_url"))


def consume(sessions: sessionmaker[Session], once: OneTime, value: str) -> bool:
    """On an autocommit connection, as the tool's launch and Deep Linking views use it."""
    engine: Engine = sessions.kw["bind"]
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        return once.consume(connection, value, utcnow() + timedelta(minutes=10))


def test_the_store_follows_redis_url(redis_url: str) -> None:
    assert isinstance(store(None), DatabaseOneTime)
    assert isinstance(store(redis_url), RedisOneTime)


def test_a_value_is_consumed_once(once: OneTime, sessions: sessionmaker[Session]) -> None:
    first, second = f"value-{uuid.uuid4()}", f"value-{uuid.uuid4()}"
    assert consume(sessions, once, first)
    assert not consume(sessions, once, first)
    assert consume(sessions, once, second)


def test_a_value_used_in_a_transaction_that_rolls_back_is_still_unused(sessions: sessionmaker[Session]) -> None:
    """A caller that uses a value inside its transaction and then refuses leaves the value as it was."""
    once, value = store(None), f"value-{uuid.uuid4()}"
    with sessions() as session:
        assert once.consume(session.connection(), value, utcnow() + timedelta(minutes=10))
        session.rollback()
    with sessions() as session:
        assert session.scalar(select(func.count()).select_from(Nonce)) == 0
    assert consume(sessions, once, value)


def test_concurrent_replays_let_exactly_one_request_through(once: OneTime, sessions: sessionmaker[Session]) -> None:
    start = threading.Barrier(RACERS)
    value = f"raced-{uuid.uuid4()}"

    def attempt(_: int) -> bool:
        start.wait()
        return consume(sessions, once, value)

    with ThreadPoolExecutor(RACERS) as pool:
        outcomes = list(pool.map(attempt, range(RACERS)))
    assert outcomes.count(True) == 1
    with sessions() as session:
        stored = session.scalar(select(func.count()).select_from(Nonce))
    assert stored == (1 if isinstance(once, DatabaseOneTime) else 0), "Redis keeps them off the database"
