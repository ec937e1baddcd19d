"""pylti1p3 finds registrations and deployments in the database, and refusals are LtiExceptions (4xx)."""

from __future__ import annotations

import jwt
import pytest
from pylti1p3.exception import LtiException
from sqlalchemy.orm import Session, sessionmaker

from exporter.lti import keys
from exporter.lti.toolconf import DbToolConf
from tests.lti.factories import ISSUER, registration


@pytest.fixture
def conf(sessions: sessionmaker[Session]) -> DbToolConf:
    with sessions.begin() as session:
        registration(session, "client-1", deployment_ids=("1", "2"))
        registration(session, "client-2", deployment_ids=("3",))
        registration(session, "only", issuer="https://canvas.example", deployment_ids=("c",))
    return DbToolConf(sessions)


def test_registration_is_found_by_issuer_and_client_id(conf: DbToolConf, sessions: sessionmaker[Session]) -> None:
    found = conf.find_registration_by_params(ISSUER, "client-2")
    assert (found.get_issuer(), found.get_client_id()) == (ISSUER, "client-2")
    assert found.get_auth_login_url() == f"{ISSUER}/mod/lti/auth.php"
    assert found.get_auth_token_url() == f"{ISSUER}/mod/lti/token.php"
    assert found.get_key_set_url() == f"{ISSUER}/mod/lti/certs.php"
    assert found.get_tool_private_key() == keys.active_key(sessions).private_pem
    assert found.get_kid() == keys.active_key(sessions).kid
    assert not conf.check_iss_has_one_client(ISSUER)
    assert conf.check_iss_has_many_clients(ISSUER)


def test_without_client_id_the_only_or_default_registration_is_used(conf: DbToolConf,
                                                                    sessions: sessionmaker[Session]) -> None:
    assert conf.find_registration_by_issuer("https://canvas.example").get_client_id() == "only"
    with pytest.raises(LtiException, match="none is the default"):
        conf.find_registration_by_params(ISSUER, None)
    with sessions.begin() as session:
        registration(session, "client-3", is_default=True, deployment_ids=())
    assert conf.find_registration_by_params(ISSUER, None).get_client_id() == "client-3"


@pytest.mark.parametrize(("issuer", "client_id"), [
    ("https://unknown.example", "client-1"), ("https://unknown.example", None), (ISSUER, "client-9"),
])
def test_unknown_platforms_are_refused_with_an_lti_exception(conf: DbToolConf, issuer: str,
                                                             client_id: str | None) -> None:
    with pytest.raises(LtiException, match="not registered"):
        conf.find_registration_by_params(issuer, client_id)


def test_deployments_are_looked_up_per_registration(conf: DbToolConf) -> None:
    found = conf.find_deployment_by_params(ISSUER, "2", "client-1")
    assert found is not None and found.get_deployment_id() == "2"
    assert conf.find_deployment_by_params(ISSUER, "3", "client-1") is None  # belongs to client-2
    assert conf.find_deployment_by_params(ISSUER, "99", "client-1") is None
    assert conf.find_deployment_by_params("https://unknown.example", "1", "client-1") is None
    canvas = conf.find_deployment("https://canvas.example", "c")
    assert canvas is not None and canvas.get_deployment_id() == "c"


def test_what_the_tool_signs_verifies_against_its_published_key_set(conf: DbToolConf) -> None:
    found = conf.find_registration_by_params(ISSUER, "client-1")
    token = jwt.encode({"iss": "client-1", "aud": found.get_auth_token_url()}, found.get_tool_private_key(),
                       algorithm="RS256", headers={"kid": found.get_kid()})
    key_set = jwt.PyJWKSet.from_dict(conf.get_jwks())
    claims = jwt.decode(token, key_set[found.get_kid()], algorithms=["RS256"], audience=found.get_auth_token_url())
    assert claims["iss"] == "client-1"
    assert conf.get_jwks(ISSUER, "client-1") == conf.get_jwks()  # one key set for every platform
