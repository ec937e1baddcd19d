"""Rows the LTI tests need over and over."""

from __future__ import annotations

from sqlalchemy.orm import Session

from exporter.lti.models import Deployment, Registration

ISSUER = "https://moodle.school.example"


def registration(session: Session, client_id: str = "client-1", *, issuer: str = ISSUER,
                 deployment_ids: tuple[str, ...] = ("1",), is_default: bool = False) -> Registration:
    row = Registration(issuer=issuer, client_id=client_id, auth_login_url=f"{issuer}/mod/lti/auth.php",
                       auth_token_url=f"{issuer}/mod/lti/token.php", key_set_url=f"{issuer}/mod/lti/certs.php",
                       is_default=is_default,
                       deployments=[Deployment(deployment_id=value) for value in deployment_ids])
    session.add(row)
    session.flush()
    return row
