"""The floor under bench/lti_load.py's saves: a Flask app that answers the runtime's save and does nothing else,
served by gunicorn with the tool's settings. What a request costs here is what gunicorn and Flask cost on this
machine, before the tool verifies a token or writes a row."""

from __future__ import annotations

from flask import Flask, Response, jsonify, request

app = Flask(__name__)


@app.post("/lti/api/state")
def save() -> Response:
    request.get_data()
    return jsonify(saved=True)
