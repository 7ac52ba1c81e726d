"""Falcon analysis: apps (WSGI, ASGI, the old API), resources routed by add_route with and
without suffixes, sinks, users on req.context, error handlers and logins."""

from __future__ import annotations

import pytest

from posthog_setup.analysis.model import Analysis
from posthog_setup.frameworks.falcon.analysis import context_user_id
from tests.analysis.web_helpers import analyse, route_rows


def rows(analysis: Analysis) -> list[tuple[str, tuple[str, ...], str, bool]]:
    return sorted(route_rows(analysis, "falcon"))


RESOURCES = """
    import falcon

    class ItemsResource:
        def __init__(self, db):
            self.db = db

        def on_get(self, req, resp):
            resp.media = []

        def on_post(self, req, resp):
            self.db.execute("INSERT INTO item (name) VALUES (?)", (req.media["name"],))
            self.db.commit()
            resp.status = falcon.HTTP_201

        def on_get_one(self, req, resp, item_id):
            resp.media = {}

        def on_delete_one(self, req, resp, item_id):
            self.db.execute("DELETE FROM item WHERE id = ?", (item_id,))
            self.db.commit()

    class BaseResource:
        def on_put(self, req, resp, name):
            self.store.update(name, req.media)

    class PageResource(BaseResource):
        def on_get(self, req, resp, name):
            resp.text = name

    class Unrouted:
        def on_post(self, req, resp):
            self.db.commit()
"""


def test_add_route_serves_each_responder_of_the_resource_and_its_suffix() -> None:
    analysis = analyse(
        {
            "shop/resources.py": RESOURCES,
            "shop/app.py": """
                import falcon
                from shop.resources import ItemsResource, PageResource

                def create_app(db):
                    app = falcon.App()
                    items = ItemsResource(db)
                    app.add_route("/items", items)
                    app.add_route("/items/{item_id:int}", items, suffix="one")
                    app.add_route("/pages/{name}", PageResource())
                    return app
            """,
        }
    )
    assert analysis.project.frameworks == ("falcon",)
    assert rows(analysis) == [
        ("/items", ("GET",), "ItemsResource.on_get", False),
        ("/items", ("POST",), "ItemsResource.on_post", True),
        ("/items/{item_id:int}", ("DELETE",), "ItemsResource.on_delete_one", True),
        ("/items/{item_id:int}", ("GET",), "ItemsResource.on_get_one", False),
        ("/pages/{name}", ("GET",), "PageResource.on_get", False),
        # Inherited from a base class of the same module.
        ("/pages/{name}", ("PUT",), "BaseResource.on_put", True),
    ]
    [item] = [r for r in analysis.routes if r.handler.qualname == "ItemsResource.on_delete_one"]
    assert item.path_params == ("item_id",)
    [app] = analysis.apps
    assert (app.kind, app.factory) == ("falcon.App", "create_app")


def test_an_instance_bound_in_another_module_is_routed_by_its_class() -> None:
    analysis = analyse(
        {
            "api/resources.py": RESOURCES + "\n    items = ItemsResource(None)\n",
            "api/app.py": """
                from falcon import asgi
                from api import resources

                app = asgi.App()
                app.add_route("/items", resources.items)
            """,
        }
    )
    assert rows(analysis) == [
        ("/items", ("GET",), "ItemsResource.on_get", False),
        ("/items", ("POST",), "ItemsResource.on_post", True),
    ]


def test_routes_added_to_an_imported_app_or_an_app_given_to_a_function() -> None:
    analysis = analyse(
        {
            "shop/resources.py": RESOURCES,
            "shop/app.py": """
                import falcon
                from shop.routes import add_routes

                app = falcon.App()
                add_routes(app)
            """,
            "shop/routes.py": """
                import falcon
                from shop.resources import ItemsResource, PageResource

                def add_routes(api: falcon.App) -> None:
                    api.add_route("/items", ItemsResource(None))
            """,
            "shop/pages.py": """
                from shop.app import app
                from shop.resources import PageResource

                app.add_route("/pages/{name}", PageResource())
            """,
        }
    )
    assert rows(analysis) == [
        ("/items", ("GET",), "ItemsResource.on_get", False),
        ("/items", ("POST",), "ItemsResource.on_post", True),
        ("/pages/{name}", ("GET",), "PageResource.on_get", False),
        ("/pages/{name}", ("PUT",), "BaseResource.on_put", True),
    ]


def test_an_app_given_to_a_function_is_not_guessed_among_several() -> None:
    analysis = analyse(
        {
            "shop/resources.py": RESOURCES,
            "shop/app.py": """
                import falcon
                from shop.resources import ItemsResource

                public = falcon.App()
                admin = falcon.App()

                def add_routes(api):
                    api.add_route("/items", ItemsResource(None))
            """,
        }
    )
    assert rows(analysis) == []


def test_a_resources_module_needs_no_falcon_import() -> None:
    """Plain classes whose only responders have a suffix are resources too."""
    analysis = analyse(
        {
            "api/things.py": """
                class Things:
                    async def on_post_bulk(self, req, resp):
                        await self.store.insert_many(await req.get_media())
            """,
            "api/app.py": """
                import falcon.asgi
                from api.things import Things

                app = falcon.asgi.App()
                app.add_route("/things/bulk", Things(), suffix="bulk")
            """,
        }
    )
    assert rows(analysis) == [("/things/bulk", ("POST",), "Things.on_post_bulk", True)]


def test_the_old_api_class_and_an_aliased_import_are_apps() -> None:
    analysis = analyse(
        {
            "old.py": """
                import falcon as f

                class Things:
                    def on_post(self, req, resp):
                        self.db.commit()

                api = f.API()
                api.add_route("/things", Things())
            """,
        }
    )
    assert rows(analysis) == [("/things", ("POST",), "Things.on_post", True)]


def test_without_a_falcon_app_nothing_is_falcon() -> None:
    """Classes with on_get / on_post methods are not routes until an app routes them."""
    analysis = analyse({"shop/resources.py": RESOURCES})
    assert analysis.project.frameworks == ()
    assert rows(analysis) == []


def test_a_sink_serves_every_method_under_its_prefix() -> None:
    analysis = analyse(
        {
            "app.py": """
                import falcon

                def forward(req, resp, **kwargs):
                    resp.text = "forwarded"

                app = falcon.App()
                app.add_sink(forward, "/legacy")
            """,
        }
    )
    assert [(r.path, r.methods, r.handler.qualname) for r in analysis.routes] == [
        ("/legacy", ("GET", "POST", "PUT", "PATCH", "DELETE"), "forward")
    ]


def test_a_resource_named_as_a_query_changes_nothing() -> None:
    analysis = analyse(
        {
            "app.py": """
                import falcon

                class SearchResource:
                    def on_post(self, req, resp):
                        resp.media = {"hits": []}

                class NotesResource:
                    def on_post(self, req, resp):
                        resp.media = {"ok": True}

                app = falcon.App()
                app.add_route("/search", SearchResource())
                app.add_route("/notes", NotesResource())
            """,
        }
    )
    assert rows(analysis) == [
        ("/notes", ("POST",), "NotesResource.on_post", True),
        ("/search", ("POST",), "SearchResource.on_post", False),
    ]


def test_the_user_is_read_from_req_context_where_the_responder_reads_it() -> None:
    analysis = analyse(
        {
            "app.py": """
                import falcon

                class Notes:
                    def on_post(self, req, resp):
                        self.db.execute("INSERT INTO note (owner) VALUES (?)", (req.context.user.id,))
                        self.db.commit()

                    def on_delete(self, request, resp):
                        owner = request.context["user"]["id"]
                        self.db.execute("DELETE FROM note WHERE owner = ?", (owner,))
                        self.db.commit()

                    def on_put(self, req, resp):
                        self.db.commit()

                app = falcon.App()
                app.add_route("/notes", Notes())
            """,
        }
    )
    access = {r.handler.name: r.user_access for r in analysis.routes}
    assert access["on_post"] is not None
    assert access["on_post"].id_expression == "req.context.user.id"
    assert access["on_delete"] is not None
    assert access["on_delete"].id_expression == 'request.context["user"].id'
    # Never read, so never assumed: the middleware may not even set it here.
    assert access["on_put"] is None


def test_error_handlers_are_matched_to_what_they_handle() -> None:
    analysis = analyse(
        {
            "app/errors.py": """
                import falcon

                def on_any_error(req, resp, ex, params):
                    raise falcon.HTTPInternalServerError()

                def on_http_error(req, resp, ex, params):
                    resp.status = ex.status

                def on_conflict(req, resp, ex, params):
                    raise falcon.HTTPConflict()

                def unregistered(req, resp, ex, params):
                    pass

                class QuotaExceeded(Exception):
                    @staticmethod
                    def handle(req, resp, ex, params):
                        raise falcon.HTTPTooManyRequests()
            """,
            "app/main.py": """
                import sqlite3
                import falcon
                from app.errors import QuotaExceeded, on_any_error, on_conflict, on_http_error

                app = falcon.App()
                app.add_error_handler(Exception, on_any_error)
                app.add_error_handler(falcon.HTTPError, handler=on_http_error)
                app.add_error_handler((sqlite3.IntegrityError, KeyError), on_conflict)
                app.add_error_handler(QuotaExceeded)
            """,
        }
    )
    handlers = {
        h.handler.qualname: (h.handles, h.server_error, h.error_param)
        for h in analysis.error_handlers
    }
    assert handlers == {
        "on_any_error": (("Exception",), True, "ex"),
        "on_http_error": (("falcon.HTTPError",), False, "ex"),
        "on_conflict": (("sqlite3.IntegrityError", "KeyError"), False, "ex"),
        "QuotaExceeded.handle": (("app.errors.QuotaExceeded",), False, "ex"),
    }


AUTH = """
    import falcon

    class SignupResource:
        def on_post(self, req, resp):
            data = req.get_media()
            user = self.users.create_user(data["username"], data["password"])
            token = self.sessions.start_session(user.id)
            resp.set_cookie("sid", token)
            resp.status = falcon.HTTP_201

    class LoginResource:
        def on_post(self, req, resp):
            data = req.get_media()
            user = self.users.authenticate(data["username"], data["password"])
            if user is None:
                raise falcon.HTTPUnauthorized()
            resp.media = {"token": self.tokens.issue_token(user.id)}

    class LogoutResource:
        def on_post(self, req, resp):
            self.sessions.end_sessions(req.context.user.id)
            resp.unset_cookie("sid")

    class SessionResource:
        def on_delete(self, req, resp):
            self.sessions.delete_session(req.get_cookie_values("sid")[0])

    class PingResource:
        def on_post(self, req, resp):
            resp.set_cookie("seen", "1")

    app = falcon.App()
    app.add_route("/signup", SignupResource())
    app.add_route("/login", LoginResource())
    app.add_route("/logout", LogoutResource())
    app.add_route("/session", SessionResource())
    app.add_route("/ping", PingResource())
"""


def test_logins_signups_and_logouts() -> None:
    analysis = analyse({"app.py": AUTH})
    points = sorted(
        (p.handler.qualname, p.kind, p.line, p.call, p.user_expression)
        for p in analysis.auth_points
    )
    assert points == [
        # After the credentials check, where the token is issued.
        ("LoginResource.on_post", "login", 18, "self.tokens.issue_token", "user"),
        # Before the cookie goes, with the user's id already read.
        ("LogoutResource.on_post", "logout", 23, "resp.unset_cookie", None),
        ("SessionResource.on_delete", "logout", 27, "self.sessions.delete_session", None),
        ("SignupResource.on_post", "signup", 8, "self.sessions.start_session", "user"),
    ]


def test_auth_points_of_resources_no_app_routes_are_left_out() -> None:
    source = AUTH.replace('    app.add_route("/login", LoginResource())\n', "")
    analysis = analyse({"app.py": source})
    assert "LoginResource.on_post" not in {p.handler.qualname for p in analysis.auth_points}


@pytest.mark.parametrize(
    ("expressions", "read"),
    [
        (["req.context.user.id", "request.context.user.id", None], ".user.id"),
        (['req.context["user"]["id"]'], '["user"]["id"]'),
        # Read two ways, or not off the context at all: nothing is guessed.
        (["req.context.user.id", 'req.context["user"]["id"]'], None),
        (["current_user.id"], None),
        ([], None),
    ],
)
def test_how_the_user_id_is_read_off_the_context(
    expressions: list[str | None], read: str | None
) -> None:
    assert context_user_id(expressions) == read
