"""The Flask analyser: routes, blueprints, class-based views, error handlers, login."""

from __future__ import annotations

from pathlib import Path

import pytest

from posthog_setup.analysis.model import AppObject, UserAccess
from posthog_setup.frameworks.flask.analysis import analyser
from tests.analysers import analyse_project
from tests.analysis.web_helpers import (
    FIXTURES,
    analyse,
    analyse_one,
    route_rows,
    run_fixture_script,
)

# -- routes from decorators ---------------------------------------------------------------


def test_route_defaults_to_get_and_reads_methods() -> None:
    analysis = analyse_one(
        """
        from flask import Flask

        app = Flask(__name__)

        @app.route("/")
        def index():
            return "hi"

        @app.route("/items", methods=["get", "POST"])
        def items():
            return "ok"

        @app.delete("/items/<int:item_id>")
        def remove(item_id):
            return "", 204
        """
    )
    assert route_rows(analysis, "flask") == [
        ("/", ("GET",), "index", False),
        ("/items", ("GET", "POST"), "items", True),
        ("/items/<int:item_id>", ("DELETE",), "remove", True),
    ]
    assert analysis.routes[2].path_params == ("item_id",)
    assert analysis.routes[0].line == 6
    assert analysis.apps == (AppObject("flask.Flask", "app.app", "app.py", 4),)


@pytest.mark.parametrize(
    "header",
    [
        "from flask import Flask as F\napp = F(__name__)",
        "import flask as fl\napp = fl.Flask(__name__)",
        "import flask.app\napp = flask.app.Flask(__name__)",
    ],
)
def test_aliased_imports_are_resolved(header: str) -> None:
    source = header + '\n\n@app.post("/things")\ndef create():\n    return ""\n'
    assert route_rows(analyse_one(source), "flask") == [("/things", ("POST",), "create", True)]


@pytest.mark.parametrize(
    "source",
    [
        # A decorator that only looks like a route: the receiver is not a Flask object.
        """
        from flask import Flask
        from flask_caching import Cache

        app = Flask(__name__)
        cache = Cache(app)

        @cache.route("/x")
        def cached():
            return ""
        """,
        # A local name shadows the module's app inside the function that declares the route.
        """
        from flask import Flask
        from somewhere import Router

        app = Flask(__name__)

        def install():
            app = Router()

            @app.route("/x")
            def view():
                return ""
        """,
        # A commented-out route.
        """
        from flask import Flask

        app = Flask(__name__)

        # @app.route("/old")
        def old():
            return ""
        """,
        # `app` is an object of another framework.
        """
        from bottle import Bottle

        app = Bottle()

        @app.route("/x", methods=["POST"])
        def view():
            return ""
        """,
        # Names never imported are not Flask's.
        """
        @app.route("/x")
        def view():
            return ""
        """,
        # A computed rule cannot be reported faithfully.
        """
        from flask import Flask

        app = Flask(__name__)
        RULE = "/x"

        @app.route(RULE)
        def view():
            return ""
        """,
    ],
    ids=["look-alike", "shadowed", "commented-out", "other-framework", "unbound", "computed"],
)
def test_no_route(source: str) -> None:
    assert route_rows(analyse_one(source), "flask") == []


def test_wants_is_a_cheap_text_test() -> None:
    assert analyser.wants("from flask import Flask")
    assert analyser.wants("@bp.get('/x')")
    assert not analyser.wants("import json\nprint(json.dumps({}))\n")


# -- mutating judgement -----------------------------------------------------------------------


def test_method_branches_and_counter_evidence() -> None:
    analysis = analyse_one(
        """
        from flask import Flask, request
        from flask_login import logout_user
        from .models import db, Post, check_api_token

        app = Flask(__name__)

        @app.route("/form")
        def form_get_only():
            if request.method == "POST":
                db.session.commit()
            return "form"

        @app.route("/edit", methods=["GET", "POST"])
        def edit():
            if request.method == "POST":
                db.session.commit()
            return "form"

        @app.post("/tokens/verify")
        def verify():
            return {"ok": check_api_token(request.headers["X-Token"])}

        @app.post("/preview")
        def render_preview():
            return request.form["body"]

        @app.route("/logout")
        def logout():
            logout_user()
            return "bye"
        """
    )
    rows = route_rows(analysis, "flask")
    # A GET-only route never takes the POST branch... but a commit in it is still a write.
    assert rows == [
        ("/form", ("GET",), "form_get_only", True),
        ("/edit", ("GET", "POST"), "edit", True),
        ("/tokens/verify", ("POST",), "verify", False),
        ("/preview", ("POST",), "render_preview", False),
        ("/logout", ("GET",), "logout", True),
    ]
    assert analysis.routes[1].evidence[0].kind == "write"


def test_get_only_route_with_post_branch_and_no_write_is_not_mutating() -> None:
    analysis = analyse_one(
        """
        from flask import Flask, request

        app = Flask(__name__)

        @app.route("/search")
        def search():
            if request.method == "POST":
                return "never"
            return "results"
        """
    )
    assert route_rows(analysis, "flask") == [("/search", ("GET",), "search", False)]


def test_a_page_view_that_keeps_its_own_records_changes_no_data() -> None:
    """A GET page that stamps a last-read time is a page view; a GET link that does
    something and sends the person on, or a page that deletes, is an action."""
    analysis = analyse_one(
        """
        from flask import Flask, redirect, render_template, request
        from flask_login import current_user

        app = Flask(__name__)

        @app.route("/messages")
        def messages():
            current_user.last_read = now()
            db.session.commit()
            page = request.args.get("page", 1, type=int)
            return render_template("messages.html", page=page)

        @app.route("/follow/<name>")
        def follow(name):
            current_user.follow(name)
            db.session.commit()
            return redirect("/")

        @app.route("/purge/<int:key>")
        def purge(key):
            db.session.delete(db.session.get(Item, key))
            db.session.commit()
            return render_template("items.html")

        @app.route("/notes", methods=["GET", "POST"])
        def notes():
            db.session.add(Note(text=request.form["text"]))
            db.session.commit()
            return render_template("notes.html")
        """
    )
    assert route_rows(analysis, "flask") == [
        ("/messages", ("GET",), "messages", False),
        ("/follow/<name>", ("GET",), "follow", True),
        ("/purge/<int:key>", ("GET",), "purge", True),
        ("/notes", ("GET", "POST"), "notes", True),
    ]


# -- add_url_rule and class-based views ------------------------------------------------------


def test_add_url_rule_with_functions_and_views() -> None:
    analysis = analyse_one(
        """
        from flask import Blueprint
        from flask.views import MethodView, View

        bp = Blueprint("api", __name__, url_prefix="/api")

        def ping():
            return "pong"

        class ItemAPI(MethodView):
            def get(self, item_id):
                return {}

            def put(self, item_id):
                return {}

            def helper(self):
                return None

        class Report(View):
            methods = ["GET", "POST"]

            def dispatch_request(self):
                return "report"

        class ItemsAPI(ItemAPI):
            def post(self):
                return {}

        bp.add_url_rule("/ping", "ping", ping)
        bp.add_url_rule("/items/<int:item_id>", view_func=ItemAPI.as_view("item"))
        items_view = ItemsAPI.as_view("items")
        bp.add_url_rule("/items", view_func=items_view, methods=["GET", "POST"])
        bp.add_url_rule("/report", view_func=Report.as_view("report"))
        """
    )
    assert route_rows(analysis, "flask") == [
        ("/api/ping", ("GET",), "ping", False),
        ("/api/items/<int:item_id>", ("GET",), "ItemAPI.get", False),
        ("/api/items/<int:item_id>", ("PUT",), "ItemAPI.put", True),
        ("/api/items", ("GET",), "ItemAPI.get", False),
        ("/api/items", ("POST",), "ItemsAPI.post", True),
        ("/api/report", ("GET", "POST"), "Report.dispatch_request", True),
    ]
    by_handler = {(r.path, r.handler.qualname): r for r in analysis.routes}
    put = by_handler[("/api/items/<int:item_id>", "ItemAPI.put")]
    assert (put.view_kind, put.action, put.name) == ("MethodView", "put", "item")


def test_as_view_of_a_class_that_is_not_a_view_is_ignored() -> None:
    analysis = analyse_one(
        """
        from flask import Flask

        app = Flask(__name__)

        class NotAView:
            def post(self):
                return ""

        app.add_url_rule("/x", view_func=NotAView.as_view("x"))
        """
    )
    assert route_rows(analysis, "flask") == []


# -- blueprints, registrations, factories -----------------------------------------------------


def test_registration_prefixes_nesting_and_factories() -> None:
    analysis = analyse(
        {
            "shop/__init__.py": """
                from flask import Flask

                def create_app():
                    app = Flask(__name__)
                    from . import admin, catalog
                    from .api import api_bp

                    app.register_blueprint(catalog.bp, url_prefix="/shop")
                    app.register_blueprint(api_bp)
                    app.register_blueprint(admin.bp)
                    app.register_blueprint(admin.bp, url_prefix="/staff", name="staff")
                    return app
                """,
            "shop/catalog.py": """
                from flask import Blueprint as BP

                bp = BP("catalog", __name__, url_prefix="/catalog")

                @bp.get("/")
                def listing():
                    return ""
                """,
            "shop/api/__init__.py": """
                from flask import Blueprint
                from .orders import bp as orders

                api_bp = Blueprint("api", __name__, url_prefix="/api")
                api_bp.register_blueprint(orders, url_prefix="/v2/orders")
                """,
            "shop/api/orders.py": """
                from flask import Blueprint, request
                from ..models import db

                bp = Blueprint("orders", __name__, url_prefix="/orders")

                @bp.post("")
                def place():
                    db.session.commit()
                    return "", 201
                """,
            "shop/admin.py": """
                from flask import Blueprint

                bp = Blueprint("admin", __name__, url_prefix="/admin")

                @bp.route("/dashboard")
                def dashboard():
                    return ""
                """,
        }
    )
    assert route_rows(analysis, "flask") == [
        ("/admin/dashboard", ("GET",), "dashboard", False),
        ("/staff/dashboard", ("GET",), "dashboard", False),
        ("/api/v2/orders", ("POST",), "place", True),
        ("/shop/", ("GET",), "listing", False),
    ]
    factory_app = analysis.apps[0]
    assert (factory_app.name, factory_app.factory) == ("shop.create_app.<locals>.app", "create_app")
    assert analysis.routes[2].owner == "shop.api.orders.bp"


def test_package_reexport_and_routes_on_imported_blueprints() -> None:
    analysis = analyse(
        {
            "site/app.py": """
                from flask import Flask
                from site import views

                app = Flask(__name__)
                app.register_blueprint(views.bp, url_prefix="/v")
                """,
            # The package only re-exports; it has nothing the analysers look for.
            "site/views/__init__.py": "from .pages import bp\n",
            "site/views/pages.py": """
                from flask import Blueprint

                bp = Blueprint("pages", __name__)
                """,
            "site/views/more.py": """
                from flask import render_template
                from .pages import bp

                @bp.route("/about")
                def about():
                    return render_template("about.html")
                """,
        }
    )
    assert route_rows(analysis, "flask") == [("/v/about", ("GET",), "about", False)]


def test_routes_on_an_imported_fastapi_router_are_not_flask_routes() -> None:
    analysis = analyse(
        {
            "api/routers.py": "from fastapi import APIRouter\n\nrouter = APIRouter()\n",
            "api/items.py": """
                from fastapi import Depends
                from .routers import router

                @router.post("/items")
                def create():
                    return {}
                """,
        }
    )
    assert route_rows(analysis, "flask") == []
    assert route_rows(analysis, "fastapi") == [("/items", ("POST",), "create", True)]


# -- error handlers ---------------------------------------------------------------------------


def test_error_handlers() -> None:
    analysis = analyse_one(
        """
        from flask import Flask, Blueprint
        from werkzeug.exceptions import HTTPException, InternalServerError

        app = Flask(__name__)
        bp = Blueprint("errors", __name__)

        class PaymentError(Exception):
            pass

        @app.errorhandler(404)
        def not_found(error):
            return "", 404

        @app.errorhandler(500)
        def server_error(e):
            return "", 500

        @bp.app_errorhandler(Exception)
        def anything(exc):
            posthog.capture_exception(exc)
            return "", 500

        @app.errorhandler(HTTPException)
        def http_error(error):
            return "", error.code

        @bp.errorhandler(PaymentError)
        def payment_failed(error):
            return "", 402

        def crashed(error):
            return "", 500

        app.register_error_handler(InternalServerError, crashed)
        """
    )
    found = [
        (h.handler.qualname, h.handles, h.server_error, h.error_param, h.captures)
        for h in analysis.error_handlers
    ]
    # Flask calls the handlers of 500, InternalServerError and HTTPException with an
    # unhandled error after the integration the hook-up adds has captured it.
    assert found == [
        ("not_found", ("404",), False, "error", False),
        ("server_error", ("500",), False, "e", False),
        ("anything", ("Exception",), True, "exc", True),
        ("http_error", ("werkzeug.exceptions.HTTPException",), False, "error", False),
        ("payment_failed", ("app.PaymentError",), False, "error", False),
        ("crashed", ("werkzeug.exceptions.InternalServerError",), False, "error", False),
    ]
    left = {h.handler.qualname: h.captured_first for h in analysis.error_handlers}
    assert left["server_error"] is not None
    assert left["server_error"] == left["http_error"] == left["crashed"]
    assert left["anything"] is None
    assert left["not_found"] is None


_ERRORS = """
from flask import Blueprint
from werkzeug.exceptions import InternalServerError

bp = Blueprint("errors", __name__)


@bp.app_errorhandler(500)
def internal_error(error):
    return "", 500


@bp.app_errorhandler(503)
def unavailable(error):
    return "", 503


@bp.app_errorhandler(Exception)
def unexpected(error):
    return "", 500
"""
_APP = """
from flask import Flask

from .errors import bp

app = Flask(__name__)
app.register_blueprint(bp)
"""

_INTEGRATION = "from posthog.integrations.flask import PosthogFlaskIntegration\n"
#: The hook-up as an earlier edit left it, with the project's client module.
_HOOKED_UP = (
    _INTEGRATION + "from .analytics import client\nPosthogFlaskIntegration(app, client=client)\n"
)
_CLIENT = "from posthog import Posthog\nclient = Posthog('k')\n"
_AUTOCAPTURING_CLIENT = (
    "from posthog import Posthog\nclient = Posthog('k', enable_exception_autocapture=True)\n"
)
_MODULE_CLIENT = "import posthog\nposthog.api_key = 'k'\n"
_OWN_CONTEXT = """
from posthog import new_context


class PosthogContext:
    def __init__(self, app):
        self.app = app

    def __call__(self, environ, start_response):
        with new_context():
            return self.app(environ, start_response)
"""
_RECEIVER = """
from flask import got_request_exception

from .analytics import client


def capture_server_error(sender, exception, **extra):
    client.capture_exception(exception)


PosthogFlaskIntegration(app, client=client, capture_exceptions=False)
got_request_exception.connect(capture_server_error, app)
"""
_DECORATED_RECEIVER = """
import flask

from .analytics import client


@flask.got_request_exception.connect_via(flask.current_app)
def report(sender, exception, **extra):
    client.capture_exception(exception)
"""


def _server_errors(sources: dict[str, str]) -> dict[str, bool]:
    analysis = analyse({"site/errors.py": _ERRORS, **sources})
    return {h.handler.qualname: h.server_error for h in analysis.error_handlers}


def test_a_500_handler_is_left_to_the_integration_the_hookup_adds() -> None:
    # Flask sends got_request_exception (the integration captures there) before it calls
    # the 500 handler; it calls a handler of Exception instead of sending it; a 503 is
    # only what the app answers itself.
    assert _server_errors({"site/app.py": _APP}) == {
        "internal_error": False,
        "unavailable": True,
        "unexpected": True,
    }


@pytest.mark.parametrize(
    "sources",
    [
        pytest.param({}, id="no app to hook up"),
        pytest.param(
            {
                "site/app.py": _APP
                + _INTEGRATION
                + "PosthogFlaskIntegration(app, capture_exceptions=False)\n"
            },
            id="the project's integration does not capture",
        ),
        pytest.param(
            {
                "site/app.py": _APP
                + _INTEGRATION
                + "PosthogFlaskIntegration(app, capture_exceptions=CAPTURE)\n"
            },
            id="the project's integration may not capture",
        ),
        pytest.param(
            {"site/app.py": _APP, "site/analytics.py": _CLIENT},
            id="the project's client has no exception autocapture",
        ),
        pytest.param(
            {
                "site/app.py": _APP
                + "from .context import PosthogContext\napp.wsgi_app = PosthogContext(app.wsgi_app)\n",
                "site/context.py": _OWN_CONTEXT,
            },
            id="the project opens PostHog's context itself",
        ),
        pytest.param(
            {
                "site/app.py": _APP + _HOOKED_UP,
                "site/analytics.py": _CLIENT,
                "site/jobs.py": _AUTOCAPTURING_CLIENT,
            },
            id="the integration's client has no exception autocapture",
        ),
        pytest.param(
            {
                "site/app.py": _APP
                + _MODULE_CLIENT
                + _INTEGRATION
                + "PosthogFlaskIntegration(app)\n"
            },
            id="the posthog module's own client has no exception autocapture",
        ),
    ],
)
def test_a_500_handler_keeps_its_capture_where_nothing_captures_before_it(
    sources: dict[str, str],
) -> None:
    assert _server_errors(sources)["internal_error"] is True


@pytest.mark.parametrize(
    "sources",
    [
        pytest.param(
            {"site/app.py": _APP, "site/analytics.py": _AUTOCAPTURING_CLIENT},
            id="the project's client autocaptures",
        ),
        pytest.param(
            {
                "site/app.py": _APP + _HOOKED_UP,
                "site/analytics.py": _AUTOCAPTURING_CLIENT,
                "site/jobs.py": _CLIENT,
            },
            id="the integration's client autocaptures, beside one that does not",
        ),
        pytest.param(
            {
                "site/app.py": _APP
                + _MODULE_CLIENT
                + "posthog.enable_exception_autocapture = True\n"
                + _INTEGRATION
                + "PosthogFlaskIntegration(app)\n"
            },
            id="the posthog module's own client autocaptures",
        ),
        pytest.param(
            {
                "site/app.py": _APP
                + _INTEGRATION
                + "PosthogFlaskIntegration(app, capture_exceptions=True)\n",
                "site/analytics.py": _CLIENT,
            },
            id="the project's integration captures",
        ),
        pytest.param(
            {"site/app.py": _APP + _INTEGRATION + _RECEIVER, "site/analytics.py": _CLIENT},
            id="the project's receiver captures",
        ),
        pytest.param(
            {"site/hooks.py": _DECORATED_RECEIVER, "site/analytics.py": _CLIENT},
            id="a receiver connected by its decorator, with no app found",
        ),
    ],
)
def test_a_500_handler_is_left_to_the_projects_own_capture(sources: dict[str, str]) -> None:
    assert _server_errors(sources)["internal_error"] is False


def test_a_500_handler_keeps_its_capture_on_a_flask_the_hookup_cannot_run_on(
    tmp_path: Path,
) -> None:
    site = tmp_path / "site"
    site.mkdir()
    (site / "__init__.py").write_text("", encoding="utf-8")
    (site / "errors.py").write_text(_ERRORS, encoding="utf-8")
    (site / "app.py").write_text(_APP, encoding="utf-8")
    (tmp_path / "requirements.txt").write_text("flask==2.1.3\n", encoding="utf-8")
    [internal] = [
        h
        for h in analyse_project(tmp_path, use_cache=False).error_handlers
        if h.handler.qualname == "internal_error"
    ]
    assert internal.server_error
    assert internal.captured_first is None
    # With blinker declared the integration runs: it captures first.
    (tmp_path / "requirements.txt").write_text("flask==2.1.3\nblinker\n", encoding="utf-8")
    [internal] = [
        h
        for h in analyse_project(tmp_path, use_cache=False).error_handlers
        if h.handler.qualname == "internal_error"
    ]
    assert not internal.server_error
    assert internal.captured_first is not None


def test_an_api_handler_of_internal_server_error_keeps_its_capture() -> None:
    # Flask-RESTX calls an API's handler instead of sending the signal.
    analysis = analyse_one(
        """
        from flask import Flask
        from flask_restx import Api
        from werkzeug.exceptions import InternalServerError

        app = Flask(__name__)
        api = Api(app)

        @api.errorhandler(InternalServerError)
        def api_error(error):
            return {"message": "internal"}, 500
        """
    )
    [handler] = analysis.error_handlers
    assert handler.server_error
    assert handler.captured_first is None


def test_errorhandler_on_a_non_flask_object_is_ignored() -> None:
    analysis = analyse_one(
        """
        from flask import Flask
        from monitoring import Hooks

        app = Flask(__name__)
        hooks = Hooks()

        @hooks.errorhandler(500)
        def report(error):
            return None
        """
    )
    assert analysis.error_handlers == ()


# -- auth points and user access ------------------------------------------------------------


def test_login_signup_logout_points() -> None:
    analysis = analyse_one(
        """
        import flask_login
        from flask import Flask, request
        from flask_login import login_user, logout_user
        from .models import db, Member

        app = Flask(__name__)

        @app.post("/session")
        def start_session():
            member = Member.query.filter_by(email=request.form["email"]).first()
            flask_login.login_user(member)
            return ""

        @app.post("/join")
        def register():
            login_user(Member.query.first())
            return ""

        @app.post("/members")
        def add_member():
            member = Member(email=request.form["email"])
            db.session.add(member)
            db.session.commit()
            login_user(member)
            return ""

        @app.post("/bye")
        def bye():
            logout_user()
            return ""
        """
    )
    points = [
        (p.kind, p.handler.qualname, p.line, p.call, p.user_expression)
        for p in analysis.auth_points
    ]
    assert points == [
        ("login", "start_session", 12, "flask_login.login_user", "member"),
        ("signup", "register", 17, "flask_login.login_user", "Member.query.first()"),
        ("signup", "add_member", 25, "flask_login.login_user", "member"),
        ("logout", "bye", 30, "flask_login.logout_user", None),
    ]


def test_login_user_of_another_package_is_not_an_auth_point() -> None:
    analysis = analyse_one(
        """
        from flask import Flask
        from myauth import login_user

        app = Flask(__name__)

        @app.post("/login")
        def login():
            login_user("someone")
            return ""
        """
    )
    assert analysis.auth_points == ()


#: ``g.user`` as a handler reads it: its id is safe where every value the project puts on
#: ``g.user`` is of one class declaring ``id``, under the guard that ``g`` holds it at all.
G_USER = UserAccess(
    "flask.g", "g.user.id", "g.user", kept_in="flask.g.user", present='g.get("user") is not None'
)


def test_user_access_through_current_user_and_g() -> None:
    analysis = analyse_one(
        """
        from flask import Flask, g
        from flask_login import current_user as me

        app = Flask(__name__)

        @app.post("/a")
        def a():
            return str(me.id)

        @app.post("/b")
        def b():
            return str(g.user.id)

        @app.post("/c")
        def c():
            return ""
        """
    )
    assert [r.user_access for r in analysis.routes] == [
        UserAccess("flask_login.current_user", "me.get_id()", "me.is_authenticated", contract=True),
        G_USER,
        None,
    ]


def test_user_kept_on_g_under_another_name_is_the_handlers_user() -> None:
    # A before-request hook of the blueprint checks the credentials and keeps the user on
    # ``g``: the handler's user is that one, not flask-login's (anonymous in an API call).
    analysis = analyse_one(
        """
        from flask import Blueprint, Flask, g
        from flask_login import current_user

        app = Flask(__name__)
        api = Blueprint("api", __name__)

        @api.before_request
        def check_token():
            g.current_user = find_token_owner()

        @api.post("/notes")
        def add_note():
            note = Note(owner=g.current_user)
            save(note)
            return ""

        @api.post("/flags")
        def add_flag():
            g.flag_count = 1
            return ""
        """
    )
    by_name = {r.handler.qualname: r.user_access for r in analysis.routes}
    assert by_name["add_note"] == UserAccess(
        "flask.g",
        "g.current_user.id",
        "g.current_user",
        kept_in="flask.g.current_user",
        present='g.get("current_user") is not None',
    )
    assert by_name["add_flag"] is None


# -- the flask_blog fixture, in full ------------------------------------------------------------

BLOG = FIXTURES / "flask_blog"


def test_flask_blog_fixture_analysis() -> None:
    analysis = analyse_project(BLOG)
    assert analysis.project.frameworks[0] == "flask"
    flask_apps = [a for a in analysis.apps if a.kind.startswith("flask.")]
    assert sorted({(a.kind, a.name, a.file, a.line, a.factory, a.prefix) for a in flask_apps}) == [
        ("flask.Blueprint", "blog.api.bp", "blog/api/__init__.py", 7, None, "/api"),
        ("flask.Blueprint", "blog.api.v1.bp", "blog/api/v1.py", 14, None, "/v1"),
        ("flask.Blueprint", "blog.auth.bp", "blog/auth.py", 13, None, "/account"),
        ("flask.Blueprint", "blog.errors.bp", "blog/errors.py", 12, None, ""),
        ("flask.Blueprint", "blog.posts.bp", "blog/posts.py", 13, None, ""),
        ("flask.Flask", "blog.create_app.<locals>.app", "blog/__init__.py", 15, "create_app", ""),
    ]
    routes = [
        (r.handler.file, r.path, r.methods, r.handler.qualname, r.mutating)
        for r in analysis.routes
        if r.framework == "flask"
    ]
    assert routes == [
        ("blog/__init__.py", "/", ("GET",), "create_app.<locals>.home", False),
        ("blog/api/v1.py", "/api/v1/posts", ("GET",), "PostAPI.get", False),
        ("blog/api/v1.py", "/api/v1/posts", ("POST",), "PostAPI.post", True),
        ("blog/api/v1.py", "/api/v1/token/check", ("POST",), "check_token", False),
        ("blog/auth.py", "/auth/signup", ("GET", "POST"), "signup", True),
        ("blog/auth.py", "/auth/login", ("POST",), "login", False),
        ("blog/auth.py", "/auth/logout", ("GET",), "logout", True),
        ("blog/posts.py", "/posts/", ("GET",), "index", False),
        ("blog/posts.py", "/posts/<int:post_id>", ("GET",), "show", False),
        ("blog/posts.py", "/posts/new", ("GET", "POST"), "create", True),
        ("blog/posts.py", "/posts/<int:post_id>/edit", ("GET", "POST"), "edit", True),
        ("blog/posts.py", "/posts/<int:post_id>/delete", ("POST",), "delete", True),
        ("blog/posts.py", "/posts/<int:post_id>/like", ("POST",), "like", True),
        ("blog/posts.py", "/posts/<int:post_id>/comments", ("POST",), "add_comment", True),
        ("blog/posts.py", "/posts/search", ("POST",), "search", False),
    ]
    by_path = {(r.path, r.methods): r for r in analysis.routes}
    assert by_path[("/api/v1/posts", ("POST",))].user_access == G_USER
    assert by_path[("/posts/new", ("GET", "POST"))].user_access == UserAccess(
        "flask_login.current_user",
        "current_user.get_id()",
        "current_user.is_authenticated",
        contract=True,
    )
    assert by_path[("/posts/new", ("GET", "POST"))].change_line == 53
    points = [
        (p.kind, p.handler.file, p.handler.qualname, p.line, p.user_expression)
        for p in analysis.auth_points
    ]
    assert points == [
        ("signup", "blog/auth.py", "signup", 31, "user"),
        ("login", "blog/auth.py", "login", 41, "user"),
        ("logout", "blog/auth.py", "logout", 49, None),
    ]
    handlers = [
        (h.handler.file, h.handler.qualname, h.handles, h.line, h.server_error, h.error_param)
        for h in analysis.error_handlers
    ]
    assert handlers == [
        ("blog/errors.py", "not_found", ("404",), 15, False, "error"),
        ("blog/errors.py", "internal_error", ("500",), 20, False, "error"),
        ("blog/errors.py", "unexpected_error", ("Exception",), 27, True, "error"),
    ]


def test_flask_blog_fixture_runs() -> None:
    output = run_fixture_script(
        "flask_blog",
        """
        from blog import create_app
        from blog.extensions import db

        app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": "sqlite://"})
        with app.app_context():
            db.create_all()
        client = app.test_client()
        form = {"username": "ada", "email": "ada@example.com", "password": "secret"}
        print(client.post("/auth/signup", data=form).status_code)
        print(client.get("/auth/logout").status_code)
        print(client.post("/auth/login", data=form).status_code)
        print(client.post("/posts/new", data={"title": "Hello"}).headers["Location"])
        print(client.post("/posts/1/like").get_json()["likes"])
        print(client.get("/auth/logout").status_code)
        print(client.post("/posts/1/like").status_code)
        """,
    )
    assert output.split() == ["302", "302", "302", "/posts/1", "1", "302", "302"]


def test_a_flask_subclass_made_in_a_factory_is_the_app_and_test_apps_are_not() -> None:
    from tests.analysers import analyse_sources

    analysis = analyse_sources(
        {
            "shop/__init__.py": (
                "from flask import Flask\n\n\n"
                "class ShopFlask(Flask):\n"
                "    pass\n\n\n"
                "def create_app():\n"
                "    app = ShopFlask(__name__)\n"
                "    return app\n"
            ),
            "tests/test_views.py": "import flask\n\ntemp_app = flask.Flask(__name__)\n",
            "test_smoke.py": "from flask import Flask\n\napp = Flask(__name__)\n",
        }
    )
    assert [(a.kind, a.name, a.factory) for a in analysis.apps] == [
        ("flask.Flask", "shop.create_app.<locals>.app", "create_app")
    ]
    assert analysis.project.app_package == "shop"


TEST_MODULE = """
from flask import Flask, request
from posthog import Posthog

from shop.models import Order, db

app = Flask(__name__)
client = Posthog("key", host="http://127.0.0.1:1")


def place(item):
    db.session.add(Order(item=item))
    db.session.commit()


@app.route("/orders", methods=["POST"])
def create_order():
    place(request.form["item"])
    client.capture("order_placed", distinct_id="someone")
    return "", 201
"""


def test_a_test_module_is_read_for_the_project_as_a_whole_and_never_as_its_code() -> None:
    """Tests are no part of the product: their routes and functions are never analysed (no
    handler calls them), but PostHog use in them is still seen."""
    from posthog_setup.analysis.engine import analyse_text

    product = analyse_text("shop/views.py", TEST_MODULE, (analyser,)).facts
    tests = analyse_text("tests/test_orders.py", TEST_MODULE, (analyser,)).facts
    assert product is not None
    assert tests is not None
    assert [r.handler.qualname for r in product.routes] == ["create_order"]
    assert {f.name for f in product.functions} >= {"shop.views.place"}
    assert (tests.routes, tests.functions, tests.apps, tests.returns) == ((), (), (), ())
    assert [c.event for c in tests.captures] == [c.event for c in product.captures]
    assert [c.event for c in tests.captures] == ["order_placed"]


# -- who makes an account: a stranger signing up, or someone logged in ------------------

OPEN_API = """
from flask import Blueprint, request
from flask_login import login_user

from club.models import Member, Note, db

api = Blueprint("api", __name__)


@api.route("/members", methods=["POST"])
def add():
    member = Member(email=request.json["email"])
    db.session.add(member)
    db.session.commit()
    return {"id": member.id}, 201


@api.route("/members/verify", methods=["GET", "POST"])
def verify():
    member = Member.query.filter_by(email=request.args["email"]).first_or_404()
    member.email = request.args["email"].lower()
    db.session.commit()
    return "", 204


@api.route("/notes", methods=["POST"])
def add_note():
    note = Note(text=request.json["text"])
    db.session.add(note)
    db.session.commit()
    return {"id": note.id}, 201
"""
OPEN_LOGIN = """
from flask import request
from flask_login import login_user

from club.api import api
from club.models import Member


@api.route("/sessions", methods=["POST"])
def start():
    member = Member.query.filter_by(email=request.json["email"]).first_or_404()
    login_user(member)
    return "", 204
"""
OPEN_MODELS = """
from flask_sqlalchemy import SQLAlchemy

db = SQLAlchemy()


class Member(db.Model):
    id = db.Column(db.Integer, primary_key=True)
    email = db.Column(db.String)


class Note(db.Model):
    id = db.Column(db.Integer, primary_key=True)
    text = db.Column(db.String)
"""


@pytest.mark.parametrize("logins", [True, False])
def test_an_open_post_that_makes_an_account_where_people_log_in_is_a_signup(
    logins: bool,
) -> None:
    sources = {
        "club/__init__.py": "",
        "club/app.py": "from flask import Flask\nfrom club.api import api\n"
        "app = Flask(__name__)\napp.register_blueprint(api)\n",
        "club/api.py": OPEN_API,
        "club/models.py": OPEN_MODELS,
    }
    if logins:
        sources["club/sessions.py"] = OPEN_LOGIN
        sources["club/app.py"] += "import club.sessions\n"
    analysis = analyse(sources)
    points = sorted((p.kind, p.handler.qualname) for p in analysis.auth_points)
    # ``POST /members`` says nothing of signing up, but a stranger makes their own account
    # there where accounts are logged in to; a member looked up and changed is no account
    # made, a note is no account, and where nobody logs in, a member made is a record
    # like any other.
    if logins:
        assert points == [("login", "start"), ("signup", "add")]
    else:
        assert points == []


ACCOUNT_VIEWS = """
from flask import Blueprint, request
from flask.views import MethodView
from flask_login import login_required

from shop.decorators import staff_only, owner_checked
from shop.models import Customer, db

panel = Blueprint("panel", __name__)


@panel.route("/join", methods=["POST"])
def join():
    customer = Customer(email=request.form["email"])
    db.session.add(customer)
    db.session.commit()
    return "", 201


@panel.route("/panel/new-user", methods=["GET", "POST"])
@login_required
def new_user():
    customer = Customer(email=request.form["email"])
    db.session.add(customer)
    db.session.commit()
    return "", 201


@login_required
@panel.route("/panel/new-user-too", methods=["POST"])
def new_user_too():
    customer = Customer(email=request.form["email"])
    db.session.add(customer)
    db.session.commit()
    return "", 201


@panel.route("/staff/register", methods=["POST"])
@staff_only
def register_for_staff():
    customer = Customer(email=request.form["email"])
    db.session.add(customer)
    db.session.commit()
    return "", 201


@panel.route("/owners/register", methods=["POST"])
@owner_checked
def register_owner():
    customer = Customer(email=request.form["email"])
    db.session.add(customer)
    db.session.commit()
    return "", 201


class SignupDesk(MethodView):
    decorators = [login_required]

    def post(self):
        customer = Customer(email=request.form["email"])
        db.session.add(customer)
        db.session.commit()
        return "", 201


panel.add_url_rule("/desk/signup", view_func=SignupDesk.as_view("desk"))
"""
ACCOUNT_DECORATORS = """
from functools import wraps

from flask import abort
from flask_login import current_user, login_required


def staff_only(view):
    @wraps(view)
    @login_required
    def checked(*args, **kwargs):
        if not current_user.is_staff:
            abort(403)
        return view(*args, **kwargs)

    return checked


def owner_checked(view):
    @wraps(view)
    def checked(*args, **kwargs):
        if not getattr(current_user, "is_owner", False):
            abort(403)
        return view(*args, **kwargs)

    return checked
"""
ACCOUNT_MODELS = """
from flask_sqlalchemy import SQLAlchemy

db = SQLAlchemy()


class Customer(db.Model):
    id = db.Column(db.Integer, primary_key=True)
    email = db.Column(db.String)
"""
ACCOUNT_APP = """
from flask import Flask

from shop.views import panel

app = Flask(__name__)
app.register_blueprint(panel)
"""


def test_a_user_made_behind_a_login_requirement_is_no_signup() -> None:
    analysis = analyse(
        {
            "shop/__init__.py": "",
            "shop/app.py": ACCOUNT_APP,
            "shop/views.py": ACCOUNT_VIEWS,
            "shop/decorators.py": ACCOUNT_DECORATORS,
            "shop/models.py": ACCOUNT_MODELS,
        }
    )
    # A stranger joining signs up; who is logged in makes someone else's account. A check
    # that proves no login (``owner_checked`` reads ``current_user`` itself) changes nothing.
    signups = sorted(p.handler.qualname for p in analysis.auth_points if p.kind == "signup")
    assert signups == ["join", "new_user_too", "register_owner"]
    guarded = {r.handler.qualname: r.members_only for r in analysis.routes}
    # flask-login's decorator, a class view's ``decorators``, and a decorator of the
    # project's (in another module) whose wrapper is under ``login_required``; not one
    # above the route's, which wraps a function the route never calls.
    assert guarded == {
        "join": None,
        "new_user": "@login_required",
        "new_user_too": None,
        "register_for_staff": "@login_required",
        "register_owner": None,
        "SignupDesk.post": "@login_required",
    }
