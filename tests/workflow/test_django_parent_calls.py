"""A view that calls its parent the way Python 2 spelled it, ``super(Cls, self)``: the
edited code reads what the parent's call made (``self.object``), and the check right
after the edit finds nothing to do, as it does for ``super()``."""

from __future__ import annotations

from pathlib import Path

import pytest

from posthog_setup.cli import main

SETTINGS = """\
SECRET_KEY = "test-only"
ROOT_URLCONF = "depot.urls"
INSTALLED_APPS = ["django.contrib.auth", "django.contrib.contenttypes", "depot"]
MIDDLEWARE = [
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
]
"""

URLS = """\
from django.urls import path

from depot import views

urlpatterns = [path("crates/new/", views.CrateAdd.as_view())]
"""

VIEWS = """\
from django.views.generic import CreateView

from depot.models import Crate


class CrateAdd(CreateView):
    model = Crate
    fields = ["label"]
    success_url = "/"

    def form_valid(self, form):
        form.instance.label = form.instance.label.strip()
        return super(CrateAdd, self).form_valid(form)
"""

MODELS = """\
from django.db import models


class Crate(models.Model):
    label = models.CharField(max_length=40)
"""


@pytest.mark.parametrize("parent", ["super(CrateAdd, self)", "super()"])
def test_the_check_after_the_edit_passes_whichever_way_the_parent_is_called(
    tmp_path: Path, parent: str
) -> None:
    files = {
        "depot/__init__.py": "",
        "depot/settings.py": SETTINGS,
        "depot/urls.py": URLS,
        "depot/views.py": VIEWS.replace("super(CrateAdd, self)", parent),
        "depot/models.py": MODELS,
        "requirements.txt": "django>=4.2\n",
    }
    for name, text in files.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(text, encoding="utf-8")
    assert main(["edit", "--allow-dirty", "-q", str(tmp_path)]) == 0
    views = (tmp_path / "depot" / "views.py").read_text()
    assert f"response = {parent}.form_valid(form)" in views
    assert '"crate_id": self.object.pk' in views
    assert main(["revise", "--check", str(tmp_path)]) == 0
