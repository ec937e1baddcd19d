"""The tool's RSA signing keys. Platforms fetch our JWKS to verify what we sign (Deep Linking responses,
service-token assertions), and may cache it, so a rotated-out key stays published for a grace period."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from jwcrypto.jwk import JWK
from sqlalchemy import or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from exporter.lti.models import ToolKey, utcnow

# Longer than anything we sign lives (minutes) plus a generous platform JWKS cache.
GRACE_PERIOD = timedelta(hours=24)


def generate_key(now: datetime) -> ToolKey:
    private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    private_pem = private.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                        serialization.NoEncryption()).decode()
    public_pem = private.public_key().public_bytes(serialization.Encoding.PEM,
                                                   serialization.PublicFormat.SubjectPublicKeyInfo).decode()
    return ToolKey(kid=thumbprint(public_pem), private_pem=private_pem, public_pem=public_pem,
                   active=True, created_at=now, activated_at=now)


def thumbprint(public_pem: str) -> str:
    """RFC 7638 SHA-256 thumbprint: the kid pylti1p3 puts in the header of what it signs with this key."""
    return str(JWK.from_pem(public_pem.encode()).thumbprint())


def active_key(sessions: sessionmaker[Session]) -> ToolKey:
    """The signing key, created on first use so a fresh install needs no key ceremony. Two workers may race
    to create it; the one-active-key index lets exactly one win and the other reads the winner's key."""
    with sessions() as session:
        key = session.scalars(select(ToolKey).where(ToolKey.active)).one_or_none()
        if key is not None:
            return key
        key = generate_key(utcnow())
        session.add(key)
        try:
            session.commit()
        except IntegrityError:
            session.rollback()
            return session.scalars(select(ToolKey).where(ToolKey.active)).one()
        return key


def rotate(session: Session, now: datetime) -> tuple[ToolKey, ToolKey | None]:
    """Retire the active key and activate a new one, in the caller's transaction: (new, retired or None)."""
    old = session.scalars(select(ToolKey).where(ToolKey.active).with_for_update()).one_or_none()
    if old is not None:
        old.active = False
        old.retired_at = now
        session.flush()  # the one-active-key index must see the old key inactive before the new one arrives
    new = generate_key(now)
    session.add(new)
    session.flush()
    return new, old


def published(session: Session, now: datetime) -> list[ToolKey]:
    """The active key and the keys retired less than GRACE_PERIOD ago, newest first."""
    query = select(ToolKey).where(or_(ToolKey.active, ToolKey.retired_at > now - GRACE_PERIOD))
    return list(session.scalars(query.order_by(ToolKey.created_at.desc(), ToolKey.kid)))


def jwks(sessions: sessionmaker[Session]) -> dict[str, list[dict[str, Any]]]:
    active_key(sessions)
    with sessions() as session:
        return {"keys": [public_jwk(key) for key in published(session, utcnow())]}


def public_jwk(key: ToolKey) -> dict[str, Any]:
    jwk: dict[str, Any] = json.loads(JWK.from_pem(key.public_pem.encode()).export_public())
    jwk.update(kid=key.kid, alg="RS256", use="sig")
    return jwk
