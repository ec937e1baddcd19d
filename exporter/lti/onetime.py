"""Single-use values (launch nonces, OIDC states). Consuming is one INSERT: the primary key makes the database,
not a read-then-write race in our code, decide which of two concurrent requests gets the value."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from exporter.lti.models import Nonce, OidcState


def consume(sessions: sessionmaker[Session], kind: type[Nonce | OidcState], value: str, expires_at: datetime) -> bool:
    """True the first time `value` is presented, False on every later try (a replay)."""
    with sessions() as session:
        session.add(kind(value=value, expires_at=expires_at))
        try:
            session.commit()
        except IntegrityError:
            session.rollback()
            return False
    return True
