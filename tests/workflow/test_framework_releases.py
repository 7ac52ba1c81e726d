"""Hooks the edit adds exist on the framework release the project declares.

Django's generic DeleteView deletes through ``form_valid`` from 4.0 and through
``delete()`` before: a ``form_valid`` added to a project on Django 3.2 would never run,
and its event would never be sent.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from posthog_setup.cli import main
from posthog_setup.plan.sdk import SdkFloor, oldest_python

VIEWS = """\
from django.urls import reverse_lazy
from django.views.generic import DeleteView

from shop.models import Order


class OrderDeleteView(DeleteView):
    model = Order
    success_url = reverse_lazy("orders")
"""

FILES = {
    "manage.py": "import os\nos.environ.setdefault('DJANGO_SETTINGS_MODULE', 'site_cfg.settings')\n",
    "site_cfg/__init__.py": "",
    "site_cfg/settings.py": 'INSTALLED_APPS = ["shop"]\nROOT_URLCONF = "site_cfg.urls"\n',
    "site_cfg/urls.py": (
        "from django.urls import path\n\nfrom shop.views import OrderDeleteView\n\n"
        'urlpatterns = [path("orders/<int:pk>/delete/", OrderDeleteView.as_view())]\n'
    ),
    "shop/__init__.py": "",
    "shop/models.py": (
        "from django.db import models\n\n\nclass Order(models.Model):\n"
        "    item = models.CharField(max_length=10)\n"
    ),
    "shop/views.py": VIEWS,
}


@pytest.mark.parametrize(
    ("requirement", "hook"),
    [
        ("Django>=3.2,<4.0", "def delete(self, *args, **kwargs):"),
        ("Django==3.2.25", "def delete(self, *args, **kwargs):"),
        ("Django>=4.2", "def form_valid(self, form):"),
        ("Django", "def form_valid(self, form):"),
    ],
)
def test_a_delete_views_hook_is_the_one_its_django_calls(
    tmp_path: Path, requirement: str, hook: str
) -> None:
    for name, text in {**FILES, "requirements.txt": f"{requirement}\n"}.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(text)
    assert main(["begin", str(tmp_path)]) == 0
    assert main(["edit", "--allow-dirty", str(tmp_path)]) == 0
    views = (tmp_path / "shop" / "views.py").read_text()
    assert hook in views
    assert views.count("    def ") == 1
    assert '"order_deleted"' in views
    # The check reads the capture where the edit put it: nothing is missing.
    assert main(["revise", "--check", str(tmp_path)]) == 0


OWN_DELETE = (
    VIEWS
    + """
    def delete(self, request, *args, **kwargs):
        response = super().delete(request, *args, **kwargs)
        return response
"""
)


@pytest.mark.parametrize("requirement", ["Django==3.2.25", "Django==2.0.1"])
def test_an_older_delete_views_own_delete_sends_the_event(tmp_path: Path, requirement: str) -> None:
    """Before 4.0 the view's own ``delete()`` is its write: the capture goes there, and
    the check finds it there."""
    files = {**FILES, "shop/views.py": OWN_DELETE, "requirements.txt": f"{requirement}\n"}
    for name, text in files.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(text)
    assert main(["begin", str(tmp_path)]) == 0
    assert main(["edit", "--allow-dirty", str(tmp_path)]) == 0
    views = (tmp_path / "shop" / "views.py").read_text()
    assert views.count("    def ") == 1
    assert views.index('"order_deleted"') > views.index("super().delete(")
    assert main(["revise", "--check", str(tmp_path)]) == 0


FLASK_APP = """\
from flask import Flask, request

app = Flask(__name__)
NOTES: list[str] = []


@app.post("/notes")
def add_note():
    NOTES.append(request.form["text"])
    return "saved", 201
"""


@pytest.mark.parametrize(
    ("declared", "said"),
    [
        ({"runtime.txt": "python-3.6.8\n"}, "runtime.txt says Python 3.6"),
        ({".python-version": "3.8.18\n"}, ".python-version says Python 3.8"),
        ({"pyproject.toml": '[project]\nname = "n"\nrequires-python = ">=3.7,<3.9"\n'}, "3.7"),
        ({".python-version": "3.12\n"}, None),
        ({"pyproject.toml": '[project]\nname = "n"\nrequires-python = ">=3.8"\n'}, None),
        # pipenv installs for its Pipfile's Python; an image runs on its Python.
        ({"Pipfile": '[packages]\nflask = "*"\n\n[requires]\npython_version = "3.7"\n'}, "3.7"),
        (
            {"Dockerfile": "FROM python:3.8-slim AS base\nRUN pip install -r requirements.txt\n"},
            "3.8",
        ),
        (
            {"Dockerfile": "FROM tiangolo/uvicorn-gunicorn:python3.9\n"},
            "Dockerfile says Python 3.9",
        ),
        ({"Dockerfile": "FROM python:3.12-slim\n"}, None),
        # A lock is resolved for every Python the range allows: one older release fails it.
        (
            {
                "pyproject.toml": '[project]\nname = "n"\nrequires-python = ">=3.9"\n'
                'dependencies = ["flask"]\n',
                "uv.lock": "version = 1\n",
            },
            "pyproject.toml allows Python 3.9, and its lock",
        ),
        (
            {
                "pyproject.toml": '[tool.poetry]\nname = "n"\n\n[tool.poetry.dependencies]\n'
                'python = "^3.9"\nflask = "*"\n'
            },
            "so the lock fails",
        ),
        (
            {
                "pyproject.toml": '[tool.poetry]\nname = "n"\n\n[tool.poetry.dependencies]\n'
                'python = "^3.10"\nflask = "*"\n'
            },
            None,
        ),
    ],
)
def test_a_python_the_sdk_cannot_install_on_is_named(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    declared: dict[str, str],
    said: str | None,
) -> None:
    for name, text in {"app.py": FLASK_APP, "requirements.txt": "flask\n", **declared}.items():
        (tmp_path / name).write_text(text)
    assert main(["begin", str(tmp_path)]) == 0
    capsys.readouterr()
    assert main(["edit", "--allow-dirty", str(tmp_path)]) == 0
    err = capsys.readouterr().err
    if said is None:
        assert "installs only on Python" not in err
    else:
        assert said in err
        assert (
            "posthog 7.66 or later, which the integration needs, installs only on Python 3.10"
            in " ".join(err.split())
        )


@pytest.mark.parametrize(
    ("version", "python"), [("6.0.4", (3, 9)), ("7.0", (3, 10)), ("7.71", (3, 10))]
)
def test_the_oldest_python_a_floors_releases_install_on(
    version: str, python: tuple[int, int]
) -> None:
    assert oldest_python(SdkFloor(version, "")) == python


FASTAPI_FACTORY = """\
from fastapi import FastAPI
{imports}

def create_app() -> FastAPI:
    app = FastAPI(title="shop")
{setup}    return app
"""


@pytest.mark.parametrize(
    ("requirement", "imports", "setup", "flush"),
    [
        # Before 0.93 ``lifespan=`` is no parameter: it would land in app.extra, unused.
        ("fastapi==0.92.0", "", "", "on_event"),
        ("fastapi>=0.80,<0.93", "", "", "on_event"),
        ("fastapi>=0.100", "", "", "lifespan"),
        # A library handed the app may register startup handlers (an ORM's connection):
        # a lifespan would stop them.
        (
            "fastapi>=0.100",
            "from orm_kit.contrib import register_orm\n",
            "    register_orm(app, modules=['shop.models'])\n",
            "on_event",
        ),
        # Serving it registers nothing.
        ("fastapi>=0.100", "import uvicorn\n", "    uvicorn.Config(app)\n", "lifespan"),
    ],
)
def test_an_asgi_app_s_flush_is_where_its_fastapi_and_its_libraries_run_it(
    tmp_path: Path, requirement: str, imports: str, setup: str, flush: str
) -> None:
    files = {
        "shop/__init__.py": "",
        "shop/main.py": FASTAPI_FACTORY.format(imports=imports, setup=setup),
        "requirements.txt": f"{requirement}\n",
    }
    for name, text in files.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(text)
    assert main(["edit", "-q", "--allow-dirty", str(tmp_path)]) == 0
    edited = (tmp_path / "shop" / "main.py").read_text()
    compile(edited, "main.py", "exec")
    if flush == "lifespan":
        assert "lifespan=lifespan" in edited
        assert "on_event" not in edited
    else:
        assert '@app.on_event("shutdown")' in edited
        assert "lifespan" not in edited
    assert "posthog_client.flush()" in edited
    assert main(["revise", "--check", str(tmp_path)]) == 0
