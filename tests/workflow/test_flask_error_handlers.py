"""A Flask handler of ``Exception`` is given every ``HTTPException`` too: its capture sends
a server error once and a 404 never."""

from __future__ import annotations

import json
from pathlib import Path

from posthog_setup.cli import main
from tests.serving import serve

APP = """\
from flask import Flask, abort, jsonify
from werkzeug.exceptions import HTTPException

app = Flask(__name__)


@app.get("/missing")
def missing():
    abort(404)


@app.get("/boom")
def boom():
    raise RuntimeError("boom")


@app.get("/unavailable")
def unavailable():
    abort(503)


@app.errorhandler(Exception)
def handle_error(e):
    if isinstance(e, HTTPException):
        return jsonify(error=e.description), e.code
    return jsonify(error="internal"), 500
"""
SCRIPT = """\
import json

from errors_site.app import app
from errors_site.posthog_client import posthog_client

client = app.test_client()
codes = [client.get(path).status_code for path in ("/missing", "/boom", "/unavailable")]
posthog_client.flush()
print(json.dumps(codes))
"""


def test_a_handler_of_exception_captures_server_errors_once_and_client_errors_never(
    tmp_path: Path,
) -> None:
    project = tmp_path / "site"
    (project / "errors_site").mkdir(parents=True)
    (project / "errors_site" / "__init__.py").write_text("", encoding="utf-8")
    (project / "errors_site" / "app.py").write_text(APP, encoding="utf-8")
    (project / "requirements.txt").write_text("flask\n", encoding="utf-8")
    assert main(["edit", "-q", str(project)]) == 0

    output, events = serve(project, SCRIPT, "phc_error_handlers")
    assert json.loads(output) == [404, 500, 503]
    exceptions = [e for e in events if e.event == "$exception"]
    kinds = [e.properties["$exception_list"][0]["type"] for e in exceptions]
    # the RuntimeError and the 503, once each; the 404 is no server error
    assert sorted(kinds) == ["RuntimeError", "ServiceUnavailable"]
