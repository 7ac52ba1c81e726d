"""A Flask handler of ``Exception`` is given every ``HTTPException`` too: its capture sends
a server error once and a 404 never."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

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


# -- a 500 handler runs after the integration captured the error --------------------------

SERVER_ERROR_APP = """\
from flask import Flask, jsonify

app = Flask(__name__)


@app.get("/boom")
def boom():
    raise RuntimeError("boom")


@app.errorhandler(500)
def internal_error(e):
    return jsonify(error="internal"), 500
"""
SERVER_ERROR_SCRIPT = """\
import json

from errors_site.app import app
from errors_site.posthog_client import posthog_client

status = app.test_client().get("/boom").status_code
posthog_client.flush()
print(json.dumps(status))
"""


def _server_error_site(tmp_path: Path, requirements: str) -> Path:
    project = tmp_path / "site"
    (project / "errors_site").mkdir(parents=True)
    (project / "errors_site" / "__init__.py").write_text("", encoding="utf-8")
    (project / "errors_site" / "app.py").write_text(SERVER_ERROR_APP, encoding="utf-8")
    (project / "requirements.txt").write_text(requirements, encoding="utf-8")
    return project


def _exception_types(project: Path) -> list[str]:
    output, events = serve(project, SERVER_ERROR_SCRIPT, "phc_error_handlers")
    assert json.loads(output) == 500
    return [e.properties["$exception_list"][0]["type"] for e in events if e.event == "$exception"]


def test_a_500_handler_sends_nothing_the_integration_already_sent(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # Flask sends got_request_exception, which the integration captures, and then calls
    # the 500 handler with an InternalServerError wrapping the same error.
    project = _server_error_site(tmp_path, "flask\n")
    assert main(["begin", str(project)]) == 0
    assert (
        "errors  errors_site/app.py:11 500 -> left alone (the Flask integration captures each "
        "error before Flask calls this handler)"
    ) in capsys.readouterr().err
    assert main(["edit", "-q", str(project)]) == 0
    edited = (project / "errors_site" / "app.py").read_text(encoding="utf-8")
    assert "PosthogFlaskIntegration(app, client=posthog_client)" in edited
    assert "capture_exception" not in edited
    assert json.loads((project / "posthog-events.json").read_text())["exception_captures"] == []
    # One server error, one $exception: the error itself, as the integration sent it.
    assert _exception_types(project) == ["RuntimeError"]
    # A 500 handler without a capture is what revise expects.
    assert main(["revise", "--check", str(project)]) == 0


def test_a_500_handler_captures_where_the_integration_cannot_run(tmp_path: Path) -> None:
    # Flask 2.1 without blinker has no signals: edit leaves the integration out, and the
    # 500 handler is where the server error is seen.
    project = _server_error_site(tmp_path, "flask==2.1.3\n")
    assert main(["edit", "-q", str(project)]) == 0
    edited = (project / "errors_site" / "app.py").read_text(encoding="utf-8")
    assert "PosthogFlaskIntegration" not in edited
    assert "def internal_error(e):\n    posthog_client.capture_exception(e)\n" in edited
    assert _exception_types(project) == ["InternalServerError"]
