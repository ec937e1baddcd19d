"""A local web server for authors: every module's site with the standalone runtime, and teacher pages."""

from __future__ import annotations

import html
import mimetypes
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from exporter.loader import Course
from exporter.render import Renderer, Site


def preview_sites(course: Course) -> dict[str, Site]:
    renderer = Renderer(course)
    return {m.id: renderer.render(m, ("standalone",), teacher=True) for m in course.modules}


def index_page(course: Course) -> bytes:
    rows = "".join(
        f'<li><a href="/{m.id}/index.html">{html.escape(m.title)}</a> ({m.kind}) · '
        f'<a href="/{m.id}/teacher.html">для вчителя</a></li>'
        for m in course.modules
    )
    title = html.escape(course.program.title)
    return (f'<!doctype html><html lang="uk"><meta charset="utf-8"><title>{title}: перегляд</title>'
            f"<h1>{title}</h1><ul>{rows}</ul></html>").encode()


def make_server(course: Course, host: str, port: int) -> ThreadingHTTPServer:
    sites = preview_sites(course)
    index = index_page(course)

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            path = self.path.split("?", 1)[0].lstrip("/")
            module_id, _, file = path.partition("/")
            body = index if path in ("", "index.html") else sites.get(module_id, {}).get(file or "index.html")
            if body is None:
                self.send_error(HTTPStatus.NOT_FOUND)
                return
            kind = mimetypes.guess_type(file or "index.html")[0] or "application/octet-stream"
            self.send_response(HTTPStatus.OK)
            self.send_header("Content-Type", f"{kind}; charset=utf-8" if kind.startswith("text") else kind)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: object) -> None:
            pass

    return ThreadingHTTPServer((host, port), Handler)
