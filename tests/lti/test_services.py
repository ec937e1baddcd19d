"""Access tokens for the platform's services: how they are asked for, cached, shared through Redis, and
renewed after a 401.

The platform is a `requests` transport adapter with a token endpoint (Moodle's token.php) and one service
URL that checks the bearer token; the clock is the `now` each call is given, so expiry needs no sleeping."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs

import jwt
import pytest
import redis
import requests
from requests.adapters import BaseAdapter
from sqlalchemy.orm import Session, sessionmaker

from exporter.lti import grades, keys, services
from exporter.lti.models import Registration
from tests.lti import factories

TOKEN_URL = f"{factories.ISSUER}/mod/lti/token.php"
SERVICE = f"{factories.ISSUER}/mod/lti/services.php/2/service?type_id=3"
SCOPE = "https://purl.imsglobal.org/spec/lti-nrps/scope/contextmembership.readonly"
NOW = datetime(2026, 12, 1, 9, 30, tzinfo=UTC)


class FakePlatform(BaseAdapter):
    """Issues `token-1`, `token-2`… and answers the service URLs in `pages` (url → status, body, headers)
    to a request whose bearer token it issued and did not revoke; 401 otherwise, as Moodle does."""

    def __init__(self) -> None:
        super().__init__()
        self.token_forms: list[dict[str, str]] = []
        self.lifetime = 3600
        self.token_refusal: tuple[int, str] | None = None
        self.revoked: set[str] = set()
        self.pages: dict[str, tuple[int, object, dict[str, str]]] = {SERVICE: (200, {"ok": True}, {})}
        self.calls: list[requests.PreparedRequest] = []
        self.issued: list[str] = []  # token-N answers the N-th token request

    def send(self, request: requests.PreparedRequest, *args: object, **kwargs: object) -> requests.Response:
        if request.url == TOKEN_URL:
            self.token_forms.append({name: values[0] for name, values in parse_qs(str(request.body)).items()})
            if self.token_refusal is not None:
                return reply(request, *self.token_refusal)
            self.issued.append(f"token-{len(self.token_forms)}")
            return reply(request, 200, json.dumps({"access_token": self.issued[-1], "token_type": "Bearer",
                                                   "expires_in": self.lifetime}))
        self.calls.append(request)
        token = request.headers.get("Authorization", "").removeprefix("Bearer ")
        if token not in self.issued or token in self.revoked:
            return reply(request, 401, '{"error": "invalid_token"}')
        status, body, headers = self.pages[str(request.url)]
        return reply(request, status, body if isinstance(body, str) else json.dumps(body), headers)

    def close(self) -> None:
        pass


def reply(request: requests.PreparedRequest, status: int, body: str,
          headers: dict[str, str] | None = None) -> requests.Response:
    response = requests.Response()
    response.status_code, response.request, response.url = status, request, str(request.url)
    response._content = body.encode()
    response.headers.update(headers or {})
    return response


def registration(client_id: str = "client-1", audience: str | None = None) -> Registration:
    """A platform as the database holds it; the token client only reads it."""
    return Registration(issuer=factories.ISSUER, client_id=client_id, auth_login_url=f"{factories.ISSUER}/auth",
                        auth_token_url=TOKEN_URL, auth_audience=audience, key_set_url=f"{factories.ISSUER}/certs")


def client(platform: FakePlatform, tokens: services.TokenCache | None = None) -> services.ServiceClient:
    http = requests.Session()
    http.mount("https://", platform)
    return services.ServiceClient(http, tokens or services.MemoryTokenCache())


def call(service: services.ServiceClient, sessions: sessionmaker[Session], now: datetime = NOW, *,
         platform: Registration | None = None, scopes: tuple[str, ...] = (SCOPE,)) -> requests.Response:
    return service.request(sessions, platform or registration(), scopes, now, "GET", SERVICE,
                           headers={"Accept": "application/json"})


def test_the_token_is_asked_for_with_an_assertion_signed_by_the_tools_key(sessions: sessionmaker[Session]) -> None:
    platform = FakePlatform()
    response = call(client(platform), sessions)
    assert response.status_code == 200
    [form] = platform.token_forms
    assert form.keys() == {"grant_type", "client_assertion_type", "client_assertion", "scope"}
    assert form["grant_type"] == "client_credentials"
    assert form["client_assertion_type"] == "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
    assert form["scope"] == SCOPE
    key = keys.active_key(sessions)
    assert jwt.get_unverified_header(form["client_assertion"]) == {"alg": "RS256", "typ": "JWT", "kid": key.kid}
    claims = jwt.decode(form["client_assertion"], key.public_pem, algorithms=["RS256"], audience=TOKEN_URL,
                        options={"verify_exp": False, "verify_iat": False})  # signed at NOW, not the clock's now
    assert claims.keys() == {"iss", "sub", "aud", "iat", "exp", "jti"}
    assert claims["iss"] == claims["sub"] == "client-1"
    assert (claims["iat"], claims["exp"]) == (NOW.timestamp(), NOW.timestamp() + 60)
    [sent] = platform.calls
    assert sent.headers["Authorization"] == "Bearer token-1" and sent.headers["Accept"] == "application/json"


def test_the_assertion_is_for_the_platforms_audience_when_it_names_one(sessions: sessionmaker[Session]) -> None:
    platform = FakePlatform()
    call(client(platform), sessions, platform=registration(audience="https://moodle.school.example/oauth"))
    claims = jwt.decode(platform.token_forms[0]["client_assertion"], options={"verify_signature": False})
    assert claims["aud"] == "https://moodle.school.example/oauth"


def test_one_token_serves_a_set_of_scopes_in_any_order_and_only_that_set(sessions: sessionmaker[Session]) -> None:
    platform = FakePlatform()
    service = client(platform)
    score = "https://purl.imsglobal.org/spec/lti-ags/scope/score"
    call(service, sessions, scopes=(SCOPE, score))
    call(service, sessions, scopes=(score, SCOPE, score))
    assert [form["scope"] for form in platform.token_forms] == [f"{score} {SCOPE}"]
    call(service, sessions, scopes=(score,))  # a token for fewer scopes is a different token
    assert [form["scope"] for form in platform.token_forms] == [f"{score} {SCOPE}", score]
    call(service, sessions, platform=registration("client-2"), scopes=(score,))  # and so is another client's
    assert len(platform.token_forms) == 3


@pytest.fixture(params=["memory", "redis"])
def shared(request: pytest.FixtureRequest) -> Iterator[tuple[services.TokenCache, services.TokenCache]]:
    """Two token caches as two gunicorn workers hold them: with Redis, separate clients of one server; without,
    one process's cache (the two workers would then each fetch their own)."""
    if request.param == "memory":
        cache = services.MemoryTokenCache()
        yield cache, cache
        return
    url: str = request.getfixturevalue("redis_url")
    first, second = redis.Redis.from_url(url), redis.Redis.from_url(url)
    yield services.RedisTokenCache(first), services.RedisTokenCache(second)
    first.close()
    second.close()


def test_a_token_is_reused_across_calls_and_clients_until_it_expires(
        sessions: sessionmaker[Session], shared: tuple[services.TokenCache, services.TokenCache]) -> None:
    platform = FakePlatform()
    one, other = client(platform, shared[0]), client(platform, shared[1])
    tool = registration(f"client-{uuid.uuid4().hex}")  # a key of its own in the shared Redis
    for service, seconds in [(one, 0), (one, 1), (other, 2), (other, 3600 - 31)]:
        assert call(service, sessions, NOW + timedelta(seconds=seconds), platform=tool).status_code == 200
    assert platform.issued == ["token-1"]
    call(other, sessions, NOW + timedelta(seconds=3600 - 30), platform=tool)  # expired, less the safety margin
    call(one, sessions, NOW + timedelta(seconds=3600 - 29), platform=tool)
    assert platform.issued == ["token-1", "token-2"]
    assert [sent.headers["Authorization"] for sent in platform.calls][-2:] == ["Bearer token-2"] * 2


def test_the_platforms_expires_in_is_honoured(sessions: sessionmaker[Session]) -> None:
    platform = FakePlatform()
    platform.lifetime = 300
    service = client(platform)
    call(service, sessions, NOW)
    call(service, sessions, NOW + timedelta(seconds=269))
    assert platform.issued == ["token-1"]
    call(service, sessions, NOW + timedelta(seconds=270))
    assert platform.issued == ["token-1", "token-2"]


def test_redis_keeps_a_token_exactly_as_long_as_it_lives(sessions: sessionmaker[Session], redis_url: str) -> None:
    platform = FakePlatform()
    connection = redis.Redis.from_url(redis_url)
    client_id = f"client-{uuid.uuid4().hex}"
    call(client(platform, services.RedisTokenCache(connection)), sessions, platform=registration(client_id))
    [name] = connection.keys(f"stopsexting:lti_token:*{client_id}*")
    assert 0 <= (3600 - 30) * 1000 - connection.pttl(name) < 5000  # milliseconds since the token was stored
    connection.close()


def test_a_401_drops_the_token_and_the_call_is_made_once_more_with_a_new_one(
        sessions: sessionmaker[Session]) -> None:
    platform = FakePlatform()
    service = client(platform)
    call(service, sessions)
    platform.revoked.add("token-1")  # the platform restarted, or an admin revoked the tool's tokens
    assert call(service, sessions, NOW + timedelta(seconds=5)).status_code == 200
    assert [sent.headers["Authorization"] for sent in platform.calls] == [
        "Bearer token-1", "Bearer token-1", "Bearer token-2"]
    call(service, sessions, NOW + timedelta(seconds=6))  # the new token is the one kept
    assert platform.issued == ["token-1", "token-2"] and platform.calls[-1].headers["Authorization"] == "Bearer token-2"


def test_a_token_refused_with_401_is_not_used_again_even_when_no_new_one_came(
        sessions: sessionmaker[Session]) -> None:
    platform = FakePlatform()
    service = client(platform)
    call(service, sessions)
    platform.revoked.add("token-1")
    platform.token_refusal = (503, "token.php is down")
    with pytest.raises(services.ServiceError, match=r"HTTP 503 token\.php is down"):
        call(service, sessions, NOW + timedelta(seconds=5))
    platform.token_refusal = None
    assert call(service, sessions, NOW + timedelta(seconds=10)).status_code == 200
    assert [sent.headers["Authorization"] for sent in platform.calls] == [
        "Bearer token-1", "Bearer token-1", "Bearer token-3"]  # the second token request was refused


def test_a_second_401_is_the_callers_to_report(sessions: sessionmaker[Session]) -> None:
    platform = FakePlatform()
    platform.revoked.update(f"token-{number}" for number in range(1, 10))  # the platform refuses our client
    assert call(client(platform), sessions).status_code == 401
    assert len(platform.token_forms) == len(platform.calls) == 2  # one retry, not a loop


def test_a_refused_token_request_says_what_the_platform_answered(sessions: sessionmaker[Session]) -> None:
    platform = FakePlatform()
    platform.token_refusal = (400, '{"error": "invalid_client", "error_description": "unknown kid"}')
    with pytest.raises(services.ServiceError) as refused:
        call(client(platform), sessions)
    assert str(refused.value) == ('platform gave no access token: HTTP 400 '
                                  '{"error": "invalid_client", "error_description": "unknown kid"}')
    assert refused.value.status == 400 and platform.calls == []


def test_an_unreachable_platform_is_an_error_naming_the_url(sessions: sessionmaker[Session]) -> None:
    class Down(BaseAdapter):
        def send(self, request: requests.PreparedRequest, *args: object, **kwargs: object) -> requests.Response:
            raise requests.ConnectionError("connection refused")

        def close(self) -> None:
            pass

    http = requests.Session()
    http.mount("https://", Down())
    with pytest.raises(services.ServiceError) as failed:
        call(services.ServiceClient(http, services.MemoryTokenCache()), sessions)
    assert str(failed.value) == f"access token request to {TOKEN_URL} failed: connection refused"
    assert failed.value.status is None


def test_workers_share_tokens_through_redis_when_redis_url_is_set(monkeypatch: pytest.MonkeyPatch,
                                                                  redis_url: str) -> None:
    """The grade sender the app builds takes its cache from REDIS_URL, as gunicorn's workers then do."""
    monkeypatch.delenv("REDIS_URL", raising=False)
    assert isinstance(grades.GradeSender().tokens, services.MemoryTokenCache)
    assert services.token_cache() is services.token_cache()  # one per process, for every client in it
    monkeypatch.setenv("REDIS_URL", redis_url)
    assert isinstance(grades.GradeSender().tokens, services.RedisTokenCache)
