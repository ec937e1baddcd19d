"""Platform key sets are cached, and a platform that rotates its key keeps launching (issue 5: fault tests)."""

from __future__ import annotations

from typing import Any

from jwcrypto.jwk import JWK

from exporter.lti.app import KEY_SETS
from exporter.lti.keysets import LIFETIME_SECONDS, REFETCH_SECONDS, KeySets
from tests.lti.platform import PlatformKey, peer_launch, rows, tool_app


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def peer_key() -> PlatformKey:
    key = PlatformKey()
    key.kid = JWK.from_pem(key.public_pem.encode()).thumbprint()  # the kid lti1p3platform signs with
    return key


def test_a_key_set_is_fetched_once_while_fresh_and_again_when_stale() -> None:
    clock, fetched = Clock(), []
    sets = KeySets(clock)

    def fetch() -> Any:
        fetched.append(clock.now)
        return {"keys": [{"kid": str(len(fetched))}]}

    assert sets.get("u", fetch) == sets.get("u", fetch) == {"keys": [{"kid": "1"}]}
    clock.now += LIFETIME_SECONDS
    assert sets.get("u", fetch) == {"keys": [{"kid": "2"}]}
    assert len(fetched) == 2


def test_a_refresh_is_refused_right_after_a_fetch() -> None:
    """Made-up key ids in forged tokens must not turn into a flood of requests to the platform."""
    clock, fetched = Clock(), []
    sets = KeySets(clock)

    def fetch() -> Any:
        fetched.append(clock.now)
        return {"keys": []}

    sets.get("u", fetch)
    assert sets.refresh("u", fetch) is None
    clock.now += REFETCH_SECONDS
    assert sets.refresh("u", fetch) == {"keys": []}
    assert len(fetched) == 2


def test_launches_reuse_the_key_set_and_survive_a_platform_key_rotation(database_url: str) -> None:
    current, fetches = [peer_key()], []

    def jwks(url: str) -> dict[str, Any]:
        fetches.append(url)
        return current[0].jwks()

    app = tool_app(database_url, jwks)
    clock = Clock()
    app.config[KEY_SETS] = KeySets(clock)
    client = app.test_client()
    assert peer_launch(client, current[0], "student-1").status_code == 200
    assert peer_launch(client, current[0], "student-2").status_code == 200
    assert len(fetches) == 1, "the second launch used the cached key set"

    current[0] = peer_key()  # the platform rotates its signing key and publishes the new set
    clock.now += REFETCH_SECONDS
    assert peer_launch(client, current[0], "student-3").status_code == 200
    assert len(fetches) == 2 and rows(app) == (3, 0)


def test_an_unknown_key_right_after_a_fetch_is_refused_without_asking_again(database_url: str) -> None:
    original, fetches = peer_key(), []

    def jwks(url: str) -> dict[str, Any]:
        fetches.append(url)
        return original.jwks()

    app = tool_app(database_url, jwks)
    clock = Clock()
    app.config[KEY_SETS] = KeySets(clock)
    client = app.test_client()
    assert peer_launch(client, original, "student-1").status_code == 200
    response = peer_launch(client, peer_key(), "intruder")  # a key the platform never published
    assert response.status_code == 403 and "Unable to find public key" in response.get_data(as_text=True)
    assert len(fetches) == 1 and rows(app) == (1, 0)
