"""Single-use values (launch nonces, Deep Linking choices), in the database by default or in Redis when
REDIS_URL is set. Either way one atomic write decides which of two concurrent requests gets a value, never a
read-then-write race in our code: an INSERT … ON CONFLICT DO NOTHING that returns the row only when it was
new, or SET NX.

In the database, using a value up is one statement on the tool's autocommit engine, committed at once: one
round trip (db.DirectStatement)."""

from __future__ import annotations

from datetime import datetime
from typing import Protocol

import redis
from sqlalchemy import Engine, bindparam

from exporter.lti.db import DirectStatement, insert
from exporter.lti.models import Nonce, utcnow


class OneTime(Protocol):
    def consume(self, database: Engine, value: str, expires_at: datetime) -> bool:
        """True the first time `value` is presented, False on every later try (a replay)."""
        ...


class DatabaseOneTime:
    """The embedded default: the nonce table; an expired row still counts as used."""

    def consume(self, database: Engine, value: str, expires_at: datetime) -> bool:
        return CONSUME.run(database, {"value": value, "expires_at": expires_at}) is not None


CONSUME = DirectStatement(lambda dialect: insert(dialect, Nonce).values(
    value=bindparam("value"), expires_at=bindparam("expires_at")).on_conflict_do_nothing().returning(Nonce.value))


class RedisOneTime:
    """Redis keeps the values off the database under load and forgets them when they expire; by then the
    signed nonce they belong to is refused for its age anyway (exporter.lti.launch)."""

    def __init__(self, client: redis.Redis) -> None:
        self.client = client

    def consume(self, database: Engine, value: str, expires_at: datetime) -> bool:
        milliseconds = max(1, int((expires_at - utcnow()).total_seconds() * 1000))
        return bool(self.client.set(f"stopsexting:{Nonce.__tablename__}:{value}", b"1", nx=True, px=milliseconds))


def store(redis_url: str | None) -> OneTime:
    """Redis when a URL is given (REDIS_URL), else the database."""
    if redis_url:
        return RedisOneTime(redis.Redis.from_url(redis_url))
    return DatabaseOneTime()
