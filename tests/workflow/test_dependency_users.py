"""FastAPI handlers whose acting user is a dependency's result, and what revise plans of
the code edit wrote.

``current_user=Depends(get_current_admin_user)`` without an annotation is the user the
dependency returns (its ``-> User`` annotation says which class): the events of the
routes that take it are sent as that user. The user an admin creates is not the admin:
no ``user_id`` of the acting user goes on ``user_created``. Edit splits ``return
create_user(...)`` into ``result = ...``, which a fresh analysis of the edited code can
read; the plan still lists only what the capture edit wrote sends.
"""

from __future__ import annotations

import json
import textwrap
from pathlib import Path
from typing import Any

from posthog_setup.cli import main

MODELS = """\
from sqlalchemy import Boolean, Column, Integer, String
from sqlalchemy.orm import declarative_base

Base = declarative_base()


class User(Base):
    __tablename__ = "users"
    id = Column(Integer, primary_key=True)
    email = Column(String, unique=True)
    is_admin = Column(Boolean, default=False)
"""

CRUD = """\
from .models import User


def create_user(db, email: str) -> User:
    user = User(email=email)
    db.add(user)
    db.commit()
    return user


def rename_user(db, user_id: int, email: str) -> User:
    user = db.get(User, user_id)
    user.email = email
    db.add(user)
    db.commit()
    return user
"""

AUTH = """\
from fastapi import Depends, HTTPException

from .models import User


async def get_current_user(token: str = "") -> User:
    raise HTTPException(401)


async def get_current_admin_user(current_user: User = Depends(get_current_user)) -> User:
    if not current_user.is_admin:
        raise HTTPException(403)
    return current_user
"""

MAIN = """\
from fastapi import Depends, FastAPI

from .auth import get_current_admin_user
from .crud import create_user, rename_user

app = FastAPI()


def get_db():
    yield None


@app.post("/users")
async def user_create(email: str, db=Depends(get_db), current_user=Depends(get_current_admin_user)):
    return create_user(db, email)


@app.put("/users/{user_id}")
async def user_rename(
    user_id: int, email: str, db=Depends(get_db), current_user=Depends(get_current_admin_user)
):
    return rename_user(db, user_id, email)
"""


def _project(root: Path) -> Path:
    files = {
        "pyproject.toml": '[project]\nname = "staff"\nversion = "1"\n'
        'dependencies = ["fastapi", "sqlalchemy"]\n',
        "staff/__init__.py": "",
        "staff/models.py": MODELS,
        "staff/crud.py": CRUD,
        "staff/auth.py": AUTH,
        "staff/main.py": MAIN,
    }
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text))
    return root


def _planned(root: Path) -> dict[str, dict[str, Any]]:
    data = json.loads((root / "posthog-events.json").read_text())
    return {e["event"]: e for e in data["events"]}


def test_the_acting_user_of_a_dependency_sends_the_events(tmp_path: Path) -> None:
    project = _project(tmp_path / "staff")
    assert main(["edit", "-q", "--allow-dirty", str(project)]) == 0
    edited = (project / "staff" / "main.py").read_text()
    assert edited.count("distinct_id=str(current_user.id)") == 2
    # The admin is not the user the route created.
    assert '"user_id": current_user.id' not in edited
    assert '"user_id": user_id' in edited
    planned = _planned(project)
    assert planned["user_created"]["distinct_id"] == "current_user.id"
    assert [p["name"] for p in planned["user_created"]["properties"]] == []


def test_revise_plans_what_the_edited_capture_sends(tmp_path: Path) -> None:
    project = _project(tmp_path / "staff")
    assert main(["edit", "-q", "--allow-dirty", str(project)]) == 0
    before = (project / "posthog-events.json").read_bytes()
    # The edited code binds ``result = create_user(db, email)``, whose id a fresh analysis
    # could send; the capture that edit wrote does not, and the plan says so.
    assert "result = create_user(db, email)" in (project / "staff" / "main.py").read_text()
    assert main(["revise", "--check", str(project)]) == 0
    assert main(["revise", str(project)]) == 0
    assert (project / "posthog-events.json").read_bytes() == before
