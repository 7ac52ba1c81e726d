"""Django projects whose users log in only through views that are not the project's own:
the admin site, or ``LoginView`` routed as Django ships it; and projects whose own receiver
of ``user_logged_in`` already identifies the user.

Every session login goes through ``django.contrib.auth.login()``, which sends
``user_logged_in``: the receivers edit writes (or the project's own) see each one.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from posthog_setup.cli import main
from posthog_setup.mockhost import MockPostHogHost

SETTINGS = """\
SECRET_KEY = "test-only"
DEBUG = True
ALLOWED_HOSTS = ["testserver"]
LOGIN_REDIRECT_URL = LOGOUT_REDIRECT_URL = "/"
ROOT_URLCONF = "desk.urls"
INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "desk",
]
MIDDLEWARE = [
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
]
TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ]
        },
    }
]
DATABASES = {"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": ":memory:"}}
"""

ADMIN_URLS = """\
from django.contrib import admin
from django.urls import path

from desk import views

urlpatterns = [
    path("staff/", admin.site.urls),
    path("notes/", views.notes),
]
"""

LOGIN_VIEW_URLS = """\
from django.contrib.auth.views import LoginView, LogoutView
from django.urls import path

from desk import views

urlpatterns = [
    path("sign-in/", LoginView.as_view(template_name="desk/sign_in.html")),
    path("sign-out/", LogoutView.as_view()),
    path("notes/", views.notes),
]
"""

VIEWS = """\
from django.http import HttpResponse


def notes(request):
    return HttpResponse("notes")
"""

RECEIVER = """\
import posthog
from django.contrib.auth.signals import user_logged_in
from django.dispatch import receiver


@receiver(user_logged_in)
def bind_person(sender, request, user, **kwargs):
    posthog.identify_context(str(user.pk))
"""

APPS_WITH_RECEIVER = """\
from django.apps import AppConfig


class DeskConfig(AppConfig):
    name = "desk"

    def ready(self):
        from desk import signals  # noqa: F401
"""

MANAGE = """\
import os
import shutil
import sys

if __name__ == "__main__":
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "desk.settings")
    from django.core.management import execute_from_command_line

    execute_from_command_line(sys.argv)
"""

#: Logs in at ``{login}`` and out at ``{logout}``, then prints the user's pk.
SCRIPT = """\
import os, django
os.environ["DJANGO_SETTINGS_MODULE"] = "desk.settings"
django.setup()
from django.core.management import call_command
from django.contrib.auth import get_user_model
from django.test import Client
import posthog
from desk.posthog_client import posthog_client
call_command("migrate", verbosity=0)
user = get_user_model().objects.create_superuser("grace", "grace@example.com", "pw-for-tests")
client = Client()
answer = client.post("{login}", {{"username": "grace", "password": "pw-for-tests"}})
assert answer.status_code == 302, answer.status_code
assert client.session.get("_auth_user_id") == str(user.pk)
client.post("{logout}")
posthog_client.flush()
print(user.pk)
"""


def _project(root: Path, urls: str, *, receiver: bool = False) -> Path:
    files = {
        "manage.py": MANAGE,
        "requirements.txt": "django>=4.2\n",
        "desk/__init__.py": "",
        "desk/settings.py": SETTINGS,
        "desk/urls.py": urls,
        "desk/views.py": VIEWS,
        "desk/templates/desk/sign_in.html": "{{ form }}\n",
    }
    if receiver:
        files["desk/signals.py"] = RECEIVER
        files["desk/apps.py"] = APPS_WITH_RECEIVER
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text), encoding="utf-8")
    return root


def _plan(root: Path) -> list[dict[str, object]]:
    events: list[dict[str, object]] = json.loads((root / "posthog-events.json").read_text())[
        "events"
    ]
    return events


@pytest.mark.parametrize("urls", [ADMIN_URLS, LOGIN_VIEW_URLS], ids=["admin", "login-view"])
def test_library_logins_get_the_receivers(
    tmp_path: Path, urls: str, capsys: pytest.CaptureFixture[str]
) -> None:
    root = _project(tmp_path, urls)
    assert main(["edit", "-q", "--allow-dirty", str(root)]) == 0
    receivers = (root / "desk" / "posthog_receivers.py").read_text()
    assert "def capture_user_logged_in" in receivers
    assert "def capture_user_logged_out" in receivers
    assert {(e["kind"], e["file"]) for e in _plan(root) if e["kind"] != "capture"} == {
        ("login", "desk/posthog_receivers.py"),
        ("logout", "desk/posthog_receivers.py"),
    }
    assert main(["edit", "--check", "-q", "--allow-dirty", str(root)]) == 0
    assert main(["revise", "--check", "-q", str(root)]) == 0
    # The receiver edit wrote is not taken for one of the project's on the next run.
    assert main(["begin", str(root)]) == 0
    assert "identified by" not in capsys.readouterr().err


def test_a_receiver_of_the_project_gets_the_event_and_no_second_identify(tmp_path: Path) -> None:
    root = _project(tmp_path, ADMIN_URLS, receiver=True)
    assert main(["edit", "-q", "--allow-dirty", str(root)]) == 0
    receivers = (root / "desk" / "posthog_receivers.py").read_text()
    assert "def capture_user_logged_in" not in receivers
    assert "def capture_user_logged_out" in receivers
    signals = (root / "desk" / "signals.py").read_text()
    assert signals.count("identify_context") == 1
    assert 'posthog_client.capture("user_logged_in", distinct_id=str(user.pk))' in signals
    logins = [e for e in _plan(root) if e["kind"] == "login"]
    assert [(e["file"], e["handler"]) for e in logins] == [("desk/signals.py", "bind_person")]
    assert main(["edit", "--check", "-q", "--allow-dirty", str(root)]) == 0
    assert main(["revise", "--check", "-q", str(root)]) == 0


def test_a_login_view_of_a_project_whose_receiver_identifies_gets_only_the_event(
    tmp_path: Path,
) -> None:
    urls = ADMIN_URLS.replace(
        'path("notes/", views.notes),',
        'path("notes/", views.notes),\n    path("in/", views.sign_in),',
    )
    root = _project(tmp_path, urls, receiver=True)
    (root / "desk" / "views.py").write_text(
        VIEWS
        + textwrap.dedent(
            """\


            def sign_in(request):
                from django.contrib.auth import authenticate, login
                from django.shortcuts import redirect

                user = authenticate(request, username=request.POST["u"], password=request.POST["p"])
                if user is None:
                    return redirect("/in/")
                login(request, user)
                return redirect("/")
            """
        )
    )
    assert main(["edit", "-q", "--allow-dirty", str(root)]) == 0
    views = (root / "desk" / "views.py").read_text()
    assert "identify_context" not in views
    assert 'posthog_client.capture("user_logged_in", distinct_id=str(user.pk))' in views
    # The project's receiver stays as it was: the view's login sends the one event.
    assert (root / "desk" / "signals.py").read_text() == RECEIVER
    assert "capture_user_logged_in" not in (root / "desk" / "posthog_receivers.py").read_text()
    assert main(["edit", "--check", "-q", "--allow-dirty", str(root)]) == 0


def _run(root: Path, login: str, logout: str) -> tuple[str, MockPostHogHost]:
    host = MockPostHogHost()
    host.start()
    env = {**os.environ, "POSTHOG_HOST": host.url, "POSTHOG_PROJECT_TOKEN": "phc_test"}
    done = subprocess.run(
        [sys.executable, "-c", SCRIPT.format(login=login, logout=logout)],
        cwd=root,
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )
    if done.returncode != 0:
        host.stop()
    assert done.returncode == 0, done.stderr
    return done.stdout.split()[-1], host


@pytest.mark.slow
def test_an_admin_login_through_the_projects_receiver_sends_one_event(tmp_path: Path) -> None:
    root = _project(tmp_path, ADMIN_URLS, receiver=True)
    assert main(["edit", "-q", "--allow-dirty", str(root)]) == 0
    pk, host = _run(root, "/staff/login/", "/staff/logout/")
    try:
        [logged_in] = host.wait_for(1, event="user_logged_in")
        assert logged_in.distinct_id == pk
        assert "email" not in logged_in.properties
    finally:
        host.stop()


FIXTURES = Path(__file__).resolve().parents[2] / "fixtures"

#: Signs in through LoginView, posts a note, signs out; then through the admin site.
STAFF_DAY = """\
import os, django
os.environ["DJANGO_SETTINGS_MODULE"] = "desk.settings"
django.setup()
from django.core.management import call_command
from django.contrib.auth import get_user_model
from django.test import Client
from desk.posthog_client import posthog_client
call_command("migrate", run_syncdb=True, verbosity=0)
users = get_user_model().objects
grace = users.create_superuser("grace", "grace@example.com", "pw-of-grace")
alan = users.create_superuser("alan", "alan@example.com", "pw-of-alan")
client = Client()
assert client.post("/sign-in/", {"username": "grace", "password": "no"}).status_code == 200
assert client.post("/sign-in/", {"username": "grace", "password": "pw-of-grace"}).status_code == 302
assert client.post("/notes/", {"text": "bread at noon"}).status_code == 302
assert client.post("/sign-out/").status_code == 302
answer = client.post("/staff/login/", {"username": "alan", "password": "pw-of-alan"})
assert answer.status_code == 302, answer.status_code
assert client.post("/staff/logout/").status_code == 302
posthog_client.flush()
print(grace.pk, alan.pk)
"""


@pytest.mark.slow
def test_the_staff_desk_identifies_each_sign_in_whichever_view_takes_it(tmp_path: Path) -> None:
    project = tmp_path / "django_staff_desk"
    shutil.copytree(FIXTURES / "expected" / "django_staff_desk", project)
    with MockPostHogHost() as host:
        env = {**os.environ, "POSTHOG_HOST": host.url, "POSTHOG_PROJECT_TOKEN": "phc_test"}
        done = subprocess.run(
            [sys.executable, "-c", STAFF_DAY],
            cwd=project,
            env=env,
            capture_output=True,
            text=True,
            timeout=180,
            check=False,
        )
        assert done.returncode == 0, done.stderr
        grace, alan = done.stdout.split()
        # The failed attempt sends nothing; each sign-in and sign-out, its user's id.
        logins = host.wait_for(2, event="user_logged_in")
        logouts = host.wait_for(2, event="user_logged_out")
        assert [e.distinct_id for e in logins] == [grace, alan]
        assert [e.distinct_id for e in logouts] == [grace, alan]
        [note] = host.wait_for(1, event="note_created")
        assert note.distinct_id == grace
        assert all("email" not in e.properties for e in host.events() if e.event != "$set")
        sets = [e for e in host.events() if e.event == "$set"]
        assert [(e.distinct_id, e.raw["$set"]["email"]) for e in sets] == [
            (grace, "grace@example.com"),
            (alan, "alan@example.com"),
        ]
