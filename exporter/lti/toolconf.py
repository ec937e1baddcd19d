"""pylti1p3's view of our registrations. Its own ToolConfDict raises a bare Exception for an unknown issuer
or client, which a Flask view turns into a 500; here every refusal is an LtiException the web layer maps to 4xx.

Registrations, their deployments and the active tool key are read for every login and launch, several times
each by pylti1p3, and change only when an administrator runs `stopsexting lti …`. So each worker keeps what it
read for CACHE_SECONDS; a deployment the cache lacks is looked up again at once, because Moodle makes a new one
for every course-level tool and the administrator who just added it must not wait."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from pylti1p3.deployment import Deployment as LtiDeployment
from pylti1p3.exception import LtiException
from pylti1p3.registration import Registration as LtiRegistration
from pylti1p3.request import Request
from pylti1p3.tool_config.abstract import ToolConfAbstract
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from exporter.lti import keys
from exporter.lti.models import Deployment, Registration, ToolKey

CACHE_SECONDS = 30.0  # how long an administrator's change (a new key, new URLs) may take to reach every worker


@dataclass(frozen=True)
class Platform:
    """A registration as logins and launches need it, detached from any database session."""

    id: int
    issuer: str
    client_id: str
    auth_login_url: str
    auth_token_url: str
    auth_audience: str | None
    key_set_url: str
    deployments: Mapping[str, int]  # the platform's deployment_id → our row id

    @classmethod
    def read(cls, session: Session, row: Registration) -> Platform:
        deployments = session.execute(select(Deployment.deployment_id, Deployment.id).where(
            Deployment.registration_id == row.id))
        return cls(row.id, row.issuer, row.client_id, row.auth_login_url, row.auth_token_url, row.auth_audience,
                   row.key_set_url, {deployment_id: row_id for deployment_id, row_id in deployments})


class DbToolConf(ToolConfAbstract[Request]):
    """Many issuers, many client ids per issuer, many deployments per client, all read from the database."""

    def __init__(self, sessions: sessionmaker[Session], clock: Callable[[], float] = time.monotonic) -> None:
        self._sessions = sessions
        self._clock = clock
        self._platforms: dict[tuple[str, str | None], tuple[float, Platform]] = {}
        self._key: tuple[float, ToolKey] | None = None
        self._lock = threading.Lock()

    def check_iss_has_one_client(self, iss: str) -> bool:
        return False

    def check_iss_has_many_clients(self, iss: str) -> bool:
        return True

    def platform(self, iss: str, client_id: str | None, *, fresh: bool = False) -> Platform:
        """The registration for (issuer, client_id) from the cache while it is recent, else from the database."""
        key = (iss, client_id)
        with self._lock:
            cached = self._platforms.get(key)
        if cached is not None and not fresh and self._clock() - cached[0] < CACHE_SECONDS:
            return cached[1]
        with self._sessions() as session:
            found = Platform.read(session, registration(session, iss, client_id))
        with self._lock:
            self._platforms[key] = (self._clock(), found)
        return found

    def deployment(self, iss: str, client_id: str | None, deployment_id: str) -> int | None:
        """Our row id of the platform's deployment, or None when it is not registered (checked afresh)."""
        try:
            found = self.platform(iss, client_id)
            if deployment_id not in found.deployments:
                found = self.platform(iss, client_id, fresh=True)
        except LtiException:
            return None
        return found.deployments.get(deployment_id)

    def active_key(self) -> ToolKey:
        """The key the tool signs with; a rotation reaches this worker within CACHE_SECONDS, and the key it
        replaces stays published for a day (exporter.lti.keys), so what was signed with it still verifies."""
        with self._lock:
            cached = self._key
        if cached is not None and self._clock() - cached[0] < CACHE_SECONDS:
            return cached[1]
        key = keys.active_key(self._sessions)
        with self._lock:
            self._key = (self._clock(), key)
        return key

    def find_registration_by_issuer(self, iss: str, *args: Any, **kwargs: Any) -> LtiRegistration:
        return self.find_registration_by_params(iss, None)

    def find_registration_by_params(self, iss: str, client_id: str | None, *args: Any,
                                    **kwargs: Any) -> LtiRegistration:
        found, key = self.platform(iss, client_id), self.active_key()
        registration = (LtiRegistration().set_issuer(found.issuer).set_client_id(found.client_id)
                        .set_auth_login_url(found.auth_login_url).set_auth_token_url(found.auth_token_url)
                        .set_key_set_url(found.key_set_url).set_key_set(None)
                        .set_tool_private_key(key.private_pem).set_tool_public_key(key.public_pem))
        if found.auth_audience:
            registration.set_auth_audience(found.auth_audience)
        return registration

    def find_deployment(self, iss: str, deployment_id: str) -> LtiDeployment | None:
        return self.find_deployment_by_params(iss, deployment_id, None)

    def find_deployment_by_params(self, iss: str, deployment_id: str, client_id: str | None, *args: Any,
                                  **kwargs: Any) -> LtiDeployment | None:
        """None for a deployment we do not know, which pylti1p3 reports as a launch error."""
        if self.deployment(iss, client_id, deployment_id) is None:
            return None
        return LtiDeployment().set_deployment_id(deployment_id)

    def get_jwks(self, iss: str | None = None, client_id: str | None = None, **kwargs: Any) -> dict[str, Any]:
        """Every published tool key: one key set serves all platforms."""
        return keys.jwks(self._sessions)


def registration(session: Session, issuer: str, client_id: str | None) -> Registration:
    """The registration for (issuer, client_id). Logins may omit client_id; then the issuer's only
    registration, or the one marked default, is meant, and anything else is ambiguous."""
    query = select(Registration).where(Registration.issuer == issuer)
    if client_id is not None:
        row = session.scalars(query.where(Registration.client_id == client_id)).one_or_none()
        if row is None:
            raise LtiException(f"unknown platform: issuer {issuer!r} with client id {client_id!r} is not registered")
        return row
    rows = list(session.scalars(query))
    if len(rows) == 1:
        return rows[0]
    defaults = [row for row in rows if row.is_default]
    if defaults:
        return defaults[0]
    if not rows:
        raise LtiException(f"unknown platform: issuer {issuer!r} is not registered")
    raise LtiException(f"issuer {issuer!r} has {len(rows)} registrations and none is the default: "
                       "the platform must send client_id")
