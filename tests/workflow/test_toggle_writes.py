"""A handler whose ways end its action with different kinds of writes (a toggle: the
follow made in one branch, deleted in the other) sends one event per way, each after its
own write and before its own return, each named from its own write; the plan lists both
for the route. A branch that only refuses sends nothing, and ways that write the same
kind of thing keep one event. A second edit and revise --check find nothing to do."""

from __future__ import annotations

import json
from pathlib import Path

from posthog_setup.cli import main

FLASK_APP = """\
from flask import Flask, abort, jsonify
from flask_login import current_user, login_required
from flask_sqlalchemy import SQLAlchemy

app = Flask(__name__)
db = SQLAlchemy(app)


class Star(db.Model):
    id = db.Column(db.Integer, primary_key=True)
    repo_id = db.Column(db.Integer)
    owner_id = db.Column(db.Integer)


@app.post("/repos/<int:repo_id>/star")
@login_required
def star_repo(repo_id):
    starred = Star.query.filter_by(repo_id=repo_id, owner_id=current_user.id).first()
    if starred is not None:
        db.session.delete(starred)
        db.session.commit()
        return jsonify(starred=False)
    star = Star(repo_id=repo_id, owner_id=current_user.id)
    db.session.add(star)
    db.session.commit()
    return jsonify(starred=True)
"""

FASTAPI_APP = """\
from fastapi import APIRouter, Depends, FastAPI, HTTPException
from sqlalchemy.orm import Session

from shelf.db import get_session
from shelf.models import Pin

app = FastAPI()
router = APIRouter(prefix="/pins")


@router.post("/")
def pin(board_id: int, wanted: bool, db: Session = Depends(get_session)):
    pins = db.query(Pin).filter(Pin.board_id == board_id)
    existing = pins.first()
    if wanted:
        if existing:
            raise HTTPException(409, "already pinned")
        db.add(Pin(board_id=board_id))
        db.commit()
        return {"pinned": True}
    else:
        if not existing:
            raise HTTPException(404, "not pinned")
        pins.delete(synchronize_session=False)
        db.commit()
        return {"pinned": False}


app.include_router(router)
"""
FASTAPI_MODELS = """\
from sqlalchemy import Column, Integer
from sqlalchemy.orm import declarative_base

Base = declarative_base()


class Pin(Base):
    __tablename__ = "pins"
    id = Column(Integer, primary_key=True)
    board_id = Column(Integer)
"""
FASTAPI_DB = """\
def get_session():
    yield None
"""

DJANGO_SETTINGS = 'ROOT_URLCONF = "club.urls"\nINSTALLED_APPS = ["members"]\n'
DJANGO_URLS = """\
from django.urls import path

from members import views

urlpatterns = [
    path("members/<int:pk>/follow/", views.follow_member),
]
"""
DJANGO_VIEWS = """\
from django.contrib.auth.decorators import login_required
from django.shortcuts import get_object_or_404, redirect

from members.models import Follow, Member


@login_required
def follow_member(request, pk):
    member = get_object_or_404(Member, pk=pk)
    existing = Follow.objects.filter(follower=request.user, member=member).first()
    if existing:
        existing.delete()
    else:
        Follow.objects.create(follower=request.user, member=member)
    return redirect("member", pk=pk)
"""
DJANGO_MODELS = """\
from django.conf import settings
from django.db import models


class Member(models.Model):
    name = models.CharField(max_length=80)


class Follow(models.Model):
    follower = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE)
    member = models.ForeignKey(Member, on_delete=models.CASCADE)
"""

#: Both ways save a note: one a note it looked up, one a note it made. Different nouns
#: for one kind of write, sent as one event, after the branches.
SAME_KIND_APP = """\
from flask import Flask, redirect, request
from flask_sqlalchemy import SQLAlchemy

app = Flask(__name__)
db = SQLAlchemy(app)


class Draft(db.Model):
    id = db.Column(db.Integer, primary_key=True)
    text = db.Column(db.String)


class Note(db.Model):
    id = db.Column(db.Integer, primary_key=True)
    text = db.Column(db.String)


@app.post("/notes/save")
def save_note():
    if request.form.get("draft"):
        draft = Draft(text=request.form["text"])
        db.session.add(draft)
        db.session.commit()
    else:
        note = Note(text=request.form["text"])
        db.session.add(note)
        db.session.commit()
    return redirect("/notes")
"""


#: The action is made before the branches (the card saved); what they write (its tag
#: added or removed) follows it up: one event, as before.
FOLLOW_UP_APP = """\
from flask import Flask, request
from flask_sqlalchemy import SQLAlchemy

app = Flask(__name__)
db = SQLAlchemy(app)


class Card(db.Model):
    id = db.Column(db.Integer, primary_key=True)
    title = db.Column(db.String)


class Tag(db.Model):
    id = db.Column(db.Integer, primary_key=True)
    card_id = db.Column(db.Integer)


@app.post("/cards/<int:card_id>/tags")
def card_tags(card_id):
    card = db.get_or_404(Card, card_id)
    card.title = request.form["title"]
    db.session.commit()
    old = Tag.query.filter_by(card_id=card_id).first()
    if request.form.get("tagged"):
        db.session.add(Tag(card_id=card_id))
        db.session.commit()
    else:
        db.session.delete(old)
        db.session.commit()
    return {"ok": True}
"""


def _write(root: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text, encoding="utf-8")
    return root


def _edited(project: Path, module: str) -> tuple[str, list[tuple[str, str | None]]]:
    """``module`` after ``edit``, and the plan's (event, outcome) pairs of captures; a
    second edit and revise --check change nothing."""
    assert main(["edit", "-q", "--allow-dirty", str(project)]) == 0
    edited = (project / module).read_text(encoding="utf-8")
    compile(edited, module, "exec")
    plan = json.loads((project / "posthog-events.json").read_text(encoding="utf-8"))
    events = [(e["event"], e.get("outcome")) for e in plan["events"] if e["kind"] == "capture"]
    assert main(["edit", "--check", str(project)]) == 0
    assert main(["revise", "--check", str(project)]) == 0
    assert (project / module).read_text(encoding="utf-8") == edited
    return edited, events


def _at(edited: str, text: str) -> int:
    return edited.index(text)


def test_a_flask_star_toggle_sends_the_star_and_the_unstar_from_their_own_ways(
    tmp_path: Path,
) -> None:
    project = _write(
        tmp_path / "repos",
        {"app.py": FLASK_APP, "requirements.txt": "flask\nflask-login\nflask-sqlalchemy\n"},
    )
    edited, events = _edited(project, "app.py")
    assert events == [("repo_starred", "repo_starred"), ("repo_unstarred", "repo_unstarred")]
    unstarred = _at(edited, '"repo_unstarred"')
    starred = _at(edited, '"repo_starred"')
    # each after its own commit, before its own return
    assert _at(edited, "db.session.delete(starred)") < unstarred < _at(edited, "starred=False")
    assert _at(edited, "db.session.add(star)") < starred < _at(edited, "starred=True")
    assert edited.count("posthog_client.capture(") == 2
    # the star the unstar deleted has no key to read any more; the one made has
    assert "starred.id" not in edited
    assert '"star_id": star.id' in edited


def test_a_fastapi_pin_toggle_sends_the_create_and_the_delete_from_their_own_branches(
    tmp_path: Path,
) -> None:
    project = _write(
        tmp_path / "boards",
        {
            "shelf/__init__.py": "",
            "shelf/main.py": FASTAPI_APP,
            "shelf/models.py": FASTAPI_MODELS,
            "shelf/db.py": FASTAPI_DB,
            "requirements.txt": "fastapi\nsqlalchemy\n",
        },
    )
    edited, events = _edited(project, "shelf/main.py")
    assert events == [("pin_created", "pin_created"), ("pin_deleted", "pin_deleted")]
    created = _at(edited, '"pin_created"')
    deleted = _at(edited, '"pin_deleted"')
    assert _at(edited, "db.add(Pin(") < created < _at(edited, '{"pinned": True}')
    assert _at(edited, "pins.delete(") < deleted < _at(edited, '{"pinned": False}')
    # the branches that only refuse (409, 404) send nothing
    assert edited.count("posthog_client.capture(") == 2
    assert _at(edited, "already pinned") < created
    assert _at(edited, "not pinned") < deleted


def test_a_django_follow_toggle_sends_the_follow_and_the_unfollow_from_their_own_branches(
    tmp_path: Path,
) -> None:
    project = _write(
        tmp_path / "club",
        {
            "manage.py": "",
            "club/__init__.py": "",
            "club/settings.py": DJANGO_SETTINGS,
            "club/urls.py": DJANGO_URLS,
            "members/__init__.py": "",
            "members/models.py": DJANGO_MODELS,
            "members/views.py": DJANGO_VIEWS,
            "requirements.txt": "django>=4.2\n",
        },
    )
    edited, events = _edited(project, "members/views.py")
    assert [event for event, _ in events] == ["member_followed", "member_unfollowed"]
    followed = _at(edited, '"member_followed"')
    unfollowed = _at(edited, '"member_unfollowed"')
    assert _at(edited, "existing.delete()") < unfollowed < _at(edited, "else:")
    assert _at(edited, "Follow.objects.create(") < followed < _at(edited, "return redirect(")
    assert edited.count("posthog_client.capture(") == 2


def test_ways_that_write_the_same_kind_of_thing_send_one_event_after_the_branches(
    tmp_path: Path,
) -> None:
    project = _write(
        tmp_path / "notes",
        {"app.py": SAME_KIND_APP, "requirements.txt": "flask\nflask-sqlalchemy\n"},
    )
    edited, events = _edited(project, "app.py")
    assert len(events) == 1
    assert events[0][1] is None
    assert edited.count("posthog_client.capture(") == 1
    assert _at(edited, "note = Note(") < _at(edited, "posthog_client.capture(")
    assert _at(edited, "posthog_client.capture(") < _at(edited, 'return redirect("/notes")')


def test_branches_that_follow_up_a_change_made_before_them_send_one_event(
    tmp_path: Path,
) -> None:
    project = _write(
        tmp_path / "cards",
        {"app.py": FOLLOW_UP_APP, "requirements.txt": "flask\nflask-sqlalchemy\n"},
    )
    edited, events = _edited(project, "app.py")
    assert [outcome for _, outcome in events] == [None]
    assert edited.count("posthog_client.capture(") == 1
