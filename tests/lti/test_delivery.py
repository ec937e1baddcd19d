"""The worker's delivery loop: a score the platform refused while it was down arrives once it is back."""

from __future__ import annotations

import time
from datetime import datetime

from sqlalchemy.orm import Session, sessionmaker

from exporter.lti import delivery, grades, services
from exporter.lti.models import GradeOutbox, utcnow
from tests.lti.test_grades import FakePlatform, finished, outbox, sender


def test_the_loop_delivers_what_waited_for_the_platform(sessions: sessionmaker[Session]) -> None:
    platform = FakePlatform()
    post = sender(platform)
    row = finished(sessions, now=utcnow())
    platform.down = True
    assert grades.deliver_due(sessions, utcnow(), post) == 0  # the try right after the learner finished
    assert outbox(sessions, row).status == "pending" and outbox(sessions, row).tries == 1
    with sessions.begin() as session:  # the backoff has passed
        session.get_one(GradeOutbox, row).next_try_at = utcnow()
    platform.down = False
    stop = delivery.start(sessions, post, interval=0.05)
    try:
        deadline = time.monotonic() + 10
        while outbox(sessions, row).status != "sent" and time.monotonic() < deadline:
            time.sleep(0.05)
    finally:
        stop.set()
    assert outbox(sessions, row).status == "sent"
    assert [body["scoreGiven"] for _, body in platform.scores] == [87]


def test_the_loop_survives_a_failing_round(sessions: sessionmaker[Session]) -> None:
    """A round that raises (the database gone for a moment) is logged, and the next round runs."""
    calls: list[int] = []

    class Flaky(grades.GradeSender):
        def deliver(self, sessions: sessionmaker[Session], row_id: int, now: datetime) -> bool:
            calls.append(row_id)
            if len(calls) == 1:
                raise RuntimeError("database went away")
            return super().deliver(sessions, row_id, now)

    platform = FakePlatform()
    row = finished(sessions, now=utcnow())
    flaky = Flaky(sender(platform).http, services.MemoryTokenCache())
    stop = delivery.start(sessions, flaky, interval=0.05)
    try:
        deadline = time.monotonic() + 10
        while outbox(sessions, row).status != "sent" and time.monotonic() < deadline:
            time.sleep(0.05)
    finally:
        stop.set()
    assert calls[:2] == [row, row] and outbox(sessions, row).status == "sent"
