"""Finished attempts → AGS scores on the platform, through the outbox so that an outage loses no grade.

A final score is written to `lti_grade_outbox` in the attempt's own transaction (`enqueue`), then posted
(`GradeSender.deliver`, right away and again by `deliver_due` until it goes through). Moodle's rules
(lti.md §7) shape the payload: `userId` = the launch's `sub`, `gradingProgress` FullyGraded (anything else
stores a null grade), and a timestamp strictly later, at one-second resolution, than the last score for the
same user and line item (Moodle answers 409 otherwise)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import requests
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session, sessionmaker

from exporter.lti import services
from exporter.lti.models import Attempt, GradeOutbox, Launch, Registration

SCORE_SCOPE = "https://purl.imsglobal.org/spec/lti-ags/scope/score"
SCORE_MAXIMUM = 100  # the line item maximum Deep Linking creates
SCORE_TYPE = "application/vnd.ims.lis.v1.score+json"
FIRST_DELAY = timedelta(seconds=30)
LONGEST_DELAY = timedelta(hours=6)
MAX_TRIES = 30  # with the delays above: about a week of outage before a row is given up as failed
LEASE = timedelta(minutes=2)  # a row being posted is not picked up by another worker meanwhile
BATCH = 100


def scores_url(lineitem: str) -> str:
    """`<lineitem>/scores`, keeping the query: Moodle's line items are `…/lineitem?type_id=3` (lti.md §1.4)."""
    parts = urlsplit(lineitem)
    return urlunsplit(parts._replace(path=parts.path.rstrip("/") + "/scores"))


def stamp(moment: datetime) -> str:
    return moment.isoformat(timespec="seconds")


def payload(attempt: Attempt, timestamp: datetime) -> dict[str, Any]:
    """The AGS score of a finished attempt. A module without a pass mark (a guided session) has no score:
    the platform then learns it is completed without a grade."""
    score: dict[str, Any] = {"userId": attempt.sub, "activityProgress": "Completed",
                             "gradingProgress": "FullyGraded", "timestamp": stamp(timestamp)}
    if attempt.score is not None:
        score["scoreGiven"] = round(attempt.score * SCORE_MAXIMUM, 2)
        score["scoreMaximum"] = SCORE_MAXIMUM
    return score


def gradable(launch: Launch) -> bool:
    """The platform gave a line item and lets us post scores to it."""
    return bool(launch.ags_lineitem) and SCORE_SCOPE in launch.ags_scopes.split()


def enqueue(session: Session, attempt: Attempt, launch: Launch, now: datetime) -> GradeOutbox:
    """Add the attempt's score to the outbox in the caller's transaction. An older score still waiting for
    the same line item is dropped: once the newer one is posted it would only overwrite it."""
    assert launch.ags_lineitem is not None  # callers check gradable(launch)
    timestamp = next_timestamp(session, attempt, launch.ags_lineitem, now)
    session.flush()
    for old in session.scalars(select(GradeOutbox).where(
            GradeOutbox.attempt_id == attempt.id, GradeOutbox.line_item_url == launch.ags_lineitem,
            GradeOutbox.status == "pending")):
        session.delete(old)
    row = GradeOutbox(attempt_id=attempt.id, line_item_url=launch.ags_lineitem, score_timestamp=timestamp,
                      payload=json.dumps(payload(attempt, timestamp), sort_keys=True), next_try_at=now, created_at=now)
    session.add(row)
    session.flush()
    return row


def next_timestamp(session: Session, attempt: Attempt, line_item_url: str, now: datetime) -> datetime:
    """Now, to the second, or one second after the last score written for this user and line item."""
    last = session.scalar(
        select(func.max(GradeOutbox.score_timestamp)).join(Attempt, Attempt.id == GradeOutbox.attempt_id).where(
            Attempt.registration_id == attempt.registration_id, Attempt.sub == attempt.sub,
            GradeOutbox.line_item_url == line_item_url))
    return later(now, last)


def later(now: datetime, last: datetime | None) -> datetime:
    second = now.replace(microsecond=0)
    return second if last is None or second > last else last.replace(microsecond=0) + timedelta(seconds=1)


def backoff(tries: int) -> timedelta:
    return min(FIRST_DELAY * (1 << (tries - 1)), LONGEST_DELAY)


@dataclass(frozen=True)
class Claimed:
    """What posting one outbox row needs, read in a short transaction: no database transaction stays open
    while the platform answers (SQLite would refuse the later write; PostgreSQL would hold locks)."""

    id: int
    url: str
    body: dict[str, Any]
    timestamp: datetime
    tries: int
    registration: Registration


class GradeSender:
    """Posts outbox rows. `http` and `tokens` are per sender so tests can point them at a fake platform; the
    default cache is REDIS_URL's when set (exporter.lti.services)."""

    def __init__(self, http: requests.Session | None = None, tokens: services.TokenCache | None = None) -> None:
        self.http = http or requests.Session()
        self.tokens = tokens or services.token_cache()

    def deliver(self, sessions: sessionmaker[Session], row_id: int, now: datetime) -> bool:
        """Post one due row; True when the platform took it. Failures are recorded on the row, never raised."""
        claimed = _claim(sessions, row_id, now)
        if claimed is None:
            return False
        body, timestamp, error = claimed.body, claimed.timestamp, None
        for _ in range(2):  # the second round only after a 409, with a later timestamp
            try:
                self._post(sessions, claimed.registration, claimed.url, body, now)
            except services.ServiceError as refused:
                error = refused
                if refused.status == 409:
                    timestamp = later(now, timestamp)
                    body = {**body, "timestamp": stamp(timestamp)}
                    continue
            else:
                error = None
            break
        _record(sessions, claimed, body, timestamp, error, now)
        return error is None

    def _post(self, sessions: sessionmaker[Session], registration: Registration, lineitem: str,
              body: dict[str, Any], now: datetime) -> None:
        response = services.ServiceClient(self.http, self.tokens).request(
            sessions, registration, [SCORE_SCOPE], now, "POST", scores_url(lineitem),
            headers={"Content-Type": SCORE_TYPE}, data=json.dumps(body))
        if not response.ok:
            raise services.ServiceError.refused("platform refused the score", response)


def deliver_due(sessions: sessionmaker[Session], now: datetime, sender: GradeSender | None = None) -> int:
    """Post every pending row whose time has come, oldest first; the number the platform took."""
    sender = sender or GradeSender()
    with sessions() as session:
        due = list(session.scalars(select(GradeOutbox.id).where(
            GradeOutbox.status == "pending", GradeOutbox.next_try_at <= now).order_by(GradeOutbox.id).limit(BATCH)))
    return sum(sender.deliver(sessions, row_id, now) for row_id in due)


def _claim(sessions: sessionmaker[Session], row_id: int, now: datetime) -> Claimed | None:
    """Take a due row by moving its next try past the lease, only if nobody else did it first."""
    with sessions.begin() as session:
        taken = session.execute(update(GradeOutbox).where(
            GradeOutbox.id == row_id, GradeOutbox.status == "pending", GradeOutbox.next_try_at <= now,
        ).values(next_try_at=now + LEASE).execution_options(synchronize_session=False))
        if getattr(taken, "rowcount", 0) != 1:
            return None
        row = session.get_one(GradeOutbox, row_id)
        attempt = session.get_one(Attempt, row.attempt_id)
        registration = session.get_one(Registration, attempt.registration_id)
        session.expunge(registration)
        return Claimed(row.id, row.line_item_url, json.loads(row.payload), row.score_timestamp, row.tries,
                       registration)


def _record(sessions: sessionmaker[Session], claimed: Claimed, body: dict[str, Any], timestamp: datetime,
            error: services.ServiceError | None, now: datetime) -> None:
    tries = claimed.tries + 1
    values: dict[str, Any] = {"tries": tries, "payload": json.dumps(body, sort_keys=True),
                              "score_timestamp": timestamp}
    if error is None:
        values.update(status="sent", last_error=None)
    else:
        values.update(last_error=str(error), next_try_at=now + backoff(tries))
        if tries >= MAX_TRIES:
            values["status"] = "failed"
    with sessions.begin() as session:
        session.execute(update(GradeOutbox).where(GradeOutbox.id == claimed.id).values(**values)
                        .execution_options(synchronize_session=False))
