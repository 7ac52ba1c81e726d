"""The Quart analyser: Flask's forms in Quart's names, quart-schema, quart-auth, error handlers."""

from __future__ import annotations

from posthog_setup.analysis.model import Analysis, UserAccess
from tests.analysis.web_helpers import analyse, route_rows

FACTORY = """
from quart import Quart

from .views import bp


def create_app():
    app = Quart(__name__)
    app.register_blueprint(bp, url_prefix="/api")
    return app
"""

VIEWS = """
from quart import Blueprint, request
from quart.views import MethodView
from quart_auth import AuthUser, current_user, login_required, login_user, logout_user
from quart_schema import validate_request, validate_response

from .models import Item, User

bp = Blueprint("items", __name__)


@bp.post("/items")
@login_required
@validate_request(Item)
@validate_response(Item, 201)
async def create_item(data):
    await request.db.save(data)
    return data, 201


@bp.route("/items/<int:item_id>", methods=["GET"])
async def show_item(item_id):
    return {}


class Tags(MethodView):
    async def get(self):
        return []

    async def delete(self, tag_id):
        await request.db.delete(tag_id)
        return "", 204


bp.add_url_rule("/tags/<int:tag_id>", view_func=Tags.as_view("tags"))


@bp.post("/signup")
async def signup():
    user = User(name="x")
    await request.db.save(user)
    login_user(AuthUser(str(user.id)))
    return {}


@bp.post("/login")
async def login():
    user = await request.db.find_user()
    login_user(AuthUser(str(user.id)))
    return {}


@bp.post("/logout")
async def logout():
    logout_user()
    return {}


@bp.app_errorhandler(500)
async def internal(error):
    return {}, 500


@bp.app_errorhandler(Exception)
async def anything(error):
    return {}, 500
"""


def analysis_of_app() -> Analysis:
    return analyse({"shop/__init__.py": FACTORY, "shop/views.py": VIEWS})


def test_routes_blueprints_method_views_and_stacked_schema_decorators() -> None:
    analysis = analysis_of_app()
    assert analysis.project.frameworks == ("quart",)
    rows = sorted(route_rows(analysis, "quart"))
    assert ("/api/items", ("POST",), "create_item", True) in rows
    assert ("/api/items/<int:item_id>", ("GET",), "show_item", False) in rows
    assert ("/api/tags/<int:tag_id>", ("DELETE",), "Tags.delete", True) in rows
    assert ("/api/tags/<int:tag_id>", ("GET",), "Tags.get", False) in rows
    [app] = [a for a in analysis.apps if a.kind == "quart.Quart"]
    assert app.factory == "create_app"
    # Nothing of it is taken for Flask.
    assert route_rows(analysis, "flask") == []


def test_quart_auth_logins_name_the_user_object() -> None:
    analysis = analysis_of_app()
    points = sorted((p.kind, p.handler.qualname, p.user_expression) for p in analysis.auth_points)
    assert points == [
        ("login", "login", "user"),
        ("logout", "logout", None),
        ("signup", "signup", "user"),
    ]


def test_current_user_is_quart_auths_everywhere() -> None:
    analysis = analysis_of_app()
    [route] = [r for r in analysis.routes if r.handler.qualname == "create_item"]
    user = analysis.conventions("quart").current_user(route.handler, analysis)
    assert user == UserAccess(
        "quart_auth.current_user",
        "current_user.auth_id",
        "current_user.auth_id",
        requires=("quart_auth", "current_user"),
        contract=True,
    )


def test_only_catch_all_handlers_capture_what_got_request_exception_does_not_see() -> None:
    analysis = analysis_of_app()
    assert sorted((h.handles, h.server_error) for h in analysis.error_handlers) == [
        (("500",), False),
        (("Exception",), True),
    ]
