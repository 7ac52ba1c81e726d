"""A signup that looks the address up first and then binds the same name to the user it
creates (``user = find(...)``; ``if user: raise ...``; ``user = create(...)``): past the
creation the name is the new user, so it is identified and its event carries it. Where the
lookup's user can still reach the insertion (rebound on one way only), nothing of it is
read. A second run and revise --check find nothing to do."""

from __future__ import annotations

import textwrap
from pathlib import Path

from tests.workflow.edits import edited as _edited
from tests.workflow.edits import written as _written

FASTAPI_FILES = {
    "requirements.txt": "fastapi\nsqlmodel\n",
    "club/__init__.py": "",
    "club/models.py": """\
        from sqlmodel import Field, SQLModel


        class User(SQLModel, table=True):
            id: int | None = Field(default=None, primary_key=True)
            email: str
            hashed_password: str


        class UserJoin(SQLModel):
            email: str
            password: str
        """,
    "club/crud.py": """\
        from sqlmodel import Session, select

        from club.models import User, UserJoin


        def user_by_email(*, session: Session, email: str) -> User | None:
            return session.exec(select(User).where(User.email == email)).first()


        def create_user(*, session: Session, joining: UserJoin) -> User:
            user = User(email=joining.email, hashed_password=joining.password[::-1])
            session.add(user)
            session.commit()
            session.refresh(user)
            return user
        """,
    "club/main.py": """\
        from fastapi import APIRouter, FastAPI, HTTPException
        from sqlmodel import Session

        from club import crud
        from club.models import User, UserJoin

        app = FastAPI()
        router = APIRouter(prefix="/members")


        @router.post("/join")
        def join(joining: UserJoin, session: Session) -> User:
            user = crud.user_by_email(session=session, email=joining.email)
            if user:
                raise HTTPException(status_code=400, detail="already a member")
            user = crud.create_user(session=session, joining=joining)
            return user


        app.include_router(router)
        """,
}


def test_a_fastapi_signup_that_rebinds_its_lookup_identifies_the_new_user(
    tmp_path: Path,
) -> None:
    main_py = _edited(_written(tmp_path, FASTAPI_FILES), "club/main.py")
    made = textwrap.indent(
        textwrap.dedent(
            """\
            user = crud.create_user(session=session, joining=joining)
            identify_context(str(user.id))
            posthog_client.set(distinct_id=str(user.id), properties={"email": user.email})
            posthog_client.capture("user_signed_up", distinct_id=str(user.id))
            return user
            """
        ),
        "    ",
    )
    assert made in main_py
    # Nothing is read of the lookup's user, which is None wherever the handler goes on.
    assert main_py.count("user.id") == 3


def test_a_signup_that_rebinds_on_one_way_only_reads_nothing_of_the_user(
    tmp_path: Path,
) -> None:
    files = dict(FASTAPI_FILES)
    # The last assignment above the commit is the new user's, but where the address is
    # taken the lookup's user (which may be None, as its type says) reaches it instead.
    files["club/main.py"] = FASTAPI_FILES["club/main.py"].replace(
        """\
            if user:
                raise HTTPException(status_code=400, detail="already a member")
            user = crud.create_user(session=session, joining=joining)
        """,
        """\
            if not joining.email.endswith(".invalid"):
                user = User(email=joining.email, hashed_password=joining.password[::-1])
            session.add(user)
            session.commit()
        """,
    )
    main_py = _edited(_written(tmp_path, files), "club/main.py")
    handler = main_py.split("def join", 1)[1]
    assert "session.commit()\n    posthog_client.capture(" in handler
    assert "identify_context" not in handler
    assert "user.id" not in handler
    assert "user.email" not in handler


SQLALCHEMY_FILES = {
    "requirements.txt": "fastapi\nsqlalchemy>=2\n",
    "guild/__init__.py": "",
    "guild/models.py": """\
        from sqlalchemy import String
        from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


        class Base(DeclarativeBase):
            pass


        class User(Base):
            __tablename__ = "users"

            id: Mapped[int] = mapped_column(primary_key=True)
            username: Mapped[str] = mapped_column(String(40), unique=True)
            email: Mapped[str] = mapped_column(String(120), unique=True)
        """,
    "guild/routes.py": """\
        from fastapi import APIRouter, HTTPException
        from pydantic import BaseModel
        from sqlalchemy import select
        from sqlalchemy.orm import Session

        from guild.models import User

        router = APIRouter(prefix="/users")


        class Joining(BaseModel):
            username: str
            email: str


        @router.post("/", status_code=201)
        def create_user(joining: Joining, session: Session) -> dict[str, int]:
            db_user = session.scalar(
                select(User).where(
                    (User.username == joining.username) | (User.email == joining.email)
                )
            )
            if db_user:
                if db_user.username == joining.username:
                    raise HTTPException(status_code=409, detail="username taken")
                elif db_user.email == joining.email:
                    raise HTTPException(status_code=409, detail="email taken")
            db_user = User(username=joining.username, email=joining.email)
            session.add(db_user)
            session.commit()
            session.refresh(db_user)
            return {"id": db_user.id}
        """,
    "guild/app.py": """\
        from fastapi import FastAPI

        from guild.routes import router

        app = FastAPI()
        app.include_router(router)
        """,
}


def test_a_select_lookup_rebound_to_the_new_row_identifies_it(tmp_path: Path) -> None:
    routes = _edited(_written(tmp_path, SQLALCHEMY_FILES), "guild/routes.py")
    # The lookup's branch falls through where neither test holds; the name is bound again
    # on every way on, so past the commit it is the row just made.
    made = textwrap.indent(
        textwrap.dedent(
            """\
            session.commit()
            identify_context(str(db_user.id))
            posthog_client.set(
                distinct_id=str(db_user.id),
                properties={"email": db_user.email, "username": db_user.username},
            )
            posthog_client.capture("user_signed_up", distinct_id=str(db_user.id))
            session.refresh(db_user)
            """
        ),
        "    ",
    )
    assert made in routes


FLASK_FILES = {
    "requirements.txt": "flask>=3.0\nflask-login\nflask-sqlalchemy\n",
    "lodge/__init__.py": "",
    "lodge/models.py": """\
        from flask_login import UserMixin
        from flask_sqlalchemy import SQLAlchemy

        db = SQLAlchemy()


        class User(UserMixin, db.Model):
            id = db.Column(db.Integer, primary_key=True)
            email = db.Column(db.String(120), unique=True)
        """,
    "lodge/views.py": """\
        from flask import Blueprint, request

        from lodge.models import User, db

        accounts = Blueprint("accounts", __name__)


        @accounts.route("/register", methods=["POST"])
        def register():
            user = User.query.filter_by(email=request.form["email"]).first()
            if user is not None:
                return "taken", 409
            user = User(email=request.form["email"])
            db.session.add(user)
            db.session.commit()
            return "", 201
        """,
    "lodge/app.py": """\
        from flask import Flask
        from flask_login import LoginManager

        from lodge.models import User, db
        from lodge.views import accounts

        app = Flask(__name__)
        db.init_app(app)
        login_manager = LoginManager(app)
        app.register_blueprint(accounts)


        @login_manager.user_loader
        def load_user(user_id):
            return db.session.get(User, int(user_id))
        """,
}


def test_a_flask_signup_that_rebinds_its_lookup_identifies_the_new_user(tmp_path: Path) -> None:
    views = _edited(_written(tmp_path, FLASK_FILES), "lodge/views.py")
    assert "db.session.commit()\n    identify_context(str(user.id))" in views
    assert 'capture("user_signed_up", distinct_id=str(user.id))' in views
