"""Logins through Django REST framework's token libraries.

A project's subclass of DRF's ``ObtainAuthToken`` or simplejwt's ``TokenObtainPairView``
gets a ``post`` that identifies the user the library's serializer proved; the library
views routed as they ship are named in the summary as not instrumented; knox's and
dj-rest-auth's views send ``user_logged_in`` themselves, so the signal receivers see them.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from posthog_setup.cli import main
from posthog_setup.mockhost import MockPostHogHost

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures"

LOGINS = """\
import os, django
os.environ["DJANGO_SETTINGS_MODULE"] = "journal.settings"
django.setup()
from django.core.management import call_command
from django.contrib.auth import get_user_model
from rest_framework.test import APIClient
from journal.posthog_client import posthog_client
call_command("migrate", verbosity=0)
get_user_model().objects.create_user("bob", "bob@example.com", "pw-of-bob")
user = get_user_model().objects.create_user("ada", "ada@example.com", "pw-for-tests")
client = APIClient()
wrong = {"username": "ada", "password": "wrong"}
right = {"username": "ada", "password": "pw-for-tests"}
print(client.post("/api/auth/token/", wrong).status_code)
print(client.post("/api/auth/jwt/", wrong).status_code)
print(client.post("/api/auth/token/", right).status_code)
print(client.post("/api/auth/jwt/", right).status_code)
print(client.post("/api/auth/jwt/plain/", right).status_code)
posthog_client.flush()
print(user.pk)
"""


def _run_edited_journal(tmp_path: Path, script: str, host: MockPostHogHost) -> list[str]:
    """Run ``script`` in a copy of the edited drf_tokens project, its client sending to
    ``host``; the words it printed."""
    project = tmp_path / "drf_tokens"
    shutil.copytree(FIXTURES / "expected" / "drf_tokens", project)
    env = {**os.environ, "POSTHOG_HOST": host.url, "POSTHOG_PROJECT_TOKEN": "phc_test"}
    done = subprocess.run(
        [sys.executable, "-c", script],
        cwd=project,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout.split()


@pytest.mark.slow
def test_token_logins_send_the_user_the_library_proved(tmp_path: Path) -> None:
    with MockPostHogHost() as host:
        *statuses, pk = _run_edited_journal(tmp_path, LOGINS, host)
        assert statuses == ["400", "401", "200", "200", "200"]
        # The two project views log in; the failed attempts and the library's own route
        # (nothing of the project runs there) send nothing.
        logins = host.wait_for(2, event="user_logged_in")
        assert [e.distinct_id for e in logins] == [pk, pk]
        assert [e.properties["$request_path"] for e in logins] == [
            "/api/auth/token/",
            "/api/auth/jwt/",
        ]
        sets = [e for e in host.events() if e.event == "$set"]
        assert [(e.distinct_id, e.raw["$set"]["email"]) for e in sets] == [
            (pk, "ada@example.com"),
            (pk, "ada@example.com"),
        ]
        assert all("email" not in e.properties for e in host.events())
        assert len(host.events(event="user_logged_in")) == 2


def _project(root: Path, urls: str, views: str = "", settings: str = "") -> Path:
    files = {
        "manage.py": "import django\n",
        "site_app/__init__.py": "",
        "site_app/settings.py": 'ROOT_URLCONF = "site_app.urls"\n'
        'INSTALLED_APPS = ["rest_framework", "accounts"]\n' + settings,
        "site_app/urls.py": urls,
        "accounts/__init__.py": "",
        "accounts/views.py": views,
        "requirements.txt": "django>=4.2\ndjangorestframework\n",
    }
    for name, text in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(textwrap.dedent(text), encoding="utf-8")
    return root


def test_library_views_routed_as_shipped_are_named_as_not_instrumented(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    urls = """\
        from django.urls import path
        from rest_framework.authtoken import views as drf_views
        from rest_framework_simplejwt.views import TokenObtainSlidingView, TokenRefreshView

        urlpatterns = [
            path("api/token/", drf_views.obtain_auth_token),
            path("api/jwt/", TokenObtainSlidingView.as_view()),
            path("api/jwt/refresh/", TokenRefreshView.as_view()),
        ]
        """
    project = _project(tmp_path, urls)
    assert main(["begin", str(project)]) == 0
    err = capsys.readouterr().err
    untracked = [line for line in err.splitlines() if "not instrumented" in line]
    assert len(untracked) == 2
    assert "site_app/urls.py:6 rest_framework.authtoken.views.ObtainAuthToken" in untracked[0]
    assert "TokenObtainSlidingView is routed as the library ships it" in untracked[1]
    assert "user_logged_in" not in (project / "posthog-events.json").read_text()
    # Nothing planned, nothing to write for them, and revise agrees.
    assert main(["edit", "-q", "--allow-dirty", str(project)]) == 0
    assert main(["revise", "--check", "-q", str(project)]) == 0


def test_knox_and_dj_rest_auth_logins_reach_the_signal_receivers(tmp_path: Path) -> None:
    urls = """\
        from django.urls import include, path
        from knox import views as knox_views

        urlpatterns = [
            path("api/knox/login/", knox_views.LoginView.as_view()),
            path("api/rest-auth/", include("dj_rest_auth.urls")),
        ]
        """
    project = _project(tmp_path, urls)
    assert main(["edit", "-q", "--allow-dirty", str(project)]) == 0
    receivers = (project / "site_app" / "posthog_receivers.py").read_text()
    assert "def capture_user_logged_in(" in receivers
    assert "def capture_user_logged_out(" in receivers
    assert main(["revise", "--check", "-q", str(project)]) == 0


def test_dj_rest_auth_without_session_logins_sends_no_signal(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    urls = """\
        from django.urls import include, path

        urlpatterns = [path("api/rest-auth/", include("dj_rest_auth.urls"))]
        """
    project = _project(tmp_path, urls, settings='REST_AUTH = {"SESSION_LOGIN": False}\n')
    assert main(["begin", str(project)]) == 0
    err = capsys.readouterr().err
    assert "LoginView sends no auth signal unless REST_AUTH.SESSION_LOGIN is on" in err
    assert "user_logged_in" not in (project / "posthog-events.json").read_text()


@pytest.mark.parametrize(
    "views",
    [
        # The project's own post answers: analysed as any view's, no library login added.
        """\
        from rest_framework.authtoken.views import ObtainAuthToken
        from rest_framework.response import Response


        class IssueToken(ObtainAuthToken):
            def post(self, request, *args, **kwargs):
                return Response({})
        """,
        # A refresh logs nobody in.
        """\
        from rest_framework_simplejwt.views import TokenRefreshView


        class IssueToken(TokenRefreshView):
            pass
        """,
    ],
)
def test_views_that_are_not_a_library_login_are_left_alone(tmp_path: Path, views: str) -> None:
    urls = """\
        from django.urls import path

        from accounts.views import IssueToken

        urlpatterns = [path("api/token/", IssueToken.as_view())]
        """
    project = _project(tmp_path, urls, views)
    assert main(["edit", "-q", "--allow-dirty", str(project)]) == 0
    edited = (project / "accounts" / "views.py").read_text()
    assert edited == textwrap.dedent(views)


def test_an_own_post_that_keeps_the_library_response_identifies_after_it(tmp_path: Path) -> None:
    views = """\
        from rest_framework.authtoken.views import ObtainAuthToken


        class IssueToken(ObtainAuthToken):
            def post(self, request, *args, **kwargs):
                # The token in a header too, for clients that read no bodies.
                answer = super().post(request, *args, **kwargs)
                answer["X-Token"] = answer.data["token"]
                return answer
        """
    urls = """\
        from django.urls import path

        from accounts.views import IssueToken

        urlpatterns = [path("api/token/", IssueToken.as_view())]
        """
    project = _project(tmp_path, urls, views)
    assert main(["edit", "-q", "--allow-dirty", str(project)]) == 0
    edited = (project / "accounts" / "views.py").read_text()
    expected = """\
        class IssueToken(ObtainAuthToken):
            def post(self, request, *args, **kwargs):
                # The token in a header too, for clients that read no bodies.
                answer = super().post(request, *args, **kwargs)
                user = self.login_serializer.validated_data["user"]
                if 200 <= answer.status_code < 300:
                    distinct_id = str(user.pk)
                    identify_context(distinct_id)
                    email = getattr(user, "email", None)
                    if email:
                        posthog_client.set(distinct_id=distinct_id, properties={"email": email})
                    posthog_client.capture("user_logged_in", distinct_id=distinct_id)
                answer["X-Token"] = answer.data["token"]
                return answer

            def get_serializer(self, *args, **kwargs):
                # Kept for post(): it holds the user the credentials proved.
                self.login_serializer = super().get_serializer(*args, **kwargs)
                return self.login_serializer
        """
    assert textwrap.dedent(expected) in edited
    assert main(["edit", "--check", "-q", "--allow-dirty", str(project)]) == 0
    assert main(["revise", "--check", "-q", str(project)]) == 0


OLD_TOKEN_VIEW = """\
    from rest_framework.authtoken.views import ObtainAuthToken


    class IssueToken(ObtainAuthToken):
        pass
    """
OLD_TOKEN_URLS = """\
    from django.urls import path

    from accounts.views import IssueToken

    urlpatterns = [path("api/token/", IssueToken.as_view())]
    """
#: Before 3.12 ObtainAuthToken.post builds its serializer without get_serializer.
DRF_3_9 = "django>=2.1,<2.2\ndjangorestframework>=3.9,<3.10\n"


def test_an_obtain_auth_token_older_than_its_serializer_hook_reads_the_user_from_its_token(
    tmp_path: Path,
) -> None:
    project = _project(tmp_path, OLD_TOKEN_URLS, OLD_TOKEN_VIEW)
    (project / "requirements.txt").write_text(DRF_3_9)
    assert main(["edit", "-q", "--allow-dirty", str(project)]) == 0
    edited = (project / "accounts" / "views.py").read_text()
    assert "get_serializer" not in edited
    assert "from rest_framework.authtoken.models import Token\n" in edited
    expected = """\
        class IssueToken(ObtainAuthToken):
            pass

            def post(self, request, *args, **kwargs):
                response = super().post(request, *args, **kwargs)
                user = getattr(Token.objects.filter(key=response.data.get("token")).first(), "user", None)
                if user is not None and 200 <= response.status_code < 300:
                    distinct_id = str(user.pk)
                    identify_context(distinct_id)
        """
    assert textwrap.dedent(expected) in edited
    assert main(["edit", "--check", "-q", "--allow-dirty", str(project)]) == 0
    assert main(["revise", "--check", "-q", str(project)]) == 0


def test_an_old_token_view_in_a_module_with_its_own_token_is_left_alone(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    views = OLD_TOKEN_VIEW.replace(
        "from rest_framework.authtoken.views import ObtainAuthToken\n",
        "from rest_framework.authtoken.views import ObtainAuthToken\n\n    Token = object()\n",
    )
    project = _project(tmp_path, OLD_TOKEN_URLS, views)
    (project / "requirements.txt").write_text(DRF_3_9)
    assert main(["edit", "--allow-dirty", str(project)]) == 0
    assert (project / "accounts" / "views.py").read_text() == textwrap.dedent(views)
    assert "binds Token otherwise" in capsys.readouterr().err


#: Logs in through the view an edit for DRF 3.9 wrote (the library's post answers with the
#: same token there and in the DRF these tests run), then prints the user's pk.
OLD_TOKEN_LOGIN = """\
import os, django
os.environ["DJANGO_SETTINGS_MODULE"] = "site_app.settings"
django.setup()
from django.core.management import call_command
from django.contrib.auth import get_user_model
from rest_framework.test import APIClient
from site_app.posthog_client import posthog_client
call_command("migrate", verbosity=0)
user = get_user_model().objects.create_user("ada", "ada@example.com", "pw-for-tests")
client = APIClient()
print(client.post("/api/token/", {"username": "ada", "password": "wrong"}).status_code)
print(client.post("/api/token/", {"username": "ada", "password": "pw-for-tests"}).status_code)
posthog_client.flush()
print(user.pk)
"""


@pytest.mark.slow
def test_an_old_token_view_sends_the_user_its_token_names(tmp_path: Path) -> None:
    settings = (
        'SECRET_KEY = "test-only"\n'
        'ALLOWED_HOSTS = ["testserver"]\n'
        'INSTALLED_APPS += ["django.contrib.auth", "django.contrib.contenttypes"]\n'
        'INSTALLED_APPS += ["rest_framework.authtoken"]\n'
        "MIDDLEWARE = []\n"
        'DATABASES = {"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": ":memory:"}}\n'
    )
    project = _project(tmp_path, OLD_TOKEN_URLS, OLD_TOKEN_VIEW, settings)
    (project / "requirements.txt").write_text(DRF_3_9)
    assert main(["edit", "-q", "--allow-dirty", str(project)]) == 0
    with MockPostHogHost() as host:
        env = {**os.environ, "POSTHOG_HOST": host.url, "POSTHOG_PROJECT_TOKEN": "phc_test"}
        done = subprocess.run(
            [sys.executable, "-c", OLD_TOKEN_LOGIN],
            cwd=project,
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        assert done.returncode == 0, done.stderr
        wrong, right, pk = done.stdout.split()
        assert (wrong, right) == ("400", "200")
        [login] = host.wait_for(1, event="user_logged_in")
        assert login.distinct_id == pk
        sets = [e for e in host.events() if e.event == "$set"]
        assert [(e.distinct_id, e.raw["$set"]["email"]) for e in sets] == [(pk, "ada@example.com")]
        assert all("email" not in e.properties for e in host.events())


def test_the_identify_in_an_own_post_takes_names_the_post_does_not_use(tmp_path: Path) -> None:
    views = """\
        from rest_framework.authtoken.views import ObtainAuthToken


        class IssueToken(ObtainAuthToken):
            def post(self, request, *args, **kwargs):
                user = request.data.get("username")
                response = super().post(request, *args, **kwargs)
                response["X-User"] = user
                return response
        """
    urls = """\
        from django.urls import path

        from accounts.views import IssueToken

        urlpatterns = [path("api/token/", IssueToken.as_view())]
        """
    project = _project(tmp_path, urls, views)
    assert main(["edit", "-q", "--allow-dirty", str(project)]) == 0
    edited = (project / "accounts" / "views.py").read_text()
    assert 'user_2 = self.login_serializer.validated_data["user"]' in edited
    assert "distinct_id = str(user_2.pk)" in edited
    assert 'response["X-User"] = user\n' in edited


FAILING_AS_A_TOKEN_USER = """\
import os, django
os.environ["DJANGO_SETTINGS_MODULE"] = "journal.settings"
django.setup()
from django.core.management import call_command
from django.contrib.auth import get_user_model
from django.urls import clear_url_caches, path
from rest_framework.test import APIClient
from rest_framework.views import APIView
import journal.urls
from journal.posthog_client import posthog_client

class Boom(APIView):
    def post(self, request):
        raise RuntimeError("boom")

journal.urls.urlpatterns.append(path("api/boom/", Boom.as_view()))
clear_url_caches()
call_command("migrate", verbosity=0)
user = get_user_model().objects.create_user("ada", "ada@example.com", "pw-for-tests")
client = APIClient(raise_request_exception=False)
# DRF authenticates in the view, after the context middleware saw an anonymous request.
client.force_authenticate(user)
print(client.post("/api/boom/").status_code)
client.force_authenticate(None)
print(client.post("/api/boom/").status_code)
posthog_client.flush()
print(user.pk)
"""


@pytest.mark.slow
def test_a_server_error_of_a_user_drf_authenticated_is_theirs(tmp_path: Path) -> None:
    with MockPostHogHost() as host:
        *statuses, pk = _run_edited_journal(tmp_path, FAILING_AS_A_TOKEN_USER, host)
        assert statuses == ["500", "500"]
        mine, nobodys = host.wait_for(2, event="$exception")
        assert mine.distinct_id == pk
        assert nobodys.distinct_id != pk
        assert nobodys.properties.get("$process_person_profile") is False
