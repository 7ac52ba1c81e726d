"""The user a Flask project keeps on ``g``: typed by every value the project assigns it, its
id is sent under a guard that holds also where nothing set it."""

from __future__ import annotations

import textwrap

from posthog_setup.analysis.model import Analysis
from posthog_setup.codemods.placement import build_points
from posthog_setup.plan.plan import build_plan
from tests.analysers import analyse_sources
from tests.codemods.helpers import check_transformed

MODELS = """\
from flask_sqlalchemy import SQLAlchemy

db = SQLAlchemy()


class Member(db.Model):
    id = db.Column(db.Integer, primary_key=True)
    token = db.Column(db.String(80))

    @staticmethod
    def from_token(token):
        try:
            key = int(token)
        except ValueError:
            return None
        return Member.query.get(key)


class Visitor:
    name = "guest"


class Note(db.Model):
    id = db.Column(db.Integer, primary_key=True)
"""

HANDLERS = """\
from flask import Blueprint, g

from shop.models import Note, db

api = Blueprint("api", __name__)


@api.post("/notes")
def add_note():
    note = Note(owner=g.current_user)
    db.session.add(note)
    db.session.commit()
    return ""
"""


def _analyse(hook: str, **more: str) -> Analysis:
    return analyse_sources(
        {
            "shop/__init__.py": "",
            "shop/models.py": MODELS,
            "shop/api.py": HANDLERS,
            "shop/auth.py": textwrap.dedent(hook),
            **{f"shop/{name}.py": textwrap.dedent(text) for name, text in more.items()},
        }
    )


def _sent(analysis: Analysis) -> tuple[str | None, str | None]:
    """The id and guard the note_created capture is sent with."""
    plan = build_plan(analysis, client_module="shop/posthog_client.py")
    [point] = build_points(analysis, plan)["shop/api.py"].captures
    return point.distinct_id, point.guard


GUARD = 'g.get("current_user") is not None'

BEFORE_REQUEST = """\
from flask import g, request

from shop.api import api
from shop.models import Member


@api.before_request
def load_member():
    g.current_user = Member.query.filter_by(token=request.headers.get("X-Token")).first()
"""


def test_a_user_a_before_request_hook_keeps_on_g_is_sent_where_g_holds_it() -> None:
    analysis = _analyse(BEFORE_REQUEST)
    assert {"id", "?"} <= analysis.attributes_of("flask.g.current_user")
    assert _sent(analysis) == ("g.current_user.id", GUARD)


def test_a_user_an_httpauth_callback_keeps_on_g_through_a_static_method() -> None:
    analysis = _analyse(
        """\
        from flask import g
        from flask_httpauth import HTTPBasicAuth

        from shop.api import api
        from shop.models import Member

        auth = HTTPBasicAuth()


        @auth.verify_password
        def verify_password(token, password):
            if token == "":
                return False
            if password == "":
                g.current_user = Member.from_token(token)
                return g.current_user is not None
            member = Member.query.filter_by(token=token).first()
            if not member:
                return False
            g.current_user = member
            return True


        @api.before_request
        @auth.login_required
        def check():
            pass
        """
    )
    # The static method's returns say: a Member, or None.
    assert {"id", "?"} <= analysis.attributes_of("shop.models.Member.from_token")
    assert _sent(analysis) == ("g.current_user.id", GUARD)


def test_one_assignment_of_another_class_types_nothing() -> None:
    analysis = _analyse(
        BEFORE_REQUEST,
        guests="""\
        from flask import g

        from shop.models import Visitor


        def as_guest():
            g.current_user = Visitor()
        """,
    )
    assert analysis.attributes_of("flask.g.current_user") == frozenset()
    assert _sent(analysis) == (None, None)


def test_none_may_be_assigned_but_a_deletion_or_a_computed_name_types_nothing() -> None:
    cleared = """\
    from flask import g

    def clear():
        g.current_user = None
    """
    assert _sent(_analyse(BEFORE_REQUEST, cleared=cleared)) == ("g.current_user.id", GUARD)
    deleted = """\
    from flask import g

    def clear():
        del g.current_user
    """
    assert _sent(_analyse(BEFORE_REQUEST, cleared=deleted)) == (None, None)
    computed = """\
    from flask import g

    def keep(name, value):
        setattr(g, name, value)
    """
    assert _sent(_analyse(BEFORE_REQUEST, kept=computed)) == (None, None)


def test_a_function_with_a_return_of_unknown_type_types_nothing() -> None:
    analysis = _analyse(
        """\
        from flask import g, request

        from shop.api import api
        from shop.models import Member


        def lookup(token):
            if not token:
                return None
            if token.startswith("cached:"):
                return CACHE[token]
            return Member.query.get(int(token))


        @api.before_request
        def load_member():
            g.current_user = lookup(request.headers.get("X-Token"))
        """
    )
    assert analysis.attributes_of("flask.g.current_user") == frozenset()
    assert _sent(analysis) == (None, None)


def test_the_edit_reads_the_id_only_where_g_holds_the_user() -> None:
    analysis = _analyse(BEFORE_REQUEST)
    plan = build_plan(analysis, client_module="shop/posthog_client.py")
    [point] = build_points(analysis, plan)["shop/api.py"].captures
    check_transformed(
        HANDLERS,
        point,
        """\
        from flask import Blueprint, g

        from shop.models import Note, db

        from app.analytics import posthog_client

        api = Blueprint("api", __name__)


        @api.post("/notes")
        def add_note():
            note = Note(owner=g.current_user)
            db.session.add(note)
            db.session.commit()
            posthog_client.capture(
                "note_created",
                distinct_id=str(g.current_user.id) if g.get("current_user") is not None else None,
                properties={"note_id": note.id},
            )
            return ""
        """,
    )
