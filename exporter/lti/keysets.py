"""Platforms' public key sets (JWKS), cached per worker.

Fetching the key set on every launch makes each launch wait on the platform and multiplies its load by our
traffic. A token whose key the cached set lacks (the platform rotated its keys) gets one fresh copy, at
most once per REFETCH_SECONDS per URL, so forged tokens with made-up key ids cannot make us hammer it."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

from pylti1p3.registration import TKeySet

KeySet = TKeySet  # what pylti1p3 calls a key set: {"keys": [JWK, …]}

LIFETIME_SECONDS = 3600.0
REFETCH_SECONDS = 10.0


class KeySets:
    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._sets: dict[str, tuple[float, KeySet]] = {}
        self._lock = threading.Lock()

    def get(self, url: str, fetch: Callable[[], KeySet]) -> KeySet:
        """The cached set while it is fresh, else a new one from `fetch`."""
        with self._lock:
            entry = self._sets.get(url)
        if entry is not None and self._clock() - entry[0] < LIFETIME_SECONDS:
            return entry[1]
        return self._store(url, fetch())

    def refresh(self, url: str, fetch: Callable[[], KeySet]) -> KeySet | None:
        """A new copy after a key was not found, or None when the last fetch is too recent to ask again."""
        with self._lock:
            entry = self._sets.get(url)
        if entry is not None and self._clock() - entry[0] < REFETCH_SECONDS:
            return None
        return self._store(url, fetch())

    def _store(self, url: str, key_set: KeySet) -> KeySet:
        with self._lock:
            self._sets[url] = (self._clock(), key_set)
        return key_set
