"""Single-use values (launch nonces, OIDC states, Deep Linking choices), in the database by default or in
Redis when REDIS_URL is set. Either way one atomic write decides which of two concurrent requests gets a
value, never a read-then-write race in our code: an INSERT that a primary key refuses, or SET NX."""

from __future__ import annotations

from datetime import datetime
from typing import Protocol

import redis
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from exporter.lti.models import Nonce, OidcState, utcnow

Kind = type[Nonce] | type[OidcState]


class OneTime(Protocol):
    def consume(self, kind: Kind, value: str, expires_at: datetime) -> bool:
        """True the first time `value` is presented, False on every later try (a replay)."""
        ...


class DatabaseOneTime:
    """The embedded default: the nonce and state tables; an expired row still counts as used."""

    def __init__(self, sessions: sessionmaker[Session]) -> None:
        self.sessions = sessions

    def consume(self, kind: Kind, value: str, expires_at: datetime) -> bool:
        with self.sessions() as session:
            session.add(kind(value=value, expires_at=expires_at))
            try:
                session.commit()
            except IntegrityError:
                session.rollback()
                return False
        return True


class RedisOneTime:
    """Redis keeps the values off the database under load and forgets them when they expire; by then the
    signed nonce they belong to is refused for its age anyway (exporter.lti.launch)."""

    def __init__(self, client: redis.Redis) -> None:
        self.client = client

    def consume(self, kind: Kind, value: str, expires_at: datetime) -> bool:
        milliseconds = max(1, int((expires_at - utcnow()).total_seconds() * 1000))
        return bool(self.client.set(f"stopsexting:{kind.__tablename__}:{value}", b"1", nx=True, px=milliseconds))


def store(sessions: sessionmaker[Session], redis_url: str | None) -> OneTime:
    """Redis when a URL is given (REDIS_URL), else the database."""
    if redis_url:
        return RedisOneTime(redis.Redis.from_url(redis_url))
    return DatabaseOneTime(sessions)
