"""The Flask hook-up where a REST extension signals the 4xx its API answers: the
integration's own capture off, a receiver that captures server errors only; written, then
served against the mock host."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from posthog_setup.analysis.model import AppObject
from posthog_setup.codemods.base import ClientImport
from posthog_setup.frameworks.flask.hookup import hook_up_flask
from tests.codemods.helpers import serve_edited

APP = AppObject("flask.Flask", "api.app", "api.py", 0)


def edit(source: str, *, signals_4xx: bool = True) -> str:
    return hook_up_flask(
        textwrap.dedent(source),
        APP.file,
        APP,
        ClientImport("posthog_client"),
        signals_4xx=signals_4xx,
    )


def test_receiver_defined_before_the_app_and_connected_after_it() -> None:
    after = edit(
        """\
        from flask import Flask
        from flask_restx import Api

        # The app.
        app = Flask(__name__)
        app.config["X"] = 1
        api = Api(app)
        """
    )
    assert after == textwrap.dedent(
        '''\
        from flask import Flask, got_request_exception
        from flask_restx import Api
        from posthog.integrations.flask import PosthogFlaskIntegration
        from werkzeug.exceptions import HTTPException

        from posthog_client import posthog_client

        # The app.
        def capture_server_error(sender: object, exception: BaseException, **extra: object) -> None:
            """Send an error Flask answers with a 5xx to PostHog (the API extension also reports
            the 4xx it answers: those are not errors)."""
            if isinstance(exception, HTTPException) and (exception.code or 500) < 500:
                return
            posthog_client.capture_exception(exception)


        app = Flask(__name__)
        app.config["X"] = 1
        PosthogFlaskIntegration(app, client=posthog_client, capture_exceptions=False)
        got_request_exception.connect(capture_server_error, app)
        api = Api(app)
        '''
    )
    assert edit(after) == after


def test_names_the_module_binds_otherwise_leave_the_plain_integration() -> None:
    before = """\
        from flask import Flask
        from myerrors import HTTPException

        app = Flask(__name__)
        """
    after = edit(before)
    assert "PosthogFlaskIntegration(app, client=posthog_client)\n" in after
    assert "got_request_exception" not in after


def test_a_receiver_name_in_use_gets_a_prefix() -> None:
    after = edit(
        """\
        from flask import Flask

        def capture_server_error():
            pass

        app = Flask(__name__)
        """
    )
    assert "got_request_exception.connect(posthog_capture_server_error, app)" in after
    assert "def posthog_capture_server_error(" in after


SERVED = """\
from flask import Flask, abort
{extension}

app = Flask(__name__)
api = Api(app)


class Missing(Resource):
    def get(self):
        abort(404)


class Broken(Resource):
    def get(self):
        raise RuntimeError("broken")


api.add_resource(Missing, "/missing")
api.add_resource(Broken, "/broken")
"""

SCRIPT = """\
from api import app
from posthog_client import posthog_client

client = app.test_client()
print(client.get("/missing").status_code)
print(client.get("/broken", headers={"X-POSTHOG-DISTINCT-ID": "user-7"}).status_code)
posthog_client.capture("after", distinct_id="user-7")
posthog_client.flush()
"""


def _serve(tmp_path: Path, extension: str, *, signals_4xx: bool) -> list[tuple[str, str]]:
    """The edited app answers a 404 and a 500 (the 500 to user-7); the events its client
    sent, as (name, distinct id)."""
    source = edit(SERVED.format(extension=extension), signals_4xx=signals_4xx)
    printed, events = serve_edited(tmp_path, "api", source, SCRIPT)
    assert printed == ["404", "500"]
    return events


@pytest.mark.parametrize(
    "extension",
    ["from flask_restx import Api, Resource", "from flask_restful import Api, Resource"],
)
def test_a_404_the_api_answers_is_no_exception_and_a_500_is_one(
    tmp_path: Path, extension: str
) -> None:
    events = _serve(tmp_path, extension, signals_4xx=True)
    assert sorted(events) == [("$exception", "user-7"), ("after", "user-7")]


def test_the_plain_integration_would_report_the_404(tmp_path: Path) -> None:
    # Why the receiver exists: the extension signals the 404 and the integration captures it.
    events = _serve(tmp_path, "from flask_restx import Api, Resource", signals_4xx=False)
    assert sorted(name for name, _ in events) == ["$exception", "$exception", "after"]
