"""A handler that logs users in on two ways: an OAuth callback signs a new user up and
logs a returning one in, a form logs in with or without "remember me". Each call is what
the user it logs in makes it, and the plan lists each of the handler's events once: edit
applies it and the check passes."""

from __future__ import annotations

from pathlib import Path

from posthog_setup.analysis.engine import analyse_project
from posthog_setup.frameworks.registry import analysers
from tests.workflow.edits import edited, written

VIEWS = """\
    from flask import Blueprint, redirect, request
    from flask_login import login_user

    from club.models import Member, db

    bp = Blueprint("accounts", __name__)


    @bp.route("/callback/<provider>")
    def callback(provider):
        email = request.args["email"]
        member = Member.query.filter_by(email=email).first()
        if member is None:
            member = Member(email=email)
            db.session.add(member)
            db.session.commit()
            login_user(member)
            return redirect("/welcome")
        login_user(member)
        return redirect("/")


    @bp.route("/login", methods=["POST"])
    def login():
        member = Member.query.filter_by(email=request.form["email"]).first_or_404()
        if request.form.get("remember"):
            login_user(member, remember=True)
        else:
            login_user(member)
        return redirect("/")
    """
MODELS = """\
    from flask_login import UserMixin
    from flask_sqlalchemy import SQLAlchemy

    db = SQLAlchemy()


    class Member(UserMixin, db.Model):
        id = db.Column(db.Integer, primary_key=True)
        email = db.Column(db.String)
    """


def test_each_login_call_is_what_the_user_it_logs_in_makes_it(tmp_path: Path) -> None:
    project = written(
        tmp_path,
        {
            "club/__init__.py": "from flask import Flask\nfrom club.views import bp\n"
            "app = Flask(__name__)\napp.register_blueprint(bp)\n",
            "club/views.py": VIEWS,
            "club/models.py": MODELS,
            "requirements.txt": "flask>=3.0\nflask-login\nflask-sqlalchemy\n",
        },
    )
    analysis = analyse_project(project, analysers(), use_cache=False)
    points = sorted((p.handler.qualname, p.kind) for p in analysis.auth_points)
    # The callback's second call logs in the member its lookup found: the one it made
    # took the other way out.
    assert points == [
        ("callback", "login"),
        ("callback", "signup"),
        ("login", "login"),
        ("login", "login"),
    ]
    views = edited(project, "club/views.py")
    callback, login = views.split("def login():", 1)
    signup, returning = callback.split('return redirect("/welcome")', 1)
    assert 'capture("user_signed_up", distinct_id=str(member.get_id()))' in signup
    assert "user_logged_in" not in signup
    assert 'capture("user_logged_in", distinct_id=str(member.get_id()))' in returning
    # Remembered or not, each login is identified and sent.
    remembered, plain = login.split("else:", 1)
    for way in (remembered, plain):
        assert "identify_context(str(member.get_id()))" in way
        assert 'capture("user_logged_in", distinct_id=str(member.get_id()))' in way
