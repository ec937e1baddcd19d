"""Calls to a platform's services (AGS scores, NRPS rosters) with an OAuth2 access token.

The token comes from the platform's token endpoint by client_credentials with a JWT assertion signed by our
active key (LTI Security Framework §4.1). Platforms rate-limit that endpoint and pylti1p3 asks it again for
every service call (lti.md §1.4), so tokens are cached by (issuer, client_id, scopes) until shortly before the
platform says they expire: in Redis when REDIS_URL is set, so all gunicorn workers share them, else per
process."""

from __future__ import annotations

import json
import os
import threading
import uuid
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

import jwt
import redis
import requests
from sqlalchemy.orm import Session, sessionmaker

from exporter.lti import keys
from exporter.lti.models import Registration

TIMEOUT = (5.0, 15.0)  # connect, read: a hung platform must not hold a worker for long
TOKEN_MARGIN_SECONDS = 30  # renew a little before the platform's expiry, not after a refusal
DEFAULT_LIFETIME_SECONDS = 3600  # what the Security Framework recommends, for a platform that does not say
ASSERTION_LIFETIME_SECONDS = 60
ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
EXCERPT = 300  # characters of a refusal's body kept in the error: enough to see why, short enough for a log line

TokenKey = tuple[str, str, str]  # (issuer, client_id, space-separated sorted scopes)


class ServiceError(Exception):
    """A platform service call failed; `status` is the HTTP status when the platform answered at all."""

    def __init__(self, message: str, status: int | None = None) -> None:
        super().__init__(message)
        self.status = status

    @classmethod
    def refused(cls, what: str, response: requests.Response) -> ServiceError:
        """`what` followed by the platform's status and the start of its answer, which usually says why."""
        return cls(f"{what}: HTTP {response.status_code} {response.text[:EXCERPT]}".rstrip(), response.status_code)


class TokenCache(Protocol):
    def get(self, key: TokenKey, now: float) -> str | None:
        """The token stored for `key` if it is still good at `now` (seconds since the epoch)."""
        ...

    def put(self, key: TokenKey, token: str, expires_at: float, now: float) -> None:
        """Keep `token` until `expires_at`; `now` is the caller's clock, so tests need not sleep."""
        ...

    def drop(self, key: TokenKey) -> None:
        """Forget the token: the platform refused it (revoked, or expired early)."""
        ...


class MemoryTokenCache:
    """Tokens in this process: the default without Redis, each gunicorn worker then asks for its own."""

    def __init__(self) -> None:
        self._tokens: dict[TokenKey, tuple[str, float]] = {}
        self._lock = threading.Lock()

    def get(self, key: TokenKey, now: float) -> str | None:
        with self._lock:
            found = self._tokens.get(key)
        return found[0] if found is not None and now < found[1] else None

    def put(self, key: TokenKey, token: str, expires_at: float, now: float) -> None:
        with self._lock:
            self._tokens[key] = (token, expires_at)

    def drop(self, key: TokenKey) -> None:
        with self._lock:
            self._tokens.pop(key, None)


class RedisTokenCache:
    """Tokens shared by every worker. A key lives as long as its token, so Redis forgets it by itself; the
    expiry is stored too and checked against the caller's clock, which keeps both caches alike in tests."""

    def __init__(self, client: redis.Redis) -> None:
        self.client = client

    def get(self, key: TokenKey, now: float) -> str | None:
        stored = self.client.get(_redis_name(key))
        if stored is None:
            return None
        token, expires_at = json.loads(stored)
        return str(token) if now < expires_at else None

    def put(self, key: TokenKey, token: str, expires_at: float, now: float) -> None:
        milliseconds = int((expires_at - now) * 1000)
        if milliseconds > 0:
            self.client.set(_redis_name(key), json.dumps([token, expires_at]), px=milliseconds)

    def drop(self, key: TokenKey) -> None:
        self.client.delete(_redis_name(key))


def _redis_name(key: TokenKey) -> str:
    return "stopsexting:lti_token:" + json.dumps(key)


_process_tokens = MemoryTokenCache()


def token_cache(redis_url: str | None = None) -> TokenCache:
    """Redis at `redis_url`, else at REDIS_URL, else this process's cache (one per process, shared by every
    client in it)."""
    url = redis_url or os.environ.get("REDIS_URL")
    if url:
        return RedisTokenCache(redis.Redis.from_url(url))
    return _process_tokens


@dataclass
class ServiceClient:
    """Sends requests to a platform's services with a cached access token. `http` and `tokens` are plain
    attributes so that tests can point them at a fake platform."""

    http: requests.Session
    tokens: TokenCache

    def request(self, sessions: sessionmaker[Session], registration: Registration, scopes: Collection[str],
                now: datetime, method: str, url: str, *, headers: Mapping[str, str],
                data: str | None = None) -> requests.Response:
        """The platform's answer, whatever its status, to a request carrying a token for `scopes`. A 401 is
        asked once more with a new token: the platform may have revoked the cached one or forgotten it in a
        restart, and the caller should not see that."""
        key = (registration.issuer, registration.client_id, " ".join(sorted(set(scopes))))
        token = self.tokens.get(key, now.timestamp())
        for last_try in (False, True):
            if token is None:
                token = self._fetch_token(sessions, registration, key, now)
            try:
                response = self.http.request(method, url, data=data, timeout=TIMEOUT,
                                             headers={**headers, "Authorization": f"Bearer {token}"})
            except requests.RequestException as error:
                raise ServiceError(f"{method} {url} failed: {error}") from error
            if response.status_code != 401 or last_try:
                break
            self.tokens.drop(key)
            token = None
        return response

    def _fetch_token(self, sessions: sessionmaker[Session], registration: Registration, key: TokenKey,
                     now: datetime) -> str:
        """client_credentials with a JWT assertion signed by our active key (LTI Security Framework §4.1)."""
        tool_key = keys.active_key(sessions)
        issued = int(now.timestamp())
        assertion = jwt.encode(
            {"iss": registration.client_id, "sub": registration.client_id,
             "aud": registration.auth_audience or registration.auth_token_url,
             "iat": issued, "exp": issued + ASSERTION_LIFETIME_SECONDS, "jti": uuid.uuid4().hex},
            tool_key.private_pem, algorithm="RS256", headers={"kid": tool_key.kid})
        form = {"grant_type": "client_credentials", "client_assertion_type": ASSERTION_TYPE,
                "client_assertion": assertion, "scope": key[2]}
        try:
            response = self.http.post(registration.auth_token_url, data=form, timeout=TIMEOUT)
        except requests.RequestException as error:
            raise ServiceError(f"access token request to {registration.auth_token_url} failed: {error}") from error
        try:
            reply = response.json() if response.ok else {}
            token, lifetime = reply["access_token"], float(reply.get("expires_in", DEFAULT_LIFETIME_SECONDS))
        except (ValueError, KeyError, TypeError):
            raise ServiceError.refused("platform gave no access token", response) from None
        if not isinstance(token, str):
            raise ServiceError("platform gave no access token: access_token is not a string")
        self.tokens.put(key, token, now.timestamp() + lifetime - TOKEN_MARGIN_SECONDS, now.timestamp())
        return token
