"""A course's members over NRPS: the request a platform expects, pages followed through any spelling of
`Link: rel="next"`, query strings kept, a cap on pages, refusals explained, a refused token renewed.

Two platforms answer: the fake of test_services.py with hand-written pages, and the PyPI platform
`lti1p3platform`, whose NamesRoleProvisioningService checks the token it issued and pages with a Link header."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import parse_qs, parse_qsl, urlsplit

import pytest
import requests
from lti1p3platform.membership import Context as PeerContext
from lti1p3platform.nrps import LtiNrps
from lti1p3platform.request import Request as PeerRequest
from lti1p3platform.response import generate_next_link
from lti1p3platform.service_connector import NamesRoleProvisioningService, TPage
from requests.adapters import BaseAdapter
from sqlalchemy.orm import Session, sessionmaker

from exporter.lti import keys, nrps, services
from exporter.lti.models import utcnow
from tests.lti import factories
from tests.lti.platform import PeerConf, PlatformKey
from tests.lti.test_services import NOW, TOKEN_URL, FakePlatform, client, registration, reply

MEMBERSHIPS = f"{factories.ISSUER}/mod/lti/services.php/CourseSection/2/bindings/3/memberships"
CONTEXT = {"id": "2", "label": "7A", "title": "7-А клас"}
LEARNER = "http://purl.imsglobal.org/vocab/lis/v2/membership#Learner"
INSTRUCTOR = "http://purl.imsglobal.org/vocab/lis/v2/membership#Instructor"


def container(*members: dict[str, Any]) -> dict[str, Any]:
    return {"id": MEMBERSHIPS, "context": CONTEXT, "members": list(members)}


def learner(user_id: str) -> dict[str, Any]:
    return {"user_id": user_id, "roles": [LEARNER], "status": "Active"}


def roster(platform: FakePlatform, sessions: sessionmaker[Session], url: str,
           service: services.ServiceClient | None = None) -> nrps.Roster:
    return nrps.members(service or client(platform), sessions, registration(), url, NOW)


def test_the_request_carries_the_nrps_media_type_and_a_token_for_its_scope(sessions: sessionmaker[Session]) -> None:
    """Moodle answers the old LIS format unless the Accept header names the NRPS container exactly."""
    platform = FakePlatform()
    platform.pages[MEMBERSHIPS] = (200, container(
        {"user_id": "41", "roles": [INSTRUCTOR], "status": "Active", "name": "Оксана Коваль",
         "given_name": "Оксана", "family_name": "Коваль", "email": "o.koval@school.example",
         "lis_person_sourcedid": "t-41", "message": [{"foo": "bar"}]},
        {"user_id": 42, "roles": [LEARNER, "Mentor"]},  # a PHP platform's number; no status means Active
        {"user_id": "43", "roles": [], "status": "Inactive"},
    ), {"Content-Type": nrps.MEMBERSHIP_TYPE})
    result = roster(platform, sessions, MEMBERSHIPS)
    [sent] = platform.calls
    assert sent.method == "GET" and sent.url == MEMBERSHIPS
    assert sent.headers["Accept"] == "application/vnd.ims.lti-nrps.v2.membershipcontainer+json"
    assert sent.headers["Authorization"] == "Bearer token-1"
    assert [form["scope"] for form in platform.token_forms] == [
        "https://purl.imsglobal.org/spec/lti-nrps/scope/contextmembership.readonly"]
    assert result.context == nrps.Context(id="2", label="7A", title="7-А клас")
    assert result.members == (
        nrps.Member(user_id="41", roles=(INSTRUCTOR,), status="Active", name="Оксана Коваль", given_name="Оксана",
                    family_name="Коваль", email="o.koval@school.example"),
        nrps.Member(user_id="42", roles=(LEARNER, "Mentor"), status="Active"),
        nrps.Member(user_id="43", roles=(), status="Inactive"),
    )
    assert result.members[1].name is None and result.members[1].email is None


def test_pages_are_followed_through_links_spelled_any_way_with_their_queries_kept(
        sessions: sessionmaker[Session]) -> None:
    """Three pages, each `next` written differently: among other links in one header with an upper-case
    REL and Next; unquoted after a quoted parameter holding a comma and a semicolon; relative. The cursor's
    case survives (pylti1p3 lowercases it, lti.md §1.4) and so does the first URL's query."""
    first = f"{MEMBERSHIPS}?type_id=3"
    second = f"{MEMBERSHIPS}?type_id=3&Cursor=AbC"
    third = f"{MEMBERSHIPS}?type_id=3&Cursor=XyZ"
    platform = FakePlatform()
    platform.pages[first] = (200, container(learner("1"), learner("2")), {
        "Link": f'<{MEMBERSHIPS}?type_id=3&since=1>; rel="differences", <{second}>; REL="Next"'})
    platform.pages[second] = (200, container(learner("3"), learner("4")), {
        "link": f'<{first}>;rel=first,<{third}>; title="page 3, of 3; last"; rel=next'})
    platform.pages[third] = (200, {**container(learner("5")), "context": {"id": "2"}}, {
        "Link": f'<{second}>; rel="prev"'})
    result = roster(platform, sessions, first)
    assert [sent.url for sent in platform.calls] == [first, second, third]
    assert [member.user_id for member in result.members] == ["1", "2", "3", "4", "5"]
    assert result.context.title == "7-А клас"  # as the first page names it
    assert platform.issued == ["token-1"]  # one token for every page


def test_a_relative_next_link_is_resolved_against_the_page(sessions: sessionmaker[Session]) -> None:
    platform = FakePlatform()
    platform.pages[MEMBERSHIPS] = (200, container(learner("1")), {"Link": '<memberships?page=2>; rel="next"'})
    platform.pages[f"{MEMBERSHIPS}?page=2"] = (200, container(learner("2")), {})
    assert [member.user_id for member in roster(platform, sessions, MEMBERSHIPS).members] == ["1", "2"]


@pytest.mark.parametrize(("header", "target"), [
    ("", None),
    ('<https://p.example/a>; rel="prev"', None),
    ('<https://p.example/a>; rel="prev next"', "https://p.example/a"),  # several relation types
    ('<https://p.example/a>; rel=NEXT', "https://p.example/a"),
    ('<https://p.example/a>; title="rel=next"; rel=last', None),  # the words inside another parameter
    ('<https://p.example/a;b,c>; rel=next', "https://p.example/a;b,c"),  # separators inside the URL
    ('<https://p.example/a>; rel="prev", <https://p.example/b?Q=1>; rel="next"', "https://p.example/b?Q=1"),
    ('garbage, <https://p.example/b>; rel=next', "https://p.example/b"),
])
def test_the_next_link_is_read_from_the_header(header: str, target: str | None) -> None:
    assert nrps.next_link(header) == target


def test_a_platform_paging_in_a_loop_is_given_up_on(sessions: sessionmaker[Session]) -> None:
    platform = FakePlatform()
    platform.pages[MEMBERSHIPS] = (200, container(learner("1")), {"Link": f"<{MEMBERSHIPS}>; rel=next"})
    with pytest.raises(services.ServiceError) as stopped:
        roster(platform, sessions, MEMBERSHIPS)
    assert str(stopped.value) == (f"the member list at {MEMBERSHIPS} still had a next page after 100 pages; "
                                  "the platform seems to be paging in a loop")
    assert len(platform.calls) == nrps.MAX_PAGES == 100


def test_a_refused_token_is_renewed_and_the_list_still_read(sessions: sessionmaker[Session]) -> None:
    platform = FakePlatform()
    platform.pages[MEMBERSHIPS] = (200, container(learner("1")), {})
    service = client(platform)
    roster(platform, sessions, MEMBERSHIPS, service)
    platform.revoked.add("token-1")
    assert [member.user_id for member in roster(platform, sessions, MEMBERSHIPS, service).members] == ["1"]
    assert [sent.headers["Authorization"] for sent in platform.calls] == [
        "Bearer token-1", "Bearer token-1", "Bearer token-2"]


def test_a_refusal_says_where_with_the_status_and_the_start_of_the_platforms_answer(
        sessions: sessionmaker[Session]) -> None:
    platform = FakePlatform()
    reason = '{"status": 403, "reason": "Access to the memberships service is not enabled for this tool"}'
    platform.pages[MEMBERSHIPS] = (403, reason + " " * 400 + "the rest of a long page", {})
    with pytest.raises(services.ServiceError) as refused:
        roster(platform, sessions, MEMBERSHIPS)
    assert str(refused.value) == f"the platform refused the member list at {MEMBERSHIPS}: HTTP 403 {reason}"
    assert refused.value.status == 403


def test_a_token_the_platform_keeps_refusing_ends_as_a_refusal(sessions: sessionmaker[Session]) -> None:
    platform = FakePlatform()
    platform.revoked.update(f"token-{number}" for number in range(1, 10))
    with pytest.raises(services.ServiceError, match=r"refused the member list at .*: HTTP 401 .*invalid_token"):
        roster(platform, sessions, MEMBERSHIPS)
    assert len(platform.calls) == 2


@pytest.mark.parametrize(("body", "problem"), [
    ("<html>Moodle is being upgraded</html>", "Invalid JSON"),
    (json.dumps(container({"roles": [LEARNER]})), "members.0.user_id: Field required"),
    (json.dumps({"id": MEMBERSHIPS, "members": []}), "context: Field required"),
])
def test_an_answer_that_is_not_a_membership_container_is_explained(sessions: sessionmaker[Session], body: str,
                                                                   problem: str) -> None:
    platform = FakePlatform()
    platform.pages[MEMBERSHIPS] = (200, body, {})
    with pytest.raises(services.ServiceError) as refused:
        roster(platform, sessions, MEMBERSHIPS)
    assert str(refused.value).startswith(f"the member list at {MEMBERSHIPS} is not an NRPS membership container: ")
    assert problem in str(refused.value)


# The PyPI platform: its token endpoint and NRPS service, answered in process.

PEER_MEMBERS = [{"user_id": f"user-{number}", "roles": [LEARNER], "name": f"Учень {number}"} for number in range(5)]


class PeerMemberships(NamesRoleProvisioningService):
    def get_member_data_page(self, page: int = 1, limit: int | None = None, role: str | None = None,
                             since: str | None = None) -> TPage:
        size = limit or len(PEER_MEMBERS)
        start = (page - 1) * size
        return {"content": PEER_MEMBERS[start:start + size], "has_next": start + size < len(PEER_MEMBERS)}

    def get_context_by_id(self) -> PeerContext:
        return PeerContext(id="course-1", label="7A", title="7-А")


class PreparedPeerRequest(PeerRequest):
    def build_metadata(self, request: Any) -> Any:
        url = urlsplit(request.url)
        # The service adds 1 to `page` as it comes from the query, a string; its Django adapter would fail the
        # same way on a second page, so numbers are handed over as numbers.
        query = {name: int(value) if value.isdigit() else value for name, value in parse_qsl(url.query)}
        return {"method": request.method, "form_data": {}, "get_data": query, "headers": request.headers,
                "content_type": request.headers.get("Content-Type"), "path": url.path, "json": None}


class PeerServices(BaseAdapter):
    """lti1p3platform's token endpoint and NRPS service behind the transport adapter, turning the service's
    answer into HTTP as the package's Django adapter does (a `next` becomes `Link: <…>; rel=next`)."""

    def __init__(self, conf: PeerConf) -> None:
        super().__init__()
        self.conf = conf
        self.urls: list[str] = []
        self.tokens = 0

    def send(self, request: requests.PreparedRequest, *args: object, **kwargs: object) -> requests.Response:
        if request.url == TOKEN_URL:
            self.tokens += 1
            form = {name: values[0] for name, values in parse_qs(str(request.body)).items()}
            return reply(request, 200, json.dumps(self.conf.get_access_token(form)))
        self.urls.append(str(request.url))
        service = PeerMemberships(PreparedPeerRequest(request), self.conf, MEMBERSHIPS)
        answer = service.handle_resp(service.handle_get_members)
        headers = {"Content-Type": answer.media_type}
        if answer.code >= 300:
            return reply(request, answer.code, json.dumps({"error": answer.message}), headers)
        if answer.result.get("next"):
            headers["Link"] = generate_next_link(answer.result["next"])
        return reply(request, answer.code, json.dumps(answer.result), headers)

    def close(self) -> None:
        pass


@pytest.fixture
def peer(sessions: sessionmaker[Session]) -> services.ServiceClient:
    http = requests.Session()
    http.mount("https://", PeerServices(PeerConf(key=PlatformKey(), tool_jwks=keys.jwks(sessions))))
    return services.ServiceClient(http, services.MemoryTokenCache())


def test_lti1p3platform_serves_the_members_over_three_pages(sessions: sessionmaker[Session],
                                                             peer: services.ServiceClient) -> None:
    """The URL comes from the peer's own launch claim; `limit=2` in it makes the peer page 2 + 2 + 1. The peer
    checks our token (its signature and the NRPS scope) on every page, and our assertion against our JWKS."""
    claim = LtiNrps(f"{MEMBERSHIPS}?limit=2").get_lti_nrps_launch_claim()
    url = claim[nrps.CLAIM]["context_memberships_url"]
    result = nrps.members(peer, sessions, registration(), url, utcnow())
    assert result.context == nrps.Context(id="course-1", label="7A", title="7-А")
    assert [(member.user_id, member.name, member.status) for member in result.members] == [
        (f"user-{number}", f"Учень {number}", "Active") for number in range(5)]
    adapter = peer.http.get_adapter(MEMBERSHIPS)
    assert isinstance(adapter, PeerServices)
    assert adapter.urls == [f"{MEMBERSHIPS}?limit=2", f"{MEMBERSHIPS}?limit=2&page=2", f"{MEMBERSHIPS}?limit=2&page=3"]
    assert adapter.tokens == 1


def test_lti1p3platform_refuses_a_token_without_the_nrps_scope(sessions: sessionmaker[Session],
                                                               peer: services.ServiceClient) -> None:
    """A token the tool asked for scores only is refused by the peer's NRPS service, twice (a new token for the
    same scopes does not help), and the caller gets the peer's reason."""
    score = "https://purl.imsglobal.org/spec/lti-ags/scope/score"
    response = peer.request(sessions, registration(), [score], utcnow(), "GET", MEMBERSHIPS,
                            headers={"Accept": nrps.MEMBERSHIP_TYPE})
    assert response.status_code == 401 and response.json() == {"error": "Invalid LTI 1.3 authentication token"}
    adapter = peer.http.get_adapter(MEMBERSHIPS)
    assert isinstance(adapter, PeerServices) and adapter.tokens == 2
