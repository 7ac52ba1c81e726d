"""The Flask hook-up where users log in with Flask-Login: the integration's own capture
off, a receiver that sends the error as the user logged in; written, then served against
the mock host."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from posthog_setup.analysis.model import AppObject
from posthog_setup.codemods.base import ClientImport
from posthog_setup.frameworks.flask.hookup import hook_up_flask
from tests.codemods.helpers import serve_edited

APP = AppObject("flask.Flask", "site.app", "site.py", 0)


def edit(source: str, *, flask_login: bool = True) -> str:
    return hook_up_flask(
        textwrap.dedent(source),
        APP.file,
        APP,
        ClientImport("posthog_client"),
        flask_login=flask_login,
    )


def test_the_receiver_reads_the_user_when_the_error_happens() -> None:
    after = edit(
        """\
        from flask import Flask
        from flask_login import LoginManager

        app = Flask(__name__)
        login_manager = LoginManager(app)
        """
    )
    assert after == textwrap.dedent(
        '''\
        from flask import Flask, got_request_exception
        from flask_login import LoginManager, current_user
        from posthog.integrations.flask import PosthogFlaskIntegration

        from posthog_client import posthog_client

        def capture_server_error(sender: object, exception: BaseException, **extra: object) -> None:
            """Send an error Flask answers with a 5xx to PostHog, as the user logged in."""
            try:
                user = current_user
                distinct_id = user.get_id() if user.is_authenticated else None
            except Exception:  # the user cannot be loaded (the error may be the database's)
                distinct_id = None
            posthog_client.capture_exception(exception, distinct_id=distinct_id)


        app = Flask(__name__)
        PosthogFlaskIntegration(app, client=posthog_client, capture_exceptions=False)
        got_request_exception.connect(capture_server_error, app)
        login_manager = LoginManager(app)
        '''
    )
    assert edit(after) == after


def test_current_user_bound_to_something_else_leaves_the_plain_integration() -> None:
    after = edit(
        """\
        from flask import Flask

        current_user = None
        app = Flask(__name__)
        """
    )
    assert "PosthogFlaskIntegration(app, client=posthog_client)\n" in after
    assert "got_request_exception" not in after


SERVED = """\
from flask import Flask, abort
from flask_login import LoginManager, UserMixin, login_user

app = Flask(__name__)
app.secret_key = "test"
login_manager = LoginManager(app)


class Member(UserMixin):
    def __init__(self, key):
        self.id = key


@login_manager.user_loader
def load_member(key):
    if key == "13":
        raise RuntimeError("the database is gone")
    return Member(key)


@app.route("/login/<key>", methods=["POST"])
def login(key):
    login_user(Member(key))
    return "in"


@app.route("/broken")
def broken():
    raise RuntimeError("broken")


@app.route("/missing")
def missing():
    abort(404)
"""

SCRIPT = """\
from site_app import app
from posthog_client import posthog_client

member = app.test_client()
print(member.post("/login/7").status_code)
print(member.get("/broken").status_code)
print(member.get("/missing").status_code)
stranger = app.test_client()
print(stranger.get("/broken", headers={"X-POSTHOG-DISTINCT-ID": "visitor-3"}).status_code)
unloadable = app.test_client()
unloadable.post("/login/13")
print(unloadable.get("/broken", headers={"X-POSTHOG-DISTINCT-ID": "visitor-13"}).status_code)
posthog_client.capture("after", distinct_id="visitor-3")
posthog_client.flush()
"""


def _serve(tmp_path: Path, *, flask_login: bool) -> list[tuple[str, str]]:
    """The edited app answers errors to a logged-in member (7), a stranger whose browser
    sends its PostHog id (visitor-3), and a member whose user cannot be loaded (13); the
    events its client sent, as (name, distinct id)."""
    source = edit(SERVED, flask_login=flask_login)
    printed, events = serve_edited(tmp_path, "site_app", source, SCRIPT)
    assert printed == ["200", "500", "404", "500", "500"]
    return events


def test_an_error_is_sent_as_the_member_logged_in(tmp_path: Path) -> None:
    events = _serve(tmp_path, flask_login=True)
    assert sorted(events) == [
        ("$exception", "7"),
        ("$exception", "visitor-13"),
        ("$exception", "visitor-3"),
        ("after", "visitor-3"),
    ]


@pytest.mark.parametrize("flask_login", [False])
def test_the_plain_integration_sends_the_members_error_as_nobody(
    tmp_path: Path, flask_login: bool
) -> None:
    # Why the receiver exists: the request's context knows no member it did not log in.
    events = _serve(tmp_path, flask_login=flask_login)
    assert [name for name, _ in events].count("$exception") == 3
    assert ("$exception", "7") not in events
