"""flask-jwt-extended: a token login identifies the user with the token's identity, and
every event of a ``@jwt_required()`` route carries it; a refresh route logs nobody in.
A small project of our own, edited by ``posthog-setup edit``, then served against the
mock host."""

from __future__ import annotations

import json
from pathlib import Path

from posthog_setup.cli import main
from tests.serving import serve

APP = '''\
"""Notes API: members sign up, log in for a token and keep notes."""

from flask import Flask, jsonify, request
from flask_jwt_extended import (
    JWTManager,
    create_access_token,
    get_jwt_identity,
    jwt_required,
)
from flask_sqlalchemy import SQLAlchemy
from werkzeug.security import check_password_hash, generate_password_hash

db = SQLAlchemy()
jwt = JWTManager()


class Member(db.Model):
    id = db.Column(db.Integer, primary_key=True)
    username = db.Column(db.String(80), unique=True, nullable=False)
    email = db.Column(db.String(120), nullable=False)
    password_hash = db.Column(db.String(200), nullable=False)


class Note(db.Model):
    id = db.Column(db.Integer, primary_key=True)
    owner_id = db.Column(db.String(20), nullable=False)
    text = db.Column(db.Text, nullable=False)


def create_app(config=None):
    app = Flask(__name__)
    app.config.update(
        SQLALCHEMY_DATABASE_URI="sqlite://",
        JWT_SECRET_KEY="a-secret-for-tests-long-enough-for-hs256",
    )
    if config:
        app.config.update(config)
    db.init_app(app)
    jwt.init_app(app)

    @app.post("/signup")
    def signup():
        data = request.get_json()
        member = Member(
            username=data["username"],
            email=data["email"],
            password_hash=generate_password_hash(data["password"]),
        )
        db.session.add(member)
        db.session.commit()
        return jsonify(id=member.id), 201

    @app.post("/login")
    def login():
        data = request.get_json()
        member = Member.query.filter_by(username=data["username"]).first()
        if member is None or not check_password_hash(member.password_hash, data["password"]):
            return jsonify(message="bad credentials"), 401
        return jsonify(access_token=create_access_token(identity=str(member.id)))

    @app.post("/refresh")
    @jwt_required(refresh=True)
    def refresh():
        return jsonify(access_token=create_access_token(identity=get_jwt_identity()))

    @app.post("/notes")
    @jwt_required()
    def create_note():
        note = Note(owner_id=get_jwt_identity(), text=request.get_json()["text"])
        db.session.add(note)
        db.session.commit()
        return jsonify(id=note.id), 201

    @app.delete("/notes/<int:note_id>")
    @jwt_required()
    def delete_note(note_id):
        note = db.get_or_404(Note, note_id)
        db.session.delete(note)
        db.session.commit()
        return "", 204

    @app.post("/feedback")
    @jwt_required(optional=True)
    def feedback():
        db.session.add(Note(owner_id="anonymous", text=request.get_json()["text"]))
        db.session.commit()
        return "", 204

    return app
'''

SCRIPT = """\
import json

from notes import create_app, db
from notes.posthog_client import posthog_client

app = create_app()
with app.app_context():
    db.create_all()
client = app.test_client()
account = {"username": "ada", "email": "ada@example.com", "password": "pw-for-tests"}
member_id = client.post("/signup", json=account).get_json()["id"]
bad = client.post("/login", json={**account, "password": "wrong"}).status_code
token = client.post("/login", json=account).get_json()["access_token"]
auth = {"Authorization": "Bearer " + token}
note_id = client.post("/notes", json={"text": "hello"}, headers=auth).get_json()["id"]
deleted = client.delete(f"/notes/{note_id}", headers=auth).status_code
anonymous = client.post("/feedback", json={"text": "nice"}).status_code
posthog_client.flush()
print(json.dumps({"member_id": member_id, "bad": bad, "deleted": deleted, "anonymous": anonymous}))
"""


def test_token_logins_and_protected_routes_carry_the_user(tmp_path: Path) -> None:
    project = tmp_path / "notes_api"
    (project / "notes").mkdir(parents=True)
    (project / "notes" / "__init__.py").write_text(APP, encoding="utf-8")
    (project / "requirements.txt").write_text(
        "flask\nflask-sqlalchemy\nflask-jwt-extended\n", encoding="utf-8"
    )
    assert main(["edit", "-q", str(project)]) == 0
    edited = (project / "notes" / "__init__.py").read_text(encoding="utf-8")
    refresh = edited[edited.index("def refresh") : edited.index("def create_note")]
    assert "posthog" not in refresh  # a refresh logs nobody in
    assert "get_jwt_identity()" not in edited[edited.index("def feedback") :]

    output, events = serve(project, SCRIPT, "phc_jwt")
    result = json.loads(output)
    assert (result["bad"], result["deleted"], result["anonymous"]) == (401, 204, 204)
    member = str(result["member_id"])
    by_name = {e.event: e for e in events}
    # One login (the refused one sent nothing), after the signup; both identified.
    assert sorted(e.event for e in events if e.event.startswith("user_")) == [
        "user_logged_in",
        "user_signed_up",
    ]
    for name in ("user_signed_up", "user_logged_in", "note_created", "note_deleted"):
        assert by_name[name].distinct_id == member, name
    person = [e for e in events if e.event == "$set"]
    assert len(person) == 2
    assert all(e.raw["$set"]["email"] == "ada@example.com" for e in person)
    assert all(e.distinct_id == member for e in person)
    assert all("email" not in e.properties for e in events if e.event != "$set")
