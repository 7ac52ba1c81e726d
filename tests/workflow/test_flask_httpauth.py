"""flask-httpauth: handlers under ``@auth.login_required`` reach their user by
``auth.current_user()``, keyed as the project's verify callback shows; a route of an HTTP
Basic guard that hands out a token is a login."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from posthog_setup.cli import main
from posthog_setup.mockhost import MockPostHogHost

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures"

REQUESTS = """\
import base64
from werkzeug.security import generate_password_hash
from notes import create_app
from notes.models import User, db
from notes.posthog_client import posthog_client

app = create_app({"ADMIN_PASSWORDS": {"ops": generate_password_hash("ops-pw")}})
with app.app_context():
    user = User(username="ada", email="ada@example.com")
    user.set_password("pw-for-tests")
    db.session.add(user)
    db.session.commit()
    pk = user.id
client = app.test_client()


def basic(credentials):
    return {"Authorization": "Basic " + base64.b64encode(credentials).decode()}


print(client.post("/api/tokens", headers=basic(b"ada:wrong")).status_code)
issued = client.post("/api/tokens", headers=basic(b"ada:pw-for-tests"))
print(issued.status_code)
bearer = {"Authorization": "Bearer " + issued.get_json()["token"]}
print(client.post("/api/notes", json={"text": "hello"}, headers=bearer).status_code)
print(client.post("/api/notes", json={"text": "nobody"}).status_code)
news = {"text": "maintenance"}
print(client.post("/admin/announcements", json=news, headers=basic(b"ops:ops-pw")).status_code)
posthog_client.flush()
print(pk)
"""


@pytest.mark.slow
def test_the_guarded_user_is_every_event_s_person(tmp_path: Path) -> None:
    project = tmp_path / "flask_httpauth_notes"
    shutil.copytree(FIXTURES / "expected" / "flask_httpauth_notes", project)
    with MockPostHogHost() as host:
        env = {**os.environ, "POSTHOG_HOST": host.url, "POSTHOG_PROJECT_TOKEN": "phc_test"}
        done = subprocess.run(
            [sys.executable, "-c", REQUESTS],
            cwd=project,
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        assert done.returncode == 0, done.stderr
        *statuses, pk = done.stdout.split()
        assert statuses == ["401", "200", "201", "401", "201"]
        [login] = host.wait_for(1, event="user_logged_in")
        [note] = host.wait_for(1, event="note_created")
        [announcement] = host.wait_for(1, event="announcement_created")
        assert login.distinct_id == note.distinct_id == pk
        # The operators' callback returns the username it was sent: that is the person.
        assert announcement.distinct_id == "ops"
        assert len(host.events(event="user_logged_in")) == 1
        assert all("email" not in e.properties for e in host.events())


AUTH = """\
from flask_httpauth import HTTPBasicAuth, HTTPTokenAuth

from site_app.models import Member, db

auth = HTTPBasicAuth()
tokens = HTTPTokenAuth()


@auth.verify_password
def verify(username, password):
{callback}


@tokens.verify_token
def verify_token(token):
    member = Member.query.filter_by(token=token).first()
    if member:
        return member
"""
MODELS = """\
from flask_sqlalchemy import SQLAlchemy

db = SQLAlchemy()


class Member(db.Model):
    id = db.Column(db.Integer, primary_key=True)
    token = db.Column(db.String(64))

    @staticmethod
    def by_token(token):
        member = Member.query.filter_by(token=token).first()
        if member is None:
            return None
        return member
"""
VIEWS = """\
from apifairy import authenticate
from flask import Flask

from site_app.auth import auth, tokens

app = Flask(__name__)


@app.route("/items", methods=["POST"])
@{guard}
def add_item():
    return "", 201


@app.route("/token/refresh", methods=["POST"])
@tokens.login_required
def refresh_token():
    return {{"token": tokens.current_user().token}}
"""


def _project(root: Path, callback: str, guard: str = "auth.login_required") -> Path:
    files = {
        "site_app/__init__.py": "",
        "site_app/auth.py": AUTH.format(callback=textwrap.indent(callback, "    ")),
        "site_app/models.py": MODELS,
        "site_app/views.py": VIEWS.format(guard=guard),
        "requirements.txt": "flask>=3.0\nflask-httpauth\nflask-sqlalchemy\n",
    }
    for name, text in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text, encoding="utf-8")
    return root


def _item_capture(project: Path) -> str:
    assert main(["edit", "-q", "--allow-dirty", str(project)]) == 0
    views = (project / "site_app" / "views.py").read_text()
    [line] = [s.strip() for s in views.splitlines() if '"item_created"' in s]
    # The token route under the token guard is a refresh: nobody logs in there.
    assert "user_logged_in" not in (project / "posthog-events.json").read_text()
    return line


@pytest.mark.parametrize(
    "callback",
    [
        "member = Member.query.first()\nif member:\n    return member\n",
        # the truthy value of a conditional is a member; its other value fails the login
        "member = Member.query.first()\nreturn member if member else None\n",
        # what a method of the project answers
        "return Member.by_token(password) if password else None\n",
        # a query of the model's own select (alchemical's, peewee's), or the one
        # Flask-SQLAlchemy's object lends
        "member = db.session.scalar(Member.select().filter_by(token=password))\n"
        "if member is not None:\n    return member\n",
        "member = db.session.scalar(db.select(Member).filter_by(token=password))\n"
        "if member is not None:\n    return member\n",
    ],
)
def test_a_callback_returning_a_member_keys_it_by_its_id(tmp_path: Path, callback: str) -> None:
    project = _project(tmp_path, callback)
    assert _item_capture(project) == (
        'posthog_client.capture("item_created", distinct_id=str(auth.current_user().id))'
    )


@pytest.mark.parametrize(
    "callback",
    [
        # An email is never a distinct id.
        "if email:\n    return email\n",
        # ``True`` lets anonymous requests in too: current_user() may be "".
        "return True\n",
        # An expression: what it is is not shown.
        "member = Member.query.first()\nreturn member or Member()\n",
        # a call of something that is no project class or function
        "return check(username, password) if password else None\n",
    ],
)
def test_callbacks_that_do_not_show_a_key_give_no_distinct_id(
    tmp_path: Path, callback: str
) -> None:
    project = _project(tmp_path, callback)
    if "email" in callback:
        auth = project / "site_app" / "auth.py"
        auth.write_text(auth.read_text().replace("verify(username,", "verify(email,"))
    assert _item_capture(project) == 'posthog_client.capture("item_created")'


def test_a_username_callback_keys_by_the_username(tmp_path: Path) -> None:
    project = _project(tmp_path, "if password == 'x':\n    return username\nreturn None\n")
    assert _item_capture(project) == (
        'posthog_client.capture("item_created", distinct_id=str(auth.current_user()))'
    )


def test_an_optional_guard_proves_no_user(tmp_path: Path) -> None:
    project = _project(tmp_path, "return username\n", guard="auth.login_required(optional=True)")
    assert _item_capture(project) == 'posthog_client.capture("item_created")'


@pytest.mark.parametrize(
    ("guard", "expected"),
    [
        (
            "authenticate(auth)",
            'posthog_client.capture("item_created", distinct_id=str(auth.current_user().id))',
        ),
        ("authenticate(auth, optional=True)", 'posthog_client.capture("item_created")'),
    ],
)
def test_apifairy_s_authenticate_is_the_login_required_it_wraps(
    tmp_path: Path, guard: str, expected: str
) -> None:
    project = _project(
        tmp_path, "member = Member.query.first()\nif member:\n    return member\n", guard
    )
    assert _item_capture(project) == expected
