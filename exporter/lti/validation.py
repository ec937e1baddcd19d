"""The launch checks pylti1p3 2.0.0 leaves out (../shared/lti.md section 5, rows marked ACCEPTED or 500).

pylti1p3 verifies the signature, deployment, version, message type, roles presence and the resource link; it
does not require `exp`/`iat`, bound the token's age, apply the `aud`/`azp` rules, pin the algorithm, check
`target_link_uri` or type-check `roles`. These functions do, on claims whose signature pylti1p3 has checked
(except `client_id`, which picks the registration whose key then checks the signature)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

CLAIM = "https://purl.imsglobal.org/spec/lti/claim/"
TARGET_LINK_URI = CLAIM + "target_link_uri"
ROLES = CLAIM + "roles"
ALGORITHM = "RS256"  # the Security Framework's SHOULD; an allow-list, so a JWKS key claiming RS512 is refused
LEEWAY_SECONDS = 60  # clock drift between the platform and us
MAX_AGE_SECONDS = 600  # an id_token is used seconds after it is issued; older ones are replays or leaks


class LaunchRefused(Exception):
    """A launch we turn down: `status` is the HTTP status, the message is shown to the person launching."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


def client_id(body: Mapping[str, Any]) -> str:
    """Our client id in `aud`. pylti1p3 takes `aud[0]`, so a platform listing another audience first is refused;
    the Security Framework lets `aud` be a list, requires `azp` then, and requires `azp` to name us."""
    aud = body.get("aud")
    audiences = [aud] if isinstance(aud, str) else aud
    if not isinstance(audiences, list) or not audiences or not all(isinstance(a, str) and a for a in audiences):
        raise LaunchRefused(400, "the id_token has no audience (aud)")
    azp = body.get("azp")
    if azp is None:
        if len(audiences) > 1:
            raise LaunchRefused(403, "the id_token names several audiences but no authorized party (azp)")
        return str(audiences[0])
    if not isinstance(azp, str) or azp not in audiences:
        raise LaunchRefused(403, "the id_token's authorized party (azp) is not one of its audiences (aud)")
    return azp


def header_algorithm(header: Mapping[str, Any]) -> None:
    if header.get("alg") != ALGORITHM:
        raise LaunchRefused(403, f"the id_token is signed with {header.get('alg')!r}; only {ALGORITHM} is accepted")


def timestamps(body: Mapping[str, Any], now: float) -> None:
    """`exp` and `iat` are required (OIDC), `iat` not in the future and not older than MAX_AGE_SECONDS."""
    for claim in ("exp", "iat"):
        if not isinstance(body.get(claim), int | float) or isinstance(body.get(claim), bool):
            raise LaunchRefused(403, f"the id_token has no valid {claim!r} time")
    if body["exp"] < now - LEEWAY_SECONDS:
        raise LaunchRefused(403, "the id_token has expired")
    if body["iat"] > now + LEEWAY_SECONDS:
        raise LaunchRefused(403, "the id_token was issued in the future: check the platform's clock")
    if body["iat"] < now - MAX_AGE_SECONDS - LEEWAY_SECONDS:
        raise LaunchRefused(403, "the id_token is too old")


def claims(body: Mapping[str, Any]) -> None:
    """Core LTI claims pylti1p3 does not require or does not type-check."""
    target = body.get(TARGET_LINK_URI)
    if not isinstance(target, str) or not target:
        raise LaunchRefused(403, "the launch has no target_link_uri")
    roles = body.get(ROLES)
    if not isinstance(roles, list) or not all(isinstance(role, str) for role in roles):
        raise LaunchRefused(403, "the launch's roles are not a list of role names")


def target(body: Mapping[str, Any], login_target: str) -> str:
    """The launch must go where the login said: a token minted for another resource is not reusable here.
    The login already checked that this is our host (`on_this_host`), and the nonce carries its target signed."""
    claimed = str(body[TARGET_LINK_URI])
    if claimed != login_target:
        raise LaunchRefused(403, "the launch's target_link_uri differs from the one the login asked for")
    return claimed


def on_this_host(url: str, host: str) -> bool:
    """Compared by host name only: a TLS proxy in front of the tool changes the scheme and port we see."""
    parts = urlsplit(url)
    return parts.scheme in ("http", "https") and parts.hostname == urlsplit(f"//{host}").hostname
