"""Who an account's creation is told as: a stranger signing up is identified as the new
user; someone logged in making an account (an admin) sends an ordinary event as
themselves, identifying nobody. A second run and revise --check find nothing to do."""

from __future__ import annotations

import textwrap
from pathlib import Path

from posthog_setup.cli import main


def _written(root: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(textwrap.dedent(text), encoding="utf-8")
    return root


def _edited(project: Path, module: str) -> str:
    """``module`` after ``edit``; it compiles, and a second run and the check agree."""
    assert main(["edit", "-q", str(project)]) == 0
    text = (project / module).read_text(encoding="utf-8")
    compile(text, module, "exec")
    assert main(["edit", "-q", "--allow-dirty", str(project)]) == 0
    assert (project / module).read_text(encoding="utf-8") == text
    assert main(["revise", "--check", str(project)]) == 0
    return text


FLASK_FILES = {
    "requirements.txt": "flask>=3.0\nflask-login\nflask-sqlalchemy\n",
    "shop/__init__.py": "",
    "shop/models.py": """\
        from flask_login import UserMixin
        from flask_sqlalchemy import SQLAlchemy

        db = SQLAlchemy()


        class User(UserMixin, db.Model):
            id = db.Column(db.Integer, primary_key=True)
            email = db.Column(db.String(120), unique=True)
        """,
    "shop/views.py": """\
        from flask import Blueprint, request
        from flask_login import login_required

        from shop.models import User, db

        accounts = Blueprint("accounts", __name__)


        @accounts.route("/join", methods=["POST"])
        def join():
            user = User(email=request.form["email"])
            db.session.add(user)
            db.session.commit()
            return "", 201


        @accounts.route("/panel/new-user", methods=["GET", "POST"])
        @login_required
        def new_user():
            if request.method == "POST":
                user = User(email=request.form["email"])
                db.session.add(user)
                db.session.commit()
                return "", 201
            return "form"
        """,
    "shop/app.py": """\
        from flask import Flask
        from flask_login import LoginManager

        from shop.models import User, db
        from shop.views import accounts

        app = Flask(__name__)
        db.init_app(app)
        login_manager = LoginManager(app)
        app.register_blueprint(accounts)


        @login_manager.user_loader
        def load_user(user_id):
            return db.session.get(User, int(user_id))
        """,
}


def test_an_account_made_behind_login_required_is_sent_as_who_made_it(tmp_path: Path) -> None:
    views = _edited(_written(tmp_path, FLASK_FILES), "shop/views.py")
    join, made = views.split("def new_user", 1)
    # The stranger who joins is the new user.
    assert "db.session.commit()\n    identify_context(str(user.id))" in join
    assert 'capture("user_signed_up", distinct_id=str(user.id))' in join
    # The one logged in made someone else's account: sent as them, the account's id a
    # property; the new user is not identified in the admin's request.
    created = textwrap.indent(
        textwrap.dedent(
            """\
            db.session.commit()
            posthog_client.capture(
                "user_created",
                distinct_id=str(current_user.get_id()) if current_user.is_authenticated else None,
                properties={"user_id": user.id},
            )
            """
        ),
        "        ",
    )
    assert created in made
    assert "identify_context" not in made
    assert "user_signed_up" not in made
