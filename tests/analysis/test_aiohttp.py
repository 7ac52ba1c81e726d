"""aiohttp analysis: router adds, route lists and tables, views, sub-apps, registration
functions, method branches, users and aiohttp_security logins."""

from __future__ import annotations

from posthog_setup.analysis.model import Analysis
from posthog_setup.frameworks.aiohttp.analysis import APPLICATION, SUBAPP
from tests.analysis.web_helpers import analyse, analyse_one, route_rows


def rows(analysis: Analysis) -> list[tuple[str, tuple[str, ...], str, bool]]:
    return sorted(route_rows(analysis, "aiohttp"))


def test_router_adds_lists_tables_and_views_across_modules() -> None:
    analysis = analyse(
        {
            "shop/views.py": """
                from aiohttp import web

                async def index(request):
                    return web.Response(text="hi")

                async def add_item(request):
                    request.app["db"].execute("INSERT INTO items (name) VALUES (?)", ("x",))
                    return web.json_response({}, status=201)

                async def remove_item(request):
                    request.app["db"].commit()
                    return web.Response(status=204)

                class ItemView(web.View):
                    async def get(self):
                        return web.json_response({})

                    async def put(self):
                        self.request.app["db"].commit()
                        return web.json_response({})
            """,
            "shop/tables.py": """
                from aiohttp import web

                routes = web.RouteTableDef()

                @routes.get("/about")
                async def about(request):
                    return web.Response(text="about")

                @routes.post("/contact")
                async def contact(request):
                    request.app["db"].commit()
                    return web.Response()

                @routes.view("/things/{id}")
                class ThingView(web.View):
                    async def delete(self):
                        self.request.app["db"].commit()
                        return web.Response(status=204)
            """,
            "shop/app.py": """
                from aiohttp import web
                from shop import views
                from shop.tables import routes

                app = web.Application()
                router = app.router
                router.add_get("/", views.index)
                app.router.add_route("POST", "/items", views.add_item)
                app.router.add_view("/items/{id}", views.ItemView)
                app.add_routes([web.delete("/items/{id}/hard", views.remove_item)])
                app.add_routes(routes)
            """,
        }
    )
    assert rows(analysis) == [
        ("/", ("GET",), "index", False),
        ("/about", ("GET",), "about", False),
        ("/contact", ("POST",), "contact", True),
        ("/items", ("POST",), "add_item", True),
        ("/items/{id}", ("GET",), "ItemView.get", False),
        ("/items/{id}", ("PUT",), "ItemView.put", True),
        ("/items/{id}/hard", ("DELETE",), "remove_item", True),
        ("/things/{id}", ("DELETE",), "ThingView.delete", True),
    ]


def test_registration_function_and_sub_app_from_a_factory() -> None:
    analysis = analyse(
        {
            "site/routes.py": """
                from site import handlers

                def setup_routes(app):
                    app.router.add_post("/posts", handlers.create_post)
            """,
            "site/handlers.py": """
                from aiohttp import web

                async def create_post(request):
                    request.app["db"].commit()
                    return web.Response(status=201)

                async def ban(request):
                    request.app["db"].commit()
                    return web.Response()
            """,
            "site/admin.py": """
                from aiohttp import web
                from site.handlers import ban

                def create_admin():
                    admin = web.Application()
                    admin.router.add_post("/ban", ban)
                    return admin
            """,
            "site/main.py": """
                from aiohttp import web
                from site.admin import create_admin
                from site.routes import setup_routes

                async def init_app():
                    app = web.Application()
                    setup_routes(app)
                    app.add_subapp("/admin", create_admin())
                    return app
            """,
        }
    )
    assert rows(analysis) == [
        ("/admin/ban", ("POST",), "ban", True),
        ("/posts", ("POST",), "create_post", True),
    ]
    kinds = {app.name: app.kind for app in analysis.apps if app.kind in (APPLICATION, SUBAPP)}
    # Only the root gets the hook-up: the mounted one is served through its middlewares.
    assert kinds == {
        "site.main.init_app.<locals>.app": APPLICATION,
        "site.admin.create_admin.<locals>.admin": SUBAPP,
    }


def test_an_object_that_is_no_app_owns_no_routes() -> None:
    analysis = analyse_one(
        """
        from aiohttp import web

        class Registry:
            def add_get(self, path, handler):
                pass

        async def handle(request):
            return web.Response()

        registry = Registry()
        registry.add_get("/nothing", handle)
        app = web.Application()
        app.router.add_get("/", handle)
        """
    )
    assert rows(analysis) == [("/", ("GET",), "handle", False)]


def test_one_handler_for_get_and_post_writes_only_on_post() -> None:
    analysis = analyse_one(
        """
        from aiohttp import web

        async def comments(request):
            db = request.app["db"]
            if request.method == "POST":
                db.execute("INSERT INTO comments (body) VALUES (?)", ("x",))
                db.commit()
                return web.Response(status=201)
            return web.json_response([])

        async def poll(request):
            if request.method == "POST":
                request.app["db"].commit()
            return web.Response()

        app = web.Application()
        app.router.add_get("/comments", comments)
        app.router.add_post("/comments", comments)
        app.router.add_route("*", "/poll", poll)
        """
    )
    assert rows(analysis) == [
        ("/comments", ("GET",), "comments", False),
        ("/comments", ("POST",), "comments", True),
        ("/poll", ("GET", "POST"), "poll", True),
    ]
    [post] = [r for r in analysis.routes if r.methods == ("POST",)]
    assert post.anchor is not None
    [get] = [r for r in analysis.routes if r.methods == ("GET",) and r.path == "/comments"]
    assert get.anchor is None


def test_users_from_aiohttp_security_and_the_request() -> None:
    analysis = analyse_one(
        """
        from aiohttp import web
        from aiohttp_security import authorized_userid, check_authorized

        async def checked(request):
            user_id = await check_authorized(request)
            request.app["db"].commit()
            return web.Response()

        async def maybe(request):
            user_id = await authorized_userid(request)
            if user_id is None:
                raise web.HTTPUnauthorized()
            request.app["db"].commit()
            return web.Response()

        async def from_middleware(request):
            owner = request["user"]["id"]
            request.app["db"].commit()
            return web.Response()

        async def unread(request):
            request.app["db"].commit()
            return web.Response()

        app = web.Application()
        app.router.add_post("/checked", checked)
        app.router.add_post("/maybe", maybe)
        app.router.add_post("/mw", from_middleware)
        app.router.add_post("/unread", unread)
        """
    )
    users = {r.path: r.user_access for r in analysis.routes}
    checked, maybe, middleware = users["/checked"], users["/maybe"], users["/mw"]
    assert checked is not None
    assert (checked.id_expression, checked.guard) == ("user_id", None)
    assert maybe is not None
    assert (maybe.id_expression, maybe.guard) == ("user_id", "user_id is not None")
    assert middleware is not None
    assert middleware.id_expression == 'request["user"].id'
    # Nothing says who is acting: no user is made up.
    assert users["/unread"] is None


def test_remember_logs_in_and_forget_logs_out() -> None:
    analysis = analyse_one(
        """
        from aiohttp import web
        from aiohttp_security import forget, remember

        async def login(request):
            user = await request.app["users"].check(await request.post())
            response = web.HTTPFound("/")
            await remember(request, response, user.username)
            raise response

        async def register(request):
            cursor = request.app["db"].execute("INSERT INTO users (name) VALUES (?)", ("x",))
            request.app["db"].commit()
            response = web.Response(status=201)
            await remember(request, response, str(cursor.lastrowid))
            return response

        async def logout(request):
            response = web.HTTPFound("/")
            await forget(request, response)
            raise response

        async def sign_in_guest(request):
            response = web.HTTPFound("/")
            await remember(request, response, str(await request.app["guests"].make()))
            raise response

        app = web.Application()
        app.router.add_post("/login", login)
        app.router.add_post("/register", register)
        app.router.add_get("/logout", logout)
        app.router.add_post("/guest", sign_in_guest)
        """
    )
    points = {p.handler.qualname: p for p in analysis.auth_points}
    assert {name: p.kind for name, p in points.items()} == {
        "login": "login",
        "register": "signup",
        "logout": "logout",
        "sign_in_guest": "login",
    }
    assert points["login"].user_expression == "user"
    conventions = analysis.conventions("aiohttp")
    # The identity remember() stores is what authorized_userid() answers later.
    assert conventions.login_key(points["login"]) == "user.username"
    assert conventions.login_key(points["register"]) == "cursor.lastrowid"
    # Reading that identity again would make another guest: it is not read twice.
    assert conventions.login_key(points["sign_in_guest"]) is None


def test_path_values_come_from_match_info() -> None:
    analysis = analyse_one(
        """
        from aiohttp import web

        async def handler(request):
            return web.Response()

        class Thing(web.View):
            async def post(self):
                return web.Response()

        app = web.Application()
        app.router.add_get("/a/{id}", handler)
        app.router.add_view("/b/{id}", Thing)
        """
    )
    conventions = analysis.conventions("aiohttp")
    handlers = {r.handler.qualname: r.handler for r in analysis.routes}
    assert conventions.url_value(handlers["handler"], "id") == 'request.match_info["id"]'
    assert conventions.url_value(handlers["Thing.post"], "id") == 'self.request.match_info["id"]'


def test_files_without_aiohttp_apps_are_not_aiohttp_projects() -> None:
    analysis = analyse_one(
        """
        import aiohttp

        async def fetch(session):
            async with session.get("http://example.invalid") as response:
                return await response.text()
        """
    )
    assert rows(analysis) == []
    assert not [a for a in analysis.apps if a.kind == APPLICATION]


def test_a_post_that_only_echoes_the_request_changes_nothing() -> None:
    analysis = analyse_one(
        """
        import json

        from aiohttp import web

        class EchoView(web.View):
            async def post(self):
                data = await self.request.post()
                return web.json_response({"data": dict(data), "name": self.request.match_info.get("name")})

        async def store(request):
            data = await request.post()
            request.app["notes"].append(dict(data))
            return web.Response(status=201)

        app = web.Application()
        app.router.add_view("/echo/{name}", EchoView)
        app.router.add_post("/notes", store)
        """
    )
    assert rows(analysis) == [
        ("/echo/{name}", ("POST",), "EchoView.post", False),
        # It calls something besides the request and aiohttp: that may change data.
        ("/notes", ("POST",), "store", True),
    ]


def test_views_and_routes_modules_that_do_not_import_aiohttp() -> None:
    """Templated views import only aiohttp_jinja2; a routes module only the views."""
    analysis = analyse(
        {
            "polls/views.py": """
                import aiohttp_jinja2

                @aiohttp_jinja2.template("index.html")
                async def index(request):
                    return {"questions": []}

                async def vote(request):
                    await request.app["db"].execute("UPDATE choice SET votes = votes + 1")
                    return {}
            """,
            "polls/routes.py": """
                from polls.views import index, vote

                def setup_routes(app):
                    app.router.add_get("/", index)
                    app.router.add_post("/poll/{question_id}/vote", vote)
            """,
            "polls/main.py": """
                from aiohttp import web
                from polls.routes import setup_routes

                app = web.Application()
                setup_routes(app)
            """,
        }
    )
    assert rows(analysis) == [
        ("/", ("GET",), "index", False),
        ("/poll/{question_id}/vote", ("POST",), "vote", True),
    ]


def test_a_raised_redirect_is_the_success_path() -> None:
    """aiohttp answers a raised ``web.HTTPFound``: the capture goes right before it, never
    before a raised client error."""
    analysis = analyse_one(
        """
        from aiohttp import web

        async def vote(request):
            data = await request.post()
            if "choice" not in data:
                raise web.HTTPBadRequest(text="no choice")
            await request.app["polls"].vote(int(data["choice"]))
            raise web.HTTPFound("/results")

        async def reject(request):
            await request.app["polls"].close()
            raise web.HTTPForbidden()

        app = web.Application()
        app.router.add_post("/vote", vote)
        app.router.add_post("/reject", reject)
        """
    )
    anchors = {r.handler.qualname: r.anchor for r in analysis.routes}
    vote = anchors["vote"]
    assert vote is not None
    assert (vote.line, vote.before) == (9, True)
    assert anchors["reject"] is None


def test_methods_of_a_handler_object_built_beside_the_app() -> None:
    analysis = analyse_one(
        """
        from aiohttp import web

        class DemoServer:
            async def hello(self, request):
                return web.Response(text=request.match_info.get("name", ""))

            async def reset(self, req):
                self.counts.clear()
                req.app["db"].commit()
                return web.Response()

        async def serve():
            server = DemoServer()
            app = web.Application()
            app.router.add_get("/hello/{name}", server.hello)
            app.router.add_post("/reset", server.reset)
            return app
        """
    )
    assert rows(analysis) == [
        ("/hello/{name}", ("GET",), "DemoServer.hello", False),
        ("/reset", ("POST",), "DemoServer.reset", True),
    ]
    conventions = analysis.conventions("aiohttp")
    [reset] = [r.handler for r in analysis.routes if r.path == "/reset"]
    assert conventions.url_value(reset, "x") == 'req.match_info["x"]'
