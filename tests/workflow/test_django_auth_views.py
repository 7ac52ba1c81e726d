"""A Django project whose users log in through django.contrib.auth's own views.

No view of the project sees the login, so edit writes signal receivers beside the client
module and settings import them; the login then sends ``user_logged_in`` as the user, and
the middleware's events carry no email.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from posthog_setup.cli import main
from posthog_setup.mockhost import MockPostHogHost

FILES = {
    "manage.py": """\
        import os
        import sys

        if __name__ == "__main__":
            os.environ.setdefault("DJANGO_SETTINGS_MODULE", "site_app.settings")
            from django.core.management import execute_from_command_line

            execute_from_command_line(sys.argv)
        """,
    "requirements.txt": "django>=4.2\n",
    "site_app/__init__.py": "",
    "site_app/settings.py": """\
        SECRET_KEY = "test-only"
        DEBUG = True
        ALLOWED_HOSTS = ["testserver"]
        LOGIN_REDIRECT_URL = LOGOUT_REDIRECT_URL = "/"
        ROOT_URLCONF = "site_app.urls"
        INSTALLED_APPS = [
            "django.contrib.auth",
            "django.contrib.contenttypes",
            "django.contrib.sessions",
        ]
        MIDDLEWARE = [
            "django.contrib.sessions.middleware.SessionMiddleware",
            "django.contrib.auth.middleware.AuthenticationMiddleware",
        ]
        DATABASES = {"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": ":memory:"}}
        """,
    "site_app/urls.py": """\
        from django.urls import include, path

        from site_app import views

        urlpatterns = [
            path("accounts/", include("django.contrib.auth.urls")),
            path("boom/", views.boom),
            path("missing/", views.missing),
        ]
        """,
    "site_app/views.py": """\
        from django.http import Http404


        def boom(request):
            raise RuntimeError("boom")


        def missing(request):
            raise Http404("no such thing")
        """,
}

SCRIPT = """\
import os, django
os.environ["DJANGO_SETTINGS_MODULE"] = "site_app.settings"
django.setup()
from django.core.management import call_command
from django.contrib.auth import get_user_model
from django.test import Client
from site_app.posthog_client import posthog_client
call_command("migrate", verbosity=0)
user = get_user_model().objects.create_user("ada", "ada@example.com", "pw-for-tests")
client = Client()
print(client.post("/accounts/login/", {"username": "ada", "password": "pw-for-tests"}).status_code)
print(Client(raise_request_exception=False).get("/missing/").status_code)
client.raise_request_exception = False
print(client.get("/boom/").status_code)
print(client.post("/accounts/logout/").status_code)
posthog_client.flush()
print(user.pk)
"""


@pytest.fixture
def project(tmp_path: Path) -> Path:
    for name, text in FILES.items():
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text), encoding="utf-8")
    return tmp_path


def test_edit_writes_receivers_that_settings_import(project: Path) -> None:
    assert main(["edit", "-q", "--allow-dirty", str(project)]) == 0
    receivers = (project / "site_app" / "posthog_receivers.py").read_text()
    compile(receivers, "receivers.py", "exec")
    assert "capture_user_logged_in" in receivers
    assert "allauth" not in receivers.split('"""', 2)[2]  # no allauth import without allauth
    settings = (project / "site_app" / "settings.py").read_text()
    assert "import site_app.posthog_receivers" in settings
    # The client is imported above the setting that uses it: settings load.
    assert settings.index("import posthog_client") < settings.index("POSTHOG_MW_CLIENT =")
    assert main(["edit", "--check", "-q", "--allow-dirty", str(project)]) == 0
    assert main(["revise", "--check", "-q", str(project)]) == 0


@pytest.mark.slow
def test_a_login_through_django_auth_views_is_identified(project: Path) -> None:
    assert main(["edit", "-q", "--allow-dirty", str(project)]) == 0
    with MockPostHogHost() as host:
        env = {**os.environ, "POSTHOG_HOST": host.url, "POSTHOG_PROJECT_TOKEN": "phc_test"}
        done = subprocess.run(
            [sys.executable, "-c", SCRIPT],
            cwd=project,
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        assert done.returncode == 0, done.stderr
        login_status, missing_status, boom_status, logout_status, pk = done.stdout.split()
        assert (login_status, missing_status, boom_status, logout_status) == (
            "302",
            "404",
            "500",
            "302",
        )
        # One server error, one $exception, carrying the logged-in user; a 404 sends none.
        [error] = host.wait_for(1, event="$exception")
        assert error.distinct_id == pk
        assert error.properties["$exception_list"][0]["type"] == "RuntimeError"
        [login] = host.wait_for(1, event="user_logged_in")
        [logout] = host.wait_for(1, event="user_logged_out")
        assert login.distinct_id == logout.distinct_id == pk
        assert all("email" not in e.properties for e in host.events() if e.event != "$set")
        sets = [e for e in host.events() if e.event == "$set"]
        # The email goes on the person (the SDK adds the request's context tags beside it).
        assert [e.raw["$set"]["email"] for e in sets] == ["ada@example.com"]
        assert [e.distinct_id for e in sets] == [pk]


def test_on_a_django_without_request_headers_the_receivers_still_connect(project: Path) -> None:
    (project / "requirements.txt").write_text("django~=2.1.0\n")
    assert main(["edit", "-q", "--allow-dirty", str(project)]) == 0
    settings = (project / "site_app" / "settings.py").read_text()
    assert "PosthogContextMiddleware" not in settings
    assert "import site_app.posthog_receivers" in settings
    assert (project / "site_app" / "posthog_receivers.py").is_file()
    assert main(["edit", "--check", "-q", "--allow-dirty", str(project)]) == 0
