"""The Litestar hook-up: before/after cases, and the hook it writes, run under Litestar."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from posthog_setup.analysis.model import AppObject
from posthog_setup.codemods.base import ClientImport, EditError
from posthog_setup.frameworks.litestar.hookup import hook_up_litestar
from posthog_setup.mockhost import MockPostHogHost
from posthog_setup.templating import render_client_module

CLIENT = ClientImport("myapp.posthog_client")
APP = AppObject("litestar.Litestar", "myapp.main.app", "myapp/main.py", 0)

HOOK = '''\
async def capture_server_error(error: Exception, scope: Scope) -> None:
    """Send an error that answers 5xx to PostHog, once.

    Litestar answers exceptions before any middleware sees them. An error one of the
    app's exception handlers answers is theirs to report; a 4xx is not an error.
    """
    route_handler = scope.get("route_handler")
    handlers = route_handler.resolve_exception_handlers() if route_handler else {}
    status = getattr(error, "status_code", 500)
    if isinstance(status, int) and status < 500:
        return
    if status in handlers or any(kind in handlers for kind in type(error).__mro__):
        return
    posthog_client.capture_exception(error)


def flush_posthog() -> None:
    """Send the queued PostHog events before the app stops."""
    posthog_client.flush()
'''
IMPORTS = """\
from litestar.middleware import DefineMiddleware
from litestar.types import Scope
from posthog.integrations.asgi import PosthogASGIMiddleware
"""


def edit(source: str, app: AppObject = APP) -> str:
    return hook_up_litestar(source, app.file, app, CLIENT)


def check(before: str, after: str, app: AppObject = APP) -> None:
    """``before`` (dedented) becomes exactly ``after``, which compiles and a second run leaves
    alone."""
    before = textwrap.dedent(before)
    assert edit(before, app) == after
    compile(after, "<expected>", "exec")
    assert edit(after, app) == after


def test_module_level_app_gets_the_three_arguments() -> None:
    check(
        """\
        from litestar import Litestar, get


        @get("/")
        async def index() -> str:
            return "hi"


        # The application.
        app = Litestar([index])
        """,
        "from litestar import Litestar, get\n"
        + IMPORTS
        + "\nfrom myapp.posthog_client import posthog_client\n"
        + '\n\n@get("/")\nasync def index() -> str:\n    return "hi"\n\n\n'
        + HOOK
        + textwrap.dedent(
            """\


            # The application.
            app = Litestar(
                [index],
                middleware=[DefineMiddleware(PosthogASGIMiddleware, client=posthog_client)],
                after_exception=[capture_server_error],
                on_shutdown=[flush_posthog],
            )
            """
        ),
    )


def test_existing_lists_grow_in_their_own_layout() -> None:
    check(
        """\
        from litestar import Litestar
        from myapp.hooks import close, log_error, timing

        app = Litestar(
            route_handlers=[],
            middleware=[
                timing,
            ],
            after_exception=[log_error],
            on_shutdown=[close],
        )
        """,
        "from litestar import Litestar\n"
        + IMPORTS
        + "from myapp.hooks import close, log_error, timing\n"
        + "from myapp.posthog_client import posthog_client\n\n"
        + HOOK
        + textwrap.dedent(
            """\


            app = Litestar(
                route_handlers=[],
                middleware=[
                    DefineMiddleware(PosthogASGIMiddleware, client=posthog_client),
                    timing,
                ],
                after_exception=[log_error, capture_server_error],
                on_shutdown=[close, flush_posthog],
            )
            """
        ),
    )


def test_factory_returning_the_app_and_a_middleware_variable() -> None:
    source = textwrap.dedent(
        """\
        from myapp.config import MIDDLEWARE


        def create_app():
            from litestar import Litestar

            return Litestar(plugins=[], middleware=MIDDLEWARE)
        """
    )
    app = AppObject(
        "litestar.Litestar", "myapp.main.<Litestar@7>", "myapp/main.py", 7, "create_app"
    )
    edited = edit(source, app)
    # Too long for one line: one argument a line, in the factory's indentation.
    assert (
        "    return Litestar(\n"
        "        plugins=[],\n"
        "        middleware=[DefineMiddleware(PosthogASGIMiddleware, client=posthog_client), *MIDDLEWARE],\n"
        "        after_exception=[capture_server_error],\n"
        "        on_shutdown=[flush_posthog],\n"
        "    )\n"
    ) in edited
    # The hook and flush function are module functions, before the factory.
    assert edited.index("async def capture_server_error") < edited.index("def create_app")
    assert edit(edited, app) == edited


def test_already_hooked_up_is_left_alone() -> None:
    source = textwrap.dedent(
        """\
        from litestar import Litestar
        from litestar.middleware import DefineMiddleware
        from posthog.integrations.asgi import PosthogASGIMiddleware

        from myapp.errors import capture_server_error
        from myapp.posthog_client import posthog_client

        app = Litestar(
            middleware=[DefineMiddleware(PosthogASGIMiddleware, client=posthog_client)],
            after_exception=[capture_server_error],
            on_shutdown=[posthog_client.shutdown],
        )
        """
    )
    assert edit(source) == source


def test_no_litestar_call_names_the_file() -> None:
    with pytest.raises(EditError, match=r"myapp/main\.py: cannot find the Litestar"):
        edit("from myapp import make\n\napp = make()\n")


def test_settings_from_a_mapping_are_not_guessed_at() -> None:
    with pytest.raises(EditError, match=r"from a \*\* mapping"):
        edit("from litestar import Litestar\n\napp = Litestar(**SETTINGS)\n")


APP_MODULE = """\
from litestar import Litestar, get
from litestar.exceptions import HTTPException, NotFoundException


@get("/boom", sync_to_thread=False)
def boom() -> None:
    raise RuntimeError("boom")


@get("/missing", sync_to_thread=False)
def missing() -> None:
    raise NotFoundException("nothing here")


@get("/unavailable", sync_to_thread=False)
def unavailable() -> None:
    raise HTTPException(status_code=503, detail="down")


app = Litestar([boom, missing, unavailable])
"""

SCRIPT = """\
import json
from litestar.testing import TestClient
from myapp.main import app
from myapp.posthog_client import posthog_client

with TestClient(app=app, raise_server_exceptions=False) as client:
    statuses = [client.get(p).status_code for p in ("/boom", "/missing", "/unavailable")]
posthog_client.flush()
print(json.dumps(statuses))
"""


def test_the_hook_sends_each_server_error_once_and_no_client_error(tmp_path: Path) -> None:
    package = tmp_path / "myapp"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "main.py").write_text(edit(APP_MODULE))
    client = render_client_module(
        project_name="myapp", token_var="POSTHOG_PROJECT_TOKEN", host_var="POSTHOG_HOST"
    )
    (package / "posthog_client.py").write_text(client)
    env = {key: value for key, value in os.environ.items() if not key.startswith("POSTHOG_")}
    with MockPostHogHost() as host:
        env.update(
            PYTHONPATH=str(tmp_path), POSTHOG_HOST=host.url, POSTHOG_PROJECT_TOKEN="phc_test"
        )
        done = subprocess.run(
            [sys.executable, "-c", SCRIPT],
            cwd=tmp_path,
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        events = host.events()
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip().splitlines()[-1] == "[500, 404, 503]"
    sent = sorted(
        (e.event, e.properties.get("$request_path"), e.properties["$exception_list"][0]["type"])
        for e in events
    )
    assert sent == [
        ("$exception", "/boom", "RuntimeError"),
        ("$exception", "/unavailable", "HTTPException"),
    ]
