"""Logins that happen in a function the route calls, and a first-run setup that signs the
first user up: the edited project, served against the mock host, sends each with the
user's id (an OAuth callback's helper issues the token to the user the service answered)."""

from __future__ import annotations

import json
from pathlib import Path

from posthog_setup.cli import main
from posthog_setup.mockhost.store import RecordedEvent
from tests.serving import serve

OAUTH = '''\
"""Sign in with a provider: the callback leaves the work to helpers of this module."""

from dataclasses import dataclass, field

from litestar import Controller, Litestar, get
from litestar.di import Provide

from accounts.tokens import create_access_token


@dataclass
class Member:
    id: int
    email: str


@dataclass
class Members:
    rows: dict[str, Member] = field(default_factory=dict)

    async def authenticate_or_create_oauth_user(self, account: str) -> tuple[Member, bool]:
        if account in self.rows:
            return self.rows[account], False
        member = Member(id=40 + len(self.rows), email=f"{account}@example.com")
        self.rows[account] = member
        return member, True


MEMBERS = Members()


def provide_members() -> Members:
    return MEMBERS


async def _login_with_provider(members: Members, account: str) -> str:
    member, created = await members.authenticate_or_create_oauth_user(account)
    token = create_access_token(subject=str(member.id), email=member.email)
    return f"/welcome?token={token}&new={created}"


class ProviderController(Controller):
    path = "/oauth"
    dependencies = {"members": Provide(provide_members, sync_to_thread=False)}

    @get("/callback")
    async def provider_callback(self, members: Members, code: str) -> dict[str, str]:
        return {"next": await self._finish(members, code)}

    async def _finish(self, members: Members, code: str) -> str:
        if not code:
            return "/error"
        return await _login_with_provider(members, code)


app = Litestar([ProviderController])
'''

TOKENS = """\
def create_access_token(subject: str, email: str) -> str:
    return f"token-for-{subject}"
"""

SCRIPT = """\
import json
from litestar.testing import TestClient
from accounts.oauth import app
from accounts.posthog_client import posthog_client

with TestClient(app=app) as client:
    first = client.get("/oauth/callback", params={"code": "ada"}).json()["next"]
    again = client.get("/oauth/callback", params={"code": "ada"}).json()["next"]
posthog_client.flush()
print(json.dumps([first, again]))
"""


def _serve(project: Path, script: str) -> tuple[str, list[RecordedEvent]]:
    return serve(project, script, "phc_helper_logins")


def test_an_oauth_callback_identifies_the_user_its_helper_logs_in(tmp_path: Path) -> None:
    project = tmp_path / "provider_login"
    (project / "accounts").mkdir(parents=True)
    (project / "accounts" / "__init__.py").write_text("", encoding="utf-8")
    (project / "accounts" / "oauth.py").write_text(OAUTH, encoding="utf-8")
    (project / "accounts" / "tokens.py").write_text(TOKENS, encoding="utf-8")
    (project / "requirements.txt").write_text("litestar\n", encoding="utf-8")
    assert main(["edit", "-q", str(project)]) == 0
    edited = (project / "accounts" / "oauth.py").read_text(encoding="utf-8")
    helper = edited[edited.index("async def _login_with_provider") : edited.index("class Provider")]
    assert "identify_context(str(member.id))" in helper
    assert edited.count("identify_context(str(") == 1

    output, events = _serve(project, SCRIPT)
    assert json.loads(output) == [
        "/welcome?token=token-for-40&new=True",
        "/welcome?token=token-for-40&new=False",
    ]
    logins = [e for e in events if e.event == "user_logged_in"]
    assert [e.distinct_id for e in logins] == ["40", "40"]
    assert all(e.properties.get("$process_person_profile") is not False for e in logins)
    person = [e for e in events if e.event == "$set"]
    assert [e.distinct_id for e in person] == ["40", "40"]
    assert all(e.raw["$set"]["email"] == "ada@example.com" for e in person)
    assert all("email" not in e.properties for e in events if e.event != "$set")


FLASK_APP = '''\
"""A contest site: the first visit sets it up with its administrator; an API blueprint
checks a token in a before-request hook and keeps the caller on ``g``."""

from flask import Blueprint, Flask, g, jsonify, request, session
from flask_sqlalchemy import SQLAlchemy

db = SQLAlchemy()
api = Blueprint("api", __name__)


class Member(db.Model):
    id = db.Column(db.Integer, primary_key=True)
    name = db.Column(db.String(80), nullable=False)
    token = db.Column(db.String(80), nullable=False)


class Entry(db.Model):
    id = db.Column(db.Integer, primary_key=True)
    author_id = db.Column(db.Integer, nullable=False)


def login_member(member):
    session["member_id"] = member.id


@api.before_request
def check_token():
    g.current_user = Member.query.filter_by(token=request.headers.get("X-Token")).first()
    if g.current_user is None:
        return jsonify(error="who are you"), 401


@api.post("/entries")
def add_entry():
    entry = Entry(author_id=g.current_user.id)
    db.session.add(entry)
    db.session.commit()
    return jsonify(id=entry.id), 201


def create_app():
    app = Flask(__name__)
    app.config.update(SQLALCHEMY_DATABASE_URI="sqlite://", SECRET_KEY="tests")
    db.init_app(app)
    app.register_blueprint(api, url_prefix="/api")

    @app.route("/setup", methods=["GET", "POST"])
    def setup():
        if request.method == "POST":
            admin = Member(name=request.form["name"], token=request.form["token"])
            db.session.add(admin)
            db.session.commit()
            login_member(admin)
            return jsonify(id=admin.id)
        return "the setup form"

    return app
'''

FLASK_SCRIPT = """\
import json

from contest import create_app, db
from contest.posthog_client import posthog_client

app = create_app()
with app.app_context():
    db.create_all()
admin = app.test_client().post("/setup", data={"name": "ada", "token": "t1"}).get_json()["id"]
api = app.test_client()
status = api.post("/api/entries", headers={"X-Token": "t1"}).status_code
posthog_client.flush()
print(json.dumps([admin, status]))
"""


def test_a_first_run_setup_signs_up_and_api_events_carry_the_user_kept_on_g(
    tmp_path: Path,
) -> None:
    project = tmp_path / "contest_site"
    (project / "contest").mkdir(parents=True)
    (project / "contest" / "__init__.py").write_text(FLASK_APP, encoding="utf-8")
    (project / "requirements.txt").write_text("flask\nflask-sqlalchemy\n", encoding="utf-8")
    assert main(["edit", "-q", str(project)]) == 0

    output, events = _serve(project, FLASK_SCRIPT)
    admin, status = json.loads(output)
    assert status == 201
    by_name = {e.event: e for e in events}
    assert "user_logged_in" not in by_name
    # The API client has no session: the entry is the token's user's, read from g.
    assert by_name["user_signed_up"].distinct_id == str(admin)
    assert by_name["entry_created"].distinct_id == str(admin)
    assert by_name["entry_created"].properties.get("$process_person_profile") is not False


FLASK_G_APP = """\
from flask import Blueprint, Flask, g, jsonify, request
from flask_sqlalchemy import SQLAlchemy

db = SQLAlchemy()
api = Blueprint("api", __name__)


class Member(db.Model):
    id = db.Column(db.Integer, primary_key=True)
    token = db.Column(db.String(80), nullable=False)

    @staticmethod
    def from_token(token):
        if not token:
            return None
        return Member.query.filter_by(token=token).first()


class Entry(db.Model):
    id = db.Column(db.Integer, primary_key=True)
    author_id = db.Column(db.Integer, db.ForeignKey("member.id"))
    author = db.relationship(Member)


@api.before_request
def load_member():
    # Anyone may write; a token says who.
    g.current_user = Member.from_token(request.headers.get("X-Token"))


@api.post("/entries")
def add_entry():
    entry = Entry(author=g.current_user)
    db.session.add(entry)
    db.session.commit()
    return jsonify(id=entry.id), 201


def create_app():
    app = Flask(__name__)
    app.config.update(SQLALCHEMY_DATABASE_URI="sqlite://", SECRET_KEY="tests")
    db.init_app(app)
    app.register_blueprint(api, url_prefix="/api")
    with app.app_context():
        db.create_all()
        db.session.add(Member(id=7, token="t7"))
        db.session.commit()
    return app
"""

FLASK_G_SCRIPT = """\
import json

from guestbook import create_app
from guestbook.posthog_client import posthog_client

client = create_app().test_client()
signed = client.post("/api/entries", headers={"X-Token": "t7"}).status_code
anonymous = client.post("/api/entries").status_code
posthog_client.flush()
print(json.dumps([signed, anonymous]))
"""


def test_api_events_carry_the_user_a_hook_keeps_on_g_where_the_handler_only_passes_it_on(
    tmp_path: Path,
) -> None:
    project = tmp_path / "guestbook_site"
    (project / "guestbook").mkdir(parents=True)
    (project / "guestbook" / "__init__.py").write_text(FLASK_G_APP, encoding="utf-8")
    (project / "requirements.txt").write_text("flask\nflask-sqlalchemy\n", encoding="utf-8")
    assert main(["edit", "-q", str(project)]) == 0

    output, events = _serve(project, FLASK_G_SCRIPT)
    # Both requests succeed: where g holds no user the id is not read.
    assert json.loads(output) == [201, 201]
    created = [e for e in events if e.event == "entry_created"]
    assert len(created) == 2
    # The signed request's event is the member's; the other is sent without a person.
    assert created[0].distinct_id == "7"
    assert created[1].distinct_id != "7"
