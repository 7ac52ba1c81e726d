"""The Falcon hook-up: before/after cases, and the generated code, run under Falcon's WSGI
and ASGI test clients against the mock host."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from posthog_setup.analysis.model import AppObject
from posthog_setup.codemods.base import ClientImport, EditError
from posthog_setup.frameworks.falcon.hookup import hook_up_falcon
from posthog_setup.mockhost import MockPostHogHost
from posthog_setup.templating import render_client_module

CLIENT = ClientImport("myapp.posthog_client")


def app_at(line: int, factory: str | None = None, name: str = "app") -> AppObject:
    return AppObject("falcon.App", f"myapp.main.{name}", "myapp/main.py", line, factory)


def edit(source: str, app: AppObject) -> str:
    return hook_up_falcon(source, app.file, app, CLIENT)


def edited(before: str, app: AppObject) -> str:
    """``before`` (dedented), edited; the result compiles and a second run leaves it alone."""
    after = edit(textwrap.dedent(before), app)
    compile(after, "<edited>", "exec")
    assert edit(after, app) == after
    return after


def test_module_level_wsgi_app_gets_the_middleware_and_the_handler() -> None:
    after = edited(
        """\
        import falcon

        from myapp.resources import Things

        # The application.
        app = falcon.App()
        app.add_route("/things", Things())
        """,
        app_at(6),
    )
    # Imports where isort would put them: the standard library, then third parties.
    assert after.startswith(
        "from contextlib import ExitStack\n"
        "from contextvars import ContextVar\n"
        "from traceback import format_exc\n"
        "from typing import Any\n"
        "\n"
        "import falcon\n"
        "from falcon import HTTPInternalServerError\n"
        "from posthog.contexts import identify_context, new_context, set_context_session, tag\n"
        "\n"
        "from myapp.posthog_client import posthog_client\n"
        "from myapp.resources import Things\n"
        "\n"
        "\n"
        'POSTHOG_REQUEST_CONTEXT: "ContextVar[ExitStack | None]" = ContextVar(\n'
        '    "posthog_request_context", default=None\n'
        ")\n"
        "\n"
        "\n"
        "class PosthogMiddleware:\n"
    )
    assert after.endswith(
        "\n\n\n# The application.\n"
        "app = falcon.App(middleware=[PosthogMiddleware()])\n"
        "app.add_error_handler(Exception, capture_server_error)\n"
        'app.add_route("/things", Things())\n'
    )
    assert after.count("class PosthogMiddleware:") == 1
    assert "    def process_request(self, req: Any, resp: Any) -> None:" in after
    assert (
        "def capture_server_error(req: Any, resp: Any, ex: Exception, params: Any) -> None:"
        in after
    )
    assert "    req.log_error(format_exc())\n    raise HTTPInternalServerError()\n" in after


@pytest.mark.parametrize(
    ("call", "expected"),
    [
        ("falcon.App(middleware=[])", "falcon.App(middleware=[PosthogMiddleware()])"),
        (
            "falcon.App(cors_enable=True, middleware=[Auth(), Timing()])",
            "falcon.App(cors_enable=True, middleware=[PosthogMiddleware(), Auth(), Timing()])",
        ),
        # One middleware object is what Falcon also accepts: it joins a list.
        ("falcon.App(middleware=Auth())", "falcon.App(middleware=[PosthogMiddleware(), Auth()])"),
        # A list built elsewhere is kept behind the new one.
        (
            "falcon.App(middleware=MIDDLEWARE)",
            "falcon.App(middleware=[PosthogMiddleware(), *MIDDLEWARE])",
        ),
        (
            "falcon.API(cors_enable=True)",
            "falcon.API(cors_enable=True, middleware=[PosthogMiddleware()])",
        ),
    ],
)
def test_the_middleware_goes_first_whatever_the_app_already_has(call: str, expected: str) -> None:
    after = edited(
        f"import falcon\n\nAuth = Timing = object\nMIDDLEWARE = []\napp = {call}\n", app_at(5)
    )
    assert f"\napp = {expected}\n" in after


def test_a_factory_gets_the_handler_after_the_app_and_the_definitions_before_it() -> None:
    after = edited(
        """\
        from falcon import asgi


        def create_app(settings):
            app = asgi.App(middleware=[])
            app.add_route("/things", Things(settings))
            return app
        """,
        app_at(5, factory="create_app"),
    )
    assert after.endswith(
        "def create_app(settings):\n"
        "    app = asgi.App(middleware=[PosthogMiddleware()])\n"
        "    app.add_error_handler(Exception, capture_server_error)\n"
        '    app.add_route("/things", Things(settings))\n'
        "    return app\n"
    )
    # An ASGI app takes coroutines, and logs as Falcon's ASGI app does.
    assert "    async def process_request(self, req: Any, resp: Any) -> None:" in after
    assert "    async def process_response(\n" in after
    assert "async def capture_server_error(\n" in after
    assert 'getLogger("falcon").error(' in after
    assert "from logging import getLogger\n" in after
    assert after.index("class PosthogMiddleware") < after.index("def create_app")


@pytest.mark.parametrize(
    ("user_id", "read"),
    [(".user.id", "req.context.user.id"), ('["user"]["id"]', 'req.context["user"]["id"]')],
)
def test_the_handler_reads_the_user_as_the_responders_do(user_id: str, read: str) -> None:
    source = "import falcon\n\napp = falcon.App()\n"
    after = hook_up_falcon(source, "myapp/main.py", app_at(3), CLIENT, user_id)
    assert f"        user_id = {read}\n" in after
    assert "    posthog_client.capture_exception(ex, distinct_id=distinct_id)\n" in after
    compile(after, "<edited>", "exec")


def test_an_app_with_its_own_exception_handler_keeps_it() -> None:
    after = edited(
        """\
        import falcon

        app = falcon.App()
        app.add_error_handler(Exception, handle_everything)
        """,
        app_at(3),
    )
    assert "capture_server_error" not in after
    assert "HTTPInternalServerError" not in after
    assert "app = falcon.App(middleware=[PosthogMiddleware()])\n" in after


def test_already_hooked_up_is_left_alone() -> None:
    source = textwrap.dedent(
        """\
        import falcon

        app = falcon.App(middleware=[PosthogMiddleware()])
        app.add_error_handler(Exception, capture_server_error)
        """
    )
    assert edit(source, app_at(3)) == source


def test_settings_from_a_mapping_are_not_guessed_at() -> None:
    """``falcon.App(**options)`` may already be given middleware: adding the keyword could
    make the call fail, so the edit stops and says what to add."""
    with pytest.raises(EditError, match=r"myapp/main\.py: .*PosthogMiddleware\(\) first"):
        edit("import falcon\n\napp = falcon.App(**options)\n", app_at(3))


def test_no_app_creation_names_the_file() -> None:
    with pytest.raises(EditError, match=r"myapp/main\.py"):
        edit("import falcon\n\napp = make()\n", app_at(1))


APP_MODULE = """\
import falcon
{asgi_import}


class Things:
    {async_}def on_post(self, req, resp):
        resp.status = falcon.HTTP_201

    {async_}def on_get(self, req, resp, thing_id):
        raise falcon.HTTPNotFound()


class Boom:
    {async_}def on_get(self, req, resp):
        raise RuntimeError("boom")


app = {constructor}()
app.add_route("/things", Things())
app.add_route("/things/{{thing_id:int}}", Things())
app.add_route("/boom", Boom())
"""

SCRIPT = """\
import json
import falcon.testing
from myapp.main import app
from myapp.posthog_client import posthog_client

client = falcon.testing.TestClient(app)
headers = {"X-POSTHOG-DISTINCT-ID": "visitor-1", "X-POSTHOG-SESSION-ID": "session-1"}
statuses = [
    client.simulate_get("/boom", headers=headers).status_code,
    client.simulate_get("/things/7", headers=headers).status_code,
    client.simulate_post("/things", headers=headers).status_code,
]
posthog_client.flush()
print(json.dumps(statuses))
"""


@pytest.mark.parametrize("asgi", [False, True], ids=["wsgi", "asgi"])
def test_one_exception_per_server_error_with_the_request_context(
    tmp_path: Path, asgi: bool
) -> None:
    """A RuntimeError answers 500 and sends one $exception, tied to the visitor and the
    session of the headers; a falcon.HTTPNotFound answers 404 and sends nothing."""
    package = tmp_path / "myapp"
    package.mkdir()
    (package / "__init__.py").write_text("")
    module = APP_MODULE.format(
        asgi_import="import falcon.asgi" if asgi else "",
        async_="async " if asgi else "",
        constructor="falcon.asgi.App" if asgi else "falcon.App",
    )
    (package / "main.py").write_text(
        edit(
            module,
            app_at(
                module.splitlines().index(f"app = {'falcon.asgi.App' if asgi else 'falcon.App'}()")
                + 1
            ),
        )
    )
    (package / "posthog_client.py").write_text(
        render_client_module(
            project_name="myapp", token_var="POSTHOG_PROJECT_TOKEN", host_var="POSTHOG_HOST"
        )
    )
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
    assert json.loads(done.stdout.strip().splitlines()[-1]) == [500, 404, 201]
    assert [e.event for e in events] == ["$exception"], events
    [exception] = events
    assert exception.distinct_id == "visitor-1"
    assert exception.properties["$session_id"] == "session-1"
    assert exception.properties["$request_path"] == "/boom"
    assert exception.properties["$request_method"] == "GET"
    assert exception.properties["$exception_list"][0]["type"] == "RuntimeError"
