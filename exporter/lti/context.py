"""What the tool's views share, kept in `app.extensions[EXTENSION]` by the app factory so that blueprints
find the database and secrets without module-level globals (tests build several apps side by side)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import cast

from flask import current_app
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from exporter.loader import Course
from exporter.lti.grades import GradeSender
from exporter.lti.onetime import DatabaseOneTime, OneTime
from exporter.render import Renderer

EXTENSION = "stopsexting"


@dataclass(frozen=True)
class ToolContext:
    sessions: sessionmaker[Session]
    # The same database for single-statement writes, which need no BEGIN and COMMIT round trips (db.make_engine).
    autocommit: Engine
    secret: bytes  # signs the runtime's session tokens (exporter.lti.session)
    renderer: Renderer
    course: Course
    # Posts a score as soon as it is written; tests hand in one whose HTTP goes to a fake platform.
    grades: GradeSender = field(default_factory=lambda: GradeSender())
    # Where nonces and states are used up: the database unless REDIS_URL names Redis (exporter.lti.onetime).
    once: OneTime = field(default_factory=DatabaseOneTime)


def tool() -> ToolContext:
    return cast(ToolContext, current_app.extensions[EXTENSION])
