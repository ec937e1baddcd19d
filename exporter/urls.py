"""The rule for every address the project stores or hands to a platform: https, or http on this machine."""

from __future__ import annotations

from urllib.parse import urlsplit

LOOPBACK_HOSTS = ("127.0.0.1", "localhost")


def secure_url_fault(url: str) -> str | None:
    """Why `url` is unfit, or None. Plain http would expose launches, tokens and keys in transit, so it is
    only for a tool or platform on this machine (`make serve`, tests)."""
    if any(character.isspace() for character in url):
        return f"'{url}' must not contain spaces"
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 -- parsing the port is what refuses a malformed one
    except ValueError as error:
        return f"'{url}' is not a valid URL ({error})"
    secure = parts.scheme == "https" or (parts.scheme == "http" and parts.hostname in LOOPBACK_HOSTS)
    if not secure or not parts.hostname:
        return f"'{url}' must be an absolute https URL (http only for localhost or 127.0.0.1)"
    return None
