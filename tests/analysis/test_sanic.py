"""Sanic analysis: apps, blueprints and groups with prefixes and versions, add_route with
functions and class views, error handlers, users on ``request.ctx``, logins and logouts."""

from __future__ import annotations

from posthog_setup.analysis.model import Analysis
from posthog_setup.frameworks.registry import applications
from posthog_setup.frameworks.sanic.analysis import context_user_id
from posthog_setup.plan.plan import proven_user_id
from tests.analysis.web_helpers import analyse, analyse_one, route_rows


def rows(analysis: Analysis) -> list[tuple[str, tuple[str, ...], str, bool]]:
    return sorted(route_rows(analysis, "sanic"))


def test_blueprints_groups_and_versions_give_full_paths() -> None:
    analysis = analyse(
        {
            "shop/items.py": """
                from sanic import Blueprint
                from sanic.response import json

                items = Blueprint("items", url_prefix="/items", version=2)
                tags = Blueprint("tags", "/tags")

                @items.post("/")
                async def add_item(request):
                    request.app.ctx.db.execute("INSERT INTO item (name) VALUES (?)", ("x",))
                    return json({})

                @items.route("/<item_id:int>", methods=["PUT", "PATCH"])
                async def change_item(request, item_id):
                    request.app.ctx.db.execute("UPDATE item SET name = ? WHERE id = ?", ("y", item_id))
                    return json({})

                @items.get("/old", version=1)
                async def old_items(request):
                    return json([])

                @tags.get("/")
                async def list_tags(request):
                    return json([])
            """,
            "shop/app.py": """
                from sanic import Blueprint as BP, Sanic
                from sanic.response import text

                from shop.items import items, tags

                app = Sanic("shop")
                api = BP.group(items, tags, url_prefix="/api")
                app.blueprint(api)

                @app.route("/ping", methods=["get"])
                async def ping(request):
                    return text("pong")
            """,
        }
    )
    assert rows(analysis) == [
        ("/api/tags/", ("GET",), "list_tags", False),
        ("/ping", ("GET",), "ping", False),
        ("/v1/api/items/old", ("GET",), "old_items", False),
        ("/v2/api/items/", ("POST",), "add_item", True),
        ("/v2/api/items/<item_id:int>", ("PUT", "PATCH"), "change_item", True),
    ]
    assert [a.name for a in applications(analysis.apps)] == ["shop.app.app"]


def test_registration_prefix_and_version_win_over_the_blueprints_own() -> None:
    analysis = analyse_one(
        """
        from sanic import Blueprint, Sanic
        from sanic.response import json

        notes = Blueprint("notes", url_prefix="/notes")

        @notes.delete("/<note_id:int>")
        async def remove(request, note_id):
            request.app.ctx.db.execute("DELETE FROM note WHERE id = ?", (note_id,))
            return json({})

        app = Sanic("notes")
        app.blueprint([notes], url_prefix="/memo", version=3)
        """
    )
    assert rows(analysis) == [("/v3/memo/<note_id:int>", ("DELETE",), "remove", True)]


def test_add_route_names_functions_and_class_views_of_other_modules() -> None:
    analysis = analyse(
        {
            "desk/views.py": """
                from sanic.response import json
                from sanic.views import HTTPMethodView

                class Base(HTTPMethodView):
                    pass

                class TicketView(Base):
                    async def get(self, request, ticket_id):
                        return json({})

                    async def delete(self, request, ticket_id):
                        request.app.ctx.db.execute("DELETE FROM ticket WHERE id = ?", (ticket_id,))
                        return json({})

                async def health(request):
                    return json({"ok": True})

                async def close_all(request):
                    request.app.ctx.db.execute("UPDATE ticket SET status = 'closed'")
                    return json({})

                def helper(value):
                    return value
            """,
            "desk/app.py": """
                from sanic import Sanic

                from desk import views
                from desk.views import TicketView

                app = Sanic("desk")
                app.add_route(TicketView.as_view(), "/tickets/<ticket_id:int>")
                app.add_route(views.health, "/health")
                app.add_route(views.close_all, "/tickets/close", methods=["POST"])
            """,
        }
    )
    assert rows(analysis) == [
        ("/health", ("GET",), "health", False),
        ("/tickets/<ticket_id:int>", ("DELETE",), "TicketView.delete", True),
        ("/tickets/<ticket_id:int>", ("GET",), "TicketView.get", False),
        ("/tickets/close", ("POST",), "close_all", True),
    ]


def test_routes_on_something_that_is_no_sanic_owner_are_not_routes() -> None:
    analysis = analyse_one(
        """
        from sanic import Sanic

        class Registry:
            def post(self, path):
                return lambda f: f

        app = Sanic("x")
        registry = Registry()

        @registry.post("/hooks")
        async def hook(request):
            request.app.ctx.db.execute("DELETE FROM hook")
        """
    )
    assert rows(analysis) == []


def test_each_single_file_app_of_a_folder_is_an_app() -> None:
    app = """
        from sanic import Sanic
        from sanic.response import json

        app = Sanic("{name}")

        @app.post("/items")
        async def add(request):
            request.app.ctx.db.execute("INSERT INTO item (name) VALUES (?)", ("x",))
            return json({{}})
    """
    analysis = analyse(
        {"apps/first.py": app.format(name="first"), "apps/second.py": app.format(name="second")}
    )
    assert sorted(a.file for a in applications(analysis.apps)) == [
        "apps/first.py",
        "apps/second.py",
    ]
    assert sorted(r.handler.file for r in analysis.routes) == ["apps/first.py", "apps/second.py"]


def test_error_handlers_only_answer() -> None:
    analysis = analyse_one(
        """
        from sanic import Sanic
        from sanic.exceptions import NotFound
        from sanic.handlers import ErrorHandler
        from sanic.response import json

        class JsonErrors(ErrorHandler):
            def default(self, request, exception):
                return json({}, status=500)

        app = Sanic("errors")
        app.error_handler = JsonErrors()

        @app.exception(NotFound, ValueError)
        async def missing(request, exception):
            return json({}, status=404)

        @app.exception(Exception)
        async def everything(request, exception):
            return json({}, status=500)
        """
    )
    found = {(h.handler.qualname, h.handles, h.error_param) for h in analysis.error_handlers}
    assert found == {
        ("JsonErrors.default", ("Exception",), "exception"),
        ("missing", ("sanic.exceptions.NotFound", "ValueError"), "exception"),
        ("everything", ("Exception",), "exception"),
    }
    # The hook-up captures each server error once: no handler gets a capture of its own.
    assert not any(h.server_error for h in analysis.error_handlers)


def test_the_user_on_request_ctx_only_where_the_handler_reads_it() -> None:
    analysis = analyse_one(
        """
        from sanic import Sanic
        from sanic.response import json

        app = Sanic("users")

        @app.post("/notes")
        async def add_note(request):
            request.app.ctx.db.execute(
                "INSERT INTO note (owner_id) VALUES (?)", (request.ctx.user.id,)
            )
            return json({})

        @app.post("/pings")
        async def ping(req):
            req.app.ctx.db.execute("INSERT INTO ping DEFAULT VALUES")
            return json({})

        @app.delete("/notes/<note_id:int>")
        async def remove_note(req, note_id):
            user = req.ctx.user
            req.app.ctx.db.execute(
                "DELETE FROM note WHERE id = ? AND owner_id = ?", (note_id, user["id"])
            )
            return json({})
        """
    )
    users = {r.handler.qualname: r.user_access for r in analysis.routes}
    assert users["add_note"] is not None
    assert users["add_note"].id_expression == "request.ctx.user.id"
    assert users["ping"] is None
    # Through the handler's own local, read as the handler reads it (a row: ``["id"]``).
    assert users["remove_note"] is not None
    assert users["remove_note"].id_expression == "user.id"
    [remove] = [r for r in analysis.routes if r.handler.qualname == "remove_note"]
    assert proven_user_id(remove.user_access, remove.proven) == ('user["id"]', None)


def test_session_and_cookie_logins_signups_and_logouts() -> None:
    analysis = analyse_one(
        """
        from sanic import Blueprint, Sanic
        from sanic.response import empty, json

        app = Sanic("auth")
        auth = Blueprint("auth", url_prefix="/auth")
        app.blueprint(auth)

        @auth.post("/register")
        async def register(request):
            user = create_user(request.json["name"])
            request.ctx.session["user_id"] = user.id
            return json({})

        @auth.post("/login")
        async def login(request):
            user = find_user(request.json["name"])
            response = json({})
            response.add_cookie("user_id", str(user.id))
            return response

        @auth.post("/logout")
        async def logout(request):
            request.ctx.session.pop("user_id", None)
            return empty()

        @auth.post("/forget")
        async def forget(request):
            response = empty()
            response.delete_cookie("user_id")
            return response

        @auth.post("/remember")
        async def remember(request):
            request.ctx.session["user_id"] = request.json["id"]
            return empty()
        """
    )
    points = {(p.handler.qualname, p.kind, p.user_expression) for p in analysis.auth_points}
    # ``forget`` and ``remember`` say nothing of logging in or out: no auth point.
    assert points == {
        ("register", "signup", "user"),
        ("login", "login", "user"),
        ("logout", "logout", None),
    }


def test_context_user_id_is_read_one_way_or_not_at_all() -> None:
    assert context_user_id(["request.ctx.user['id']", None, "req.ctx.user['id']"]) == '.user["id"]'
    assert context_user_id(["request.ctx.user.id"]) == ".user.id"
    assert context_user_id(["request.ctx.user.id", "request.ctx.user['id']"]) is None
    assert context_user_id(["current_user.id"]) is None


def test_a_group_made_through_the_blueprints_module_carries_its_version() -> None:
    analysis = analyse_one(
        """
        from sanic import Sanic
        from sanic.blueprints import Blueprint
        from sanic.response import json

        app = Sanic(name="robots")
        arms = Blueprint(name="arms", url_prefix="/arms")
        legs = Blueprint(name="legs", url_prefix="/legs")
        robots = Blueprint.group(arms, legs, url_prefix="/robot", version=1)

        @arms.get("/count")
        async def count_arms(request):
            return json(2)

        @legs.get("/count", version=2)
        async def count_legs(request):
            return json(2)

        app.blueprint(robots)
        """
    )
    assert rows(analysis) == [
        ("/v1/robot/arms/count", ("GET",), "count_arms", False),
        ("/v2/robot/legs/count", ("GET",), "count_legs", False),
    ]


def test_a_handler_that_only_reads_the_request_and_answers_changes_nothing() -> None:
    analysis = analyse_one(
        """
        from sanic import Sanic, response

        app = Sanic("echo")

        @app.post("/echo")
        async def echo(request):
            return response.json({"got": request.json, "q": request.args.get("q")})

        @app.put("/greet/<name>")
        def greet(request, name):
            return response.text("hello {}".format(name))

        @app.post("/notes")
        async def add_note(request):
            save_note(request.json)
            return response.json({}, status=201)
        """
    )
    assert rows(analysis) == [
        ("/echo", ("POST",), "echo", False),
        ("/greet/<name>", ("PUT",), "greet", False),
        ("/notes", ("POST",), "add_note", True),
    ]


def test_blueprints_registered_in_a_function_given_the_app() -> None:
    analysis = analyse(
        {
            "svc/routes.py": """
                from sanic import Blueprint
                from sanic.response import json

                orders = Blueprint("orders", url_prefix="/orders")

                @orders.post("/")
                async def place_order(request):
                    request.app.ctx.db.execute("INSERT INTO orders (item) VALUES (?)", ("x",))
                    return json({}, status=201)

                async def refund(request, order_id):
                    request.app.ctx.db.execute("DELETE FROM orders WHERE id = ?", (order_id,))
                    return json({})

                def register_routes(app):
                    # The registration's prefix replaces the blueprint's own.
                    app.blueprint(orders, url_prefix="/shop")
                    add_more(app)

                def add_more(server):
                    server.add_route(refund, "/refunds/<order_id:int>", methods=["POST"])

                def unrelated(app):
                    return app.name
            """,
            "svc/main.py": """
                from sanic import Sanic

                from svc.routes import register_routes, unrelated

                app = Sanic("svc")
                register_routes(app)
                unrelated(app)
            """,
        }
    )
    assert rows(analysis) == [
        ("/refunds/<order_id:int>", ("POST",), "refund", True),
        ("/shop/", ("POST",), "place_order", True),
    ]
    # A function that only reads the app registers nothing: no owner is made of it.
    assert sorted(a.name for a in analysis.apps if a.kind == "sanic.parameter") == [
        "svc.routes.add_more:0",
        "svc.routes.register_routes:0",
    ]
