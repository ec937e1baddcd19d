"""Retrying grades the platform did not take at once: a loop in every worker posts what is due.

A score is posted right after the learner finishes; when the platform is down the outbox row waits with
its backoff, and this loop delivers it once the platform is back. Several workers may run the loop: a row
is claimed with a lease (exporter.lti.grades), so none is posted twice at the same time."""

from __future__ import annotations

import logging
import threading

from sqlalchemy.orm import Session, sessionmaker

from exporter.lti.grades import GradeSender, deliver_due
from exporter.lti.models import utcnow

INTERVAL_SECONDS = 30.0
log = logging.getLogger(__name__)


def deliver_forever(sessions: sessionmaker[Session], sender: GradeSender, stop: threading.Event,
                    interval: float = INTERVAL_SECONDS) -> None:
    """Until `stop` is set: every `interval` seconds, post the rows that are due."""
    while not stop.wait(interval):
        try:
            deliver_due(sessions, utcnow(), sender)
        except Exception:  # a database hiccup must not end the loop: the rows stay pending for the next round
            log.exception("grade delivery failed; retrying in %s s", interval)


def start(sessions: sessionmaker[Session], sender: GradeSender, interval: float = INTERVAL_SECONDS) -> threading.Event:
    """Run the loop in a daemon thread; setting the returned event stops it."""
    stop = threading.Event()
    threading.Thread(target=deliver_forever, args=(sessions, sender, stop, interval), name="grade-delivery",
                     daemon=True).start()
    return stop
