"""`stopsexting serve`: the LTI tool under gunicorn, so `make serve` is the production server too.

The app is created once in the master before the workers fork (gunicorn's preload): migrations run once, a
bad lesson folder stops the start instead of every worker, and all workers share one session secret."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click
from flask import Flask
from gunicorn.app.base import BaseApplication

from exporter.errors import ProblemReport
from exporter.lti import delivery
from exporter.lti.app import create_app
from exporter.lti.context import EXTENSION


class ToolServer(BaseApplication):  # type: ignore[misc]  # gunicorn ships no type information
    def __init__(self, app: Flask, options: dict[str, Any]) -> None:
        self.application = app
        self.options = options
        super().__init__()

    def load_config(self) -> None:
        for name, value in self.options.items():
            self.cfg.set(name, value)

    def load(self) -> Flask:
        return self.application


@click.command()
@click.option("--host", default="127.0.0.1", show_default=True,
              help="Address to listen on; put a TLS proxy in front for anything but local testing.")
@click.option("--port", default=8000, show_default=True, type=click.IntRange(1, 65535))
@click.option("--workers", default=2, show_default=True, type=click.IntRange(1, 64),
              help="Worker processes; with SQLite keep it small, PostgreSQL takes more.")
@click.option("--threads", default=4, show_default=True, type=click.IntRange(1, 64),
              help="Threads per worker: while one request waits for the database, another runs.")
@click.option("--access-log/--no-access-log", default=False, show_default=True,
              help="Print a line per request; the TLS proxy in front usually logs them already.")
@click.option("--database-url", envvar="DATABASE_URL",
              help="PostgreSQL URL; default: the embedded SQLite file instance/stopsexting-lti.sqlite3.")
@click.option("--lessons", type=click.Path(path_type=Path), default=Path("lessons"), show_default=True,
              help="Folder with program.yaml, the module files and images/.")
def serve(host: str, port: int, workers: int, threads: int, access_log: bool, database_url: str | None,
          lessons: Path) -> None:
    """Run the LTI 1.3 tool (login /lti/login, launch /lti/launch, keys /lti/jwks)."""
    try:
        app = create_app(database_url, lessons=lessons)
    except ProblemReport as report:
        for problem in report.problems:
            click.echo(str(problem), err=True)
        raise SystemExit(2) from report
    tool = app.extensions[EXTENSION]

    def post_fork(server: Any, worker: Any) -> None:
        """A connection opened in the master must not be shared by the forked workers (SQLAlchemy's advice);
        each worker then retries the grades a platform did not take at once."""
        for engine in (tool.sessions.kw["bind"], tool.autocommit):
            engine.dispose(close=False)
        delivery.start(tool.sessions, tool.grades)

    # gthread workers keep browsers' connections alive between the module's saves, and a thread waiting on the
    # database leaves the processor to another; sync workers would open a TCP connection per request.
    # No access log unless asked, as gunicorn's own default: formatting a line cost a state save a tenth of its
    # processor time (bench/lti_load.py), and the proxy in front records the requests anyway.
    ToolServer(app, {"bind": f"{host}:{port}", "workers": workers, "worker_class": "gthread", "threads": threads,
                     "preload_app": True, "post_fork": post_fork, "accesslog": "-" if access_log else None}).run()
