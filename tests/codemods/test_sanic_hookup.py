"""The Sanic hook-up: before/after cases, and the module it generates, run under Sanic."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from posthog_setup.analysis.model import AppObject
from posthog_setup.cli import main
from posthog_setup.codemods.base import ClientImport, EditError
from posthog_setup.frameworks.sanic.analysis import APP as SANIC
from posthog_setup.frameworks.sanic.hookup import hook_up_sanic, render_hookup
from posthog_setup.mockhost import MockPostHogHost
from posthog_setup.templating import render_client_module

HOOKUP = ClientImport("myapp.posthog_sanic")
APP = AppObject(SANIC, "myapp.main.app", "myapp/main.py", 0)


def edit(source: str, app: AppObject = APP, hookup: ClientImport = HOOKUP) -> str:
    return hook_up_sanic(source, app.file, app, hookup)


def check(before: str, after: str, app: AppObject = APP, hookup: ClientImport = HOOKUP) -> None:
    """``before`` (dedented) becomes exactly ``after``, which compiles and a second run leaves
    alone."""
    before = textwrap.dedent(before)
    assert edit(before, app, hookup) == after
    compile(after, "<expected>", "exec")
    assert edit(after, app, hookup) == after


def test_set_up_right_after_the_app_and_its_config() -> None:
    check(
        """\
        from sanic import Sanic
        from sanic.response import text

        app = Sanic("shop")
        app.config.FALLBACK_ERROR_FORMAT = "json"
        app.ctx.started = True


        @app.get("/")
        async def home(request):
            return text("hi")
        """,
        """\
from sanic import Sanic
from sanic.response import text

from myapp.posthog_sanic import setup_posthog

app = Sanic("shop")
app.config.FALLBACK_ERROR_FORMAT = "json"
setup_posthog(app)
app.ctx.started = True


@app.get("/")
async def home(request):
    return text("hi")
""",
    )


def test_set_up_in_a_factory_with_a_relative_import() -> None:
    app = AppObject(SANIC, "myapp.main.server", "myapp/main.py", 0, factory="create_app")
    check(
        """\
        import sanic


        def create_app():
            server = sanic.Sanic("shop")
            server.blueprint(bp)
            return server
        """,
        """\
import sanic

from .posthog_sanic import setup_posthog


def create_app():
    server = sanic.Sanic("shop")
    setup_posthog(server)
    server.blueprint(bp)
    return server
""",
        app=app,
        hookup=ClientImport("posthog_sanic", 1),
    )


def test_a_module_that_already_sets_it_up_is_left_alone() -> None:
    source = textwrap.dedent(
        """\
        from sanic import Sanic

        from myapp.hooks import setup_posthog

        app = Sanic("shop")
        setup_posthog(app)
        """
    )
    assert edit(source) == source


def test_no_app_creation_is_an_edit_error_naming_the_file() -> None:
    with pytest.raises(EditError, match=r"myapp/main\.py"):
        edit("from myapp.factory import app\n")


def test_generated_module_is_clean_and_names_the_user_read() -> None:
    plain = render_hookup(ClientImport("myapp.posthog_client"))
    compile(plain, "posthog_sanic.py", "exec")
    assert "_identify_user" not in plain
    with_user = render_hookup(ClientImport("myapp.posthog_client"), '.user["id"]')
    compile(with_user, "posthog_sanic.py", "exec")
    assert 'user_id = request.ctx.user["id"]' in with_user
    assert "app.on_request(_identify_user, priority=-1000)" in with_user


# -- the generated module, run under Sanic against the mock host ---------------------------

_APP = """\
import json

from sanic import Sanic
from sanic.exceptions import NotFound, SanicException
from sanic.response import json as answer
from sanic_testing.testing import SanicASGITestClient

from myapp.posthog_client import posthog_client
from myapp.posthog_sanic import setup_posthog

app = Sanic("hooked")
setup_posthog(app)
USERS = {"7": {"id": 7}}


@app.on_request
async def find_user(request):
    request.ctx.user = USERS.get(request.headers.get("x-user", ""))


@app.post("/things")
async def make(request):
    posthog_client.capture("thing_made")
    return answer({}, status=201)


@app.get("/missing")
async def missing(request):
    raise NotFound("no such thing")


@app.get("/conflict")
async def conflict(request):
    raise SanicException("taken", status_code=409)


@app.get("/fail")
async def fail(request):
    raise RuntimeError("it broke")


@app.exception(ValueError)
async def bad_value(request, exception):
    return answer({}, status=400)


@app.get("/bad")
async def bad(request):
    raise ValueError("bad input")


@app.exception(KeyError)
async def lost_key(request, exception):
    return answer({}, status=503)


@app.get("/lost")
async def lost(request):
    raise KeyError("gone")


async def main():
    client = SanicASGITestClient(app)
    statuses = []
    for method, path, headers in [
        ("POST", "/things", {"x-user": "7", "X-POSTHOG-SESSION-ID": "s-1"}),
        ("POST", "/things", {"X-POSTHOG-DISTINCT-ID": "browser-9"}),
        ("GET", "/missing", {}),
        ("GET", "/nowhere", {}),
        ("GET", "/conflict", {}),
        ("GET", "/bad", {}),
        ("GET", "/fail", {"x-user": "7"}),
        ("GET", "/lost", {}),
    ]:
        _, response = await client.request(method, path, headers=headers)
        statuses.append(response.status)
    print("STATUSES " + json.dumps(statuses))


import asyncio

asyncio.run(main())
posthog_client.flush()
"""


def test_generated_module_under_sanic(tmp_path: Path) -> None:
    """One context per request (headers, user), only 5xx answers captured, once each."""
    package = tmp_path / "myapp"
    package.mkdir()
    (package / "__init__.py").write_text("")
    client = render_client_module(
        project_name="myapp", token_var="POSTHOG_PROJECT_TOKEN", host_var="POSTHOG_HOST"
    )
    (package / "posthog_client.py").write_text(client)
    (package / "posthog_sanic.py").write_text(
        render_hookup(ClientImport("myapp.posthog_client"), '.user["id"]')
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith("POSTHOG_")}
    env["PYTHONPATH"] = str(tmp_path)
    with MockPostHogHost() as host:
        env.update(POSTHOG_HOST=host.url, POSTHOG_PROJECT_TOKEN="phc_test_token")
        done = subprocess.run(
            [sys.executable, "-c", _APP],
            cwd=tmp_path,
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        events = host.events()
    assert done.returncode == 0, done.stderr
    [line] = [x for x in done.stdout.splitlines() if x.startswith("STATUSES ")]
    assert json.loads(line.removeprefix("STATUSES ")) == [201, 201, 404, 404, 409, 400, 500, 503]
    made = [e for e in events if e.event == "thing_made"]
    assert [e.distinct_id for e in made] == ["7", "browser-9"]
    assert made[0].properties["$session_id"] == "s-1"
    assert "$session_id" not in made[1].properties
    assert made[0].properties["$request_path"] == "/things"
    errors = [e for e in events if e.event == "$exception"]
    assert sorted(e.properties["$request_path"] for e in errors) == ["/fail", "/lost"]
    fail = next(e for e in errors if e.properties["$request_path"] == "/fail")
    assert fail.distinct_id == "7"
    assert {e.event for e in events} == {"thing_made", "$exception"}


# -- the framework's version -------------------------------------------------------------

_SERVER = """\
from sanic import Sanic
from sanic.response import json

app = Sanic("svc")


@app.post("/orders")
async def place_order(request):
    request.app.ctx.db.execute("INSERT INTO orders (item) VALUES (?)", (request.json["item"],))
    return json({}, status=201)
"""


@pytest.mark.parametrize(
    ("declared", "hooked_up"), [("sanic==21.12.1", False), ("sanic>=23.3", True)]
)
def test_no_hookup_on_a_sanic_without_middleware_priorities(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], declared: str, hooked_up: bool
) -> None:
    """Before 22.9 the hook-up could not run after the app's own middleware: edit says so
    and leaves the app file without it, while the captures still go in."""
    (tmp_path / "requirements.txt").write_text(f"{declared}\n")
    (tmp_path / "server.py").write_text(_SERVER)
    assert main(["edit", "--allow-dirty", str(tmp_path)]) == 0
    edited = (tmp_path / "server.py").read_text()
    assert 'posthog_client.capture("order_created")' in edited
    assert ("setup_posthog(app)" in edited) is hooked_up
    warned = "setup_posthog not added: sanic==21.12.1 is declared" in capsys.readouterr().err
    assert warned is not hooked_up


def test_each_single_file_app_of_a_folder_gets_its_hookup(tmp_path: Path) -> None:
    (tmp_path / "requirements.txt").write_text("sanic>=23.3\n")
    for name in ("orders", "refunds"):
        (tmp_path / f"{name}.py").write_text(_SERVER.replace('"svc"', f'"{name}"'))
    assert main(["edit", "-q", "--allow-dirty", str(tmp_path)]) == 0
    for name in ("orders", "refunds"):
        edited = (tmp_path / f"{name}.py").read_text()
        assert edited.count("setup_posthog(app)") == 1, name
        assert "from posthog_sanic import setup_posthog" in edited, name
    assert (tmp_path / "posthog_sanic.py").is_file()
