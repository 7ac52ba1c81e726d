"""Starlette and Quart hook-ups: before/after cases, each checked to compile and to be left
alone on a second run, and the no-change cases."""

from __future__ import annotations

import textwrap
from collections.abc import Callable

import pytest

from posthog_setup.analysis.model import AppObject
from posthog_setup.codemods.base import ClientImport, EditError
from posthog_setup.frameworks.quart.hookup import hook_up_quart
from posthog_setup.frameworks.starlette.hookup import hook_up_starlette

CLIENT = ClientImport("myapp.posthog_client")
STARLETTE_APP = AppObject("starlette.Starlette", "myapp.app", "myapp/app.py", 0)
QUART_APP = AppObject("quart.Quart", "myapp.app", "myapp/__init__.py", 0)

Edit = Callable[[str], str]


def starlette_edit(app: AppObject = STARLETTE_APP) -> Edit:
    return lambda source: hook_up_starlette(source, app.file, app, CLIENT)


def quart_edit(app: AppObject = QUART_APP) -> Edit:
    return lambda source: hook_up_quart(source, app.file, app, CLIENT)


def check(edit: Edit, before: str, after: str) -> None:
    """``edit`` turns ``before`` into exactly ``after``, which compiles and is left alone."""
    before, after = textwrap.dedent(before), textwrap.dedent(after)
    assert edit(before) == after
    compile(after, "<expected>", "exec")
    assert edit(after) == after


def unchanged(edit: Edit, source: str) -> None:
    source = textwrap.dedent(source)
    assert edit(source) == source


# -- Starlette ----------------------------------------------------------------------------


def test_starlette_inline_middleware_list_and_existing_lifespan() -> None:
    check(
        starlette_edit(),
        """\
        from contextlib import asynccontextmanager

        from starlette.applications import Starlette
        from starlette.middleware import Middleware
        from starlette.middleware.gzip import GZipMiddleware


        @asynccontextmanager
        async def lifespan(app):
            yield


        app = Starlette(
            middleware=[
                Middleware(GZipMiddleware),
            ],
            lifespan=lifespan,
        )
        """,
        """\
        from contextlib import asynccontextmanager

        from posthog.integrations.asgi import PosthogASGIMiddleware
        from starlette.applications import Starlette
        from starlette.middleware import Middleware
        from starlette.middleware.gzip import GZipMiddleware

        from myapp.posthog_client import posthog_client


        @asynccontextmanager
        async def lifespan(app):
            yield
            posthog_client.flush()


        app = Starlette(
            middleware=[
                Middleware(GZipMiddleware),
                Middleware(PosthogASGIMiddleware, client=posthog_client),
            ],
            lifespan=lifespan,
        )
        """,
    )


def test_starlette_middleware_list_bound_to_a_name_in_the_modules_spelling() -> None:
    check(
        starlette_edit(),
        """\
        from starlette.applications import Starlette
        from starlette.middleware import Middleware as M
        from starlette.middleware.gzip import GZipMiddleware

        middleware = [M(GZipMiddleware)]

        app = Starlette(routes=[], middleware=middleware)
        """,
        """\
        from collections.abc import AsyncIterator
        from contextlib import asynccontextmanager

        from posthog.integrations.asgi import PosthogASGIMiddleware
        from starlette.applications import Starlette
        from starlette.middleware import Middleware as M
        from starlette.middleware.gzip import GZipMiddleware

        from myapp.posthog_client import posthog_client

        middleware = [M(GZipMiddleware), M(PosthogASGIMiddleware, client=posthog_client)]


        @asynccontextmanager
        async def lifespan(app: Starlette) -> AsyncIterator[None]:
            yield
            # Send the events still queued before the server exits.
            posthog_client.flush()


        app = Starlette(routes=[], middleware=middleware, lifespan=lifespan)
        """,
    )


def test_starlette_without_middleware_list_gets_add_middleware_in_a_factory() -> None:
    app = AppObject("starlette.Starlette", "myapp.build.<locals>.app", "myapp/app.py", 0, "build")
    check(
        starlette_edit(app),
        """\
        from contextlib import asynccontextmanager

        from starlette.applications import Starlette


        def build():
            @asynccontextmanager
            async def lifespan(app):
                try:
                    yield
                finally:
                    print("bye")

            app = Starlette(lifespan=lifespan)
            return app
        """,
        """\
        from contextlib import asynccontextmanager

        from posthog.integrations.asgi import PosthogASGIMiddleware
        from starlette.applications import Starlette

        from myapp.posthog_client import posthog_client


        def build():
            @asynccontextmanager
            async def lifespan(app):
                try:
                    yield
                finally:
                    posthog_client.flush()
                    print("bye")

            app = Starlette(lifespan=lifespan)
            app.add_middleware(PosthogASGIMiddleware, client=posthog_client)
            return app
        """,
    )


def test_starlette_already_hooked_up() -> None:
    unchanged(
        starlette_edit(),
        """\
        from posthog.integrations.asgi import PosthogASGIMiddleware
        from starlette.applications import Starlette

        from myapp.posthog_client import posthog_client

        app = Starlette()
        app.add_middleware(PosthogASGIMiddleware, client=posthog_client)
        posthog_client.shutdown()
        """,
    )


def test_starlette_app_not_found_names_the_file() -> None:
    with pytest.raises(EditError, match=r"myapp/app\.py"):
        starlette_edit()("from starlette.applications import Starlette\n")


# -- Quart --------------------------------------------------------------------------------


def test_quart_module_level_app_after_its_config() -> None:
    check(
        quart_edit(),
        """\
        from quart import Quart

        from .views import bp

        # The application.
        app = Quart(__name__)
        app.config["SECRET_KEY"] = "dev"
        app.register_blueprint(bp)
        """,
        """\
        from posthog.integrations.asgi import PosthogASGIMiddleware
        from quart import Quart
        from quart.signals import got_request_exception

        from myapp.posthog_client import posthog_client

        from .views import bp

        # The application.
        async def capture_server_error(sender: object, exception: BaseException, **extra: object) -> None:
            \"\"\"Send an error no handler caught to PostHog (Quart answers it with a 500).\"\"\"
            posthog_client.capture_exception(exception)


        app = Quart(__name__)
        app.config["SECRET_KEY"] = "dev"
        app.asgi_app = PosthogASGIMiddleware(app.asgi_app, client=posthog_client)
        got_request_exception.connect(capture_server_error, app)
        app.register_blueprint(bp)
        """,
    )


def test_quart_factory_and_a_taken_receiver_name() -> None:
    app = AppObject(
        "quart.Quart", "myapp.create_app.<locals>.app", "myapp/__init__.py", 0, "create_app"
    )
    check(
        quart_edit(app),
        """\
        from quart import Quart as Q


        def capture_server_error():
            pass


        def create_app(config=None):
            app = Q(__name__)
            if config:
                app.config.update(config)
            return app
        """,
        """\
        from posthog.integrations.asgi import PosthogASGIMiddleware
        from quart import Quart as Q
        from quart.signals import got_request_exception

        from myapp.posthog_client import posthog_client


        def capture_server_error():
            pass


        async def posthog_capture_server_error(sender: object, exception: BaseException, **extra: object) -> None:
            \"\"\"Send an error no handler caught to PostHog (Quart answers it with a 500).\"\"\"
            posthog_client.capture_exception(exception)


        def create_app(config=None):
            app = Q(__name__)
            if config:
                app.config.update(config)
            app.asgi_app = PosthogASGIMiddleware(app.asgi_app, client=posthog_client)
            got_request_exception.connect(posthog_capture_server_error, app)
            return app
        """,
    )


def test_quart_already_hooked_up() -> None:
    unchanged(
        quart_edit(),
        """\
        from posthog.integrations.asgi import PosthogASGIMiddleware
        from quart import Quart

        app = Quart(__name__)
        app.asgi_app = PosthogASGIMiddleware(app.asgi_app)
        """,
    )
