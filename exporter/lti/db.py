"""Where the LTI tool keeps its data: an embedded SQLite file unless DATABASE_URL names PostgreSQL.

`make serve` must work on a fresh machine with nothing to install or configure, hence the SQLite default;
schools running several workers point DATABASE_URL at PostgreSQL instead."""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from sqlalchemy import ClauseElement, Connection, Dialect, Engine, create_engine, event, text
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError, DisconnectionError
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker

DEFAULT_SQLITE_PATH = Path("instance") / "stopsexting-lti.sqlite3"
MIGRATIONS = Path(__file__).resolve().parent / "migrations"
# Any constant works; it only has to be the same in every process migrating the same PostgreSQL database.
MIGRATION_LOCK = 0x5709_5E7
SQLITE_BUSY_TIMEOUT_MS = 5000
# A pooled PostgreSQL connection unused for this long is checked before use (`_ping_when_idle`).
IDLE_PING_SECONDS = 5.0


def database_url(explicit: str | None = None) -> str:
    """The URL to use: the given one, DATABASE_URL, or the embedded file (relative to the working folder,
    like Flask's instance folder, so each checkout keeps its own)."""
    url = explicit or os.environ.get("DATABASE_URL") or f"sqlite:///{DEFAULT_SQLITE_PATH.resolve()}"
    # Hosting providers hand out postgres:// or postgresql:// URLs; the only driver we ship is psycopg 3.
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix):]
    return url


def make_engine(url: str, *, autocommit: bool = False) -> Engine:
    """`autocommit`: an engine whose every statement is its own transaction, for the writes that are one
    statement (the hot path of the runtime's saves). It has a pool of its own, because switching a pooled
    connection in and out of autocommit at each checkout costs more than the statement's Python side."""
    parsed = make_url(url)
    # No transaction is ever open on an autocommit connection, so none needs rolling back when it is returned.
    options: dict[str, Any] = {"isolation_level": "AUTOCOMMIT", "pool_reset_on_return": None} if autocommit else {}
    if parsed.get_backend_name() != "sqlite":
        engine = create_engine(parsed, **options)
        _ping_when_idle(engine)
        return engine
    if parsed.database and parsed.database != ":memory:":
        # The file holds the tool's private keys: a folder we create is readable by its owner alone.
        Path(parsed.database).parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    engine = create_engine(parsed, connect_args={"timeout": SQLITE_BUSY_TIMEOUT_MS / 1000}, **options)
    event.listen(engine, "connect", _tune_sqlite)
    return engine


def _ping_when_idle(engine: Engine) -> None:
    """SQLAlchemy's pool_pre_ping checks a connection with a round trip at every checkout, which under load
    cost a state save a fifth of its time. A connection that went back to the pool a moment ago is as alive
    as it was then; one that sat idle may have been cut (a database restart, a firewall's idle timeout), so
    only that one is checked, and a dead one is replaced before the request sees it (DisconnectionError makes
    the pool open a new connection). A restart during steady traffic costs each worker one request, answered
    503 (app.py), and SQLAlchemy then replaces all the worker's connections."""

    @event.listens_for(engine, "checkin")
    def checked_in(dbapi_connection: Any, record: Any) -> None:
        record.info["idle_since"] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def checked_out(dbapi_connection: Any, record: Any, proxy: Any) -> None:
        idle_since = record.info.get("idle_since")
        if idle_since is None or time.monotonic() - idle_since < IDLE_PING_SECONDS:
            return
        try:
            engine.dialect.do_ping(dbapi_connection)
        except engine.dialect.loaded_dbapi.Error as error:
            raise DisconnectionError(f"pooled connection found dead after {IDLE_PING_SECONDS:g} s idle") from error


def _tune_sqlite(dbapi_connection: Any, _record: Any) -> None:
    """WAL lets readers run during a write (one page render must not wait for another student's save);
    SQLite leaves foreign keys off unless asked, per connection."""
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
    cursor.close()


def session_factory(engine: Engine) -> sessionmaker[Session]:
    # Objects stay readable after commit: the CLI and the views print them once the transaction is over.
    return sessionmaker(engine, expire_on_commit=False)


def insert(dialect: str, model: type[DeclarativeBase]) -> postgresql.Insert | sqlite.Insert:
    """The dialect's INSERT, which has ON CONFLICT: one statement settles a race that a read-then-write
    would lose. Both databases we run on speak it."""
    return postgresql.insert(model) if dialect == "postgresql" else sqlite.insert(model)


@dataclass(frozen=True)
class _Compiled:
    sql: str
    order: list[str] | None  # the parameters' order when the driver takes them by position (SQLite)
    convert: dict[str, Callable[[Any], Any]]  # the column types' conversions (aware UTC datetimes on SQLite)
    defaults: dict[str, Any]  # values given in the statement, and the columns' constant Python-side defaults
    returns_rows: bool  # RETURNING: asking the cursor would build its column descriptions every time


class DirectStatement:
    """One statement run straight on a pooled DBAPI connection of an autocommit engine (`make_engine`).

    On the hot paths (a state save; a launch's nonce and row) SQLAlchemy's execution machinery, its Connection,
    execution context and result, cost the tool more processor time than the statement's own round trip: 0.29
    against 0.17 ms a save, measured. The statement is still written with Core against the models and compiled by
    the database's dialect, once per dialect; only running it bypasses SQLAlchemy. A dropped connection is
    handled as SQLAlchemy would: the pool is renewed and the error raised as sqlalchemy.exc.OperationalError,
    which the tool answers with a 503 (app.py)."""

    def __init__(self, build: Callable[[str], ClauseElement]) -> None:
        self._build = build
        self._compiled: dict[str, _Compiled] = {}  # two threads compiling at once store the same thing

    def run(self, engine: Engine, parameters: Mapping[str, Any]) -> tuple[Any, ...] | None:
        """Runs it, committed at once; the first row it returns (RETURNING), else None."""
        compiled = self._compile(engine.dialect)
        values = {**compiled.defaults, **parameters}
        for name, convert in compiled.convert.items():
            values[name] = convert(values[name])
        arguments: Any = values if compiled.order is None else [values[name] for name in compiled.order]
        connection = engine.raw_connection()
        try:
            cursor = connection.cursor()
            try:
                cursor.execute(compiled.sql, arguments)
                row: tuple[Any, ...] | None = cursor.fetchone() if compiled.returns_rows else None
            finally:
                cursor.close()
        except engine.dialect.loaded_dbapi.Error as error:
            if engine.dialect.is_disconnect(error, connection.dbapi_connection, None):
                connection.invalidate(error)
                engine.dispose()  # the other pooled connections went with the same server: SQLAlchemy's rule too
            raise DBAPIError.instance(compiled.sql, arguments, error, engine.dialect.loaded_dbapi.Error) from None
        finally:
            connection.close()
        return row

    def _compile(self, dialect: Dialect) -> _Compiled:
        found = self._compiled.get(dialect.name)
        if found is not None:
            return found
        compiled: Any = self._build(dialect.name).compile(dialect=dialect)  # an SQLCompiler: untyped attributes
        defaults = {}
        for column in compiled.insert_prefetch:
            if column.default is None or not column.default.is_scalar:
                raise ValueError(f"{column}: give its value in the statement; only constant defaults are filled in")
            defaults[column.key] = column.default.arg
        for name, bind in compiled.binds.items():  # the values written into the statement itself
            if not bind.required and name not in defaults:
                defaults[name] = bind.effective_value
        convert = {name: processor for name, bind in compiled.binds.items()
                   if (processor := bind.type.dialect_impl(dialect).bind_processor(dialect)) is not None}
        ready = _Compiled(compiled.string, compiled.positiontup, convert, defaults, bool(compiled.effective_returning))
        self._compiled[dialect.name] = ready
        return ready


def migrate(url: str, revision: str = "head") -> None:
    """Bring the schema up to `revision`, so starting the tool or an admin command needs no separate step."""
    _alembic(url, lambda config: command.upgrade(config, revision))


def downgrade(url: str, revision: str) -> None:
    _alembic(url, lambda config: command.downgrade(config, revision))


def _alembic(url: str, run: Callable[[Config], None]) -> None:
    """One transaction for the whole run; on PostgreSQL an advisory lock makes workers starting together
    migrate one after the other instead of racing to create the same tables."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    engine = make_engine(url)
    try:
        with engine.begin() as connection:
            _lock(connection)
            config.attributes["connection"] = connection
            run(config)
    finally:
        engine.dispose()


def _lock(connection: Connection) -> None:
    if connection.dialect.name == "postgresql":
        connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": MIGRATION_LOCK})
