"""Edited code imports the client the way the app's runtime imports its own modules.

Two Django layouts where the repository's root is not where Python imports from: a
project whose ``manage.py`` is in a folder below the manifest (``manage.py`` runs from
there), and a reusable app under ``src/`` with a demo project beside it (the app is its
own distribution: the demo imports it, never the other way round).
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from posthog_setup.cli import main

MANAGE = """\
import os
import sys

if __name__ == "__main__":
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "{settings}")
    from django.core.management import execute_from_command_line

    execute_from_command_line(sys.argv)
"""

SETTINGS = """\
SECRET_KEY = "not-a-secret"
DEBUG = True
INSTALLED_APPS = ["django.contrib.contenttypes", "django.contrib.auth", "{app}"]
MIDDLEWARE = []
ROOT_URLCONF = "{urls}"
DATABASES = {{"default": {{"ENGINE": "django.db.backends.sqlite3", "NAME": ":memory:"}}}}
DEFAULT_AUTO_FIELD = "django.db.models.AutoField"
"""

MODELS = """\
from django.db import models


class Order(models.Model):
    item = models.CharField(max_length=100)
"""

VIEWS = """\
from django.http import JsonResponse
from django.views.decorators.http import require_POST

from {app}.models import Order


@require_POST
def create_order(request):
    order = Order.objects.create(item=request.POST["item"])
    return JsonResponse({{"id": order.pk}}, status=201)
"""

APP_URLS = """\
from django.urls import path

from {app} import views

urlpatterns = [path("orders/", views.create_order)]
"""

URLS = """\
from django.urls import include, path

urlpatterns = [path("shop/", include("{app}.urls"))]
"""


def _write(root: Path, files: dict[str, str]) -> None:
    for name, text in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text)


def _check(
    folder: Path, *paths: Path, settings: str | None = None
) -> subprocess.CompletedProcess[str]:
    """``manage.py check`` where it is run: in its own folder (with ``settings``, if given)."""
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(str(p) for p in paths)}
    if settings is not None:
        env["DJANGO_SETTINGS_MODULE"] = settings
    return subprocess.run(
        [sys.executable, "manage.py", "check"],
        cwd=folder,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )


def test_a_django_project_in_a_folder_below_its_manifest_imports_from_that_folder(
    tmp_path: Path,
) -> None:
    root = tmp_path / "repo"
    _write(
        root,
        {
            "requirements.txt": "django>=4.2\n",
            "backend/manage.py": MANAGE.format(settings="config.settings"),
            "backend/config/__init__.py": "",
            "backend/config/settings.py": SETTINGS.format(app="shop", urls="config.urls"),
            "backend/config/urls.py": URLS.format(app="shop"),
            "backend/shop/__init__.py": "",
            "backend/shop/models.py": MODELS,
            "backend/shop/views.py": VIEWS.format(app="shop"),
            "backend/shop/urls.py": APP_URLS.format(app="shop"),
        },
    )
    assert _check(root / "backend").returncode == 0
    assert main([str(root)]) == 0
    views = (root / "backend" / "shop" / "views.py").read_text()
    assert "from config.posthog_client import posthog_client\n" in views
    assert '"order_created"' in views
    settings = (root / "backend" / "config" / "settings.py").read_text()
    assert "from config.posthog_client import posthog_client\n" in settings
    assert "import config.posthog_receivers" in settings
    assert "backend." not in settings + views
    check = _check(root / "backend")
    assert check.returncode == 0, check.stderr


def test_a_reusable_app_under_src_keeps_the_client_and_the_demo_imports_it(
    tmp_path: Path,
) -> None:
    root = tmp_path / "shoplib"
    _write(
        root,
        {
            "pyproject.toml": '[project]\nname = "shoplib"\nversion = "1.0"\n'
            'dependencies = ["django>=4.2"]\n',
            "src/shoplib/__init__.py": "",
            "src/shoplib/models.py": MODELS,
            "src/shoplib/views.py": VIEWS.format(app="shoplib"),
            "src/shoplib/urls.py": APP_URLS.format(app="shoplib"),
            "demo/manage.py": MANAGE.format(settings="demo_site.settings"),
            "demo/demo_site/__init__.py": "",
            "demo/demo_site/settings.py": SETTINGS.format(app="shoplib", urls="demo_site.urls"),
            "demo/demo_site/urls.py": URLS.format(app="shoplib"),
        },
    )
    assert main([str(root)]) == 0
    assert (root / "src" / "shoplib" / "posthog_client.py").is_file()
    assert not list((root / "demo").rglob("posthog_*.py"))
    views = (root / "src" / "shoplib" / "views.py").read_text()
    assert "from shoplib.posthog_client import posthog_client\n" in views
    settings = (root / "demo" / "demo_site" / "settings.py").read_text()
    assert "from shoplib.posthog_client import posthog_client\n" in settings
    assert "posthog>=" in (root / "pyproject.toml").read_text()
    # The library imports nothing of the demo: it runs installed, with the demo nowhere.
    library = root / "src"
    for module in library.rglob("*.py"):
        assert "demo_site" not in module.read_text(), module
    check = _check(root / "demo", library)
    assert check.returncode == 0, check.stderr


def test_split_settings_get_the_client_in_the_projects_package(tmp_path: Path) -> None:
    root = tmp_path / "split"
    _write(
        root,
        {
            "requirements.txt": "django>=4.2\n",
            "manage.py": MANAGE.format(settings="config.settings.local"),
            "config/__init__.py": "",
            "config/settings/__init__.py": "",
            "config/settings/base.py": SETTINGS.format(app="shop", urls="config.urls"),
            "config/settings/local.py": "from .base import *  # noqa: F403\n\nDEBUG = True\n",
            "config/settings/production.py": "from .base import *  # noqa: F403\n\nDEBUG = False\n",
            "config/urls.py": URLS.format(app="shop"),
            "shop/__init__.py": "",
            "shop/models.py": MODELS,
            "shop/views.py": VIEWS.format(app="shop"),
            "shop/urls.py": APP_URLS.format(app="shop"),
        },
    )
    assert main([str(root)]) == 0
    assert (root / "config" / "posthog_client.py").is_file()
    assert not (root / "config" / "settings" / "posthog_client.py").exists()
    base = (root / "config" / "settings" / "base.py").read_text()
    assert "from config.posthog_client import posthog_client\n" in base
    for settings in ("config.settings.local", "config.settings.production"):
        check = _check(root, settings=settings)
        assert check.returncode == 0, check.stderr
