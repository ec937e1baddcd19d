"""The runtime's session token: bound to one launch, signed, short-lived."""

from __future__ import annotations

import pytest

from exporter.lti.session import SessionError, issue, verify

SECRET = b"s" * 32


def test_a_token_names_its_launch() -> None:
    assert verify(SECRET, issue(SECRET, "launch-1")) == "launch-1"


def test_a_token_expires() -> None:
    token = issue(SECRET, "launch-1", 60, now=1000.0)
    assert verify(SECRET, token, now=1059.0) == "launch-1"
    with pytest.raises(SessionError, match="expired"):
        verify(SECRET, token, now=1060.0)


def test_another_secret_or_a_changed_payload_is_refused() -> None:
    token = issue(SECRET, "launch-1")
    with pytest.raises(SessionError, match="signature"):
        verify(b"t" * 32, token)
    forged = issue(SECRET, "launch-2").split(".")[0] + "." + token.split(".")[1]
    with pytest.raises(SessionError, match="signature"):
        verify(SECRET, forged)


@pytest.mark.parametrize("token", ["", "abc", "abc.", ".abc", "a.b.c", "éé.éé", "abc.!!!"])
def test_malformed_tokens_are_refused(token: str) -> None:
    with pytest.raises(SessionError):
        verify(SECRET, token)
