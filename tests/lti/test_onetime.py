"""A nonce is accepted once, even when many requests present it at the same moment, in the database and in
Redis."""

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


def consume(database: Engine, once: OneTime, value: str) -> bool:
    return once.consume(database, value, utcnow() + timedelta(minutes=10))


def test_the_store_follows_redis_url(redis_url: str) -> None:
    assert isinstance(store(None), DatabaseOneTime)
    assert isinstance(store(redis_url), RedisOneTime)


def test_a_value_is_consumed_once(once: OneTime, autocommit: Engine) -> None:
    first, second = f"value-{uuid.uuid4()}", f"value-{uuid.uuid4()}"
    assert consume(autocommit, once, first)
    assert not consume(autocommit, once, first)
    assert consume(autocommit, once, second)


def test_concurrent_replays_let_exactly_one_request_through(once: OneTime, autocommit: Engine,
                                                            sessions: sessionmaker[Session]) -> None:
    start = threading.Barrier(RACERS)
    value = f"raced-{uuid.uuid4()}"

    def attempt(_: int) -> bool:
        start.wait()
        return consume(autocommit, once, value)

    with ThreadPoolExecutor(RACERS) as pool:
        outcomes = list(pool.map(attempt, range(RACERS)))
    assert outcomes.count(True) == 1
    with sessions() as session:
        stored = session.scalar(select(func.count()).select_from(Nonce))
    assert stored == (1 if isinstance(once, DatabaseOneTime) else 0), "Redis keeps them off the database"
