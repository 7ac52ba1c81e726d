"""The aiohttp hook-up: before/after cases of the app's file, and the generated module."""

from __future__ import annotations

import ast
import textwrap

import pytest

from posthog_setup.analysis.model import AppObject
from posthog_setup.codemods.base import ClientImport, EditError
from posthog_setup.frameworks.aiohttp import framework
from posthog_setup.frameworks.aiohttp.hookup import (
    hook_up_aiohttp,
    middleware_module,
    render_middleware_module,
)

CLIENT = ClientImport("shop.posthog_client")
MIDDLEWARE = middleware_module(CLIENT)
APP = AppObject("aiohttp.Application", "shop.main.app", "shop/main.py", 0)
IMPORT = "from shop.posthog_aiohttp import posthog_cleanup, posthog_middleware\n"


def check(
    before: str, after: str, app: AppObject = APP, imported: ClientImport = MIDDLEWARE
) -> None:
    """``before`` (dedented) becomes exactly ``after`` (dedented), which compiles, which a
    second run leaves alone, and where the hook-up is found."""
    before, after = textwrap.dedent(before), textwrap.dedent(after)
    assert hook_up_aiohttp(before, app.file, app, imported) == after
    compile(after, "<expected>", "exec")
    assert hook_up_aiohttp(after, app.file, app, imported) == after
    assert list(framework.find_hookups(app.file, ast.parse(after)))


def test_an_app_without_middlewares_gets_the_argument_and_the_cleanup() -> None:
    check(
        """\
        from aiohttp import web

        app = web.Application()
        app.router.add_get("/", index)
        """,
        f"""\
        from aiohttp import web
        {IMPORT}
        app = web.Application(middlewares=[posthog_middleware])
        app.on_cleanup.append(posthog_cleanup)
        app.router.add_get("/", index)
        """,
    )


def test_the_middleware_goes_last_in_an_existing_list() -> None:
    check(
        """\
        from aiohttp import web

        from shop.middlewares import error_middleware, auth_middleware

        app = web.Application(
            client_max_size=1024,
            middlewares=[
                error_middleware,
                auth_middleware,
            ],
        )
        """,
        f"""\
        from aiohttp import web

        from shop.middlewares import error_middleware, auth_middleware
        {IMPORT}
        app = web.Application(
            client_max_size=1024,
            middlewares=[
                error_middleware,
                auth_middleware,
                posthog_middleware,
            ],
        )
        app.on_cleanup.append(posthog_cleanup)
        """,
    )


def test_a_list_bound_to_a_name_before_the_app_grows() -> None:
    check(
        """\
        from aiohttp import web

        middlewares = [error_middleware]
        app = web.Application(middlewares=middlewares)
        """,
        f"""\
        from aiohttp import web
        {IMPORT}
        middlewares = [error_middleware, posthog_middleware]
        app = web.Application(middlewares=middlewares)
        app.on_cleanup.append(posthog_cleanup)
        """,
    )


def test_middlewares_that_are_no_literal_list_are_appended_to() -> None:
    check(
        """\
        from aiohttp import web

        app = web.Application(middlewares=build_middlewares())
        """,
        f"""\
        from aiohttp import web
        {IMPORT}
        app = web.Application(middlewares=build_middlewares())
        app.middlewares.append(posthog_middleware)
        app.on_cleanup.append(posthog_cleanup)
        """,
    )


def test_an_app_built_in_an_async_factory() -> None:
    factory = AppObject(
        "aiohttp.Application", "shop.main.init_app.<locals>.app", "shop/main.py", 0, "init_app"
    )
    check(
        """\
        from aiohttp import web as w


        async def init_app() -> w.Application:
            \"\"\"Build the app.\"\"\"
            app = w.Application(middlewares=[])
            setup_routes(app)
            return app
        """,
        f"""\
        from aiohttp import web as w
        {IMPORT}

        async def init_app() -> w.Application:
            \"\"\"Build the app.\"\"\"
            app = w.Application(middlewares=[posthog_middleware])
            app.on_cleanup.append(posthog_cleanup)
            setup_routes(app)
            return app
        """,
        factory,
    )


def test_a_relative_client_import_makes_a_relative_middleware_import() -> None:
    check(
        """\
        from aiohttp import web

        from .routes import setup_routes

        app = web.Application()
        """,
        """\
        from aiohttp import web

        from .posthog_aiohttp import posthog_cleanup, posthog_middleware
        from .routes import setup_routes

        app = web.Application(middlewares=[posthog_middleware])
        app.on_cleanup.append(posthog_cleanup)
        """,
        imported=middleware_module(ClientImport("posthog_client", 1)),
    )


def test_a_hooked_up_app_is_left_alone() -> None:
    source = textwrap.dedent(
        f"""\
        from aiohttp import web
        {IMPORT}
        app = web.Application(middlewares=[posthog_middleware])
        app.on_cleanup.append(posthog_cleanup)
        """
    )
    assert hook_up_aiohttp(source, APP.file, APP, MIDDLEWARE) == source


def test_an_app_that_cannot_be_found_is_an_edit_error() -> None:
    with pytest.raises(EditError, match=r"shop/main\.py"):
        hook_up_aiohttp("from aiohttp import web\n", APP.file, APP, MIDDLEWARE)


@pytest.mark.parametrize("security", [True, False])
def test_the_generated_module_compiles_and_imports_the_client(security: bool) -> None:
    source = render_middleware_module(CLIENT, security=security)
    compile(source, "posthog_aiohttp.py", "exec")
    assert "from shop.posthog_client import posthog_client\n" in source
    assert ("authorized_userid" in source) is security
    # Client errors and redirects pass through; only 5xx is captured.
    assert "if error.status >= 500:" in source


def test_an_app_a_method_builds_and_serves_itself() -> None:
    """A demo server's method builds the app and starts it: the hook-up goes there."""
    served = AppObject(
        "aiohttp.Application", "shop.main.DemoServer.start.<locals>.app", "shop/main.py", 6
    )
    check(
        """\
        from aiohttp import web


        class DemoServer:
            async def start(self) -> None:
                app = web.Application()
                app.router.add_get("/", self.index)
                self.runner = web.AppRunner(app)
        """,
        f"""\
        from aiohttp import web
        {IMPORT}

        class DemoServer:
            async def start(self) -> None:
                app = web.Application(middlewares=[posthog_middleware])
                app.on_cleanup.append(posthog_cleanup)
                app.router.add_get("/", self.index)
                self.runner = web.AppRunner(app)
        """,
        served,
    )


def test_an_import_alone_hooks_nothing_up() -> None:
    """The middleware taken out of the list (the import left behind) is put back."""
    check(
        f"""\
        from aiohttp import web
        {IMPORT}
        app = web.Application(middlewares=[error_middleware])
        app.on_cleanup.append(posthog_cleanup)
        """,
        f"""\
        from aiohttp import web
        {IMPORT}
        app = web.Application(middlewares=[error_middleware, posthog_middleware])
        app.on_cleanup.append(posthog_cleanup)
        """,
    )
