"""The Starlette analyser: route lists and mounts, endpoints across modules, users, errors."""

from __future__ import annotations

from posthog_setup.analysis.model import UserAccess
from tests.analysis.web_helpers import analyse, analyse_one, route_rows

APP = """
from starlette.applications import Starlette
from starlette.routing import Mount, Route

from .endpoints import Items, create_tag, list_tags

api = [
    Route("/items", Items),
    Route("/items/{item_id:int}", Items, methods=["PUT"]),
    Route("/tags", list_tags),
    Route("/tags", create_tag, methods=["POST"]),
]

app = Starlette(routes=[Mount("/api", routes=api), Mount("/v2", routes=[Route("/tags", list_tags)])])
"""

ENDPOINTS = """
from starlette.endpoints import HTTPEndpoint
from starlette.responses import JSONResponse


class Items(HTTPEndpoint):
    async def get(self, request):
        return JSONResponse([])

    async def post(self, request):
        await request.state.db.save(request.user.id)
        return JSONResponse({}, 201)

    async def put(self, request):
        item_id = request.path_params["item_id"]
        await request.state.db.save(item_id)
        return JSONResponse({})


async def list_tags(request):
    return JSONResponse([])


async def create_tag(request):
    await request.state.db.save("tag")
    return JSONResponse({}, 201)
"""


def test_route_lists_mounts_and_endpoints_in_another_module() -> None:
    analysis = analyse({"shop/app.py": APP, "shop/endpoints.py": ENDPOINTS})
    assert analysis.project.frameworks == ("starlette",)
    assert sorted(route_rows(analysis, "starlette")) == [
        ("/api/items", ("GET",), "Items.get", False),
        ("/api/items", ("POST",), "Items.post", True),
        # Without methods= an endpoint class answers every verb it defines.
        ("/api/items", ("PUT",), "Items.put", True),
        ("/api/items/{item_id:int}", ("PUT",), "Items.put", True),
        ("/api/tags", ("GET",), "list_tags", False),
        ("/api/tags", ("POST",), "create_tag", True),
        ("/v2/tags", ("GET",), "list_tags", False),
    ]
    [post] = [r for r in analysis.routes if r.handler.qualname == "Items.post"]
    assert post.user_access == UserAccess(
        "starlette.request.user", "request.user.id", "request.user.is_authenticated"
    )
    assert post.path_params == ()


def test_add_route_mount_of_a_router_and_the_app_in_a_factory() -> None:
    analysis = analyse_one(
        """
        from starlette.applications import Starlette
        from starlette.routing import Route, Router

        async def create_order(request):
            await request.state.orders.insert({})

        async def health(request):
            return None

        orders = Router(routes=[Route("/", create_order, methods=["POST"])])

        def build():
            app = Starlette()
            app.add_route("/health", health)
            app.mount("/orders", orders)
            return app
        """
    )
    assert sorted(route_rows(analysis, "starlette")) == [
        ("/health", ("GET",), "health", False),
        ("/orders/", ("POST",), "create_order", True),
    ]
    [app] = [a for a in analysis.apps if a.kind == "starlette.Starlette"]
    assert app.factory == "build"


def test_exception_handlers_by_status_and_class() -> None:
    analysis = analyse_one(
        """
        from starlette.applications import Starlette
        from starlette.exceptions import HTTPException

        async def http_error(request, exc):
            return None

        async def server_error(request, exc):
            return None

        async def anything(request, exc):
            return None

        handlers = {HTTPException: http_error, 500: server_error}
        app = Starlette(exception_handlers=handlers)
        app.add_exception_handler(Exception, anything)
        """
    )
    assert sorted((h.handles, h.server_error, h.error_param) for h in analysis.error_handlers) == [
        (("500",), True, "exc"),
        (("Exception",), True, "exc"),
        (("starlette.exceptions.HTTPException",), False, "exc"),
    ]


def test_session_login_signup_and_logout() -> None:
    analysis = analyse_one(
        """
        from starlette.applications import Starlette
        from starlette.routing import Route

        from .models import User

        async def signup(request):
            user = User(name="x")
            await request.state.db.save(user)
            request.session["user_id"] = user.id

        async def login(request):
            user = await request.state.db.find(1)
            request.session["user_id"] = str(user.id)

        async def logout(request):
            request.session.pop("user_id", None)

        async def forget(request):
            request.session["theme"] = "dark"

        app = Starlette(routes=[
            Route("/signup", signup, methods=["POST"]),
            Route("/login", login, methods=["POST"]),
            Route("/logout", logout, methods=["POST"]),
            Route("/forget", forget, methods=["POST"]),
        ])
        """
    )
    points = sorted((p.kind, p.handler.qualname, p.user_expression) for p in analysis.auth_points)
    assert points == [
        ("login", "login", "user"),
        ("logout", "logout", None),
        ("signup", "signup", "user"),
    ]


def test_a_fastapi_project_is_never_starlette() -> None:
    analysis = analyse(
        {
            "api/main.py": """
            from fastapi import FastAPI
            from starlette.middleware import Middleware
            from starlette.middleware.sessions import SessionMiddleware
            from starlette.routing import Route

            async def legacy(request):
                await request.state.db.save(1)

            app = FastAPI(
                middleware=[Middleware(SessionMiddleware, secret_key="x")],
                routes=[Route("/legacy", legacy, methods=["POST"])],
            )

            @app.post("/items")
            async def create_item():
                return {}
            """,
            "api/pages.py": """
            from starlette.routing import Route

            async def page(request):
                return None

            routes = [Route("/page", page)]
            """,
        }
    )
    assert analysis.project.frameworks == ("fastapi",)
    assert {r.framework for r in analysis.routes} == {"fastapi"}
    assert [a.kind for a in analysis.apps if a.kind.startswith("starlette")] == []


def test_routes_without_a_starlette_app_are_not_a_project() -> None:
    analysis = analyse_one(
        """
        from starlette.routing import Route

        async def page(request):
            return None

        routes = [Route("/page", page)]
        """
    )
    assert analysis.project.frameworks == ()
    assert analysis.routes == ()


def test_endpoints_whatever_their_request_is_called() -> None:
    analysis = analyse(
        {
            "site/app.py": """
            from starlette.applications import Starlette
            from starlette.routing import Route

            from .views import home, subscribe

            async def ping(r):
                return None

            app = Starlette(routes=[
                Route("/", home), Route("/subscribe", subscribe, methods=["POST"]), Route("/ping", ping)
            ])
            """,
            "site/views.py": """
            from starlette.requests import Request

            async def home(req: Request):
                return None

            async def subscribe(incoming: Request):
                await incoming.state.db.insert({})
            """,
        }
    )
    assert sorted(route_rows(analysis, "starlette")) == [
        ("/", ("GET",), "home", False),
        ("/ping", ("GET",), "ping", False),
        ("/subscribe", ("POST",), "subscribe", True),
    ]


def test_route_and_exception_handler_decorators_of_older_starlette() -> None:
    analysis = analyse_one(
        """
        from starlette.applications import Starlette

        app = Starlette()

        @app.route("/signup", methods=["POST"])
        async def create_account(req):
            await req.state.db.insert({})

        @app.route("/")
        async def index(req):
            return None

        @app.exception_handler(500)
        async def server_error(req, exc):
            return None
        """
    )
    assert sorted(route_rows(analysis, "starlette")) == [
        ("/", ("GET",), "index", False),
        ("/signup", ("POST",), "create_account", True),
    ]
    assert [(h.handles, h.server_error) for h in analysis.error_handlers] == [(("500",), True)]


def test_endpoints_defined_in_the_factory_that_routes_them() -> None:
    analysis = analyse_one(
        """
        from starlette.applications import Starlette
        from starlette.routing import Route

        def create_app():
            async def add_comment(request):
                await request.state.db.insert({})

            app = Starlette(routes=[Route("/comments", add_comment, methods=["POST"])])

            @app.route("/health")
            async def health(request):
                return None

            return app
        """
    )
    assert sorted(route_rows(analysis, "starlette")) == [
        ("/comments", ("POST",), "create_app.<locals>.add_comment", True),
        ("/health", ("GET",), "create_app.<locals>.health", False),
    ]
    # A matched route's parameters are in request.path_params, the request its first parameter.
    route = next(r for r in analysis.routes if r.path == "/comments")
    read = analysis.conventions("starlette").url_value(route.handler, "comment_id")
    assert read == 'request.path_params["comment_id"]'


def test_an_endpoint_class_inheriting_its_methods() -> None:
    analysis = analyse_one(
        """
        from starlette.applications import Starlette
        from starlette.endpoints import HTTPEndpoint
        from starlette.routing import Route

        class Saving(HTTPEndpoint):
            async def post(self, request):
                await request.state.db.insert({})

        class Posts(Saving):
            async def get(self, request):
                return None

        class Drafts(Saving):
            pass

        app = Starlette(routes=[Route("/posts", Posts), Route("/drafts", Drafts)])
        """
    )
    # The method is the base's, where a capture would go; each route that serves it.
    assert sorted(route_rows(analysis, "starlette")) == [
        ("/drafts", ("POST",), "Saving.post", True),
        ("/posts", ("GET",), "Posts.get", False),
        ("/posts", ("POST",), "Saving.post", True),
    ]
