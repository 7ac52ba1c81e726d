"""Litestar analysis: apps and factories, routers, controllers, handler functions, users,
exception handlers and logins."""

from __future__ import annotations

from posthog_setup.analysis.model import Analysis
from tests.analysers import analyse_project
from tests.analysis.web_helpers import FIXTURES, analyse, analyse_one, route_rows


def rows(analysis: Analysis) -> list[tuple[str, tuple[str, ...], str, bool]]:
    return sorted(route_rows(analysis, "litestar"))


def test_routers_controllers_and_handler_functions_add_their_paths() -> None:
    analysis = analyse(
        {
            "app/notes.py": """
                from litestar import Controller, delete, get, post

                class NoteController(Controller):
                    path = "/notes"

                    @get()
                    async def list_notes(self) -> list[str]:
                        return []

                    @post("/{note_id:int}/pin")
                    async def pin(self, note_id: int, db) -> None:
                        db.commit()

                    @delete(path="/{note_id:int}")
                    async def remove(self, note_id: int) -> None:
                        return None
            """,
            "app/main.py": """
                from litestar import Litestar, Router, get, post
                from app.notes import NoteController

                @get(["/", "/index"])
                async def index() -> str:
                    return "hi"

                @post("/feedback")
                async def feedback(data: dict) -> None:
                    return None

                api = Router(path="/api", route_handlers=[NoteController, Router("/v2", route_handlers=[feedback])])
                app = Litestar(route_handlers=[index, api])
            """,
        }
    )
    assert rows(analysis) == [
        ("/", ("GET",), "index", False),
        ("/api/notes", ("GET",), "NoteController.list_notes", False),
        ("/api/notes/{note_id:int}", ("DELETE",), "NoteController.remove", True),
        ("/api/notes/{note_id:int}/pin", ("POST",), "NoteController.pin", True),
        ("/api/v2/feedback", ("POST",), "feedback", True),
        ("/index", ("GET",), "index", False),
    ]
    pin = next(r for r in analysis.routes if r.handler.name == "pin")
    # Litestar's {name:type}: the parameter is the name.
    assert pin.path_params == ("note_id",)
    assert [a.kind for a in analysis.apps if a.kind == "litestar.Litestar"] == ["litestar.Litestar"]


def test_route_with_http_methods_and_an_unlisted_controller() -> None:
    analysis = analyse_one(
        """
        from litestar import Controller, route
        from litestar.enums import HttpMethod

        class Jobs(Controller):
            path = "/jobs"

            @route("/{job_id:uuid}/run", http_method=[HttpMethod.POST, "PUT"])
            async def run(self, job_id) -> None:
                return None
        """
    )
    # Registered through a plugin the analysis cannot follow: the controller is its own root.
    assert rows(analysis) == [("/jobs/{job_id:uuid}/run", ("POST", "PUT"), "Jobs.run", True)]


def test_decorators_of_other_libraries_are_not_routes() -> None:
    analysis = analyse_one(
        """
        import litestar
        from functools import cache as get

        @get
        def settings() -> dict:
            return {}
        """
    )
    assert rows(analysis) == []


def test_app_returned_by_a_factory() -> None:
    analysis = analyse_one(
        """
        def create_app():
            from litestar import Litestar
            from app.core import Core

            return Litestar(plugins=[Core()])
        """,
        file="app/asgi.py",
    )
    [app] = [a for a in analysis.apps if a.kind == "litestar.Litestar"]
    assert app.factory == "create_app"


def test_the_user_from_the_request_or_a_dependency() -> None:
    analysis = analyse_one(
        """
        from typing import Any
        from litestar import Request, post

        @post("/a")
        async def by_request(req: Request[Any, Any, Any], repo) -> None:
            repo.add(req.user.id)

        @post("/b")
        async def by_dependency(current_user: "User", repo) -> None:
            repo.add(current_user.id)

        @post("/c")
        async def nobody(repo) -> None:
            repo.add(1)
        """
    )
    users = {r.handler.name: r.user_access for r in analysis.routes}
    assert users["by_request"] is not None
    assert users["by_request"].id_expression == "req.user.id"
    assert users["by_dependency"] is not None
    assert users["by_dependency"].id_expression == "current_user.id"
    assert users["nobody"] is None


def test_exception_handlers_registered_from_another_module() -> None:
    analysis = analyse(
        {
            "app/errors.py": """
                from litestar import Request, Response

                class Missing(Exception):
                    pass

                def missing(request: Request, exc: Missing) -> Response:
                    return Response({}, status_code=404)

                def crashed(request: Request, exc: Exception) -> Response:
                    return Response({}, status_code=500)

                def helper(request, other):
                    return None
            """,
            "app/main.py": """
                from litestar import Litestar
                from litestar.status_codes import HTTP_500_INTERNAL_SERVER_ERROR
                from app.errors import Missing, crashed, missing

                app = Litestar([], exception_handlers={Missing: missing, HTTP_500_INTERNAL_SERVER_ERROR: crashed})
            """,
        }
    )
    handlers = {h.handler.qualname: h for h in analysis.error_handlers}
    # helper() is shaped like a handler but nothing registers it.
    assert sorted(handlers) == ["crashed", "missing"]
    assert handlers["missing"].server_error is False
    assert handlers["crashed"].server_error is True
    assert handlers["crashed"].error_param == "exc"


def test_session_login_signup_and_logout() -> None:
    analysis = analyse_one(
        """
        from litestar import Controller, Request, post

        class Auth(Controller):
            path = "/auth"

            @post("/signup")
            async def signup(self, data: dict, request: Request, db) -> dict:
                user = create_user(db, data)
                request.set_session({"user_id": user.id})
                return {}

            @post("/login")
            async def login(self, data: dict, request: Request, db) -> dict:
                user = authenticate(db, data["username"], data["password"])
                if user is None:
                    raise ValueError("no")
                request.set_session({"user_id": user.id})
                return {}

            @post("/logout")
            async def logout(self, request: Request) -> None:
                request.clear_session()
        """
    )
    points = {(p.kind, p.handler.name, p.user_expression, p.call) for p in analysis.auth_points}
    assert points == {
        ("signup", "signup", "user", "request.set_session"),
        ("login", "login", "user", "request.set_session"),
        ("logout", "logout", None, "request.clear_session"),
    }


def test_token_login_is_before_the_token_is_issued() -> None:
    analysis = analyse_one(
        """
        from litestar import post

        @post("/login")
        async def login(data: dict, users) -> object:
            user = await users.authenticate(data["email"], data["password"])
            response = auth.login(user.email)
            return response
        """
    )
    [point] = analysis.auth_points
    assert (point.kind, point.mechanism, point.call, point.line) == (
        "login",
        "token",
        "auth.login",
        7,
    )


def test_fixture_project() -> None:
    analysis = analyse_project(FIXTURES / "litestar_shelf", use_cache=False)
    assert analysis.project.frameworks == ("litestar",)
    assert analysis.unsupported == ()
    assert rows(analysis) == [
        ("/api/books", ("GET",), "BookController.list_books", False),
        ("/api/books", ("POST",), "BookController.add_book", True),
        ("/api/books/search", ("POST",), "BookController.search_books", False),
        ("/api/books/{book_id:int}/finish", ("POST", "PUT"), "BookController.finish_book", True),
        ("/api/shelves", ("GET",), "ShelfController.list_shelves", False),
        ("/api/shelves", ("POST",), "ShelfController.create_shelf", True),
        ("/api/shelves/{shelf_id:int}", ("DELETE",), "ShelfController.delete_shelf", True),
        ("/api/shelves/{shelf_id:int}", ("PATCH",), "ShelfController.rename_shelf", True),
        ("/auth/login", ("POST",), "AuthController.login", True),
        ("/auth/logout", ("POST",), "AuthController.logout", True),
        ("/auth/signup", ("POST",), "AuthController.signup", True),
        ("/health", ("GET",), "health", False),
    ]
    [app] = [a for a in analysis.apps if a.kind == "litestar.Litestar"]
    assert (app.file, app.factory) == ("shelf/app.py", "create_app")


def test_exception_handlers_of_a_route_layer() -> None:
    analysis = analyse_one(
        """
        from litestar import get

        def crashed(request, exc):
            return None

        @get("/report", exception_handlers={500: crashed})
        async def report() -> str:
            return ""
        """
    )
    [handler] = analysis.error_handlers
    assert (handler.handler.qualname, handler.handles, handler.server_error) == (
        "crashed",
        ("500",),
        True,
    )


def test_signup_identifies_where_the_new_users_id_is_first_read() -> None:
    analysis = analyse_one(
        """
        from litestar import post

        @post("/signup")
        async def signup(data: dict, users_service, mailer) -> dict:
            try:
                user = await users_service.create(data)
            except KeyError:
                raise ValueError("taken")
            if data.get("newsletter"):
                mailer.subscribe(user_id=user.id)
            await mailer.welcome(user_id=user.id)
            return {}
        """
    )
    [point] = analysis.auth_points
    # Not in the try (nothing read yet), not in the branch: the body's own statement.
    assert (point.kind, point.user_expression, point.call, point.line) == (
        "signup",
        "user",
        "mailer.welcome",
        12,
    )


def test_a_service_method_named_for_the_change_it_makes_writes() -> None:
    analysis = analyse_one(
        """
        from litestar import post

        @post("/api/reset-password-check")
        async def reset_password_check(data: dict, accounts_service) -> dict:
            await accounts_service.reset_password_with_token(data["token"], data["new"])
            return {}

        @post("/api/links/{provider:str}/unlink")
        async def drop_link(provider: str, links_service) -> None:
            await links_service.unlink_provider(provider)

        @post("/api/tokens/refresh")
        async def refresh_tokens(data: dict, tokens_service) -> dict:
            token = await tokens_service.create_refresh_token(data["subject"])
            return {"token": token}

        @post("/api/search")
        async def search(data: dict, notes_service) -> list:
            return await notes_service.find_matching(data["q"])
        """
    )
    assert rows(analysis) == [
        ("/api/links/{provider:str}/unlink", ("POST",), "drop_link", True),
        ("/api/reset-password-check", ("POST",), "reset_password_check", True),
        ("/api/search", ("POST",), "search", False),
        # create_refresh_token answers a credential: a login's part, not a write.
        ("/api/tokens/refresh", ("POST",), "refresh_tokens", False),
    ]


# A provider's callback route leaves the login to functions of its module: the last one
# gets the user from the service that authenticates (or creates) it and issues the token.
OAUTH = """\
    from litestar import Controller, get
    from litestar.response import Redirect

    from shop.tokens import create_access_token


    async def _login_from_provider(users, account_id: str) -> str:
        user, created = await users.authenticate_or_create_oauth_user(account_id)
        token = create_access_token(user_id=str(user.id), email=user.email)
        return f"/done?token={token}"


    async def _link_account(accounts, account_id: str, user_id: str) -> str:
        await accounts.link(user_id, account_id)
        return "/linked"


    class OAuth(Controller):
        path = "/oauth"

        @get("/one/callback")
        async def one_callback(self, users, accounts, code: str, action: str) -> Redirect:
            return Redirect(path=await self._finish(users, accounts, code, action))

        @get("/two/callback")
        async def two_callback(self, users, code: str) -> Redirect:
            return Redirect(path=await _login_from_provider(users, code))

        @get("/refresh")
        async def refresh(self, users, code: str) -> Redirect:
            return Redirect(path=await _login_from_provider(users, code))

        @get("/link")
        async def link(self, accounts, code: str) -> Redirect:
            return Redirect(path=await _link_account(accounts, code, "1"))

        async def _finish(self, users, accounts, code: str, action: str) -> str:
            if action == "link":
                return await _link_account(accounts, code, "1")
            return await _login_from_provider(users, code)
    """


def test_a_callback_that_logs_in_through_a_helper_of_its_module_is_a_login() -> None:
    analysis = analyse({"shop/oauth.py": OAUTH, "shop/tokens.py": "", "shop/__init__.py": ""})
    points = sorted(
        (p.kind, p.handler.qualname, p.code_in.qualname, p.line, p.user_expression, p.mechanism)
        for p in analysis.auth_points
    )
    # Refreshing is no login; linking an account to a logged-in user is none either.
    assert points == [
        ("login", "OAuth.one_callback", "_login_from_provider", 9, "user", "issued"),
        ("login", "OAuth.two_callback", "_login_from_provider", 9, "user", "issued"),
    ]
    assert all("user.id" in p.proven for p in analysis.auth_points)


def test_the_helper_that_logs_in_is_where_identify_goes_once() -> None:
    from posthog_setup.codemods.placement import build_points
    from posthog_setup.plan.plan import build_plan

    analysis = analyse({"shop/oauth.py": OAUTH, "shop/tokens.py": "", "shop/__init__.py": ""})
    plan = build_plan(analysis, client_module="shop/posthog_client.py")
    logins = sorted((e.kind, e.file, e.handler) for e in plan.events if e.kind == "login")
    # Each route is a login of the plan; the code is written once, in the helper.
    assert logins == [
        ("login", "shop/oauth.py", "OAuth.one_callback"),
        ("login", "shop/oauth.py", "OAuth.two_callback"),
    ]
    [identify] = build_points(analysis, plan)["shop/oauth.py"].identifies
    assert (identify.handler, identify.call_line, identify.user_id, identify.before) == (
        "_login_from_provider",
        9,
        "user.id",
        False,
    )
    assert identify.person_properties == ("email",)


def test_the_helper_gets_the_identify_after_the_token_is_issued() -> None:
    from textwrap import dedent

    from posthog_setup.codemods.base import ClientImport
    from posthog_setup.codemods.placement import build_points
    from posthog_setup.codemods.routes import instrument_file
    from posthog_setup.plan.plan import build_plan
    from tests.codemods.helpers import check_idempotent

    analysis = analyse({"shop/oauth.py": OAUTH, "shop/tokens.py": "", "shop/__init__.py": ""})
    plan = build_plan(analysis, client_module="shop/posthog_client.py")
    points = build_points(analysis, plan)["shop/oauth.py"]
    client = ClientImport("shop.posthog_client")
    edited = instrument_file(dedent(OAUTH), "shop/oauth.py", points, client)
    assert (
        dedent(
            """\
        async def _login_from_provider(users, account_id: str) -> str:
            user, created = await users.authenticate_or_create_oauth_user(account_id)
            token = create_access_token(user_id=str(user.id), email=user.email)
            identify_context(str(user.id))
            posthog_client.set(distinct_id=str(user.id), properties={"email": user.email})
            posthog_client.capture("user_logged_in", distinct_id=str(user.id))
            return f"/done?token={token}"
        """
        )
        in edited
    )
    assert edited.count("identify_context(str(") == 1  # written once for both routes
    check_idempotent(edited, points, client, "shop/oauth.py")


def test_a_handler_that_issues_a_token_to_the_user_a_provider_vouched_for_logs_in() -> None:
    analysis = analyse_one(
        """
        from litestar import get, post

        @get("/oauth/callback")
        async def callback(users, code: str) -> dict:
            user = await users.get_or_create_oauth_user(code)
            return {"token": issue_token(user.id)}

        @post("/tokens")
        async def new_api_token(users, current_user) -> dict:
            user = await users.get(current_user.id)
            return {"token": issue_token(user.id)}
        """
    )
    [point] = analysis.auth_points
    assert (point.kind, point.handler.name, point.inside, point.mechanism, point.line) == (
        "login",
        "callback",
        None,
        "token",
        7,
    )
