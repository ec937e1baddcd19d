"""Alembic environment. `exporter.lti.db.migrate` hands in an open connection; the `alembic` command line
(for writing new revisions) connects to DATABASE_URL or the embedded default instead."""

from __future__ import annotations

from alembic import context
from sqlalchemy import Connection

from exporter.lti.db import database_url, make_engine
from exporter.lti.models import Base


def run(connection: Connection) -> None:
    # SQLite cannot ALTER most things; batch mode rebuilds the table instead.
    context.configure(connection=connection, target_metadata=Base.metadata,
                      render_as_batch=connection.dialect.name == "sqlite")
    with context.begin_transaction():
        context.run_migrations()


given = context.config.attributes.get("connection")
if given is not None:
    run(given)
else:
    engine = make_engine(database_url())
    with engine.connect() as connection:
        run(connection)
    engine.dispose()
