"""Writes a handler reaches through the project's own code, and POSTs that reach none."""

from __future__ import annotations

from posthog_setup.analysis.model import Analysis, Route
from tests.analysis.web_helpers import analyse

#: A little Flask project: a settings helper, a token helper and mail in other modules.
HELPERS = {
    "notes/__init__.py": "",
    "notes/db.py": """
        from flask_sqlalchemy import SQLAlchemy

        db = SQLAlchemy()
        """,
    "notes/models.py": """
        from notes.db import db

        class Setting(db.Model):
            id = db.Column(db.Integer, primary_key=True)

        class Team(db.Model):
            id = db.Column(db.Integer, primary_key=True)

            def invite_code(self):
                return sign({"team": self.id})

        def sign(data):
            return repr(sorted(data.items()))
        """,
    "notes/settings.py": """
        from notes.db import db
        from notes.models import Setting

        def read_setting(key):
            return Setting.query.filter_by(key=key).first()

        def store_setting(key, value):
            setting = read_setting(key) or Setting(key=key)
            setting.value = value
            db.session.add(setting)
            db.session.commit()

        def configure(values):
            for key, value in values.items():
                store_setting(key, value)
        """,
    "notes/mail.py": """
        import smtplib

        from notes.settings import read_setting

        def send_mail(address, text):
            with smtplib.SMTP(read_setting("smtp_host")) as server:
                server.sendmail("noreply@example.invalid", [address], text)
            return True
        """,
}


def _routes(views: str, extra: dict[str, str] | None = None) -> dict[str, Route]:
    analysis: Analysis = analyse({**HELPERS, **(extra or {}), "notes/views.py": views})
    return {r.handler.qualname: r for r in analysis.routes}


VIEWS = """
from flask import Blueprint, Flask, render_template, request, send_file

from notes.mail import send_mail
from notes.models import Team
from notes.settings import configure, read_setting, store_setting

app = Flask(__name__)
views = Blueprint("views", __name__)


@views.route("/settings", methods=["POST"])
def save_settings():
    configure(request.form)
    return render_template("saved.html")


@views.route("/integrations", methods=["GET", "POST"])
def integrations():
    if request.values.get("state"):
        store_setting("client_id", request.values["client_id"])
        return render_template("integrations.html")
    return render_template("integrations.html", missing=True)


@views.route("/mail", methods=["POST"])
def mail_user():
    send_mail(request.form["address"], request.form["text"])
    return {"sent": True}


@views.route("/invite", methods=["POST"])
def invite():
    team = Team.query.get(request.form["team"])
    return {"code": team.invite_code()}


@views.route("/theme", methods=["GET", "POST"])
def theme():
    current = read_setting("theme")
    themes = ["light", "dark"]
    themes.remove(current)
    return render_template("theme.html", themes=themes)


@views.route("/export", methods=["POST"])
def export():
    return send_file(read_setting("export_path"))

app.register_blueprint(views)
"""


def test_a_write_in_a_helper_of_another_module_is_the_handlers() -> None:
    routes = _routes(VIEWS)
    settings = routes["save_settings"]
    assert settings.mutating
    # Two calls deep: configure() -> store_setting() -> db.session.commit().
    assert any("configure()" in e.detail and e.mutating for e in settings.evidence)
    assert settings.anchor is not None
    assert settings.anchor.line == settings.line + 2
    integrations = routes["integrations"]
    assert integrations.mutating
    # Right after the write, on the branch that then succeeds (not the other one).
    assert integrations.anchor is not None
    assert integrations.anchor.line == integrations.line + 3
    assert not integrations.anchor.before


def test_a_post_that_only_mails_renders_or_returns_a_code_is_not_a_write() -> None:
    routes = _routes(VIEWS)
    for handler in ("mail_user", "invite", "theme", "export"):
        route = routes[handler]
        assert not route.mutating, handler
        assert any(e.kind == "read-only" for e in route.evidence), handler


def test_a_post_whose_calls_cannot_be_followed_stays_a_write() -> None:
    routes = _routes(
        """
        from flask import Blueprint, Flask, request

        from notes.importers import IMPORTERS

        app = Flask(__name__)
        views = Blueprint("views", __name__)

        @views.route("/import", methods=["POST"])
        def import_rows():
            importer = IMPORTERS[request.form["kind"]]
            importer(request.files["file"])
            return {"ok": True}

        @views.route("/queue", methods=["POST"])
        def queue_job():
            jobs.enqueue_job("rebuild")
            return {"queued": True}

        @views.route("/stub", methods=["POST"])
        def stub():
            return {"ok": True}

        app.register_blueprint(views)
        """,
        {
            "notes/importers.py": """
                def import_csv(file):
                    return list(file)

                IMPORTERS = {"csv": import_csv}
                """
        },
    )
    # A function looked up in a table, a name never bound, a body that calls nothing.
    assert routes["import_rows"].mutating
    assert routes["queue_job"].mutating
    assert routes["stub"].mutating


def test_a_method_every_class_of_the_project_writes_with_is_followed() -> None:
    routes = _routes(
        """
        from flask import Blueprint, Flask, request

        from notes.plugins import plugin_for

        app = Flask(__name__)
        views = Blueprint("views", __name__)

        @views.route("/attempt", methods=["POST"])
        def attempt():
            plugin = plugin_for(request.form["kind"])
            if plugin.check(request.form["answer"]):
                plugin.solve(request.form["answer"])
                return {"status": "correct"}
            return {"status": "incorrect"}

        app.register_blueprint(views)
        """,
        {
            "notes/plugins.py": """
                from notes.db import db

                class Plugin:
                    def check(self, answer):
                        return answer == "42"

                    def solve(self, answer):
                        db.session.add(answer)
                        db.session.commit()

                class TimedPlugin(Plugin):
                    def solve(self, answer):
                        super().solve(answer)
                        db.session.commit()

                def plugin_for(kind):
                    return {"timed": TimedPlugin}.get(kind, Plugin)()
                """
        },
    )
    attempt = routes["attempt"]
    assert attempt.mutating
    assert any("solve()" in e.detail for e in attempt.evidence)
    # After the solve, inside the branch that then returns "correct".
    assert attempt.anchor is not None
    assert attempt.anchor.line == attempt.line + 4


SERVICES = {
    "shop/__init__.py": "",
    "shop/services.py": """
        from advanced_alchemy.service import SQLAlchemyAsyncRepositoryService

        from shop.models import Account, LoginToken, Membership

        class AccountService(SQLAlchemyAsyncRepositoryService[Account]):
            async def confirm_email(self, account_id):
                account = await self.get(account_id)
                account.confirmed = True
                return await self.update(account)

            async def authorize_url(self, provider):
                return f"https://{provider}.example.invalid/authorize"

        class LoginTokenService(SQLAlchemyAsyncRepositoryService[LoginToken]):
            async def rotate_refresh_token(self, token):
                return await self.update(token)

        class MembershipService(SQLAlchemyAsyncRepositoryService[Membership]):
            pass
        """,
    "shop/models.py": """
        class Account:
            id: int

        class LoginToken:
            id: int

        class Membership:
            id: int
        """,
}

CONTROLLER = """
from litestar import Controller, Litestar, post

from shop.services import AccountService, LoginTokenService, MembershipService


class AccountController(Controller):
    path = "/accounts"

    @post("/verify")
    async def verify_email(self, account_id: int, accounts_service: AccountService) -> dict:
        account = await accounts_service.confirm_email(account_id)
        return {"id": account.id}

    @post("/link")
    async def start_link(self, provider: str, accounts_service: AccountService) -> dict:
        return {"url": await accounts_service.authorize_url(provider)}

    @post("/refresh")
    async def refresh_token(self, token: str, tokens_service: LoginTokenService) -> dict:
        await tokens_service.rotate_refresh_token(token)
        return {}

    @post("/members")
    async def add_member(self, account_id: int, members_service: MembershipService) -> dict:
        member = await members_service.get_or_upsert(account_id=account_id)
        return {"id": member.id}


app = Litestar([AccountController])
"""


def test_a_service_method_that_writes_through_its_inherited_base_is_a_write() -> None:
    analysis = analyse({**SERVICES, "shop/app.py": CONTROLLER})
    routes = {r.handler.qualname: r for r in analysis.routes}
    verify = routes["AccountController.verify_email"]
    # Its name reads as a check, but the service method it calls updates the account.
    assert verify.mutating
    assert verify.anchor is not None
    assert not verify.anchor.before
    # An inherited method named for a change (get_or_upsert), on a project service.
    assert routes["AccountController.add_member"].mutating
    # Only builds a link: nothing stored.
    assert not routes["AccountController.start_link"].mutating
    # Rotating a refresh token is credential bookkeeping, not a product change.
    assert not routes["AccountController.refresh_token"].mutating


#: A repository whose methods run queries a library loaded from SQL files: what they
#: write is out of the analysis's sight, and the query object's methods share their names.
QUERY_REPOSITORY = {
    "board/__init__.py": "",
    "board/queries.py": """
        import pathlib

        import aiosql

        queries = aiosql.from_path(pathlib.Path(__file__).parent / "sql", "asyncpg")
        """,
    "board/repository.py": """
        from board.queries import queries

        class NotesRepository:
            def __init__(self, connection):
                self.connection = connection

            async def update_note(self, *, slug, text):
                await queries.update_note(self.connection, slug=slug, text=text)

            async def remove_note_from_pins(self, *, slug):
                await queries.remove_note_from_pins(self.connection, slug=slug)

            async def get_note(self, *, slug):
                return await queries.get_note(self.connection, slug=slug)
        """,
    "board/tokens.py": """
        def create_access_token_for_user(name):
            return "token:" + name
        """,
    "board/api.py": """
        from fastapi import Depends, FastAPI, HTTPException

        from board.repository import NotesRepository
        from board.tokens import create_access_token_for_user

        app = FastAPI()

        def repository() -> NotesRepository:
            return NotesRepository(None)

        @app.put("/notes/{slug}")
        async def edit_note(slug: str, text: str, repo: NotesRepository = Depends(repository)):
            await repo.update_note(slug=slug, text=text)
            return {"token": create_access_token_for_user(slug)}

        @app.delete("/notes/{slug}/pin")
        async def unpin_note(slug: str, pinned: bool, repo: NotesRepository = Depends(repository)):
            if pinned:
                await repo.remove_note_from_pins(slug=slug)
                return {"pinned": False}
            raise HTTPException(status_code=400)

        @app.post("/notes/{slug}/preview")
        async def preview(slug: str, repo: NotesRepository = Depends(repository)):
            return await repo.get_note(slug=slug)
        """,
}


def test_a_call_named_for_a_change_through_loaded_queries_is_the_write() -> None:
    routes = {r.handler.qualname: r for r in analyse(QUERY_REPOSITORY).routes}
    # A PUT that also issues a token is no login: the update it asks for is its change.
    edit = routes["edit_note"]
    assert edit.mutating
    assert edit.anchor is not None
    assert edit.anchor.line == edit.line + 2
    # Its only success is inside the branch: the capture goes after the named call.
    unpin = routes["unpin_note"]
    assert unpin.mutating
    assert unpin.anchor is not None
    assert unpin.anchor.line == unpin.line + 3
    # A read named as one stays a read.
    assert not routes["preview"].mutating


def test_a_method_of_the_logged_in_user_that_writes_is_the_change() -> None:
    routes = _routes(
        """
        from flask import Blueprint, Flask
        from flask_login import current_user

        from notes.models import Team

        app = Flask(__name__)
        views = Blueprint("views", __name__)

        @views.route("/teams/<int:team_id>/leave", methods=["POST"])
        def leave(team_id):
            current_user.leave(Team.query.get_or_404(team_id))
            return {"left": True}

        @views.route("/teams/<int:team_id>/peek", methods=["POST"])
        def peek(team_id):
            return {"member": current_user.is_member(Team.query.get_or_404(team_id))}

        app.register_blueprint(views)
        """,
        {
            "notes/members.py": """
                from flask_login import UserMixin

                from notes.db import db

                class Member(UserMixin, db.Model):
                    id = db.Column(db.Integer, primary_key=True)

                    def leave(self, team):
                        self.teams.remove(team)
                        db.session.commit()

                    def is_member(self, team):
                        return team in self.teams
                """
        },
    )
    # ``current_user`` is the project's user object: its ``leave`` writes, ``is_member`` reads.
    assert routes["leave"].mutating
    assert any("leave()" in e.detail for e in routes["leave"].evidence)
    assert not routes["peek"].mutating


def test_deleting_the_logged_in_user_then_committing_is_captured_before_the_delete() -> None:
    # Past ``db.session.delete(current_user)`` and its commit the row is gone: the
    # capture, which reads the user's id, goes before the delete.
    routes = _routes(
        """
        from flask import Blueprint, Flask
        from flask_login import current_user, login_required, logout_user

        from notes.db import db

        app = Flask(__name__)
        views = Blueprint("views", __name__)

        @views.route("/account/close", methods=["POST"])
        @login_required
        def close_account():
            logout_user()
            db.session.delete(current_user)
            db.session.commit()
            return {"closed": True}

        app.register_blueprint(views)
        """
    )
    route = routes["close_account"]
    assert route.anchor is not None
    assert (route.anchor.line, route.anchor.before) == (route.line + 4, True)


USE_CASES = """
from sqlalchemy.orm import Session

from shop.db import session


class Approve:
    def __init__(self, order_id: int) -> None:
        self.order_id = order_id

    async def __call__(self) -> None:
        session.execute("update orders set approved = 1 where id = :id", {"id": self.order_id})
        session.commit()


class Lookup:
    def __init__(self, order_id: int) -> None:
        self.order_id = order_id

    async def __call__(self) -> dict:
        return {"id": self.order_id}
"""
USE_CASE_ROUTES = """
from fastapi import APIRouter

from shop.use_cases import Approve, Lookup

router = APIRouter()


@router.patch("/orders/{order_id}/approve")
async def approve(order_id: int):
    return await Approve(order_id)()


@router.patch("/orders/{order_id}/approve-later")
async def approve_later(order_id: int):
    approval: Approve = Approve(order_id)
    return await approval()


@router.patch("/orders/{order_id}/look")
async def look(order_id: int):
    lookup: Lookup = Lookup(order_id)
    return await lookup()
"""


def test_a_use_case_the_handler_builds_and_calls_runs_its_call_method() -> None:
    analysis = analyse(
        {
            "shop/__init__.py": "",
            "shop/db.py": "from sqlalchemy.orm import Session\nsession = Session()\n",
            "shop/main.py": "from fastapi import FastAPI\nfrom shop.routes import router\n"
            "app = FastAPI()\napp.include_router(router)\n",
            "shop/use_cases.py": USE_CASES,
            "shop/routes.py": USE_CASE_ROUTES,
        }
    )
    mutating = {r.handler.qualname: r.mutating for r in analysis.routes}
    # ``Approve(order_id)()`` and a local annotated and built as one run ``__call__``,
    # which writes; ``Lookup``'s only reads.
    assert mutating == {"approve": True, "approve_later": True, "look": False}


LINKS = """
from flask import Blueprint, redirect
from flask_login import current_user, login_required

from notes.settings import store_setting
from notes.tokens import validate_token

bp = Blueprint("links", __name__)


@bp.route("/confirm/<token>")
@login_required
def confirm(token):
    if validate_token(current_user, token):
        return redirect("/")
    return redirect("/resend")


@bp.route("/change-address/<token>")
@login_required
def change_address(token):
    store_setting("address", token)
    return redirect("/")


@bp.route("/pages/<int:page_id>")
def page(page_id):
    store_setting("last_page", page_id)
    return redirect("/")
"""

TOKENS = """
from notes.db import db


def validate_token(member, token):
    if token != member.expected:
        return False
    member.confirmed = True
    db.session.commit()
    return True
"""


def test_a_get_link_followed_to_act_writes_through_the_projects_code() -> None:
    """A mailed link (a word of its path says so, or it carries a token) makes a GET, so
    what its calls write is its action; a page's own writes on the way are not."""
    from posthog_setup.plan.plan import build_plan

    analysis = analyse({**HELPERS, "notes/tokens.py": TOKENS, "notes/views.py": LINKS})
    mutating = {r.handler.qualname: r.mutating for r in analysis.routes}
    assert mutating == {"confirm": True, "change_address": True, "page": False}
    plan = build_plan(analysis, client_module="notes/c.py")
    # ``validate_token()`` says how, not what: the person's account was confirmed.
    assert {e.handler: e.event for e in plan.events} == {
        "confirm": "account_confirmed",
        "change_address": "address_changed",
    }
