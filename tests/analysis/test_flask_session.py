"""Logins that keep the user in Flask's own session, without flask-login."""

from __future__ import annotations

from posthog_setup.analysis.model import Analysis, AuthPoint
from posthog_setup.codemods.placement import build_points
from posthog_setup.plan.plan import build_plan
from tests.analysis.web_helpers import analyse

APP = """\
    from flask import Flask

    app = Flask(__name__)
"""

# The Flask tutorial's way: the login view itself stores the user's row id.
VIEWS = """\
    from flask import redirect, request, session

    from blog import app
    from blog.db import get_db


    @app.route("/auth/login", methods=["POST"])
    def login():
        user = get_db().execute("SELECT * FROM user WHERE name = ?", (request.form["name"],)).fetchone()
        if user is None:
            return "unknown user", 400
        session.clear()
        session["user_id"] = user["id"]
        return redirect("/")


    @app.route("/posts", methods=["POST"])
    def create_post():
        db = get_db()
        db.execute("INSERT INTO post (title) VALUES (?)", (request.form["title"],))
        db.commit()
        return redirect("/")
"""

# A project helper stores the user; handlers call it after signing up or logging in, and
# another helper refreshes the session after a profile change (not a login).
HELPERS = """\
    from flask import session


    def login_user(user):
        session["id"] = user.id
        session["nonce"] = "x"


    def update_user(user):
        session["id"] = user.id
"""

ACCOUNT = """\
    from flask import request

    from shop import app
    from shop.models import User, db
    from shop.security import login_user, update_user


    @app.route("/register", methods=["POST"])
    def register():
        user = User(name=request.form["name"])
        db.session.add(user)
        db.session.commit()
        login_user(user)
        return "welcome"


    @app.route("/login", methods=["POST"])
    def login():
        user = User.query.filter_by(name=request.form["name"]).first_or_404()
        login_user(user)
        return "hello"


    @app.route("/me", methods=["PATCH"])
    def change_me():
        user = User.query.get(1)
        user.name = request.form["name"]
        db.session.commit()
        update_user(user)
        return "changed"
"""


def _points(analysis: Analysis) -> list[tuple[str, str, str | None, str]]:
    return [
        (p.kind, p.handler.qualname, p.user_expression, p.mechanism) for p in analysis.auth_points
    ]


def _identity(analysis: Analysis, point: AuthPoint) -> str | None:
    return analysis.conventions("flask").login_key(point)


def test_a_login_view_that_stores_the_user_is_a_login() -> None:
    analysis = analyse({"blog/__init__.py": APP, "blog/views.py": VIEWS, "blog/db.py": ""})
    assert _points(analysis) == [("login", "login", "user", "flask_session")]
    assert _identity(analysis, analysis.auth_points[0]) == 'user["id"]'


def test_every_handler_reads_the_user_from_the_session_key() -> None:
    analysis = analyse({"blog/__init__.py": APP, "blog/views.py": VIEWS, "blog/db.py": ""})
    plan = build_plan(analysis, client_module="blog/posthog_client.py")
    created = next(e for e in plan.events if e.handler == "create_post")
    assert created.distinct_id == 'session["user_id"]'
    points = build_points(analysis, plan)["blog/views.py"]
    capture = next(c for c in points.captures if c.handler == "create_post")
    assert capture.guard == '"user_id" in session'
    assert capture.imports == (("flask", "session"),)


def test_calls_to_a_helper_that_stores_its_argument_are_logins_and_signups() -> None:
    analysis = analyse(
        {
            "shop/__init__.py": APP,
            "shop/security.py": HELPERS,
            "shop/account.py": ACCOUNT,
            "shop/models.py": "",
        }
    )
    # The profile change calls a helper that is no login by its name or its caller's.
    assert sorted(_points(analysis)) == [
        ("login", "login", "user", "flask_session"),
        ("signup", "register", "user", "flask_session"),
    ]
    assert {_identity(analysis, p) for p in analysis.auth_points} == {"user.id"}


# A first-run setup creates the first administrator and logs them in: a signup, though
# neither the handler's name nor its route says so. Logging in a user found again, or a
# user built and never stored, is not one.
SETUP = """\
    from flask import request

    from shop import app
    from shop.models import Admin, User, db
    from shop.security import login_user


    @app.route("/setup", methods=["GET", "POST"])
    def setup():
        if request.method == "POST":
            admin = Admin(name=request.form["name"], type="admin")
            db.session.add(admin)
            db.session.commit()
            login_user(admin)
            return "ready"
        return "form"


    @app.route("/impersonate", methods=["POST"])
    def impersonate():
        user = User.query.get(request.form["id"])
        db.session.add(user)
        login_user(user)
        return "as them"


    @app.route("/provider/callback")
    def provider_callback():
        user = User.query.filter_by(email=request.args["email"]).first()
        if user is None:
            user = User(email=request.args["email"])
            db.session.add(user)
            db.session.commit()
        login_user(user)
        return "welcome"


    @app.route("/preview", methods=["POST"])
    def preview():
        guest = User(name="guest")
        login_user(guest)
        return "preview"
"""


def test_logging_in_a_user_the_handler_created_is_a_signup() -> None:
    analysis = analyse(
        {
            "shop/__init__.py": APP,
            "shop/security.py": HELPERS,
            "shop/setup.py": SETUP,
            "shop/models.py": "",
        }
    )
    assert sorted(_points(analysis)) == [
        ("login", "impersonate", "user", "flask_session"),
        ("login", "preview", "guest", "flask_session"),
        ("login", "provider_callback", "user", "flask_session"),
        ("signup", "setup", "admin", "flask_session"),
    ]
    assert {_identity(analysis, p) for p in analysis.auth_points} == {
        "user.id",
        "guest.id",
        "admin.id",
    }


def test_writes_under_different_keys_give_no_session_user() -> None:
    other = """\
        from flask import session


        def remember(account):
            session["account"] = account.id
    """
    analysis = analyse(
        {
            "shop/__init__.py": APP,
            "shop/security.py": HELPERS,
            "shop/remember.py": other,
            "shop/account.py": ACCOUNT,
            "shop/models.py": "",
        }
    )
    route = next(r for r in analysis.routes if r.handler.name == "change_me")
    assert analysis.conventions("flask").current_user(route.handler, analysis) is None


def test_a_session_that_is_not_flasks_is_no_login() -> None:
    views = VIEWS.replace(
        "from flask import redirect, request, session",
        "from flask import redirect, request\n    from blog.db import session",
    )
    analysis = analyse({"blog/__init__.py": APP, "blog/views.py": views, "blog/db.py": ""})
    assert _points(analysis) == []
    route = next(r for r in analysis.routes if r.handler.name == "create_post")
    assert analysis.conventions("flask").current_user(route.handler, analysis) is None


LOGOUTS = """\
    from flask import redirect, session

    from blog import app


    @app.route("/auth/logout")
    def logout():
        session.clear()
        return redirect("/")


    @app.route("/auth/sign-out", methods=["POST"])
    def sign_out():
        del session["user_id"]
        return redirect("/")


    @app.route("/cart/empty", methods=["POST"])
    def empty_cart():
        session.pop("cart", None)
        return redirect("/")


    def reset():
        session.clear()
"""


def test_a_route_that_forgets_the_session_user_is_a_logout() -> None:
    analysis = analyse(
        {
            "blog/__init__.py": APP,
            "blog/views.py": VIEWS,
            "blog/auth.py": LOGOUTS,
            "blog/db.py": "",
        }
    )
    # The login's own session.clear() keeps a user right after: not a logout. Dropping
    # another key (the cart) is not, nor is a function no route serves, nor a route that
    # does not say it logs out.
    assert [(p.kind, p.handler.name, p.line) for p in analysis.auth_points] == [
        ("login", "login", 13),
        ("logout", "logout", 8),
        ("logout", "sign_out", 14),
    ]
    plan = build_plan(analysis, client_module="blog/posthog_client.py")
    points = build_points(analysis, plan)["blog/auth.py"]
    # Sent before the session forgets who it was, read from it while it still can.
    assert [(p.handler, p.distinct_id, p.guard) for p in points.logouts] == [
        ("logout", 'session["user_id"]', '"user_id" in session'),
        ("sign_out", 'session["user_id"]', '"user_id" in session'),
    ]


def test_without_a_session_login_clearing_the_session_is_no_logout() -> None:
    analysis = analyse({"blog/__init__.py": APP, "blog/auth.py": LOGOUTS, "blog/db.py": ""})
    assert analysis.auth_points == ()


OWN_LOGOUT = """\
    from flask import redirect, session

    from blog import app
    from blog.security import logout_user


    @app.route("/auth/logout")
    def logout():
        logout_user()
        return redirect("/")


    @app.route("/admin/reset", methods=["POST"])
    def reset():
        logout_user()
        return redirect("/")
"""
SECURITY = """\
    from flask import session


    def logout_user():
        session.clear()
"""


def test_a_logout_route_that_calls_the_projects_own_logout_helper_is_a_logout() -> None:
    analysis = analyse(
        {
            "blog/__init__.py": APP,
            "blog/views.py": VIEWS,
            "blog/auth.py": OWN_LOGOUT,
            "blog/security.py": SECURITY,
            "blog/db.py": "",
        }
    )
    # The helper clears the session the logins keep the user in; only the route that says
    # it logs out is a logout (the admin's reset ends its own session on the way).
    assert [(p.kind, p.handler.name) for p in analysis.auth_points] == [
        ("login", "login"),
        ("logout", "logout"),
    ]
