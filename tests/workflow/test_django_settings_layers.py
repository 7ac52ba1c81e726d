"""Settings in layers: a base module and per-environment modules that star-import it.

A module that only adds to the base's ``MIDDLEWARE`` (``MIDDLEWARE += [...]``) runs the
base's middleware, PostHog's included once the base has it: it needs no hook-up of its
own, and edit says nothing of it. A module that sets ``MIDDLEWARE`` anew gets its own.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from posthog_setup.cli import main

BASE = """\
SECRET_KEY = "test-only"
ROOT_URLCONF = "depot.urls"
INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "depot",
]
MIDDLEWARE = [
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
]
"""

LOCAL = """\
from .base import *  # noqa: F403

DEBUG = True
INSTALLED_APPS += ["debug_toolbar"]  # noqa: F405
MIDDLEWARE += ["debug_toolbar.middleware.DebugToolbarMiddleware"]  # noqa: F405
"""

STAGING = """\
from depot.settings.base import *  # noqa: F403

INSTALLED_APPS += ["storages"]  # noqa: F405
"""

LIVE = """\
from .base import *  # noqa: F403

INSTALLED_APPS += ["storages"]  # noqa: F405
MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
]
"""

URLS = """\
from django.urls import path

from depot import views

urlpatterns = [path("crates/", views.add_crate)]
"""

VIEWS = """\
from django.http import HttpResponse

from depot.models import Crate


def add_crate(request):
    if request.method == "POST":
        crate = Crate.objects.create(label=request.POST["label"])
        return HttpResponse(str(crate.pk), status=201)
    return HttpResponse("")
"""

MODELS = """\
from django.db import models


class Crate(models.Model):
    label = models.CharField(max_length=40)
"""


def test_a_layer_that_adds_to_the_base_middleware_runs_the_base_hookup(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    files = {
        "depot/__init__.py": "",
        "depot/settings/__init__.py": "",
        "depot/settings/base.py": BASE,
        "depot/settings/local.py": LOCAL,
        "depot/settings/staging.py": STAGING,
        "depot/settings/live.py": LIVE,
        "depot/urls.py": URLS,
        "depot/views.py": VIEWS,
        "depot/models.py": MODELS,
        "requirements.txt": "django>=4.2\n",
    }
    for name, text in files.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(text, encoding="utf-8")
    assert main(["edit", "--allow-dirty", str(tmp_path)]) == 0
    err = capsys.readouterr().err
    assert "MIDDLEWARE" not in err
    settings = tmp_path / "depot" / "settings"
    assert (
        "posthog.integrations.django.PosthogContextMiddleware" in (settings / "base.py").read_text()
    )
    assert (
        "posthog.integrations.django.PosthogContextMiddleware" in (settings / "live.py").read_text()
    )
    assert (settings / "local.py").read_text() == LOCAL
    assert (settings / "staging.py").read_text() == STAGING
