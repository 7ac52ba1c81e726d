"""Bottle analysis: apps and the default app, routes by decorator and by call, mounts,
path parameters, error pages, users from cookies and sessions, logins and logouts."""

from __future__ import annotations

from posthog_setup.analysis.model import Analysis
from posthog_setup.frameworks.bottle.analysis import DEFAULT_APP, modern_path
from tests.analysis.web_helpers import analyse, analyse_one, route_rows


def rows(analysis: Analysis) -> list[tuple[str, tuple[str, ...], str, bool]]:
    return sorted(route_rows(analysis, "bottle"))


def test_decorators_calls_and_mounts_give_full_paths() -> None:
    analysis = analyse(
        {
            "site/api.py": """
                from bottle import Bottle, request

                api = Bottle()

                @api.route("/items", method="POST")
                def add_item(db):
                    db.execute("INSERT INTO item (name) VALUES (?)", (request.json["name"],))

                @api.route(["/items", "/things"])
                def list_items():
                    return {}

                def rename(item_id, db):
                    db.execute("UPDATE item SET name = ? WHERE id = ?", ("x", item_id))

                api.route("/items/<item_id:int>", "PUT", rename)
            """,
            "site/main.py": """
                import bottle
                from site import api as api_module

                app = bottle.Bottle()

                @app.get("/")
                def home():
                    return "hi"

                @app.route("/ping", method=["GET", "POST"])
                def ping():
                    return "pong"

                def remove(item_id):
                    return None

                app.route("/items/:item_id", method="DELETE", callback=remove)
                app.mount("/api/", api_module.api)
            """,
        }
    )
    assert rows(analysis) == [
        ("/", ("GET",), "home", False),
        ("/api/items", ("GET",), "list_items", False),
        ("/api/items", ("POST",), "add_item", True),
        ("/api/items/<item_id:int>", ("PUT",), "rename", True),
        ("/api/things", ("GET",), "list_items", False),
        ("/items/<item_id>", ("DELETE",), "remove", True),
        ("/ping", ("GET", "POST"), "ping", True),
    ]
    apps = sorted(a.name for a in analysis.apps if a.kind == "bottle.Bottle")
    assert apps == ["site.api.api", "site.main.app"]
    assert analysis.project.frameworks == ("bottle",)


def test_default_app_routes_in_a_module_of_their_own() -> None:
    analysis = analyse_one(
        """
        from bottle import post, route, run
        import bottle

        @route("/")
        def index():
            return "hi"

        @post("/notes")
        def add_note(db):
            db.commit()

        @bottle.delete("/notes/<note_id>")
        def delete_note(note_id, db):
            db.commit()

        run(host="127.0.0.1")
        """
    )
    assert rows(analysis) == [
        ("/", ("GET",), "index", False),
        ("/notes", ("POST",), "add_note", True),
        ("/notes/<note_id>", ("DELETE",), "delete_note", True),
    ]
    [app] = analysis.apps
    assert (app.name, app.file, app.line) == (DEFAULT_APP, "app.py", 5)


def test_default_app_named_by_default_app_takes_its_routes() -> None:
    analysis = analyse(
        {
            "feeds.py": """
                from bottle import default_app, post

                @post("/feeds")
                def add_feed(db):
                    db.commit()

                feeds = default_app()
            """,
            "main.py": """
                from bottle import Bottle
                import feeds

                app = Bottle()
                app.mount("/f/", feeds.feeds)
            """,
        }
    )
    assert rows(analysis) == [("/f/feeds", ("POST",), "add_feed", True)]
    assert sorted(a.name for a in analysis.apps) == ["feeds.feeds", "main.app"]


def test_only_bottle_objects_own_routes() -> None:
    analysis = analyse_one(
        """
        from bottle import Bottle, request

        class Cache:
            def get(self, key):
                return None

        cache = Cache()
        app = Bottle()

        @cache.get("/not-a-route")
        def looks_like_one():
            return None

        @app.get("/real")
        def real():
            return request.get_cookie("theme")
        """
    )
    assert rows(analysis) == [("/real", ("GET",), "real", False)]


def test_old_parameters_read_as_new_ones() -> None:
    assert modern_path("/notes/:id") == "/notes/<id>"
    assert modern_path("/n/:id#[0-9]+#/x") == "/n/<id>/x"
    assert modern_path("/n/<name:re:[a-z]+>/:page") == "/n/<name:re:[a-z]+>/<page>"
    # Not a name after the colon: text, not a parameter.
    assert modern_path("/time/12:30") == "/time/12:30"


def test_error_pages_are_not_where_errors_are_captured() -> None:
    analysis = analyse_one(
        """
        import bottle
        from bottle import Bottle

        app = Bottle()

        @app.error(500)
        def oops(error):
            return "sorry"

        @bottle.error(404)
        def missing(error):
            return "gone"
        """
    )
    handlers = sorted(
        (h.handler.qualname, h.handles, h.server_error) for h in analysis.error_handlers
    )
    # The plugin captures what a route raises: a page only renders the 500.
    assert handlers == [("missing", ("404",), False), ("oops", ("500",), False)]


def test_users_from_the_cookie_and_the_beaker_session() -> None:
    analysis = analyse_one(
        """
        from bottle import Bottle, request

        app = Bottle()
        SECRET = "s"

        @app.post("/a")
        def by_cookie(db):
            user_id = request.get_cookie("user_id", secret=SECRET)
            db.commit()

        @app.post("/b")
        def by_session(db):
            session = request.environ.get("beaker.session")
            uid = session.get("user_id")
            db.commit()

        @app.post("/c")
        def by_theme(db):
            theme = request.get_cookie("theme")
            db.commit()
        """
    )
    users = {r.handler.name: r.user_access for r in analysis.routes}
    assert users["by_cookie"] is not None
    assert (users["by_cookie"].id_expression, users["by_cookie"].guard) == ("user_id", "user_id")
    assert users["by_session"] is not None
    assert (users["by_session"].kind, users["by_session"].id_expression) == (
        "beaker.session",
        "uid",
    )
    assert users["by_theme"] is None


def test_logins_signups_and_logouts() -> None:
    analysis = analyse_one(
        """
        from bottle import Bottle, redirect, request, response

        app = Bottle()
        COOKIE = "user_id"

        @app.post("/login")
        def login(users):
            user = users.check(request.forms.username, request.forms.password)
            response.set_cookie(COOKIE, str(user.id), secret="s")
            redirect("/")

        @app.post("/register")
        def register(db):
            user = User(name=request.forms.name)
            db.add(user)
            db.commit()
            response.set_cookie("user_id", user.id, secret="s")

        @app.post("/session-login")
        def session_login(users):
            session = request.environ["beaker.session"]
            account = users.check(request.forms.username, request.forms.password)
            session["user_id"] = account["id"]

        @app.get("/logout")
        def logout():
            response.delete_cookie(COOKIE)
            redirect("/")

        @app.get("/session-logout")
        def session_logout():
            request.environ["beaker.session"].delete()
            s = request.environ.get("beaker.session")
            s.delete()

        @app.post("/theme")
        def theme():
            response.set_cookie("theme", request.forms.theme)
        """
    )
    points = sorted(
        (p.handler.name, p.kind, p.user_expression, p.mechanism) for p in analysis.auth_points
    )
    assert points == [
        ("login", "login", "user", "cookie"),
        ("logout", "logout", None, "cookie"),
        ("register", "signup", "user", "cookie"),
        ("session_login", "login", "account", "beaker_session"),
        ("session_logout", "logout", None, "beaker_session"),
    ]


def test_a_file_without_bottle_is_not_read_as_bottle() -> None:
    analysis = analyse_one(
        """
        class Router:
            def route(self, path, method="GET"):
                return lambda f: f

        app = Router()

        @app.route("/x", method="POST")
        def x():
            return None
        """
    )
    assert rows(analysis) == []


def test_a_cookie_that_keeps_a_name_keys_the_user_by_it() -> None:
    analysis = analyse_one(
        """
        from bottle import Bottle, request, response

        app = Bottle()

        @app.post("/login")
        def do_login(accounts):
            username = request.forms.get("username")
            if accounts.check(username, request.forms.get("password")):
                response.set_cookie("account", username, secret="s")
                return "welcome"
            return "no"

        @app.post("/preferences")
        def preferences():
            colour = request.forms.get("colour")
            response.set_cookie("user_colour", colour)

        @app.post("/notes")
        def add_note(db):
            username = request.get_cookie("account", secret="s")
            db.commit()
        """
    )
    [point] = analysis.auth_points
    assert (point.handler.name, point.kind, point.user_expression) == (
        "do_login",
        "login",
        "username",
    )
    assert analysis.conventions("bottle").login_key(point) == "username"
    [note] = [r for r in analysis.routes if r.handler.name == "add_note"]
    assert note.user_access is not None
    assert note.user_access.id_expression == "username"


def test_default_app_configured_in_the_module_that_declares_its_routes() -> None:
    analysis = analyse_one(
        """
        import bottle
        from bottle import get, post

        app = bottle.default_app()
        app.config.load_config("./etc/app.ini")

        @post("/jobs")
        def add_job(db):
            db.commit()

        def main():
            served = bottle.default_app()
            bottle.run(served)
        """,
        "service.py",
    )
    assert rows(analysis) == [("/jobs", ("POST",), "add_job", True)]
    # The app the module names is where the plugin goes; the one main() serves is the same.
    assert [(a.name, a.line) for a in analysis.apps] == [("service.app", 5)]


def test_a_login_helper_in_another_module() -> None:
    analysis = analyse(
        {
            "site/auth.py": """
                from bottle import response

                def remember(user, days=30):
                    response.set_cookie("user_id", str(user.id), secret="s", max_age=days)

                def forget_theme(user):
                    response.set_cookie("theme", user.theme)
            """,
            "site/views.py": """
                from bottle import Bottle, request
                from site.auth import forget_theme, remember

                app = Bottle()

                @app.post("/login")
                def login(users):
                    account = users.check(request.forms.username, request.forms.password)
                    remember(account)
                    return "welcome"

                @app.post("/signup")
                def signup(db):
                    member = Member(name=request.forms.name)
                    db.add(member)
                    db.commit()
                    remember(member, days=1)

                @app.post("/settings")
                def settings(users):
                    user = users.current()
                    forget_theme(user)
            """,
        }
    )
    points = sorted((p.handler.name, p.kind, p.user_expression) for p in analysis.auth_points)
    assert points == [("login", "login", "account"), ("signup", "signup", "member")]
    keys = {
        p.handler.name: analysis.conventions("bottle").login_key(p) for p in analysis.auth_points
    }
    # The helper read the id: safe to read again after it ran.
    assert keys == {"login": "account.id", "signup": "member.id"}
