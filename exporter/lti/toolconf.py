"""pylti1p3's view of our registrations. Its own ToolConfDict raises a bare Exception for an unknown issuer
or client, which a Flask view turns into a 500; here every refusal is an LtiException the web layer maps to 4xx."""

from __future__ import annotations

from typing import Any

from pylti1p3.deployment import Deployment as LtiDeployment
from pylti1p3.exception import LtiException
from pylti1p3.registration import Registration as LtiRegistration
from pylti1p3.request import Request
from pylti1p3.tool_config.abstract import ToolConfAbstract
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from exporter.lti import keys
from exporter.lti.models import Deployment, Registration


class DbToolConf(ToolConfAbstract[Request]):
    """Many issuers, many client ids per issuer, many deployments per client, all read from the database."""

    def __init__(self, sessions: sessionmaker[Session]) -> None:
        self._sessions = sessions

    def check_iss_has_one_client(self, iss: str) -> bool:
        return False

    def check_iss_has_many_clients(self, iss: str) -> bool:
        return True

    def find_registration_by_issuer(self, iss: str, *args: Any, **kwargs: Any) -> LtiRegistration:
        return self.find_registration_by_params(iss, None)

    def find_registration_by_params(self, iss: str, client_id: str | None, *args: Any,
                                    **kwargs: Any) -> LtiRegistration:
        with self._sessions() as session:
            row = registration(session, iss, client_id)
        key = keys.active_key(self._sessions)
        found = (LtiRegistration().set_issuer(row.issuer).set_client_id(row.client_id)
                 .set_auth_login_url(row.auth_login_url).set_auth_token_url(row.auth_token_url)
                 .set_key_set_url(row.key_set_url).set_key_set(None)
                 .set_tool_private_key(key.private_pem).set_tool_public_key(key.public_pem))
        if row.auth_audience:
            found.set_auth_audience(row.auth_audience)
        return found

    def find_deployment(self, iss: str, deployment_id: str) -> LtiDeployment | None:
        return self.find_deployment_by_params(iss, deployment_id, None)

    def find_deployment_by_params(self, iss: str, deployment_id: str, client_id: str | None, *args: Any,
                                  **kwargs: Any) -> LtiDeployment | None:
        """None for a deployment we do not know, which pylti1p3 reports as a launch error."""
        with self._sessions() as session:
            try:
                row = registration(session, iss, client_id)
            except LtiException:
                return None
            known = session.scalar(select(Deployment.id).where(
                Deployment.registration_id == row.id, Deployment.deployment_id == deployment_id))
        return None if known is None else LtiDeployment().set_deployment_id(deployment_id)

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
