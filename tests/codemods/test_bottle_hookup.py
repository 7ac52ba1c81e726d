"""The Bottle hook-up: before/after cases, and the plugin it installs, run under Bottle."""

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
from posthog_setup.frameworks.bottle.analysis import APP as BOTTLE
from posthog_setup.frameworks.bottle.analysis import DEFAULT_APP
from posthog_setup.frameworks.bottle.hookup import hook_up_bottle, render_plugin
from posthog_setup.mockhost import MockPostHogHost
from posthog_setup.templating import render_client_module

CLIENT = ClientImport("myapp.posthog_client")
PLUGIN = ClientImport("myapp.posthog_bottle")
APP = AppObject(BOTTLE, "myapp.main.app", "myapp/main.py", 0)
DEFAULT = AppObject(BOTTLE, DEFAULT_APP, "myapp/main.py", 0)


def edit(source: str, app: AppObject = APP) -> str:
    return hook_up_bottle(source, app.file, app, CLIENT, PLUGIN)


def check(before: str, after: str, app: AppObject = APP) -> None:
    """``before`` (dedented) becomes exactly ``after``, which compiles and a second run leaves
    alone."""
    before = textwrap.dedent(before)
    assert edit(before, app) == after
    compile(after, "<expected>", "exec")
    assert edit(after, app) == after


def test_installed_right_after_the_app_and_its_config() -> None:
    check(
        """\
        import os

        from bottle import Bottle

        app = Bottle()
        app.config["secret"] = os.environ["SECRET"]


        @app.get("/")
        def home():
            return "hi"
        """,
        """\
import os

from bottle import Bottle

from myapp.posthog_bottle import PosthogBottlePlugin
from myapp.posthog_client import posthog_client

app = Bottle()
app.config["secret"] = os.environ["SECRET"]
app.install(PosthogBottlePlugin(posthog_client))


@app.get("/")
def home():
    return "hi"
""",
    )


def test_an_app_named_by_default_app() -> None:
    check(
        """\
        import bottle

        api = bottle.default_app()
        """,
        """\
import bottle

from myapp.posthog_bottle import PosthogBottlePlugin
from myapp.posthog_client import posthog_client

api = bottle.default_app()
api.install(PosthogBottlePlugin(posthog_client))
""",
        AppObject(BOTTLE, "myapp.main.api", "myapp/main.py", 0),
    )


def test_the_default_app_installs_after_the_imports() -> None:
    check(
        """\
        \"\"\"Routes on the default app.\"\"\"

        from bottle import post, route, run

        from myapp import db


        @route("/")
        def index():
            return "hi"


        @post("/notes")
        def add_note():
            db.commit()


        run(host="127.0.0.1")
        """,
        """\
\"\"\"Routes on the default app.\"\"\"

from bottle import install, post, route, run

from myapp import db
from myapp.posthog_bottle import PosthogBottlePlugin
from myapp.posthog_client import posthog_client

install(PosthogBottlePlugin(posthog_client))


@route("/")
def index():
    return "hi"


@post("/notes")
def add_note():
    db.commit()


run(host="127.0.0.1")
""",
        DEFAULT,
    )


def test_relative_imports_where_the_module_imports_so() -> None:
    after = hook_up_bottle(
        "from bottle import Bottle\n\napp = Bottle()\n",
        APP.file,
        APP,
        ClientImport("posthog_client", 1),
        ClientImport("posthog_bottle", 1),
    )
    assert "from .posthog_bottle import PosthogBottlePlugin\n" in after
    assert "from .posthog_client import posthog_client\n" in after


def test_already_installed_is_left_alone() -> None:
    source = textwrap.dedent(
        """\
        from bottle import Bottle
        from myapp.posthog_bottle import PosthogBottlePlugin
        from myapp.posthog_client import posthog_client

        app = Bottle()
        app.install(PosthogBottlePlugin(posthog_client))
        """
    )
    assert edit(source) == source


def test_no_app_creation_names_the_file() -> None:
    with pytest.raises(EditError, match=r"myapp/main\.py: cannot find `app = Bottle\(\)`"):
        edit("from bottle import Bottle\n\nmaker = Bottle\n")


APP_MODULE = """\
from bottle import Bottle, abort, redirect

from myapp.posthog_client import posthog_client

app = Bottle()


@app.get("/boom")
def boom():
    raise RuntimeError("boom")


@app.get("/missing")
def missing():
    abort(404, "nothing here")


@app.get("/elsewhere")
def elsewhere():
    redirect("/")


@app.post("/notes")
def add_note():
    posthog_client.capture("note_created")
    return {"ok": True}


@app.error(500)
def server_error(error):
    return "sorry"
"""

SCRIPT = """
import io
import json
from wsgiref.util import setup_testing_defaults

from myapp.main import app
from myapp.posthog_client import posthog_client


def call(method, path, headers=()):
    environ = {"REQUEST_METHOD": method, "PATH_INFO": path, "SERVER_PROTOCOL": "HTTP/1.1"}
    environ.update(headers)
    environ["wsgi.errors"] = io.StringIO()
    setup_testing_defaults(environ)
    status = []
    b"".join(app(environ, lambda s, h, e=None: status.append(s)))
    return int(status[0].split()[0])


tracked = {"HTTP_X_POSTHOG_DISTINCT_ID": "visitor-7", "HTTP_X_POSTHOG_SESSION_ID": "session-3"}
statuses = [
    call("GET", "/boom"),
    call("GET", "/missing"),
    call("GET", "/elsewhere"),
    call("POST", "/notes", tracked),
]
posthog_client.flush()
print(json.dumps(statuses))
"""


def test_the_plugin_captures_each_error_once_and_lets_answers_through(tmp_path: Path) -> None:
    package = tmp_path / "myapp"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "main.py").write_text(edit(APP_MODULE))
    (package / "posthog_bottle.py").write_text(render_plugin())
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
    assert json.loads(done.stdout.splitlines()[-1]) == [500, 404, 303, 200]
    # One crash, one report; abort() and redirect() are answers, not errors.
    [exception] = [e for e in events if e.event == "$exception"]
    listed = [(e.get("type"), e.get("value")) for e in exception.properties["$exception_list"]]
    assert listed == [("RuntimeError", "boom")]
    assert exception.properties["$request_path"] == "/boom"
    assert exception.properties["$request_route"] == "/boom"
    # The front end's headers tie the request's events to its visitor and session.
    [created] = [e for e in events if e.event == "note_created"]
    assert created.distinct_id == "visitor-7"
    assert created.properties["$session_id"] == "session-3"
    assert created.properties["$request_method"] == "POST"
    assert len(events) == 2


def test_the_plugin_module_is_clean_python() -> None:
    source = render_plugin()
    compile(source, "posthog_bottle.py", "exec")
    assert "PosthogBottlePlugin" in source


def test_in_a_flat_layout_the_plugin_is_imported_as_a_local_module() -> None:
    after = hook_up_bottle(
        "from bottle import Bottle\n\napp = Bottle()\n",
        "main.py",
        AppObject(BOTTLE, "main.app", "main.py", 0),
        ClientImport("posthog_client"),
        ClientImport("posthog_bottle"),
    )
    assert after.startswith(
        "from bottle import Bottle\n\n"
        "from posthog_bottle import PosthogBottlePlugin\n"
        "from posthog_client import posthog_client\n\n"
        "app = Bottle()\n"
    )


def test_after_the_config_the_default_app_loads() -> None:
    check(
        """\
        import bottle
        from bottle import post

        app = bottle.default_app()
        app.config.load_config("./etc/app.ini")


        @post("/jobs")
        def add_job():
            return {}
        """,
        """\
import bottle
from bottle import post

from myapp.posthog_bottle import PosthogBottlePlugin
from myapp.posthog_client import posthog_client

app = bottle.default_app()
app.config.load_config("./etc/app.ini")
app.install(PosthogBottlePlugin(posthog_client))


@post("/jobs")
def add_job():
    return {}
""",
    )
