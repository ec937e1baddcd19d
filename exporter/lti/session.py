"""The runtime's API credential: a short-lived token bound to one launch, sent as `Authorization: Bearer`.

Not a cookie: the module runs in the platform's iframe, where browsers drop third-party cookies (lti.md §4, §8).
The token is `<payload>.<signature>`, both base64url; the payload names the launch and the expiry, the
signature is HMAC-SHA256 over the payload with the tool's secret, so the server keeps nothing per token."""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import time

DEFAULT_TTL_SECONDS = 7200  # longer than any module takes, short enough that a leaked token soon dies


class SessionError(Exception):
    """The token cannot be used: malformed, forged, or expired. The message says which, for the logs."""


def issue(secret: bytes, launch_id: str, ttl_seconds: int = DEFAULT_TTL_SECONDS, *, now: float | None = None) -> str:
    expires = int((time.time() if now is None else now) + ttl_seconds)
    payload = _encode(json.dumps({"l": launch_id, "e": expires}, separators=(",", ":")).encode())
    return f"{payload}.{_encode(_sign(secret, payload))}"


def verify(secret: bytes, token: str, *, now: float | None = None) -> str:
    """The launch id the token was issued for."""
    payload, dot, signature = token.partition(".")
    if not dot or not payload or not signature:
        raise SessionError("malformed session token")
    try:
        given = _decode(signature)
    except (binascii.Error, ValueError) as error:
        raise SessionError("malformed session token") from error
    if not hmac.compare_digest(given, _sign(secret, payload)):
        raise SessionError("session token signature does not match")
    try:
        claims = json.loads(_decode(payload))
        launch_id, expires = claims["l"], claims["e"]
    except (binascii.Error, ValueError, TypeError, KeyError) as error:
        raise SessionError("malformed session token") from error
    if not isinstance(launch_id, str) or not isinstance(expires, int):
        raise SessionError("malformed session token")
    if (time.time() if now is None else now) >= expires:
        raise SessionError("session token expired: relaunch the activity from the course")
    return launch_id


def _sign(secret: bytes, payload: str) -> bytes:
    return hmac.new(secret, payload.encode("ascii"), hashlib.sha256).digest()


def _encode(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def _decode(text: str) -> bytes:
    if not text.isascii():
        raise ValueError("not base64url")
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
