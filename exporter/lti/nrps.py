"""A course's members from the platform (LTI Names and Role Provisioning Services 2.0), for the class view.

The launch's NRPS claim gives `context_memberships_url` (kept as `Launch.nrps_memberships_url`). The list may
come in pages, each pointing at the next with a `Link: <…>; rel="next"` header. pylti1p3 lowercases that URL
(lti.md §1.4), which breaks platforms whose page cursors are case-sensitive, so the header is read here."""

from __future__ import annotations

import re
from datetime import datetime
from urllib.parse import urljoin

from pydantic import BaseModel, ConfigDict, ValidationError
from sqlalchemy.orm import Session, sessionmaker

from exporter.lti.models import Registration
from exporter.lti.services import ServiceClient, ServiceError

SCOPE = "https://purl.imsglobal.org/spec/lti-nrps/scope/contextmembership.readonly"
CLAIM = "https://purl.imsglobal.org/spec/lti-nrps/claim/namesroleservice"
MEMBERSHIP_TYPE = "application/vnd.ims.lti-nrps.v2.membershipcontainer+json"
# Far more pages than a school course fills at any platform's page size; a platform whose `next` links never
# end (a bug, or a loop back to an earlier page) is given up on after this many instead of holding a worker.
MAX_PAGES = 100


class _Lenient(BaseModel):
    # Platforms add fields of their own (Moodle: lis_person_sourcedid, message), and a PHP platform may send
    # an id as a number.
    model_config = ConfigDict(frozen=True, extra="ignore", coerce_numbers_to_str=True)


class Context(_Lenient):
    """The course the members belong to."""

    id: str
    label: str | None = None
    title: str | None = None


class Member(_Lenient):
    """One person in the course. Names and email are there only when the platform shares them (Moodle:
    the tool's privacy settings)."""

    user_id: str  # the `sub` of this person's launches
    roles: tuple[str, ...]
    status: str = "Active"  # NRPS: Active, Inactive or Deleted; a member without one is Active
    name: str | None = None
    given_name: str | None = None
    family_name: str | None = None
    email: str | None = None


class Roster(_Lenient):
    """A membership container: one page as the platform sends it, or every page's members in the platform's
    order with the course as the first page names it."""

    context: Context
    members: tuple[Member, ...]


def members(client: ServiceClient, sessions: sessionmaker[Session], registration: Registration, url: str,
            now: datetime) -> Roster:
    """The course's members from `url` (the launch's `context_memberships_url`, query string and all) and
    the pages after it. Raises ServiceError when the platform refuses, answers something that is not a
    membership container, or never stops paging."""
    pages: list[Roster] = []
    page_url: str | None = url
    while page_url is not None:
        if len(pages) == MAX_PAGES:
            raise ServiceError(f"the member list at {url} still had a next page after {MAX_PAGES} pages; "
                               "the platform seems to be paging in a loop")
        response = client.request(sessions, registration, [SCOPE], now, "GET", page_url,
                                  headers={"Accept": MEMBERSHIP_TYPE})
        if not response.ok:
            raise ServiceError.refused(f"the platform refused the member list at {page_url}", response)
        try:
            pages.append(Roster.model_validate_json(response.content))
        except ValidationError as error:
            raise ServiceError(f"the member list at {page_url} is not an NRPS membership container: "
                               f"{_first_problem(error)}") from None
        following = next_link(response.headers.get("Link", ""))
        page_url = urljoin(page_url, following) if following is not None else None
    return Roster(context=pages[0].context, members=tuple(member for page in pages for member in page.members))


def _first_problem(error: ValidationError) -> str:
    problem = error.errors()[0]
    where = ".".join(str(part) for part in problem["loc"])
    return f"{where}: {problem['msg']}" if where else problem["msg"]


# RFC 8288: `<uri>` then `; name=value` parameters, the value a token or a quoted string; links separated by
# commas (several links may share one header, and several headers are joined with commas).
_LINK = re.compile(r'\s*<([^>]*)>')
_PARAM = re.compile(r'\s*;\s*([^\s=;,]+)\s*(?:=\s*(?:"((?:[^"\\]|\\.)*)"|([^\s;,]*)))?')


def next_link(header: str) -> str | None:
    """The target of the link whose `rel` includes `next` (any case, quoted or not), as written. Something
    that is not a link is skipped up to the next comma: one malformed link must not hide the others."""
    position = 0
    while position < len(header):
        link = _LINK.match(header, position)
        if link is not None:
            position = link.end()
            relations: list[str] = []
            while (param := _PARAM.match(header, position)) is not None:
                position = param.end()
                if param.group(1).lower() == "rel":
                    relations = (param.group(2) or param.group(3) or "").lower().split()
            if "next" in relations:
                return link.group(1)
        comma = header.find(",", position)
        if comma < 0:
            return None
        position = comma + 1
    return None
