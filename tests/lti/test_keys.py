"""Tool keys: a stable RFC 7638 kid, rotation that keeps recently retired keys verifiable, one active key."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import jwt
from pylti1p3.registration import Registration as LtiRegistration
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from exporter.lti import keys
from exporter.lti.models import ToolKey, utcnow


def verify(token: str, key_set: dict[str, object]) -> dict[str, object]:
    kid = jwt.get_unverified_header(token)["kid"]
    key = jwt.PyJWKSet.from_dict(key_set)[kid]
    claims: dict[str, object] = jwt.decode(token, key, algorithms=["RS256"], audience="platform")
    return claims


def test_kid_is_the_rfc7638_thumbprint_pylti1p3_puts_in_headers() -> None:
    key = keys.generate_key(utcnow())
    assert key.kid == LtiRegistration().set_tool_public_key(key.public_pem).get_kid()
    assert len(key.kid) == 43  # base64url of a SHA-256 digest, unpadded
    jwk = keys.public_jwk(key)
    assert set(jwk) == {"kid", "alg", "use", "kty", "n", "e"}  # never the private parts
    assert (jwk["kid"], jwk["alg"], jwk["use"], jwk["kty"]) == (key.kid, "RS256", "sig", "RSA")


def test_first_use_creates_one_active_key_even_when_workers_race(sessions: sessionmaker[Session]) -> None:
    start = threading.Barrier(8)

    def first_use(_: int) -> str:
        start.wait()
        return keys.active_key(sessions).kid

    with ThreadPoolExecutor(8) as pool:
        kids = set(pool.map(first_use, range(8)))
    assert len(kids) == 1
    with sessions() as session:
        assert session.scalar(select(func.count()).select_from(ToolKey)) == 1


def test_rotation_signs_with_the_new_key_and_keeps_publishing_the_old(sessions: sessionmaker[Session]) -> None:
    before = keys.active_key(sessions)
    in_flight = jwt.encode({"aud": "platform"}, before.private_pem, algorithm="RS256", headers={"kid": before.kid})
    with sessions.begin() as session:
        new, retired = keys.rotate(session, utcnow())
    assert retired is not None and retired.kid == before.kid
    assert keys.active_key(sessions).kid == new.kid != before.kid
    key_set = keys.jwks(sessions)
    assert [key["kid"] for key in key_set["keys"]] == [new.kid, before.kid]
    signed_now = jwt.encode({"aud": "platform"}, new.private_pem, algorithm="RS256", headers={"kid": new.kid})
    assert verify(signed_now, dict(key_set)) == {"aud": "platform"}
    assert verify(in_flight, dict(key_set)) == {"aud": "platform"}


def test_retired_keys_leave_the_key_set_after_the_grace_period(sessions: sessionmaker[Session]) -> None:
    first = keys.active_key(sessions)
    with sessions.begin() as session:
        second, _ = keys.rotate(session, utcnow() - keys.GRACE_PERIOD - timedelta(minutes=1))
    with sessions.begin() as session:
        third, _ = keys.rotate(session, utcnow())
    published = [key["kid"] for key in keys.jwks(sessions)["keys"]]
    assert published == [third.kid, second.kid]
    assert first.kid not in published
