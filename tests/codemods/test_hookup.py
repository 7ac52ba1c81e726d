"""Framework hook-ups: before/after cases for Flask, FastAPI and Django, and the real
fixtures edited, imported and served in a subprocess against the mock host."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import textwrap
from collections.abc import Callable
from pathlib import Path

import pytest

from posthog_setup.analysis.model import AppObject
from posthog_setup.codemods.base import ClientImport, EditError
from posthog_setup.frameworks.django.hookup import django_auth_receivers, hook_up_django
from posthog_setup.frameworks.fastapi.hookup import hook_up_fastapi
from posthog_setup.frameworks.flask.hookup import hook_up_flask
from posthog_setup.mockhost import MockPostHogHost
from posthog_setup.templating import render_client_module

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures"
CLIENT = ClientImport("myapp.posthog_client")
FLASK_APP = AppObject("flask.Flask", "myapp.app", "myapp/__init__.py", 0)
FASTAPI_APP = AppObject("fastapi.FastAPI", "myapp.app", "myapp/main.py", 0)

Edit = Callable[[str], str]


def flask_edit(app: AppObject = FLASK_APP) -> Edit:
    return lambda source: hook_up_flask(source, app.file, app, CLIENT)


def fastapi_edit(app: AppObject = FASTAPI_APP) -> Edit:
    return lambda source: hook_up_fastapi(source, app.file, app, CLIENT)


def django_edit(source: str) -> str:
    return hook_up_django(source, "myapp/settings.py", CLIENT)


def check(edit: Edit, before: str, after: str) -> None:
    """``edit`` turns ``before`` into exactly ``after``, which compiles and is left alone."""
    before, after = textwrap.dedent(before), textwrap.dedent(after)
    assert edit(before) == after
    compile(after, "<expected>", "exec")
    assert edit(after) == after


def unchanged(edit: Edit, source: str) -> None:
    source = textwrap.dedent(source)
    assert edit(source) == source


# -- Flask --------------------------------------------------------------------------------


def test_flask_module_level_app() -> None:
    check(
        flask_edit(),
        """\
        from flask import Flask

        app = Flask(__name__)


        @app.route("/")
        def index():
            return "hi"
        """,
        """\
        from flask import Flask
        from posthog.integrations.flask import PosthogFlaskIntegration

        from myapp.posthog_client import posthog_client

        app = Flask(__name__)
        PosthogFlaskIntegration(app, client=posthog_client)


        @app.route("/")
        def index():
            return "hi"
        """,
    )


def test_flask_factory_after_config_before_blueprints() -> None:
    app = AppObject(
        "flask.Flask", "myapp.create_app.<locals>.app", "myapp/__init__.py", 0, "create_app"
    )
    check(
        flask_edit(app),
        """\
        \"\"\"The app.\"\"\"
        from flask import Flask

        from .views import bp


        def create_app(config=None):
            \"\"\"Build the app.\"\"\"
            app = Flask(__name__)  # the app
            app.config["SECRET_KEY"] = "dev"
            if config:
                app.config.update(config)
            # Views
            app.register_blueprint(bp)
            return app
        """,
        """\
        \"\"\"The app.\"\"\"
        from flask import Flask
        from posthog.integrations.flask import PosthogFlaskIntegration

        from myapp.posthog_client import posthog_client

        from .views import bp


        def create_app(config=None):
            \"\"\"Build the app.\"\"\"
            app = Flask(__name__)  # the app
            app.config["SECRET_KEY"] = "dev"
            if config:
                app.config.update(config)
            PosthogFlaskIntegration(app, client=posthog_client)
            # Views
            app.register_blueprint(bp)
            return app
        """,
    )


def test_flask_aliased_import_and_other_variable_name() -> None:
    app = AppObject("flask.Flask", "myapp.application", "myapp/__init__.py", 0)
    check(
        flask_edit(app),
        """\
        from flask import Flask as F

        application = F(__name__)
        """,
        """\
        from flask import Flask as F
        from posthog.integrations.flask import PosthogFlaskIntegration

        from myapp.posthog_client import posthog_client

        application = F(__name__)
        PosthogFlaskIntegration(application, client=posthog_client)
        """,
    )


def test_flask_already_hooked_up() -> None:
    unchanged(
        flask_edit(),
        """\
        from flask import Flask
        from posthog.integrations.flask import PosthogFlaskIntegration

        app = Flask(__name__)
        PosthogFlaskIntegration().init_app(app)
        """,
    )


def test_flask_crlf_kept() -> None:
    source = "from flask import Flask\r\n\r\napp = Flask(__name__)\r\n"
    out = flask_edit()(source)
    assert "PosthogFlaskIntegration(app, client=posthog_client)\r\n" in out
    assert "\n" not in out.replace("\r\n", "")


def test_flask_app_not_found_names_the_file() -> None:
    with pytest.raises(EditError, match=re.escape("myapp/__init__.py")):
        flask_edit()("from flask import Flask\n\nother = Flask(__name__)\n")


# -- FastAPI ------------------------------------------------------------------------------


def test_fastapi_existing_lifespan_gets_shutdown_after_yield() -> None:
    check(
        fastapi_edit(),
        """\
        from contextlib import asynccontextmanager

        from fastapi import FastAPI


        @asynccontextmanager
        async def lifespan(app: FastAPI):
            db.connect()
            yield
            db.close()


        app = FastAPI(title="Tasks", lifespan=lifespan)
        app.include_router(router)
        """,
        """\
        from contextlib import asynccontextmanager

        from fastapi import FastAPI
        from posthog.integrations.asgi import PosthogASGIMiddleware

        from myapp.posthog_client import posthog_client


        @asynccontextmanager
        async def lifespan(app: FastAPI):
            db.connect()
            yield
            posthog_client.flush()
            db.close()


        app = FastAPI(title="Tasks", lifespan=lifespan)
        app.add_middleware(PosthogASGIMiddleware, client=posthog_client)
        app.include_router(router)
        """,
    )


def test_fastapi_lifespan_with_try_finally() -> None:
    check(
        fastapi_edit(),
        """\
        import contextlib

        from fastapi import FastAPI


        @contextlib.asynccontextmanager
        async def lifespan(app):
            try:
                yield
            finally:
                await db.close()


        app = FastAPI(lifespan=lifespan)
        """,
        """\
        import contextlib

        from fastapi import FastAPI
        from posthog.integrations.asgi import PosthogASGIMiddleware

        from myapp.posthog_client import posthog_client


        @contextlib.asynccontextmanager
        async def lifespan(app):
            try:
                yield
            finally:
                posthog_client.flush()
                await db.close()


        app = FastAPI(lifespan=lifespan)
        app.add_middleware(PosthogASGIMiddleware, client=posthog_client)
        """,
    )


def test_fastapi_shutdown_handler_gets_shutdown() -> None:
    check(
        fastapi_edit(),
        """\
        from fastapi import FastAPI

        app = FastAPI()


        @app.on_event("startup")
        async def start(): await db.connect()


        @app.on_event("shutdown")
        async def stop(): await db.close()
        """,
        """\
        from fastapi import FastAPI
        from posthog.integrations.asgi import PosthogASGIMiddleware

        from myapp.posthog_client import posthog_client

        app = FastAPI()
        app.add_middleware(PosthogASGIMiddleware, client=posthog_client)


        @app.on_event("startup")
        async def start(): await db.connect()


        @app.on_event("shutdown")
        async def stop():
            await db.close()
            posthog_client.flush()
        """,
    )


def test_fastapi_startup_handler_only_gets_a_shutdown_handler() -> None:
    # A lifespan= argument would stop the startup handler from running.
    check(
        fastapi_edit(),
        """\
        from fastapi import FastAPI

        app = FastAPI()


        @app.on_event("startup")
        async def start():
            await db.connect()


        @app.get("/")
        def index():
            return {}
        """,
        """\
        from fastapi import FastAPI
        from posthog.integrations.asgi import PosthogASGIMiddleware

        from myapp.posthog_client import posthog_client

        app = FastAPI()
        app.add_middleware(PosthogASGIMiddleware, client=posthog_client)


        @app.on_event("startup")
        async def start():
            await db.connect()


        @app.on_event("shutdown")
        def shutdown_posthog() -> None:
            posthog_client.flush()


        @app.get("/")
        def index():
            return {}
        """,
    )


def test_a_factory_whose_app_gets_startup_handlers_outside_it_gets_a_shutdown_handler() -> None:
    # ``app = create_app()`` then ``@app.on_event("startup")``: a lifespan= in the factory
    # would stop that handler (the database set-up) from running.
    app = AppObject(
        "fastapi.FastAPI", "myapp.create_app.<locals>.application", "myapp/main.py", 0, "create_app"
    )
    check(
        fastapi_edit(app),
        """\
        from fastapi import FastAPI


        def create_app() -> FastAPI:
            application = FastAPI()
            application.include_router(router)
            return application


        app = create_app()


        @app.on_event("startup")
        async def start():
            init_db(app)
        """,
        """\
        from fastapi import FastAPI
        from posthog.integrations.asgi import PosthogASGIMiddleware

        from myapp.posthog_client import posthog_client


        def create_app() -> FastAPI:
            application = FastAPI()
            application.add_middleware(PosthogASGIMiddleware, client=posthog_client)

            @application.on_event("shutdown")
            def shutdown_posthog() -> None:
                posthog_client.flush()

            application.include_router(router)
            return application


        app = create_app()


        @app.on_event("startup")
        async def start():
            init_db(app)
        """,
    )


def test_fastapi_without_lifecycle_gets_a_lifespan() -> None:
    check(
        fastapi_edit(),
        """\
        import fastapi

        # The API.
        app = fastapi.FastAPI(
            title="Tasks",
            version="1",
        )
        """,
        """\
        from collections.abc import AsyncIterator
        from contextlib import asynccontextmanager

        import fastapi
        from posthog.integrations.asgi import PosthogASGIMiddleware

        from myapp.posthog_client import posthog_client


        @asynccontextmanager
        async def lifespan(app: fastapi.FastAPI) -> AsyncIterator[None]:
            yield
            # Send the events still queued before the server exits.
            posthog_client.flush()


        # The API.
        app = fastapi.FastAPI(
            title="Tasks",
            version="1",
            lifespan=lifespan,
        )
        app.add_middleware(PosthogASGIMiddleware, client=posthog_client)
        """,
    )


def test_fastapi_factory_without_lifecycle() -> None:
    app = AppObject(
        "fastapi.FastAPI", "myapp.create_app.<locals>.api", "myapp/main.py", 0, "create_app"
    )
    check(
        fastapi_edit(app),
        """\
        from fastapi import FastAPI as API


        def create_app():
            api = API()
            api.include_router(router)
            return api
        """,
        """\
        from collections.abc import AsyncIterator
        from contextlib import asynccontextmanager

        from fastapi import FastAPI as API
        from posthog.integrations.asgi import PosthogASGIMiddleware

        from myapp.posthog_client import posthog_client


        def create_app():
            @asynccontextmanager
            async def lifespan(app: API) -> AsyncIterator[None]:
                yield
                # Send the events still queued before the server exits.
                posthog_client.flush()

            api = API(lifespan=lifespan)
            api.add_middleware(PosthogASGIMiddleware, client=posthog_client)
            api.include_router(router)
            return api
        """,
    )


def test_fastapi_already_hooked_up() -> None:
    unchanged(
        fastapi_edit(),
        """\
        from fastapi import FastAPI
        from posthog.integrations.asgi import PosthogASGIMiddleware

        from myapp.posthog_client import posthog_client

        app = FastAPI()
        app.add_middleware(PosthogASGIMiddleware)


        @app.on_event("shutdown")
        def stop():
            posthog_client.flush()
        """,
    )


def test_fastapi_imported_lifespan_left_alone() -> None:
    # Not ours to edit; the client module's atexit hook still sends the queue.
    out = fastapi_edit()(
        "from fastapi import FastAPI\nfrom .life import span\n\napp = FastAPI(lifespan=span)\n"
    )
    assert "app.add_middleware(PosthogASGIMiddleware, client=posthog_client)" in out
    assert "shutdown" not in out


# -- Django -------------------------------------------------------------------------------

SETTINGS_BEFORE = """\
import os

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",  # needs sessions
    "django.contrib.messages.middleware.MessageMiddleware",
]

ROOT_URLCONF = "myapp.urls"
"""

SETTINGS_AFTER = """\
import os

from myapp.posthog_client import posthog_client

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",  # needs sessions
    "posthog.integrations.django.PosthogContextMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
]

# PostHog's middleware ties each request's events to its user through this client.
POSTHOG_MW_CLIENT = posthog_client
# Server errors are captured once, by a receiver; never a 404 or a 403.
POSTHOG_MW_CAPTURE_EXCEPTIONS = False


def posthog_properties_without_email(properties):
    # PostHog's middleware tags each event with the user's email: it belongs on the person.
    return {key: value for key, value in properties.items() if key != "email"}


POSTHOG_MW_TAG_MAP = posthog_properties_without_email

ROOT_URLCONF = "myapp.urls"
"""


def test_django_middleware_after_authentication() -> None:
    check(django_edit, SETTINGS_BEFORE, SETTINGS_AFTER)


def test_django_without_authentication_middleware_appends_in_the_lists_quotes() -> None:
    check(
        django_edit,
        """\
        MIDDLEWARE = [
            'django.middleware.common.CommonMiddleware',  # last
        ]
        """,
        """\
        from myapp.posthog_client import posthog_client

        MIDDLEWARE = [
            'django.middleware.common.CommonMiddleware',  # last
            'posthog.integrations.django.PosthogContextMiddleware',
        ]

        # PostHog's middleware ties each request's events to its user through this client.
        POSTHOG_MW_CLIENT = posthog_client
        # Server errors are captured once, by a receiver; never a 404 or a 403.
        POSTHOG_MW_CAPTURE_EXCEPTIONS = False


        def posthog_properties_without_email(properties):
            # PostHog's middleware tags each event with the user's email: it belongs on the person.
            return {key: value for key, value in properties.items() if key != "email"}


        POSTHOG_MW_TAG_MAP = posthog_properties_without_email
        """,
    )


@pytest.mark.parametrize(
    "loading",
    [
        "environ.Env.read_env(os.path.join(BASE_DIR, '.env'))",
        "if os.path.isfile('.env'):\n    load_dotenv('.env')",
    ],
)
def test_django_settings_that_load_an_env_file_import_the_client_after_it(loading: str) -> None:
    # The client reads its token from the environment when it is imported: above the
    # env file's loading, a token kept there would never be seen.
    source = (
        "import os\n\nimport environ\nfrom dotenv import load_dotenv\n\nBASE_DIR = '.'\n"
        f"{loading}\n\nMIDDLEWARE = [\n    'django.middleware.common.CommonMiddleware',\n]\n"
    )
    # A loading commented out loads nothing: the import stays with the others.
    commented = django_edit(source.replace(loading, "# environ.Env.read_env('.env')"))
    assert "# noqa: E402" not in commented
    edited = django_edit(source)
    lines = edited.splitlines()
    imported = lines.index("from myapp.posthog_client import posthog_client  # noqa: E402")
    loaded = next(
        i for i, line in enumerate(lines) if "read_env(" in line or "load_dotenv(" in line
    )
    assert loaded < imported < lines.index("POSTHOG_MW_CLIENT = posthog_client")
    compile(edited, "settings.py", "exec")
    assert django_edit(edited) == edited


def test_django_one_line_tuple() -> None:
    check(
        django_edit,
        """\
        MIDDLEWARE = ("a.A", "django.contrib.auth.middleware.AuthenticationMiddleware")
        POSTHOG_MW_CLIENT = None
        """,
        """\
        MIDDLEWARE = ("a.A", "django.contrib.auth.middleware.AuthenticationMiddleware", "posthog.integrations.django.PosthogContextMiddleware")
        POSTHOG_MW_CLIENT = None
        # Server errors are captured once, by a receiver; never a 404 or a 403.
        POSTHOG_MW_CAPTURE_EXCEPTIONS = False


        def posthog_properties_without_email(properties):
            # PostHog's middleware tags each event with the user's email: it belongs on the person.
            return {key: value for key, value in properties.items() if key != "email"}


        POSTHOG_MW_TAG_MAP = posthog_properties_without_email
        """,
    )


def test_django_already_present() -> None:
    unchanged(django_edit, SETTINGS_AFTER)


def test_django_crlf_settings() -> None:
    before = SETTINGS_BEFORE.replace("\n", "\r\n")
    after = django_edit(before)
    assert after == SETTINGS_AFTER.replace("\n", "\r\n")
    assert django_edit(after) == after


def test_django_without_middleware_list_names_the_file() -> None:
    with pytest.raises(EditError, match=re.escape("myapp/settings.py")):
        django_edit("MIDDLEWARE = BASE_MIDDLEWARE + ['x']\n")


def test_django_auth_receivers_module() -> None:
    events = {"login": "user_logged_in", "logout": "user_logged_out"}
    source = django_auth_receivers(ClientImport("shop.posthog_client"), events)
    compile(source, "receivers.py", "exec")
    assert "from shop.posthog_client import posthog_client\n" in source
    # Server errors, logins and logouts.
    assert source.count("dispatch_uid=") == 3
    assert "got_request_exception" in source
    assert 'getattr(user, "email", None)' in source
    assert "from allauth" not in source


def test_django_auth_receivers_only_for_the_kinds_asked_with_the_plan_names() -> None:
    # A project whose own view logs users in (and so sends the signal too) gets no login
    # receiver: one login, one event. allauth's signup gets its own receiver.
    source = django_auth_receivers(
        ClientImport("shop.posthog_client"),
        {"signup": "User Signed Up", "logout": "user_logged_out"},
    )
    compile(source, "receivers.py", "exec")
    assert "user_logged_in" not in source
    assert "from allauth.account.signals import user_signed_up\n" in source
    assert 'posthog_client.capture("User Signed Up", distinct_id=distinct_id)' in source


def test_django_settings_drop_the_email_the_middleware_adds() -> None:
    edited = django_edit(textwrap.dedent(SETTINGS_BEFORE))
    assert "POSTHOG_MW_TAG_MAP = posthog_properties_without_email\n" in edited
    namespace: dict[str, object] = {}
    start = edited.index("def posthog_properties_without_email")
    end = edited.index("POSTHOG_MW_TAG_MAP")
    exec(edited[start:end], namespace)
    strip = namespace["posthog_properties_without_email"]
    assert callable(strip)
    assert strip({"email": "a@b.c", "$ip": "1"}) == {"$ip": "1"}


# -- the real fixtures, served ------------------------------------------------------------


def _copy(fixture: str, tmp_path: Path, package: str) -> Path:
    root = tmp_path / fixture
    shutil.copytree(
        FIXTURES / fixture, root, ignore=shutil.ignore_patterns("__pycache__", "*.db", "*.sqlite3")
    )
    client = render_client_module(
        project_name=fixture, token_var="POSTHOG_PROJECT_TOKEN", host_var="POSTHOG_HOST"
    )
    (root / package / "posthog_client.py").write_text(client, encoding="utf-8")
    return root


def _edit(root: Path, file: str, edit: Callable[[str], str]) -> None:
    path = root / file
    before = path.read_text(encoding="utf-8")
    after = edit(before)
    assert after != before
    assert edit(after) == after
    path.write_text(after, encoding="utf-8")


def _run(root: Path, script: str, host: MockPostHogHost | None) -> list[str]:
    env = {key: value for key, value in os.environ.items() if not key.startswith("POSTHOG_")}
    env["PYTHONPATH"] = str(root)
    if host is not None:
        env["POSTHOG_PROJECT_TOKEN"] = "phc_hookup_test"
        env["POSTHOG_HOST"] = host.url
    result = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(script)],
        cwd=root,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    if host is None:
        assert "POSTHOG_PROJECT_TOKEN variable required by PostHog is missing" in result.stderr
    return result.stdout.split()


def _assert_arrived(host: MockPostHogHost, path: str) -> None:
    [inside] = host.wait_for(1, timeout=10, event="hookup_check")
    # The integration bound the request's context: its header and path are on the event.
    assert inside.distinct_id == "hookup-user"
    assert inside.properties["$request_path"] == path
    host.wait_for(1, timeout=10, event="hookup_after")


FLASK_SCRIPT = """\
from blog import create_app
from blog.posthog_client import posthog_client

app = create_app({"SQLALCHEMY_DATABASE_URI": "sqlite://"})


@app.route("/_hookup_check")
def hookup_check():
    posthog_client.capture("hookup_check")
    return "ok"


client = app.test_client()
print(client.get("/").status_code)
print(client.get("/_hookup_check", headers={"X-POSTHOG-DISTINCT-ID": "hookup-user"}).status_code)
posthog_client.capture("hookup_after", distinct_id="hookup-user")
posthog_client.flush()
"""


@pytest.fixture(scope="module")
def flask_blog(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = _copy("flask_blog", tmp_path_factory.mktemp("flask"), "blog")
    app = AppObject(
        "flask.Flask", "blog.create_app.<locals>.app", "blog/__init__.py", 15, "create_app"
    )
    _edit(
        root,
        "blog/__init__.py",
        lambda s: hook_up_flask(s, app.file, app, ClientImport("posthog_client", 1)),
    )
    return root


def test_flask_fixture_serves_without_token(flask_blog: Path) -> None:
    assert _run(flask_blog, FLASK_SCRIPT, None) == ["302", "200"]


def test_flask_fixture_sends_to_the_host(flask_blog: Path) -> None:
    with MockPostHogHost() as host:
        assert _run(flask_blog, FLASK_SCRIPT, host) == ["302", "200"]
        _assert_arrived(host, "/_hookup_check")


FASTAPI_SCRIPT = """\
from fastapi.testclient import TestClient

from tasks.main import app
from tasks.posthog_client import posthog_client


@app.get("/_hookup_check")
def hookup_check() -> dict[str, str]:
    posthog_client.capture("hookup_check")
    return {"status": "ok"}


with TestClient(app) as client:
    print(client.get("/health").status_code)
    print(client.get("/_hookup_check", headers={"X-POSTHOG-DISTINCT-ID": "hookup-user"}).status_code)
    posthog_client.capture("hookup_after", distinct_id="hookup-user")
    posthog_client.flush()
"""


@pytest.fixture(scope="module")
def fastapi_tasks(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = _copy("fastapi_tasks", tmp_path_factory.mktemp("fastapi"), "tasks")
    app = AppObject("fastapi.FastAPI", "tasks.main.app", "tasks/main.py", 26)
    _edit(
        root,
        "tasks/main.py",
        lambda s: hook_up_fastapi(s, app.file, app, ClientImport("posthog_client", 1)),
    )
    return root


def test_fastapi_fixture_serves_without_token(fastapi_tasks: Path) -> None:
    assert _run(fastapi_tasks, FASTAPI_SCRIPT, None) == ["200", "200"]


def test_fastapi_fixture_sends_to_the_host(fastapi_tasks: Path) -> None:
    with MockPostHogHost() as host:
        assert _run(fastapi_tasks, FASTAPI_SCRIPT, host) == ["200", "200"]
        _assert_arrived(host, "/_hookup_check")


DJANGO_SCRIPT = """\
import os

os.environ["DJANGO_SETTINGS_MODULE"] = "shop.settings"
os.environ["SHOP_DATABASE"] = ":memory:"

import django

django.setup()

from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.http import HttpResponse
from django.test import Client
from django.urls import path

import shop.posthog_auth  # noqa: F401 - connects the login receivers
import shop.urls
from shop.posthog_client import posthog_client

call_command("migrate", verbosity=0)


def hookup_check(request):
    posthog_client.capture("hookup_check")
    return HttpResponse("ok")


shop.urls.urlpatterns.append(path("_hookup_check/", hookup_check))
client = Client()
print(client.get("/accounts/login/").status_code)
print(client.get("/_hookup_check/", HTTP_X_POSTHOG_DISTINCT_ID="hookup-user").status_code)
user = get_user_model().objects.create_user("ada", "ada@example.com", "pw-for-tests")
client.force_login(user)
print(user.pk)
posthog_client.capture("hookup_after", distinct_id="hookup-user")
posthog_client.flush()
"""


@pytest.fixture(scope="module")
def django_shop(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = _copy("django_shop", tmp_path_factory.mktemp("django"), "shop")
    client = ClientImport("shop.posthog_client")
    _edit(root, "shop/settings.py", lambda s: hook_up_django(s, "shop/settings.py", client))
    events = {"login": "user_logged_in", "logout": "user_logged_out"}
    (root / "shop" / "posthog_auth.py").write_text(
        django_auth_receivers(client, events), encoding="utf-8"
    )
    return root


def test_django_fixture_serves_without_token(django_shop: Path) -> None:
    assert _run(django_shop, DJANGO_SCRIPT, None)[:2] == ["200", "200"]


def test_django_fixture_sends_to_the_host(django_shop: Path) -> None:
    with MockPostHogHost() as host:
        status, check_status, user_pk = _run(django_shop, DJANGO_SCRIPT, host)
        assert (status, check_status) == ("200", "200")
        _assert_arrived(host, "/_hookup_check/")
        [login] = host.wait_for(1, timeout=10, event="user_logged_in")
        assert login.distinct_id == user_pk
        assert "email" not in login.properties
        [person] = host.wait_for(1, timeout=10, event="$set")
        assert person.distinct_id == user_pk
        assert person.raw["$set"] == {"email": "ada@example.com"}
