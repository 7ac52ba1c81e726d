"""Signups a class view's write hook sees (DRF's ``perform_create``, ``CreateView.form_valid``):
identified in the hook the class has, or in the one edit adds; a second run and revise
--check find nothing to do."""

from __future__ import annotations

import textwrap
from pathlib import Path

from posthog_setup.cli import main

SETTINGS = 'ROOT_URLCONF = "site_app.urls"\nINSTALLED_APPS = ["rest_framework", "accounts"]\n'
URLS = """\
from django.urls import path

from accounts import views

urlpatterns = [
    path("api/users/create/", views.CreateUserView.as_view()),
    path("api/members/register/", views.RegisterMember.as_view()),
]
"""
VIEWS = """\
from rest_framework import generics

from accounts.serializers import MemberSerializer, UserSerializer


class CreateUserView(generics.CreateAPIView):
    serializer_class = UserSerializer


class RegisterMember(generics.CreateAPIView):
    serializer_class = MemberSerializer

    def perform_create(self, serializer):
        serializer.save(active=True)
"""


def _project(root: Path) -> Path:
    files = {
        "site_app/__init__.py": "",
        "site_app/settings.py": SETTINGS,
        "site_app/urls.py": URLS,
        "accounts/__init__.py": "",
        "accounts/serializers.py": "",
        "accounts/views.py": VIEWS,
        "requirements.txt": "django>=4.2\ndjangorestframework\n",
    }
    for name, text in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text, encoding="utf-8")
    return root


def test_drf_signups_are_identified_in_their_perform_create(tmp_path: Path) -> None:
    project = _project(tmp_path)
    assert main(["edit", "-q", str(project)]) == 0
    views = (project / "accounts" / "views.py").read_text(encoding="utf-8")
    added = textwrap.dedent(
        """\
            def perform_create(self, serializer):
                super().perform_create(serializer)
                identify_context(str(serializer.instance.pk))
                posthog_client.capture("user_signed_up", distinct_id=str(serializer.instance.pk))
        """
    )
    assert textwrap.indent(added, "    ") in views
    own = textwrap.dedent(
        """\
            def perform_create(self, serializer):
                serializer.save(active=True)
                identify_context(str(serializer.instance.pk))
                posthog_client.capture("user_signed_up", distinct_id=str(serializer.instance.pk))
        """
    )
    assert textwrap.indent(own, "    ") in views
    compile(views, "views.py", "exec")
    # Filed under the class either way: the next run and the pre-commit check agree.
    assert main(["edit", "-q", "--allow-dirty", str(project)]) == 0
    assert (project / "accounts" / "views.py").read_text(encoding="utf-8") == views
    assert main(["revise", "--check", str(project)]) == 0
